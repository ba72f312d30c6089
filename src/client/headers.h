/* client/headers.h — header lists, the engine's side of include/httpx/headers.h. */
#ifndef HTTPX_CLIENT_HEADERS_H
#define HTTPX_CLIENT_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include "core/buf.h"
#include "core/slice.h"
#include "httpx/headers.h"

typedef struct hfield {
    size_t name, nlen;  /* offsets into bytes */
    size_t value, vlen;
} hfield_t;

/* Defined here so a response can hold its list inline (httpx__headers_init). */
struct httpx_headers {
    const httpx_allocator_t *a;
    hfield_t *f;
    size_t n, cap;
    httpx__buf_t bytes;
    size_t dead;      /* bytes in `bytes` no field refers to */
    bool f_lent;      /* f is part of someone else's block (httpx__headers_lend) */
    bool embedded;    /* the struct lives inside another object: free releases only */
};

/* New empty list allocating through `a` (never NULL); NULL on out-of-memory. */
httpx_headers_t *httpx__headers_new_in(const httpx_allocator_t *a);
/* Append a field whose name and value were already validated (by the HTTP/1 parser):
 * copies nlen and vlen bytes, no checks. 0 or HTTPX_E_NOMEM. */
int httpx__headers_add_unchecked(httpx_headers_t *h, const char *name, size_t nlen,
                                 const char *value, size_t vlen);
/* Append n validated fields given as name, value slice pairs (kv[2i], kv[2i+1]),
 * `bytes` being the sum of their lengths; the slices must not point into h. One
 * reservation for all. 0 or HTTPX_E_NOMEM (nothing added). */
int httpx__headers_add_pairs(httpx_headers_t *h, const httpx__slice_t *kv, size_t n, size_t bytes);
/* True if p[0, n) is an RFC 9110 token (non-empty, tchar only). */
bool httpx__header_name_valid(const char *p, size_t n);
/* True if p[0, n) holds no NUL, CR, LF or other control character except HTAB. */
bool httpx__header_value_valid(const char *p, size_t n);
/* Remove every field, keeping the allocations for reuse. */
void httpx__headers_clear(httpx_headers_t *h);

/* An empty list inside another object (no allocation): httpx_headers_free then
 * releases its storage but not the struct. */
void httpx__headers_init(httpx_headers_t *h, const httpx_allocator_t *a);
/* Bytes of a block that holds `nfields` fields of `bytes` names and values in all
 * (the layout httpx__headers_lend expects at its start). */
size_t httpx__headers_block_size(size_t nfields, size_t bytes);
/* Let an empty list without storage use the start of `block` (at least
 * httpx__headers_block_size(nfields, bytes) bytes, aligned like a pointer, owned by
 * the caller and outliving the list) for `nfields` fields of `bytes` in all: adding
 * them then allocates nothing; growing past them copies into allocations of its own. */
void httpx__headers_lend(httpx_headers_t *h, void *block, size_t nfields, size_t bytes);

/* A shared, empty, read-only list (for a response without trailers). */
const httpx_headers_t *httpx__headers_empty(void);

/* Make room for `nfields` more fields holding `bytes` of names and values in all,
 * so that adding them allocates nothing. 0 or HTTPX_E_NOMEM. */
int httpx__headers_reserve(httpx_headers_t *h, size_t nfields, size_t bytes);

#endif
