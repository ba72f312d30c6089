/* fuzz/proxy_fuzz.c — libFuzzer target for the proxy handshakes (src/proxy): the
 * SOCKS5 client (RFC 1928/1929) and the HTTP CONNECT tunnel response parser.
 *
 * Input: byte 0 chooses the handshake and its set-up (bit 0: SOCKS5 or CONNECT;
 * bits 1-3: target host kind, credentials, remote DNS), byte 1 seeds how the
 * proxy's bytes are split into reads and how our writes are cut; the rest is
 * everything the proxy says.
 * SOCKS5 checks: our output never grows past the message maxima and is only
 * offered when it is our turn; `consumed` never exceeds what was fed and nothing
 * past the final reply is consumed; success means done() with a NUL-terminated
 * bound address of the declared type and a port in 0..65535; errors are
 * HTTPX_E_PROXY with a message and stick; eof() is 0 exactly when done.
 * CONNECT checks: the growing buffer is fed as the engine does (the same bytes
 * again, grown) in random splits, and the answer (result, bytes used, status) must
 * equal the one for the whole buffer at once; *used never exceeds the buffer; the
 * request head we write has well-formed CRLF lines and no NUL.
 * Build: cmake -DHTTPX_FUZZ=ON (clang), or `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "proxy_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #c);     \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static size_t piece(uint32_t *s, size_t left)
{
    uint32_t r = rnd(s);
    size_t n = (r & 3) == 0 ? 1 : 1 + (r >> 2) % 300;
    return n < left ? n : left;
}

static const char *const hosts[] = {"127.0.0.1", "::1", "[2001:db8::1]", "example.com"};

static void fuzz_socks5(unsigned sel, uint32_t seed, const char *in, size_t n)
{
    httpx__socks5_t s;
    httpx_error_t err;
    const char *host = hosts[(sel >> 1) & 3];
    bool remote = (sel >> 3) & 1;
    bool creds = (sel >> 4) & 1;
    int rc = httpx__socks5_init(&s, host, 443, remote, creds ? "user" : NULL,
                                creds ? ((sel & 0x20) ? "" : "pa ss") : NULL, &err);
    if (rc != 0) {
        CHECK(rc == HTTPX_E_INVAL && !strcmp(host, "example.com") && !remote);
        return;
    }
    size_t pos = 0;
    int failed = 0;
    for (int rounds = 0; rounds < 10000; rounds++) {
        const char *out;
        size_t olen;
        httpx__socks5_output(&s, &out, &olen);
        CHECK(olen <= HTTPX__SOCKS5_AUTH_MAX);
        if (olen && !(rnd(&seed) % 8 == 0 && pos < n)) {
            /* a partial write, sometimes; sometimes the proxy talks out of turn */
            size_t k = 1 + rnd(&seed) % olen;
            volatile char last = out[k - 1];
            (void)last;
            httpx__socks5_sent(&s, k);
            continue;
        }
        if (pos == n)
            break;
        size_t k = piece(&seed, n - pos), used = 12345;
        rc = httpx__socks5_feed(&s, in + pos, k, &used, &err);
        CHECK(used <= k);
        pos += used;
        if (rc < 0) {
            CHECK(rc == HTTPX_E_PROXY && err.message[0]);
            failed = rc;
            break;
        }
        if (rc == 1) {
            CHECK(httpx__socks5_done(&s));
            break;
        }
        CHECK(rc == 0 && used == k);
    }
    if (httpx__socks5_done(&s)) {
        CHECK(s.bound_port >= 0 && s.bound_port <= 65535);
        CHECK(memchr(s.bound, '\0', sizeof s.bound) != NULL);
        CHECK(s.bound_type == HTTPX__SOCKS5_IPV4 || s.bound_type == HTTPX__SOCKS5_IPV6 ||
              s.bound_type == HTTPX__SOCKS5_DOMAIN);
        if (s.bound_type == HTTPX__SOCKS5_DOMAIN)
            for (const char *p = s.bound; *p; p++)
                CHECK(*p > 0x20 && *p < 0x7f);
        size_t used = 1;
        CHECK(httpx__socks5_feed(&s, in, n, &used, &err) == 1 && used == 0); /* the tunnel's */
        CHECK(httpx__socks5_eof(&s, &err) == 0);
        const char *out;
        size_t olen;
        httpx__socks5_output(&s, &out, &olen);
        CHECK(olen == 0);
    } else {
        CHECK(httpx__socks5_eof(&s, &err) == HTTPX_E_PROXY && err.message[0]);
        if (failed) {
            size_t used = 1;
            CHECK(httpx__socks5_feed(&s, "\x05\x00", 2, &used, &err) == failed);
            CHECK(used == 0);
        }
    }
}

typedef struct tres {
    int rc, status;
    size_t used;
} tres_t;

static tres_t tunnel_run(const char *host, const char *in, size_t n, uint32_t seed, bool whole)
{
    httpx__tunnel_t c;
    httpx_error_t err;
    tres_t r = {0, 0, 0};
    if (httpx__tunnel_init(&c, host, 8443, &err) != 0)
        abort();
    size_t have = 0;
    for (;;) {
        have += whole ? n - have : piece(&seed, n - have);
        size_t used = 12345;
        r.rc = httpx__tunnel_feed(&c, in, have, &used, &err);
        if (r.rc == 0) {
            CHECK(used == 0);
            if (have == n)
                break;
            continue;
        }
        CHECK(used <= have);
        r.used = used;
        r.status = c.head.status;
        if (r.rc < 0) {
            CHECK(r.rc == HTTPX_E_PROXY && err.message[0]);
            CHECK(httpx__tunnel_feed(&c, in, have, &used, &err) == HTTPX_E_PROXY);
            CHECK(httpx__tunnel_eof(&c, &err) == HTTPX_E_PROXY);
        } else {
            CHECK(r.rc == 1 && r.status >= 200 && r.status <= 299);
            CHECK(httpx__tunnel_eof(&c, &err) == 0);
            size_t again = 0;
            CHECK(httpx__tunnel_feed(&c, in, have, &again, &err) == 1 && again == used);
        }
        break;
    }
    if (r.rc == 0)
        CHECK(httpx__tunnel_eof(&c, &err) == HTTPX_E_PROXY);
    return r;
}

/* Every line of the head ends with CRLF, no bare CR or LF, no NUL, one blank line. */
static void check_head(const char *p, size_t n)
{
    CHECK(n >= 4 && !memcmp(p + n - 4, "\r\n\r\n", 4));
    for (size_t i = 0; i < n; i++) {
        CHECK(p[i] != '\0');
        if (p[i] == '\r')
            CHECK(i + 1 < n && p[i + 1] == '\n');
        if (p[i] == '\n')
            CHECK(i > 0 && p[i - 1] == '\r');
        if (i + 4 <= n && !memcmp(p + i, "\r\n\r\n", 4))
            CHECK(i + 4 == n);
    }
}

static void fuzz_connect(unsigned sel, uint32_t seed, const char *in, size_t n)
{
    const char *host = hosts[(sel >> 1) & 3];
    tres_t a = tunnel_run(host, in, n, seed, true);
    tres_t b = tunnel_run(host, in, n, seed, false);
    tres_t c = tunnel_run(host, in, n, seed ^ 0x9e3779b9u, false);
    if (a.rc != b.rc || a.rc != c.rc || a.used != b.used || a.used != c.used ||
        (a.rc && (a.status != b.status || a.status != c.status))) {
        fprintf(stderr, "proxy_fuzz: CONNECT answer depends on the split: %d/%zu/%d %d/%zu/%d %d/%zu/%d\n",
                a.rc, a.used, a.status, b.rc, b.used, b.status, c.rc, c.used, c.status);
        abort();
    }

    /* The request head, with an extra field taken from the input's first line. */
    httpx__tunnel_t t;
    httpx_error_t err;
    CHECK(httpx__tunnel_init(&t, host, 443, &err) == 0);
    const char *nl = memchr(in, '\n', n);
    size_t line = nl ? (size_t)(nl - in) : n;
    if (line > 200)
        line = 200;
    char name[256], value[256];
    const char *colon = memchr(in, ':', line);
    size_t nn = colon ? (size_t)(colon - in) : line;
    memcpy(name, in, nn);
    name[nn] = '\0';
    size_t vn = colon ? line - nn - 1 : 0;
    memcpy(value, colon ? colon + 1 : "", vn);
    value[vn] = '\0';
    httpx_header_t extra[] = {{name, value}, {"User-Agent", "fuzz"}, {NULL, NULL}};
    httpx__proxy_t px = {0};
    px.username = (sel & 0x20) ? "us er" : NULL;
    px.password = "p\xffss";
    httpx__buf_t out;
    httpx__buf_init(&out, NULL, 1 << 16);
    int rc = httpx__tunnel_write(&t, (sel & 0x40) ? &px : NULL, (sel & 0x80) ? extra : NULL, &out,
                                 &err);
    if (rc == 0)
        check_head(httpx__buf_ptr(&out), httpx__buf_size(&out));
    else
        CHECK(rc == HTTPX_E_INVAL && httpx__buf_size(&out) == 0);
    httpx__buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 65536)
        return 0;
    unsigned sel = data[0];
    uint32_t seed = data[1] * 2654435761u + 1;
    size_t n = size - 2;
    char *in = malloc(n ? n : 1); /* exact size: a read past the end is caught */
    if (!in)
        return 0;
    memcpy(in, data + 2, n);
    if (sel & 1)
        fuzz_connect(sel, seed, in, n);
    else
        fuzz_socks5(sel, seed, in, n);
    free(in);
    return 0;
}
