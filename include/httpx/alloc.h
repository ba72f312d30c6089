/* httpx/alloc.h — allocator hooks.
 *
 * There is no process-wide allocator. A loop and a client each take an optional
 * allocator in their options; objects they create allocate through it. NULL means
 * the C library's malloc/realloc/free. The library never aborts on allocation
 * failure: every such failure is returned as HTTPX_E_NOMEM.
 */
#ifndef HTTPX_ALLOC_H
#define HTTPX_ALLOC_H

#include <stddef.h>
#include "httpx/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_allocator {
    /* Same contracts as malloc, realloc and free; `user` is passed back unchanged.
     * free(user, NULL) must be a no-op. The struct must outlive every object made with it. */
    void *(*malloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} httpx_allocator_t;

/* The allocator used when none is given: malloc, realloc and free. Static storage. */
HTTPX_API const httpx_allocator_t *httpx_default_allocator(void);

#ifdef __cplusplus
}
#endif
#endif
