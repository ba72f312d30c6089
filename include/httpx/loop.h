/* httpx/loop.h — the event loop the engine runs on.
 *
 * The engine never blocks: it asks a loop to watch file descriptors and to arm one
 * timer, and the loop calls back into the engine when something is ready. A loop is
 * a small table of operations (httpx_loop_ops_t) plus a pointer of the backend's.
 *
 *   httpx_loop_new()            the built-in epoll loop (the default; nothing to install)
 *   httpx_loop_new_custom()     any other loop: supply the operations yourself
 *   httpx/uv.h, httpx/event.h   ready-made adapters for libuv and libevent
 *
 * The library keeps its own timer heap, so a backend only ever holds one timer.
 *
 * Writing the glue for another loop (GLib, Qt, a game loop, your own poll()):
 *  1. Make a struct of yours (the `user` pointer) that holds your loop and, after
 *     step 3, the httpx_loop_t it reports to.
 *  2. Fill an httpx_loop_ops_t: watch (one watcher per fd, kept in *slot; readiness
 *     goes to httpx_loop_io_ready), timer (one one-shot timer; expiry goes to
 *     httpx_loop_timer_fired), and if you can: wake (a pipe or eventfd your loop
 *     watches; its callback calls httpx_loop_woken), run_once (run your loop one
 *     iteration, so httpx_future_wait and httpx_loop_run work), release (free your
 *     struct) and keepalive (if your loop counts references, as libuv does).
 *  3. loop = httpx_loop_new_custom(&ops, mine, NULL); mine->loop = loop.
 *  Rules: call back only on the loop's thread; never report an fd's token after
 *  watch(fd, -1) returned for it (even if the event was already collected in the
 *  current batch: mark it dead); a timer that fires early is harmless (the library
 *  re-arms it). examples/custom_loop_ops.h is a complete poll() backend in about
 *  a hundred lines; docs/guide/event-loops.md walks through it and GLib.
 *
 * Threads: a loop, and every client created on it, belong to the thread that runs the
 * loop. The only call that may be made from another thread is httpx_loop_wake().
 */
#ifndef HTTPX_LOOP_H
#define HTTPX_LOOP_H

#include <stdint.h>
#include "httpx/export.h"
#include "httpx/alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_loop httpx_loop_t;

/* Interest and readiness bits for a watched fd. */
enum {
    HTTPX_IO_READ = 1,
    HTTPX_IO_WRITE = 2,
    HTTPX_IO_ERROR = 4 /* readiness only: error or hang-up (delivered as READ|WRITE too) */
};

/* What a backend provides. All pointers except watch and timer may be NULL.
 * `user` is the backend pointer given to httpx_loop_new_custom(). */
typedef struct httpx_loop_ops {
    size_t struct_size; /* sizeof(httpx_loop_ops_t), for ABI growth */

    /* Set the interest in `fd` to `events` (HTTPX_IO_READ|HTTPX_IO_WRITE, or 0 for
     * none). `*slot` is a pointer-sized place the library keeps for this fd: NULL on
     * the first call, then whatever the backend stored (e.g. its watcher). When
     * `events` is -1 the fd is being forgotten: release what `*slot` holds (the fd is
     * still open at that moment and is closed right after). When the fd becomes
     * ready, call httpx_loop_io_ready(loop, token, ready_events). Return 0 or a
     * negative HTTPX_E_* code. */
    int (*watch)(void *user, int fd, int events, void *token, void **slot);

    /* Arm the loop's single timer to fire once after `timeout_ms` milliseconds
     * (0: as soon as possible), replacing any earlier setting; -1 disarms it. When it
     * fires, call httpx_loop_timer_fired(loop). Return 0 or HTTPX_E_*. */
    int (*timer)(void *user, int64_t timeout_ms);

    /* Monotonic time in milliseconds. NULL: CLOCK_MONOTONIC. */
    uint64_t (*now)(void *user);

    /* Make the loop call httpx_loop_woken(loop) soon, on the loop's thread. Must be
     * safe to call from any thread. NULL: cross-thread hand-over is unavailable. */
    void (*wake)(void *user);

    /* Run the loop once, waiting up to `timeout_ms` (-1: no limit) for at least one
     * event, and dispatch what is ready. Lets a future be waited on. NULL: waiting on
     * this loop is refused with HTTPX_E_UNSUPPORTED. Returns 0 or HTTPX_E_*. */
    int (*run_once)(void *user, int64_t timeout_ms);

    /* Called once by httpx_loop_free() after everything is released. May be NULL. */
    void (*release)(void *user);

    /* Liveness, for loops that count references (libuv's uv_ref/uv_unref). Called
     * on the loop's thread with 1 when the library gets work that should keep the
     * loop running (an fd with interest, a request's timer) and 0 when only weak
     * housekeeping is left (idle pooled connections, the pool's expiry timer) or
     * nothing. Transitions only; starts at 0. Work handed over from other threads
     * is not counted: it arrives through wake. May be NULL. */
    void (*keepalive)(void *user, int alive);
} httpx_loop_ops_t;

typedef struct httpx_loop_opts {
    size_t struct_size;                 /* set by HTTPX_LOOP_OPTS */
    const httpx_allocator_t *allocator; /* NULL: malloc */
} httpx_loop_opts_t;
#define HTTPX_LOOP_OPTS(...) (&(httpx_loop_opts_t){.struct_size = sizeof(httpx_loop_opts_t), __VA_ARGS__})

/* The loop backends this build of the library provides, space-separated:
 * "epoll" always, then "uv" (httpx/uv.h) and "event" (httpx/event.h) when libuv
 * and libevent were found when the library was built. An adapter that was not
 * built is also absent from httpx/features.h, and including its header then
 * stops the compilation with an #error naming the missing package. Static
 * storage. */
HTTPX_API const char *httpx_loop_adapters(void);

/* Create the built-in epoll loop. `opts` may be NULL. Returns NULL on failure (out of
 * memory or no fds left). Free with httpx_loop_free(). */
HTTPX_API httpx_loop_t *httpx_loop_new(const httpx_loop_opts_t *opts);

/* Wrap a loop of the caller's own. `ops` is copied; `user` must outlive the loop.
 * Returns NULL on out-of-memory or if `ops` lacks watch or timer. */
HTTPX_API httpx_loop_t *httpx_loop_new_custom(const httpx_loop_ops_t *ops, void *user,
                                              const httpx_loop_opts_t *opts);

/* Free a loop. Every client on it must be freed first (HTTPX_E_BUSY otherwise, and
 * nothing is freed). NULL is a no-op returning 0. */
HTTPX_API int httpx_loop_free(httpx_loop_t *loop);

/* Run until there is nothing left to wait for (no watched fd with interest, no
 * timer) or httpx_loop_stop() is called. Needs ops.run_once. Returns 0 or HTTPX_E_*;
 * HTTPX_E_SYNC_IN_ASYNC when called from inside one of this library's callbacks. */
HTTPX_API int httpx_loop_run(httpx_loop_t *loop);

/* Wait up to `timeout_ms` (-1: forever) for events and dispatch them once. */
HTTPX_API int httpx_loop_run_once(httpx_loop_t *loop, int64_t timeout_ms);

/* Make httpx_loop_run() return after the current iteration. Loop thread only. */
HTTPX_API void httpx_loop_stop(httpx_loop_t *loop);

/* Monotonic milliseconds as the loop sees them. */
HTTPX_API uint64_t httpx_loop_now(httpx_loop_t *loop);

/* What a loop holds right now, for tests and leak checks: a client that was freed
 * leaves nothing behind. */
typedef struct httpx_loop_counts {
    size_t watchers;  /* fd watches registered */
    size_t timers;    /* timers armed */
    size_t posted;    /* hand-overs queued from other threads */
} httpx_loop_counts_t;
HTTPX_API int httpx_loop_counts(httpx_loop_t *loop, httpx_loop_counts_t *out);

/* Thread-safe: wake the loop (it then runs queued hand-overs). */
HTTPX_API void httpx_loop_wake(httpx_loop_t *loop);

/* --- called by backends --- */

/* An fd registered with `token` is ready for `events` (HTTPX_IO_*). */
HTTPX_API void httpx_loop_io_ready(httpx_loop_t *loop, void *token, int events);
/* The loop's timer expired: run due timers and re-arm. */
HTTPX_API void httpx_loop_timer_fired(httpx_loop_t *loop);
/* The backend was woken by httpx_loop_wake(). */
HTTPX_API void httpx_loop_woken(httpx_loop_t *loop);

/* --- timers and fd watches for users of the loop (also what the engine uses) --- */

typedef struct httpx_timer httpx_timer_t;
typedef void (*httpx_timer_cb)(httpx_timer_t *timer, void *user);

/* A one-shot timer owned by the caller. Create, start, stop, free. The callback may
 * start the timer again or free it. */
HTTPX_API httpx_timer_t *httpx_timer_new(httpx_loop_t *loop, httpx_timer_cb cb, void *user);
HTTPX_API int httpx_timer_start(httpx_timer_t *timer, uint64_t timeout_ms);
HTTPX_API void httpx_timer_stop(httpx_timer_t *timer);
HTTPX_API void httpx_timer_free(httpx_timer_t *timer); /* stops it first; NULL ok */

typedef struct httpx_io httpx_io_t;
typedef void (*httpx_io_cb)(httpx_io_t *io, int events, void *user);

/* Watch an fd the caller owns. The fd is not closed by httpx_io_free(). */
HTTPX_API httpx_io_t *httpx_io_new(httpx_loop_t *loop, int fd, httpx_io_cb cb, void *user);
HTTPX_API int httpx_io_set(httpx_io_t *io, int events);
HTTPX_API void httpx_io_free(httpx_io_t *io); /* NULL ok */

#ifdef __cplusplus
}
#endif
#endif
