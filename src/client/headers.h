/* client/headers.h — header lists, the engine's side of include/httpx/headers.h. */
#ifndef HTTPX_CLIENT_HEADERS_H
#define HTTPX_CLIENT_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include "httpx/headers.h"

/* New empty list allocating through `a` (never NULL); NULL on out-of-memory. */
httpx_headers_t *httpx__headers_new_in(const httpx_allocator_t *a);
/* Append a field whose name and value were already validated (by the HTTP/1 parser):
 * copies nlen and vlen bytes, no checks. 0 or HTTPX_E_NOMEM. */
int httpx__headers_add_unchecked(httpx_headers_t *h, const char *name, size_t nlen,
                                 const char *value, size_t vlen);
/* True if p[0, n) is an RFC 9110 token (non-empty, tchar only). */
bool httpx__header_name_valid(const char *p, size_t n);
/* True if p[0, n) holds no NUL, CR, LF or other control character except HTAB. */
bool httpx__header_value_valid(const char *p, size_t n);
/* Remove every field, keeping the allocations for reuse. */
void httpx__headers_clear(httpx_headers_t *h);

/* A shared, empty, read-only list (for a response without trailers). */
const httpx_headers_t *httpx__headers_empty(void);

/* Make room for `nfields` more fields holding `bytes` of names and values in all,
 * so that adding them allocates nothing. 0 or HTTPX_E_NOMEM. */
int httpx__headers_reserve(httpx_headers_t *h, size_t nfields, size_t bytes);

#endif
