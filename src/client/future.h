/* client/future.h — a request in flight and its eventual response: what the async
 * client hands out, and what each pending request of a parallel wraps. */
#ifndef HTTPX_CLIENT_FUTURE_H
#define HTTPX_CLIENT_FUTURE_H

#include "client/engine.h"
#include "client/response.h"
#include "httpx/async.h"

struct httpx_future {
    const httpx_allocator_t *a;
    httpx__engine_t *eng;           /* NULL once done */
    httpx_loop_t *loop;
    httpx_response_t *resp;         /* until taken */
    httpx__exchange_t *x;           /* built; running once started; NULL when done */
    bool streaming, started, done, taken, cancelled;
    int status;
    httpx_error_t err;

    httpx_future_cb cb;             /* the user's */
    void *user;
    httpx_timer_t defer;            /* reports a result from the loop, not from an API call */
    bool cb_due;

    /* an owner told first (a parallel), synchronously */
    void (*owner_done)(httpx_future_t *f, void *owner);
    void *owner;

    int depth;                      /* inside the user's callback: free is deferred */
    bool free_pending;
};

/* Build a future for a request; started now unless `start` is false (a parallel's
 * queue starts it later with httpx__future_start). Errors as httpx_async_request. */
int httpx__future_new(httpx__engine_t *e, httpx_loop_t *loop, const char *method, const char *url,
                      const httpx_req_opts_t *opts, bool streaming, bool start, httpx_future_t **out,
                      httpx_error_t *err);
/* A future that is already done with `err` (a hand-over that failed on the loop). */
httpx_future_t *httpx__future_new_failed(const httpx_allocator_t *a, httpx_loop_t *loop, const httpx_error_t *err);
void httpx__future_start(httpx_future_t *f);

#endif
