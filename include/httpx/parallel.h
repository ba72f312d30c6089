/* httpx/parallel.h — parallel requests, for the sync client and the async client.
 *
 * The spec's `client.parallel()`:
 *
 *     httpx_parallel_t *p;
 *     httpx_parallel_new(c, NULL, &p);                 // or httpx_async_parallel_new(ac, ...)
 *     httpx_pending_t *one, *two;
 *     httpx_parallel_get(p, "http://x/1", NULL, &one);
 *     httpx_parallel_get(p, "http://x/2", NULL, &two);
 *     httpx_pending_get_response(one, &r1);            // that one
 *     httpx_parallel_next_response(p, &r2, NULL);      // whichever completes next
 *     httpx_parallel_close(p);                         // cancels what is left, frees all
 *
 * All requests of a parallel run at once (up to max_concurrency; the rest wait
 * their turn) on the client's pool. An error of one request is that request's
 * result and never disturbs the others. Pendings belong to the parallel: they are
 * freed by httpx_parallel_close(); responses taken from them belong to the caller.
 *
 * The waiting calls run the client's loop: for a sync client its private loop, for
 * an async client the caller's (which must offer run_once, as the built-in loop
 * does). Inside a loop callback they return HTTPX_E_SYNC_IN_ASYNC; use
 * httpx_pending_future() and httpx_future_then() there.
 */
#ifndef HTTPX_PARALLEL_H
#define HTTPX_PARALLEL_H

#include <stddef.h>
#include "httpx/export.h"
#include "httpx/async.h"
#include "httpx/client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_parallel httpx_parallel_t;
typedef struct httpx_pending httpx_pending_t;

typedef struct httpx_parallel_opts {
    size_t struct_size;   /* set by HTTPX_PARALLEL */
    int max_concurrency;  /* requests in flight at once; 0: no bound beyond the pool's */
} httpx_parallel_opts_t;
#define HTTPX_PARALLEL(...) (&(httpx_parallel_opts_t){.struct_size = sizeof(httpx_parallel_opts_t), __VA_ARGS__})

/* A parallel on a sync client (`c` must outlive it). `opts` may be NULL.
 * Errors: HTTPX_E_INVAL, HTTPX_E_NOMEM, HTTPX_E_CLOSED. */
HTTPX_API int httpx_parallel_new(httpx_client_t *c, const httpx_parallel_opts_t *opts, httpx_parallel_t **out);
/* A parallel on an async client. */
HTTPX_API int httpx_async_parallel_new(httpx_async_client_t *ac, const httpx_parallel_opts_t *opts,
                                       httpx_parallel_t **out);

/* Queue a request; *out is its pending handle (owned by the parallel). Errors found
 * at once (INVALID_URL, INVAL, CLOSED, NOMEM) are returned and nothing is queued. */
HTTPX_API int httpx_parallel_request(httpx_parallel_t *p, const char *method, const char *url,
                                     const httpx_req_opts_t *opts, httpx_pending_t **out);
HTTPX_API int httpx_parallel_get(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts, httpx_pending_t **out);
HTTPX_API int httpx_parallel_head(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts, httpx_pending_t **out);
HTTPX_API int httpx_parallel_post(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts, httpx_pending_t **out);
HTTPX_API int httpx_parallel_put(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts, httpx_pending_t **out);
HTTPX_API int httpx_parallel_patch(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts, httpx_pending_t **out);
HTTPX_API int httpx_parallel_delete(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts, httpx_pending_t **out);

/* Wait for this request and take its response (the caller frees it). Returns the
 * request's own error if it failed (detail: httpx_pending_error). A response can be
 * taken once: HTTPX_E_STREAM_CONSUMED afterwards. HTTPX_E_SYNC_IN_ASYNC in callbacks. */
HTTPX_API int httpx_pending_get_response(httpx_pending_t *pending, httpx_response_t **out);
HTTPX_API const httpx_error_t *httpx_pending_error(const httpx_pending_t *pending);
/* The future behind a pending, for callbacks (httpx_future_then). Owned by the
 * parallel: do not free it; taking its response counts as taking the pending's. */
HTTPX_API httpx_future_t *httpx_pending_future(httpx_pending_t *pending);

/* Wait for whichever request not yet taken completes next (completion order) and
 * take it: *out gets its response (NULL when it failed), *which (may be NULL) the
 * pending. Returns 0 or that request's error; HTTPX_E_NONE_LEFT when every request
 * has been taken. */
HTTPX_API int httpx_parallel_next_response(httpx_parallel_t *p, httpx_response_t **out, httpx_pending_t **which);

/* Requests not yet taken (running, queued or completed). */
HTTPX_API size_t httpx_parallel_remaining(const httpx_parallel_t *p);

/* Cancel what is still running or queued, free every pending and the responses
 * not taken, and the parallel. NULL ok. */
HTTPX_API void httpx_parallel_close(httpx_parallel_t *p);

#ifdef __cplusplus
}
#endif
#endif
