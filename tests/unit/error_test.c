/* error_test.c — the error table: names, messages, the class hierarchy, detail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "httpx/error.h"

typedef struct row {
    int code;
    const char *name, *msg;
} row_t;

static const row_t rows[] = {
#define ROW(name, code, span, msg) {code, #name, msg},
    HTTPX_ERRNO_MAP(ROW)
#undef ROW
};
#define NROWS (sizeof rows / sizeof rows[0])

/* The tree of include/httpx/error.h written out by hand, so a span typo in the
 * table shows up here. 1 = no parent. */
static int parent_of(int code)
{
    switch (code) {
    case HTTPX_E_REQUEST: return HTTPX_E_HTTP;
    case HTTPX_E_STATUS: return HTTPX_E_HTTP;
    case HTTPX_E_TRANSPORT: return HTTPX_E_REQUEST;
    case HTTPX_E_DECODING: return HTTPX_E_REQUEST;
    case HTTPX_E_TOO_MANY_REDIRECTS: return HTTPX_E_REQUEST;
    case HTTPX_E_TIMEOUT: return HTTPX_E_TRANSPORT;
    case HTTPX_E_NETWORK: return HTTPX_E_TRANSPORT;
    case HTTPX_E_PROTOCOL: return HTTPX_E_TRANSPORT;
    case HTTPX_E_PROXY: return HTTPX_E_TRANSPORT;
    case HTTPX_E_UNSUPPORTED_PROTOCOL: return HTTPX_E_TRANSPORT;
    case HTTPX_E_CONNECT_TIMEOUT:
    case HTTPX_E_READ_TIMEOUT:
    case HTTPX_E_WRITE_TIMEOUT:
    case HTTPX_E_POOL_TIMEOUT:
    case HTTPX_E_TOTAL_TIMEOUT: return HTTPX_E_TIMEOUT;
    case HTTPX_E_CONNECT: return HTTPX_E_NETWORK;
    case HTTPX_E_READ:
    case HTTPX_E_WRITE:
    case HTTPX_E_CLOSE: return HTTPX_E_NETWORK;
    case HTTPX_E_DNS:
    case HTTPX_E_REFUSED:
    case HTTPX_E_TLS: return HTTPX_E_CONNECT;
    case HTTPX_E_TLS_VERIFY:
    case HTTPX_E_TLS_HANDSHAKE: return HTTPX_E_TLS;
    case HTTPX_E_LOCAL_PROTOCOL:
    case HTTPX_E_REMOTE_PROTOCOL: return HTTPX_E_PROTOCOL;
    case HTTPX_E_HEADER_LIMIT:
    case HTTPX_E_BODY_LIMIT:
    case HTTPX_E_SERVER_DISCONNECTED: return HTTPX_E_REMOTE_PROTOCOL;
    case HTTPX_E_DECODE_LIMIT: return HTTPX_E_DECODING;
    case HTTPX_E_STREAM_CONSUMED:
    case HTTPX_E_STREAM_CLOSED:
    case HTTPX_E_RESPONSE_NOT_READ:
    case HTTPX_E_REQUEST_NOT_READ: return HTTPX_E_STREAM;
    default: return 1;
    }
}

static int descends(int code, int cls)
{
    for (int c = code; c != 1; c = parent_of(c))
        if (c == cls)
            return 1;
    return 0;
}

/* Every (code, class) pair: in itself and its ancestors, nowhere else (so not in
 * siblings, cousins or descendants). */
static void test_hierarchy_all_pairs(void **state)
{
    (void)state;
    for (size_t i = 0; i < NROWS; i++)
        for (size_t j = 0; j < NROWS; j++) {
            int want = descends(rows[i].code, rows[j].code);
            int got = httpx_error_is(rows[i].code, rows[j].code);
            if (got != want)
                fail_msg("httpx_error_is(%s, %s) = %d, want %d", rows[i].name, rows[j].name,
                         got, want);
        }
}

static void test_hierarchy_examples(void **state)
{
    (void)state;
    assert_true(httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_TRANSPORT));
    assert_true(httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_TIMEOUT));
    assert_true(httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_REQUEST));
    assert_true(httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_HTTP));
    assert_false(httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_NETWORK));
    assert_false(httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_CONNECT_TIMEOUT));
    assert_true(httpx_error_is(HTTPX_E_TLS_VERIFY, HTTPX_E_CONNECT));
    assert_false(httpx_error_is(HTTPX_E_TLS_VERIFY, HTTPX_E_TLS_HANDSHAKE));
    assert_false(httpx_error_is(HTTPX_E_READ, HTTPX_E_CONNECT));
    assert_true(httpx_error_is(HTTPX_E_HEADER_LIMIT, HTTPX_E_PROTOCOL));
    assert_false(httpx_error_is(HTTPX_E_HEADER_LIMIT, HTTPX_E_LOCAL_PROTOCOL));
    assert_true(httpx_error_is(HTTPX_E_DECODE_LIMIT, HTTPX_E_REQUEST));
    assert_false(httpx_error_is(HTTPX_E_DECODE_LIMIT, HTTPX_E_TRANSPORT));
    assert_true(httpx_error_is(HTTPX_E_STATUS, HTTPX_E_HTTP));
    assert_false(httpx_error_is(HTTPX_E_STATUS, HTTPX_E_REQUEST));
    assert_false(httpx_error_is(HTTPX_E_INVALID_URL, HTTPX_E_HTTP)); /* as in HTTPX */
    assert_false(httpx_error_is(HTTPX_E_STREAM_CLOSED, HTTPX_E_HTTP));
    assert_true(httpx_error_is(HTTPX_E_STREAM_CLOSED, HTTPX_E_STREAM));
    assert_false(httpx_error_is(HTTPX_E_NOMEM, HTTPX_E_HTTP));
    assert_false(httpx_error_is(HTTPX_E_OK, HTTPX_E_HTTP));
    assert_true(httpx_error_is(HTTPX_E_OK, HTTPX_E_OK));
    /* an unknown class contains nothing but itself */
    assert_false(httpx_error_is(HTTPX_E_READ, -9999));
    assert_false(httpx_error_is(HTTPX_E_READ, 5));
}

static void test_names_and_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < NROWS; i++) {
        assert_string_equal(httpx_err_name(rows[i].code), rows[i].name);
        const char *m = httpx_strerror(rows[i].code);
        assert_string_equal(m, rows[i].msg);
        size_t n = strlen(m);
        assert_true(n > 0);
        assert_true(m[n - 1] != '.');
        for (size_t k = 0; k < n; k++)
            assert_false(m[k] >= 'A' && m[k] <= 'Z');
        /* codes are unique and, but for OK, negative */
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(rows[i].code, rows[j].code);
        assert_true(rows[i].code < 0 || rows[i].code == HTTPX_E_OK);
    }
    assert_string_equal(httpx_err_name(HTTPX_E_READ_TIMEOUT), "READ_TIMEOUT");
    assert_string_equal(httpx_strerror(HTTPX_E_READ_TIMEOUT), "read timed out");
    assert_string_equal(httpx_strerror(0), "success");
}

static void test_unknown_codes(void **state)
{
    (void)state;
    static const int unknown[] = {1, 42, -10, -99, -119, -150, -999, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(httpx_strerror(unknown[i]), "unknown error");
        assert_string_equal(httpx_err_name(unknown[i]), "UNKNOWN");
    }
}

static void test_phase_names(void **state)
{
    (void)state;
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_NONE), "none");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_SETUP), "setup");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_POOL), "pool");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_DNS), "dns");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_CONNECT), "connect");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_TLS), "tls");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_WRITE), "write");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_READ_HEAD), "read-head");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_READ_BODY), "read-body");
    assert_string_equal(httpx_phase_name(HTTPX_PHASE_DECODE), "decode");
    assert_string_equal(httpx_phase_name((httpx_phase_t)99), "unknown");
    assert_string_equal(httpx_phase_name((httpx_phase_t)-1), "unknown");
}

static void test_err_detail(void **state)
{
    (void)state;
    httpx_error_t e;
    memset(&e, 0x55, sizeof e);
    assert_int_equal(httpx__err(&e, HTTPX_E_REFUSED, HTTPX_PHASE_CONNECT, "connect to %s:%d: %s",
                                "127.0.0.1", 9, httpx_strerror(HTTPX_E_REFUSED)),
                     HTTPX_E_REFUSED);
    assert_int_equal(e.code, HTTPX_E_REFUSED);
    assert_int_equal(e.phase, HTTPX_PHASE_CONNECT);
    assert_string_equal(e.message, "connect to 127.0.0.1:9: connection refused");
    assert_int_equal(httpx__err(NULL, HTTPX_E_READ, HTTPX_PHASE_READ_BODY, "x"), HTTPX_E_READ);
    /* a long message is cut, still NUL-terminated */
    char longs[600];
    memset(longs, 'a', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    httpx__err(&e, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "%s", longs);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    httpx__err_clear(&e);
    assert_int_equal(e.code, 0);
    assert_int_equal(e.phase, HTTPX_PHASE_NONE);
    assert_string_equal(e.message, "");
    httpx__err_clear(NULL);
}

static void test_errno_mapping(void **state)
{
    (void)state;
    assert_int_equal(httpx__err_from_errno(ENOMEM, HTTPX_PHASE_READ_BODY), HTTPX_E_NOMEM);
    assert_int_equal(httpx__err_from_errno(ENOBUFS, HTTPX_PHASE_WRITE), HTTPX_E_NOMEM);
    assert_int_equal(httpx__err_from_errno(ECONNREFUSED, HTTPX_PHASE_CONNECT), HTTPX_E_REFUSED);
    assert_int_equal(httpx__err_from_errno(ETIMEDOUT, HTTPX_PHASE_CONNECT), HTTPX_E_CONNECT_TIMEOUT);
    assert_int_equal(httpx__err_from_errno(ETIMEDOUT, HTTPX_PHASE_TLS), HTTPX_E_CONNECT_TIMEOUT);
    assert_int_equal(httpx__err_from_errno(ETIMEDOUT, HTTPX_PHASE_DNS), HTTPX_E_CONNECT_TIMEOUT);
    assert_int_equal(httpx__err_from_errno(ETIMEDOUT, HTTPX_PHASE_WRITE), HTTPX_E_WRITE_TIMEOUT);
    assert_int_equal(httpx__err_from_errno(ETIMEDOUT, HTTPX_PHASE_READ_HEAD), HTTPX_E_READ_TIMEOUT);
    assert_int_equal(httpx__err_from_errno(EMFILE, HTTPX_PHASE_CONNECT), HTTPX_E_SYSTEM);
    assert_int_equal(httpx__err_from_errno(ECONNRESET, HTTPX_PHASE_READ_HEAD), HTTPX_E_READ);
    assert_int_equal(httpx__err_from_errno(ECONNRESET, HTTPX_PHASE_READ_BODY), HTTPX_E_READ);
    assert_int_equal(httpx__err_from_errno(EPIPE, HTTPX_PHASE_WRITE), HTTPX_E_WRITE);
    assert_int_equal(httpx__err_from_errno(ENETUNREACH, HTTPX_PHASE_CONNECT), HTTPX_E_CONNECT);
    assert_int_equal(httpx__err_from_errno(EHOSTUNREACH, HTTPX_PHASE_TLS), HTTPX_E_CONNECT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hierarchy_all_pairs),
        cmocka_unit_test(test_hierarchy_examples),
        cmocka_unit_test(test_names_and_messages),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_phase_names),
        cmocka_unit_test(test_err_detail),
        cmocka_unit_test(test_errno_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
