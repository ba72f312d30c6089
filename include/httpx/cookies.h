/* httpx/cookies.h — a cookie jar (RFC 6265bis).
 *
 * A jar holds cookies the way a browser's store does: each cookie has a name, a
 * value, a domain, a path, an expiry and flags. A client fills its jar from every
 * Set-Cookie it receives (redirect hops included) and sends the matching cookies
 * with every request; the rules applied there (Domain, Path, Secure, HttpOnly,
 * SameSite, Expires/Max-Age, public suffixes refused through libpsl, host-only
 * cookies, the __Secure- and __Host- prefixes, limits) are those of RFC 6265bis.
 * The jar itself does no I/O except load and save, which read and write a file.
 * Public suffixes come from the newest of libpsl's built-in list and the system's
 * file, loaded the first time a Domain attribute needs it; with neither available, a
 * Domain attribute is accepted only when it names the request host itself.
 * SameSite is stored (and reported by httpx_cookie_jar_at) but does not filter: a
 * client has no "site for cookies", so every request counts as same-site.
 *
 * The functions here are the caller's view, after HTTPX's `Cookies`: set, get,
 * delete, clear, iterate, and load/save in the Netscape cookie file format that curl,
 * wget and Python's MozillaCookieJar use.
 *
 * Limits (named defaults, enforced when a cookie is stored, whoever stores it):
 * name plus value at most HTTPX_COOKIE_MAX_PAIR bytes; at most
 * HTTPX_COOKIE_MAX_PER_DOMAIN cookies per domain and HTTPX_COOKIE_MAX_TOTAL in a jar;
 * when either limit is reached the oldest cookie (of that domain, else of the jar)
 * is evicted.
 *
 * A jar is not thread-safe: use it from one thread at a time. Strings returned by
 * the jar stay valid until the jar is next changed (set, add, delete, clear, load,
 * free, or a client storing cookies into it).
 */
#ifndef HTTPX_COOKIES_H
#define HTTPX_COOKIES_H

#include <stddef.h>
#include <stdint.h>
#include "httpx/export.h"
#include "httpx/alloc.h"
#include "httpx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HTTPX_COOKIE_MAX_PAIR 4096      /* bytes of name + value */
#define HTTPX_COOKIE_MAX_PER_DOMAIN 50  /* cookies sharing one domain */
#define HTTPX_COOKIE_MAX_TOTAL 3000     /* cookies in one jar */

/* Cookie flags (httpx_cookie_t.flags). */
#define HTTPX_COOKIE_HOST_ONLY 0x01     /* sent to `domain` only, not to its subdomains */
#define HTTPX_COOKIE_SECURE 0x02        /* sent over https (or to localhost) only */
#define HTTPX_COOKIE_HTTPONLY 0x04      /* not for scripts; kept for the file format */
/* SameSite, a two-bit field: 0 means the attribute was absent ("Default"). */
#define HTTPX_COOKIE_SAMESITE_MASK 0x30
#define HTTPX_COOKIE_SAMESITE_LAX 0x10
#define HTTPX_COOKIE_SAMESITE_STRICT 0x20
#define HTTPX_COOKIE_SAMESITE_NONE 0x30

/* One cookie, as a plain value. From httpx_cookie_jar_at() its strings belong to the
 * jar (valid until the jar is next changed); given to httpx_cookie_jar_add() they are
 * copied.
 *
 * `domain` is lower case without a leading dot. A cookie whose domain is "" matches
 * every host (HTTPX's `cookies.set(name, value)` without a domain). `expires` is in
 * seconds since the Unix epoch, or 0 for a session cookie (one that is never written
 * with an expiry and lives as long as the jar). */
typedef struct httpx_cookie {
    const char *name;
    const char *value;
    const char *domain;
    const char *path;
    int64_t expires;
    unsigned flags; /* HTTPX_COOKIE_* */
} httpx_cookie_t;

typedef struct httpx_cookie_jar httpx_cookie_jar_t;

/* Create an empty jar. `a` may be NULL (malloc); it must outlive the jar.
 * On success *out is the new jar, to free with httpx_cookie_jar_free().
 * Errors: HTTPX_E_INVAL (out is NULL), HTTPX_E_NOMEM. */
HTTPX_API int httpx_cookie_jar_new(const httpx_allocator_t *a, httpx_cookie_jar_t **out);

/* Free the jar and every cookie in it. NULL is a no-op. */
HTTPX_API void httpx_cookie_jar_free(httpx_cookie_jar_t *jar);

/* Remove cookies: all of them when both `domain` and `path` are NULL; otherwise
 * those whose domain equals `domain` (case-insensitive, a leading dot ignored) and/or
 * whose path equals `path`. Never fails; NULL jar is a no-op. */
HTTPX_API void httpx_cookie_jar_clear(httpx_cookie_jar_t *jar, const char *domain, const char *path);

/* Set a cookie as HTTPX's `cookies.set(name, value, domain, path)` does: a session
 * cookie without flags. `domain` NULL or "" makes a cookie sent to every host;
 * otherwise the cookie is sent to `domain` and its subdomains (a leading dot is
 * ignored). `path` NULL or "" means "/". A cookie with the same name, domain and path
 * is replaced. Strings are copied.
 * Errors: HTTPX_E_INVAL when jar or name is NULL, name is empty, contains '=', ';',
 * white space or any control character (CR, LF, HTAB, ...), value contains ';' or a
 * control character, domain contains white space, ';' or a control character, path
 * does not start with '/' or contains ';' or a control character, or name plus value
 * exceeds HTTPX_COOKIE_MAX_PAIR; HTTPX_E_NOMEM (the jar is unchanged). */
HTTPX_API int httpx_cookie_jar_set(httpx_cookie_jar_t *jar, const char *name, const char *value,
                                   const char *domain, const char *path);

/* Add a cookie with every field given (expiry, flags): what load does for each line.
 * An expired cookie (0 < expires <= now) removes a stored one with the same name,
 * domain and path instead. Strings are copied; fields are checked as for set, and a
 * NULL value or path counts as "" or "/". HTTPX_COOKIE_HOST_ONLY with an empty domain
 * is HTTPX_E_INVAL. Errors: HTTPX_E_INVAL, HTTPX_E_NOMEM (the jar is unchanged). */
HTTPX_API int httpx_cookie_jar_add(httpx_cookie_jar_t *jar, const httpx_cookie_t *cookie);

/* Find the value of the cookie named `name` (case-sensitive), among cookies whose
 * domain equals `domain` when it is not NULL (case-insensitive, a leading dot
 * ignored). On success *value is the value, or NULL when no cookie matches; the
 * pointer stays valid until the jar is next changed.
 * Errors: HTTPX_E_COOKIE_CONFLICT when several cookies match (*value is then NULL; pass
 * a domain, or iterate), HTTPX_E_INVAL for NULL jar, name or value. Expiry is not
 * checked here: a stored cookie is returned until the jar drops it. */
HTTPX_API int httpx_cookie_jar_get(const httpx_cookie_jar_t *jar, const char *name,
                                   const char *domain, const char **value);

/* Delete the cookies named `name`, restricted to `domain` and `path` when those are
 * not NULL (compared as in clear). Returns how many were removed; never an error
 * (NULL jar or name removes nothing). */
HTTPX_API size_t httpx_cookie_jar_delete(httpx_cookie_jar_t *jar, const char *name,
                                         const char *domain, const char *path);

/* Number of cookies stored (0 for NULL). */
HTTPX_API size_t httpx_cookie_jar_count(const httpx_cookie_jar_t *jar);

/* Cookie `i` (0-based, in order of creation) into *out; its strings belong to the
 * jar and stay valid until the jar is next changed.
 * Errors: HTTPX_E_INVAL when i >= count or an argument is NULL. */
HTTPX_API int httpx_cookie_jar_at(const httpx_cookie_jar_t *jar, size_t i, httpx_cookie_t *out);

/* Add the cookies of a Netscape cookie file (curl's format) to the jar:
 *     domain \t include-subdomains \t path \t secure \t expires \t name \t value
 * with TRUE/FALSE flags, expires in Unix seconds (0: session), a "#HttpOnly_" prefix
 * on the domain marking an HttpOnly cookie, "#" comment lines and blank lines
 * skipped, LF or CRLF line ends. Cookies already expired are skipped. The file is read
 * completely before anything is added: on any error the jar is unchanged.
 * Errors: HTTPX_E_INVAL for a NULL argument or a malformed line (wrong field count,
 * bad flag or number, a field refused as by add, a NUL byte, a line longer than
 * 16 KiB): `err`, when not NULL, gets a message naming the file and the line number;
 * HTTPX_E_SYSTEM when the file cannot be opened or read (errno in the message);
 * HTTPX_E_NOMEM. */
HTTPX_API int httpx_cookie_jar_load(httpx_cookie_jar_t *jar, const char *path, httpx_error_t *err);

/* Write every unexpired cookie to `path` in the same format (session cookies with
 * expires 0), replacing the file atomically (a temporary file in the same directory
 * renamed over it). SameSite is not part of the format and is not saved.
 * Errors: HTTPX_E_INVAL for a NULL argument, HTTPX_E_SYSTEM when the file cannot be
 * written (message in `err`), HTTPX_E_NOMEM. */
HTTPX_API int httpx_cookie_jar_save(const httpx_cookie_jar_t *jar, const char *path, httpx_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
