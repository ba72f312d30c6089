/* pool/pool.c — connection pool (contract in pool.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "net/sock.h"
#include "pool/pool.h"

struct httpx__origin {
    httpx__origin_t *hnext;   /* hash chain */
    char *key;
    char *host;               /* where connections dial */
    int port;
    char *origin_host;        /* the origin behind a proxy (or the same as host) */
    int origin_port;
    int via;
    const httpx__proxy_t *proxy;
    uint32_t hash;
    httpx__link_t idle;       /* LIFO: push and pop at head */
    int open;                 /* connections of this origin */
    httpx__tls_ctx_t *tls;    /* https origins: the client's TLS context (not owned) */
    httpx__link_t shared;     /* multiplexed connections in use, to share */
    int connecting;           /* connections of this origin not yet up */
};

/* What an HTTP/1.1 connection needs only while busy: its read buffer and its
 * header parse scratch. An idle connection hands them to the pool's small cache and
 * takes a set back when reused, so a keep-alive connection doing back-to-back
 * requests keeps the same memory without a malloc per request, while N idle
 * connections hold none of it. */
typedef struct conn_kit {
    char *rdata;                 /* rbuf allocation (may be NULL) */
    size_t ralloc;
    httpx__h1_field_t *fields;   /* max_header_count entries */
} conn_kit_t;

#define KIT_CACHE 4

struct httpx__pool {
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    httpx__resolver_t *resolver;
    httpx__pool_limits_t lim;
    httpx__origin_t **buckets;
    size_t nbuckets, norigins;
    httpx__link_t idle_lru;   /* all idle connections, most recent at head */
    httpx__link_t waiters;    /* FIFO */
    int open, idle, connecting, waiting;
    httpx_timer_t expiry;
    const httpx__conn_t *mux_made;  /* the last connection made multiplexed (compared, never read) */
    conn_kit_t kits[KIT_CACHE];     /* released by idle HTTP/1.1 connections */
    int nkits;
};

#define CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static void list_init(httpx__link_t *l) { l->prev = l->next = l; }
static bool list_empty(const httpx__link_t *l) { return l->next == l; }
static void list_push(httpx__link_t *head, httpx__link_t *n)
{
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
}
static void list_append(httpx__link_t *head, httpx__link_t *n) { list_push(head->prev, n); }
static void list_del(httpx__link_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* An idle HTTP/1.1 connection gives up its busy-only memory (nothing is buffered:
 * the exchange released it only with an empty read buffer). */
static void kit_put(httpx__pool_t *p, httpx__conn_t *c)
{
    if (c->mux || httpx__buf_size(&c->rbuf) || !c->fields)
        return;
    size_t ralloc;
    char *rdata = httpx__buf_take(&c->rbuf, &ralloc);
    if (p->nkits < KIT_CACHE) {
        p->kits[p->nkits++] = (conn_kit_t){rdata, ralloc, c->fields};
    } else {
        httpx__free(c->rbuf.a, rdata);
        httpx__free(p->a, c->fields);
    }
    c->fields = NULL;
}

/* Give `c` a parse scratch (and a read buffer when one is cached): 0 or NOMEM. */
static int kit_get(httpx__pool_t *p, httpx__conn_t *c)
{
    if (c->mux || c->fields)
        return 0;
    if (p->nkits > 0) {
        conn_kit_t *k = &p->kits[--p->nkits];
        c->fields = k->fields;
        if (!c->rbuf.data)
            httpx__buf_give(&c->rbuf, k->rdata, k->ralloc);
        else
            httpx__free(c->rbuf.a, k->rdata);
        return 0;
    }
    c->fields = httpx__malloc(p->a, p->lim.max_header_count * sizeof *c->fields);
    return c->fields ? 0 : HTTPX_E_NOMEM;
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static void expiry_rearm(httpx__pool_t *p);
void httpx__pool_mux_done_waiters(httpx__conn_t *c);

static void expiry_fired(httpx_timer_t *t, void *user)
{
    httpx__pool_t *p = user;
    uint64_t now = httpx_loop_now(p->loop);
    (void)t;
    while (!list_empty(&p->idle_lru)) {
        httpx__conn_t *c = CONTAINER(p->idle_lru.prev, httpx__conn_t, lru_link);
        if (c->idle_since + p->lim.keepalive_expiry_ms > now)
            break;
        httpx__conn_close(c);
    }
    expiry_rearm(p);
}

static void expiry_rearm(httpx__pool_t *p)
{
    if (list_empty(&p->idle_lru)) {
        httpx_timer_stop(&p->expiry);
        return;
    }
    httpx__conn_t *oldest = CONTAINER(p->idle_lru.prev, httpx__conn_t, lru_link);
    uint64_t due = oldest->idle_since + p->lim.keepalive_expiry_ms;
    if (httpx__timer_active(&p->expiry) && p->expiry.deadline == due)
        return;
    uint64_t now = httpx_loop_now(p->loop);
    httpx_timer_start(&p->expiry, due > now ? due - now : 0);
}

int httpx__pool_new(httpx_loop_t *loop, httpx__resolver_t *resolver,
                    const httpx__pool_limits_t *limits, httpx__pool_t **out)
{
    const httpx_allocator_t *a = httpx__loop_allocator(loop);
    httpx__pool_t *p = HTTPX__NEW(a, httpx__pool_t);
    if (!p)
        return HTTPX_E_NOMEM;
    p->loop = loop;
    p->a = a;
    p->resolver = resolver;
    p->lim = *limits;
    p->nbuckets = 16;
    p->buckets = httpx__calloc(a, p->nbuckets * sizeof *p->buckets);
    if (!p->buckets) {
        httpx__free(a, p);
        return HTTPX_E_NOMEM;
    }
    list_init(&p->idle_lru);
    list_init(&p->waiters);
    httpx__timer_init(&p->expiry, loop, expiry_fired, p);
    httpx__timer_set_weak(&p->expiry, true);
    *out = p;
    return 0;
}

static void origin_free(httpx__pool_t *p, httpx__origin_t *o)
{
    httpx__free(p->a, o->key);
    httpx__free(p->a, o->host);
    httpx__free(p->a, o->origin_host);
    httpx__free(p->a, o);
}

void httpx__pool_free(httpx__pool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nbuckets; i++) {
        httpx__origin_t *o = p->buckets[i];
        while (o) {
            while (!list_empty(&o->idle))
                httpx__conn_close(CONTAINER(o->idle.next, httpx__conn_t, idle_link));
            o = o->hnext;
        }
    }
    /* Busy and connecting connections belong to exchanges, which the engine has
     * failed and freed before this point; anything left is closed by them. */
    for (size_t i = 0; i < p->nbuckets; i++) {
        httpx__origin_t *o = p->buckets[i];
        while (o) {
            httpx__origin_t *next = o->hnext;
            origin_free(p, o);
            o = next;
        }
    }
    httpx__timer_release(&p->expiry);
    for (int i = 0; i < p->nkits; i++) {
        httpx__free(p->a, p->kits[i].rdata);
        httpx__free(p->a, p->kits[i].fields);
    }
    httpx__free(p->a, p->buckets);
    httpx__free(p->a, p);
}

void httpx__pool_close_idle(httpx__pool_t *p)
{
    while (!list_empty(&p->idle_lru))
        httpx__conn_close(CONTAINER(p->idle_lru.next, httpx__conn_t, lru_link));
}

static int grow_buckets(httpx__pool_t *p)
{
    size_t n = p->nbuckets * 2;
    httpx__origin_t **b = httpx__calloc(p->a, n * sizeof *b);
    if (!b)
        return HTTPX_E_NOMEM;
    for (size_t i = 0; i < p->nbuckets; i++) {
        httpx__origin_t *o = p->buckets[i];
        while (o) {
            httpx__origin_t *next = o->hnext;
            o->hnext = b[o->hash & (n - 1)];
            b[o->hash & (n - 1)] = o;
            o = next;
        }
    }
    httpx__free(p->a, p->buckets);
    p->buckets = b;
    p->nbuckets = n;
    return 0;
}

static httpx__origin_t *origin_get(httpx__pool_t *p, const httpx__route_t *r)
{
    const char *key = r->key;
    uint32_t h = hash_str(key);
    for (httpx__origin_t *o = p->buckets[h & (p->nbuckets - 1)]; o; o = o->hnext)
        if (o->hash == h && strcmp(o->key, key) == 0)
            return o;
    if (p->norigins >= p->nbuckets && grow_buckets(p))
        return NULL;
    httpx__origin_t *o = HTTPX__NEW(p->a, httpx__origin_t);
    if (!o)
        return NULL;
    o->key = httpx__strdup(p->a, key);
    o->host = httpx__strdup(p->a, r->host);
    o->origin_host = httpx__strdup(p->a, r->origin_host ? r->origin_host : r->host);
    if (!o->key || !o->host || !o->origin_host) {
        origin_free(p, o);
        return NULL;
    }
    o->port = r->port;
    o->origin_port = r->origin_port ? r->origin_port : r->port;
    o->via = r->via;
    o->proxy = r->proxy;
    o->tls = r->tls;
    o->hash = h;
    list_init(&o->idle);
    list_init(&o->shared);
    o->hnext = p->buckets[h & (p->nbuckets - 1)];
    p->buckets[h & (p->nbuckets - 1)] = o;
    p->norigins++;
    return o;
}

static void conn_io_cb(httpx_io_t *io, int events, void *user);

/* Connecting failed at any step: close, return the slot, tell the user. */
static void connect_failed(httpx__conn_t *c, int status, const httpx_error_t *err)
{
    httpx__conn_user_t u = c->user;
    httpx_error_t e;
    if (err)
        e = *err;
    else
        e = (httpx_error_t){.code = status, .phase = HTTPX_PHASE_CONNECT, .message = "connect failed"};
    e.code = status;
    httpx__conn_close(c);
    u.connected(NULL, status, &e, u.user);
}

static bool serve_waiters(httpx__pool_t *p, httpx__conn_t *idle);

/* TCP (and TLS) are up: the connection is the user's. */
static void connect_done(httpx__conn_t *c)
{
    httpx__pool_t *p = c->pool;
    p->connecting--;
    c->origin->connecting--;
    c->state = HTTPX__CONN_BUSY;
    /* The callback may close the connection: afterwards only compare its address. */
    p->mux_made = NULL;
    c->user.connected(c, 0, NULL, c->user.user);
    /* Requests that waited for this connection to turn multiplexed, and it did
     * not: they get connections of their own now. */
    if (p->mux_made != c)
        serve_waiters(p, NULL);
}

static void tls_step(httpx__conn_t *c)
{
    int want = 0;
    httpx_error_t e = {0};
    int rc = httpx__tls_handshake(c->tls, &want, &e);
    if (rc == HTTPX__TLS_AGAIN) {
        if (httpx_io_set(&c->io, want))
            connect_failed(c, HTTPX_E_NOMEM, NULL);
        return;
    }
    if (rc < 0) {
        connect_failed(c, rc, &e);
        return;
    }
    c->handshaking = false;
    c->tls_done_ns = httpx__clock_ns();
    if (httpx_io_set(&c->io, 0)) {
        connect_failed(c, HTTPX_E_NOMEM, NULL);
        return;
    }
    connect_done(c);
}

static void start_tls(httpx__conn_t *c);

/* A proxy handshake (SOCKS5 or CONNECT) on the fresh TCP connection to the proxy. */
typedef struct httpx__px httpx__px_t;
struct httpx__px {
    bool socks;
    httpx__socks5_t s;
    httpx__tunnel_t t;
    httpx__buf_t out;            /* CONNECT request */
    size_t out_off;
};

static void px_free(httpx__conn_t *c)
{
    if (!c->px)
        return;
    httpx__buf_release(&c->px->out);
    httpx__free(c->pool->a, c->px);
    c->px = NULL;
}

static void px_step(httpx__conn_t *c)
{
    httpx__px_t *px = c->px;
    httpx_error_t e = {0};
    for (;;) {
        /* write what the handshake has to say */
        const char *data;
        size_t len;
        if (px->socks) {
            httpx__socks5_output(&px->s, &data, &len);
        } else {
            data = httpx__buf_ptr(&px->out) + px->out_off;
            len = httpx__buf_size(&px->out) - px->out_off;
        }
        if (len) {
            ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                httpx_io_set(&c->io, HTTPX_IO_WRITE);
                return;
            }
            if (w < 0) {
                httpx__err(&e, HTTPX_E_PROXY, HTTPX_PHASE_CONNECT, "proxy %s:%d: %s", c->origin->host,
                           c->origin->port, strerror(errno));
                connect_failed(c, HTTPX_E_PROXY, &e);
                return;
            }
            if (px->socks)
                httpx__socks5_sent(&px->s, (size_t)w);
            else
                px->out_off += (size_t)w;
            continue;
        }
        /* then read its answer */
        if (httpx__buf_reserve(&c->rbuf, 4096)) {
            connect_failed(c, HTTPX_E_NOMEM, NULL);
            return;
        }
        ssize_t n = recv(c->fd, httpx__buf_tail(&c->rbuf), httpx__buf_room(&c->rbuf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            httpx_io_set(&c->io, HTTPX_IO_READ);
            return;
        }
        int rc;
        size_t used = 0;
        if (n <= 0) {
            rc = px->socks ? httpx__socks5_eof(&px->s, &e) : httpx__tunnel_eof(&px->t, &e);
            if (!rc)
                rc = httpx__err(&e, HTTPX_E_PROXY, HTTPX_PHASE_CONNECT, "proxy closed the connection");
        } else {
            httpx__buf_commit(&c->rbuf, (size_t)n);
            if (px->socks) {
                rc = httpx__socks5_feed(&px->s, httpx__buf_ptr(&c->rbuf), httpx__buf_size(&c->rbuf), &used, &e);
                httpx__buf_consume(&c->rbuf, used);
            } else {
                rc = httpx__tunnel_feed(&px->t, httpx__buf_ptr(&c->rbuf), httpx__buf_size(&c->rbuf), &used, &e);
                if (rc == 1)
                    httpx__buf_consume(&c->rbuf, used);
            }
        }
        if (rc < 0) {
            connect_failed(c, rc, &e);
            return;
        }
        if (rc == 1) {
            /* The tunnel is open; whatever follows is the origin's (nothing, normally). */
            px_free(c);
            if (c->origin->tls)
                start_tls(c);
            else {
                if (httpx_io_set(&c->io, 0)) {
                    connect_failed(c, HTTPX_E_NOMEM, NULL);
                    return;
                }
                connect_done(c);
            }
            return;
        }
    }
}

static int px_begin(httpx__conn_t *c)
{
    const httpx__origin_t *o = c->origin;
    httpx__px_t *px = HTTPX__NEW(c->pool->a, httpx__px_t);
    if (!px)
        return HTTPX_E_NOMEM;
    c->px = px;
    httpx__buf_init(&px->out, c->pool->a, 16u << 10);
    httpx_error_t e = {0};
    int rc;
    if (o->via == HTTPX__VIA_SOCKS5) {
        px->socks = true;
        /* socks5h, or a literal address: the proxy gets the name or the address as is.
         * (socks5 with a host name also sends the name: the proxy resolves it.) */
        rc = httpx__socks5_init(&px->s, o->origin_host, o->origin_port, true, o->proxy->username,
                                o->proxy->password, &e);
    } else {
        rc = httpx__tunnel_init(&px->t, o->origin_host, o->origin_port, &e);
        if (!rc)
            rc = httpx__tunnel_write(&px->t, o->proxy, NULL, &px->out, &e);
    }
    if (rc) {
        connect_failed(c, rc, &e);
        return rc;
    }
    px_step(c);
    return 0;
}

static void conn_connected(int status, int fd, const httpx__connect_info_t *info,
                           const httpx_error_t *err, void *user)
{
    httpx__conn_t *c = user;
    c->connecting = NULL;
    if (status) {
        connect_failed(c, status, err);
        return;
    }
    c->fd = fd;
    c->info = *info;
    if (httpx__io_init(&c->io, c->pool->loop, fd, conn_io_cb, c) != 0) {
        connect_failed(c, HTTPX_E_NOMEM, NULL);
        return;
    }
    c->io_active = true;
    if (c->origin->via == HTTPX__VIA_SOCKS5 || c->origin->via == HTTPX__VIA_CONNECT) {
        px_begin(c);
        return;
    }
    if (!c->origin->tls) {
        connect_done(c);
        return;
    }
    start_tls(c);
}

static void start_tls(httpx__conn_t *c)
{
    httpx_error_t e = {0};
    int rc = httpx__tls_new(c->origin->tls, c->fd, c->origin->origin_host, c->origin->origin_port, &c->tls, &e);
    if (rc) {
        connect_failed(c, rc, &e);
        return;
    }
    c->handshaking = true;
    tls_step(c);
}

static httpx__conn_t *conn_new(httpx__pool_t *p, httpx__origin_t *o, const httpx__conn_user_t *user)
{
    httpx__conn_t *c = HTTPX__NEW(p->a, httpx__conn_t);
    if (!c)
        return NULL;
    /* Room for the largest head plus one read's worth of body. */
    httpx__buf_init(&c->rbuf, p->a, p->lim.max_head_bytes + 64 * 1024 + 1);
    if (kit_get(p, c)) {
        httpx__buf_release(&c->rbuf);
        httpx__free(p->a, c);
        return NULL;
    }
    c->pool = p;
    c->origin = o;
    c->fd = -1;
    c->state = HTTPX__CONN_CONNECTING;
    c->user = *user;
    list_init(&c->idle_link);
    list_init(&c->lru_link);
    list_init(&c->shared_link);
    p->open++;
    p->connecting++;
    o->connecting++;
    o->open++;
    c->connecting = httpx__connect_start_opts(p->loop, p->resolver, o->host, o->port, p->lim.connect,
                                              conn_connected, c);
    if (!c->connecting) {
        httpx__conn_close(c);
        return NULL;
    }
    return c;
}

/* Give `c` (idle) to `w`: mark busy and hand over. */
static void conn_take(httpx__conn_t *c, httpx__waiter_t *w, const httpx__conn_user_t *user)
{
    httpx__pool_t *p = c->pool;
    list_del(&c->idle_link);
    list_del(&c->lru_link);
    p->idle--;
    c->state = HTTPX__CONN_BUSY;
    httpx__io_set_weak(&c->io, false);
    if (c->mux) {
        c->users = 1;
        list_push(&c->origin->shared, &c->shared_link);
    } else {
        c->user = *user;
    }
    w->ready(w, c);
}

int httpx__pool_acquire(httpx__pool_t *p, const httpx__route_t *route, bool fresh, bool mux_likely,
                        httpx__waiter_t *w, const httpx__conn_user_t *user)
{
    httpx__origin_t *o = origin_get(p, route);
    if (!o)
        return HTTPX_E_NOMEM;
    w->origin = o;
    w->queued = false;
    if (!fresh) {
        /* A multiplexed connection with room for one more stream comes first. */
        for (httpx__link_t *l = o->shared.next; l != &o->shared; l = l->next) {
            httpx__conn_t *c = CONTAINER(l, httpx__conn_t, shared_link);
            if (c->mux_capacity(c) > 0) {
                c->users++;
                w->ready(w, c);
                return 1;
            }
        }
    }
    if (!fresh) {
        /* Idle connections past their expiry may not have been swept yet (a sync
         * client's loop does not run between calls): never hand one out. */
        uint64_t now = httpx_loop_now(p->loop);
        while (!list_empty(&o->idle)) {
            httpx__conn_t *top = CONTAINER(o->idle.next, httpx__conn_t, idle_link);
            if (top->idle_since + p->lim.keepalive_expiry_ms > now)
                break;
            httpx__conn_close(top);
        }
        /* LIFO: the most recently used connection is the least likely to be stale. */
        if (!list_empty(&o->idle)) {
            httpx__conn_t *c = CONTAINER(o->idle.next, httpx__conn_t, idle_link);
            if (kit_get(p, c))
                return HTTPX_E_NOMEM;
            conn_take(c, w, user);
            return 1;
        }
    }
    if (mux_likely && !fresh && o->connecting > 0) {
        /* Likely HTTP/2: share the connection being made instead of racing it. */
        w->queued = true;
        w->user_copy = *user;
        list_append(&p->waiters, &w->link);
        p->waiting++;
        return 0;
    }
    if (p->open >= p->lim.max_connections && !list_empty(&p->idle_lru)) {
        /* Make room: the least recently used idle connection of any origin goes. */
        httpx__conn_close(CONTAINER(p->idle_lru.prev, httpx__conn_t, lru_link));
    }
    if (p->open < p->lim.max_connections) {
        httpx__conn_t *c = conn_new(p, o, user);
        if (!c)
            return HTTPX_E_NOMEM;
        w->ready(w, c);
        return 1;
    }
    /* Wait in FIFO order for a slot or a connection released for this origin. */
    w->queued = true;
    w->user_copy = *user;
    list_append(&p->waiters, &w->link);
    p->waiting++;
    return 0;
}

void httpx__pool_cancel_wait(httpx__pool_t *p, httpx__waiter_t *w)
{
    if (!w->queued)
        return;
    list_del(&w->link);
    w->queued = false;
    p->waiting--;
}

/* A slot or a connection became available: serve the oldest waiter. Returns true
 * when `idle` (may be NULL) was handed over or closed: it must not be touched then. */
static bool serve_waiters(httpx__pool_t *p, httpx__conn_t *idle)
{
    while (!list_empty(&p->waiters)) {
        httpx__waiter_t *w = CONTAINER(p->waiters.next, httpx__waiter_t, link);
        if (idle && idle->origin == w->origin) {
            httpx__pool_cancel_wait(p, w);
            if (kit_get(p, idle)) {
                httpx_error_t e = {.code = HTTPX_E_NOMEM, .phase = HTTPX_PHASE_POOL, .message = "out of memory"};
                w->user_copy.connected(NULL, HTTPX_E_NOMEM, &e, w->user_copy.user);
                continue;
            }
            conn_take(idle, w, &w->user_copy);
            return true;
        }
        if (idle && p->open >= p->lim.max_connections) {
            httpx__conn_close(idle); /* re-enters serve_waiters with a free slot */
            return true;
        }
        if (p->open >= p->lim.max_connections)
            return false;
        httpx__pool_cancel_wait(p, w);
        httpx__conn_t *c = conn_new(p, w->origin, &w->user_copy);
        if (!c) {
            /* Out of memory: tell the waiter through its connected callback. */
            httpx_error_t e = {.code = HTTPX_E_NOMEM, .phase = HTTPX_PHASE_POOL, .message = "out of memory"};
            w->user_copy.connected(NULL, HTTPX_E_NOMEM, &e, w->user_copy.user);
            continue;
        }
        w->ready(w, c);
        return false;
    }
    return false;
}

void httpx__pool_release(httpx__conn_t *c)
{
    httpx__pool_t *p = c->pool;
    c->requests++;
    c->state = HTTPX__CONN_IDLE;
    if (!c->mux)
        c->user = (httpx__conn_user_t){0};
    kit_put(p, c); /* the read buffer and parse scratch wait in the pool, not here */
    c->idle_since = httpx_loop_now(p->loop);
    /* Watch for the server closing the idle connection, without keeping
     * httpx_loop_run() alive for it. */
    httpx__io_set_weak(&c->io, true);
    if (httpx_io_set(&c->io, HTTPX_IO_READ) != 0) {
        httpx__conn_close(c);
        return;
    }
    list_push(&c->origin->idle, &c->idle_link);
    list_push(&p->idle_lru, &c->lru_link);
    p->idle++;
    if (!list_empty(&p->waiters) && serve_waiters(p, c))
        return;
    if (p->idle > p->lim.max_keepalive) {
        httpx__conn_close(CONTAINER(p->idle_lru.prev, httpx__conn_t, lru_link));
        return;
    }
    expiry_rearm(p);
}

void httpx__conn_close(httpx__conn_t *c)
{
    httpx__pool_t *p = c->pool;
    if (c->state == HTTPX__CONN_IDLE) {
        list_del(&c->idle_link);
        list_del(&c->lru_link);
        p->idle--;
    }
    list_del(&c->shared_link);
    if (c->mux_free) {
        void (*mf)(httpx__conn_t *) = c->mux_free;
        c->mux_free = NULL;
        mf(c);
    }
    if (c->state == HTTPX__CONN_CONNECTING) {
        p->connecting--; /* DNS, TCP or TLS still in progress */
        c->origin->connecting--;
    }
    if (c->connecting) {
        httpx__connect_cancel(c->connecting);
        c->connecting = NULL;
    }
    px_free(c);
    if (c->tls) {
        if (!c->handshaking)
            httpx__tls_shutdown(c->tls); /* best effort close_notify */
        httpx__tls_free(c->tls);
        c->tls = NULL;
    }
    if (c->io_active)
        httpx__io_release(&c->io);
    if (c->fd >= 0)
        close(c->fd);
    httpx__buf_release(&c->rbuf);
    httpx__free(p->a, c->fields);
    c->origin->open--;
    p->open--;
    httpx__free(p->a, c);
    serve_waiters(p, NULL);
    expiry_rearm(p);
}

int httpx__conn_want(httpx__conn_t *c, int events)
{
    if (c->io.events == events)
        return 0;
    return httpx_io_set(&c->io, events);
}

bool httpx__conn_alive(httpx__conn_t *c)
{
    if (c->tls) {
        httpx_error_t e;
        return httpx__tls_check_idle(c->tls, &e) == 0;
    }
    char b;
    ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void conn_io_cb(httpx_io_t *io, int events, void *user)
{
    httpx__conn_t *c = user;
    (void)io;
    if (c->px) {
        px_step(c);
        return;
    }
    if (c->handshaking) {
        tls_step(c);
        return;
    }
    if (c->mux && c->user.io) {
        c->user.io(c, events, c->user.user); /* the driver reads even while idle (PING, SETTINGS) */
        return;
    }
    if (c->state == HTTPX__CONN_IDLE) {
        /* An idle connection has nothing to say: EOF, an error or stray bytes all
         * mean it cannot be reused. TLS may legitimately deliver session tickets
         * while idle: ask the TLS layer. */
        if (!c->tls || !httpx__conn_alive(c))
            httpx__conn_close(c);
        return;
    }
    if (c->user.io)
        c->user.io(c, events, c->user.user);
}

void httpx__pool_stats(const httpx__pool_t *p, httpx__pool_stats_t *s)
{
    s->open = p->open;
    s->idle = p->idle;
    s->connecting = p->connecting;
    s->waiting = p->waiting;
}

int httpx__conn_recv(httpx__conn_t *c, void *buf, size_t n, size_t *got, httpx_error_t *err)
{
    *got = 0;
    if (c->tls) {
        int rc = httpx__tls_read(c->tls, buf, n, got, &c->want, err);
        return rc;
    }
    for (;;) {
        ssize_t r = read(c->fd, buf, n);
        if (r >= 0) {
            *got = (size_t)r;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->want = HTTPX_IO_READ;
            return HTTPX__CONN_AGAIN;
        }
        int saved = errno;
        int code = httpx__err_from_errno(saved, HTTPX_PHASE_READ_BODY);
        return httpx__err(err, code, HTTPX_PHASE_READ_BODY, "read from %s:%d: %s", c->origin->host,
                          c->origin->port, strerror(saved));
    }
}

int httpx__conn_send(httpx__conn_t *c, const struct iovec *iov, int cnt, size_t *sent, httpx_error_t *err)
{
    *sent = 0;
    if (c->tls)
        return httpx__tls_writev(c->tls, iov, cnt, sent, &c->want, err);
    for (;;) {
        ssize_t w = httpx__sock_writev(c->fd, iov, cnt); /* EPIPE, never SIGPIPE */
        if (w >= 0) {
            *sent = (size_t)w;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->want = HTTPX_IO_WRITE;
            return HTTPX__CONN_AGAIN;
        }
        int saved = errno;
        return httpx__err(err, HTTPX_E_WRITE, HTTPX_PHASE_WRITE, "write to %s:%d: %s", c->origin->host,
                          c->origin->port, strerror(saved));
    }
}

bool httpx__conn_pending(const httpx__conn_t *c)
{
    return c->tls && httpx__tls_pending(c->tls) > 0;
}

void httpx__pool_set_mux(httpx__conn_t *c, void *mux, size_t (*capacity)(httpx__conn_t *c),
                         void (*mux_free)(httpx__conn_t *c), const httpx__conn_user_t *driver)
{
    c->pool->mux_made = c;
    /* The HTTP/2 driver parses no HTTP/1.1 heads: the scratch is not needed. */
    httpx__free(c->pool->a, c->fields);
    c->fields = NULL;
    c->mux = mux;
    c->mux_capacity = capacity;
    c->mux_free = mux_free;
    c->user = *driver;
    c->users = 1;
    list_push(&c->origin->shared, &c->shared_link);
    /* Requests queued for this origin can share it right away. */
    httpx__pool_mux_done_waiters(c);
}

/* Give streams of `c` to waiters of its origin while it has capacity. */
void httpx__pool_mux_done_waiters(httpx__conn_t *c)
{
    httpx__pool_t *p = c->pool;
    httpx__link_t *l = p->waiters.next;
    while (l != &p->waiters && c->state == HTTPX__CONN_BUSY && c->shared_link.next != &c->shared_link &&
           c->mux_capacity(c) > 0) {
        httpx__waiter_t *w = CONTAINER(l, httpx__waiter_t, link);
        l = l->next;
        if (w->origin != c->origin)
            continue;
        httpx__pool_cancel_wait(p, w);
        c->users++;
        w->ready(w, c);
    }
}

void httpx__pool_mux_done(httpx__conn_t *c)
{
    if (--c->users > 0) {
        httpx__pool_mux_done_waiters(c);
        return;
    }
    if (c->shared_link.next == &c->shared_link) {
        /* retired (GOAWAY) and now unused */
        httpx__conn_close(c);
        return;
    }
    list_del(&c->shared_link);
    httpx__pool_release(c);
}

void httpx__pool_mux_retire(httpx__conn_t *c)
{
    list_del(&c->shared_link);
    if (c->state == HTTPX__CONN_IDLE)
        httpx__conn_close(c);
}

bool httpx__conn_alpn_h2(const httpx__conn_t *c)
{
    const char *a = c->tls ? httpx__tls_alpn(c->tls) : NULL;
    return a && strcmp(a, "h2") == 0;
}
