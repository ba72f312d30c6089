/* httpx/async.h — the async client: the same engine as the sync API, on a loop
 * the caller runs (the built-in one, or libuv, libevent, their own).
 *
 *     httpx_loop_t *loop = httpx_loop_new(NULL);
 *     httpx_async_client_t *ac;
 *     httpx_async_client_new(loop, NULL, &ac);
 *     httpx_future_t *f;
 *     httpx_async_get(ac, "http://127.0.0.1:8080/", NULL, &f);
 *     httpx_future_then(f, on_done, NULL);       // or httpx_future_wait(f)
 *     httpx_loop_run(loop);
 *     httpx_async_client_free(ac);               // "async with": closes its connections
 *
 * The callback contract, for every callback of this library:
 *  - a call that fails synchronously (returns an error) never fires a callback;
 *  - callbacks run on the loop's thread, from the loop, never from inside the API
 *    call that caused them (a result known at once is delivered on the next turn);
 *  - each callback gets the caller's `void *user`;
 *  - a future's callback fires exactly once, unless the future is freed first.
 *
 * Threads: an async client and its futures belong to the loop's thread. Another
 * thread hands requests over with httpx_async_submit(), which is thread-safe.
 */
#ifndef HTTPX_ASYNC_H
#define HTTPX_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include "httpx/export.h"
#include "httpx/client.h"
#include "httpx/error.h"
#include "httpx/loop.h"
#include "httpx/request.h"
#include "httpx/response.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_async_client httpx_async_client_t;
typedef struct httpx_future httpx_future_t;

/* Called once when the future completes (status 0 or HTTPX_E_*). The future stays
 * the caller's: take the response and free the future, here or later. */
typedef void (*httpx_future_cb)(httpx_future_t *f, int status, void *user);

/* Create an async client on `loop` (which must outlive it). `opts` as for the sync
 * client; may be NULL. Errors: HTTPX_E_NOMEM, HTTPX_E_INVAL, HTTPX_E_INVALID_URL. */
HTTPX_API int httpx_async_client_new(httpx_loop_t *loop, const httpx_client_opts_t *opts,
                                     httpx_async_client_t **out);
/* The end of "async with": fail every request still in flight with HTTPX_E_CLOSED
 * (their callbacks fire once, from the loop), close streaming responses (their body
 * callbacks end with HTTPX_E_STREAM_CLOSED) and every connection. Buffered
 * responses already taken stay valid. Later requests: HTTPX_E_CLOSED. Idempotent. */
HTTPX_API void httpx_async_client_close(httpx_async_client_t *ac);
/* Close, then free. Futures made by the client stay valid (completed) until freed. */
HTTPX_API void httpx_async_client_free(httpx_async_client_t *ac);
HTTPX_API int httpx_async_client_pool_stats(const httpx_async_client_t *ac, httpx_pool_stats_t *s);
/* The client's cookie jar (see httpx_client_cookies). */
HTTPX_API struct httpx_cookie_jar *httpx_async_client_cookies(httpx_async_client_t *ac);

/* Start a request; *out is a new future (free with httpx_future_free). The future
 * completes with a buffered response (whole body read). Errors found at once
 * (HTTPX_E_INVALID_URL, HTTPX_E_INVAL, HTTPX_E_CLOSED, HTTPX_E_NOMEM) are returned
 * here and no future is made; detail in opts->error. */
HTTPX_API int httpx_async_request(httpx_async_client_t *ac, const char *method, const char *url,
                                  const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_get(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_head(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_options(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_delete(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_post(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_put(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
HTTPX_API int httpx_async_patch(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts, httpx_future_t **out);
/* Like request, but the future completes when the head has arrived; the body is
 * then taken with httpx_response_stream_async / raw_async / read_async, or the
 * blocking pulls where the loop allows (outside callbacks). */
HTTPX_API int httpx_async_stream(httpx_async_client_t *ac, const char *method, const char *url,
                                 const httpx_req_opts_t *opts, httpx_future_t **out);

/* Thread-safe hand-over from any thread: `method`, `url` and `opts` (headers,
 * params, a bytes body; file and producer bodies are refused with HTTPX_E_INVAL)
 * are copied at the call; the request starts on the loop's thread at its next wake
 * and `cb` fires there with a future the callback owns. Needs a loop with a wake
 * operation (HTTPX_E_UNSUPPORTED otherwise). A request handed over after the client
 * closed completes with HTTPX_E_CLOSED. */
HTTPX_API int httpx_async_submit(httpx_async_client_t *ac, const char *method, const char *url,
                                 const httpx_req_opts_t *opts, httpx_future_cb cb, void *user);

/* --- futures --- */

/* Call `cb` once when the future completes (at once from the loop's next turn if it
 * already has). Replaces an earlier callback. HTTPX_E_INVAL for NULL. */
HTTPX_API int httpx_future_then(httpx_future_t *f, httpx_future_cb cb, void *user);
/* Run the loop until the future completes; returns its status. Needs a loop with
 * run_once (the built-in one has it): HTTPX_E_UNSUPPORTED otherwise, and
 * HTTPX_E_SYNC_IN_ASYNC inside a callback. */
HTTPX_API int httpx_future_wait(httpx_future_t *f);
HTTPX_API bool httpx_future_done(const httpx_future_t *f);
/* 0 on success, the error code once failed, HTTPX_E_BUSY while pending. */
HTTPX_API int httpx_future_status(const httpx_future_t *f);
/* Detail of a failure (code 0 otherwise). Lives as long as the future. */
HTTPX_API const httpx_error_t *httpx_future_error(const httpx_future_t *f);
/* Move the response out (the caller frees it). HTTPX_E_BUSY while pending, the
 * failure's code if it failed, HTTPX_E_STREAM_CONSUMED if already taken. */
HTTPX_API int httpx_future_take(httpx_future_t *f, httpx_response_t **out);
/* Stop the request if it is still running: everything it holds is freed and its
 * connection slot returned; its callback will not fire. The future then reports
 * HTTPX_E_CANCELLED. No-op once done. */
HTTPX_API void httpx_future_cancel(httpx_future_t *f);
/* Cancel if pending, free the response if not taken, free. NULL ok. Allowed inside
 * the future's own callback. */
HTTPX_API void httpx_future_free(httpx_future_t *f);

/* --- async streaming: the spec's read / stream / raw / close --- */

/* Body chunks of a streaming response. Called with len > 0 for each chunk (data
 * valid during the call only), then once with data NULL, len 0 and the final
 * status (0: complete; or the error). The callback may pause, resume or close the
 * response; free it only in the final call or later. */
typedef void (*httpx_body_cb)(httpx_response_t *r, const void *data, size_t len, int status, void *user);

/* Deliver decoded body bytes to `cb`. HTTPX_E_STREAM_CONSUMED if the body was
 * already taken another way, HTTPX_E_STREAM_CLOSED after close, HTTPX_E_INVAL if
 * this is not a streaming response of an async client. */
HTTPX_API int httpx_response_stream_async(httpx_response_t *r, httpx_body_cb cb, void *user);
/* The same with the bytes as received (no content decoding). */
HTTPX_API int httpx_response_raw_async(httpx_response_t *r, httpx_body_cb cb, void *user);
/* Read the whole body into the response, then call `cb` once with (NULL, 0, status);
 * content() and text() work after a 0 status. */
HTTPX_API int httpx_response_read_async(httpx_response_t *r, httpx_body_cb cb, void *user);
/* Backpressure: while paused the socket is not read (HTTP/1.1: no read interest),
 * so memory stays bounded whatever the server sends. */
HTTPX_API void httpx_response_pause(httpx_response_t *r);
HTTPX_API void httpx_response_resume(httpx_response_t *r);

#ifdef __cplusplus
}
#endif
#endif
