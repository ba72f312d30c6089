/* decode_test.c — content decoding: codecs, chains, limits, allocation failures.
 *
 * gzip and deflate inputs are made here with zlib; br and zstd inputs are fixtures
 * under $HTTPX_TEST_DATA/decode (see its README.md). br and zstd cases are skipped
 * when the library was built without them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "decode/decode.h"

/* ---- helpers -------------------------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes_t;

static void bytes_append(bytes_t *b, const void *p, size_t n)
{
    if (!n)
        return;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void bytes_free(bytes_t *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* The plain text every fixture encodes; must match gen.py. ~100 KB, so output
 * crosses many 16 KiB windows. */
static bytes_t text(void)
{
    bytes_t b = {0};
    char line[64];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(line, sizeof line, "%05d the quick brown fox jumps over the lazy dog\n", i);
        bytes_append(&b, line, (size_t)n);
    }
    return b;
}

static bytes_t fixture(const char *name)
{
    const char *dir = getenv("HTTPX_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/decode/%s", dir ? dir : "tests/data", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s (set HTTPX_TEST_DATA)", path);
    bytes_t b = {0};
    uint8_t buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        bytes_append(&b, buf, n);
    fclose(f);
    return b;
}

/* Compress with zlib. wbits: 15 zlib, -15 raw deflate, 31 gzip. */
static bytes_t zcompress(const uint8_t *src, size_t n, int wbits)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bytes_t out = {0};
    out.p = malloc(deflateBound(&zs, (uLong)n) + 32);
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = out.p;
    zs.avail_out = (uInt)(deflateBound(&zs, (uLong)n) + 32);
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.n = zs.total_out;
    out.cap = deflateBound(&zs, (uLong)n) + 32;
    deflateEnd(&zs);
    return out;
}

/* gzip of `mib` MiB of zeros, streamed so the plain form is never in memory. */
static bytes_t gzip_zeros(size_t mib)
{
    static uint8_t zero[1 << 20];
    uint8_t buf[1 << 16];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bytes_t out = {0};
    for (size_t i = 0; i <= mib; i++) {
        int flush = i == mib ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = zero;
        zs.avail_in = i == mib ? 0 : sizeof zero;
        int rc;
        do {
            zs.next_out = buf;
            zs.avail_out = sizeof buf;
            rc = deflate(&zs, flush);
            assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
            bytes_append(&out, buf, sizeof buf - zs.avail_out);
        } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    }
    deflateEnd(&zs);
    return out;
}

/* Counting allocator: live bytes, peak, and an optional N-th allocation failure. */
typedef struct talloc {
    size_t live, peak, calls, fail_at, nlive;
} talloc_t;

#define HDR 16 /* keeps the caller's block aligned for any type */

static void *t_malloc(void *user, size_t n)
{
    talloc_t *t = user;
    if (++t->calls == t->fail_at)
        return NULL;
    uint8_t *p = malloc(n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    t->live += n;
    t->nlive++;
    if (t->live > t->peak)
        t->peak = t->live;
    return p + HDR;
}

static void t_free(void *user, void *ptr)
{
    talloc_t *t = user;
    if (!ptr)
        return;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    t->live -= n;
    t->nlive--;
    free(p);
}

static void *t_realloc(void *user, void *ptr, size_t n)
{
    talloc_t *t = user;
    if (!ptr)
        return t_malloc(user, n);
    void *q = t_malloc(user, n);
    if (!q)
        return NULL;
    size_t old;
    memcpy(&old, (uint8_t *)ptr - HDR, sizeof old);
    memcpy(q, ptr, old < n ? old : n);
    t_free(t, ptr);
    return q;
}

static httpx_allocator_t t_allocator(talloc_t *t)
{
    httpx_allocator_t a = {t_malloc, t_realloc, t_free, t};
    return a;
}

#define STALLED 1000 /* decode_all: the decoder broke the progress rule */

typedef struct run_opts {
    size_t in_step, out_step;
    const httpx__decode_limits_t *limits;
    const httpx_allocator_t *a;
    bool keep; /* collect the output (bombs discard it) */
} run_opts_t;

/* Decode `enc` under `ce`, feeding in_step bytes and pulling out_step bytes per
 * call; the last piece goes with final. Returns what run returned last. */
static int decode_all(const char *ce, const uint8_t *enc, size_t len, const run_opts_t *o,
                      bytes_t *out, uint64_t *total, httpx_error_t *err)
{
    httpx__decoder_t *d = NULL;
    memset(err, 0, sizeof *err);
    int rc = httpx__decoder_new(o->a, ce, strlen(ce), o->limits, &d, err);
    if (rc < 0)
        return rc;
    assert_non_null(d);
    uint8_t *buf = malloc(o->out_step);
    size_t pos = 0;
    *total = 0;
    for (;;) {
        size_t avail = len - pos < o->in_step ? len - pos : o->in_step;
        bool final = pos + avail == len;
        const uint8_t *p = enc + pos;
        size_t left = avail, got = 0;
        rc = httpx__decoder_run(d, &p, &left, final, buf, o->out_step, &got, err);
        assert_ptr_equal(p, enc + pos + (avail - left));
        pos += avail - left;
        *total += got;
        if (o->keep && out)
            bytes_append(out, buf, got);
        if (rc < 0 || (rc == 1 && pos == len))
            break;
        /* rc 1 with input left: the next call must reject it as trailing data. */
        if (rc == 0 && got == 0 && left == avail && (avail > 0 || final)) {
            rc = STALLED;
            break;
        }
    }
    free(buf);
    httpx__decoder_free(d);
    return rc;
}

static const size_t steps[][2] = {
    {1, 1}, {1, 1 << 20}, {1 << 20, 1}, {1 << 20, 1 << 20}, {7, 13}, {4096, 65536},
};

/* Round-trip `enc` through every feeding pattern and compare with the text. */
static void check_roundtrip(const char *ce, const bytes_t *enc)
{
    bytes_t want = text();
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        bytes_t got = {0};
        uint64_t total;
        httpx_error_t err;
        run_opts_t o = {steps[i][0], steps[i][1], NULL, NULL, true};
        int rc = decode_all(ce, enc->p, enc->n, &o, &got, &total, &err);
        if (rc != 1)
            fail_msg("%s in %zu/out %zu: rc %d: %s", ce, steps[i][0], steps[i][1], rc,
                     err.message);
        assert_int_equal(got.n, want.n);
        assert_memory_equal(got.p, want.p, want.n);
        bytes_free(&got);
    }
    bytes_free(&want);
}

static bool have(const char *coding)
{
    httpx__decoder_t *d = NULL;
    httpx_error_t err;
    int rc = httpx__decoder_new(NULL, coding, strlen(coding), NULL, &d, &err);
    httpx__decoder_free(d);
    return rc == 0;
}

#define REQUIRE(coding)        \
    do {                       \
        if (!have(coding))     \
            skip();            \
    } while (0)

/* Decode all at once; expect `code` and a message containing `needle`. */
static void expect_error(const char *ce, const bytes_t *enc, int code, const char *needle)
{
    size_t patterns[][2] = {{1 << 20, 1 << 20}, {1, 1}};
    for (size_t i = 0; i < 2; i++) {
        uint64_t total;
        httpx_error_t err;
        run_opts_t o = {patterns[i][0], patterns[i][1], NULL, NULL, false};
        int rc = decode_all(ce, enc->p, enc->n, &o, NULL, &total, &err);
        if (rc != code)
            fail_msg("%s: want %d got %d (%s)", ce, code, rc, err.message);
        assert_int_equal(err.code, code);
        assert_int_equal(err.phase, HTTPX_PHASE_DECODE);
        if (needle && !strstr(err.message, needle))
            fail_msg("%s: message \"%s\" lacks \"%s\"", ce, err.message, needle);
    }
}

/* ---- construction --------------------------------------------------------- */

static void test_accept_encoding(void **state)
{
    (void)state;
    const char *ae = httpx__decode_accept_encoding();
    assert_string_equal(ae, have("br") && have("zstd") ? "gzip, deflate, br, zstd"
                            : have("br")                ? "gzip, deflate, br"
                            : have("zstd")              ? "gzip, deflate, zstd"
                                                        : "gzip, deflate");
    assert_true(have("gzip") && have("x-gzip") && have("deflate"));
}

static void test_passthrough(void **state)
{
    (void)state;
    const char *cases[] = {"", "identity", " IDENTITY ,\tidentity ", ",,", " , "};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        httpx__decoder_t *d = (httpx__decoder_t *)&d;
        httpx_error_t err;
        assert_int_equal(httpx__decoder_new(NULL, cases[i], strlen(cases[i]), NULL, &d, &err), 0);
        assert_null(d);
    }
    httpx__decoder_t *d = (httpx__decoder_t *)&d;
    assert_int_equal(httpx__decoder_new(NULL, NULL, 0, NULL, &d, NULL), 0);
    assert_null(d);
}

static void test_parse_case_and_ows(void **state)
{
    (void)state;
    const char *ok[] = {"GZip", " \tgzip\t ", "X-GZIP", "identity, Deflate", "gzip,,gzip"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        httpx__decoder_t *d = NULL;
        httpx_error_t err;
        assert_int_equal(httpx__decoder_new(NULL, ok[i], strlen(ok[i]), NULL, &d, &err), 0);
        assert_non_null(d);
        httpx__decoder_free(d);
    }
    /* `len` bounds the list: the bytes after it are not looked at. */
    httpx__decoder_t *d = NULL;
    httpx_error_t err;
    assert_int_equal(httpx__decoder_new(NULL, "gzipXYZ", 4, NULL, &d, &err), 0);
    assert_non_null(d);
    httpx__decoder_free(d);
}

static void test_unknown_coding(void **state)
{
    (void)state;
    const char *bad[] = {"compress", "gzip, foo", "gzip;q=1", "gzi", "gzipp", "x-deflate"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        httpx__decoder_t *d = (httpx__decoder_t *)&d;
        httpx_error_t err;
        int rc = httpx__decoder_new(NULL, bad[i], strlen(bad[i]), NULL, &d, &err);
        assert_int_equal(rc, HTTPX_E_DECODING);
        assert_null(d);
        assert_int_equal(err.code, HTTPX_E_DECODING);
        assert_non_null(strstr(err.message, "unknown content coding"));
    }
    httpx__decoder_t *d = NULL;
    httpx_error_t err;
    httpx__decoder_new(NULL, "gzip, compress", 14, NULL, &d, &err);
    assert_string_equal(err.message, "unknown content coding \"compress\"");
}

static void test_too_many_codings(void **state)
{
    (void)state;
    httpx__decoder_t *d = NULL;
    httpx_error_t err;
    const char *four = "gzip, gzip, deflate, gzip";
    assert_int_equal(httpx__decoder_new(NULL, four, strlen(four), NULL, &d, &err),
                     HTTPX_E_DECODE_LIMIT);
    assert_null(d);
    assert_int_equal(err.code, HTTPX_E_DECODE_LIMIT);
    /* identity does not count */
    const char *three = "gzip, identity, gzip, identity, gzip";
    assert_int_equal(httpx__decoder_new(NULL, three, strlen(three), NULL, &d, &err), 0);
    httpx__decoder_free(d);
    httpx__decode_limits_t lim = {0, 0, 4};
    assert_int_equal(httpx__decoder_new(NULL, four, strlen(four), &lim, &d, &err), 0);
    httpx__decoder_free(d);
    lim.max_encodings = 1;
    assert_int_equal(httpx__decoder_new(NULL, "gzip, gzip", 10, &lim, &d, &err),
                     HTTPX_E_DECODE_LIMIT);
}

/* ---- round trips ---------------------------------------------------------- */

static void test_gzip_roundtrip(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    check_roundtrip("gzip", &gz);
    check_roundtrip("x-gzip", &gz);
    bytes_free(&gz);
    bytes_free(&t);
}

static void test_gzip_members(void **state)
{
    (void)state;
    /* Two members joined (RFC 1952 §2.2), plus an empty third one. */
    bytes_t t = text();
    bytes_t a = zcompress(t.p, 30000, 31);
    bytes_t b = zcompress(t.p + 30000, t.n - 30000, 31);
    bytes_t c = zcompress(t.p, 0, 31);
    bytes_append(&a, b.p, b.n);
    bytes_append(&a, c.p, c.n);
    check_roundtrip("gzip", &a);

    /* Another member could follow, so the end is known only at final. */
    httpx__decoder_t *d;
    httpx_error_t err;
    assert_int_equal(httpx__decoder_new(NULL, "gzip", 4, NULL, &d, &err), 0);
    uint8_t *out = malloc(t.n + 1);
    const uint8_t *p = a.p;
    size_t left = a.n, got;
    assert_int_equal(httpx__decoder_run(d, &p, &left, false, out, t.n + 1, &got, &err), 0);
    assert_int_equal(got, t.n);
    assert_int_equal(left, 0);
    assert_memory_equal(out, t.p, t.n);
    assert_int_equal(httpx__decoder_run(d, &p, &left, true, out, t.n + 1, &got, &err), 1);
    assert_int_equal(got, 0);
    httpx__decoder_free(d);
    free(out);
    bytes_free(&a);
    bytes_free(&b);
    bytes_free(&c);
    bytes_free(&t);
}

static void test_deflate_roundtrip(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t z = zcompress(t.p, t.n, 15);
    check_roundtrip("deflate", &z);
    bytes_free(&z);
    bytes_free(&t);
}

static void test_raw_deflate(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t z = zcompress(t.p, t.n, -15);
    check_roundtrip("deflate", &z);
    bytes_free(&z);
    /* The smallest raw stream, an empty final fixed block, is two bytes. */
    bytes_t e = zcompress(t.p, 0, -15);
    uint64_t total;
    httpx_error_t err;
    run_opts_t o = {1, 1, NULL, NULL, false};
    assert_int_equal(decode_all("deflate", e.p, e.n, &o, NULL, &total, &err), 1);
    assert_int_equal(total, 0);
    bytes_free(&e);
    bytes_free(&t);
}

static void test_br_roundtrip(void **state)
{
    (void)state;
    REQUIRE("br");
    bytes_t f = fixture("text.br");
    check_roundtrip("br", &f);
    bytes_free(&f);
}

static void test_zstd_roundtrip(void **state)
{
    (void)state;
    REQUIRE("zstd");
    bytes_t f = fixture("text.zst");
    check_roundtrip("zstd", &f);
    bytes_free(&f);
    f = fixture("text2.zst"); /* two frames */
    check_roundtrip("zstd", &f);
    bytes_free(&f);
}

static void test_stack_gzip_br(void **state)
{
    (void)state;
    REQUIRE("br");
    bytes_t f = fixture("text.gz.br");
    check_roundtrip("gzip, br", &f);
    bytes_free(&f);
}

static void test_stack_deflate_gzip(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t z = zcompress(t.p, t.n, 15);
    bytes_t gz = zcompress(z.p, z.n, 31);
    check_roundtrip("deflate, gzip", &gz);
    /* The same in two fields joined by the caller, with stray OWS. */
    check_roundtrip(" deflate ,gzip ", &gz);
    bytes_free(&gz);
    bytes_free(&z);
    bytes_free(&t);
}

static void test_empty_body(void **state)
{
    (void)state;
    /* A zero-length body under any coding is an empty body. */
    const char *ces[] = {"gzip", "deflate", "br", "zstd", "deflate, gzip", "gzip, br"};
    for (size_t i = 0; i < sizeof ces / sizeof ces[0]; i++) {
        if (!have(ces[i]))
            continue;
        uint64_t total;
        httpx_error_t err;
        run_opts_t o = {1, 16, NULL, NULL, false};
        assert_int_equal(decode_all(ces[i], (const uint8_t *)"", 0, &o, NULL, &total, &err), 1);
        assert_int_equal(total, 0);
        /* No input at all may be passed as NULL. */
        httpx__decoder_t *d;
        assert_int_equal(httpx__decoder_new(NULL, ces[i], strlen(ces[i]), NULL, &d, &err), 0);
        const uint8_t *p = NULL;
        size_t left = 0, got;
        uint8_t out[8];
        assert_int_equal(httpx__decoder_run(d, &p, &left, false, out, sizeof out, &got, &err), 0);
        assert_int_equal(httpx__decoder_run(d, &p, &left, true, out, sizeof out, &got, &err), 1);
        assert_int_equal(got, 0);
        httpx__decoder_free(d);
    }
}

/* ---- errors --------------------------------------------------------------- */

static void test_corrupt(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    gz.p[0] = 'x';
    expect_error("gzip", &gz, HTTPX_E_DECODING, "gzip: invalid data: incorrect header check");
    bytes_free(&gz);
    gz = zcompress(t.p, t.n, 31);
    for (size_t i = 20; i < gz.n - 8; i += 7)
        gz.p[i] ^= 0x5a;
    expect_error("gzip", &gz, HTTPX_E_DECODING, "gzip: invalid data");
    bytes_free(&gz);
    gz = zcompress(t.p, t.n, 31);
    gz.p[gz.n - 6] ^= 1; /* CRC-32 */
    expect_error("gzip", &gz, HTTPX_E_DECODING, "gzip: invalid data: incorrect data check");
    bytes_free(&gz);

    bytes_t z = zcompress(t.p, t.n, 15);
    z.p[z.n - 1] ^= 1; /* Adler-32 */
    expect_error("deflate", &z, HTTPX_E_DECODING, "deflate: invalid data");
    bytes_free(&z);
    /* A zlib header asking for a preset dictionary. */
    bytes_t dict = {0};
    bytes_append(&dict, "\x78\xbb\x00\x00\x00\x01\x03\x00", 8);
    expect_error("deflate", &dict, HTTPX_E_DECODING, "dictionary");
    bytes_free(&dict);

    if (have("br")) {
        bytes_t f = fixture("text.br");
        for (size_t i = 10; i < f.n; i += 5)
            f.p[i] ^= 0xa5;
        expect_error("br", &f, HTTPX_E_DECODING, "br: invalid data");
        bytes_free(&f);
    }
    if (have("zstd")) {
        bytes_t f = fixture("text.zst");
        f.p[0] ^= 0xff;
        expect_error("zstd", &f, HTTPX_E_DECODING, "zstd: invalid data");
        bytes_free(&f);
        f = fixture("text.zst");
        for (size_t i = 12; i < f.n; i += 5)
            f.p[i] ^= 0xa5;
        expect_error("zstd", &f, HTTPX_E_DECODING, "zstd: invalid data");
        bytes_free(&f);
    }
    bytes_free(&t);
}

static void check_truncated(const char *ce, const bytes_t *full)
{
    size_t cuts[] = {1, 2, 5, full->n / 2, full->n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        bytes_t part = {0};
        bytes_append(&part, full->p, cuts[i]);
        expect_error(ce, &part, HTTPX_E_DECODING, NULL);
        bytes_free(&part);
    }
    /* Without final, a short stream only waits for more. */
    httpx__decoder_t *d;
    httpx_error_t err;
    assert_int_equal(httpx__decoder_new(NULL, ce, strlen(ce), NULL, &d, &err), 0);
    uint8_t out[256 * 1024];
    const uint8_t *p = full->p;
    size_t left = full->n - 1, got;
    assert_int_equal(httpx__decoder_run(d, &p, &left, false, out, sizeof out, &got, &err), 0);
    assert_int_equal(left, 0);
    /* ... and final with nothing more names the truncation. */
    assert_int_equal(httpx__decoder_run(d, &p, &left, true, out, sizeof out, &got, &err),
                     HTTPX_E_DECODING);
    if (!strstr(err.message, "truncated"))
        fail_msg("%s: \"%s\"", ce, err.message);
    httpx__decoder_free(d);
}

static void test_truncated(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    check_truncated("gzip", &gz);
    bytes_t z = zcompress(t.p, t.n, 15);
    check_truncated("deflate", &z);
    bytes_t r = zcompress(t.p, t.n, -15);
    check_truncated("deflate", &r);
    bytes_t zg = zcompress(z.p, z.n, 31);
    check_truncated("deflate, gzip", &zg);
    if (have("br")) {
        bytes_t f = fixture("text.br");
        check_truncated("br", &f);
        bytes_free(&f);
    }
    if (have("zstd")) {
        bytes_t f = fixture("text.zst");
        check_truncated("zstd", &f);
        bytes_free(&f);
    }
    bytes_free(&zg);
    bytes_free(&r);
    bytes_free(&z);
    bytes_free(&gz);
    bytes_free(&t);
}

static void check_trailing(const char *ce, const bytes_t *good, const char *junk, const char *msg)
{
    bytes_t b = {0};
    bytes_append(&b, good->p, good->n);
    bytes_append(&b, junk, strlen(junk));
    expect_error(ce, &b, HTTPX_E_DECODING, msg);
    bytes_free(&b);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    const char *trailing = "trailing data after end of stream";
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    check_trailing("gzip", &gz, "junk", trailing);
    check_trailing("gzip", &gz, "\n", trailing);
    check_trailing("gzip", &gz, "\x1f\x8bjunk", "gzip: invalid data");
    bytes_t z = zcompress(t.p, t.n, 15);
    check_trailing("deflate", &z, "x", trailing);
    bytes_t r = zcompress(t.p, t.n, -15);
    check_trailing("deflate", &r, "\x1f", trailing);

    /* Garbage inside the outer coding, after the inner stream's end. */
    bytes_t inner = zcompress(t.p, t.n, 15);
    bytes_append(&inner, "junk", 4);
    bytes_t outer = zcompress(inner.p, inner.n, 31);
    expect_error("deflate, gzip", &outer, HTTPX_E_DECODING, "deflate: trailing data");
    bytes_free(&outer);
    bytes_free(&inner);
    /* Garbage after the outer stream of a chain. */
    bytes_t zg = zcompress(z.p, z.n, 31);
    check_trailing("deflate, gzip", &zg, "junk", "gzip: trailing data");
    bytes_free(&zg);

    if (have("br")) {
        bytes_t f = fixture("text.br");
        check_trailing("br", &f, "x", "br: trailing data");
        bytes_free(&f);
    }
    if (have("zstd")) {
        bytes_t f = fixture("text.zst");
        check_trailing("zstd", &f, "x", "zstd: trailing data");
        check_trailing("zstd", &f, "(junk", "zstd: invalid data");
        bytes_free(&f);
    }

    /* Garbage arriving in a later call, after run already returned 1. */
    httpx__decoder_t *d;
    httpx_error_t err;
    assert_int_equal(httpx__decoder_new(NULL, "deflate", 7, NULL, &d, &err), 0);
    uint8_t *out = malloc(t.n + 1);
    const uint8_t *p = z.p;
    size_t left = z.n, got;
    assert_int_equal(httpx__decoder_run(d, &p, &left, false, out, t.n + 1, &got, &err), 1);
    assert_int_equal(got, t.n);
    p = (const uint8_t *)"x";
    left = 1;
    assert_int_equal(httpx__decoder_run(d, &p, &left, false, out, t.n, &got, &err),
                     HTTPX_E_DECODING);
    /* Errors stick. */
    assert_int_equal(httpx__decoder_run(d, &p, &left, true, out, t.n, &got, &err),
                     HTTPX_E_DECODING);
    assert_int_equal(got, 0);
    httpx__decoder_free(d);
    free(out);

    bytes_free(&r);
    bytes_free(&z);
    bytes_free(&gz);
    bytes_free(&t);
}

static void test_zstd_window_cap(void **state)
{
    (void)state;
    REQUIRE("zstd");
    bytes_t f = fixture("window24.zst");
    expect_error("zstd", &f, HTTPX_E_DECODE_LIMIT, "zstd: window");
    bytes_free(&f);
}

/* ---- limits --------------------------------------------------------------- */

/* A bomb must stop near the 1 MiB floor with bounded memory. */
static void check_bomb(const char *ce, const bytes_t *enc, size_t mem_cap)
{
    talloc_t t = {0};
    httpx_allocator_t a = t_allocator(&t);
    httpx__decode_limits_t lim = {0, 100, 0};
    size_t patterns[][2] = {{4096, 65536}, {enc->n, 16 << 20}};
    for (size_t i = 0; i < 2; i++) {
        uint64_t total;
        httpx_error_t err;
        run_opts_t o = {patterns[i][0], patterns[i][1], &lim, &a, false};
        int rc = decode_all(ce, enc->p, enc->n, &o, NULL, &total, &err);
        if (rc != HTTPX_E_DECODE_LIMIT)
            fail_msg("%s bomb: rc %d (%s)", ce, rc, err.message);
        assert_non_null(strstr(err.message, "ratio"));
        assert_true(total <= (2u << 20));
        if (getenv("DECODE_TEST_VERBOSE"))
            print_message("%s bomb: %llu bytes out, peak %zu bytes: %s\n", ce,
                          (unsigned long long)total, t.peak, err.message);
        if (t.peak > mem_cap)
            fail_msg("%s bomb: peak memory %zu > %zu", ce, t.peak, mem_cap);
        assert_int_equal(t.live, 0);
    }
}

static void test_bomb_gzip(void **state)
{
    (void)state;
    bytes_t gz = gzip_zeros(100);
    check_bomb("gzip", &gz, 128 * 1024);
    bytes_free(&gz);
}

static void test_bomb_br(void **state)
{
    (void)state;
    REQUIRE("br");
    bytes_t f = fixture("zeros-1g.br");
    check_bomb("br", &f, 5u << 20); /* the fixture declares a 4 MiB window */
    bytes_free(&f);
}

static void test_bomb_zstd(void **state)
{
    (void)state;
    REQUIRE("zstd");
    bytes_t f = fixture("zeros-1g.zst");
    check_bomb("zstd", &f, 3u << 20);
    bytes_free(&f);
}

static void test_ratio_floor(void **state)
{
    (void)state;
    /* 1 MiB of zeros is under the floor, so even ratio 2 lets it through. */
    static uint8_t zero[1 << 20];
    bytes_t gz = zcompress(zero, sizeof zero, 31);
    httpx__decode_limits_t lim = {0, 2, 0};
    uint64_t total;
    httpx_error_t err;
    run_opts_t o = {1 << 20, 1 << 16, &lim, NULL, false};
    assert_int_equal(decode_all("gzip", gz.p, gz.n, &o, NULL, &total, &err), 1);
    assert_int_equal(total, sizeof zero);
    bytes_free(&gz);
    /* Stacked, the ratio is over the whole chain. */
    bytes_t big = gzip_zeros(4);
    bytes_t z2 = zcompress(big.p, big.n, 15);
    lim.max_ratio = 1000;
    int rc = decode_all("gzip, deflate", z2.p, z2.n, &o, NULL, &total, &err);
    assert_int_equal(rc, HTTPX_E_DECODE_LIMIT);
    assert_non_null(strstr(err.message, "gzip, deflate: decompression ratio"));
    bytes_free(&z2);
    bytes_free(&big);
}

static void test_max_decoded_bytes(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    httpx__decode_limits_t lim = {t.n, 0, 0};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        uint64_t total;
        httpx_error_t err;
        run_opts_t o = {steps[i][0], steps[i][1], &lim, NULL, false};
        lim.max_decoded_bytes = t.n;
        assert_int_equal(decode_all("gzip", gz.p, gz.n, &o, NULL, &total, &err), 1);
        assert_int_equal(total, t.n);
        lim.max_decoded_bytes = t.n - 1;
        assert_int_equal(decode_all("gzip", gz.p, gz.n, &o, NULL, &total, &err),
                         HTTPX_E_DECODE_LIMIT);
        assert_true(total <= t.n - 1);
        assert_non_null(strstr(err.message, "gzip: decoded body exceeds the limit of"));
    }
    bytes_free(&gz);
    bytes_free(&t);
}

static void test_zero_cap(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    httpx__decoder_t *d;
    httpx_error_t err;
    assert_int_equal(httpx__decoder_new(NULL, "gzip", 4, NULL, &d, &err), 0);
    const uint8_t *p = gz.p;
    size_t left = gz.n, got = 1;
    uint8_t out[1];
    assert_int_equal(httpx__decoder_run(d, &p, &left, true, out, 0, &got, &err), 0);
    assert_int_equal(got, 0);
    httpx__decoder_free(d);
    bytes_free(&gz);
    bytes_free(&t);
}

/* ---- allocation failures -------------------------------------------------- */

static void check_alloc_failures(const char *ce, const bytes_t *enc)
{
    bool ok = false;
    for (size_t n = 1; n < 1000 && !ok; n++) {
        talloc_t t = {0};
        t.fail_at = n;
        httpx_allocator_t a = t_allocator(&t);
        uint64_t total;
        httpx_error_t err;
        run_opts_t o = {1024, 4096, NULL, &a, false};
        int rc = decode_all(ce, enc->p, enc->n, &o, NULL, &total, &err);
        if (rc == 1)
            ok = true;
        else if (rc != HTTPX_E_NOMEM)
            fail_msg("%s: failing allocation %zu gave %d (%s)", ce, n, rc, err.message);
        else
            assert_int_equal(err.code, HTTPX_E_NOMEM);
        if (t.nlive != 0)
            fail_msg("%s: failing allocation %zu leaked %zu blocks", ce, n, t.nlive);
    }
    assert_true(ok);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    bytes_t t = text();
    bytes_t gz = zcompress(t.p, t.n, 31);
    bytes_t z = zcompress(t.p, t.n, 15);
    bytes_t zg = zcompress(z.p, z.n, 31);
    check_alloc_failures("gzip", &gz);
    check_alloc_failures("deflate", &z);
    check_alloc_failures("deflate, gzip", &zg);
    if (have("br")) {
        bytes_t f = fixture("text.br");
        check_alloc_failures("br", &f);
        bytes_free(&f);
        f = fixture("text.gz.br");
        check_alloc_failures("gzip, br", &f);
        bytes_free(&f);
    }
    if (have("zstd")) {
        bytes_t f = fixture("text.zst");
        check_alloc_failures("zstd", &f);
        bytes_free(&f);
    }
    bytes_free(&zg);
    bytes_free(&z);
    bytes_free(&gz);
    bytes_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_passthrough),
        cmocka_unit_test(test_parse_case_and_ows),
        cmocka_unit_test(test_unknown_coding),
        cmocka_unit_test(test_too_many_codings),
        cmocka_unit_test(test_gzip_roundtrip),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_deflate_roundtrip),
        cmocka_unit_test(test_raw_deflate),
        cmocka_unit_test(test_br_roundtrip),
        cmocka_unit_test(test_zstd_roundtrip),
        cmocka_unit_test(test_stack_gzip_br),
        cmocka_unit_test(test_stack_deflate_gzip),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_zstd_window_cap),
        cmocka_unit_test(test_bomb_gzip),
        cmocka_unit_test(test_bomb_br),
        cmocka_unit_test(test_bomb_zstd),
        cmocka_unit_test(test_ratio_floor),
        cmocka_unit_test(test_max_decoded_bytes),
        cmocka_unit_test(test_zero_cap),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
