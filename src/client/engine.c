/* client/engine.c — options with their defaults, and the engine's life. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client/engine.h"
#include "client/exchange.h"
#include "client/response.h"
#include "client/headers.h"
#include "core/err.h"
#include "core/mem.h"
#include "cookies/jar.h"
#include "decode/decode.h"
#include "h2/session.h"
#include "httpx.h"

static const char *env_get(const char *name, void *user)
{
    (void)user;
    return getenv(name);
}

static uint64_t secs_to_ms(double s, uint64_t dflt)
{
    if (s == 0 || isnan(s))
        return dflt;
    if (s < 0)
        return 0; /* HTTPX_TIMEOUT_NONE */
    double ms = ceil(s * 1000.0);
    return ms > 1e15 ? (uint64_t)1e15 : (uint64_t)ms;
}

httpx__timeouts_ms_t httpx__timeouts_resolve(const httpx__timeouts_ms_t *dflt, double timeout,
                                             const httpx_timeouts_t *t)
{
    httpx__timeouts_ms_t r = *dflt;
    if (timeout != 0) {
        uint64_t all = secs_to_ms(timeout, 0);
        r.connect = r.read = r.write = r.pool = all;
    }
    if (t) {
        r.connect = secs_to_ms(t->connect, r.connect);
        r.read = secs_to_ms(t->read, r.read);
        r.write = secs_to_ms(t->write, r.write);
        r.pool = secs_to_ms(t->pool, r.pool);
        r.total = secs_to_ms(t->total, r.total);
    }
    return r;
}

static void limits_defaults(httpx_limits_t *l)
{
#define DFLT(f, v) \
    if (!l->f)     \
    l->f = v
    DFLT(max_connections, HTTPX_DEFAULT_MAX_CONNECTIONS);
    DFLT(max_keepalive_connections, HTTPX_DEFAULT_MAX_KEEPALIVE);
    DFLT(keepalive_expiry, HTTPX_DEFAULT_KEEPALIVE_EXPIRY);
    DFLT(max_header_bytes, HTTPX_DEFAULT_MAX_HEADER_BYTES);
    DFLT(max_header_count, HTTPX_DEFAULT_MAX_HEADER_COUNT);
    DFLT(max_body_bytes, HTTPX_DEFAULT_MAX_BODY_BYTES);
    DFLT(max_decoded_ratio, HTTPX_DEFAULT_MAX_DECODED_RATIO);
    DFLT(max_encodings, HTTPX_DEFAULT_MAX_ENCODINGS);
#undef DFLT
}

/* Whether a default header can go to HTTP/2 as it is: not a field HTTP/2 drops or
 * turns into :authority, not a credential (those are sent unindexed). */
static bool h2_plain_field(const char *name)
{
    static const char *const special[] = {"host", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
                                          "upgrade", "te", "authorization", "proxy-authorization", "cookie", NULL};
    for (size_t i = 0; special[i]; i++)
        if (strcasecmp(name, special[i]) == 0)
            return false;
    return true;
}

/* The default headers as HTTP/2 fields: names lower-cased once into one block
 * after the field array, values in e->headers (which never changes). Best effort:
 * out of memory, or a field needing the general path, leaves h2_defaults NULL. */
static void h2_defaults(httpx__engine_t *e)
{
    size_t n = httpx_headers_count(e->headers), names = 0;
    const char *name, *value;
    for (size_t i = 0; i < n; i++) {
        httpx_headers_at(e->headers, i, &name, &value);
        if (!h2_plain_field(name))
            return;
        names += strlen(name);
    }
    httpx__h2_field_t *f = n ? httpx__malloc(e->a, n * sizeof *f + names) : NULL;
    if (!f)
        return;
    char *lower = (char *)(f + n);
    for (size_t i = 0; i < n; i++) {
        httpx_headers_at(e->headers, i, &name, &value);
        size_t nl = strlen(name);
        for (size_t j = 0; j < nl; j++)
            lower[j] = (char)((unsigned)((unsigned char)name[j] - 'A') < 26u ? name[j] + ('a' - 'A') : name[j]);
        f[i].name = httpx__slice(lower, nl);
        f[i].value = httpx__slice(value, strlen(value));
        lower += nl;
    }
    e->h2_defaults = f;
    e->nh2_defaults = n;
}

/* The default headers written once as "Name: value\r\n" lines: a request that
 * keeps them all (no headers of its own, same origin, no auth) copies the block. */
static int default_head(httpx__engine_t *e)
{
    httpx__buf_t b;
    httpx__buf_init(&b, e->a, 0);
    const char *name, *value;
    int rc = httpx__buf_reserve(&b, 0);
    for (size_t i = 0; !rc && httpx_headers_at(e->headers, i, &name, &value) == 0; i++)
        rc = httpx__buf_printf(&b, "%s: %s\r\n", name, value);
    if (rc) {
        httpx__buf_release(&b);
        return HTTPX_E_NOMEM;
    }
    e->default_head = httpx__buf_detach(&b, &e->default_head_len);
    if (!e->default_head)
        return HTTPX_E_NOMEM;
    h2_defaults(e);
    return 0;
}

int httpx__engine_init(httpx__engine_t *e, httpx_loop_t *loop, const httpx_client_opts_t *opts,
                       httpx_error_t *err)
{
    static const httpx_client_opts_t none = {.struct_size = sizeof(httpx_client_opts_t)};
    if (!opts)
        opts = &none;
    if (opts->struct_size && opts->struct_size < offsetof(httpx_client_opts_t, allocator))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "client options from an incompatible version");
    memset(e, 0, sizeof *e);
    e->loop = loop;
    e->a = httpx__loop_allocator(loop);
    e->exchanges.prev = e->exchanges.next = &e->exchanges;
    e->streams.prev = e->streams.next = &e->streams;
    e->limits = opts->limits;
    limits_defaults(&e->limits);
    if (e->limits.max_connections < 1 || e->limits.max_keepalive_connections < 0 ||
        e->limits.keepalive_expiry < 0)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "invalid pool limits");
    e->decompress = !opts->no_decompress;
    httpx__timeouts_ms_t base = {.connect = 5000, .read = 5000, .write = 5000, .pool = 5000, .total = 0};
    e->timeouts = httpx__timeouts_resolve(&base, opts->timeout, &opts->timeouts);

    int rc;
    if ((rc = httpx__resolver_new(loop, opts->dns_cache_ttl_max, &e->resolver)))
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, "cannot start the resolver");
    bool has_sock_fields = !opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, nsocket_options) + sizeof(size_t);
    const httpx__connect_opts_t *copts = NULL;
    if (has_sock_fields && (opts->uds || opts->local_address || opts->nsocket_options)) {
        if (opts->uds && !(e->copts.uds_path = httpx__strdup(e->a, opts->uds)))
            goto fail_nomem_early;
        if (opts->local_address) {
            socklen_t len = 0;
            if (httpx__sockaddr_parse(opts->local_address, &e->local, &len)) {
                httpx__engine_release(e);
                return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "invalid local address \"%.60s\"",
                                  opts->local_address);
            }
            e->copts.local = (const struct sockaddr *)&e->local;
            e->copts.local_len = len;
        }
        if (opts->nsocket_options) {
            _Static_assert(sizeof(httpx_sockopt_t) == sizeof(httpx__sockopt_t), "sockopt layouts differ");
            httpx__sockopt_t *so = httpx__malloc(e->a, opts->nsocket_options * sizeof *so);
            if (!so)
                goto fail_nomem_early;
            memcpy(so, opts->socket_options, opts->nsocket_options * sizeof *so);
            e->copts.sockopts = so;
            e->copts.nsockopts = opts->nsocket_options;
        }
        copts = &e->copts;
    }
    bool has_proxy_fields = !opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, no_env) + 1;
    httpx__proxy_config_t pc = {.trust_env = true, .getenv = env_get};
    if (!opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, trace_user) + sizeof(void *)) {
        e->trace = opts->trace;
        e->trace_user = opts->trace_user;
    }
    if (has_proxy_fields) {
        pc.proxy = opts->proxy;
        _Static_assert(sizeof(httpx_proxy_mount_t) == sizeof(httpx__proxy_mount_t), "mount layouts differ");
        pc.mounts = (const httpx__proxy_mount_t *)(const void *)opts->mounts;
        pc.trust_env = !opts->no_env;
    }
    if ((rc = httpx__proxy_table_new(e->a, &pc, &e->proxies, err))) {
        httpx__engine_release(e);
        return rc;
    }
    if (e->proxies && httpx__proxy_table_size(e->proxies) == 0) {
        httpx__proxy_table_free(e->proxies); /* nothing to route: skip the lookups */
        e->proxies = NULL;
    }
    httpx__pool_limits_t pl = {
        .connect = copts,
        .max_connections = e->limits.max_connections,
        .max_keepalive = e->limits.max_keepalive_connections,
        .keepalive_expiry_ms = secs_to_ms(e->limits.keepalive_expiry, 5000),
        .max_head_bytes = e->limits.max_header_bytes,
        .max_header_count = e->limits.max_header_count,
    };
    if ((rc = httpx__pool_new(loop, e->resolver, &pl, &e->pool)))
        goto fail_nomem;
    bool has_tls_fields = !opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, keylog_file) + sizeof(char *);
    bool has_h2_fields = !opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, http2_prior_knowledge) + 1;
    bool h2 = has_h2_fields && (opts->http2 || opts->http2_prior_knowledge);
    e->h2_prior_knowledge = has_h2_fields && opts->http2_prior_knowledge;
    e->http2 = h2;
    /* The TLS context is built at the first https request (httpx__engine_tls): a
     * client that never speaks TLS never pays for a trust store. Keep copies. */
    httpx__tls_config_t *tc = &e->tls_cfg;
    tc->alloc = e->a;
    tc->alpn = h2 ? "\x02h2\x08http/1.1" : "\x08http/1.1";
    if (has_tls_fields) {
        tc->insecure = opts->insecure;
        tc->min_version = opts->tls_min_version;
        const char *src[] = {opts->ca_file, opts->ca_dir, opts->cert_file, opts->key_file, opts->ciphers, opts->keylog_file};
        const char **dst[] = {&tc->ca_file, &tc->ca_dir, &tc->cert_file, &tc->key_file, &tc->ciphers, &tc->keylog_file};
        for (size_t i = 0; i < sizeof src / sizeof src[0]; i++)
            if (src[i] && !(*dst[i] = httpx__strdup(e->a, src[i])))
                goto fail_nomem;
    }
    /* a field at the end of the struct: older callers' structs stop before it */
    if ((!opts->struct_size ||
         opts->struct_size >= offsetof(httpx_client_opts_t, tls_no_session_reuse) + sizeof(bool)) &&
        opts->tls_no_session_reuse)
        tc->sessions = -1;
    if (!tc->keylog_file) {
        const char *env = getenv("SSLKEYLOGFILE");
        if (env && *env && !(tc->keylog_file = httpx__strdup(e->a, env)))
            goto fail_nomem;
    }
    bool has_hop_fields = !opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, auth) + sizeof(httpx_auth_t);
    if (has_hop_fields) {
        e->follow_redirects = opts->follow_redirects;
        e->allow_downgrade = opts->allow_downgrade;
        e->max_redirects = opts->max_redirects > 0 ? opts->max_redirects : 20;
        if (opts->sensitive_headers) {
            size_t n = 0;
            while (opts->sensitive_headers[n])
                n++;
            if (!(e->sensitive = httpx__calloc(e->a, (n + 1) * sizeof(char *))))
                goto fail_nomem;
            for (size_t i = 0; i < n; i++)
                if (!(e->sensitive[i] = httpx__strdup(e->a, opts->sensitive_headers[i])))
                    goto fail_nomem;
        }
        if (opts->cookies)
            e->jar = opts->cookies;
        if (httpx__auth_copy(&e->auth, &opts->auth, e->a))
            goto fail_nomem;
    }
    bool has_hook_fields = !opts->struct_size || opts->struct_size >= offsetof(httpx_client_opts_t, retry) + sizeof(httpx_retry_t);
    static const int default_statuses[] = {429, 502, 503, 504, 0};
    const int *st = default_statuses;
    if (has_hook_fields) {
        e->on_request = opts->on_request;
        e->on_response = opts->on_response;
        e->hook_user = opts->hook_user;
        e->netrc = opts->netrc;
        e->retry = opts->retry;
        if (opts->retry.statuses)
            st = opts->retry.statuses;
    }
    size_t k = 0;
    for (; st[k] && k + 1 < sizeof e->retry_statuses / sizeof e->retry_statuses[0]; k++)
        e->retry_statuses[k] = st[k];
    e->retry_statuses[k] = 0;
    if (e->retry.backoff <= 0)
        e->retry.backoff = 0.5;
    if (e->retry.backoff_max <= 0)
        e->retry.backoff_max = 30;
    if (e->retry.budget <= 0)
        e->retry.budget = 0.2;
    e->retry.statuses = e->retry_statuses;
    if (!has_hop_fields)
        e->max_redirects = 20;
    if (!e->jar && !(has_hop_fields && opts->no_cookies)) {
        if (httpx_cookie_jar_new(e->a, &e->jar))
            goto fail_nomem;
        e->jar_owned = true;
    }
    if (!(e->headers = httpx_headers_new(e->a)))
        goto fail_nomem;
    /* Defaults first, so that the caller's own headers can replace them. */
    rc = httpx_headers_add(e->headers, "User-Agent", opts->user_agent ? opts->user_agent : "httpx-c/" HTTPX_VERSION_STRING);
    if (!rc)
        rc = httpx_headers_add(e->headers, "Accept", "*/*");
    if (!rc && e->decompress)
        rc = httpx_headers_add(e->headers, "Accept-Encoding", httpx__decode_accept_encoding());
    for (const httpx_header_t *h = opts->headers; !rc && h && h->name; h++)
        rc = h->value ? httpx_headers_set(e->headers, h->name, h->value) : HTTPX_E_INVAL;
    if (!rc)
        rc = default_head(e);
    if (rc) {
        httpx__engine_release(e);
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, rc == HTTPX_E_NOMEM ? "out of memory"
                                                                          : "invalid default header or user agent");
    }
    if (opts->base_url) {
        /* A base URL ends with "/" so that relative paths join under it, as HTTPX does. */
        size_t n = strlen(opts->base_url);
        char *tmp = httpx__malloc(e->a, n + 2);
        if (!tmp)
            goto fail_nomem;
        memcpy(tmp, opts->base_url, n);
        tmp[n] = '\0';
        if (!n || tmp[n - 1] != '/') {
            tmp[n] = '/';
            tmp[n + 1] = '\0';
        }
        rc = httpx_url_parse(tmp, e->a, &e->base_url, err);
        httpx__free(e->a, tmp);
        if (rc) {
            httpx__engine_release(e);
            return rc;
        }
    }
    return 0;
fail_nomem:
fail_nomem_early:
    httpx__engine_release(e);
    return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
}

void httpx__engine_close(httpx__engine_t *e)
{
    if (e->closed)
        return;
    e->closed = true;
    /* Open streams first: they are closed, not failed as requests. */
    while (e->streams.next != &e->streams)
        httpx__response_detach((httpx_response_t *)((char *)e->streams.next - offsetof(httpx_response_t, stream_link)));
    /* Fail what is in flight; each done callback unlinks its exchange. */
    while (e->exchanges.next != &e->exchanges) {
        httpx__link_t *l = e->exchanges.next;
        httpx__exchange_t *x = (httpx__exchange_t *)((char *)l - offsetof(httpx__exchange_t, link));
        httpx__exchange_abort(x, HTTPX_E_CLOSED, "client closed");
        if (e->exchanges.next == l) { /* not unlinked (already done): unlink by hand */
            l->prev->next = l->next;
            l->next->prev = l->prev;
            l->prev = l->next = l;
        }
    }
    if (e->pool)
        httpx__pool_close_idle(e->pool);
}

void httpx__engine_release(httpx__engine_t *e)
{
    httpx__exchange_spares_free(e);
    httpx__pool_free(e->pool);
    e->pool = NULL;
    httpx__tls_ctx_free(e->tls); /* connections still open keep it alive */
    e->tls = NULL;
    const char **owned[] = {&e->tls_cfg.ca_file, &e->tls_cfg.ca_dir, &e->tls_cfg.cert_file,
                            &e->tls_cfg.key_file, &e->tls_cfg.ciphers, &e->tls_cfg.keylog_file};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        httpx__free(e->a, (void *)*owned[i]);
        *owned[i] = NULL;
    }
    httpx__resolver_free(e->resolver);
    e->resolver = NULL;
    httpx_headers_free(e->headers);
    e->headers = NULL;
    httpx__free(e->a, e->default_head);
    e->default_head = NULL;
    httpx__free(e->a, e->h2_defaults);
    e->h2_defaults = NULL;
    e->nh2_defaults = 0;
    httpx_url_free(e->base_url);
    e->base_url = NULL;
    httpx_url_free(e->last_url);
    e->last_url = NULL;
    httpx__free(e->a, e->last_url_text);
    e->last_url_text = NULL;
    if (e->jar_owned)
        httpx_cookie_jar_free(e->jar);
    e->jar = NULL;
    for (size_t i = 0; e->sensitive && e->sensitive[i]; i++)
        httpx__free(e->a, e->sensitive[i]);
    httpx__free(e->a, e->sensitive);
    e->sensitive = NULL;
    httpx__auth_release(&e->auth, e->a);
    httpx__proxy_table_free(e->proxies);
    e->proxies = NULL;
    httpx__free(e->a, (void *)e->copts.uds_path);
    httpx__free(e->a, (void *)e->copts.sockopts);
    memset(&e->copts, 0, sizeof e->copts);
}

int httpx__engine_tls(httpx__engine_t *e, httpx_error_t *err)
{
    if (e->tls)
        return 0;
    return httpx__tls_ctx_new(&e->tls_cfg, &e->tls, err);
}

int httpx__auth_copy(httpx__auth_t *dst, const httpx_auth_t *src, const httpx_allocator_t *a)
{
    memset(dst, 0, sizeof *dst);
    dst->kind = src->kind;
    dst->flow = src->flow;
    dst->user = src->user;
    if ((src->username && !(dst->username = httpx__strdup(a, src->username))) ||
        (src->password && !(dst->password = httpx__strdup(a, src->password))) ||
        (src->token && !(dst->token = httpx__strdup(a, src->token)))) {
        httpx__auth_release(dst, a);
        return HTTPX_E_NOMEM;
    }
    return 0;
}

void httpx__auth_release(httpx__auth_t *au, const httpx_allocator_t *a)
{
    httpx__free(a, au->username);
    httpx__free(a, au->password);
    httpx__free(a, au->token);
    memset(au, 0, sizeof *au);
}
