/* Requests handed to a loop running in another thread (httpx_async_submit), from
 * several threads at once. Run under ThreadSanitizer by `make check` (check-tsan). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"
#include "integration/loops.h"

static peers_t P;

static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

enum { THREADS = 4, PER_THREAD = 50 };

typedef struct shared {
    httpx_loop_t *loop;
    httpx_async_client_t *ac;
    int done, ok; /* touched on the loop's thread only */
    atomic_int submit_failures;
    char url[256];
} shared_t;

static void on_done(httpx_future_t *f, int status, void *user)
{
    shared_t *s = user;
    s->done++;
    if (status == 0) {
        httpx_response_t *r;
        if (httpx_future_take(f, &r) == 0 && strcmp(httpx_response_text(r), "hello") == 0)
            s->ok++;
        httpx_response_free(r);
    }
    httpx_future_free(f);
    if (s->done == THREADS * PER_THREAD)
        httpx_loop_stop(s->loop);
}

static void *submitter(void *arg)
{
    shared_t *s = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i);
        httpx_header_t headers[] = {{"X-Seq", id}, {0}};
        if (httpx_async_submit(s->ac, "GET", s->url, HTTPX_REQ(.headers = headers), on_done, s) != 0)
            atomic_fetch_add(&s->submit_failures, 1);
    }
    return NULL;
}

static void keep_alive(httpx_timer_t *t, void *user)
{
    (void)t;
    (void)user; /* only keeps httpx_loop_run busy until the test stops it */
}

static void submit_from_threads(void **state)
{
    (void)state;
    shared_t s = {0};
    snprintf(s.url, sizeof s.url, "%s/ok", P.raw);
    s.loop = test_loop_new();
    assert_non_null(s.loop);
    assert_int_equal(httpx_async_client_new(s.loop, HTTPX_CLIENT(.limits = {.max_connections = 8}), &s.ac), 0);
    httpx_timer_t *guard = httpx_timer_new(s.loop, keep_alive, NULL);
    httpx_timer_start(guard, 60000);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, submitter, &s), 0);
    assert_int_equal(httpx_loop_run(s.loop), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&s.submit_failures), 0);
    assert_int_equal(s.done, THREADS * PER_THREAD);
    assert_int_equal(s.ok, THREADS * PER_THREAD);
    httpx_timer_free(guard);
    httpx_async_client_free(s.ac);
    httpx_loop_counts_t lc;
    httpx_loop_counts(s.loop, &lc);
    assert_int_equal(lc.watchers + lc.timers + lc.posted, 0);
    assert_int_equal(test_loop_free(s.loop), 0);
}

typedef struct late {
    httpx_loop_t *loop;
    int status, calls;
} late_t;

static void on_late(httpx_future_t *f, int status, void *user)
{
    late_t *l = user;
    l->calls++;
    l->status = status;
    httpx_future_free(f);
    httpx_loop_stop(l->loop);
}

static void submit_after_close(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    char url[256];
    snprintf(url, sizeof url, "%s/ok", P.raw);
    late_t l = {.loop = loop};
    /* handed over, then the client closes before the loop runs it */
    assert_int_equal(httpx_async_submit(ac, "GET", url, NULL, on_late, &l), 0);
    httpx_async_client_close(ac);
    assert_int_equal(httpx_async_submit(ac, "GET", url, NULL, on_late, &l), HTTPX_E_CLOSED);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(l.calls, 1);
    assert_int_equal(l.status, HTTPX_E_CLOSED);
    /* file bodies cannot cross threads */
    assert_int_equal(httpx_async_submit(ac, "POST", url, HTTPX_REQ(.body = HTTPX_BODY_FILE("/etc/hostname")), on_late, &l),
                     HTTPX_E_INVAL);
    httpx_async_client_free(ac);
    httpx_loop_counts_t lc;
    httpx_loop_counts(loop, &lc);
    assert_int_equal(lc.watchers + lc.timers + lc.posted, 0);
    assert_int_equal(test_loop_free(loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(submit_from_threads),
        cmocka_unit_test(submit_after_close),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
