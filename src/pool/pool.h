/* pool/pool.h — connections per origin, limits, LIFO reuse, the wait queue.
 *
 * Every open connection holds one slot (max_connections); idle ones also count
 * against max_keepalive_connections. A request asks for a connection with
 * httpx__pool_acquire(); it gets one now (an idle one, LIFO, or a new one that
 * starts connecting) or waits in FIFO order. A slot is returned exactly once, by
 * httpx__pool_release() (reusable) or httpx__conn_close(); cancelling a waiter just
 * unlinks it. The pool never scans all connections: origins are hashed, idle lists
 * are per origin, and one timer tracks the oldest idle connection's expiry.
 */
#ifndef HTTPX_POOL_POOL_H
#define HTTPX_POOL_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include "core/buf.h"
#include "h1/parse.h"
#include "loop/loop.h"
#include "net/connect.h"
#include "tls/tls.h"
#include "proxy/proxy.h"

typedef struct httpx__pool httpx__pool_t;
typedef struct httpx__origin httpx__origin_t;
typedef struct httpx__conn httpx__conn_t;
typedef struct httpx__waiter httpx__waiter_t;

/* Intrusive doubly-linked list node. */
typedef struct httpx__link {
    struct httpx__link *prev, *next;
} httpx__link_t;

typedef enum httpx__conn_state {
    HTTPX__CONN_CONNECTING,
    HTTPX__CONN_BUSY,
    HTTPX__CONN_IDLE
} httpx__conn_state_t;

/* Callbacks from a connection to whoever uses it (an exchange). */
typedef struct httpx__conn_user {
    /* connect finished: status 0 and the conn is BUSY, or an error (the conn is then
     * already closed and its slot returned). */
    void (*connected)(httpx__conn_t *c, int status, const httpx_error_t *err, void *user);
    /* fd readiness while BUSY. */
    void (*io)(httpx__conn_t *c, int events, void *user);
    void *user;
} httpx__conn_user_t;

struct httpx__conn {
    httpx__pool_t *pool;
    httpx__origin_t *origin;
    httpx__conn_state_t state;
    int fd;
    httpx_io_t io;
    bool io_active;
    httpx__buf_t rbuf;              /* bytes read and not yet parsed; unallocated while
                                     * an HTTP/1.1 connection is idle (in the pool's cache) */
    httpx__h1_field_t *fields;      /* parse scratch, max_header_count entries; non-NULL
                                     * while an HTTP/1.1 connection is CONNECTING or BUSY,
                                     * NULL while idle and on HTTP/2 connections */
    httpx__link_t idle_link;        /* in origin->idle (LIFO) */
    httpx__link_t lru_link;         /* in pool->idle_lru (oldest at tail) */
    uint64_t idle_since;            /* loop ms */
    uint64_t requests;              /* served so far */
    httpx__connect_t *connecting;
    httpx__connect_info_t info;
    httpx__conn_user_t user;
    httpx__tls_t *tls;              /* https: the TLS layer over fd, else NULL */
    bool handshaking;               /* TCP is up, TLS is not yet */
    struct httpx__px *px;           /* a proxy handshake in progress (SOCKS5, CONNECT) */
    uint64_t tls_done_ns;           /* CLOCK_MONOTONIC when the handshake finished */
    int want;                       /* after HTTPX__CONN_AGAIN: the readiness to wait for */

    /* A multiplexed (HTTP/2) connection: shared by up to capacity() exchanges. Its
     * `user` is the protocol driver, which keeps it even while idle. */
    void *mux;                      /* the driver's state, or NULL for HTTP/1.1 */
    size_t (*mux_capacity)(httpx__conn_t *c);
    void (*mux_free)(httpx__conn_t *c);   /* called by httpx__conn_close */
    int users;                      /* exchanges on it now */
    httpx__link_t shared_link;      /* in origin->shared while BUSY */
};

/* conn_recv/conn_send: nothing can move now; wait for c->want on the fd. */
#define HTTPX__CONN_AGAIN 1

/* A request waiting for a connection. Embedded in the requester. */
struct httpx__waiter {
    httpx__link_t link;
    httpx__origin_t *origin;
    bool queued;
    httpx__conn_user_t user_copy;   /* callbacks for the connection it will get */
    /* Got a connection: either BUSY (reused) or CONNECTING (new; wait for
     * user.connected). */
    void (*ready)(httpx__waiter_t *w, httpx__conn_t *c);
};

/* How a connection reaches its origin. */
enum {
    HTTPX__VIA_DIRECT = 0,
    HTTPX__VIA_FORWARD,   /* an HTTP proxy, requests in absolute form (http URLs) */
    HTTPX__VIA_CONNECT,   /* an HTTP proxy's CONNECT tunnel, then TLS to the origin */
    HTTPX__VIA_SOCKS5     /* a SOCKS5 proxy's tunnel (then TLS for https) */
};

typedef struct httpx__route {
    const char *key;            /* pool key: the origin, or proxy and origin */
    const char *host;           /* where to dial: the origin, or the proxy */
    int port;
    httpx__tls_ctx_t *tls;      /* TLS to the origin, or NULL */
    const char *origin_host;    /* the origin (SNI, certificate, tunnel target) */
    int origin_port;
    int via;                    /* HTTPX__VIA_* */
    const httpx__proxy_t *proxy;/* with via != DIRECT; must outlive the pool */
} httpx__route_t;

typedef struct httpx__pool_limits {
    const httpx__connect_opts_t *connect; /* socket options for every connection, or NULL */
    int max_connections;
    int max_keepalive;
    uint64_t keepalive_expiry_ms;
    size_t max_head_bytes;
    size_t max_header_count;
} httpx__pool_limits_t;

typedef struct httpx__pool_stats {
    int open;        /* connections holding a slot */
    int idle;
    int connecting;
    int waiting;     /* requests queued */
} httpx__pool_stats_t;

int httpx__pool_new(httpx_loop_t *loop, httpx__resolver_t *resolver,
                    const httpx__pool_limits_t *limits, httpx__pool_t **out);
/* Close every connection (busy ones included: their users get an io callback with
 * HTTPX_IO_ERROR first — the engine fails its exchanges before calling this) and free. */
void httpx__pool_free(httpx__pool_t *p);
/* Close idle connections only. */
void httpx__pool_close_idle(httpx__pool_t *p);

/* Ask for a connection to `origin_key` ("http://host:port") at host:port, over TLS
 * with `tls` when not NULL (the handshake is part of connecting). `mux_likely`: the
 * connection may turn out multiplexed (HTTP/2 asked for), so while one to this
 * origin is connecting, wait for it rather than open another. Calls
 * w->ready synchronously when one is available now (returns 1), or queues the
 * waiter (returns 0), or fails (< 0: NOMEM). `fresh` forbids reusing an idle
 * connection (the stale-connection retry). */
int httpx__pool_acquire(httpx__pool_t *p, const httpx__route_t *route, bool fresh, bool mux_likely,
                        httpx__waiter_t *w, const httpx__conn_user_t *user);
/* Stop waiting (pool timeout or cancel). No-op if not queued. */
void httpx__pool_cancel_wait(httpx__pool_t *p, httpx__waiter_t *w);
/* The exchange is done with a BUSY connection that can be reused. */
void httpx__pool_release(httpx__conn_t *c);
/* Close a connection in any state and return its slot. */
void httpx__conn_close(httpx__conn_t *c);
/* Make a BUSY connection multiplexed: later requests to its origin share it while
 * capacity() > 0, and the caller's exchange counts as its first user. */
void httpx__pool_set_mux(httpx__conn_t *c, void *mux, size_t (*capacity)(httpx__conn_t *c),
                         void (*mux_free)(httpx__conn_t *c), const httpx__conn_user_t *driver);
/* An exchange is done with a multiplexed connection (any way it ended). At no
 * users the connection goes idle; with capacity back, waiters are served. */
void httpx__pool_mux_done(httpx__conn_t *c);
/* The multiplexed connection cannot take new streams any more (GOAWAY): stop
 * sharing it; it closes when its last user is done. */
void httpx__pool_mux_retire(httpx__conn_t *c);
/* True if the TLS handshake chose HTTP/2 (ALPN "h2"). */
bool httpx__conn_alpn_h2(const httpx__conn_t *c);

/* Set the fd interest of a BUSY connection. */
int httpx__conn_want(httpx__conn_t *c, int events);
/* True if an idle connection looks alive (no EOF, no unexpected bytes). */
bool httpx__conn_alive(httpx__conn_t *c);

/* Byte I/O of a BUSY connection, plain or TLS alike. recv: 0 with *got > 0 (data) or
 * *got == 0 (the peer closed cleanly); HTTPX__CONN_AGAIN with c->want set; or a
 * negative HTTPX_E_* with *err naming the host (a TLS EOF without close_notify is
 * HTTPX_E_READ). send: 0 with *sent > 0; HTTPX__CONN_AGAIN (nothing sent; offer the
 * same bytes again); or HTTPX_E_WRITE. */
int httpx__conn_recv(httpx__conn_t *c, void *buf, size_t n, size_t *got, httpx_error_t *err);
int httpx__conn_send(httpx__conn_t *c, const struct iovec *iov, int cnt, size_t *sent, httpx_error_t *err);
/* Plaintext already decrypted and waiting inside the TLS layer: the fd will not
 * signal it, so the reader must read again without waiting. */
bool httpx__conn_pending(const httpx__conn_t *c);

void httpx__pool_stats(const httpx__pool_t *p, httpx__pool_stats_t *s);

#endif
