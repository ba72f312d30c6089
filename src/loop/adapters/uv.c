/* loop/adapters/uv.c — the loop ops on a libuv loop, written only against the
 * public ops of httpx/loop.h (STYLE.md item 13), like any user's glue.
 *
 * A uv_poll_t per fd (in the ops' slot), one uv_timer_t for the library's timer, a
 * uv_async_t for wake and a second timer that bounds run_once. All handles are
 * unreferenced; the async handle is referenced while the library reports strong
 * work (the keepalive op) and during run_once, so uv_run ends when the library's
 * work does. Handles are closed with uv_close; the last close callback frees the
 * adapter, so its memory outlives httpx_loop_free() by one uv turn.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <uv.h>

#include "httpx/error.h"
#include "httpx/uv.h"

typedef struct uvw uvw_t;

typedef struct uvb {
    uv_loop_t *uv;
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    uv_timer_t timer; /* the library's one timer */
    uv_timer_t wait;  /* bounds run_once */
    uv_async_t wake;
    int open;         /* handles not closed yet: the adapter goes with the last */
    bool alive;       /* last keepalive report */
    uvw_t *live;      /* fd watchers, closed on release if the library left any */
} uvb_t;

struct uvw {
    uv_poll_t poll;   /* first: a handle's address is its watcher's */
    uvb_t *b;
    void *token;
    int events;       /* interest given to libuv; 0: stopped */
    uvw_t *prev, *next;
};

static void uvb_handle_closed(uv_handle_t *h)
{
    uvb_t *b = h->data;
    if (--b->open == 0)
        b->a->free(b->a->user, b);
}

static void uvb_poll_closed(uv_handle_t *h)
{
    uvw_t *w = (uvw_t *)h;
    uvb_t *b = w->b;
    b->a->free(b->a->user, w);
    if (--b->open == 0)
        b->a->free(b->a->user, b);
}

static void uvb_forget(uvb_t *b, uvw_t *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->live = w->next;
    if (w->next)
        w->next->prev = w->prev;
    /* uv_close stops the poll: libuv reports nothing more for it, even in this batch. */
    uv_close((uv_handle_t *)&w->poll, uvb_poll_closed);
}

static void uvb_on_poll(uv_poll_t *h, int status, int ev)
{
    uvw_t *w = (uvw_t *)h;
    int ready;
    if (status < 0) {
        w->events = 0; /* libuv stopped the handle */
        ready = HTTPX_IO_READ | HTTPX_IO_WRITE | HTTPX_IO_ERROR;
    } else {
        ready = ((ev & UV_READABLE) ? HTTPX_IO_READ : 0) | ((ev & UV_WRITABLE) ? HTTPX_IO_WRITE : 0);
    }
    httpx_loop_io_ready(w->b->loop, w->token, ready); /* may forget w: not touched after */
}

static int uvb_watch(void *user, int fd, int events, void *token, void **slot)
{
    uvb_t *b = user;
    uvw_t *w = *slot;
    if (events < 0) {
        if (w) {
            *slot = NULL;
            uvb_forget(b, w);
        }
        return 0;
    }
    if (!w) {
        w = b->a->malloc(b->a->user, sizeof *w);
        if (!w)
            return HTTPX_E_NOMEM;
        memset(w, 0, sizeof *w);
        if (uv_poll_init(b->uv, &w->poll, fd) != 0) {
            b->a->free(b->a->user, w);
            return HTTPX_E_SYSTEM;
        }
        uv_unref((uv_handle_t *)&w->poll);
        b->open++;
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
    int rc = events ? uv_poll_start(&w->poll, ((events & HTTPX_IO_READ) ? UV_READABLE : 0) |
                                                  ((events & HTTPX_IO_WRITE) ? UV_WRITABLE : 0),
                                    uvb_on_poll)
                    : uv_poll_stop(&w->poll);
    if (rc != 0)
        return rc == UV_ENOMEM ? HTTPX_E_NOMEM : HTTPX_E_SYSTEM;
    w->events = events;
    return 0;
}

static void uvb_on_timer(uv_timer_t *h)
{
    httpx_loop_timer_fired(((uvb_t *)h->data)->loop);
}

static int uvb_timer(void *user, int64_t timeout_ms)
{
    uvb_t *b = user;
    if (timeout_ms < 0)
        return uv_timer_stop(&b->timer) == 0 ? 0 : HTTPX_E_SYSTEM;
    uv_update_time(b->uv); /* the cached loop time may be a whole callback old */
    return uv_timer_start(&b->timer, uvb_on_timer, (uint64_t)timeout_ms, 0) == 0 ? 0 : HTTPX_E_SYSTEM;
}

static void uvb_on_wake(uv_async_t *h)
{
    httpx_loop_woken(((uvb_t *)h->data)->loop);
}

static void uvb_wake(void *user)
{
    uv_async_send(&((uvb_t *)user)->wake); /* thread-safe; sends coalesce */
}

static void uvb_keepalive(void *user, int alive)
{
    uvb_t *b = user;
    b->alive = alive;
    if (alive)
        uv_ref((uv_handle_t *)&b->wake);
    else
        uv_unref((uv_handle_t *)&b->wake);
}

static void uvb_on_wait(uv_timer_t *h)
{
    (void)h; /* only ends uv_run's wait */
}

static int uvb_run_once(void *user, int64_t timeout_ms)
{
    uvb_t *b = user;
    if (timeout_ms == 0) {
        uv_run(b->uv, UV_RUN_NOWAIT);
        return 0;
    }
    /* The caller waits for something (a future, posted work): make sure uv_run
     * polls even when nothing referenced is left. */
    uv_ref((uv_handle_t *)&b->wake);
    if (timeout_ms > 0)
        uv_timer_start(&b->wait, uvb_on_wait, (uint64_t)timeout_ms, 0);
    uv_run(b->uv, UV_RUN_ONCE);
    uv_timer_stop(&b->wait);
    if (!b->alive)
        uv_unref((uv_handle_t *)&b->wake);
    return 0;
}

static void uvb_release(void *user)
{
    uvb_t *b = user;
    while (b->live)
        uvb_forget(b, b->live);
    uv_close((uv_handle_t *)&b->timer, uvb_handle_closed);
    uv_close((uv_handle_t *)&b->wait, uvb_handle_closed);
    uv_close((uv_handle_t *)&b->wake, uvb_handle_closed);
}

static const httpx_loop_ops_t uvb_ops = {
    .struct_size = sizeof(httpx_loop_ops_t),
    .watch = uvb_watch,
    .timer = uvb_timer,
    .now = NULL, /* CLOCK_MONOTONIC: timers are relative, so uv's clock need not agree */
    .wake = uvb_wake,
    .run_once = uvb_run_once,
    .release = uvb_release,
    .keepalive = uvb_keepalive,
};

httpx_loop_t *httpx_loop_from_uv(uv_loop_t *uv, const httpx_loop_opts_t *opts)
{
    if (!uv)
        return NULL;
    const httpx_allocator_t *a = opts && opts->struct_size >= sizeof *opts && opts->allocator
                                     ? opts->allocator : httpx_default_allocator();
    uvb_t *b = a->malloc(a->user, sizeof *b);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->uv = uv;
    b->a = a;
    if (uv_async_init(uv, &b->wake, uvb_on_wake) != 0) {
        a->free(a->user, b);
        return NULL;
    }
    uv_timer_init(uv, &b->timer); /* cannot fail */
    uv_timer_init(uv, &b->wait);
    b->timer.data = b->wait.data = b->wake.data = b;
    uv_unref((uv_handle_t *)&b->wake);
    uv_unref((uv_handle_t *)&b->timer);
    b->open = 3;
    b->loop = httpx_loop_new_custom(&uvb_ops, b, opts);
    if (!b->loop) {
        uvb_release(b); /* freed by the close callbacks on the next uv turn */
        return NULL;
    }
    return b->loop;
}
