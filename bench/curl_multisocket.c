/* curl_multisocket.c — the libcurl peer driven the event-loop way: the multi_socket
 * API (curl_multi_socket_action) on our own epoll, one thread.
 *
 *   curl_multisocket URL [N [C]]
 *
 * Same contract as curl_keepalive.c: N (100000) GETs of URL with C (1) in flight,
 * keep-alive, bodies dropped; BENCH_H2=1 multiplexes HTTP/2 on one connection,
 * BENCH_CA names the CA file. Prints on stdout
 *
 *   requests=N wall_s=X cpu_us_per_req=Y req_per_s=Z
 *
 * Exit status 1 if any request failed or did not answer 200.
 *
 * Build: cc -O2 -o curl_multisocket curl_multisocket.c -lcurl
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include "measure.h"

static int ep;
static long timeout_ms = -1; /* what libcurl asked for; -1: no timer */

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
    (void)ptr;
    (void)user;
    return size * nmemb;
}

/* CURLMOPT_SOCKETFUNCTION: mirror libcurl's wishes into epoll. `sockp` is non-NULL
 * once we registered the socket (curl_multi_assign). */
static int on_socket(CURL *e, curl_socket_t s, int what, void *multi, void *sockp)
{
    (void)e;
    struct epoll_event ev = {.data.fd = s};
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign(multi, s, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (sockp) {
        epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
    } else {
        if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) && errno == EEXIST)
            epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
        curl_multi_assign(multi, s, (void *)1);
    }
    return 0;
}

static int on_timer(CURLM *multi, long ms, void *user)
{
    (void)multi;
    (void)user;
    timeout_ms = ms;
    return 0;
}

static long parse_count(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v <= 0) {
        fprintf(stderr, "curl_multisocket: bad count '%s'\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s URL [N [C]]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    long n = argc > 2 ? parse_count(argv[2]) : 100000, c = argc > 3 ? parse_count(argv[3]) : 1;
    long started = 0, done = 0, failed = 0, conns = 0;
    if (c > n)
        c = n;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ep = epoll_create1(0);
    CURLM *multi = curl_multi_init();
    CURL **easy = calloc((size_t)c, sizeof *easy);
    if (ep < 0 || !multi || !easy)
        return 1;
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, multi);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, c);
    const char *h2 = getenv("BENCH_H2"), *ca = getenv("BENCH_CA");
    bool use_h2 = h2 && *h2 == '1';
    if (use_h2) {
        curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
        curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)c);
    }
    for (long i = 0; i < c; i++) {
        if (!(easy[i] = curl_easy_init()))
            return 1;
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

    double t0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < c; i++, started++)
        curl_multi_add_handle(multi, easy[i]);
    struct epoll_event evs[256];
    int running = 0;
    while (done < n) {
        int k = epoll_wait(ep, evs, 256, timeout_ms < 0 ? 1000 : (int)timeout_ms);
        if (k < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 1;
        }
        if (k <= 0) {
            timeout_ms = -1;
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        for (int i = 0; i < k; i++) {
            int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                        (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                        (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(multi, evs[i].data.fd, flags, &running);
        }
        if (timeout_ms == 0) { /* libcurl wants to be called again at once */
            timeout_ms = -1;
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            long code = 0, nc = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &nc);
            conns += nc;
            if (msg->data.result != CURLE_OK || code != 200) {
                if (failed++ < 5)
                    fprintf(stderr, "curl_multisocket: request failed: %s (HTTP %ld)\n",
                            curl_easy_strerror(msg->data.result), code);
            }
            done++;
            curl_multi_remove_handle(multi, e);
            if (started < n) {
                curl_multi_add_handle(multi, e);
                started++;
            }
        }
    }
    double wall = now_s() - t0, cpu = cpu_s() - c0;
    printf("requests=%ld wall_s=%.3f cpu_us_per_req=%.2f req_per_s=%.0f\n", n, wall, cpu * 1e6 / (double)n,
           (double)n / wall);
    fprintf(stderr, "curl_multisocket: %s, concurrency %ld, %ld connection(s) opened, %ld failed\n", curl_version(),
            c, conns, failed);
    for (long i = 0; i < c; i++)
        curl_easy_cleanup(easy[i]);
    free(easy);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
