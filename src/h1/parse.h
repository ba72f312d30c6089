/* h1/parse.h — sans-IO HTTP/1.1 response parsing (RFC 9112), strict by default.
 *
 * Two parts:
 *  1. httpx__h1_parse_head(): a whole response head (status line + fields) from a
 *     buffer. Zero copy: every slice points into the caller's buffer, which must stay
 *     unchanged while the slices are used. Resumable: *scan remembers how far a
 *     previous call looked for the end of the head, so a partial read is not
 *     rescanned.
 *  2. httpx__h1_body_*: a framing state machine for the body (Content-Length,
 *     chunked with extensions and trailers, or until close) that hands out the body
 *     bytes as slices of the input, again without copying.
 *
 * Errors are never guesses: conflicting Content-Length values, Content-Length with
 * Transfer-Encoding, transfer codings other than a final "chunked", bad chunk sizes,
 * obs-fold, whitespace before the colon, bare CR, NUL or control bytes, oversized
 * lines are HTTPX_E_REMOTE_PROTOCOL (or HTTPX_E_HEADER_LIMIT), with a message. */
#ifndef HTTPX_H1_PARSE_H
#define HTTPX_H1_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/slice.h"
#include "httpx/error.h"

typedef struct httpx__h1_field {
    httpx__slice_t name;
    httpx__slice_t value; /* OWS trimmed */
} httpx__h1_field_t;

typedef enum httpx__h1_framing {
    HTTPX__H1_NO_BODY = 0,   /* 1xx, 204, 304, response to HEAD, or Content-Length: 0 */
    HTTPX__H1_LENGTH,        /* Content-Length */
    HTTPX__H1_CHUNKED,       /* Transfer-Encoding: chunked */
    HTTPX__H1_UNTIL_CLOSE    /* neither: the body ends when the server closes */
} httpx__h1_framing_t;

typedef struct httpx__h1_head {
    int minor_version;           /* 0 or 1 (HTTP/1.0, HTTP/1.1) */
    int status;                  /* 100..999 */
    httpx__slice_t reason;
    httpx__h1_field_t *fields;   /* caller's array */
    size_t nfields;
    httpx__h1_framing_t framing;
    uint64_t content_length;     /* when framing is LENGTH */
    bool keep_alive;             /* the connection may be reused after this message */
    bool upgrade;                /* 101 Switching Protocols */
} httpx__h1_head_t;

typedef struct httpx__h1_limits {
    size_t max_head_bytes;       /* status line + fields + final CRLF */
    size_t max_fields;           /* also the capacity of the fields array */
} httpx__h1_limits_t;

/* Parse a head from buf[0, len). `request_method` decides body-less responses
 * (HEAD, and 2xx to CONNECT). Returns:
 *   > 0  the head is complete: that many bytes were consumed; *head is filled;
 *     0  need more bytes (*scan updated; call again with the same buffer grown);
 *   < 0  HTTPX_E_REMOTE_PROTOCOL or HTTPX_E_HEADER_LIMIT, message in *err.
 * `fields` must have room for limits->max_fields entries. *scan must start at 0. */
int httpx__h1_parse_head(const char *buf, size_t len, size_t *scan, const char *request_method,
                         const httpx__h1_limits_t *limits, httpx__h1_field_t *fields,
                         httpx__h1_head_t *head, httpx_error_t *err);

/* Body framing state. Plain value: no allocation; trailers are returned as raw
 * bytes for the caller to keep (see feed). */
typedef struct httpx__h1_body {
    httpx__h1_framing_t framing;
    int state;                 /* internal */
    uint64_t remaining;        /* LENGTH: bytes left; CHUNKED: bytes left in chunk */
    size_t line_len;           /* bytes of the current size/trailer line seen so far */
    size_t trailer_bytes;      /* total trailer section bytes seen */
    size_t max_line;           /* chunk-size line and trailer line cap */
    size_t max_trailer_bytes;
    bool done;
} httpx__h1_body_t;

void httpx__h1_body_init(httpx__h1_body_t *b, httpx__h1_framing_t framing,
                         uint64_t content_length, const httpx__h1_limits_t *limits);

/* Feed framed bytes in[0, len). Sets *consumed to the bytes used and *data to at
 * most one contiguous piece of body payload found in them (a slice of `in`; len 0
 * if none), and *trailer to a piece of the raw trailer section (name: value CRLF
 * lines, the same slice-of-input rule; the caller concatenates pieces and parses
 * them with httpx__h1_parse_fields once the body is done). Call again with the rest
 * of the input while *consumed < len and the body is not done. Returns 1 when the
 * body is complete (bytes after it are not consumed), 0 when more input is needed,
 * or < 0 (HTTPX_E_REMOTE_PROTOCOL, HTTPX_E_HEADER_LIMIT) with *err set. */
int httpx__h1_body_feed(httpx__h1_body_t *b, const char *in, size_t len, size_t *consumed,
                        httpx__slice_t *data, httpx__slice_t *trailer, httpx_error_t *err);

/* The peer closed the connection. 0 if that ends the body cleanly (UNTIL_CLOSE, or
 * already done), else HTTPX_E_SERVER_DISCONNECTED with a message saying how many
 * bytes were missing. */
int httpx__h1_body_eof(httpx__h1_body_t *b, httpx_error_t *err);

/* Parse a block of "name: value\r\n" lines (a trailer section without its final
 * empty line) into fields. Same strictness as the head. Returns the number of fields
 * or < 0. */
int httpx__h1_parse_fields(const char *buf, size_t len, httpx__h1_field_t *fields,
                           size_t max_fields, httpx_error_t *err);

#endif
