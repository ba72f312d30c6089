/* tls/ctx.c — the TLS context: one SSL_CTX per client configuration, built once and
 * shared by every connection made with it (HTTPX rebuilds its context per client, and
 * the trust store with it: the cost we avoid). */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/err.h"
#include "core/mem.h"
#include "tls/internal.h"
#include "core/banned.h"

static bool version_ok(int v)
{
    return v == TLS1_2_VERSION || v == TLS1_3_VERSION;
}

/* A well-formed ALPN list: length-prefixed, non-empty names, nothing left over. */
static bool alpn_ok(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = (unsigned char)p[i];
        if (len == 0 || i + 1 + len > n)
            return false;
        i += 1 + len;
    }
    return n > 0;
}

/* New-session callback: a server sent a session (TLS 1.2, at the end of the handshake)
 * or a ticket (TLS 1.3, after it, while we read). Returning 1 keeps the reference.
 * Installed even without resumption: a ticket makes OpenSSL set up both record
 * buffers, and the write one is kept until the next write (SSL_MODE_RELEASE_BUFFERS
 * only releases after writing), so an idle connection would hold 16.6 KB; io.c gives
 * them back at the next read that leaves nothing buffered. */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    httpx__tls_t *t = SSL_get_app_data(ssl);
    if (!t)
        return 0;
    t->bufs_held = true;
    return httpx__tls_sess_put(t->ctx, t->key, sess);
}

static int configure(httpx__tls_ctx_t *c, const httpx__tls_config_t *cfg, httpx_error_t *err)
{
    SSL_CTX *s = c->ssl;
    int min = cfg->min_version ? cfg->min_version : TLS1_2_VERSION;
    if (!SSL_CTX_set_min_proto_version(s, min) ||
        !SSL_CTX_set_max_proto_version(s, cfg->max_version))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "tls: cannot set versions");
    /* Partial writes let the engine's write loop make progress record by record; a
     * moving buffer lets it retry from a different address after WANT_WRITE. Idle
     * connections give back their ~34 KiB of record buffers. */
    SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
    if (cfg->ciphers && SSL_CTX_set_cipher_list(s, cfg->ciphers) != 1) {
        ERR_clear_error();
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "tls: no usable cipher in \"%s\"", cfg->ciphers);
    }
    /* TLS 1.3: AES-128-GCM before AES-256-GCM (OpenSSL's order): a SHA-256 transcript
     * and key schedule instead of SHA-384, ~0.09 M instructions less per handshake */
    if (!cfg->ciphersuites && SSL_CTX_set_ciphersuites(s, HTTPX__TLS_SUITES_DEFAULT) != 1)
        return HTTPX_E_NOMEM; /* the names are OpenSSL's own: only memory can fail */
    if (cfg->ciphersuites && SSL_CTX_set_ciphersuites(s, cfg->ciphersuites) != 1) {
        ERR_clear_error();
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "tls: no usable TLS 1.3 cipher suite in \"%s\"", cfg->ciphersuites);
    }
    if (cfg->alpn) {
        size_t n = strlen(cfg->alpn);
        if (!alpn_ok(cfg->alpn, n))
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "tls: malformed ALPN list (want length-prefixed names)");
        if (SSL_CTX_set_alpn_protos(s, (const unsigned char *)cfg->alpn, (unsigned)n) != 0)
            return HTTPX_E_NOMEM; /* the only way it fails once the format is right */
    }
    int rc;
    if (cfg->insecure) {
        SSL_CTX_set_verify(s, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
        if ((rc = httpx__tls_store_load(s, cfg, err)) != 0)
            return rc;
        if (cfg->verify_ttl_ms >= 0) { /* chains verified recently (verify.c) */
            c->verify_ttl_ms = cfg->verify_ttl_ms ? (uint64_t)cfg->verify_ttl_ms
                                                  : HTTPX__TLS_VERIFY_TTL_MS;
            if (!(c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
                return HTTPX_E_NOMEM;
            SSL_CTX_set_cert_verify_callback(s, httpx__tls_verify_chain, c);
        }
    }
    if (cfg->cert_file) {
        const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
        char why[160];
        if (SSL_CTX_use_certificate_chain_file(s, cfg->cert_file) != 1)
            return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP,
                              "tls: cannot load client certificate \"%s\": %s", cfg->cert_file,
                              httpx__tls_reason(why, sizeof why));
        if (SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM) != 1)
            return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP,
                              "tls: cannot load client key \"%s\": %s", key,
                              httpx__tls_reason(why, sizeof why));
        if (SSL_CTX_check_private_key(s) != 1)
            return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP,
                              "tls: client key \"%s\" does not match certificate \"%s\"", key,
                              cfg->cert_file);
    } else if (cfg->key_file) {
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "tls: a client key needs a client certificate");
    }
    if (cfg->keylog_file && (rc = httpx__tls_keylog_open(c, cfg->keylog_file, err)) != 0)
        return rc;
    size_t max = cfg->sessions < 0    ? 0
                 : cfg->sessions == 0 ? HTTPX__TLS_SESSIONS_DEFAULT
                                      : (size_t)cfg->sessions;
    if (httpx__tls_sess_init(c, max) != 0)
        return HTTPX_E_NOMEM;
    /* with max == 0 no session is ever offered (session.c) and the callback keeps none */
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(s, new_session);
    return 0;
}

int httpx__tls_ctx_new(const httpx__tls_config_t *cfg, httpx__tls_ctx_t **out, httpx_error_t *err)
{
    *out = NULL;
    if ((cfg->min_version && !version_ok(cfg->min_version)) ||
        (cfg->max_version && !version_ok(cfg->max_version)) ||
        (cfg->max_version && cfg->max_version < (cfg->min_version ? cfg->min_version
                                                                  : TLS1_2_VERSION)))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "tls: versions must be TLS 1.2 or 1.3, minimum not above maximum");
    const httpx_allocator_t *a = httpx__alloc_or_default(cfg->alloc);
    httpx__tls_ctx_t *c = HTTPX__NEW(a, httpx__tls_ctx_t);
    if (!c)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "tls: out of memory");
    c->alloc = a;
    c->keylog_fd = -1;
    atomic_init(&c->refs, 1);
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        httpx__free(a, c);
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "tls: out of memory");
    }
    int rc = HTTPX_E_NOMEM;
    c->ssl = SSL_CTX_new(TLS_client_method());
    c->bio = httpx__tls_bio_method();
    if (c->ssl && c->bio) {
        SSL_CTX_set_app_data(c->ssl, c);
        rc = configure(c, cfg, err);
    }
    if (rc != 0) {
        ERR_clear_error();
        if (rc == HTTPX_E_NOMEM)
            httpx__err(err, rc, HTTPX_PHASE_SETUP, "tls: out of memory");
        httpx__tls_ctx_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

httpx__tls_ctx_t *httpx__tls_ctx_ref(httpx__tls_ctx_t *ctx)
{
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return ctx;
}

void httpx__tls_ctx_free(httpx__tls_ctx_t *ctx)
{
    if (!ctx || atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
        return;
    SSL_CTX_free(ctx->ssl); /* no connection is left: each held a reference */
    EVP_MD_free(ctx->sha256);
    BIO_meth_free(ctx->bio);
    httpx__tls_sess_release(ctx);
    httpx__tls_keylog_close(ctx);
    pthread_mutex_destroy(&ctx->lock);
    httpx__free(ctx->alloc, ctx);
}
