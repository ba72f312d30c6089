/* Allocation failure (issue 9, part 4; STYLE.md item 19): a counting allocator,
 * given to the client (httpx_client_opts_t.allocator) or to the loop
 * (httpx_loop_opts_t.allocator), fails the k-th allocation for k = 1, 2, ... until
 * a run no longer reaches k, across key scenarios against the local peers. Every
 * run that hit its failure must
 *   - return HTTPX_E_NOMEM, or succeed when the failed allocation was optional
 *     (counted and printed per scenario: a cache entry, a pooled connection kept
 *     idle, ... whatever the library can do without; see "optional" below),
 *   - leave the allocator's live count at 0 once everything is freed,
 *   - not crash (ASan+UBSan, valgrind).
 * The scenarios: a sync GET twice on one keep-alive connection, a streaming GET
 * read in 1000-byte pieces, a POST with a bytes body, a redirect followed, an
 * https GET (the suite's CA), an HTTP/2 GET (h2c, prior knowledge), an async GET
 * on the built-in loop (the loop's allocator), a parallel of 3.
 *
 * Runtime: every k in a plain run; with HTTPX_TEST_SCALE=small or under valgrind
 * (detected from LD_PRELOAD) about 30 k values spread over each scenario, always
 * including the first 8 and the last.
 *
 * What cannot be injected this way: OpenSSL, c-ares and nghttp2's callbacks object
 * allocate with their own malloc (OpenSSL's CRYPTO_malloc, c-ares' ares_malloc,
 * nghttp2_session_callbacks_new), so a failure inside them is not reached from
 * here; only libhttpx's own allocations (and those it routes: zlib/brotli/zstd,
 * the nghttp2 session's nghttp2_mem) are. An allocation made through the
 * allocator by code on a path that *tolerates* failure shows up as an "optional"
 * success; set HTTPX_NOMEM_TRACE=1 in an ASan build to print the stack of each.
 *
 * Allocation budgets (STYLE.md item 19) are declared at the end: allocations made
 * by one keep-alive GET on a warm client, and by a whole cold scenario.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

static peers_t P;
static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

/* ---- the counting allocator (the idea of tests/unit/counting_alloc.h, plus a
 * "did the failure fire" flag and an optional stack trace) --------------------- */

typedef struct counting {
    long calls;   /* malloc + realloc calls (realloc(NULL) counts as a malloc) */
    long live;    /* blocks allocated and not freed */
    long fail_at; /* fail this call (1-based); 0: never */
    int fired;    /* the failure was returned */
    int trace;    /* print the stack of the failed call (ASan builds) */
} counting_t;

static void fired(counting_t *c)
{
    c->fired = 1;
#if defined(__SANITIZE_ADDRESS__)
    if (c->trace)
        __sanitizer_print_stack_trace();
#endif
}

static void *ca_malloc(void *user, size_t n)
{
    counting_t *c = user;
    if (++c->calls == c->fail_at) {
        fired(c);
        return NULL;
    }
    void *p = malloc(n ? n : 1);
    c->live += p != NULL;
    return p;
}

static void *ca_realloc(void *user, void *p, size_t n)
{
    counting_t *c = user;
    if (++c->calls == c->fail_at) {
        fired(c);
        return NULL; /* p stays valid, as with realloc */
    }
    void *q = realloc(p, n ? n : 1);
    c->live += q && !p;
    return q;
}

static void ca_free(void *user, void *p)
{
    counting_t *c = user;
    c->live -= p != NULL;
    free(p);
}

static int small_scale(void)
{
    const char *s = getenv("HTTPX_TEST_SCALE");
    const char *pre = getenv("LD_PRELOAD");
    return (s && strcmp(s, "small") == 0) || (pre && strstr(pre, "vgpreload"));
}

/* ---- scenarios: each builds everything on `a`, frees everything, returns the
 * first error (0: all went well) ------------------------------------------------ */

typedef int (*scenario_fn)(const httpx_allocator_t *a);

/* A wrong result (not an error code): scenarios run in a child process, where
 * cmocka's assertions must not be used. */
#define BAD_RESULT (-99999)
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "check failed: %s\n", #cond);                                          \
            rc = BAD_RESULT;                                                                       \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((rc = (expr)) != 0)                                                                    \
            goto out;                                                                              \
    } while (0)

static int sync_keepalive(const httpx_allocator_t *a)
{
    httpx_client_t *c = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0), &c));
    for (int i = 0; i < 2; i++) {
        TRY(httpx_client_get(c, U(P.raw, "/keepalive-count"), NULL, &r));
        CHECK(httpx_response_status(r) == 200);
        httpx_response_free(r);
        r = NULL;
    }
out:
    httpx_response_free(r);
    httpx_client_free(c);
    return rc;
}

static int stream_pieces(const httpx_allocator_t *a)
{
    httpx_client_t *c = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0), &c));
    TRY(httpx_client_stream(c, "GET", U(P.nginx, "/64k.bin"), NULL, &r));
    char buf[1000];
    size_t n, total = 0;
    do {
        TRY(httpx_response_stream(r, buf, sizeof buf, &n));
        total += n;
    } while (n);
    CHECK(total == 65536);
out:
    httpx_response_free(r);
    httpx_client_free(c);
    return rc;
}

static int post_bytes(const httpx_allocator_t *a)
{
    static char body[3000];
    memset(body, 'b', sizeof body);
    httpx_client_t *c = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0), &c));
    TRY(httpx_client_post(c, U(P.raw, "/echo"),
                          HTTPX_REQ(.body = HTTPX_BODY_BYTES(body, sizeof body),
                                    .headers = (httpx_header_t[]){{"X-Test", "nomem"}, {0}}),
                          &r));
    const void *d;
    size_t n;
    TRY(httpx_response_content(r, &d, &n));
    CHECK(httpx_response_status(r) == 200 && n > sizeof body);
out:
    httpx_response_free(r);
    httpx_client_free(c);
    return rc;
}

static int redirect_followed(const httpx_allocator_t *a)
{
    httpx_client_t *c = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0, .follow_redirects = true), &c));
    TRY(httpx_client_get(c, U(P.raw, "/redirect?to=/ok"), NULL, &r));
    CHECK(httpx_response_status(r) == 200 && httpx_response_history_count(r) == 1);
out:
    httpx_response_free(r);
    httpx_client_free(c);
    return rc;
}

static int https_get(const httpx_allocator_t *a)
{
    httpx_client_t *c = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0, .ca_file = P.ca_file), &c));
    TRY(httpx_client_get(c, U(P.nginx_tls, "/small.txt"), NULL, &r));
    CHECK(httpx_response_status(r) == 200);
out:
    httpx_response_free(r);
    httpx_client_free(c);
    return rc;
}

static int h2_get(const httpx_allocator_t *a)
{
    httpx_client_t *c = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0, .http2_prior_knowledge = true), &c));
    TRY(httpx_client_get(c, U(P.nginx_h2c, "/small.txt"), NULL, &r));
    CHECK(httpx_response_status(r) == 200 && strcmp(httpx_response_http_version(r), "HTTP/2") == 0);
out:
    httpx_response_free(r);
    httpx_client_free(c);
    return rc;
}

static int async_get(const httpx_allocator_t *a)
{
    httpx_loop_t *loop = httpx_loop_new(HTTPX_LOOP_OPTS(.allocator = a));
    if (!loop)
        return HTTPX_E_NOMEM; /* documented: NULL on out-of-memory */
    httpx_async_client_t *ac = NULL;
    httpx_future_t *f = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_async_client_new(loop, HTTPX_CLIENT(.allocator = a, .timeout = 3.0), &ac));
    TRY(httpx_async_get(ac, U(P.nginx, "/small.txt"), NULL, &f));
    TRY(httpx_future_wait(f));
    TRY(httpx_future_take(f, &r));
    CHECK(httpx_response_status(r) == 200);
out:
    httpx_response_free(r);
    httpx_future_free(f);
    httpx_async_client_free(ac);
    if (httpx_loop_free(loop) != 0 && rc == 0)
        rc = BAD_RESULT; /* busy after everything was freed */
    return rc;
}

static int parallel3(const httpx_allocator_t *a)
{
    httpx_client_t *c = NULL;
    httpx_parallel_t *p = NULL;
    httpx_response_t *r = NULL;
    int rc;
    TRY(httpx_client_new(HTTPX_CLIENT(.allocator = a, .timeout = 3.0), &c));
    TRY(httpx_parallel_new(c, NULL, &p));
    httpx_pending_t *pd;
    TRY(httpx_parallel_get(p, U(P.raw, "/ok"), NULL, &pd));
    TRY(httpx_parallel_get(p, U(P.nginx, "/small.txt"), NULL, &pd));
    TRY(httpx_parallel_get(p, U(P.raw, "/chunked"), NULL, &pd));
    for (int i = 0; i < 3; i++) {
        TRY(httpx_parallel_next_response(p, &r, NULL));
        httpx_response_free(r);
        r = NULL;
    }
    CHECK(httpx_parallel_next_response(p, &r, NULL) == HTTPX_E_NONE_LEFT);
out:
    httpx_response_free(r);
    httpx_parallel_close(p);
    httpx_client_free(c);
    return rc;
}

/* ---- the driver ------------------------------------------------------------- */

/* One run with the k-th allocation failing, in a child process so that a crash
 * (an ASan report, a signal) is recorded instead of ending the suite. */
typedef struct outcome {
    int rc, fired, crashed;
    long live, calls;
    double secs;
} outcome_t;

static outcome_t run_child(scenario_fn fn, long k, int trace, const char *errfile)
{
    outcome_t o = {0};
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        counting_t c = {.fail_at = k, .trace = trace};
        httpx_allocator_t a = {ca_malloc, ca_realloc, ca_free, &c};
        outcome_t r = {0};
        r.rc = fn(&a);
        r.fired = c.fired;
        r.live = c.live;
        r.calls = c.calls;
        if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
            _exit(3);
        _exit(0); /* no atexit handlers: LSan and cmocka stay out of the child */
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &o, sizeof o);
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    o.secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (got != (ssize_t)sizeof o || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        memset(&o, 0, sizeof o);
        o.crashed = 1;
        o.fired = 1;
    }
    return o;
}

static void print_file_head(const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f)
        return;
    while (lines-- > 0 && fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

static void append(char *buf, size_t cap, long k, const char *what)
{
    size_t l = strlen(buf);
    if (l < cap - 48)
        snprintf(buf + l, cap - l, " %ld%s", k, what);
}

static void fail_each(const char *name, scenario_fn fn)
{
    counting_t c0 = {0};
    httpx_allocator_t a0 = {ca_malloc, ca_realloc, ca_free, &c0};
    int rc = fn(&a0);
    if (rc)
        fail_msg("%s: a clean run failed: %s", name, httpx_err_name(rc));
    assert_int_equal(c0.live, 0);
    long total = c0.calls;
    int small = small_scale();
    long step = small && total > 30 ? total / 30 : 1;
    int trace = getenv("HTTPX_NOMEM_TRACE") != NULL;
    char errfile[64];
    snprintf(errfile, sizeof errfile, "/tmp/nomem_test.%ld.err", (long)getpid());
    long runs = 0, optional = 0, wrong = 0, leaks = 0, crashes = 0, slow = 0, k;
    char optional_ks[256] = "", wrong_ks[512] = "", leak_ks[256] = "", crash_ks[256] = "";
    int finished = 0;
    const char *only = getenv("HTTPX_NOMEM_ONLY"); /* "k": run that one, print its stderr */
    if (only) {
        outcome_t o = run_child(fn, atol(only), 1, errfile);
        print_file_head(errfile, 200);
        printf("%s: k=%s: rc %s, fired %d, live %ld, crashed %d\n", name, only, httpx_err_name(o.rc), o.fired, o.live,
               o.crashed);
        unlink(errfile);
        return;
    }
    for (k = 1; k <= 4 * total + 64; k = (k < 8 || step == 1) ? k + 1 : k + step) {
        outcome_t o = run_child(fn, k, trace, errfile);
        runs++;
        if (o.crashed) {
            if (!crashes++) {
                fprintf(stderr, "%s: k=%ld crashed; its report begins:\n", name, k);
                print_file_head(errfile, 40);
            }
            append(crash_ks, sizeof crash_ks, k, "");
            continue;
        }
        if (trace)
            print_file_head(errfile, 60);
        if (o.live) {
            leaks++;
            char what[32];
            snprintf(what, sizeof what, "(%ld blocks)", o.live);
            append(leak_ks, sizeof leak_ks, k, what);
        }
        if (o.secs > 1.5) {
            slow++;
            fprintf(stderr, "%s: k=%ld took %.1f s (%s)\n", name, k, o.secs, httpx_err_name(o.rc));
        }
        if (!o.fired) {
            if (o.rc)
                fail_msg("%s: k=%ld not reached, yet %s", name, k, httpx_err_name(o.rc));
            finished = 1;
            break; /* ran to the end without meeting its failure: done */
        }
        if (o.rc == 0) {
            optional++;
            append(optional_ks, sizeof optional_ks, k, "");
        } else if (o.rc != HTTPX_E_NOMEM) {
            wrong++;
            char what[40];
            snprintf(what, sizeof what, ":%s", o.rc == BAD_RESULT ? "BAD_RESULT" : httpx_err_name(o.rc));
            append(wrong_ks, sizeof wrong_ks, k, what);
        }
        if (small && k >= 8 && k + step > total && k < total)
            k = total - step; /* always try the last one too */
    }
    unlink(errfile);
    printf("nomem %-15s %4ld allocations in a clean run, %4ld runs (step %ld); optional:%s%s; wrong code:%s; "
           "leaks:%s; crashes:%s\n",
           name, total, runs, step, optional ? "" : " none", optional_ks, wrong ? wrong_ks : " none",
           leaks ? leak_ks : " none", crashes ? crash_ks : " none");
    fflush(stdout);
    if (!finished)
        fail_msg("%s: still failing after %ld runs", name, runs);
    if (crashes || leaks || wrong)
        fail_msg("%s: %ld crashes, %ld leaking runs, %ld wrong codes", name, crashes, leaks, wrong);
}

/* What this test found, all fixed: a use-after-free when the first send failed
 * inside the `connected` callback (pool.c connect_done), a failed read-buffer
 * growth reported as HEADER_LIMIT, a redirect's NOMEM turning the 302 into a
 * success, timer-heap failures dropping every deadline, memcpy from NULL for
 * HTTP/2 reasons, nghttp2's NOMEM reported as a protocol error, and a lost
 * I/O interest stranding HTTP/2 streams until their read timeout.
 *
 * Optional allocations seen today (rc 0 with a failed allocation, correct): the
 * engine's last-URL shortcut (client/request.c:81-82, "best effort"), DNS cache
 * entries (net/resolver.c:150-153), TLS session cache (tls/session.c:75), the
 * head-size hint (headers_reserve), and any failure that kills a fresh
 * connection before the request reached the server: the client retries those
 * on a new connection, which is what the HTTP/2 runs show.
 */
static void nomem_sync_keepalive(void **state) { (void)state; fail_each("sync_keepalive", sync_keepalive); }
static void nomem_stream_pieces(void **state) { (void)state; fail_each("stream_pieces", stream_pieces); }
static void nomem_post_bytes(void **state) { (void)state; fail_each("post_bytes", post_bytes); }
static void nomem_redirect(void **state) { (void)state; fail_each("redirect", redirect_followed); }
static void nomem_https(void **state)
{
    (void)state;
    if (!P.nginx_tls[0] || !P.ca_file[0])
        skip();
    fail_each("https_get", https_get);
}
static void nomem_h2(void **state)
{
    (void)state;
    if (!P.nginx_h2c[0])
        skip();
    fail_each("h2_get", h2_get);
}
static void nomem_async(void **state) { (void)state; fail_each("async_get", async_get); }
static void nomem_parallel(void **state) { (void)state; fail_each("parallel3", parallel3); }

/* ---- allocation budgets ------------------------------------------------------- */

/* A keep-alive GET on a warm client (connection idle in the pool, DNS cached):
 * the allocations of httpx_client_get + httpx_response_free. Measured when this
 * test was written: 10 (response, exchange, URL clone, request head buffer, read
 * state, timer heap ...; sanitizer and plain builds alike). The bound is a little
 * above it; issue 6's target is 3: lower WARM_GET_BUDGET as that work lands. */
#define WARM_GET_MEASURED 10 /* measured 2025-11 (ASan and plain builds) */
#define WARM_GET_BUDGET 12
static void budget_warm_get(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {ca_malloc, ca_realloc, ca_free, &c};
    httpx_client_t *cl;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.allocator = &a), &cl), 0);
    httpx_response_t *r;
    for (int i = 0; i < 2; i++) { /* warm up: connection, DNS cache, buffers */
        assert_int_equal(httpx_client_get(cl, U(P.raw, "/ok"), NULL, &r), 0);
        httpx_response_free(r);
    }
    long min = -1, live0 = c.live;
    for (int i = 0; i < 5; i++) {
        long before = c.calls;
        assert_int_equal(httpx_client_get(cl, U(P.raw, "/ok"), NULL, &r), 0);
        assert_string_equal(httpx_response_text(r), "hello");
        httpx_response_free(r);
        long used = c.calls - before;
        if (min < 0 || used < min)
            min = used;
        assert_int_equal(c.live, live0); /* nothing accumulates per request */
    }
    httpx_pool_stats_t s;
    assert_int_equal(httpx_client_pool_stats(cl, &s), 0);
    assert_int_equal(s.open, 1); /* it really was the same connection */
    httpx_client_free(cl);
    assert_int_equal(c.live, 0);
    printf("budget: keep-alive GET on a warm client: %ld allocations (budget %d, issue 6 target 3)\n", min,
           WARM_GET_BUDGET);
    fflush(stdout);
    assert_true(min <= WARM_GET_BUDGET);
}

/* Whole cold scenarios (client creation to free), so a change that multiplies
 * allocations is noticed. Measured values in the comments; bounds ~25% above. */
static void budget_cold_scenarios(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        scenario_fn fn;
        long budget;
    } s[] = {
        {"sync_keepalive", sync_keepalive, 62}, /* measured 50 */
        {"stream_pieces", stream_pieces, 50},   /* measured 40 */
        {"post_bytes", post_bytes, 55},         /* measured 44 */
        {"async_get", async_get, 54},           /* measured 43 */
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        counting_t c = {0};
        httpx_allocator_t a = {ca_malloc, ca_realloc, ca_free, &c};
        assert_int_equal(s[i].fn(&a), 0);
        assert_int_equal(c.live, 0);
        printf("budget: cold %-16s %ld allocations (budget %ld)\n", s[i].name, c.calls, s[i].budget);
        fflush(stdout);
        if (c.calls > s[i].budget)
            fail_msg("%s: %ld allocations, budget %ld", s[i].name, c.calls, s[i].budget);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_warm_get),
        cmocka_unit_test(budget_cold_scenarios),
        cmocka_unit_test(nomem_sync_keepalive),
        cmocka_unit_test(nomem_stream_pieces),
        cmocka_unit_test(nomem_post_bytes),
        cmocka_unit_test(nomem_redirect),
        cmocka_unit_test(nomem_https),
        cmocka_unit_test(nomem_h2),
        cmocka_unit_test(nomem_async),
        cmocka_unit_test(nomem_parallel),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
