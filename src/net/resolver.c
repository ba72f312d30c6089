/* net/resolver.c — asynchronous DNS on c-ares 1.18, driven by an httpx loop.
 *
 * c-ares tells us which sockets to watch (ARES_OPT_SOCK_STATE_CB); each gets an
 * httpx_io, and ares_timeout() drives one httpx timer. Every result, whatever its
 * source (c-ares, the cache, an IP literal, an early error), is stored in the query
 * and delivered from a 0 ms timer. So user code never runs inside c-ares (a user may
 * free the resolver from its callback), and nothing is ever reported synchronously.
 *
 * c-ares has no per-query cancel: a query cancelled while c-ares still owns it is
 * marked and freed silently when c-ares reports back.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "loop/loop.h"
#include "net/resolver.h"
#include "core/banned.h"

#define RES_DEFAULT_TTL_MS 60000u
#define RES_CACHE_MAX 256
#define RES_ARES_TIMEOUT_MS 2000
#define RES_ARES_TRIES 2
#define RES_HOST_MAX 253
#define RES_PARKED_MS (UINT64_C(1) << 40) /* "never": a delivery timer holding its slot */

typedef struct res_sock {
    struct res_sock *next;
    httpx__resolver_t *r;
    int fd;
    httpx_io_t io;
} res_sock_t;

typedef struct res_cache {
    struct res_cache *next;
    char *host;
    uint64_t expires; /* loop ms */
    size_t n;
    httpx__addr_t addrs[]; /* ports are 0; filled per query */
} res_cache_t;

enum { Q_ARES, Q_READY, Q_DELIVERING };

struct httpx__resolve {
    httpx__resolve_t *prev, *next; /* in r->queries while the user may still cancel */
    httpx__resolver_t *r;
    const httpx_allocator_t *a;
    char *host;
    int port;
    httpx__resolve_cb cb;
    void *user;
    int state;
    bool cancelled; /* cancelled while c-ares owns it */
    httpx_timer_t timer;
    int status;
    httpx_error_t err;
    httpx__addr_t *addrs;
    size_t n;
};

struct httpx__resolver {
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    ares_channel ch;
    httpx_timer_t timer; /* c-ares timeouts */
    res_sock_t *socks;
    res_cache_t *cache;
    size_t cache_n;
    uint64_t ttl_max_ms; /* 0: no cache */
    bool destroying;
    httpx__resolve_t *queries;
};

/* ---- the cache ----------------------------------------------------------- */

static void cache_free_ent(httpx__resolver_t *r, res_cache_t *e)
{
    httpx__free(r->a, e->host);
    httpx__free(r->a, e);
}

void httpx__resolver_flush(httpx__resolver_t *r)
{
    if (!r)
        return;
    while (r->cache) {
        res_cache_t *e = r->cache;
        r->cache = e->next;
        cache_free_ent(r, e);
    }
    r->cache_n = 0;
}

/* A live entry for `host`, dropping expired ones met on the way. */
static res_cache_t *cache_find(httpx__resolver_t *r, const char *host)
{
    uint64_t now = httpx_loop_now(r->loop);
    res_cache_t **pp = &r->cache;
    while (*pp) {
        res_cache_t *e = *pp;
        if (e->expires <= now) {
            *pp = e->next;
            r->cache_n--;
            cache_free_ent(r, e);
            continue;
        }
        if (strcasecmp(e->host, host) == 0)
            return e;
        pp = &e->next;
    }
    return NULL;
}

static void cache_put(httpx__resolver_t *r, const char *host, const httpx__addr_t *addrs,
                      size_t n, uint64_t ttl_ms)
{
    if (!r->ttl_max_ms || !ttl_ms)
        return;
    if (ttl_ms > r->ttl_max_ms)
        ttl_ms = r->ttl_max_ms;
    res_cache_t *old = cache_find(r, host);
    if (old) {
        /* Replace: unlink the stale twin. */
        for (res_cache_t **pp = &r->cache; *pp; pp = &(*pp)->next)
            if (*pp == old) {
                *pp = old->next;
                break;
            }
        r->cache_n--;
        cache_free_ent(r, old);
    }
    if (r->cache_n >= RES_CACHE_MAX) {
        /* Full of live entries: drop the oldest (the list is newest first). */
        res_cache_t **pp = &r->cache;
        while ((*pp)->next)
            pp = &(*pp)->next;
        cache_free_ent(r, *pp);
        *pp = NULL;
        r->cache_n--;
    }
    res_cache_t *e = httpx__malloc(r->a, sizeof *e + n * sizeof e->addrs[0]);
    if (!e)
        return; /* a cache is an optimisation: skip it on out-of-memory */
    e->host = httpx__strdup(r->a, host);
    if (!e->host) {
        httpx__free(r->a, e);
        return;
    }
    e->expires = httpx_loop_now(r->loop) + ttl_ms;
    e->n = n;
    memcpy(e->addrs, addrs, n * sizeof addrs[0]);
    e->next = r->cache;
    r->cache = e;
    r->cache_n++;
}

/* ---- queries ------------------------------------------------------------- */

static void q_link(httpx__resolver_t *r, httpx__resolve_t *q)
{
    q->prev = NULL;
    q->next = r->queries;
    if (r->queries)
        r->queries->prev = q;
    r->queries = q;
}

static void q_unlink(httpx__resolver_t *r, httpx__resolve_t *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else if (r->queries == q)
        r->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void q_free(httpx__resolve_t *q)
{
    httpx__timer_release(&q->timer);
    httpx__free(q->a, q->addrs);
    httpx__free(q->a, q->host);
    httpx__free(q->a, q);
}

static void q_set_port(httpx__addr_t *addrs, size_t n, int port)
{
    for (size_t i = 0; i < n; i++) {
        if (addrs[i].family == AF_INET6)
            ((struct sockaddr_in6 *)&addrs[i].sa)->sin6_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in *)&addrs[i].sa)->sin_port = htons((uint16_t)port);
    }
}

static void q_deliver_cb(httpx_timer_t *t, void *user)
{
    httpx__resolve_t *q = user;
    (void)t;
    /* Out of the list: the user may free the resolver from the callback, and
     * cancelling this query from its own callback must be a no-op. */
    q_unlink(q->r, q);
    q->state = Q_DELIVERING;
    if (q->status == 0)
        q_set_port(q->addrs, q->n, q->port);
    q->cb(q->status, q->status == 0 ? q->addrs : NULL, q->status == 0 ? q->n : 0,
          q->status == 0 ? NULL : &q->err, q->user);
    q_free(q);
}

/* The result is in q: report it from the loop. Cannot fail for a query that went
 * to c-ares (its timer already holds a heap slot, and re-starting an armed timer
 * never allocates); elsewhere httpx__resolve checks that the timer is armed. */
static void q_ready(httpx__resolve_t *q)
{
    q->state = Q_READY;
    (void)httpx_timer_start(&q->timer, 0);
}

static void q_fail(httpx__resolve_t *q, int code, const char *why)
{
    q->status = httpx__err(&q->err, code, HTTPX_PHASE_DNS, "resolve \"%s\": %s", q->host, why);
    q_ready(q);
}

/* RFC 8305 §4: IPv6 first, then alternate families; duplicates dropped. */
static int order_addrs(httpx__resolve_t *q, const struct ares_addrinfo_node *nodes)
{
    size_t total = 0;
    for (const struct ares_addrinfo_node *n = nodes; n; n = n->ai_next)
        if (n->ai_family == AF_INET || n->ai_family == AF_INET6)
            total++;
    if (!total)
        return 0;
    httpx__addr_t *tmp = httpx__calloc(q->a, 2 * total * sizeof *tmp);
    if (!tmp)
        return HTTPX_E_NOMEM;
    httpx__addr_t *v6 = tmp, *v4 = tmp + total;
    size_t n6 = 0, n4 = 0;
    for (const struct ares_addrinfo_node *n = nodes; n; n = n->ai_next) {
        httpx__addr_t *list;
        size_t *cnt;
        socklen_t len;
        if (n->ai_family == AF_INET6) {
            list = v6, cnt = &n6, len = sizeof(struct sockaddr_in6);
        } else if (n->ai_family == AF_INET) {
            list = v4, cnt = &n4, len = sizeof(struct sockaddr_in);
        } else {
            continue;
        }
        if (n->ai_addrlen < len)
            continue;
        httpx__addr_t a;
        memset(&a, 0, sizeof a);
        memcpy(&a.sa, n->ai_addr, len);
        a.len = len;
        a.family = n->ai_family;
        if (a.family == AF_INET6)
            ((struct sockaddr_in6 *)&a.sa)->sin6_port = 0;
        else
            ((struct sockaddr_in *)&a.sa)->sin_port = 0;
        bool dup = false;
        for (size_t i = 0; i < *cnt && !dup; i++)
            dup = memcmp(&list[i].sa, &a.sa, len) == 0;
        if (!dup)
            list[(*cnt)++] = a;
    }
    httpx__addr_t *out = httpx__malloc(q->a, (n6 + n4) * sizeof *out);
    if (!out) {
        httpx__free(q->a, tmp);
        return HTTPX_E_NOMEM;
    }
    size_t k = 0, i6 = 0, i4 = 0;
    while (i6 < n6 || i4 < n4) {
        if (i6 < n6)
            out[k++] = v6[i6++];
        if (i4 < n4)
            out[k++] = v4[i4++];
    }
    httpx__free(q->a, tmp);
    q->addrs = out;
    q->n = k;
    return 0;
}

static bool in_hosts_file(httpx__resolver_t *r, const char *host)
{
    static const int fams[] = {AF_INET, AF_INET6};
    for (size_t i = 0; i < 2; i++) {
        struct hostent *he = NULL;
        if (ares_gethostbyname_file(r->ch, host, fams[i], &he) == ARES_SUCCESS) {
            ares_free_hostent(he);
            return true;
        }
    }
    return false;
}

/* "Domain name not found" -> "domain name not found". */
static void ares_why(int status, char *buf, size_t n)
{
    snprintf(buf, n, "%s", ares_strerror(status));
    if (buf[0] >= 'A' && buf[0] <= 'Z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
}

static void ares_result_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    httpx__resolve_t *q = arg;
    httpx__resolver_t *r = q->r;
    (void)timeouts;
    if (q->cancelled || r->destroying) {
        if (!q->cancelled)
            q_unlink(r, q);
        ares_freeaddrinfo(res);
        q_free(q);
        return;
    }
    if (status != ARES_SUCCESS || !res) {
        char why[96];
        ares_why(status, why, sizeof why);
        ares_freeaddrinfo(res);
        q_fail(q, status == ARES_ENOMEM ? HTTPX_E_NOMEM : HTTPX_E_DNS, why);
        return;
    }
    int rc = order_addrs(q, res->nodes);
    if (rc < 0 || !q->n) {
        ares_freeaddrinfo(res);
        q_fail(q, rc < 0 ? HTTPX_E_NOMEM : HTTPX_E_DNS, rc < 0 ? "out of memory" : "no address");
        return;
    }
    int min_ttl = -1;
    for (const struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next)
        if (min_ttl < 0 || n->ai_ttl < min_ttl)
            min_ttl = n->ai_ttl;
    ares_freeaddrinfo(res);
    uint64_t ttl_ms;
    if (min_ttl > 0)
        ttl_ms = (uint64_t)min_ttl * 1000u;
    else /* hosts-file answers carry no TTL: cache them for the cap; DNS TTL 0 not at all */
        ttl_ms = in_hosts_file(r, q->host) ? r->ttl_max_ms : 0;
    cache_put(r, q->host, q->addrs, q->n, ttl_ms);
    q->status = 0;
    q_ready(q);
}

/* ---- driving c-ares from the loop ---------------------------------------- */

static void res_update_timer(httpx__resolver_t *r)
{
    struct timeval tvbuf, *tv = ares_timeout(r->ch, NULL, &tvbuf);
    if (!tv) {
        httpx_timer_stop(&r->timer);
        return;
    }
    uint64_t ms = (uint64_t)tv->tv_sec * 1000u + ((uint64_t)tv->tv_usec + 999u) / 1000u;
    /* On failure (no memory to grow the heap) c-ares is still driven by its sockets. */
    (void)httpx_timer_start(&r->timer, ms);
}

static void res_timer_cb(httpx_timer_t *t, void *user)
{
    httpx__resolver_t *r = user;
    (void)t;
    ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    res_update_timer(r);
}

static void res_io_cb(httpx_io_t *io, int events, void *user)
{
    res_sock_t *s = user;
    httpx__resolver_t *r = s->r;
    int fd = io->fd;
    (void)io;
    /* s may be freed inside (c-ares closing the socket): use only the copies. */
    ares_process_fd(r->ch, (events & HTTPX_IO_READ) ? fd : ARES_SOCKET_BAD,
                    (events & HTTPX_IO_WRITE) ? fd : ARES_SOCKET_BAD);
    res_update_timer(r);
}

static void res_sock_free(httpx__resolver_t *r, res_sock_t *s)
{
    for (res_sock_t **pp = &r->socks; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    httpx__io_release(&s->io);
    httpx__free(r->a, s);
}

static void res_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    httpx__resolver_t *r = data;
    res_sock_t *s = r->socks;
    while (s && s->fd != fd)
        s = s->next;
    if (!readable && !writable) {
        /* c-ares is about to close it: forget the watch while the fd is open. */
        if (s)
            res_sock_free(r, s);
        return;
    }
    if (!s) {
        s = httpx__calloc(r->a, sizeof *s);
        if (!s)
            return; /* the c-ares timer still ends the query */
        s->r = r;
        s->fd = fd;
        if (httpx__io_init(&s->io, r->loop, fd, res_io_cb, s) != 0) {
            httpx__free(r->a, s);
            return;
        }
        s->next = r->socks;
        r->socks = s;
    }
    (void)httpx_io_set(&s->io, (readable ? HTTPX_IO_READ : 0) | (writable ? HTTPX_IO_WRITE : 0));
}

/* ---- public (internal) API ----------------------------------------------- */

int httpx__resolver_new(httpx_loop_t *loop, double ttl_max_s, httpx__resolver_t **out)
{
    *out = NULL;
    if (!loop)
        return HTTPX_E_INVAL;
    const httpx_allocator_t *a = httpx__loop_allocator(loop);
    httpx__resolver_t *r = HTTPX__NEW(a, httpx__resolver_t);
    if (!r)
        return HTTPX_E_NOMEM;
    r->loop = loop;
    r->a = a;
    if (ttl_max_s < 0)
        r->ttl_max_ms = 0;
    else if (ttl_max_s == 0)
        r->ttl_max_ms = RES_DEFAULT_TTL_MS;
    else
        r->ttl_max_ms = ttl_max_s * 1000.0 >= 1.0 ? (uint64_t)(ttl_max_s * 1000.0) : 1;
    httpx__timer_init(&r->timer, loop, res_timer_cb, r);

    struct ares_options o;
    memset(&o, 0, sizeof o);
    o.sock_state_cb = res_sock_state_cb;
    o.sock_state_cb_data = r;
    o.timeout = RES_ARES_TIMEOUT_MS;
    o.tries = RES_ARES_TRIES;
    o.lookups = (char *)"fb"; /* hosts file, then DNS, whatever nsswitch says */
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
    int st = ares_init_options(&r->ch, &o, mask);
    if (st != ARES_SUCCESS) {
        httpx__free(a, r);
        return st == ARES_ENOMEM ? HTTPX_E_NOMEM : HTTPX_E_DNS;
    }
    *out = r;
    return 0;
}

int httpx__resolver_set_servers(httpx__resolver_t *r, const char *csv)
{
    if (!r || !csv)
        return HTTPX_E_INVAL;
    int st = ares_set_servers_ports_csv(r->ch, csv);
    if (st == ARES_SUCCESS)
        return 0;
    return st == ARES_ENOMEM ? HTTPX_E_NOMEM : HTTPX_E_INVAL;
}

void httpx__resolver_free(httpx__resolver_t *r)
{
    if (!r)
        return;
    /* c-ares reports every query it still holds with ARES_EDESTRUCTION; those
     * callbacks free them silently. */
    r->destroying = true;
    ares_destroy(r->ch);
    while (r->socks)
        res_sock_free(r, r->socks);
    while (r->queries) {
        httpx__resolve_t *q = r->queries;
        q_unlink(r, q);
        q_free(q);
    }
    httpx__timer_release(&r->timer);
    httpx__resolver_flush(r);
    httpx__free(r->a, r);
}

/* An IP literal, with an optional IPv6 zone ("fe80::1%eth0"). */
static bool parse_literal(const char *host, httpx__addr_t *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        out->family = AF_INET;
        out->len = sizeof *s4;
        return true;
    }
    if (!strchr(host, ':'))
        return false;
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    size_t len = strlen(host);
    if (len >= sizeof buf)
        return false;
    memcpy(buf, host, len + 1);
    uint32_t scope = 0;
    char *pct = strchr(buf, '%');
    if (pct) {
        *pct++ = '\0';
        char *end;
        unsigned long v = strtoul(pct, &end, 10);
        if (*pct && !*end)
            scope = (uint32_t)v;
        else if (!(scope = if_nametoindex(pct)))
            return false;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;
    if (inet_pton(AF_INET6, buf, &s6->sin6_addr) != 1)
        return false;
    s6->sin6_family = AF_INET6;
    s6->sin6_scope_id = scope;
    out->family = AF_INET6;
    out->len = sizeof *s6;
    return true;
}

/* Letters, digits, '-', '_' and dots: what may go into a DNS query (IDNA names
 * arrive here already in their ASCII form). Anything else, a bracketed IPv6
 * literal included, is refused without asking a server. */
static bool name_ok(const char *host)
{
    for (const char *p = host; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return false;
    }
    return true;
}

httpx__resolve_t *httpx__resolve(httpx__resolver_t *r, const char *host, int port,
                                 httpx__resolve_cb cb, void *user)
{
    if (!r || !host || !cb)
        return NULL;
    httpx__resolve_t *q = HTTPX__NEW(r->a, httpx__resolve_t);
    if (!q)
        return NULL;
    q->r = r;
    q->a = r->a;
    q->port = port;
    q->cb = cb;
    q->user = user;
    q->host = httpx__strdup(r->a, host);
    if (!q->host) {
        httpx__free(r->a, q);
        return NULL;
    }
    httpx__timer_init(&q->timer, r->loop, q_deliver_cb, q);
    q_link(r, q);

    size_t hlen = strlen(host);
    httpx__addr_t lit;
    if (port < 0 || port > 65535) {
        q_fail(q, HTTPX_E_INVAL, "invalid port");
    } else if (parse_literal(host, &lit)) {
        q->addrs = httpx__malloc(r->a, sizeof lit);
        if (!q->addrs)
            goto oom;
        q->addrs[0] = lit;
        q->n = 1;
        q_ready(q);
    } else if (hlen == 0 || hlen > RES_HOST_MAX) {
        q_fail(q, HTTPX_E_DNS, hlen ? "name too long" : "empty name");
    } else if (!name_ok(host)) {
        q_fail(q, HTTPX_E_DNS, "invalid name");
    } else {
        res_cache_t *e = cache_find(r, host);
        if (e) {
            q->addrs = httpx__malloc(r->a, e->n * sizeof e->addrs[0]);
            if (!q->addrs)
                goto oom;
            memcpy(q->addrs, e->addrs, e->n * sizeof e->addrs[0]);
            q->n = e->n;
            q_ready(q);
        } else {
            struct ares_addrinfo_hints hints;
            memset(&hints, 0, sizeof hints);
            hints.ai_family = AF_UNSPEC; /* A and AAAA together */
            hints.ai_socktype = SOCK_STREAM;
            q->state = Q_ARES;
            /* Reserve the delivery timer's heap slot now, so that reporting from
             * inside c-ares cannot fail for lack of memory. */
            if (httpx_timer_start(&q->timer, RES_PARKED_MS) != 0)
                goto oom;
            /* May call ares_result_cb before returning (hosts file): that only
             * stores the result and arms the delivery timer. */
            ares_getaddrinfo(r->ch, host, NULL, &hints, ares_result_cb, q);
            res_update_timer(r);
        }
    }
    /* A failure to arm the delivery timer (no memory) means no callback ever. */
    if (q->state == Q_READY && !httpx__timer_active(&q->timer))
        goto oom;
    return q;
oom:
    q_unlink(r, q);
    q_free(q);
    return NULL;
}

void httpx__resolve_cancel(httpx__resolve_t *q)
{
    if (!q || q->cancelled)
        return;
    switch (q->state) {
    case Q_ARES:
        /* c-ares still holds q: it is freed when c-ares reports back. The parked
         * timer goes, so a cancelled query does not keep the loop running. */
        httpx_timer_stop(&q->timer);
        q_unlink(q->r, q);
        q->cancelled = true;
        break;
    case Q_READY:
        q_unlink(q->r, q);
        q_free(q);
        break;
    default: /* Q_DELIVERING: freed when its own callback returns */
        break;
    }
}
