/* httpx_download.c — stream one large body to nowhere and report the rate.
 *   bench_httpx_download URL [CA_FILE]
 * Prints: bytes=N wall_s=X gbytes_per_s=Y cpu_s=Z  (a 64 KiB read buffer, sync API) */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <httpx.h>
#include "measure.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [CA_FILE]\n", argv[0]);
        return 2;
    }
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.ca_file = argc > 2 ? argv[2] : NULL, .timeout = 60), &c))
        return 1;
    static char buf[64 * 1024];
    double t0 = now_s();
    httpx_response_t *r;
    httpx_error_t err;
    if (httpx_client_stream(c, "GET", argv[1], HTTPX_REQ(.error = &err), &r)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    unsigned long long total = 0;
    size_t n;
    int rc;
    while ((rc = httpx_response_raw(r, buf, sizeof buf, &n)) == 0 && n)
        total += n;
    double wall = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    printf("bytes=%llu wall_s=%.3f gbytes_per_s=%.3f cpu_s=%.2f%s\n", total, wall, (double)total / wall / 1e9, cpu,
           rc ? " (error)" : "");
    httpx_response_free(r);
    httpx_client_free(c);
    return rc ? 1 : 0;
}
