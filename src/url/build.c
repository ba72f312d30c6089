/* url/build.c — normalise split components and lay the URL out in one block:
 * the struct followed by every string it points to. */
#include <string.h>
#include <stdio.h>
#include "core/err.h"
#include "core/mem.h"
#include "url/internal.h"

#define URL_ERR(err, ...) httpx__err((err), HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP, __VA_ARGS__)

/* A normalised component: a range of the scratch buffer (which may move). */
typedef struct span {
    size_t off, len;
} span_t;

int httpx__url_default_port(const char *scheme)
{
    if (!strcmp(scheme, "http") || !strcmp(scheme, "ws"))
        return 80;
    if (!strcmp(scheme, "https") || !strcmp(scheme, "wss"))
        return 443;
    if (!strcmp(scheme, "ftp"))
        return 21;
    return 0;
}

static int parse_port(httpx__slice_t p, int *port)
{
    if (p.len == 0 || p.len > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < p.len; i++) {
        if (p.ptr[i] < '0' || p.ptr[i] > '9')
            return -1;
        v = v * 10 + (p.ptr[i] - '0');
    }
    if (v == 0 || v > 65535) /* port 0 cannot be connected to: refused at parse time */
        return -1;
    *port = v;
    return 0;
}

/* Bump allocator over the block: copies a string and NUL-terminates it. */
typedef struct writer {
    char *p;
} writer_t;

static void w_put(writer_t *w, const char *s, size_t n)
{
    if (n)
        memcpy(w->p, s, n);
    w->p += n;
}
static void w_str(writer_t *w, const char *s)
{
    w_put(w, s, strlen(s));
}
static char *w_end(writer_t *w, char *start)
{
    *w->p++ = '\0';
    return start;
}

/* Everything the block needs, already normalised. */
typedef struct parts {
    const char *base; /* scratch data */
    span_t scheme, userinfo, host, path, query, fragment;
    bool has_authority, has_userinfo, has_query, has_fragment, ipv6, has_port;
    int port, default_port;
    char port_text[8];
} parts_t;


static void w_host(writer_t *w, const parts_t *pt)
{
    if (pt->ipv6)
        w_put(w, "[", 1);
    w_put(w, pt->base + pt->host.off, pt->host.len);
    if (pt->ipv6)
        w_put(w, "]", 1);
}

static bool show_port(const parts_t *pt)
{
    return pt->has_port && (pt->default_port == 0 || pt->port != pt->default_port);
}

static void w_authority(writer_t *w, const parts_t *pt)
{
    w_host(w, pt);
    if (show_port(pt)) {
        w_put(w, ":", 1);
        w_str(w, pt->port_text);
    }
}

static int lay_out(const parts_t *pt, const httpx_allocator_t *a, httpx_url_t **out)
{
    const char *b = pt->base;
    size_t host_len = pt->host.len + (pt->ipv6 ? 2 : 0), port_len = strlen(pt->port_text);
    size_t auth_len = host_len + 1 + port_len;
    size_t tail = pt->path.len + 1 + pt->query.len;
    /* No authority but a path starting "//": written as "scheme:/.//", or the
     * path would read back as an authority (RFC 3986 §5.2.4, WHATWG URL). */
    bool dot_guard = !pt->has_authority && pt->path.len >= 2 && b[pt->path.off] == '/' &&
                     b[pt->path.off + 1] == '/';
    size_t str_len = pt->scheme.len + 1 + 2 + pt->userinfo.len + 1 + auth_len + tail + 1 +
                     pt->fragment.len + (dot_guard ? 2 : 0);
    size_t total = sizeof(httpx_url_t) + str_len + 1 + pt->scheme.len + 1 + pt->userinfo.len +
                   1 + pt->host.len + 1 + pt->path.len + 1 + pt->query.len + 1 +
                   pt->fragment.len + 1 + tail + 1 + auth_len + 1 + pt->scheme.len + 3 +
                   auth_len + 1;
    httpx_url_t *u = httpx__malloc(a, total);
    if (!u)
        return HTTPX_E_NOMEM;
    memset(u, 0, sizeof *u);
    u->size = total;
    writer_t w = {(char *)(u + 1)};
    char *s;

    s = w.p;
    w_put(&w, b + pt->scheme.off, pt->scheme.len);
    w_put(&w, ":", 1);
    if (pt->has_authority) {
        w_put(&w, "//", 2);
        if (pt->has_userinfo) {
            w_put(&w, b + pt->userinfo.off, pt->userinfo.len);
            w_put(&w, "@", 1);
        }
        w_authority(&w, pt);
    }
    if (dot_guard)
        w_put(&w, "/.", 2);
    w_put(&w, b + pt->path.off, pt->path.len);
    if (pt->has_query) {
        w_put(&w, "?", 1);
        w_put(&w, b + pt->query.off, pt->query.len);
    }
    if (pt->has_fragment) {
        w_put(&w, "#", 1);
        w_put(&w, b + pt->fragment.off, pt->fragment.len);
    }
    u->str = w_end(&w, s);

    s = w.p, w_put(&w, b + pt->scheme.off, pt->scheme.len), u->scheme = w_end(&w, s);
    if (pt->has_userinfo)
        s = w.p, w_put(&w, b + pt->userinfo.off, pt->userinfo.len), u->userinfo = w_end(&w, s);
    s = w.p, w_put(&w, b + pt->host.off, pt->host.len), u->host = w_end(&w, s);
    s = w.p, w_put(&w, b + pt->path.off, pt->path.len), u->path = w_end(&w, s);
    s = w.p, w_put(&w, b + pt->query.off, pt->query.len), u->query = w_end(&w, s);
    s = w.p, w_put(&w, b + pt->fragment.off, pt->fragment.len), u->fragment = w_end(&w, s);

    s = w.p;
    w_put(&w, b + pt->path.off, pt->path.len);
    if (pt->has_query) {
        w_put(&w, "?", 1);
        w_put(&w, b + pt->query.off, pt->query.len);
    }
    u->target = w_end(&w, s);

    s = w.p;
    if (pt->has_authority)
        w_authority(&w, pt);
    u->authority = w_end(&w, s);

    s = w.p;
    if (pt->host.len) { /* no host, no origin: nothing to connect to */
        w_put(&w, b + pt->scheme.off, pt->scheme.len);
        w_put(&w, "://", 3);
        w_host(&w, pt);
        w_put(&w, ":", 1);
        w_str(&w, pt->port_text);
    }
    u->origin = w_end(&w, s);

    u->a = a;
    u->port = pt->port;
    u->has_port = pt->has_port;
    u->has_query = pt->has_query;
    u->has_fragment = pt->has_fragment;
    u->host_is_ip = false;
    *out = u;
    return 0;
}

/* Map a scratch-buffer failure: the cap can only be hit by an absurd URL. */
static int scratch_err(int rc, httpx_error_t *err)
{
    if (rc == HTTPX_E_NOMEM)
        return rc;
    return URL_ERR(err, "url too long after normalisation");
}

static int normalise(const httpx__url_ref_t *r, httpx__slice_t text, httpx__buf_t *s,
                     parts_t *pt, bool *is_ip, httpx_error_t *err)
{
    int rc;
#define MARK(sp) (pt->sp.off = httpx__buf_size(s))
#define DONE(sp) (pt->sp.len = httpx__buf_size(s) - pt->sp.off)
#define TRY(expr)                                                                              \
    do {                                                                                       \
        if ((rc = (expr)))                                                                     \
            return rc == HTTPX_E_INVALID_URL ? rc : scratch_err(rc, err);                      \
    } while (0)

    MARK(scheme);
    TRY(httpx__buf_append(s, r->scheme.ptr, r->scheme.len));
    DONE(scheme);
    char *sch = httpx__buf_ptr(s) + pt->scheme.off;
    for (size_t i = 0; i < pt->scheme.len; i++)
        if (sch[i] >= 'A' && sch[i] <= 'Z')
            sch[i] = (char)(sch[i] + 32);
    bool special = !strcmp(sch, "http") || !strcmp(sch, "https");
    pt->default_port = httpx__url_default_port(sch);
    pt->port = pt->default_port;

    if (special && !r->has_authority)
        return URL_ERR(err, "missing \"//\" after \"%s:\" in url \"%.*s\"", sch,
                       HTTPX__URL_QUOTE(text.ptr, text.len));
    pt->has_authority = r->has_authority;
    if (r->has_userinfo) {
        pt->has_userinfo = true;
        MARK(userinfo);
        TRY(httpx__url_norm_part(s, r->userinfo.ptr, r->userinfo.len, HTTPX__URL_USERINFO));
        DONE(userinfo);
    }
    if (r->has_authority) {
        MARK(host);
        TRY(httpx__url_host(s, r->host, is_ip, &pt->ipv6, err));
        DONE(host);
    }
    if (special && pt->host.len == 0)
        return URL_ERR(err, "missing host in url \"%.*s\"", HTTPX__URL_QUOTE(text.ptr, text.len));
    if (r->has_port && r->port.len) { /* "host:" is allowed and means the default */
        if (parse_port(r->port, &pt->port))
            return URL_ERR(err, "invalid port \"%.*s\" in url", HTTPX__URL_QUOTE(r->port.ptr, r->port.len));
        pt->has_port = true;
    }
    snprintf(pt->port_text, sizeof pt->port_text, "%d", pt->port);

    MARK(path);
    TRY(httpx__url_norm_part(s, r->path.ptr, r->path.len, HTTPX__URL_PATH));
    DONE(path);
    /* hierarchical paths only: "mailto:a/../b" is opaque */
    if (r->has_authority || (pt->path.len && httpx__buf_ptr(s)[pt->path.off] == '/')) {
        pt->path.len = httpx__url_remove_dots(httpx__buf_ptr(s) + pt->path.off, pt->path.len);
        s->len = s->off + pt->path.off + pt->path.len;
    }
    if (special && pt->path.len == 0) {
        TRY(httpx__buf_append(s, "/", 1));
        DONE(path);
    }
    if (r->has_query) {
        pt->has_query = true;
        MARK(query);
        TRY(httpx__url_norm_part(s, r->query.ptr, r->query.len, HTTPX__URL_QUERY));
        DONE(query);
    }
    if (r->has_fragment) {
        pt->has_fragment = true;
        MARK(fragment);
        TRY(httpx__url_norm_part(s, r->fragment.ptr, r->fragment.len, HTTPX__URL_FRAGMENT));
        DONE(fragment);
    }
#undef MARK
#undef DONE
#undef TRY
    return 0;
}

int httpx__url_build(const httpx__url_ref_t *r, httpx__slice_t text, const httpx_allocator_t *a,
                     httpx_url_t **out, httpx_error_t *err)
{
    *out = NULL;
    httpx__buf_t s;
    httpx__buf_init(&s, a, (size_t)HTTPX__URL_MAX_LEN * 8);
    parts_t pt;
    memset(&pt, 0, sizeof pt);
    bool is_ip = false;
    int rc = normalise(r, text, &s, &pt, &is_ip, err);
    if (rc == 0) {
        pt.base = httpx__buf_ptr(&s);
        rc = lay_out(&pt, a, out);
        if (rc == 0)
            (*out)->host_is_ip = is_ip;
    }
    httpx__buf_release(&s);
    return rc;
}

void httpx_url_free(httpx_url_t *url)
{
    if (url)
        httpx__free(url->a, url);
}

const char *httpx_url_str(const httpx_url_t *url) { return url ? url->str : NULL; }
const char *httpx_url_scheme(const httpx_url_t *url) { return url ? url->scheme : NULL; }
const char *httpx_url_userinfo(const httpx_url_t *url) { return url ? url->userinfo : NULL; }
const char *httpx_url_host(const httpx_url_t *url) { return url ? url->host : NULL; }
int httpx_url_port(const httpx_url_t *url) { return url ? url->port : 0; }
const char *httpx_url_path(const httpx_url_t *url) { return url ? url->path : NULL; }
const char *httpx_url_query(const httpx_url_t *url) { return url ? url->query : NULL; }
const char *httpx_url_fragment(const httpx_url_t *url) { return url ? url->fragment : NULL; }
const char *httpx_url_target(const httpx_url_t *url) { return url ? url->target : NULL; }

/* Copy u's block into c (at least u->size bytes) and move every string pointer
 * by the blocks' distance. */
static void clone_to(const httpx_url_t *u, httpx_url_t *c)
{
    memcpy(c, u, u->size);
    char **fields[] = {&c->str, &c->scheme, &c->userinfo, &c->host, &c->path, &c->query,
                       &c->fragment, &c->target, &c->authority, &c->origin};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (*fields[i])
            *fields[i] = (char *)c + (*fields[i] - (const char *)u);
}

int httpx__url_clone(const httpx_url_t *u, httpx_url_t **out)
{
    httpx_url_t *c = httpx__malloc(u->a, u->size);
    if (!c)
        return HTTPX_E_NOMEM;
    clone_to(u, c);
    *out = c;
    return 0;
}

int httpx__url_clone_reuse(const httpx_url_t *u, httpx_url_t *spare, httpx_url_t **out)
{
    if (!spare || spare->size < u->size || spare->a != u->a) {
        httpx_url_free(spare);
        return httpx__url_clone(u, out);
    }
    size_t cap = spare->size;
    clone_to(u, spare);
    spare->size = cap; /* the block's bytes: a later clone copies all of it, harmlessly */
    *out = spare;
    return 0;
}
