/* HTTPS against nginx with the suite's own CA: verification on by default,
 * failures named precisely, keep-alive, streaming and async over TLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;
static int setup(void **state)
{
    (void)state;
    if (peers_load(&P) != 0 || !P.nginx_tls[0])
        return -1;
    return 0;
}

static void get_verified_and_kept_alive(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file), &c), 0);
    for (int i = 0; i < 5; i++) {
        httpx_response_t *r;
        httpx_error_t err = {0};
        int rc = httpx_client_get(c, U(P.nginx_tls, "/small.txt"), HTTPX_REQ(.error = &err), &r);
        if (rc)
            print_message("  %s\n", err.message);
        assert_int_equal(rc, 0);
        assert_int_equal(httpx_response_status(r), 200);
        assert_string_equal(httpx_response_text(r), "hello from nginx\n");
        if (i == 0) {
            httpx_timings_t t = httpx_response_timings(r);
            assert_true(t.tls >= t.connect && t.first_byte >= t.tls);
        }
        httpx_response_free(r);
    }
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 1); /* one TLS connection served all five */
    httpx_client_free(c);
}

/* What nginx says of one new connection: "r" resumed, "." full handshake. */
static char resumed(httpx_client_t *c)
{
    static const httpx_header_t close_hdr[] = {{"Connection", "close"}, {NULL, NULL}};
    httpx_response_t *r;
    httpx_error_t err = {0};
    int rc = httpx_client_get(c, U(P.nginx_tls, "/tls-resumed"), HTTPX_REQ(.headers = close_hdr, .error = &err), &r);
    if (rc)
        print_message("  %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(httpx_response_status(r), 200);
    char flag = httpx_response_text(r)[0];
    httpx_response_free(r);
    return flag;
}

/* Sessions are resumed per origin by default; tls_no_session_reuse makes every new
 * connection a full, verified handshake. */
static void session_reuse_and_no_session_reuse(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file), &c), 0);
    assert_int_equal(resumed(c), '.');
    assert_int_equal(resumed(c), 'r');
    assert_int_equal(resumed(c), 'r');
    httpx_client_free(c);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .tls_no_session_reuse = true), &c), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(resumed(c), '.');
    httpx_client_free(c);
    /* verification still applies: a certificate for another name fails every time, also
     * with the client's cache of verified chains holding the good server's chain */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .tls_no_session_reuse = true), &c), 0);
    assert_int_equal(resumed(c), '.');
    for (int i = 0; i < 2; i++) {
        httpx_response_t *r;
        httpx_error_t err = {0};
        assert_int_equal(httpx_client_get(c, U(P.nginx_badtls, "/small.txt"), HTTPX_REQ(.error = &err), &r),
                         HTTPX_E_TLS_VERIFY);
        assert_string_equal(err.message, "tls: certificate verify failed for \"localhost\": hostname mismatch");
        assert_int_equal(resumed(c), '.');
    }
    httpx_client_free(c);
}

static void unknown_ca_and_wrong_host_fail(void **state)
{
    (void)state;
    httpx_response_t *r;
    httpx_error_t err = {0};
    /* the system store does not know the suite's CA */
    int rc = httpx_get(U(P.nginx_tls, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    print_message("  no CA   -> %s: %s\n", httpx_err_name(rc), err.message);
    assert_int_equal(rc, HTTPX_E_TLS_VERIFY);
    assert_true(httpx_error_is(rc, HTTPX_E_CONNECT));
    assert_non_null(strstr(err.message, "localhost"));
    /* a certificate for another name */
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file), &c), 0);
    rc = httpx_client_get(c, U(P.nginx_badtls, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    print_message("  wrong   -> %s: %s\n", httpx_err_name(rc), err.message);
    assert_int_equal(rc, HTTPX_E_TLS_VERIFY);
    assert_non_null(strstr(err.message, "localhost"));
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 0);
    httpx_client_free(c);
    /* insecure: accepted (documented as dangerous) */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.insecure = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_badtls, "/small.txt"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    httpx_response_free(r);
    httpx_client_free(c);
    /* an unreadable CA file is an error at the first https request, naming the file */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = "/nonexistent/ca.pem"), &c), 0);
    rc = httpx_client_get(c, U(P.nginx_tls, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    assert_int_equal(rc, HTTPX_E_TLS);
    assert_non_null(strstr(err.message, "/nonexistent/ca.pem"));
    httpx_client_free(c);
}

static void plain_http_to_tls_port_is_an_error(void **state)
{
    (void)state;
    char url[256];
    /* speaking HTTP to a TLS port: nginx answers 400 in plain text */
    const char *port = strrchr(P.nginx_tls, ':') + 1;
    snprintf(url, sizeof url, "http://127.0.0.1:%s/small.txt", port);
    httpx_response_t *r;
    int rc = httpx_get(url, NULL, &r);
    if (rc == 0) {
        assert_int_equal(httpx_response_status(r), 400);
        httpx_response_free(r);
    } else {
        assert_true(httpx_error_is(rc, HTTPX_E_TRANSPORT));
    }
}

static int small_scale(void)
{
    const char *s = getenv("HTTPX_TEST_SCALE");
    return s && strcmp(s, "small") == 0;
}

static void stream_large_body_over_tls(void **state)
{
    (void)state;
    uint64_t want = small_scale() ? (16u << 20) : (1u << 30);
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .timeout = 30), &c), 0);
    long before = peers_rss_kib();
    httpx_response_t *r;
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx_tls, "/big.bin"), NULL, &r), 0);
    static char buf[64 * 1024];
    uint64_t total = 0;
    size_t n;
    int rc;
    while (total < want && (rc = httpx_response_stream(r, buf, sizeof buf, &n)) == 0 && n)
        total += n;
    assert_true(total >= want);
    if (want == (1u << 30)) {
        assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
        assert_int_equal(n, 0);
    }
    long after = peers_rss_kib();
    print_message("  %llu bytes over TLS, RSS %ld -> %ld KiB, %.2f s\n", (unsigned long long)total, before, after,
                  httpx_response_elapsed(r));
    /* RSS means something only in plain builds: sanitizers and valgrind (the small
     * scale) keep freed memory in quarantine. */
    if (!small_scale())
        assert_true(after - before < 16 * 1024);
    httpx_response_free(r);
    /* gzip over TLS, decoded */
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/gzip/text.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_header(r, "Content-Encoding"), "gzip");
    assert_true(strlen(httpx_response_text(r)) > 1000);
    httpx_response_free(r);
    httpx_client_free(c);
}

typedef struct counter {
    int ok, failed;
} counter_t;

static void on_done(httpx_future_t *f, int status, void *user)
{
    counter_t *c = user;
    httpx_response_t *r;
    if (status == 0 && httpx_future_take(f, &r) == 0) {
        c->ok += strcmp(httpx_response_text(r), "hello from nginx\n") == 0;
        httpx_response_free(r);
    } else {
        c->failed++;
    }
    httpx_future_free(f);
}

static void async_concurrent_over_tls(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.ca_file = P.ca_file, .limits = {.max_connections = 8}),
                                            &ac),
                     0);
    counter_t c = {0};
    for (int i = 0; i < 200; i++) {
        httpx_future_t *f;
        assert_int_equal(httpx_async_get(ac, U(P.nginx_tls, "/small.txt"), NULL, &f), 0);
        httpx_future_then(f, on_done, &c);
    }
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.ok, 200);
    assert_int_equal(c.failed, 0);
    httpx_async_client_free(ac);
    httpx_loop_counts_t lc;
    httpx_loop_counts(loop, &lc);
    assert_int_equal(lc.watchers + lc.timers, 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void client_certificate(void **state)
{
    (void)state;
    char cert[600], key[600];
    snprintf(cert, sizeof cert, "%s/client.pem", P.certs);
    snprintf(key, sizeof key, "%s/client.key", P.certs);
    httpx_client_t *c;
    httpx_response_t *r;
    /* without a certificate nginx refuses the request */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_mtls, "/small.txt"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 400);
    httpx_response_free(r);
    httpx_client_free(c);
    /* with one it serves */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .cert_file = cert, .key_file = key), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_mtls, "/small.txt"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    httpx_client_free(c);
    /* TLS 1.3 only, and a cipher list, are honoured */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.ca_file = P.ca_file, .tls_min_version = HTTPX_TLS_1_3,
                                                   .ciphers = "ECDHE+AESGCM"),
                                      &c),
                     0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/small.txt"), NULL, &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_verified_and_kept_alive),
        cmocka_unit_test(unknown_ca_and_wrong_host_fail),
        cmocka_unit_test(session_reuse_and_no_session_reuse),
        cmocka_unit_test(plain_http_to_tls_port_is_an_error),
        cmocka_unit_test(stream_large_body_over_tls),
        cmocka_unit_test(async_concurrent_over_tls),
        cmocka_unit_test(client_certificate),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
