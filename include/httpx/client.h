/* httpx/client.h — the synchronous API: one-shot calls and clients.
 *
 * Synchronous by default, as in HTTPX. A client owns a connection pool and a private
 * built-in event loop that no other code can see; each call runs that loop until
 * its response is ready. The same engine serves the async client (httpx/async.h).
 *
 * Calling any blocking function here from inside one of this library's event-loop
 * callbacks (directly or through helpers) returns HTTPX_E_SYNC_IN_ASYNC: inside an
 * async context, use the async client.
 *
 * A client is used by one thread at a time.
 */
#ifndef HTTPX_CLIENT_H
#define HTTPX_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "httpx/export.h"
#include "httpx/alloc.h"
#include "httpx/error.h"
#include "httpx/headers.h"
#include "httpx/request.h"
#include "httpx/response.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_client httpx_client_t;

/* A proxy route: URL pattern and proxy URL (NULL: go direct). */
typedef struct httpx_proxy_mount {
    const char *pattern;
    const char *proxy;
} httpx_proxy_mount_t;

/* A socket option: setsockopt(fd, level, name, &value, sizeof value). */
typedef struct httpx_sockopt {
    int level, name, value;
} httpx_sockopt_t;

/* Named limits; each zero field takes the default shown. */
typedef struct httpx_limits {
    int max_connections;            /* 100: open connections, all origins */
    int max_keepalive_connections;  /* 20: idle connections kept */
    double keepalive_expiry;        /* 5.0 s: idle connections older are closed */
    size_t max_header_bytes;        /* 64 KiB: status line + header block; a request's 1xx heads: 4x */
    size_t max_header_count;        /* 100 fields per head, trailer section or HTTP/2 header block */
    size_t max_body_bytes;          /* 1 GiB: a body buffered in memory (read/content) */
    size_t max_decoded_ratio;       /* 1000: decoded/encoded bytes, checked past 1 MiB */
    size_t max_encodings;           /* 3: stacked Content-Encoding values */
} httpx_limits_t;

#define HTTPX_DEFAULT_MAX_CONNECTIONS 100
#define HTTPX_DEFAULT_MAX_KEEPALIVE 20
#define HTTPX_DEFAULT_KEEPALIVE_EXPIRY 5.0
#define HTTPX_DEFAULT_MAX_HEADER_BYTES (64u * 1024u)
#define HTTPX_DEFAULT_MAX_HEADER_COUNT 100u
#define HTTPX_DEFAULT_MAX_BODY_BYTES ((size_t)1 << 30)
#define HTTPX_DEFAULT_MAX_DECODED_RATIO 1000u
#define HTTPX_DEFAULT_MAX_ENCODINGS 3u
#define HTTPX_DEFAULT_TIMEOUT 5.0

/* What a hook sees of one hop: the request as it goes out, or the response head as
 * it comes in. Valid during the call only. */
typedef struct httpx_hook_info {
    const char *method;
    const char *url;
    int status;                      /* 0 in a request hook */
    const httpx_headers_t *headers;  /* response hooks: the response's headers */
    const char *request_head;        /* request hooks: the head as written (HTTP/1.1 form) */
    size_t request_head_len;
} httpx_hook_info_t;
/* Event hooks (HTTPX's event_hooks): called for every hop, redirects and auth steps
 * included, on the loop's thread. Must not block; may not free the client. */
typedef void (*httpx_hook_cb)(const httpx_hook_info_t *info, void *user);

/* Retry policy. A response whose status is listed, or a failure to connect, is
 * tried again after a delay: Retry-After when the server sends one (capped by
 * backoff_max), else backoff * 2^attempt with full jitter. Non-idempotent methods
 * are retried only with all_methods. A budget keeps retries to about `budget`
 * (default 20%) of the client's requests, plus 3, so retries cannot multiply load.
 * The automatic retry of a request on a stale kept-alive connection is separate
 * and always on (idempotent requests, before any response byte). */
typedef struct httpx_retry {
    int max;                         /* attempts after the first; 0: no policy retries */
    const int *statuses;             /* 0-terminated; NULL: 429, 502, 503, 504 */
    bool all_methods;
    double backoff;                  /* seconds; 0: 0.5 */
    double backoff_max;              /* seconds; 0: 30 */
    double budget;                   /* 0: 0.2 */
} httpx_retry_t;

/* Tracing, with HTTPX's event names: "connection.connect_tcp.started",
 * "connection.connect_tcp.complete", "connection.start_tls.complete",
 * "http11.send_request_headers.started" (or "http2."), "http11.send_request_body.complete",
 * "http11.receive_response_headers.complete", "http11.receive_response_body.complete",
 * "http11.response_closed", and "request.failed" with the error. */
typedef struct httpx_trace_info {
    const char *method;
    const char *url;
    const char *peer;      /* "127.0.0.1:8080" once connected, else NULL */
    int status;            /* response status once known, else 0 */
    int error;             /* "request.failed": the code */
    double elapsed;        /* seconds since the request started */
} httpx_trace_info_t;
typedef void (*httpx_trace_cb)(const char *event, const httpx_trace_info_t *info, void *user);

typedef struct httpx_client_opts {
    size_t struct_size;                 /* set by HTTPX_CLIENT */
    double timeout;                     /* connect/read/write/pool; default 5 s */
    httpx_timeouts_t timeouts;          /* finer control; non-zero fields win */
    httpx_limits_t limits;
    const httpx_header_t *headers;      /* default headers, {NULL,NULL}-terminated; copied */
    const char *base_url;               /* relative request URLs are resolved against it; copied */
    const char *user_agent;             /* default "httpx-c/<version>"; copied */
    bool no_decompress;                 /* do not send Accept-Encoding, do not decode */
    double dns_cache_ttl_max;           /* cap on cached DNS TTLs; default 60 s, <0 disables the cache */
    const httpx_allocator_t *allocator; /* NULL: malloc */

    /* TLS (https URLs). Verification is on by default: the system store
     * (/etc/ssl/certs, or SSL_CERT_FILE / SSL_CERT_DIR when set), the host name or
     * IP address checked against the certificate, TLS 1.2 at least. One TLS context
     * is built per client, at its first https request, and shared by all its
     * connections; sessions are resumed per origin (see tls_no_session_reuse). */
    bool insecure;                      /* DANGEROUS: accept any certificate for any host (HTTPX's verify=False) */
    const char *ca_file;                /* PEM bundle to trust instead of the system store; copied */
    const char *ca_dir;                 /* hashed directory to trust instead; copied */
    const char *cert_file, *key_file;   /* client certificate and key (PEM); copied */
    int tls_min_version;                /* 0: TLS 1.2; HTTPX_TLS_1_3 for 1.3 only */
    const char *ciphers;                /* TLS 1.2 cipher list (OpenSSL syntax); NULL: OpenSSL's default */
    const char *keylog_file;            /* write session keys for Wireshark; NULL: $SSLKEYLOGFILE if set */

    /* HTTP/2. With http2, https connections offer h2 by ALPN (falling back to
     * HTTP/1.1), and requests to one origin share a connection up to the server's
     * MAX_CONCURRENT_STREAMS; beyond it a second connection opens. */
    bool http2;
    bool http2_prior_knowledge;         /* http:// URLs speak HTTP/2 at once (h2c); implies http2 */

    /* Redirects (off by default, as in HTTPX). When followed: 301/302/303 turn into
     * GET without a body (HEAD stays HEAD), 307/308 keep method and body (a producer
     * body cannot be replayed: HTTPX_E_REQUEST_NOT_READ); Authorization, Cookie,
     * Proxy-Authorization and the headers named in sensitive_headers are dropped when
     * the origin changes (except the same host moving from http to https); an
     * https -> http move is refused unless allow_downgrade; only http and https. */
    bool follow_redirects;
    int max_redirects;                  /* 0: 20; more is HTTPX_E_TOO_MANY_REDIRECTS */
    bool allow_downgrade;
    const char *const *sensitive_headers; /* NULL-terminated names, dropped cross-origin */

    /* Cookies: every response (redirect hops included) feeds the jar, and each
     * request sends what matches. NULL: the client's own jar (httpx_client_cookies). */
    struct httpx_cookie_jar *cookies;   /* not owned; must outlive the client */
    bool no_cookies;                    /* neither store nor send cookies */

    /* Default credentials for every request (a request's .auth overrides). Without
     * any, credentials in the URL (user:pass@) are sent as Basic. */
    httpx_auth_t auth;
    bool netrc;                         /* without other credentials, look the host up in $NETRC or ~/.netrc */

    httpx_hook_cb on_request, on_response;
    void *hook_user;
    httpx_retry_t retry;

    /* Sockets. uds: every connection goes to this unix socket ("@name": abstract),
     * whatever the URL's host (which still names the Host header and the pool's
     * origin). local_address: the source address to bind ("127.0.0.1", "::1"; also
     * picks the address family). socket_options: applied to every socket before
     * connecting (e.g. {SOL_SOCKET, SO_RCVBUF, 1 << 20}). All copied. */
    const char *uds;
    const char *local_address;
    const httpx_sockopt_t *socket_options;
    size_t nsocket_options;

    /* Proxies. proxy: one for every URL ("http://[user:pass@]host:port" forwards
     * http URLs and tunnels https ones with CONNECT; "socks5://" and "socks5h://"
     * tunnel both). mounts: per-origin routes like HTTPX's ("all://", "https://",
     * "all://" + "*.example.com" for subdomains, "https://example.com:8443"; proxy
     * NULL = direct); the
     * most specific wins. Unless no_env (HTTPX's trust_env=False) or `proxy` is
     * set, HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (domains, IPs, CIDRs,
     * "*") add routes too (mounts win over them; NO_PROXY only affects them). TLS to the proxy itself (https://
     * proxies) is not built yet: HTTPX_E_UNSUPPORTED_PROTOCOL. */
    const char *proxy;
    const httpx_proxy_mount_t *mounts;  /* ended by {NULL} */
    bool no_env;

    httpx_trace_cb trace;               /* every step of every request; on the loop's thread */
    void *trace_user;

    /* TLS, continued (appended here, not in the TLS group above, so that the fields
     * after that group keep their offsets for programs built with an older header;
     * struct_size tells a new library which fields a caller's struct has).
     * tls_no_session_reuse: every https connection does a full handshake (certificate
     * chain verified again) instead of resuming the session its origin gave earlier;
     * the client then keeps no sessions at all. For benchmarks and for servers whose
     * resumption is broken; costs a certificate exchange and verification (~1-2 ms)
     * per new connection. Verification itself is unchanged either way. */
    bool tls_no_session_reuse;
} httpx_client_opts_t;

#define HTTPX_TLS_1_2 0x0303
#define HTTPX_TLS_1_3 0x0304

#define HTTPX_CLIENT(...) (&(httpx_client_opts_t){.struct_size = sizeof(httpx_client_opts_t), __VA_ARGS__})

/* Create a client. `opts` may be NULL (all defaults). Errors: HTTPX_E_NOMEM,
 * HTTPX_E_INVALID_URL (base_url), HTTPX_E_INVAL (a default header), HTTPX_E_SYSTEM. */
HTTPX_API int httpx_client_new(const httpx_client_opts_t *opts, httpx_client_t **out);

/* Send a request and wait for the whole response. `method` is an RFC 9110 token
 * ("GET"); `url` absolute, or relative to base_url; `opts` may be NULL. On 0, *out
 * is a buffered response the caller frees. Any HTTP status is a success here (see
 * httpx_response_raise_for_status). Errors: any HTTPX_E_* of the request classes,
 * HTTPX_E_INVALID_URL, HTTPX_E_INVAL, HTTPX_E_CLOSED, HTTPX_E_SYNC_IN_ASYNC; detail
 * in opts->error and httpx_client_last_error(). */
HTTPX_API int httpx_client_request(httpx_client_t *c, const char *method, const char *url,
                                   const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_get(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_head(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_options(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_delete(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_post(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_put(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_client_patch(httpx_client_t *c, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);

/* Like request, but returns as soon as the response head has arrived; pull the body
 * with httpx_response_read/stream/raw and close it (httpx/response.h). The response
 * holds a connection until then, and must be closed before the client is. */
HTTPX_API int httpx_client_stream(httpx_client_t *c, const char *method, const char *url,
                                  const httpx_req_opts_t *opts, httpx_response_t **out);

/* Detail of the last failed call on this client (code 0 if the last call succeeded).
 * Valid until the next call on the client. */
HTTPX_API const httpx_error_t *httpx_client_last_error(const httpx_client_t *c);

/* The client's cookie jar (its own unless one was given). Lives as long as the
 * client; see httpx/cookies.h. */
HTTPX_API struct httpx_cookie_jar *httpx_client_cookies(httpx_client_t *c);

/* A snapshot of the client's connection pool. */
typedef struct httpx_pool_stats {
    int open;       /* connections holding a slot (connecting, in use or idle) */
    int idle;       /* kept alive, ready for reuse */
    int connecting;
    int waiting;    /* requests queued for a slot */
} httpx_pool_stats_t;

/* Fill *s. HTTPX_E_INVAL for NULL arguments. */
HTTPX_API int httpx_client_pool_stats(const httpx_client_t *c, httpx_pool_stats_t *s);

/* Close every connection; later requests return HTTPX_E_CLOSED. Buffered responses
 * stay valid; open streaming responses become closed. Idempotent. */
HTTPX_API void httpx_client_close(httpx_client_t *c);
/* Close and free. Responses made by the client remain the caller's to free. NULL ok. */
HTTPX_API void httpx_client_free(httpx_client_t *c);

/* One-shot calls: a throwaway client with default options for a single request.
 * Same contracts as the client functions. httpx_stream's response keeps its private
 * client alive until the response is freed. */
HTTPX_API int httpx_request(const char *method, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_get(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_head(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_options(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_delete(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_post(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_put(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_patch(const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);
HTTPX_API int httpx_stream(const char *method, const char *url, const httpx_req_opts_t *opts, httpx_response_t **out);

/* Library version "x.y.z" and the features built ("gzip deflate br zstd ..."). */
HTTPX_API const char *httpx_version(void);
HTTPX_API const char *httpx_features(void);

#ifdef __cplusplus
}
#endif
#endif
