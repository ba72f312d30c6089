/* client/request.c — turn (method, url, options) into bytes for the wire: the
 * request head, and the body as a source to pull from. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auth/auth.h"
#include "body/body.h"
#include "client/exchange.h"
#include "client/headers.h"
#include "core/err.h"
#include "core/mem.h"

#define PIECE_SIZE (64 * 1024)

static const char *const known_methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

/* The shared static string for one of the usual methods, else NULL. */
static const char *known_method(const char *m)
{
    for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
        if (strcmp(m, known_methods[i]) == 0)
            return known_methods[i];
    return NULL;
}

static bool method_valid(const char *m)
{
    if (!*m)
        return false;
    for (const char *p = m; *p; p++)
        if (!httpx__header_name_valid(p, 1)) /* tchar, as for field names */
            return false;
    return strlen(m) < 32;
}

static bool method_idempotent(const char *m)
{
    /* the usual ones by address: x->method is interned (known_method) */
    if (m == known_methods[0] || m == known_methods[1])
        return true;
    static const char *const ok[] = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(m, ok[i]) == 0)
            return true;
    return false;
}

static bool method_wants_body(const char *m)
{
    if (m == known_methods[0] || m == known_methods[1])
        return false; /* GET, HEAD by address: x->method is interned */
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

/* Headers the library derives from the request itself; a caller setting them would
 * make the framing ambiguous. */
static bool framing_header(const char *name)
{
    return strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0;
}

/* Copy into room reserved beforehand (the head's size is computed first, so the
 * head is built with one reservation and no per-field checks). */
static void put(httpx__buf_t *b, const char *p, size_t n)
{
    memcpy(httpx__buf_tail(b), p, n);
    b->len += n;
}

static void put_field(httpx__buf_t *b, const char *name, size_t nlen, const char *value, size_t vlen)
{
    put(b, name, nlen);
    put(b, ": ", 2);
    put(b, value, vlen);
    put(b, "\r\n", 2);
}

static int build_url(httpx__exchange_t *x, const char *url, const httpx_req_opts_t *opts,
                     httpx_error_t *err)
{
    httpx__engine_t *e = x->eng;
    httpx_url_t *u = NULL;
    int rc;
    if (e->last_url_text && strcmp(url, e->last_url_text) == 0) {
        rc = httpx__url_clone_reuse(e->last_url, x->url_spare, &u); /* the same URL again: no parsing */
        x->url_spare = NULL;
        if (rc)
            return httpx__err(err, rc, HTTPX_PHASE_SETUP, "out of memory");
    } else {
        rc = e->base_url ? httpx_url_resolve(e->base_url, url, &u, err) : httpx_url_parse(url, e->a, &u, err);
        if (rc)
            return rc;
        /* Remember it (best effort: out of memory only loses the shortcut). */
        httpx_url_t *keep = NULL;
        char *text = httpx__strdup(e->a, url);
        if (text && httpx__url_clone(u, &keep) == 0) {
            httpx_url_free(e->last_url);
            httpx__free(e->a, e->last_url_text);
            e->last_url = keep;
            e->last_url_text = text;
        } else {
            httpx__free(e->a, text);
        }
    }
    if (opts && opts->params && opts->params->name) {
        httpx_url_t *v = NULL;
        rc = httpx_url_with_params(u, opts->params, &v);
        httpx_url_free(u);
        if (rc)
            return httpx__err(err, rc, HTTPX_PHASE_SETUP, "cannot add query parameters");
        u = v;
    }
    x->url = u;
    if (strcmp(u->scheme, "https") == 0)
        rc = httpx__engine_tls(e, err);
    else if (strcmp(u->scheme, "http") != 0)
        return httpx__err(err, HTTPX_E_UNSUPPORTED_PROTOCOL, HTTPX_PHASE_SETUP,
                          "unsupported scheme \"%s\" in url (http and https only)", u->scheme);
    return rc ? rc : httpx__request_route(x, err);
}

int httpx__request_route(httpx__exchange_t *x, httpx_error_t *err)
{
    httpx__engine_t *e = x->eng;
    const httpx_url_t *u = x->url;
    const httpx__proxy_t *px = NULL;
    if (e->proxies && httpx__proxy_for(e->proxies, u, &px) == HTTPX_E_NOMEM)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
    x->proxy = px;
    httpx__buf_reset(&x->proxy_auth);
    if (!px) {
        x->via = HTTPX__VIA_DIRECT;
        size_t n = strlen(u->origin);
        if (n >= sizeof x->route_key)
            n = sizeof x->route_key - 1;
        memcpy(x->route_key, u->origin, n);
        x->route_key[n] = '\0';
        return 0;
    }
    bool https = strcmp(u->scheme, "https") == 0;
    switch (px->kind) {
    case HTTPX__PROXY_HTTP:
        x->via = https ? HTTPX__VIA_CONNECT : HTTPX__VIA_FORWARD;
        break;
    case HTTPX__PROXY_SOCKS5:
    case HTTPX__PROXY_SOCKS5H:
        x->via = HTTPX__VIA_SOCKS5;
        break;
    default:
        return httpx__err(err, HTTPX_E_UNSUPPORTED_PROTOCOL, HTTPX_PHASE_SETUP,
                          "proxy \"%s\": TLS to the proxy itself is not supported yet", px->url);
    }
    /* Forwarded requests share the proxy's connections; tunnels are per origin. */
    if (x->via == HTTPX__VIA_FORWARD)
        snprintf(x->route_key, sizeof x->route_key, "forward %s", px->url);
    else
        snprintf(x->route_key, sizeof x->route_key, "%s via %s", u->origin, px->url);
    if (x->via == HTTPX__VIA_FORWARD && px->username) {
        int rc = httpx__auth_basic(px->username, px->password ? px->password : "", &x->proxy_auth);
        if (rc)
            return httpx__err(err, rc, HTTPX_PHASE_SETUP, "invalid proxy credentials");
    }
    return 0;
}

static int build_body(httpx__exchange_t *x, const httpx_body_t *b, httpx_error_t *err,
                      char *framing, size_t framing_cap)
{
    httpx__xbody_t *xb = &x->body;
    xb->fd = -1;
    xb->kind = b ? b->kind : HTTPX_BODY_NONE;
    xb->replayable = true;
    framing[0] = '\0';
    switch (xb->kind) {
    case HTTPX_BODY_NONE:
        xb->ended = true;
        if (method_wants_body(x->method))
            snprintf(framing, framing_cap, "Content-Length: 0\r\n");
        return 0;
    case HTTPX_BODY_BYTES:
        if (b->len && !b->data)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "body data is NULL");
        xb->ended = true;
        snprintf(framing, framing_cap, "Content-Length: %zu\r\n", b->len);
        return 0;
    case HTTPX_BODY_FILE: {
        if (!b->path)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "body file path is NULL");
        xb->fd = open(b->path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (xb->fd < 0 || fstat(xb->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            int saved = errno;
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "cannot read body file \"%s\": %s",
                              b->path, xb->fd < 0 || saved ? strerror(saved) : "not a regular file");
        }
        xb->size = (uint64_t)st.st_size;
        snprintf(framing, framing_cap, "Content-Length: %llu\r\n", (unsigned long long)xb->size);
        xb->ended = xb->size == 0;
        return 0;
    }
    case HTTPX_BODY_FORM:
    case HTTPX_BODY_JSON: {
        /* Encoded once into bytes; the head then carries them like a bytes body. */
        httpx__buf_t *enc = httpx__calloc(x->eng->a, sizeof *enc);
        if (!enc)
            return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        httpx__buf_init(enc, x->eng->a, 0);
        x->body.encoded = enc;
        int rc = xb->kind == HTTPX_BODY_FORM ? httpx__form_urlencode(b->fields, enc)
                                             : (b->len && !b->data ? HTTPX_E_INVAL : httpx__buf_append(enc, b->data, b->len));
        if (rc)
            return httpx__err(err, rc, HTTPX_PHASE_SETUP, rc == HTTPX_E_NOMEM ? "out of memory" : "invalid form or json body");
        const char *ct = xb->kind == HTTPX_BODY_FORM ? "application/x-www-form-urlencoded" : "application/json";
        if (!httpx_headers_get(x->req_headers, "Content-Type") &&
            (!httpx__request_headers(x) || httpx_headers_add(x->req_headers, "Content-Type", ct)))
            return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        xb->ended = true;
        snprintf(framing, framing_cap, "Content-Length: %zu\r\n", httpx__buf_size(enc));
        return 0;
    }
    case HTTPX_BODY_MULTIPART: {
        size_t n = 0;
        while (b->parts && b->parts[n].name)
            n++;
        _Static_assert(sizeof(httpx_part_t) == sizeof(httpx__part_t), "part layouts differ");
        int rc = httpx__multipart_new((const httpx__part_t *)(const void *)b->parts, n, NULL, x->eng->a, &xb->mp, err);
        if (rc)
            return rc;
        if (!httpx_headers_get(x->req_headers, "Content-Type") &&
            (!httpx__request_headers(x) ||
             httpx_headers_add(x->req_headers, "Content-Type", httpx__multipart_content_type(xb->mp))))
            return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        xb->size = httpx__multipart_length(xb->mp);
        xb->ended = xb->size == 0;
        snprintf(framing, framing_cap, "Content-Length: %llu\r\n", (unsigned long long)xb->size);
        return 0;
    }
    case HTTPX_BODY_PRODUCER:
        if (!b->producer)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "body producer is NULL");
        xb->producer = b->producer;
        xb->user = b->user;
        xb->chunked = true;
        xb->replayable = false;
        snprintf(framing, framing_cap, "Transfer-Encoding: chunked\r\n");
        return 0;
    }
    return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "unknown body kind %d", (int)xb->kind);
}

/* A head that is only the request line, Host and the engine's default headers
 * (no body, no field of the request's own, no cookie, credential or proxy field,
 * no request hook to show it to) need not be written before the protocol is known:
 * over HTTP/2 the engine's prepared fields are sent instead. */
static bool head_deferrable(const httpx__exchange_t *x)
{
    const httpx__engine_t *e = x->eng;
    return e->h2_defaults && !e->on_request && x->body.kind == HTTPX_BODY_NONE && !x->framing_line[0] &&
           !x->expect_continue && x->via == HTTPX__VIA_DIRECT && !httpx_headers_count(x->req_headers) &&
           !x->left_origin && !httpx__buf_size(&x->cookie_header) && !httpx__buf_size(&x->auth_header) &&
           !httpx__buf_size(&x->proxy_auth);
}

int httpx__request_head_ready(httpx__exchange_t *x)
{
    if (!x->head_deferred)
        return 0;
    int rc = httpx__request_write_head(x, NULL, 0);
    if (rc == 0)
        x->head_deferred = false;
    return rc;
}

int httpx__request_build(httpx__exchange_t *x, const char *method, const char *url,
                         const httpx_req_opts_t *opts, httpx_error_t *err)
{
    httpx__engine_t *e = x->eng;
    int rc;
    if (!method || !url)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "method and url are required");
    /* The usual methods are known valid and shared static strings. */
    const char *known = known_method(method);
    if (!known && !method_valid(method))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "invalid method \"%.40s\"", method);
    x->method = known ? (char *)known : httpx__strdup(e->a, method);
    if (!x->method)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
    x->idempotent = method_idempotent(x->method);
    if ((rc = build_url(x, url, opts, err)))
        return rc;

    /* The caller's headers are validated and kept: a redirect or an auth step
     * rebuilds the head from them. (None given: no list until one is needed.) */
    if (opts && opts->headers && opts->headers->name && !httpx__request_headers(x))
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
    for (const httpx_header_t *h = opts ? opts->headers : NULL; h && h->name; h++) {
        if (!h->value || !httpx__header_name_valid(h->name, strlen(h->name)) ||
            !httpx__header_value_valid(h->value, strlen(h->value)))
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "invalid header \"%.60s\": names must be tokens, values free of CR, LF and NUL",
                              h->name);
        if (framing_header(h->name))
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "header \"%s\" is set by the library from the body", h->name);
        if ((rc = httpx_headers_add(x->req_headers, h->name, h->value)))
            return httpx__err(err, rc, HTTPX_PHASE_SETUP, "out of memory");
    }

    if ((rc = build_body(x, opts ? &opts->body : NULL, err, x->framing_line, sizeof x->framing_line)))
        return rc;
    x->expect_continue = opts && opts->expect_continue && x->body.kind != HTTPX_BODY_NONE;
    if ((rc = httpx__hop_setup(x, opts, err)))
        return rc;
    if (head_deferrable(x)) {
        x->head_deferred = true;
        return 0;
    }
    const void *body = x->body.kind == HTTPX_BODY_BYTES ? opts->body.data : NULL;
    size_t body_len = x->body.kind == HTTPX_BODY_BYTES ? opts->body.len : 0;
    if (x->body.encoded) {
        body = httpx__buf_ptr(x->body.encoded);
        body_len = httpx__buf_size(x->body.encoded);
    }
    rc = httpx__request_write_head(x, body, body_len);
    if (x->body.encoded) { /* the bytes now live after the head */
        httpx__buf_release(x->body.encoded);
        httpx__free(e->a, x->body.encoded);
        x->body.encoded = NULL;
    }
    if (rc)
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, rc == HTTPX_E_NOMEM ? "out of memory" : "request too large");
    return 0;
}

/* Extra fields the engine adds per hop: cookies from the jar, credentials. */
static size_t extra_size(const httpx__exchange_t *x)
{
    size_t n = 0;
    if (httpx__buf_size(&x->cookie_header))
        n += 8 + httpx__buf_size(&x->cookie_header) + 2;
    if (httpx__buf_size(&x->auth_header))
        n += 15 + httpx__buf_size(&x->auth_header) + 2;
    return n;
}

int httpx__request_write_head(httpx__exchange_t *x, const void *body, size_t body_len)
{
    httpx__engine_t *e = x->eng;
    const httpx_url_t *u = x->url;
    httpx__buf_t b;
    httpx__buf_init(&b, e->a, 0);
    /* Write into the old head's allocation, unless the body to copy lives there. */
    uintptr_t old = (uintptr_t)x->out.data, at = (uintptr_t)body;
    if (!body_len || !old || at < old || at >= old + x->out.alloc) {
        size_t alloc;
        httpx__buf_reset(&x->out);
        char *p = httpx__buf_take(&x->out, &alloc);
        httpx__buf_give(&b, p, alloc);
    }
    static const char expect[] = "Expect: 100-continue\r\n";
    const char *method = x->method;
    /* Through a forwarding proxy the request-target is the absolute URL (RFC 9112
     * 3.2.2), without its fragment. */
    const char *target = u->target;
    size_t tlen = strlen(target);
    if (x->via == HTTPX__VIA_FORWARD) {
        target = u->str;
        const char *hash = strchr(target, '#');
        tlen = hash ? (size_t)(hash - target) : strlen(target);
    }
    size_t mlen = strlen(method), alen = strlen(u->authority);
    size_t pauth = httpx__buf_size(&x->proxy_auth);
    size_t flen = strlen(x->framing_line);
    bool own_host = httpx_headers_get(x->req_headers, "Host") != NULL;
    size_t ndef = httpx_headers_count(e->headers), nreq = httpx_headers_count(x->req_headers);
    size_t need = mlen + 1 + tlen + 11 + (own_host ? 0 : 8 + alen) + flen + 2 + extra_size(x) + (pauth ? pauth + 23 : 0) +
                  (x->expect_continue ? sizeof expect - 1 : 0);
    const char *name, *value;
    /* Every default header kept as it is: the engine's ready-made lines. */
    bool all_defaults = !nreq && !x->left_origin && !httpx__buf_size(&x->auth_header);
    if (all_defaults)
        need += e->default_head_len;
    for (size_t i = 0; i < ndef && !all_defaults; i++) {
        httpx_headers_at(e->headers, i, &name, &value);
        if (!httpx_headers_get(x->req_headers, name) && !httpx__hop_default_dropped(x, name))
            need += strlen(name) + strlen(value) + 4;
    }
    for (size_t i = 0; i < nreq; i++) {
        httpx_headers_at(x->req_headers, i, &name, &value);
        need += strlen(name) + strlen(value) + 4;
    }
    int rc;
    if (need + body_len < need || (rc = httpx__buf_reserve(&b, need + body_len))) {
        httpx__buf_release(&b);
        return HTTPX_E_NOMEM;
    }
    put(&b, method, mlen);
    put(&b, " ", 1);
    put(&b, target, tlen);
    put(&b, " HTTP/1.1\r\n", 11);
    if (!own_host)
        put_field(&b, "Host", 4, u->authority, alen);
    if (all_defaults)
        put(&b, e->default_head, e->default_head_len);
    for (size_t i = 0; i < ndef && !all_defaults; i++) {
        httpx_headers_at(e->headers, i, &name, &value);
        if (!httpx_headers_get(x->req_headers, name) && !httpx__hop_default_dropped(x, name))
            put_field(&b, name, strlen(name), value, strlen(value));
    }
    for (size_t i = 0; i < nreq; i++) {
        httpx_headers_at(x->req_headers, i, &name, &value);
        put_field(&b, name, strlen(name), value, strlen(value));
    }
    if (httpx__buf_size(&x->cookie_header))
        put_field(&b, "Cookie", 6, httpx__buf_ptr(&x->cookie_header), httpx__buf_size(&x->cookie_header));
    if (httpx__buf_size(&x->auth_header))
        put_field(&b, "Authorization", 13, httpx__buf_ptr(&x->auth_header), httpx__buf_size(&x->auth_header));
    if (pauth)
        put_field(&b, "Proxy-Authorization", 19, httpx__buf_ptr(&x->proxy_auth), pauth);
    put(&b, x->framing_line, flen);
    if (x->expect_continue)
        put(&b, expect, sizeof expect - 1);
    put(&b, "\r\n", 2);
    size_t head_len = httpx__buf_size(&b);
    /* A bytes body goes right after the head: one buffer, one write. */
    if (body_len)
        put(&b, body, body_len);
    httpx__buf_release(&x->out);
    x->out = b;
    x->head_len = head_len;
    x->out_sent = 0;
    x->head_deferred = false;
    return 0;
}

int httpx__request_next_piece(httpx__exchange_t *x)
{
    httpx__xbody_t *xb = &x->body;
    httpx__buf_t *b = &x->piece;
    httpx__buf_reset(b);
    if (xb->ended)
        return 0;
    if (xb->kind == HTTPX_BODY_MULTIPART) {
        int rc = httpx__buf_reserve(b, PIECE_SIZE);
        if (rc)
            return httpx__err(&x->err, rc, HTTPX_PHASE_WRITE, "out of memory");
        size_t got = 0;
        rc = httpx__multipart_read(xb->mp, httpx__buf_tail(b), PIECE_SIZE, &got);
        if (rc) {
            x->err = *httpx__multipart_error(xb->mp);
            return httpx__err(&x->err, rc, HTTPX_PHASE_WRITE, "multipart body: %s", httpx__multipart_error(xb->mp)->message);
        }
        httpx__buf_commit(b, got);
        xb->sent += got;
        xb->ended = got == 0 || xb->sent == xb->size;
        return 0;
    }
    if (xb->kind == HTTPX_BODY_FILE) {
        int rc = httpx__buf_reserve(b, PIECE_SIZE);
        if (rc)
            return httpx__err(&x->err, rc, HTTPX_PHASE_WRITE, "out of memory");
        uint64_t left = xb->size - xb->sent;
        size_t want = left < PIECE_SIZE ? (size_t)left : PIECE_SIZE;
        ssize_t r = pread(xb->fd, httpx__buf_tail(b), want, (off_t)xb->sent);
        if (r <= 0)
            return httpx__err(&x->err, HTTPX_E_LOCAL_PROTOCOL, HTTPX_PHASE_WRITE,
                              "body file ended or failed after %llu of %llu bytes",
                              (unsigned long long)xb->sent, (unsigned long long)xb->size);
        httpx__buf_commit(b, (size_t)r);
        xb->sent += (uint64_t)r;
        xb->ended = xb->sent == xb->size;
        return 0;
    }
    /* PRODUCER: room for "<hex>\r\n" + data + "\r\n" (+ the last chunk). */
    int rc = httpx__buf_reserve(b, PIECE_SIZE + 32);
    if (rc)
        return httpx__err(&x->err, rc, HTTPX_PHASE_WRITE, "out of memory");
    char *base = httpx__buf_tail(b);
    size_t got = 0;
    if (!xb->chunked) { /* HTTP/2 frames the body itself */
        rc = xb->producer(base, PIECE_SIZE, &got, xb->user);
        if (rc)
            return httpx__err(&x->err, rc < 0 ? rc : HTTPX_E_INVAL, HTTPX_PHASE_WRITE,
                              "request body producer failed: %s", httpx_strerror(rc));
        if (got > PIECE_SIZE)
            return httpx__err(&x->err, HTTPX_E_INVAL, HTTPX_PHASE_WRITE,
                              "request body producer returned %zu bytes for a %d-byte buffer", got, PIECE_SIZE);
        xb->ended = got == 0;
        if (got)
            httpx__buf_commit(b, got);
        return 0;
    }
    rc = xb->producer(base + 10, PIECE_SIZE, &got, xb->user);
    if (rc)
        return httpx__err(&x->err, rc < 0 ? rc : HTTPX_E_INVAL, HTTPX_PHASE_WRITE,
                          "request body producer failed: %s", httpx_strerror(rc));
    if (got > PIECE_SIZE)
        return httpx__err(&x->err, HTTPX_E_INVAL, HTTPX_PHASE_WRITE,
                          "request body producer returned %zu bytes for a %d-byte buffer", got, PIECE_SIZE);
    if (got == 0) {
        memcpy(base, "0\r\n\r\n", 5);
        httpx__buf_commit(b, 5);
        xb->ended = true;
        return 0;
    }
    /* The size line is written in front of the data, right-aligned in 10 bytes. */
    char line[12];
    int ll = snprintf(line, sizeof line, "%zx\r\n", got);
    memmove(base + ll, base + 10, got);
    memcpy(base, line, (size_t)ll);
    memcpy(base + ll + got, "\r\n", 2);
    httpx__buf_commit(b, (size_t)ll + got + 2);
    return 0;
}

int httpx__request_rewind(httpx__exchange_t *x)
{
    httpx__xbody_t *xb = &x->body;
    if (!xb->replayable)
        return HTTPX_E_REQUEST_NOT_READ;
    x->out_sent = 0;
    httpx__buf_reset(&x->piece);
    if (xb->kind == HTTPX_BODY_FILE || xb->kind == HTTPX_BODY_MULTIPART) {
        xb->sent = 0;
        xb->ended = xb->size == 0;
        if (xb->mp)
            httpx__multipart_rewind(xb->mp);
    }
    return 0;
}

void httpx__request_release(httpx__exchange_t *x)
{
    httpx__multipart_free(x->body.mp);
    x->body.mp = NULL;
    if (x->body.encoded) {
        httpx__buf_release(x->body.encoded);
        httpx__free(x->eng->a, x->body.encoded);
        x->body.encoded = NULL;
    }
    if (x->body.fd >= 0)
        close(x->body.fd);
    x->body.fd = -1;
    httpx__buf_release(&x->out);
    httpx__buf_release(&x->piece);
    httpx__buf_release(&x->cookie_header);
    httpx__buf_release(&x->auth_header);
    httpx__buf_release(&x->proxy_auth);
    httpx_headers_free(x->req_headers);
    x->req_headers = NULL;
    httpx_url_free(x->url);
    x->url = NULL;
    httpx_url_free(x->url_spare);
    x->url_spare = NULL;
    httpx__method_free(x->eng->a, x->method);
    x->method = NULL;
}

httpx_headers_t *httpx__request_headers(httpx__exchange_t *x)
{
    if (!x->req_headers)
        x->req_headers = httpx_headers_new(x->eng->a);
    return x->req_headers;
}

/* The usual methods are static strings: no copy per request. */
char *httpx__method_intern(const httpx_allocator_t *a, const char *method)
{
    const char *known = known_method(method);
    return known ? (char *)known : httpx__strdup(a, method);
}

void httpx__method_free(const httpx_allocator_t *a, char *method)
{
    for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
        if (method == known_methods[i])
            return;
    httpx__free(a, method);
}
