/* custom_loop_ops.h — the glue between libhttpx and a plain poll() loop: the whole
 * httpx_loop_ops_t of a loop of your own (see include/httpx/loop.h, "Writing the
 * glue", and docs/guide/event-loops.md). Shared by examples/custom_loop.c and the
 * test suite (HTTPX_TEST_LOOP=poll). Linux/POSIX; everything is static. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <httpx.h>

typedef struct pl_watch { int fd, events; void *token; bool dead; } pl_watch_t;

typedef struct poll_loop {
    httpx_loop_t *loop;     /* whom to report to */
    pl_watch_t **w;         /* one per fd; *slot points at it */
    struct pollfd *pfd;     /* [0] is the wake pipe, then one per watch */
    size_t n, cap;
    int64_t deadline;       /* of the one timer, in pl_now() ms; -1: disarmed */
    int wake[2];            /* self-pipe: written by any thread */
} poll_loop_t;

static int64_t pl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pl_compact(poll_loop_t *pl) /* drop forgotten watches, outside dispatch */
{
    size_t j = 0;
    for (size_t i = 0; i < pl->n; i++) {
        if (pl->w[i]->dead)
            free(pl->w[i]);
        else
            pl->w[j++] = pl->w[i];
    }
    pl->n = j;
}

static int pl_watch(void *user, int fd, int events, void *token, void **slot)
{
    poll_loop_t *pl = user;
    pl_watch_t *w = *slot;
    if (events < 0) {           /* forget: marked dead, so never reported again */
        if (w)
            w->dead = true;
        *slot = NULL;
        return 0;
    }
    if (!w) {
        if (pl->n == pl->cap) {
            size_t cap = pl->cap ? pl->cap * 2 : 64;
            pl_watch_t **nw = realloc(pl->w, cap * sizeof *nw);
            if (nw)
                pl->w = nw;
            struct pollfd *np = nw ? realloc(pl->pfd, (cap + 1) * sizeof *np) : NULL;
            if (!np)
                return HTTPX_E_NOMEM;
            pl->pfd = np;
            pl->cap = cap;
        }
        if (!(w = calloc(1, sizeof *w)))
            return HTTPX_E_NOMEM;
        w->fd = fd;
        w->token = token;
        pl->w[pl->n++] = w;
        *slot = w;
    }
    w->events = events;         /* poll() reads the interest afresh every turn */
    return 0;
}

static int pl_timer(void *user, int64_t timeout_ms)
{
    poll_loop_t *pl = user;
    pl->deadline = timeout_ms < 0 ? -1 : pl_now() + timeout_ms;
    return 0;
}

static void pl_wake(void *user) /* any thread */
{
    ssize_t r = write(((poll_loop_t *)user)->wake[1], "x", 1); /* EAGAIN: already due */
    (void)r;
}

static int pl_run_once(void *user, int64_t timeout_ms)
{
    poll_loop_t *pl = user;
    int64_t wait = timeout_ms;
    if (pl->deadline >= 0) {
        int64_t left = pl->deadline - pl_now();
        if (wait < 0 || (left < 0 ? 0 : left) < wait)
            wait = left < 0 ? 0 : left;
    }
    size_t n = pl->n;
    pl->pfd[0] = (struct pollfd){.fd = pl->wake[0], .events = POLLIN};
    for (size_t i = 0; i < n; i++) {
        int e = pl->w[i]->events;
        pl->pfd[i + 1] = (struct pollfd){.fd = e ? pl->w[i]->fd : -1,
                                         .events = (short)(((e & HTTPX_IO_READ) ? POLLIN : 0) |
                                                           ((e & HTTPX_IO_WRITE) ? POLLOUT : 0))};
    }
    if (poll(pl->pfd, n + 1, wait > INT_MAX ? INT_MAX : (int)wait) < 0 && errno != EINTR)
        return HTTPX_E_SYSTEM;
    for (size_t i = 0; i < n; i++) { /* watches added meanwhile wait for the next turn */
        short re = pl->pfd[i + 1].revents;
        if (!re || pl->w[i]->dead)
            continue;
        int ready = ((re & POLLIN) ? HTTPX_IO_READ : 0) | ((re & POLLOUT) ? HTTPX_IO_WRITE : 0);
        if (re & (POLLERR | POLLHUP | POLLNVAL))
            ready = HTTPX_IO_READ | HTTPX_IO_WRITE | HTTPX_IO_ERROR;
        httpx_loop_io_ready(pl->loop, pl->w[i]->token, ready);
    }
    if (pl->pfd[0].revents & POLLIN) {
        char buf[64];
        while (read(pl->wake[0], buf, sizeof buf) > 0) {}
        httpx_loop_woken(pl->loop);
    }
    if (pl->deadline >= 0 && pl_now() >= pl->deadline) {
        pl->deadline = -1;      /* one-shot */
        httpx_loop_timer_fired(pl->loop);
    }
    pl_compact(pl);
    return 0;
}

static void pl_release(void *user)
{
    poll_loop_t *pl = user;
    for (size_t i = 0; i < pl->n; i++)
        free(pl->w[i]);
    free(pl->w);
    free(pl->pfd);
    close(pl->wake[0]);
    close(pl->wake[1]);
    free(pl);
}

/* An httpx loop on a new poll() loop (*out, if wanted, to run it yourself with
 * pl_run_once); free it with httpx_loop_free(). */
static httpx_loop_t *poll_loop_new(poll_loop_t **out)
{
    static const httpx_loop_ops_t ops = {
        .struct_size = sizeof ops, .watch = pl_watch, .timer = pl_timer, .wake = pl_wake,
        .run_once = pl_run_once, .release = pl_release, /* now: NULL = CLOCK_MONOTONIC */
    };
    poll_loop_t *pl = calloc(1, sizeof *pl);
    if (!pl || !(pl->pfd = malloc(sizeof *pl->pfd)) || pipe2(pl->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
        if (pl)
            free(pl->pfd);
        free(pl);
        return NULL;
    }
    pl->deadline = -1;
    if (!(pl->loop = httpx_loop_new_custom(&ops, pl, NULL))) {
        pl_release(pl);
        return NULL;
    }
    if (out)
        *out = pl;
    return pl->loop;
}
