/* loop/loop.h — the loop core shared by every backend: fd watches, the timer heap,
 * dispatch, cross-thread wake, and the "inside a callback" marker that lets sync
 * calls refuse to run inside an async context.
 *
 * struct httpx_timer and struct httpx_io are embedded by the engine (init/release)
 * and heap-allocated for users (httpx_timer_new/httpx_io_new in httpx/loop.h).
 */
#ifndef HTTPX_LOOP_LOOP_H
#define HTTPX_LOOP_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "httpx/loop.h"

struct httpx_timer {
    httpx_loop_t *loop;
    uint64_t deadline;  /* loop ms */
    uint64_t seq;       /* insertion order: equal deadlines fire FIFO */
    size_t heap_index;  /* (size_t)-1 when not armed */
    httpx_timer_cb cb;
    void *user;
    bool heap_owned;    /* allocated by httpx_timer_new */
    bool weak;          /* does not keep httpx_loop_run going (housekeeping) */
};

struct httpx_io {
    httpx_loop_t *loop;
    int fd;
    int events;         /* current interest */
    void *slot;         /* the backend's per-fd pointer */
    httpx_io_cb cb;
    void *user;
    bool heap_owned;
    bool weak;          /* does not keep httpx_loop_run going (idle connections) */
};

/* Embedded forms. release stops/forgets and never closes the fd. */
void httpx__timer_init(httpx_timer_t *t, httpx_loop_t *loop, httpx_timer_cb cb, void *user);
void httpx__timer_release(httpx_timer_t *t);
static inline bool httpx__timer_active(const httpx_timer_t *t) { return t->heap_index != (size_t)-1; }
int httpx__io_init(httpx_io_t *io, httpx_loop_t *loop, int fd, httpx_io_cb cb, void *user);
void httpx__io_release(httpx_io_t *io);

/* Weak watchers and timers (idle pooled connections, the pool's expiry timer) do
 * not keep httpx_loop_run() alive, as an unref'd libuv handle: a loop whose only
 * work is keeping connections warm has nothing left to wait for. */
void httpx__io_set_weak(httpx_io_t *io, bool weak);
void httpx__timer_set_weak(httpx_timer_t *t, bool weak);

/* Allocator of the loop (never NULL). */
const httpx_allocator_t *httpx__loop_allocator(const httpx_loop_t *loop);

/* True while this thread is inside a callback dispatched by any httpx loop (a
 * thread-local depth counter): the sync API refuses to block then. */
bool httpx__in_loop_callback(void);

/* Queue `fn(arg)` to run on the loop's thread at its next wake (thread-safe).
 * HTTPX_E_UNSUPPORTED if the backend has no wake op, HTTPX_E_NOMEM. */
int httpx__loop_post(httpx_loop_t *loop, void (*fn)(void *arg), void *arg);

/* Count of clients (or other owners) registered on the loop; httpx_loop_free
 * refuses while non-zero. */
void httpx__loop_ref(httpx_loop_t *loop);
void httpx__loop_unref(httpx_loop_t *loop);

/* The built-in epoll backend's operations (loop/epoll.c). Written only against the
 * public httpx_loop_ops_t, so it also serves custom loops (and tests): create it,
 * wrap it with httpx_loop_new_custom(*ops, backend_user, ...), then attach the loop
 * so the backend knows whom to report to. ops->release frees the backend.
 * Backend rule (every backend): once watch(fd, -1, token, slot) returned, that
 * token is never reported again, even if its event was already collected. */
int httpx__epoll_backend_new(void **backend_user, const httpx_loop_ops_t **ops, const httpx_allocator_t *a);
void httpx__epoll_backend_attach(void *backend_user, httpx_loop_t *loop);

#endif
