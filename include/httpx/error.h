/* httpx/error.h — error codes, their hierarchy, and per-request error detail.
 *
 * Every fallible call returns an int: 0 on success or a negative HTTPX_E_* code.
 * Codes mirror HTTPX's exception tree. A class is a contiguous range of codes, so
 * "is this a timeout?" is httpx_error_is(code, HTTPX_E_TIMEOUT): a range check.
 *
 *   HTTPX_E_HTTP (HTTPError)
 *   ├── HTTPX_E_REQUEST (RequestError)
 *   │   ├── HTTPX_E_TRANSPORT (TransportError)
 *   │   │   ├── HTTPX_E_TIMEOUT: CONNECT_TIMEOUT, READ_TIMEOUT, WRITE_TIMEOUT, POOL_TIMEOUT, TOTAL_TIMEOUT
 *   │   │   ├── HTTPX_E_NETWORK
 *   │   │   │   ├── HTTPX_E_CONNECT: DNS, REFUSED, TLS (TLS_VERIFY, TLS_HANDSHAKE)
 *   │   │   │   └── READ, WRITE, CLOSE
 *   │   │   ├── HTTPX_E_PROTOCOL: LOCAL_PROTOCOL, REMOTE_PROTOCOL (HEADER_LIMIT, BODY_LIMIT)
 *   │   │   └── PROXY, UNSUPPORTED_PROTOCOL
 *   │   ├── HTTPX_E_DECODING: DECODE_LIMIT
 *   │   └── HTTPX_E_TOO_MANY_REDIRECTS
 *   └── HTTPX_E_STATUS (HTTPStatusError)
 *   HTTPX_E_INVALID_URL, HTTPX_E_COOKIE_CONFLICT
 *   HTTPX_E_STREAM: STREAM_CONSUMED, STREAM_CLOSED, RESPONSE_NOT_READ, REQUEST_NOT_READ
 *   usage and runtime: NOMEM, INVAL, CLOSED, SYNC_IN_ASYNC, CANCELLED, UNSUPPORTED, NONE_LEFT, ...
 */
#ifndef HTTPX_ERROR_H
#define HTTPX_ERROR_H

#include <stddef.h>
#include "httpx/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, code, span, message). A code whose span is > 1 is a class: it covers
 * [code - span + 1, code]. Message text is lower case without a final full stop. */
#define HTTPX_ERRNO_MAP(X)                                                                      \
    X(OK,                     0,    1, "success")                                               \
    X(NOMEM,                 -1,    1, "out of memory")                                         \
    X(INVAL,                 -2,    1, "invalid argument")                                      \
    X(CLOSED,                -3,    1, "client closed")                                         \
    X(SYNC_IN_ASYNC,         -4,    1, "blocking call inside an event-loop callback; use the async client") \
    X(CANCELLED,             -5,    1, "request cancelled")                                     \
    X(UNSUPPORTED,           -6,    1, "feature not built into this library")                  \
    X(NONE_LEFT,             -7,    1, "no pending requests left")                              \
    X(BUSY,                  -8,    1, "object in use")                                         \
    X(SYSTEM,                -9,    1, "system call failed")                                    \
    X(HTTP,                -100,  210, "http error")                                           \
    X(REQUEST,             -101,  199, "request error")                                        \
    X(TRANSPORT,           -102,   98, "transport error")                                      \
    X(TIMEOUT,             -110,   10, "timed out")                                            \
    X(CONNECT_TIMEOUT,     -111,    1, "connect timed out")                                    \
    X(READ_TIMEOUT,        -112,    1, "read timed out")                                       \
    X(WRITE_TIMEOUT,       -113,    1, "write timed out")                                      \
    X(POOL_TIMEOUT,        -114,    1, "timed out waiting for a pooled connection")            \
    X(TOTAL_TIMEOUT,       -115,    1, "total deadline exceeded")                              \
    X(NETWORK,             -120,   20, "network error")                                        \
    X(CONNECT,             -121,   10, "connect failed")                                       \
    X(DNS,                 -122,    1, "name resolution failed")                               \
    X(REFUSED,             -123,    1, "connection refused")                                   \
    X(TLS,                 -124,    5, "tls error")                                            \
    X(TLS_VERIFY,          -125,    1, "tls certificate verification failed")                  \
    X(TLS_HANDSHAKE,       -126,    1, "tls handshake failed")                                 \
    X(READ,                -131,    1, "read failed")                                          \
    X(WRITE,               -132,    1, "write failed")                                         \
    X(CLOSE,               -133,    1, "close failed")                                         \
    X(PROTOCOL,            -140,   20, "protocol error")                                       \
    X(LOCAL_PROTOCOL,      -141,    1, "request violates the protocol")                        \
    X(REMOTE_PROTOCOL,     -142,   10, "server response violates the protocol")                \
    X(HEADER_LIMIT,        -143,    1, "response headers exceed the limit")                    \
    X(BODY_LIMIT,          -144,    1, "response body exceeds the limit")                      \
    X(SERVER_DISCONNECTED, -145,    1, "server disconnected without sending a complete response") \
    X(PROXY,               -160,    1, "proxy error")                                          \
    X(UNSUPPORTED_PROTOCOL,-161,    1, "unsupported protocol")                                 \
    X(DECODING,            -200,   10, "decoding error")                                       \
    X(DECODE_LIMIT,        -201,    1, "decoded body exceeds the size or ratio limit")         \
    X(TOO_MANY_REDIRECTS,  -210,    1, "too many redirects")                                   \
    X(STATUS,              -300,   10, "http status error")                                    \
    X(INVALID_URL,         -310,    1, "invalid url")                                          \
    X(COOKIE_CONFLICT,     -320,    1, "cookie conflict")                                      \
    X(STREAM,              -330,   10, "stream error")                                         \
    X(STREAM_CONSUMED,     -331,    1, "stream already consumed")                              \
    X(STREAM_CLOSED,       -332,    1, "stream closed")                                        \
    X(RESPONSE_NOT_READ,   -333,    1, "response body not read")                               \
    X(REQUEST_NOT_READ,    -334,    1, "request body cannot be replayed")

typedef enum httpx_errno {
#define HTTPX__ERR_ENUM(name, code, span, msg) HTTPX_E_##name = (code),
    HTTPX_ERRNO_MAP(HTTPX__ERR_ENUM)
#undef HTTPX__ERR_ENUM
} httpx_errno_t;

/* A static, lower-case description of `code` ("read timed out"). Never NULL:
 * unknown codes give "unknown error". The string lives for the whole program. */
HTTPX_API const char *httpx_strerror(int code);

/* The symbolic name of `code` without prefix ("READ_TIMEOUT"); "UNKNOWN" if unknown. */
HTTPX_API const char *httpx_err_name(int code);

/* 1 if `code` equals `cls` or falls inside the class `cls` (HTTPX's "is a subclass
 * of"), else 0. httpx_error_is(HTTPX_E_READ_TIMEOUT, HTTPX_E_TRANSPORT) == 1. */
HTTPX_API int httpx_error_is(int code, int cls);

/* Where in a request's life an error happened. */
typedef enum httpx_phase {
    HTTPX_PHASE_NONE = 0,
    HTTPX_PHASE_SETUP,      /* building the request: URL, headers, options */
    HTTPX_PHASE_POOL,       /* waiting for a connection slot */
    HTTPX_PHASE_DNS,        /* resolving the host */
    HTTPX_PHASE_CONNECT,    /* TCP connect */
    HTTPX_PHASE_TLS,        /* TLS handshake */
    HTTPX_PHASE_WRITE,      /* sending the request */
    HTTPX_PHASE_READ_HEAD,  /* waiting for / parsing the response head */
    HTTPX_PHASE_READ_BODY,  /* receiving the body */
    HTTPX_PHASE_DECODE      /* content decoding */
} httpx_phase_t;

/* "connect", "read-body", ... A static string. */
HTTPX_API const char *httpx_phase_name(httpx_phase_t phase);

/* Per-request error detail, a plain value the caller owns (usually on the stack).
 * Pass its address in httpx_req_opts_t.error to receive it; message is always
 * NUL-terminated and names the subject ("connect to 127.0.0.1:9: connection refused"). */
typedef struct httpx_error {
    int code;               /* HTTPX_E_* or 0 */
    httpx_phase_t phase;
    char message[256];
} httpx_error_t;

#ifdef __cplusplus
}
#endif
#endif
