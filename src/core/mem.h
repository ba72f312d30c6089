/* core/mem.h — allocation through the caller's hooks. Internal code never calls
 * malloc directly (see core/banned.h); it goes through these with the allocator of
 * the loop, client or message it works for. `a` is never NULL here: resolve NULL to
 * httpx_default_allocator() at the public boundary with httpx__alloc_or_default(). */
#ifndef HTTPX_CORE_MEM_H
#define HTTPX_CORE_MEM_H

#include <stddef.h>
#include <string.h>
#include "httpx/alloc.h"

static inline const httpx_allocator_t *httpx__alloc_or_default(const httpx_allocator_t *a)
{
    return a ? a : httpx_default_allocator();
}
static inline void *httpx__malloc(const httpx_allocator_t *a, size_t n)
{
    return a->malloc(a->user, n ? n : 1);
}
static inline void *httpx__calloc(const httpx_allocator_t *a, size_t n)
{
    void *p = a->malloc(a->user, n ? n : 1);
    if (p)
        memset(p, 0, n);
    return p;
}
static inline void *httpx__realloc(const httpx_allocator_t *a, void *p, size_t n)
{
    return a->realloc(a->user, p, n ? n : 1);
}
static inline void httpx__free(const httpx_allocator_t *a, void *p)
{
    if (p)
        a->free(a->user, p);
}
/* NUL-terminated copy of n bytes; NULL on out-of-memory. */
char *httpx__strndup(const httpx_allocator_t *a, const char *s, size_t n);
char *httpx__strdup(const httpx_allocator_t *a, const char *s);

#define HTTPX__NEW(a, type) ((type *)httpx__calloc((a), sizeof(type)))

#endif
