/* floor_download.c — the floor for the download scenario: one GET and the body read
 * with a bare read() loop (http://) or SSL_read() loop (https://), 256 KiB at a time,
 * no HTTP library. Anything a client does costs at least this.
 *
 *   floor_download URL [CA_FILE]
 *
 * Prints the same line as bench_httpx_download:
 *   bytes=N wall_s=X gbytes_per_s=Y cpu_s=Z
 * (N counts body bytes; the response must carry Content-Length.)
 *
 * Build: cc -O2 -o floor_download floor_download.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "measure.h"

static SSL *ssl;
static int fd;

static long rd(char *buf, size_t n)
{
    if (ssl) {
        int r = SSL_read(ssl, buf, (int)n);
        return r > 0 ? r : (SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
    }
    return read(fd, buf, n);
}

static int wr(const char *buf, size_t n)
{
    if (ssl)
        return SSL_write(ssl, buf, (int)n) == (int)n ? 0 : -1;
    return write(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [CA_FILE]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    int tls = strncmp(url, "https://", 8) == 0;
    const char *hp = url + (tls ? 8 : 7);
    const char *slash = strchr(hp, '/');
    char host[256], port[16] = "80", path[1024];
    size_t hl = slash ? (size_t)(slash - hp) : strlen(hp);
    if (hl >= sizeof host)
        return 2;
    memcpy(host, hp, hl);
    host[hl] = 0;
    snprintf(path, sizeof path, "%s", slash ? slash : "/");
    char *colon = strrchr(host, ':');
    if (colon) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    } else if (tls) {
        strcpy(port, "443");
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai)) {
        fprintf(stderr, "floor_download: cannot resolve %s\n", host);
        return 1;
    }
    double t0 = now_s();
    fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
        perror("floor_download: connect");
        return 1;
    }
    if (tls) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (argc > 2 ? !SSL_CTX_load_verify_locations(ctx, argv[2], NULL) : !SSL_CTX_set_default_verify_paths(ctx))
            return 1;
        ssl = SSL_new(ctx);
        SSL_set_tlsext_host_name(ssl, host);
        SSL_set1_host(ssl, host);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1) {
            ERR_print_errors_fp(stderr);
            return 1;
        }
    }
    char req[1400];
    int rl = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: floor\r\nAccept: */*\r\n\r\n", path,
                      host);
    if (wr(req, (size_t)rl)) {
        fprintf(stderr, "floor_download: write failed\n");
        return 1;
    }
    static char buf[256 * 1024];
    size_t have = 0;
    char *end = NULL;
    while (!end) { /* the head */
        long r = rd(buf + have, sizeof buf - 1 - have);
        if (r <= 0)
            return 1;
        have += (size_t)r;
        buf[have] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    unsigned long long want = 0, total;
    for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2) {
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            want = strtoull(p + 15, NULL, 10);
        if (!strstr(p, "\r\n"))
            break;
    }
    if (strncmp(buf + 9, "200", 3) || !want) {
        fprintf(stderr, "floor_download: not a 200 with Content-Length\n");
        return 1;
    }
    total = have - (size_t)(end + 4 - buf);
    while (total < want) {
        long r = rd(buf, sizeof buf);
        if (r <= 0)
            break;
        total += (unsigned long long)r;
    }
    double wall = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    printf("bytes=%llu wall_s=%.3f gbytes_per_s=%.3f cpu_s=%.2f%s\n", total, wall, (double)total / wall / 1e9, cpu,
           total == want ? "" : " (short)");
    return total == want ? 0 : 1;
}
