/* Faults from the scripted raw server: each must give the right error category
 * within its time bound, and leave the pool with no leaked slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;

static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

/* A loopback port with nothing listening: bind, read the port, close. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct fault_case {
    const char *path;
    int expect_class;      /* httpx_error_is(rc, expect_class) */
    int expect_code;       /* exact code, or 0 to check the class only */
    double max_seconds;
    httpx_timeouts_t timeouts;
} fault_case_t;

static void run_case(httpx_client_t *c, const fault_case_t *fc)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", P.raw, fc->path);
    httpx_response_t *r = NULL;
    httpx_error_t err = {0};
    double t0 = now_s();
    int rc = httpx_client_get(c, url, HTTPX_REQ(.timeouts = fc->timeouts, .error = &err), &r);
    double took = now_s() - t0;
    print_message("  %-34s -> %-20s %.3fs  %s\n", fc->path, httpx_err_name(rc), took, err.message);
    assert_null(r);
    assert_true(rc < 0);
    assert_true(httpx_error_is(rc, fc->expect_class));
    if (fc->expect_code)
        assert_int_equal(rc, fc->expect_code);
    assert_int_equal(err.code, rc);
    assert_true(err.message[0] != '\0');
    assert_true(took < fc->max_seconds);
    /* Whatever happened, no slot is held and nothing waits. */
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, s.idle);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.connecting, 0);
}

static void faults(void **state)
{
    (void)state;
    const fault_case_t cases[] = {
        {"/truncated-body", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_SERVER_DISCONNECTED, 2},
        {"/truncated-chunked", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_SERVER_DISCONNECTED, 2},
        {"/reset-mid-headers", HTTPX_E_TRANSPORT, 0, 2},
        {"/reset-mid-body", HTTPX_E_READ, HTTPX_E_READ, 2},
        {"/garbage", HTTPX_E_REMOTE_PROTOCOL, 0, 2},
        {"/never-answer", HTTPX_E_TIMEOUT, HTTPX_E_READ_TIMEOUT, 2, {.read = 0.3}},
        {"/slow-drip?n=50&ms=100", HTTPX_E_TIMEOUT, HTTPX_E_TOTAL_TIMEOUT, 2, {.total = 0.5}},
        {"/slow-head?ms=100", HTTPX_E_TIMEOUT, HTTPX_E_TOTAL_TIMEOUT, 2, {.total = 0.5}},
        {"/slow-drip?n=5&ms=400", HTTPX_E_TIMEOUT, HTTPX_E_READ_TIMEOUT, 2, {.read = 0.2}},
        {"/oversized-headers", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_HEADER_LIMIT, 2},
        {"/many-headers?n=1000", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_HEADER_LIMIT, 2},
        {"/bad-chunk", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_REMOTE_PROTOCOL, 2},
        {"/cl-te", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_REMOTE_PROTOCOL, 2},
        {"/gzip-bomb?mib=2048", HTTPX_E_DECODING, HTTPX_E_DECODE_LIMIT, 10},
    };
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(c, &cases[i]);
    /* The client still works after all of that. */
    char url[512];
    snprintf(url, sizeof url, "%s/ok", P.raw);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    httpx_client_free(c);
}

static void connect_refused_and_timeout(void **state)
{
    (void)state;
    httpx_response_t *r;
    httpx_error_t err;
    double t0 = now_s();
    int port = closed_port();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    int rc = httpx_get(url, HTTPX_REQ(.error = &err), &r);
    assert_int_equal(rc, HTTPX_E_REFUSED);
    assert_true(httpx_error_is(rc, HTTPX_E_CONNECT));
    assert_true(httpx_error_is(rc, HTTPX_E_NETWORK));
    assert_int_equal(err.phase, HTTPX_PHASE_CONNECT);
    assert_non_null(strstr(err.message, "127.0.0.1"));
    assert_true(now_s() - t0 < 2);
}

static void stale_keepalive_is_retried(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    char url[512];
    snprintf(url, sizeof url, "%s/stale-keepalive?ms=50", P.raw);
    for (int i = 0; i < 3; i++) {
        httpx_response_t *r;
        assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
        assert_string_equal(httpx_response_text(r), "hello");
        httpx_response_free(r);
        /* Let the server close the idle connection behind our back. */
        struct timespec ts = {0, 150 * 1000000};
        nanosleep(&ts, NULL);
    }
    /* A non-idempotent request is not retried, but checks the idle connection first. */
    httpx_response_t *r;
    assert_int_equal(httpx_client_post(c, url, HTTPX_REQ(.body = HTTPX_BODY_STR("x")), &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void pool_timeout_and_no_leak(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.limits = {.max_connections = 1}), &c), 0);
    char url[512];
    snprintf(url, sizeof url, "%s/slow-drip?n=20&ms=50", P.raw);
    httpx_response_t *stream;
    assert_int_equal(httpx_client_stream(c, "GET", url, NULL, &stream), 0);
    /* The only slot is held by the stream: the next request waits, then times out. */
    httpx_response_t *r;
    snprintf(url, sizeof url, "%s/ok", P.raw);
    double t0 = now_s();
    assert_int_equal(httpx_client_get(c, url, HTTPX_REQ(.timeouts = {.pool = 0.2}), &r), HTTPX_E_POOL_TIMEOUT);
    assert_true(now_s() - t0 < 1.0);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 1);
    assert_int_equal(s.waiting, 0);
    /* Closing the unfinished stream closes its connection and frees the slot. */
    httpx_response_close(stream);
    httpx_response_free(stream);
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 0);
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    httpx_response_free(r);
    /* Many failures in a row never leak a slot (max_connections is 1). */
    for (int i = 0; i < 20; i++) {
        snprintf(url, sizeof url, "%s/%s", P.raw, i % 2 ? "never-answer" : "truncated-body");
        assert_true(httpx_client_get(c, url, HTTPX_REQ(.timeouts = {.read = 0.05}), &r) < 0);
    }
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, s.idle);
    snprintf(url, sizeof url, "%s/ok", P.raw);
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void interim_responses_skipped(void **state)
{
    (void)state;
    char url[512];
    httpx_response_t *r;
    snprintf(url, sizeof url, "%s/103?n=3", P.raw);
    assert_int_equal(httpx_get(url, NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    snprintf(url, sizeof url, "%s/100-continue", P.raw);
    assert_int_equal(httpx_post(url, HTTPX_REQ(.body = HTTPX_BODY_STR("abc")), &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_header(r, "X-Body-Length"), "3");
    httpx_response_free(r);
    snprintf(url, sizeof url, "%s/close-delimited", P.raw);
    assert_int_equal(httpx_get(url, NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "close-delimited body\n");
    httpx_response_free(r);
}

static void early_final_response_to_expect(void **state)
{
    (void)state;
    char url[512];
    httpx_response_t *r;
    snprintf(url, sizeof url, "%s/status/417", P.raw);
    assert_int_equal(httpx_post(url, HTTPX_REQ(.body = HTTPX_BODY_STR("never sent"), .expect_continue = true), &r), 0);
    assert_int_equal(httpx_response_status(r), 417);
    httpx_response_free(r);
}

static void connect_timeout(void **state)
{
    (void)state;
    /* A listener whose accept queue is full and never drained: the kernel drops
     * further SYNs, so a connect hangs until our timeout. */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 0), 0);
    getsockname(l, (struct sockaddr *)&a, &len);
    int fillers[4];
    for (int i = 0; i < 4; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&a, sizeof a);
    }
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    httpx_response_t *r;
    httpx_error_t err;
    double t0 = now_s();
    int rc = httpx_get(url, HTTPX_REQ(.timeouts = {.connect = 0.3}, .error = &err), &r);
    double took = now_s() - t0;
    print_message("  full backlog -> %s in %.3fs: %s\n", httpx_err_name(rc), took, err.message);
    assert_int_equal(rc, HTTPX_E_CONNECT_TIMEOUT);
    assert_true(httpx_error_is(rc, HTTPX_E_TIMEOUT));
    assert_int_equal(err.phase, HTTPX_PHASE_CONNECT);
    assert_true(took >= 0.25 && took < 1.5);
    for (int i = 0; i < 4; i++)
        close(fillers[i]);
    close(l);
}

static void write_timeout_on_unread_upload(void **state)
{
    (void)state;
    /* The server reads the head only; a large body fills the socket buffers. */
    size_t size = 64u << 20;
    char *big = calloc(1, size);
    assert_non_null(big);
    char url[512];
    snprintf(url, sizeof url, "%s/accept-no-read", P.raw);
    httpx_response_t *r;
    httpx_error_t err;
    double t0 = now_s();
    int rc = httpx_post(url, HTTPX_REQ(.body = HTTPX_BODY_BYTES(big, size), .timeouts = {.write = 0.3}, .error = &err),
                        &r);
    double took = now_s() - t0;
    assert_int_equal(rc, HTTPX_E_WRITE_TIMEOUT);
    assert_int_equal(err.phase, HTTPX_PHASE_WRITE);
    assert_true(took < 3);
    free(big);
}

static void keepalive_expiry_and_max_keepalive(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.limits = {.keepalive_expiry = 0.1, .max_keepalive_connections = 1}),
                                      &c),
                     0);
    char url[512];
    snprintf(url, sizeof url, "%s/keepalive-count", P.raw);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "1");
    httpx_response_free(r);
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "2"); /* reused */
    httpx_response_free(r);
    struct timespec ts = {0, 200 * 1000000};
    nanosleep(&ts, NULL);
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "1"); /* expired: a new connection */
    httpx_response_free(r);
    /* Two streams hold two connections; once both are drained only one stays idle. */
    httpx_response_t *s1, *s2;
    assert_int_equal(httpx_client_stream(c, "GET", url, NULL, &s1), 0);
    assert_int_equal(httpx_client_stream(c, "GET", url, NULL, &s2), 0);
    assert_int_equal(httpx_response_read(s1), 0);
    assert_int_equal(httpx_response_read(s2), 0);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.idle, 1);
    assert_int_equal(s.open, 1);
    httpx_response_free(s1);
    httpx_response_free(s2);
    httpx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faults),
        cmocka_unit_test(connect_refused_and_timeout),
        cmocka_unit_test(stale_keepalive_is_retried),
        cmocka_unit_test(pool_timeout_and_no_leak),
        cmocka_unit_test(interim_responses_skipped),
        cmocka_unit_test(early_final_response_to_expect),
        cmocka_unit_test(connect_timeout),
        cmocka_unit_test(write_timeout_on_unread_upload),
        cmocka_unit_test(keepalive_expiry_and_max_keepalive),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
