/* arena_test.c — the per-message arena (core/arena.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/mem.h"
#include "unit/counting_alloc.h"


static void test_alloc_aligned_distinct(void **state)
{
    (void)state;
    httpx__arena_t ar;
    httpx__arena_init(&ar, NULL, 0);
    assert_int_equal(ar.block_size, 4096);
    char *prev = NULL;
    for (size_t n = 0; n < 200; n++) {
        char *p = httpx__arena_alloc(&ar, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, (int)n, n); /* writable across its whole size (ASan checks) */
        if (n) /* a zero-size allocation may share its address with the next one */
            assert_ptr_not_equal(p, prev);
        prev = n ? p : NULL;
    }
    httpx__arena_release(&ar);
    assert_null(ar.head);
    httpx__arena_release(&ar); /* twice is fine */
}

static void test_contents_survive(void **state)
{
    (void)state;
    httpx__arena_t ar;
    httpx__arena_init(&ar, NULL, 64);
    char *s[100];
    for (int i = 0; i < 100; i++) {
        char tmp[16];
        int n = snprintf(tmp, sizeof tmp, "str-%d", i);
        s[i] = httpx__arena_strndup(&ar, tmp, (size_t)n);
        assert_non_null(s[i]);
    }
    char *big = httpx__arena_alloc(&ar, 10000); /* larger than a block */
    assert_non_null(big);
    memset(big, 'x', 10000);
    for (int i = 0; i < 100; i++) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "str-%d", i);
        assert_string_equal(s[i], tmp);
    }
    char *e = httpx__arena_strndup(&ar, "abc", 0);
    assert_string_equal(e, "");
    e = httpx__arena_strndup(&ar, "abcdef", 3);
    assert_string_equal(e, "abc");
    httpx__arena_release(&ar);
}

static void test_reset_keeps_one_block(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx__arena_t ar;
    httpx__arena_init(&ar, &a, 128);
    httpx__arena_reset(&ar); /* empty: nothing to do */
    assert_int_equal(c.live, 0);
    for (int i = 0; i < 50; i++)
        assert_non_null(httpx__arena_alloc(&ar, 40));
    assert_true(c.live > 1);
    httpx__arena_reset(&ar);
    assert_int_equal(c.live, 1);
    long calls = c.calls;
    /* a block's worth fits again without allocating */
    for (int i = 0; i < 4; i++)
        assert_non_null(httpx__arena_alloc(&ar, 32));
    assert_int_equal(c.calls, calls);
    httpx__arena_release(&ar);
    assert_int_equal(c.live, 0);
}

static void test_nomem_and_overflow(void **state)
{
    (void)state;
    counting_t c = {.fail_at = 2};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx__arena_t ar;
    httpx__arena_init(&ar, &a, 64);
    assert_non_null(httpx__arena_alloc(&ar, 16));
    assert_null(httpx__arena_alloc(&ar, 100)); /* needs a block; the allocator fails */
    assert_string_equal(httpx__arena_strndup(&ar, "x", 1), "x"); /* usable afterwards */
    /* sizes that would wrap when rounded up or when adding the header */
    assert_null(httpx__arena_alloc(&ar, SIZE_MAX));
    assert_null(httpx__arena_alloc(&ar, SIZE_MAX - 7));
    assert_null(httpx__arena_alloc(&ar, SIZE_MAX - 40));
    assert_null(httpx__arena_strndup(&ar, "x", SIZE_MAX));
    httpx__arena_release(&ar);
    assert_int_equal(c.live, 0);
}

static void test_strndup_mem(void **state)
{
    (void)state;
    const httpx_allocator_t *a = httpx_default_allocator();
    char *p = httpx__strndup(a, "hello", 4);
    assert_string_equal(p, "hell");
    httpx__free(a, p);
    p = httpx__strdup(a, "");
    assert_string_equal(p, "");
    httpx__free(a, p);
    assert_null(httpx__strdup(a, NULL));
    assert_null(httpx__strndup(a, "x", SIZE_MAX));
    assert_ptr_equal(httpx__alloc_or_default(NULL), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_aligned_distinct),
        cmocka_unit_test(test_contents_survive),
        cmocka_unit_test(test_reset_keeps_one_block),
        cmocka_unit_test(test_nomem_and_overflow),
        cmocka_unit_test(test_strndup_mem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
