/* client/sync.c — the synchronous API: the engine on a private loop, run until
 * the call's response (or head, for streams) is ready. No code path here does I/O
 * itself; everything goes through exchanges, exactly as the async client will. */
#include <stdio.h>
#include <string.h>
#include "client/exchange.h"
#include "client/response.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx.h"

struct httpx_client {
    httpx__engine_t eng;
    httpx_loop_t *loop;             /* private: nobody else runs it */
    httpx_error_t last;
    bool closed;
};

static int refuse_in_callback(httpx_error_t *e)
{
    if (!httpx__in_loop_callback())
        return 0;
    return httpx__err(e, HTTPX_E_SYNC_IN_ASYNC, HTTPX_PHASE_SETUP,
                      "blocking call made inside an event-loop callback; use the async client there");
}

int httpx_client_new(const httpx_client_opts_t *opts, httpx_client_t **out)
{
    if (!out)
        return HTTPX_E_INVAL;
    *out = NULL;
    const httpx_allocator_t *a = httpx__alloc_or_default(opts ? opts->allocator : NULL);
    httpx_loop_t *loop = httpx_loop_new(HTTPX_LOOP_OPTS(.allocator = a));
    if (!loop)
        return HTTPX_E_NOMEM;
    httpx_client_t *c = HTTPX__NEW(a, httpx_client_t);
    if (!c) {
        httpx_loop_free(loop);
        return HTTPX_E_NOMEM;
    }
    c->loop = loop;
    int rc = httpx__engine_init(&c->eng, loop, opts, &c->last);
    if (rc) {
        httpx__free(a, c);
        httpx_loop_free(loop);
        return rc;
    }
    *out = c;
    return 0;
}

void httpx__client_engine(httpx_client_t *c, httpx__engine_t **e, httpx_loop_t **loop);
void httpx__client_engine(httpx_client_t *c, httpx__engine_t **e, httpx_loop_t **loop)
{
    *e = &c->eng;
    *loop = c->loop;
}

const httpx_error_t *httpx_client_last_error(const httpx_client_t *c) { return c ? &c->last : NULL; }

/* Run the private loop until `*flag` (or `*or`, if not NULL) becomes true. */
static int run_until(httpx_client_t *c, const bool *flag, const bool *or)
{
    while (!*flag && !(or && *or)) {
        int rc = httpx_loop_run_once(c->loop, -1);
        if (rc)
            return rc;
    }
    return 0;
}

static void report(httpx_client_t *c, const httpx_req_opts_t *opts, const httpx_error_t *e)
{
    if (c && &c->last != e)
        c->last = *e;
    if (opts && opts->error && opts->error != e)
        *opts->error = *e;
}

static int send_request(httpx_client_t *c, const char *method, const char *url, const httpx_req_opts_t *opts,
                        bool streaming, httpx_response_t **out)
{
    httpx_error_t err = {0};
    int rc;
    if (!out) {
        rc = httpx__err(&err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "no place for the response (out is NULL)");
        goto fail;
    }
    *out = NULL;
    if (!c) {
        rc = httpx__err(&err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "client is NULL");
        goto fail;
    }
    if ((rc = refuse_in_callback(&err)))
        goto fail;
    if (opts && opts->struct_size && opts->struct_size < offsetof(httpx_req_opts_t, error) + sizeof(void *)) {
        rc = httpx__err(&err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "request options from an incompatible version");
        goto fail;
    }
    httpx_response_t *r = httpx__response_new(&c->eng, streaming);
    if (!r) {
        rc = httpx__err(&err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        goto fail;
    }
    httpx__exchange_sink_t sink = httpx__response_sink;
    sink.user = r;
    if ((rc = httpx__exchange_new(&c->eng, method, url, opts, &sink, &r->x, &err))) {
        httpx_response_free(r);
        goto fail;
    }
    httpx__exchange_start(r->x);
    /* A stream waits for its head, or for the end (a failure before any head). */
    rc = run_until(c, streaming ? &r->head_done : &r->body_done, &r->body_done);
    if (!rc && streaming && !r->head_done)
        rc = r->rc;
    if (!rc && r->body_done && r->rc && !(streaming && r->head_done))
        rc = r->rc;
    if (!rc && !streaming)
        rc = httpx__response_finish_buffer(r);
    if (rc) {
        err = r->err.code ? r->err : (httpx_error_t){.code = rc};
        if (!err.message[0])
            snprintf(err.message, sizeof err.message, "%s", httpx_strerror(rc));
        err.code = rc;
        httpx_response_free(r);
        goto fail;
    }
    if (streaming)
        httpx__response_attach(r, &c->eng, c->loop);
    httpx__err_clear(&c->last);
    *out = r;
    return 0;
fail:
    report(c, opts, &err);
    return rc;
}

int httpx_client_request(httpx_client_t *c, const char *method, const char *url, const httpx_req_opts_t *opts,
                         httpx_response_t **out)
{
    return send_request(c, method, url, opts, false, out);
}

int httpx_client_stream(httpx_client_t *c, const char *method, const char *url, const httpx_req_opts_t *opts,
                        httpx_response_t **out)
{
    return send_request(c, method, url, opts, true, out);
}

#define METHOD_FN(fn, M)                                                                              \
    int httpx_client_##fn(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts,          \
                          httpx_response_t **out)                                                     \
    {                                                                                                 \
        return send_request(c, M, url, opts, false, out);                                             \
    }
METHOD_FN(get, "GET")
METHOD_FN(head, "HEAD")
METHOD_FN(options, "OPTIONS")
METHOD_FN(delete, "DELETE")
METHOD_FN(post, "POST")
METHOD_FN(put, "PUT")
METHOD_FN(patch, "PATCH")
#undef METHOD_FN

struct httpx_cookie_jar *httpx_client_cookies(httpx_client_t *c) { return c ? c->eng.jar : NULL; }

int httpx_client_pool_stats(const httpx_client_t *c, httpx_pool_stats_t *s)
{
    if (!c || !s)
        return HTTPX_E_INVAL;
    httpx__pool_stats_t ps;
    httpx__pool_stats(c->eng.pool, &ps);
    *s = (httpx_pool_stats_t){ps.open, ps.idle, ps.connecting, ps.waiting};
    return 0;
}

void httpx_client_close(httpx_client_t *c)
{
    if (!c || c->closed)
        return;
    c->closed = true;
    httpx__engine_close(&c->eng);
}

void httpx_client_free(httpx_client_t *c)
{
    if (!c)
        return;
    httpx_client_close(c);
    httpx__engine_release(&c->eng);
    const httpx_allocator_t *a = c->eng.a;
    httpx_loop_free(c->loop);
    httpx__free(a, c);
}

/* ---- one-shot calls --------------------------------------------------------- */

static int one_shot(const char *method, const char *url, const httpx_req_opts_t *opts, bool streaming,
                    httpx_response_t **out)
{
    httpx_client_t *c;
    httpx_error_t err = {0};
    int rc = refuse_in_callback(&err);
    if (rc) {
        report(NULL, opts, &err);
        return rc;
    }
    if ((rc = httpx_client_new(NULL, &c))) {
        httpx__err(&err, rc, HTTPX_PHASE_SETUP, "cannot create a client: %s", httpx_strerror(rc));
        report(NULL, opts, &err);
        return rc;
    }
    rc = send_request(c, method, url, opts, streaming, out);
    if (rc == 0 && streaming && !(*out)->body_done) {
        (*out)->owned_client = c; /* freed with the response */
        return 0;
    }
    httpx_client_free(c);
    return rc;
}

int httpx_request(const char *method, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out)
{
    return one_shot(method, url, opts, false, out);
}
int httpx_stream(const char *method, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out)
{
    return one_shot(method, url, opts, true, out);
}
#define ONE_SHOT_FN(fn, M)                                                                      \
    int httpx_##fn(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out)       \
    {                                                                                           \
        return one_shot(M, url, opts, false, out);                                              \
    }
ONE_SHOT_FN(get, "GET")
ONE_SHOT_FN(head, "HEAD")
ONE_SHOT_FN(options, "OPTIONS")
ONE_SHOT_FN(delete, "DELETE")
ONE_SHOT_FN(post, "POST")
ONE_SHOT_FN(put, "PUT")
ONE_SHOT_FN(patch, "PATCH")
#undef ONE_SHOT_FN

const char *httpx_version(void) { return HTTPX_VERSION_STRING; }

const char *httpx_features(void)
{
    return "http1 http2 tls psl epoll c-ares idna gzip deflate"
#ifdef HTTPX_HAVE_BROTLI
           " br"
#endif
#ifdef HTTPX_HAVE_ZSTD
           " zstd"
#endif
#ifdef HTTPX_HAVE_UV
           " uv"
#endif
#ifdef HTTPX_HAVE_EVENT
           " event"
#endif
        ;
}
