/* curl_keepalive.c - the libcurl baseline for bench/cpu_per_request.sh.
 *
 *   curl_keepalive URL [N [C]]
 *
 * Makes N (100000) GET requests to URL with C (1) of them in flight at a time,
 * on one thread with the multi interface and curl_multi_poll(), reusing
 * connections (keep-alive), throwing bodies away.  Prints one line on stdout:
 *
 *   requests=N wall_s=X cpu_us_per_req=Y
 *
 * where Y is this process's user+system CPU time (getrusage) for the request
 * loop divided by N, in microseconds.  Details (connections opened, errors) go
 * to stderr.  Exit status 1 if any request failed or did not answer 200.
 *
 * Build: cc -O2 -o curl_keepalive curl_keepalive.c -lcurl
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include "measure.h"

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
    (void)ptr;
    (void)user;
    return size * nmemb;
}

static long parse_count(const char *s, const char *what)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v <= 0) {
        fprintf(stderr, "curl_keepalive: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *url;
    long n = 100000, c = 1, started = 0, done = 0, failed = 0, conns = 0;
    CURL **easy;
    CURLM *multi;
    double t0, c0, wall, cpu;
    long i;

    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s URL [N [C]]\n", argv[0]);
        return 2;
    }
    url = argv[1];
    if (argc > 2) n = parse_count(argv[2], "N");
    if (argc > 3) c = parse_count(argv[3], "C");
    if (c > n) c = n;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_keepalive: curl_global_init failed\n");
        return 1;
    }
    multi = curl_multi_init();
    easy = calloc((size_t)c, sizeof *easy);
    if (multi == NULL || easy == NULL) {
        fprintf(stderr, "curl_keepalive: out of memory\n");
        return 1;
    }
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, c);
    /* BENCH_H2=1: HTTP/2 over TLS, every request multiplexed on one connection;
     * BENCH_CA: the CA file to verify the server with. */
    const char *h2 = getenv("BENCH_H2"), *ca = getenv("BENCH_CA");
    bool use_h2 = h2 && *h2 == '1';
    if (use_h2) {
        curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
        curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)c);
    }
    for (i = 0; i < c; i++) {
        easy[i] = curl_easy_init();
        if (easy[i] == NULL) {
            fprintf(stderr, "curl_keepalive: curl_easy_init failed\n");
            return 1;
        }
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_NOPROXY, "*");
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
        if (use_h2) {
            curl_easy_setopt(easy[i], CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
            curl_easy_setopt(easy[i], CURLOPT_PIPEWAIT, 1L);
        }
        if (ca)
            curl_easy_setopt(easy[i], CURLOPT_CAINFO, ca);
    }

    t0 = now_s();
    c0 = cpu_s();
    for (i = 0; i < c; i++) {
        curl_multi_add_handle(multi, easy[i]);
        started++;
    }
    while (done < n) {
        int running = 0, left;
        CURLMsg *msg;
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            fprintf(stderr, "curl_keepalive: curl_multi_perform: %s\n", curl_multi_strerror(mc));
            return 1;
        }
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            CURL *e;
            long code = 0, nc = 0;
            if (msg->msg != CURLMSG_DONE) continue;
            e = msg->easy_handle;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &nc);
            conns += nc;
            if (msg->data.result != CURLE_OK || code != 200) {
                if (failed < 5)
                    fprintf(stderr, "curl_keepalive: request failed: %s (HTTP %ld)\n",
                            curl_easy_strerror(msg->data.result), code);
                failed++;
            }
            done++;
            curl_multi_remove_handle(multi, e);
            if (started < n) {
                curl_multi_add_handle(multi, e);
                started++;
            }
        }
        if (done < n) {
            mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
            if (mc != CURLM_OK) {
                fprintf(stderr, "curl_keepalive: curl_multi_poll: %s\n", curl_multi_strerror(mc));
                return 1;
            }
        }
    }
    wall = now_s() - t0;
    cpu = cpu_s() - c0;

    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f\n", n, wall, cpu * 1e6 / (double)n);
    fprintf(stderr, "curl_keepalive: %s, concurrency %ld, %ld connection(s) opened, %ld failed\n",
            curl_version(), c, conns, failed);

    for (i = 0; i < c; i++) curl_easy_cleanup(easy[i]);
    free(easy);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
