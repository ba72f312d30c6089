/* client/engine.h — the one asynchronous engine behind every face of the API.
 *
 * An engine is a client's core: resolved options, the DNS resolver, the pool, and
 * the exchanges in flight, all on one loop. The sync client is an engine on a
 * private loop that it runs until a call's response is ready; the async client
 * (later) is an engine on the caller's loop. Nothing here blocks.
 *
 * An exchange is one request and its response. It acquires a connection, writes
 * the request, parses the head and frames the body, and hands body bytes to a
 * sink that may take fewer than offered: the rest stays in the connection's read
 * buffer and the socket is not read until httpx__exchange_resume() (backpressure).
 */
#ifndef HTTPX_CLIENT_ENGINE_H
#define HTTPX_CLIENT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/buf.h"
#include "httpx/client.h"
#include "httpx/loop.h"
#include "loop/loop.h"
#include "net/resolver.h"
#include "pool/pool.h"
#include "tls/tls.h"

typedef struct httpx__exchange httpx__exchange_t;

/* Credentials as the engine keeps them: kind plus owned copies. */
typedef struct httpx__auth {
    httpx_auth_kind_t kind;
    char *username, *password, *token;
    httpx_auth_flow_cb flow;
    void *user;
} httpx__auth_t;

/* Copy *src into *dst (strings duplicated with a). 0 or HTTPX_E_NOMEM. */
int httpx__auth_copy(httpx__auth_t *dst, const httpx_auth_t *src, const httpx_allocator_t *a);
void httpx__auth_release(httpx__auth_t *au, const httpx_allocator_t *a);

/* The 1xx heads of one request may total this many times max_header_bytes, over
 * HTTP/1.1 (exchange.c) and HTTP/2 (h2conn.c), like curl's total header budget. */
#define HTTPX__INTERIM_HEADS 4

/* Options with every default applied; timeouts in ms, 0 = none. */
typedef struct httpx__timeouts_ms {
    uint64_t connect, read, write, pool, total;
} httpx__timeouts_ms_t;

typedef struct httpx__engine {
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    httpx__resolver_t *resolver;
    httpx__pool_t *pool;
    httpx__tls_ctx_t *tls;          /* one per client, shared by its https connections; lazy */
    httpx__tls_config_t tls_cfg;    /* its options (strings owned) until then */
    httpx_headers_t *headers;       /* default request headers (incl. User-Agent, Accept-Encoding) */
    char *default_head;             /* the same as HTTP/1.1 field lines, written once */
    size_t default_head_len;
    /* ... and as HTTP/2 fields ready for the wire (names lower case), or NULL when
     * one of them needs the general path (a credential, a connection-specific
     * field, Host): a request that keeps them all defers its HTTP/1.1 head. */
    struct httpx__h2_field *h2_defaults;
    size_t nh2_defaults;
    httpx_url_t *base_url;          /* or NULL */
    char *last_url_text;            /* the last URL parsed, and its result: requests */
    httpx_url_t *last_url;          /* to the same URL are not parsed again */
    httpx__timeouts_ms_t timeouts;
    httpx_limits_t limits;          /* defaults filled in */
    bool decompress;
    bool h2_prior_knowledge;        /* http:// URLs speak HTTP/2 from the first byte (h2c) */
    bool http2;                     /* https offers h2 by ALPN */
    bool closed;

    /* redirects, cookies, credentials (client/hops.c) */
    bool follow_redirects, allow_downgrade;
    int max_redirects;
    char **sensitive;               /* NULL-terminated copies, or NULL */
    struct httpx_cookie_jar *jar;   /* NULL with no_cookies */
    bool jar_owned;
    httpx__auth_t auth;             /* default credentials (strings owned) */
    bool netrc;
    httpx_hook_cb on_request, on_response;
    void *hook_user;
    httpx_retry_t retry;            /* statuses copied into retry_statuses */
    int retry_statuses[16];
    uint64_t requests, retries;     /* for the retry budget */
    httpx__connect_opts_t copts;    /* uds, local address, socket options (owned) */
    httpx__proxy_table_t *proxies;  /* routing to proxies, or NULL (all direct) */
    httpx_trace_cb trace;
    void *trace_user;
    struct sockaddr_storage local;

    httpx__link_t exchanges;        /* in flight, to fail them on close */
    /* Freed exchanges kept for the next requests with their head buffer and URL
     * block (client/exchange.c): a request then allocates none of the three. */
    struct httpx__spare_exchange {
        struct httpx__exchange *x;
        char *out;
        size_t out_alloc;
        struct httpx_url *url;
    } spare[4];
    unsigned nspare;
    httpx__link_t streams;          /* open streaming responses, closed with the client */
} httpx__engine_t;

int httpx__engine_init(httpx__engine_t *e, httpx_loop_t *loop, const httpx_client_opts_t *opts,
                       httpx_error_t *err);
/* Fail every exchange in flight with HTTPX_E_CLOSED, close all connections. */
void httpx__engine_close(httpx__engine_t *e);
void httpx__engine_release(httpx__engine_t *e);
/* Free the exchanges kept for reuse (client/exchange.c). */
void httpx__exchange_spares_free(httpx__engine_t *e);

/* The client's TLS context, built on first use. 0, or HTTPX_E_TLS / HTTPX_E_NOMEM /
 * HTTPX_E_INVAL with *err naming the file or option at fault. */
int httpx__engine_tls(httpx__engine_t *e, httpx_error_t *err);

/* Resolve request timeouts: request fields, then client defaults. */
httpx__timeouts_ms_t httpx__timeouts_resolve(const httpx__timeouts_ms_t *dflt, double timeout,
                                             const httpx_timeouts_t *t);

/* What the exchange reports to its owner (a response, a future...). */
typedef struct httpx__exchange_sink {
    /* The final response head is in; fields point into the connection's buffer and
     * are valid during the call only. Return 0 or an error to abort. */
    int (*head)(httpx__exchange_t *x, const httpx__h1_head_t *head, void *user);
    /* Body payload (framing removed, content encoding kept). Set *taken to how many
     * bytes were consumed; fewer than `len` pauses the exchange. Return 0 or an error. */
    int (*body)(httpx__exchange_t *x, const char *data, size_t len, size_t *taken, void *user);
    /* Trailer fields of a chunked body, just before done. */
    int (*trailers)(httpx__exchange_t *x, const httpx__h1_field_t *f, size_t n, void *user);
    /* Finished: status 0 (body complete) or an error; err holds the detail. Called
     * exactly once unless the exchange is freed first. */
    void (*done)(httpx__exchange_t *x, int status, const httpx_error_t *err, void *user);
    void *user;
} httpx__exchange_sink_t;

/* Build an exchange for `method url` with `opts` (may be NULL). Errors
 * (INVALID_URL, INVAL, UNSUPPORTED_PROTOCOL, NOMEM, CLOSED) are returned with *err
 * filled; nothing is started. */
int httpx__exchange_new(httpx__engine_t *e, const char *method, const char *url,
                        const httpx_req_opts_t *opts, const httpx__exchange_sink_t *sink,
                        httpx__exchange_t **out, httpx_error_t *err);
/* Start: the sink's callbacks come from the loop from now on (never from inside
 * this call). */
void httpx__exchange_start(httpx__exchange_t *x);
/* Hand the exchange's reports to another sink from now on (a stream's future
 * gives way to its response once the head is in). */
void httpx__exchange_set_sink(httpx__exchange_t *x, const httpx__exchange_sink_t *sink);
/* Deliver body bytes held back by a short `taken`, then read on. Safe any time. */
void httpx__exchange_resume(httpx__exchange_t *x);
/* Stop and release everything (the connection is closed unless it was already
 * handed back). No callback fires after this. */
void httpx__exchange_free(httpx__exchange_t *x);

/* Accessors for the owner. */
const httpx_url_t *httpx__exchange_url(const httpx__exchange_t *x);
const char *httpx__exchange_method(const httpx__exchange_t *x);
/* Timestamps (CLOCK_MONOTONIC ns; 0 if not reached). */
typedef struct httpx__exchange_times {
    uint64_t start, dns, connect, tls, first_byte, end;
} httpx__exchange_times_t;
const httpx__exchange_times_t *httpx__exchange_times(const httpx__exchange_t *x);
uint64_t httpx__exchange_body_bytes(const httpx__exchange_t *x);
/* True when the response came over HTTP/2. */
bool httpx__exchange_is_h2(const httpx__exchange_t *x);
/* Move the redirect history (responses, oldest first) out of the exchange. */
void httpx__exchange_take_history(httpx__exchange_t *x, struct httpx_response ***h, size_t *n);
/* A redirect not followed: its target and the method the next request would use. */
const char *httpx__exchange_next_url(const httpx__exchange_t *x);
const char *httpx__exchange_next_method(const httpx__exchange_t *x);

#endif
