/* buf_test.c — the capped growable buffer (core/buf.h invariants). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "unit/counting_alloc.h"

#include "core/buf.h"
#include "httpx/error.h"

static void check_invariants(const httpx__buf_t *b)
{
    assert_true(b->off <= b->len);
    assert_true(b->len <= b->alloc || (!b->data && b->len == 0));
    assert_true(b->alloc <= b->max);
    if (b->data)
        assert_int_equal(b->data[b->len], '\0');
}

static void test_append_and_nul(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_null(httpx__buf_ptr(&b));
    assert_int_equal(httpx__buf_size(&b), 0);
    assert_int_equal(httpx__buf_room(&b), 0);
    assert_int_equal(httpx__buf_append(&b, "hello", 5), 0);
    assert_int_equal(httpx__buf_append_str(&b, ", world"), 0);
    assert_int_equal(httpx__buf_append(&b, NULL, 0), 0);
    assert_int_equal(httpx__buf_size(&b), 12);
    assert_string_equal(httpx__buf_ptr(&b), "hello, world");
    check_invariants(&b);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(httpx__buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(httpx__buf_size(&b), 10012);
    assert_int_equal(strlen(httpx__buf_ptr(&b)), 10012);
    check_invariants(&b);
    httpx__buf_release(&b);
    assert_null(b.data);
    assert_int_equal(httpx__buf_size(&b), 0);
    httpx__buf_release(&b); /* twice is fine */
}

static void test_printf(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__buf_printf(&b, "%s=%d", "a", 42), 0);
    assert_int_equal(httpx__buf_printf(&b, "%s", ""), 0);
    assert_int_equal(httpx__buf_printf(&b, ";%05.1f", 3.14159), 0);
    assert_string_equal(httpx__buf_ptr(&b), "a=42;003.1");
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(httpx__buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(httpx__buf_size(&b), 10 + 301);
    check_invariants(&b);
    httpx__buf_release(&b);
}

static void test_cap(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 16); /* 15 bytes + NUL */
    assert_int_equal(httpx__buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(httpx__buf_append(&b, "abcdef", 6), HTTPX_E_BODY_LIMIT);
    assert_string_equal(httpx__buf_ptr(&b), "0123456789"); /* unchanged */
    assert_int_equal(httpx__buf_append(&b, "abcde", 5), 0);
    assert_int_equal(httpx__buf_size(&b), 15);
    assert_int_equal(httpx__buf_append(&b, "x", 1), HTTPX_E_BODY_LIMIT);
    assert_int_equal(httpx__buf_printf(&b, "%d", 1), HTTPX_E_BODY_LIMIT);
    assert_true(b.alloc <= 16);
    check_invariants(&b);
    /* sizes that would wrap are refused, not wrapped */
    assert_int_equal(httpx__buf_reserve(&b, SIZE_MAX), HTTPX_E_BODY_LIMIT);
    assert_int_equal(httpx__buf_reserve(&b, SIZE_MAX - 1), HTTPX_E_BODY_LIMIT);
    httpx__buf_release(&b);

    httpx__buf_init(&b, NULL, SIZE_MAX); /* even with the largest cap */
    assert_int_equal(httpx__buf_append(&b, "ab", 2), 0);
    assert_int_equal(httpx__buf_reserve(&b, SIZE_MAX - 1), HTTPX_E_BODY_LIMIT);
    assert_int_equal(httpx__buf_reserve(&b, SIZE_MAX - 2), HTTPX_E_BODY_LIMIT);
    assert_string_equal(httpx__buf_ptr(&b), "ab");
    httpx__buf_release(&b);
}

/* Consuming from the front and appending at the back, as a queue: the
 * allocation stops growing because consumed space is reclaimed. */
static void test_queue_compaction(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 256);
    char chunk[40];
    size_t produced = 0, consumed = 0;
    for (int i = 0; i < 1000; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        assert_int_equal(httpx__buf_append(&b, chunk, sizeof chunk), 0);
        produced += sizeof chunk;
        assert_int_equal(httpx__buf_ptr(&b)[httpx__buf_size(&b) - 1], 'a' + i % 26);
        httpx__buf_consume(&b, 30);
        consumed += 30;
        if (i % 20 == 19) { /* drain now and then */
            consumed += httpx__buf_size(&b);
            httpx__buf_consume(&b, SIZE_MAX);
            assert_int_equal(httpx__buf_size(&b), 0);
        }
        assert_int_equal(httpx__buf_size(&b), produced - consumed);
        check_invariants(&b);
    }
    assert_true(b.alloc <= 256);
    httpx__buf_release(&b);
}

static void test_consume_keeps_content(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__buf_append_str(&b, "0123456789"), 0);
    httpx__buf_consume(&b, 4);
    assert_string_equal(httpx__buf_ptr(&b), "456789");
    size_t cap = b.alloc;
    /* an append that fits only after compaction moves the live bytes down */
    char fill[64];
    memset(fill, 'z', sizeof fill);
    size_t n = cap - 1 - 6;
    assert_int_equal(httpx__buf_append(&b, fill, n), 0);
    assert_int_equal(b.alloc, cap);
    assert_int_equal(b.off, 0);
    assert_memory_equal(httpx__buf_ptr(&b), "456789", 6);
    assert_int_equal(httpx__buf_size(&b), 6 + n);
    httpx__buf_consume(&b, 0);
    assert_int_equal(httpx__buf_size(&b), 6 + n);
    httpx__buf_release(&b);
}

static void test_tail_commit(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__buf_reserve(&b, 100), 0);
    assert_true(httpx__buf_room(&b) >= 100);
    memcpy(httpx__buf_tail(&b), "direct", 6);
    httpx__buf_commit(&b, 6);
    assert_string_equal(httpx__buf_ptr(&b), "direct");
    check_invariants(&b);
    httpx__buf_reset(&b);
    assert_int_equal(httpx__buf_size(&b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "");
    assert_true(b.alloc > 0); /* kept */
    httpx__buf_release(&b);
}

static void test_detach(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    size_t len = 99;
    char *p = httpx__buf_detach(&b, &len); /* never allocated: an empty string */
    assert_non_null(p);
    assert_int_equal(len, 0);
    assert_string_equal(p, "");
    free(p);
    assert_int_equal(httpx__buf_append_str(&b, "xxabc"), 0);
    httpx__buf_consume(&b, 2);
    p = httpx__buf_detach(&b, &len);
    assert_int_equal(len, 3);
    assert_string_equal(p, "abc");
    assert_null(b.data);
    assert_int_equal(b.alloc, 0);
    assert_int_equal(httpx__buf_size(&b), 0);
    free(p);
    assert_int_equal(httpx__buf_append_str(&b, "again"), 0); /* reusable */
    p = httpx__buf_detach(&b, NULL);
    assert_string_equal(p, "again");
    free(p);
}

/* ---- allocation failures ------------------------------------------------- */

typedef struct failing {
    int calls, fail_at;
} failing_t;

static void *f_malloc(void *user, size_t n)
{
    failing_t *f = user;
    return ++f->calls == f->fail_at ? NULL : malloc(n);
}
static void *f_realloc(void *user, void *p, size_t n)
{
    failing_t *f = user;
    return ++f->calls == f->fail_at ? NULL : realloc(p, n);
}
static void f_free(void *user, void *p)
{
    (void)user;
    free(p);
}

static void test_nomem(void **state)
{
    (void)state;
    failing_t f = {0, 2};
    httpx_allocator_t a = {f_malloc, f_realloc, f_free, &f};
    httpx__buf_t b;
    httpx__buf_init(&b, &a, 0);
    assert_int_equal(httpx__buf_append_str(&b, "first"), 0);
    char big[200];
    memset(big, 'b', sizeof big);
    assert_int_equal(httpx__buf_append(&b, big, sizeof big), HTTPX_E_NOMEM);
    assert_string_equal(httpx__buf_ptr(&b), "first"); /* unchanged */
    assert_int_equal(httpx__buf_append(&b, big, sizeof big), 0);
    assert_int_equal(httpx__buf_size(&b), 205);
    httpx__buf_release(&b);

    f = (failing_t){0, 1};
    httpx__buf_init(&b, &a, 0);
    assert_null(httpx__buf_detach(&b, NULL));
    assert_int_equal(httpx__buf_printf(&b, "%d", 7), 0);
    httpx__buf_release(&b);
}

/* Lent bytes are used in place, never freed by the buffer; outgrowing them moves
 * the content to an allocation of the buffer's own, and detach hands out a copy. */
static void test_lend(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    char block[16];
    httpx__buf_t b;
    httpx__buf_init(&b, &a, 0);
    httpx__buf_lend(&b, block, sizeof block);
    assert_int_equal(httpx__buf_append_str(&b, "fifteen bytes!!"), 0);
    assert_ptr_equal(httpx__buf_ptr(&b), block);
    assert_int_equal(c.calls, 0);
    size_t alloc = 1;
    assert_null(httpx__buf_take(&b, &alloc)); /* holds bytes; and lent bytes are never taken */
    httpx__buf_consume(&b, 8);
    assert_int_equal(httpx__buf_append_str(&b, "+more than fits"), 0); /* outgrown: copied out */
    assert_false(b.lent);
    assert_true(httpx__buf_ptr(&b) < block || httpx__buf_ptr(&b) >= block + sizeof block);
    assert_string_equal(httpx__buf_ptr(&b), "bytes!!+more than fits");
    assert_int_equal(c.live, 1);
    httpx__buf_release(&b);
    assert_int_equal(c.live, 0);

    httpx__buf_init(&b, &a, 0);
    httpx__buf_lend(&b, block, sizeof block);
    assert_int_equal(httpx__buf_append_str(&b, "kept"), 0);
    size_t len = 0;
    char *p = httpx__buf_detach(&b, &len); /* the caller frees it: a copy */
    assert_non_null(p);
    assert_true(p != block);
    assert_string_equal(p, "kept");
    assert_int_equal(len, 4);
    assert_null(b.data);
    assert_false(b.lent);
    c_free(&c, p);
    httpx__buf_release(&b); /* nothing left to free */
    assert_int_equal(c.live, 0);

    /* a lent size over the cap is refused: the buffer allocates on demand instead */
    httpx__buf_init(&b, &a, 8);
    httpx__buf_lend(&b, block, sizeof block);
    assert_null(b.data);
    httpx__buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_nul),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_queue_compaction),
        cmocka_unit_test(test_consume_keeps_content),
        cmocka_unit_test(test_tail_commit),
        cmocka_unit_test(test_detach),
        cmocka_unit_test(test_nomem),
        cmocka_unit_test(test_lend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
