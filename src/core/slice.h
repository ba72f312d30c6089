/* core/slice.h — a borrowed byte range. Laid out exactly like struct iovec so an
 * array of slices can be handed to writev() as is. A slice never owns its bytes:
 * its lifetime is that of the buffer it points into, stated where it is produced. */
#ifndef HTTPX_CORE_SLICE_H
#define HTTPX_CORE_SLICE_H

#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>

typedef struct httpx__slice {
    const char *ptr; /* iov_base */
    size_t len;      /* iov_len */
} httpx__slice_t;

_Static_assert(sizeof(httpx__slice_t) == sizeof(struct iovec), "slice must match iovec");
_Static_assert(offsetof(httpx__slice_t, len) == offsetof(struct iovec, iov_len), "slice must match iovec");

#define HTTPX__SLICE_LIT(s) ((httpx__slice_t){(s), sizeof(s) - 1})

static inline httpx__slice_t httpx__slice(const char *p, size_t n)
{
    return (httpx__slice_t){p, n};
}
static inline httpx__slice_t httpx__slice_cstr(const char *s)
{
    return (httpx__slice_t){s, s ? strlen(s) : 0};
}
static inline int httpx__slice_eq(httpx__slice_t a, httpx__slice_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}
/* ASCII case-insensitive equality (header names, tokens). */
static inline int httpx__slice_ieq(httpx__slice_t a, httpx__slice_t b)
{
    return a.len == b.len && (a.len == 0 || strncasecmp(a.ptr, b.ptr, a.len) == 0);
}
static inline int httpx__slice_ieq_cstr(httpx__slice_t a, const char *s)
{
    return httpx__slice_ieq(a, httpx__slice_cstr(s));
}
/* Strip leading and trailing SP and HTAB (RFC 9110 OWS). */
static inline httpx__slice_t httpx__slice_trim(httpx__slice_t s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

#endif
