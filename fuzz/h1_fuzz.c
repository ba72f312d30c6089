/* fuzz/h1_fuzz.c — libFuzzer target for the HTTP/1 response parser (src/h1).
 *
 * The first two input bytes choose the request method and a seed; the rest is a
 * response stream. It is parsed twice, as a client would: once with every byte
 * available at once, once arriving in pseudo-random reads (the head on a growing
 * buffer through *scan, the body fed piece by piece). Both runs must agree on
 * every head, body byte, trailer and error: the parser's answer may not depend on
 * how TCP split the stream. Slices must lie inside the input they came from.
 * Build and run from the source root (not wired into CMake yet): */
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I src \
//       fuzz/h1_fuzz.c src/h1/*.c src/core/*.c -o h1_fuzz
//   ./h1_fuzz -max_total_time=60 fuzz/corpus/h1
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1/parse.h"

enum { MAX_FIELDS = 32, MAX_TRAILER = 1024 };

/* FNV-1a over everything observable, so two runs compare by one number. */
static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211u;
}
static void mix_int(uint64_t *h, long long v)
{
    mix(h, &v, sizeof v);
}
static void mix_slice(uint64_t *h, httpx__slice_t s)
{
    mix_int(h, (long long)s.len);
    mix(h, s.ptr, s.len);
}

static void mix_err(uint64_t *h, int rc, const httpx_error_t *err)
{
    mix_int(h, rc);
    mix(h, err->message, strlen(err->message));
}

static void check_inside(httpx__slice_t s, const char *base, size_t len)
{
    if (s.len && (s.ptr < base || s.ptr + s.len > base + len))
        abort();
}

struct split {
    uint32_t seed;
    int whole;
};

/* How many more bytes arrive next. */
static size_t next_read(struct split *sp, size_t left)
{
    if (sp->whole)
        return left;
    sp->seed = sp->seed * 1103515245u + 12345u;
    uint32_t r = sp->seed >> 8;
    size_t n = (r & 3) == 0 ? 1 : 1 + (r >> 2) % 64; /* many single bytes, some runs */
    return n < left ? n : left;
}

static uint64_t run(const char *in, size_t n, const char *method, struct split sp,
                    const httpx__h1_limits_t *lim, size_t max_line)
{
    uint64_t h = 14695981039346656037u;
    size_t arrived = 0, pos = 0, scan = 0;
    httpx__h1_field_t fields[MAX_FIELDS];
    httpx__h1_head_t head;
    httpx__h1_body_t body;
    httpx_error_t err;
    char trailers[MAX_TRAILER];
    size_t tlen = 0;
    int in_body = 0;

    for (int messages = 0;;) {
        if (!in_body) {
            if (pos == arrived) {
                if (arrived == n)
                    break;
                arrived += next_read(&sp, n - arrived);
                continue;
            }
            int rc = httpx__h1_parse_head(in + pos, arrived - pos, &scan, method, lim, fields,
                                          &head, &err);
            if (rc < 0) {
                mix_err(&h, rc, &err);
                break;
            }
            if (rc == 0) {
                if (scan > arrived - pos)
                    abort();
                if (arrived == n) {
                    mix_int(&h, -1000); /* EOF inside a head */
                    break;
                }
                arrived += next_read(&sp, n - arrived);
                continue;
            }
            if ((size_t)rc > arrived - pos || head.nfields > MAX_FIELDS)
                abort();
            mix_int(&h, head.minor_version);
            mix_int(&h, head.status);
            mix_slice(&h, head.reason);
            check_inside(head.reason, in + pos, (size_t)rc);
            for (size_t i = 0; i < head.nfields; i++) {
                check_inside(head.fields[i].name, in + pos, (size_t)rc);
                check_inside(head.fields[i].value, in + pos, (size_t)rc);
                mix_slice(&h, head.fields[i].name);
                mix_slice(&h, head.fields[i].value);
            }
            mix_int(&h, head.framing);
            mix_int(&h, (long long)head.content_length);
            mix_int(&h, head.keep_alive * 2 + head.upgrade);
            pos += (size_t)rc;
            scan = 0;
            httpx__h1_body_init(&body, head.framing, head.content_length, lim);
            body.max_line = max_line;
            body.max_trailer_bytes = MAX_TRAILER;
            tlen = 0;
            in_body = 1;
        }
        size_t len = arrived - pos, used;
        httpx__slice_t d, t;
        int rc = httpx__h1_body_feed(&body, in + pos, len, &used, &d, &t, &err);
        if (rc < 0) {
            mix_err(&h, rc, &err);
            break;
        }
        if (used > len || (rc == 0 && used == 0 && len > 0) || (d.len && t.len))
            abort();
        check_inside(d, in + pos, used);
        check_inside(t, in + pos, used);
        /* body bytes are hashed as a stream: how they were cut must not matter */
        mix(&h, d.ptr, d.len);
        if (t.len) {
            if (tlen + t.len > sizeof trailers)
                abort(); /* max_trailer_bytes must hold */
            memcpy(trailers + tlen, t.ptr, t.len);
            tlen += t.len;
        }
        pos += used;
        if (rc == 0) {
            if (pos < arrived)
                continue;
            if (arrived < n) {
                arrived += next_read(&sp, n - arrived);
                continue;
            }
            rc = httpx__h1_body_eof(&body, &err);
            if (rc < 0) {
                mix_err(&h, rc, &err);
                break;
            }
        }
        mix_int(&h, 3000);
        if (tlen) {
            httpx__h1_field_t tf[MAX_FIELDS];
            int nt = httpx__h1_parse_fields(trailers, tlen, tf, MAX_FIELDS, &err);
            if (nt < 0)
                mix_err(&h, nt, &err);
            for (int i = 0; i < nt; i++) {
                mix_slice(&h, tf[i].name);
                mix_slice(&h, tf[i].value);
            }
        }
        in_body = 0;
        if (head.upgrade || (head.status >= 200 && !head.keep_alive) || ++messages > 64)
            break;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "CONNECT", "POST"};
    if (size < 2)
        return 0;
    const char *method = methods[data[0] & 3];
    httpx__h1_limits_t lim = {(data[0] & 4) ? 256 : 4096, (data[0] & 8) ? 4 : MAX_FIELDS};
    size_t max_line = (data[0] & 16) ? 16 : 4096;
    uint32_t seed = data[1] * 2654435761u;
    /* Copy to an exact-size heap buffer so a read past the end is caught. */
    size_t n = size - 2;
    char *in = malloc(n ? n : 1);
    if (!in)
        return 0;
    memcpy(in, data + 2, n);
    uint64_t a = run(in, n, method, (struct split){seed, 1}, &lim, max_line);
    uint64_t b = run(in, n, method, (struct split){seed, 0}, &lim, max_line);
    uint64_t c = run(in, n, method, (struct split){seed ^ 0x9e3779b9u, 0}, &lim, max_line);
    free(in);
    if (a != b || a != c)
        abort();
    return 0;
}
