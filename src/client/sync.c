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
    httpx__link_t streams;          /* open streaming responses */
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
    c->streams.prev = c->streams.next = &c->streams;
    int rc = httpx__engine_init(&c->eng, loop, opts, &c->last);
    if (rc) {
        httpx__free(a, c);
        httpx_loop_free(loop);
        return rc;
    }
    *out = c;
    return 0;
}

const httpx_error_t *httpx_client_last_error(const httpx_client_t *c) { return c ? &c->last : NULL; }

/* Run the private loop until `*flag` becomes true. */
static int run_until(httpx_client_t *c, const bool *flag)
{
    while (!*flag) {
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
    rc = run_until(c, streaming ? &r->head_done : &r->body_done);
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
    if (streaming && !r->body_done) {
        r->client = c;
        r->client_link.next = c->streams.next;
        r->client_link.prev = &c->streams;
        c->streams.next->prev = &r->client_link;
        c->streams.next = &r->client_link;
    } else if (streaming) {
        r->client = NULL; /* body already complete: nothing left to pull from the loop */
    }
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
    while (c->streams.next != &c->streams) {
        httpx_response_t *r = (httpx_response_t *)((char *)c->streams.next - offsetof(httpx_response_t, client_link));
        httpx__response_detach(r);
    }
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
    if (rc == 0 && streaming && (*out)->client) {
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

/* ---- streaming responses ---------------------------------------------------- */

/* Check that a body call may proceed, and choose the mode on first use. */
static int stream_begin(httpx_response_t *r, httpx__body_mode_t mode)
{
    if (!r)
        return HTTPX_E_INVAL;
    if (!r->streaming)
        return HTTPX_E_STREAM_CONSUMED; /* a buffered response's body was read already */
    if (r->closed)
        return HTTPX_E_STREAM_CLOSED;
    if (r->mode != HTTPX__BODY_PENDING && r->mode != mode)
        return HTTPX_E_STREAM_CONSUMED;
    if (r->consumed)
        return HTTPX_E_STREAM_CONSUMED;
    if (httpx__in_loop_callback())
        return HTTPX_E_SYNC_IN_ASYNC;
    r->mode = mode;
    return 0;
}

/* The body's final status once everything was delivered. */
static int body_status(httpx_response_t *r)
{
    if (r->rc == HTTPX_E_CLOSED)
        return HTTPX_E_STREAM_CLOSED;
    return r->rc;
}

int httpx_response_read(httpx_response_t *r)
{
    int rc = stream_begin(r, HTTPX__BODY_BUFFER);
    if (rc)
        return rc;
    if (r->x) {
        httpx__exchange_resume(r->x);
        if (r->client && (rc = run_until(r->client, &r->body_done)))
            return rc;
    }
    if (!r->body_done)
        return HTTPX_E_STREAM_CLOSED;
    if ((rc = body_status(r)))
        return rc;
    return httpx__response_finish_buffer(r);
}

static int pull(httpx_response_t *r, httpx__body_mode_t mode, void *buf, size_t cap, size_t *n)
{
    if (!n || (!buf && cap))
        return HTTPX_E_INVAL;
    *n = 0;
    int rc = stream_begin(r, mode);
    if (rc)
        return rc;
    if (!cap)
        return 0;
    r->out = buf;
    r->out_cap = cap;
    r->out_len = 0;
    if (r->x)
        httpx__exchange_resume(r->x);
    while (!r->out_len && !r->body_done && r->client) {
        if ((rc = httpx_loop_run_once(r->client->loop, -1)))
            break;
    }
    /* The body ended: flush what the decoder still holds. */
    if (!rc && r->body_done && !r->rc && r->out_len < cap && mode == HTTPX__BODY_STREAM && r->dec &&
        !r->dec_done) {
        const uint8_t *in = NULL;
        size_t in_len = 0, produced = 0;
        int drc = httpx__decoder_run(r->dec, &in, &in_len, true, r->out + r->out_len, cap - r->out_len,
                                     &produced, &r->err);
        if (drc < 0)
            rc = drc;
        else {
            r->out_len += produced;
            r->dec_done = drc == 1;
        }
    }
    *n = r->out_len;
    r->out = NULL;
    r->out_cap = r->out_len = 0;
    if (rc)
        return rc;
    if (*n)
        return 0;
    if (!r->body_done)
        return HTTPX_E_STREAM_CLOSED;
    if ((rc = body_status(r)))
        return rc;
    r->consumed = true;
    return 0;
}

int httpx_response_stream(httpx_response_t *r, void *buf, size_t cap, size_t *n)
{
    return pull(r, HTTPX__BODY_STREAM, buf, cap, n);
}

int httpx_response_raw(httpx_response_t *r, void *buf, size_t cap, size_t *n)
{
    return pull(r, HTTPX__BODY_RAW, buf, cap, n);
}

void httpx_response_close(httpx_response_t *r)
{
    if (!r || !r->streaming || r->closed)
        return;
    if (r->x) {
        /* Not drained: the connection cannot be reused and is closed. */
        httpx__exchange_free(r->x);
        r->x = NULL;
    }
    if (r->client) {
        r->client_link.prev->next = r->client_link.next;
        r->client_link.next->prev = r->client_link.prev;
        r->client_link.prev = r->client_link.next = &r->client_link;
        r->client = NULL;
    }
    if (!r->body_done) {
        r->body_done = true;
        r->rc = HTTPX_E_STREAM_CLOSED;
    }
    r->closed = true;
}

void httpx_response_free(httpx_response_t *r)
{
    if (!r)
        return;
    httpx_response_close(r);
    if (r->x)
        httpx__exchange_free(r->x);
    httpx__decoder_free(r->dec);
    httpx_headers_free(r->headers);
    httpx_headers_free(r->trailers);
    httpx__buf_release(&r->content);
    const httpx_allocator_t *a = r->a;
    httpx__free(a, r->reason);
    httpx__free(a, r->url);
    httpx__free(a, r->text);
    httpx_client_t *owned = r->owned_client;
    httpx__free(a, r);
    httpx_client_free(owned);
}

const char *httpx_version(void) { return HTTPX_VERSION_STRING; }

const char *httpx_features(void)
{
    return "http1 epoll c-ares idna gzip deflate"
#ifdef HTTPX_HAVE_BROTLI
           " br"
#endif
#ifdef HTTPX_HAVE_ZSTD
           " zstd"
#endif
        ;
}
