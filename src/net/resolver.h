/* net/resolver.h — asynchronous DNS over c-ares, driven by an httpx loop (no
 * threads), with a TTL cache. /etc/hosts is honoured; A and AAAA are asked for
 * together. IP literals resolve immediately (still reported asynchronously). */
#ifndef HTTPX_NET_RESOLVER_H
#define HTTPX_NET_RESOLVER_H

#include <stddef.h>
#include <sys/socket.h>
#include "httpx/error.h"
#include "httpx/loop.h"

typedef struct httpx__resolver httpx__resolver_t;
typedef struct httpx__resolve httpx__resolve_t;

typedef struct httpx__addr {
    struct sockaddr_storage sa;
    socklen_t len;
    int family; /* AF_INET or AF_INET6 */
} httpx__addr_t;

/* status 0: `addrs` holds `n` addresses (n >= 1) ordered for Happy Eyeballs
 * (RFC 8305 §4: interleaved families, IPv6 first), valid only during the call.
 * Otherwise status is HTTPX_E_DNS (or NOMEM, CANCELLED never: cancelled queries are
 * silent) with the reason in *err. Never called synchronously from httpx__resolve. */
typedef void (*httpx__resolve_cb)(int status, const httpx__addr_t *addrs, size_t n,
                                  const httpx_error_t *err, void *user);

/* ttl_max_s: cap on cache lifetime (<0: no cache; 0: default 60 s). */
int httpx__resolver_new(httpx_loop_t *loop, double ttl_max_s, httpx__resolver_t **out);
/* Use these DNS servers instead of resolv.conf's: "127.0.0.1:5353,[::1]:53"
 * (ares_set_servers_ports_csv). Call before any lookup. Returns 0, HTTPX_E_INVAL
 * (bad list) or HTTPX_E_NOMEM. Tests use it to keep every query on loopback. */
int httpx__resolver_set_servers(httpx__resolver_t *r, const char *csv);
/* Cancels every pending query (their callbacks do not fire) and frees. NULL ok. */
void httpx__resolver_free(httpx__resolver_t *r);

/* Start a lookup of `host` (no brackets for IPv6) and fill ports with `port`.
 * Returns a handle valid until the callback returns or until cancelled; NULL on
 * out-of-memory (nothing will be called). */
httpx__resolve_t *httpx__resolve(httpx__resolver_t *r, const char *host, int port,
                                 httpx__resolve_cb cb, void *user);
void httpx__resolve_cancel(httpx__resolve_t *q);

/* Drop every cached entry (tests). */
void httpx__resolver_flush(httpx__resolver_t *r);

#endif
