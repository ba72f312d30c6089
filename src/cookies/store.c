/* cookies/store.c — the storage model (RFC 6265bis §5.7): from a parsed Set-Cookie
 * and the request URL to a cookie in the jar, or to nothing. */
#include <libpsl.h>
#include <string.h>
#include "cookies/jar.h"
#include "core/mem.h"
#include "httpx/error.h"

/* The public suffix list: the newest of libpsl's built-in list and the system's
 * file, loaded once per jar when a Domain attribute first needs it. */
static const psl_ctx_t *store_psl(httpx_cookie_jar_t *jar)
{
    if (!jar->psl_tried) {
        jar->psl_tried = true;
        psl_ctx_t *p = psl_latest(NULL);
        if (p && p != psl_builtin())
            jar->psl_owned = p;
        jar->psl = p ? (const void *)p : (const void *)psl_builtin();
    }
    return jar->psl;
}

static bool store_prefix(httpx__slice_t s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && httpx__slice_ieq(httpx__slice(s.ptr, n), httpx__slice(prefix, n));
}

static bool store_ascii(httpx__slice_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] >= 0x80)
            return false;
    return true;
}

/* A non-secure origin may not set a cookie that would shadow a Secure one (§5.7
 * step 16): same name, domains matching either way, and the new path matching the
 * old one. */
static bool store_shadows_secure(const httpx_cookie_jar_t *jar, const httpx_cookie_t *c)
{
    for (size_t i = 0; i < jar->n; i++) {
        const httpx__cookie_t *k = jar->items[i];
        if (!(k->flags & HTTPX_COOKIE_SECURE) || strcmp(k->name, c->name) != 0)
            continue;
        bool dm = httpx__cookie_domain_match(k->domain, false, c->domain, strlen(c->domain)) ||
                  httpx__cookie_domain_match(c->domain, false, k->domain, strlen(k->domain));
        if (dm && httpx__cookie_path_match(c->path, k->path))
            return true;
    }
    return false;
}

/* `now` is a real time (far from the int64 limits), so these sums cannot wrap. */
static int64_t store_cap(int64_t t, int64_t now)
{
    int64_t max = now + HTTPX__COOKIE_MAX_AGE_CAP;
    return t > max ? max : t;
}

static int64_t store_max_age(int64_t age, int64_t now)
{
    if (age <= 0)
        return INT64_MIN; /* the earliest representable time: deletes */
    return now + (age > HTTPX__COOKIE_MAX_AGE_CAP ? HTTPX__COOKIE_MAX_AGE_CAP : age);
}

int httpx__cookie_jar_store(httpx_cookie_jar_t *jar, const httpx_url_t *url,
                            const char *value, size_t len, int64_t now)
{
    if (!jar || !url || (!value && len))
        return HTTPX_E_INVAL;
    httpx__set_cookie_t sc;
    if (httpx__set_cookie_parse(value, len, &sc) != 0)
        return 0;
    if (!url->host || !url->host[0] || memchr(sc.name.ptr, '\t', sc.name.len))
        return 0; /* a tab inside a name could not be saved to a cookie file */
    bool secure_origin = httpx__cookie_secure_origin(url);

    /* ---- domain: host-only unless a valid Domain attribute says otherwise */
    unsigned flags = 0;
    char domain[256];
    size_t dlen = 0;
    if (sc.attrs & HTTPX__SC_DOMAIN) {
        if (sc.domain.len >= sizeof domain || !store_ascii(sc.domain))
            return 0;
        for (size_t i = 0; i < sc.domain.len; i++) {
            char ch = sc.domain.ptr[i];
            domain[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        }
        dlen = sc.domain.len;
        domain[dlen] = '\0';
        bool is_host = strcmp(domain, url->host) == 0;
        if (url->host_is_ip) {
            if (!is_host)
                return 0;
            dlen = 0; /* an address is host-only */
        } else {
            const psl_ctx_t *psl = store_psl(jar);
            bool suffix = psl ? psl_is_public_suffix2(psl, domain, PSL_TYPE_ANY) != 0 : !is_host;
            if (suffix) {
                if (!is_host)
                    return 0;
                dlen = 0; /* Domain equal to a public-suffix host: host-only */
            } else if (!httpx__cookie_domain_match(url->host, false, domain, dlen)) {
                return 0;
            }
        }
    }
    if (dlen == 0)
        flags |= HTTPX_COOKIE_HOST_ONLY;

    /* ---- path */
    char path[HTTPX__COOKIE_MAX_ATTR_VALUE + 1];
    httpx__slice_t p = (sc.attrs & HTTPX__SC_PATH) ? sc.path : httpx__cookie_default_path(url->path);
    if (p.len >= sizeof path)
        return 0;
    memcpy(path, p.ptr, p.len);
    path[p.len] = '\0';

    /* ---- flags */
    if (sc.attrs & HTTPX__SC_SECURE) {
        if (!secure_origin)
            return 0;
        flags |= HTTPX_COOKIE_SECURE;
    }
    if (sc.attrs & HTTPX__SC_HTTPONLY)
        flags |= HTTPX_COOKIE_HTTPONLY;
    if (sc.samesite == HTTPX_COOKIE_SAMESITE_NONE && !(flags & HTTPX_COOKIE_SECURE))
        return 0;
    flags |= sc.samesite;

    /* ---- prefixes (case-insensitive, 6265bis) */
    if (sc.name.len == 0 && (store_prefix(sc.value, "__Secure-") || store_prefix(sc.value, "__Host-")))
        return 0;
    if (store_prefix(sc.name, "__Secure-") && !(flags & HTTPX_COOKIE_SECURE))
        return 0;
    if (store_prefix(sc.name, "__Host-") &&
        (!(flags & HTTPX_COOKIE_SECURE) || !(flags & HTTPX_COOKIE_HOST_ONLY) ||
         !(sc.attrs & HTTPX__SC_PATH) || strcmp(path, "/") != 0))
        return 0;

    /* ---- expiry: Max-Age wins over Expires; both capped at 400 days */
    int64_t expires = 0;
    if (sc.attrs & HTTPX__SC_MAX_AGE)
        expires = store_max_age(sc.max_age, now);
    else if (sc.attrs & HTTPX__SC_EXPIRES)
        expires = store_cap(sc.expires_at, now);
    if (expires == 0) /* the epoch itself: expired, not "session" */
        expires = (sc.attrs & (HTTPX__SC_MAX_AGE | HTTPX__SC_EXPIRES)) ? INT64_MIN : 0;

    /* ---- copy name and value out of the field (it need not be NUL-terminated) */
    char *nv = httpx__malloc(jar->a, sc.name.len + sc.value.len + 2);
    if (!nv)
        return HTTPX_E_NOMEM;
    memcpy(nv, sc.name.ptr, sc.name.len);
    nv[sc.name.len] = '\0';
    memcpy(nv + sc.name.len + 1, sc.value.ptr, sc.value.len);
    nv[sc.name.len + 1 + sc.value.len] = '\0';
    httpx_cookie_t c = {
        .name = nv,
        .value = nv + sc.name.len + 1,
        .domain = dlen ? domain : url->host,
        .path = path,
        .expires = expires,
        .flags = flags,
    };
    int rc = 0;
    if (!secure_origin && !(flags & HTTPX_COOKIE_SECURE) && store_shadows_secure(jar, &c))
        goto out;
    rc = httpx__cookie_jar_put(jar, &c, now);
out:
    httpx__free(jar->a, nv);
    return rc;
}
