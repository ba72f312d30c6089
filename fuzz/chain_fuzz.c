/* fuzz/chain_fuzz.c — libFuzzer target for the decoder chain (src/decode/chain.c)
 * as the engine builds it: from a Content-Encoding value the server chose, with
 * small limits. decode_fuzz.c covers each codec under a fixed list of chains and
 * the default limits; this one fuzzes the list itself (any text: unknown codings,
 * empty elements, case, whitespace, identity, long stacks) and limits tight enough
 * to trip on small inputs.
 *
 * Input: byte 0 picks the limits (decoded-size cap, ratio cap, chain length),
 * byte 1 the input and output step sizes; then the Content-Encoding value up to
 * the first LF; the rest is the body.
 * Checked: _new fails only with DECODING, DECODE_LIMIT or NOMEM, and a list
 * with more non-identity codings than the chain limit is never accepted; the decoded
 * total never passes the cap; past 1 MiB of output the ratio holds; run keeps its
 * contract (bounds, progress, errors deliver nothing and stick); an identity-only
 * list gives no decoder.
 * Build: cmake -DHTTPX_FUZZ=ON (clang), or `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decode/decode.h"

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "chain_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #c);     \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t caps[] = {0, 1, 100, 4096, 65536, 1u << 20, 3u << 20, 8u << 20};
static const uint64_t ratios[] = {0, 1, 2, 1000};
static const size_t lens[] = {0, 1, 2, 5};
static const size_t steps[] = {1, 3, 17, 512, 4096, 16384, 65536, 100000};

/* Elements of the list that are neither empty nor identity (a lower bound on what
 * the chain must hold: x-gzip and such count too). */
static size_t count_codings(const char *p, size_t n)
{
    size_t count = 0, i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != ',')
            e++;
        size_t a = i, b = e;
        while (a < b && (p[a] == ' ' || p[a] == '\t'))
            a++;
        while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
            b--;
        if (b > a && !(b - a == 8 && !strncasecmp(p + a, "identity", 8)))
            count++;
        i = e + 1;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 20)
        return 0;
    httpx__decode_limits_t lim = {caps[data[0] & 7], ratios[(data[0] >> 3) & 3],
                                  lens[(data[0] >> 5) & 3]};
    size_t in_step = steps[data[1] & 7], out_step = steps[(data[1] >> 3) & 7];
    data += 2;
    size -= 2;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ce_len = nl ? (size_t)(nl - data) : size;
    char *ce = malloc(ce_len ? ce_len : 1); /* exact size: no reading past it */
    if (!ce)
        return 0;
    memcpy(ce, data, ce_len);
    const uint8_t *body = nl ? nl + 1 : data + size;
    size_t blen = (size_t)(data + size - body);

    httpx__decoder_t *d = NULL;
    httpx_error_t err;
    int rc = httpx__decoder_new(NULL, ce, ce_len, &lim, &d, &err);
    size_t codings = count_codings(ce, ce_len);
    free(ce);
    if (rc == 0)
        CHECK(codings <= (lim.max_encodings ? lim.max_encodings : 3));
    if (rc < 0) {
        CHECK(rc == HTTPX_E_DECODING || rc == HTTPX_E_DECODE_LIMIT || rc == HTTPX_E_NOMEM);
        CHECK(d == NULL && err.message[0]);
        return 0;
    }
    CHECK(rc == 0);
    if (!d)
        return 0; /* identity only */

    static uint8_t out[100000];
    size_t pos = 0;
    uint64_t total = 0;
    for (int rounds = 0;; rounds++) {
        CHECK(rounds < 50000000);
        size_t avail = blen - pos < in_step ? blen - pos : in_step;
        bool final = pos + avail == blen;
        const uint8_t *p = body + pos;
        size_t left = avail, got = 12345;
        rc = httpx__decoder_run(d, &p, &left, final, out, out_step, &got, &err);
        CHECK(left <= avail && p == body + pos + (avail - left));
        CHECK(got <= out_step);
        if (got)
            (void)*(volatile uint8_t *)&out[got - 1];
        pos += avail - left;
        total += got;
        if (lim.max_decoded_bytes)
            CHECK(total <= lim.max_decoded_bytes);
        if (lim.max_ratio && total > (1u << 20) + 16384 * 4)
            CHECK(total / (pos ? pos : 1) <= lim.max_ratio + 1);
        if (rc < 0) {
            CHECK(got == 0 && err.code == rc && err.message[0]);
            CHECK(rc == HTTPX_E_DECODING || rc == HTTPX_E_DECODE_LIMIT);
            p = body;
            left = 0;
            CHECK(httpx__decoder_run(d, &p, &left, true, out, out_step, &got, &err) == rc);
            CHECK(got == 0);
            break;
        }
        CHECK(rc == 0 || rc == 1);
        if (rc == 1 && pos == blen)
            break;
        CHECK(rc == 1 || got > 0 || left < avail);
    }
    httpx__decoder_free(d);
    return 0;
}
