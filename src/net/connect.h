/* net/connect.h — open a TCP connection: resolve, then Happy Eyeballs (RFC 8305):
 * attempts started 250 ms apart over the ordered address list, the first to
 * succeed wins and the others are closed. The socket is non-blocking, close-on-exec,
 * with TCP_NODELAY. The overall connect timeout is the caller's (cancel on expiry). */
#ifndef HTTPX_NET_CONNECT_H
#define HTTPX_NET_CONNECT_H

#include <stdint.h>
#include "httpx/error.h"
#include "httpx/loop.h"
#include "net/resolver.h"

typedef struct httpx__connect httpx__connect_t;

typedef struct httpx__connect_info {
    uint64_t dns_done_ns;     /* CLOCK_MONOTONIC when resolution finished (0 if none) */
    uint64_t connected_ns;    /* when the socket connected */
    char peer[64];            /* "127.0.0.1:8080" or "[::1]:8080" */
} httpx__connect_info_t;

/* status 0: `fd` is connected and now owned by the callee. Otherwise status is
 * HTTPX_E_DNS, HTTPX_E_REFUSED, HTTPX_E_CONNECT, HTTPX_E_NOMEM... with *err naming the
 * host and the last failure. Never called synchronously; not called after cancel. */
typedef void (*httpx__connect_cb)(int status, int fd, const httpx__connect_info_t *info,
                                  const httpx_error_t *err, void *user);

#define HTTPX__HAPPY_EYEBALLS_DELAY_MS 250

/* NULL on out-of-memory. The handle is freed by the library after the callback. */
httpx__connect_t *httpx__connect_start(httpx_loop_t *loop, httpx__resolver_t *resolver,
                                       const char *host, int port,
                                       httpx__connect_cb cb, void *user);
/* Stop everything, close any sockets, free; the callback will not be called. */
void httpx__connect_cancel(httpx__connect_t *c);

#endif
