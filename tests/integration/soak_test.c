/* Soak (issue 9, item 5): a bounded run of many requests of every kind on
 * long-lived clients, then leak checks.
 *
 * Each round mixes, on the same clients for the whole run:
 *   h1       keep-alive HTTP/1.1 GETs to nginx (sync client)
 *   h2c      HTTP/2 with prior knowledge (sync client): parallel batches of 16
 *            multiplexed streams to nginx, single requests to nginx and nghttpd
 *            in turn (all to nginx when the peers lack nghttpd)
 *   tls-h2   HTTPS with HTTP/2 by ALPN to nginx (sync client, suite CA)
 *   stream   httpx_client_stream of 64k.bin read to the end and compared
 *   stream-x streams closed mid-body (h1: the connection is dropped; h2c: the
 *            stream is reset, the connection stays)
 *   async    futures on the built-in loop, waited and checked
 *   async-x  futures cancelled or freed while pending, async streams closed
 *            mid-body
 *   par-x    parallel batches abandoned after the first response
 *   fault    tests/peers/rawserver.py faults (truncation, garbage, bad framing,
 *            header limits, RST mid-head / mid-body, read timeouts), each with its
 *            expected error, interleaved with good /ok requests on the same client
 * Every response is checked (status, body bytes, protocol) and every failure
 * must be the expected error. After each round no connection of any client may
 * be busy (pool open == idle, nothing waiting or connecting).
 *
 * Checks at the end:
 *   - VmRSS (after malloc_trim) within 5% of its value after the warm-up phase
 *     (the first 10% of the requests); plain builds only, as sanitizers keep
 *     freed memory in quarantine;
 *   - descriptors: the fds not owned by pooled connections are the same number
 *     after warm-up and at the end, and after every client is freed the process
 *     holds exactly the fds it held before the first one was created;
 *   - every client's pool reports open = idle = connecting = waiting = 0 after
 *     httpx_client_close / httpx_async_client_close (httpx_client_pool_stats),
 *     and the async loop holds no watcher or timer after its client is freed.
 *
 * Size: HTTPX_SOAK_REQUESTS (default 200000; 20000 with HTTPX_TEST_SCALE=small).
 * One summary line per number, prefixed "soak:", for the closing note.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;
static int small_scale;
static long total_target;

static char small_body[4096];
static size_t small_len;
static char *bin64;
static size_t bin64_len;

enum { K_H1, K_H2C, K_TLS, K_STREAM, K_STREAM_X, K_ASYNC, K_ASYNC_X, K_PAR_X, K_FAULT, K_N };
static const char *const kind_name[K_N] = {"h1", "h2c", "tls-h2", "stream", "stream-x",
                                           "async", "async-x", "par-x", "fault"};
static long done[K_N];
static double spent[K_N];
static long really_cancelled; /* futures that were still pending when cancelled/freed */
static long faults_by_path[16];
static long streams_closed; /* streaming responses closed mid-body (sync and async) */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long total_done(void)
{
    long t = 0;
    for (int k = 0; k < K_N; k++) t += done[k];
    return t;
}

static long vm_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* What one more idle pooled connection may hold: its 128 KiB read buffer and state. */
#define POOLED_CONN_KIB 132

static int setup(void **state)
{
    (void)state;
    if (peers_load(&P) != 0) return -1;
    const char *s = getenv("HTTPX_TEST_SCALE");
    small_scale = s && strcmp(s, "small") == 0;
    total_target = small_scale ? 20000 : 200000;
    const char *n = getenv("HTTPX_SOAK_REQUESTS");
    if (n && *n) total_target = strtol(n, NULL, 10);
    if (total_target < 1000) total_target = 1000;
    size_t len;
    char *sm = slurp(P.www, "small.txt", &len);
    if (sm == NULL || len >= sizeof small_body) return -1;
    memcpy(small_body, sm, len);
    small_len = len;
    free(sm);
    bin64 = slurp(P.www, "64k.bin", &bin64_len);
    if (bin64 == NULL || bin64_len != 65536) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(bin64);
    return 0;
}

typedef struct soak {
    httpx_client_t *h1;    /* nginx, HTTP/1.1 keep-alive */
    httpx_client_t *h2c;   /* nginx_h2c, prior knowledge */
    httpx_client_t *tls;   /* nginx_tls, h2 by ALPN */
    httpx_client_t *raw;   /* rawserver.py faults */
    httpx_loop_t *loop;
    httpx_async_client_t *ac; /* nginx, on loop */
    char u_small[256], u_1k[256], u_64k[256];
    char h2_small[256], h2_64k[256], tls_small[256];
    char raw_ok[256];
    char ngd_small[256]; /* nghttpd h2c, when the peers have it */
} soak_t;

static void check_small(httpx_response_t *r, const char *version)
{
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_http_version(r), version);
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, small_len);
    assert_memory_equal(d, small_body, n);
}

static void check_64k(httpx_response_t *r)
{
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_status(r), 200);
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, bin64_len);
    assert_memory_equal(d, bin64, n);
}

/* --- the kinds --- */

static void do_h1(soak_t *s, int i)
{
    httpx_response_t *r;
    if (i % 10 == 9) {
        assert_int_equal(httpx_client_get(s->h1, s->u_1k, NULL, &r), 0);
        const void *d;
        size_t n;
        assert_int_equal(httpx_response_status(r), 200);
        assert_int_equal(httpx_response_content(r, &d, &n), 0);
        assert_int_equal(n, 1024);
    } else {
        assert_int_equal(httpx_client_get(s->h1, s->u_small, NULL, &r), 0);
        check_small(r, "HTTP/1.1");
    }
    httpx_response_free(r);
    done[K_H1]++;
}

static void do_h2c_single(soak_t *s, const char *u)
{
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(s->h2c, u, NULL, &r), 0);
    check_small(r, "HTTP/2");
    httpx_response_free(r);
    done[K_H2C]++;
}

static void do_h2c_parallel(soak_t *s)
{
    httpx_parallel_t *p;
    httpx_pending_t *pend;
    assert_int_equal(httpx_parallel_new(s->h2c, NULL, &p), 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(httpx_parallel_get(p, s->h2_small, NULL, &pend), 0);
    httpx_response_t *r;
    int got = 0, rc;
    while ((rc = httpx_parallel_next_response(p, &r, NULL)) != HTTPX_E_NONE_LEFT) {
        assert_int_equal(rc, 0);
        check_small(r, "HTTP/2");
        httpx_response_free(r);
        got++;
    }
    assert_int_equal(got, 16);
    httpx_parallel_close(p);
    done[K_H2C] += 16;
}

static void do_tls(soak_t *s)
{
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(s->tls, s->tls_small, NULL, &r), 0);
    check_small(r, "HTTP/2");
    httpx_response_free(r);
    done[K_TLS]++;
}

static void do_stream_full(soak_t *s)
{
    httpx_response_t *r;
    static char buf[16384];
    assert_int_equal(httpx_client_stream(s->h1, "GET", s->u_64k, NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    size_t total = 0, n;
    int rc;
    while ((rc = httpx_response_stream(r, buf, sizeof buf, &n)) == 0 && n > 0) {
        assert_true(total + n <= bin64_len);
        assert_memory_equal(buf, bin64 + total, n);
        total += n;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(total, bin64_len);
    httpx_response_close(r);
    httpx_response_free(r);
    done[K_STREAM]++;
}

/* Read one piece of the body, then close: on h1 the connection is dropped, on h2
 * the stream is reset and the connection kept. */
static void do_stream_cancel(httpx_client_t *c, const char *u, const char *version)
{
    httpx_response_t *r;
    char buf[4096];
    size_t n;
    assert_int_equal(httpx_client_stream(c, "GET", u, NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_http_version(r), version);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
    assert_true(n > 0 && n <= sizeof buf);
    assert_memory_equal(buf, bin64, n);
    httpx_response_close(r);
    /* Closed: the body is gone. */
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_response_free(r);
    streams_closed++;
    done[K_STREAM_X]++;
}

/* Eight futures: two waited before and two after the others are cancelled (three)
 * or freed while pending (three; freeing cancels). */
static void do_async_batch(soak_t *s)
{
    httpx_future_t *f[8];
    httpx_response_t *r;
    for (int i = 0; i < 8; i++)
        assert_int_equal(httpx_async_get(s->ac, s->u_small, NULL, &f[i]), 0);
    assert_int_equal(httpx_future_wait(f[0]), 0);
    assert_int_equal(httpx_future_take(f[0], &r), 0);
    check_small(r, "HTTP/1.1");
    httpx_response_free(r);
    httpx_future_free(f[0]);
    for (int i = 1; i <= 3; i++) {
        int pending = !httpx_future_done(f[i]);
        httpx_future_cancel(f[i]);
        int st = httpx_future_status(f[i]);
        if (pending) {
            assert_int_equal(st, HTTPX_E_CANCELLED);
            really_cancelled++;
        } else {
            assert_int_equal(st, 0);
        }
        assert_true(httpx_future_done(f[i]));
        httpx_future_free(f[i]);
    }
    for (int i = 4; i <= 5; i++) {
        if (!httpx_future_done(f[i])) really_cancelled++;
        httpx_future_free(f[i]);
    }
    for (int i = 6; i < 8; i++) {
        assert_int_equal(httpx_future_wait(f[i]), 0);
        assert_int_equal(httpx_future_take(f[i], &r), 0);
        check_small(r, "HTTP/1.1");
        httpx_response_free(r);
        httpx_future_free(f[i]);
    }
    done[K_ASYNC] += 3;
    done[K_ASYNC_X] += 5;
}

static void do_async_stream_cancel(soak_t *s)
{
    httpx_future_t *f;
    httpx_response_t *r;
    char buf[4096];
    size_t n;
    assert_int_equal(httpx_async_stream(s->ac, "GET", s->u_64k, NULL, &f), 0);
    assert_int_equal(httpx_future_wait(f), 0);
    assert_int_equal(httpx_future_take(f, &r), 0);
    httpx_future_free(f); /* the body outlives its future */
    assert_int_equal(httpx_response_status(r), 200);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
    assert_true(n > 0);
    assert_memory_equal(buf, bin64, n);
    httpx_response_close(r);
    httpx_response_free(r);
    streams_closed++;
    done[K_ASYNC_X]++;
}

/* Six requests for 64k.bin in parallel; take the first to complete, abandon the rest. */
static void do_parallel_abandon(soak_t *s)
{
    httpx_parallel_t *p;
    httpx_pending_t *pend;
    httpx_response_t *r;
    assert_int_equal(httpx_parallel_new(s->h1, NULL, &p), 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(httpx_parallel_get(p, s->u_64k, NULL, &pend), 0);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), 0);
    check_64k(r);
    httpx_response_free(r);
    httpx_parallel_close(p);
    done[K_PAR_X] += 6;
}

typedef struct fault {
    const char *path;
    int expect_code;  /* exact code; 0: the class below only */
    int expect_class;
    double read;      /* read timeout, or 0 for the client's (1 s) */
} fault_t;

/* Fast faults: one connection each, answered at once. */
static const fault_t fast_faults[] = {
    {"/truncated-body", HTTPX_E_SERVER_DISCONNECTED, HTTPX_E_REMOTE_PROTOCOL, 0},
    {"/truncated-chunked", HTTPX_E_SERVER_DISCONNECTED, HTTPX_E_REMOTE_PROTOCOL, 0},
    {"/garbage", 0, HTTPX_E_REMOTE_PROTOCOL, 0},
    {"/bad-chunk", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_REMOTE_PROTOCOL, 0},
    {"/cl-te", HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_REMOTE_PROTOCOL, 0},
    {"/many-headers?n=200", HTTPX_E_HEADER_LIMIT, HTTPX_E_REMOTE_PROTOCOL, 0},
};
/* Slow faults (50-100 ms each): one per round, in turn. */
static const fault_t slow_faults[] = {
    {"/reset-mid-headers", 0, HTTPX_E_TRANSPORT, 0},
    {"/reset-mid-body", HTTPX_E_READ, HTTPX_E_READ, 0},
    {"/never-answer", HTTPX_E_READ_TIMEOUT, HTTPX_E_TIMEOUT, 0.05},
    {"/slow-drip?n=5&ms=400", HTTPX_E_READ_TIMEOUT, HTTPX_E_TIMEOUT, 0.05},
};
#define NFAST (sizeof fast_faults / sizeof fast_faults[0])
#define NSLOW (sizeof slow_faults / sizeof slow_faults[0])

static void do_fault(soak_t *s, const fault_t *ft, int slot)
{
    char u[512];
    httpx_response_t *r = NULL;
    httpx_error_t err = {0};
    snprintf(u, sizeof u, "%s%s", P.raw, ft->path);
    double t0 = now_s();
    int rc = httpx_client_get(s->raw, u, HTTPX_REQ(.timeouts = {.read = ft->read}, .error = &err), &r);
    double took = now_s() - t0;
    if (rc >= 0 || !httpx_error_is(rc, ft->expect_class) || (ft->expect_code && rc != ft->expect_code))
        print_error("soak: %s -> %s (%s)\n", ft->path, httpx_err_name(rc), err.message);
    assert_null(r);
    assert_true(rc < 0);
    assert_true(httpx_error_is(rc, ft->expect_class));
    if (ft->expect_code) assert_int_equal(rc, ft->expect_code);
    assert_int_equal(err.code, rc);
    assert_true(took < 3.0);
    faults_by_path[slot]++;
    done[K_FAULT]++;
}

static void do_raw_ok(soak_t *s)
{
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(s->raw, s->raw_ok, NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    done[K_FAULT]++;
}

/* --- bookkeeping --- */

static void assert_not_busy(const httpx_pool_stats_t *st, const char *who)
{
    if (st->open != st->idle || st->waiting || st->connecting)
        print_error("soak: %s pool open %d idle %d connecting %d waiting %d\n", who, st->open,
                    st->idle, st->connecting, st->waiting);
    assert_int_equal(st->open, st->idle);
    assert_int_equal(st->waiting, 0);
    assert_int_equal(st->connecting, 0);
}

/* Connections held by all clients (all idle between rounds). */
static int pooled_open(soak_t *s)
{
    httpx_client_t *cs[] = {s->h1, s->h2c, s->tls, s->raw};
    const char *names[] = {"h1", "h2c", "tls", "raw"};
    httpx_pool_stats_t st;
    int open = 0;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(httpx_client_pool_stats(cs[i], &st), 0);
        assert_not_busy(&st, names[i]);
        open += st.open;
    }
    assert_int_equal(httpx_async_client_pool_stats(s->ac, &st), 0);
    assert_not_busy(&st, "async");
    return open + st.open;
}

#define T(kind, stmt)                        \
    do {                                     \
        double t0_ = now_s();                \
        stmt;                                \
        spent[kind] += now_s() - t0_;        \
    } while (0)

static void round_once(soak_t *s, long round)
{
    for (int i = 0; i < 500; i++) T(K_H1, do_h1(s, i));
    /* Single h2c requests alternate between nghttpd and nginx (whose HEADERS and
     * DATA are separate writes with Nagle on: the client acknowledges at once,
     * h2conn.c ack_now, or each would wait ~40 ms for a delayed ACK). */
    for (int i = 0; i < 20; i++)
        T(K_H2C, do_h2c_single(s, s->ngd_small[0] && i % 2 ? s->ngd_small : s->h2_small));
    for (int i = 0; i < 10; i++) T(K_H2C, do_h2c_parallel(s));
    for (int i = 0; i < 20; i++) T(K_TLS, do_tls(s));
    for (int i = 0; i < 40; i++) T(K_STREAM, do_stream_full(s));
    for (int i = 0; i < 15; i++) T(K_STREAM_X, do_stream_cancel(s->h1, s->u_64k, "HTTP/1.1"));
    for (int i = 0; i < 15; i++) T(K_STREAM_X, do_stream_cancel(s->h2c, s->h2_64k, "HTTP/2"));
    for (int i = 0; i < 10; i++) T(K_ASYNC, do_async_batch(s));
    for (int i = 0; i < 10; i++) T(K_ASYNC_X, do_async_stream_cancel(s));
    for (int i = 0; i < 5; i++) T(K_PAR_X, do_parallel_abandon(s));
    T(K_FAULT, do_raw_ok(s));
    for (size_t i = 0; i < NFAST; i++) {
        T(K_FAULT, do_fault(s, &fast_faults[i], (int)i));
        if (i % 2) T(K_FAULT, do_raw_ok(s)); /* the client still works in between */
    }
    size_t k = (size_t)round % NSLOW;
    T(K_FAULT, do_fault(s, &slow_faults[k], (int)(NFAST + k)));
    T(K_FAULT, do_raw_ok(s));
}

static void soak(void **state)
{
    (void)state;
    soak_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.u_small, sizeof s.u_small, "%s/small.txt", P.nginx);
    snprintf(s.u_1k, sizeof s.u_1k, "%s/1k.bin", P.nginx);
    snprintf(s.u_64k, sizeof s.u_64k, "%s/64k.bin", P.nginx);
    snprintf(s.h2_small, sizeof s.h2_small, "%s/small.txt", P.nginx_h2c);
    snprintf(s.h2_64k, sizeof s.h2_64k, "%s/64k.bin", P.nginx_h2c);
    snprintf(s.tls_small, sizeof s.tls_small, "%s/small.txt", P.nginx_tls);
    snprintf(s.raw_ok, sizeof s.raw_ok, "%s/ok", P.raw);
    if (P.nghttpd[0]) snprintf(s.ngd_small, sizeof s.ngd_small, "%s/small.txt", P.nghttpd);
    assert_true(P.nginx_h2c[0] && P.nginx_tls[0] && P.ca_file[0]);

    int fds_before = peers_fd_count();
    assert_true(fds_before > 0);

    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.timeout = 10), &s.h1), 0);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.timeout = 10, .http2_prior_knowledge = true), &s.h2c), 0);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.timeout = 10, .http2 = true, .ca_file = P.ca_file), &s.tls), 0);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.timeout = 1), &s.raw), 0);
    s.loop = httpx_loop_new(NULL);
    assert_non_null(s.loop);
    assert_int_equal(httpx_async_client_new(s.loop, HTTPX_CLIENT(.timeout = 10), &s.ac), 0);

    long warm_target = total_target / 10;
    long rss_warm = -1, rss_end, rss_max = 0;
    int fds_warm = -1, other_warm = -1, fds_end, other_end, open_warm = 0;
    double t_start = now_s(), t_warm = 0;
    long warm_done = 0, round = 0;

    while (total_done() < total_target) {
        round_once(&s, round++);
        int open = pooled_open(&s);
        if (rss_warm < 0 && total_done() >= warm_target) {
            malloc_trim(0);
            rss_warm = vm_rss_kib();
            fds_warm = peers_fd_count();
            other_warm = fds_warm - open;
            open_warm = open;
            t_warm = now_s();
            warm_done = total_done();
        }
        if (rss_warm >= 0) {
            long v = vm_rss_kib();
            if (v > rss_max) rss_max = v;
        }
    }
    double t_end = now_s();
    int open_end = pooled_open(&s);
    malloc_trim(0);
    rss_end = vm_rss_kib();
    fds_end = peers_fd_count();
    other_end = fds_end - open_end;

    /* Close every client: nothing may stay open or busy. */
    httpx_pool_stats_t st;
    httpx_client_t *cs[] = {s.h1, s.h2c, s.tls, s.raw};
    int closed_open = 0, closed_busy = 0;
    for (size_t i = 0; i < 4; i++) {
        httpx_client_close(cs[i]);
        assert_int_equal(httpx_client_pool_stats(cs[i], &st), 0);
        closed_open += st.open + st.idle + st.connecting + st.waiting;
        closed_busy += st.open - st.idle;
    }
    httpx_async_client_close(s.ac);
    assert_int_equal(httpx_async_client_pool_stats(s.ac, &st), 0);
    closed_open += st.open + st.idle + st.connecting + st.waiting;
    closed_busy += st.open - st.idle;
    for (size_t i = 0; i < 4; i++) httpx_client_free(cs[i]);
    httpx_async_client_free(s.ac);
    httpx_loop_counts_t lc;
    assert_int_equal(httpx_loop_counts(s.loop, &lc), 0);
    assert_int_equal(httpx_loop_free(s.loop), 0);
    int fds_after = peers_fd_count();

    long total = total_done();
    double secs = t_end - t_start;
    print_message("soak: requests %ld in %.1f s (%ld rounds): %.0f req/s overall, %.0f req/s after warm-up\n",
                  total, secs, round, total / secs, (total - warm_done) / (t_end - t_warm));
    for (int k = 0; k < K_N; k++)
        print_message("soak: kind %-8s %7ld requests  %6.2f s  %8.0f req/s\n", kind_name[k], done[k],
                      spent[k], spent[k] > 0 ? done[k] / spent[k] : 0.0);
    print_message("soak: cancelled while pending: %ld futures (of %ld async-x); streams closed mid-body: %ld\n",
                  really_cancelled, done[K_ASYNC_X], streams_closed);
    print_message("soak: faults by path:");
    for (size_t i = 0; i < NFAST; i++) print_message(" %s=%ld", fast_faults[i].path, faults_by_path[i]);
    for (size_t i = 0; i < NSLOW; i++) print_message(" %s=%ld", slow_faults[i].path, faults_by_path[NFAST + i]);
    print_message("\n");
    print_message("soak: rss warm-up %ld KiB (after %ld requests), end %ld KiB (%+.2f%%), max after warm-up %ld KiB; "
                  "pooled connections %d then %d%s\n",
                  rss_warm, warm_done, rss_end, 100.0 * (rss_end - rss_warm) / rss_warm, rss_max, open_warm, open_end,
                  small_scale ? " (not checked: HTTPX_TEST_SCALE=small)" : "");
    print_message("soak: fds before %d, after warm-up %d (%d pooled), end %d (%d pooled), after free %d\n",
                  fds_before, fds_warm, fds_warm - other_warm, fds_end, open_end, fds_after);
    print_message("soak: pools after close: open+idle+connecting+waiting %d, busy %d; loop watchers %zu timers %zu\n",
                  closed_open, closed_busy, lc.watchers, lc.timers);

    assert_true(total >= total_target);
    assert_true(rss_warm > 0 && rss_end > 0);
    /* The pools may end with more idle connections than they held at warm-up (which
     * ones the faults closed last is timing): each may keep its read buffer, so it
     * is allowed its 128 KiB on top of the 5 %; a leak grows with the requests. */
    long pool_allowance = open_end > open_warm ? (long)(open_end - open_warm) * POOLED_CONN_KIB : 0;
    if (!small_scale) assert_true(rss_end * 100 <= rss_warm * 105 + pool_allowance * 100);
    assert_int_equal(other_end, other_warm);
    assert_int_equal(fds_after, fds_before);
    assert_int_equal(closed_open, 0);
    assert_int_equal(closed_busy, 0);
    assert_int_equal(lc.watchers, 0);
    assert_int_equal(lc.timers, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(soak),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
