/* tls/verify.c — a per-context cache of certificate chains verified successfully, so
 * that a client making many full handshakes to the same server (no resumption, or
 * tickets expired) checks the CA's signature once, not once per connection.
 *
 * Installed as the SSL_CTX's certificate verification callback (OpenSSL calls it in
 * place of X509_verify_cert), only when verification is on. The key is SHA-256 over
 * the verification settings and the DER of every certificate the server presented, in
 * order. A hit is used only when
 *   - the entry is younger than the TTL (HTTPX__TLS_VERIFY_TTL_MS, 5 minutes), and
 *   - every certificate of the chain verified then (anchor included) is still within
 *     its validity period now;
 * and even then the host name or IP address of this connection is checked against the
 * leaf, exactly as X509_verify_cert would (same flags, same error code), so a hit never
 * skips the name check. Anything else is a full X509_verify_cert; only successes are
 * cached. The name is not part of the key: the chain's verification does not depend on
 * it, and the check on every hit makes one entry serve each name the certificate covers.
 *
 * What a hit leaves behind: the X509_STORE_CTX's error is X509_V_OK (so
 * SSL_get_verify_result is too) and it holds no verified chain, so
 * SSL_get0_verified_chain returns NULL after a cached handshake; nothing in libhttpx
 * reads it (the peer certificate and its presented chain are still there). The trust
 * store is fixed per context, except a CA directory read lazily: a CA removed from it
 * stops being trusted for a cached chain when the entry's TTL runs out.
 *
 * Bounded (HTTPX__TLS_VCACHE entries, least recently used out) and under the context's
 * lock; the lock is never held across OpenSSL's verification. */
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "tls/internal.h"
#include "core/banned.h"

/* Seconds since the epoch of an ASN1_TIME; false if it cannot be read. */
static bool asn1_seconds(const ASN1_TIME *a, int64_t *out)
{
    struct tm tm;
    if (!a || ASN1_TIME_to_tm(a, &tm) != 1)
        return false;
    *out = (int64_t)timegm(&tm);
    return true;
}

static bool hash_cert(EVP_MD_CTX *md, X509 *c)
{
    unsigned char *der = NULL;
    int len = i2d_X509(c, &der); /* a received certificate keeps its encoding: a copy */
    if (len <= 0)
        return false;
    unsigned char n[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
    bool ok = EVP_DigestUpdate(md, n, 4) == 1 && EVP_DigestUpdate(md, der, (size_t)len) == 1;
    OPENSSL_free(der);
    return ok;
}

/* The cache key of what x is about to verify: the settings that change the outcome
 * for a given chain, then every certificate presented. False: do not use the cache. */
static bool chain_key(httpx__tls_ctx_t *ctx, X509_STORE_CTX *x, unsigned char key[32])
{
    X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(x);
    unsigned long flags = X509_VERIFY_PARAM_get_flags(p);
    if (flags & X509_V_FLAG_USE_CHECK_TIME) /* verification at another time than now */
        return false;
    long settings[3] = {(long)flags, X509_VERIFY_PARAM_get_depth(p),
                        X509_VERIFY_PARAM_get_auth_level(p)};
    X509 *leaf = X509_STORE_CTX_get0_cert(x);
    STACK_OF(X509) *sk = X509_STORE_CTX_get0_untrusted(x); /* what the server sent */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && leaf && EVP_DigestInit_ex(md, ctx->sha256, NULL) == 1 &&
              EVP_DigestUpdate(md, settings, sizeof settings) == 1 && hash_cert(md, leaf);
    int n = sk ? sk_X509_num(sk) : 0;
    /* OpenSSL passes the whole chain as untrusted, the leaf first: hash that once */
    for (int i = n > 0 && sk_X509_value(sk, 0) == leaf; ok && i < n; i++)
        ok = hash_cert(md, sk_X509_value(sk, i));
    unsigned len = 0;
    ok = ok && EVP_DigestFinal_ex(md, key, &len) == 1 && len == 32;
    EVP_MD_CTX_free(md);
    return ok;
}

static httpx__tls_verified_t *find(httpx__tls_ctx_t *ctx, const unsigned char key[32])
{
    for (size_t i = 0; i < ctx->nverified; i++)
        if (memcmp(ctx->verified[i].key, key, 32) == 0)
            return &ctx->verified[i];
    return NULL;
}

static void drop(httpx__tls_ctx_t *ctx, httpx__tls_verified_t *e)
{
    *e = ctx->verified[--ctx->nverified]; /* keep the table dense */
}

/* Is key cached, verified less than the TTL ago, and within every certificate's
 * validity now? A stale entry is dropped (a full verification follows). */
static bool lookup(httpx__tls_ctx_t *ctx, const unsigned char key[32])
{
    uint64_t now_ms = httpx__clock_ms();
    int64_t now = (int64_t)time(NULL);
    bool hit = false;
    pthread_mutex_lock(&ctx->lock);
    httpx__tls_verified_t *e = find(ctx, key);
    if (e && now_ms - e->added_ms < ctx->verify_ttl_ms && now >= e->not_before &&
        now < e->not_after) { /* as X509_verify_cert: expired at notAfter itself */
        hit = true;
        e->used = ++ctx->clock;
        ctx->vstats.hits++;
    } else if (e) {
        drop(ctx, e);
        ctx->vstats.stale++;
    }
    pthread_mutex_unlock(&ctx->lock);
    return hit;
}

/* Remember a chain x has just verified. */
static void insert(httpx__tls_ctx_t *ctx, X509_STORE_CTX *x, const unsigned char key[32])
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(x);
    int64_t nb = INT64_MIN, na = INT64_MAX;
    for (int i = 0; chain && i < sk_X509_num(chain); i++) {
        X509 *c = sk_X509_value(chain, i);
        int64_t b, a;
        if (!asn1_seconds(X509_get0_notBefore(c), &b) || !asn1_seconds(X509_get0_notAfter(c), &a))
            return; /* dates we cannot read again: never cached */
        nb = b > nb ? b : nb;
        na = a < na ? a : na;
    }
    if (!chain || sk_X509_num(chain) == 0)
        return;
    uint64_t now_ms = httpx__clock_ms();
    pthread_mutex_lock(&ctx->lock);
    httpx__tls_verified_t *e = find(ctx, key); /* another thread verified it meanwhile */
    if (!e) {
        if (ctx->nverified == HTTPX__TLS_VCACHE) {
            e = &ctx->verified[0];
            for (size_t i = 1; i < ctx->nverified; i++)
                if (ctx->verified[i].used < e->used)
                    e = &ctx->verified[i];
        } else {
            e = &ctx->verified[ctx->nverified++];
        }
        memcpy(e->key, key, 32);
    }
    e->added_ms = now_ms;
    e->not_before = nb;
    e->not_after = na;
    e->used = ++ctx->clock;
    pthread_mutex_unlock(&ctx->lock);
}

/* The name check X509_verify_cert makes (check_hosts), for a cached chain: the same
 * function, flags and error, so the message is the same. */
static int check_name(const httpx__tls_t *t, X509_STORE_CTX *x)
{
    X509 *leaf = X509_STORE_CTX_get0_cert(x);
    unsigned flags = X509_VERIFY_PARAM_get_hostflags(X509_STORE_CTX_get0_param(x));
    int ok = t->ip ? X509_check_ip_asc(leaf, t->check, 0)
                   : X509_check_host(leaf, t->check, strlen(t->check), flags, NULL);
    if (ok == 1) {
        X509_STORE_CTX_set_error(x, X509_V_OK);
        return 1;
    }
    X509_STORE_CTX_set_current_cert(x, leaf);
    X509_STORE_CTX_set_error_depth(x, 0);
    X509_STORE_CTX_set_error(x, t->ip ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                      : X509_V_ERR_HOSTNAME_MISMATCH);
    return 0;
}

int httpx__tls_verify_chain(X509_STORE_CTX *x, void *arg)
{
    httpx__tls_ctx_t *ctx = arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    const httpx__tls_t *t = ssl ? SSL_get_app_data(ssl) : NULL;
    unsigned char key[32];
    ERR_set_mark(); /* a failure to make the key only means no caching */
    bool keyed = t && t->check && chain_key(ctx, x, key);
    ERR_pop_to_mark();
    if (keyed && lookup(ctx, key))
        return check_name(t, x);
    int r = X509_verify_cert(x);
    pthread_mutex_lock(&ctx->lock);
    ctx->vstats.verified++;
    pthread_mutex_unlock(&ctx->lock);
    if (r <= 0)
        return 0; /* as OpenSSL's own path: an error is a failure to verify */
    if (keyed)
        insert(ctx, x, key);
    return 1;
}

void httpx__tls_ctx_verify_stats(httpx__tls_ctx_t *ctx, httpx__tls_verify_stats_t *out)
{
    pthread_mutex_lock(&ctx->lock);
    *out = ctx->vstats;
    out->entries = ctx->nverified;
    pthread_mutex_unlock(&ctx->lock);
}
