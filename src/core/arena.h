/* core/arena.h — a per-message arena: many small allocations, one release.
 * Blocks are chained; an allocation larger than a block gets a block of its own.
 * Nothing is freed individually. Pointers live until httpx__arena_release/reset. */
#ifndef HTTPX_CORE_ARENA_H
#define HTTPX_CORE_ARENA_H

#include <stddef.h>
#include "httpx/alloc.h"

typedef struct httpx__arena_block httpx__arena_block_t;
typedef struct httpx__arena {
    httpx__arena_block_t *head;
    size_t block_size;
    const httpx_allocator_t *a;
} httpx__arena_t;

void httpx__arena_init(httpx__arena_t *ar, const httpx_allocator_t *a, size_t block_size);
void httpx__arena_release(httpx__arena_t *ar);
/* Keep the first block, free the others, and start over. */
void httpx__arena_reset(httpx__arena_t *ar);
/* 16-byte aligned; NULL on out-of-memory. */
void *httpx__arena_alloc(httpx__arena_t *ar, size_t n);
char *httpx__arena_strndup(httpx__arena_t *ar, const char *s, size_t n);

#endif
