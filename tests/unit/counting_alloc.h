/* counting_alloc.h — a test allocator that counts live blocks and can fail the
 * k-th allocation, for the "every allocation failure is HTTPX_E_NOMEM and nothing
 * leaks" tests (STYLE.md item 19). Header-only; include it from a *_test.c file. */
#ifndef HTTPX_TESTS_COUNTING_ALLOC_H
#define HTTPX_TESTS_COUNTING_ALLOC_H

#include <stdlib.h>
#include "httpx/alloc.h"

typedef struct counting {
    long calls, live, fail_at; /* fail the fail_at-th malloc/realloc (1-based); 0: never */
} counting_t;

static inline void *c_malloc(void *user, size_t n)
{
    counting_t *c = user;
    if (++c->calls == c->fail_at)
        return NULL;
    void *p = malloc(n);
    c->live += p != NULL;
    return p;
}

static inline void *c_realloc(void *user, void *p, size_t n)
{
    counting_t *c = user;
    if (++c->calls == c->fail_at)
        return NULL;
    void *q = realloc(p, n);
    c->live += q && !p;
    return q;
}

static inline void c_free(void *user, void *p)
{
    counting_t *c = user;
    c->live -= p != NULL;
    free(p);
}

#endif
