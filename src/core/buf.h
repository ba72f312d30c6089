/* core/buf.h — a growable byte buffer with a mandatory cap.
 *
 * Invariants: data is NULL or points to `alloc` bytes; 0 <= off <= len <= alloc <= max;
 * the live bytes are data[off, len). Growth never exceeds `max`: an append that
 * would is refused with the buffer unchanged. After any successful append there is
 * room for a NUL at data[len] (not counted), so text can be read in place.
 * Consuming from the front just advances `off`; space is reclaimed by compaction
 * when more room is needed, so a buffer used as a queue does not grow without bound.
 */
#ifndef HTTPX_CORE_BUF_H
#define HTTPX_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include "core/mem.h"
#include "httpx/alloc.h"

typedef struct httpx__buf {
    char *data;
    size_t off;   /* start of live bytes */
    size_t len;   /* end of live bytes */
    size_t alloc; /* bytes allocated */
    size_t max;   /* cap on len - off + 1 (the NUL): never grown beyond */
    const httpx_allocator_t *a;
    bool lent;    /* data belongs to someone else (httpx__buf_lend): never freed here */
} httpx__buf_t;

/* Empty, unallocated, capped at `max` bytes (0: no cap but SIZE_MAX / 2). Inline:
 * an exchange sets up a dozen of them per request. */
static inline void httpx__buf_init(httpx__buf_t *b, const httpx_allocator_t *a, size_t max)
{
    *b = (httpx__buf_t){.a = httpx__alloc_or_default(a), .max = max ? max : (size_t)-1 / 2};
}
void httpx__buf_release(httpx__buf_t *b);
/* Ensure room for `n` more bytes after len (compacting first). HTTPX_E_NOMEM, or
 * HTTPX_E_BODY_LIMIT when it would pass the cap (callers map it to their limit). */
int httpx__buf_reserve(httpx__buf_t *b, size_t n);
int httpx__buf_append(httpx__buf_t *b, const void *p, size_t n);
int httpx__buf_append_str(httpx__buf_t *b, const char *s);
int httpx__buf_printf(httpx__buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Live bytes and their count. */
static inline char *httpx__buf_ptr(const httpx__buf_t *b) { return b->data ? b->data + b->off : NULL; }
static inline size_t httpx__buf_size(const httpx__buf_t *b) { return b->len - b->off; }
/* Free space after len (for reading into directly; then httpx__buf_commit). */
static inline char *httpx__buf_tail(const httpx__buf_t *b) { return b->data + b->len; }
static inline size_t httpx__buf_room(const httpx__buf_t *b) { return b->alloc ? b->alloc - b->len - 1 : 0; }
void httpx__buf_commit(httpx__buf_t *b, size_t n);
/* Drop `n` bytes from the front. */
void httpx__buf_consume(httpx__buf_t *b, size_t n);
/* Empty, keeping the allocation. */
void httpx__buf_reset(httpx__buf_t *b);
/* Hand the bytes over: returns data (NUL-terminated, live bytes moved to the front),
 * leaves the buffer empty and unallocated. Caller frees with b->a. */
char *httpx__buf_detach(httpx__buf_t *b, size_t *len);
/* Move the allocation of an empty buffer out (NULL and *alloc 0 when it has none or
 * holds bytes): the buffer is left unallocated, ready to use (it allocates again on
 * demand). */
char *httpx__buf_take(httpx__buf_t *b, size_t *alloc);
/* Give an unallocated buffer `alloc` bytes at `data`, from httpx__buf_take of a
 * buffer with the same allocator; alloc must not exceed b->max. data NULL: no-op. */
void httpx__buf_give(httpx__buf_t *b, char *data, size_t alloc);
/* Let an unallocated buffer use `alloc` bytes at `data` that it does not own (a
 * piece of a larger block that outlives the buffer): growing past them copies the
 * bytes into an allocation of its own; release and take leave them alone, detach
 * copies. alloc must be at least 1 and not exceed b->max. */
void httpx__buf_lend(httpx__buf_t *b, char *data, size_t alloc);

#endif
