/* client/response_body.c — taking a response's body: the blocking pulls (read,
 * stream, raw) that run the response's loop, the async deliveries (callbacks with
 * pause/resume), close and free. Shared by the sync and the async client. */
#include <string.h>
#include "client/exchange.h"
#include "client/response.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx.h"

/* Check that a body call may proceed, and choose the mode on first use. */
static int body_begin(httpx_response_t *r, httpx__body_mode_t mode, bool blocking)
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
    if (blocking && httpx__in_loop_callback())
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

/* Run the response's loop once; the body cannot progress without one. */
static int run_once(httpx_response_t *r)
{
    if (!r->loop)
        return HTTPX_E_STREAM_CLOSED;
    return httpx_loop_run_once(r->loop, -1);
}

int httpx_response_read(httpx_response_t *r)
{
    int rc = body_begin(r, HTTPX__BODY_BUFFER, true);
    if (rc)
        return rc;
    if (r->x)
        httpx__exchange_resume(r->x);
    while (!r->body_done)
        if ((rc = run_once(r)))
            return rc;
    if ((rc = body_status(r)))
        return rc;
    return httpx__response_finish_buffer(r);
}

static int pull(httpx_response_t *r, httpx__body_mode_t mode, void *buf, size_t cap, size_t *n)
{
    if (!n || (!buf && cap))
        return HTTPX_E_INVAL;
    *n = 0;
    if (!cap)
        return HTTPX_E_INVAL; /* 0 bytes with 0 returned would mean "the end" */
    int rc = body_begin(r, mode, true);
    if (rc)
        return rc;
    r->out = buf;
    r->out_cap = cap;
    r->out_len = 0;
    if (r->x)
        httpx__exchange_resume(r->x);
    while (!r->out_len && !r->body_done)
        if ((rc = run_once(r)))
            break;
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

/* ---- async delivery ------------------------------------------------------- */

static int deliver_async(httpx_response_t *r, httpx_body_cb cb, void *user, bool raw, bool buffer)
{
    if (!r || !cb || !r->async)
        return HTTPX_E_INVAL; /* a sync client's stream is pulled, not delivered */
    if (r->body_cb)
        return HTTPX_E_STREAM_CONSUMED; /* one delivery per body */
    if (r->streaming && !r->loop && !r->body_done)
        return HTTPX_E_STREAM_CLOSED;
    int rc = body_begin(r, HTTPX__BODY_CALLBACK, false);
    if (rc)
        return rc;
    r->body_cb = cb;
    r->body_user = user;
    r->cb_raw = raw;
    r->cb_buffer = buffer;
    /* Deliver from the loop, never from inside this call: held bytes are handed
     * over by resume on the next turn. */
    httpx__response_schedule_resume(r);
    return 0;
}

int httpx_response_stream_async(httpx_response_t *r, httpx_body_cb cb, void *user)
{
    return deliver_async(r, cb, user, false, false);
}

int httpx_response_raw_async(httpx_response_t *r, httpx_body_cb cb, void *user)
{
    return deliver_async(r, cb, user, true, false);
}

int httpx_response_read_async(httpx_response_t *r, httpx_body_cb cb, void *user)
{
    return deliver_async(r, cb, user, false, true);
}

void httpx_response_pause(httpx_response_t *r)
{
    if (r)
        r->paused = true;
}

void httpx_response_resume(httpx_response_t *r)
{
    if (!r || !r->paused)
        return;
    r->paused = false;
    if (r->mode == HTTPX__BODY_CALLBACK)
        httpx__response_schedule_resume(r);
}

/* ---- close and free ---------------------------------------------------------- */

void httpx_response_close(httpx_response_t *r)
{
    if (!r || !r->streaming || r->closed)
        return;
    if (r->x) {
        /* Not drained: the connection cannot be reused and is closed. */
        httpx__exchange_free(r->x);
        r->x = NULL;
    }
    if (r->stream_link.next != &r->stream_link) {
        r->stream_link.prev->next = r->stream_link.next;
        r->stream_link.next->prev = r->stream_link.prev;
        r->stream_link.prev = r->stream_link.next = &r->stream_link;
    }
    r->loop = NULL;
    r->eng = NULL;
    if (r->resume_timer_live) {
        httpx__timer_release(&r->resume_timer);
        r->resume_timer_live = false;
    }
    if (!r->body_done) {
        r->body_done = true;
        r->rc = HTTPX_E_STREAM_CLOSED;
    }
    r->closed = true;
}

void httpx__response_real_free(httpx_response_t *r)
{
    httpx_response_close(r);
    if (r->x)
        httpx__exchange_free(r->x);
    httpx__decoder_free(r->dec);
    httpx_headers_free(r->headers);
    httpx_headers_free(r->trailers);
    httpx__buf_release(&r->content);
    const httpx_allocator_t *a = r->a;
    if (!r->block) {
        httpx__free(a, r->reason);
        httpx__free(a, r->url);
    }
    httpx__free(a, r->block); /* after the headers and content that borrowed from it */
    httpx__free(a, r->text);
    for (size_t i = 0; i < r->nhistory; i++)
        httpx__response_real_free(r->history[i]);
    httpx__free(a, r->history);
    httpx__free(a, r->next_url);
    httpx_client_t *owned = r->owned_client;
    httpx__free(a, r);
    httpx_client_free(owned);
}

void httpx_response_free(httpx_response_t *r)
{
    if (!r)
        return;
    if (r->cb_depth) {
        /* inside its own body callback: finish when the callback returns */
        httpx_response_close(r);
        r->free_pending = true;
        return;
    }
    httpx__response_real_free(r);
}
