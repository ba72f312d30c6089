/* decode_fuzz.c — libFuzzer target for the content decoders (src/decode/).
 *
 * Input: byte 0 picks the Content-Encoding list, byte 1 the feeding pattern (input
 * and output step sizes), the rest is the encoded body. Limits are on, so bombs end
 * quickly. Checks the run contract: progress, bounds, sticky errors.
 *
 * Not wired into CMake yet. Build by hand from the repository root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -DHTTPX_HAVE_BROTLI -DHTTPX_HAVE_ZSTD -Iinclude -Isrc fuzz/decode_fuzz.c \
 *     $(ls src/decode/[a-z]*.c) src/core/error.c src/core/mem.c \
 *     -lz -lbrotlidec -lzstd -o decode_fuzz
 *   ./decode_fuzz -max_total_time=60 fuzz/corpus/decode
 * (fuzz/corpus/decode is the seed corpus; give a scratch directory first to keep
 * new inputs out of the tree.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const chains[] = {
    "gzip", "deflate", "br", "zstd", "gzip, br", "deflate, gzip", "zstd, gzip", "br, deflate",
    "gzip, gzip", "x-gzip, zstd", "identity, deflate", "deflate, br, zstd",
};
static const size_t sizes[] = {1, 2, 3, 7, 64, 1000, 16384, 100000};

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "decode_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #c);    \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *ce = chains[data[0] % (sizeof chains / sizeof chains[0])];
    size_t in_step = sizes[data[1] & 7], out_step = sizes[(data[1] >> 3) & 7];
    data += 2;
    size -= 2;

    httpx__decode_limits_t lim = {8u << 20, 1000, 0};
    httpx__decoder_t *d = NULL;
    httpx_error_t err;
    size_t ce_len = 0;
    while (ce[ce_len])
        ce_len++;
    int rc = httpx__decoder_new(NULL, ce, ce_len, &lim, &d, &err);
    if (rc < 0)
        return 0; /* a coding this build lacks */
    CHECK(d != NULL);

    static uint8_t out[100000];
    size_t pos = 0;
    uint64_t total = 0;
    for (;;) {
        size_t avail = size - pos < in_step ? size - pos : in_step;
        bool final = pos + avail == size;
        const uint8_t *p = data + pos;
        size_t left = avail, got = 12345;
        rc = httpx__decoder_run(d, &p, &left, final, out, out_step, &got, &err);
        CHECK(left <= avail && p == data + pos + (avail - left));
        CHECK(got <= out_step);
        pos += avail - left;
        total += got;
        CHECK(total <= lim.max_decoded_bytes);
        if (rc < 0) {
            CHECK(got == 0 && err.code == rc && err.message[0]);
            CHECK(rc == HTTPX_E_DECODING || rc == HTTPX_E_DECODE_LIMIT);
            /* Errors stick. */
            p = data;
            left = 0;
            CHECK(httpx__decoder_run(d, &p, &left, true, out, out_step, &got, &err) == rc);
            break;
        }
        CHECK(rc == 0 || rc == 1);
        if (rc == 1 && pos == size)
            break;
        /* The progress rule: with room and input (or final), something moves. */
        CHECK(rc == 1 || got > 0 || left < avail);
    }
    httpx__decoder_free(d);
    return 0;
}
