/* httpx/url.h — URLs (RFC 3986).
 *
 * A parsed URL is immutable. Hosts are lower-cased and converted to their IDNA
 * (punycode) form; IPv6 literals keep their brackets in the serialised form only.
 * Parsing is strict: whatever cannot be sent unambiguously is HTTPX_E_INVALID_URL
 * with a message naming the problem.
 */
#ifndef HTTPX_URL_H
#define HTTPX_URL_H

#include <stddef.h>
#include "httpx/export.h"
#include "httpx/alloc.h"
#include "httpx/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_url httpx_url_t;

/* A query parameter. Arrays of them end with {NULL, NULL}. A NULL value in a
 * non-terminal entry is not allowed; use "" for an empty value. */
typedef struct httpx_param {
    const char *name;
    const char *value;
} httpx_param_t;

/* Parse an absolute URL. On success *out is a new URL (free with httpx_url_free).
 * Errors: HTTPX_E_INVALID_URL (detail in *err if err is not NULL), HTTPX_E_NOMEM,
 * HTTPX_E_INVAL for NULL arguments. `alloc` may be NULL. */
HTTPX_API int httpx_url_parse(const char *text, const httpx_allocator_t *alloc,
                              httpx_url_t **out, httpx_error_t *err);

/* Resolve a reference (absolute or relative) against `base` (RFC 3986 §5.2) into a
 * new URL. Errors as for parse. */
HTTPX_API int httpx_url_resolve(const httpx_url_t *base, const char *ref,
                                httpx_url_t **out, httpx_error_t *err);

/* A copy of `url` whose query has `params` appended (names and values
 * percent-encoded as application/x-www-form-urlencoded, space as %20). */
HTTPX_API int httpx_url_with_params(const httpx_url_t *url, const httpx_param_t *params,
                                    httpx_url_t **out);

HTTPX_API void httpx_url_free(httpx_url_t *url); /* NULL ok */

/* Accessors. Strings live as long as the URL. Components that are absent give ""
 * (query and fragment) or NULL (userinfo). A NULL url gives NULL (port: 0). */
HTTPX_API const char *httpx_url_str(const httpx_url_t *url);      /* normalised, whole URL */
HTTPX_API const char *httpx_url_scheme(const httpx_url_t *url);   /* "http" */
HTTPX_API const char *httpx_url_userinfo(const httpx_url_t *url); /* "user:pass" or NULL */
HTTPX_API const char *httpx_url_host(const httpx_url_t *url);     /* "example.org", "::1" (no brackets) */
HTTPX_API int httpx_url_port(const httpx_url_t *url);             /* explicit or the scheme's default */
HTTPX_API const char *httpx_url_path(const httpx_url_t *url);     /* "/a/b", never empty for http(s) */
HTTPX_API const char *httpx_url_query(const httpx_url_t *url);    /* without '?' */
HTTPX_API const char *httpx_url_fragment(const httpx_url_t *url); /* without '#' */
/* Path plus "?query" if any: what goes into an HTTP/1.1 request line. */
HTTPX_API const char *httpx_url_target(const httpx_url_t *url);

/* Percent-encode `len` bytes of `in`, leaving unreserved characters and those in
 * `safe` as they are. *out is malloc'd through `alloc` (NULL: malloc) and NUL-terminated;
 * free it with the same allocator. HTTPX_E_NOMEM. */
HTTPX_API int httpx_percent_encode(const char *in, size_t len, const char *safe,
                                   const httpx_allocator_t *alloc, char **out);

#ifdef __cplusplus
}
#endif
#endif
