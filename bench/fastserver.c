/* fastserver.c — the bench's own minimal HTTP/1.1 server, so that the client and
 * not the server is the bottleneck.
 *
 *   fastserver PORT_FILE [LIFETIME_S]
 *
 * Binds 127.0.0.1 on a free port, writes the port number to PORT_FILE, and serves
 * every request with the same fixed response (200, "hello from nginx\n", the same
 * body as the peers' /small.txt), keep-alive, on one thread with epoll
 * (level-triggered). Requests are recognised by the end of their head
 * ("\r\n\r\n"); a request body is not expected (GETs only). Pipelined requests are
 * answered in one write. Exits after LIFETIME_S seconds (600 by default) or on
 * SIGTERM.
 *
 * Build: cc -O2 -o fastserver fastserver.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\n"
                               "Server: fastserver\r\n"
                               "Content-Type: text/plain\r\n"
                               "Content-Length: 17\r\n"
                               "\r\n"
                               "hello from nginx\n";
#define RESPONSE_LEN (sizeof RESPONSE - 1)
#define BUF_SIZE 8192
#define MAX_BATCH 64 /* pipelined answers written at once */

typedef struct conn {
    size_t len;   /* bytes held in buf (an incomplete head) */
    char buf[BUF_SIZE];
} conn_t;

static conn_t **conns; /* by fd */
static int conns_cap;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void drop(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    if (fd < conns_cap && conns[fd]) {
        free(conns[fd]);
        conns[fd] = NULL;
    }
}

/* Count complete heads in c->buf, keep the tail; returns the number of answers due. */
static int take_heads(conn_t *c)
{
    int n = 0;
    size_t start = 0;
    for (;;) {
        char *end = memmem(c->buf + start, c->len - start, "\r\n\r\n", 4);
        if (!end)
            break;
        n++;
        start = (size_t)(end - c->buf) + 4;
    }
    if (start) {
        memmove(c->buf, c->buf + start, c->len - start);
        c->len -= start;
    }
    return n;
}

static void serve(int ep, int fd)
{
    conn_t *c = conns[fd];
    static char out[RESPONSE_LEN * MAX_BATCH];
    for (;;) {
        if (c->len == BUF_SIZE) { /* a head larger than the buffer: refuse */
            drop(ep, fd);
            return;
        }
        ssize_t r = read(fd, c->buf + c->len, BUF_SIZE - c->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return;
        if (r <= 0) {
            drop(ep, fd);
            return;
        }
        c->len += (size_t)r;
        int n = take_heads(c);
        while (n > 0) {
            int k = n > MAX_BATCH ? MAX_BATCH : n;
            size_t want = (size_t)k * RESPONSE_LEN, done = 0;
            for (int i = 0; i < k; i++)
                memcpy(out + (size_t)i * RESPONSE_LEN, RESPONSE, RESPONSE_LEN);
            while (done < want) { /* small answers: the socket buffer takes them */
                ssize_t w = write(fd, out + done, want - done);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    drop(ep, fd);
                    return;
                }
                done += (size_t)w;
            }
            n -= k;
        }
        if ((size_t)r < BUF_SIZE / 2)
            return; /* probably drained; level-triggered epoll says if not */
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT_FILE [LIFETIME_S]\n", argv[0]);
        return 2;
    }
    unsigned lifetime = argc > 2 ? (unsigned)atoi(argv[2]) : 600;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    conns_cap = (int)(rl.rlim_cur > 1 << 20 ? 1 << 20 : rl.rlim_cur);
    conns = calloc((size_t)conns_cap, sizeof *conns);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGALRM, on_signal);
    alarm(lifetime);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (!conns || ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 65535) ||
        getsockname(ls, (struct sockaddr *)&sa, &sl)) {
        perror("fastserver");
        return 1;
    }
    FILE *pf = fopen(argv[1], "w");
    if (!pf) {
        perror(argv[1]);
        return 1;
    }
    fprintf(pf, "%d\n", ntohs(sa.sin_port));
    fclose(pf);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, 1000);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0)
                        break;
                    if (cfd >= conns_cap || !(conns[cfd] = malloc(sizeof(conn_t)))) {
                        close(cfd);
                        continue;
                    }
                    conns[cfd]->len = 0;
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                }
            } else if (fd < conns_cap && conns[fd]) {
                serve(ep, fd);
            }
        }
    }
    return 0;
}
