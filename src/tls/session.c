/* tls/session.c — session resumption: the last session each origin gave us.
 *
 * Keyed by "host:port" within one context (a context is one configuration, so a
 * session made under one trust policy is never offered under another). The table is
 * small and bounded (64 by default); a linear scan once per handshake costs nothing
 * next to the handshake, and the least recently used entry goes when it is full.
 * OpenSSL's internal client store is off (SSL_SESS_CACHE_NO_INTERNAL_STORE): it keys by
 * session id, which a client cannot look up by origin. The lock makes a context
 * shareable between threads. */
#include <string.h>

#include "core/mem.h"
#include "tls/internal.h"
#include "core/banned.h"

int httpx__tls_sess_init(httpx__tls_ctx_t *ctx, size_t max)
{
    ctx->maxsess = max;
    if (max == 0)
        return 0;
    ctx->sess = httpx__calloc(ctx->alloc, max * sizeof *ctx->sess);
    return ctx->sess ? 0 : HTTPX_E_NOMEM;
}

static void entry_clear(httpx__tls_ctx_t *ctx, httpx__tls_sess_t *e)
{
    SSL_SESSION_free(e->sess);
    httpx__free(ctx->alloc, e->key);
    *e = ctx->sess[--ctx->nsess]; /* keep the table dense */
}

void httpx__tls_sess_release(httpx__tls_ctx_t *ctx)
{
    while (ctx->nsess)
        entry_clear(ctx, &ctx->sess[ctx->nsess - 1]);
    httpx__free(ctx->alloc, ctx->sess);
    ctx->sess = NULL;
    ctx->maxsess = 0;
}

static httpx__tls_sess_t *find(httpx__tls_ctx_t *ctx, const char *key)
{
    for (size_t i = 0; i < ctx->nsess; i++)
        if (strcmp(ctx->sess[i].key, key) == 0)
            return &ctx->sess[i];
    return NULL;
}

SSL_SESSION *httpx__tls_sess_get(httpx__tls_ctx_t *ctx, const char *key)
{
    if (!ctx->maxsess)
        return NULL;
    SSL_SESSION *s = NULL;
    pthread_mutex_lock(&ctx->lock);
    httpx__tls_sess_t *e = find(ctx, key);
    if (e && !SSL_SESSION_is_resumable(e->sess)) {
        entry_clear(ctx, e); /* OpenSSL marked it dead (a fatal error on a connection) */
    } else if (e && SSL_SESSION_up_ref(e->sess)) {
        s = e->sess;
        e->used = ++ctx->clock;
    }
    pthread_mutex_unlock(&ctx->lock);
    return s;
}

bool httpx__tls_sess_put(httpx__tls_ctx_t *ctx, const char *key, SSL_SESSION *sess)
{
    if (!ctx->maxsess)
        return false;
    pthread_mutex_lock(&ctx->lock);
    httpx__tls_sess_t *e = find(ctx, key);
    if (e) {
        SSL_SESSION_free(e->sess); /* a newer ticket replaces the older one */
    } else {
        char *k = httpx__strdup(ctx->alloc, key);
        if (!k) {
            pthread_mutex_unlock(&ctx->lock);
            return false;
        }
        if (ctx->nsess == ctx->maxsess) {
            httpx__tls_sess_t *old = &ctx->sess[0];
            for (size_t i = 1; i < ctx->nsess; i++)
                if (ctx->sess[i].used < old->used)
                    old = &ctx->sess[i];
            entry_clear(ctx, old);
        }
        e = &ctx->sess[ctx->nsess++];
        e->key = k;
    }
    e->sess = sess;
    e->used = ++ctx->clock;
    pthread_mutex_unlock(&ctx->lock);
    return true;
}

void httpx__tls_sess_drop(httpx__tls_ctx_t *ctx, const char *key)
{
    if (!ctx->maxsess)
        return;
    pthread_mutex_lock(&ctx->lock);
    httpx__tls_sess_t *e = find(ctx, key);
    if (e)
        entry_clear(ctx, e);
    pthread_mutex_unlock(&ctx->lock);
}

size_t httpx__tls_ctx_sessions(httpx__tls_ctx_t *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    size_t n = ctx->nsess;
    pthread_mutex_unlock(&ctx->lock);
    return n;
}
