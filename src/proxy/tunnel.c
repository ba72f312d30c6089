/* proxy/connect.c — an HTTP CONNECT tunnel (RFC 9110 §9.3.6, RFC 9112 §3.2.3):
 * the request head, and the check of the proxy's answer with the HTTP/1 parser.
 * Sans-IO: the caller sends the bytes written into its buffer and feeds back what
 * the proxy sent. Every failure to set up the tunnel, including a malformed answer,
 * is HTTPX_E_PROXY: the user asked for an origin and the proxy did not deliver it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/err.h"
#include "core/slice.h"
#include "proxy/proxy.h"

#define PHASE HTTPX_PHASE_CONNECT

enum { C_FAILED = 0, C_READING, C_OPEN };

/* Bytes allowed in a reg-name host (RFC 3986 unreserved, sub-delims and '%'). */
static bool host_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~!$&'()*+,;=%", c) != NULL;
}

int httpx__tunnel_init(httpx__tunnel_t *c, const char *host, int port, httpx_error_t *err)
{
    if (!c)
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "httpx__tunnel_init: c is NULL");
    memset(c, 0, sizeof *c);
    if (!host || !*host)
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "connect: empty target host");
    if (port < 1 || port > 65535)
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "connect: invalid target port %d", port);
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        host++, n -= 2;
    if (n == 0 || n > 255)
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "connect: target host %s",
                          n ? "longer than 255 bytes" : "is empty");
    char tmp[256];
    memcpy(tmp, host, n);
    tmp[n] = '\0';
    if (memchr(tmp, ':', n)) {
        unsigned char addr[16];
        if (inet_pton(AF_INET6, tmp, addr) != 1)
            return httpx__err(err, HTTPX_E_INVAL, PHASE,
                              "connect: invalid ipv6 target host \"%.200s\"", tmp);
        snprintf(c->target, sizeof c->target, "[%s]:%d", tmp, port);
    } else {
        for (size_t i = 0; i < n; i++)
            if (!host_byte((unsigned char)tmp[i]))
                return httpx__err(err, HTTPX_E_INVAL, PHASE,
                                  "connect: invalid byte 0x%02x in target host",
                                  (unsigned char)tmp[i]);
        snprintf(c->target, sizeof c->target, "%s:%d", tmp, port);
    }
    c->limits.max_head_bytes = HTTPX__CONNECT_MAX_HEAD;
    c->limits.max_fields = HTTPX__CONNECT_MAX_FIELDS;
    c->state = C_READING;
    return 0;
}

/* RFC 9110 token characters. */
static bool tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!tchar((unsigned char)*s))
            return false;
    return true;
}

/* No control bytes except HTAB (so no CR, LF; NUL cannot occur in a C string). */
static bool value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* Append base64 (RFC 4648, padded) of user ":" pass. */
static int b64_credentials(httpx__buf_t *b, const char *user, const char *pass)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t un = strlen(user), pn = strlen(pass), n = un + 1 + pn;
    int rc = httpx__buf_reserve(b, (n + 2) / 3 * 4);
    if (rc)
        return rc;
    char *w = httpx__buf_tail(b);
    for (size_t i = 0; i < n; i += 3) {
        unsigned char in[3] = {0, 0, 0};
        size_t k = n - i < 3 ? n - i : 3;
        for (size_t j = 0; j < k; j++) {
            size_t at = i + j;
            in[j] = (unsigned char)(at < un ? user[at] : at == un ? ':' : pass[at - un - 1]);
        }
        uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
        *w++ = tab[v >> 18 & 63];
        *w++ = tab[v >> 12 & 63];
        *w++ = k > 1 ? tab[v >> 6 & 63] : '=';
        *w++ = k > 2 ? tab[v & 63] : '=';
    }
    httpx__buf_commit(b, (n + 2) / 3 * 4);
    return 0;
}

int httpx__tunnel_write(const httpx__tunnel_t *c, const httpx__proxy_t *proxy,
                         const httpx_header_t *extra, httpx__buf_t *out, httpx_error_t *err)
{
    if (!c || !out || c->target[0] == '\0')
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "httpx__tunnel_write: %s",
                          !c || c->target[0] == '\0' ? "tunnel not initialised" : "out is NULL");
    bool own_host = false, own_auth = false;
    for (const httpx_header_t *h = extra; h && h->name; h++) {
        if (!name_ok(h->name))
            return httpx__err(err, HTTPX_E_INVAL, PHASE,
                              "connect: invalid proxy header name \"%.80s\"", h->name);
        if (!h->value || !value_ok(h->value))
            return httpx__err(err, HTTPX_E_INVAL, PHASE,
                              "connect: invalid value for proxy header \"%.80s\"", h->name);
        if (!strcasecmp(h->name, "content-length") || !strcasecmp(h->name, "transfer-encoding"))
            return httpx__err(err, HTTPX_E_INVAL, PHASE,
                              "connect: proxy header \"%.80s\" not allowed (connect has no body)",
                              h->name);
        own_host |= !strcasecmp(h->name, "host");
        own_auth |= !strcasecmp(h->name, "proxy-authorization");
    }
    bool basic = proxy && proxy->username && !own_auth;
    if (basic && strchr(proxy->username, ':'))
        return httpx__err(err, HTTPX_E_INVAL, PHASE,
                          "connect: proxy username contains ':', which basic auth cannot carry");

    size_t mark = httpx__buf_size(out);
    int rc = httpx__buf_printf(out, "CONNECT %s HTTP/1.1\r\n", c->target);
    if (rc == 0 && !own_host)
        rc = httpx__buf_printf(out, "Host: %s\r\n", c->target);
    if (rc == 0 && basic) {
        rc = httpx__buf_append_str(out, "Proxy-Authorization: Basic ");
        if (rc == 0)
            rc = b64_credentials(out, proxy->username, proxy->password ? proxy->password : "");
        if (rc == 0)
            rc = httpx__buf_append(out, "\r\n", 2);
    }
    for (const httpx_header_t *h = extra; rc == 0 && h && h->name; h++) {
        rc = httpx__buf_append_str(out, h->name);
        if (rc == 0)
            rc = httpx__buf_append(out, ": ", 2);
        if (rc == 0)
            rc = httpx__buf_append_str(out, h->value);
        if (rc == 0)
            rc = httpx__buf_append(out, "\r\n", 2);
    }
    if (rc == 0)
        rc = httpx__buf_append(out, "\r\n", 2);
    if (rc == 0)
        return 0;
    out->len = out->off + mark; /* live bytes survive compaction; drop what we added */
    if (out->data)
        out->data[out->len] = '\0';
    if (rc == HTTPX_E_NOMEM)
        return httpx__err(err, rc, PHASE, "out of memory writing connect to %s", c->target);
    return httpx__err(err, HTTPX_E_INVAL, PHASE,
                      "connect: request head for %s exceeds the buffer's cap (%zu bytes)",
                      c->target, out->max);
}

int httpx__tunnel_feed(httpx__tunnel_t *c, const char *buf, size_t len, size_t *used,
                        httpx_error_t *err)
{
    *used = 0;
    if (c->state == C_OPEN) {
        *used = c->used;
        return 1;
    }
    if (c->state == C_FAILED)
        return httpx__err(err, HTTPX_E_PROXY, PHASE, "connect: tunnel %s",
                          c->target[0] ? "already failed" : "not initialised");
    if (len < c->used)
        return httpx__err(err, HTTPX_E_INVAL, PHASE,
                          "connect to %s: fed %zu bytes, fewer than the %zu already consumed",
                          c->target, len, c->used);
    for (;;) {
        httpx_error_t perr = {0};
        int rc = httpx__h1_parse_head(buf + c->used, len - c->used, &c->scan, "CONNECT",
                                      &c->limits, c->fields, &c->head, &perr);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            c->state = C_FAILED;
            return httpx__err(err, HTTPX_E_PROXY, PHASE, "connect to %s: bad proxy response: %s",
                              c->target, perr.message);
        }
        c->used += (size_t)rc;
        int st = c->head.status;
        if (st >= 100 && st < 200 && st != 101) {
            c->scan = 0; /* an interim answer: the final one follows */
            continue;
        }
        *used = c->used;
        if (st >= 200 && st < 300) {
            c->state = C_OPEN;
            return 1;
        }
        c->state = C_FAILED;
        if (st == 407)
            return httpx__err(err, HTTPX_E_PROXY, PHASE,
                              "connect to %s: proxy authentication required (407)", c->target);
        httpx__slice_t r = c->head.reason;
        return httpx__err(err, HTTPX_E_PROXY, PHASE, "connect to %s: proxy answered %d%s%.*s%s",
                          c->target, st, r.len ? " \"" : "", (int)(r.len > 80 ? 80 : r.len),
                          r.ptr ? r.ptr : "", r.len ? "\"" : "");
    }
}

int httpx__tunnel_eof(const httpx__tunnel_t *c, httpx_error_t *err)
{
    if (c->state == C_OPEN)
        return 0;
    if (c->state == C_FAILED)
        return httpx__err(err, HTTPX_E_PROXY, PHASE, "connect to %s: tunnel %s",
                          c->target[0] ? c->target : "?",
                          c->target[0] ? "refused by the proxy" : "not initialised");
    return httpx__err(err, HTTPX_E_PROXY, PHASE,
                      "connect to %s: proxy closed the connection before answering", c->target);
}
