/* httpx_keepalive.c — libhttpx's side of bench/cpu_per_request.sh.
 *
 *   bench_httpx_keepalive URL [N [C]]
 *
 * N (100000) GETs of URL, keep-alive, bodies read and dropped. C = 1: the sync
 * client, one after another. C > 1: the async client on the built-in loop, one
 * thread, C requests in flight (as curl_keepalive's multi driver). Prints
 *   requests=N wall_s=X cpu_us_per_req=Y
 * like curl_keepalive, Y being user+system CPU (getrusage) per request in µs.
 *
 * HTTPX_BENCH_LOOP=builtin (default) | uv | event | poll picks the loop of the async
 * mode: uv runs uv_run(UV_RUN_DEFAULT), event runs event_base_dispatch() until the
 * last answer, poll is examples/custom_loop_ops.h run by httpx_loop_run(). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <httpx.h>
#include <httpx/features.h>
#include "custom_loop_ops.h"
#include "measure.h"
#ifdef HTTPX_HAVE_UV
#include <httpx/uv.h>
#endif
#ifdef HTTPX_HAVE_EVENT
#include <httpx/event.h>
#endif

typedef struct run {
    httpx_async_client_t *ac;
    const char *url;
    long started, done, failed, total;
    void *base; /* the event_base to break out of at the end, if any */
} run_t;

static void start_one(run_t *r);

static void on_done(httpx_future_t *f, int status, void *user)
{
    run_t *r = user;
    httpx_response_t *resp;
    if (status || httpx_future_take(f, &resp) || httpx_response_status(resp) != 200) {
        if (r->failed++ < 5)
            fprintf(stderr, "request failed: %s\n", httpx_future_error(f)->message);
    } else {
        httpx_response_free(resp);
    }
    httpx_future_free(f);
    r->done++;
    start_one(r);
#ifdef HTTPX_HAVE_EVENT
    if (r->base && r->done == r->total)
        event_base_loopbreak(r->base);
#endif
}

static void start_one(run_t *r)
{
    if (r->started >= r->total)
        return;
    r->started++;
    httpx_future_t *f;
    if (httpx_async_get(r->ac, r->url, NULL, &f) == 0)
        httpx_future_then(f, on_done, r);
    else
        r->failed++, r->done++;
}

static int run_async(const char *url, long n, long conc)
{
    const char *kind = getenv("HTTPX_BENCH_LOOP");
    kind = kind && *kind ? kind : "builtin";
    httpx_loop_t *loop = NULL;
    run_t r = {.url = url, .total = n};
#ifdef HTTPX_HAVE_UV
    uv_loop_t uv;
    if (strcmp(kind, "uv") == 0 && uv_loop_init(&uv) == 0)
        loop = httpx_loop_from_uv(&uv, NULL);
#endif
#ifdef HTTPX_HAVE_EVENT
    if (strcmp(kind, "event") == 0 && (r.base = event_base_new()))
        loop = httpx_loop_from_event_base(r.base, NULL);
#endif
    if (strcmp(kind, "poll") == 0)
        loop = poll_loop_new(NULL);
    else if (strcmp(kind, "builtin") == 0)
        loop = httpx_loop_new(NULL);
    if (!loop) {
        fprintf(stderr, "loop %s unavailable (adapters built: %s)\n", kind, httpx_loop_adapters());
        return 1;
    }
    /* BENCH_H2=1: HTTP/2 (ALPN), all streams on one connection; BENCH_CA: CA file. */
    const char *h2 = getenv("BENCH_H2"), *ca = getenv("BENCH_CA");
    bool use_h2 = h2 && *h2 == '1';
    int conns = use_h2 ? 1 : (int)conc;
    if (!loop || httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = conns,
                                                                      .max_keepalive_connections = conns},
                                                           .http2 = use_h2, .ca_file = ca),
                                        &r.ac))
        return 1;
    double w0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < conc; i++)
        start_one(&r);
#ifdef HTTPX_HAVE_UV
    if (strcmp(kind, "uv") == 0)
        uv_run(&uv, UV_RUN_DEFAULT);
    else
#endif
#ifdef HTTPX_HAVE_EVENT
    if (r.base)
        event_base_dispatch(r.base);
    else
#endif
        httpx_loop_run(loop);
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(r.ac, &s);
    fprintf(stderr, "loop %s, concurrency %ld, connections open at end: %d, failed: %ld\n", kind, conc,
            s.open, r.failed);
    httpx_async_client_free(r.ac);
    httpx_loop_free(loop);
#ifdef HTTPX_HAVE_UV
    if (strcmp(kind, "uv") == 0) {
        uv_run(&uv, UV_RUN_DEFAULT);
        uv_loop_close(&uv);
    }
#endif
#ifdef HTTPX_HAVE_EVENT
    if (r.base)
        event_base_free(r.base);
#endif
    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f req_per_s=%.0f\n", n, wall, cpu * 1e6 / (double)n,
           (double)n / wall);
    return r.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [N [C]]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    long conc = argc > 3 ? atol(argv[3]) : 1;
    if (conc > 1)
        return run_async(argv[1], n, conc);
    /* Sync: BENCH_H2=1 and BENCH_CA apply here too (an h2 run with one stream). */
    const char *h2 = getenv("BENCH_H2"), *ca = getenv("BENCH_CA");
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.http2 = h2 && *h2 == '1', .ca_file = ca), &c))
        return 1;
    double w0 = now_s(), c0 = cpu_s();
    long failed = 0;
    for (long i = 0; i < n; i++) {
        httpx_response_t *r;
        int rc = httpx_client_get(c, argv[1], NULL, &r);
        if (rc || httpx_response_status(r) != 200) {
            if (failed++ < 5)
                fprintf(stderr, "request %ld: %s\n", i, rc ? httpx_client_last_error(c)->message : "status");
        }
        httpx_response_free(r);
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    fprintf(stderr, "connections open at end: %d, failed: %ld\n", s.open, failed);
    httpx_client_free(c);
    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f req_per_s=%.0f\n", n, wall, cpu * 1e6 / (double)n,
           (double)n / wall);
    return failed ? 1 : 0;
}
