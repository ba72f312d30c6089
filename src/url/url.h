/* url/url.h — the parsed URL, visible to the engine. Every string is owned by the
 * URL (one allocation block) and NUL-terminated; absent parts are "" except
 * userinfo (NULL when absent). */
#ifndef HTTPX_URL_URL_H
#define HTTPX_URL_URL_H

#include <stdbool.h>
#include "httpx/url.h"

struct httpx_url {
    const httpx_allocator_t *a;
    char *str;          /* whole normalised URL */
    char *scheme;       /* lower case */
    char *userinfo;     /* percent-encoded (normalised like the path), or NULL */
    char *host;         /* lower case, IDNA A-label, IPv6 without brackets */
    char *path;         /* normalised (dot segments removed); "/" when empty for http(s) */
    char *query;
    char *fragment;
    char *target;       /* path + ("?" query) */
    char *authority;    /* host[:port] for the Host header: brackets for IPv6, port only if not the default */
    char *origin;       /* scheme://host:port, always with the port: the pool key; "" without a host */
    int port;           /* effective port */
    bool has_port;      /* explicit in the text */
    bool has_query;     /* "?" present (even if empty) */
    bool has_fragment;
    bool host_is_ip;    /* IPv4 or IPv6 literal */
    size_t size;        /* bytes of the one block (header + strings), for cloning */
};

/* A copy of `u` in one allocation, without parsing again (the engine reuses the
 * last URL it parsed). 0 or HTTPX_E_NOMEM. */
int httpx__url_clone(const httpx_url_t *u, httpx_url_t **out);
/* The same, reusing `spare` (a URL block no longer needed, or NULL) when it is big
 * enough; `spare` is consumed either way (reused or freed). */
int httpx__url_clone_reuse(const httpx_url_t *u, httpx_url_t *spare, httpx_url_t **out);

/* Default port for a scheme, 0 if unknown. */
int httpx__url_default_port(const char *scheme);

#endif
