/* decode/zstd.c — the "zstd" content coding, RFC 8878.
 *
 * Memory: the window is capped at 8 MiB (ZSTD_d_windowLogMax 23). RFC 9659 bounds
 * the window of the HTTP "zstd" coding to 8 MiB, so conforming servers never need
 * more, and a frame asking for more is refused (HTTPX_E_DECODE_LIMIT) instead of
 * allocating up to 2 GiB. Worst case per decoder: about 8 MiB window plus ~250 KiB
 * of context and block buffers, all from our allocator.
 *
 * A body may hold several frames (RFC 8878 §3.1), decoded in turn; after a frame,
 * the next byte must start a zstd or skippable frame, anything else is trailing
 * garbage. As with gzip, the end is known only once the input is final. */
#ifdef HTTPX_HAVE_ZSTD
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDStream_advanced: our allocator */
#include <zstd.h>
#include <zstd_errors.h>
#include "core/err.h"
#include "core/mem.h"
#include "decode/codec.h"

#define ZSTD_WINDOW_LOG_MAX 23 /* 8 MiB */

typedef struct zs {
    ZSTD_DStream *ds;
    const httpx_allocator_t *a;
    bool between; /* a frame has ended (or none began); the next byte starts one */
    bool any;     /* at least one frame has started */
} zs_t;

static void *zs_alloc(void *opaque, size_t n)
{
    return httpx__malloc((const httpx_allocator_t *)opaque, n);
}

static void zs_free(void *opaque, void *p)
{
    httpx__free((const httpx_allocator_t *)opaque, p);
}

static int zs_init(void **state, const httpx_allocator_t *a, httpx_error_t *err)
{
    zs_t *z = HTTPX__NEW(a, zs_t);
    if (!z)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "zstd: out of memory");
    z->a = a;
    ZSTD_customMem mem = {zs_alloc, zs_free, (void *)a};
    z->ds = ZSTD_createDStream_advanced(mem);
    if (!z->ds) {
        httpx__free(a, z);
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "zstd: out of memory");
    }
    size_t rc = ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
    if (ZSTD_isError(rc)) {
        ZSTD_freeDStream(z->ds);
        httpx__free(a, z);
        return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "zstd: %s",
                          ZSTD_getErrorName(rc));
    }
    z->between = true;
    *state = z;
    return 0;
}

/* First byte of a frame: the zstd magic 0xFD2FB528 or a skippable magic
 * 0x184D2A5?, both little-endian. */
static bool frame_start(uint8_t b)
{
    return b == 0x28 || (b & 0xf0) == 0x50;
}

static int zs_run(void *state, const uint8_t **in, size_t *in_len, bool final, uint8_t *out,
                  size_t cap, size_t *produced, httpx_error_t *err)
{
    zs_t *z = state;
    *produced = 0;
    for (;;) {
        if (z->between) {
            if (*in_len == 0) {
                if (final && z->any)
                    return 1;
                if (final)
                    return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                                      "zstd: truncated stream");
                return 0;
            }
            if (!frame_start((*in)[0]))
                return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, z->any
                                  ? "zstd: trailing data after end of stream"
                                  : "zstd: invalid data: unknown frame descriptor");
            z->between = false;
            z->any = true;
        }
        if (*produced == cap)
            return 0;
        ZSTD_inBuffer ib = {*in, *in_len, 0};
        ZSTD_outBuffer ob = {out + *produced, cap - *produced, 0};
        size_t rc = ZSTD_decompressStream(z->ds, &ob, &ib);
        *in += ib.pos;
        *in_len -= ib.pos;
        *produced += ob.pos;
        if (ZSTD_isError(rc)) {
            switch (ZSTD_getErrorCode(rc)) {
            case ZSTD_error_memory_allocation:
                return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "zstd: out of memory");
            case ZSTD_error_frameParameter_windowTooLarge:
                return httpx__err(err, HTTPX_E_DECODE_LIMIT, HTTPX_PHASE_DECODE,
                                  "zstd: window larger than the %u MiB limit",
                                  1u << (ZSTD_WINDOW_LOG_MAX - 20));
            default:
                return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                                  "zstd: invalid data: %s", ZSTD_getErrorName(rc));
            }
        }
        if (rc == 0) { /* frame decoded and flushed; the stream resets itself */
            z->between = true;
            continue;
        }
        if (*produced == cap)
            return 0;
        if (*in_len == 0) {
            if (final)
                return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                                  "zstd: truncated stream");
            return 0;
        }
        if (ib.pos == 0 && ob.pos == 0)
            return 0; /* no progress; never loop on it */
    }
}

static void zs_release(void *state)
{
    zs_t *z = state;
    if (!z)
        return;
    ZSTD_freeDStream(z->ds);
    httpx__free(z->a, z);
}

const httpx__codec_t httpx__codec_zstd = {"zstd", zs_init, zs_run, zs_release};
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int httpx__decode_no_zstd;
#endif
