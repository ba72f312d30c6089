/* httpx_conns.c — libhttpx's side of the connection scenarios (bench/run.sh).
 *
 *   bench_httpx_conns handshake URL N     N requests, each on a new TLS connection
 *   bench_httpx_conns idle URL N          N idle keep-alive connections: memory each
 *
 * handshake: HANDSHAKE_MODE=fresh (default) makes a new sync client per request, so
 *   every connection is a full handshake (no session to resume; the client's TLS
 *   context and CA file load are part of the cost, as for libcurl's easy handle).
 *   HANDSHAKE_MODE=close keeps one client and sends "Connection: close": a new
 *   connection per request, resumed if the library resumes sessions.
 *   HANDSHAKE_MODE=full is close with tls_no_session_reuse: one client (one TLS
 *   context, the CA file loaded once), a new connection and a full, verified
 *   handshake per request: what h2load --h1 -cN -nN does (minus its verification).
 *   Prints: requests=N wall_s=X cpu_us_per_req=Y req_per_s=Z
 * idle: the async client on the built-in loop; one warm-up request (DNS cache,
 *   origin, TLS context), then N GETs at once with max_connections = N, so N
 *   connections open and stay idle in the pool. Heap (mallinfo2 in-use bytes) and
 *   RSS (/proc/self/statm) are read before and after; futures and responses are
 *   freed, so the growth is the connections'. RLIMIT_NOFILE is raised to its hard
 *   limit. Prints: conns=N open=M heap_per_conn_b=X rss_per_conn_b=Y wall_s=T
 * BENCH_CA names the CA file for https URLs.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <httpx.h>
#include "measure.h"

static int handshake(const char *url, long n)
{
    const char *ca = getenv("BENCH_CA"), *mode = getenv("HANDSHAKE_MODE");
    bool full = mode && strcmp(mode, "full") == 0;
    int fresh = !mode || (strcmp(mode, "close") != 0 && !full);
    httpx_client_t *c = NULL;
    static const httpx_header_t close_hdr[] = {{"Connection", "close"}, {NULL, NULL}};
    long failed = 0;
    double w0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < n; i++) {
        if (!c && httpx_client_new(HTTPX_CLIENT(.ca_file = ca, .tls_no_session_reuse = full), &c))
            return 1;
        httpx_response_t *r = NULL;
        httpx_error_t err;
        int rc = httpx_client_get(c, url, HTTPX_REQ(.headers = fresh ? NULL : close_hdr, .error = &err), &r);
        if (rc || httpx_response_status(r) != 200) {
            if (failed++ < 5)
                fprintf(stderr, "request %ld: %s\n", i, rc ? err.message : "status");
        }
        httpx_response_free(r);
        if (fresh) {
            httpx_client_free(c);
            c = NULL;
        }
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    httpx_client_free(c);
    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f req_per_s=%.0f\n", n, wall, cpu * 1e6 / (double)n,
           (double)n / wall);
    return failed ? 1 : 0;
}

typedef struct idle_run {
    long done, failed;
} idle_run_t;

static void on_done(httpx_future_t *f, int status, void *user)
{
    idle_run_t *r = user;
    httpx_response_t *resp;
    if (status || httpx_future_take(f, &resp)) {
        if (r->failed++ < 5)
            fprintf(stderr, "request failed: %s\n", httpx_future_error(f)->message);
    } else {
        httpx_response_free(resp);
    }
    httpx_future_free(f);
    r->done++;
}

static int idle(const char *url, long n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if ((long)rl.rlim_cur < n + 64) {
        fprintf(stderr, "idle: RLIMIT_NOFILE %ld is too low for %ld connections\n", (long)rl.rlim_cur, n);
        return 1;
    }
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx_async_client_t *ac;
    if (!loop || httpx_async_client_new(loop, HTTPX_CLIENT(.ca_file = getenv("BENCH_CA"), .timeout = 60,
                                                           .limits = {.max_connections = (int)n,
                                                                      .max_keepalive_connections = (int)n,
                                                                      .keepalive_expiry = 600}),
                                        &ac))
        return 1;
    idle_run_t r = {0};
    httpx_future_t *f;
    if (httpx_async_get(ac, url, NULL, &f))
        return 1;
    httpx_future_then(f, on_done, &r);
    httpx_loop_run(loop);
    if (r.failed)
        return 1;
    malloc_trim(0);
    struct mallinfo2 m0 = mallinfo2();
    long rss0 = rss_bytes();
    double w0 = now_s();
    r.done = 0;
    for (long i = 0; i < n; i++) {
        if (httpx_async_get(ac, url, NULL, &f)) {
            r.failed++;
            continue;
        }
        httpx_future_then(f, on_done, &r);
    }
    httpx_loop_run(loop);
    double wall = now_s() - w0;
    struct mallinfo2 m1 = mallinfo2();
    long rss1 = rss_bytes();
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(ac, &s);
    long grown = s.open > 1 ? s.open - 1 : 1; /* one was open before (the warm-up's) */
    printf("conns=%ld open=%d heap_per_conn_b=%.0f rss_per_conn_b=%.0f wall_s=%.3f\n", n, s.open,
           ((double)m1.uordblks - (double)m0.uordblks) / (double)grown, (double)(rss1 - rss0) / (double)grown,
           wall);
    httpx_async_client_free(ac);
    httpx_loop_free(loop);
    return r.failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s handshake|idle URL N\n", argv[0]);
        return 2;
    }
    long n = atol(argv[3]);
    if (n <= 0)
        return 2;
    if (strcmp(argv[1], "handshake") == 0)
        return handshake(argv[2], n);
    if (strcmp(argv[1], "idle") == 0)
        return idle(argv[2], n);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
