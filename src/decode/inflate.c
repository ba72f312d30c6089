/* decode/inflate.c — zlib inflate glue shared by the gzip and deflate codecs. */
#define ZLIB_CONST /* next_in is const, so our const input needs no cast */
#include <limits.h>
#include <stdint.h>
#include <zlib.h>
#include "core/err.h"
#include "core/mem.h"
#include "decode/codec.h"

struct httpx__inflate {
    z_stream zs;
    const httpx_allocator_t *a;
    const char *name;
};

static voidpf zl_alloc(voidpf opaque, uInt items, uInt size)
{
    if (size && items > SIZE_MAX / size)
        return Z_NULL;
    return httpx__malloc((const httpx_allocator_t *)opaque, (size_t)items * size);
}

static void zl_free(voidpf opaque, voidpf p)
{
    httpx__free((const httpx_allocator_t *)opaque, p);
}

int httpx__inflate_new(httpx__inflate_t **out, const httpx_allocator_t *a, int window_bits,
                       const char *name, httpx_error_t *err)
{
    *out = NULL;
    httpx__inflate_t *z = HTTPX__NEW(a, httpx__inflate_t);
    if (!z)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "%s: out of memory", name);
    z->a = a;
    z->name = name;
    z->zs.zalloc = zl_alloc;
    z->zs.zfree = zl_free;
    z->zs.opaque = (voidpf)a;
    int rc = inflateInit2(&z->zs, window_bits);
    if (rc != Z_OK) {
        httpx__free(a, z);
        if (rc == Z_MEM_ERROR)
            return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "%s: out of memory", name);
        return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                          "%s: zlib initialisation failed (%d)", name, rc);
    }
    *out = z;
    return 0;
}

int httpx__inflate_reset(httpx__inflate_t *z, int window_bits, httpx_error_t *err)
{
    int rc = inflateReset2(&z->zs, window_bits);
    if (rc != Z_OK)
        return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "%s: zlib reset failed (%d)",
                          z->name, rc);
    return 0;
}

int httpx__inflate_step(httpx__inflate_t *z, const uint8_t **in, size_t *in_len, uint8_t *out,
                        size_t cap, size_t *produced, httpx_error_t *err)
{
    /* zlib counts in uInt; larger buffers are simply taken in several steps. */
    uInt avail_in = *in_len > UINT_MAX ? UINT_MAX : (uInt)*in_len;
    uInt avail_out = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
    z->zs.next_in = *in;
    z->zs.avail_in = avail_in;
    z->zs.next_out = out;
    z->zs.avail_out = avail_out;
    int rc = inflate(&z->zs, Z_NO_FLUSH);
    size_t used = avail_in - z->zs.avail_in;
    *in += used;
    *in_len -= used;
    *produced = avail_out - z->zs.avail_out;
    switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible: needs input or output room */
        return 0;
    case Z_STREAM_END:
        return 1;
    case Z_NEED_DICT:
        return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                          "%s: invalid data: preset dictionary not supported", z->name);
    case Z_MEM_ERROR:
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "%s: out of memory", z->name);
    case Z_DATA_ERROR:
        return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "%s: invalid data: %s",
                          z->name, z->zs.msg ? z->zs.msg : "corrupt stream");
    default:
        return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE, "%s: zlib error %d",
                          z->name, rc);
    }
}

void httpx__inflate_free(httpx__inflate_t *z)
{
    if (!z)
        return;
    inflateEnd(&z->zs);
    httpx__free(z->a, z);
}
