/* cookies_test.c — the cookie jar (RFC 6265bis): Set-Cookie parsing, the storage
 * model, the Cookie header, the caller's API and the Netscape file format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cookies/jar.h"
#include "httpx/cookies.h"
#include "httpx/url.h"
#include "unit/counting_alloc.h"

#define NOW INT64_C(1700000000) /* 2023-11-14T22:13:20Z */
#define DAY INT64_C(86400)

/* ---- helpers ------------------------------------------------------------------------ */

static httpx_cookie_jar_t *jar_new(void)
{
    httpx_cookie_jar_t *jar = NULL;
    assert_int_equal(httpx_cookie_jar_new(NULL, &jar), 0);
    assert_non_null(jar);
    return jar;
}

static httpx_url_t *url_of(const char *s)
{
    httpx_url_t *u = NULL;
    httpx_error_t e;
    if (httpx_url_parse(s, NULL, &u, &e) != 0)
        fail_msg("url %s: %s", s, e.message);
    return u;
}

static void store_at(httpx_cookie_jar_t *jar, const char *url, const char *sc, int64_t now)
{
    httpx_url_t *u = url_of(url);
    assert_int_equal(httpx__cookie_jar_store(jar, u, sc, strlen(sc), now), 0);
    httpx_url_free(u);
}

static void store(httpx_cookie_jar_t *jar, const char *url, const char *sc)
{
    store_at(jar, url, sc, NOW);
}

/* The Cookie header for `url` at `now`, in a static buffer. */
static const char *header_at(httpx_cookie_jar_t *jar, const char *url, int64_t now)
{
    static char out[16384];
    httpx_url_t *u = url_of(url);
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, sizeof out);
    assert_int_equal(httpx__cookie_jar_header(jar, u, now, &b), 0);
    snprintf(out, sizeof out, "%s", httpx__buf_size(&b) ? httpx__buf_ptr(&b) : "");
    httpx__buf_release(&b);
    httpx_url_free(u);
    return out;
}

static const char *header(httpx_cookie_jar_t *jar, const char *url)
{
    return header_at(jar, url, NOW);
}

/* The one cookie named `name` (fails if there is not exactly one). */
static httpx_cookie_t cookie_named(httpx_cookie_jar_t *jar, const char *name)
{
    httpx_cookie_t c = {0}, k;
    int found = 0;
    for (size_t i = 0; i < httpx_cookie_jar_count(jar); i++) {
        assert_int_equal(httpx_cookie_jar_at(jar, i, &k), 0);
        if (strcmp(k.name, name) == 0) {
            c = k;
            found++;
        }
    }
    if (found != 1)
        fail_msg("%d cookies named \"%s\"", found, name);
    return c;
}

/* Store one Set-Cookie into a fresh jar; 1 if a cookie was stored. */
static int stored_one(const char *url, const char *sc)
{
    httpx_cookie_jar_t *jar = jar_new();
    store(jar, url, sc);
    int n = (int)httpx_cookie_jar_count(jar);
    httpx_cookie_jar_free(jar);
    return n;
}

/* ---- RFC 6265 §3.1 examples ------------------------------------------------------------ */

static void test_rfc_examples(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    store(jar, "http://example.com/", "SID=31d4d96e407aad42");
    assert_string_equal(header(jar, "http://example.com/"), "SID=31d4d96e407aad42");
    assert_string_equal(header(jar, "http://www.example.com/"), ""); /* host-only */
    httpx_cookie_jar_clear(jar, NULL, NULL);

    store(jar, "http://example.com/", "SID=31d4d96e407aad42; Path=/; Domain=example.com");
    store(jar, "http://example.com/", "lang=en-US; Path=/; Domain=example.com");
    assert_string_equal(header(jar, "http://www.example.com/"), "SID=31d4d96e407aad42; lang=en-US");
    assert_string_equal(header(jar, "http://example.com/x/y"), "SID=31d4d96e407aad42; lang=en-US");
    httpx_cookie_jar_clear(jar, NULL, NULL);

    store(jar, "https://example.com/", "SID=31d4d96e407aad42; Path=/; Secure; HttpOnly");
    store(jar, "https://example.com/", "lang=en-US; Path=/; Domain=example.com");
    assert_string_equal(header(jar, "https://www.example.com/"), "lang=en-US");
    assert_string_equal(header(jar, "https://example.com/"), "SID=31d4d96e407aad42; lang=en-US");
    assert_string_equal(header(jar, "http://example.com/"), "lang=en-US");
    httpx_cookie_t c = cookie_named(jar, "SID");
    assert_int_equal(c.flags, HTTPX_COOKIE_HOST_ONLY | HTTPX_COOKIE_SECURE | HTTPX_COOKIE_HTTPONLY);
    httpx_cookie_jar_clear(jar, NULL, NULL);

    /* Expires, then removal by an Expires in the past */
    int64_t before = 1623000000; /* a few days before 2021-06-09 */
    store_at(jar, "http://example.com/", "lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT", before);
    assert_int_equal(cookie_named(jar, "lang").expires, 1623233894);
    assert_string_equal(header_at(jar, "http://example.com/", before), "lang=en-US");
    assert_string_equal(header_at(jar, "http://example.com/", 1623233894), "");
    store_at(jar, "http://example.com/", "lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT", before);
    assert_int_equal(httpx_cookie_jar_count(jar), 0);
    httpx_cookie_jar_free(jar);
}

/* ---- parsing edge cases (6265bis, WPT-style) ------------------------------------------- */

static void test_parse_edges(void **state)
{
    (void)state;
    static const struct {
        const char *set_cookie, *header; /* header "" when ignored */
    } cases[] = {
        {"a=b", "a=b"},
        {"  a  =  b  ; path=/", "a=b"},
        {"a=b c", "a=b c"},
        {"a=\"quoted value\"", "a=\"quoted value\""},
        {"a=b=c", "a=b=c"},
        {"a=", "a="},
        {"foo", "foo"},       /* no '=': nameless cookie, sent as its value */
        {"=foo", "foo"},
        {"", ""},
        {"=", ""},
        {";a=b", ""},
        {"  ", ""},
        {"a=b;", "a=b"},
        {"a=b;;;  ;", "a=b"},
        {"a=b\tc", "a=b\tc"},   /* HTAB is allowed inside */
        {"a=b\x01" "c", ""},    /* a control character ignores the cookie */
        {"a=b\x7f", ""},
        {"a=b\rc", ""},
        {"a=b\nc=d", ""},
        {"a=b; Unknown=1; Foo", "a=b"},
        {"a=b; Secure=yes", ""}, /* Secure with a value is still Secure: refused over http */
        {"a=b; Max-Age=1x", "a=b"},
        {"a=b; Max-Age=", "a=b"},
        {"a=b; Expires=not a date", "a=b"},
        {"a=b; Domain=", "a=b"},   /* empty Domain is ignored */
        {"a=b; path=/; PATH=/nope", ""},
        {"a=b; PATH=/nope; path=/", "a=b"},
        {"a=b; Path=relative", "a=b"}, /* not '/': the default-path */
        {"a=b; MAX-AGE=100; expires=Sun, 06 Nov 1994 08:49:37 GMT", "a=b"},
        {"a=b; expires=Sun, 06 Nov 1994 08:49:37 GMT; max-age=100", "a=b"},
        {"a=b; max-age=100; max-age=0", ""},
        {"a=b; SameSite=Lax; HttpOnly", "a=b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        httpx_cookie_jar_t *jar = jar_new();
        httpx_url_t *u = url_of("http://example.com/");
        assert_int_equal(httpx__cookie_jar_store(jar, u, cases[i].set_cookie, strlen(cases[i].set_cookie), NOW), 0);
        const char *h = header(jar, "http://example.com/");
        if (strcmp(h, cases[i].header) != 0)
            fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i, cases[i].set_cookie, h, cases[i].header);
        httpx_url_free(u);
        httpx_cookie_jar_free(jar);
    }

    /* a NUL inside the field value (the engine passes a length) */
    httpx_cookie_jar_t *jar = jar_new();
    httpx_url_t *u = url_of("http://example.com/");
    assert_int_equal(httpx__cookie_jar_store(jar, u, "a=b\0c", 5, NOW), 0);
    assert_int_equal(httpx_cookie_jar_count(jar), 0);
    /* not NUL-terminated: only `len` bytes are read */
    char raw[8] = {'a', '=', 'x', 'y', ';', 'P', 'a', 't'};
    assert_int_equal(httpx__cookie_jar_store(jar, u, raw, 4, NOW), 0);
    assert_string_equal(header(jar, "http://example.com/"), "a=xy");
    httpx_url_free(u);
    httpx_cookie_jar_free(jar);
}

static void test_size_limits(void **state)
{
    (void)state;
    char *sc = malloc(HTTPX_COOKIE_MAX_PAIR + 64);
    /* name + value of exactly 4096 bytes is stored, 4097 is not */
    memset(sc, 'v', HTTPX_COOKIE_MAX_PAIR + 1);
    memcpy(sc, "n=", 2);
    sc[HTTPX_COOKIE_MAX_PAIR + 1] = '\0';
    assert_int_equal(stored_one("http://example.com/", sc), 1);
    sc[HTTPX_COOKIE_MAX_PAIR + 1] = 'v';
    sc[HTTPX_COOKIE_MAX_PAIR + 2] = '\0';
    assert_int_equal(stored_one("http://example.com/", sc), 0);

    /* an attribute value over 1024 bytes is ignored, not the cookie */
    httpx_cookie_jar_t *jar = jar_new();
    int n = snprintf(sc, HTTPX_COOKIE_MAX_PAIR, "a=b; Path=/");
    memset(sc + n, 'p', 1100);
    sc[n + 1100] = '\0';
    store(jar, "http://example.com/dir/page", sc);
    assert_string_equal(cookie_named(jar, "a").path, "/dir");
    httpx_cookie_jar_free(jar);
    free(sc);
}

/* ---- dates -------------------------------------------------------------------------- */

static void test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
        int64_t t;
    } cases[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", 1, 784111777},   /* RFC 1123 */
        {"Sunday, 06-Nov-94 08:49:37 GMT", 1, 784111777},  /* RFC 850 */
        {"Sun Nov  6 08:49:37 1994", 1, 784111777},        /* asctime */
        {"Sun, 06-Nov-1994 08:49:37 GMT", 1, 784111777},   /* Netscape's */
        {"06 Nov 1994 08:49:37", 1, 784111777},
        {"Nov 6 1994 08:49:37 UTC", 1, 784111777},
        {"6 November 1994 8:49:37", 1, 784111777},
        {"sun, 06 nov 1994 08:49:37 gmt", 1, 784111777},
        {"Sun, 06 Nov 1994 08:49:37 +0100", 1, 784111777}, /* zones are ignored */
        {"Wed, 09 Jun 2021 10:18:14 GMT", 1, 1623233894},
        {"Thu, 10 Feb 2050 1:2:3 GMT", 1, 2528067723},
        {"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0},
        {"Sat, 29 Feb 2020 00:00:00 GMT", 1, 1582934400},
        {"1 Jan 1601 00:00:00", 1, INT64_C(-11644473600)},
        {"1 Jan 69 00:00:00", 1, INT64_C(3124224000)},      /* 00-69: 20xx */
        {"1 Jan 70 00:00:00", 1, 0},                        /* 70-99: 19xx */
        {"1 Jan 00 00:00:00", 1, 946684800},
        {"Fri, 31 Dec 9999 23:59:59 GMT", 1, INT64_C(253402300799)},
        {"08:49:37xyz 06abc Novembre 1994zz", 1, 784111777}, /* trailing non-digits */
        {"Sun, 06 Nov 1994 08:49:37 GMT 12:00:00 99", 1, 784111777}, /* first of each wins */
        {"Sat, 29 Feb 2021 00:00:00 GMT", 0, 0},
        {"31 Apr 2020 00:00:00", 0, 0},
        {"0 Jan 2020 00:00:00", 0, 0},
        {"32 Jan 2020 00:00:00", 0, 0},
        {"1 Jan 1600 00:00:00", 0, 0},
        {"1 Jan 2020 24:00:00", 0, 0},
        {"1 Jan 2020 23:60:00", 0, 0},
        {"1 Jan 2020 23:59:60", 0, 0},
        {"1 Jan 2020", 0, 0},            /* no time */
        {"Jan 2020 00:00:00", 0, 0},     /* no day */
        {"1 2020 00:00:00", 0, 0},       /* no month */
        {"1 Jan 00:00:00", 0, 0},        /* no year */
        {"1 Jan 12345 00:00:00", 0, 0},  /* five-digit year is no year */
        {"1 Jan 2020 001:00:00", 0, 0},
        {"2021-06-09 10:18:14", 0, 0},
        {"", 0, 0},
        {"foo", 0, 0},
        {";;;;", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t t = -1;
        int rc = httpx__cookie_parse_date(cases[i].s, strlen(cases[i].s), &t);
        if (cases[i].ok ? (rc != 0 || t != cases[i].t) : rc == 0)
            fail_msg("date \"%s\": rc %d t %lld", cases[i].s, rc, (long long)t);
    }
    /* a very long input is linear and fails cleanly */
    static char big[100000];
    memset(big, '1', sizeof big);
    int64_t t;
    assert_int_equal(httpx__cookie_parse_date(big, sizeof big, &t), -1);
}

/* ---- expiry ----------------------------------------------------------------------- */

static void test_max_age_expires(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    const char *u = "http://example.com/";
    store(jar, u, "a=1; Max-Age=100; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
    store(jar, u, "b=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=100");
    store(jar, u, "c=1; Expires=Wed, 20 Nov 2023 00:00:00 GMT");
    store(jar, u, "d=1");
    store(jar, u, "e=1; Max-Age=99999999999999999999999");        /* capped at 400 days */
    store(jar, u, "f=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT"); /* capped too */
    store(jar, u, "g=1; Max-Age=abc");                           /* ignored attribute */
    assert_int_equal(cookie_named(jar, "a").expires, NOW + 100);
    assert_int_equal(cookie_named(jar, "b").expires, NOW + 100);
    assert_int_equal(cookie_named(jar, "c").expires, 1700438400);
    assert_int_equal(cookie_named(jar, "d").expires, 0);
    assert_int_equal(cookie_named(jar, "e").expires, NOW + 400 * DAY);
    assert_int_equal(cookie_named(jar, "f").expires, NOW + 400 * DAY);
    assert_int_equal(cookie_named(jar, "g").expires, 0);
    assert_string_equal(header_at(jar, u, NOW + 99), "a=1; b=1; c=1; d=1; e=1; f=1; g=1");
    assert_string_equal(header_at(jar, u, NOW + 100), "c=1; d=1; e=1; f=1; g=1");
    assert_string_equal(header_at(jar, u, NOW + 400 * DAY), "d=1; g=1");
    /* a later store drops what has expired */
    store_at(jar, u, "h=1", NOW + 1000);
    assert_int_equal(httpx_cookie_jar_count(jar), 6);
    httpx_cookie_jar_free(jar);
}

static void test_deletion(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    store(jar, "http://www.example.com/a/b", "x=1; Path=/a");
    store(jar, "http://www.example.com/a/b", "y=1; Domain=example.com; Path=/");
    store(jar, "http://www.example.com/a/b", "z=1; Path=/");
    assert_int_equal(httpx_cookie_jar_count(jar), 3);
    /* deletion needs the same name, domain, host-only flag and path */
    store(jar, "http://www.example.com/", "x=; Max-Age=0");              /* path "/" */
    store(jar, "http://www.example.com/", "y=; Max-Age=0");              /* host-only */
    store(jar, "http://www.example.com/", "z=; Max-Age=0; Domain=example.com");
    assert_int_equal(httpx_cookie_jar_count(jar), 3);
    store(jar, "http://www.example.com/", "x=; Max-Age=0; Path=/a");
    store(jar, "http://www.example.com/", "y=; Max-Age=-1; Domain=example.com");
    store(jar, "http://www.example.com/", "z=; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    assert_int_equal(httpx_cookie_jar_count(jar), 0);
    /* an expired cookie that matches nothing is not stored */
    store(jar, "http://www.example.com/", "w=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT");
    assert_int_equal(httpx_cookie_jar_count(jar), 0);
    httpx_cookie_jar_free(jar);
}

/* ---- domains ------------------------------------------------------------------------- */

static void test_domain_attribute(void **state)
{
    (void)state;
    static const struct {
        const char *url, *attr; /* attr NULL: no Domain attribute */
        const char *domain;     /* stored domain, NULL if refused */
        int host_only;
    } cases[] = {
        {"http://www.example.com/", NULL, "www.example.com", 1},
        {"http://www.example.com/", "example.com", "example.com", 0},
        {"http://www.example.com/", ".example.com", "example.com", 0},
        {"http://www.example.com/", "EXAMPLE.Com", "example.com", 0},
        {"http://www.example.com/", "www.example.com", "www.example.com", 0},
        {"http://example.com/", "example.com", "example.com", 0},
        {"http://example.com/", "www.example.com", NULL, 0},
        {"http://www.example.com/", "other.com", NULL, 0},
        {"http://www.example.com/", "ample.com", NULL, 0},
        {"http://www.example.com/", "ww.example.com", NULL, 0},
        {"http://www.example.com/", "example.com.", NULL, 0},
        {"http://www.example.com/", "..example.com", NULL, 0},
        {"http://www.example.com/", "exämple.com", NULL, 0},
        /* public suffixes (libpsl) */
        {"http://www.example.co.uk/", "co.uk", NULL, 0},
        {"http://www.example.co.uk/", "uk", NULL, 0},
        {"http://www.example.co.uk/", "example.co.uk", "example.co.uk", 0},
        {"http://example.com/", "com", NULL, 0},
        {"http://foo.github.io/", "github.io", NULL, 0},
        {"http://foo.github.io/", "foo.github.io", "foo.github.io", 0},
        {"http://a.b.intranet/", "intranet", NULL, 0}, /* unknown TLD: the '*' rule */
        /* a Domain equal to a public-suffix host: host-only */
        {"http://co.uk/", "co.uk", "co.uk", 1},
        {"http://github.io/", "github.io", "github.io", 1},
        {"http://localhost/", "localhost", "localhost", 1},
        {"http://a.localhost/", "localhost", NULL, 0},
        /* IP addresses are host-only */
        {"http://192.168.0.1/", NULL, "192.168.0.1", 1},
        {"http://192.168.0.1/", "192.168.0.1", "192.168.0.1", 1},
        {"http://192.168.0.1/", "168.0.1", NULL, 0},
        {"http://192.168.0.1/", "0.1", NULL, 0},
        {"http://[::1]/", "::1", "::1", 1},
        {"http://[::1]/", "1", NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sc[256];
        snprintf(sc, sizeof sc, "a=1%s%s", cases[i].attr ? "; Domain=" : "", cases[i].attr ? cases[i].attr : "");
        httpx_cookie_jar_t *jar = jar_new();
        store(jar, cases[i].url, sc);
        if (!cases[i].domain) {
            if (httpx_cookie_jar_count(jar) != 0)
                fail_msg("case %zu %s \"%s\": stored", i, cases[i].url, sc);
        } else {
            httpx_cookie_t c;
            if (httpx_cookie_jar_at(jar, 0, &c) != 0)
                fail_msg("case %zu %s \"%s\": refused", i, cases[i].url, sc);
            assert_string_equal(c.domain, cases[i].domain);
            assert_int_equal(!!(c.flags & HTTPX_COOKIE_HOST_ONLY), cases[i].host_only);
        }
        httpx_cookie_jar_free(jar);
    }
}

static void test_domain_matching(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    store(jar, "http://www.example.com/", "host=1");
    store(jar, "http://www.example.com/", "dom=1; Domain=example.com");
    static const struct {
        const char *url, *header;
    } cases[] = {
        {"http://www.example.com/", "host=1; dom=1"},
        {"http://WWW.EXAMPLE.COM/", "host=1; dom=1"},
        {"http://example.com/", "dom=1"},
        {"http://a.b.example.com/", "dom=1"},
        {"http://sub.www.example.com/", "dom=1"},
        {"http://notexample.com/", ""},
        {"http://example.com.evil.org/", ""},
        {"http://www.example.co/", ""},
        {"http://www.example.com:8080/", "host=1; dom=1"}, /* ports do not matter */
        {"https://www.example.com/", "host=1; dom=1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *h = header(jar, cases[i].url);
        if (strcmp(h, cases[i].header) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].url, h, cases[i].header);
    }
    httpx_cookie_jar_free(jar);

    /* the matcher itself */
    assert_true(httpx__cookie_domain_match("a.example.com", false, "example.com", 11));
    assert_true(httpx__cookie_domain_match("example.com", false, "example.com", 11));
    assert_false(httpx__cookie_domain_match("xexample.com", false, "example.com", 11));
    assert_false(httpx__cookie_domain_match("example.com", false, "a.example.com", 13));
    assert_false(httpx__cookie_domain_match("1.2.3.4", true, "2.3.4", 5));
    assert_true(httpx__cookie_domain_match("1.2.3.4", true, "1.2.3.4", 7));
    assert_false(httpx__cookie_domain_match("example.com", false, "", 0));
}

/* ---- paths ---------------------------------------------------------------------------- */

static void test_paths(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } defaults[] = {
        {"/", "/"}, {"", "/"}, {"x", "/"}, {"/a", "/"}, {"/a/b", "/a"}, {"/a/b/", "/a/b"},
        {"/a/b/c", "/a/b"}, {"//", "/"}, {"/docs/web/index.html", "/docs/web"},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        httpx__slice_t s = httpx__cookie_default_path(defaults[i].in);
        if (s.len != strlen(defaults[i].out) || memcmp(s.ptr, defaults[i].out, s.len) != 0)
            fail_msg("default-path of \"%s\": \"%.*s\"", defaults[i].in, (int)s.len, s.ptr);
    }
    static const struct {
        const char *req, *cookie;
        bool match;
    } matches[] = {
        {"/", "/", true},        {"/a", "/", true},     {"/a", "/a", true},
        {"/a/", "/a", true},     {"/a/b", "/a", true},  {"/ab", "/a", false},
        {"/a", "/a/", false},    {"/a/b", "/a/", true}, {"/A", "/a", false},
        {"/", "/a", false},      {"/a/b/c", "/a/b", true}, {"/a/bc", "/a/b", false},
        {"/a/b/", "/a/b/", true},
    };
    for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++)
        if (httpx__cookie_path_match(matches[i].req, matches[i].cookie) != matches[i].match)
            fail_msg("path-match(\"%s\", \"%s\")", matches[i].req, matches[i].cookie);

    httpx_cookie_jar_t *jar = jar_new();
    store(jar, "http://example.com/docs/web/index.html", "d=1");
    store(jar, "http://example.com/", "r=1; Path=/docs");
    store(jar, "http://example.com/", "x=1; Path=/docs/web/index.html");
    assert_string_equal(cookie_named(jar, "d").path, "/docs/web");
    assert_string_equal(header(jar, "http://example.com/docs/web/x"), "d=1; r=1");
    assert_string_equal(header(jar, "http://example.com/docs/web"), "d=1; r=1");
    assert_string_equal(header(jar, "http://example.com/docs/web/index.html?q=1"), "x=1; d=1; r=1");
    assert_string_equal(header(jar, "http://example.com/docs"), "r=1");
    assert_string_equal(header(jar, "http://example.com/docsx"), "");
    assert_string_equal(header(jar, "http://example.com/"), "");
    httpx_cookie_jar_free(jar);
}

/* Longer paths first, then earlier creation; a replaced cookie keeps its place. */
static void test_order_and_replace(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    const char *u = "http://example.com/";
    store(jar, u, "c=1");
    store(jar, u, "d=2");
    store(jar, u, "b=3; Path=/a");
    store(jar, u, "e=4; Path=/a/b");
    assert_string_equal(header(jar, "http://example.com/a/b/c"), "e=4; b=3; c=1; d=2");
    store(jar, u, "c=9; HttpOnly");
    assert_int_equal(httpx_cookie_jar_count(jar), 4);
    assert_string_equal(header(jar, "http://example.com/a/b/c"), "e=4; b=3; c=9; d=2");
    assert_int_equal(cookie_named(jar, "c").flags, HTTPX_COOKIE_HOST_ONLY | HTTPX_COOKIE_HTTPONLY);
    /* same name, other path: a second cookie */
    store(jar, u, "c=7; Path=/a");
    assert_int_equal(httpx_cookie_jar_count(jar), 5);
    assert_string_equal(header(jar, "http://example.com/a/"), "b=3; c=7; c=9; d=2");
    httpx_cookie_jar_free(jar);
}

/* ---- Secure, HttpOnly, SameSite, prefixes ----------------------------------------- */

static void test_secure(void **state)
{
    (void)state;
    assert_int_equal(stored_one("http://example.com/", "a=1; Secure"), 0);
    assert_int_equal(stored_one("https://example.com/", "a=1; Secure"), 1);
    assert_int_equal(stored_one("http://localhost/", "a=1; Secure"), 1);
    assert_int_equal(stored_one("http://app.localhost:3000/", "a=1; Secure"), 1);
    assert_int_equal(stored_one("http://127.0.0.1/", "a=1; Secure"), 1);
    assert_int_equal(stored_one("http://[::1]/", "a=1; Secure"), 1);
    assert_int_equal(stored_one("http://localhost.example.com/", "a=1; Secure"), 0);

    httpx_cookie_jar_t *jar = jar_new();
    store(jar, "https://example.com/", "s=1; Secure");
    store(jar, "https://example.com/", "p=1");
    assert_string_equal(header(jar, "https://example.com/"), "s=1; p=1");
    assert_string_equal(header(jar, "http://example.com/"), "p=1");
    /* http cannot overwrite or shadow a Secure cookie (6265bis §5.7) */
    store(jar, "http://example.com/", "s=evil");
    store(jar, "http://example.com/", "s=evil; Path=/deeper");
    store(jar, "http://sub.example.com/", "s=evil; Domain=example.com");
    assert_int_equal(httpx_cookie_jar_count(jar), 2);
    assert_string_equal(header(jar, "https://example.com/deeper"), "s=1; p=1");
    /* https can */
    store(jar, "https://example.com/", "s=2"); /* replaced: keeps its creation order */
    assert_string_equal(header(jar, "http://example.com/"), "s=2; p=1");
    httpx_cookie_jar_free(jar);

    jar = jar_new();
    store(jar, "http://localhost/", "s=1; Secure");
    assert_string_equal(header(jar, "http://localhost:8080/"), "s=1");
    httpx_cookie_jar_free(jar);
}

static void test_samesite_httponly(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    const char *u = "https://example.com/";
    store(jar, u, "a=1; SameSite=Strict");
    store(jar, u, "b=1; SameSite=lax");
    store(jar, u, "c=1; SameSite=None; Secure");
    store(jar, u, "d=1; SameSite=None");          /* None needs Secure */
    store(jar, u, "e=1; SameSite=bogus");
    store(jar, u, "f=1; samesite=sTrIcT; httponly");
    store(jar, u, "g=1; SameSite=Lax; SameSite=");  /* last one wins: Default */
    assert_int_equal(httpx_cookie_jar_count(jar), 6);
    assert_int_equal(cookie_named(jar, "a").flags & HTTPX_COOKIE_SAMESITE_MASK, HTTPX_COOKIE_SAMESITE_STRICT);
    assert_int_equal(cookie_named(jar, "b").flags & HTTPX_COOKIE_SAMESITE_MASK, HTTPX_COOKIE_SAMESITE_LAX);
    assert_int_equal(cookie_named(jar, "c").flags,
                     HTTPX_COOKIE_HOST_ONLY | HTTPX_COOKIE_SECURE | HTTPX_COOKIE_SAMESITE_NONE);
    assert_int_equal(cookie_named(jar, "e").flags & HTTPX_COOKIE_SAMESITE_MASK, 0);
    assert_int_equal(cookie_named(jar, "f").flags,
                     HTTPX_COOKIE_HOST_ONLY | HTTPX_COOKIE_HTTPONLY | HTTPX_COOKIE_SAMESITE_STRICT);
    assert_int_equal(cookie_named(jar, "g").flags & HTTPX_COOKIE_SAMESITE_MASK, 0);
    /* SameSite does not filter a client's requests; HttpOnly cookies are sent over HTTP */
    assert_string_equal(header(jar, u), "a=1; b=1; c=1; e=1; f=1; g=1");
    httpx_cookie_jar_free(jar);
}

static void test_prefixes(void **state)
{
    (void)state;
    static const struct {
        const char *url, *sc;
        int stored;
    } cases[] = {
        {"https://example.com/", "__Secure-a=1; Secure", 1},
        {"https://example.com/", "__Secure-a=1", 0},
        {"http://example.com/", "__Secure-a=1; Secure", 0},
        {"https://example.com/", "__secure-a=1", 0},         /* case-insensitive */
        {"https://example.com/", "__Secure-a=1; Secure; Domain=example.com", 1},
        {"https://example.com/", "__Host-a=1; Secure; Path=/", 1},
        {"https://example.com/", "__Host-a=1; Secure", 0},   /* Path=/ required */
        {"https://example.com/", "__Host-a=1; Secure; Path=/x", 0},
        {"https://example.com/", "__Host-a=1; Path=/", 0},
        {"https://example.com/", "__Host-a=1; Secure; Path=/; Domain=example.com", 0},
        {"https://example.com/", "__HOST-a=1; Path=/", 0},
        {"https://example.com/", "__Host-a=1; Secure; Path=/; Max-Age=10", 1},
        {"https://example.com/", "__Secure-x", 0},           /* nameless with a prefix */
        {"https://example.com/", "=__Host-x; Secure; Path=/", 0},
        {"https://example.com/", "_Secure-a=1", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (stored_one(cases[i].url, cases[i].sc) != cases[i].stored)
            fail_msg("case %zu %s \"%s\"", i, cases[i].url, cases[i].sc);
}

/* ---- limits --------------------------------------------------------------------------- */

static void test_limits(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    char sc[64];
    for (int i = 0; i < HTTPX_COOKIE_MAX_PER_DOMAIN + 5; i++) {
        snprintf(sc, sizeof sc, "c%d=%d", i, i);
        store(jar, "http://example.com/", sc);
    }
    assert_int_equal(httpx_cookie_jar_count(jar), HTTPX_COOKIE_MAX_PER_DOMAIN);
    const char *v;
    for (int i = 0; i < 5; i++) { /* the oldest went */
        snprintf(sc, sizeof sc, "c%d", i);
        assert_int_equal(httpx_cookie_jar_get(jar, sc, NULL, &v), 0);
        assert_null(v);
    }
    assert_int_equal(httpx_cookie_jar_get(jar, "c5", NULL, &v), 0);
    assert_string_equal(v, "5");
    /* another domain is counted apart */
    store(jar, "http://other.com/", "o=1");
    assert_int_equal(httpx_cookie_jar_count(jar), HTTPX_COOKIE_MAX_PER_DOMAIN + 1);
    httpx_cookie_jar_clear(jar, NULL, NULL);

    /* the total: 61 domains of 50 */
    char url[64];
    for (int d = 0; d < 61; d++) {
        snprintf(url, sizeof url, "http://d%d.example/", d);
        for (int i = 0; i < HTTPX_COOKIE_MAX_PER_DOMAIN; i++) {
            snprintf(sc, sizeof sc, "c%d=%d", i, d);
            store(jar, url, sc);
        }
    }
    assert_int_equal(httpx_cookie_jar_count(jar), HTTPX_COOKIE_MAX_TOTAL);
    assert_string_equal(header(jar, "http://d0.example/"), "");    /* oldest domain evicted */
    httpx_cookie_t c;
    assert_int_equal(httpx_cookie_jar_at(jar, 0, &c), 0);
    assert_string_equal(c.domain, "d1.example");
    assert_string_equal(c.name, "c0");
    httpx_cookie_jar_free(jar);
}

/* ---- the caller's API ----------------------------------------------------------------- */

static void test_api(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    const char *v = "x";
    assert_int_equal(httpx_cookie_jar_set(jar, "a", "1", NULL, NULL), 0);
    assert_int_equal(httpx_cookie_jar_set(jar, "b", "2", ".example.org", "/p"), 0);
    assert_int_equal(httpx_cookie_jar_set(jar, "b", "3", "other.org", NULL), 0);
    assert_int_equal(httpx_cookie_jar_count(jar), 3);
    assert_int_equal(httpx_cookie_jar_get(jar, "a", NULL, &v), 0);
    assert_string_equal(v, "1");
    assert_int_equal(httpx_cookie_jar_get(jar, "b", NULL, &v), HTTPX_E_COOKIE_CONFLICT);
    assert_null(v);
    assert_int_equal(httpx_cookie_jar_get(jar, "b", "example.org", &v), 0);
    assert_string_equal(v, "2");
    assert_int_equal(httpx_cookie_jar_get(jar, "b", ".OTHER.org", &v), 0);
    assert_string_equal(v, "3");
    assert_int_equal(httpx_cookie_jar_get(jar, "B", NULL, &v), 0);
    assert_null(v);
    /* a cookie without domain goes to every host; a domain cookie to subdomains too */
    assert_string_equal(header(jar, "http://anything.test/"), "a=1");
    assert_string_equal(header(jar, "http://www.example.org/p/q"), "b=2; a=1");
    assert_string_equal(header(jar, "http://other.org/"), "a=1; b=3");
    /* same name, domain and path: replaced */
    assert_int_equal(httpx_cookie_jar_set(jar, "a", "9", "", "/"), 0);
    assert_int_equal(httpx_cookie_jar_count(jar), 3);
    assert_int_equal(httpx_cookie_jar_get(jar, "a", NULL, &v), 0);
    assert_string_equal(v, "9");

    httpx_cookie_t c;
    assert_int_equal(httpx_cookie_jar_at(jar, 1, &c), 0);
    assert_string_equal(c.name, "b");
    assert_string_equal(c.value, "2");
    assert_string_equal(c.domain, "example.org");
    assert_string_equal(c.path, "/p");
    assert_int_equal(c.expires, 0);
    assert_int_equal(c.flags, 0);
    assert_int_equal(httpx_cookie_jar_at(jar, 3, &c), HTTPX_E_INVAL);

    /* delete and clear */
    assert_int_equal(httpx_cookie_jar_delete(jar, "b", "nope.org", NULL), 0);
    assert_int_equal(httpx_cookie_jar_delete(jar, "b", NULL, "/p"), 1);
    assert_int_equal(httpx_cookie_jar_set(jar, "z", "1", "other.org", "/z"), 0);
    httpx_cookie_jar_clear(jar, "other.org", "/");
    assert_int_equal(httpx_cookie_jar_count(jar), 2);
    httpx_cookie_jar_clear(jar, ".other.org", NULL);
    assert_int_equal(httpx_cookie_jar_count(jar), 1);
    assert_int_equal(httpx_cookie_jar_delete(jar, "a", NULL, NULL), 1);
    assert_int_equal(httpx_cookie_jar_count(jar), 0);

    /* add: every field */
    httpx_cookie_t in = {"s", "v", "Example.NET", "/", NOW + 1000000000, HTTPX_COOKIE_SECURE | HTTPX_COOKIE_HOST_ONLY};
    assert_int_equal(httpx_cookie_jar_add(jar, &in), 0);
    assert_string_equal(header(jar, "https://example.net/"), "s=v");
    assert_string_equal(header(jar, "https://www.example.net/"), "");
    assert_string_equal(header(jar, "http://example.net/"), "");
    in.expires = 1; /* expired: deletes */
    assert_int_equal(httpx_cookie_jar_add(jar, &in), 0);
    assert_int_equal(httpx_cookie_jar_count(jar), 0);
    in.domain = "";
    in.expires = 0;
    assert_int_equal(httpx_cookie_jar_add(jar, &in), HTTPX_E_INVAL); /* host-only needs a domain */
    in.flags = 0x100;
    in.domain = "a.b";
    assert_int_equal(httpx_cookie_jar_add(jar, &in), HTTPX_E_INVAL);
    httpx_cookie_jar_free(jar);
}

/* CR, LF, NUL (a C string cannot hold one: the file loader checks it) and other
 * bytes that would change the header or the file are refused. */
static void test_api_refuses(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    static const char *const bad[][4] = {
        {"a\r", "1", NULL, NULL},   {"a\n", "1", NULL, NULL},   {"a", "1\r\n", NULL, NULL},
        {"a", "1\nSet-Cookie: x", NULL, NULL}, {"a", "1", "ex\rample.com", NULL},
        {"a", "1", NULL, "/\n"},    {"", "1", NULL, NULL},      {"a=b", "1", NULL, NULL},
        {"a;b", "1", NULL, NULL},   {"a b", "1", NULL, NULL},   {"a\tb", "1", NULL, NULL},
        {"a", "1;b=2", NULL, NULL}, {"a", "1", NULL, "relative"}, {"a", "1", "a b", NULL},
        {"a", "\x7f", NULL, NULL},  {"a", "1", "a/b", NULL},    {"a", "1", NULL, "/;"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (httpx_cookie_jar_set(jar, bad[i][0], bad[i][1], bad[i][2], bad[i][3]) != HTTPX_E_INVAL)
            fail_msg("case %zu accepted", i);
    char big[HTTPX_COOKIE_MAX_PAIR + 2];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(httpx_cookie_jar_set(jar, "n", big + 2, NULL, NULL), 0); /* 1 + 4095 */
    assert_int_equal(httpx_cookie_jar_set(jar, "n", big + 1, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_count(jar), 1);

    /* NULL arguments */
    const char *v;
    httpx_cookie_t c;
    assert_int_equal(httpx_cookie_jar_new(NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(NULL, "a", "b", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, NULL, "b", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_add(jar, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_get(NULL, "a", NULL, &v), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_get(jar, "a", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_at(NULL, 0, &c), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_at(jar, 0, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_delete(NULL, "a", NULL, NULL), 0);
    assert_int_equal(httpx_cookie_jar_count(NULL), 0);
    assert_int_equal(httpx_cookie_jar_load(NULL, "x", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_save(jar, NULL, NULL), HTTPX_E_INVAL);
    httpx_url_t *u = url_of("http://example.com/");
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__cookie_jar_store(NULL, u, "a=b", 3, NOW), HTTPX_E_INVAL);
    assert_int_equal(httpx__cookie_jar_store(jar, NULL, "a=b", 3, NOW), HTTPX_E_INVAL);
    assert_int_equal(httpx__cookie_jar_header(jar, u, NOW, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__cookie_jar_header(NULL, u, NOW, &b), HTTPX_E_INVAL);
    httpx_cookie_jar_clear(NULL, NULL, NULL);
    httpx_cookie_jar_free(NULL);
    httpx_url_free(u);
    httpx_cookie_jar_free(jar);
}

/* The header respects the buffer's cap. */
static void test_header_cap(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar = jar_new();
    store(jar, "http://example.com/", "a=0123456789");
    store(jar, "http://example.com/", "b=0123456789");
    httpx_url_t *u = url_of("http://example.com/");
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 20);
    assert_int_equal(httpx__cookie_jar_header(jar, u, NOW, &b), HTTPX_E_BODY_LIMIT);
    httpx__buf_release(&b);
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__buf_append_str(&b, "k=v; "), 0); /* appends after what is there */
    assert_int_equal(httpx__cookie_jar_header(jar, u, NOW, &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "k=v; a=0123456789; b=0123456789");
    httpx__buf_release(&b);
    httpx_url_free(u);
    httpx_cookie_jar_free(jar);
}

/* ---- Netscape cookie files ----------------------------------------------------------- */

static char *temp_path(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/httpx-cookies-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return path;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static char *read_file(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_netscape_roundtrip(void **state)
{
    (void)state;
    int64_t now = (int64_t)time(NULL);
    httpx_cookie_jar_t *jar = jar_new();
    store_at(jar, "https://www.example.com/a/b", "host=1; Secure; HttpOnly; Max-Age=3600", now);
    store_at(jar, "https://www.example.com/", "dom=2; Domain=example.com; Path=/", now);
    store_at(jar, "http://example.org/", "session=x y", now);
    store_at(jar, "http://example.org/", "tab=a\tb", now);
    store_at(jar, "http://example.org/", "nameless", now);
    store_at(jar, "http://example.org/", "gone=1; Max-Age=1", now - 10); /* expired by now */
    assert_int_equal(httpx_cookie_jar_set(jar, "any", "1", NULL, NULL), 0);
    size_t n = httpx_cookie_jar_count(jar);
    assert_int_equal(n, 7);

    char *path = temp_path();
    httpx_error_t err = {0};
    assert_int_equal(httpx_cookie_jar_save(jar, path, &err), 0);
    char expect[512];
    snprintf(expect, sizeof expect, "#HttpOnly_www.example.com\tFALSE\t/a\tTRUE\t%lld\thost\t1\n",
             (long long)(now + 3600));
    const char *text = read_file(path);
    assert_non_null(strstr(text, "# Netscape HTTP Cookie File\n"));
    assert_non_null(strstr(text, expect));
    assert_non_null(strstr(text, "\n.example.com\tTRUE\t/\tFALSE\t0\tdom\t2\n"));
    assert_non_null(strstr(text, "\nexample.org\tFALSE\t/\tFALSE\t0\tsession\tx y\n"));
    assert_non_null(strstr(text, "\n\tTRUE\t/\tFALSE\t0\tany\t1\n"));
    assert_null(strstr(text, "gone"));

    httpx_cookie_jar_t *back = jar_new();
    assert_int_equal(httpx_cookie_jar_load(back, path, &err), 0);
    assert_int_equal(httpx_cookie_jar_count(back), 6);
    for (size_t i = 0, j = 0; i < n; i++) {
        httpx_cookie_t a, b;
        assert_int_equal(httpx_cookie_jar_at(jar, i, &a), 0);
        if (strcmp(a.name, "gone") == 0)
            continue;
        assert_int_equal(httpx_cookie_jar_at(back, j++, &b), 0);
        assert_string_equal(a.name, b.name);
        assert_string_equal(a.value, b.value);
        assert_string_equal(a.domain, b.domain);
        assert_string_equal(a.path, b.path);
        assert_int_equal(a.expires, b.expires);
        assert_int_equal(a.flags, b.flags);
    }
    assert_string_equal(header_at(back, "https://www.example.com/a/b", now), "host=1; dom=2; any=1");
    assert_string_equal(header_at(back, "http://example.org/", now), "session=x y; tab=a\tb; nameless; any=1");
    httpx_cookie_jar_free(back);
    httpx_cookie_jar_free(jar);
    unlink(path);
}

static void test_netscape_load(void **state)
{
    (void)state;
    const char text[] =
        "# Netscape HTTP Cookie File\r\n"
        "# https://curl.se/docs/http-cookies.html\r\n"
        "\r\n"
        ".example.com\tTRUE\t/\tFALSE\t0\tsid\tabc\r\n"
        "#HttpOnly_example.com\tFALSE\t/api\tTRUE\t4102444800\ttok\tt=1\n"
        "example.com\tFALSE\t/\tFALSE\t1\told\texpired\n" /* already expired: skipped */
        "   \n"
        "example.net\ttrue\t/\tfalse\t0\tempty\t\n"
        "example.net\tTRUE\t/\tFALSE\t0\t\tnameless"; /* no final newline */
    char *path = temp_path();
    write_file(path, text, sizeof text - 1);
    httpx_cookie_jar_t *jar = jar_new();
    assert_int_equal(httpx_cookie_jar_set(jar, "old", "keep", "example.com", NULL), 0);
    httpx_error_t err = {0};
    assert_int_equal(httpx_cookie_jar_load(jar, path, &err), 0);
    assert_int_equal(httpx_cookie_jar_count(jar), 5);
    httpx_cookie_t c = cookie_named(jar, "tok");
    assert_int_equal(c.flags, HTTPX_COOKIE_HOST_ONLY | HTTPX_COOKIE_HTTPONLY | HTTPX_COOKIE_SECURE);
    assert_int_equal(c.expires, 4102444800);
    assert_string_equal(c.value, "t=1");
    assert_string_equal(c.path, "/api");
    c = cookie_named(jar, "sid");
    assert_string_equal(c.domain, "example.com");
    assert_int_equal(c.flags, 0);
    assert_string_equal(cookie_named(jar, "old").value, "keep"); /* an expired line deletes nothing */
    assert_string_equal(cookie_named(jar, "empty").value, "");
    assert_string_equal(cookie_named(jar, "").value, "nameless");
    assert_string_equal(header(jar, "https://example.com/api/x"), "tok=t=1; old=keep; sid=abc");
    httpx_cookie_jar_free(jar);

    /* a missing file */
    jar = jar_new();
    assert_int_equal(httpx_cookie_jar_load(jar, "/nonexistent/dir/cookies.txt", &err), HTTPX_E_SYSTEM);
    assert_non_null(strstr(err.message, "/nonexistent/dir/cookies.txt"));
    assert_int_equal(httpx_cookie_jar_save(jar, "/nonexistent/dir/cookies.txt", &err), HTTPX_E_SYSTEM);
    httpx_cookie_jar_free(jar);
    unlink(path);
}

static void test_netscape_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        size_t len; /* 0: strlen */
    } bad[] = {
        {"example.com\tTRUE\t/\tFALSE\t0\tname\n", 0},        /* 6 fields */
        {"example.com TRUE / FALSE 0 name value\n", 0},      /* spaces */
        {"example.com\tMAYBE\t/\tFALSE\t0\tn\tv\n", 0},
        {"example.com\tTRUE\t/\tyes\t0\tn\tv\n", 0},
        {"example.com\tTRUE\t/\tFALSE\t12x\tn\tv\n", 0},
        {"example.com\tTRUE\t/\tFALSE\t\tn\tv\n", 0},
        {"example.com\tTRUE\t/\tFALSE\t99999999999999999999\tn\tv\n", 0},
        {"example.com\tTRUE\trel\tFALSE\t0\tn\tv\n", 0},
        {"example.com\tTRUE\t/\tFALSE\t0\tn\rx\tv\n", 0},     /* CR inside the name */
        {"example.com\tTRUE\t/\tFALSE\t0\tn\tv\rx\n", 0},     /* CR inside the value */
        {"example.com\tTRUE\t/\tFALSE\t0\tn\tv;w\n", 0},
        {"example.com\tTRUE\t/\tFALSE\t0\tn=m\tv\n", 0},
        {"\tFALSE\t/\tFALSE\t0\tn\tv\n", 0},                 /* host-only without host */
        {"example.com\tTRUE\t/\tFALSE\t0\tn\tv\0x\n", 28},    /* NUL */
        {"#HttpOnly_\n", 0},
    };
    char *path = temp_path();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        const char *good = "# comment\n.example.org\tTRUE\t/\tFALSE\t0\tok\t1\n";
        size_t gl = strlen(good), bl = bad[i].len ? bad[i].len : strlen(bad[i].line);
        memcpy(text, good, gl);
        memcpy(text + gl, bad[i].line, bl);
        write_file(path, text, gl + bl);
        httpx_cookie_jar_t *jar = jar_new();
        assert_int_equal(httpx_cookie_jar_set(jar, "mine", "1", NULL, NULL), 0);
        httpx_error_t err = {0};
        int rc = httpx_cookie_jar_load(jar, path, &err);
        if (rc != HTTPX_E_INVAL)
            fail_msg("case %zu: rc %d", i, rc);
        assert_int_equal(err.code, HTTPX_E_INVAL);
        if (!strstr(err.message, " line 3: "))
            fail_msg("case %zu: \"%s\"", i, err.message);
        assert_int_equal(httpx_cookie_jar_count(jar), 1); /* unchanged */
        httpx_cookie_jar_free(jar);
    }
    /* a line longer than 16 KiB */
    size_t big = 20000;
    char *text = malloc(big);
    memset(text, 'x', big);
    write_file(path, text, big);
    free(text);
    httpx_cookie_jar_t *jar = jar_new();
    httpx_error_t err = {0};
    assert_int_equal(httpx_cookie_jar_load(jar, path, &err), HTTPX_E_INVAL);
    assert_non_null(strstr(err.message, "line 1: line too long"));
    httpx_cookie_jar_free(jar);
    unlink(path);
}

/* ---- allocation failures ------------------------------------------------------------- */


/* Run a scenario with the k-th allocation failing; true when nothing failed. */
static bool alloc_scenario(long k, const char *path)
{
    counting_t c = {.fail_at = k};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx_cookie_jar_t *jar = NULL;
    int rc = httpx_cookie_jar_new(&a, &jar);
    if (rc) {
        assert_int_equal(rc, HTTPX_E_NOMEM);
        assert_null(jar);
        assert_int_equal(c.live, 0);
        return false;
    }
    httpx_url_t *u = url_of("https://www.example.com/a/b");
    int64_t now = (int64_t)time(NULL); /* save and load look at the clock */
    static const char *const sc[] = {
        "a=1", "b=2; Domain=example.com; Path=/", "c=3; Secure; HttpOnly; Max-Age=100",
        "a=4", "d=; Max-Age=0", "e=5; Path=/a",
    };
    bool failed = false;
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        size_t before = httpx_cookie_jar_count(jar);
        rc = httpx__cookie_jar_store(jar, u, sc[i], strlen(sc[i]), now);
        if (rc) {
            assert_int_equal(rc, HTTPX_E_NOMEM);
            assert_int_equal(httpx_cookie_jar_count(jar), before);
            failed = true;
        }
    }
    rc = httpx_cookie_jar_set(jar, "s", "1", "example.com", NULL);
    if (rc) {
        assert_int_equal(rc, HTTPX_E_NOMEM);
        failed = true;
    }
    httpx__buf_t b;
    httpx__buf_init(&b, &a, 0);
    rc = httpx__cookie_jar_header(jar, u, now, &b);
    if (rc) {
        assert_int_equal(rc, HTTPX_E_NOMEM);
        failed = true;
    }
    httpx__buf_release(&b);
    httpx_error_t err;
    rc = httpx_cookie_jar_save(jar, path, &err);
    if (rc) {
        assert_int_equal(rc, HTTPX_E_NOMEM);
        failed = true;
    }
    size_t before = httpx_cookie_jar_count(jar);
    httpx_cookie_jar_clear(jar, NULL, NULL);
    rc = httpx_cookie_jar_load(jar, path, &err);
    if (rc) {
        assert_int_equal(rc, HTTPX_E_NOMEM);
        assert_int_equal(err.code, HTTPX_E_NOMEM);
        assert_int_equal(httpx_cookie_jar_count(jar), 0);
        failed = true;
    } else if (!failed) {
        assert_int_equal(httpx_cookie_jar_count(jar), before);
    }
    httpx_url_free(u);
    httpx_cookie_jar_free(jar);
    assert_int_equal(c.live, 0);
    return !failed && c.calls < k;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    char *path = temp_path();
    long k;
    for (k = 1; k < 500; k++)
        if (alloc_scenario(k, path))
            break;
    assert_true(k > 20 && k < 500); /* every allocation was failed once, then a clean run */
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_parse_edges),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_max_age_expires),
        cmocka_unit_test(test_deletion),
        cmocka_unit_test(test_domain_attribute),
        cmocka_unit_test(test_domain_matching),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_order_and_replace),
        cmocka_unit_test(test_secure),
        cmocka_unit_test(test_samesite_httponly),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_api_refuses),
        cmocka_unit_test(test_header_cap),
        cmocka_unit_test(test_netscape_roundtrip),
        cmocka_unit_test(test_netscape_load),
        cmocka_unit_test(test_netscape_malformed),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
