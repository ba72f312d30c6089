/* cookies/jar.c — the store: cookies in creation order, replacement, limits and
 * eviction, and the caller's API (set, add, get, delete, clear, iterate). */
#include <libpsl.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "cookies/jar.h"
#include "core/mem.h"
#include "httpx/error.h"

/* ---- cookies --------------------------------------------------------------------- */

static httpx__cookie_t *jar_cookie_new(const httpx_allocator_t *a, const httpx_cookie_t *c)
{
    size_t nl = strlen(c->name), vl = strlen(c->value), dl = strlen(c->domain), pl = strlen(c->path);
    httpx__cookie_t *k = httpx__malloc(a, sizeof *k + nl + vl + dl + pl + 4);
    if (!k)
        return NULL;
    char *p = (char *)(k + 1);
    k->name = p;
    memcpy(p, c->name, nl + 1);
    p += nl + 1;
    k->value = p;
    memcpy(p, c->value, vl + 1);
    p += vl + 1;
    k->domain = p;
    for (size_t i = 0; i <= dl; i++) /* lower case, the NUL included */
        p[i] = (c->domain[i] >= 'A' && c->domain[i] <= 'Z') ? (char)(c->domain[i] + 32) : c->domain[i];
    p += dl + 1;
    k->path = p;
    memcpy(p, c->path, pl + 1);
    k->expires = c->expires;
    k->flags = c->flags;
    k->seq = 0;
    return k;
}

static bool jar_expired(const httpx__cookie_t *k, int64_t now)
{
    return k->expires != 0 && k->expires <= now;
}

static bool jar_same(const httpx__cookie_t *k, const httpx__cookie_t *c)
{
    return strcmp(k->name, c->name) == 0 && strcmp(k->domain, c->domain) == 0 &&
           strcmp(k->path, c->path) == 0 &&
           (k->flags & HTTPX_COOKIE_HOST_ONLY) == (c->flags & HTTPX_COOKIE_HOST_ONLY);
}

/* Compare a stored domain with a caller's (leading dot ignored, any case). */
static bool jar_domain_is(const httpx__cookie_t *k, const char *domain)
{
    if (domain[0] == '.')
        domain++;
    return strcasecmp(k->domain, domain) == 0;
}

void httpx__cookie_jar_remove_at(httpx_cookie_jar_t *jar, size_t i)
{
    httpx__free(jar->a, jar->items[i]);
    memmove(jar->items + i, jar->items + i + 1, (jar->n - i - 1) * sizeof *jar->items);
    jar->n--;
}

static int jar_reserve(httpx_cookie_jar_t *jar, size_t extra)
{
    if (jar->n + extra <= jar->cap)
        return 0;
    size_t cap = jar->cap ? jar->cap : 16;
    while (cap < jar->n + extra)
        cap *= 2;
    httpx__cookie_t **p = httpx__realloc(jar->a, jar->items, cap * sizeof *p);
    if (!p)
        return HTTPX_E_NOMEM;
    jar->items = p;
    jar->cap = cap;
    return 0;
}

/* Remove the oldest cookie, among those of `domain` when it is not NULL. */
static void jar_evict_oldest(httpx_cookie_jar_t *jar, const char *domain)
{
    for (size_t i = 0; i < jar->n; i++) { /* items are in creation order */
        if (!domain || strcmp(jar->items[i]->domain, domain) == 0) {
            httpx__cookie_jar_remove_at(jar, i);
            return;
        }
    }
}

/* Store `k` (owned from here on). Needs room for one more item; never allocates. */
static void jar_put_owned(httpx_cookie_jar_t *jar, httpx__cookie_t *k, int64_t now)
{
    for (size_t i = 0; i < jar->n; i++) {
        if (jar_same(jar->items[i], k)) {
            if (jar_expired(k, now)) { /* an expiry in the past deletes */
                httpx__cookie_jar_remove_at(jar, i);
                httpx__free(jar->a, k);
                return;
            }
            k->seq = jar->items[i]->seq; /* the creation time of the old cookie is kept */
            httpx__free(jar->a, jar->items[i]);
            jar->items[i] = k;
            return;
        }
    }
    if (jar_expired(k, now)) {
        httpx__free(jar->a, k);
        return;
    }
    size_t per_domain = 0;
    for (size_t i = 0; i < jar->n;) {
        if (jar_expired(jar->items[i], now)) { /* expired cookies go first */
            httpx__cookie_jar_remove_at(jar, i);
            continue;
        }
        per_domain += strcmp(jar->items[i]->domain, k->domain) == 0;
        i++;
    }
    if (per_domain >= HTTPX_COOKIE_MAX_PER_DOMAIN)
        jar_evict_oldest(jar, k->domain);
    if (jar->n >= HTTPX_COOKIE_MAX_TOTAL)
        jar_evict_oldest(jar, NULL);
    k->seq = jar->next_seq++;
    jar->items[jar->n++] = k;
}

int httpx__cookie_jar_put(httpx_cookie_jar_t *jar, const httpx_cookie_t *c, int64_t now)
{
    if (jar_reserve(jar, 1))
        return HTTPX_E_NOMEM;
    httpx__cookie_t *k = jar_cookie_new(jar->a, c);
    if (!k)
        return HTTPX_E_NOMEM;
    jar_put_owned(jar, k, now);
    return 0;
}

int httpx__cookie_jar_merge(httpx_cookie_jar_t *dst, httpx_cookie_jar_t *src, int64_t now)
{
    if (jar_reserve(dst, src->n))
        return HTTPX_E_NOMEM;
    for (size_t i = 0; i < src->n; i++)
        jar_put_owned(dst, src->items[i], now);
    src->n = 0;
    return 0;
}

/* ---- checks on a caller's cookie --------------------------------------------------- */

static bool check_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

static bool check_str(const char *s, const char *also_bad, bool tab_ok)
{
    for (; *s; s++)
        if ((check_ctl((unsigned char)*s) && !(tab_ok && *s == '\t')) || strchr(also_bad, *s))
            return false;
    return true;
}

int httpx__cookie_check(const httpx_cookie_t *c)
{
    if (!c->name || !c->value || !c->domain || !c->path || (!c->name[0] && !c->value[0]))
        return HTTPX_E_INVAL;
    if (!check_str(c->name, "=; ", false) || !check_str(c->value, ";", true) ||
        !check_str(c->domain, "; /", false) || !check_str(c->path, ";", false) || c->path[0] != '/')
        return HTTPX_E_INVAL;
    if (strlen(c->name) + strlen(c->value) > HTTPX_COOKIE_MAX_PAIR)
        return HTTPX_E_INVAL;
    if ((c->flags & HTTPX_COOKIE_HOST_ONLY) && !c->domain[0])
        return HTTPX_E_INVAL;
    if (c->flags & ~(unsigned)(HTTPX_COOKIE_HOST_ONLY | HTTPX_COOKIE_SECURE | HTTPX_COOKIE_HTTPONLY |
                               HTTPX_COOKIE_SAMESITE_MASK))
        return HTTPX_E_INVAL;
    return 0;
}

/* ---- public API --------------------------------------------------------------------- */

int httpx_cookie_jar_new(const httpx_allocator_t *a, httpx_cookie_jar_t **out)
{
    if (!out)
        return HTTPX_E_INVAL;
    *out = NULL;
    a = httpx__alloc_or_default(a);
    httpx_cookie_jar_t *jar = HTTPX__NEW(a, httpx_cookie_jar_t);
    if (!jar)
        return HTTPX_E_NOMEM;
    jar->a = a;
    *out = jar;
    return 0;
}

void httpx_cookie_jar_free(httpx_cookie_jar_t *jar)
{
    if (!jar)
        return;
    for (size_t i = 0; i < jar->n; i++)
        httpx__free(jar->a, jar->items[i]);
    httpx__free(jar->a, jar->items);
    if (jar->psl_owned)
        psl_free(jar->psl_owned);
    httpx__free(jar->a, jar);
}

void httpx_cookie_jar_clear(httpx_cookie_jar_t *jar, const char *domain, const char *path)
{
    if (!jar)
        return;
    for (size_t i = 0; i < jar->n;) {
        const httpx__cookie_t *k = jar->items[i];
        if ((!domain || jar_domain_is(k, domain)) && (!path || strcmp(k->path, path) == 0))
            httpx__cookie_jar_remove_at(jar, i);
        else
            i++;
    }
}

int httpx_cookie_jar_set(httpx_cookie_jar_t *jar, const char *name, const char *value,
                         const char *domain, const char *path)
{
    if (!jar || !name || !name[0])
        return HTTPX_E_INVAL;
    if (domain && domain[0] == '.')
        domain++;
    httpx_cookie_t c = {
        .name = name,
        .value = value ? value : "",
        .domain = domain ? domain : "",
        .path = path && path[0] ? path : "/",
    };
    int rc = httpx__cookie_check(&c);
    return rc ? rc : httpx__cookie_jar_put(jar, &c, 0);
}

int httpx_cookie_jar_add(httpx_cookie_jar_t *jar, const httpx_cookie_t *cookie)
{
    if (!jar || !cookie)
        return HTTPX_E_INVAL;
    httpx_cookie_t c = *cookie;
    if (!c.value)
        c.value = "";
    if (!c.path || !c.path[0])
        c.path = "/";
    if (c.domain && c.domain[0] == '.')
        c.domain++;
    int rc = httpx__cookie_check(&c);
    return rc ? rc : httpx__cookie_jar_put(jar, &c, (int64_t)time(NULL));
}

int httpx_cookie_jar_get(const httpx_cookie_jar_t *jar, const char *name, const char *domain,
                         const char **value)
{
    if (!value)
        return HTTPX_E_INVAL;
    *value = NULL;
    if (!jar || !name)
        return HTTPX_E_INVAL;
    const char *found = NULL;
    for (size_t i = 0; i < jar->n; i++) {
        const httpx__cookie_t *k = jar->items[i];
        if (strcmp(k->name, name) != 0 || (domain && !jar_domain_is(k, domain)))
            continue;
        if (found)
            return HTTPX_E_COOKIE_CONFLICT;
        found = k->value;
    }
    *value = found;
    return 0;
}

size_t httpx_cookie_jar_delete(httpx_cookie_jar_t *jar, const char *name, const char *domain,
                               const char *path)
{
    if (!jar || !name)
        return 0;
    size_t removed = 0;
    for (size_t i = 0; i < jar->n;) {
        const httpx__cookie_t *k = jar->items[i];
        if (strcmp(k->name, name) == 0 && (!domain || jar_domain_is(k, domain)) &&
            (!path || strcmp(k->path, path) == 0)) {
            httpx__cookie_jar_remove_at(jar, i);
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

size_t httpx_cookie_jar_count(const httpx_cookie_jar_t *jar)
{
    return jar ? jar->n : 0;
}

int httpx_cookie_jar_at(const httpx_cookie_jar_t *jar, size_t i, httpx_cookie_t *out)
{
    if (!jar || !out || i >= jar->n)
        return HTTPX_E_INVAL;
    const httpx__cookie_t *k = jar->items[i];
    out->name = k->name;
    out->value = k->value;
    out->domain = k->domain;
    out->path = k->path;
    out->expires = k->expires;
    out->flags = k->flags;
    return 0;
}
