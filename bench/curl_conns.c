/* curl_conns.c — libcurl's side of the connection scenarios (bench/run.sh).
 *
 *   curl_conns handshake URL N     N requests, each on a new TLS connection
 *   curl_conns idle URL N          N idle keep-alive connections: memory each
 *
 * handshake: one easy handle, CURLOPT_FORBID_REUSE and no SSL session cache, so
 *   every request is a new connection with a full handshake.
 *   Prints: requests=N wall_s=X cpu_us_per_req=Y req_per_s=Z
 * idle: a multi handle; one warm-up transfer, then N easy handles at once with
 *   MAXCONNECTS N; when all are done the easy handles are cleaned up and the
 *   connections stay in the multi's cache. Heap (mallinfo2 in-use) and RSS are read
 *   before the N handles are made and after they are freed.
 *   Prints: conns=N open=M heap_per_conn_b=X rss_per_conn_b=Y wall_s=T
 * BENCH_CA names the CA file.
 *
 * Build: cc -O2 -o curl_conns curl_conns.c -lcurl
 */
#include <curl/curl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "measure.h"

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
    (void)ptr;
    (void)user;
    return size * nmemb;
}

static CURL *make(const char *url)
{
    CURL *e = curl_easy_init();
    if (!e)
        exit(1);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1); /* as libhttpx: h1 */
    const char *ca = getenv("BENCH_CA");
    if (ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    return e;
}

static int handshake(const char *url, long n)
{
    CURL *e = make(url);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    long failed = 0;
    double w0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < n; i++) {
        long code = 0;
        CURLcode rc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK || code != 200) {
            if (failed++ < 5)
                fprintf(stderr, "request %ld: %s (HTTP %ld)\n", i, curl_easy_strerror(rc), code);
        }
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    curl_easy_cleanup(e);
    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f req_per_s=%.0f\n", n, wall, cpu * 1e6 / (double)n,
           (double)n / wall);
    return failed ? 1 : 0;
}

static long run_all(CURLM *m, long want)
{
    long done = 0, failed = 0;
    while (done < want) {
        int running, left;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if ((msg->data.result != CURLE_OK || code != 200) && failed++ < 5)
                fprintf(stderr, "request failed: %s (HTTP %ld)\n", curl_easy_strerror(msg->data.result), code);
            done++;
        }
        if (done < want)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    return failed;
}

static int idle(const char *url, long n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, n + 1);
    CURL *w = make(url);
    curl_multi_add_handle(m, w);
    if (run_all(m, 1))
        return 1;
    curl_multi_remove_handle(m, w);
    curl_easy_cleanup(w);
    malloc_trim(0);
    struct mallinfo2 m0 = mallinfo2();
    long rss0 = rss_bytes();
    double w0 = now_s();
    CURL **e = calloc((size_t)n, sizeof *e);
    for (long i = 0; i < n; i++) {
        e[i] = make(url);
        curl_multi_add_handle(m, e[i]);
    }
    long failed = run_all(m, n);
    long conns = 0;
    for (long i = 0; i < n; i++) {
        long nc = 0;
        curl_easy_getinfo(e[i], CURLINFO_NUM_CONNECTS, &nc);
        conns += nc;
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
    }
    free(e);
    double wall = now_s() - w0;
    struct mallinfo2 m1 = mallinfo2();
    long rss1 = rss_bytes();
    long grown = conns > 0 ? conns : 1;
    printf("conns=%ld open=%ld heap_per_conn_b=%.0f rss_per_conn_b=%.0f wall_s=%.3f\n", n, conns + 1,
           ((double)m1.uordblks - (double)m0.uordblks) / (double)grown, (double)(rss1 - rss0) / (double)grown,
           wall);
    curl_multi_cleanup(m);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s handshake|idle URL N\n", argv[0]);
        return 2;
    }
    long n = atol(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = n <= 0 ? 2 : strcmp(argv[1], "handshake") == 0 ? handshake(argv[2], n)
                      : strcmp(argv[1], "idle") == 0        ? idle(argv[2], n)
                                                            : 2;
    curl_global_cleanup();
    return rc;
}
