/* httpx/response.h — responses, buffered or streamed.
 *
 * A buffered response (httpx_get, httpx_client_get, ...) arrives with its whole
 * body read; it belongs to the caller, who frees it with httpx_response_free(), and
 * it stays readable after its client is closed.
 *
 * A streaming response (httpx_stream, httpx_client_stream) arrives as soon as its
 * head is in; its body is pulled with exactly one of:
 *   httpx_response_read()    the rest of the body into memory (then content/text work)
 *   httpx_response_stream()  decoded bytes into the caller's buffer
 *   httpx_response_raw()     bytes as on the wire (no content decoding)
 * and httpx_response_close() releases its connection (back to the pool if the body
 * was drained, closed otherwise). Read or close a streaming response before its
 * client is closed; afterwards its body calls return HTTPX_E_STREAM_CLOSED.
 */
#ifndef HTTPX_RESPONSE_H
#define HTTPX_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include "httpx/export.h"
#include "httpx/error.h"
#include "httpx/headers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct httpx_response httpx_response_t;

/* Seconds from the request's start to each event; -1 when the event did not
 * happen (e.g. no DNS lookup on a reused connection). */
typedef struct httpx_timings {
    double dns;        /* name resolved */
    double connect;    /* TCP connected */
    double tls;        /* TLS handshake done */
    double first_byte; /* first response byte */
    double total;      /* body complete (or the response closed) */
} httpx_timings_t;

HTTPX_API int httpx_response_status(const httpx_response_t *r);          /* 200 */
HTTPX_API const char *httpx_response_reason(const httpx_response_t *r);  /* as sent, or the standard phrase */
HTTPX_API const char *httpx_response_http_version(const httpx_response_t *r); /* "HTTP/1.1" */
HTTPX_API const httpx_headers_t *httpx_response_headers(const httpx_response_t *r);
/* First value of header `name`, or NULL. */
HTTPX_API const char *httpx_response_header(const httpx_response_t *r, const char *name);
/* The final URL (after redirects), serialised. */
HTTPX_API const char *httpx_response_url(const httpx_response_t *r);
/* Elapsed seconds, request start to body end (so far, while streaming). */
HTTPX_API double httpx_response_elapsed(const httpx_response_t *r);
HTTPX_API httpx_timings_t httpx_response_timings(const httpx_response_t *r);
/* Trailer fields of a chunked body, or an empty list (never NULL once the body is read). */
HTTPX_API const httpx_headers_t *httpx_response_trailers(const httpx_response_t *r);

/* The decoded body. *data stays valid until the response is freed; it is followed
 * by a NUL byte not counted in *len. HTTPX_E_RESPONSE_NOT_READ for a streaming
 * response not yet read with httpx_response_read(). */
HTTPX_API int httpx_response_content(const httpx_response_t *r, const void **data, size_t *len);
/* The body as UTF-8 text: the charset from Content-Type (UTF-8 when absent) is
 * converted; invalid sequences become U+FFFD. "" (never NULL) when not read or on
 * failure. Computed once and kept with the response. */
HTTPX_API const char *httpx_response_text(httpx_response_t *r);
/* The charset used by httpx_response_text ("utf-8", "iso-8859-1", ...). */
HTTPX_API const char *httpx_response_encoding(const httpx_response_t *r);

/* Redirects. history: the responses that led here (heads only), oldest first;
 * count 0 when none. Each lives as long as this response. */
HTTPX_API size_t httpx_response_history_count(const httpx_response_t *r);
HTTPX_API const httpx_response_t *httpx_response_history(const httpx_response_t *r, size_t i);
/* When this response is a redirect that was not followed: the absolute URL and the
 * method the next request would use (HTTPX's next_request); NULL otherwise. */
HTTPX_API const char *httpx_response_next_url(const httpx_response_t *r);
HTTPX_API const char *httpx_response_next_method(const httpx_response_t *r);
/* True for 301, 302, 303, 307 and 308 with a Location (HTTPX's has_redirect_location). */
HTTPX_API int httpx_response_is_redirect(const httpx_response_t *r);

/* HTTPX_E_STATUS for 4xx and 5xx, else 0. */
HTTPX_API int httpx_response_raise_for_status(const httpx_response_t *r);

/* Streaming. Each returns 0 or HTTPX_E_*. stream/raw set *n to the bytes written into
 * buf (at most cap, which must be > 0: HTTPX_E_INVAL otherwise); *n == 0 with 0
 * returned means the body is complete.
 * Errors: transport and decoding errors of the body, HTTPX_E_STREAM_CONSUMED (the body was
 * already taken by another of these calls, or read), HTTPX_E_STREAM_CLOSED (closed,
 * or its client was closed), HTTPX_E_SYNC_IN_ASYNC. */
HTTPX_API int httpx_response_read(httpx_response_t *r);
HTTPX_API int httpx_response_stream(httpx_response_t *r, void *buf, size_t cap, size_t *n);
HTTPX_API int httpx_response_raw(httpx_response_t *r, void *buf, size_t cap, size_t *n);
/* Release the connection. Idempotent; a no-op for buffered responses. */
HTTPX_API void httpx_response_close(httpx_response_t *r);
/* Bytes of body received from the network so far (before decoding): progress bars. */
HTTPX_API uint64_t httpx_response_bytes_downloaded(const httpx_response_t *r);

/* Close (if streaming) and free. NULL ok. */
HTTPX_API void httpx_response_free(httpx_response_t *r);

#ifdef __cplusplus
}
#endif
#endif
