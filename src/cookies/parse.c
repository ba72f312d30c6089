/* cookies/parse.c — one Set-Cookie field value into name, value and attributes
 * (RFC 6265bis §5.6). Slices into the input, no allocation; every loop is bounded by
 * the input length. */
#include <string.h>
#include "cookies/jar.h"

/* %x00-08 / %x0A-1F / %x7F: a cookie holding one is ignored whole. HTAB is allowed. */
static bool parse_ctl(unsigned char c)
{
    return (c <= 0x08) || (c >= 0x0A && c <= 0x1F) || c == 0x7F;
}

static void parse_split(httpx__slice_t s, httpx__slice_t *key, httpx__slice_t *val, bool *has_eq)
{
    const char *eq = s.len ? memchr(s.ptr, '=', s.len) : NULL;
    *has_eq = eq != NULL;
    if (!eq) {
        *key = httpx__slice_trim(s);
        *val = httpx__slice(s.ptr + s.len, 0);
        return;
    }
    *key = httpx__slice_trim(httpx__slice(s.ptr, (size_t)(eq - s.ptr)));
    *val = httpx__slice_trim(httpx__slice(eq + 1, (size_t)(s.ptr + s.len - eq - 1)));
}

/* Max-Age: an optional '-' then digits; anything else ignores the attribute. */
static bool parse_max_age(httpx__slice_t v, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (v.len && v.ptr[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == v.len)
        return false;
    int64_t x = 0;
    for (; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return false;
        if (x < INT64_MAX / 20) /* saturate: the jar caps ages at 400 days anyway */
            x = x * 10 + (v.ptr[i] - '0');
    }
    *out = neg ? -x : x;
    return true;
}

static void parse_attr(httpx__slice_t key, httpx__slice_t val, httpx__set_cookie_t *sc)
{
    if (val.len > HTTPX__COOKIE_MAX_ATTR_VALUE)
        return;
    if (httpx__slice_ieq_cstr(key, "expires")) {
        int64_t t;
        if (httpx__cookie_parse_date(val.ptr, val.len, &t) == 0) {
            sc->expires_at = t;
            sc->attrs |= HTTPX__SC_EXPIRES;
        }
    } else if (httpx__slice_ieq_cstr(key, "max-age")) {
        int64_t t;
        if (parse_max_age(val, &t)) {
            sc->max_age = t;
            sc->attrs |= HTTPX__SC_MAX_AGE;
        }
    } else if (httpx__slice_ieq_cstr(key, "domain")) {
        if (val.len == 0) /* undefined by the RFC; ignoring it is the SHOULD */
            return;
        if (val.ptr[0] == '.') {
            val.ptr++;
            val.len--;
        }
        sc->domain = val;
        sc->attrs |= HTTPX__SC_DOMAIN;
    } else if (httpx__slice_ieq_cstr(key, "path")) {
        if (val.len == 0 || val.ptr[0] != '/') { /* default-path */
            sc->attrs &= ~(unsigned)HTTPX__SC_PATH;
            return;
        }
        sc->path = val;
        sc->attrs |= HTTPX__SC_PATH;
    } else if (httpx__slice_ieq_cstr(key, "secure")) {
        sc->attrs |= HTTPX__SC_SECURE;
    } else if (httpx__slice_ieq_cstr(key, "httponly")) {
        sc->attrs |= HTTPX__SC_HTTPONLY;
    } else if (httpx__slice_ieq_cstr(key, "samesite")) {
        if (httpx__slice_ieq_cstr(val, "none"))
            sc->samesite = HTTPX_COOKIE_SAMESITE_NONE;
        else if (httpx__slice_ieq_cstr(val, "strict"))
            sc->samesite = HTTPX_COOKIE_SAMESITE_STRICT;
        else if (httpx__slice_ieq_cstr(val, "lax"))
            sc->samesite = HTTPX_COOKIE_SAMESITE_LAX;
        else
            sc->samesite = 0; /* "Default" */
    }
    /* unknown attributes are ignored */
}

int httpx__set_cookie_parse(const char *s, size_t len, httpx__set_cookie_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < len; i++)
        if (parse_ctl((unsigned char)s[i]))
            return -1;
    const char *semi = len ? memchr(s, ';', len) : NULL;
    size_t pair_len = semi ? (size_t)(semi - s) : len;
    bool has_eq;
    parse_split(httpx__slice(s, pair_len), &out->name, &out->value, &has_eq);
    if (!has_eq) { /* 6265bis: a lone token is a value with an empty name */
        out->value = out->name;
        out->name = httpx__slice(s, 0);
    }
    if (out->name.len + out->value.len == 0 || out->name.len + out->value.len > HTTPX_COOKIE_MAX_PAIR)
        return -1;
    size_t i = semi ? pair_len + 1 : len;
    while (i < len) {
        const char *next = memchr(s + i, ';', len - i);
        size_t end = next ? (size_t)(next - s) : len;
        httpx__slice_t key, val;
        parse_split(httpx__slice(s + i, end - i), &key, &val, &has_eq);
        parse_attr(key, val, out);
        i = end + 1;
    }
    return 0;
}
