/* loop/adapters/event.c — the loop ops on a libevent event_base, written only
 * against the public ops of httpx/loop.h (STYLE.md item 13).
 *
 * A persistent event per fd (in the ops' slot), one timer event for the library's
 * timer, one that bounds run_once, and an eventfd read event for wake: robust
 * across threads whether or not the application enabled libevent's locking.
 * event_free() of an fd's event also takes it off the active list, so nothing is
 * reported after watch(-1), even within the batch that collected it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <event2/event.h>

#include "httpx/error.h"
#include "httpx/event.h"

typedef struct evw evw_t;

typedef struct evb {
    struct event_base *base;
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    struct event *timer, *wait, *wake;
    int wakefd;
    evw_t *live; /* fd watchers, freed on release if the library left any */
} evb_t;

struct evw {
    struct event *ev;
    evb_t *b;
    void *token;
    int events; /* interest added to libevent; 0: not pending */
    evw_t *prev, *next;
};

static void evb_forget(evb_t *b, evw_t *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->live = w->next;
    if (w->next)
        w->next->prev = w->prev;
    event_free(w->ev);
    b->a->free(b->a->user, w);
}

static void evb_on_io(evutil_socket_t fd, short what, void *arg)
{
    evw_t *w = arg;
    (void)fd;
    int ready = ((what & EV_READ) ? HTTPX_IO_READ : 0) | ((what & EV_WRITE) ? HTTPX_IO_WRITE : 0);
    httpx_loop_io_ready(w->b->loop, w->token, ready); /* may forget w: not touched after */
}

static int evb_watch(void *user, int fd, int events, void *token, void **slot)
{
    evb_t *b = user;
    evw_t *w = *slot;
    if (events < 0) {
        if (w) {
            *slot = NULL;
            evb_forget(b, w);
        }
        return 0;
    }
    if (!w) {
        w = b->a->malloc(b->a->user, sizeof *w);
        if (!w)
            return HTTPX_E_NOMEM;
        memset(w, 0, sizeof *w);
        w->ev = event_new(b->base, fd, EV_PERSIST, evb_on_io, w);
        if (!w->ev) {
            b->a->free(b->a->user, w);
            return HTTPX_E_NOMEM;
        }
        w->b = b;
        w->token = token;
        w->next = b->live;
        if (b->live)
            b->live->prev = w;
        b->live = w;
        *slot = w;
    }
    if (events == w->events)
        return 0;
    /* A new interest: take the event out, re-assign its flags, add it back. */
    if (w->events)
        event_del(w->ev);
    w->events = 0;
    if (!events)
        return 0;
    short what = (short)(EV_PERSIST | ((events & HTTPX_IO_READ) ? EV_READ : 0) |
                         ((events & HTTPX_IO_WRITE) ? EV_WRITE : 0));
    if (event_assign(w->ev, b->base, fd, what, evb_on_io, w) != 0 || event_add(w->ev, NULL) != 0)
        return HTTPX_E_SYSTEM;
    w->events = events;
    return 0;
}

static void evb_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    httpx_loop_timer_fired(((evb_t *)arg)->loop);
}

static struct timeval evb_tv(int64_t ms)
{
    return (struct timeval){.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

static int evb_timer(void *user, int64_t timeout_ms)
{
    evb_t *b = user;
    if (timeout_ms < 0)
        return event_del(b->timer) == 0 ? 0 : HTTPX_E_SYSTEM;
    event_base_update_cache_time(b->base); /* the cached time may be a callback old */
    struct timeval tv = evb_tv(timeout_ms);
    return evtimer_add(b->timer, &tv) == 0 ? 0 : HTTPX_E_SYSTEM;
}

static void evb_on_wake(evutil_socket_t fd, short what, void *arg)
{
    uint64_t n;
    (void)what;
    ssize_t r = read(fd, &n, sizeof n);
    (void)r;
    httpx_loop_woken(((evb_t *)arg)->loop);
}

static void evb_wake(void *user)
{
    uint64_t one = 1;
    /* EAGAIN: the counter is already non-zero, the loop wakes anyway. */
    ssize_t r = write(((evb_t *)user)->wakefd, &one, sizeof one);
    (void)r;
}

static void evb_on_wait(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg; /* only ends the wait */
}

static int evb_run_once(void *user, int64_t timeout_ms)
{
    evb_t *b = user;
    if (timeout_ms == 0)
        return event_base_loop(b->base, EVLOOP_NONBLOCK) < 0 ? HTTPX_E_SYSTEM : 0;
    if (timeout_ms > 0) {
        struct timeval tv = evb_tv(timeout_ms);
        evtimer_add(b->wait, &tv);
    }
    int rc = event_base_loop(b->base, EVLOOP_ONCE);
    event_del(b->wait);
    return rc < 0 ? HTTPX_E_SYSTEM : 0;
}

static void evb_release(void *user)
{
    evb_t *b = user;
    while (b->live)
        evb_forget(b, b->live);
    if (b->timer)
        event_free(b->timer);
    if (b->wait)
        event_free(b->wait);
    if (b->wake)
        event_free(b->wake);
    if (b->wakefd >= 0)
        close(b->wakefd);
    b->a->free(b->a->user, b);
}

static const httpx_loop_ops_t evb_ops = {
    .struct_size = sizeof(httpx_loop_ops_t),
    .watch = evb_watch,
    .timer = evb_timer,
    .now = NULL, /* CLOCK_MONOTONIC; timers are relative */
    .wake = evb_wake,
    .run_once = evb_run_once,
    .release = evb_release,
    .keepalive = NULL, /* libevent has no unreferenced events */
};

httpx_loop_t *httpx_loop_from_event_base(struct event_base *base, const httpx_loop_opts_t *opts)
{
    if (!base)
        return NULL;
    const httpx_allocator_t *a = opts && opts->struct_size >= sizeof *opts && opts->allocator
                                     ? opts->allocator : httpx_default_allocator();
    evb_t *b = a->malloc(a->user, sizeof *b);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->base = base;
    b->a = a;
    b->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    b->timer = evtimer_new(base, evb_on_timer, b);
    b->wait = evtimer_new(base, evb_on_wait, b);
    if (b->wakefd >= 0)
        b->wake = event_new(base, b->wakefd, EV_READ | EV_PERSIST, evb_on_wake, b);
    if (!b->timer || !b->wait || !b->wake || event_add(b->wake, NULL) != 0)
        goto fail;
    b->loop = httpx_loop_new_custom(&evb_ops, b, opts);
    if (!b->loop)
        goto fail;
    return b->loop;
fail:
    evb_release(b);
    return NULL;
}
