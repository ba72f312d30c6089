/* tls/conn.c — one TLS connection: setup (SNI, host check, offered session), the
 * handshake, and teardown. The bytes themselves are io.c's. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/err.h"
#include "core/mem.h"
#include "tls/internal.h"
#include "core/banned.h"

/* Is host[0..n) an IP literal? If so its zone-less text goes to lit (for the SAN check). */
static bool ip_literal(const char *host, size_t n, char *lit, size_t litsz)
{
    const char *pct = memchr(host, '%', n); /* fe80::1%eth0: the zone is not in certificates */
    if (pct && memchr(host, ':', n))
        n = (size_t)(pct - host);
    if (n >= litsz)
        return false;
    memcpy(lit, host, n);
    lit[n] = '\0';
    unsigned char addr[16];
    return inet_pton(AF_INET, lit, addr) == 1 || inet_pton(AF_INET6, lit, addr) == 1;
}

static int setup(httpx__tls_t *t, bool ip, const char *lit, httpx_error_t *err)
{
    httpx__tls_ctx_t *ctx = t->ctx;
    BIO *b = httpx__tls_bio_new(ctx->bio, &t->sock);
    if (!b)
        return HTTPX_E_NOMEM;
    SSL_set_bio(t->ssl, b, b); /* one BIO both ways: SSL takes the one reference */
    SSL_set_app_data(t->ssl, t);
    SSL_set_connect_state(t->ssl);
    /* RFC 6066: SNI carries DNS names only, never address literals */
    if (!ip && SSL_set_tlsext_host_name(t->ssl, t->host) != 1)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_TLS, "tls: host \"%s\" cannot be sent as SNI",
                          t->host);
    if (!ctx->insecure) {
        X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
        X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(p, lit) : X509_VERIFY_PARAM_set1_host(p, t->host, 0)) != 1)
            return HTTPX_E_NOMEM;
    }
    SSL_SESSION *s = httpx__tls_sess_get(ctx, t->key);
    if (s) {
        int ok = SSL_set_session(t->ssl, s); /* takes its own reference */
        SSL_SESSION_free(s);
        if (ok != 1)
            ERR_clear_error(); /* a full handshake instead: not worth failing for */
    }
    return 0;
}

int httpx__tls_new(httpx__tls_ctx_t *ctx, int fd, const char *host, int port, httpx__tls_t **out,
                   httpx_error_t *err)
{
    *out = NULL;
    size_t n = host ? strlen(host) : 0;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    char lit[INET6_ADDRSTRLEN];
    bool ip = n && ip_literal(host, n, lit, sizeof lit);
    if (!ip && n > 1 && host[n - 1] == '.')
        n--; /* "example.org." is example.org to SNI and to certificates */
    if (n == 0 || n > 255 || port < 0 || port > 65535)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_TLS, "tls: bad host \"%.*s\" or port %d",
                          (int)(n > 255 ? 255 : n), host ? host : "", port);
    size_t room = (n + 1) + (n + 1 + 5 + 1) + (n + 1);
    httpx__tls_t *t = httpx__calloc(ctx->alloc, sizeof *t + room);
    if (!t)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_TLS, "tls: out of memory");
    memcpy(t->name, host, n);
    t->host = t->name;
    t->key = t->name + n + 1;
    int klen = snprintf(t->name + n + 1, n + 7, "%.*s:%d", (int)n, host, port);
    if (!ctx->insecure) { /* what verify.c checks on a cached chain, as set up below */
        char *check = t->name + n + 1 + klen + 1;
        memcpy(check, ip ? lit : host, ip ? strlen(lit) : n);
        t->check = check;
        t->ip = ip;
    }
    t->ctx = httpx__tls_ctx_ref(ctx);
    t->sock.fd = fd;
    t->ssl = SSL_new(ctx->ssl);
    int rc = t->ssl ? setup(t, ip, lit, err) : HTTPX_E_NOMEM;
    if (rc != 0) {
        ERR_clear_error();
        if (rc == HTTPX_E_NOMEM)
            httpx__err(err, rc, HTTPX_PHASE_TLS, "tls: out of memory");
        httpx__tls_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int httpx__tls_handshake(httpx__tls_t *t, int *want, httpx_error_t *err)
{
    if (t->done)
        return 0;
    if (t->fatal)
        return httpx__err(err, HTTPX_E_TLS_HANDSHAKE, HTTPX_PHASE_TLS,
                          "tls: handshake with \"%s\" already failed", t->host);
    ERR_clear_error(); /* SSL_get_error reads the thread's queue: start it empty */
    t->sock.err = 0;
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        t->done = true;
        const unsigned char *p;
        unsigned len;
        SSL_get0_alpn_selected(t->ssl, &p, &len);
        if (len && len < sizeof t->alpn)
            memcpy(t->alpn, p, len);
        return 0;
    }
    int rc = httpx__tls_fail(t, HTTPX__TLS_OP_HANDSHAKE, r, want, err);
    if (rc < 0)
        httpx__tls_sess_drop(t->ctx, t->key);
    return rc;
}

const char *httpx__tls_alpn(const httpx__tls_t *t)
{
    return t->alpn[0] ? t->alpn : NULL;
}

bool httpx__tls_resumed(const httpx__tls_t *t)
{
    return t->done && SSL_session_reused(t->ssl);
}

int httpx__tls_shutdown(httpx__tls_t *t)
{
    /* after a fatal error OpenSSL forbids SSL_shutdown; before the handshake there is
     * no session to close */
    if (!t || t->fatal || !t->done)
        return 0;
    ERR_clear_error();
    t->sock.err = 0;
    int r = SSL_shutdown(t->ssl); /* 0: ours sent, theirs not awaited; 1: both done */
    if (r >= 0)
        return 0;
    int e = SSL_get_error(t->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
        return HTTPX__TLS_AGAIN;
    t->fatal = true;
    return HTTPX_E_CLOSE;
}

void httpx__tls_free(httpx__tls_t *t)
{
    if (!t)
        return;
    httpx__tls_ctx_t *ctx = t->ctx;
    SSL_free(t->ssl); /* and the BIO; a session ticket in flight is simply dropped */
    httpx__free(ctx->alloc, t);
    httpx__tls_ctx_free(ctx); /* last: the allocator lives in ctx */
}
