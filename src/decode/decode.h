/* decode/decode.h — streaming content decoding (Content-Encoding), pull style.
 *
 * A chain is built from the Content-Encoding field values, in the order the
 * server applied them, and decoded in reverse. Supported: gzip (and x-gzip),
 * deflate (zlib-wrapped, or raw deflate as some servers send), br, zstd, identity.
 * An unknown coding is HTTPX_E_DECODING (the body could not be understood).
 *
 * Limits, checked as bytes are produced: total decoded size, the ratio of decoded to
 * encoded bytes once the output passes 1 MiB (a decompression bomb), and the
 * number of stacked codings. Exceeding one is HTTPX_E_DECODE_LIMIT. Corrupt or
 * truncated data is HTTPX_E_DECODING. Memory: each stage holds one 16 KiB window.
 *
 * Behaviour details (decode/chain.c, decode/gzip.c, decode/zstd.c):
 * - gzip may hold several members and zstd several frames, so when one of them is
 *   the outermost coding, run returns 1 only once `final` has been given.
 * - An empty body (no bytes at all, then final) decodes to an empty body.
 * - A failed call delivers nothing (*produced is 0), and a failed decoder keeps
 *   returning the same error.
 * - Codec state on top of the windows: gzip/deflate ~40 KiB; zstd up to 8 MiB of
 *   window (a frame wanting more is HTTPX_E_DECODE_LIMIT); br up to 16 MiB, as the
 *   stream declares. All of it comes from the allocator given to _new. */
#ifndef HTTPX_DECODE_DECODE_H
#define HTTPX_DECODE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpx/alloc.h"
#include "httpx/error.h"

typedef struct httpx__decoder httpx__decoder_t;

typedef struct httpx__decode_limits {
    uint64_t max_decoded_bytes;   /* 0: no cap */
    uint64_t max_ratio;           /* 0: no cap */
    size_t max_encodings;         /* 0: default 3 */
} httpx__decode_limits_t;

/* The Accept-Encoding value listing what was built: "gzip, deflate, br, zstd". */
const char *httpx__decode_accept_encoding(void);

/* `content_encoding` is the comma-separated list from the response (all
 * Content-Encoding fields joined). When it holds only identity (or is empty), *out
 * is NULL and the body passes through as is. Errors: HTTPX_E_DECODING (unknown
 * coding), HTTPX_E_DECODE_LIMIT (too many), HTTPX_E_NOMEM. */
int httpx__decoder_new(const httpx_allocator_t *a, const char *content_encoding, size_t len,
                       const httpx__decode_limits_t *limits, httpx__decoder_t **out,
                       httpx_error_t *err);
void httpx__decoder_free(httpx__decoder_t *d);

/* Decode: take input from *in (advancing *in and decreasing *in_len by what was
 * consumed) and write at most `cap` bytes to out, setting *produced. `final`
 * means no more input will follow *in. Progress: when cap > 0 and there is input
 * or pending output, at least one byte is consumed or produced. Returns 1 when the
 * whole chain has ended and all output is delivered, 0 otherwise, or < 0
 * (HTTPX_E_DECODING for corrupt data or, with `final`, a truncated stream;
 * HTTPX_E_DECODE_LIMIT) with *err set. Bytes after the end of the encoded stream are
 * HTTPX_E_DECODING. */
int httpx__decoder_run(httpx__decoder_t *d, const uint8_t **in, size_t *in_len, bool final,
                       uint8_t *out, size_t cap, size_t *produced, httpx_error_t *err);

#endif
