/* body_test.c — form urlencoding and the streaming multipart/form-data generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "body/body.h"
#include "core/buf.h"
#include "httpx/error.h"
#include "httpx/request.h"
#include "unit/counting_alloc.h"


/* ---- urlencoded forms --------------------------------------------------------- */

static void expect_form(const httpx_param_t *fields, const char *want)
{
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__form_urlencode(fields, &b), 0);
    const char *got = httpx__buf_ptr(&b) ? httpx__buf_ptr(&b) : "";
    if (strcmp(got, want) != 0)
        fail_msg("form: got \"%s\", want \"%s\"", got, want);
    httpx__buf_release(&b);
}

static void test_form_table(void **state)
{
    (void)state;
    expect_form((const httpx_param_t[]){{NULL, NULL}}, "");
    expect_form((const httpx_param_t[]){{"a", "b"}, {NULL, NULL}}, "a=b");
    expect_form((const httpx_param_t[]){{"name", "John Doe"}, {"x", "1&2=3"}, {NULL, NULL}},
                "name=John+Doe&x=1%262%3D3");
    expect_form((const httpx_param_t[]){{"k", ""}, {"", ""}, {NULL, NULL}}, "k=&=");
    expect_form((const httpx_param_t[]){{"a", "1"}, {"a", "2"}, {NULL, NULL}}, "a=1&a=2");
    expect_form((const httpx_param_t[]){{"caf\xc3\xa9", "\xe2\x82\xac"}, {NULL, NULL}}, "caf%C3%A9=%E2%82%AC");
    expect_form((const httpx_param_t[]){{"s", "-._~*!'()"}, {NULL, NULL}}, "s=-._~%2A%21%27%28%29");
    expect_form((const httpx_param_t[]){{"p", "a+b c/d?e#f%g"}, {NULL, NULL}}, "p=a%2Bb+c%2Fd%3Fe%23f%25g");
    expect_form((const httpx_param_t[]){{"nl", "a\r\nb\t"}, {NULL, NULL}}, "nl=a%0D%0Ab%09");
    expect_form((const httpx_param_t[]){{"sp", "  "}, {"AZaz09", "x"}, {NULL, NULL}}, "sp=++&AZaz09=x");
    expect_form((const httpx_param_t[]){{"hi", "\x7f\x80\xff"}, {NULL, NULL}}, "hi=%7F%80%FF");

    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__buf_append_str(&b, "pre:"), 0);
    assert_int_equal(httpx__form_urlencode((const httpx_param_t[]){{"a", "b"}, {NULL, NULL}}, &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "pre:a=b"); /* appends */
    assert_int_equal(httpx__form_urlencode((const httpx_param_t[]){{"a", "b"}, {"c", NULL}, {NULL, NULL}}, &b),
                     HTTPX_E_INVAL);
    assert_string_equal(httpx__buf_ptr(&b), "pre:a=b"); /* checked before writing */
    assert_int_equal(httpx__form_urlencode(NULL, &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__form_urlencode((const httpx_param_t[]){{NULL, NULL}}, NULL), HTTPX_E_INVAL);
    httpx__buf_release(&b);
    httpx__buf_init(&b, NULL, 8);
    assert_int_equal(httpx__form_urlencode((const httpx_param_t[]){{"long", "value here"}, {NULL, NULL}}, &b),
                     HTTPX_E_BODY_LIMIT);
    httpx__buf_release(&b);
}

/* ---- multipart helpers -------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char txt[96];   /* data.txt: "hello file\n" */
    char big[96];   /* big.dat: 300 KiB pattern */
    char empty[96]; /* empty.json: 0 bytes */
} fixture_t;

#define BIG_SIZE (300u * 1024u + 7u)

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char big_byte(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/httpx-mp-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->txt, sizeof fx->txt, "%s/data.txt", fx->dir);
    snprintf(fx->big, sizeof fx->big, "%s/big.dat", fx->dir);
    snprintf(fx->empty, sizeof fx->empty, "%s/empty.JSON", fx->dir);
    write_file(fx->txt, "hello file\n", 11);
    unsigned char *big = malloc(BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i++)
        big[i] = big_byte(i);
    write_file(fx->big, big, BIG_SIZE);
    free(big);
    write_file(fx->empty, "", 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    unlink(fx->txt);
    unlink(fx->big);
    unlink(fx->empty);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Pull the whole body in `chunk`-byte reads; returns a malloc'd copy. */
static char *pull_all(httpx__multipart_t *mp, size_t chunk, size_t *len)
{
    size_t cap = 1024, n = 0;
    char *out = malloc(cap);
    char *tmp = malloc(chunk);
    for (;;) {
        size_t got = 0;
        int rc = httpx__multipart_read(mp, tmp, chunk, &got);
        if (rc)
            fail_msg("read: %s (%s)", httpx_err_name(rc), httpx__multipart_error(mp)->message);
        assert_true(got <= chunk);
        if (got == 0)
            break;
        if (n + got > cap) {
            while (n + got > cap)
                cap *= 2;
            out = realloc(out, cap);
        }
        memcpy(out + n, tmp, got);
        n += got;
    }
    free(tmp);
    *len = n;
    return out;
}

static httpx__multipart_t *mp_ok(const httpx__part_t *parts, size_t n, const char *boundary)
{
    httpx__multipart_t *mp = NULL;
    httpx_error_t e = {0};
    int rc = httpx__multipart_new(parts, n, boundary, NULL, &mp, &e);
    if (rc)
        fail_msg("multipart_new: %s (%s)", httpx_err_name(rc), e.message);
    return mp;
}

#define CRLF "\r\n"
#define DISP "Content-Disposition: form-data; name="

static const char exact_want[] =
    "--XyZ" CRLF DISP "\"field\"" CRLF CRLF "value" CRLF
    "--XyZ" CRLF DISP "\"na%22me%5C%0D%0A%09\"" CRLF CRLF "x" CRLF
    "--XyZ" CRLF DISP "\"file\"; filename=\"data.txt\"" CRLF "Content-Type: text/plain" CRLF "X-Extra: 1" CRLF CRLF
    "hello file\n" CRLF
    "--XyZ" CRLF DISP "\"blob\"; filename=\"a%22b.bin\"" CRLF "Content-Type: application/octet-stream" CRLF CRLF
    "\0\1bin" CRLF
    "--XyZ" CRLF DISP "\"json\"" CRLF "Content-Type: application/json" CRLF CRLF "{}" CRLF
    "--XyZ" CRLF DISP "\"custom\"; filename=\"other.png\"" CRLF "content-type: text/x-custom" CRLF CRLF
    "hello file\n" CRLF
    "--XyZ" CRLF DISP "\"caf\xc3\xa9\"; filename=\"empty.JSON\"" CRLF "Content-Type: application/json" CRLF CRLF CRLF
    "--XyZ" CRLF DISP "\"e\"" CRLF CRLF CRLF
    "--XyZ--" CRLF;

static void make_exact_parts(const fixture_t *fx, httpx__part_t *p)
{
    static const httpx_header_t extra[] = {{"X-Extra", "1"}, {NULL, NULL}};
    static const httpx_header_t custom[] = {{"content-type", "text/x-custom"}, {NULL, NULL}};
    p[0] = (httpx__part_t){.name = "field", .value = "value"};
    p[1] = (httpx__part_t){.name = "na\"me\\\r\n\t", .value = "x"};
    p[2] = (httpx__part_t){.name = "file", .path = fx->txt, .headers = extra};
    p[3] = (httpx__part_t){.name = "blob", .value = "\0\1bin", .value_len = 5, .filename = "a\"b.bin"};
    p[4] = (httpx__part_t){.name = "json", .value = "{}", .content_type = "application/json"};
    p[5] = (httpx__part_t){.name = "custom", .path = fx->txt, .filename = "other.png", .headers = custom};
    p[6] = (httpx__part_t){.name = "caf\xc3\xa9", .path = fx->empty};
    p[7] = (httpx__part_t){.name = "e"};
}

static void test_multipart_exact(void **state)
{
    fixture_t *fx = *state;
    httpx__part_t parts[8];
    make_exact_parts(fx, parts);
    httpx__multipart_t *mp = mp_ok(parts, 8, "XyZ");
    assert_string_equal(httpx__multipart_boundary(mp), "XyZ");
    assert_string_equal(httpx__multipart_content_type(mp), "multipart/form-data; boundary=XyZ");
    size_t want_len = sizeof exact_want - 1;
    assert_int_equal(httpx__multipart_length(mp), want_len);
    size_t len;
    char *got = pull_all(mp, 65536, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, exact_want, want_len);
    free(got);
    /* rewind gives the same bytes again, here one at a time */
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    got = pull_all(mp, 1, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, exact_want, want_len);
    free(got);
    /* reads after the end keep saying "complete" */
    char c;
    size_t n = 99;
    assert_int_equal(httpx__multipart_read(mp, &c, 1, &n), 0);
    assert_int_equal(n, 0);
    httpx__multipart_free(mp);
}

static void test_multipart_empty_and_random(void **state)
{
    (void)state;
    httpx__multipart_t *mp = mp_ok(NULL, 0, "b");
    size_t len;
    char *got = pull_all(mp, 7, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(got, "--b--\r\n", 7);
    assert_int_equal(httpx__multipart_length(mp), 7);
    free(got);
    httpx__multipart_free(mp);
    /* random boundaries: 32 hex digits, never the same twice */
    httpx__part_t p = {.name = "a", .value = "b"};
    httpx__multipart_t *m1 = mp_ok(&p, 1, NULL), *m2 = mp_ok(&p, 1, NULL);
    const char *b1 = httpx__multipart_boundary(m1), *b2 = httpx__multipart_boundary(m2);
    assert_int_equal(strlen(b1), 32);
    assert_int_equal(strspn(b1, "0123456789abcdef"), 32);
    assert_string_not_equal(b1, b2);
    got = pull_all(m1, 100, &len);
    assert_int_equal(len, httpx__multipart_length(m1));
    assert_memory_equal(got, "--", 2);
    assert_memory_equal(got + 2, b1, 32);
    free(got);
    httpx__multipart_free(m1);
    httpx__multipart_free(m2);
    httpx__multipart_free(NULL);
    /* caller boundaries at the RFC 2046 limits */
    char b70[71];
    memset(b70, 'z', 70);
    b70[70] = '\0';
    mp = mp_ok(NULL, 0, b70);
    httpx__multipart_free(mp);
    mp = mp_ok(NULL, 0, "'()+_,-./:=? x");
    httpx__multipart_free(mp);
}

static void test_multipart_streaming(void **state)
{
    fixture_t *fx = *state;
    httpx__part_t parts[] = {
        {.name = "before", .value = "1"},
        {.name = "big", .path = fx->big, .content_type = "application/x-big"},
        {.name = "big2", .path = fx->big},
        {.name = "after", .value = "2"},
    };
    httpx__multipart_t *mp = mp_ok(parts, 4, "bnd");
    uint64_t length = httpx__multipart_length(mp);
    assert_true(length > 2 * BIG_SIZE);
    size_t len1, len64;
    char *one = pull_all(mp, 1, &len1);
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    char *big = pull_all(mp, 65536, &len64);
    assert_int_equal(len1, length);
    assert_int_equal(len64, length);
    assert_memory_equal(one, big, len1);
    /* the file bytes sit after the big part's headers, intact */
    const char *hdr = "Content-Type: application/x-big\r\n\r\n";
    char *at = memmem(big, len64, hdr, strlen(hdr));
    assert_non_null(at);
    at += strlen(hdr);
    for (size_t i = 0; i < BIG_SIZE; i++)
        if ((unsigned char)at[i] != big_byte(i))
            fail_msg("file byte %zu differs", i);
    assert_memory_equal(at + BIG_SIZE, "\r\n--bnd\r\n", 9);
    assert_non_null(memmem(big, len64, "filename=\"big.dat\"\r\nContent-Type: application/octet-stream", 57));
    free(one);
    free(big);
    /* odd chunk sizes, rewinding midway through a file */
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    char tmp[4099];
    size_t n;
    for (int i = 0; i < 10; i++)
        assert_int_equal(httpx__multipart_read(mp, tmp, sizeof tmp, &n), 0);
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    size_t total = 0;
    do {
        assert_int_equal(httpx__multipart_read(mp, tmp, sizeof tmp, &n), 0);
        total += n;
    } while (n);
    assert_int_equal(total, length);
    /* the producer adapter is the same pull */
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    httpx_body_producer_cb cb = httpx__multipart_producer;
    total = 0;
    do {
        assert_int_equal(cb(tmp, sizeof tmp, &n, mp), 0);
        total += n;
    } while (n);
    assert_int_equal(total, length);
    httpx__multipart_free(mp);
}

static void test_multipart_file_errors(void **state)
{
    fixture_t *fx = *state;
    /* a missing file is refused up front */
    httpx__part_t missing = {.name = "f", .path = "/nonexistent/x.txt"};
    httpx__multipart_t *mp = (httpx__multipart_t *)&mp;
    httpx_error_t e = {0};
    assert_int_equal(httpx__multipart_new(&missing, 1, NULL, NULL, &mp, &e), HTTPX_E_INVAL);
    assert_null(mp);
    assert_non_null(strstr(e.message, "cannot read multipart file \"/nonexistent/x.txt\" (part \"f\")"));
    httpx__part_t dir = {.name = "d", .path = fx->dir};
    assert_int_equal(httpx__multipart_new(&dir, 1, NULL, NULL, &mp, &e), HTTPX_E_INVAL);
    assert_non_null(strstr(e.message, "not a regular file"));

    /* a file that shrinks after _new: LOCAL_PROTOCOL, sticky until rewind */
    char path[128];
    snprintf(path, sizeof path, "%s/shrink.bin", fx->dir);
    write_file(path, "0123456789", 10);
    httpx__part_t p = {.name = "s", .path = path};
    mp = mp_ok(&p, 1, "b");
    uint64_t length = httpx__multipart_length(mp);
    write_file(path, "01234", 5);
    char buf[256];
    size_t n;
    assert_int_equal(httpx__multipart_read(mp, buf, sizeof buf, &n), HTTPX_E_LOCAL_PROTOCOL);
    assert_int_equal(n, 0);
    assert_int_equal(httpx__multipart_error(mp)->code, HTTPX_E_LOCAL_PROTOCOL);
    assert_non_null(strstr(httpx__multipart_error(mp)->message, "shrank"));
    assert_int_equal(httpx__multipart_read(mp, buf, sizeof buf, &n), HTTPX_E_LOCAL_PROTOCOL);
    /* a file that grows is sent at its stat'ed length */
    write_file(path, "0123456789abcdef", 16);
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    assert_int_equal(httpx__multipart_error(mp)->code, 0);
    size_t len;
    char *got = pull_all(mp, 3, &len);
    assert_int_equal(len, length);
    assert_non_null(memmem(got, len, "\r\n\r\n0123456789\r\n--b--\r\n", 23));
    free(got);
    /* a file deleted after _new cannot be opened */
    assert_int_equal(httpx__multipart_rewind(mp), 0);
    unlink(path);
    assert_int_equal(httpx__multipart_read(mp, buf, sizeof buf, &n), HTTPX_E_SYSTEM);
    assert_non_null(strstr(httpx__multipart_error(mp)->message, "shrink.bin"));
    httpx__multipart_free(mp);
    /* usage errors */
    mp = mp_ok(NULL, 0, "b");
    assert_int_equal(httpx__multipart_read(mp, buf, 0, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx__multipart_read(mp, NULL, 1, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx__multipart_read(mp, buf, 1, NULL), HTTPX_E_INVAL);
    httpx__multipart_free(mp);
}

static void test_multipart_invalid(void **state)
{
    (void)state;
    static const httpx_header_t crlf_value[] = {{"X-A", "a\r\nX-Evil: 1"}, {NULL, NULL}};
    static const httpx_header_t bad_name[] = {{"X A", "1"}, {NULL, NULL}};
    static const httpx_header_t colon_name[] = {{"X:", "1"}, {NULL, NULL}};
    static const httpx_header_t null_value[] = {{"X-A", NULL}, {NULL, NULL}};
    static const httpx_header_t disposition[] = {{"content-disposition", "form-data"}, {NULL, NULL}};
    static const struct {
        httpx__part_t part;
        const char *boundary, *msg;
    } v[] = {
        {{.value = "x"}, NULL, "part 0 has no name"},
        {{.name = "a", .value = "x", .path = "/etc/hostname"}, NULL, "both a value and a file"},
        {{.name = "a", .content_type = "text/plain\r\nX-Evil: 1"}, NULL, "control character in the content type"},
        {{.name = "a", .headers = crlf_value}, NULL, "header \"X-A\" has a missing value or control characters"},
        {{.name = "a", .headers = null_value}, NULL, "missing value"},
        {{.name = "a", .headers = bad_name}, NULL, "invalid header name \"X A\""},
        {{.name = "a", .headers = colon_name}, NULL, "invalid header name"},
        {{.name = "a", .headers = disposition}, NULL, "Content-Disposition is generated"},
        {{.name = "a"}, "", "boundary \"\" is invalid"},
        {{.name = "a"}, "ends in space ", "is invalid"},
        {{.name = "a"}, "semi;colon", "is invalid"},
        {{.name = "a"}, "quo\"te", "is invalid"},
        {{.name = "a"}, "12345678901234567890123456789012345678901234567890123456789012345678901", "is invalid"},
        {{.name = "v", .value = "a\r\n--sep--\r\n"}, "sep", "boundary \"sep\" occurs in the value of part \"v\""},
        {{.name = "v", .value = "--sepx"}, "sep", "occurs in the value"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        httpx__multipart_t *mp = (httpx__multipart_t *)&mp;
        httpx_error_t e = {0};
        int rc = httpx__multipart_new(&v[i].part, 1, v[i].boundary, NULL, &mp, &e);
        if (rc != HTTPX_E_INVAL || !strstr(e.message, v[i].msg))
            fail_msg("case %zu: %s \"%s\", want INVAL \"%s\"", i, httpx_err_name(rc), e.message, v[i].msg);
        assert_null(mp);
        assert_true(e.message[0] >= 'a' && e.message[0] <= 'z');
    }
    httpx__multipart_t *mp;
    assert_int_equal(httpx__multipart_new(NULL, 1, NULL, NULL, &mp, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__multipart_new(NULL, 0, NULL, NULL, NULL, NULL), HTTPX_E_INVAL);
    /* a tab in a header value is allowed */
    static const httpx_header_t tab[] = {{"X-T", "a\tb"}, {NULL, NULL}};
    httpx__part_t ok = {.name = "a", .value = "b-b", .headers = tab};
    mp = mp_ok(&ok, 1, "b");
    httpx__multipart_free(mp);
}

static void test_guess_content_type(void **state)
{
    (void)state;
    static const char *const v[][2] = {
        {"a.txt", "text/plain"},         {"A.TXT", "text/plain"},        {"x.tar.gz", "application/gzip"},
        {"p.PNG", "image/png"},          {"j.jpeg", "image/jpeg"},       {"d.json", "application/json"},
        {"noext", "application/octet-stream"}, {"dir.d/file", "application/octet-stream"},
        {".txt", "text/plain"},          {"a.", "application/octet-stream"}, {"a.unknown", "application/octet-stream"},
        {"page.html", "text/html"},      {"x.pdf", "application/pdf"},   {"s.svg", "image/svg+xml"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_string_equal(httpx__guess_content_type(v[i][0]), v[i][1]);
    assert_string_equal(httpx__guess_content_type(NULL), "application/octet-stream");
}

static void test_multipart_alloc_failures(void **state)
{
    fixture_t *fx = *state;
    httpx__part_t parts[8];
    make_exact_parts(fx, parts);
    bool done = false;
    for (long k = 1; !done && k < 200; k++) {
        counting_t c = {.fail_at = k};
        httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
        httpx__multipart_t *mp = NULL;
        httpx_error_t e = {0};
        int rc = httpx__multipart_new(parts, 8, "XyZ", &a, &mp, &e);
        if (rc == 0) {
            done = c.calls < k;
            size_t len;
            char *got = pull_all(mp, 5, &len);
            assert_int_equal(len, sizeof exact_want - 1);
            assert_memory_equal(got, exact_want, len);
            free(got);
            httpx__multipart_free(mp);
        } else {
            if (rc != HTTPX_E_NOMEM)
                fail_msg("allocation %ld: %s (%s)", k, httpx_err_name(rc), e.message);
            assert_null(mp);
            assert_string_equal(e.message, "multipart body: out of memory");
        }
        assert_int_equal(c.live, 0);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_table),
        cmocka_unit_test_setup_teardown(test_multipart_exact, setup, teardown),
        cmocka_unit_test(test_multipart_empty_and_random),
        cmocka_unit_test_setup_teardown(test_multipart_streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multipart_file_errors, setup, teardown),
        cmocka_unit_test(test_multipart_invalid),
        cmocka_unit_test(test_guess_content_type),
        cmocka_unit_test_setup_teardown(test_multipart_alloc_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
