/* decode/gzip.c — the "gzip" (and "x-gzip") content coding, RFC 1952.
 *
 * Concatenated members are decoded one after another, as gzip(1) does: RFC 1952
 * §2.2 defines a gzip file as a series of members, and some servers join
 * pre-compressed pieces. After a member ends, the next byte must start another
 * member (0x1f); anything else is trailing garbage (HTTPX_E_DECODING). The price:
 * the stream can only be known to have ended when the input is final, because
 * another member might still follow. */
#include "core/err.h"
#include "core/mem.h"
#include "decode/codec.h"

#define GZIP_WBITS (15 + 16) /* 32 KiB window, gzip wrapper only */

typedef struct gz {
    httpx__inflate_t *z;
    const httpx_allocator_t *a;
    bool between; /* a member has ended; the next byte must start another */
} gz_t;

static int gz_init(void **state, const httpx_allocator_t *a, httpx_error_t *err)
{
    gz_t *g = HTTPX__NEW(a, gz_t);
    if (!g)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "gzip: out of memory");
    g->a = a;
    int rc = httpx__inflate_new(&g->z, a, GZIP_WBITS, "gzip", err);
    if (rc < 0) {
        httpx__free(a, g);
        return rc;
    }
    *state = g;
    return 0;
}

static int gz_run(void *state, const uint8_t **in, size_t *in_len, bool final, uint8_t *out,
                  size_t cap, size_t *produced, httpx_error_t *err)
{
    gz_t *g = state;
    *produced = 0;
    for (;;) {
        if (g->between) {
            if (*in_len == 0)
                return final ? 1 : 0;
            if ((*in)[0] != 0x1f)
                return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                                  "gzip: trailing data after end of stream");
            int rc = httpx__inflate_reset(g->z, GZIP_WBITS, err);
            if (rc < 0)
                return rc;
            g->between = false;
        }
        if (*produced == cap)
            return 0;
        size_t before = *in_len, got = 0;
        int rc = httpx__inflate_step(g->z, in, in_len, out + *produced, cap - *produced, &got, err);
        *produced += got;
        if (rc < 0)
            return rc;
        if (rc == 1) {
            g->between = true;
            continue;
        }
        if (*produced == cap)
            return 0;
        if (*in_len == 0) {
            if (final)
                return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                                  "gzip: truncated stream");
            return 0;
        }
        if (got == 0 && *in_len == before)
            return 0; /* zlib made no progress; never loop on it */
    }
}

static void gz_release(void *state)
{
    gz_t *g = state;
    if (!g)
        return;
    httpx__inflate_free(g->z);
    httpx__free(g->a, g);
}

const httpx__codec_t httpx__codec_gzip = {"gzip", gz_init, gz_run, gz_release};
