/* httpx/headers.h — header lists.
 *
 * Two shapes:
 *  - httpx_header_t, a plain {name, value} pair. Request options take a array of
 *    them ended by {NULL, NULL}, e.g.
 *        .headers = (httpx_header_t[]){{"Accept", "application/json"}, {0}}
 *  - httpx_headers_t, an ordered, case-insensitive multimap that keeps each name's
 *    case and the order of insertion. Responses expose their headers through it.
 *
 * Anything a caller sets is checked: names must be RFC 9110 tokens, and values may
 * not contain CR, LF or NUL; such input is refused with HTTPX_E_INVAL, never sent.
 */
#ifndef HTTPX_HEADERS_H
#define HTTPX_HEADERS_H

#include <stddef.h>
#include "httpx/export.h"
#include "httpx/alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_header {
    const char *name;
    const char *value;
} httpx_header_t;

typedef struct httpx_headers httpx_headers_t;

/* New empty list. `alloc` may be NULL. NULL on out-of-memory. Free with httpx_headers_free(). */
HTTPX_API httpx_headers_t *httpx_headers_new(const httpx_allocator_t *alloc);
HTTPX_API void httpx_headers_free(httpx_headers_t *h); /* NULL ok */

/* Append a field (copies both strings). HTTPX_E_INVAL for a bad name or a value with
 * CR, LF or NUL; HTTPX_E_NOMEM. */
HTTPX_API int httpx_headers_add(httpx_headers_t *h, const char *name, const char *value);
/* Like add, but with explicit lengths (value may then hold no NUL either). */
HTTPX_API int httpx_headers_addn(httpx_headers_t *h, const char *name, size_t name_len,
                                 const char *value, size_t value_len);
/* Replace every field named `name` by one field (at the first one's position, or
 * appended). Same errors as add. */
HTTPX_API int httpx_headers_set(httpx_headers_t *h, const char *name, const char *value);
/* Remove every field named `name`; returns how many were removed (never an error). */
HTTPX_API size_t httpx_headers_remove(httpx_headers_t *h, const char *name);

/* The value of the first field named `name` (case-insensitive), or NULL. The
 * pointer lives until the list is changed or freed. */
HTTPX_API const char *httpx_headers_get(const httpx_headers_t *h, const char *name);
/* The `index`-th (0-based) value among fields named `name`, or NULL. */
HTTPX_API const char *httpx_headers_get_nth(const httpx_headers_t *h, const char *name, size_t index);
/* Number of fields. */
HTTPX_API size_t httpx_headers_count(const httpx_headers_t *h);
/* Field `i` in order; 0, or HTTPX_E_INVAL if i is out of range. Pointers as for get. */
HTTPX_API int httpx_headers_at(const httpx_headers_t *h, size_t i, const char **name, const char **value);
/* 1 if any field named `name` has `token` in its comma-separated value
 * (case-insensitive), e.g. has_token(h, "Connection", "close"). */
HTTPX_API int httpx_headers_has_token(const httpx_headers_t *h, const char *name, const char *token);

#ifdef __cplusplus
}
#endif
#endif
