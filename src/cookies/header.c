/* cookies/header.c — the Cookie header of a request (RFC 6265bis §5.8.3). */
#include <stdlib.h>
#include <string.h>
#include "cookies/jar.h"
#include "core/mem.h"
#include "httpx/error.h"

static bool header_wants(const httpx__cookie_t *k, const httpx_url_t *url, bool secure, int64_t now)
{
    if (k->expires != 0 && k->expires <= now)
        return false;
    if ((k->flags & HTTPX_COOKIE_SECURE) && !secure)
        return false;
    if (k->flags & HTTPX_COOKIE_HOST_ONLY) {
        if (strcmp(k->domain, url->host) != 0)
            return false;
    } else if (k->domain[0] && /* "" is a caller's cookie for every host */
               !httpx__cookie_domain_match(url->host, url->host_is_ip, k->domain, strlen(k->domain))) {
        return false;
    }
    return httpx__cookie_path_match(url->path[0] ? url->path : "/", k->path);
}

/* Longer paths first, then earlier creation. */
static int header_order(const void *pa, const void *pb)
{
    const httpx__cookie_t *a = *(const httpx__cookie_t *const *)pa;
    const httpx__cookie_t *b = *(const httpx__cookie_t *const *)pb;
    size_t la = strlen(a->path), lb = strlen(b->path);
    if (la != lb)
        return la > lb ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int httpx__cookie_jar_header(const httpx_cookie_jar_t *jar, const httpx_url_t *url, int64_t now,
                             httpx__buf_t *out)
{
    if (!jar || !url || !out)
        return HTTPX_E_INVAL;
    if (!url->host || !url->host[0] || jar->n == 0)
        return 0;
    bool secure = httpx__cookie_secure_origin(url);
    size_t n = 0;
    for (size_t i = 0; i < jar->n; i++)
        n += header_wants(jar->items[i], url, secure, now);
    if (n == 0)
        return 0;
    const httpx__cookie_t **list = httpx__malloc(jar->a, n * sizeof *list);
    if (!list)
        return HTTPX_E_NOMEM;
    n = 0;
    for (size_t i = 0; i < jar->n; i++)
        if (header_wants(jar->items[i], url, secure, now))
            list[n++] = jar->items[i];
    qsort(list, n, sizeof *list, header_order);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i)
            rc = httpx__buf_append(out, "; ", 2);
        if (rc == 0 && list[i]->name[0]) /* a nameless cookie is sent as its value */
            rc = httpx__buf_printf(out, "%s=", list[i]->name);
        if (rc == 0)
            rc = httpx__buf_append_str(out, list[i]->value);
    }
    httpx__free(jar->a, list);
    return rc;
}
