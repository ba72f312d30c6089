/* client/exchange.h — the exchange's state, shared by request building
 * (client/request.c) and the state machine (client/exchange.c). */
#ifndef HTTPX_CLIENT_EXCHANGE_H
#define HTTPX_CLIENT_EXCHANGE_H

#include "client/engine.h"
#include "httpx/response.h"
#include "h1/parse.h"
#include "url/url.h"

typedef enum httpx__xstate {
    X_NEW,
    X_POOL,        /* waiting for a connection slot */
    X_CONNECTING,  /* DNS + TCP */
    X_SEND,        /* writing head and body */
    X_CONTINUE,    /* head sent with Expect: 100-continue, waiting for 100 */
    X_HEAD,        /* waiting for / parsing the response head */
    X_BODY,        /* framing the body */
    X_BACKOFF,     /* waiting to try again (retry policy) */
    X_DONE
} httpx__xstate_t;

/* Request body source once built. */
typedef struct httpx__xbody {
    httpx_body_kind_t kind;
    int fd;                        /* FILE: opened at build time, closed on free */
    uint64_t size;                 /* FILE: bytes to send */
    uint64_t sent;                 /* FILE: bytes read so far */
    httpx_body_producer_cb producer;
    void *user;
    bool chunked;                  /* PRODUCER: chunked framing */
    struct httpx__multipart *mp;   /* MULTIPART: the generator (known length, replayable) */
    httpx__buf_t *encoded;         /* FORM/JSON: the bytes, until the head is written */
    bool ended;                    /* no more body bytes to produce */
    bool replayable;
} httpx__xbody_t;

struct httpx__exchange {
    httpx__engine_t *eng;
    httpx__link_t link;            /* in eng->exchanges */
    httpx__exchange_sink_t sink;
    httpx__xstate_t state;

    /* request */
    char *method;
    httpx_url_t *url;
    httpx_url_t *url_spare;        /* a kept URL block for build to reuse (or free) */
    httpx__buf_t out;              /* head (+ a bytes body): kept whole for a replay */
    size_t out_sent;
    size_t head_len;               /* the head is out[0, head_len) */
    /* The head is not written yet: a request without body that keeps every default
     * header (request.c). HTTP/1.1 writes it when sending starts; HTTP/2 sends the
     * engine's prepared fields and never needs it. */
    bool head_deferred;
    httpx__buf_t piece;            /* the current piece of a FILE or PRODUCER body */
    httpx_headers_t *req_headers;  /* the caller's headers, kept to rebuild the head per hop */
    char framing_line[64];         /* Content-Length / Transfer-Encoding line */
    httpx__buf_t cookie_header;    /* Cookie value from the jar for this hop, or empty */
    httpx__buf_t auth_header;      /* Authorization value for this hop, or empty */
    httpx__xbody_t body;
    bool expect_continue;
    bool continue_done;            /* 100 received, or waited long enough */
    bool idempotent;
    httpx__timeouts_ms_t to;

    /* timing */
    httpx_timer_t timer;
    uint64_t phase_deadline;       /* loop ms, 0 = none */
    uint64_t total_deadline;       /* loop ms, 0 = none */
    int phase_code;                /* error when phase_deadline passes */
    httpx__exchange_times_t times;

    /* connection */
    httpx__waiter_t waiter;
    httpx__conn_t *conn;
    bool reused, retried, got_bytes;

    /* response parsing */
    size_t scan;
    int status;
    bool keep_alive;
    bool body_unsent;              /* a final response came before the body was sent */
    httpx__h1_body_t framing;
    size_t pend_len;               /* payload at the front of conn->rbuf not yet taken */
    size_t post_skip;              /* framing bytes after that payload, to drop after it */
    httpx__buf_t trailers;         /* raw trailer section */
    bool paused;
    uint64_t body_bytes;

    /* HTTP/2: the exchange is one stream of a multiplexed connection */
    struct httpx__h2conn *h2;
    int32_t stream_id;             /* 0 when no stream is open */
    int32_t h2_sid;                /* the stream's id, kept after it closed (for window updates) */
    httpx__buf_t h2_pending;       /* DATA the sink has not taken (bounded by the stream window) */
    size_t h2_unconsumed;          /* DATA delivered by the session, not yet consumed */
    bool h2_ended;                 /* the stream closed cleanly */
    bool was_h2;                   /* the response came over HTTP/2 */
    int h2_retries;                /* streams the server did not process, sent again */

    /* the route: direct, or through a proxy (client/request.c) */
    int via;                       /* HTTPX__VIA_* */
    const httpx__proxy_t *proxy;
    char route_key[640];
    httpx__buf_t proxy_auth;       /* Proxy-Authorization for forwarded requests */

    /* hops: redirects and authentication (client/hops.c) */
    bool follow;                   /* follow redirects */
    int redirects;                 /* followed so far */
    int hop;                       /* HTTPX__HOP_*: what follows this response */
    bool discard;                  /* this response is a hop: its body is dropped */
    char *next_url;                /* a redirect's resolved Location */
    int next_status;
    httpx__auth_t auth;            /* credentials for this request (owned copies) */
    struct httpx__digest *digest;  /* the server's Digest challenge, once answered */
    bool digest_tried;
    size_t interim_bytes;          /* 1xx heads of this hop: capped like curl's total header budget */
    /* Crossed to another origin: the client's default headers lose what the
     * request's own headers lost (credentials, sensitive_headers). */
    bool left_origin;
    bool left_origin_auth;         /* ... and Authorization (not an http->https upgrade) */
    int flow_rounds;               /* custom auth flow calls so far */
    int attempts;                  /* policy retries so far */
    uint64_t retry_delay_ms;       /* before the next attempt */
    httpx_response_t **history;    /* intermediate responses, heads only */
    size_t nhistory;

    /* reentrancy: callbacks may free the exchange */
    int depth;
    bool free_pending;
    bool in_start;
    httpx_error_t err;
};

/* client/request.c: fill method, url, out (head + inline body) and body. */
int httpx__request_build(httpx__exchange_t *x, const char *method, const char *url,
                         const httpx_req_opts_t *opts, httpx_error_t *err);
/* (Re)write the head into x->out from method, url, the client's and the caller's
 * headers, cookie and auth values and framing, followed by `body` (a bytes body).
 * Resets what was sent. 0 or HTTPX_E_NOMEM. */
int httpx__request_write_head(httpx__exchange_t *x, const void *body, size_t body_len);
/* Write a deferred head now (no-op otherwise). 0 or HTTPX_E_NOMEM. */
int httpx__request_head_ready(httpx__exchange_t *x);
/* The caller's header list, created on first use (NULL on out-of-memory). */
httpx_headers_t *httpx__request_headers(httpx__exchange_t *x);
/* A method string for an exchange: the usual ones are shared static strings. */
char *httpx__method_intern(const httpx_allocator_t *a, const char *method);
void httpx__method_free(const httpx_allocator_t *a, char *method);
/* Pick the route for x->url (proxy table, else direct). 0 or an error in *err. */
int httpx__request_route(httpx__exchange_t *x, httpx_error_t *err);
/* Refill x->piece (emptied first) with the next piece of a FILE or PRODUCER body (chunk-framed when
 * chunked). Returns 0 (possibly with nothing added when the source ended) or an
 * error with x->err set. */
int httpx__request_next_piece(httpx__exchange_t *x);
/* Rewind the body for a retry: 0, or HTTPX_E_REQUEST_NOT_READ if it cannot be. */
int httpx__request_rewind(httpx__exchange_t *x);
void httpx__request_release(httpx__exchange_t *x);

enum { HTTPX__HOP_NONE = 0, HTTPX__HOP_REDIRECT, HTTPX__HOP_AUTH, HTTPX__HOP_RETRY };

/* The retry policy allows one more attempt of x now (method, count, budget); if so
 * it is counted and the delay set (Retry-After seconds if >= 0). */
bool httpx__hop_retry_allowed(httpx__exchange_t *x, double retry_after);
/* Call the request hook for the hop about to be sent. */
void httpx__hop_request_hook(httpx__exchange_t *x);

/* client/hops.c. setup: at build, the follow flag and credentials (from the request,
 * else the client, else the URL's userinfo), then hop_headers. hop_headers: this
 * hop's Cookie and Authorization values. on_head: store cookies; 1 when another hop
 * follows (the response goes to history and its body is dropped), 0 when this
 * response is the answer, <0 an error in x->err. advance: turn the request into the
 * next hop's (URL, method, body, headers stripped across origins), head rewritten.
 * release: free what hops hold. */
int httpx__hop_setup(httpx__exchange_t *x, const httpx_req_opts_t *opts, httpx_error_t *err);
int httpx__hop_headers(httpx__exchange_t *x, httpx_error_t *err);
int httpx__hop_on_head(httpx__exchange_t *x, int status, int minor, const httpx__h1_field_t *f, size_t n);
int httpx__hop_advance(httpx__exchange_t *x, httpx_error_t *err);
/* Whether the client's default header `name` is left out of this hop's request:
 * after a cross-origin redirect (credentials), or when auth supplies it. */
bool httpx__hop_default_dropped(const httpx__exchange_t *x, const char *name);
void httpx__hop_release(httpx__exchange_t *x);

/* Report a step to the client's trace callback, if any ("http11." events become
 * "http2." on HTTP/2 when the name starts with "http11."). */
void httpx__x_trace(httpx__exchange_t *x, const char *event);

/* Shared with client/exchange_h2.c (the state machine's own steps). */
void httpx__x_enter(httpx__exchange_t *x);
bool httpx__x_leave(httpx__exchange_t *x);
bool httpx__x_alive(const httpx__exchange_t *x);
void httpx__x_fail_err(httpx__exchange_t *x);
void httpx__x_finish(httpx__exchange_t *x, int status);
void httpx__x_phase(httpx__exchange_t *x, uint64_t ms, int code);
void httpx__x_acquire(httpx__exchange_t *x, bool fresh);
/* Start the next hop of a request whose response was a redirect or a challenge. */
void httpx__x_rehop(httpx__exchange_t *x);

/* client/exchange_h2.c: the exchange as an HTTP/2 stream on multiplexed `c`. */
void httpx__h2x_begin(httpx__exchange_t *x, httpx__conn_t *c);
/* Leave the connection: reset the stream if open, return unread window, drop the
 * pool's use count. */
void httpx__h2x_detach(httpx__exchange_t *x);
/* Hand held DATA to the sink (after a pause). */
void httpx__h2x_deliver(httpx__exchange_t *x);


/* Fail an exchange in flight from outside (client close): done fires with `code`. */
void httpx__exchange_abort(httpx__exchange_t *x, int code, const char *why);

#endif
