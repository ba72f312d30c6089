/* cookies/jar.h — the cookie jar's insides and the engine's hooks.
 *
 * The jar is sans-IO: the engine hands it each Set-Cookie field value with the URL
 * of the request it answers (httpx__cookie_jar_store) and asks it for the Cookie
 * header of each request (httpx__cookie_jar_header); the current time is a parameter
 * so tests can move it. Cookies live in one array in order of creation; each cookie is
 * one allocation (struct and strings). Lookups are linear: the jar holds at most
 * HTTPX_COOKIE_MAX_TOTAL cookies.
 */
#ifndef HTTPX_COOKIES_JAR_H
#define HTTPX_COOKIES_JAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpx/cookies.h"
#include "core/buf.h"
#include "core/slice.h"
#include "url/url.h"

/* 6265bis: an Expires or Max-Age further than this in the future is cut to it. */
#define HTTPX__COOKIE_MAX_AGE_CAP (400 * 86400LL)
/* 6265bis: attribute values longer than this are ignored. */
#define HTTPX__COOKIE_MAX_ATTR_VALUE 1024

typedef struct httpx__cookie {
    char *name, *value, *domain, *path; /* point into the same allocation */
    int64_t expires;                    /* Unix seconds; 0: session */
    uint64_t seq;                       /* creation order, kept when replaced */
    unsigned flags;                     /* HTTPX_COOKIE_* */
} httpx__cookie_t;

struct httpx_cookie_jar {
    const httpx_allocator_t *a;
    httpx__cookie_t **items; /* creation order */
    size_t n, cap;
    uint64_t next_seq;
    const void *psl;   /* const psl_ctx_t *, loaded on first need; NULL: not yet */
    void *psl_owned;   /* psl_ctx_t * to psl_free, if psl_latest gave one */
    bool psl_tried;
};

/* ---- engine hooks ---------------------------------------------------------------- */

/* Apply one Set-Cookie field value (`len` bytes, need not be NUL-terminated) received
 * in answer to `request_url` at `now_unix` (RFC 6265bis §5.6, §5.7). A cookie the
 * rules refuse is ignored, which is not an error; an expiry in the past deletes the
 * matching cookie. Expired cookies are dropped from the jar on the way.
 * Returns 0 (stored, deleted or ignored), HTTPX_E_INVAL for NULL arguments,
 * HTTPX_E_NOMEM (the jar is unchanged). */
int httpx__cookie_jar_store(httpx_cookie_jar_t *jar, const httpx_url_t *request_url,
                            const char *set_cookie_value, size_t len, int64_t now_unix);

/* Append to `out` the Cookie header value for a request to `url` at `now_unix`:
 * cookies whose domain matches (host-only ones exactly), whose path matches, Secure
 * ones only for a secure origin (https, wss, localhost, loopback addresses), expired
 * ones left out; longer paths first, then earlier creation; "a=1; b=2". Appends
 * nothing when no cookie matches (so the caller sends no header when size is
 * unchanged). SameSite is not applied: a client has no "site for cookies"; every
 * request counts as same-site and top-level.
 * Returns 0, HTTPX_E_INVAL for NULL arguments, HTTPX_E_NOMEM, or the buffer's cap
 * error (HTTPX_E_BODY_LIMIT) with `out` possibly holding a partial value. */
int httpx__cookie_jar_header(const httpx_cookie_jar_t *jar, const httpx_url_t *url,
                             int64_t now_unix, httpx__buf_t *out);

/* ---- parsing (parse.c) ----------------------------------------------------------- */

enum {
    HTTPX__SC_EXPIRES = 1 << 0,  /* expires_at was given */
    HTTPX__SC_MAX_AGE = 1 << 1,  /* max_age was given (wins over Expires) */
    HTTPX__SC_DOMAIN = 1 << 2,
    HTTPX__SC_PATH = 1 << 3,
    HTTPX__SC_SECURE = 1 << 4,
    HTTPX__SC_HTTPONLY = 1 << 5,
};

/* A parsed Set-Cookie: slices into the field value. */
typedef struct httpx__set_cookie {
    httpx__slice_t name, value;
    httpx__slice_t domain; /* leading dot removed; valid with HTTPX__SC_DOMAIN */
    httpx__slice_t path;   /* valid with HTTPX__SC_PATH (starts with '/') */
    int64_t expires_at;    /* Unix seconds, from Expires */
    int64_t max_age;       /* seconds, from Max-Age (may be <= 0) */
    unsigned attrs;        /* HTTPX__SC_* */
    unsigned samesite;     /* HTTPX_COOKIE_SAMESITE_* or 0 */
} httpx__set_cookie_t;

/* Parse per 6265bis §5.6 (no allocation). 0, or -1 when the cookie must be ignored
 * (a control character, an empty or oversized name/value pair). */
int httpx__set_cookie_parse(const char *s, size_t len, httpx__set_cookie_t *out);

/* ---- dates (date.c) -------------------------------------------------------------- */

/* The cookie-date algorithm of RFC 6265 §5.1.1: RFC 1123, RFC 850, asctime and the
 * many variants servers send. 0 with *out in Unix seconds, or -1. Linear in `len`. */
int httpx__cookie_parse_date(const char *s, size_t len, int64_t *out);

/* ---- matching (match.c) ---------------------------------------------------------- */

/* §5.1.3: `host` (canonical, lower case) domain-matches `domain` (lower case). */
bool httpx__cookie_domain_match(const char *host, bool host_is_ip, const char *domain, size_t dlen);
/* §5.1.4: request path `rpath` path-matches cookie path `cpath`. */
bool httpx__cookie_path_match(const char *rpath, const char *cpath);
/* §5.1.4 default-path of a request path, as a slice of it. */
httpx__slice_t httpx__cookie_default_path(const char *path);
/* A secure origin for cookies: https/wss, or a localhost name or loopback address. */
bool httpx__cookie_secure_origin(const httpx_url_t *url);

/* ---- the store (jar.c) ----------------------------------------------------------- */

/* Insert or replace (same name, domain, path and host-only flag) a checked cookie,
 * evicting per the limits; `now` is used to drop expired cookies first. An expired
 * cookie only deletes. 0 or HTTPX_E_NOMEM (jar unchanged). */
int httpx__cookie_jar_put(httpx_cookie_jar_t *jar, const httpx_cookie_t *c, int64_t now);
/* Remove item i. */
void httpx__cookie_jar_remove_at(httpx_cookie_jar_t *jar, size_t i);
/* Check a caller's cookie fields (set, add, load). 0 or HTTPX_E_INVAL. */
int httpx__cookie_check(const httpx_cookie_t *c);
/* Move every cookie of `src` into `dst` (keeping src's order); src ends empty.
 * 0 or HTTPX_E_NOMEM (then nothing moved). */
int httpx__cookie_jar_merge(httpx_cookie_jar_t *dst, httpx_cookie_jar_t *src, int64_t now);

#endif
