/* client/h2conn.c — the I/O of an HTTP/2 connection shared by many exchanges. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "client/exchange.h"
#include "client/h2conn.h"
#include "core/err.h"
#include "core/mem.h"

#define READ_CHUNK (64 * 1024)


static void on_goaway(int32_t last_stream_id, uint32_t error_code, void *user)
{
    httpx__h2conn_t *h = user;
    (void)last_stream_id;
    (void)error_code;
    /* No new streams here; the ones above last_stream_id are retried elsewhere. */
    if (h->c)
        httpx__pool_mux_retire(h->c);
}

static void real_free(httpx__h2conn_t *h)
{
    httpx__h2_session_free(h->s);
    httpx__free(h->eng->a, h);
}

static size_t capacity(httpx__conn_t *c)
{
    httpx__h2conn_t *h = c->mux;
    return h->dead ? 0 : httpx__h2_capacity(h->s);
}

/* The pool closes the connection: the session goes with it. */
static void mux_free(httpx__conn_t *c)
{
    httpx__h2conn_t *h = c->mux;
    c->mux = NULL;
    h->c = NULL;
    if (h->depth) {
        h->free_pending = true;
        return;
    }
    real_free(h);
}

static void enter(httpx__h2conn_t *h) { h->depth++; }
static void leave(httpx__h2conn_t *h)
{
    if (--h->depth == 0 && h->free_pending)
        real_free(h);
}

/* The connection broke under the session: fail or retry its streams; the pool
 * closes it when the last one has detached (or now, if none). */
static void fail_connection(httpx__h2conn_t *h, int code, const char *message)
{
    if (h->dead || !h->c)
        return;
    h->dead = true;
    enter(h);
    char msg[256];
    snprintf(msg, sizeof msg, "%s", message && *message ? message : httpx_strerror(code));
    httpx__pool_mux_retire(h->c); /* closes it now if idle */
    if (h->c && !h->in_session) {
        h->in_session++;
        int rc = httpx__h2_abort(h->s, code, msg);
        h->in_session--;
        if (rc == 0 && h->c && h->c->users == 0)
            httpx__conn_close(h->c);
    }
    leave(h);
}

/* Returns the bytes written (0 inside the session's callbacks). */
static size_t flush(httpx__h2conn_t *h)
{
    size_t total = 0;
    /* Inside the session's own callbacks: the I/O callback flushes when it returns. */
    if (h->in_session)
        return 0;
    httpx__conn_t *c = h->c;
    int interest = HTTPX_IO_READ;
    while (c && !h->dead && httpx__h2_want_write(h->s)) {
        const uint8_t *data;
        size_t len = 0;
        h->in_session++;
        int rc = httpx__h2_send(h->s, &data, &len);
        h->in_session--;
        if (!h->c)
            return total; /* a stream's end closed the connection meanwhile */
        if (rc) {
            fail_connection(h, rc, httpx__h2_error(h->s)->message);
            return total;
        }
        if (!len)
            break;
        struct iovec iov = {(void *)data, len};
        size_t sent = 0;
        httpx_error_t e = {0};
        rc = httpx__conn_send(c, &iov, 1, &sent, &e);
        if (rc == HTTPX__CONN_AGAIN) {
            interest |= c->want;
            break;
        }
        if (rc < 0) {
            fail_connection(h, rc, e.message);
            return total;
        }
        httpx__h2_sent(h->s, sent);
        total += sent;
    }
    /* Losing the interest would strand every stream until its read timeout. */
    if (h->c && !h->dead && httpx__conn_want(h->c, interest) < 0)
        fail_connection(h, HTTPX_E_NOMEM, "cannot watch the connection");
    return total;
}

void httpx__h2conn_flush(httpx__h2conn_t *h)
{
    enter(h);
    flush(h);
    leave(h);
}

/* Bytes read per turn before the loop gets to run other work (fairness). */
#define READ_TURN (256 * 1024)

/* Read what the socket has (TLS hands out one record per read, so several reads)
 * into the read buffer and feed the session the lot at once; go on until the
 * socket would block or a turn's worth was read. Draining the socket each turn
 * lets every response that arrived together be answered in one flush: one
 * write carries the next requests, and the server answers those together too.
 * Returns the bytes read. */
static size_t on_readable(httpx__h2conn_t *h)
{
    size_t turn = 0;
    bool again = false, drained = false;
    while (!again && !drained && h->c && !h->dead) {
        httpx__conn_t *c = h->c;
        /* A turn's worth: leave the rest to the next readiness, unless TLS holds
         * bytes already read from the socket (no readiness would come for them). */
        if (turn >= READ_TURN && !httpx__conn_pending(c))
            break;
        httpx__buf_t *rb = &c->rbuf;
        httpx__buf_reset(rb);
        if (httpx__buf_reserve(rb, READ_CHUNK)) {
            fail_connection(h, HTTPX_E_NOMEM, "out of memory");
            return turn;
        }
        int rc = 0;
        size_t have = 0;
        httpx_error_t e = {0};
        /* Fill the buffer while records keep coming (a TLS record is at most 16 KiB
         * of plaintext, so stop when less than that is left). */
        while (httpx__buf_room(rb) - have >= 16 * 1024) {
            size_t n = 0;
            rc = httpx__conn_recv(c, httpx__buf_tail(rb) + have, httpx__buf_room(rb) - have, &n, &e);
            if (rc == HTTPX__CONN_AGAIN) {
                rc = 0;
                again = true;
                break;
            }
            if (rc < 0)
                break;
            if (n == 0) {
                rc = HTTPX_E_SERVER_DISCONNECTED;
                break;
            }
            have += n;
            if (!c->tls && n < READ_CHUNK / 2) {
                drained = true; /* a short plain read: the socket is empty */
                break;
            }
        }
        turn += have;
        if (have) {
            size_t used = 0;
            h->in_session++;
            int rrc = httpx__h2_recv(h->s, (const uint8_t *)httpx__buf_tail(rb), have, &used);
            h->in_session--;
            if (!h->c)
                return turn;
            if (rrc) {
                flush(h); /* the GOAWAY the session queued, if we can */
                fail_connection(h, rrc, httpx__h2_error(h->s)->message);
                return turn;
            }
        }
        if (rc) {
            fail_connection(h, rc,
                            rc == HTTPX_E_SERVER_DISCONNECTED ? "server closed the HTTP/2 connection"
                                                              : e.message);
            return turn;
        }
    }
    /* Waiting for data again: make sure read interest is on (a write may have
     * switched it to write readiness only, e.g. TLS wanting to read to write). */
    if (again && h->c && !h->dead && h->c->want != HTTPX_IO_READ &&
        httpx__conn_want(h->c, h->c->want | HTTPX_IO_READ))
        fail_connection(h, HTTPX_E_NOMEM, "cannot watch the connection");
    return turn;
}

/* Bytes came in, nothing went out, and a response is still partly on its way: ACK
 * now. A server with Nagle on (nginx over h2c) holds a response's DATA until its
 * HEADERS are acknowledged, and a delayed ACK would hold that for ~40 ms per
 * request. When we write, the write carries the ACK, so this costs a syscall only
 * in that lull. */
static void ack_now(httpx__h2conn_t *h)
{
#ifdef TCP_QUICKACK
    int one = 1;
    if (h->c && !h->dead && httpx__h2_open_streams(h->s) > 0)
        (void)setsockopt(h->c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one); /* fails harmlessly off TCP */
#else
    (void)h;
#endif
}

static void on_io(httpx__conn_t *c, int events, void *user)
{
    httpx__h2conn_t *h = user;
    (void)c;
    enter(h);
    size_t got = 0, sent = 0;
    if (events & (HTTPX_IO_READ | HTTPX_IO_ERROR))
        got = on_readable(h);
    if (h->c && !h->dead)
        sent = flush(h);
    if (got && !sent)
        ack_now(h);
    /* A session that can neither read nor write is finished (GOAWAY done). */
    if (h->c && !h->dead && !httpx__h2_want_read(h->s) && !httpx__h2_want_write(h->s))
        fail_connection(h, HTTPX_E_SERVER_DISCONNECTED, "HTTP/2 connection finished");
    leave(h);
}

int httpx__h2conn_attach(httpx__conn_t *c, httpx__engine_t *e, httpx_error_t *err)
{
    httpx__h2conn_t *h = HTTPX__NEW(e->a, httpx__h2conn_t);
    if (!h)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_CONNECT, "out of memory");
    h->c = c;
    h->eng = e;
    httpx__h2_config_t cfg;
    httpx__h2_config_init(&cfg);
    cfg.allocator = e->a;
    cfg.max_header_list = (uint32_t)e->limits.max_header_bytes;
    cfg.max_header_count = e->limits.max_header_count < UINT32_MAX ? (uint32_t)e->limits.max_header_count : UINT32_MAX;
    cfg.max_interim_bytes = HTTPX__INTERIM_HEADS * e->limits.max_header_bytes;
    /* The request's fields were validated where they were added (the same bytes
     * go out as HTTP/1.1): the session need not scan them again. */
    cfg.fields_checked = true;
    httpx__h2_callbacks_t cb = {
        .on_response_head = httpx__h2x_on_head,
        .on_data = httpx__h2x_on_data,
        .on_trailers = httpx__h2x_on_trailers,
        .on_stream_close = httpx__h2x_on_close,
        .on_goaway = on_goaway,
    };
    int rc = httpx__h2_session_new(&cfg, &cb, h, &h->s);
    if (rc) {
        httpx__free(e->a, h);
        return httpx__err(err, rc, HTTPX_PHASE_CONNECT, "cannot start HTTP/2: %s", httpx_strerror(rc));
    }
    httpx__conn_user_t driver = {NULL, on_io, h};
    httpx__pool_set_mux(c, h, capacity, mux_free, &driver);
    return 0;
}
