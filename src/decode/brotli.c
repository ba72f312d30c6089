/* decode/brotli.c — the "br" content coding, RFC 7932.
 *
 * Memory: the decoder's ring buffer follows the window the stream declares, at
 * most 16 MiB (lgwin 24; the large-window extension stays off), and is smaller
 * when the stream itself is short. Brotli has no knob to lower that cap, so it is
 * bounded by the format; every byte of it comes from our allocator. */
#ifdef HTTPX_HAVE_BROTLI
#include <brotli/decode.h>
#include <ctype.h>
#include <string.h>
#include "core/err.h"
#include "core/mem.h"
#include "decode/codec.h"

typedef struct br {
    BrotliDecoderState *s;
    const httpx_allocator_t *a;
} br_t;

static void *br_alloc(void *opaque, size_t n)
{
    return httpx__malloc((const httpx_allocator_t *)opaque, n);
}

static void br_free(void *opaque, void *p)
{
    httpx__free((const httpx_allocator_t *)opaque, p);
}

static int br_init(void **state, const httpx_allocator_t *a, httpx_error_t *err)
{
    br_t *b = HTTPX__NEW(a, br_t);
    if (!b)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "br: out of memory");
    b->a = a;
    b->s = BrotliDecoderCreateInstance(br_alloc, br_free, (void *)a);
    if (!b->s) {
        httpx__free(a, b);
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "br: out of memory");
    }
    *state = b;
    return 0;
}

/* Brotli names errors like "_ERROR_FORMAT_PADDING_1"; "format padding 1" reads
 * better in our lower-case messages. */
static void br_describe(BrotliDecoderErrorCode code, char *buf, size_t cap)
{
    const char *s = BrotliDecoderErrorString(code);
    if (s[0] == '_')
        s++;
    if (strncmp(s, "ERROR_", 6) == 0)
        s += 6;
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        buf[i] = s[i] == '_' ? ' ' : (char)tolower((unsigned char)s[i]);
    buf[i] = '\0';
}

static int br_run(void *state, const uint8_t **in, size_t *in_len, bool final, uint8_t *out,
                  size_t cap, size_t *produced, httpx_error_t *err)
{
    br_t *b = state;
    size_t avail_in = *in_len, avail_out = cap;
    const uint8_t *next_in = *in;
    uint8_t *next_out = out;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(b->s, &avail_in, &next_in, &avail_out, &next_out, NULL);
    *in = next_in;
    *in_len = avail_in;
    *produced = cap - avail_out;
    switch (r) {
    case BROTLI_DECODER_RESULT_SUCCESS:
        return 1;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        return 0;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        if (final)
            return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "br: truncated stream");
        return 0;
    default:
        break;
    }
    BrotliDecoderErrorCode code = BrotliDecoderGetErrorCode(b->s);
    /* -21 .. -30 are the allocation failures (BROTLI_DECODER_ERROR_ALLOC_*). */
    if (code <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES &&
        code >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "br: out of memory");
    char what[64];
    br_describe(code, what, sizeof what);
    return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "br: invalid data: %s", what);
}

static void br_release(void *state)
{
    br_t *b = state;
    if (!b)
        return;
    BrotliDecoderDestroyInstance(b->s);
    httpx__free(b->a, b);
}

const httpx__codec_t httpx__codec_br = {"br", br_init, br_run, br_release};
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int httpx__decode_no_brotli;
#endif
