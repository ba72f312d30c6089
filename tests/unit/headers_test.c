/* headers_test.c — the ordered, case-insensitive header multimap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "client/headers.h"
#include "httpx/error.h"
#include "unit/counting_alloc.h"

static httpx_headers_t *new_list(void)
{
    httpx_headers_t *h = httpx_headers_new(NULL);
    assert_non_null(h);
    return h;
}

static void expect_at(const httpx_headers_t *h, size_t i, const char *name, const char *value)
{
    const char *n = NULL, *v = NULL;
    assert_int_equal(httpx_headers_at(h, i, &n, &v), 0);
    assert_string_equal(n, name);
    assert_string_equal(v, value);
}

static void test_add_get_order(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    assert_int_equal(httpx_headers_count(h), 0);
    assert_null(httpx_headers_get(h, "x"));
    assert_int_equal(httpx_headers_add(h, "Content-Type", "text/plain"), 0);
    assert_int_equal(httpx_headers_add(h, "Set-Cookie", "a=1"), 0);
    assert_int_equal(httpx_headers_add(h, "X-Empty", ""), 0);
    assert_int_equal(httpx_headers_add(h, "set-cookie", "b=2"), 0);
    assert_int_equal(httpx_headers_count(h), 4);
    /* the caller's case and order are kept */
    expect_at(h, 0, "Content-Type", "text/plain");
    expect_at(h, 1, "Set-Cookie", "a=1");
    expect_at(h, 2, "X-Empty", "");
    expect_at(h, 3, "set-cookie", "b=2");
    /* lookups ignore case */
    assert_string_equal(httpx_headers_get(h, "content-type"), "text/plain");
    assert_string_equal(httpx_headers_get(h, "CONTENT-TYPE"), "text/plain");
    assert_string_equal(httpx_headers_get(h, "SET-COOKIE"), "a=1");
    assert_string_equal(httpx_headers_get_nth(h, "Set-Cookie", 0), "a=1");
    assert_string_equal(httpx_headers_get_nth(h, "Set-Cookie", 1), "b=2");
    assert_null(httpx_headers_get_nth(h, "Set-Cookie", 2));
    assert_null(httpx_headers_get(h, "Content-Typ"));
    assert_null(httpx_headers_get(h, "Content-Type2"));
    assert_string_equal(httpx_headers_get(h, "x-empty"), "");
    const char *n = NULL;
    assert_int_equal(httpx_headers_at(h, 4, &n, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_at(h, 0, NULL, NULL), 0);
    httpx_headers_free(h);
    httpx_headers_free(NULL);
}

static void test_addn(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    assert_int_equal(httpx_headers_addn(h, "Hostxxx", 4, "example.orgzzz", 11), 0);
    expect_at(h, 0, "Host", "example.org"); /* NUL-terminated copies */
    assert_int_equal(httpx_headers_addn(h, "A", 1, NULL, 0), 0);
    expect_at(h, 1, "A", "");
    assert_int_equal(httpx_headers_addn(h, "A", 1, "a\0b", 3), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(h, "A", 0, "x", 1), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(h, "A", 1, NULL, 1), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_count(h), 2);
    httpx_headers_free(h);
}

static void test_validation(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    static const char *const bad_names[] = {"", "a b", "a:b", "a\r\nb", "(x)", "a/b", "\xc3\xa9",
                                            "a\"", "{", "a@b", "a,b", "a;b", "a=b", "a\tb"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        assert_int_equal(httpx_headers_add(h, bad_names[i], "v"), HTTPX_E_INVAL);
    static const char *const bad_values[] = {"a\rb", "a\nb", "\r\nX-Injected: 1", "a\x01", "\x7f",
                                             "a\x1f"};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        assert_int_equal(httpx_headers_add(h, "X", bad_values[i]), HTTPX_E_INVAL);
        assert_int_equal(httpx_headers_set(h, "X", bad_values[i]), HTTPX_E_INVAL);
    }
    assert_int_equal(httpx_headers_set(h, "a b", "v"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_add(h, NULL, "v"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_add(h, "X", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_add(NULL, "X", "v"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_set(h, NULL, "v"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_count(h), 0);
    /* what is allowed: every tchar, HTAB, obs-text, visible ASCII and spaces */
    assert_int_equal(httpx_headers_add(h, "!#$%&'*+-.^_`|~09azAZ", "v"), 0);
    assert_int_equal(httpx_headers_add(h, "X", "a\tb \xc3\xa9 \"q\" (c) ~"), 0);
    assert_int_equal(httpx_headers_count(h), 2);

    assert_true(httpx__header_name_valid("Content-Length", 14));
    assert_false(httpx__header_name_valid("Content-Length", 0));
    assert_false(httpx__header_name_valid("A\0", 2));
    assert_true(httpx__header_value_valid("", 0));
    assert_true(httpx__header_value_valid("\t\x80\xff", 3));
    assert_false(httpx__header_value_valid("a\0", 2));
    httpx_headers_free(h);
}

static void test_set(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    assert_int_equal(httpx_headers_add(h, "A", "1"), 0);
    assert_int_equal(httpx_headers_add(h, "X-Dup", "1"), 0);
    assert_int_equal(httpx_headers_add(h, "B", "2"), 0);
    assert_int_equal(httpx_headers_add(h, "x-dup", "2"), 0);
    assert_int_equal(httpx_headers_add(h, "C", "3"), 0);
    /* replaces every one, in place of the first */
    assert_int_equal(httpx_headers_set(h, "X-DUP", "new"), 0);
    assert_int_equal(httpx_headers_count(h), 4);
    expect_at(h, 0, "A", "1");
    expect_at(h, 1, "X-DUP", "new");
    expect_at(h, 2, "B", "2");
    expect_at(h, 3, "C", "3");
    /* absent: appended */
    assert_int_equal(httpx_headers_set(h, "D", "4"), 0);
    expect_at(h, 4, "D", "4");
    /* a value taken from the list itself survives the buffer growing */
    for (int i = 0; i < 50; i++)
        assert_int_equal(httpx_headers_set(h, "E", httpx_headers_get(h, "C")), 0);
    assert_string_equal(httpx_headers_get(h, "E"), "3");
    const char *n = NULL, *v = NULL;
    assert_int_equal(httpx_headers_at(h, 2, &n, &v), 0);
    assert_int_equal(httpx_headers_add(h, n, v), 0);
    expect_at(h, 6, "B", "2");
    httpx_headers_free(h);
}

static void test_remove(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    assert_int_equal(httpx_headers_remove(h, "A"), 0);
    assert_int_equal(httpx_headers_add(h, "A", "1"), 0);
    assert_int_equal(httpx_headers_add(h, "B", "2"), 0);
    assert_int_equal(httpx_headers_add(h, "a", "3"), 0);
    assert_int_equal(httpx_headers_add(h, "C", "4"), 0);
    assert_int_equal(httpx_headers_remove(h, "A"), 2);
    assert_int_equal(httpx_headers_count(h), 2);
    expect_at(h, 0, "B", "2");
    expect_at(h, 1, "C", "4");
    assert_null(httpx_headers_get(h, "a"));
    assert_int_equal(httpx_headers_remove(h, "missing"), 0);
    assert_int_equal(httpx_headers_remove(h, NULL), 0);
    assert_int_equal(httpx_headers_remove(NULL, "A"), 0);
    assert_int_equal(httpx_headers_remove(h, "b"), 1);
    assert_int_equal(httpx_headers_remove(h, "c"), 1);
    assert_int_equal(httpx_headers_count(h), 0);
    assert_int_equal(httpx_headers_add(h, "Z", "z"), 0);
    expect_at(h, 0, "Z", "z");
    httpx_headers_free(h);
}

/* Churn far past the compaction threshold; the contents stay right. */
static void test_churn_compaction(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    char name[32], value[64];
    assert_int_equal(httpx_headers_add(h, "Keep", "k"), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "N%d", i % 7);
        snprintf(value, sizeof value, "value-%d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
        assert_int_equal(httpx_headers_set(h, name, value), 0);
        if (i % 3 == 0)
            httpx_headers_remove(h, "N3");
    }
    assert_string_equal(httpx_headers_get(h, "keep"), "k");
    assert_string_equal(httpx_headers_get(h, "N6"), "value-4997-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); /* 4997 % 7 == 6 */
    assert_true(httpx_headers_count(h) <= 8);
    expect_at(h, 0, "Keep", "k");
    httpx_headers_free(h);
}

static void test_has_token(void **state)
{
    (void)state;
    httpx_headers_t *h = new_list();
    assert_int_equal(httpx_headers_add(h, "Connection", "keep-alive , Upgrade"), 0);
    assert_int_equal(httpx_headers_add(h, "connection", "\tCLOSE\t"), 0);
    assert_int_equal(httpx_headers_add(h, "Transfer-Encoding", "gzip,chunked"), 0);
    assert_int_equal(httpx_headers_add(h, "X", ",,"), 0);
    assert_int_equal(httpx_headers_has_token(h, "Connection", "close"), 1);
    assert_int_equal(httpx_headers_has_token(h, "CONNECTION", "upgrade"), 1);
    assert_int_equal(httpx_headers_has_token(h, "Connection", "keep-alive"), 1);
    assert_int_equal(httpx_headers_has_token(h, "Connection", "keep"), 0);
    assert_int_equal(httpx_headers_has_token(h, "Connection", "alive"), 0);
    assert_int_equal(httpx_headers_has_token(h, "transfer-encoding", "chunked"), 1);
    assert_int_equal(httpx_headers_has_token(h, "transfer-encoding", "gzip"), 1);
    assert_int_equal(httpx_headers_has_token(h, "transfer-encoding", "gzip,chunked"), 0);
    assert_int_equal(httpx_headers_has_token(h, "Upgrade", "close"), 0);
    assert_int_equal(httpx_headers_has_token(h, "X", ""), 1); /* empty list elements */
    assert_int_equal(httpx_headers_has_token(h, "X", "a"), 0);
    assert_int_equal(httpx_headers_has_token(h, NULL, "a"), 0);
    assert_int_equal(httpx_headers_has_token(h, "X", NULL), 0);
    httpx_headers_free(h);
}

static void test_internal(void **state)
{
    (void)state;
    httpx_headers_t *h = httpx__headers_new_in(httpx_default_allocator());
    assert_non_null(h);
    assert_int_equal(httpx__headers_add_unchecked(h, "Content-Lengthxx", 14, "42\r\n", 2), 0);
    expect_at(h, 0, "Content-Length", "42");
    httpx__headers_clear(h);
    assert_int_equal(httpx_headers_count(h), 0);
    assert_null(httpx_headers_get(h, "content-length"));
    assert_int_equal(httpx__headers_add_unchecked(h, "A", 1, "b", 1), 0);
    expect_at(h, 0, "A", "b");
    httpx_headers_free(h);
    assert_int_equal(httpx_headers_count(NULL), 0);
    assert_null(httpx_headers_get(NULL, "a"));
    assert_int_equal(httpx_headers_at(NULL, 0, NULL, NULL), HTTPX_E_INVAL);
}

/* ---- allocation --------------------------------------------------------------- */


/* Adding many fields costs a handful of allocations, not one per field. */
static void test_alloc_budget(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx_headers_t *h = httpx_headers_new(&a);
    assert_non_null(h);
    for (int i = 0; i < 100; i++)
        assert_int_equal(httpx_headers_add(h, "X-Field", "some value of a header"), 0);
    assert_true(c.calls <= 1 + 5 + 7); /* struct; fields 8..128; bytes 64..4096 */
    assert_int_equal(c.live, 3);
    long before = c.calls;
    httpx__headers_clear(h);
    for (int i = 0; i < 100; i++)
        assert_int_equal(httpx_headers_add(h, "X-Field", "some value of a header"), 0);
    assert_int_equal(c.calls, before); /* clear keeps the allocations */
    httpx_headers_free(h);
    assert_int_equal(c.live, 0);
}

/* An inline list on lent storage: the reserved fields cost no allocation; one
 * more moves fields and bytes out; free releases only what the list allocated. */
static void test_lent_inline(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx_headers_t h;
    httpx__headers_init(&h, &a);
    size_t bytes = strlen("A") + strlen("1") + strlen("Bb") + strlen("22");
    size_t size = httpx__headers_block_size(2, bytes);
    void *block = malloc(size);
    assert_non_null(block);
    httpx__headers_lend(&h, block, 2, bytes);
    assert_int_equal(httpx__headers_add_unchecked(&h, "A", 1, "1", 1), 0);
    assert_int_equal(httpx__headers_add_unchecked(&h, "Bb", 2, "22", 2), 0);
    assert_int_equal(c.calls, 0);
    expect_at(&h, 1, "Bb", "22");
    assert_int_equal(httpx_headers_set(&h, "A", "replaced, and longer than the block"), 0);
    assert_int_equal(httpx_headers_add(&h, "C", "3"), 0);
    assert_true(c.live >= 1);
    expect_at(&h, 0, "A", "replaced, and longer than the block");
    expect_at(&h, 1, "Bb", "22");
    expect_at(&h, 2, "C", "3");
    httpx_headers_free(&h); /* the struct is not freed: it is ours */
    assert_int_equal(c.live, 0);
    free(block);
}

/* Fields given as slice pairs land in order, with one reservation; the list grows
 * normally afterwards. */
static void test_add_pairs(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx_headers_t *h = httpx_headers_new(&a);
    assert_non_null(h);
    const char *src = "Content-Typetext/plainEmpty";
    httpx__slice_t kv[] = {{src, 12}, {src + 12, 10}, {src + 22, 5}, {"", 0}};
    long before = c.calls;
    assert_int_equal(httpx__headers_add_pairs(h, kv, 2, 12 + 10 + 5), 0);
    assert_true(c.calls - before <= 2); /* the field array and the bytes, once each */
    assert_int_equal(httpx_headers_count(h), 2);
    expect_at(h, 0, "Content-Type", "text/plain");
    expect_at(h, 1, "Empty", "");
    assert_string_equal(httpx_headers_get(h, "content-type"), "text/plain");
    assert_int_equal(httpx_headers_add(h, "X", "y"), 0);
    expect_at(h, 2, "X", "y");
    httpx_headers_free(h);
    assert_int_equal(c.live, 0);

    counting_t f = {.fail_at = 2};
    httpx_allocator_t fa = {c_malloc, c_realloc, c_free, &f};
    h = httpx_headers_new(&fa);
    assert_non_null(h);
    assert_int_equal(httpx__headers_add_pairs(h, kv, 2, 27), HTTPX_E_NOMEM);
    assert_int_equal(httpx_headers_count(h), 0); /* nothing added */
    httpx_headers_free(h);
    assert_int_equal(f.live, 0);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    bool done = false;
    for (long k = 1; !done && k < 200; k++) {
        counting_t c = {.fail_at = k};
        httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
        httpx_headers_t *h = httpx_headers_new(&a);
        if (!h) {
            assert_int_equal(c.live, 0);
            continue;
        }
        int rc = 0;
        for (int i = 0; i < 40 && rc == 0; i++) {
            size_t before = httpx_headers_count(h);
            rc = i % 2 ? httpx_headers_add(h, "A", "a value that takes some room")
                       : httpx_headers_set(h, i % 4 ? "B" : "C", "another value");
            if (rc) {
                assert_int_equal(rc, HTTPX_E_NOMEM);
                assert_int_equal(httpx_headers_count(h), before); /* unchanged */
            }
        }
        if (rc == 0)
            done = c.calls < k;
        assert_string_equal(httpx_headers_get(h, "a") ? httpx_headers_get(h, "a")
                                                      : "a value that takes some room",
                            "a value that takes some room");
        httpx_headers_free(h);
        assert_int_equal(c.live, 0);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_get_order),
        cmocka_unit_test(test_addn),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_churn_compaction),
        cmocka_unit_test(test_has_token),
        cmocka_unit_test(test_internal),
        cmocka_unit_test(test_alloc_budget),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_lent_inline),
        cmocka_unit_test(test_add_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
