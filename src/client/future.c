/* client/future.c — futures: an exchange feeding a response, and one report of
 * the outcome to the owner and to the user's callback. */
#include <string.h>
#include "client/exchange.h"
#include "client/future.h"
#include "core/err.h"
#include "core/mem.h"

static void future_real_free(httpx_future_t *f);

/* Run the user's callback now; it may free the future. */
static void fire(httpx_future_t *f)
{
    f->cb_due = false;
    httpx_future_cb cb = f->cb;
    if (!cb)
        return;
    f->cb = NULL; /* exactly once */
    f->depth++;
    cb(f, f->status, f->user);
    if (--f->depth == 0 && f->free_pending)
        future_real_free(f);
}

static void defer_fired(httpx_timer_t *t, void *user)
{
    (void)t;
    fire(user);
}

/* Report on the loop: straight away when the loop is delivering the result (we
 * are inside its I/O or timer callback), else on its next turn, so never from
 * inside an API call such as a client close. */
static void report(httpx_future_t *f, bool direct)
{
    if (!f->cb)
        return;
    if (direct && httpx__in_loop_callback() && !f->depth) {
        fire(f);
        return;
    }
    f->cb_due = true;
    httpx_timer_start(&f->defer, 0);
}

static void resolve(httpx_future_t *f, int status, const httpx_error_t *err, bool direct)
{
    if (f->done)
        return;
    f->done = true;
    f->status = status;
    if (status && err)
        f->err = *err;
    f->err.code = status;
    f->eng = NULL;
    if (f->owner_done)
        f->owner_done(f, f->owner);
    report(f, direct);
}

/* ---- sink: the response's, plus resolution ------------------------------------ */

static int fsink_head(httpx__exchange_t *x, const httpx__h1_head_t *h, void *user)
{
    httpx_future_t *f = user;
    int rc = httpx__response_sink.head(x, h, f->resp);
    if (rc || !f->streaming)
        return rc;
    httpx__response_attach(f->resp, f->eng, f->loop);
    f->resp->async = true;
    /* The response holds the exchange from now on, and hears its reports: the
     * future may be freed once the response is taken. */
    httpx__exchange_sink_t rs = httpx__response_sink;
    rs.user = f->resp;
    httpx__exchange_set_sink(x, &rs);
    f->x = NULL;
    resolve(f, 0, NULL, true);
    return 0;
}

static int fsink_body(httpx__exchange_t *x, const char *data, size_t len, size_t *taken, void *user)
{
    httpx_future_t *f = user;
    return httpx__response_sink.body(x, data, len, taken, f->resp);
}

static int fsink_trailers(httpx__exchange_t *x, const httpx__h1_field_t *fl, size_t n, void *user)
{
    httpx_future_t *f = user;
    return httpx__response_sink.trailers(x, fl, n, f->resp);
}

static void fsink_done(httpx__exchange_t *x, int status, const httpx_error_t *err, void *user)
{
    httpx_future_t *f = user;
    httpx_response_t *r = f->resp;
    bool direct = !f->eng->closed; /* a client close reports from the loop */
    f->x = NULL;
    httpx__response_sink.done(x, status, err, r);
    if (!status)
        status = httpx__response_finish_buffer(r);
    resolve(f, status, status ? (r->err.code ? &r->err : err) : NULL, direct);
}

static const httpx__exchange_sink_t future_sink = {fsink_head, fsink_body, fsink_trailers, fsink_done, NULL};

/* ---- life ---------------------------------------------------------------------- */

static httpx_future_t *future_alloc(const httpx_allocator_t *a, httpx_loop_t *loop)
{
    httpx_future_t *f = HTTPX__NEW(a, httpx_future_t);
    if (!f)
        return NULL;
    f->a = a;
    f->loop = loop;
    httpx__timer_init(&f->defer, loop, defer_fired, f);
    return f;
}

int httpx__future_new(httpx__engine_t *e, httpx_loop_t *loop, const char *method, const char *url,
                      const httpx_req_opts_t *opts, bool streaming, bool start, httpx_future_t **out,
                      httpx_error_t *err)
{
    *out = NULL;
    httpx_future_t *f = future_alloc(e->a, loop);
    if (!f || !(f->resp = httpx__response_new(e, streaming))) {
        if (f)
            future_real_free(f);
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
    }
    f->eng = e;
    f->streaming = streaming;
    httpx__exchange_sink_t sink = future_sink;
    sink.user = f;
    int rc = httpx__exchange_new(e, method, url, opts, &sink, &f->x, err);
    if (rc) {
        future_real_free(f);
        return rc;
    }
    f->resp->x = f->x;
    if (start)
        httpx__future_start(f);
    *out = f;
    return 0;
}

httpx_future_t *httpx__future_new_failed(const httpx_allocator_t *a, httpx_loop_t *loop, const httpx_error_t *err)
{
    httpx_future_t *f = future_alloc(a, loop);
    if (f) {
        f->done = true;
        f->status = err->code;
        f->err = *err;
    }
    return f;
}

void httpx__future_start(httpx_future_t *f)
{
    if (f->started || f->done || !f->x)
        return;
    f->started = true;
    httpx__exchange_start(f->x);
}

static void future_real_free(httpx_future_t *f)
{
    httpx__timer_release(&f->defer);
    if (f->x) {
        httpx__exchange_free(f->x);
        if (f->resp && f->resp->x == f->x)
            f->resp->x = NULL;
    }
    if (f->resp && !f->taken)
        httpx_response_free(f->resp);
    httpx__free(f->a, f);
}

/* ---- public ------------------------------------------------------------------- */

int httpx_future_then(httpx_future_t *f, httpx_future_cb cb, void *user)
{
    if (!f || !cb)
        return HTTPX_E_INVAL;
    f->cb = cb;
    f->user = user;
    if (f->done && !f->cancelled) {
        /* already known: still reported from the loop */
        f->cb_due = true;
        httpx_timer_start(&f->defer, 0);
    }
    return 0;
}

int httpx_future_wait(httpx_future_t *f)
{
    if (!f)
        return HTTPX_E_INVAL;
    if (httpx__in_loop_callback())
        return HTTPX_E_SYNC_IN_ASYNC;
    while (!f->done) {
        int rc = httpx_loop_run_once(f->loop, -1);
        if (rc)
            return rc;
    }
    return f->status;
}

bool httpx_future_done(const httpx_future_t *f) { return f && f->done; }

int httpx_future_status(const httpx_future_t *f)
{
    if (!f)
        return HTTPX_E_INVAL;
    return f->done ? f->status : HTTPX_E_BUSY;
}

const httpx_error_t *httpx_future_error(const httpx_future_t *f) { return f ? &f->err : NULL; }

int httpx_future_take(httpx_future_t *f, httpx_response_t **out)
{
    if (!f || !out)
        return HTTPX_E_INVAL;
    *out = NULL;
    if (!f->done)
        return HTTPX_E_BUSY;
    if (f->status)
        return f->status;
    if (f->taken || !f->resp)
        return HTTPX_E_STREAM_CONSUMED;
    f->taken = true;
    *out = f->resp;
    f->resp = NULL;
    return 0;
}

void httpx_future_cancel(httpx_future_t *f)
{
    if (!f || f->done)
        return;
    if (f->x) {
        httpx__exchange_free(f->x);
        if (f->resp)
            f->resp->x = NULL;
        f->x = NULL;
    }
    f->cancelled = true;
    f->cb = NULL; /* a cancelled future's callback does not fire */
    httpx_timer_stop(&f->defer);
    httpx_error_t e;
    httpx__err(&e, HTTPX_E_CANCELLED, HTTPX_PHASE_NONE, "request cancelled");
    resolve(f, HTTPX_E_CANCELLED, &e, false);
}

void httpx_future_free(httpx_future_t *f)
{
    if (!f)
        return;
    httpx_future_cancel(f);
    f->cb = NULL;
    if (f->depth) {
        f->free_pending = true;
        return;
    }
    future_real_free(f);
}
