/* httpx/event.h — run the async client on a libevent event_base.
 *
 *     struct event_base *base = event_base_new();
 *     httpx_loop_t *loop = httpx_loop_from_event_base(base, NULL);
 *     httpx_async_client_t *ac;
 *     httpx_async_client_new(loop, NULL, &ac);
 *     ... httpx_async_get(ac, url, NULL, &f); httpx_future_then(f, on_done, base);
 *     event_base_dispatch(base);   // until a callback calls event_base_loopbreak(base)
 *     httpx_async_client_free(ac);
 *     httpx_loop_free(loop);       // removes and frees every event of the library
 *     event_base_free(base);
 *
 * Only available when libhttpx was built with libevent (httpx_loop_adapters() lists
 * "event"); otherwise including this header stops with an #error.
 *
 * Events: an event per watched fd (EV_PERSIST), one timer event, and an eventfd
 * read event for httpx_loop_wake()/httpx_async_submit(), so handing requests over
 * from other threads needs no evthread_use_pthreads() (call it if you like; the
 * adapter does not depend on it). libevent has no unreferenced events, so while the
 * adapter exists event_base_dispatch() does not run out of events: end it with
 * event_base_loopbreak()/loopexit() from a callback, or run httpx_loop_run(loop),
 * which returns when the library's requests are done (idle connections do not
 * count). httpx_loop_free() leaves no event of the library behind.
 *
 * Waiting: httpx_future_wait() and httpx_loop_run() run
 * event_base_loop(EVLOOP_ONCE); libevent refuses that from inside one of its own
 * callbacks. Threads: the base's thread only, except httpx_loop_wake()/submit.
 */
#ifndef HTTPX_EVENT_H
#define HTTPX_EVENT_H

#include <event2/event.h>
#include "httpx/features.h"
#include "httpx/loop.h"

#ifndef HTTPX_HAVE_EVENT
#error "libhttpx was built without libevent: install libevent's development files (pkg-config libevent_core, e.g. the libevent-dev package) and rebuild libhttpx"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Wrap `base` (which must outlive the returned loop). `opts` may be NULL; its
 * allocator is used for the adapter's own memory. Returns NULL on out-of-memory or
 * if no eventfd can be made. Free with httpx_loop_free() before event_base_free(). */
HTTPX_API httpx_loop_t *httpx_loop_from_event_base(struct event_base *base, const httpx_loop_opts_t *opts);

#ifdef __cplusplus
}
#endif
#endif
