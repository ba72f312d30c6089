/* client/handover.c — httpx_async_submit: requests handed to the loop's thread
 * from any thread. The request is copied whole at the call (one allocation), posted
 * through the loop's wake, and started there. */
#include <string.h>
#include "client/future.h"
#include "client/handover.h"
#include "core/err.h"
#include "core/mem.h"

struct httpx__hub {
    pthread_mutex_t mu;
    httpx_async_client_t *ac; /* NULL once freed */
    bool closed;
    long refs;
    const httpx_allocator_t *a;
};

httpx__hub_t *httpx__hub_new(httpx_async_client_t *ac)
{
    httpx__hub_t *h = HTTPX__NEW(ac->eng.a, httpx__hub_t);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    h->ac = ac;
    h->refs = 1;
    h->a = ac->eng.a;
    return h;
}

static void hub_unref(httpx__hub_t *h)
{
    pthread_mutex_lock(&h->mu);
    bool last = --h->refs == 0;
    pthread_mutex_unlock(&h->mu);
    if (last) {
        pthread_mutex_destroy(&h->mu);
        httpx__free(h->a, h);
    }
}

void httpx__hub_close(httpx__hub_t *h)
{
    pthread_mutex_lock(&h->mu);
    h->closed = true;
    pthread_mutex_unlock(&h->mu);
}

void httpx__hub_release(httpx__hub_t *h)
{
    pthread_mutex_lock(&h->mu);
    h->ac = NULL;
    pthread_mutex_unlock(&h->mu);
    hub_unref(h);
}

/* A request copied for the trip: the strings and arrays live in `mem` behind it. */
typedef struct handover {
    httpx__hub_t *hub;
    httpx_loop_t *loop;
    httpx_future_cb cb;
    void *user;
    const char *method, *url;
    httpx_header_t *headers;
    httpx_param_t *params;
    const void *body;
    size_t body_len;
    bool has_body, expect_continue;
    double timeout;
    httpx_timeouts_t timeouts;
    char mem[];
} handover_t;

static size_t pairs_size(const httpx_header_t *h, size_t *n)
{
    size_t bytes = 0;
    *n = 0;
    for (; h && h->name; h++, (*n)++)
        bytes += strlen(h->name) + 1 + (h->value ? strlen(h->value) + 1 : 0);
    return bytes;
}

static char *copy_str(char **p, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(*p, s, n);
    char *r = *p;
    *p += n;
    return r;
}

static void run_handover(void *arg)
{
    handover_t *h = arg;
    pthread_mutex_lock(&h->hub->mu);
    httpx_async_client_t *ac = h->hub->closed ? NULL : h->hub->ac;
    pthread_mutex_unlock(&h->hub->mu);
    httpx_error_t err = {0};
    httpx_future_t *f = NULL;
    int rc;
    if (!ac) {
        rc = httpx__err(&err, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP, "%s %s: client closed", h->method, h->url);
    } else {
        httpx_req_opts_t opts = {
            .struct_size = sizeof opts,
            .headers = h->headers,
            .params = (const httpx_param_t *)h->params,
            .body = h->has_body ? HTTPX_BODY_BYTES(h->body, h->body_len) : (httpx_body_t){0},
            .expect_continue = h->expect_continue,
            .timeout = h->timeout,
            .timeouts = h->timeouts,
            .error = &err,
        };
        rc = httpx_async_request(ac, h->method, h->url, &opts, &f);
    }
    if (rc)
        f = httpx__future_new_failed(h->hub->a, h->loop, &err);
    if (f)
        httpx_future_then(f, h->cb, h->user); /* the callback owns the future */
    httpx__hub_t *hub = h->hub;
    httpx__free(hub->a, h);
    hub_unref(hub);
}

int httpx_async_submit(httpx_async_client_t *ac, const char *method, const char *url, const httpx_req_opts_t *opts,
                       httpx_future_cb cb, void *user)
{
    if (!ac || !method || !url || !cb)
        return HTTPX_E_INVAL;
    if (opts && opts->body.kind != HTTPX_BODY_NONE && opts->body.kind != HTTPX_BODY_BYTES)
        return HTTPX_E_INVAL; /* files and producers would be used from another thread */
    httpx__hub_t *hub = ac->hub;
    pthread_mutex_lock(&hub->mu);
    bool closed = hub->closed || !hub->ac;
    if (!closed)
        hub->refs++;
    pthread_mutex_unlock(&hub->mu);
    if (closed)
        return HTTPX_E_CLOSED;

    size_t nh, np;
    size_t bytes = strlen(method) + 1 + strlen(url) + 1;
    bytes += pairs_size(opts ? opts->headers : NULL, &nh);
    bytes += pairs_size(opts ? (const httpx_header_t *)opts->params : NULL, &np);
    size_t body_len = opts && opts->body.kind == HTTPX_BODY_BYTES ? opts->body.len : 0;
    size_t arrays = (nh + 1) * sizeof(httpx_header_t) + (np + 1) * sizeof(httpx_param_t);
    handover_t *h = httpx__malloc(hub->a, sizeof *h + arrays + bytes + body_len);
    if (!h) {
        hub_unref(hub);
        return HTTPX_E_NOMEM;
    }
    memset(h, 0, sizeof *h);
    h->hub = hub;
    h->loop = ac->loop;
    h->cb = cb;
    h->user = user;
    char *p = h->mem;
    h->headers = (httpx_header_t *)(void *)p;
    p += (nh + 1) * sizeof(httpx_header_t);
    h->params = (httpx_param_t *)(void *)p;
    p += (np + 1) * sizeof(httpx_param_t);
    for (size_t i = 0; i < nh; i++) {
        h->headers[i].name = copy_str(&p, opts->headers[i].name);
        h->headers[i].value = opts->headers[i].value ? copy_str(&p, opts->headers[i].value) : NULL;
    }
    h->headers[nh] = (httpx_header_t){0};
    for (size_t i = 0; i < np; i++) {
        h->params[i].name = copy_str(&p, opts->params[i].name);
        h->params[i].value = opts->params[i].value ? copy_str(&p, opts->params[i].value) : NULL;
    }
    h->params[np] = (httpx_param_t){0};
    h->method = copy_str(&p, method);
    h->url = copy_str(&p, url);
    if (opts) {
        h->has_body = opts->body.kind == HTTPX_BODY_BYTES;
        if (body_len)
            memcpy(p, opts->body.data, body_len);
        h->body = p;
        h->body_len = body_len;
        h->expect_continue = opts->expect_continue;
        h->timeout = opts->timeout;
        h->timeouts = opts->timeouts;
    }
    int rc = httpx__loop_post(ac->loop, run_handover, h);
    if (rc) {
        httpx__free(hub->a, h);
        hub_unref(hub);
    }
    return rc;
}
