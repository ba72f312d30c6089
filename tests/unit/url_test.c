/* url_test.c — RFC 3986 parsing, normalisation, resolution (§5.4), encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "url/internal.h"
#include "url/url.h"
#include "unit/counting_alloc.h"

/* ---- helpers ------------------------------------------------------------ */

static httpx_url_t *parse_ok(const char *text)
{
    httpx_url_t *u = NULL;
    httpx_error_t e = {0};
    int rc = httpx_url_parse(text, NULL, &u, &e);
    if (rc)
        fail_msg("parse \"%s\": %s (%s)", text, httpx_err_name(rc), e.message);
    return u;
}

static void expect_str(const char *text, const char *want)
{
    httpx_url_t *u = parse_ok(text);
    if (strcmp(httpx_url_str(u), want))
        fail_msg("parse \"%s\": got \"%s\", want \"%s\"", text, httpx_url_str(u), want);
    httpx_url_free(u);
}

/* Parse must fail with INVALID_URL and a message containing `needle`. */
static void expect_invalid(const char *text, const char *needle)
{
    httpx_url_t *u = (httpx_url_t *)1;
    httpx_error_t e = {0};
    int rc = httpx_url_parse(text, NULL, &u, &e);
    if (rc != HTTPX_E_INVALID_URL)
        fail_msg("parse \"%s\": rc %s, want INVALID_URL", text, httpx_err_name(rc));
    assert_null(u);
    assert_int_equal(e.code, HTTPX_E_INVALID_URL);
    assert_int_equal(e.phase, HTTPX_PHASE_SETUP);
    if (!strstr(e.message, needle))
        fail_msg("parse \"%s\": message \"%s\" lacks \"%s\"", text, e.message, needle);
    /* error text discipline: lower case start, no final full stop */
    size_t n = strlen(e.message);
    assert_true(n > 0 && e.message[n - 1] != '.');
    assert_false(e.message[0] >= 'A' && e.message[0] <= 'Z');
}

/* ---- parsing ------------------------------------------------------------ */

static void test_parse_components(void **state)
{
    (void)state;
    httpx_url_t *u = parse_ok("HTTPS://User:Pa%73s@Example.ORG:8443/a/b?x=1&y=2#frag");
    assert_string_equal(httpx_url_scheme(u), "https");
    assert_string_equal(httpx_url_userinfo(u), "User:Pass");
    assert_string_equal(httpx_url_host(u), "example.org");
    assert_int_equal(httpx_url_port(u), 8443);
    assert_string_equal(httpx_url_path(u), "/a/b");
    assert_string_equal(httpx_url_query(u), "x=1&y=2");
    assert_string_equal(httpx_url_fragment(u), "frag");
    assert_string_equal(httpx_url_target(u), "/a/b?x=1&y=2");
    assert_string_equal(httpx_url_str(u), "https://User:Pass@example.org:8443/a/b?x=1&y=2#frag");
    assert_string_equal(u->authority, "example.org:8443");
    assert_string_equal(u->origin, "https://example.org:8443");
    assert_true(u->has_port);
    assert_true(u->has_query);
    assert_true(u->has_fragment);
    assert_false(u->host_is_ip);
    httpx_url_free(u);
}

static void test_parse_defaults(void **state)
{
    (void)state;
    httpx_url_t *u = parse_ok("http://example.org");
    assert_string_equal(httpx_url_str(u), "http://example.org/");
    assert_string_equal(httpx_url_path(u), "/");
    assert_string_equal(httpx_url_target(u), "/");
    assert_string_equal(httpx_url_query(u), "");
    assert_string_equal(httpx_url_fragment(u), "");
    assert_null(httpx_url_userinfo(u));
    assert_int_equal(httpx_url_port(u), 80);
    assert_false(u->has_port);
    assert_false(u->has_query);
    assert_string_equal(u->authority, "example.org");
    assert_string_equal(u->origin, "http://example.org:80");
    httpx_url_free(u);

    u = parse_ok("https://example.org?q");
    assert_string_equal(httpx_url_target(u), "/?q");
    assert_int_equal(httpx_url_port(u), 443);
    assert_string_equal(u->origin, "https://example.org:443");
    httpx_url_free(u);

    /* empty query and fragment are kept as written */
    expect_str("http://x/?#", "http://x/?#");
    u = parse_ok("http://x/?");
    assert_true(u->has_query);
    assert_string_equal(httpx_url_target(u), "/?");
    httpx_url_free(u);
}

static void test_parse_default_port_stripped(void **state)
{
    (void)state;
    httpx_url_t *u = parse_ok("http://example.org:80/x");
    assert_string_equal(httpx_url_str(u), "http://example.org/x");
    assert_string_equal(u->authority, "example.org");
    assert_string_equal(u->origin, "http://example.org:80");
    assert_true(u->has_port);
    assert_int_equal(httpx_url_port(u), 80);
    httpx_url_free(u);
    expect_str("https://example.org:443/", "https://example.org/");
    expect_str("https://example.org:80/", "https://example.org:80/");
    expect_str("http://example.org:/", "http://example.org/"); /* empty port = default */
    expect_str("http://example.org:65535/", "http://example.org:65535/");
    expect_str("http://example.org:00080/", "http://example.org/");
}

static void test_parse_ip_hosts(void **state)
{
    (void)state;
    httpx_url_t *u = parse_ok("http://[::1]:8080/x");
    assert_string_equal(httpx_url_host(u), "::1");
    assert_string_equal(u->authority, "[::1]:8080");
    assert_string_equal(u->origin, "http://[::1]:8080");
    assert_string_equal(httpx_url_str(u), "http://[::1]:8080/x");
    assert_true(u->host_is_ip);
    httpx_url_free(u);

    u = parse_ok("http://[2001:DB8:0:0:0:0:0:1]/");
    assert_string_equal(httpx_url_host(u), "2001:db8::1"); /* RFC 5952 form */
    assert_string_equal(u->authority, "[2001:db8::1]");
    assert_string_equal(u->origin, "http://[2001:db8::1]:80");
    httpx_url_free(u);

    u = parse_ok("http://[::ffff:192.0.2.1]/");
    assert_string_equal(httpx_url_host(u), "::ffff:192.0.2.1");
    httpx_url_free(u);

    u = parse_ok("http://127.0.0.1:9/");
    assert_string_equal(httpx_url_host(u), "127.0.0.1");
    assert_true(u->host_is_ip);
    assert_string_equal(u->origin, "http://127.0.0.1:9");
    httpx_url_free(u);

    u = parse_ok("http://1.2.3.example/");
    assert_false(u->host_is_ip);
    httpx_url_free(u);
}

static void test_parse_idna(void **state)
{
    (void)state;
    httpx_url_t *u = parse_ok("http://B\xc3\xbc" "cher.example/");
    assert_string_equal(httpx_url_host(u), "xn--bcher-kva.example");
    assert_string_equal(httpx_url_str(u), "http://xn--bcher-kva.example/");
    httpx_url_free(u);
    /* percent-encoded UTF-8 in the host is decoded before IDNA */
    u = parse_ok("http://b%C3%BCcher.example/");
    assert_string_equal(httpx_url_host(u), "xn--bcher-kva.example");
    httpx_url_free(u);
    u = parse_ok("http://\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88/");
    assert_string_equal(httpx_url_host(u), "xn--r8jz45g.xn--zckzah");
    httpx_url_free(u);
    /* already-encoded A-labels pass through */
    expect_str("http://XN--BCHER-KVA.example/", "http://xn--bcher-kva.example/");
}

static void test_parse_percent_normalisation(void **state)
{
    (void)state;
    expect_str("http://x/%7euser/%2f%41%62?q=%3d%7E#%7e%2a", "http://x/~user/%2FAb?q=%3D~#~%2A");
    expect_str("http://x/a b", "http://x/a%20b");
    expect_str("http://x/a b?c d#e f", "http://x/a%20b?c%20d#e%20f");
    expect_str("http://x/caf\xc3\xa9", "http://x/caf%C3%A9");
    expect_str("http://x/%zz%", "http://x/%25zz%25");   /* stray '%' is encoded */
    expect_str("http://x/%4", "http://x/%254");
    expect_str("http://x/\"<>`{}|\\^", "http://x/%22%3C%3E%60%7B%7D%7C%5C%5E");
    /* characters the components allow stay as they are */
    expect_str("http://x/!$&'()*+,;=:@[]?/?:@!$&'()*+,;=#/?#", "http://x/!$&'()*+,;=:@[]?/?:@!$&'()*+,;=#/?#");
    expect_str("http://a%20b:p@x/", "http://a%20b:p@x/");
    expect_str("http://a b:p@x/", "http://a%20b:p@x/");
    expect_str("http://u:p@ss@x/", "http://u:p%40ss@x/"); /* the last '@' ends the userinfo */
}

static void test_parse_dot_segments(void **state)
{
    (void)state;
    expect_str("http://x/a/./b/../c", "http://x/a/c");
    expect_str("http://x/../../a", "http://x/a");
    expect_str("http://x/a/..", "http://x/");
    expect_str("http://x/a/%2e%2E/b", "http://x/b"); /* escaped dots are dots */
    expect_str("http://x/a/.", "http://x/a/");
    expect_str("http://x/a//b", "http://x/a//b");
    expect_str("http://x/a?b/../c", "http://x/a?b/../c"); /* not in the query */
}

static void test_parse_other_schemes(void **state)
{
    (void)state;
    httpx_url_t *u = parse_ok("mailto:Someone@Example.com");
    assert_string_equal(httpx_url_scheme(u), "mailto");
    assert_string_equal(httpx_url_path(u), "Someone@Example.com");
    assert_string_equal(httpx_url_host(u), "");
    assert_string_equal(u->origin, "");
    assert_string_equal(u->authority, "");
    assert_int_equal(httpx_url_port(u), 0);
    assert_string_equal(httpx_url_str(u), "mailto:Someone@Example.com");
    httpx_url_free(u);
    expect_str("urn:a/../b", "urn:a/../b");
    expect_str("FTP://Host/a", "ftp://host/a");
    expect_str("ws://h:80", "ws://h");
    expect_str("foo://h", "foo://h");
    expect_str("file:///etc/hosts", "file:///etc/hosts");
    u = parse_ok("foo://h:5/");
    assert_string_equal(u->origin, "foo://h:5");
    httpx_url_free(u);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_invalid("http://x:99999/", "invalid port \"99999\" in url");
    expect_invalid("http://x:65536/", "invalid port \"65536\"");
    expect_invalid("http://x:0/", "invalid port \"0\""); /* nothing listens on port 0 */
    expect_invalid("http://x:00000/", "invalid port \"00000\"");
    expect_invalid("http://x:8a/", "invalid port \"8a\"");
    expect_invalid("http://x:-1/", "invalid port \"-1\"");
    expect_invalid("http:///x", "missing host in url \"http:///x\"");
    expect_invalid("https://user@/x", "missing host");
    expect_invalid("http://:80/", "missing host");
    expect_invalid("http:/x", "missing \"//\" after \"http:\" in url \"http:/x\"");
    expect_invalid("http:x", "missing \"//\"");
    expect_invalid("HTTPS:x", "after \"https:\"");
    expect_invalid("http://[::g]/", "invalid ipv6 address \"[::g]\" in url");
    expect_invalid("http://[::1/", "invalid ipv6 address");
    expect_invalid("http://[::1]x/", "after ipv6 address");
    expect_invalid("http://[]/", "invalid ipv6 address \"[]\"");
    expect_invalid("http://[fe80::1%25eth0]/", "invalid ipv6 address");
    expect_invalid("http://[1:2:3:4:5:6:7:8:9]/", "invalid ipv6 address");
    expect_invalid("http://a%zzb/", "invalid percent-encoding in url host \"a%zzb\"");
    expect_invalid("http://a%2/", "invalid percent-encoding in url host");
    expect_invalid("http://a%2fb/", "invalid character in url host");
    expect_invalid("http://a b/", "invalid character in url host \"a b\"");
    expect_invalid("http://a<b/", "invalid character in url host");
    expect_invalid("http://256.1.1.1/", "invalid ipv4 address \"256.1.1.1\" in url");
    expect_invalid("http://01.1.1.1/", "invalid ipv4 address");
    expect_invalid("http://x/a\nb", "invalid non-printable character 0x0a at position 10 in url");
    expect_invalid("http://x/\t", "0x09");
    expect_invalid("http://x/\x7f", "0x7f");
    expect_invalid("http://x\r/", "0x0d");
    expect_invalid("\x01http://x/", "position 0");
    expect_invalid("example.org/x", "missing scheme in url \"example.org/x\"");
    expect_invalid("/relative", "missing scheme");
    expect_invalid("//host/x", "missing scheme");
    expect_invalid("1http://x", "invalid scheme \"1http\" in url");
    expect_invalid("", "empty url");
    expect_invalid("http://xn--a\xff.org/", "invalid international domain name");
}

static void test_parse_args(void **state)
{
    (void)state;
    httpx_url_t *u = NULL;
    httpx_error_t e;
    assert_int_equal(httpx_url_parse(NULL, NULL, &u, &e), HTTPX_E_INVAL);
    assert_int_equal(e.code, HTTPX_E_INVAL);
    assert_int_equal(httpx_url_parse("http://x/", NULL, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_parse("nope", NULL, &u, NULL), HTTPX_E_INVALID_URL);
    assert_null(u);
    httpx_url_free(NULL);
}

static void test_parse_too_long(void **state)
{
    (void)state;
    size_t n = HTTPX__URL_MAX_LEN + 1;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, "http://x/", 9);
    memset(s + 9, 'a', n - 9);
    s[n] = '\0';
    expect_invalid(s, "url too long");
    /* at the limit, with every byte tripling, it still parses */
    s[n - 1] = '\0';
    memset(s + 9, ' ', n - 10);
    httpx_url_t *u = parse_ok(s);
    assert_int_equal(strlen(httpx_url_path(u)), 1 + 3 * (n - 10));
    httpx_url_free(u);
    free(s);
}

/* Normalising a normalised URL changes nothing. */
static void test_idempotent(void **state)
{
    (void)state;
    static const char *const urls[] = {
        "HTTP://EXAMPLE.org:80/%7e/./a b/../c?%41 b#%7e x",
        "https://u:p@[2001:db8::1]:444/x/",
        "http://B\xc3\xbc" "cher.example/caf\xc3\xa9?q=\xc3\xa9",
        "http://x/%zz?%",
        "mailto:a@b",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        httpx_url_t *a = parse_ok(urls[i]);
        httpx_url_t *b = parse_ok(httpx_url_str(a));
        assert_string_equal(httpx_url_str(a), httpx_url_str(b));
        httpx_url_free(a);
        httpx_url_free(b);
    }
}

/* ---- remove_dot_segments ---------------------------------------------------- */

static void dots(const char *in, const char *want)
{
    char buf[128];
    size_t n = strlen(in);
    memcpy(buf, in, n);
    n = httpx__url_remove_dots(buf, n);
    buf[n] = '\0';
    if (strcmp(buf, want))
        fail_msg("remove_dots \"%s\": got \"%s\", want \"%s\"", in, buf, want);
}

static void test_remove_dots(void **state)
{
    (void)state;
    dots("/a/b/c/./../../g", "/a/g"); /* RFC 3986 §5.2.4 */
    dots("mid/content=5/../6", "mid/6");
    dots("", "");
    dots(".", "");
    dots("..", "");
    dots("/", "/");
    dots("/.", "/");
    dots("/..", "/");
    dots("/../..", "/");
    dots("./a", "a");
    dots("../a", "a");
    dots("a/..", "/");
    dots("/a/b/..", "/a/");
    dots("/a/b/.", "/a/b/");
    dots("/a/.b/..c/b..", "/a/.b/..c/b..");
    dots("//a/../b", "//b");
}

/* ---- resolution: RFC 3986 §5.4 ------------------------------------------------ */

static const char base_text[] = "http://a/b/c/d;p?q";

static void resolve(const char *ref, const char *want)
{
    httpx_url_t *base = parse_ok(base_text), *u = NULL;
    httpx_error_t e = {0};
    int rc = httpx_url_resolve(base, ref, &u, &e);
    if (rc)
        fail_msg("resolve \"%s\": %s (%s)", ref, httpx_err_name(rc), e.message);
    if (strcmp(httpx_url_str(u), want))
        fail_msg("resolve \"%s\": got \"%s\", want \"%s\"", ref, httpx_url_str(u), want);
    httpx_url_free(u);
    httpx_url_free(base);
}

static void test_resolve_normal(void **state)
{
    (void)state;
    resolve("g:h", "g:h");
    resolve("g", "http://a/b/c/g");
    resolve("./g", "http://a/b/c/g");
    resolve("g/", "http://a/b/c/g/");
    resolve("/g", "http://a/g");
    resolve("//g", "http://g/"); /* RFC: "http://g"; normalised with path "/" */
    resolve("?y", "http://a/b/c/d;p?y");
    resolve("g?y", "http://a/b/c/g?y");
    resolve("#s", "http://a/b/c/d;p?q#s");
    resolve("g#s", "http://a/b/c/g#s");
    resolve("g?y#s", "http://a/b/c/g?y#s");
    resolve(";x", "http://a/b/c/;x");
    resolve("g;x", "http://a/b/c/g;x");
    resolve("g;x?y#s", "http://a/b/c/g;x?y#s");
    resolve("", "http://a/b/c/d;p?q");
    resolve(".", "http://a/b/c/");
    resolve("./", "http://a/b/c/");
    resolve("..", "http://a/b/");
    resolve("../", "http://a/b/");
    resolve("../g", "http://a/b/g");
    resolve("../..", "http://a/");
    resolve("../../", "http://a/");
    resolve("../../g", "http://a/g");
}

static void test_resolve_abnormal(void **state)
{
    (void)state;
    resolve("../../../g", "http://a/g");
    resolve("../../../../g", "http://a/g");
    resolve("/./g", "http://a/g");
    resolve("/../g", "http://a/g");
    resolve("g.", "http://a/b/c/g.");
    resolve(".g", "http://a/b/c/.g");
    resolve("g..", "http://a/b/c/g..");
    resolve("..g", "http://a/b/c/..g");
    resolve("./../g", "http://a/b/g");
    resolve("./g/.", "http://a/b/c/g/");
    resolve("g/./h", "http://a/b/c/g/h");
    resolve("g/../h", "http://a/b/c/h");
    resolve("g;x=1/./y", "http://a/b/c/g;x=1/y");
    resolve("g;x=1/../y", "http://a/b/c/y");
    resolve("g?y/./x", "http://a/b/c/g?y/./x");
    resolve("g?y/../x", "http://a/b/c/g?y/../x");
    resolve("g#s/./x", "http://a/b/c/g#s/./x");
    resolve("g#s/../x", "http://a/b/c/g#s/../x");
    /* §5.4.2 allows either; the strict "http:g" has no authority, which an http
     * URL must have, so we take the backward-compatible reading. */
    resolve("http:g", "http://a/b/c/g");
}

static void test_resolve_more(void **state)
{
    (void)state;
    resolve("https://B.example:443/x/../y", "https://b.example/y");
    resolve("//user@H:81/p?q#f", "http://user@h:81/p?q#f");
    resolve("a b", "http://a/b/c/a%20b");
    resolve("HTTP:/x", "http://a/x");
    resolve("//[::1]", "http://[::1]/");

    /* base without a path, and a base fragment is never inherited */
    httpx_url_t *base = parse_ok("http://h?x#frag"), *u = NULL;
    assert_int_equal(httpx_url_resolve(base, "g", &u, NULL), 0);
    assert_string_equal(httpx_url_str(u), "http://h/g");
    httpx_url_free(u);
    assert_int_equal(httpx_url_resolve(base, "", &u, NULL), 0);
    assert_string_equal(httpx_url_str(u), "http://h/?x");
    httpx_url_free(u);
    httpx_url_free(base);

    /* a base with a non-default explicit port keeps it */
    base = parse_ok("http://h:8080/a/b");
    assert_int_equal(httpx_url_resolve(base, "c", &u, NULL), 0);
    assert_string_equal(httpx_url_str(u), "http://h:8080/a/c");
    assert_string_equal(u->origin, "http://h:8080");
    httpx_url_free(u);
    httpx_url_free(base);

    /* errors in the reference */
    base = parse_ok(base_text);
    httpx_error_t e = {0};
    assert_int_equal(httpx_url_resolve(base, "//h:99999/", &u, &e), HTTPX_E_INVALID_URL);
    assert_null(u);
    assert_string_equal(e.message, "invalid port \"99999\" in url");
    assert_int_equal(httpx_url_resolve(base, "x\ny", &u, &e), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_url_resolve(base, "https:x", &u, &e), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_url_resolve(base, "https:///x", &u, &e), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_url_resolve(NULL, "x", &u, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_resolve(base, NULL, &u, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_resolve(base, "x", NULL, &e), HTTPX_E_INVAL);
    httpx_url_free(base);
}

/* ---- params and percent-encoding -------------------------------------------- */

static void with_params(const char *text, const httpx_param_t *params, const char *want)
{
    httpx_url_t *u = parse_ok(text), *v = NULL;
    assert_int_equal(httpx_url_with_params(u, params, &v), 0);
    if (strcmp(httpx_url_str(v), want))
        fail_msg("with_params \"%s\": got \"%s\", want \"%s\"", text, httpx_url_str(v), want);
    httpx_url_free(v);
    httpx_url_free(u);
}

static void test_with_params(void **state)
{
    (void)state;
    const httpx_param_t p[] = {{"a", "1"}, {"b c", "x y&z=+/"}, {"\xc3\xa9", ""}, {NULL, NULL}};
    const char *enc = "a=1&b%20c=x%20y%26z%3D%2B%2F&%C3%A9=";
    char want[256];
    snprintf(want, sizeof want, "http://h/p?%s", enc);
    with_params("http://h/p", p, want);
    snprintf(want, sizeof want, "http://h/p?%s", enc);
    with_params("http://h/p?", p, want);
    snprintf(want, sizeof want, "http://h/p?q=0&%s#f", enc);
    with_params("http://h/p?q=0#f", p, want);
    with_params("http://h/p?q", NULL, "http://h/p?q");
    const httpx_param_t none[] = {{NULL, NULL}};
    with_params("http://h/p#f", none, "http://h/p#f");

    httpx_url_t *u = parse_ok("http://h/"), *v = (httpx_url_t *)1;
    const httpx_param_t bad[] = {{"a", NULL}, {NULL, NULL}};
    assert_int_equal(httpx_url_with_params(u, bad, &v), HTTPX_E_INVAL);
    assert_null(v);
    assert_int_equal(httpx_url_with_params(NULL, p, &v), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_with_params(u, p, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_with_params(u, p, &v), 0);
    assert_string_equal(httpx_url_query(v), enc);
    assert_true(v->has_query);
    httpx_url_free(v);
    httpx_url_free(u);
}

static void test_percent_encode(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(httpx_percent_encode("a b/c~-._%\xff", 11, NULL, NULL, &out), 0);
    assert_string_equal(out, "a%20b%2Fc~-._%25%FF");
    free(out);
    assert_int_equal(httpx_percent_encode("a b/c", 5, "/", NULL, &out), 0);
    assert_string_equal(out, "a%20b/c");
    free(out);
    assert_int_equal(httpx_percent_encode("a\0b", 3, "", NULL, &out), 0);
    assert_string_equal(out, "a%00b");
    free(out);
    assert_int_equal(httpx_percent_encode(NULL, 0, NULL, NULL, &out), 0);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(httpx_percent_encode(NULL, 1, NULL, NULL, &out), HTTPX_E_INVAL);
    assert_int_equal(httpx_percent_encode("a", 1, NULL, NULL, NULL), HTTPX_E_INVAL);
}

/* ---- allocation: one block per URL, every failure is NOMEM -------------------- */


static void test_single_block(void **state)
{
    (void)state;
    counting_t c = {0};
    httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
    httpx_url_t *u = NULL;
    assert_int_equal(httpx_url_parse("http://u@h:81/a?b#c", &a, &u, NULL), 0);
    assert_int_equal(c.live, 1); /* the scratch space is gone; the URL is one block */
    httpx_url_t *v = NULL;
    assert_int_equal(httpx_url_resolve(u, "../x", &v, NULL), 0);
    assert_int_equal(c.live, 2);
    httpx_url_free(v);
    httpx_url_free(u);
    assert_int_equal(c.live, 0);
}

/* A path that starts "//" with no authority is written "scheme:/.//" so that
 * it reads back as the same path, not as an authority (found by url_fuzz). */
static void test_path_slash_slash_stable(void **state)
{
    (void)state;
    static const char *const in[][2] = {
        {"t:/.//", "t:/.//"}, {"t:/.//x/y?q#f", "t:/.//x/y?q#f"}, {"mailto:a//b", "mailto:a//b"}};
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++) {
        httpx_url_t *u = NULL, *again = NULL;
        assert_int_equal(httpx_url_parse(in[k][0], NULL, &u, NULL), 0);
        assert_string_equal(httpx_url_str(u), in[k][1]);
        assert_int_equal(httpx_url_parse(httpx_url_str(u), NULL, &again, NULL), 0);
        assert_string_equal(httpx_url_str(again), httpx_url_str(u));
        assert_string_equal(httpx_url_path(again), httpx_url_path(u));
        httpx_url_free(again);
        httpx_url_free(u);
    }
    httpx_url_t *base = NULL, *r = NULL;
    assert_int_equal(httpx_url_parse("mc:x", NULL, &base, NULL), 0);
    assert_int_equal(httpx_url_resolve(base, "mc:.//.//6User", &r, NULL), 0);
    assert_string_equal(httpx_url_str(r), "mc:/.//6User");
    httpx_url_free(r);
    httpx_url_free(base);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    const httpx_param_t p[] = {{"k", "v"}, {NULL, NULL}};
    for (int op = 0; op < 3; op++) {
        bool done = false;
        for (long k = 1; !done && k < 100; k++) {
            counting_t c = {0};
            httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
            httpx_url_t *base = NULL, *u = NULL;
            assert_int_equal(httpx_url_parse("http://h/a/b?q", &a, &base, NULL), 0);
            c.fail_at = k;
            c.calls = 0;
            int rc = op == 0   ? httpx_url_parse("HTTP://B\xc3\xbc" "cher.example/a%7e/../b c?q#f", &a, &u, NULL)
                     : op == 1 ? httpx_url_resolve(base, "../x y?z", &u, NULL)
                               : httpx_url_with_params(base, p, &u);
            if (rc == 0) {
                done = c.calls < k; /* no allocation left to fail */
                httpx_url_free(u);
            } else {
                assert_int_equal(rc, HTTPX_E_NOMEM);
                assert_null(u);
            }
            httpx_url_free(base);
            assert_int_equal(c.live, 0);
        }
        assert_true(done);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_components),
        cmocka_unit_test(test_parse_defaults),
        cmocka_unit_test(test_parse_default_port_stripped),
        cmocka_unit_test(test_parse_ip_hosts),
        cmocka_unit_test(test_parse_idna),
        cmocka_unit_test(test_parse_percent_normalisation),
        cmocka_unit_test(test_parse_dot_segments),
        cmocka_unit_test(test_parse_other_schemes),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_args),
        cmocka_unit_test(test_parse_too_long),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_remove_dots),
        cmocka_unit_test(test_resolve_normal),
        cmocka_unit_test(test_resolve_abnormal),
        cmocka_unit_test(test_resolve_more),
        cmocka_unit_test(test_with_params),
        cmocka_unit_test(test_percent_encode),
        cmocka_unit_test(test_single_block),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_path_slash_slash_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
