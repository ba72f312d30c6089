/* Parallel requests, on the sync client and on the async client: get_response,
 * next_response in completion order, the concurrency bound, errors kept apart,
 * close cancelling what is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"
#include "integration/loops.h"

static peers_t P;
static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The spec's example, on the sync client. */
static void spec_example_sync(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    httpx_pending_t *one, *two;
    assert_int_equal(httpx_parallel_get(p, U(P.nginx, "/small.txt"), NULL, &one), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.nginx, "/1k.bin"), NULL, &two), 0);
    httpx_response_t *r1, *r2;
    assert_int_equal(httpx_pending_get_response(one, &r1), 0);
    assert_int_equal(httpx_pending_get_response(two, &r2), 0);
    assert_string_equal(httpx_response_text(r1), "hello from nginx\n");
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(r2, &d, &n), 0);
    assert_int_equal(n, 1024);
    httpx_response_t *again;
    assert_int_equal(httpx_pending_get_response(one, &again), HTTPX_E_STREAM_CONSUMED);
    httpx_response_t *none;
    assert_int_equal(httpx_parallel_next_response(p, &none, NULL), HTTPX_E_NONE_LEFT);
    httpx_parallel_close(p);
    /* responses are the caller's, and outlive the parallel and the client */
    httpx_client_free(c);
    assert_string_equal(httpx_response_text(r1), "hello from nginx\n");
    httpx_response_free(r1);
    httpx_response_free(r2);
}

static void next_response_in_completion_order(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    httpx_pending_t *slow, *fast, *broken, *which;
    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/slow-drip?n=4&ms=100"), NULL, &slow), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/truncated-body"), NULL, &broken), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/ok"), NULL, &fast), 0);
    assert_int_equal(httpx_parallel_remaining(p), 3);
    int seen_ok = 0, seen_err = 0;
    httpx_response_t *r;
    for (int i = 0; i < 2; i++) {
        int rc = httpx_parallel_next_response(p, &r, &which);
        if (which == broken) {
            /* one failure stays that request's own result */
            assert_int_equal(rc, HTTPX_E_SERVER_DISCONNECTED);
            assert_null(r);
            assert_int_equal(httpx_pending_error(broken)->code, HTTPX_E_SERVER_DISCONNECTED);
            seen_err++;
        } else {
            assert_ptr_equal(which, fast);
            assert_int_equal(rc, 0);
            assert_string_equal(httpx_response_text(r), "hello");
            httpx_response_free(r);
            seen_ok++;
        }
    }
    assert_int_equal(seen_ok, 1);
    assert_int_equal(seen_err, 1);
    assert_int_equal(httpx_parallel_next_response(p, &r, &which), 0);
    assert_ptr_equal(which, slow);
    assert_string_equal(httpx_response_text(r), "0123");
    httpx_response_free(r);
    assert_int_equal(httpx_parallel_next_response(p, &r, &which), HTTPX_E_NONE_LEFT);
    httpx_parallel_close(p);
    httpx_client_free(c);
}

static double run_four_slow(httpx_client_t *c, int bound)
{
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, HTTPX_PARALLEL(.max_concurrency = bound), &p), 0);
    double t0 = now_s();
    for (int i = 0; i < 4; i++) {
        httpx_pending_t *pd;
        assert_int_equal(httpx_parallel_get(p, U(P.raw, "/slow-drip?n=3&ms=100"), NULL, &pd), 0);
    }
    httpx_response_t *r;
    int got = 0;
    while (httpx_parallel_next_response(p, &r, NULL) == 0) {
        httpx_response_free(r);
        got++;
    }
    assert_int_equal(got, 4);
    httpx_parallel_close(p);
    return now_s() - t0;
}

static void concurrency_bound(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    double unbounded = run_four_slow(c, 0);
    double bounded = run_four_slow(c, 2);
    double serial = run_four_slow(c, 1);
    /* each request takes at least 200 ms (3 bytes, 100 ms apart) */
    print_message("  4 x 200 ms: unbounded %.2fs, bound 2 %.2fs, bound 1 %.2fs\n", unbounded, bounded, serial);
    assert_true(unbounded >= 0.19 && unbounded < bounded);
    assert_true(bounded >= 0.39 && bounded < serial);
    assert_true(serial >= 0.79);
    httpx_client_free(c);
}

static void close_cancels_and_frees_slots(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.limits = {.max_connections = 2}), &c), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    for (int i = 0; i < 5; i++) {
        httpx_pending_t *pd;
        assert_int_equal(httpx_parallel_get(p, U(P.raw, "/never-answer"), NULL, &pd), 0);
    }
    httpx_pending_t *fast;
    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/ok"), NULL, &fast), 0);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 2);
    assert_int_equal(s.waiting, 4);
    httpx_parallel_close(p);
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 0);
    assert_int_equal(s.waiting, 0);
    /* the client is unharmed */
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
}

typedef struct cb_ctx {
    int calls;
} cb_ctx_t;

static void pending_done(httpx_future_t *f, int status, void *user)
{
    cb_ctx_t *c = user;
    c->calls++;
    assert_int_equal(status, 0);
    httpx_response_t *r;
    assert_int_equal(httpx_future_take(f, &r), 0); /* counts as taking the pending */
    httpx_response_free(r);
}

static void async_parallel(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_async_parallel_new(ac, NULL, &p), 0);
    httpx_pending_t *one, *two, *three;
    assert_int_equal(httpx_parallel_get(p, U(P.nginx, "/small.txt"), NULL, &one), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/ok"), NULL, &two), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.httpbin, "/get"), NULL, &three), 0);
    cb_ctx_t cc = {0};
    httpx_future_then(httpx_pending_future(three), pending_done, &cc);
    httpx_response_t *r;
    assert_int_equal(httpx_pending_get_response(one, &r), 0); /* outside callbacks: runs the loop */
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), 0);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), HTTPX_E_NONE_LEFT);
    httpx_parallel_close(p);
    httpx_async_client_free(ac);
    httpx_loop_counts_t lc;
    httpx_loop_counts(loop, &lc);
    assert_int_equal(lc.watchers + lc.timers + lc.posted, 0);
    assert_int_equal(test_loop_free(loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_example_sync),
        cmocka_unit_test(next_response_in_completion_order),
        cmocka_unit_test(concurrency_bound),
        cmocka_unit_test(close_cancels_and_frees_slots),
        cmocka_unit_test(async_parallel),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
