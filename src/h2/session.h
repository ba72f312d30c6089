/* h2/session.h — a sans-IO HTTP/2 client session (RFC 9113) on nghttp2.
 *
 * The session never sees a socket or the loop. The engine that owns the
 * connection feeds it the bytes it reads (httpx__h2_recv), writes the bytes it
 * gives out (httpx__h2_send, then httpx__h2_sent), and learns what happened
 * through the callbacks below. Tests and the fuzzer pump bytes between a client
 * session and an in-memory server; nothing here blocks.
 *
 * Flow control is tied to the consumer (STYLE.md item 12): DATA handed to
 * on_data is not acknowledged to the server until the engine calls
 * httpx__h2_consume() for those bytes, so a slow reader makes the server stop
 * at the stream window (default 1 MiB) and the connection window (16 MiB), and
 * memory stays bounded. Request bodies are pulled through a read callback that
 * may return HTTPX__H2_DEFER to pause until httpx__h2_resume_body().
 *
 * The callback contract:
 *  - Callbacks run only from inside httpx__h2_recv, httpx__h2_send and
 *    httpx__h2_abort. A cancelled stream reports nothing more. A call that fails
 *    synchronously fires no callback.
 *  - Inside a callback the engine may call submit, consume, cancel,
 *    resume_body and the queries. httpx__h2_recv/send/abort return
 *    HTTPX_E_BUSY there. httpx__h2_session_free inside a callback is deferred
 *    until the outermost recv/send returns.
 *  - Every stream submitted successfully gets exactly one on_stream_close
 *    (unless cancelled, or the session is freed first: freeing reports
 *    nothing).
 *  - Pointers passed to callbacks (field slices, data, the close info) are
 *    valid only until the callback returns.
 *
 * Allocation goes through the configured allocator, nghttp2's included (through
 * nghttp2_mem). Exception: nghttp2_session_callbacks_new and nghttp2_option_new
 * take no allocator; their two small blocks live only inside
 * httpx__h2_session_new. */
#ifndef HTTPX_H2_SESSION_H
#define HTTPX_H2_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/slice.h"
#include "httpx/alloc.h"
#include "httpx/error.h"

typedef struct httpx__h2_session httpx__h2_session_t;

/* Named defaults (STYLE.md item 11); a 0 in the config means the default. */
#define HTTPX__H2_DEFAULT_STREAM_WINDOW (1u << 20)       /* 1 MiB per stream */
#define HTTPX__H2_DEFAULT_CONN_WINDOW (16u << 20)        /* 16 MiB per connection */
#define HTTPX__H2_DEFAULT_MAX_STREAMS 100u               /* our cap on open streams */
#define HTTPX__H2_DEFAULT_MAX_HEADER_LIST (64u << 10)    /* 64 KiB, RFC 9113 6.5.2 size */
#define HTTPX__H2_DEFAULT_MAX_HEADER_COUNT 100u          /* fields per received header block */
#define HTTPX__H2_DEFAULT_INTERIM_LISTS 4u               /* 1xx budget: this many header lists */
#define HTTPX__H2_DEFAULT_MAX_OUTBOUND_ACK 1000u         /* queued SETTINGS/PING ACKs */
#define HTTPX__H2_DEFAULT_MAX_SETTINGS 32u               /* entries per SETTINGS frame */
#define HTTPX__H2_DEFAULT_MAX_CONTINUATIONS 8u           /* CONTINUATIONs per header block */
/* The server's MAX_CONCURRENT_STREAMS assumed until its SETTINGS arrive. */
#define HTTPX__H2_ASSUMED_PEER_MAX_STREAMS 100u

/* Returned by a body read callback to pause the body until httpx__h2_resume_body. */
#define HTTPX__H2_DEFER 1

typedef struct httpx__h2_config {
    const httpx_allocator_t *allocator; /* NULL: default; must outlive the session */
    uint32_t stream_window;       /* SETTINGS_INITIAL_WINDOW_SIZE we send (max 2^31-1) */
    uint32_t connection_window;   /* our connection receive window (max 2^31-1) */
    /* Advertised as SETTINGS_MAX_CONCURRENT_STREAMS (server-initiated streams; with
     * push refused there are none) and also a cap on the streams this session opens
     * at once: httpx__h2_capacity never exceeds it. */
    uint32_t max_concurrent_streams;
    /* Advertised as SETTINGS_MAX_HEADER_LIST_SIZE and enforced on every received
     * header block (name + value + 32 per field): a larger block resets that stream
     * and reports HTTPX_E_HEADER_LIMIT. */
    uint32_t max_header_list;
    /* Fields (pseudo-header fields not counted) allowed in one received header
     * block; more reset that stream with HTTPX_E_HEADER_LIMIT. */
    uint32_t max_header_count;
    /* The 1xx (interim) header blocks of one stream together, sized as above: an
     * endless 1xx stream resets it with HTTPX_E_HEADER_LIMIT instead of holding the
     * request until a total deadline. 0: HTTPX__H2_DEFAULT_INTERIM_LISTS ×
     * max_header_list, as HTTP/1.1's budget. */
    size_t max_interim_bytes;
    /* Flood protections nghttp2 offers; beyond them the session is torn down. */
    uint32_t max_outbound_ack;    /* SETTINGS and PING ACKs queued but not sent */
    uint32_t max_settings;        /* entries accepted in one SETTINGS frame */
    uint32_t max_continuations;   /* only if nghttp2 has the option (see session.c) */
    /* The engine validates every request field before it reaches the session
     * (names are tokens, values hold no CR, LF or NUL: the same fields go on the
     * wire as HTTP/1.1; the URL parser refuses control characters in the
     * authority and path), so httpx__h2_submit need not look at them again.
     * false (the default): submit checks them. */
    bool fields_checked;
} httpx__h2_config_t;

/* Fill *cfg with the defaults (all fields set explicitly, allocator NULL). */
void httpx__h2_config_init(httpx__h2_config_t *cfg);

/* A request or response field. Names of received fields are lower case (HTTP/2
 * requires it, nghttp2 checks it); pseudo-header fields are never listed. */
typedef struct httpx__h2_field {
    httpx__slice_t name;
    httpx__slice_t value;
} httpx__h2_field_t;

/* A request body, pulled as flow control allows. read() fills buf[0, cap) with
 * *n bytes (0 <= *n <= cap) and sets *eof on the last piece (which may be empty).
 * It returns 0, HTTPX__H2_DEFER (nothing now: the body pauses until
 * httpx__h2_resume_body; *n and *eof are ignored; 0 with *n == 0 and no *eof
 * counts as DEFER too), or a negative HTTPX_E_* code: the stream is reset
 * (RST_STREAM CANCEL) and reported closed with that code at once. The struct is copied;
 * `user` must live until the stream closes. */
typedef struct httpx__h2_body {
    int (*read)(void *buf, size_t cap, size_t *n, bool *eof, void *user);
    void *user;
} httpx__h2_body_t;

/* How a stream ended, for on_stream_close. */
typedef struct httpx__h2_close {
    /* err.code 0: the response arrived complete. Else HTTPX_E_REMOTE_PROTOCOL (reset
     * by the server: "stream reset by server: CANCEL"; malformed response; connection
     * error; GOAWAY), HTTPX_E_HEADER_LIMIT, HTTPX_E_NOMEM, a body read error, or the
     * code given to httpx__h2_abort. err.message names the stream. */
    httpx_error_t err;
    uint32_t h2_error;   /* RST_STREAM or GOAWAY error code involved, else 0 */
    /* The server did not process the request (REFUSED_STREAM, above a GOAWAY's
     * last stream id, or never sent): it is safe to send it again, whatever its
     * method. */
    bool retry;
    /* ... and it must go on a new connection (this one is going away). */
    bool new_connection;
} httpx__h2_close_t;

/* All callbacks get the stream's user pointer first (given to httpx__h2_submit)
 * and the session's user pointer last. Any may be NULL except on_stream_close. */
typedef struct httpx__h2_callbacks {
    /* The final response head: status 200..599 and the regular fields. */
    void (*on_response_head)(void *stream_user, int32_t stream_id, int status,
                             const httpx__h2_field_t *fields, size_t n, void *user);
    /* An informational (1xx) head; skipped if NULL. */
    void (*on_informational)(void *stream_user, int32_t stream_id, int status,
                             const httpx__h2_field_t *fields, size_t n, void *user);
    /* Response body bytes. They count against the windows until the engine calls
     * httpx__h2_consume(session, stream_id, len) — possibly much later, possibly
     * after the stream closed; every byte delivered must be consumed once (or the
     * session freed), or the connection window shrinks for good. */
    void (*on_data)(void *stream_user, int32_t stream_id, const uint8_t *data, size_t len,
                    void *user);
    /* Trailer fields after the body. */
    void (*on_trailers)(void *stream_user, int32_t stream_id, const httpx__h2_field_t *fields,
                        size_t n, void *user);
    /* The stream is over; it reports nothing more. The stream's user pointer and
     * body are not used after this returns. */
    void (*on_stream_close)(void *stream_user, int32_t stream_id, const httpx__h2_close_t *info,
                            void *user);
    /* The server sent GOAWAY. Called before the streams above last_stream_id are
     * reported closed (retry, new_connection); streams at or below continue. The
     * session is no longer usable for new requests. */
    void (*on_goaway)(int32_t last_stream_id, uint32_t error_code, void *user);
} httpx__h2_callbacks_t;

/* Create a client session and queue the connection preface: the client magic,
 * our SETTINGS and the connection WINDOW_UPDATE come out of httpx__h2_send. cfg may be NULL (defaults); cb is
 * copied. Returns 0, HTTPX_E_NOMEM, or HTTPX_E_INVAL (cb or on_stream_close NULL,
 * a window above 2^31-1). *out is set only on success. */
int httpx__h2_session_new(const httpx__h2_config_t *cfg, const httpx__h2_callbacks_t *cb,
                          void *user, httpx__h2_session_t **out);

/* Free the session and the state of every open stream, without callbacks (the
 * engine fails those requests itself). NULL is a no-op. Inside a callback the free
 * is deferred until the outermost httpx__h2_recv/send returns. */
void httpx__h2_session_free(httpx__h2_session_t *s);

/* Submit a request. method, scheme and path are required; authority may be NULL
 * if a Host field gives it (Host is then turned into :authority; with an
 * authority, Host is dropped). Field names are lower-cased; connection-specific
 * fields (Connection and the fields it names, Proxy-Connection, Keep-Alive,
 * Transfer-Encoding, Upgrade, and TE other than "trailers") are dropped (RFC 9113
 * 8.2.2). body NULL: no body (END_STREAM on HEADERS). On success *stream_id is set
 * and on_stream_close will fire once. Returns 0; HTTPX_E_INVAL (a missing pseudo
 * field, a field name that is not a token or starts with ':', a value with CR, LF
 * or NUL in a field or pseudo field: those not looked for with
 * cfg.fields_checked; message in httpx__h2_error); HTTPX_E_CLOSED (the session is
 * not usable: GOAWAY, fatal error, no stream ids left); HTTPX_E_NOMEM. Capacity
 * is not checked: beyond the server's MAX_CONCURRENT_STREAMS nghttp2 holds the
 * request until a stream closes; the engine should look at httpx__h2_capacity
 * first.
 * Nothing is retained from the arguments except body->user and stream_user. */
int httpx__h2_submit(httpx__h2_session_t *s, const char *method, const char *scheme,
                     const char *authority, const char *path, const httpx__h2_field_t *fields,
                     size_t n, const httpx__h2_body_t *body, void *stream_user,
                     int32_t *stream_id);

/* The same for fields that are already what goes on the wire: names lower case,
 * every name and value valid, no connection-specific field, no Host, no
 * credential (those need NO_INDEX); method, scheme, authority and path checked
 * too (the engine's default headers: client/engine.c). More than 32 fields go
 * through httpx__h2_submit. */
int httpx__h2_submit_prepared(httpx__h2_session_t *s, const char *method, const char *scheme,
                              const char *authority, const char *path, const httpx__h2_field_t *fields,
                              size_t n, const httpx__h2_body_t *body, void *stream_user, int32_t *stream_id);

/* A deferred body has more to give. 0, or HTTPX_E_INVAL (unknown stream, not
 * deferred). Check httpx__h2_want_write afterwards. */
int httpx__h2_resume_body(httpx__h2_session_t *s, int32_t stream_id);

/* The engine has taken n bytes delivered by on_data for stream_id (open or closed):
 * reopen the windows (a WINDOW_UPDATE is queued once half a window is used;
 * check httpx__h2_want_write afterwards). 0, HTTPX_E_INVAL (stream id <= 0), or the
 * session's fatal error. */
int httpx__h2_consume(httpx__h2_session_t *s, int32_t stream_id, size_t n);

/* Reset a stream (RST_STREAM CANCEL): no more callbacks for it. Bytes already
 * delivered must still be consumed. 0 or HTTPX_E_INVAL (unknown or closed stream). */
int httpx__h2_cancel(httpx__h2_session_t *s, int32_t stream_id);

/* Feed len bytes read from the connection. All of them are consumed on success
 * (*consumed = len). Returns 0; HTTPX_E_REMOTE_PROTOCOL when the server broke the
 * protocol (a connection error: open streams are reported closed with it, a
 * GOAWAY is queued — flush it if you like, then close); HTTPX_E_NOMEM; HTTPX_E_BUSY
 * inside a callback. After an error the session is unusable; message in
 * httpx__h2_error. */
int httpx__h2_recv(httpx__h2_session_t *s, const uint8_t *data, size_t len, size_t *consumed);

/* Bytes to write: *data, *len (len 0: nothing now). Small frames are coalesced
 * into one piece (up to 16 KiB); large ones are handed out without a copy. The
 * bytes stay valid until httpx__h2_sent consumes them all; the same bytes are
 * returned again until then. Returns 0, HTTPX_E_NOMEM, HTTPX_E_BUSY, or the fatal
 * error. May run the body read callbacks and report streams closed. */
int httpx__h2_send(httpx__h2_session_t *s, const uint8_t **data, size_t *len);
/* n bytes of the last httpx__h2_send piece were written (n <= its len). */
void httpx__h2_sent(httpx__h2_session_t *s, size_t n);

/* Whether the session has something to write / wants to read. Neither: the
 * connection can be closed (after GOAWAY with nothing left, or a fatal error). */
bool httpx__h2_want_write(httpx__h2_session_t *s);
bool httpx__h2_want_read(httpx__h2_session_t *s);

/* The connection failed under the session (EOF, read error, timeout): report every
 * open stream closed with `code` and `message` (retry set for requests never
 * sent) and make the session unusable. Returns 0 or HTTPX_E_BUSY. */
int httpx__h2_abort(httpx__h2_session_t *s, int code, const char *message);

/* Politely stop: queue GOAWAY(NO_ERROR); open streams finish. 0 or the fatal error. */
int httpx__h2_shutdown(httpx__h2_session_t *s);

/* How many more streams may be opened now: min(server's MAX_CONCURRENT_STREAMS,
 * config max) minus the streams submitted and not yet closed; 0 when not usable.
 * The pool spills over to another connection at 0. */
size_t httpx__h2_capacity(httpx__h2_session_t *s);
/* Whether new requests may be submitted: not after GOAWAY (either way), a fatal
 * error, an abort, or running out of stream ids. */
bool httpx__h2_usable(httpx__h2_session_t *s);
/* Streams submitted and not yet closed (including cancelled ones not yet gone). */
size_t httpx__h2_open_streams(httpx__h2_session_t *s);
/* The last error detail (code 0 if none). Valid until the next call. */
const httpx_error_t *httpx__h2_error(const httpx__h2_session_t *s);

#endif
