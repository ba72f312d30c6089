/* core/arena.c — per-message arena (contract in arena.h). */
#include <stdint.h>
#include <string.h>
#include "core/arena.h"
#include "core/mem.h"

struct httpx__arena_block {
    httpx__arena_block_t *next;
    size_t used, size;
    _Alignas(16) unsigned char mem[];
};

void httpx__arena_init(httpx__arena_t *ar, const httpx_allocator_t *a, size_t block_size)
{
    ar->head = NULL;
    ar->block_size = block_size ? block_size : 4096;
    ar->a = httpx__alloc_or_default(a);
}

void httpx__arena_release(httpx__arena_t *ar)
{
    httpx__arena_block_t *b = ar->head;
    while (b) {
        httpx__arena_block_t *next = b->next;
        httpx__free(ar->a, b);
        b = next;
    }
    ar->head = NULL;
}

void httpx__arena_reset(httpx__arena_t *ar)
{
    if (!ar->head)
        return;
    /* keep the oldest block (the last in the chain): it is the regular size */
    httpx__arena_block_t *b = ar->head, *keep = NULL;
    while (b) {
        httpx__arena_block_t *next = b->next;
        if (!next)
            keep = b;
        else
            httpx__free(ar->a, b);
        b = next;
    }
    keep->used = 0;
    ar->head = keep;
}

void *httpx__arena_alloc(httpx__arena_t *ar, size_t n)
{
    if (n > SIZE_MAX - 15) /* rounding up would wrap to a tiny size */
        return NULL;
    n = (n + 15) & ~(size_t)15;
    httpx__arena_block_t *b = ar->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ar->block_size ? n : ar->block_size;
        if (size > SIZE_MAX - sizeof *b)
            return NULL;
        b = httpx__malloc(ar->a, sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        b->next = ar->head;
        ar->head = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

char *httpx__arena_strndup(httpx__arena_t *ar, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = httpx__arena_alloc(ar, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
