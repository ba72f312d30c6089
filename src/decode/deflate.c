/* decode/deflate.c — the "deflate" content coding.
 *
 * RFC 9110 §8.4.1.2 defines "deflate" as the zlib format (RFC 1950), but some
 * servers send raw deflate (RFC 1951). Like browsers, we look at the first two
 * bytes: a valid zlib header (method 8, window <= 32 KiB, check bits) means zlib,
 * anything else raw deflate. One stream only; bytes after its end are garbage. */
#include "core/err.h"
#include "core/mem.h"
#include "decode/codec.h"

typedef struct dfl {
    httpx__inflate_t *z;
    const httpx_allocator_t *a;
    uint8_t hdr[2]; /* held back until we know which format this is */
    size_t hdr_len, hdr_fed;
    bool started;
} dfl_t;

static bool is_zlib_header(const uint8_t h[2])
{
    return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && ((unsigned)h[0] << 8 | h[1]) % 31 == 0;
}

static int dfl_init(void **state, const httpx_allocator_t *a, httpx_error_t *err)
{
    dfl_t *d = HTTPX__NEW(a, dfl_t);
    if (!d)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "deflate: out of memory");
    d->a = a;
    /* Allocate zlib's state now so out-of-memory shows up at construction. */
    int rc = httpx__inflate_new(&d->z, a, 15, "deflate", err);
    if (rc < 0) {
        httpx__free(a, d);
        return rc;
    }
    *state = d;
    return 0;
}

static int truncated(httpx_error_t *err)
{
    return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "deflate: truncated stream");
}

static int dfl_run(void *state, const uint8_t **in, size_t *in_len, bool final, uint8_t *out,
                   size_t cap, size_t *produced, httpx_error_t *err)
{
    dfl_t *d = state;
    *produced = 0;
    if (!d->started) {
        while (d->hdr_len < 2 && *in_len) {
            d->hdr[d->hdr_len++] = **in;
            (*in)++;
            (*in_len)--;
        }
        if (d->hdr_len < 2)
            return final ? truncated(err) : 0;
        int rc = httpx__inflate_reset(d->z, is_zlib_header(d->hdr) ? 15 : -15, err);
        if (rc < 0)
            return rc;
        d->started = true;
    }
    for (;;) {
        /* The held-back header bytes go to zlib before any new input. */
        bool from_hdr = d->hdr_fed < 2;
        const uint8_t *hp = d->hdr + d->hdr_fed;
        size_t hn = 2 - d->hdr_fed;
        const uint8_t **src = from_hdr ? &hp : in;
        size_t *src_len = from_hdr ? &hn : in_len;
        size_t before = *src_len, got = 0;
        int rc = httpx__inflate_step(d->z, src, src_len, out + *produced, cap - *produced, &got, err);
        if (from_hdr)
            d->hdr_fed = 2 - hn;
        *produced += got;
        if (rc != 0)
            return rc; /* 1: the end; bytes left in *in are the chain's to reject */
        if (*produced == cap)
            return 0;
        if (d->hdr_fed == 2 && *in_len == 0)
            return final ? truncated(err) : 0;
        if (got == 0 && *src_len == before)
            return 0; /* zlib made no progress; never loop on it */
    }
}

static void dfl_release(void *state)
{
    dfl_t *d = state;
    if (!d)
        return;
    httpx__inflate_free(d->z);
    httpx__free(d->a, d);
}

const httpx__codec_t httpx__codec_deflate = {"deflate", dfl_init, dfl_run, dfl_release};
