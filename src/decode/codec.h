/* decode/codec.h — the interface each content coding implements for chain.c.
 *
 * A codec is one stage of a decoder chain. It never sees the chain's limits or
 * windows: it takes bytes, gives bytes, and reports its own end and errors, with
 * messages that start with its name ("gzip: ..."). Private to src/decode/. */
#ifndef HTTPX_DECODE_CODEC_H
#define HTTPX_DECODE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpx/alloc.h"
#include "httpx/error.h"

typedef struct httpx__codec {
    const char *name; /* the coding as it appears in Content-Encoding */
    /* Allocate the codec state through `a` (which outlives it). 0 or HTTPX_E_NOMEM. */
    int (*init)(void **state, const httpx_allocator_t *a, httpx_error_t *err);
    /* Same contract as httpx__decoder_run for one stage, with cap > 0: consume from
     * *in, produce into out, set *produced. Returns 1 once the stream has ended and
     * every byte of output was delivered (input left over is the caller's problem),
     * 0 to be called again, < 0 with *err set. With `final`, input that runs out
     * before the end while `out` still has room is HTTPX_E_DECODING (truncated). */
    int (*run)(void *state, const uint8_t **in, size_t *in_len, bool final, uint8_t *out,
               size_t cap, size_t *produced, httpx_error_t *err);
    void (*release)(void *state);
} httpx__codec_t;

extern const httpx__codec_t httpx__codec_gzip;
extern const httpx__codec_t httpx__codec_deflate;
#ifdef HTTPX_HAVE_BROTLI
extern const httpx__codec_t httpx__codec_br;
#endif
#ifdef HTTPX_HAVE_ZSTD
extern const httpx__codec_t httpx__codec_zstd;
#endif

/* zlib glue shared by gzip.c and deflate.c (inflate.c). The z_stream lives inside
 * the codec state; these keep zlib's allocations on our allocator. */
typedef struct httpx__inflate httpx__inflate_t;
/* windowBits as for inflateInit2. 0 or HTTPX_E_NOMEM. */
int httpx__inflate_new(httpx__inflate_t **out, const httpx_allocator_t *a, int window_bits,
                       const char *name, httpx_error_t *err);
/* Start a new stream, zlib-wrapped, raw or gzip per window_bits (inflateReset2).
 * 0, or HTTPX_E_DECODING on a zlib usage error. */
int httpx__inflate_reset(httpx__inflate_t *z, int window_bits, httpx_error_t *err);
/* One inflate step over *in into out: 1 at a stream end (all output delivered),
 * 0 otherwise, < 0 with *err set. Truncation is left to the caller, who knows
 * whether more members may follow. */
int httpx__inflate_step(httpx__inflate_t *z, const uint8_t **in, size_t *in_len, uint8_t *out,
                        size_t cap, size_t *produced, httpx_error_t *err);
void httpx__inflate_free(httpx__inflate_t *z);

#endif
