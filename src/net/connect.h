/* net/connect.h — open a TCP connection: resolve, then Happy Eyeballs (RFC 8305):
 * attempts started 250 ms apart over the ordered address list, the first to
 * succeed wins and the others are closed. The socket is non-blocking, close-on-exec,
 * with TCP_NODELAY. The overall connect timeout is the caller's (cancel on expiry).
 * httpx__connect_start_opts adds a Unix domain socket target, a local (source)
 * address and socket options. */
#ifndef HTTPX_NET_CONNECT_H
#define HTTPX_NET_CONNECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "httpx/error.h"
#include "httpx/loop.h"
#include "net/resolver.h"

typedef struct httpx__connect httpx__connect_t;

typedef struct httpx__connect_info {
    uint64_t dns_done_ns;     /* CLOCK_MONOTONIC when resolution finished (0 if none) */
    uint64_t connected_ns;    /* when the socket connected */
    char peer[64];            /* "127.0.0.1:8080", "[::1]:8080" or "unix:/path" (truncated) */
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
/* One socket option, set with setsockopt(fd, level, name, &value, sizeof(int)). */
typedef struct httpx__sockopt {
    int level;  /* SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP... */
    int name;   /* SO_RCVBUF, TCP_NODELAY... */
    int value;
} httpx__sockopt_t;

typedef struct httpx__connect_opts {
    /* Connect to this Unix domain socket (AF_UNIX, SOCK_STREAM) instead of
     * host:port: no DNS, no TCP_NODELAY; "@name" is Linux's abstract namespace.
     * `host` is then unused (may be NULL) and so is the resolver (may be NULL). */
    const char *uds_path;
    /* Bind to this address before connecting (a source address; port 0 lets the
     * kernel choose). Only resolved addresses of its family are tried. Not with
     * uds_path. NULL: none. */
    const struct sockaddr *local;
    socklen_t local_len;
    /* Applied to every attempt's socket before bind and connect. A failure fails
     * that attempt (the message names the option). A TCP_NODELAY given here
     * replaces the default TCP_NODELAY=1. */
    const httpx__sockopt_t *sockopts;
    size_t nsockopts;
} httpx__connect_opts_t;

/* As httpx__connect_start, with options (NULL: exactly httpx__connect_start). The
 * options are copied. Errors come through the callback, never from here:
 *   HTTPX_E_CONNECT "connect to unix:/path: no such file or directory" (the errno
 *       text lower-cased, as every connect message), "... path too long ...",
 *       "connect to HOST:PORT: no IPv6 address to use with local address 127.0.0.1
 *       (2 addresses of the other family)", "connect to HOST:PORT (PEER): bind to
 *       10.9.9.9: cannot assign requested address", "... set socket option L/N=V: ...",
 *       a local address with uds_path or of a family other than IPv4/IPv6;
 *   HTTPX_E_REFUSED: a unix socket file nobody listens on; plus the TCP ones.
 * NULL on out-of-memory, or for a NULL loop/cb, or a NULL host/resolver without
 * uds_path. */
httpx__connect_t *httpx__connect_start_opts(httpx_loop_t *loop, httpx__resolver_t *resolver,
                                            const char *host, int port,
                                            const httpx__connect_opts_t *opts,
                                            httpx__connect_cb cb, void *user);

/* Parse a numeric address: "127.0.0.1", "127.0.0.1:8080", "::1", "[::1]",
 * "[::1]:0", "fe80::1%eth0" (scope by name or number). The port is 0 when not
 * given. No DNS. Returns 0, or HTTPX_E_INVAL (bad text, NULL arguments). */
int httpx__sockaddr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* Stop everything, close any sockets, free; the callback will not be called. */
void httpx__connect_cancel(httpx__connect_t *c);

#endif
