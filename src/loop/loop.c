/* loop/loop.c — the loop core shared by every backend.
 *
 * The core owns what every backend would otherwise re-implement: a binary min-heap
 * of timers (so a backend holds one timer only), fd watches, the cross-thread post
 * queue, and dispatch. Dispatch is written so that any callback may stop or free any
 * timer or io, itself included:
 *   - a due timer is popped from the heap before its callback runs, and the heap is
 *     re-read after every callback, so a timer freed by an earlier callback is simply
 *     no longer there;
 *   - the core never touches a timer or io after calling its callback;
 *   - backends must not report a token again once watch(-1) returned for it (the
 *     epoll backend defers freeing its per-fd record to the end of its batch).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "httpx/error.h"
#include "httpx/features.h"
#include "loop/loop.h"
#include "core/banned.h"

#define NOT_ARMED ((size_t)-1)
#define NO_DEADLINE UINT64_MAX

typedef struct post_item {
    struct post_item *next;
    void (*fn)(void *arg);
    void *arg;
} post_item_t;

struct httpx_loop {
    httpx_loop_ops_t ops;
    void *user;
    const httpx_allocator_t *alloc;

    httpx_timer_t **heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;
    uint64_t armed; /* deadline the backend's timer is set for, NO_DEADLINE if none */
    int timer_dispatch; /* >0 while running due timers: re-arm once at the end */
    uint64_t fired;     /* count of httpx_loop_timer_fired calls */

    size_t active_ios; /* strong ios with a non-zero interest */
    size_t weak_timers; /* weak timers in the heap */
    size_t ios;         /* fd watches registered (init'ed, not released) */
    long refs;
    int depth;  /* >0 while this loop dispatches or runs: freeing it is refused */
    bool stop;
    bool kept;  /* what ops.keepalive was last told */

    pthread_mutex_t post_mu;
    post_item_t *post_head, *post_tail;
    size_t post_count;
};

/* Depth of library callbacks on this thread, across every loop. */
static _Thread_local int tls_dispatch_depth;

bool httpx__in_loop_callback(void)
{
    return tls_dispatch_depth > 0;
}

const httpx_allocator_t *httpx__loop_allocator(const httpx_loop_t *loop)
{
    return loop->alloc;
}

const char *httpx_loop_adapters(void)
{
    return "epoll"
#ifdef HTTPX_HAVE_UV
           " uv"
#endif
#ifdef HTTPX_HAVE_EVENT
           " event"
#endif
        ;
}

uint64_t httpx_loop_now(httpx_loop_t *loop)
{
    if (!loop)
        return 0;
    return loop->ops.now ? loop->ops.now(loop->user) : httpx__clock_ms();
}

/* ---- the timer heap ------------------------------------------------------ */

static bool timer_less(const httpx_timer_t *a, const httpx_timer_t *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void heap_place(httpx_loop_t *loop, size_t i, httpx_timer_t *t)
{
    loop->heap[i] = t;
    t->heap_index = i;
}

static void heap_up(httpx_loop_t *loop, size_t i)
{
    httpx_timer_t *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_less(t, loop->heap[parent]))
            break;
        heap_place(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_place(loop, i, t);
}

static void heap_down(httpx_loop_t *loop, size_t i)
{
    httpx_timer_t *t = loop->heap[i];
    size_t n = loop->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && timer_less(loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!timer_less(loop->heap[c], t))
            break;
        heap_place(loop, i, loop->heap[c]);
        i = c;
    }
    heap_place(loop, i, t);
}

static void heap_remove(httpx_loop_t *loop, httpx_timer_t *t)
{
    if (t->weak)
        loop->weak_timers--;
    size_t i = t->heap_index;
    httpx_timer_t *last = loop->heap[--loop->heap_len];
    t->heap_index = NOT_ARMED;
    if (last == t)
        return;
    heap_place(loop, i, last);
    /* The moved element may belong above or below its new place. */
    if (i > 0 && timer_less(last, loop->heap[(i - 1) / 2]))
        heap_up(loop, i);
    else
        heap_down(loop, i);
}

/* Tell the backend about the earliest deadline, only when it changed. */
static void timer_rearm(httpx_loop_t *loop)
{
    if (loop->timer_dispatch)
        return;
    uint64_t want = loop->heap_len ? loop->heap[0]->deadline : NO_DEADLINE;
    if (want == loop->armed)
        return;
    int64_t ms = -1;
    if (want != NO_DEADLINE) {
        uint64_t now = httpx_loop_now(loop);
        uint64_t d = want > now ? want - now : 0;
        ms = d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
    }
    /* On failure leave `armed` stale so the next change retries. */
    if (loop->ops.timer(loop->user, ms) == 0)
        loop->armed = want;
}

/* Tell a backend with a keepalive op when strong work (an fd with interest, a timer
 * that is not weak) appears or disappears. Posted hand-overs are left out: they
 * arrive from other threads, and the backend's wake covers them. */
static void live_update(httpx_loop_t *loop)
{
    if (!loop->ops.keepalive)
        return;
    bool alive = loop->active_ios > 0 || loop->heap_len > loop->weak_timers;
    if (alive == loop->kept)
        return;
    loop->kept = alive;
    loop->ops.keepalive(loop->user, alive);
}

void httpx__timer_init(httpx_timer_t *t, httpx_loop_t *loop, httpx_timer_cb cb, void *user)
{
    memset(t, 0, sizeof *t);
    t->loop = loop;
    t->heap_index = NOT_ARMED;
    t->cb = cb;
    t->user = user;
}

void httpx__timer_release(httpx_timer_t *t)
{
    if (t)
        httpx_timer_stop(t);
}

httpx_timer_t *httpx_timer_new(httpx_loop_t *loop, httpx_timer_cb cb, void *user)
{
    if (!loop || !cb)
        return NULL;
    httpx_timer_t *t = HTTPX__NEW(loop->alloc, httpx_timer_t);
    if (!t)
        return NULL;
    httpx__timer_init(t, loop, cb, user);
    t->heap_owned = true;
    return t;
}

int httpx_timer_start(httpx_timer_t *t, uint64_t timeout_ms)
{
    if (!t || !t->loop)
        return HTTPX_E_INVAL;
    httpx_loop_t *loop = t->loop;
    if (httpx__timer_active(t))
        heap_remove(loop, t);
    else if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
        httpx_timer_t **h = httpx__realloc(loop->alloc, loop->heap, cap * sizeof *h);
        if (!h) {
            timer_rearm(loop);
            return HTTPX_E_NOMEM;
        }
        loop->heap = h;
        loop->heap_cap = cap;
    }
    uint64_t now = httpx_loop_now(loop);
    t->deadline = timeout_ms > NO_DEADLINE - 1 - now ? NO_DEADLINE - 1 : now + timeout_ms;
    t->seq = loop->timer_seq++;
    loop->heap[loop->heap_len] = t;
    if (t->weak)
        loop->weak_timers++;
    heap_up(loop, loop->heap_len++);
    timer_rearm(loop);
    live_update(loop);
    return 0;
}

void httpx_timer_stop(httpx_timer_t *t)
{
    if (!t || !httpx__timer_active(t))
        return;
    heap_remove(t->loop, t);
    timer_rearm(t->loop);
    live_update(t->loop);
}

void httpx_timer_free(httpx_timer_t *t)
{
    if (!t)
        return;
    httpx_timer_stop(t);
    if (t->heap_owned)
        httpx__free(t->loop->alloc, t);
}

/* Run every timer due now. Timers (re)started by these callbacks wait for the next
 * round even if already due (their seq is past `limit`), so a callback restarting
 * itself with 0 ms cannot starve the loop. */
static void timers_run_due(httpx_loop_t *loop)
{
    uint64_t now = httpx_loop_now(loop);
    uint64_t limit = loop->timer_seq;
    loop->timer_dispatch++;
    loop->depth++;
    while (loop->heap_len) {
        httpx_timer_t *t = loop->heap[0];
        if (t->deadline > now || t->seq >= limit)
            break;
        heap_remove(loop, t);
        tls_dispatch_depth++;
        t->cb(t, t->user);
        tls_dispatch_depth--;
    }
    loop->depth--;
    loop->timer_dispatch--;
    timer_rearm(loop);
    live_update(loop);
}

void httpx_loop_timer_fired(httpx_loop_t *loop)
{
    /* The backend's timer is one-shot: it is no longer armed. */
    loop->armed = NO_DEADLINE;
    loop->fired++;
    timers_run_due(loop);
}

/* ---- fd watches ---------------------------------------------------------- */

int httpx__io_init(httpx_io_t *io, httpx_loop_t *loop, int fd, httpx_io_cb cb, void *user)
{
    memset(io, 0, sizeof *io);
    if (!loop || fd < 0 || !cb)
        return HTTPX_E_INVAL;
    io->loop = loop;
    io->fd = fd;
    io->cb = cb;
    io->user = user;
    loop->ios++;
    return 0;
}

void httpx__io_release(httpx_io_t *io)
{
    if (!io || !io->loop)
        return;
    httpx_loop_t *loop = io->loop;
    loop->ios--;
    if (io->events && !io->weak)
        loop->active_ios--;
    /* Always tell the backend, even with no interest: it may keep per-fd state
     * without using the slot. */
    loop->ops.watch(loop->user, io->fd, -1, io, &io->slot);
    io->events = 0;
    io->slot = NULL;
    io->loop = NULL;
    live_update(loop);
}

httpx_io_t *httpx_io_new(httpx_loop_t *loop, int fd, httpx_io_cb cb, void *user)
{
    if (!loop)
        return NULL;
    httpx_io_t *io = HTTPX__NEW(loop->alloc, httpx_io_t);
    if (!io)
        return NULL;
    if (httpx__io_init(io, loop, fd, cb, user) != 0) {
        httpx__free(loop->alloc, io);
        return NULL;
    }
    io->heap_owned = true;
    return io;
}

int httpx_io_set(httpx_io_t *io, int events)
{
    if (!io || !io->loop || events < 0 || (events & ~(HTTPX_IO_READ | HTTPX_IO_WRITE)))
        return HTTPX_E_INVAL;
    if (events == io->events)
        return 0;
    httpx_loop_t *loop = io->loop;
    int rc = loop->ops.watch(loop->user, io->fd, events, io, &io->slot);
    if (rc < 0)
        return rc;
    if (!io->weak) {
        if (!io->events && events)
            loop->active_ios++;
        else if (io->events && !events)
            loop->active_ios--;
    }
    io->events = events;
    live_update(loop);
    return 0;
}

void httpx_io_free(httpx_io_t *io)
{
    if (!io)
        return;
    /* Read the allocator before release clears io->loop. */
    const httpx_allocator_t *a = io->loop ? io->loop->alloc : NULL;
    bool owned = io->heap_owned;
    httpx__io_release(io);
    if (owned && a)
        httpx__free(a, io);
}

void httpx_loop_io_ready(httpx_loop_t *loop, void *token, int events)
{
    httpx_io_t *io = token;
    if (!io || io->loop != loop)
        return;
    int deliver;
    if (events & HTTPX_IO_ERROR)
        deliver = io->events ? (HTTPX_IO_READ | HTTPX_IO_WRITE | HTTPX_IO_ERROR) : 0;
    else
        deliver = events & io->events; /* interest may have changed since the poll */
    if (!deliver)
        return;
    loop->depth++;
    tls_dispatch_depth++;
    io->cb(io, deliver, io->user);
    tls_dispatch_depth--;
    loop->depth--;
}

/* ---- the post queue and wake --------------------------------------------- */

int httpx__loop_post(httpx_loop_t *loop, void (*fn)(void *arg), void *arg)
{
    if (!loop || !fn)
        return HTTPX_E_INVAL;
    if (!loop->ops.wake)
        return HTTPX_E_UNSUPPORTED;
    /* The allocator must be thread-safe when posting from another thread (the
     * default one is). */
    post_item_t *it = httpx__malloc(loop->alloc, sizeof *it);
    if (!it)
        return HTTPX_E_NOMEM;
    it->next = NULL;
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&loop->post_mu);
    if (loop->post_tail)
        loop->post_tail->next = it;
    else
        loop->post_head = it;
    loop->post_tail = it;
    loop->post_count++;
    pthread_mutex_unlock(&loop->post_mu);
    loop->ops.wake(loop->user);
    return 0;
}

void httpx_loop_wake(httpx_loop_t *loop)
{
    if (loop && loop->ops.wake)
        loop->ops.wake(loop->user);
}

void httpx_loop_woken(httpx_loop_t *loop)
{
    /* Take the whole queue at once: work posted by these callbacks waits for its
     * own wake, so a self-reposting callback cannot monopolise the loop. */
    pthread_mutex_lock(&loop->post_mu);
    post_item_t *it = loop->post_head;
    loop->post_head = loop->post_tail = NULL;
    pthread_mutex_unlock(&loop->post_mu);

    loop->depth++;
    while (it) {
        post_item_t *next = it->next;
        void (*fn)(void *) = it->fn;
        void *arg = it->arg;
        httpx__free(loop->alloc, it);
        pthread_mutex_lock(&loop->post_mu);
        loop->post_count--;
        pthread_mutex_unlock(&loop->post_mu);
        tls_dispatch_depth++;
        fn(arg);
        tls_dispatch_depth--;
        it = next;
    }
    loop->depth--;
}

/* ---- life cycle and running ---------------------------------------------- */

httpx_loop_t *httpx_loop_new_custom(const httpx_loop_ops_t *ops, void *user,
                                    const httpx_loop_opts_t *opts)
{
    if (!ops || !ops->watch || !ops->timer)
        return NULL;
    const httpx_allocator_t *a =
        httpx__alloc_or_default(opts && opts->struct_size >= sizeof *opts ? opts->allocator : NULL);
    httpx_loop_t *loop = HTTPX__NEW(a, httpx_loop_t);
    if (!loop)
        return NULL;
    /* Copy only what the caller's struct holds: an older, smaller table leaves
     * the newer ops NULL. */
    size_t n = ops->struct_size && ops->struct_size < sizeof loop->ops ? ops->struct_size
                                                                       : sizeof loop->ops;
    memcpy(&loop->ops, ops, n);
    loop->ops.struct_size = sizeof loop->ops;
    loop->user = user;
    loop->alloc = a;
    loop->armed = NO_DEADLINE;
    if (pthread_mutex_init(&loop->post_mu, NULL) != 0) {
        httpx__free(a, loop);
        return NULL;
    }
    return loop;
}

httpx_loop_t *httpx_loop_new(const httpx_loop_opts_t *opts)
{
    const httpx_allocator_t *a =
        httpx__alloc_or_default(opts && opts->struct_size >= sizeof *opts ? opts->allocator : NULL);
    void *backend;
    const httpx_loop_ops_t *ops;
    if (httpx__epoll_backend_new(&backend, &ops, a) != 0)
        return NULL;
    httpx_loop_t *loop = httpx_loop_new_custom(ops, backend, opts);
    if (!loop) {
        ops->release(backend);
        return NULL;
    }
    httpx__epoll_backend_attach(backend, loop);
    return loop;
}

int httpx_loop_free(httpx_loop_t *loop)
{
    if (!loop)
        return 0;
    if (loop->refs > 0 || loop->depth > 0)
        return HTTPX_E_BUSY;
    /* Posted work that never ran is dropped: its owner is gone with the loop. */
    post_item_t *it = loop->post_head;
    while (it) {
        post_item_t *next = it->next;
        httpx__free(loop->alloc, it);
        it = next;
    }
    /* Timers still armed are detached so a later stop/free does not touch the heap. */
    for (size_t i = 0; i < loop->heap_len; i++)
        loop->heap[i]->heap_index = NOT_ARMED;
    if (loop->ops.release)
        loop->ops.release(loop->user);
    pthread_mutex_destroy(&loop->post_mu);
    httpx__free(loop->alloc, loop->heap);
    httpx__free(loop->alloc, loop);
    return 0;
}

void httpx__loop_ref(httpx_loop_t *loop)
{
    loop->refs++;
}

void httpx__loop_unref(httpx_loop_t *loop)
{
    if (loop->refs > 0)
        loop->refs--;
}

void httpx__io_set_weak(httpx_io_t *io, bool weak)
{
    if (!io->loop || io->weak == weak)
        return;
    if (io->events)
        io->loop->active_ios += weak ? (size_t)-1 : 1;
    io->weak = weak;
    live_update(io->loop);
}

void httpx__timer_set_weak(httpx_timer_t *t, bool weak)
{
    if (t->weak == weak)
        return;
    if (httpx__timer_active(t))
        t->loop->weak_timers += weak ? 1 : (size_t)-1;
    t->weak = weak;
    if (t->loop)
        live_update(t->loop);
}

int httpx_loop_counts(httpx_loop_t *loop, httpx_loop_counts_t *out)
{
    if (!loop || !out)
        return HTTPX_E_INVAL;
    out->watchers = loop->ios;
    out->timers = loop->heap_len;
    pthread_mutex_lock(&loop->post_mu);
    out->posted = loop->post_count;
    pthread_mutex_unlock(&loop->post_mu);
    return 0;
}

static bool loop_alive(httpx_loop_t *loop)
{
    if (loop->active_ios || loop->heap_len > loop->weak_timers)
        return true;
    pthread_mutex_lock(&loop->post_mu);
    bool posted = loop->post_count > 0;
    pthread_mutex_unlock(&loop->post_mu);
    return posted;
}

int httpx_loop_run_once(httpx_loop_t *loop, int64_t timeout_ms)
{
    if (!loop)
        return HTTPX_E_INVAL;
    /* A nested wait would re-enter the backend in the middle of its batch. */
    if (httpx__in_loop_callback())
        return HTTPX_E_SYNC_IN_ASYNC;
    if (!loop->ops.run_once)
        return HTTPX_E_UNSUPPORTED;
    loop->depth++;
    uint64_t fired = loop->fired;
    int rc = loop->ops.run_once(loop->user, timeout_ms < 0 ? -1 : timeout_ms);
    /* A backend may return at a deadline without firing its timer (its clock or
     * rounding differ): run what is due, unless its timer already ran them. */
    if (rc == 0 && fired == loop->fired && loop->heap_len &&
        loop->heap[0]->deadline <= httpx_loop_now(loop))
        timers_run_due(loop);
    loop->depth--;
    return rc;
}

int httpx_loop_run(httpx_loop_t *loop)
{
    if (!loop)
        return HTTPX_E_INVAL;
    if (httpx__in_loop_callback())
        return HTTPX_E_SYNC_IN_ASYNC;
    if (!loop->ops.run_once)
        return HTTPX_E_UNSUPPORTED;
    int rc = 0;
    while (!loop->stop && loop_alive(loop)) {
        rc = httpx_loop_run_once(loop, -1);
        if (rc < 0)
            break;
    }
    loop->stop = false;
    return rc;
}

void httpx_loop_stop(httpx_loop_t *loop)
{
    if (loop)
        loop->stop = true;
}
