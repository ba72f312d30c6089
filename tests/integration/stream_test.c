/* Streaming responses: read / stream / raw / close, bounded memory, misuse. */
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
    return peers_load(&P) == 0 ? 0 : -1;
}

static int small_scale(void)
{
    const char *s = getenv("HTTPX_TEST_SCALE");
    return s && strcmp(s, "small") == 0;
}

static void stream_read_whole(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx, "/64k.bin"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    const void *d;
    size_t n;
    /* Before read: the body is not there yet. */
    assert_int_equal(httpx_response_content(r, &d, &n), HTTPX_E_RESPONSE_NOT_READ);
    assert_int_equal(httpx_response_read(r), 0);
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 65536);
    /* Reading twice, or streaming after a read, is a stream error. */
    assert_int_equal(httpx_response_read(r), HTTPX_E_STREAM_CONSUMED);
    char buf[16];
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CONSUMED);
    assert_true(httpx_error_is(HTTPX_E_STREAM_CONSUMED, HTTPX_E_STREAM));
    httpx_response_close(r);
    httpx_response_free(r);
    /* The drained connection went back to the pool. */
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.idle, 1);
    httpx_client_free(c);
}

static void stream_decoded_vs_raw(void **state)
{
    (void)state;
    httpx_response_t *r;
    /* decoded: equals the file */
    assert_int_equal(httpx_stream("GET", U(P.nginx, "/gzip/text.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_header(r, "Content-Encoding"), "gzip");
    char buf[1000];
    size_t n, total = 0;
    int rc;
    while ((rc = httpx_response_stream(r, buf, sizeof buf, &n)) == 0 && n)
        total += n;
    assert_int_equal(rc, 0);
    char path[600];
    snprintf(path, sizeof path, "%s/gzip/text.txt", P.www);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(total, (size_t)size);
    /* raw after stream: consumed */
    assert_int_equal(httpx_response_raw(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CONSUMED);
    httpx_response_free(r);
    /* raw: the gzip bytes as sent, which start with the gzip magic */
    assert_int_equal(httpx_stream("GET", U(P.nginx, "/gzip/text.txt"), NULL, &r), 0);
    assert_int_equal(httpx_response_raw(r, buf, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal((unsigned char)buf[0], 0x1f);
    assert_int_equal((unsigned char)buf[1], 0x8b);
    total = 2;
    while ((rc = httpx_response_raw(r, buf, sizeof buf, &n)) == 0 && n)
        total += n;
    assert_int_equal(rc, 0);
    assert_true(total < (size_t)size);
    assert_int_equal(httpx_response_bytes_downloaded(r), total);
    httpx_response_free(r);
}

static void close_early_closes_connection(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx, "/big.bin"), NULL, &r), 0);
    char buf[4096];
    size_t n;
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
    assert_true(n > 0);
    httpx_response_close(r);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 0); /* not drained: closed, not pooled */
    httpx_response_free(r);
    /* A stream left open when its client closes becomes a closed stream. */
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx, "/big.bin"), NULL, &r), 0);
    httpx_client_close(c);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_client_free(c);
    httpx_response_free(r);
}

static void big_download_bounded_memory(void **state)
{
    (void)state;
    /* 1 GiB through a 64 KiB buffer; peak RSS must stay under 16 MiB more than
     * before. Small scale (sanitizers, valgrind) streams 64 MiB of it. */
    uint64_t want = small_scale() ? (64u << 20) : (1u << 30);
    long before = peers_rss_kib();
    httpx_response_t *r;
    assert_int_equal(httpx_stream("GET", U(P.nginx, "/big.bin"), HTTPX_REQ(.timeout = 30), &r), 0);
    assert_string_equal(httpx_response_header(r, "Content-Length"), "1073741824");
    static char buf[64 * 1024];
    uint64_t total = 0;
    size_t n;
    int rc;
    while (total < want && (rc = httpx_response_stream(r, buf, sizeof buf, &n)) == 0 && n) {
        total += n;
        assert_true(buf[0] == 0 && buf[n - 1] == 0);
    }
    assert_true(total >= want);
    if (want == (1u << 30)) {
        assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
        assert_int_equal(n, 0);
    }
    long after = peers_rss_kib();
    print_message("  streamed %llu bytes, peak RSS %ld KiB -> %ld KiB\n", (unsigned long long)total, before, after);
    /* RSS means something only in plain builds: sanitizers and valgrind (the small
     * scale) keep freed memory in quarantine. */
    if (!small_scale())
        assert_true(after - before < 16 * 1024);
    httpx_response_free(r);
}

struct cb_ctx {
    int rc, rc_stream;
};

/* A "service" helper that does not look async at all (the spec's FAQ case). */
static int fetch_data(const char *u, httpx_error_t *err)
{
    httpx_response_t *r = NULL;
    int rc = httpx_get(u, HTTPX_REQ(.error = err), &r);
    httpx_response_free(r);
    return rc;
}

static void fetch_in_callback(httpx_timer_t *timer, void *user)
{
    (void)timer;
    struct cb_ctx *ctx = user;
    httpx_error_t err = {0};
    ctx->rc = fetch_data(U(P.raw, "/ok"), &err);
    assert_non_null(strstr(err.message, "async"));
    httpx_response_t *r = NULL;
    ctx->rc_stream = httpx_stream("GET", U(P.raw, "/ok"), NULL, &r);
    assert_null(r);
}

static void sync_call_inside_loop_callback_refused(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    assert_non_null(loop);
    struct cb_ctx ctx = {0, 0};
    /* A timer callback that calls the blocking API, directly and via a helper. */
    httpx_timer_t *t = httpx_timer_new(loop, fetch_in_callback, &ctx);
    assert_non_null(t);
    assert_int_equal(httpx_timer_start(t, 0), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(ctx.rc, HTTPX_E_SYNC_IN_ASYNC);
    assert_int_equal(ctx.rc_stream, HTTPX_E_SYNC_IN_ASYNC);
    httpx_timer_free(t);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void stream_failing_before_head(void **state)
{
    (void)state;
    /* a stream whose request fails before any head must return the error, not wait */
    httpx_response_t *r = NULL;
    httpx_error_t err;
    int rc = httpx_stream("GET", "http://127.0.0.1:1/", HTTPX_REQ(.error = &err), &r);
    assert_int_equal(rc, HTTPX_E_REFUSED);
    assert_null(r);
    rc = httpx_stream("GET", U(P.raw, "/never-answer"), HTTPX_REQ(.timeouts = {.read = 0.2}, .error = &err), &r);
    assert_int_equal(rc, HTTPX_E_READ_TIMEOUT);
    rc = httpx_stream("GET", U(P.raw, "/garbage"), NULL, &r);
    assert_int_equal(rc, HTTPX_E_REMOTE_PROTOCOL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_read_whole),
        cmocka_unit_test(stream_decoded_vs_raw),
        cmocka_unit_test(close_early_closes_connection),
        cmocka_unit_test(big_download_bounded_memory),
        cmocka_unit_test(sync_call_inside_loop_callback_refused),
        cmocka_unit_test(stream_failing_before_head),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
