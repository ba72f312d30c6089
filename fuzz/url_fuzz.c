/* fuzz/url_fuzz.c — libFuzzer target for the URL parser (src/url): parse, resolve,
 * with_params and httpx_percent_encode.
 *
 * Input: byte 0 picks the `safe` set for percent_encode and which parts are used;
 * the rest is split at LF into up to four pieces: a URL, a reference, a parameter
 * name and a parameter value (NUL bytes stay in: the parser sees the text up to
 * the first one, percent_encode sees all of it).
 * Checked, for every URL the library hands out (parsed, resolved against the
 * parsed URL and a few fixed bases, with parameters appended):
 *  - the serialised URL parses again to the same string (normalising is stable),
 *    and so do the accessors: scheme, host, port, path, query, fragment, target;
 *  - no CR, LF, NUL, space or other control byte in the serialised URL or in the
 *    request target (they would be request-line injection);
 *  - http(s) URLs have a non-empty path starting with '/';
 *  - with_params keeps the original query as a prefix and the fragment;
 *  - percent_encode output holds only unreserved bytes, `safe` bytes and %XX, and
 *    decodes back to the input.
 * Build: cmake -DHTTPX_FUZZ=ON (clang), or `make fuzz`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpx/url.h"

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "url_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #c);       \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const bases[] = {
    "http://a/b/c/d;p?q",
    "https://user:pw@example.com:8443/x/y/z?k=v#frag",
    "http://[::1]:8080/",
    "https://xn--nxasmq6b.example/%7Efoo/./bar/../baz",
    "http://127.0.0.1",
};
static const char *const safes[] = {NULL, "", "/", ":/?#[]@", "!$&'()*+,;=", "=&", "/ ", "abc\x80\xff"};

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The serialised form may not carry bytes that break a request line. */
static void check_bytes(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        CHECK(*p > 0x20 && *p != 0x7f);
}

static void check_url(const httpx_url_t *u)
{
    const char *s = httpx_url_str(u), *scheme = httpx_url_scheme(u);
    const char *path = httpx_url_path(u), *target = httpx_url_target(u);
    CHECK(s && scheme && path && target && httpx_url_host(u) && httpx_url_query(u) &&
          httpx_url_fragment(u));
    check_bytes(s);
    check_bytes(target);
    if (!strcmp(scheme, "http") || !strcmp(scheme, "https")) {
        CHECK(path[0] == '/');
        CHECK(httpx_url_port(u) > 0 && httpx_url_port(u) <= 65535);
    }
    /* target = path ["?" query] */
    size_t pl = strlen(path);
    CHECK(strncmp(target, path, pl) == 0);
    CHECK(target[pl] == '\0' || (target[pl] == '?' && !strcmp(target + pl + 1, httpx_url_query(u))));

    /* Stable: the serialised URL reparses to itself, with the same parts. */
    httpx_url_t *v = NULL;
    httpx_error_t err;
    int rc = httpx_url_parse(s, NULL, &v, &err);
    if (rc != 0) {
        fprintf(stderr, "url_fuzz: serialised URL does not reparse: \"%s\": %s\n", s, err.message);
        abort();
    }
    if (strcmp(httpx_url_str(v), s) != 0) {
        fprintf(stderr, "url_fuzz: not stable:\n  once:  \"%s\"\n  twice: \"%s\"\n", s,
                httpx_url_str(v));
        abort();
    }
    const char *diff = !str_eq(httpx_url_scheme(v), scheme)                      ? "scheme"
                       : !str_eq(httpx_url_host(v), httpx_url_host(u))           ? "host"
                       : !str_eq(httpx_url_userinfo(v), httpx_url_userinfo(u))   ? "userinfo"
                       : httpx_url_port(v) != httpx_url_port(u)                  ? "port"
                       : !str_eq(httpx_url_path(v), path)                        ? "path"
                       : !str_eq(httpx_url_query(v), httpx_url_query(u))         ? "query"
                       : !str_eq(httpx_url_fragment(v), httpx_url_fragment(u))   ? "fragment"
                       : !str_eq(httpx_url_target(v), target)                    ? "target"
                                                                                 : NULL;
    if (diff) {
        fprintf(stderr, "url_fuzz: \"%s\" reparses with another %s: \"%s\" then \"%s\"\n", s,
                diff, !strcmp(diff, "path") ? path : !strcmp(diff, "host") ? httpx_url_host(u) : "",
                !strcmp(diff, "path") ? httpx_url_path(v) : !strcmp(diff, "host") ? httpx_url_host(v) : "");
        abort();
    }
    httpx_url_free(v);
}

static void check_params(const httpx_url_t *u, const char *name, const char *value)
{
    httpx_param_t ps[] = {{name, value}, {"k", ""}, {NULL, NULL}};
    httpx_url_t *w = NULL;
    int rc = httpx_url_with_params(u, ps, &w);
    if (rc != 0) {
        CHECK(rc == HTTPX_E_INVALID_URL || rc == HTTPX_E_NOMEM);
        CHECK(w == NULL);
        return;
    }
    check_url(w);
    const char *q0 = httpx_url_query(u), *q1 = httpx_url_query(w);
    CHECK(strncmp(q1, q0, strlen(q0)) == 0);
    CHECK(strlen(q1) > strlen(q0));
    CHECK(!strcmp(httpx_url_fragment(w), httpx_url_fragment(u)));
    CHECK(!strcmp(httpx_url_path(w), httpx_url_path(u)));
    /* the parameters are encoded: nothing but unreserved bytes, '%', '=' and '&' */
    for (const char *p = q1 + strlen(q0); *p; p++)
        CHECK(strchr("%=&-._~", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z'));
    httpx_url_free(w);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void check_encode(const char *in, size_t len, const char *safe)
{
    char *out = NULL;
    int rc = httpx_percent_encode(in, len, safe, NULL, &out);
    CHECK(rc == 0 && out);
    size_t j = 0;
    for (size_t i = 0; out[i]; j++) {
        unsigned char c = (unsigned char)out[i];
        CHECK(j < len);
        if (c == '%' && hexval(out[i + 1]) >= 0 && hexval(out[i + 2]) >= 0 &&
            (unsigned char)in[j] == (unsigned)(hexval(out[i + 1]) * 16 + hexval(out[i + 2]))) {
            i += 3;
            continue;
        }
        /* a byte left as it is: unreserved or in safe */
        CHECK(c == (unsigned char)in[j]);
        CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-._~", c) || (safe && strchr(safe, c)));
        i++;
    }
    CHECK(j == len);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    unsigned sel = data[0];
    data++;
    size--;

    /* Split into up to four NUL-terminated pieces at LF. */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *piece[4] = {"", "", "", ""};
    size_t plen[4] = {0, 0, 0, 0};
    char *p = buf;
    for (int i = 0; i < 4 && p; i++) {
        char *nl = i < 3 ? memchr(p, '\n', (size_t)(buf + size - p)) : NULL;
        piece[i] = p;
        plen[i] = nl ? (size_t)(nl - p) : (size_t)(buf + size - p);
        if (nl)
            *nl = '\0';
        p = nl ? nl + 1 : NULL;
    }

    check_encode(piece[0], plen[0], safes[sel & 7]);

    httpx_url_t *u = NULL;
    httpx_error_t err;
    int rc = httpx_url_parse(piece[0], NULL, &u, &err);
    if (rc == 0) {
        check_url(u);
        check_params(u, piece[2], piece[3]);
        httpx_url_t *r = NULL;
        if (httpx_url_resolve(u, piece[1], &r, &err) == 0) {
            check_url(r);
            httpx_url_free(r);
        }
    } else {
        CHECK(rc == HTTPX_E_INVALID_URL || rc == HTTPX_E_NOMEM);
        CHECK(u == NULL && err.message[0]);
    }

    /* The reference against fixed bases (the first piece too: a relative text). */
    httpx_url_t *b = NULL;
    if (httpx_url_parse(bases[(sel >> 3) % (sizeof bases / sizeof bases[0])], NULL, &b, NULL) != 0)
        abort();
    for (int i = 0; i < 2; i++) {
        httpx_url_t *r = NULL;
        if (httpx_url_resolve(b, piece[i], &r, &err) == 0) {
            check_url(r);
            if (i == 0)
                check_params(r, piece[3], piece[2]);
            httpx_url_free(r);
        } else {
            CHECK(r == NULL);
        }
    }
    httpx_url_free(b);
    httpx_url_free(u);
    free(buf);
    return 0;
}
