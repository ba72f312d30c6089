/* core/mem.c — the default allocator and string copies. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"

static void *sys_malloc(void *user, size_t n)
{
    (void)user;
    return malloc(n); /* NOLINT: the one place the C allocator is called */
}
static void *sys_realloc(void *user, void *p, size_t n)
{
    (void)user;
    return realloc(p, n);
}
static void sys_free(void *user, void *p)
{
    (void)user;
    free(p);
}

static const httpx_allocator_t sys_allocator = {sys_malloc, sys_realloc, sys_free, NULL};

const httpx_allocator_t *httpx_default_allocator(void)
{
    return &sys_allocator;
}

char *httpx__strndup(const httpx_allocator_t *a, const char *s, size_t n)
{
    if (n == SIZE_MAX) /* n + 1 would wrap */
        return NULL;
    char *p = httpx__malloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *httpx__strdup(const httpx_allocator_t *a, const char *s)
{
    return s ? httpx__strndup(a, s, strlen(s)) : NULL;
}
