/* client/exchange.c — one request/response over HTTP/1.1: the state machine.
 *
 * pool → connect → send (head, body; or head, wait for 100, body) → head → body → done.
 * One timer per exchange carries both the phase deadline (pool, connect, write,
 * read) and the total deadline; progress only moves the phase deadline forward and
 * the timer re-arms itself lazily when it fires early, so a read costs no heap
 * operation. Sink callbacks may free the exchange: entry points hold `depth` and
 * the free is deferred until the outermost one returns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "client/exchange.h"
#include "client/h2conn.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#define READ_CHUNK (64 * 1024)
#define CONTINUE_WAIT_MS 1000
#define CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static void x_send(httpx__exchange_t *x);
static void x_process(httpx__exchange_t *x);
static void on_readable(httpx__exchange_t *x);
static void x_acquire(httpx__exchange_t *x, bool fresh);
static void x_real_free(httpx__exchange_t *x);

/* ---- reentrancy guard ---------------------------------------------------- */

static void enter(httpx__exchange_t *x) { x->depth++; }
/* Returns false when the exchange was freed meanwhile. */
static bool leave(httpx__exchange_t *x)
{
    if (--x->depth == 0 && x->free_pending) {
        x_real_free(x);
        return false;
    }
    return true;
}
static bool alive(const httpx__exchange_t *x) { return !x->free_pending; }

/* ---- timer ---------------------------------------------------------------- */

static uint64_t now_ms(httpx__exchange_t *x) { return httpx_loop_now(x->eng->loop); }

/* 0, or HTTPX_E_NOMEM when the timer could not be armed (the request must then
 * fail: running without its deadlines is not an option). */
static int timer_sync(httpx__exchange_t *x)
{
    uint64_t due = x->phase_deadline;
    if (x->total_deadline && (!due || x->total_deadline < due))
        due = x->total_deadline;
    if (!due) {
        httpx_timer_stop(&x->timer);
        return 0;
    }
    /* A later deadline is picked up when the armed timer fires (lazy re-arm). */
    if (httpx__timer_active(&x->timer) && x->timer.deadline <= due)
        return 0;
    uint64_t now = now_ms(x);
    return httpx_timer_start(&x->timer, due > now ? due - now : 0);
}

static void fail(httpx__exchange_t *x, int code, httpx_phase_t ph, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void phase(httpx__exchange_t *x, uint64_t ms, int code)
{
    x->phase_deadline = ms ? now_ms(x) + ms : 0;
    x->phase_code = code;
    if (timer_sync(x))
        fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_NONE, "out of memory (timer)");
}

/* ---- finishing -------------------------------------------------------------- */

static void drop_conn(httpx__exchange_t *x)
{
    if (x->h2) {
        httpx__h2x_detach(x);
        return;
    }
    if (x->conn) {
        httpx__conn_t *c = x->conn;
        x->conn = NULL;
        httpx__conn_close(c);
    }
}

static void x_rehop(httpx__exchange_t *x);

static void finish(httpx__exchange_t *x, int status)
{
    if (x->state == X_DONE)
        return;
    if (status == 0 && x->discard) {
        x_rehop(x); /* the redirect's or challenge's body is drained: next hop */
        return;
    }
    x->state = X_DONE;
    x->times.end = httpx__clock_ns();
    httpx__pool_cancel_wait(x->eng->pool, &x->waiter);
    httpx_timer_stop(&x->timer);
    x->phase_deadline = x->total_deadline = 0;
    if (status)
        drop_conn(x);
    httpx__x_trace(x, status ? "request.failed" : "http11.response_closed");
    if (x->link.next != &x->link) {
        x->link.prev->next = x->link.next;
        x->link.next->prev = x->link.prev;
        x->link.prev = x->link.next = &x->link;
    }
    if (x->sink.done)
        x->sink.done(x, status, status ? &x->err : NULL, x->sink.user);
}

static void deferred_fail(httpx_timer_t *t, void *user);

/* Fail with x->err already filled. Inside httpx__exchange_start the report is
 * deferred to the loop, so callbacks never run from inside the starting call. */
static void fail_err(httpx__exchange_t *x)
{
    if (x->state == X_DONE)
        return;
    if (x->in_start) {
        drop_conn(x);
        httpx__pool_cancel_wait(x->eng->pool, &x->waiter);
        x->timer.cb = deferred_fail;
        x->phase_deadline = x->total_deadline = 0;
        httpx_timer_start(&x->timer, 0);
        return;
    }
    finish(x, x->err.code);
}

__attribute__((format(printf, 4, 5)))
static void fail(httpx__exchange_t *x, int code, httpx_phase_t ph, const char *fmt, ...)
{
    if (x->state == X_DONE)
        return;
    x->err.code = code;
    x->err.phase = ph;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err.message, sizeof x->err.message, fmt, ap);
    va_end(ap);
    fail_err(x);
}

static const char *host_of(const httpx__exchange_t *x) { return x->url->authority; }

static void on_timer(httpx_timer_t *t, void *user)
{
    httpx__exchange_t *x = user;
    (void)t;
    uint64_t now = now_ms(x);
    enter(x);
    if (x->total_deadline && now >= x->total_deadline) {
        fail(x, HTTPX_E_TOTAL_TIMEOUT, x->state == X_BODY ? HTTPX_PHASE_READ_BODY : HTTPX_PHASE_READ_HEAD,
             "%s %s: total deadline of %llu ms exceeded", x->method, x->url->str,
             (unsigned long long)x->to.total);
    } else if (x->phase_deadline && now >= x->phase_deadline) {
        if (x->state == X_BACKOFF) {
            x_acquire(x, false); /* the retry's wait is over */
        } else if (x->state == X_CONTINUE) {
            /* No 100 in time: send the body anyway (RFC 9110 §10.1.1). */
            x->continue_done = true;
            x->state = X_SEND;
            phase(x, x->to.write, HTTPX_E_WRITE_TIMEOUT);
            x_send(x);
        } else {
            static const httpx_phase_t phase_of[] = {
                [X_POOL] = HTTPX_PHASE_POOL, [X_CONNECTING] = HTTPX_PHASE_CONNECT,
                [X_SEND] = HTTPX_PHASE_WRITE, [X_HEAD] = HTTPX_PHASE_READ_HEAD,
                [X_BODY] = HTTPX_PHASE_READ_BODY};
            httpx_phase_t ph = x->state <= X_BODY ? phase_of[x->state] : HTTPX_PHASE_NONE;
            fail(x, x->phase_code, ph, "%s %s: %s after %llu ms (%s)", x->method, x->url->str,
                 httpx_strerror(x->phase_code),
                 (unsigned long long)(x->phase_code == HTTPX_E_POOL_TIMEOUT      ? x->to.pool
                                      : x->phase_code == HTTPX_E_CONNECT_TIMEOUT ? x->to.connect
                                      : x->phase_code == HTTPX_E_WRITE_TIMEOUT   ? x->to.write
                                                                                 : x->to.read),
                 httpx_phase_name(ph));
        }
    } else if (x->state != X_DONE && timer_sync(x)) {
        fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_NONE, "out of memory (timer)");
    }
    leave(x);
}

static void deferred_fail(httpx_timer_t *t, void *user)
{
    httpx__exchange_t *x = user;
    t->cb = on_timer;
    enter(x);
    finish(x, x->err.code);
    leave(x);
}

static int copy_err(httpx__exchange_t *x, int rc, const httpx_error_t *e)
{
    x->err = *e;
    x->err.code = rc;
    return rc;
}

/* ---- retry on a stale kept-alive connection ------------------------------ */

/* A reused connection failed before any response byte: the server had closed it.
 * An idempotent request with a replayable body is sent again, once, on a new one. */
static bool try_stale_retry(httpx__exchange_t *x)
{
    if (!x->reused || x->retried || x->got_bytes || !x->idempotent)
        return false;
    if (httpx__request_rewind(x) != 0)
        return false;
    x->retried = true;
    drop_conn(x);
    x->reused = false;
    x->scan = 0;
    x_acquire(x, true);
    return true;
}

/* ---- writing ---------------------------------------------------------------- */

static void start_reading(httpx__exchange_t *x)
{
    httpx__x_trace(x, "http11.send_request_body.complete");
    x->state = X_HEAD;
    phase(x, x->to.read, HTTPX_E_READ_TIMEOUT);
    if (httpx__conn_want(x->conn, HTTPX_IO_READ))
        fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_WRITE, "cannot watch the connection");
    else if (httpx__buf_size(&x->conn->rbuf))
        x_process(x); /* a response (e.g. early 100) was already read */
}

static void x_send(httpx__exchange_t *x)
{
    for (;;) {
        /* With Expect: 100-continue, only the head goes until the 100 arrives. */
        bool head_only = x->expect_continue && !x->continue_done;
        size_t out_end = head_only ? x->head_len : httpx__buf_size(&x->out);
        size_t out_left = out_end - x->out_sent;
        size_t piece_left = head_only ? 0 : httpx__buf_size(&x->piece);
        if (!out_left && !piece_left) {
            if (head_only) {
                x->state = X_CONTINUE;
                phase(x, CONTINUE_WAIT_MS, 0);
                if (httpx__conn_want(x->conn, HTTPX_IO_READ))
                    fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_WRITE, "cannot watch the connection");
                return;
            }
            if (x->body.ended)
                break;
            if (httpx__request_next_piece(x)) {
                fail_err(x);
                return;
            }
            continue;
        }
        struct iovec iov[2];
        int n = 0;
        if (out_left)
            iov[n++] = (struct iovec){httpx__buf_ptr(&x->out) + x->out_sent, out_left};
        if (piece_left)
            iov[n++] = (struct iovec){httpx__buf_ptr(&x->piece), piece_left};
        size_t w = 0;
        httpx_error_t e = {0};
        int rc = httpx__conn_send(x->conn, iov, n, &w, &e);
        if (rc == HTTPX__CONN_AGAIN) {
            phase(x, x->to.write, HTTPX_E_WRITE_TIMEOUT);
            /* Also watch reads: a server may answer (and close) before taking the body. */
            if (httpx__conn_want(x->conn, x->conn->want | HTTPX_IO_READ))
                fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_WRITE, "cannot watch the connection");
            return;
        }
        if (rc < 0) {
            /* A kept-alive connection the server had closed: try once more. */
            if (try_stale_retry(x))
                return;
            copy_err(x, rc, &e);
            fail_err(x);
            return;
        }
        size_t done = w;
        size_t from_out = done < out_left ? done : out_left;
        x->out_sent += from_out;
        httpx__buf_consume(&x->piece, done - from_out);
        if (x->to.write)
            x->phase_deadline = now_ms(x) + x->to.write;
    }
    start_reading(x);
}

static void begin_send(httpx__exchange_t *x)
{
    if (httpx__request_head_ready(x)) {
        fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_WRITE, "out of memory");
        return;
    }
    httpx__x_trace(x, "http11.send_request_headers.started");
    x->state = X_SEND;
    phase(x, x->to.write, HTTPX_E_WRITE_TIMEOUT);
    x_send(x);
}

/* ---- reading ---------------------------------------------------------------- */

static void complete(httpx__exchange_t *x)
{
    httpx__conn_t *c = x->conn;
    if (httpx__buf_size(&x->trailers) && x->sink.trailers && !x->discard) {
        httpx_error_t e = {0};
        int n = httpx__h1_parse_fields(httpx__buf_ptr(&x->trailers), httpx__buf_size(&x->trailers),
                                       c->fields, x->eng->limits.max_header_count, &e);
        if (n < 0) {
            copy_err(x, n, &e);
            fail_err(x);
            return;
        }
        int rc = x->sink.trailers(x, c->fields, (size_t)n, x->sink.user);
        if (!alive(x))
            return;
        if (rc) {
            fail(x, rc, HTTPX_PHASE_READ_BODY, "trailers refused: %s", httpx_strerror(rc));
            return;
        }
    }
    /* Reusable only if the message ended cleanly with nothing after it. */
    bool reuse = x->keep_alive && !x->body_unsent && x->state == X_BODY &&
                 httpx__buf_size(&c->rbuf) == 0 && x->body.ended &&
                 x->out_sent == httpx__buf_size(&x->out) && httpx__buf_size(&x->piece) == 0;
    httpx__x_trace(x, "http11.receive_response_body.complete");
    x->conn = NULL;
    if (reuse)
        httpx__pool_release(c);
    else
        httpx__conn_close(c);
    finish(x, 0);
}

/* Hand payload to the sink; stop when it takes less (backpressure). */
static void deliver(httpx__exchange_t *x)
{
    httpx__buf_t *rb = &x->conn->rbuf;
    for (;;) {
        if (x->pend_len) {
            size_t taken = x->pend_len; /* a hop's body is dropped */
            int rc = x->discard ? 0 : x->sink.body(x, httpx__buf_ptr(rb), x->pend_len, &taken, x->sink.user);
            if (!alive(x) || x->state == X_DONE)
                return;
            if (rc) {
                fail(x, rc, HTTPX_PHASE_READ_BODY, "%s %s: body refused: %s", x->method, x->url->str,
                     x->err.code == rc && x->err.message[0] ? x->err.message : httpx_strerror(rc));
                return;
            }
            if (taken > x->pend_len)
                taken = x->pend_len;
            httpx__buf_consume(rb, taken);
            x->pend_len -= taken;
            if (x->pend_len) {
                if (!x->paused) {
                    x->paused = true;
                    x->phase_deadline = 0; /* the reader, not the server, is slow */
                    httpx__conn_want(x->conn, 0);
                }
                return;
            }
            httpx__buf_consume(rb, x->post_skip);
            x->post_skip = 0;
        }
        if (x->framing.done) {
            complete(x);
            return;
        }
        size_t avail = httpx__buf_size(rb);
        if (!avail)
            break;
        size_t used = 0;
        httpx__slice_t data = {0}, trailer = {0};
        httpx_error_t e = {0};
        const char *base = httpx__buf_ptr(rb);
        int rc = httpx__h1_body_feed(&x->framing, base, avail, &used, &data, &trailer, &e);
        if (rc < 0) {
            copy_err(x, rc, &e);
            snprintf(x->err.message, sizeof x->err.message, "%s: %s", host_of(x), e.message);
            fail_err(x);
            return;
        }
        if (trailer.len) {
            int trc = httpx__buf_append(&x->trailers, trailer.ptr, trailer.len);
            if (trc) {
                fail(x, trc == HTTPX_E_NOMEM ? trc : HTTPX_E_HEADER_LIMIT, HTTPX_PHASE_READ_BODY,
                     "trailers from %s exceed the limit", host_of(x));
                return;
            }
        }
        if (data.len) {
            size_t prefix = (size_t)(data.ptr - base);
            httpx__buf_consume(rb, prefix);
            x->pend_len = data.len;
            x->post_skip = used - prefix - data.len;
            x->body_bytes += data.len;
        } else {
            httpx__buf_consume(rb, used);
        }
        if (!data.len && !used && !x->framing.done)
            break;
    }
    if (x->paused) {
        x->paused = false;
        phase(x, x->to.read, HTTPX_E_READ_TIMEOUT);
        if (httpx__conn_want(x->conn, HTTPX_IO_READ)) {
            fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_READ_BODY, "cannot watch the connection");
            return;
        }
        if (httpx__conn_pending(x->conn))
            on_readable(x); /* decrypted bytes wait inside TLS: no fd event will come */
    }
}

static void on_head(httpx__exchange_t *x, const httpx__h1_head_t *h, size_t head_bytes)
{
    if (h->status < 200) {
        httpx__buf_consume(&x->conn->rbuf, head_bytes);
        x->scan = 0;
        /* Without a cap an endless 1xx stream holds the request until a total
         * deadline, and there is none by default. */
        size_t cap = HTTPX__INTERIM_HEADS * x->eng->limits.max_header_bytes;
        if ((x->interim_bytes += head_bytes) > cap) {
            fail(x, HTTPX_E_HEADER_LIMIT, HTTPX_PHASE_READ_HEAD,
                 "%s sent more than %zu bytes of 1xx interim responses", host_of(x), cap);
            return;
        }
        if (h->status == 101) {
            fail(x, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_READ_HEAD,
                 "%s answered 101 Switching Protocols to a request that did not ask to upgrade", host_of(x));
            return;
        }
        if (x->state == X_CONTINUE && h->status == 100) {
            x->continue_done = true;
            x->state = X_SEND;
            phase(x, x->to.write, HTTPX_E_WRITE_TIMEOUT);
            x_send(x);
        }
        return; /* other 1xx (103 Early Hints...) are informational: skip */
    }
    if (x->state == X_CONTINUE || x->state == X_SEND) {
        /* A final answer before the body went out: the body is abandoned, and the
         * connection cannot be trusted to be at a message boundary. */
        x->body_unsent = true;
        x->state = X_HEAD;
        x->body.ended = true;
        httpx__conn_want(x->conn, HTTPX_IO_READ); /* stop asking for writability */
    }
    x->status = h->status;
    x->keep_alive = h->keep_alive;
    int hop = httpx__hop_on_head(x, h->status, h->minor_version, h->fields, h->nfields);
    if (hop < 0) {
        fail_err(x);
        return;
    }
    if (hop) {
        /* Drain a small body to keep the connection; else drop the connection. */
        x->discard = true;
        httpx__buf_consume(&x->conn->rbuf, head_bytes);
        bool drain = h->framing == HTTPX__H1_NO_BODY ||
                     (h->framing == HTTPX__H1_LENGTH && h->content_length <= 65536 && x->keep_alive);
        if (!drain) {
            drop_conn(x);
            x_rehop(x);
            return;
        }
        httpx__h1_limits_t hl = {x->eng->limits.max_header_bytes, x->eng->limits.max_header_count};
        httpx__h1_body_init(&x->framing, h->framing, h->content_length, &hl);
        x->state = X_BODY;
        deliver(x);
        return;
    }
    httpx__x_trace(x, "http11.receive_response_headers.complete");
    int rc = x->sink.head(x, h, x->sink.user);
    if (!alive(x) || x->state == X_DONE)
        return;
    if (rc) {
        fail(x, rc, HTTPX_PHASE_READ_HEAD, "%s %s: response refused: %s", x->method, x->url->str,
             httpx_strerror(rc));
        return;
    }
    httpx__buf_consume(&x->conn->rbuf, head_bytes);
    httpx__h1_limits_t lim = {x->eng->limits.max_header_bytes, x->eng->limits.max_header_count};
    httpx__h1_body_init(&x->framing, h->framing, h->content_length, &lim);
    x->state = X_BODY;
    deliver(x);
}

static void x_process(httpx__exchange_t *x)
{
    while (alive(x) && x->conn && (x->state == X_HEAD || x->state == X_CONTINUE || x->state == X_SEND)) {
        httpx__buf_t *rb = &x->conn->rbuf;
        if (!httpx__buf_size(rb))
            return;
        httpx__h1_limits_t lim = {x->eng->limits.max_header_bytes, x->eng->limits.max_header_count};
        httpx__h1_head_t head;
        httpx_error_t e = {0};
        int rc = httpx__h1_parse_head(httpx__buf_ptr(rb), httpx__buf_size(rb), &x->scan, x->method,
                                      &lim, x->conn->fields, &head, &e);
        if (rc == 0)
            return;
        if (rc < 0) {
            copy_err(x, rc, &e);
            snprintf(x->err.message, sizeof x->err.message, "%s: %s", host_of(x), e.message);
            fail_err(x);
            return;
        }
        on_head(x, &head, (size_t)rc);
    }
    if (alive(x) && x->state == X_BODY && !x->paused)
        deliver(x);
}

/* The connection ended (code 0: a clean close) or failed while reading. */
static void on_eof(httpx__exchange_t *x, int code, const httpx_error_t *e)
{
    if (x->state == X_BODY && code == 0) {
        httpx_error_t be = {0};
        int rc = httpx__h1_body_eof(&x->framing, &be);
        if (rc) {
            copy_err(x, rc, &be);
            snprintf(x->err.message, sizeof x->err.message, "%s %s: %s", x->method, x->url->str, be.message);
            fail_err(x);
            return;
        }
        x->keep_alive = false;
        deliver(x);
        return;
    }
    /* Nothing of a response yet on a kept-alive connection: the server had closed it. */
    if (!x->got_bytes && try_stale_retry(x))
        return;
    httpx_phase_t ph = x->state == X_BODY ? HTTPX_PHASE_READ_BODY : HTTPX_PHASE_READ_HEAD;
    if (code) {
        copy_err(x, code, e);
        x->err.phase = ph;
        fail_err(x);
        return;
    }
    fail(x, HTTPX_E_SERVER_DISCONNECTED, ph, "%s %s: server disconnected without sending a complete response%s",
         x->method, x->url->str, x->got_bytes ? " (head incomplete)" : "");
}

static void on_readable(httpx__exchange_t *x)
{
    /* TLS may hold decrypted bytes the fd will not signal: read until it is empty. */
    do {
        httpx__buf_t *rb = &x->conn->rbuf;
        int rc = httpx__buf_reserve(rb, READ_CHUNK);
        if (rc == HTTPX_E_NOMEM) {
            fail(x, HTTPX_E_NOMEM, x->state == X_BODY ? HTTPX_PHASE_READ_BODY : HTTPX_PHASE_READ_HEAD, "out of memory");
            return;
        }
        if (rc) {
            /* The buffer is at its cap: only a head can fill it. */
            fail(x, HTTPX_E_HEADER_LIMIT, HTTPX_PHASE_READ_HEAD, "%s: response head exceeds %zu bytes", host_of(x),
                 x->eng->limits.max_header_bytes);
            return;
        }
        size_t n = 0;
        httpx_error_t e = {0};
        rc = httpx__conn_recv(x->conn, httpx__buf_tail(rb), httpx__buf_room(rb), &n, &e);
        if (rc == HTTPX__CONN_AGAIN) {
            /* TLS wants to write to read on */
            if (x->conn->want != HTTPX_IO_READ && httpx__conn_want(x->conn, x->conn->want | HTTPX_IO_READ))
                fail(x, HTTPX_E_NOMEM, HTTPX_PHASE_READ_BODY, "cannot watch the connection");
            return;
        }
        if (rc < 0 || n == 0) {
            on_eof(x, rc, &e);
            return;
        }
        httpx__buf_commit(rb, n);
        if (!x->got_bytes) {
            x->got_bytes = true;
            x->times.first_byte = httpx__clock_ns();
        }
        if (x->to.read)
            x->phase_deadline = now_ms(x) + x->to.read;
        x_process(x);
    } while (alive(x) && x->conn && x->state != X_DONE && !x->paused && httpx__conn_pending(x->conn));
}

static void on_conn_io(httpx__conn_t *c, int events, void *user)
{
    httpx__exchange_t *x = user;
    (void)c;
    enter(x);
    if (x->state == X_SEND && (events & HTTPX_IO_WRITE))
        x_send(x);
    if (alive(x) && x->conn && x->state != X_DONE && (events & (HTTPX_IO_READ | HTTPX_IO_ERROR)) &&
        !x->paused)
        on_readable(x);
    leave(x);
}

/* ---- connection ------------------------------------------------------------- */

static void on_connected(httpx__conn_t *c, int status, const httpx_error_t *err, void *user)
{
    httpx__exchange_t *x = user;
    enter(x);
    if (status) {
        x->conn = NULL; /* already closed by the pool */
        x->err = *err;
        x->err.code = status;
        /* Connect failures (not certificate ones) are retried by the policy. */
        if (x->eng->retry.max && httpx_error_is(status, HTTPX_E_CONNECT) && !httpx_error_is(status, HTTPX_E_TLS) &&
            !x->in_start && httpx__hop_retry_allowed(x, -1)) {
            x->state = X_BACKOFF;
            phase(x, x->retry_delay_ms ? x->retry_delay_ms : 1, 0);
            x->retry_delay_ms = 0;
        } else {
            fail_err(x);
        }
    } else {
        x->conn = c;
        x->times.connect = c->info.connected_ns;
        x->times.dns = c->info.dns_done_ns;
        x->times.tls = c->tls_done_ns;
        httpx__x_trace(x, "connection.connect_tcp.complete");
        if (c->tls)
            httpx__x_trace(x, "connection.start_tls.complete");
        if (httpx__conn_alpn_h2(c) || (!c->tls && x->eng->h2_prior_knowledge)) {
            httpx_error_t e = {0};
            if (httpx__h2conn_attach(c, x->eng, &e)) {
                x->err = e;
                fail_err(x);
            } else {
                x->was_h2 = true;
                httpx__h2x_begin(x, c);
            }
        } else {
            begin_send(x);
        }
    }
    leave(x);
}

static void on_waiter_ready(httpx__waiter_t *w, httpx__conn_t *c)
{
    httpx__exchange_t *x = CONTAINER(w, httpx__exchange_t, waiter);
    enter(x);
    x->conn = c;
    if (c->mux) {
        x->was_h2 = true;
        httpx__h2x_begin(x, c); /* a stream on a shared HTTP/2 connection */
    } else if (c->state == HTTPX__CONN_CONNECTING) {
        httpx__x_trace(x, "connection.connect_tcp.started");
        x->state = X_CONNECTING;
        phase(x, x->to.connect, HTTPX_E_CONNECT_TIMEOUT);
    } else if (!x->idempotent && !httpx__conn_alive(c)) {
        /* Cannot retry this one later: check the idle connection before using it. */
        x->conn = NULL;
        httpx__conn_close(c);
        x_acquire(x, false);
    } else {
        x->reused = true;
        begin_send(x);
    }
    leave(x);
}

static void x_acquire(httpx__exchange_t *x, bool fresh)
{
    httpx__hop_request_hook(x);
    x->state = X_POOL;
    x->waiter.ready = on_waiter_ready;
    phase(x, x->to.pool, HTTPX_E_POOL_TIMEOUT);
    httpx__conn_user_t u = {on_connected, on_conn_io, x};
    const httpx_url_t *url = x->url;
    bool https = strcmp(url->scheme, "https") == 0;
    bool mux_likely = https ? x->eng->http2 : x->eng->h2_prior_knowledge && x->via == HTTPX__VIA_DIRECT;
    const httpx__proxy_t *px = x->proxy;
    httpx__route_t route = {
        .key = x->route_key,
        .host = px ? px->host : url->host,
        .port = px ? px->port : url->port,
        .tls = https ? x->eng->tls : NULL,
        .origin_host = url->host,
        .origin_port = url->port,
        .via = x->via,
        .proxy = px,
    };
    int rc = httpx__pool_acquire(x->eng->pool, &route, fresh, mux_likely, &x->waiter, &u);
    if (rc < 0)
        fail(x, rc, HTTPX_PHASE_POOL, "out of memory");
}

/* ---- hops ------------------------------------------------------------------------ */

static void x_rehop(httpx__exchange_t *x)
{
    x->discard = false;
    httpx_error_t e = {0};
    int rc = httpx__hop_advance(x, &e);
    /* Back to a fresh request: nothing of the last response is left. */
    x->scan = 0;
    x->interim_bytes = 0;
    x->status = 0;
    x->keep_alive = false;
    x->body_unsent = false;
    x->pend_len = x->post_skip = 0;
    httpx__buf_reset(&x->trailers);
    x->paused = false;
    x->got_bytes = false;
    x->reused = false;
    x->retried = false;
    x->continue_done = false;
    x->h2_ended = false;
    memset(&x->framing, 0, sizeof x->framing);
    if (rc) {
        x->err = e;
        x->err.code = rc;
        x->state = X_HEAD;
        fail_err(x);
        return;
    }
    if (x->retry_delay_ms) {
        x->state = X_BACKOFF;
        phase(x, x->retry_delay_ms, 0);
        x->retry_delay_ms = 0;
        return;
    }
    x_acquire(x, false);
}

void httpx__x_trace(httpx__exchange_t *x, const char *event)
{
    httpx__engine_t *e = x->eng;
    if (!e->trace)
        return;
    char name[96];
    if (x->h2 && strncmp(event, "http11.", 7) == 0) {
        snprintf(name, sizeof name, "http2.%s", event + 7);
        event = name;
    }
    httpx_trace_info_t info = {
        .method = x->method,
        .url = x->url ? x->url->str : NULL,
        .peer = x->conn && x->conn->info.peer[0] ? x->conn->info.peer : NULL,
        .status = x->status,
        .error = x->state == X_DONE ? x->err.code : 0,
        .elapsed = (double)(httpx__clock_ns() - x->times.start) / 1e9,
    };
    e->trace(event, &info, e->trace_user);
}

/* ---- public (internal) API --------------------------------------------------- */

int httpx__exchange_new(httpx__engine_t *e, const char *method, const char *url,
                        const httpx_req_opts_t *opts, const httpx__exchange_sink_t *sink,
                        httpx__exchange_t **out, httpx_error_t *err)
{
    *out = NULL;
    if (e->closed)
        return httpx__err(err, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP, "client closed");
    struct httpx__spare_exchange sp = {0};
    httpx__exchange_t *x;
    if (e->nspare) {
        sp = e->spare[--e->nspare];
        x = sp.x;
        memset(x, 0, sizeof *x);
    } else if (!(x = HTTPX__NEW(e->a, httpx__exchange_t))) {
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
    }
    x->eng = e;
    x->sink = *sink;
    x->link.prev = x->link.next = &x->link;
    x->body.fd = -1;
    httpx__buf_init(&x->out, e->a, 0);
    httpx__buf_give(&x->out, sp.out, sp.out_alloc);
    x->url_spare = sp.url;
    httpx__buf_init(&x->piece, e->a, 0);
    httpx__buf_init(&x->cookie_header, e->a, 64u << 10);
    httpx__buf_init(&x->auth_header, e->a, 16u << 10);
    httpx__buf_init(&x->proxy_auth, e->a, 4u << 10);
    httpx__buf_init(&x->trailers, e->a, e->limits.max_header_bytes);
    httpx__buf_init(&x->h2_pending, e->a, 64u << 20);
    httpx__timer_init(&x->timer, e->loop, on_timer, x);
    x->waiter.link.prev = x->waiter.link.next = &x->waiter.link;
    int rc = httpx__request_build(x, method, url, opts, err);
    if (rc) {
        x_real_free(x);
        return rc;
    }
    x->to = httpx__timeouts_resolve(&e->timeouts, opts ? opts->timeout : 0, opts ? &opts->timeouts : NULL);
    *out = x;
    return 0;
}

void httpx__exchange_start(httpx__exchange_t *x)
{
    httpx__engine_t *e = x->eng;
    x->times.start = httpx__clock_ns();
    e->requests++;
    x->link.next = e->exchanges.next;
    x->link.prev = &e->exchanges;
    e->exchanges.next->prev = &x->link;
    e->exchanges.next = &x->link;
    if (x->to.total)
        x->total_deadline = now_ms(x) + x->to.total;
    enter(x);
    x->in_start = true;
    if (e->closed)
        fail(x, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP, "%s %s: client closed", x->method, x->url->str);
    else
        x_acquire(x, false);
    if (alive(x))
        x->in_start = false;
    leave(x);
}

void httpx__exchange_set_sink(httpx__exchange_t *x, const httpx__exchange_sink_t *sink)
{
    x->sink = *sink;
}

void httpx__exchange_resume(httpx__exchange_t *x)
{
    if (x->state != X_BODY || !x->conn)
        return;
    enter(x);
    if (x->h2)
        httpx__h2x_deliver(x);
    else
        deliver(x);
    leave(x);
}

bool httpx__exchange_is_h2(const httpx__exchange_t *x) { return x->h2 != NULL || x->was_h2; }

static void x_real_free(httpx__exchange_t *x)
{
    const httpx_allocator_t *a = x->eng->a;
    httpx__pool_cancel_wait(x->eng->pool, &x->waiter);
    if (x->link.next != &x->link) {
        x->link.prev->next = x->link.next;
        x->link.next->prev = x->link.prev;
    }
    drop_conn(x);
    httpx__timer_release(&x->timer);
    httpx__hop_release(x);
    httpx__engine_t *e = x->eng;
    struct httpx__spare_exchange *sp = e->nspare < sizeof e->spare / sizeof e->spare[0] ? &e->spare[e->nspare] : NULL;
    if (sp) { /* keep the block, its head buffer and URL for the next request */
        httpx__buf_reset(&x->out);
        sp->out = httpx__buf_take(&x->out, &sp->out_alloc);
        sp->url = x->url;
        x->url = NULL;
    }
    httpx__request_release(x);
    httpx__buf_release(&x->trailers);
    httpx__buf_release(&x->h2_pending);
    if (sp) {
        sp->x = x;
        e->nspare++;
    } else {
        httpx__free(a, x);
    }
}

void httpx__exchange_spares_free(httpx__engine_t *e)
{
    while (e->nspare) {
        struct httpx__spare_exchange *sp = &e->spare[--e->nspare];
        httpx__free(e->a, sp->out);
        httpx_url_free(sp->url);
        httpx__free(e->a, sp->x);
    }
}

void httpx__exchange_free(httpx__exchange_t *x)
{
    if (!x)
        return;
    x->sink = (httpx__exchange_sink_t){0};
    if (x->depth) {
        x->free_pending = true;
        return;
    }
    x_real_free(x);
}

void httpx__exchange_abort(httpx__exchange_t *x, int code, const char *why)
{
    enter(x);
    x->in_start = false;
    fail(x, code, HTTPX_PHASE_NONE, "%s %s: %s", x->method, x->url->str, why);
    leave(x);
}

const httpx_url_t *httpx__exchange_url(const httpx__exchange_t *x) { return x->url; }
const char *httpx__exchange_method(const httpx__exchange_t *x) { return x->method; }
const httpx__exchange_times_t *httpx__exchange_times(const httpx__exchange_t *x) { return &x->times; }
uint64_t httpx__exchange_body_bytes(const httpx__exchange_t *x) { return x->body_bytes; }

/* ---- for client/exchange_h2.c --------------------------------------------------- */

void httpx__x_enter(httpx__exchange_t *x) { enter(x); }
bool httpx__x_leave(httpx__exchange_t *x) { return leave(x); }
bool httpx__x_alive(const httpx__exchange_t *x) { return alive(x); }
void httpx__x_fail_err(httpx__exchange_t *x) { fail_err(x); }
void httpx__x_finish(httpx__exchange_t *x, int status) { finish(x, status); }
void httpx__x_phase(httpx__exchange_t *x, uint64_t ms, int code) { phase(x, ms, code); }
void httpx__x_acquire(httpx__exchange_t *x, bool fresh) { x_acquire(x, fresh); }
void httpx__x_rehop(httpx__exchange_t *x) { x_rehop(x); }

void httpx__exchange_take_history(httpx__exchange_t *x, struct httpx_response ***h, size_t *n)
{
    *h = x->history;
    *n = x->nhistory;
    x->history = NULL;
    x->nhistory = 0;
}

const char *httpx__exchange_next_url(const httpx__exchange_t *x) { return x->follow ? NULL : x->next_url; }

const char *httpx__exchange_next_method(const httpx__exchange_t *x)
{
    if (!httpx__exchange_next_url(x))
        return NULL;
    int st = x->next_status;
    const char *m = x->method;
    if ((st == 303 || st == 302) && strcmp(m, "HEAD") != 0)
        return "GET";
    if (st == 301 && strcmp(m, "POST") == 0)
        return "GET";
    return m;
}
