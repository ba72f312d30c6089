/* httpx_keepalive.c — libhttpx's side of bench/cpu_per_request.sh.
 *
 *   bench_httpx_keepalive URL [N [C]]
 *
 * N (100000) sequential GETs of URL on one client (keep-alive), bodies read and
 * dropped. C must be 1 for now: concurrency comes with the parallel API. Prints
 *   requests=N wall_s=X cpu_us_per_req=Y
 * like curl_keepalive, Y being user+system CPU (getrusage) per request in µs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <httpx.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [N [C]]\n", argv[0]);
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    long conc = argc > 3 ? atol(argv[3]) : 1;
    if (conc != 1)
        fprintf(stderr, "note: concurrency %ld not available yet, running 1\n", conc);
    httpx_client_t *c;
    if (httpx_client_new(NULL, &c))
        return 1;
    double w0 = now_s(), c0 = cpu_s();
    long failed = 0;
    for (long i = 0; i < n; i++) {
        httpx_response_t *r;
        int rc = httpx_client_get(c, argv[1], NULL, &r);
        if (rc || httpx_response_status(r) != 200) {
            if (failed++ < 5)
                fprintf(stderr, "request %ld: %s\n", i, rc ? httpx_client_last_error(c)->message : "status");
        }
        httpx_response_free(r);
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    httpx_pool_stats_t s;
    httpx_client_pool_stats(c, &s);
    fprintf(stderr, "connections open at end: %d, failed: %ld\n", s.open, failed);
    httpx_client_free(c);
    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f\n", n, wall, cpu * 1e6 / (double)n);
    return failed ? 1 : 0;
}
