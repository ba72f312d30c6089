/* client/hops.c — what happens between the hops of one request: cookies stored
 * from every response and sent with every request, redirects followed by HTTPX's
 * rules (with the security ones HTTPX lacks), and credentials, including the
 * Digest challenge/response. The exchange asks at each head whether another hop
 * follows, and for the next hop's request. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "auth/auth.h"
#include "body/body.h"
#include "client/exchange.h"
#include "client/headers.h"
#include "client/response.h"
#include "cookies/jar.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx/cookies.h"

static int64_t now_unix(void) { return (int64_t)time(NULL); }

static bool is_redirect_status(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The method after a redirect (HTTPX's _redirect_method). */
static const char *redirect_method(const char *method, int status)
{
    if (status == 303 && strcmp(method, "HEAD") != 0)
        return "GET";
    if (status == 302 && strcmp(method, "HEAD") != 0)
        return "GET"; /* what browsers do, and HTTPX */
    if (status == 301 && strcmp(method, "POST") == 0)
        return "GET";
    return method;
}

static const httpx__h1_field_t *find(const httpx__h1_field_t *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (httpx__slice_ieq_cstr(f[i].name, name))
            return &f[i];
    return NULL;
}

/* ---- custom auth flow -------------------------------------------------------------- */

struct httpx_auth_step {
    httpx__exchange_t *x;
    int status;
    const httpx__h1_field_t *fields;
    size_t n;
    char value[1024]; /* header() returns a NUL-terminated copy */
};

int httpx_auth_step_status(const httpx_auth_step_t *s) { return s ? s->status : 0; }
const char *httpx_auth_step_method(const httpx_auth_step_t *s) { return s ? s->x->method : NULL; }
const char *httpx_auth_step_url(const httpx_auth_step_t *s) { return s ? s->x->url->str : NULL; }

const char *httpx_auth_step_header(const httpx_auth_step_t *s, const char *name)
{
    if (!s || !name)
        return NULL;
    const httpx__h1_field_t *f = find(s->fields, s->n, name);
    if (!f)
        return NULL;
    snprintf(((httpx_auth_step_t *)s)->value, sizeof s->value, "%.*s", (int)f->value.len, f->value.ptr);
    return s->value;
}

int httpx_auth_step_set_header(httpx_auth_step_t *s, const char *name, const char *value)
{
    if (!s || !name || !value)
        return HTTPX_E_INVAL;
    httpx_headers_t *h = httpx__request_headers(s->x);
    return h ? httpx_headers_set(h, name, value) : HTTPX_E_NOMEM;
}

/* Run the flow: 1 (send), 0 (done) or an error in x->err. */
static int run_flow(httpx__exchange_t *x, int status, const httpx__h1_field_t *f, size_t n)
{
    if (++x->flow_rounds > 10)
        return httpx__err(&x->err, HTTPX_E_REQUEST, HTTPX_PHASE_READ_HEAD,
                          "%s %s: authentication flow did not finish in 10 rounds", x->method, x->url->str);
    httpx_auth_step_t step = {.x = x, .status = status, .fields = f, .n = n};
    int rc = x->auth.flow(&step, x->auth.user);
    if (rc < 0)
        return httpx__err(&x->err, rc, HTTPX_PHASE_READ_HEAD, "%s %s: authentication flow failed: %s", x->method,
                          x->url->str, httpx_strerror(rc));
    return rc == HTTPX_AUTH_SEND;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* In place; invalid escapes are kept as they are. */
static void percent_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

int httpx__hop_setup(httpx__exchange_t *x, const httpx_req_opts_t *opts, httpx_error_t *err)
{
    httpx__engine_t *e = x->eng;
    x->follow = opts && opts->follow_redirects ? opts->follow_redirects > 0 : e->follow_redirects;
    int rc = 0;
    if (opts && opts->auth && opts->auth->kind != HTTPX_AUTH_DEFAULT)
        rc = httpx__auth_copy(&x->auth, opts->auth, e->a);
    else if (e->auth.kind != HTTPX_AUTH_DEFAULT)
        rc = httpx__auth_copy(&x->auth,
                              &(httpx_auth_t){e->auth.kind, e->auth.username, e->auth.password, e->auth.token,
                                              e->auth.flow, e->auth.user},
                              e->a);
    else if (x->url->userinfo && *x->url->userinfo) {
        /* user:pass@host in the URL: Basic, as HTTPX does (percent-decoding left to
         * the URL's own encoding rules: the value is sent as written) */
        const char *ui = x->url->userinfo, *colon = strchr(ui, ':');
        x->auth.kind = HTTPX_AUTH_BASIC;
        x->auth.username = colon ? httpx__strndup(e->a, ui, (size_t)(colon - ui)) : httpx__strdup(e->a, ui);
        x->auth.password = httpx__strdup(e->a, colon ? colon + 1 : "");
        if (!x->auth.username || !x->auth.password)
            rc = HTTPX_E_NOMEM;
        else { /* "us%40er" is "us@er", as HTTPX decodes it */
            percent_decode(x->auth.username);
            percent_decode(x->auth.password);
        }
    }
    else if (e->netrc && x->auth.kind == HTTPX_AUTH_DEFAULT) {
        char *login = NULL, *password = NULL;
        if (httpx__netrc_lookup(NULL, x->url->host, &login, &password, e->a) == 0 && login && password) {
            x->auth.kind = HTTPX_AUTH_BASIC;
            x->auth.username = login;
            x->auth.password = password;
        } else {
            httpx__free(e->a, login);
            httpx__free(e->a, password);
        }
    }
    if (rc)
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, "out of memory");
    if (x->auth.kind == HTTPX_AUTH_CUSTOM) {
        if (!x->auth.flow)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "custom auth needs a flow callback");
        if ((rc = run_flow(x, 0, NULL, 0)) < 0) {
            *err = x->err;
            return rc;
        }
    }
    if ((x->auth.kind == HTTPX_AUTH_BASIC || x->auth.kind == HTTPX_AUTH_DIGEST) &&
        (!x->auth.username || !x->auth.password))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "basic and digest auth need a username and a password");
    if (x->auth.kind == HTTPX_AUTH_BEARER && !x->auth.token)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "bearer auth needs a token");
    return httpx__hop_headers(x, err);
}

int httpx__hop_headers(httpx__exchange_t *x, httpx_error_t *err)
{
    httpx__engine_t *e = x->eng;
    httpx__buf_reset(&x->cookie_header);
    httpx__buf_reset(&x->auth_header);
    int rc = 0;
    if (e->jar && !httpx_headers_get(x->req_headers, "Cookie"))
        rc = httpx__cookie_jar_header(e->jar, x->url, now_unix(), &x->cookie_header);
    if (rc)
        return httpx__err(err, rc == HTTPX_E_NOMEM ? rc : HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "cookies too large");
    if (httpx_headers_get(x->req_headers, "Authorization"))
        return 0; /* the caller's own wins */
    switch (x->auth.kind) {
    case HTTPX_AUTH_BASIC:
        rc = httpx__auth_basic(x->auth.username, x->auth.password, &x->auth_header);
        break;
    case HTTPX_AUTH_BEARER:
        rc = httpx__auth_bearer(x->auth.token, &x->auth_header);
        break;
    case HTTPX_AUTH_DIGEST:
        if (x->digest)
            rc = httpx__digest_authorize(x->digest, x->method, x->url->target, x->auth.username, x->auth.password,
                                         &x->auth_header, err);
        break;
    default:
        break;
    }
    if (rc)
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, "invalid credentials (CR, LF or ':' in a Basic username)");
    return 0;
}

/* A head-only copy of an intermediate response, for history. */
static int add_history(httpx__exchange_t *x, int status, int minor, const httpx__h1_field_t *f, size_t n)
{
    httpx_response_t *r = httpx__response_new(x->eng, false);
    if (!r)
        return HTTPX_E_NOMEM;
    r->status = status;
    r->minor_version = minor;
    r->http2 = httpx__exchange_is_h2(x);
    r->url = httpx__strdup(x->eng->a, x->url->str);
    r->reason = httpx__strdup(x->eng->a, "");
    int rc = r->url && r->reason ? 0 : HTTPX_E_NOMEM;
    for (size_t i = 0; i < n && !rc; i++)
        rc = httpx__headers_add_unchecked(r->headers, f[i].name.ptr, f[i].name.len, f[i].value.ptr, f[i].value.len);
    if (!rc)
        rc = httpx__response_finish_buffer(r); /* an empty, read body */
    httpx_response_t **h = rc ? NULL : httpx__realloc(x->eng->a, x->history, (x->nhistory + 1) * sizeof *h);
    if (!h) {
        httpx_response_free(r);
        return HTTPX_E_NOMEM;
    }
    h[x->nhistory++] = r;
    x->history = h;
    return 0;
}

static bool retry_status(const httpx__engine_t *e, int status)
{
    for (const int *s = e->retry_statuses; *s; s++)
        if (*s == status)
            return true;
    return false;
}

bool httpx__hop_retry_allowed(httpx__exchange_t *x, double retry_after)
{
    httpx__engine_t *e = x->eng;
    if (x->attempts >= e->retry.max || (!x->idempotent && !e->retry.all_methods) || !x->body.replayable)
        return false; /* a one-shot producer cannot be sent again: the response stands */
    if ((double)e->retries >= e->retry.budget * (double)e->requests + 3)
        return false; /* the budget: retries cannot multiply the load */
    double delay;
    if (retry_after >= 0) {
        delay = retry_after < e->retry.backoff_max ? retry_after : e->retry.backoff_max;
    } else {
        /* exponential with full jitter: uniform in [0, min(max, base * 2^attempt)] */
        double cap = e->retry.backoff;
        for (int i = 0; i < x->attempts && cap < e->retry.backoff_max; i++)
            cap *= 2;
        if (cap > e->retry.backoff_max)
            cap = e->retry.backoff_max;
        uint64_t r = httpx__clock_ns() * 6364136223846793005ull + (uint64_t)(uintptr_t)x;
        delay = cap * (double)((r >> 11) & 0xFFFFF) / (double)0xFFFFF;
    }
    x->attempts++;
    e->retries++;
    x->retry_delay_ms = (uint64_t)(delay * 1000.0);
    return true;
}

/* Retry-After: delta-seconds (HTTP-dates are treated as absent). */
static double retry_after_of(const httpx__h1_field_t *f, size_t n)
{
    const httpx__h1_field_t *ra = find(f, n, "Retry-After");
    if (!ra || !ra->value.len || ra->value.len > 9)
        return -1;
    double v = 0;
    for (size_t i = 0; i < ra->value.len; i++) {
        char c = ra->value.ptr[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

static void response_hook(httpx__exchange_t *x, int status, const httpx__h1_field_t *f, size_t n)
{
    httpx__engine_t *e = x->eng;
    if (!e->on_response)
        return;
    httpx_headers_t *h = httpx_headers_new(e->a);
    for (size_t i = 0; h && i < n; i++)
        httpx__headers_add_unchecked(h, f[i].name.ptr, f[i].name.len, f[i].value.ptr, f[i].value.len);
    httpx_hook_info_t info = {.method = x->method, .url = x->url->str, .status = status, .headers = h};
    e->on_response(&info, e->hook_user);
    httpx_headers_free(h);
}

void httpx__hop_request_hook(httpx__exchange_t *x)
{
    httpx__engine_t *e = x->eng;
    if (!e->on_request)
        return;
    httpx_hook_info_t info = {.method = x->method, .url = x->url->str,
                              .request_head = httpx__buf_ptr(&x->out), .request_head_len = x->head_len};
    e->on_request(&info, e->hook_user);
}

int httpx__hop_on_head(httpx__exchange_t *x, int status, int minor, const httpx__h1_field_t *f, size_t n)
{
    httpx__engine_t *e = x->eng;
    response_hook(x, status, f, n);
    /* Every response feeds the jar, redirect hops included. */
    for (size_t i = 0; e->jar && i < n; i++)
        if (httpx__slice_ieq_cstr(f[i].name, "Set-Cookie") &&
            httpx__cookie_jar_store(e->jar, x->url, f[i].value.ptr, f[i].value.len, now_unix()) == HTTPX_E_NOMEM)
            return httpx__err(&x->err, HTTPX_E_NOMEM, HTTPX_PHASE_READ_HEAD, "out of memory");
    httpx__free(e->a, x->next_url);
    x->next_url = NULL;
    x->hop = HTTPX__HOP_NONE;
    const httpx__h1_field_t *loc = is_redirect_status(status) ? find(f, n, "Location") : NULL;
    if (loc) {
        httpx_url_t *next = NULL;
        char *ref = httpx__strndup(e->a, loc->value.ptr, loc->value.len);
        httpx_error_t ue = {0};
        int rc = ref ? httpx_url_resolve(x->url, ref, &next, &ue) : HTTPX_E_NOMEM;
        httpx__free(e->a, ref);
        if (rc)
            return httpx__err(&x->err, rc == HTTPX_E_NOMEM ? rc : HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_READ_HEAD,
                              "%s %s: invalid redirect location: %s", x->method, x->url->str, ue.message);
        /* The fragment carries over when the location has none (RFC 9110 10.2.2). */
        x->next_url = httpx__strdup(e->a, next->str);
        x->next_status = status;
        httpx_url_free(next);
        if (!x->next_url)
            return httpx__err(&x->err, HTTPX_E_NOMEM, HTTPX_PHASE_READ_HEAD, "out of memory");
        if (!x->follow)
            return 0;
        if (x->redirects >= e->max_redirects)
            return httpx__err(&x->err, HTTPX_E_TOO_MANY_REDIRECTS, HTTPX_PHASE_READ_HEAD,
                              "%s %s: more than %d redirects", x->method, x->url->str, e->max_redirects);
        x->hop = HTTPX__HOP_REDIRECT;
    } else if (status == 401 && x->auth.kind == HTTPX_AUTH_DIGEST && !x->digest_tried) {
        httpx__digest_free(x->digest);
        x->digest = NULL;
        httpx_error_t de = {0};
        for (size_t i = 0; i < n && !x->digest; i++)
            if (httpx__slice_ieq_cstr(f[i].name, "WWW-Authenticate"))
                httpx__digest_new(f[i].value.ptr, f[i].value.len, e->a, &x->digest, &de);
        if (!x->digest)
            return 0; /* no usable challenge: the 401 is the answer */
        x->digest_tried = true;
        x->hop = HTTPX__HOP_AUTH;
    } else if (x->auth.kind == HTTPX_AUTH_CUSTOM) {
        int rc = run_flow(x, status, f, n);
        if (rc < 0)
            return rc;
        if (!rc)
            return 0;
        x->hop = HTTPX__HOP_AUTH;
    } else if (e->retry.max && retry_status(e, status) && httpx__hop_retry_allowed(x, retry_after_of(f, n))) {
        x->hop = HTTPX__HOP_RETRY;
    } else {
        return 0;
    }
    int rc = add_history(x, status, minor, f, n);
    if (rc)
        return httpx__err(&x->err, rc, HTTPX_PHASE_READ_HEAD, "out of memory");
    return 1;
}

/* Never sent on to another origin: from the request's headers or the client's. */
static const char *const cross_origin_strip[] = {"Cookie", "Proxy-Authorization", "Host", NULL};

static bool same_origin(const httpx_url_t *a, const httpx_url_t *b)
{
    return strcmp(a->origin, b->origin) == 0;
}

/* HTTPX keeps credentials on the same host moving from http:80 to https:443. */
static bool is_https_upgrade(const httpx_url_t *from, const httpx_url_t *to)
{
    return strcmp(from->scheme, "http") == 0 && strcmp(to->scheme, "https") == 0 && strcmp(from->host, to->host) == 0 &&
           from->port == 80 && to->port == 443;
}

int httpx__hop_advance(httpx__exchange_t *x, httpx_error_t *err)
{
    httpx__engine_t *e = x->eng;
    /* The bytes body kept after the head, to replay. */
    const char *body = httpx__buf_ptr(&x->out) + x->head_len;
    size_t body_len = httpx__buf_size(&x->out) - x->head_len;
    if (x->hop == HTTPX__HOP_REDIRECT) {
        httpx_url_t *to = NULL;
        int rc = httpx_url_parse(x->next_url, e->a, &to, err);
        if (rc)
            return rc;
        if (strcmp(to->scheme, "http") != 0 && strcmp(to->scheme, "https") != 0) {
            httpx_url_free(to);
            return httpx__err(err, HTTPX_E_UNSUPPORTED_PROTOCOL, HTTPX_PHASE_READ_HEAD,
                              "redirect to \"%s\" refused: only http and https are followed", x->next_url);
        }
        if (strcmp(x->url->scheme, "https") == 0 && strcmp(to->scheme, "http") == 0 && !e->allow_downgrade) {
            httpx_url_free(to);
            return httpx__err(err, HTTPX_E_UNSUPPORTED_PROTOCOL, HTTPX_PHASE_READ_HEAD,
                              "redirect from https to \"%s\" refused (allow_downgrade is off)", x->next_url);
        }
        if (strcmp(to->scheme, "https") == 0 && (rc = httpx__engine_tls(e, err))) {
            httpx_url_free(to);
            return rc;
        }
        if (!same_origin(x->url, to)) {
            /* Credentials never follow to another origin (but see is_https_upgrade). */
            for (size_t i = 0; cross_origin_strip[i]; i++)
                httpx_headers_remove(x->req_headers, cross_origin_strip[i]);
            x->left_origin = true;
            if (!is_https_upgrade(x->url, to)) {
                x->left_origin_auth = true;
                httpx_headers_remove(x->req_headers, "Authorization");
                httpx__auth_release(&x->auth, e->a);
                httpx__digest_free(x->digest);
                x->digest = NULL;
            }
            for (size_t i = 0; e->sensitive && e->sensitive[i]; i++)
                httpx_headers_remove(x->req_headers, e->sensitive[i]);
        }
        const char *method = redirect_method(x->method, x->next_status);
        if (method != x->method) {
            char *m = httpx__method_intern(e->a, method);
            if (!m) {
                httpx_url_free(to);
                return HTTPX_E_NOMEM;
            }
            httpx__method_free(e->a, x->method);
            x->method = m;
            x->idempotent = true;
            /* the body goes: no framing, no file, nothing to replay */
            if (x->body.fd >= 0)
                close(x->body.fd);
            httpx__multipart_free(x->body.mp);
            x->body = (httpx__xbody_t){.kind = HTTPX_BODY_NONE, .fd = -1, .ended = true, .replayable = true};
            x->framing_line[0] = '\0';
            x->expect_continue = false;
            body_len = 0;
        } else if ((rc = httpx__request_rewind(x))) {
            httpx_url_free(to);
            return httpx__err(err, rc, HTTPX_PHASE_READ_HEAD,
                              "cannot follow the %d redirect to \"%s\": the request body was a one-shot producer",
                              x->next_status, x->next_url);
        }
        httpx_url_free(x->url);
        x->url = to;
        x->redirects++;
        if ((rc = httpx__request_route(x, err)))
            return rc;
    } else { /* AUTH (with credentials now) or RETRY: the same request again */
        int rc = httpx__request_rewind(x);
        if (rc)
            return httpx__err(err, rc, HTTPX_PHASE_READ_HEAD,
                              "cannot send the request again: its body was a one-shot producer");
    }
    httpx__free(e->a, x->next_url);
    x->next_url = NULL;
    x->hop = HTTPX__HOP_NONE;
    int rc = httpx__hop_headers(x, err);
    if (rc)
        return rc;
    /* Copy the body out first: the head is rewritten into a new buffer. */
    char *copy = NULL;
    if (body_len && !(copy = httpx__malloc(e->a, body_len)))
        return HTTPX_E_NOMEM;
    if (body_len)
        memcpy(copy, body, body_len);
    rc = httpx__request_write_head(x, copy, body_len);
    httpx__free(e->a, copy);
    return rc ? httpx__err(err, rc, HTTPX_PHASE_SETUP, "out of memory") : 0;
}

bool httpx__hop_default_dropped(const httpx__exchange_t *x, const char *name)
{
    /* One Authorization: the configured auth's wins over a default header. */
    if (httpx__buf_size(&x->auth_header) && !strcasecmp(name, "Authorization"))
        return true;
    if (!x->left_origin)
        return false;
    for (size_t i = 0; cross_origin_strip[i]; i++)
        if (!strcasecmp(name, cross_origin_strip[i]))
            return true;
    if (x->left_origin_auth && !strcasecmp(name, "Authorization"))
        return true;
    const httpx__engine_t *e = x->eng;
    for (size_t i = 0; e->sensitive && e->sensitive[i]; i++)
        if (!strcasecmp(name, e->sensitive[i]))
            return true;
    return false;
}

void httpx__hop_release(httpx__exchange_t *x)
{
    const httpx_allocator_t *a = x->eng->a;
    httpx__auth_release(&x->auth, a);
    httpx__digest_free(x->digest);
    x->digest = NULL;
    httpx__free(a, x->next_url);
    x->next_url = NULL;
    for (size_t i = 0; i < x->nhistory; i++)
        httpx_response_free(x->history[i]);
    httpx__free(a, x->history);
    x->history = NULL;
    x->nhistory = 0;
}
