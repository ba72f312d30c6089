/* Response text: charset from Content-Type, conversion to UTF-8, U+FFFD for
 * invalid input, reason phrases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "client/response.h"
#include "core/mem.h"

static httpx_response_t *make(const char *content_type, const char *body, size_t len)
{
    const httpx_allocator_t *a = httpx_default_allocator();
    httpx_response_t *r = HTTPX__NEW(a, httpx_response_t);
    r->a = a;
    r->headers = httpx_headers_new(a);
    r->trailers = httpx_headers_new(a);
    if (content_type)
        httpx_headers_add(r->headers, "Content-Type", content_type);
    httpx__buf_init(&r->content, a, 0);
    httpx__buf_append(&r->content, body, len);
    r->mode = HTTPX__BODY_BUFFER;
    r->consumed = true;
    r->status = 200;
    r->stream_link.prev = r->stream_link.next = &r->stream_link;
    return r;
}

static void utf8_default_and_invalid_bytes(void **state)
{
    (void)state;
    httpx_response_t *r = make(NULL, "caf\xc3\xa9 \xff ok", 10);
    assert_string_equal(httpx_response_encoding(r), "utf-8");
    assert_string_equal(httpx_response_text(r), "caf\xc3\xa9 \xef\xbf\xbd ok");
    /* computed once, same pointer */
    assert_ptr_equal(httpx_response_text(r), httpx_response_text(r));
    httpx_response_free(r);
    /* overlong encodings and surrogates are invalid too */
    r = make("text/plain; charset=UTF-8", "\xc0\xaf|\xed\xa0\x80", 6);
    assert_string_equal(httpx_response_text(r), "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    httpx_response_free(r);
}

static void latin1_and_quoted_charset(void **state)
{
    (void)state;
    httpx_response_t *r = make("text/html; charset=\"ISO-8859-1\"", "caf\xe9", 4);
    assert_string_equal(httpx_response_encoding(r), "iso-8859-1");
    assert_string_equal(httpx_response_text(r), "caf\xc3\xa9");
    httpx_response_free(r);
    r = make("text/plain;charset=windows-1252", "\x80 euro", 6);
    assert_string_equal(httpx_response_text(r), "\xe2\x82\xac euro");
    httpx_response_free(r);
}

static void unknown_charset_falls_back_to_utf8(void **state)
{
    (void)state;
    httpx_response_t *r = make("text/plain; charset=x-no-such-charset", "plain \xc3\xa9", 8);
    assert_string_equal(httpx_response_text(r), "plain \xc3\xa9");
    httpx_response_free(r);
}

static void embedded_nul_is_replaced(void **state)
{
    (void)state;
    httpx_response_t *r = make(NULL, "a\0b", 3);
    /* text() is a C string: a NUL inside would cut it short silently */
    assert_string_equal(httpx_response_text(r), "a\xef\xbf\xbd" "b");
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 3);
    httpx_response_free(r);
}

static void reasons_and_status(void **state)
{
    (void)state;
    httpx_response_t *r = make(NULL, "", 0);
    assert_string_equal(httpx_response_reason(r), "OK");
    r->status = 404;
    assert_string_equal(httpx_response_reason(r), "Not Found");
    assert_int_equal(httpx_response_raise_for_status(r), HTTPX_E_STATUS);
    r->status = 302;
    assert_int_equal(httpx_response_raise_for_status(r), 0);
    r->status = 599;
    assert_int_equal(httpx_response_raise_for_status(r), HTTPX_E_STATUS);
    httpx_response_free(r);
    assert_int_equal(httpx_response_raise_for_status(NULL), HTTPX_E_INVAL);
    assert_string_equal(httpx_response_text(NULL), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_default_and_invalid_bytes),
        cmocka_unit_test(latin1_and_quoted_charset),
        cmocka_unit_test(unknown_charset_falls_back_to_utf8),
        cmocka_unit_test(embedded_nul_is_replaced),
        cmocka_unit_test(reasons_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
