/* proxy/route.c — proxy URLs, the routing table (HTTPX's mounts plus the *_proxy
 * environment variables) and the NO_PROXY matcher. The rules are written once, at
 * the top of proxy/proxy.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "proxy/proxy.h"
#include "url/url.h"

#define SETUP HTTPX_PHASE_SETUP

/* Longest proxy URL or mount pattern we take, in bytes. */
#define PROXY_TEXT_MAX (64u * 1024u)

/* ---- small text helpers ---------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse p[0, n) as a port 1..65535; -1 if it is not one. */
static int parse_port(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v >= 1 && v <= 65535 ? v : -1;
}

/* Parse p[0, n) as a decimal prefix length 0..max; -1 if it is not one. */
static int parse_prefix(const char *p, size_t n, int max)
{
    if (n == 0 || n > 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v <= max ? v : -1;
}

/* Case-insensitive equality of a[0, an) and b[0, bn). */
static bool mem_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || strncasecmp(a, b, an) == 0);
}

/* host[0, hn) is `dom` or a subdomain of it ("x.dom"). */
static bool domain_covers(const char *host, size_t hn, const char *dom, size_t dn)
{
    if (mem_ieq(host, hn, dom, dn))
        return true;
    return hn > dn + 1 && host[hn - dn - 1] == '.' && mem_ieq(host + hn - dn, dn, dom, dn);
}

/* host[0, hn) is a strict subdomain of `dom`. */
static bool domain_below(const char *host, size_t hn, const char *dom, size_t dn)
{
    return hn > dn + 1 && host[hn - dn - 1] == '.' && mem_ieq(host + hn - dn, dn, dom, dn);
}

/* Parse an IP literal p[0, n) (no brackets) into addr; returns 4, 6 or 0. */
static int parse_ip(const char *p, size_t n, unsigned char addr[16])
{
    char tmp[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof tmp)
        return 0;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, addr) == 1)
        return 4;
    if (inet_pton(AF_INET6, tmp, addr) == 1)
        return 6;
    return 0;
}

/* The first `bits` bits of a and b are equal. */
static bool prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (whole && memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest) {
        unsigned char mask = (unsigned char)(0xffu << (8 - rest));
        return (a[whole] & mask) == (b[whole] & mask);
    }
    return true;
}

/* ---- proxy URLs ------------------------------------------------------------ */

static const struct proxy_scheme {
    const char *name;
    httpx__proxy_kind_t kind;
    int port;
} proxy_schemes[] = {
    {"http", HTTPX__PROXY_HTTP, 80},
    {"https", HTTPX__PROXY_HTTPS, 443},
    {"socks5", HTTPX__PROXY_SOCKS5, 1080},
    {"socks5h", HTTPX__PROXY_SOCKS5H, 1080},
};

/* Percent-decode s[0, n) into out (room for n + 1); returns the length, or -1 if
 * the result would hold a NUL (it could not be a C string). */
static long pct_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            char c = (char)(hi * 16 + lo);
            if (c == '\0')
                return -1;
            out[o++] = c;
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

/* The URL parser's message may quote the text; if that text carried credentials,
 * keep them out of the error. */
static int proxy_parse_error(int rc, const char *text, httpx_error_t *err)
{
    if (!err)
        return rc;
    const char *at = strchr(text, '@');
    const char *sep = strstr(text, "://");
    const char *ui = sep && (!at || sep < at) ? sep + 3 : text;
    if (at && at > ui) {
        /* any 4-byte piece of the userinfo in the message counts as a leak */
        size_t n = (size_t)(at - ui);
        bool leak = false;
        for (size_t i = 0; !leak && i + 4 <= n; i++) {
            char piece[5];
            memcpy(piece, ui + i, 4);
            piece[4] = '\0';
            leak = strstr(err->message, piece) != NULL;
        }
        if (leak || n < 4)
            return httpx__err(err, rc, SETUP, "invalid proxy url (not quoted: it holds credentials)");
    }
    httpx_error_t inner = *err;
    return httpx__err(err, rc, SETUP, "invalid proxy url: %s", inner.message);
}

int httpx__proxy_parse(const char *text, const httpx_allocator_t *a, httpx__proxy_t **out,
                       httpx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!text || !out)
        return httpx__err(err, HTTPX_E_INVAL, SETUP, "httpx__proxy_parse: %s is NULL",
                          text ? "out" : "text");
    a = httpx__alloc_or_default(a);
    size_t n = strlen(text);
    while (n && is_ws(text[0]))
        text++, n--;
    while (n && is_ws(text[n - 1]))
        n--;
    if (n == 0)
        return httpx__err(err, HTTPX_E_INVALID_URL, SETUP, "empty proxy url");
    if (n > PROXY_TEXT_MAX)
        return httpx__err(err, HTTPX_E_INVALID_URL, SETUP, "proxy url too long (%zu bytes)", n);

    /* "host:port" without a scheme means http:// (as HTTPX and curl read it) */
    httpx__buf_t full;
    httpx__buf_init(&full, a, PROXY_TEXT_MAX + 16);
    bool bare = memmem(text, n, "://", 3) == NULL;
    int rc = httpx__buf_append_str(&full, bare ? "http://" : "");
    if (rc == 0)
        rc = httpx__buf_append(&full, text, n);
    if (rc) {
        httpx__buf_release(&full);
        return httpx__err(err, HTTPX_E_NOMEM, SETUP, "out of memory parsing a proxy url");
    }
    httpx_url_t *u = NULL;
    rc = httpx_url_parse(httpx__buf_ptr(&full), a, &u, err);
    if (rc) {
        rc = rc == HTTPX_E_NOMEM
                 ? httpx__err(err, rc, SETUP, "out of memory parsing a proxy url")
                 : proxy_parse_error(rc, httpx__buf_ptr(&full), err);
        httpx__buf_release(&full);
        return rc;
    }
    httpx__buf_release(&full);

    const struct proxy_scheme *sch = NULL;
    for (size_t i = 0; i < sizeof proxy_schemes / sizeof proxy_schemes[0]; i++)
        if (!strcmp(u->scheme, proxy_schemes[i].name))
            sch = &proxy_schemes[i];
    if (!sch) {
        rc = httpx__err(err, HTTPX_E_INVALID_URL, SETUP,
                        "unsupported proxy scheme \"%.40s\" in \"%.40s://%.160s\" (use http, https, "
                        "socks5 or socks5h)",
                        u->scheme, u->scheme, u->authority);
        goto done;
    }
    if (u->host[0] == '\0') {
        rc = httpx__err(err, HTTPX_E_INVALID_URL, SETUP, "proxy url \"%s://\" has no host",
                        u->scheme);
        goto done;
    }
    if ((u->path[0] && strcmp(u->path, "/")) || u->has_query || u->has_fragment) {
        rc = httpx__err(err, HTTPX_E_INVALID_URL, SETUP,
                        "proxy url \"%s://%.160s\" may not have a path, query or fragment",
                        u->scheme, u->authority);
        goto done;
    }

    int port = u->has_port ? u->port : sch->port;
    size_t hn = strlen(u->host);
    size_t un = 0, pn = 0;
    const char *colon = NULL;
    if (u->userinfo) {
        colon = strchr(u->userinfo, ':');
        un = colon ? (size_t)(colon - u->userinfo) : strlen(u->userinfo);
        pn = colon ? strlen(colon + 1) : 0;
    }
    /* "scheme://" + [host] + ":" + port */
    size_t urln = strlen(sch->name) + 3 + hn + 2 + 1 + 5;
    size_t total = sizeof(httpx__proxy_t) + hn + 1 + (u->userinfo ? un + 1 + pn + 1 : 0) + urln + 1;
    httpx__proxy_t *p = httpx__calloc(a, total);
    if (!p) {
        rc = httpx__err(err, HTTPX_E_NOMEM, SETUP, "out of memory parsing a proxy url");
        goto done;
    }
    char *w = (char *)(p + 1);
    p->a = a;
    p->kind = sch->kind;
    p->scheme = sch->name;
    p->port = port;
    p->host_is_ip = u->host_is_ip;
    p->host = w;
    memcpy(w, u->host, hn + 1);
    w += hn + 1;
    if (u->userinfo) {
        long dn = pct_decode(u->userinfo, un, w);
        if (dn < 0) {
            httpx__free(a, p);
            rc = httpx__err(err, HTTPX_E_INVALID_URL, SETUP,
                            "proxy url \"%s://%.160s\": username decodes to a NUL byte", u->scheme,
                            u->authority);
            goto done;
        }
        p->username = w;
        w += dn + 1;
        if (colon) {
            dn = pct_decode(colon + 1, pn, w);
            if (dn < 0) {
                httpx__free(a, p);
                rc = httpx__err(err, HTTPX_E_INVALID_URL, SETUP,
                                "proxy url \"%s://%.160s\": password decodes to a NUL byte",
                                u->scheme, u->authority);
                goto done;
            }
            p->password = w;
            w += dn + 1;
        }
    }
    p->url = w;
    bool v6 = strchr(u->host, ':') != NULL;
    snprintf(w, urln + 1, "%s://%s%s%s:%d", sch->name, v6 ? "[" : "", u->host, v6 ? "]" : "", port);
    *out = p;
    rc = 0;
done:
    httpx_url_free(u);
    return rc;
}

void httpx__proxy_free(httpx__proxy_t *p)
{
    if (p)
        httpx__free(p->a, p);
}

/* ---- NO_PROXY ---------------------------------------------------------------- */

/* One NO_PROXY entry e[0, n) against the host. Malformed entries match nothing. */
static bool np_entry(const char *e, size_t n, const char *host, size_t hn, int hfam,
                     const unsigned char *haddr, int port)
{
    if (n == 1 && e[0] == '*')
        return true;
    const char *h = e; /* host part of the entry */
    size_t h_len = n;
    const char *bits = NULL; /* "/bits" digits */
    size_t bits_len = 0;
    int want_port = 0;
    if (e[0] == '[') {
        const char *close = memchr(e, ']', n);
        if (!close)
            return false;
        h = e + 1;
        h_len = (size_t)(close - e) - 1;
        const char *rest = close + 1, *end = e + n;
        if (rest < end && *rest == '/') {
            const char *stop = memchr(rest, ':', (size_t)(end - rest));
            bits = rest + 1;
            bits_len = (size_t)((stop ? stop : end) - bits);
            rest = stop ? stop : end;
        }
        if (rest < end) {
            if (*rest != ':' || (want_port = parse_port(rest + 1, (size_t)(end - rest - 1))) < 0)
                return false;
        }
    } else {
        size_t colons = 0;
        for (size_t i = 0; i < n; i++)
            colons += e[i] == ':';
        if (colons == 1) { /* name:port or v4:port */
            const char *c = memchr(e, ':', n);
            if ((want_port = parse_port(c + 1, (size_t)(e + n - c - 1))) < 0)
                return false;
            h_len = (size_t)(c - e);
        }
        const char *slash = memchr(h, '/', h_len);
        if (slash) {
            bits = slash + 1;
            bits_len = (size_t)(h + h_len - bits);
            h_len = (size_t)(slash - h);
        }
    }
    if (want_port && want_port != port)
        return false;

    unsigned char eaddr[16];
    int efam = parse_ip(h, h_len, eaddr);
    if (efam) {
        int max = efam == 4 ? 32 : 128;
        int plen = max;
        if (bits && (plen = parse_prefix(bits, bits_len, max)) < 0)
            return false;
        return hfam == efam && prefix_eq(haddr, eaddr, plen);
    }
    if (bits || e[0] == '[')
        return false; /* a prefix or brackets on something that is not an address */

    /* a domain name: ".example.com" and "*.example.com" read as "example.com" */
    if (h_len >= 2 && h[0] == '*' && h[1] == '.')
        h += 2, h_len -= 2;
    else if (h_len >= 1 && h[0] == '.')
        h++, h_len--;
    while (h_len && h[h_len - 1] == '.')
        h_len--;
    if (h_len == 0)
        return false;
    for (size_t i = 0; i < h_len; i++) {
        char c = lower(h[i]);
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  (c == '.' && i > 0 && h[i - 1] != '.');
        if (!ok)
            return false;
    }
    if (mem_ieq(h, h_len, "localhost", 9)) {
        static const unsigned char v6_loop[16] = {[15] = 1};
        if ((hfam == 4 && haddr[0] == 127) || (hfam == 6 && !memcmp(haddr, v6_loop, 16)))
            return true;
    }
    return hfam == 0 && domain_covers(host, hn, h, h_len);
}

bool httpx__proxy_no_proxy_match(const char *list, const char *host, int port)
{
    if (!list || !host)
        return false;
    size_t hn = strlen(host);
    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']')
        host++, hn -= 2;
    while (hn && host[hn - 1] == '.')
        hn--;
    unsigned char haddr[16] = {0};
    int hfam = parse_ip(host, hn, haddr);
    const char *p = list;
    while (*p) {
        while (*p == ',' || is_ws(*p))
            p++;
        const char *start = p;
        while (*p && *p != ',' && !is_ws(*p))
            p++;
        if (p > start && np_entry(start, (size_t)(p - start), host, hn, hfam, haddr, port))
            return true;
    }
    return false;
}

/* ---- the routing table --------------------------------------------------------- */

typedef enum host_mode {
    HOST_ANY,          /* "", "*" */
    HOST_EXACT,        /* "example.com" */
    HOST_SELF_AND_SUB, /* "*example.com" */
    HOST_SUB           /* "*.example.com" */
} host_mode_t;

typedef struct route {
    char *pattern;         /* normalised "scheme://host[:port]": identity for replacement */
    const char *scheme;    /* inside pattern's block; "" for all:// */
    const char *host;      /* without the "*" / "*." prefix or brackets */
    size_t host_len;
    size_t host_prio;      /* host text as written (brackets excluded): longer wins */
    host_mode_t mode;
    int port;              /* 0: any */
    httpx__proxy_t *proxy; /* NULL: direct */
    bool from_env;
    size_t order;
} route_t;

struct httpx__proxy_table {
    const httpx_allocator_t *a;
    route_t *routes;
    size_t n, cap, next_order;
    char *no_proxy; /* the environment's NO_PROXY, or NULL */
};

/* Parse a mount pattern into r (allocating r->pattern). HTTPX_E_INVAL or NOMEM. */
static int route_parse(const httpx_allocator_t *a, const char *pat, route_t *r, httpx_error_t *err)
{
    size_t n = strlen(pat);
    const char *sep = strstr(pat, "://");
    if (!sep)
        return httpx__err(err, HTTPX_E_INVAL, SETUP,
                          "proxy mount \"%.160s\": not a pattern (write \"%.40s://\")", pat, pat);
    if (n > 1024)
        return httpx__err(err, HTTPX_E_INVAL, SETUP, "proxy mount pattern too long (%zu bytes)", n);
    size_t sn = (size_t)(sep - pat);
    if (sn == 0)
        return httpx__err(err, HTTPX_E_INVAL, SETUP, "proxy mount \"%.160s\": empty scheme", pat);
    for (size_t i = 0; i < sn; i++) {
        char c = lower(pat[i]);
        if (!((c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
                                                   c == '-' || c == '.'))))
            return httpx__err(err, HTTPX_E_INVAL, SETUP,
                              "proxy mount \"%.160s\": invalid scheme", pat);
    }
    bool all = mem_ieq(pat, sn, "all", 3);
    const char *h = sep + 3, *end = pat + n;
    if (end > h && end[-1] == '/')
        end--; /* "https://example.com/" */
    const char *hend = end;
    int port = 0;
    bool v6 = false;
    if (h < end && *h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            return httpx__err(err, HTTPX_E_INVAL, SETUP,
                              "proxy mount \"%.160s\": no closing \"]\"", pat);
        hend = close + 1;
        v6 = true;
    } else {
        const char *c = memchr(h, ':', (size_t)(end - h));
        if (c)
            hend = c;
    }
    if (hend < end) {
        if (*hend != ':' || (port = parse_port(hend + 1, (size_t)(end - hend - 1))) < 0)
            return httpx__err(err, HTTPX_E_INVAL, SETUP,
                              "proxy mount \"%.160s\": invalid port", pat);
    }
    const char *host = v6 ? h + 1 : h;
    size_t hl = v6 ? (size_t)(hend - h) - 2 : (size_t)(hend - h);
    if (!v6 && hl >= 2 && host[hl - 1] == '.' && host[hl - 2] != '.' && host[hl - 2] != '*')
        hl--; /* "example.com." is "example.com" */
    host_mode_t mode = HOST_EXACT;
    size_t prio = hl;
    if (v6) {
        unsigned char tmp[16];
        if (parse_ip(host, hl, tmp) != 6)
            return httpx__err(err, HTTPX_E_INVAL, SETUP,
                              "proxy mount \"%.160s\": invalid ipv6 address", pat);
    } else if (hl == 0 || (hl == 1 && host[0] == '*')) {
        mode = HOST_ANY;
        prio = hl;
        hl = 0;
    } else {
        if (host[0] == '*' && hl > 2 && host[1] == '.')
            mode = HOST_SUB, host += 2, hl -= 2;
        else if (host[0] == '*')
            mode = HOST_SELF_AND_SUB, host += 1, hl -= 1;
        for (size_t i = 0; i < hl; i++) {
            char c = lower(host[i]);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.'))
                return httpx__err(err, HTTPX_E_INVAL, SETUP,
                                  "proxy mount \"%.160s\": invalid character in host (use the "
                                  "ascii, punycode form)",
                                  pat);
        }
        if (hl == 0 || host[0] == '.' || host[hl - 1] == '.')
            return httpx__err(err, HTTPX_E_INVAL, SETUP, "proxy mount \"%.160s\": invalid host",
                              pat);
    }
    /* block: pattern-text NUL scheme NUL host NUL */
    size_t text_len = (size_t)(end - pat);
    char *blk = httpx__malloc(a, text_len + 1 + sn + 1 + hl + 1);
    if (!blk)
        return httpx__err(err, HTTPX_E_NOMEM, SETUP, "out of memory adding a proxy mount");
    char *w = blk;
    for (size_t i = 0; i < text_len; i++)
        w[i] = lower(pat[i]);
    w[text_len] = '\0';
    r->pattern = blk;
    w += text_len + 1;
    for (size_t i = 0; i < sn; i++)
        w[i] = lower(pat[i]);
    w[all ? 0 : sn] = '\0';
    r->scheme = w;
    w += sn + 1;
    for (size_t i = 0; i < hl; i++)
        w[i] = lower(host[i]);
    w[hl] = '\0';
    r->host = w;
    r->host_len = hl;
    r->host_prio = prio;
    r->mode = mode;
    r->port = port;
    return 0;
}

static bool route_match(const route_t *r, const httpx_url_t *u)
{
    if (r->scheme[0] && strcmp(r->scheme, u->scheme) != 0)
        return false;
    if (r->port && r->port != u->port)
        return false;
    size_t hn = strlen(u->host);
    while (hn && u->host[hn - 1] == '.')
        hn--;
    switch (r->mode) {
    case HOST_ANY:
        return true;
    case HOST_EXACT:
        return mem_ieq(u->host, hn, r->host, r->host_len);
    case HOST_SELF_AND_SUB:
        return domain_covers(u->host, hn, r->host, r->host_len);
    case HOST_SUB:
        return domain_below(u->host, hn, r->host, r->host_len);
    }
    return false;
}

/* a is more specific than b (HTTPX's priority, then explicit first, then older). */
static bool route_better(const route_t *a, const route_t *b)
{
    if ((a->port != 0) != (b->port != 0))
        return a->port != 0;
    if (a->host_prio != b->host_prio)
        return a->host_prio > b->host_prio;
    size_t as = strlen(a->scheme), bs = strlen(b->scheme);
    if (as != bs)
        return as > bs;
    if (a->from_env != b->from_env)
        return !a->from_env;
    return a->order < b->order;
}

static void route_release(const httpx_allocator_t *a, route_t *r)
{
    httpx__free(a, r->pattern);
    httpx__proxy_free(r->proxy);
}

/* Add pattern -> proxy_url (NULL: direct). `what` names the source in messages. */
static int table_add(httpx__proxy_table_t *t, const char *pattern, const char *proxy_url,
                     bool from_env, const char *what, httpx_error_t *err)
{
    route_t r = {0};
    int rc = route_parse(t->a, pattern, &r, err);
    if (rc)
        return rc;
    if (proxy_url) {
        rc = httpx__proxy_parse(proxy_url, t->a, &r.proxy, err);
        if (rc) {
            httpx__free(t->a, r.pattern);
            if (rc != HTTPX_E_NOMEM && err) {
                httpx_error_t inner = *err;
                rc = httpx__err(err, rc, SETUP, "%s: %s", what, inner.message);
            }
            return rc;
        }
    }
    r.from_env = from_env;
    for (size_t i = 0; i < t->n; i++) {
        if (!strcmp(t->routes[i].pattern, r.pattern)) {
            r.order = t->routes[i].order;
            route_release(t->a, &t->routes[i]);
            t->routes[i] = r;
            return 0;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        route_t *grown = httpx__realloc(t->a, t->routes, cap * sizeof *grown);
        if (!grown) {
            route_release(t->a, &r);
            return httpx__err(err, HTTPX_E_NOMEM, SETUP, "out of memory adding a proxy mount");
        }
        t->routes = grown;
        t->cap = cap;
    }
    r.order = t->next_order++;
    t->routes[t->n++] = r;
    return 0;
}

static const char *sys_getenv(const char *name, void *user)
{
    (void)user;
    return getenv(name);
}

/* lower case first; the upper-case name only when the lower-case one is unset. */
static const char *env_lookup(const httpx__proxy_config_t *cfg, const char *lname,
                              const char *uname, const char **used)
{
    httpx__getenv_fn get = cfg->getenv ? cfg->getenv : sys_getenv;
    const char *v = get(lname, cfg->getenv_user);
    *used = lname;
    if (v)
        return v;
    /* httpoxy: in CGI, HTTP_PROXY may come from a request's "Proxy:" header */
    if (!strcmp(uname, "HTTP_PROXY") && get("REQUEST_METHOD", cfg->getenv_user))
        return NULL;
    *used = uname;
    return get(uname, cfg->getenv_user);
}

static bool blank(const char *s)
{
    while (s && is_ws(*s))
        s++;
    return !s || !*s;
}

static int table_from_env(httpx__proxy_table_t *t, const httpx__proxy_config_t *cfg,
                          httpx_error_t *err)
{
    static const struct {
        const char *lname, *uname, *pattern;
    } vars[] = {
        {"http_proxy", "HTTP_PROXY", "http://"},
        {"https_proxy", "HTTPS_PROXY", "https://"},
        {"all_proxy", "ALL_PROXY", "all://"},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *used;
        const char *v = env_lookup(cfg, vars[i].lname, vars[i].uname, &used);
        if (blank(v))
            continue;
        char what[64];
        snprintf(what, sizeof what, "environment variable %s", used);
        int rc = table_add(t, vars[i].pattern, v, true, what, err);
        if (rc)
            return rc;
    }
    const char *used;
    const char *np = env_lookup(cfg, "no_proxy", "NO_PROXY", &used);
    if (!blank(np)) {
        t->no_proxy = httpx__strdup(t->a, np);
        if (!t->no_proxy)
            return httpx__err(err, HTTPX_E_NOMEM, SETUP, "out of memory copying %s", used);
    }
    return 0;
}

int httpx__proxy_table_new(const httpx_allocator_t *a, const httpx__proxy_config_t *cfg,
                           httpx__proxy_table_t **out, httpx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!cfg || !out)
        return httpx__err(err, HTTPX_E_INVAL, SETUP, "httpx__proxy_table_new: %s is NULL",
                          cfg ? "out" : "cfg");
    a = httpx__alloc_or_default(a);
    httpx__proxy_table_t *t = HTTPX__NEW(a, httpx__proxy_table_t);
    if (!t)
        return httpx__err(err, HTTPX_E_NOMEM, SETUP, "out of memory creating a proxy table");
    t->a = a;
    int rc = 0;
    if (cfg->trust_env && !cfg->proxy)
        rc = table_from_env(t, cfg, err);
    if (rc == 0 && cfg->proxy)
        rc = table_add(t, "all://", cfg->proxy, false, "proxy option", err);
    for (const httpx__proxy_mount_t *m = cfg->mounts; rc == 0 && m && m->pattern; m++) {
        char what[200];
        snprintf(what, sizeof what, "proxy mount \"%.160s\"", m->pattern);
        rc = table_add(t, m->pattern, m->proxy, false, what, err);
    }
    if (rc) {
        httpx__proxy_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void httpx__proxy_table_free(httpx__proxy_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        route_release(t->a, &t->routes[i]);
    httpx__free(t->a, t->routes);
    httpx__free(t->a, t->no_proxy);
    httpx__free(t->a, t);
}

size_t httpx__proxy_table_size(const httpx__proxy_table_t *t)
{
    return t ? t->n : 0;
}

int httpx__proxy_for(const httpx__proxy_table_t *t, const httpx_url_t *url,
                     const httpx__proxy_t **out)
{
    if (!url || !out)
        return HTTPX_E_INVAL;
    *out = NULL;
    if (!t)
        return 0;
    /* hosts in NO_PROXY skip the environment's routes, never explicit ones */
    bool skip_env = t->no_proxy && httpx__proxy_no_proxy_match(t->no_proxy, url->host, url->port);
    const route_t *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const route_t *r = &t->routes[i];
        if ((skip_env && r->from_env) || !route_match(r, url))
            continue;
        if (!best || route_better(r, best))
            best = r;
    }
    *out = best ? best->proxy : NULL;
    return 0;
}
