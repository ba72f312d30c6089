/* net/connect.c — resolve, then Happy Eyeballs (RFC 8305 §5) over the ordered
 * addresses: one non-blocking connect at a time is started, the next one 250 ms
 * later or as soon as an attempt fails; the first socket to connect wins and every
 * other attempt is closed. The callback always comes from a loop callback (the
 * resolver never reports synchronously), and never after cancel.
 *
 * With options: a Unix domain socket target is one "address" (AF_UNIX) in the same
 * machinery, started from a 0 ms timer instead of the resolver's answer; a local
 * address filters the resolved list to its family and is bound on every attempt;
 * socket options are set on every attempt before bind and connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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
    char last_op[96];     /* "": connect failed; else what did ("bind to 10.0.0.1") */
    uint64_t dns_done_ns;
    bool done;            /* the callback is running: cancel is a no-op */

    /* Options (httpx__connect_start_opts), copied. */
    char *uds;                     /* unix socket path, or NULL for TCP */
    struct sockaddr_storage local; /* source address when local_len > 0 */
    socklen_t local_len;
    httpx__sockopt_t *sockopts;
    size_t nsockopts;
    bool user_nodelay;             /* sockopts set TCP_NODELAY: keep theirs */
    unsigned uds_busy;             /* EAGAIN retries (listen backlog full) */
    httpx_error_t setup_err;       /* reported from the 0 ms timer when code != 0 */
};

#define CN_UDS_RETRY_MS 10

/* "unix:/path" or "unix:@abstract". */
static void cn_format_uds(const char *path, char *buf, size_t n)
{
    snprintf(buf, n, "unix:%s", path);
}

static void cn_format_sa(const struct sockaddr_storage *ss, char *buf, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        if (s6->sin6_port)
            snprintf(buf, n, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
        else
            snprintf(buf, n, "%s", ip);
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        if (s4->sin_port)
            snprintf(buf, n, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
        else
            snprintf(buf, n, "%s", ip);
    } else {
        snprintf(buf, n, "(address family %d)", (int)ss->ss_family);
    }
}

static const char *cn_family_name(int fam)
{
    return fam == AF_INET ? "IPv4" : fam == AF_INET6 ? "IPv6" : fam == AF_UNIX ? "unix" : "other";
}

static void cn_format_peer(const httpx__addr_t *a, char *buf, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    if (a->family == AF_UNIX) {
        const struct sockaddr_un *su = (const struct sockaddr_un *)&a->sa;
        size_t plen = a->len - offsetof(struct sockaddr_un, sun_path);
        /* Abstract names start with NUL (shown as '@') and are not NUL-terminated. */
        if (plen > 0 && su->sun_path[0] == '\0')
            snprintf(buf, n, "unix:@%.*s", (int)(plen - 1), su->sun_path + 1);
        else
            snprintf(buf, n, "unix:%.*s", (int)strnlen(su->sun_path, plen), su->sun_path);
        return;
    }
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
    httpx__free(a, c->uds);
    httpx__free(a, c->sockopts);
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
    char op[160] = "";
    if (c->last_op[0] && c->n) {
        /* "bind to 127.0.0.1: ", "set socket option 1/8: " */
        snprintf(op, sizeof op, "%s: ", c->last_op);
    }
    int code = httpx__err_from_errno(e, HTTPX_PHASE_CONNECT);
    if (c->uds) {
        char where[128];
        cn_format_uds(c->uds, where, sizeof where);
        httpx__err(&err, code, HTTPX_PHASE_CONNECT, "connect to %s: %s%s", where, op, why);
    } else {
        if (c->n)
            cn_format_peer(&c->addrs[c->last_addr], peer, sizeof peer);
        bool v6 = strchr(c->host, ':') != NULL; /* bracket an IPv6 literal before ":port" */
        httpx__err(&err, code, HTTPX_PHASE_CONNECT, "connect to %s%s%s:%d (%s): %s%s",
                   v6 ? "[" : "", c->host, v6 ? "]" : "", c->port, peer, op, why);
    }
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
    if (!c->uds && !c->user_nodelay)
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
    c->last_op[0] = '\0';
    cn_close_attempt(t);
    /* A failure starts the next address at once (RFC 8305 §5). */
    cn_start_next(c);
}

static void cn_delay_cb(httpx_timer_t *tm, void *user)
{
    httpx__connect_t *c = user;
    (void)tm;
    if (c->setup_err.code) {
        /* An option error found in start, reported from the loop. */
        httpx_error_t e = c->setup_err;
        httpx__connect_info_t info;
        memset(&info, 0, sizeof info);
        cn_finish(c, e.code, -1, &e, &info);
        return;
    }
    cn_start_next(c);
}

/* Socket options, then the local address. 0, or -1 with last_errno/last_op set. */
static int cn_prepare(httpx__connect_t *c, int fd, size_t i)
{
    for (size_t k = 0; k < c->nsockopts; k++) {
        const httpx__sockopt_t *o = &c->sockopts[k];
        if (setsockopt(fd, o->level, o->name, &o->value, sizeof o->value) != 0) {
            c->last_errno = errno;
            c->last_addr = i;
            snprintf(c->last_op, sizeof c->last_op, "set socket option %d/%d=%d", o->level,
                     o->name, o->value);
            return -1;
        }
    }
    if (c->local_len) {
#ifdef IP_BIND_ADDRESS_NO_PORT
        /* Port 0: let connect pick the port, so the 4-tuple, not the local port
         * alone, has to be unique (no ephemeral port exhaustion from binding). */
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&c->local;
        if (s4->sin_port == 0) { /* same offset in sockaddr_in6 */
            int one = 1;
            (void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        }
#endif
        if (bind(fd, (const struct sockaddr *)&c->local, c->local_len) != 0) {
            c->last_errno = errno;
            c->last_addr = i;
            char where[64];
            cn_format_sa(&c->local, where, sizeof where);
            snprintf(c->last_op, sizeof c->last_op, "bind to %s", where);
            return -1;
        }
    }
    return 0;
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
        t->fd = socket(ad->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       ad->family == AF_UNIX ? 0 : IPPROTO_TCP);
        if (t->fd < 0) {
            c->last_errno = errno;
            c->last_addr = i;
            c->last_op[0] = '\0';
            continue;
        }
        c->running++;
        if (cn_prepare(c, t->fd, i) != 0) {
            close(t->fd);
            t->fd = -1;
            c->running--;
            continue;
        }
        int rc = connect(t->fd, (const struct sockaddr *)&ad->sa, ad->len);
        if (rc < 0 && errno == EAGAIN && ad->family == AF_UNIX) {
            /* A unix listener's backlog is full: nothing is in progress, so try
             * again a little later (the caller's connect timeout bounds this). */
            close(t->fd);
            t->fd = -1;
            c->running--;
            c->next = i;
            c->uds_busy++;
            (void)httpx_timer_start(&c->delay, CN_UDS_RETRY_MS);
            return;
        }
        if (rc < 0 && errno != EINPROGRESS) {
            c->last_errno = errno;
            c->last_addr = i;
            c->last_op[0] = '\0';
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
            c->last_op[0] = '\0';
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
    /* A local address forces its family: keep only those addresses, in order. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!c->local_len || addrs[i].family == c->local.ss_family)
            c->addrs[kept++] = addrs[i];
    if (kept == 0) {
        httpx_error_t e;
        char where[64];
        cn_format_sa(&c->local, where, sizeof where);
        bool v6 = strchr(c->host, ':') != NULL;
        httpx__err(&e, HTTPX_E_CONNECT, HTTPX_PHASE_CONNECT,
                   "connect to %s%s%s:%d: no %s address to use with local address %s "
                   "(%zu address%s of the other family)",
                   v6 ? "[" : "", c->host, v6 ? "]" : "", c->port,
                   cn_family_name(c->local.ss_family), where, n, n == 1 ? "" : "es");
        httpx__connect_info_t info;
        memset(&info, 0, sizeof info);
        info.dns_done_ns = c->dns_done_ns;
        cn_finish(c, HTTPX_E_CONNECT, -1, &e, &info);
        return;
    }
    c->n = kept;
    for (size_t i = 0; i < kept; i++)
        c->att[i].fd = -1;
    cn_start_next(c);
}

/* Fill addrs[0] with the unix socket address of `path`; "@name" is abstract.
 * 0, or -1 when the path does not fit (or is empty). */
static int cn_uds_addr(const char *path, httpx__addr_t *ad)
{
    struct sockaddr_un *su = (struct sockaddr_un *)&ad->sa;
    size_t plen = strlen(path);
    memset(ad, 0, sizeof *ad);
    su->sun_family = AF_UNIX;
    ad->family = AF_UNIX;
    if (plen == 0)
        return -1;
    if (path[0] == '@') {
        /* Abstract: a NUL, then the name's bytes; the length says where it ends. */
        if (plen > sizeof su->sun_path)
            return -1;
        memcpy(su->sun_path + 1, path + 1, plen - 1);
        ad->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    } else {
        if (plen >= sizeof su->sun_path)
            return -1;
        memcpy(su->sun_path, path, plen + 1);
        ad->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    }
    return 0;
}

/* Copy and check the options. 0; -1 out of memory; or 0 with c->setup_err set
 * (an option error to report from the loop). */
static int cn_apply_opts(httpx__connect_t *c, const httpx__connect_opts_t *o)
{
    const httpx_allocator_t *a = c->a;
    if (o->nsockopts && o->sockopts) {
        c->sockopts = httpx__malloc(a, o->nsockopts * sizeof *c->sockopts);
        if (!c->sockopts)
            return -1;
        memcpy(c->sockopts, o->sockopts, o->nsockopts * sizeof *c->sockopts);
        c->nsockopts = o->nsockopts;
        for (size_t i = 0; i < c->nsockopts; i++)
            if (c->sockopts[i].level == IPPROTO_TCP && c->sockopts[i].name == TCP_NODELAY)
                c->user_nodelay = true;
    }
    if (o->uds_path) {
        c->uds = httpx__strdup(a, o->uds_path);
        if (!c->uds)
            return -1;
        char where[128];
        cn_format_uds(c->uds, where, sizeof where);
        c->addrs = httpx__calloc(a, sizeof *c->addrs);
        c->att = httpx__calloc(a, sizeof *c->att);
        if (!c->addrs || !c->att)
            return -1;
        c->att[0].fd = -1;
        if (o->local && o->local_len) {
            httpx__err(&c->setup_err, HTTPX_E_CONNECT, HTTPX_PHASE_CONNECT,
                       "connect to %s: a local address cannot be used with a unix socket",
                       where);
            return 0;
        }
        if (cn_uds_addr(c->uds, &c->addrs[0]) != 0) {
            httpx__err(&c->setup_err, HTTPX_E_CONNECT, HTTPX_PHASE_CONNECT,
                       "connect to %s: %s", where,
                       c->uds[0] ? "path too long for a unix socket (at most 107 bytes)"
                                 : "empty unix socket path");
            return 0;
        }
        c->n = 1;
        return 0;
    }
    if (o->local && o->local_len) {
        if (o->local_len > sizeof c->local ||
            (o->local->sa_family != AF_INET && o->local->sa_family != AF_INET6)) {
            bool v6 = c->host && strchr(c->host, ':') != NULL;
            httpx__err(&c->setup_err, HTTPX_E_CONNECT, HTTPX_PHASE_CONNECT,
                       "connect to %s%s%s:%d: local address of unsupported family %d",
                       v6 ? "[" : "", c->host ? c->host : "", v6 ? "]" : "", c->port,
                       (int)o->local->sa_family);
            return 0;
        }
        memcpy(&c->local, o->local, o->local_len);
        c->local_len = o->local_len;
    }
    return 0;
}

httpx__connect_t *httpx__connect_start_opts(httpx_loop_t *loop, httpx__resolver_t *resolver,
                                            const char *host, int port,
                                            const httpx__connect_opts_t *opts,
                                            httpx__connect_cb cb, void *user)
{
    bool uds = opts && opts->uds_path;
    if (!loop || !cb || (!uds && (!resolver || !host)))
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
    httpx__timer_init(&c->delay, loop, cn_delay_cb, c);
    c->host = httpx__strdup(a, host ? host : "");
    if (!c->host || (opts && cn_apply_opts(c, opts) != 0)) {
        cn_free(c);
        return NULL;
    }
    if (uds || c->setup_err.code) {
        /* No resolver: start (or report) from the loop, never from here. */
        if (httpx_timer_start(&c->delay, 0) != 0) {
            httpx__timer_release(&c->delay);
            cn_free(c);
            return NULL;
        }
        return c;
    }
    c->rq = httpx__resolve(resolver, host, port, cn_resolved, c);
    if (!c->rq) {
        cn_free(c);
        return NULL;
    }
    return c;
}

httpx__connect_t *httpx__connect_start(httpx_loop_t *loop, httpx__resolver_t *resolver,
                                       const char *host, int port,
                                       httpx__connect_cb cb, void *user)
{
    return httpx__connect_start_opts(loop, resolver, host, port, NULL, cb, user);
}

/* The port after "host:" text; 0..65535 digits only. -1 if bad. */
static int cn_parse_port(const char *p)
{
    if (!*p)
        return -1;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
        if (v > 65535)
            return -1;
    }
    return (int)v;
}

int httpx__sockaddr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    if (!text || !ss || !len)
        return HTTPX_E_INVAL;
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 8];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf)
        return HTTPX_E_INVAL;
    memcpy(buf, text, n + 1);
    char *host = buf;
    int port = 0;
    bool bracket = false;
    if (buf[0] == '[') {
        char *end = strchr(buf, ']');
        if (!end)
            return HTTPX_E_INVAL;
        *end = '\0';
        host = buf + 1;
        bracket = true;
        if (end[1] == ':') {
            if ((port = cn_parse_port(end + 2)) < 0)
                return HTTPX_E_INVAL;
        } else if (end[1] != '\0') {
            return HTTPX_E_INVAL;
        }
    } else {
        char *colon = strchr(buf, ':');
        if (colon && strchr(colon + 1, ':') == NULL) {
            /* exactly one ':': IPv4 with a port */
            *colon = '\0';
            if ((port = cn_parse_port(colon + 1)) < 0)
                return HTTPX_E_INVAL;
        }
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    if (!bracket && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *len = sizeof *s4;
        return 0;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    char *pct = strchr(host, '%');
    if (pct) {
        *pct = '\0';
        const char *scope = pct + 1;
        if (!*scope)
            return HTTPX_E_INVAL;
        int num = cn_parse_port(scope); /* digits; the bound does not matter much */
        unsigned idx = num >= 0 ? (unsigned)num : if_nametoindex(scope);
        if (idx == 0)
            return HTTPX_E_INVAL;
        s6->sin6_scope_id = idx;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
        memset(ss, 0, sizeof *ss);
        return HTTPX_E_INVAL;
    }
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *len = sizeof *s6;
    return 0;
}

void httpx__connect_cancel(httpx__connect_t *c)
{
    if (!c || c->done)
        return;
    cn_teardown(c);
    cn_free(c);
}
