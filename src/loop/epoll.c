/* loop/epoll.c — the built-in backend: epoll (level-triggered) plus an eventfd for
 * cross-thread wake. It uses only the public loop API (httpx/loop.h), so it is
 * also the template for adapters to other loops.
 *
 * The single timer is the epoll_wait timeout rather than a timerfd: the core
 * re-arms often (every change of the earliest deadline), and storing a deadline is
 * free where timerfd_settime is a syscall each time; the API's resolution is the
 * millisecond, which is what epoll_wait offers.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/mem.h"
#include "httpx/error.h"
#include "httpx/loop.h"
#include "loop/loop.h"
#include "core/banned.h"

#define EP_BATCH 64

/* One per watched fd, kept in the io's slot. */
typedef struct ep_watch {
    int fd;
    int events;   /* interest registered in epoll; 0: not in the epoll set */
    void *token;
    bool dead;    /* forgotten during a batch: skip its collected events */
    struct ep_watch *next_dead;
    struct ep_watch *prev, *next; /* live watches, freed on release if still there */
} ep_watch_t;

typedef struct ep_backend {
    httpx_loop_t *loop;
    const httpx_allocator_t *alloc;
    int epfd;
    int wakefd;
    bool timer_armed;
    uint64_t timer_deadline; /* loop ms */
    int dispatching;
    ep_watch_t *dead; /* freed once the batch that may still name them is over */
    ep_watch_t *live;
} ep_backend_t;

/* epoll_event.data.ptr for the wake eventfd: any address no watch can have. */
static char ep_wake_marker;

static uint32_t ep_mask(int events)
{
    return ((events & HTTPX_IO_READ) ? EPOLLIN : 0u) | ((events & HTTPX_IO_WRITE) ? EPOLLOUT : 0u);
}

static void ep_reap(ep_backend_t *b)
{
    while (b->dead) {
        ep_watch_t *w = b->dead;
        b->dead = w->next_dead;
        httpx__free(b->alloc, w);
    }
}

static int ep_watch(void *user, int fd, int events, void *token, void **slot)
{
    ep_backend_t *b = user;
    ep_watch_t *w = *slot;

    if (events < 0) {
        if (!w)
            return 0;
        if (w->events)
            epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
        *slot = NULL;
        if (w->prev)
            w->prev->next = w->next;
        else
            b->live = w->next;
        if (w->next)
            w->next->prev = w->prev;
        if (b->dispatching) {
            w->dead = true;
            w->next_dead = b->dead;
            b->dead = w;
        } else {
            httpx__free(b->alloc, w);
        }
        return 0;
    }

    if (!w) {
        w = httpx__calloc(b->alloc, sizeof *w);
        if (!w)
            return HTTPX_E_NOMEM;
        w->fd = fd;
        w->token = token;
        w->next = b->live;
        if (b->live)
            b->live->prev = w;
        b->live = w;
        *slot = w;
    }
    if (events == w->events)
        return 0;
    int rc;
    if (!events) {
        /* Leave the set rather than keep an empty mask: epoll reports HUP/ERR even
         * for an empty mask, which would spin a level-triggered loop. */
        rc = epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
    } else {
        struct epoll_event ev = {.events = ep_mask(events), .data.ptr = w};
        rc = epoll_ctl(b->epfd, w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    }
    if (rc < 0)
        return errno == ENOMEM || errno == ENOSPC ? HTTPX_E_NOMEM : HTTPX_E_SYSTEM;
    w->events = events;
    return 0;
}

static int ep_timer(void *user, int64_t timeout_ms)
{
    ep_backend_t *b = user;
    if (timeout_ms < 0) {
        b->timer_armed = false;
        return 0;
    }
    b->timer_armed = true;
    b->timer_deadline = httpx_loop_now(b->loop) + (uint64_t)timeout_ms;
    return 0;
}

static void ep_wake(void *user)
{
    ep_backend_t *b = user;
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop will wake anyway. */
    ssize_t n = write(b->wakefd, &one, sizeof one);
    (void)n;
}

static int ep_run_once(void *user, int64_t timeout_ms)
{
    ep_backend_t *b = user;
    int64_t wait = timeout_ms;
    if (b->timer_armed) {
        uint64_t now = httpx_loop_now(b->loop);
        int64_t left = b->timer_deadline > now ? (int64_t)(b->timer_deadline - now) : 0;
        if (wait < 0 || left < wait)
            wait = left;
    }
    if (wait > INT_MAX)
        wait = INT_MAX;

    struct epoll_event evs[EP_BATCH];
    int n = epoll_wait(b->epfd, evs, EP_BATCH, (int)wait);
    if (n < 0) {
        if (errno != EINTR)
            return HTTPX_E_SYSTEM;
        n = 0; /* a signal: still run the timer if it is due */
    }

    bool woken = false;
    b->dispatching++;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.ptr == &ep_wake_marker) {
            uint64_t cnt;
            ssize_t r = read(b->wakefd, &cnt, sizeof cnt);
            (void)r;
            woken = true;
            continue;
        }
        ep_watch_t *w = evs[i].data.ptr;
        if (w->dead)
            continue;
        uint32_t e = evs[i].events;
        int ready = 0;
        if (e & (EPOLLERR | EPOLLHUP))
            ready = HTTPX_IO_READ | HTTPX_IO_WRITE | HTTPX_IO_ERROR;
        if (e & EPOLLIN)
            ready |= HTTPX_IO_READ;
        if (e & EPOLLOUT)
            ready |= HTTPX_IO_WRITE;
        httpx_loop_io_ready(b->loop, w->token, ready);
    }
    if (woken)
        httpx_loop_woken(b->loop);
    if (b->timer_armed && httpx_loop_now(b->loop) >= b->timer_deadline) {
        b->timer_armed = false;
        httpx_loop_timer_fired(b->loop);
    }
    b->dispatching--;
    if (!b->dispatching)
        ep_reap(b);
    return 0;
}

static void ep_release(void *user)
{
    ep_backend_t *b = user;
    if (!b)
        return;
    ep_reap(b);
    /* Watches of ios never released (the loop was freed under them). */
    while (b->live) {
        ep_watch_t *w = b->live;
        b->live = w->next;
        httpx__free(b->alloc, w);
    }
    if (b->epfd >= 0)
        close(b->epfd);
    if (b->wakefd >= 0)
        close(b->wakefd);
    httpx__free(b->alloc, b);
}

static const httpx_loop_ops_t ep_ops = {
    .struct_size = sizeof(httpx_loop_ops_t),
    .watch = ep_watch,
    .timer = ep_timer,
    .now = NULL,
    .wake = ep_wake,
    .run_once = ep_run_once,
    .release = ep_release,
};

int httpx__epoll_backend_new(void **backend_user, const httpx_loop_ops_t **ops, const httpx_allocator_t *a)
{
    a = httpx__alloc_or_default(a);
    ep_backend_t *b = httpx__calloc(a, sizeof *b);
    if (!b)
        return HTTPX_E_NOMEM;
    b->alloc = a;
    b->wakefd = -1;
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->epfd < 0)
        goto fail;
    b->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (b->wakefd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ep_wake_marker};
    if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->wakefd, &ev) < 0)
        goto fail;
    *backend_user = b;
    *ops = &ep_ops;
    return 0;
fail:;
    int rc = errno == ENOMEM ? HTTPX_E_NOMEM : HTTPX_E_SYSTEM;
    ep_release(b);
    return rc;
}

void httpx__epoll_backend_attach(void *backend_user, httpx_loop_t *loop)
{
    ((ep_backend_t *)backend_user)->loop = loop;
}
