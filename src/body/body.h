/* body/body.h — request body builders: application/x-www-form-urlencoded and a
 * streaming multipart/form-data generator (RFC 7578). Sans-IO apart from reading
 * the files a multipart body streams; neither knows about connections.
 *
 * A JSON body needs no builder: the caller's string is sent as bytes with
 * "Content-Type: application/json". */
#ifndef HTTPX_BODY_BODY_H
#define HTTPX_BODY_BODY_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "httpx/alloc.h"
#include "httpx/error.h"
#include "httpx/headers.h"
#include "httpx/url.h"

/* ---- application/x-www-form-urlencoded --------------------------------------- */

/* Append fields ({NULL,NULL}-terminated) as name=value&name=value to *out, each
 * byte percent-encoded (upper-case hex) except ALPHA, DIGIT, '-', '.', '_', '~', and
 * space written as '+': what HTTPX (Python's urlencode) sends; HTML forms differ
 * only in leaving '*' and encoding '~', which servers decode alike. No fields give
 * an empty body. HTTPX_E_INVAL for NULL arguments or a NULL value; HTTPX_E_NOMEM or
 * the buffer's cap code (the bytes appended so far stay). */
int httpx__form_urlencode(const httpx_param_t *fields, httpx__buf_t *out);

/* ---- multipart/form-data (RFC 7578) ------------------------------------------ */

/* One part. Either an in-memory value or a file streamed from disk, never both. */
typedef struct httpx__part {
    const char *name;           /* required: the form field name */
    const char *value;          /* in-memory content (copied), or NULL (then empty) */
    size_t value_len;           /* bytes of value; 0 means strlen(value) */
    const char *path;           /* or: a regular file, stat'ed now, read while sending */
    const char *filename;       /* NULL: basename(path) for files, none for values */
    const char *content_type;   /* NULL: guessed from the filename's extension when the
                                   part has a filename (else application/octet-stream);
                                   none for a plain value */
    const httpx_header_t *headers; /* extra part headers, {NULL,NULL}-terminated, or
                                      NULL; a Content-Type here replaces the default */
} httpx__part_t;

typedef struct httpx__multipart httpx__multipart_t;

/* Longest caller-provided boundary (RFC 2046 §5.1.1). */
#define HTTPX__MULTIPART_MAX_BOUNDARY 70u

/* Build a generator over parts[0, nparts). `boundary` NULL: 32 random hex digits
 * (16 bytes from RAND_bytes); else 1..70 RFC 2046 bchars not ending in a space
 * (the caller makes sure it occurs in no part). Field names and filenames are
 * escaped as browsers do (RFC 7578 §4.2, WHATWG): '"' %22, '\' %5C, CR %0D, LF %0A,
 * other control bytes %XX; UTF-8 is sent as is. Values are copied; files are only
 * stat'ed (the total length is known now) and later opened one at a time.
 * Errors (message in *err, may be NULL):
 *   HTTPX_E_INVAL   NULL arguments, a caller's boundary found in a part's value
 *                   (after "--"), a part without a name or with both value and
 *                   path, a file that cannot be stat'ed or is not a regular file,
 *                   a bad boundary, CR/LF or other control bytes in a content type
 *                   or extra header value, a header name that is not a token, a
 *                   Content-Disposition among the extra headers;
 *   HTTPX_E_SYSTEM  no random bytes for the boundary;
 *   HTTPX_E_NOMEM.
 * `a` may be NULL (the default allocator); it must outlive the generator. */
int httpx__multipart_new(const httpx__part_t *parts, size_t nparts, const char *boundary,
                         const httpx_allocator_t *a, httpx__multipart_t **out, httpx_error_t *err);
/* Close any open file and free. NULL ok. */
void httpx__multipart_free(httpx__multipart_t *mp);

/* Exact body length in bytes (for Content-Length), fixed at _new. */
uint64_t httpx__multipart_length(const httpx__multipart_t *mp);
/* The boundary, and "multipart/form-data; boundary=..." for the Content-Type field.
 * Both live as long as mp. */
const char *httpx__multipart_boundary(const httpx__multipart_t *mp);
const char *httpx__multipart_content_type(const httpx__multipart_t *mp);

/* Pull the next bytes: fill buf with up to `cap` (> 0) bytes and set *n; *n == 0
 * means the body is complete. Files are read with pread, never whole. Errors:
 * HTTPX_E_INVAL (cap 0 or NULL arguments), HTTPX_E_SYSTEM (a file cannot be
 * opened or read), HTTPX_E_LOCAL_PROTOCOL (a file shrank since _new: the body
 * would not match its length). After an error every read fails the same way until
 * rewind; httpx__multipart_error() has the message. A file that grew is sent at
 * its stat'ed length. */
int httpx__multipart_read(httpx__multipart_t *mp, void *buf, size_t cap, size_t *n);
/* The same pull as an httpx_body_producer_cb, with the generator as `user`. */
int httpx__multipart_producer(void *buf, size_t cap, size_t *n, void *user);
/* Start again from the first byte (for a replayed request). Always 0. */
int httpx__multipart_rewind(httpx__multipart_t *mp);
/* The last read error's detail (code 0 when none). Lives as long as mp. */
const httpx_error_t *httpx__multipart_error(const httpx__multipart_t *mp);

/* The content type guessed for a file name from its extension (case-insensitive,
 * a small built-in table), else "application/octet-stream". A static string. */
const char *httpx__guess_content_type(const char *filename);

#endif
