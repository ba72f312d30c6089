/* malloc_count.c — an LD_PRELOAD allocation counter for the "allocations per
 * request" counter of bench/run.sh.
 *
 *   LD_PRELOAD=./malloc_count.so MALLOC_COUNT_OUT=FILE program ...
 *
 * Wraps malloc, calloc, realloc, free, posix_memalign, aligned_alloc, memalign
 * (forwarding to the next definition: glibc's, or jemalloc's for h2load) and at exit appends one line to FILE
 * (stderr when unset):
 *
 *   allocs=A reallocs=R frees=F
 *
 * allocs counts new blocks (malloc, calloc, realloc of NULL, the aligned ones);
 * reallocs counts reallocs of an existing block. Counting is atomic (wrk has
 * threads). Marginal figures come from two run lengths (bench/bench.py).
 *
 * Build: cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static void *(*next_memalign)(size_t, size_t);
static unsigned long n_alloc, n_realloc, n_free;

/* dlsym may allocate (calloc) before the real functions are known: serve that from
 * a static arena whose blocks are never freed. */
static char boot[4096];
static size_t boot_used;
static int resolving;

static void *boot_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (boot_used + n > sizeof boot)
        return NULL;
    void *p = boot + boot_used;
    boot_used += n;
    return p;
}

static int in_boot(void *p)
{
    return (char *)p >= boot && (char *)p < boot + sizeof boot;
}

static void resolve(void)
{
    if (next_malloc || resolving)
        return;
    resolving = 1;
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

#define BUMP(x) __atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

void *malloc(size_t n)
{
    resolve();
    if (!next_malloc)
        return boot_alloc(n);
    BUMP(n_alloc);
    return next_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    resolve();
    if (!next_calloc)
        return boot_alloc(a * b); /* static: already zero */
    BUMP(n_alloc);
    return next_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (in_boot(p)) { /* never happens in practice: copy out of the arena */
        void *q = malloc(n);
        if (q)
            memcpy(q, p, n < sizeof boot ? n : sizeof boot);
        return q;
    }
    if (p)
        BUMP(n_realloc);
    else
        BUMP(n_alloc);
    return next_realloc(p, n);
}

void free(void *p)
{
    if (!p || in_boot(p))
        return;
    resolve();
    BUMP(n_free);
    next_free(p);
}

void *memalign(size_t al, size_t n)
{
    resolve();
    BUMP(n_alloc);
    return next_memalign(al, n);
}

void *aligned_alloc(size_t al, size_t n)
{
    return memalign(al, n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
    void *p = memalign(al, n);
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
