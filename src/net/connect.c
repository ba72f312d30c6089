/* net/connect.c — resolve, then Happy Eyeballs (RFC 8305 §5) over the ordered
 * addresses: one non-blocking connect at a time is started, the next one 250 ms
 * later or as soon as an attempt fails; the first socket to connect wins and every
 * other attempt is closed. The callback always comes from a loop callback (the
 * resolver never reports synchronously), and never after cancel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "loop/loop.h"
#include "net/connect.h"
#include "core/banned.h"

typedef struct cn_attempt {
    httpx__connect_t *c;
    size_t addr;   /* index in c->addrs */
    int fd;        /* -1: closed */
    httpx_io_t io;
} cn_attempt_t;

struct httpx__connect {
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    char *host;
    int port;
    httpx__connect_cb cb;
    void *user;

    httpx__resolve_t *rq; /* non-NULL while resolving */
    httpx__addr_t *addrs;
    size_t n, next;       /* addresses; the next one to try */
    cn_attempt_t *att;    /* one per address, started in order */
    size_t running;       /* attempts in flight */
    httpx_timer_t delay;  /* starts the next attempt */

    int last_errno;
    size_t last_addr;
    uint64_t dns_done_ns;
    bool done;            /* the callback is running: cancel is a no-op */
};

static void cn_format_peer(const httpx__addr_t *a, char *buf, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    if (a->family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(buf, n, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(buf, n, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
    }
}

static void cn_close_attempt(cn_attempt_t *t)
{
    if (t->fd < 0)
        return;
    httpx__io_release(&t->io); /* before close: the backend forgets an open fd */
    close(t->fd);
    t->fd = -1;
    t->c->running--;
}

/* Close every attempt and timer; release the resolve. */
static void cn_teardown(httpx__connect_t *c)
{
    if (c->rq) {
        httpx__resolve_cancel(c->rq);
        c->rq = NULL;
    }
    httpx__timer_release(&c->delay);
    for (size_t i = 0; i < c->next; i++)
        cn_close_attempt(&c->att[i]);
}

static void cn_free(httpx__connect_t *c)
{
    const httpx_allocator_t *a = c->a;
    httpx__free(a, c->att);
    httpx__free(a, c->addrs);
    httpx__free(a, c->host);
    httpx__free(a, c);
}

static void cn_finish(httpx__connect_t *c, int status, int fd, const httpx_error_t *err,
                      const httpx__connect_info_t *info)
{
    c->done = true;
    cn_teardown(c);
    c->cb(status, fd, info, err, c->user);
    cn_free(c);
}

static void cn_fail(httpx__connect_t *c)
{
    httpx_error_t err;
    httpx__err_clear(&err);
    int e = c->last_errno ? c->last_errno : ECONNREFUSED;
    char why[128], tmp[128], peer[64] = "";
    /* "Connection refused" -> "connection refused", per the error text style. */
    snprintf(why, sizeof why, "%s", strerror_r(e, tmp, sizeof tmp));
    if (why[0] >= 'A' && why[0] <= 'Z')
        why[0] = (char)(why[0] - 'A' + 'a');
    if (c->n)
        cn_format_peer(&c->addrs[c->last_addr], peer, sizeof peer);
    bool v6 = strchr(c->host, ':') != NULL; /* bracket an IPv6 literal before ":port" */
    httpx__err(&err, httpx__err_from_errno(e, HTTPX_PHASE_CONNECT), HTTPX_PHASE_CONNECT,
               "connect to %s%s%s:%d (%s): %s", v6 ? "[" : "", c->host, v6 ? "]" : "", c->port,
               peer, why);
    httpx__connect_info_t info;
    memset(&info, 0, sizeof info);
    info.dns_done_ns = c->dns_done_ns;
    cn_finish(c, err.code, -1, &err, &info);
}

static void cn_start_next(httpx__connect_t *c);

static void cn_won(httpx__connect_t *c, cn_attempt_t *t)
{
    int fd = t->fd;
    int one = 1;
    /* Failing to set it only costs latency: not a reason to drop a connection. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Hand over the fd: teardown must not close it. */
    httpx__io_release(&t->io);
    t->fd = -1;
    c->running--;
    httpx__connect_info_t info;
    memset(&info, 0, sizeof info);
    info.dns_done_ns = c->dns_done_ns;
    info.connected_ns = httpx__clock_ns();
    cn_format_peer(&c->addrs[t->addr], info.peer, sizeof info.peer);
    cn_finish(c, 0, fd, NULL, &info);
}

static void cn_io_cb(httpx_io_t *io, int events, void *user)
{
    cn_attempt_t *t = user;
    httpx__connect_t *c = t->c;
    (void)io;
    (void)events;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (!err) {
        cn_won(c, t);
        return;
    }
    if (err == EINPROGRESS || err == EALREADY)
        return; /* not finished after all */
    c->last_errno = err;
    c->last_addr = t->addr;
    cn_close_attempt(t);
    /* A failure starts the next address at once (RFC 8305 §5). */
    cn_start_next(c);
}

static void cn_delay_cb(httpx_timer_t *tm, void *user)
{
    (void)tm;
    cn_start_next(user);
}

/* Start attempts until one is in flight (or the list is exhausted); then arm the
 * delay for the one after. Reports failure when nothing is left to wait for. */
static void cn_start_next(httpx__connect_t *c)
{
    while (c->next < c->n) {
        size_t i = c->next++;
        cn_attempt_t *t = &c->att[i];
        const httpx__addr_t *ad = &c->addrs[i];
        t->c = c;
        t->addr = i;
        t->fd = socket(ad->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (t->fd < 0) {
            c->last_errno = errno;
            c->last_addr = i;
            continue;
        }
        c->running++;
        int rc = connect(t->fd, (const struct sockaddr *)&ad->sa, ad->len);
        if (rc < 0 && errno != EINPROGRESS) {
            c->last_errno = errno;
            c->last_addr = i;
            /* io not initialised yet: close by hand */
            close(t->fd);
            t->fd = -1;
            c->running--;
            continue;
        }
        /* Connected or in progress: either way writability reports the outcome,
         * which keeps a single completion path. */
        if (httpx__io_init(&t->io, c->loop, t->fd, cn_io_cb, t) != 0 ||
            httpx_io_set(&t->io, HTTPX_IO_WRITE) != 0) {
            c->last_errno = ENOMEM;
            c->last_addr = i;
            cn_close_attempt(t);
            continue;
        }
        /* On failure to arm, the next address waits for this one to fail. */
        if (c->next < c->n)
            (void)httpx_timer_start(&c->delay, HTTPX__HAPPY_EYEBALLS_DELAY_MS);
        return;
    }
    httpx_timer_stop(&c->delay);
    if (!c->running)
        cn_fail(c);
}

static void cn_resolved(int status, const httpx__addr_t *addrs, size_t n,
                        const httpx_error_t *err, void *user)
{
    httpx__connect_t *c = user;
    c->rq = NULL; /* freed by the resolver when this returns */
    c->dns_done_ns = httpx__clock_ns();
    if (status != 0) {
        httpx_error_t e;
        if (err)
            e = *err;
        else
            httpx__err(&e, status, HTTPX_PHASE_DNS, "resolve \"%s\": %s", c->host,
                       httpx_strerror(status));
        httpx__connect_info_t info;
        memset(&info, 0, sizeof info);
        info.dns_done_ns = c->dns_done_ns;
        cn_finish(c, status, -1, &e, &info);
        return;
    }
    c->addrs = httpx__malloc(c->a, n * sizeof *addrs);
    c->att = httpx__calloc(c->a, n * sizeof *c->att);
    if (!c->addrs || !c->att) {
        httpx_error_t e;
        httpx__err(&e, HTTPX_E_NOMEM, HTTPX_PHASE_CONNECT, "connect to %s:%d: out of memory",
                   c->host, c->port);
        httpx__connect_info_t info;
        memset(&info, 0, sizeof info);
        info.dns_done_ns = c->dns_done_ns;
        cn_finish(c, HTTPX_E_NOMEM, -1, &e, &info);
        return;
    }
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    c->n = n;
    for (size_t i = 0; i < n; i++)
        c->att[i].fd = -1;
    cn_start_next(c);
}

httpx__connect_t *httpx__connect_start(httpx_loop_t *loop, httpx__resolver_t *resolver,
                                       const char *host, int port,
                                       httpx__connect_cb cb, void *user)
{
    if (!loop || !resolver || !host || !cb)
        return NULL;
    const httpx_allocator_t *a = httpx__loop_allocator(loop);
    httpx__connect_t *c = HTTPX__NEW(a, httpx__connect_t);
    if (!c)
        return NULL;
    c->loop = loop;
    c->a = a;
    c->port = port;
    c->cb = cb;
    c->user = user;
    c->host = httpx__strdup(a, host);
    httpx__timer_init(&c->delay, loop, cn_delay_cb, c);
    if (c->host)
        c->rq = httpx__resolve(resolver, host, port, cn_resolved, c);
    if (!c->rq) {
        cn_free(c);
        return NULL;
    }
    return c;
}

void httpx__connect_cancel(httpx__connect_t *c)
{
    if (!c || c->done)
        return;
    cn_teardown(c);
    cn_free(c);
}
