/* httpx/uv.h — run the async client on a libuv loop.
 *
 *     uv_loop_t uv;
 *     uv_loop_init(&uv);
 *     httpx_loop_t *loop = httpx_loop_from_uv(&uv, NULL);
 *     httpx_async_client_t *ac;
 *     httpx_async_client_new(loop, NULL, &ac);
 *     ... httpx_async_get(ac, url, NULL, &f); httpx_future_then(f, on_done, NULL);
 *     uv_run(&uv, UV_RUN_DEFAULT);     // returns when requests and your handles are done
 *     httpx_async_client_free(ac);
 *     httpx_loop_free(loop);
 *     uv_run(&uv, UV_RUN_DEFAULT);     // finishes the adapter's uv_close callbacks
 *     uv_loop_close(&uv);              // 0: nothing of the library is left
 *
 * Only available when libhttpx was built with libuv (httpx_loop_adapters() lists
 * "uv"); otherwise including this header stops with an #error.
 *
 * Liveness: the adapter's uv handles (a uv_poll_t per socket, one uv_timer_t, one
 * uv_async_t) are unreferenced, except that one of them is referenced while the
 * library has work in flight (a request, a connect, a timer of a request). So
 * uv_run(UV_RUN_DEFAULT) keeps running while requests are in flight and returns
 * when only idle pooled connections are left, as it would for a libuv library of
 * its own; the same rule as httpx_loop_run(). Requests handed over by other threads
 * (httpx_async_submit) do not keep uv_run alive before they arrive: keep a handle
 * of yours referenced while you expect them.
 *
 * Teardown: httpx_loop_free() closes the adapter's handles with uv_close(); their
 * close callbacks, which free the adapter, run on the uv loop's next turn. Run the
 * loop once more (UV_RUN_DEFAULT or UV_RUN_NOWAIT) before uv_loop_close().
 *
 * Waiting: httpx_future_wait() and httpx_loop_run() run uv_run(UV_RUN_ONCE), so they
 * must not be called from inside a uv callback (libuv's uv_run is not reentrant);
 * inside the library's own callbacks they are refused with HTTPX_E_SYNC_IN_ASYNC.
 * Threads: the uv loop's thread only, except httpx_loop_wake()/httpx_async_submit.
 */
#ifndef HTTPX_UV_H
#define HTTPX_UV_H

#include <uv.h>
#include "httpx/features.h"
#include "httpx/loop.h"

#ifndef HTTPX_HAVE_UV
#error "libhttpx was built without libuv: install libuv's development files (pkg-config libuv, e.g. the libuv1-dev package) and rebuild libhttpx"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Wrap `uv` (which must outlive the returned loop). `opts` may be NULL; its
 * allocator is used for the adapter's own memory too. Returns NULL on
 * out-of-memory or if libuv refuses a handle. Free with httpx_loop_free(), then
 * run the uv loop once (see above). */
HTTPX_API httpx_loop_t *httpx_loop_from_uv(uv_loop_t *uv, const httpx_loop_opts_t *opts);

#ifdef __cplusplus
}
#endif
#endif
