/* Sync API against real servers: nginx (static, gzip, keep-alive), httpbin under
 * gunicorn (methods, headers, codings, status codes), and the raw server's /echo
 * for exact request bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;
/* httpbin's JSON may or may not have a space after the colon. */
static int json_has(const char *json, const char *key, const char *value)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "\"%s\": %s", key, value);
    snprintf(b, sizeof b, "\"%s\":%s", key, value);
    return strstr(json, a) || strstr(json, b);
}

static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

static void get_static_file(void **state)
{
    (void)state;
    httpx_response_t *r;
    httpx_error_t err = {0};
    int rc = httpx_get(U(P.nginx, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    assert_int_equal(rc, 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_reason(r), "OK");
    assert_string_equal(httpx_response_http_version(r), "HTTP/1.1");
    const void *data;
    size_t len;
    assert_int_equal(httpx_response_content(r, &data, &len), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/small.txt", P.www);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char want[4096];
    size_t wn = fread(want, 1, sizeof want, f);
    fclose(f);
    assert_int_equal(len, wn);
    assert_memory_equal(data, want, wn);
    assert_non_null(httpx_response_header(r, "content-length"));
    assert_string_equal(httpx_response_url(r), U(P.nginx, "/small.txt"));
    assert_true(httpx_response_elapsed(r) >= 0);
    httpx_timings_t t = httpx_response_timings(r);
    assert_true(t.connect >= 0 && t.first_byte >= t.connect && t.total >= t.first_byte);
    assert_int_equal(httpx_response_raise_for_status(r), 0);
    httpx_response_free(r);
}

static void not_found_and_raise_for_status(void **state)
{
    (void)state;
    httpx_response_t *r;
    assert_int_equal(httpx_get(U(P.nginx, "/nope"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 404);
    assert_int_equal(httpx_response_raise_for_status(r), HTTPX_E_STATUS);
    assert_true(httpx_error_is(httpx_response_raise_for_status(r), HTTPX_E_HTTP));
    httpx_response_free(r);
}

static void client_reuses_connection(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    for (int i = 1; i <= 5; i++) {
        httpx_response_t *r;
        assert_int_equal(httpx_client_get(c, U(P.raw, "/keepalive-count"), NULL, &r), 0);
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(httpx_response_text(r), want);
        httpx_response_free(r);
        httpx_pool_stats_t s;
        assert_int_equal(httpx_client_pool_stats(c, &s), 0);
        assert_int_equal(s.open, 1);
        assert_int_equal(s.idle, 1);
    }
    httpx_client_free(c);
}

static void head_has_no_body(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_head(c, U(P.nginx, "/64k.bin"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_header(r, "Content-Length"), "65536");
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 0);
    httpx_response_free(r);
    /* The connection is still usable after a HEAD with Content-Length. */
    assert_int_equal(httpx_client_get(c, U(P.nginx, "/64k.bin"), NULL, &r), 0);
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 65536);
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    assert_int_equal(s.open, 1);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void nginx_gzip_is_decoded(void **state)
{
    (void)state;
    httpx_response_t *r;
    assert_int_equal(httpx_get(U(P.nginx, "/gzip/text.txt"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    const char *ce = httpx_response_header(r, "Content-Encoding");
    assert_non_null(ce);
    assert_string_equal(ce, "gzip");
    char path[600];
    snprintf(path, sizeof path, "%s/gzip/text.txt", P.www);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char want[1 << 20];
    size_t wn = fread(want, 1, sizeof want, f);
    fclose(f);
    const void *data;
    size_t len;
    assert_int_equal(httpx_response_content(r, &data, &len), 0);
    assert_int_equal(len, wn);
    assert_memory_equal(data, want, wn);
    httpx_response_free(r);
}

static void httpbin_codings(void **state)
{
    (void)state;
    const char *paths[] = {"/gzip", "/deflate", "/brotli"};
    for (size_t i = 0; i < 3; i++) {
        httpx_response_t *r;
        httpx_error_t err = {0};
        int rc = httpx_get(U(P.httpbin, paths[i]), HTTPX_REQ(.error = &err), &r);
        if (rc)
            fprintf(stderr, "%s: %s\n", paths[i], err.message);
        assert_int_equal(rc, 0);
        assert_int_equal(httpx_response_status(r), 200);
        const char *t = httpx_response_text(r);
        /* httpbin answers {"gzipped": true, ...} / "deflated" / "brotli" */
        assert_true(json_has(t, i == 0 ? "gzipped" : i == 1 ? "deflated" : "brotli", "true"));
        httpx_response_free(r);
    }
}

static void methods_headers_params(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.headers = (httpx_header_t[]){{"X-Client", "c1"}, {0}},
                                                   .base_url = P.httpbin),
                                      &c),
                     0);
    httpx_response_t *r;
    httpx_param_t params[] = {{"q", "a b&c"}, {"n", "1"}, {0}};
    assert_int_equal(httpx_client_get(c, "/get",
                                      HTTPX_REQ(.params = params,
                                                .headers = (httpx_header_t[]){{"X-Request", "r1"}, {0}}),
                                      &r),
                     0);
    const char *t = httpx_response_text(r);
    assert_true(json_has(t, "q", "\"a b&c\""));
    assert_true(json_has(t, "X-Client", "\"c1\""));
    assert_true(json_has(t, "X-Request", "\"r1\""));
    assert_true(json_has(t, "User-Agent", "\"httpx-c/" HTTPX_VERSION_STRING "\""));
    httpx_response_free(r);

    const char *body = "{\"k\": 1}";
    assert_int_equal(httpx_client_post(c, "post",
                                       HTTPX_REQ(.body = HTTPX_BODY_STR(body),
                                                 .headers = (httpx_header_t[]){{"Content-Type", "application/json"}, {0}}),
                                       &r),
                     0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_true(json_has(httpx_response_text(r), "k", "1"));
    httpx_response_free(r);

    int (*fns[])(httpx_client_t *, const char *, const httpx_req_opts_t *, httpx_response_t **) = {
        httpx_client_put, httpx_client_patch, httpx_client_delete};
    const char *paths[] = {"/put", "/patch", "/delete"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fns[i](c, paths[i], NULL, &r), 0);
        assert_int_equal(httpx_response_status(r), 200);
        httpx_response_free(r);
    }
    assert_int_equal(httpx_client_options(c, "/get", NULL, &r), 0);
    assert_true(httpx_response_status(r) == 200);
    httpx_response_free(r);
    assert_int_equal(httpx_client_get(c, "/status/418", NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 418);
    assert_int_equal(httpx_response_raise_for_status(r), HTTPX_E_STATUS);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void chunked_and_trailers(void **state)
{
    (void)state;
    httpx_response_t *r;
    assert_int_equal(httpx_get(U(P.raw, "/chunked"), NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello, chunked world\n");
    const httpx_headers_t *tr = httpx_response_trailers(r);
    assert_string_equal(httpx_headers_get(tr, "x-trailer-one"), "1");
    assert_string_equal(httpx_headers_get(tr, "X-Trailer-Two"), "two");
    httpx_response_free(r);
    /* httpbin's /stream/N is chunked too */
    assert_int_equal(httpx_get(U(P.httpbin, "/stream/20"), NULL, &r), 0);
    int lines = 0;
    for (const char *p = httpx_response_text(r); (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 20);
    httpx_response_free(r);
}

static int produce(void *buf, size_t cap, size_t *n, void *user)
{
    int *left = user;
    if (*left == 0) {
        *n = 0;
        return 0;
    }
    const char *piece = "piece;";
    size_t len = strlen(piece);
    memcpy(buf, piece, len < cap ? len : cap);
    *n = len < cap ? len : cap;
    (*left)--;
    return 0;
}

static void upload_bodies_exact_bytes(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    /* producer → chunked */
    int left = 3;
    assert_int_equal(httpx_client_post(c, U(P.raw, "/echo"), HTTPX_REQ(.body = HTTPX_BODY_PRODUCER(produce, &left)),
                                       &r),
                     0);
    const char *t = httpx_response_text(r);
    assert_non_null(strstr(t, "POST /echo HTTP/1.1\r\n"));
    assert_non_null(strstr(t, "Transfer-Encoding: chunked\r\n"));
    assert_non_null(strstr(t, "\r\n\r\n6\r\npiece;\r\n6\r\npiece;\r\n6\r\npiece;\r\n0\r\n\r\n"));
    assert_null(strstr(t, "Content-Length"));
    httpx_response_free(r);
    /* file → Content-Length */
    char path[] = "/tmp/httpx-upload-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static char big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    assert_int_equal(write(fd, big, sizeof big), (ssize_t)sizeof big);
    close(fd);
    assert_int_equal(httpx_client_put(c, U(P.raw, "/echo"), HTTPX_REQ(.body = HTTPX_BODY_FILE(path)), &r), 0);
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_non_null(strstr(d, "Content-Length: 200000\r\n"));
    const char *sep = strstr(d, "\r\n\r\n");
    assert_non_null(sep);
    assert_int_equal(n - (size_t)(sep + 4 - (const char *)d), sizeof big);
    assert_memory_equal(sep + 4, big, sizeof big);
    httpx_response_free(r);
    unlink(path);
    /* Expect: 100-continue */
    assert_int_equal(httpx_client_post(c, U(P.raw, "/echo"),
                                       HTTPX_REQ(.body = HTTPX_BODY_STR("payload"), .expect_continue = true), &r),
                     0);
    t = httpx_response_text(r);
    assert_non_null(strstr(t, "Expect: 100-continue\r\n"));
    assert_non_null(strstr(t, "\r\n\r\npayload"));
    httpx_response_free(r);
    /* POST without a body says Content-Length: 0 */
    assert_int_equal(httpx_client_post(c, U(P.raw, "/echo"), NULL, &r), 0);
    assert_non_null(strstr(httpx_response_text(r), "Content-Length: 0\r\n"));
    httpx_response_free(r);
    httpx_client_free(c);
}

static void caller_input_is_checked(void **state)
{
    (void)state;
    httpx_response_t *r = (httpx_response_t *)1;
    httpx_error_t err;
    assert_int_equal(httpx_get(U(P.raw, "/ok"), HTTPX_REQ(.headers = (httpx_header_t[]){{"X-Evil", "a\r\nInjected: 1"}, {0}},
                                                           .error = &err),
                               &r),
                     HTTPX_E_INVAL);
    assert_null(r);
    assert_non_null(strstr(err.message, "X-Evil"));
    assert_int_equal(httpx_request("GE T", U(P.raw, "/ok"), NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_get("http://exa mple.com:99999/", HTTPX_REQ(.error = &err), &r), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_get("ftp://127.0.0.1/", HTTPX_REQ(.error = &err), &r), HTTPX_E_UNSUPPORTED_PROTOCOL);
    assert_int_equal(httpx_get(NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_get(U(P.raw, "/ok"), NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_get(U(P.raw, "/ok"), HTTPX_REQ(.headers = (httpx_header_t[]){{"Content-Length", "3"}, {0}}), &r),
                     HTTPX_E_INVAL);
}

static void closed_client_refuses(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    httpx_client_close(c);
    /* A buffered response outlives its client's close. */
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_t *r2;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r2), HTTPX_E_CLOSED);
    assert_int_equal(httpx_client_last_error(c)->code, HTTPX_E_CLOSED);
    httpx_client_free(c);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
}

static void timeouts_client_default_and_override(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.timeout = 0.5), &c), 0);
    httpx_response_t *r;
    httpx_error_t err;
    /* the client's default read timeout fires on httpbin's /delay/3 */
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/delay/3"), HTTPX_REQ(.error = &err), &r), HTTPX_E_READ_TIMEOUT);
    assert_int_equal(err.phase, HTTPX_PHASE_READ_HEAD);
    /* a request can lift it */
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/delay/1"), HTTPX_REQ(.timeouts = {.read = 3}), &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_true(httpx_response_elapsed(r) >= 1.0);
    httpx_response_free(r);
    /* and HTTPX_TIMEOUT_NONE disables it */
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/delay/1"), HTTPX_REQ(.timeout = HTTPX_TIMEOUT_NONE), &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_static_file),
        cmocka_unit_test(not_found_and_raise_for_status),
        cmocka_unit_test(client_reuses_connection),
        cmocka_unit_test(head_has_no_body),
        cmocka_unit_test(nginx_gzip_is_decoded),
        cmocka_unit_test(httpbin_codings),
        cmocka_unit_test(methods_headers_params),
        cmocka_unit_test(chunked_and_trailers),
        cmocka_unit_test(upload_bodies_exact_bytes),
        cmocka_unit_test(caller_input_is_checked),
        cmocka_unit_test(closed_client_refuses),
        cmocka_unit_test(timeouts_client_default_and_override),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
