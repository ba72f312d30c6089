/* fuzz/auth_fuzz.c — libFuzzer target for authentication (src/auth): the
 * WWW-Authenticate challenge cursor, Digest state (httpx__digest_new) and the
 * Authorization values built from it, Basic and Bearer.
 *
 * Input: [flags] [ulen] user [plen] pass [tlen] target, then the rest is the
 * challenge value as a server would send it (any bytes). flags: bit 0-1 the
 * method, bit 2 a fixed cnonce, bits 3-5 how many requests to authorise.
 * Checked:
 *  - the cursor walks the value without reading outside it and ends (progress);
 *    every slice lies inside the value; unquoting never grows a value;
 *  - a Digest state is built only from a well-formed challenge; its realm, nonce
 *    and opaque hold no control byte;
 *  - every Authorization value produced (Digest, Basic, Bearer) holds no CR, LF,
 *    NUL or other control byte (server-chosen realm and nonce cannot inject
 *    header lines), and a Digest one parses back with the challenge cursor into
 *    the username, realm, uri and nonce that went in, with nc counting up.
 * Build: cmake -DHTTPX_FUZZ=ON (clang), or `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "auth_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #c);      \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(httpx__slice_t s, const char *base, size_t n)
{
    CHECK(s.len == 0 || (s.ptr >= base && s.ptr + s.len <= base + n));
}

/* What may go into a field value we send: no control byte but HTAB. */
static void check_clean(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            fprintf(stderr, "auth_fuzz: control byte 0x%02x at %zu in \"%.*s\"\n", c, i, (int)n, p);
            abort();
        }
    }
}

static void walk(const char *v, size_t n)
{
    httpx__auth_cursor_t c;
    httpx__slice_t scheme, t68, name, val;
    bool quoted;
    int rc, guard = 0;
    httpx_error_t err;
    httpx__auth_cursor_init(&c, v, n);
    while ((rc = httpx__auth_next_challenge(&c, &scheme, &t68, &err)) == 1) {
        CHECK(++guard <= (int)n + 1);
        CHECK(scheme.len > 0);
        check_inside(scheme, v, n);
        check_inside(t68, v, n);
        while ((rc = httpx__auth_next_param(&c, &name, &val, &quoted, &err)) == 1) {
            CHECK(++guard <= (int)n + 1);
            CHECK(name.len > 0);
            check_inside(name, v, n);
            check_inside(val, v, n);
            httpx__buf_t b;
            httpx__buf_init(&b, NULL, 1 << 20);
            CHECK(httpx__auth_unquote(val, quoted, &b) == 0);
            CHECK(httpx__buf_size(&b) <= val.len);
            if (quoted)
                for (size_t i = 0; i < httpx__buf_size(&b); i++) {
                    unsigned char ch = (unsigned char)httpx__buf_ptr(&b)[i];
                    CHECK(ch >= 0x20 || ch == '\t');
                }
            httpx__buf_release(&b);
        }
        if (rc < 0)
            break;
        CHECK(c.pos <= n);
    }
    if (rc < 0)
        CHECK(rc == HTTPX_E_REMOTE_PROTOCOL && err.message[0]);
    CHECK(c.pos <= n);
}

/* The Authorization value parses back into what went in. */
static void check_digest_value(const char *p, size_t n, const char *user, const char *realm,
                               const char *uri, const char *nonce, uint32_t nc, bool qop)
{
    check_clean(p, n);
    httpx__auth_cursor_t c;
    httpx__slice_t scheme, t68, name, val;
    bool quoted;
    httpx_error_t err;
    httpx__auth_cursor_init(&c, p, n);
    CHECK(httpx__auth_next_challenge(&c, &scheme, &t68, &err) == 1);
    CHECK(scheme.len == 6 && !memcmp(scheme.ptr, "Digest", 6));
    int seen = 0, rc;
    while ((rc = httpx__auth_next_param(&c, &name, &val, &quoted, &err)) == 1) {
        httpx__buf_t b;
        httpx__buf_init(&b, NULL, 1 << 20);
        CHECK(httpx__auth_unquote(val, quoted, &b) == 0);
        const char *got = httpx__buf_ptr(&b) ? httpx__buf_ptr(&b) : "";
        size_t gl = httpx__buf_size(&b);
#define IS(s) (name.len == strlen(s) && !memcmp(name.ptr, s, name.len))
#define SAME(s) (gl == strlen(s) && !memcmp(got, s, gl))
        if (IS("username")) {
            CHECK(SAME(user));
            seen |= 1;
        } else if (IS("realm")) {
            CHECK(SAME(realm));
            seen |= 2;
        } else if (IS("uri")) {
            CHECK(SAME(uri));
            seen |= 4;
        } else if (IS("nonce")) {
            CHECK(SAME(nonce));
            seen |= 8;
        } else if (IS("nc")) {
            char want[9];
            snprintf(want, sizeof want, "%08x", (unsigned)nc);
            CHECK(SAME(want));
            seen |= 16;
        }
#undef IS
#undef SAME
        httpx__buf_release(&b);
    }
    CHECK(rc == 0);
    CHECK((seen & 15) == 15);
    CHECK(!!(seen & 16) == qop);
    CHECK(httpx__auth_next_challenge(&c, &scheme, &t68, &err) == 0); /* nothing after */
}

static size_t take(const uint8_t **d, size_t *n, char *out, size_t max)
{
    size_t len = 0;
    if (*n) {
        len = **d % (max + 1);
        (*d)++, (*n)--;
    }
    if (len > *n)
        len = *n;
    memcpy(out, *d, len);
    out[len] = '\0';
    *d += len;
    *n -= len;
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "PROPFIND", "G\tT"};
    if (size < 1 || size > HTTPX__DIGEST_MAX_HEADER + 1024)
        return 0;
    unsigned flags = data[0];
    data++, size--;
    char user[64], pass[64], target[128];
    take(&data, &size, user, 63);
    take(&data, &size, pass, 63);
    take(&data, &size, target, 127);
    /* the challenge value in an exact-size buffer: a read past it is caught */
    char *v = malloc(size ? size : 1);
    if (!v)
        return 0;
    memcpy(v, data, size);

    walk(v, size);

    httpx__digest_t *d = NULL;
    httpx_error_t err;
    int rc = httpx__digest_new(v, size, NULL, &d, &err);
    if (rc == 0) {
        const char *realm = httpx__digest_realm(d), *nonce = httpx__digest_nonce(d);
        const char *opaque = httpx__digest_opaque(d);
        CHECK(realm && nonce);
        check_clean(realm, strlen(realm));
        check_clean(nonce, strlen(nonce));
        if (opaque)
            check_clean(opaque, strlen(opaque));
        CHECK(httpx__digest_alg_name(httpx__digest_algorithm(d)) != NULL);
        if (flags & 4)
            CHECK(httpx__digest_set_cnonce(d, "0a4f113b") == 0);
        const char *method = methods[flags & 3];
        for (unsigned i = 0; i <= ((flags >> 3) & 7); i++) {
            httpx__buf_t out;
            httpx__buf_init(&out, NULL, 1 << 20);
            uint32_t nc0 = httpx__digest_nc(d);
            rc = httpx__digest_authorize(d, method, target, user, pass, &out, &err);
            if (rc == 0) {
                CHECK(httpx__digest_nc(d) == nc0 + 1);
                check_digest_value(httpx__buf_ptr(&out), httpx__buf_size(&out), user, realm,
                                   target, nonce, nc0 + 1, httpx__digest_qop_auth(d));
            } else {
                CHECK(rc == HTTPX_E_INVAL || rc == HTTPX_E_UNSUPPORTED);
                CHECK(httpx__digest_nc(d) == nc0 && httpx__buf_size(&out) == 0);
            }
            httpx__buf_release(&out);
        }
        httpx__digest_free(d);
    } else {
        CHECK(d == NULL);
        CHECK(rc == HTTPX_E_REMOTE_PROTOCOL || rc == HTTPX_E_UNSUPPORTED || rc == HTTPX_E_INVAL);
        CHECK(err.message[0]);
    }

    /* Basic and Bearer from the same bytes */
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 1 << 20);
    rc = httpx__auth_basic(user, pass, &b);
    if (rc == 0)
        check_clean(httpx__buf_ptr(&b), httpx__buf_size(&b));
    CHECK(!strchr(user, ':') || rc == HTTPX_E_INVAL);
    httpx__buf_reset(&b);
    if (httpx__auth_bearer(pass, &b) == 0)
        check_clean(httpx__buf_ptr(&b), httpx__buf_size(&b));
    httpx__buf_release(&b);
    free(v);
    return 0;
}
