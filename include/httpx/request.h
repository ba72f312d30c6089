/* httpx/request.h — what a request can carry: body, headers, params, timeouts.
 *
 * Options are plain structs made with an initialiser macro that records their size,
 * so fields can be added without breaking the ABI:
 *
 *     httpx_client_get(c, url, HTTPX_REQ(.headers = hdrs, .timeout = 2.0), &r);
 *
 * Every field left zero means "the client's default". Nothing in the options is
 * retained after the call returns, except what is documented (a producer's `user`
 * and a streamed file, which must stay valid until the request completes).
 */
#ifndef HTTPX_REQUEST_H
#define HTTPX_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpx/export.h"
#include "httpx/error.h"
#include "httpx/headers.h"
#include "httpx/url.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A timeout value of HTTPX_TIMEOUT_NONE disables that timeout; 0 takes the default. */
#define HTTPX_TIMEOUT_NONE (-1.0)

/* HTTPX's four timeouts plus a total deadline, in seconds. */
typedef struct httpx_timeouts {
    double connect; /* DNS + TCP connect (+ TLS handshake) */
    double read;    /* longest wait for any response bytes */
    double write;   /* longest wait for the socket to take request bytes */
    double pool;    /* longest wait for a connection slot */
    double total;   /* the whole request, head and body; default none */
} httpx_timeouts_t;

/* A request body producer: write up to `cap` bytes into `buf`, set *n to how many
 * (0 = the body is complete) and return 0, or return a negative HTTPX_E_* to abort
 * the request with that error. Called on the loop's thread, must not block for long.
 * A producer body is sent with Transfer-Encoding: chunked and cannot be replayed. */
typedef int (*httpx_body_producer_cb)(void *buf, size_t cap, size_t *n, void *user);

/* One part of a multipart/form-data body (RFC 7578). Arrays end with {NULL}. */
typedef struct httpx_part {
    const char *name;            /* the form field */
    const char *value;           /* in-memory content (copied at the call), or */
    size_t value_len;            /* (0: strlen(value)) */
    const char *path;            /* a file, streamed from disk while sending */
    const char *filename;        /* NULL: the file's basename; none for values */
    const char *content_type;    /* NULL: guessed from the filename's extension */
    const httpx_header_t *headers; /* extra part headers, or NULL */
} httpx_part_t;

typedef enum httpx_body_kind {
    HTTPX_BODY_NONE = 0,
    HTTPX_BODY_BYTES,    /* data/len, copied at the call: the caller may free it after */
    HTTPX_BODY_FILE,     /* path opened at the call, streamed, Content-Length from its size */
    HTTPX_BODY_PRODUCER, /* producer/user, sent chunked; cannot be replayed */
    HTTPX_BODY_FORM,     /* fields, as application/x-www-form-urlencoded */
    HTTPX_BODY_JSON,     /* data/len: a ready JSON text, sent as application/json */
    HTTPX_BODY_MULTIPART /* parts, as multipart/form-data with a random boundary; files streamed */
} httpx_body_kind_t;

typedef struct httpx_body {
    httpx_body_kind_t kind;
    const void *data;
    size_t len;
    const char *path;
    httpx_body_producer_cb producer;
    void *user;
    const httpx_param_t *fields;
    const httpx_part_t *parts;
} httpx_body_t;

#define HTTPX_BODY_BYTES(p, n) ((httpx_body_t){.kind = HTTPX_BODY_BYTES, .data = (p), .len = (n)})
#define HTTPX_BODY_STR(s) ((httpx_body_t){.kind = HTTPX_BODY_BYTES, .data = (s), .len = strlen(s)})
#define HTTPX_BODY_FILE(p) ((httpx_body_t){.kind = HTTPX_BODY_FILE, .path = (p)})
#define HTTPX_BODY_PRODUCER(f, u) ((httpx_body_t){.kind = HTTPX_BODY_PRODUCER, .producer = (f), .user = (u)})
#define HTTPX_BODY_FORM(f) ((httpx_body_t){.kind = HTTPX_BODY_FORM, .fields = (f)})
#define HTTPX_BODY_JSON(s) ((httpx_body_t){.kind = HTTPX_BODY_JSON, .data = (s), .len = strlen(s)})
#define HTTPX_BODY_MULTIPART(p) ((httpx_body_t){.kind = HTTPX_BODY_MULTIPART, .parts = (p)})

/* Authentication (HTTPX's auth=). Plain value; strings are copied at the call. */
typedef enum httpx_auth_kind {
    HTTPX_AUTH_DEFAULT = 0, /* in request options: the client's; in client options: none */
    HTTPX_AUTH_NONE,        /* explicitly none (also: no credentials from the URL) */
    HTTPX_AUTH_BASIC,       /* username, password */
    HTTPX_AUTH_DIGEST,      /* username, password: answers a 401 Digest challenge (RFC 7616) */
    HTTPX_AUTH_BEARER,      /* token */
    HTTPX_AUTH_CUSTOM       /* flow/user: a callback that sees each response (HTTPX's auth_flow) */
} httpx_auth_kind_t;

/* A custom authentication flow, as HTTPX's generator-based Auth: the callback runs
 * before the first send (status 0) and after each response head of the request,
 * on the loop's thread. It may set headers on the request, then returns
 * HTTPX_AUTH_SEND to send (again: the intermediate response goes to history), or
 * HTTPX_AUTH_DONE to take this response as the answer, or a negative HTTPX_E_* to
 * fail the request. At most 10 rounds. The step lives during the call only. */
typedef struct httpx_auth_step httpx_auth_step_t;
typedef int (*httpx_auth_flow_cb)(httpx_auth_step_t *step, void *user);
enum { HTTPX_AUTH_SEND = 1, HTTPX_AUTH_DONE = 0 };
HTTPX_API int httpx_auth_step_status(const httpx_auth_step_t *step);     /* 0 before the first send */
HTTPX_API const char *httpx_auth_step_header(const httpx_auth_step_t *step, const char *name); /* response's */
HTTPX_API const char *httpx_auth_step_method(const httpx_auth_step_t *step);
HTTPX_API const char *httpx_auth_step_url(const httpx_auth_step_t *step);
/* Set (replace) a header on the request to send. HTTPX_E_INVAL for a bad name/value. */
HTTPX_API int httpx_auth_step_set_header(httpx_auth_step_t *step, const char *name, const char *value);

typedef struct httpx_auth {
    httpx_auth_kind_t kind;
    const char *username, *password;
    const char *token;
    httpx_auth_flow_cb flow;
    void *user;
} httpx_auth_t;

#define HTTPX_BASIC_AUTH(u, p) ((httpx_auth_t){.kind = HTTPX_AUTH_BASIC, .username = (u), .password = (p)})
#define HTTPX_DIGEST_AUTH(u, p) ((httpx_auth_t){.kind = HTTPX_AUTH_DIGEST, .username = (u), .password = (p)})
#define HTTPX_BEARER_AUTH(t) ((httpx_auth_t){.kind = HTTPX_AUTH_BEARER, .token = (t)})

/* follow_redirects in request options: the client's default, or a choice. */
enum { HTTPX_REDIRECTS_DEFAULT = 0, HTTPX_REDIRECTS_FOLLOW = 1, HTTPX_REDIRECTS_DONT = -1 };

typedef struct httpx_req_opts {
    size_t struct_size;             /* set by HTTPX_REQ */
    const httpx_header_t *headers;  /* {NULL,NULL}-terminated; added after the client's */
    const httpx_param_t *params;    /* {NULL,NULL}-terminated; appended to the URL's query */
    httpx_body_t body;
    bool expect_continue;           /* send "Expect: 100-continue" and wait for 100 (or 1 s) */
    double timeout;                 /* sets connect/read/write/pool at once */
    httpx_timeouts_t timeouts;      /* finer control; non-zero fields win over .timeout */
    httpx_error_t *error;           /* out: filled when the call fails (may be NULL) */
    int follow_redirects;           /* HTTPX_REDIRECTS_*: 0 takes the client's (off by default) */
    const httpx_auth_t *auth;       /* NULL: the client's */
} httpx_req_opts_t;

#define HTTPX_REQ(...) (&(httpx_req_opts_t){.struct_size = sizeof(httpx_req_opts_t), __VA_ARGS__})

#ifdef __cplusplus
}
#endif
#endif
