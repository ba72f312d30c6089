/* net_test.c — the c-ares resolver and Happy Eyeballs connect.
 *
 * Sandbox rule: no DNS query may leave loopback. Every resolver made here is
 * pointed, before its first lookup, at 127.0.0.1: either at a closed port (a dead
 * server) or at the tiny fake DNS server below, which runs on the test's own loop. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "httpx/error.h"
#include "httpx/loop.h"
#include "loop/loop.h"
#include "net/sock.h"
#include "net/connect.h"
#include "net/resolver.h"

/* ---- helpers --------------------------------------------------------------- */

static void run_until(httpx_loop_t *loop, const bool *flag, uint64_t max_ms)
{
    uint64_t t0 = httpx__clock_ms();
    while (!*flag && httpx__clock_ms() - t0 < max_ms)
        assert_int_equal(httpx_loop_run_once(loop, 50), 0);
}

static void run_for(httpx_loop_t *loop, uint64_t ms)
{
    uint64_t t0 = httpx__clock_ms();
    while (httpx__clock_ms() - t0 < ms)
        assert_int_equal(httpx_loop_run_once(loop, (int64_t)(ms - (httpx__clock_ms() - t0))), 0);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A loopback port nothing listens on (TCP or UDP), for family `fam`. */
static int closed_port(int fam, int type)
{
    int fd = socket(fam, type, 0);
    assert_true(fd >= 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (fam == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *s4;
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    close(fd);
    return ntohs(fam == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                 : ((struct sockaddr_in *)&ss)->sin_port);
}

/* Listen on loopback; *port gets the port (0: any). */
static int listen_on(int fam, int *port, int backlog)
{
    int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (fam == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        s6->sin6_port = htons((uint16_t)*port);
        len = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s4->sin_port = htons((uint16_t)*port);
        len = sizeof *s4;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(fam == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                  : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static void addr_str(const httpx__addr_t *a, char *buf, size_t n, int *port)
{
    if (a->family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)n);
        *port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->sa;
        inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)n);
        *port = ntohs(s4->sin_port);
    }
}

/* ---- a fake DNS server on 127.0.0.1 (UDP), driven by the same loop ---------- */

typedef struct dns_rec {
    const char *name;
    const char *a[3];    /* IPv4 answers */
    const char *aaaa[3]; /* IPv6 answers */
    uint32_t ttl;
} dns_rec_t;

typedef struct dns_srv {
    int fd, port;
    httpx_io_t io;
    int queries;
    bool silent;
    const dns_rec_t *recs;
    size_t nrecs;
} dns_srv_t;

static const dns_rec_t dns_table[] = {
    {"cached.test", {"127.0.0.5"}, {NULL}, 300},
    {"zero.test", {"127.0.0.6"}, {NULL}, 0},
    {"both.test", {"127.0.0.1", "127.0.0.2"}, {"::1"}, 300},
    {"a.test", {"127.0.0.7"}, {NULL}, 300},
    {"b.test", {"127.0.0.8"}, {NULL}, 300},
};

static void dns_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void dns_io_cb(httpx_io_t *io, int events, void *user)
{
    dns_srv_t *s = user;
    (void)io, (void)events;
    uint8_t q[512], r[1024];
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&from, &flen);
    if (n < 12)
        return;
    s->queries++;
    if (s->silent)
        return;
    /* Question: labels, then type and class. */
    char name[256];
    size_t off = 12, nl = 0;
    while (off < (size_t)n && q[off]) {
        size_t l = q[off++];
        if (off + l > (size_t)n || nl + l + 1 >= sizeof name)
            return;
        if (nl)
            name[nl++] = '.';
        memcpy(name + nl, q + off, l);
        nl += l;
        off += l;
    }
    name[nl] = '\0';
    off++;
    if (off + 4 > (size_t)n)
        return;
    unsigned qtype = (unsigned)(q[off] << 8 | q[off + 1]);
    off += 4;
    const dns_rec_t *rec = NULL;
    for (size_t i = 0; i < s->nrecs; i++)
        if (strcasecmp(s->recs[i].name, name) == 0)
            rec = &s->recs[i];
    memcpy(r, q, off);
    dns_put16(r + 2, rec ? 0x8180 : 0x8183); /* response, RD, RA; NXDOMAIN if unknown */
    dns_put16(r + 4, 1);
    dns_put16(r + 8, 0);
    dns_put16(r + 10, 0);
    size_t w = off;
    unsigned an = 0;
    if (rec) {
        const char *const *list = qtype == 28 ? rec->aaaa : qtype == 1 ? rec->a : NULL;
        for (int i = 0; list && i < 3 && list[i]; i++) {
            uint8_t buf[16];
            int fam = qtype == 28 ? AF_INET6 : AF_INET;
            size_t len = fam == AF_INET6 ? 16 : 4;
            assert_int_equal(inet_pton(fam, list[i], buf), 1);
            dns_put16(r + w, 0xC00C); /* pointer to the question's name */
            dns_put16(r + w + 2, qtype);
            dns_put16(r + w + 4, 1);
            r[w + 6] = (uint8_t)(rec->ttl >> 24);
            r[w + 7] = (uint8_t)(rec->ttl >> 16);
            r[w + 8] = (uint8_t)(rec->ttl >> 8);
            r[w + 9] = (uint8_t)rec->ttl;
            dns_put16(r + w + 10, (unsigned)len);
            memcpy(r + w + 12, buf, len);
            w += 12 + len;
            an++;
        }
    }
    dns_put16(r + 6, an);
    sendto(s->fd, r, w, 0, (struct sockaddr *)&from, flen);
}

static void dns_start(dns_srv_t *s, httpx_loop_t *loop)
{
    memset(s, 0, sizeof *s);
    s->recs = dns_table;
    s->nrecs = sizeof dns_table / sizeof dns_table[0];
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, len), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &len), 0);
    s->port = ntohs(sa.sin_port);
    assert_int_equal(httpx__io_init(&s->io, loop, s->fd, dns_io_cb, s), 0);
    assert_int_equal(httpx_io_set(&s->io, HTTPX_IO_READ), 0);
}

static void dns_stop(dns_srv_t *s)
{
    httpx__io_release(&s->io);
    close(s->fd);
}

/* A resolver that only ever talks to 127.0.0.1:port. */
static httpx__resolver_t *resolver_at(httpx_loop_t *loop, double ttl_max, int port)
{
    httpx__resolver_t *r;
    assert_int_equal(httpx__resolver_new(loop, ttl_max, &r), 0);
    char csv[64];
    snprintf(csv, sizeof csv, "127.0.0.1:%d", port);
    assert_int_equal(httpx__resolver_set_servers(r, csv), 0);
    return r;
}

/* ---- resolver tests ------------------------------------------------------- */

typedef struct res {
    bool done;
    int calls;
    int status;
    size_t n;
    httpx__addr_t addrs[8];
    char msg[256];
    httpx__resolve_t *cancel_other; /* cancelled from this callback */
    httpx__resolve_t *self;         /* cancelled from its own callback (no-op) */
    httpx__resolver_t *free_resolver;
} res_t;

static void res_cb(int status, const httpx__addr_t *addrs, size_t n, const httpx_error_t *err,
                   void *user)
{
    res_t *r = user;
    r->done = true;
    r->calls++;
    r->status = status;
    r->n = n < 8 ? n : 8;
    if (status == 0) {
        assert_non_null(addrs);
        assert_true(n >= 1);
        memcpy(r->addrs, addrs, r->n * sizeof *addrs);
    } else {
        assert_non_null(err);
        assert_int_equal(err->code, status);
        snprintf(r->msg, sizeof r->msg, "%s", err->message);
    }
    if (r->cancel_other)
        httpx__resolve_cancel(r->cancel_other);
    if (r->self)
        httpx__resolve_cancel(r->self);
    if (r->free_resolver)
        httpx__resolver_free(r->free_resolver);
}

static void test_resolve_localhost(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    res_t r = {0};
    httpx__resolve_t *q = httpx__resolve(rv, "localhost", 8080, res_cb, &r);
    assert_non_null(q);
    assert_false(r.done); /* never synchronous, even from the hosts file */
    run_until(loop, &r.done, 5000);
    assert_int_equal(r.status, 0);
    assert_true(r.n >= 1);
    for (size_t i = 0; i < r.n; i++) {
        char ip[64];
        int port;
        addr_str(&r.addrs[i], ip, sizeof ip, &port);
        assert_int_equal(port, 8080);
        assert_true(strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0);
    }
    /* Again: from the cache (hosts answers are cached with the cap). */
    res_t r2 = {0};
    assert_non_null(httpx__resolve(rv, "LOCALHOST", 1, res_cb, &r2));
    assert_false(r2.done);
    run_until(loop, &r2.done, 5000);
    assert_int_equal(r2.status, 0);
    assert_int_equal(r2.n, r.n);
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_run(loop), 0); /* nothing left behind */
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolve_literals(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    res_t r4 = {0}, r6 = {0}, rbad = {0}, rport = {0}, rbr = {0};
    assert_non_null(httpx__resolve(rv, "[::1]", 80, res_cb, &rbr)); /* no brackets here */
    assert_non_null(httpx__resolve(rv, "192.0.2.1", 443, res_cb, &r4)); /* never contacted */
    assert_non_null(httpx__resolve(rv, "::1", 8443, res_cb, &r6));
    assert_non_null(httpx__resolve(rv, "", 80, res_cb, &rbad));
    assert_non_null(httpx__resolve(rv, "127.0.0.1", 70000, res_cb, &rport));
    assert_false(r4.done || r6.done || rbad.done || rport.done);
    assert_int_equal(httpx_loop_run(loop), 0);
    char ip[64];
    int port;
    assert_int_equal(r4.status, 0);
    assert_int_equal(r4.n, 1);
    assert_int_equal(r4.addrs[0].family, AF_INET);
    assert_int_equal(r4.addrs[0].len, sizeof(struct sockaddr_in));
    addr_str(&r4.addrs[0], ip, sizeof ip, &port);
    assert_string_equal(ip, "192.0.2.1");
    assert_int_equal(port, 443);
    assert_int_equal(r6.status, 0);
    assert_int_equal(r6.n, 1);
    assert_int_equal(r6.addrs[0].family, AF_INET6);
    addr_str(&r6.addrs[0], ip, sizeof ip, &port);
    assert_string_equal(ip, "::1");
    assert_int_equal(port, 8443);
    assert_int_equal(rbad.status, HTTPX_E_DNS);
    assert_int_equal(rport.status, HTTPX_E_INVAL);
    assert_int_equal(rbr.status, HTTPX_E_DNS);
    assert_non_null(strstr(rbr.msg, "invalid name"));
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolve_cache(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);

    res_t r = {0};
    assert_non_null(httpx__resolve(rv, "cached.test", 80, res_cb, &r));
    run_until(loop, &r.done, 5000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 1);
    char ip[64];
    int port;
    addr_str(&r.addrs[0], ip, sizeof ip, &port);
    assert_string_equal(ip, "127.0.0.5");
    assert_int_equal(port, 80);
    int asked = dns.queries;
    assert_true(asked >= 1);

    res_t r2 = {0};
    assert_non_null(httpx__resolve(rv, "cached.test", 81, res_cb, &r2));
    assert_false(r2.done);
    run_until(loop, &r2.done, 5000);
    assert_int_equal(r2.status, 0);
    addr_str(&r2.addrs[0], ip, sizeof ip, &port);
    assert_string_equal(ip, "127.0.0.5");
    assert_int_equal(port, 81); /* cached without a port; filled per query */
    assert_int_equal(dns.queries, asked); /* the cache answered */

    httpx__resolver_flush(rv);
    res_t r3 = {0};
    assert_non_null(httpx__resolve(rv, "cached.test", 80, res_cb, &r3));
    run_until(loop, &r3.done, 5000);
    assert_int_equal(r3.status, 0);
    assert_true(dns.queries > asked);

    /* TTL 0 is not cached. */
    res_t z1 = {0}, z2 = {0};
    assert_non_null(httpx__resolve(rv, "zero.test", 80, res_cb, &z1));
    run_until(loop, &z1.done, 5000);
    assert_int_equal(z1.status, 0);
    asked = dns.queries;
    assert_non_null(httpx__resolve(rv, "zero.test", 80, res_cb, &z2));
    run_until(loop, &z2.done, 5000);
    assert_int_equal(z2.status, 0);
    assert_true(dns.queries > asked);

    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolve_ttl_cap_and_no_cache(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *capped = resolver_at(loop, 0.1, dns.port);
    httpx__resolver_t *nocache = resolver_at(loop, -1, dns.port);

    res_t a = {0}, b = {0}, c = {0};
    assert_non_null(httpx__resolve(capped, "cached.test", 80, res_cb, &a));
    run_until(loop, &a.done, 5000);
    int asked = dns.queries;
    run_for(loop, 150); /* past the 100 ms cap, well inside the 300 s TTL */
    assert_non_null(httpx__resolve(capped, "cached.test", 80, res_cb, &b));
    run_until(loop, &b.done, 5000);
    assert_int_equal(b.status, 0);
    assert_true(dns.queries > asked);

    res_t d = {0};
    assert_non_null(httpx__resolve(nocache, "cached.test", 80, res_cb, &c));
    run_until(loop, &c.done, 5000);
    asked = dns.queries;
    assert_non_null(httpx__resolve(nocache, "cached.test", 80, res_cb, &d));
    run_until(loop, &d.done, 5000);
    assert_int_equal(d.status, 0);
    assert_true(dns.queries > asked);

    httpx__resolver_free(capped);
    httpx__resolver_free(nocache);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolve_order(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);
    res_t r = {0};
    assert_non_null(httpx__resolve(rv, "both.test", 443, res_cb, &r));
    run_until(loop, &r.done, 5000);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.n, 3);
    /* RFC 8305: IPv6 first, then alternate. */
    assert_int_equal(r.addrs[0].family, AF_INET6);
    assert_int_equal(r.addrs[1].family, AF_INET);
    assert_int_equal(r.addrs[2].family, AF_INET);
    char ip[64];
    int port;
    addr_str(&r.addrs[0], ip, sizeof ip, &port);
    assert_string_equal(ip, "::1");
    assert_int_equal(port, 443);
    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolve_dead_server(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    res_t r = {0};
    uint64_t t0 = httpx__clock_ms();
    assert_non_null(httpx__resolve(rv, "nosuch.test", 80, res_cb, &r));
    run_until(loop, &r.done, 15000);
    assert_true(r.done);
    assert_true(httpx__clock_ms() - t0 < 10000);
    assert_int_equal(r.status, HTTPX_E_DNS);
    assert_non_null(strstr(r.msg, "nosuch.test"));
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* A server that never answers: c-ares's own timeouts (driven by the resolver's
 * httpx timer) end the lookup, bounded by 2 tries of 2 s (the second doubled). */
static void test_resolve_silent_server(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    dns.silent = true;
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);
    res_t r = {0};
    uint64_t t0 = httpx__clock_ms();
    assert_non_null(httpx__resolve(rv, "quiet.test", 80, res_cb, &r));
    run_until(loop, &r.done, 20000);
    uint64_t took = httpx__clock_ms() - t0;
    print_message("silent server: %s after %llu ms\n", r.msg, (unsigned long long)took);
    assert_true(r.done);
    assert_int_equal(r.status, HTTPX_E_DNS);
    assert_true(took >= 1900 && took < 10000);
    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolve_cancel(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);

    /* Before delivery: a literal, a cache miss going to DNS. */
    res_t lit = {0}, net = {0};
    httpx__resolve_t *q1 = httpx__resolve(rv, "127.0.0.1", 80, res_cb, &lit);
    httpx__resolve_t *q2 = httpx__resolve(rv, "a.test", 80, res_cb, &net);
    assert_non_null(q1);
    assert_non_null(q2);
    httpx__resolve_cancel(q1);
    httpx__resolve_cancel(q2);
    run_for(loop, 200); /* the server answers; nothing is reported */
    assert_true(dns.queries >= 1);
    assert_int_equal(lit.calls, 0);
    assert_int_equal(net.calls, 0);

    /* From inside another query's callback, both ways round, and cancelling
     * oneself from one's own callback is a no-op. */
    res_t x = {0}, y = {0};
    httpx__resolve_t *qx = httpx__resolve(rv, "::1", 80, res_cb, &x);
    httpx__resolve_t *qy = httpx__resolve(rv, "127.0.0.1", 80, res_cb, &y);
    x.cancel_other = qy;
    x.self = qx;
    run_for(loop, 50);
    assert_int_equal(x.calls, 1);
    assert_int_equal(y.calls, 0);

    httpx__resolver_flush(rv);
    res_t a = {0}, b = {0};
    httpx__resolve_t *qa = httpx__resolve(rv, "a.test", 80, res_cb, &a);
    httpx__resolve_t *qb = httpx__resolve(rv, "b.test", 80, res_cb, &b);
    a.cancel_other = qb;
    b.cancel_other = qa;
    run_for(loop, 300);
    assert_int_equal(a.calls + b.calls, 1);

    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_resolver_free_pending(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    dns.silent = true;
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);
    res_t a = {0}, b = {0}, c = {0};
    assert_non_null(httpx__resolve(rv, "a.test", 80, res_cb, &a));
    assert_non_null(httpx__resolve(rv, "127.0.0.1", 80, res_cb, &b));
    run_for(loop, 100); /* the query goes out */
    assert_true(dns.queries >= 1);
    assert_non_null(httpx__resolve(rv, "::1", 80, res_cb, &c));
    httpx__resolver_free(rv); /* pending queries are dropped silently */
    run_for(loop, 50);
    assert_int_equal(a.calls + b.calls + c.calls, 1); /* b was delivered already */

    /* Freeing the resolver from inside a callback, with another query pending. */
    httpx__resolver_t *rv2 = resolver_at(loop, 0, dns.port);
    res_t d = {0}, e = {0};
    assert_non_null(httpx__resolve(rv2, "b.test", 80, res_cb, &e));
    assert_non_null(httpx__resolve(rv2, "127.0.0.1", 80, res_cb, &d));
    d.free_resolver = rv2;
    run_for(loop, 100);
    assert_int_equal(d.calls, 1);
    assert_int_equal(e.calls, 0);

    dns_stop(&dns);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* ---- connect tests -------------------------------------------------------- */

typedef struct conn {
    bool done;
    int calls;
    int status;
    int fd;
    httpx__connect_info_t info;
    char msg[256];
    uint64_t at_ms;
    httpx__connect_t *self; /* cancelled from its own callback: a no-op */
} conn_t;

static void conn_cb(int status, int fd, const httpx__connect_info_t *info, const httpx_error_t *err,
                    void *user)
{
    conn_t *c = user;
    c->done = true;
    c->calls++;
    c->status = status;
    c->fd = fd;
    c->at_ms = httpx__clock_ms();
    if (info)
        c->info = *info;
    if (status != 0) {
        assert_int_equal(fd, -1);
        assert_non_null(err);
        snprintf(c->msg, sizeof c->msg, "%s", err->message);
    }
    if (c->self)
        httpx__connect_cancel(c->self);
}

static void test_connect_ok(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    int port = 0;
    int lfd = listen_on(AF_INET, &port, 16);
    conn_t c = {0};
    c.self = httpx__connect_start(loop, rv, "127.0.0.1", port, conn_cb, &c);
    assert_non_null(c.self);
    assert_false(c.done);
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    assert_true(c.fd >= 0);
    int nodelay = 0;
    socklen_t len = sizeof nodelay;
    assert_int_equal(getsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    assert_true(nodelay);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    assert_string_equal(c.info.peer, want);
    assert_true(c.info.dns_done_ns > 0);
    assert_true(c.info.connected_ns >= c.info.dns_done_ns);
    close(c.fd);
    close(lfd);
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_connect_refused(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    int port = closed_port(AF_INET, SOCK_STREAM);
    conn_t c = {0};
    assert_non_null(httpx__connect_start(loop, rv, "localhost", port, conn_cb, &c));
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, HTTPX_E_REFUSED);
    assert_true(httpx_error_is(c.status, HTTPX_E_CONNECT));
    char want[128];
    snprintf(want, sizeof want, "connect to localhost:%d (127.0.0.1:%d): connection refused", port,
             port);
    /* localhost may also have ::1 elsewhere; here /etc/hosts decides the last one. */
    if (strstr(c.msg, "[::1]") == NULL)
        assert_string_equal(c.msg, want);
    else
        assert_non_null(strstr(c.msg, "connection refused"));

    /* IPv6 literal: the peer is bracketed. */
    conn_t c6 = {0};
    int port6 = closed_port(AF_INET6, SOCK_STREAM);
    assert_non_null(httpx__connect_start(loop, rv, "::1", port6, conn_cb, &c6));
    run_until(loop, &c6.done, 5000);
    assert_int_equal(c6.status, HTTPX_E_REFUSED);
    snprintf(want, sizeof want, "connect to [::1]:%d ([::1]:%d): connection refused", port6, port6);
    assert_string_equal(c6.msg, want);
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_connect_dns_failure(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    conn_t c = {0};
    assert_non_null(httpx__connect_start(loop, rv, "nosuch.test", 80, conn_cb, &c));
    run_until(loop, &c.done, 15000);
    assert_int_equal(c.status, HTTPX_E_DNS);
    assert_non_null(strstr(c.msg, "nosuch.test"));
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* ::1 refuses at once: 127.0.0.1 is tried immediately, not after 250 ms. */
static void test_happy_eyeballs_falls_through(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);
    int port = 0;
    int lfd = listen_on(AF_INET, &port, 16);
    int probe = port; /* make sure nothing listens on [::1]:port */
    int l6 = listen_on(AF_INET6, &probe, 1);
    if (l6 >= 0)
        close(l6);
    else
        skip();
    /* Warm the cache so the timing below measures connecting only. */
    res_t r = {0};
    assert_non_null(httpx__resolve(rv, "both.test", port, res_cb, &r));
    run_until(loop, &r.done, 5000);
    assert_int_equal(r.status, 0);

    conn_t c = {0};
    uint64_t t0 = httpx__clock_ms();
    assert_non_null(httpx__connect_start(loop, rv, "both.test", port, conn_cb, &c));
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    assert_string_equal(c.info.peer, want);
    assert_true(c.at_ms - t0 < HTTPX__HAPPY_EYEBALLS_DELAY_MS);
    close(c.fd);
    close(lfd);
    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* ::1 is a black hole (a full backlog-0 listener drops SYNs): the IPv4 attempt
 * starts after the 250 ms delay and wins; the stalled attempt is closed. */
static void test_happy_eyeballs_delay(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);
    int port = 0;
    int l6 = listen_on(AF_INET6, &port, 0);
    assert_true(l6 >= 0);
    int l4 = listen_on(AF_INET, &port, 16);
    if (l4 < 0) {
        close(l6);
        skip();
    }
    /* Fill the IPv6 backlog. */
    int filler = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback,
                              .sin6_port = htons((uint16_t)port)};
    assert_int_equal(connect(filler, (struct sockaddr *)&s6, sizeof s6), 0);

    res_t r = {0};
    assert_non_null(httpx__resolve(rv, "both.test", port, res_cb, &r));
    run_until(loop, &r.done, 5000);

    int fds_before = count_fds();
    conn_t c = {0};
    uint64_t t0 = httpx__clock_ms();
    assert_non_null(httpx__connect_start(loop, rv, "both.test", port, conn_cb, &c));
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    close(c.fd);
    assert_int_equal(count_fds(), fds_before); /* the stalled IPv6 attempt was closed */
    uint64_t took = c.at_ms - t0;
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    if (strcmp(c.info.peer, want) == 0) {
        print_message("ipv4 won after %llu ms\n", (unsigned long long)took);
        assert_true(took >= HTTPX__HAPPY_EYEBALLS_DELAY_MS - 5);
        assert_true(took < 2000);
    } else {
        /* This kernel accepted beyond the backlog: nothing to time. */
        print_message("black hole unavailable: %s won after %llu ms\n", c.info.peer,
                      (unsigned long long)took);
    }
    close(filler);
    close(l4);
    close(l6);
    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_free(loop), 0);
}

typedef struct canceller {
    httpx__connect_t *c;
    int fds_seen;
} canceller_t;

static void cancel_timer_cb(httpx_timer_t *t, void *user)
{
    canceller_t *k = user;
    (void)t;
    k->fds_seen = count_fds();
    httpx__connect_cancel(k->c);
    k->c = NULL;
}

static void test_connect_cancel_no_leak(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    int port = 0;
    int lfd = listen_on(AF_INET, &port, 16);
    int before = count_fds();

    /* Cancel while resolving. */
    conn_t c1 = {0};
    httpx__connect_t *h = httpx__connect_start(loop, rv, "127.0.0.1", port, conn_cb, &c1);
    assert_non_null(h);
    httpx__connect_cancel(h);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c1.calls, 0);
    assert_int_equal(count_fds(), before);

    /* Cancel with the socket open and connecting: the resolver's 0 ms delivery
     * timer runs first (FIFO), starting the attempt; ours then cancels. */
    conn_t c2 = {0};
    canceller_t k = {0};
    k.c = httpx__connect_start(loop, rv, "127.0.0.1", port, conn_cb, &c2);
    assert_non_null(k.c);
    httpx_timer_t t;
    httpx__timer_init(&t, loop, cancel_timer_cb, &k);
    assert_int_equal(httpx_timer_start(&t, 0), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(c2.calls, 0);
    assert_true(k.fds_seen > before); /* an attempt really was open */
    assert_int_equal(count_fds(), before);
    httpx__timer_release(&t);

    close(lfd);
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* ---- connect options: unix sockets, local address, socket options --------- */

/* A fresh private directory for socket files; removed by rm_tmpdir. */
static void make_tmpdir(char *dir, size_t n)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, n, "%s/httpx-net-XXXXXX", base && *base && strlen(base) < 60 ? base : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void rm_tmpdir(const char *dir, const char *file)
{
    char p[256];
    if (file) {
        snprintf(p, sizeof p, "%s/%s", dir, file);
        unlink(p);
    }
    rmdir(dir);
}

/* Listen on a unix socket: a path, or "@name" for the abstract namespace. */
static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un su;
    memset(&su, 0, sizeof su);
    su.sun_family = AF_UNIX;
    size_t n = strlen(path);
    assert_true(n < sizeof su.sun_path);
    memcpy(su.sun_path, path, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    if (path[0] == '@') {
        su.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&su, len), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

/* One byte each way over an accepted pair proves the two ends are joined. */
static void check_joined(int lfd, int cfd, struct sockaddr_storage *peer, socklen_t *peer_len)
{
    struct sockaddr_storage tmp;
    socklen_t tl = sizeof tmp;
    int afd = accept(lfd, (struct sockaddr *)(peer ? peer : &tmp), peer_len ? peer_len : &tl);
    assert_true(afd >= 0);
    assert_int_equal(send(cfd, "x", 1, MSG_NOSIGNAL), 1);
    char ch = 0;
    assert_int_equal(recv(afd, &ch, 1, 0), 1);
    assert_int_equal(ch, 'x');
    close(afd);
}

static void test_connect_uds_ok(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    char dir[128], path[192];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.sock", dir);
    int lfd = listen_unix(path);
    httpx__connect_opts_t o = {.uds_path = path};
    conn_t c = {0};
    /* No resolver and no host are needed. */
    c.self = httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &c);
    assert_non_null(c.self);
    assert_false(c.done); /* never synchronous */
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    assert_int_equal(c.calls, 1);
    char want[256];
    snprintf(want, sizeof want, "unix:%s", path);
    want[sizeof c.info.peer - 1] = '\0';
    assert_string_equal(c.info.peer, want);
    assert_int_equal(c.info.dns_done_ns, 0);
    assert_true(c.info.connected_ns > 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getsockname(c.fd, (struct sockaddr *)&ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_UNIX);
    int fl = fcntl(c.fd, F_GETFL);
    assert_true(fl & O_NONBLOCK);
    assert_true(fcntl(c.fd, F_GETFD) & FD_CLOEXEC);
    check_joined(lfd, c.fd, NULL, NULL);
    close(c.fd);
    close(lfd);
    rm_tmpdir(dir, "s.sock");
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_connect_uds_errors(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    char dir[128], path[192], want[320];
    make_tmpdir(dir, sizeof dir);
    int before = count_fds();

    /* No such file. */
    snprintf(path, sizeof path, "%s/missing.sock", dir);
    httpx__connect_opts_t o = {.uds_path = path};
    conn_t c = {0};
    assert_non_null(httpx__connect_start_opts(loop, NULL, "localhost", 80, &o, conn_cb, &c));
    assert_false(c.done);
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, HTTPX_E_CONNECT);
    snprintf(want, sizeof want, "connect to unix:%s: no such file or directory", path);
    assert_string_equal(c.msg, want);

    /* The file exists but nobody listens: refused. */
    snprintf(path, sizeof path, "%s/dead.sock", dir);
    close(listen_unix(path));
    conn_t r = {0};
    o.uds_path = path;
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &r));
    run_until(loop, &r.done, 5000);
    assert_int_equal(r.status, HTTPX_E_REFUSED);
    snprintf(want, sizeof want, "connect to unix:%s: connection refused", path);
    assert_string_equal(r.msg, want);

    /* Longer than sun_path. */
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    conn_t l = {0};
    o.uds_path = longp;
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &l));
    assert_false(l.done);
    run_until(loop, &l.done, 5000);
    assert_int_equal(l.status, HTTPX_E_CONNECT);
    assert_non_null(strstr(l.msg, "path too long"));
    assert_non_null(strstr(l.msg, "unix:/aaa"));

    /* A local address makes no sense for a unix socket. */
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(httpx__sockaddr_parse("127.0.0.1", &ss, &sl), 0);
    o.uds_path = path;
    o.local = (struct sockaddr *)&ss;
    o.local_len = sl;
    conn_t m = {0};
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &m));
    run_until(loop, &m.done, 5000);
    assert_int_equal(m.status, HTTPX_E_CONNECT);
    assert_non_null(strstr(m.msg, "local address"));

    /* Cancelled before its 0 ms start: nothing is called, nothing is left. */
    conn_t k = {0};
    o.local = NULL;
    o.local_len = 0;
    httpx__connect_t *h = httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &k);
    assert_non_null(h);
    httpx__connect_cancel(h);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(k.calls, 0);
    assert_int_equal(count_fds(), before);

    /* Argument checks: TCP still needs a host and a resolver. */
    assert_null(httpx__connect_start_opts(loop, NULL, "127.0.0.1", 80, NULL, conn_cb, &k));
    assert_null(httpx__connect_start_opts(NULL, NULL, NULL, 0, &o, conn_cb, &k));

    unlink(path);
    rm_tmpdir(dir, NULL);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_connect_uds_abstract(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    char name[96];
    snprintf(name, sizeof name, "@httpx-net-test-%ld-%lld", (long)getpid(),
             (long long)httpx__clock_ns());
    int lfd = listen_unix(name);
    httpx__connect_opts_t o = {.uds_path = name};
    conn_t c = {0};
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &c));
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    char want[128];
    snprintf(want, sizeof want, "unix:%s", name);
    want[sizeof c.info.peer - 1] = '\0';
    assert_string_equal(c.info.peer, want);
    check_joined(lfd, c.fd, NULL, NULL);
    close(c.fd);
    close(lfd);

    /* The same name, nobody listening now. */
    conn_t r = {0};
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &r));
    run_until(loop, &r.done, 5000);
    assert_int_equal(r.status, HTTPX_E_REFUSED);
    char msg[160];
    snprintf(msg, sizeof msg, "connect to unix:%s: connection refused", name);
    assert_string_equal(r.msg, msg);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* A unix listener with a full backlog answers EAGAIN (nothing is in progress): the
 * connect is retried until the listener accepts. */
static void test_connect_uds_backlog_full(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    char dir[128], path[192];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/full.sock", dir);
    int lfd = listen_unix(path);
    assert_int_equal(listen(lfd, 0), 0);
    struct sockaddr_un su;
    memset(&su, 0, sizeof su);
    su.sun_family = AF_UNIX;
    memcpy(su.sun_path, path, strlen(path) + 1);
    int fill[32], nfill = 0;
    bool full = false;
    while (nfill < 32) {
        int f = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(f >= 0);
        if (connect(f, (struct sockaddr *)&su, sizeof su) != 0) {
            assert_int_equal(errno, EAGAIN);
            close(f);
            full = true;
            break;
        }
        fill[nfill++] = f;
    }
    assert_true(full);
    httpx__connect_opts_t o = {.uds_path = path};
    conn_t c = {0};
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &o, conn_cb, &c));
    run_for(loop, 100);
    assert_false(c.done); /* still retrying */
    for (int i = 0; i < nfill; i++) {
        int a = accept(lfd, NULL, NULL);
        assert_true(a >= 0);
        close(a);
        close(fill[i]);
    }
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    check_joined(lfd, c.fd, NULL, NULL);
    close(c.fd);
    close(lfd);
    rm_tmpdir(dir, "full.sock");
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static int sa_port(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                                           : ((const struct sockaddr_in *)ss)->sin_port);
}

static void sa_ip(const struct sockaddr_storage *ss, char *buf, size_t n)
{
    if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, (socklen_t)n);
    else
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, (socklen_t)n);
}

static void test_connect_local_address(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    int port = 0;
    int lfd = listen_on(AF_INET, &port, 16);
    char ip[64];

    /* 127.0.0.2 (all of 127/8 is local on Linux): the server sees that source. */
    struct sockaddr_storage local, peer;
    socklen_t local_len, peer_len = sizeof peer;
    assert_int_equal(httpx__sockaddr_parse("127.0.0.2", &local, &local_len), 0);
    httpx__connect_opts_t o = {.local = (struct sockaddr *)&local, .local_len = local_len};
    conn_t c = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "127.0.0.1", port, &o, conn_cb, &c));
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    check_joined(lfd, c.fd, &peer, &peer_len);
    sa_ip(&peer, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.2");
    int nodelay = 0;
    socklen_t nl = sizeof nodelay;
    assert_int_equal(getsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nl), 0);
    assert_true(nodelay);
    close(c.fd);

    /* 127.0.0.1 with a fixed source port: getsockname on the accepted side's peer. */
    int sport = closed_port(AF_INET, SOCK_STREAM);
    char text[64];
    snprintf(text, sizeof text, "127.0.0.1:%d", sport);
    assert_int_equal(httpx__sockaddr_parse(text, &local, &local_len), 0);
    conn_t c2 = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "127.0.0.1", port, &o, conn_cb, &c2));
    run_until(loop, &c2.done, 5000);
    assert_int_equal(c2.status, 0);
    struct sockaddr_storage mine;
    socklen_t ml = sizeof mine;
    assert_int_equal(getsockname(c2.fd, (struct sockaddr *)&mine, &ml), 0);
    assert_int_equal(sa_port(&mine), sport);
    peer_len = sizeof peer;
    check_joined(lfd, c2.fd, &peer, &peer_len);
    sa_ip(&peer, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.1");
    assert_int_equal(sa_port(&peer), sport);
    close(c2.fd);

    /* An address this host does not have: bind fails, named in the message. */
    assert_int_equal(httpx__sockaddr_parse("192.0.2.1", &local, &local_len), 0);
    conn_t b = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "127.0.0.1", port, &o, conn_cb, &b));
    run_until(loop, &b.done, 5000);
    assert_int_equal(b.status, HTTPX_E_CONNECT);
    char want[200];
    snprintf(want, sizeof want,
             "connect to 127.0.0.1:%d (127.0.0.1:%d): bind to 192.0.2.1: cannot assign requested "
             "address",
             port, port);
    assert_string_equal(b.msg, want);

    close(lfd);
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* A local address forces the family: AAAA answers are skipped for an IPv4 source,
 * and a host with no address of that family is a clear error. */
static void test_connect_local_family(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    dns_srv_t dns;
    dns_start(&dns, loop);
    httpx__resolver_t *rv = resolver_at(loop, 0, dns.port);
    struct sockaddr_storage local;
    socklen_t local_len;
    httpx__connect_opts_t o = {.local = (struct sockaddr *)&local};

    /* IPv6 literal, IPv4 source. */
    assert_int_equal(httpx__sockaddr_parse("127.0.0.1", &local, &local_len), 0);
    o.local_len = local_len;
    conn_t m = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "::1", 80, &o, conn_cb, &m));
    run_until(loop, &m.done, 5000);
    assert_int_equal(m.status, HTTPX_E_CONNECT);
    assert_string_equal(m.msg, "connect to [::1]:80: no IPv4 address to use with local address "
                               "127.0.0.1 (1 address of the other family)");

    /* IPv4 literal, IPv6 source. */
    assert_int_equal(httpx__sockaddr_parse("[::1]:0", &local, &local_len), 0);
    o.local_len = local_len;
    conn_t m6 = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "127.0.0.1", 80, &o, conn_cb, &m6));
    run_until(loop, &m6.done, 5000);
    assert_int_equal(m6.status, HTTPX_E_CONNECT);
    assert_non_null(strstr(m6.msg, "no IPv6 address to use with local address ::1"));

    /* both.test is ::1, 127.0.0.1, 127.0.0.2 and both families listen: without a
     * local address IPv6 wins; with an IPv4 one it is never tried. */
    int port = 0;
    int l6 = listen_on(AF_INET6, &port, 16);
    if (l6 < 0)
        skip();
    int l4 = listen_on(AF_INET, &port, 16);
    if (l4 < 0) {
        close(l6);
        skip();
    }
    conn_t plain = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "both.test", port, NULL, conn_cb, &plain));
    run_until(loop, &plain.done, 5000);
    assert_int_equal(plain.status, 0);
    char want[64];
    snprintf(want, sizeof want, "[::1]:%d", port);
    assert_string_equal(plain.info.peer, want);
    close(plain.fd);

    assert_int_equal(httpx__sockaddr_parse("127.0.0.1", &local, &local_len), 0);
    o.local_len = local_len;
    conn_t v4 = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "both.test", port, &o, conn_cb, &v4));
    run_until(loop, &v4.done, 5000);
    assert_int_equal(v4.status, 0);
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    assert_string_equal(v4.info.peer, want);
    close(v4.fd);

    close(l4);
    close(l6);
    httpx__resolver_free(rv);
    dns_stop(&dns);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_connect_sockopts(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__resolver_t *rv = resolver_at(loop, 0, closed_port(AF_INET, SOCK_DGRAM));
    int port = 0;
    int lfd = listen_on(AF_INET, &port, 16);

    /* SO_RCVBUF set before connect (so it shapes the window); TCP_NODELAY=0 given
     * by the caller replaces the default. */
    const httpx__sockopt_t so[] = {
        {SOL_SOCKET, SO_RCVBUF, 32768},
        {IPPROTO_TCP, TCP_NODELAY, 0},
    };
    httpx__connect_opts_t o = {.sockopts = so, .nsockopts = 2};
    conn_t c = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "127.0.0.1", port, &o, conn_cb, &c));
    run_until(loop, &c.done, 5000);
    assert_int_equal(c.status, 0);
    int v = 0;
    socklen_t vl = sizeof v;
    assert_int_equal(getsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &v, &vl), 0);
    print_message("SO_RCVBUF 32768 reads back %d\n", v);
    assert_true(v == 32768 || v == 2 * 32768); /* Linux doubles it for bookkeeping */
    assert_int_equal(getsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
    assert_int_equal(v, 0);
    check_joined(lfd, c.fd, NULL, NULL);
    close(c.fd);

    /* Also on a unix socket. */
    char dir[128], path[192];
    make_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/o.sock", dir);
    int ufd = listen_unix(path);
    const httpx__sockopt_t so2[] = {{SOL_SOCKET, SO_SNDBUF, 65536}};
    httpx__connect_opts_t ou = {.uds_path = path, .sockopts = so2, .nsockopts = 1};
    conn_t u = {0};
    assert_non_null(httpx__connect_start_opts(loop, NULL, NULL, 0, &ou, conn_cb, &u));
    run_until(loop, &u.done, 5000);
    assert_int_equal(u.status, 0);
    vl = sizeof v;
    assert_int_equal(getsockopt(u.fd, SOL_SOCKET, SO_SNDBUF, &v, &vl), 0);
    assert_true(v == 65536 || v == 2 * 65536);
    close(u.fd);
    close(ufd);
    rm_tmpdir(dir, "o.sock");

    /* An option the kernel refuses fails the attempt, and says which. */
    const httpx__sockopt_t bad[] = {{SOL_SOCKET, 31337, 1}};
    httpx__connect_opts_t ob = {.sockopts = bad, .nsockopts = 1};
    conn_t b = {0};
    assert_non_null(httpx__connect_start_opts(loop, rv, "127.0.0.1", port, &ob, conn_cb, &b));
    run_until(loop, &b.done, 5000);
    assert_int_equal(b.status, HTTPX_E_CONNECT);
    char want[64];
    snprintf(want, sizeof want, "set socket option %d/31337=1: ", SOL_SOCKET);
    assert_non_null(strstr(b.msg, want));

    close(lfd);
    httpx__resolver_free(rv);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_sockaddr_parse(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char ip[64];
    assert_int_equal(httpx__sockaddr_parse("127.0.0.1", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    sa_ip(&ss, ip, sizeof ip);
    assert_string_equal(ip, "127.0.0.1");
    assert_int_equal(sa_port(&ss), 0);

    assert_int_equal(httpx__sockaddr_parse("10.1.2.3:8080", &ss, &len), 0);
    sa_ip(&ss, ip, sizeof ip);
    assert_string_equal(ip, "10.1.2.3");
    assert_int_equal(sa_port(&ss), 8080);

    assert_int_equal(httpx__sockaddr_parse("::1", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    sa_ip(&ss, ip, sizeof ip);
    assert_string_equal(ip, "::1");
    assert_int_equal(sa_port(&ss), 0);

    assert_int_equal(httpx__sockaddr_parse("[::1]:0", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(sa_port(&ss), 0);
    assert_int_equal(httpx__sockaddr_parse("[2001:db8::5]:65535", &ss, &len), 0);
    sa_ip(&ss, ip, sizeof ip);
    assert_string_equal(ip, "2001:db8::5");
    assert_int_equal(sa_port(&ss), 65535);
    assert_int_equal(httpx__sockaddr_parse("[::1]", &ss, &len), 0);
    assert_int_equal(httpx__sockaddr_parse("fe80::1%1", &ss, &len), 0);
    assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_scope_id, 1);
    assert_int_equal(httpx__sockaddr_parse("[fe80::1%lo]:80", &ss, &len), 0);
    assert_true(((struct sockaddr_in6 *)&ss)->sin6_scope_id > 0);

    const char *bad[] = {"", "localhost", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                         "127.0.0.1:8x", "256.0.0.1", "[127.0.0.1]", "[::1", "[::1]x",
                         "[::1]:", "::1:80x", "1.2.3", "fe80::1%", "fe80::1%nosuchif0",
                         "[::1]:99999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (httpx__sockaddr_parse(bad[i], &ss, &len) != HTTPX_E_INVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(httpx__sockaddr_parse(NULL, &ss, &len), HTTPX_E_INVAL);
    assert_int_equal(httpx__sockaddr_parse("::1", NULL, &len), HTTPX_E_INVAL);
}

/* A write to a socket whose peer is gone gives EPIPE: with writev the default
 * SIGPIPE action would end this test process here. */
static void test_sock_writev_no_sigpipe(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct iovec iov[2] = {{.iov_base = "GET / HTTP/1.1\r\n", .iov_len = 16}, {.iov_base = "\r\n", .iov_len = 2}};
    assert_int_equal(httpx__sock_writev(sv[0], iov, 2), 18);
    char got[32];
    assert_int_equal(read(sv[1], got, sizeof got), 18);
    assert_memory_equal(got, "GET / HTTP/1.1\r\n\r\n", 18);
    close(sv[1]);
    errno = 0;
    assert_int_equal(httpx__sock_writev(sv[0], iov, 2), -1);
    assert_int_equal(errno, EPIPE);
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_localhost),
        cmocka_unit_test(test_resolve_literals),
        cmocka_unit_test(test_resolve_cache),
        cmocka_unit_test(test_resolve_ttl_cap_and_no_cache),
        cmocka_unit_test(test_resolve_order),
        cmocka_unit_test(test_resolve_dead_server),
        cmocka_unit_test(test_resolve_silent_server),
        cmocka_unit_test(test_resolve_cancel),
        cmocka_unit_test(test_resolver_free_pending),
        cmocka_unit_test(test_connect_ok),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_dns_failure),
        cmocka_unit_test(test_happy_eyeballs_falls_through),
        cmocka_unit_test(test_happy_eyeballs_delay),
        cmocka_unit_test(test_connect_cancel_no_leak),
        cmocka_unit_test(test_connect_uds_ok),
        cmocka_unit_test(test_connect_uds_errors),
        cmocka_unit_test(test_connect_uds_abstract),
        cmocka_unit_test(test_connect_uds_backlog_full),
        cmocka_unit_test(test_connect_local_address),
        cmocka_unit_test(test_connect_local_family),
        cmocka_unit_test(test_connect_sockopts),
        cmocka_unit_test(test_sockaddr_parse),
        cmocka_unit_test(test_sock_writev_no_sigpipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
