/* fuzz/cookies_fuzz.c — libFuzzer target for the cookie jar (src/cookies).
 *
 * The first input byte picks the request URL (scheme, host kind, path) and a clock
 * step; the rest is a list of Set-Cookie field values separated by LF, stored one by
 * one into a jar as if they came in responses to that URL (NUL and CR inside a value
 * are kept: the parser must refuse them). After each, the jar must keep its
 * invariants (limits, no control bytes but HTAB in values, paths starting with '/',
 * no host-only cookie without a host) and the Cookie header for a few URLs must be
 * well formed (no CR, LF or NUL). Every field is also fed to the date parser.
 * Build and run from the source root (CMake replays the corpus: tests fuzz.*):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I include -I src
 *       fuzz/cookies_fuzz.c src/cookies/*.c src/core/*.c -lpsl -o cookies_fuzz
 *   ./cookies_fuzz -max_total_time=60 fuzz/corpus/cookies */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cookies/jar.h"

/* URLs made by hand, as the URL parser would leave them (lower-case host, path). */
typedef struct fz_url {
    const char *scheme, *host, *path;
    bool is_ip;
} fz_url_t;

static const fz_url_t fz_urls[] = {
    {"http", "example.com", "/", false},
    {"https", "www.example.com", "/a/b/c", false},
    {"http", "a.b.example.co.uk", "/docs/index.html", false},
    {"https", "foo.github.io", "/", false},
    {"http", "localhost", "/x/", false},
    {"http", "192.168.0.1", "/p", true},
    {"https", "::1", "/", true},
    {"http", "co.uk", "/", false},
};
#define FZ_NURLS (sizeof fz_urls / sizeof fz_urls[0])

static void fz_make(httpx_url_t *u, const fz_url_t *f)
{
    memset(u, 0, sizeof *u);
    u->scheme = (char *)f->scheme;
    u->host = (char *)f->host;
    u->path = (char *)f->path;
    u->host_is_ip = f->is_ip;
}

static void fz_check_jar(const httpx_cookie_jar_t *jar)
{
    size_t n = httpx_cookie_jar_count(jar);
    if (n > HTTPX_COOKIE_MAX_TOTAL)
        abort();
    for (size_t i = 0; i < n; i++) {
        httpx_cookie_t c;
        if (httpx_cookie_jar_at(jar, i, &c) != 0)
            abort();
        if (strlen(c.name) + strlen(c.value) > HTTPX_COOKIE_MAX_PAIR || c.path[0] != '/')
            abort();
        if ((c.flags & HTTPX_COOKIE_HOST_ONLY) && !c.domain[0])
            abort();
        for (const char *p = c.name; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ';' || *p == '=')
                abort();
        for (const char *p = c.value; *p; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f || *p == ';')
                abort();
        size_t same = 0;
        for (size_t j = 0; j < n; j++) {
            httpx_cookie_t d;
            httpx_cookie_jar_at(jar, j, &d);
            same += strcmp(c.domain, d.domain) == 0;
        }
        if (same > HTTPX_COOKIE_MAX_PER_DOMAIN)
            abort();
    }
}

static void fz_check_header(const httpx_cookie_jar_t *jar, const httpx_url_t *u, int64_t now)
{
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 1 << 20);
    int rc = httpx__cookie_jar_header(jar, u, now, &b);
    if (rc != 0 && rc != HTTPX_E_NOMEM)
        abort();
    const char *p = httpx__buf_ptr(&b);
    for (size_t i = 0; i < httpx__buf_size(&b); i++)
        if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
            abort();
    httpx__buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    data++;
    size--;
    httpx_url_t url;
    fz_make(&url, &fz_urls[sel % FZ_NURLS]);
    int64_t now = INT64_C(1700000000), step = (sel >> 3) * 37;

    httpx_cookie_jar_t *jar;
    if (httpx_cookie_jar_new(NULL, &jar) != 0)
        return 0;
    const char *s = (const char *)data;
    size_t i = 0;
    while (i <= size) {
        const char *nl = i < size ? memchr(s + i, '\n', size - i) : NULL;
        size_t end = nl ? (size_t)(nl - s) : size;
        int64_t t;
        httpx__cookie_parse_date(s + i, end - i, &t);
        if (httpx__cookie_jar_store(jar, &url, s + i, end - i, now) != 0)
            abort(); /* no allocation failure with the default allocator */
        fz_check_jar(jar);
        now += step;
        i = end + 1;
    }
    for (size_t k = 0; k < FZ_NURLS; k++) {
        httpx_url_t u;
        fz_make(&u, &fz_urls[k]);
        fz_check_header(jar, &u, now);
    }
    httpx_cookie_jar_free(jar);
    return 0;
}
