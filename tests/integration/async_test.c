/* The async client on the built-in loop: futures, callbacks, close ("async with"),
 * cancel, async streaming with backpressure, sync calls refused inside callbacks. */
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
#include "integration/loops.h"

static peers_t P;
static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

/* Each async test ends here: the loop holds no watcher, timer or hand-over. */
static void free_loop_checked(httpx_loop_t *loop)
{
    httpx_loop_counts_t n;
    assert_int_equal(httpx_loop_counts(loop, &n), 0);
    assert_int_equal(n.watchers, 0);
    assert_int_equal(n.timers, 0);
    assert_int_equal(n.posted, 0);
    assert_int_equal(test_loop_free(loop), 0);
}

typedef struct counter {
    int calls, ok, failed, last_status;
    size_t bytes;
} counter_t;

static void count_cb(httpx_future_t *f, int status, void *user)
{
    counter_t *c = user;
    c->calls++;
    c->last_status = status;
    if (status == 0) {
        httpx_response_t *r;
        assert_int_equal(httpx_future_take(f, &r), 0);
        const void *d;
        size_t n;
        assert_int_equal(httpx_response_content(r, &d, &n), 0);
        c->bytes += n;
        c->ok++;
        httpx_response_free(r);
    } else {
        c->failed++;
    }
    httpx_future_free(f);
}

static void get_with_callback_and_run(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    counter_t c = {0};
    httpx_future_t *f;
    assert_int_equal(httpx_async_get(ac, U(P.nginx, "/small.txt"), NULL, &f), 0);
    assert_false(httpx_future_done(f));
    assert_int_equal(httpx_future_status(f), HTTPX_E_BUSY);
    assert_int_equal(httpx_future_then(f, count_cb, &c), 0);
    assert_int_equal(c.calls, 0); /* never from inside the call */
    /* run returns once nothing is left to do: idle kept-alive connections do not
     * keep the loop alive */
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.ok, 1);
    assert_int_equal(c.bytes, strlen("hello from nginx\n"));
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(ac, &s);
    assert_int_equal(s.idle, 1);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

static void future_wait_and_take(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    httpx_future_t *f;
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/ok"), NULL, &f), 0);
    assert_int_equal(httpx_future_wait(f), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_future_take(f, &r), 0);
    httpx_response_t *again;
    assert_int_equal(httpx_future_take(f, &again), HTTPX_E_STREAM_CONSUMED);
    assert_null(again);
    httpx_future_free(f);
    assert_string_equal(httpx_response_text(r), "hello");
    /* a failing one reports its error through the future */
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/truncated-body"), NULL, &f), 0);
    assert_int_equal(httpx_future_wait(f), HTTPX_E_SERVER_DISCONNECTED);
    assert_int_equal(httpx_future_error(f)->code, HTTPX_E_SERVER_DISCONNECTED);
    assert_non_null(strstr(httpx_future_error(f)->message, "truncated-body"));
    httpx_response_t *none;
    assert_int_equal(httpx_future_take(f, &none), HTTPX_E_SERVER_DISCONNECTED);
    httpx_future_free(f);
    /* synchronous failures make no future and fire nothing */
    httpx_future_t *g = (httpx_future_t *)1;
    assert_int_equal(httpx_async_get(ac, "http://bad host/", NULL, &g), HTTPX_E_INVALID_URL);
    httpx_async_client_free(ac);
    /* the buffered response outlives its client */
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    free_loop_checked(loop);
}

static void many_concurrent_share_the_pool(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = 8}), &ac), 0);
    counter_t c = {0};
    enum { N = 1000 };
    for (int i = 0; i < N; i++) {
        httpx_future_t *f;
        assert_int_equal(httpx_async_get(ac, U(P.nginx, "/1k.bin"), NULL, &f), 0);
        httpx_future_then(f, count_cb, &c);
    }
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(ac, &s);
    assert_true(s.open <= 8);
    assert_true(s.waiting > 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, N);
    assert_int_equal(c.ok, N);
    assert_int_equal(c.bytes, (size_t)N * 1024);
    httpx_async_client_pool_stats(ac, &s);
    assert_true(s.open <= 8 && s.open == s.idle && s.waiting == 0);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

/* 1,000 requests in flight at once, on whichever loop this run uses. */
static void thousand_concurrent(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = 200}), &ac), 0);
    counter_t c = {0};
    for (int i = 0; i < 1000; i++) {
        httpx_future_t *f;
        assert_int_equal(httpx_async_get(ac, U(P.nginx, "/small.txt"), NULL, &f), 0);
        httpx_future_then(f, count_cb, &c);
    }
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, 1000);
    assert_int_equal(c.ok, 1000);
    assert_int_equal(c.bytes, 1000 * strlen("hello from nginx\n"));
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

static void close_fails_in_flight_once(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = 2}), &ac), 0);
    counter_t c = {0};
    for (int i = 0; i < 5; i++) { /* 2 connected, 3 waiting for the pool */
        httpx_future_t *f;
        assert_int_equal(httpx_async_get(ac, U(P.raw, "/never-answer"), NULL, &f), 0);
        httpx_future_then(f, count_cb, &c);
    }
    /* let the first two connect and send */
    for (int i = 0; i < 20; i++)
        httpx_loop_run_once(loop, 10);
    httpx_async_client_close(ac);
    assert_int_equal(c.calls, 0); /* reported from the loop, not from close */
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, 5);
    assert_int_equal(c.failed, 5);
    assert_int_equal(c.last_status, HTTPX_E_CLOSED);
    httpx_future_t *f;
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/ok"), NULL, &f), HTTPX_E_CLOSED);
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(ac, &s);
    assert_int_equal(s.open, 0);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

static void cancel_returns_the_slot(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = 1}), &ac), 0);
    counter_t c = {0};
    httpx_future_t *slow, *queued;
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/never-answer"), NULL, &slow), 0);
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/ok"), NULL, &queued), 0);
    httpx_future_then(slow, count_cb, &c);
    httpx_future_then(queued, count_cb, &c);
    for (int i = 0; i < 10; i++)
        httpx_loop_run_once(loop, 10);
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(ac, &s);
    assert_int_equal(s.open, 1);
    assert_int_equal(s.waiting, 1);
    httpx_future_cancel(slow);
    assert_int_equal(httpx_future_status(slow), HTTPX_E_CANCELLED);
    httpx_future_free(slow);
    /* the freed slot goes to the queued request, which completes */
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.ok, 1);
    httpx_async_client_pool_stats(ac, &s);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.open, s.idle);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

/* ---- async streaming -------------------------------------------------------- */

typedef struct stream_ctx {
    httpx_loop_t *loop;
    httpx_timer_t *resume;
    httpx_response_t *r;
    size_t bytes, chunks, limit;
    int end_status, ends;
    bool pause_each;
    int pauses;
} stream_ctx_t;

static void on_resume_timer(httpx_timer_t *t, void *user)
{
    (void)t;
    stream_ctx_t *s = user;
    httpx_response_resume(s->r);
}

static void on_chunk(httpx_response_t *r, const void *data, size_t len, int status, void *user)
{
    stream_ctx_t *s = user;
    if (!data) {
        s->ends++;
        s->end_status = status;
        return;
    }
    s->bytes += len;
    s->chunks++;
    if (s->limit && s->bytes >= s->limit) {
        httpx_response_close(r); /* enough: the rest is not read */
        return;
    }
    if (s->pause_each) {
        /* a slow consumer: pause, resume 1 ms later */
        httpx_response_pause(r);
        s->pauses++;
        httpx_timer_start(s->resume, 1);
    }
}

static httpx_response_t *open_stream(httpx_async_client_t *ac, const char *url)
{
    httpx_future_t *f;
    assert_int_equal(httpx_async_stream(ac, "GET", url, NULL, &f), 0);
    assert_int_equal(httpx_future_wait(f), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_future_take(f, &r), 0);
    httpx_future_free(f);
    return r;
}

static void stream_decoded_raw_and_read(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/gzip/text.txt", P.www);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    size_t size = (size_t)ftell(fp);
    fclose(fp);

    stream_ctx_t s = {.loop = loop};
    httpx_response_t *r = open_stream(ac, U(P.nginx, "/gzip/text.txt"));
    s.r = r;
    assert_int_equal(httpx_response_stream_async(r, on_chunk, &s), 0);
    assert_int_equal(httpx_response_raw_async(r, on_chunk, &s), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(s.chunks, 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_status, 0);
    assert_int_equal(s.bytes, size);
    httpx_response_free(r);

    stream_ctx_t raw = {.loop = loop};
    r = open_stream(ac, U(P.nginx, "/gzip/text.txt"));
    raw.r = r;
    assert_int_equal(httpx_response_raw_async(r, on_chunk, &raw), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(raw.end_status, 0);
    assert_true(raw.bytes > 0 && raw.bytes < size);
    assert_int_equal(httpx_response_bytes_downloaded(r), raw.bytes);
    httpx_response_free(r);

    stream_ctx_t rd = {.loop = loop};
    r = open_stream(ac, U(P.nginx, "/gzip/text.txt"));
    assert_int_equal(httpx_response_read_async(r, on_chunk, &rd), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(rd.ends, 1);
    assert_int_equal(rd.chunks, 0);
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, size);
    httpx_response_free(r);

    /* the blocking pulls work on an async response too, outside callbacks */
    r = open_stream(ac, U(P.nginx, "/64k.bin"));
    assert_int_equal(httpx_response_read(r), 0);
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 65536);
    httpx_response_free(r);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

static int small_scale(void)
{
    const char *s = getenv("HTTPX_TEST_SCALE");
    return s && strcmp(s, "small") == 0;
}

static void slow_consumer_bounded_memory(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    stream_ctx_t s = {.loop = loop, .pause_each = true, .limit = small_scale() ? (8u << 20) : (64u << 20)};
    s.resume = httpx_timer_new(loop, on_resume_timer, &s);
    long before = peers_rss_kib();
    httpx_response_t *r = open_stream(ac, U(P.nginx, "/big.bin"));
    s.r = r;
    assert_int_equal(httpx_response_raw_async(r, on_chunk, &s), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    long after = peers_rss_kib();
    print_message("  %zu bytes in %zu chunks, %d pauses, RSS %ld -> %ld KiB\n", s.bytes, s.chunks, s.pauses, before,
                  after);
    assert_true(s.bytes >= s.limit);
    assert_true(s.pauses > 10);
    /* RSS means something only in plain builds: sanitizers and valgrind (the small
     * scale) keep freed memory in quarantine. */
    if (!small_scale())
        assert_true(after - before < 16 * 1024);
    httpx_response_free(r);
    httpx_timer_free(s.resume);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

static void close_client_closes_streams(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    stream_ctx_t s = {.loop = loop};
    httpx_response_t *r = open_stream(ac, U(P.raw, "/slow-drip?n=100&ms=50"));
    s.r = r;
    assert_int_equal(httpx_response_stream_async(r, on_chunk, &s), 0);
    httpx_loop_run_once(loop, 100);
    httpx_async_client_close(ac);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_status, HTTPX_E_STREAM_CLOSED);
    char buf[8];
    size_t n;
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_response_free(r);
    httpx_async_client_free(ac);
    assert_int_equal(httpx_loop_run(loop), 0);
    free_loop_checked(loop);
}

/* ---- the spec's FAQ ----------------------------------------------------------- */

typedef struct faq_ctx {
    int get_rc, wait_rc, run_rc;
    httpx_future_t *other;
    httpx_loop_t *loop;
} faq_ctx_t;

static void blocking_inside(httpx_future_t *f, int status, void *user)
{
    faq_ctx_t *c = user;
    (void)status;
    httpx_response_t *r = NULL;
    c->get_rc = httpx_get(U(P.raw, "/ok"), NULL, &r);
    assert_null(r);
    c->wait_rc = httpx_future_wait(c->other);
    c->run_rc = httpx_loop_run(c->loop);
    httpx_future_free(f);
}

static void sync_inside_async_refused(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    faq_ctx_t c = {.loop = loop};
    httpx_future_t *f;
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/ok"), NULL, &f), 0);
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/ok"), NULL, &c.other), 0);
    httpx_future_then(f, blocking_inside, &c);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.get_rc, HTTPX_E_SYNC_IN_ASYNC);
    assert_int_equal(c.wait_rc, HTTPX_E_SYNC_IN_ASYNC);
    assert_int_equal(c.run_rc, HTTPX_E_SYNC_IN_ASYNC);
    assert_int_equal(httpx_future_wait(c.other), 0); /* fine outside */
    httpx_future_free(c.other);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

/* 1,000 requests, a random fifth of them cancelled at random moments: every
 * other one completes correctly, and no slot is left held. */
typedef struct cancel_ctx {
    httpx_future_t *futures[1000];
    counter_t c;
    unsigned seed;
    int cancelled;
    httpx_timer_t *t;
} cancel_ctx_t;

static void cancel_some(httpx_timer_t *t, void *user)
{
    cancel_ctx_t *cc = user;
    for (int k = 0; k < 40; k++) {
        int i = (int)(rand_r(&cc->seed) % 1000);
        if (cc->futures[i] && !httpx_future_done(cc->futures[i])) {
            httpx_future_free(cc->futures[i]); /* cancels: no callback */
            cc->futures[i] = NULL;
            cc->cancelled++;
        }
    }
    if (cc->cancelled < 200)
        httpx_timer_start(t, 1);
}

static void done_and_forget(httpx_future_t *f, int status, void *user)
{
    cancel_ctx_t *cc = user;
    for (int i = 0; i < 1000; i++)
        if (cc->futures[i] == f)
            cc->futures[i] = NULL;
    count_cb(f, status, &cc->c);
}

static void random_cancellations(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = 16}), &ac), 0);
    static cancel_ctx_t cc;
    memset(&cc, 0, sizeof cc);
    cc.seed = 12345;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(httpx_async_get(ac, U(P.nginx, "/1k.bin"), NULL, &cc.futures[i]), 0);
        httpx_future_then(cc.futures[i], done_and_forget, &cc);
    }
    cc.t = httpx_timer_new(loop, cancel_some, &cc);
    httpx_timer_start(cc.t, 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    print_message("  %d cancelled, %d completed, %d failed\n", cc.cancelled, cc.c.ok, cc.c.failed);
    assert_int_equal(cc.c.ok + cc.cancelled, 1000);
    assert_int_equal(cc.c.failed, 0);
    assert_int_equal(cc.c.bytes, (size_t)cc.c.ok * 1024);
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(ac, &s);
    assert_int_equal(s.waiting, 0);
    assert_int_equal(s.connecting, 0);
    assert_int_equal(s.open, s.idle); /* only idle connections hold slots */
    httpx_timer_free(cc.t);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
}

/* Close while requests are mid-connect, mid-headers, mid-body and mid-stream:
 * each callback fires once, and no fd is left open. */
static void close_at_every_stage(void **state)
{
    (void)state;
    int fds_before = peers_fd_count();
    httpx_loop_t *loop = test_loop_new();
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    counter_t c = {0};
    httpx_future_t *f;
    /* mid-headers: the head drips; mid-body: the body drips */
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/slow-head?ms=200"), NULL, &f), 0);
    httpx_future_then(f, count_cb, &c);
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/slow-drip?n=50&ms=50"), NULL, &f), 0);
    httpx_future_then(f, count_cb, &c);
    /* mid-stream: an async stream with a body callback */
    stream_ctx_t s = {.loop = loop};
    httpx_response_t *r = open_stream(ac, U(P.raw, "/slow-drip?n=50&ms=50"));
    s.r = r;
    assert_int_equal(httpx_response_stream_async(r, on_chunk, &s), 0);
    for (int i = 0; i < 5; i++)
        httpx_loop_run_once(loop, 30);
    /* mid-connect: started just before the close, still resolving/connecting */
    assert_int_equal(httpx_async_get(ac, U(P.nginx, "/small.txt"), NULL, &f), 0);
    httpx_future_then(f, count_cb, &c);
    httpx_async_client_close(ac);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, 3);
    assert_int_equal(c.failed, 3);
    assert_int_equal(c.last_status, HTTPX_E_CLOSED);
    assert_int_equal(s.ends, 1);
    assert_int_equal(s.end_status, HTTPX_E_STREAM_CLOSED);
    httpx_response_free(r);
    httpx_async_client_free(ac);
    free_loop_checked(loop);
    assert_int_equal(peers_fd_count(), fds_before);
}

/* Closing the client from inside a callback: the other requests' callbacks fire
 * later, from the loop, not from inside the close. */
typedef struct close_cb_ctx {
    httpx_async_client_t *ac;
    int in_close, fired_inside, calls, closed_status;
} close_cb_ctx_t;

static void other_done(httpx_future_t *f, int status, void *user)
{
    close_cb_ctx_t *c = user;
    c->calls++;
    c->fired_inside += c->in_close;
    c->closed_status = status;
    httpx_future_free(f);
}

static void first_done(httpx_future_t *f, int status, void *user)
{
    close_cb_ctx_t *c = user;
    assert_int_equal(status, 0);
    c->in_close = 1;
    httpx_async_client_close(c->ac);
    c->in_close = 0;
    httpx_future_free(f);
}

static void close_inside_callback(void **state)
{
    (void)state;
    httpx_loop_t *loop = test_loop_new();
    close_cb_ctx_t c = {0};
    assert_int_equal(httpx_async_client_new(loop, NULL, &c.ac), 0);
    httpx_future_t *f;
    assert_int_equal(httpx_async_get(c.ac, U(P.raw, "/ok"), NULL, &f), 0);
    httpx_future_then(f, first_done, &c);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(httpx_async_get(c.ac, U(P.raw, "/never-answer"), NULL, &f), 0);
        httpx_future_then(f, other_done, &c);
    }
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c.calls, 3);
    assert_int_equal(c.fired_inside, 0);
    assert_int_equal(c.closed_status, HTTPX_E_CLOSED);
    httpx_async_client_free(c.ac);
    free_loop_checked(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_with_callback_and_run),
        cmocka_unit_test(future_wait_and_take),
        cmocka_unit_test(many_concurrent_share_the_pool),
        cmocka_unit_test(thousand_concurrent),
        cmocka_unit_test(close_fails_in_flight_once),
        cmocka_unit_test(cancel_returns_the_slot),
        cmocka_unit_test(stream_decoded_raw_and_read),
        cmocka_unit_test(slow_consumer_bounded_memory),
        cmocka_unit_test(close_client_closes_streams),
        cmocka_unit_test(sync_inside_async_refused),
        cmocka_unit_test(random_cancellations),
        cmocka_unit_test(close_at_every_stage),
        cmocka_unit_test(close_inside_callback),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
