/* core/buf.c — capped growable buffer (invariants in buf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/buf.h"
#include "core/mem.h"
#include "httpx/error.h"

void httpx__buf_release(httpx__buf_t *b)
{
    if (!b->lent)
        httpx__free(b->a, b->data);
    b->lent = false;
    b->data = NULL;
    b->off = b->len = b->alloc = 0;
}

int httpx__buf_reserve(httpx__buf_t *b, size_t n)
{
    size_t live = b->len - b->off;
    /* written so nothing wraps even when max is near SIZE_MAX */
    if (n >= b->max || live > b->max - 1 - n)
        return HTTPX_E_BODY_LIMIT;
    if (b->alloc && n < b->alloc - b->len)
        return 0;
    /* Reclaim consumed space first: a queue-like buffer then stays the same size. */
    if (b->off && n < b->alloc - live) {
        memmove(b->data, b->data + b->off, live);
        b->off = 0;
        b->len = live;
        return 0;
    }
    size_t want = b->alloc ? b->alloc : 64;
    while (want < live + n + 1)
        want = want > b->max / 2 ? b->max : want * 2;
    if (want > b->max)
        want = b->max;
    if (b->off) {
        memmove(b->data, b->data + b->off, live);
        b->off = 0;
        b->len = live;
    }
    char *p;
    if (b->lent) { /* outgrown the lent bytes: move to an allocation of our own */
        if (!(p = httpx__malloc(b->a, want)))
            return HTTPX_E_NOMEM;
        memcpy(p, b->data, b->len);
        b->lent = false;
    } else if (!(p = httpx__realloc(b->a, b->data, want))) {
        return HTTPX_E_NOMEM;
    }
    b->data = p;
    b->alloc = want;
    return 0;
}

int httpx__buf_append(httpx__buf_t *b, const void *p, size_t n)
{
    int rc = httpx__buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int httpx__buf_append_str(httpx__buf_t *b, const char *s)
{
    return httpx__buf_append(b, s, strlen(s));
}

int httpx__buf_printf(httpx__buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return HTTPX_E_INVAL;
    int rc = httpx__buf_reserve(b, (size_t)need);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
    return 0;
}

void httpx__buf_commit(httpx__buf_t *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

void httpx__buf_consume(httpx__buf_t *b, size_t n)
{
    size_t live = b->len - b->off;
    if (n >= live) {
        b->off = b->len = 0;
        if (b->data)
            b->data[0] = '\0';
    } else {
        b->off += n;
    }
}

void httpx__buf_reset(httpx__buf_t *b)
{
    b->off = b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *httpx__buf_detach(httpx__buf_t *b, size_t *len)
{
    size_t live = b->len - b->off;
    if (!b->data && httpx__buf_reserve(b, 0))
        return NULL;
    if (b->lent) { /* the caller gets bytes it may free: copy them out */
        char *p = httpx__malloc(b->a, live + 1);
        if (!p)
            return NULL;
        memcpy(p, b->data + b->off, live);
        p[live] = '\0';
        if (len)
            *len = live;
        httpx__buf_release(b);
        b->off = b->len = b->alloc = 0;
        return p;
    }
    if (b->off)
        memmove(b->data, b->data + b->off, live);
    b->data[live] = '\0';
    char *p = b->data;
    if (len)
        *len = live;
    b->data = NULL;
    b->off = b->len = b->alloc = 0;
    return p;
}

char *httpx__buf_take(httpx__buf_t *b, size_t *alloc)
{
    char *p = b->len == b->off && !b->lent ? b->data : NULL;
    *alloc = p ? b->alloc : 0;
    if (p) {
        b->data = NULL;
        b->off = b->len = b->alloc = 0;
    }
    return p;
}

void httpx__buf_give(httpx__buf_t *b, char *data, size_t alloc)
{
    if (!data)
        return;
    if (b->data || alloc == 0 || alloc > b->max) {
        httpx__free(b->a, data); /* outside the contract: do not leak it */
        return;
    }
    b->data = data;
    b->alloc = alloc;
    b->off = b->len = 0;
    data[0] = '\0';
}

void httpx__buf_lend(httpx__buf_t *b, char *data, size_t alloc)
{
    if (!data || b->data || alloc == 0 || alloc > b->max)
        return; /* outside the contract: the buffer allocates on demand instead */
    b->data = data;
    b->alloc = alloc;
    b->off = b->len = 0;
    b->lent = true;
    data[0] = '\0';
}
