/* client/handover.h — the async client's struct, and the hub through which other
 * threads hand it requests (httpx_async_submit).
 *
 * The hub outlives the client: posted requests hold a reference, so one arriving
 * after the client was freed finds it gone and completes with HTTPX_E_CLOSED
 * instead of touching freed memory. Its mutex guards only `ac`, `closed`, `refs`. */
#ifndef HTTPX_CLIENT_HANDOVER_H
#define HTTPX_CLIENT_HANDOVER_H

#include <pthread.h>
#include "client/engine.h"
#include "httpx/async.h"

typedef struct httpx__hub httpx__hub_t;

struct httpx_async_client {
    httpx__engine_t eng;
    httpx_loop_t *loop;
    httpx__hub_t *hub;
    bool closed;
};

httpx__hub_t *httpx__hub_new(httpx_async_client_t *ac);
/* Later hand-overs complete with HTTPX_E_CLOSED. */
void httpx__hub_close(httpx__hub_t *hub);
/* The client drops its reference (it is being freed). */
void httpx__hub_release(httpx__hub_t *hub);

#endif
