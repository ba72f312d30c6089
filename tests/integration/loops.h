/* loops.h — the loop an async integration test runs on, chosen by the environment:
 * HTTPX_TEST_LOOP=builtin (default) | uv | event | poll. ctest registers each async
 * test once per loop, so the same tests (and assertions) run on every backend.
 * Header-only; include it from a *_test.c file.
 *
 *   httpx_loop_t *loop = test_loop_new();
 *   ...
 *   assert_int_equal(test_loop_free(loop), 0);
 *
 * test_loop_free() frees the httpx loop and then checks the foreign loop's own
 * teardown: uv_loop_close() returns 0 after one more uv turn (the adapter's
 * uv_close callbacks), and an event_base has no events left. A failed check makes it
 * return -1 (with a message on stderr); otherwise it returns httpx_loop_free's code.
 */
#ifndef HTTPX_TESTS_LOOPS_H
#define HTTPX_TESTS_LOOPS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpx.h>
#include <httpx/features.h>
#include "custom_loop_ops.h" /* examples/: the poll() backend is the example's own */
#ifdef HTTPX_HAVE_UV
#include <httpx/uv.h>
#endif
#ifdef HTTPX_HAVE_EVENT
#include <httpx/event.h>
#endif

enum { TEST_LOOPS_MAX = 8 };
static struct {
    httpx_loop_t *loop;
    void *foreign; /* uv_loop_t * or struct event_base * */
    char kind;     /* 'u', 'e' */
} test_loops_[TEST_LOOPS_MAX];

static inline const char *test_loop_kind(void)
{
    const char *k = getenv("HTTPX_TEST_LOOP");
    return k && *k ? k : "builtin";
}

static inline void test_loop_remember_(httpx_loop_t *loop, void *foreign, char kind)
{
    for (int i = 0; i < TEST_LOOPS_MAX; i++)
        if (!test_loops_[i].loop) {
            test_loops_[i].loop = loop;
            test_loops_[i].foreign = foreign;
            test_loops_[i].kind = kind;
            return;
        }
    fprintf(stderr, "loops.h: more than %d loops at once\n", TEST_LOOPS_MAX);
    abort();
}

static inline httpx_loop_t *test_loop_new(void)
{
    const char *k = test_loop_kind();
    if (strcmp(k, "builtin") == 0)
        return httpx_loop_new(NULL);
    if (strcmp(k, "poll") == 0)
        return poll_loop_new(NULL);
#ifdef HTTPX_HAVE_UV
    if (strcmp(k, "uv") == 0) {
        uv_loop_t *uv = malloc(sizeof *uv);
        if (!uv || uv_loop_init(uv) != 0)
            abort();
        httpx_loop_t *loop = httpx_loop_from_uv(uv, NULL);
        if (loop)
            test_loop_remember_(loop, uv, 'u');
        return loop;
    }
#endif
#ifdef HTTPX_HAVE_EVENT
    if (strcmp(k, "event") == 0) {
        struct event_base *base = event_base_new();
        if (!base)
            abort();
        httpx_loop_t *loop = httpx_loop_from_event_base(base, NULL);
        if (loop)
            test_loop_remember_(loop, base, 'e');
        return loop;
    }
#endif
    fprintf(stderr, "loops.h: HTTPX_TEST_LOOP=%s is not built (adapters: %s)\n", k, httpx_loop_adapters());
    abort();
}

static inline int test_loop_free(httpx_loop_t *loop)
{
    int i = 0;
    while (i < TEST_LOOPS_MAX && (!loop || test_loops_[i].loop != loop))
        i++;
    int rc = httpx_loop_free(loop);
    if (i == TEST_LOOPS_MAX || rc != 0)
        return rc;
    void *foreign = test_loops_[i].foreign;
    char kind = test_loops_[i].kind;
    test_loops_[i].loop = NULL;
    (void)foreign;
#ifdef HTTPX_HAVE_UV
    if (kind == 'u') {
        uv_loop_t *uv = foreign;
        uv_run(uv, UV_RUN_DEFAULT); /* the adapter's close callbacks */
        int cr = uv_loop_close(uv);
        free(uv);
        if (cr != 0) {
            fprintf(stderr, "loops.h: uv_loop_close: %s (handles left)\n", uv_strerror(cr));
            return -1;
        }
    }
#endif
#ifdef HTTPX_HAVE_EVENT
    if (kind == 'e') {
        struct event_base *base = foreign;
        int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE |
                                                       EVENT_BASE_COUNT_VIRTUAL);
        event_base_free(base);
        if (left != 0) {
            fprintf(stderr, "loops.h: %d libevent events left\n", left);
            return -1;
        }
    }
#endif
    (void)kind;
    return rc;
}

#endif
