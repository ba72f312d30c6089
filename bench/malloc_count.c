/* malloc_count.c — an LD_PRELOAD allocation counter for the "allocations per
 * request" counter of bench/run.sh.
 *
 *   LD_PRELOAD=./malloc_count.so MALLOC_COUNT_OUT=FILE program ...
 *
 * Wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign
 * (forwarding to glibc's __libc_* functions) and at exit appends one line to FILE
 * (stderr when unset):
 *
 *   allocs=A reallocs=R frees=F
 *
 * allocs counts new blocks (malloc, calloc, realloc of NULL, the aligned ones);
 * reallocs counts reallocs of an existing block. Counting is atomic (wrk has
 * threads). Marginal figures come from two run lengths (bench/bench.py).
 *
 * Build: cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static unsigned long n_alloc, n_realloc, n_free;

#define BUMP(x) __atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

void *malloc(size_t n)
{
    BUMP(n_alloc);
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    BUMP(n_alloc);
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (p)
        BUMP(n_realloc);
    else
        BUMP(n_alloc);
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (p)
        BUMP(n_free);
    __libc_free(p);
}

void *memalign(size_t al, size_t n)
{
    BUMP(n_alloc);
    return __libc_memalign(al, n);
}

void *aligned_alloc(size_t al, size_t n)
{
    BUMP(n_alloc);
    return __libc_memalign(al, n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
    BUMP(n_alloc);
    void *p = __libc_memalign(al, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void)
{
    char line[160];
    const char *path = getenv("MALLOC_COUNT_OUT");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND, 0644) : 2;
    int n = snprintf(line, sizeof line, "allocs=%lu reallocs=%lu frees=%lu\n",
                     __atomic_load_n(&n_alloc, __ATOMIC_RELAXED), __atomic_load_n(&n_realloc, __ATOMIC_RELAXED),
                     __atomic_load_n(&n_free, __ATOMIC_RELAXED));
    if (fd >= 0 && n > 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    if (path && fd >= 0)
        close(fd);
}
