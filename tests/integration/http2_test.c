/* HTTP/2 against nginx (ALPN over TLS): multiplexing, spill-over to a second
 * connection, GOAWAY retried on a new connection, a slow reader with bounded
 * memory, streaming, sync and async alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <time.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;
static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 && P.nginx_tls[0] ? 0 : -1;
}

static void sync_get_over_h2(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true), &c), 0);
    httpx_response_t *r;
    httpx_error_t err = {0};
    int rc = httpx_client_get(c, U(P.nginx_tls, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    if (rc)
        print_message("  %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_reason(r), "OK");
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    /* gzip, HEAD, 404, a POST body, all on the same connection */
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/gzip/text.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_header(r, "content-encoding"), "gzip");
    assert_true(strlen(httpx_response_text(r)) > 1000);
    httpx_response_free(r);
    assert_int_equal(httpx_client_head(c, U(P.nginx_tls, "/64k.bin"), NULL, &r), 0);
    assert_string_equal(httpx_response_header(r, "content-length"), "65536");
    httpx_response_free(r);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/nope"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 404);
    httpx_response_free(r);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 1);
    /* without http2, the same server speaks HTTP/1.1 (ALPN fallback) */
    httpx_client_t *c1;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file), &c1), 0);
    assert_int_equal(httpx_client_get(c1, U(P.nginx_tls, "/small.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/1.1");
    httpx_response_free(r);
    httpx_client_free(c1);
    httpx_client_free(c);
}

typedef struct counter {
    int ok, failed;
    size_t bytes;
} counter_t;

/* Content-Length over HTTP/2 frames the body as over HTTP/1.1: a HEAD answer's
 * length is no body, a body announced over max_body_bytes is refused at the head,
 * one of exactly the limit is read whole. */
static void content_length_over_h2(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true,
                                                   .limits = {.max_body_bytes = 1024}), &c), 0);
    httpx_response_t *r;
    httpx_error_t err = {0};
    assert_int_equal(httpx_client_head(c, U(P.nginx_tls, "/64k.bin"), NULL, &r), 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    assert_string_equal(httpx_response_header(r, "content-length"), "65536");
    const void *d;
    size_t len = 1;
    assert_int_equal(httpx_response_content(r, &d, &len), 0);
    assert_int_equal(len, 0);
    httpx_response_free(r);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/64k.bin"), HTTPX_REQ(.error = &err), &r),
                     HTTPX_E_BODY_LIMIT);
    assert_int_equal(err.phase, HTTPX_PHASE_READ_HEAD);
    assert_non_null(strstr(err.message, "65536 bytes (Content-Length)"));
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/1k.bin"), NULL, &r), 0);
    assert_int_equal(httpx_response_content(r, &d, &len), 0);
    assert_int_equal(len, 1024);
    httpx_response_free(r);
    httpx_client_free(c);
    /* the default limit: a 64 KiB body, the largest kept in the head's block */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/64k.bin"), NULL, &r), 0);
    assert_int_equal(httpx_response_content(r, &d, &len), 0);
    assert_int_equal(len, 65536);
    assert_int_equal(((const unsigned char *)d)[65536], 0); /* followed by a NUL */
    httpx_response_free(r);
    httpx_client_free(c);
}

/* More default headers than the prepared path takes (32) go through the general
 * request builder, and the request still succeeds. */
static void many_default_headers_over_h2(void **state)
{
    (void)state;
    static char names[40][16];
    httpx_header_t defaults[41];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "X-Default-%d", i);
        defaults[i] = (httpx_header_t){names[i], "v"};
    }
    defaults[40] = (httpx_header_t){NULL, NULL};
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true, .headers = defaults), &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/small.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    httpx_client_free(c);
}

static void on_done(httpx_future_t *f, int status, void *user)
{
    counter_t *c = user;
    httpx_response_t *r;
    if (status == 0 && httpx_future_take(f, &r) == 0) {
        const void *d;
        size_t n;
        httpx_response_content(r, &d, &n);
        c->bytes += n;
        c->ok += strcmp(httpx_response_http_version(r), "HTTP/2") == 0;
        httpx_response_free(r);
    } else {
        if (c->failed++ < 3)
            print_message("  failed: %s\n", httpx_future_error(f)->message);
    }
    httpx_future_free(f);
}

static void run_many(const char *base, int n, int max_conns, counter_t *c, httpx_pool_stats_t *peak)
{
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true,
                                                               .limits = {.max_connections = max_conns}),
                                            &ac),
                     0);
    /* one first, so that the connection is known to be HTTP/2 */
    httpx_future_t *f;
    assert_int_equal(httpx_async_get(ac, U(base, "/1k.bin"), NULL, &f), 0);
    assert_int_equal(httpx_future_wait(f), 0);
    httpx_future_then(f, on_done, c);
    for (int i = 1; i < n; i++) {
        assert_int_equal(httpx_async_get(ac, U(base, "/1k.bin"), NULL, &f), 0);
        httpx_future_then(f, on_done, c);
    }
    httpx_async_client_pool_stats(ac, peak);
    assert_int_equal(httpx_loop_run(loop), 0);
    httpx_async_client_free(ac);
    httpx_loop_counts_t lc;
    httpx_loop_counts(loop, &lc);
    assert_int_equal(lc.watchers + lc.timers, 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void thousand_multiplexed_on_one_connection(void **state)
{
    (void)state;
    counter_t c = {0};
    httpx_pool_stats_t s;
    run_many(P.nginx_tls, 1000, 1, &c, &s);
    print_message("  1000 requests, connections open at start: %d\n", s.open);
    assert_int_equal(s.open, 1);
    assert_int_equal(c.ok, 1000);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.bytes, 1000u * 1024);
}

static void spill_over_beyond_max_streams(void **state)
{
    (void)state;
    /* the GOAWAY server allows 16 streams per connection; 60 requests at once need more */
    counter_t c = {0};
    httpx_pool_stats_t s;
    run_many(P.nginx_goaway, 60, 8, &c, &s);
    print_message("  60 requests on 16-stream connections: %d connections opened\n", s.open);
    assert_true(s.open >= 2);
    assert_int_equal(c.ok, 60);
    assert_int_equal(c.failed, 0);
}

static void goaway_requests_are_retried(void **state)
{
    (void)state;
    /* nginx says GOAWAY after 50 requests per connection: 400 requests cross
     * several GOAWAYs, none fails */
    counter_t c = {0};
    httpx_pool_stats_t s;
    run_many(P.nginx_goaway, 400, 2, &c, &s);
    assert_int_equal(c.failed, 0);
    assert_int_equal(c.ok, 400);
}

static int small_scale(void)
{
    const char *s = getenv("HTTPX_TEST_SCALE");
    return s && strcmp(s, "small") == 0;
}

static void sync_stream_bounded_memory(void **state)
{
    (void)state;
    uint64_t want = small_scale() ? (16u << 20) : (256u << 20);
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true, .timeout = 30), &c), 0);
    long before = peers_rss_kib();
    httpx_response_t *r;
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx_tls, "/big.bin"), NULL, &r), 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    static char buf[64 * 1024];
    uint64_t total = 0;
    size_t n;
    while (total < want && httpx_response_stream(r, buf, sizeof buf, &n) == 0 && n)
        total += n;
    assert_true(total >= want);
    long after = peers_rss_kib();
    print_message("  %llu bytes over h2, RSS %ld -> %ld KiB, %.2f s\n", (unsigned long long)total, before, after,
                  httpx_response_elapsed(r));
    /* RSS means something only in plain builds: sanitizers and valgrind (the small
     * scale) keep freed memory in quarantine. */
    if (!small_scale())
        assert_true(after - before < 24 * 1024);
    /* closing the stream early leaves the connection usable for others */
    httpx_response_close(r);
    httpx_response_free(r);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/small.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    httpx_client_free(c);
}

static void parallel_on_h2(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true), &c), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    for (int i = 0; i < 50; i++) {
        httpx_pending_t *pd;
        assert_int_equal(httpx_parallel_get(p, U(P.nginx_tls, "/small.txt"), NULL, &pd), 0);
    }
    httpx_response_t *r;
    int got = 0;
    while (httpx_parallel_next_response(p, &r, NULL) == 0) {
        assert_string_equal(httpx_response_text(r), "hello from nginx\n");
        httpx_response_free(r);
        got++;
    }
    assert_int_equal(got, 50);
    httpx_parallel_close(p);
    httpx_client_free(c);
}

/* nginx over h2c writes a response's HEADERS and DATA separately with Nagle on, so
 * the DATA waits for the HEADERS' ACK; with a delayed ACK that was ~40 ms per request
 * after the first on a connection. 20 sequential requests must take well under
 * 20 × 40 ms (a bound 10× what they need here, so a loaded machine passes). */
static void h2c_sequential_requests_not_delayed(void **state)
{
    (void)state;
    httpx_client_t *c;
    httpx_response_t *r;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.http2_prior_knowledge = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_h2c, "/small.txt"), NULL, &r), 0); /* connect */
    httpx_response_free(r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(httpx_client_get(c, U(P.nginx_h2c, "/small.txt"), NULL, &r), 0);
        assert_string_equal(httpx_response_text(r), "hello from nginx\n");
        httpx_response_free(r);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    print_message("  20 sequential h2c requests: %.1f ms\n", ms);
    assert_true(ms < 400.0);
    httpx_client_free(c);
}

static void h2c_prior_knowledge_and_fallbacks(void **state)
{
    (void)state;
    httpx_client_t *c;
    httpx_response_t *r;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.http2_prior_knowledge = true), &c), 0);
    for (int i = 0; i < 3; i++) {
        httpx_error_t err = {0};
        int rc = httpx_client_get(c, U(P.nginx_h2c, "/small.txt"), HTTPX_REQ(.error = &err), &r);
        if (rc)
            print_message("  %s\n", err.message);
        assert_int_equal(rc, 0);
        assert_string_equal(httpx_response_http_version(r), "HTTP/2");
        assert_string_equal(httpx_response_text(r), "hello from nginx\n");
        httpx_response_free(r);
    }
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 1);
    httpx_client_free(c);
    /* a TLS server without h2: ALPN falls back to HTTP/1.1 */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.insecure = true, .http2 = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_badtls, "/small.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/1.1");
    httpx_response_free(r);
    httpx_client_free(c);
}

static void rst_stream_is_that_requests_error(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true), &c), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    httpx_pending_t *ok1, *reset, *ok2;
    assert_int_equal(httpx_parallel_get(p, U(P.nginx_tls, "/small.txt"), NULL, &ok1), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.nginx_tls, "/reset"), NULL, &reset), 0);
    assert_int_equal(httpx_parallel_get(p, U(P.nginx_tls, "/64k.bin"), NULL, &ok2), 0);
    httpx_response_t *r;
    int rc = httpx_pending_get_response(reset, &r);
    print_message("  /reset -> %s: %s\n", httpx_err_name(rc), httpx_pending_error(reset)->message);
    assert_true(httpx_error_is(rc, HTTPX_E_PROTOCOL));
    assert_int_equal(httpx_pending_get_response(ok1, &r), 0);
    httpx_response_free(r);
    assert_int_equal(httpx_pending_get_response(ok2, &r), 0);
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 65536);
    httpx_response_free(r);
    httpx_parallel_close(p);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 1); /* the connection survived the reset */
    httpx_client_free(c);
}

static int produce(void *buf, size_t cap, size_t *n, void *user)
{
    size_t *left = user;
    size_t k = *left < cap ? *left : cap;
    memset(buf, 'p', k);
    *left -= k;
    *n = k;
    return 0;
}

static void uploads_over_h2(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .http2 = true), &c), 0);
    static char big[3 << 20];
    memset(big, 'b', sizeof big);
    httpx_response_t *r;
    httpx_error_t err = {0};
    int rc = httpx_client_post(c, U(P.nginx_tls, "/null"), HTTPX_REQ(.body = HTTPX_BODY_BYTES(big, sizeof big), .error = &err), &r);
    if (rc)
        print_message("  %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    assert_int_equal(httpx_response_status(r), 204);
    httpx_response_free(r);
    size_t left = 5u << 20; /* a producer: no length known, DATA frames until it ends */
    assert_int_equal(httpx_client_put(c, U(P.nginx_tls, "/null"), HTTPX_REQ(.body = HTTPX_BODY_PRODUCER(produce, &left)), &r), 0);
    assert_int_equal(httpx_response_status(r), 204);
    /* nginx answers before reading and ends the stream; we stop sending then */
    assert_true(left < (5u << 20));
    httpx_response_free(r);
    /* the connection carries on */
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/small.txt"), NULL, &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void against_nghttpd(void **state)
{
    (void)state;
    if (!P.nghttpd[0])
        fail_msg("nghttpd is not in the peers");
    httpx_client_t *c;
    httpx_response_t *r;
    httpx_error_t err = {0};
    /* h2c, prior knowledge */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.http2_prior_knowledge = true), &c), 0);
    int rc = httpx_client_get(c, U(P.nghttpd, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    if (rc)
        print_message("  nghttpd h2c: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    assert_string_equal(httpx_response_text(r), "hello from nginx\n"); /* same www */
    httpx_response_free(r);
    httpx_client_free(c);
    /* over TLS, ALPN h2; many requests on one connection */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.http2 = true, .ca_file = P.ca_file), &c), 0);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    for (int i = 0; i < 200; i++) {
        httpx_pending_t *pd;
        assert_int_equal(httpx_parallel_get(p, U(P.nghttpd_tls, "/1k.bin"), NULL, &pd), 0);
    }
    int got = 0;
    while ((rc = httpx_parallel_next_response(p, &r, NULL)) != HTTPX_E_NONE_LEFT) {
        assert_int_equal(rc, 0);
        assert_string_equal(httpx_response_http_version(r), "HTTP/2");
        httpx_response_free(r);
        got++;
    }
    assert_int_equal(got, 200);
    httpx_parallel_close(p);
    httpx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sync_get_over_h2),
        cmocka_unit_test(content_length_over_h2),
        cmocka_unit_test(many_default_headers_over_h2),
        cmocka_unit_test(thousand_multiplexed_on_one_connection),
        cmocka_unit_test(spill_over_beyond_max_streams),
        cmocka_unit_test(goaway_requests_are_retried),
        cmocka_unit_test(sync_stream_bounded_memory),
        cmocka_unit_test(parallel_on_h2),
        cmocka_unit_test(h2c_prior_knowledge_and_fallbacks),
        cmocka_unit_test(h2c_sequential_requests_not_delayed),
        cmocka_unit_test(rst_stream_is_that_requests_error),
        cmocka_unit_test(uploads_over_h2),
        cmocka_unit_test(against_nghttpd),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
