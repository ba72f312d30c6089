/* client/exchange_h2.c — an exchange carried as one HTTP/2 stream.
 *
 * The request is built once, as HTTP/1.1 bytes (client/request.c); on HTTP/2 its
 * header lines become the stream's fields (the session drops what HTTP/2 forbids,
 * and Host becomes :authority), so there is one request builder for both
 * protocols. DATA goes to the same sink as HTTP/1.1 bodies; what the sink does not
 * take is held (at most a stream window) and acknowledged to the server only when
 * taken, so a slow reader stops the server instead of growing memory. */
#include <string.h>
#include "client/exchange.h"
#include "client/h2conn.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

static httpx__h2_session_t *session(const httpx__exchange_t *x) { return x->h2->s; }

/* The request body, pulled by the session as flow control allows. */
static int body_read(void *buf, size_t cap, size_t *n, bool *eof, void *user)
{
    httpx__exchange_t *x = user;
    *n = 0;
    size_t out_left = httpx__buf_size(&x->out) - x->out_sent;
    if (out_left) { /* a bytes body sits after the head */
        size_t k = out_left < cap ? out_left : cap;
        memcpy(buf, httpx__buf_ptr(&x->out) + x->out_sent, k);
        x->out_sent += k;
        *n = k;
    } else {
        if (!httpx__buf_size(&x->piece) && !x->body.ended) {
            int rc = httpx__request_next_piece(x);
            if (rc)
                return rc;
        }
        size_t k = httpx__buf_size(&x->piece) < cap ? httpx__buf_size(&x->piece) : cap;
        memcpy(buf, httpx__buf_ptr(&x->piece), k);
        httpx__buf_consume(&x->piece, k);
        *n = k;
    }
    *eof = x->out_sent == httpx__buf_size(&x->out) && !httpx__buf_size(&x->piece) && x->body.ended;
    if (x->to.write)
        x->phase_deadline = httpx_loop_now(x->eng->loop) + x->to.write;
    return 0;
}

/* Fields of a request head kept on the stack; more than this are allocated. */
#define HEAD_FIELDS_INLINE 32

/* The HTTP/1.1 head's field lines as HTTP/2 fields (slices into x->out), in
 * `inl` while they fit, else in a block *out the caller frees. */
static int head_fields(httpx__exchange_t *x, httpx__h2_field_t *inl, httpx__h2_field_t **out,
                       size_t *n)
{
    const char *p = httpx__buf_ptr(&x->out), *end = p + x->head_len - 2; /* before the blank line */
    httpx__h2_field_t *f = inl;
    size_t k = 0, cap = HEAD_FIELDS_INLINE;
    const char *line = memchr(p, '\n', (size_t)(end - p)) + 1; /* skip the request line */
    while (line < end) {
        if (k == cap) {
            httpx__h2_field_t *g = httpx__malloc(x->eng->a, 2 * cap * sizeof *g);
            if (!g) {
                if (f != inl)
                    httpx__free(x->eng->a, f);
                return HTTPX_E_NOMEM;
            }
            memcpy(g, f, k * sizeof *g);
            if (f != inl)
                httpx__free(x->eng->a, f);
            f = g;
            cap *= 2;
        }
        const char *colon = memchr(line, ':', (size_t)(end - line));
        const char *eol = memchr(colon, '\r', (size_t)(end - colon));
        f[k].name = httpx__slice(line, (size_t)(colon - line));
        f[k].value = httpx__slice(colon + 2, (size_t)(eol - colon - 2));
        k++;
        line = eol + 2;
    }
    *out = f;
    *n = k;
    return 0;
}

void httpx__h2x_begin(httpx__exchange_t *x, httpx__conn_t *c)
{
    x->conn = c;
    x->h2 = c->mux;
    x->reused = x->reused || c->requests > 0;
    /* HTTP/2 frames the body itself: a producer's pieces must not be chunked. */
    x->body.chunked = false;
    x->out_sent = x->head_len;
    httpx__h2_body_t body = {body_read, x};
    const httpx_url_t *u = x->url;
    int rc;
    if (x->head_deferred) { /* only the defaults: the engine's prepared fields, no head to split */
        rc = httpx__h2_submit_prepared(session(x), x->method, u->scheme, u->authority, u->target,
                                       x->eng->h2_defaults, x->eng->nh2_defaults, NULL, x, &x->stream_id);
    } else {
        httpx__h2_field_t inl[HEAD_FIELDS_INLINE], *fields;
        inl[0] = (httpx__h2_field_t){{0}, {0}}; /* never read when empty; quiets -Wmaybe-uninitialized */
        size_t n;
        rc = head_fields(x, inl, &fields, &n);
        if (rc) {
            x->err = (httpx_error_t){.code = rc, .phase = HTTPX_PHASE_WRITE, .message = "out of memory"};
            httpx__x_fail_err(x);
            return;
        }
        rc = httpx__h2_submit(session(x), x->method, u->scheme, u->authority, u->target, fields, n,
                              x->body.kind == HTTPX_BODY_NONE ? NULL : &body, x, &x->stream_id);
        if (fields != inl)
            httpx__free(x->eng->a, fields);
    }
    x->h2_sid = x->stream_id;
    if (rc) {
        httpx__err(&x->err, rc == HTTPX_E_CLOSED ? HTTPX_E_CONNECT : rc, HTTPX_PHASE_WRITE,
                   "%s %s: cannot open an HTTP/2 stream: %s", x->method, u->str,
                   httpx__h2_error(session(x))->message[0] ? httpx__h2_error(session(x))->message : httpx_strerror(rc));
        x->stream_id = 0;
        httpx__x_fail_err(x);
        return;
    }
    httpx__x_trace(x, "http11.send_request_headers.started");
    x->state = X_HEAD;
    httpx__x_phase(x, x->to.read, HTTPX_E_READ_TIMEOUT);
    httpx__h2conn_flush(x->h2);
}

/* Give back window for bytes the session delivered and we will not pass on. */
static void consume(httpx__exchange_t *x, size_t n)
{
    if (!n)
        return;
    x->h2_unconsumed -= n;
    httpx__h2_consume(session(x), x->h2_sid, n);
}

void httpx__h2x_detach(httpx__exchange_t *x)
{
    httpx__h2conn_t *h = x->h2;
    httpx__conn_t *c = x->conn;
    if (!h)
        return;
    if (h->c) {
        if (x->stream_id)
            httpx__h2_cancel(h->s, x->stream_id);
        /* bytes held back still count against the connection window */
        if (x->h2_unconsumed)
            httpx__h2_consume(h->s, x->h2_sid, x->h2_unconsumed);
        httpx__h2conn_flush(h); /* the reset and window updates */
    }
    x->h2_unconsumed = 0;
    httpx__buf_reset(&x->h2_pending);
    x->stream_id = 0;
    x->h2 = NULL;
    x->conn = NULL;
    if (h->c && c)
        httpx__pool_mux_done(c); /* may close the connection and free h */
}

static void complete(httpx__exchange_t *x)
{
    httpx__x_trace(x, "http11.receive_response_body.complete");
    httpx__h2x_detach(x);
    httpx__x_finish(x, 0);
}

/* Offer bytes to the sink and acknowledge what it took (*taken). A sink that takes
 * nothing pauses the stream. -1: the exchange failed or finished meanwhile. */
static int offer(httpx__exchange_t *x, const char *data, size_t len, size_t *taken)
{
    *taken = 0;
    int rc = x->sink.body(x, data, len, taken, x->sink.user);
    if (!httpx__x_alive(x) || x->state == X_DONE)
        return -1;
    if (rc) {
        httpx__err(&x->err, rc, HTTPX_PHASE_READ_BODY, "%s %s: body refused: %s", x->method, x->url->str,
                   httpx_strerror(rc));
        httpx__x_fail_err(x);
        return -1;
    }
    if (*taken > len)
        *taken = len;
    consume(x, *taken);
    if (!*taken) {
        x->paused = true;
        x->phase_deadline = 0; /* the reader, not the server, is slow */
    }
    return 0;
}

/* After delivering: nothing held means not paused, and maybe complete. `rearm`:
 * the read deadline needs setting again (the stream was paused). */
static void delivered(httpx__exchange_t *x, bool rearm)
{
    if (!httpx__buf_size(&x->h2_pending)) {
        x->paused = false;
        if (x->h2_ended)
            complete(x);
        else if (rearm && x->state == X_BODY)
            httpx__x_phase(x, x->to.read, HTTPX_E_READ_TIMEOUT);
    }
    if (x->h2)
        httpx__h2conn_flush(x->h2); /* window updates */
}

void httpx__h2x_deliver(httpx__exchange_t *x)
{
    httpx__buf_t *p = &x->h2_pending;
    while (httpx__buf_size(p)) {
        size_t taken;
        if (offer(x, httpx__buf_ptr(p), httpx__buf_size(p), &taken))
            return;
        httpx__buf_consume(p, taken);
        if (!taken)
            break;
    }
    delivered(x, true);
}

/* ---- session callbacks ------------------------------------------------------------ */

/* The body's framing as the sink knows it from HTTP/1.1: none for HEAD, 204 and 304;
 * the Content-Length when one came (nghttp2 has checked it is a number and will
 * reset a stream whose DATA disagrees); else "until the stream ends". */
static void announced_length(const httpx__exchange_t *x, httpx__h1_head_t *h)
{
    h->framing = HTTPX__H1_UNTIL_CLOSE;
    if (h->status == 204 || h->status == 304 || strcmp(x->method, "HEAD") == 0) {
        h->framing = HTTPX__H1_NO_BODY;
        return;
    }
    for (size_t i = 0; i < h->nfields; i++) {
        httpx__slice_t name = h->fields[i].name, v = h->fields[i].value;
        if (name.len != 14 || memcmp(name.ptr, "content-length", 14) != 0) /* HTTP/2 names are lower case */
            continue;
        uint64_t len = 0;
        size_t k = 0;
        for (; k < v.len && k < 19 && v.ptr[k] >= '0' && v.ptr[k] <= '9'; k++)
            len = len * 10 + (uint64_t)(v.ptr[k] - '0');
        if (k == 0 || k != v.len)
            return; /* not a plain number: leave the end to the stream */
        h->framing = len ? HTTPX__H1_LENGTH : HTTPX__H1_NO_BODY;
        h->content_length = len;
        return;
    }
}

void httpx__h2x_on_head(void *stream_user, int32_t id, int status, const httpx__h2_field_t *f, size_t n, void *user)
{
    httpx__exchange_t *x = stream_user;
    (void)id;
    (void)user;
    httpx__x_enter(x);
    if (!x->got_bytes) {
        x->got_bytes = true;
        x->times.first_byte = httpx__clock_ns();
    }
    x->status = status;
    int hop = httpx__hop_on_head(x, status, 1, (const httpx__h1_field_t *)(const void *)f, n);
    if (hop) {
        if (hop < 0) {
            httpx__x_fail_err(x);
        } else {
            httpx__h2x_detach(x); /* a hop's body is not wanted: reset the stream */
            httpx__x_rehop(x);
        }
        httpx__x_leave(x);
        return;
    }
    /* Same layout as an HTTP/1 field: name and value slices. */
    httpx__h1_head_t head = {
        .minor_version = 1,
        .status = status,
        .fields = (httpx__h1_field_t *)(void *)f,
        .nfields = n,
        .keep_alive = true,
    };
    announced_length(x, &head);
    _Static_assert(sizeof(httpx__h1_field_t) == sizeof(httpx__h2_field_t), "field layouts differ");
    httpx__x_trace(x, "http11.receive_response_headers.complete");
    int rc = x->sink.head(x, &head, x->sink.user);
    if (httpx__x_alive(x) && x->state != X_DONE) {
        if (rc) {
            httpx__err(&x->err, rc, HTTPX_PHASE_READ_HEAD, "%s %s: response refused: %s", x->method, x->url->str,
                       httpx_strerror(rc));
            httpx__x_fail_err(x);
        } else {
            x->state = X_BODY;
            httpx__x_phase(x, x->to.read, HTTPX_E_READ_TIMEOUT);
        }
    }
    httpx__x_leave(x);
}

void httpx__h2x_on_data(void *stream_user, int32_t id, const uint8_t *data, size_t len, void *user)
{
    httpx__exchange_t *x = stream_user;
    (void)id;
    (void)user;
    httpx__x_enter(x);
    x->h2_unconsumed += len;
    x->body_bytes += len;
    if (x->to.read && !x->paused)
        x->phase_deadline = httpx_loop_now(x->eng->loop) + x->to.read;
    /* Held bytes go first, in order; what is left waits for resume. Nothing held:
     * the sink reads straight from the session's buffer and only what it leaves
     * is copied. */
    size_t off = 0;
    if (!x->paused && !httpx__buf_size(&x->h2_pending)) {
        while (off < len) {
            size_t taken;
            if (offer(x, (const char *)data + off, len - off, &taken)) {
                httpx__x_leave(x);
                return;
            }
            off += taken;
            if (!taken)
                break;
        }
        if (off == len) {
            delivered(x, false); /* the deadline moved on above */
            httpx__x_leave(x);
            return;
        }
    }
    if (httpx__buf_append(&x->h2_pending, data + off, len - off)) {
        httpx__err(&x->err, HTTPX_E_NOMEM, HTTPX_PHASE_READ_BODY, "out of memory");
        httpx__x_fail_err(x);
    } else if (!x->paused) {
        httpx__h2x_deliver(x);
    }
    httpx__x_leave(x);
}

void httpx__h2x_on_trailers(void *stream_user, int32_t id, const httpx__h2_field_t *f, size_t n, void *user)
{
    httpx__exchange_t *x = stream_user;
    (void)id;
    (void)user;
    if (x->sink.trailers)
        x->sink.trailers(x, (const httpx__h1_field_t *)(const void *)f, n, x->sink.user);
}

void httpx__h2x_on_close(void *stream_user, int32_t id, const httpx__h2_close_t *info, void *user)
{
    httpx__exchange_t *x = stream_user;
    (void)id;
    (void)user;
    httpx__x_enter(x);
    x->stream_id = 0; /* closed: nothing to cancel */
    if (!info->err.code) {
        x->h2_ended = true;
        if (!httpx__buf_size(&x->h2_pending))
            complete(x);
    } else if (info->retry && x->h2_retries < 5 && httpx__request_rewind(x) == 0) {
        /* Not processed by the server (GOAWAY, REFUSED_STREAM): safe to send again,
         * whatever the method; bounded in case a server refuses forever. */
        x->h2_retries++;
        httpx__h2x_detach(x);
        httpx__x_acquire(x, info->new_connection);
    } else {
        x->err = info->err;
        if (x->err.phase == HTTPX_PHASE_NONE)
            x->err.phase = x->state == X_BODY ? HTTPX_PHASE_READ_BODY : HTTPX_PHASE_READ_HEAD;
        httpx__x_fail_err(x);
    }
    httpx__x_leave(x);
}
