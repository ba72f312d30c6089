/* proxy_test.c — proxy routing (mounts, environment, NO_PROXY), proxy URLs, the
 * SOCKS5 handshake fed byte by byte, the CONNECT request and response, and
 * allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "proxy/proxy.h"
#include "url/url.h"
#include "unit/counting_alloc.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Error text discipline: lower case start, no final full stop. */
static void check_message(const httpx_error_t *e)
{
    size_t n = strlen(e->message);
    assert_true(n > 0);
    assert_true(e->message[n - 1] != '.');
    assert_false(e->message[0] >= 'A' && e->message[0] <= 'Z');
}

static void expect_msg(const httpx_error_t *e, const char *needle)
{
    check_message(e);
    if (!strstr(e->message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", e->message, needle);
}

static httpx_url_t *url(const char *text)
{
    httpx_url_t *u = NULL;
    httpx_error_t e = {0};
    if (httpx_url_parse(text, NULL, &u, &e))
        fail_msg("parse \"%s\": %s", text, e.message);
    return u;
}

/* The proxy URL chosen for `target`, or "direct". */
static const char *route(const httpx__proxy_table_t *t, const char *target)
{
    httpx_url_t *u = url(target);
    const httpx__proxy_t *p = (const httpx__proxy_t *)1;
    assert_int_equal(httpx__proxy_for(t, u, &p), 0);
    httpx_url_free(u);
    return p ? p->url : "direct";
}

static void expect_route(const httpx__proxy_table_t *t, const char *target, const char *want)
{
    const char *got = route(t, target);
    if (strcmp(got, want))
        fail_msg("route \"%s\": got %s, want %s", target, got, want);
}

/* A fake environment: NULL-terminated name/value pairs. */
typedef struct fake_env {
    const char *const *vars;
    int calls;
} fake_env_t;

static const char *fake_getenv(const char *name, void *user)
{
    fake_env_t *env = user;
    env->calls++;
    for (const char *const *v = env->vars; v && v[0]; v += 2)
        if (!strcmp(v[0], name))
            return v[1];
    return NULL;
}

static httpx__proxy_table_t *table_env(fake_env_t *env, const httpx__proxy_mount_t *mounts)
{
    httpx__proxy_config_t cfg = {.trust_env = true, .getenv = fake_getenv, .getenv_user = env,
                                 .mounts = mounts};
    httpx__proxy_table_t *t = NULL;
    httpx_error_t e = {0};
    int rc = httpx__proxy_table_new(NULL, &cfg, &t, &e);
    if (rc)
        fail_msg("table: %s (%s)", httpx_err_name(rc), e.message);
    return t;
}

/* ---- routing precedence ---------------------------------------------------------- */

static void test_route_precedence(void **state)
{
    (void)state;
    static const httpx__proxy_mount_t mounts[] = {
        {"all://", "http://all:1"},
        {"http://", "http://plain:1"},
        {"https://", "http://secure:1"},
        {"all://example.com", "http://exact:1"},
        {"all://*.example.com", "http://sub:1"},
        {"https://example.com:1234", "http://port:1"},
        {"all://direct.example.com", NULL},
        {"all://*other.org", "http://other:1"},
        {"all://[::1]", "socks5://v6:1"},
        {"http://10.0.0.1:8080", "http://ip:1"},
        {NULL, NULL},
    };
    httpx__proxy_config_t cfg = {.mounts = mounts};
    httpx__proxy_table_t *t = NULL;
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, NULL), 0);
    assert_int_equal(httpx__proxy_table_size(t), 10);
    static const char *const cases[][2] = {
        {"http://foo.net/", "http://plain:1"},
        {"https://foo.net/", "http://secure:1"},
        {"ftp://foo.net/", "http://all:1"},
        {"http://example.com/", "http://exact:1"},
        {"https://EXAMPLE.com/x", "http://exact:1"},
        {"https://example.com:1234/", "http://port:1"},
        {"http://example.com:1234/", "http://exact:1"},   /* port pattern is https only */
        {"https://www.example.com/", "http://sub:1"},
        {"https://a.b.example.com/", "http://sub:1"},
        {"https://www.example.com:1234/", "http://sub:1"}, /* port pattern is exact host */
        {"https://direct.example.com/", "direct"},
        {"https://x.direct.example.com/", "http://sub:1"},
        {"https://badexample.com/", "http://secure:1"},
        {"http://other.org/", "http://other:1"},
        {"http://a.other.org/", "http://other:1"},
        {"http://another.org/", "http://plain:1"},
        {"http://[::1]:8080/", "socks5://v6:1"},
        {"http://10.0.0.1:8080/", "http://ip:1"},
        {"http://10.0.0.1/", "http://plain:1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_route(t, cases[i][0], cases[i][1]);
    httpx__proxy_table_free(t);
}

/* HTTPX's rule: the longer host text wins, so "*example.com" beats "example.com". */
static void test_route_host_length(void **state)
{
    (void)state;
    static const httpx__proxy_mount_t mounts[] = {
        {"all://example.com", "http://exact:1"},
        {"all://*example.com", "http://star:1"},
        {"https://example.com:443", "http://default-port:1"},
        {NULL, NULL},
    };
    httpx__proxy_config_t cfg = {.mounts = mounts};
    httpx__proxy_table_t *t = NULL;
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, NULL), 0);
    expect_route(t, "http://example.com/", "http://star:1");
    expect_route(t, "http://www.example.com/", "http://star:1");
    expect_route(t, "http://notexample.com/", "direct");
    expect_route(t, "https://example.com/", "http://default-port:1"); /* effective port 443 */
    httpx__proxy_table_free(t);
}

static void test_route_replace_and_case(void **state)
{
    (void)state;
    static const httpx__proxy_mount_t mounts[] = {
        {"all://", "http://first:1"},
        {"ALL://Example.COM.", "http://upper:1"},
        {"all://", "http://second:1"},
        {"all://*", "http://star-any:1"},
        {"https://example.com/", NULL},
        {NULL, NULL},
    };
    httpx__proxy_config_t cfg = {.proxy = "http://opt:1", .mounts = mounts};
    httpx__proxy_table_t *t = NULL;
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, NULL), 0);
    /* the proxy option's all-pattern is replaced twice; the any-host pattern is its own
     * pattern and wins on host length 1 > 0 */
    assert_int_equal(httpx__proxy_table_size(t), 4);
    expect_route(t, "http://x.org/", "http://star-any:1");
    expect_route(t, "http://example.com/", "http://upper:1");
    expect_route(t, "https://example.com/", "direct");
    httpx__proxy_table_free(t);

    /* no table: direct */
    assert_string_equal(route(NULL, "http://x/"), "direct");
    /* an empty config: direct */
    httpx__proxy_config_t empty = {0};
    assert_int_equal(httpx__proxy_table_new(NULL, &empty, &t, NULL), 0);
    expect_route(t, "https://x/", "direct");
    httpx__proxy_table_free(t);
}

static void test_route_bad_patterns(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "http", "all", "://x", "all://exa mple.com", "all://example.com:0",
        "all://example.com:99999", "all://example.com:", "all://[::1", "all://[zz]",
        "all://ex/path", "all://user@ex", "1a://x", "all://bücher.de",
        "all://*.", "all://.", "all://a..", "all://*..com",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        httpx__proxy_mount_t mounts[] = {{bad[i], "http://p:1"}, {NULL, NULL}};
        httpx__proxy_config_t cfg = {.mounts = mounts};
        httpx__proxy_table_t *t = (httpx__proxy_table_t *)1;
        httpx_error_t e = {0};
        int rc = httpx__proxy_table_new(NULL, &cfg, &t, &e);
        if (rc != HTTPX_E_INVAL)
            fail_msg("pattern \"%s\": rc %s", bad[i], httpx_err_name(rc));
        assert_null(t);
        expect_msg(&e, "proxy mount");
        assert_int_equal(e.phase, HTTPX_PHASE_SETUP);
    }
    /* a bad proxy URL names its mount */
    httpx__proxy_mount_t mounts[] = {{"all://", "http://p:1"}, {"https://", "ftp://p"}, {NULL, NULL}};
    httpx__proxy_config_t cfg = {.mounts = mounts};
    httpx__proxy_table_t *t = NULL;
    httpx_error_t e = {0};
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, &e), HTTPX_E_INVALID_URL);
    expect_msg(&e, "proxy mount \"https://\"");
    expect_msg(&e, "unsupported proxy scheme \"ftp\"");
    assert_null(t);
    /* NULL arguments */
    assert_int_equal(httpx__proxy_table_new(NULL, NULL, &t, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, NULL, &e), HTTPX_E_INVAL);
    httpx_url_t *u = url("http://x/");
    assert_int_equal(httpx__proxy_for(NULL, u, NULL), HTTPX_E_INVAL);
    httpx_url_free(u);
}

/* ---- environment --------------------------------------------------------------------- */

static void test_env_basic(void **state)
{
    (void)state;
    static const char *const vars[] = {
        "HTTP_PROXY", "http://h:1",
        "HTTPS_PROXY", "  secure.local:3128  ",
        "ALL_PROXY", "socks5h://s",
        NULL,
    };
    fake_env_t env = {vars, 0};
    httpx__proxy_table_t *t = table_env(&env, NULL);
    assert_int_equal(httpx__proxy_table_size(t), 3);
    expect_route(t, "http://a.org/", "http://h:1");
    expect_route(t, "https://a.org/", "http://secure.local:3128");
    expect_route(t, "ftp://a.org/", "socks5h://s:1080");
    httpx__proxy_table_free(t);
}

static void test_env_lower_wins(void **state)
{
    (void)state;
    static const char *const vars[] = {
        "http_proxy", "http://lower:1",   "HTTP_PROXY", "http://upper:1",
        "https_proxy", "",                "HTTPS_PROXY", "http://hidden:1",
        "ALL_PROXY", "http://all-upper:1",
        NULL,
    };
    fake_env_t env = {vars, 0};
    httpx__proxy_table_t *t = table_env(&env, NULL);
    expect_route(t, "http://a.org/", "http://lower:1");
    /* empty https_proxy hides HTTPS_PROXY: https falls back to all_proxy */
    expect_route(t, "https://a.org/", "http://all-upper:1");
    httpx__proxy_table_free(t);
}

static void test_env_httpoxy(void **state)
{
    (void)state;
    static const char *const cgi[] = {
        "REQUEST_METHOD", "GET", "HTTP_PROXY", "http://evil:1", "HTTPS_PROXY", "http://s:1", NULL,
    };
    fake_env_t env = {cgi, 0};
    httpx__proxy_table_t *t = table_env(&env, NULL);
    expect_route(t, "http://a.org/", "direct");
    expect_route(t, "https://a.org/", "http://s:1");
    httpx__proxy_table_free(t);
    static const char *const cgi_lower[] = {
        "REQUEST_METHOD", "GET", "http_proxy", "http://set-by-admin:1", NULL,
    };
    fake_env_t env2 = {cgi_lower, 0};
    t = table_env(&env2, NULL);
    expect_route(t, "http://a.org/", "http://set-by-admin:1");
    httpx__proxy_table_free(t);
}

static void test_env_off_and_explicit(void **state)
{
    (void)state;
    static const char *const vars[] = {"HTTP_PROXY", "http://env:1", NULL};
    fake_env_t env = {vars, 0};
    /* trust_env off: the environment is never read */
    httpx__proxy_config_t cfg = {.trust_env = false, .getenv = fake_getenv, .getenv_user = &env};
    httpx__proxy_table_t *t = NULL;
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, NULL), 0);
    assert_int_equal(env.calls, 0);
    expect_route(t, "http://a.org/", "direct");
    httpx__proxy_table_free(t);
    /* an explicit proxy disables environment proxies */
    cfg.trust_env = true;
    cfg.proxy = "http://explicit:1";
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, NULL), 0);
    assert_int_equal(env.calls, 0);
    expect_route(t, "http://a.org/", "http://explicit:1");
    httpx__proxy_table_free(t);
    /* explicit mounts do not: they join the environment's routes */
    static const httpx__proxy_mount_t mounts[] = {{"all://mounted.org", "http://m:1"},
                                                  {"http://", "http://replaces-env:1"},
                                                  {NULL, NULL}};
    t = table_env(&env, mounts);
    assert_true(env.calls > 0);
    expect_route(t, "http://a.org/", "http://replaces-env:1");
    expect_route(t, "https://mounted.org/", "http://m:1");
    httpx__proxy_table_free(t);
}

static void test_env_no_proxy(void **state)
{
    (void)state;
    static const char *const vars[] = {
        "HTTPS_PROXY", "http://p:1",
        "HTTP_PROXY", "http://p:1",
        "no_proxy", " example.com, .internal ,10.0.0.0/8,[::1]:8443,,",
        "NO_PROXY", "ignored.org",
        NULL,
    };
    static const httpx__proxy_mount_t mounts[] = {
        {"all://pinned.example.com", "http://pinned:1"},
        {"all://", "http://fallback:1"},
        {NULL, NULL},
    };
    fake_env_t env = {vars, 0};
    httpx__proxy_table_t *t = table_env(&env, mounts);
    expect_route(t, "https://example.com/", "http://fallback:1");   /* env skipped */
    expect_route(t, "https://a.example.com/", "http://fallback:1");
    expect_route(t, "https://pinned.example.com/", "http://pinned:1"); /* explicit wins */
    expect_route(t, "https://other.com/", "http://p:1");
    expect_route(t, "https://ignored.org/", "http://p:1");          /* lower case wins */
    expect_route(t, "http://10.9.8.7/", "http://fallback:1");
    expect_route(t, "https://[::1]:8443/", "http://fallback:1");
    expect_route(t, "https://[::1]/", "http://p:1");
    httpx__proxy_table_free(t);

    /* "*": no environment proxy at all */
    static const char *const star[] = {"HTTP_PROXY", "http://p:1", "NO_PROXY", "*", NULL};
    fake_env_t env2 = {star, 0};
    t = table_env(&env2, NULL);
    expect_route(t, "http://a.org/", "direct");
    httpx__proxy_table_free(t);
}

static void test_env_bad_proxy(void **state)
{
    (void)state;
    static const char *const vars[] = {"HTTPS_PROXY", "ftp://x", NULL};
    fake_env_t env = {vars, 0};
    httpx__proxy_config_t cfg = {.trust_env = true, .getenv = fake_getenv, .getenv_user = &env};
    httpx__proxy_table_t *t = (httpx__proxy_table_t *)1;
    httpx_error_t e = {0};
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, &e), HTTPX_E_INVALID_URL);
    assert_null(t);
    expect_msg(&e, "environment variable HTTPS_PROXY");
    static const char *const vars2[] = {"all_proxy", "http://user:hunter2pw@[::1", NULL};
    fake_env_t env2 = {vars2, 0};
    cfg.getenv_user = &env2;
    assert_int_equal(httpx__proxy_table_new(NULL, &cfg, &t, &e), HTTPX_E_INVALID_URL);
    expect_msg(&e, "all_proxy");
    assert_null(strstr(e.message, "hunter2")); /* credentials stay out of messages */
}

/* ---- NO_PROXY ------------------------------------------------------------------------------ */

typedef struct np_case {
    const char *list, *host;
    int port;
    bool match;
} np_case_t;

static void test_no_proxy_table(void **state)
{
    (void)state;
    static const np_case_t cases[] = {
        {"*", "anything.org", 80, true},
        {"", "a.org", 80, false},
        {" , ,", "a.org", 80, false},
        /* domains: itself and subdomains, never a mere suffix */
        {"example.com", "example.com", 80, true},
        {"example.com", "www.example.com", 80, true},
        {"example.com", "a.b.example.com", 443, true},
        {"example.com", "badexample.com", 80, false},
        {"example.com", "example.com.evil.org", 80, false},
        {"example.com", "com", 80, false},
        {".example.com", "example.com", 80, true},
        {".example.com", "www.example.com", 80, true},
        {"*.example.com", "www.example.com", 80, true},
        {"EXAMPLE.Com", "www.example.com", 80, true},
        {"example.com.", "example.com", 80, true},
        {"example.com", "example.com.", 80, true},
        {"other.org,example.com", "example.com", 80, true},
        {"other.org example.com", "example.com", 80, true},
        {"other.org\texample.com", "www.example.com", 80, true},
        {"other.org;example.com", "example.com", 80, false}, /* one malformed entry */
        /* ports */
        {"example.com:8080", "example.com", 8080, true},
        {"example.com:8080", "example.com", 80, false},
        {"example.com:x", "example.com", 80, false},
        {"example.com:0", "example.com", 80, false},
        {"example.com:70000", "example.com", 80, false},
        {"example.com:", "example.com", 80, false},
        /* localhost */
        {"localhost", "localhost", 80, true},
        {"localhost", "app.localhost", 80, true},
        {"localhost", "127.0.0.1", 80, true},
        {"localhost", "127.8.9.10", 80, true},
        {"localhost", "::1", 80, true},
        {"localhost", "10.0.0.1", 80, false},
        {"localhost:3000", "127.0.0.1", 3000, true},
        {"localhost:3000", "127.0.0.1", 80, false},
        /* IPv4 */
        {"10.1.2.3", "10.1.2.3", 80, true},
        {"10.1.2.3", "10.1.2.4", 80, false},
        {"10.1.2.3:80", "10.1.2.3", 80, true},
        {"10.1.2.3:80", "10.1.2.3", 81, false},
        {"10.1.2.3", "10.1.2.3.example.com", 80, false},
        {"10.0.0.0/8", "10.255.1.2", 80, true},
        {"10.0.0.0/8", "11.0.0.1", 80, false},
        {"192.168.1.0/24", "192.168.1.77", 80, true},
        {"192.168.1.0/24", "192.168.2.77", 80, false},
        {"192.168.1.128/25", "192.168.1.127", 80, false},
        {"192.168.1.128/25", "192.168.1.200", 80, true},
        {"10.1.2.3/8", "10.9.9.9", 80, true}, /* host bits are masked off */
        {"0.0.0.0/0", "203.0.113.9", 80, true},
        {"0.0.0.0/0", "example.com", 80, false},
        {"10.0.0.0/8:443", "10.1.1.1", 443, true},
        {"10.0.0.0/8:443", "10.1.1.1", 80, false},
        {"10.0.0.0/33", "10.1.1.1", 80, false},
        {"10.0.0.0/", "10.1.1.1", 80, false},
        {"10.0.0.0/x", "10.1.1.1", 80, false},
        {"example.com/8", "example.com", 80, false},
        {"10.0.0", "10.0.0.0", 80, false},
        /* IPv6 */
        {"::1", "::1", 80, true},
        {"[::1]", "::1", 80, true},
        {"[::1]:8443", "::1", 8443, true},
        {"[::1]:8443", "::1", 443, false},
        {"2001:db8::1", "2001:db8:0::1", 80, true}, /* compared as addresses */
        {"2001:DB8::1", "2001:db8::1", 80, true},
        {"fd00::/8", "fd12:3456::1", 80, true},
        {"fd00::/8", "fe80::1", 80, false},
        {"[fd00::]/8", "fdff::1", 80, true},
        {"[fd00::]/8:80", "fdff::1", 80, true},
        {"[fd00::]/8:80", "fdff::1", 81, false},
        {"2001:db8::/32", "2001:db8:ffff::1", 80, true},
        {"2001:db8::/32", "2001:db9::1", 80, false},
        {"fd00::/129", "fd00::1", 80, false},
        {"[::1", "::1", 80, false},
        {"[::1]x", "::1", 80, false},
        {"::1", "127.0.0.1", 80, false},
        {"10.0.0.0/8", "::ffff:10.0.0.1", 80, false},
        /* malformed entries are ignored, good ones still count */
        {"ex$mple.com, a..b, [zz], *, ", "a.org", 80, true},
        {"ex$mple.com, a..b, [zz], /8, :80, .", "a.org", 80, false},
        {"a..b,example.com", "x.example.com", 80, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = httpx__proxy_no_proxy_match(cases[i].list, cases[i].host, cases[i].port);
        if (got != cases[i].match)
            fail_msg("no_proxy \"%s\" vs %s:%d: got %d, want %d", cases[i].list, cases[i].host,
                     cases[i].port, got, cases[i].match);
    }
    assert_false(httpx__proxy_no_proxy_match(NULL, "a", 80));
    assert_false(httpx__proxy_no_proxy_match("a", NULL, 80));
    assert_true(httpx__proxy_no_proxy_match("::1", "[::1]", 80)); /* bracketed host too */
}

/* ---- proxy URLs ------------------------------------------------------------------------------ */

static httpx__proxy_t *proxy_ok(const char *text)
{
    httpx__proxy_t *p = NULL;
    httpx_error_t e = {0};
    int rc = httpx__proxy_parse(text, NULL, &p, &e);
    if (rc)
        fail_msg("proxy \"%s\": %s (%s)", text, httpx_err_name(rc), e.message);
    return p;
}

static void test_proxy_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text, *url, *host, *user, *pass;
        httpx__proxy_kind_t kind;
        int port;
    } cases[] = {
        {"proxy.local:3128", "http://proxy.local:3128", "proxy.local", NULL, NULL, HTTPX__PROXY_HTTP, 3128},
        {"proxy.local", "http://proxy.local:80", "proxy.local", NULL, NULL, HTTPX__PROXY_HTTP, 80},
        {"localhost:8888", "http://localhost:8888", "localhost", NULL, NULL, HTTPX__PROXY_HTTP, 8888},
        {"10.0.0.1:3128", "http://10.0.0.1:3128", "10.0.0.1", NULL, NULL, HTTPX__PROXY_HTTP, 3128},
        {"HTTP://Proxy.Local/", "http://proxy.local:80", "proxy.local", NULL, NULL, HTTPX__PROXY_HTTP, 80},
        {"https://p", "https://p:443", "p", NULL, NULL, HTTPX__PROXY_HTTPS, 443},
        {"socks5://p", "socks5://p:1080", "p", NULL, NULL, HTTPX__PROXY_SOCKS5, 1080},
        {"socks5h://p:9050", "socks5h://p:9050", "p", NULL, NULL, HTTPX__PROXY_SOCKS5H, 9050},
        {"http://[::1]:3128", "http://[::1]:3128", "::1", NULL, NULL, HTTPX__PROXY_HTTP, 3128},
        {"[::1]:3128", "http://[::1]:3128", "::1", NULL, NULL, HTTPX__PROXY_HTTP, 3128},
        {"  http://p:1\n", "http://p:1", "p", NULL, NULL, HTTPX__PROXY_HTTP, 1},
        {"http://user:p%40ss%3Aword@p:8080", "http://p:8080", "p", "user", "p@ss:word", HTTPX__PROXY_HTTP, 8080},
        {"us%65r:pw@p:1", "http://p:1", "p", "user", "pw", HTTPX__PROXY_HTTP, 1},
        {"socks5://u%20x@p", "socks5://p:1080", "p", "u x", NULL, HTTPX__PROXY_SOCKS5, 1080},
        {"http://:pw@p", "http://p:80", "p", "", "pw", HTTPX__PROXY_HTTP, 80},
        {"http://u:@p", "http://p:80", "p", "u", "", HTTPX__PROXY_HTTP, 80},
        {"http://%E2%82%AC:%25@p", "http://p:80", "p", "\xe2\x82\xac", "%", HTTPX__PROXY_HTTP, 80},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        httpx__proxy_t *p = proxy_ok(cases[i].text);
        assert_string_equal(p->url, cases[i].url);
        assert_string_equal(p->host, cases[i].host);
        assert_int_equal(p->kind, cases[i].kind);
        assert_int_equal(p->port, cases[i].port);
        if (cases[i].user)
            assert_string_equal(p->username, cases[i].user);
        else
            assert_null(p->username);
        if (cases[i].pass)
            assert_string_equal(p->password, cases[i].pass);
        else
            assert_null(p->password);
        httpx__proxy_free(p);
    }
    httpx__proxy_t *p = proxy_ok("http://[::1]:1");
    assert_true(p->host_is_ip);
    httpx__proxy_free(p);
}

static void test_proxy_parse_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "empty proxy url"},
        {"   ", "empty proxy url"},
        {"ftp://p", "unsupported proxy scheme \"ftp\""},
        {"socks4://p", "unsupported proxy scheme"},
        {"http://p/path", "may not have a path"},
        {"http://p?q", "may not have a path, query or fragment"},
        {"http://p#f", "may not have a path, query or fragment"},
        {"http://u:%00@p", "password decodes to a NUL byte"},
        {"http://%00:x@p", "username decodes to a NUL byte"},
        {"http://", "invalid proxy url"},
        {"http://p:99999", "invalid proxy url"},
        {"http://user:s3cr3tpw@p:bad", "invalid port"},
        {"http://user:s3cr3tpw@[::1", "invalid proxy url"},
        {"http://user:s3cr3tpw@", "not quoted: it holds credentials"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        httpx__proxy_t *p = (httpx__proxy_t *)1;
        httpx_error_t e = {0};
        int rc = httpx__proxy_parse(cases[i][0], NULL, &p, &e);
        if (rc != HTTPX_E_INVALID_URL)
            fail_msg("proxy \"%s\": rc %s (%s)", cases[i][0], httpx_err_name(rc), e.message);
        assert_null(p);
        expect_msg(&e, cases[i][1]);
        assert_null(strstr(e.message, "s3cr3t"));
    }
    httpx__proxy_t *p;
    assert_int_equal(httpx__proxy_parse(NULL, NULL, &p, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__proxy_parse("p:1", NULL, NULL, NULL), HTTPX_E_INVAL);
    httpx__proxy_free(NULL);
}

/* ---- SOCKS5 ---------------------------------------------------------------------------------- */

#define B(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* Drain the handshake's output one byte at a time and compare with want. */
static void s5_expect_out(httpx__socks5_t *s, const uint8_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *d;
        size_t len;
        httpx__socks5_output(s, &d, &len);
        assert_int_equal(len, n - i);
        if ((uint8_t)d[0] != want[i])
            fail_msg("socks5 output byte %zu: 0x%02x, want 0x%02x", i, (uint8_t)d[0], want[i]);
        httpx__socks5_sent(s, 1);
    }
    const char *d;
    size_t len;
    httpx__socks5_output(s, &d, &len);
    assert_int_equal(len, 0);
}

/* Feed `in` byte by byte; every byte but the last must return 0 and be consumed;
 * returns the last call's result. */
static int s5_feed_bytes(httpx__socks5_t *s, const uint8_t *in, size_t n, httpx_error_t *e)
{
    for (size_t i = 0; i < n; i++) {
        size_t used = 99;
        int rc = httpx__socks5_feed(s, (const char *)in + i, 1, &used, e);
        if (rc != 0 || i + 1 == n)
            return rc;
        assert_int_equal(used, 1);
    }
    return 0;
}

static const uint8_t REQ_EXAMPLE[] = {5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
                                      '.', 'c', 'o', 'm', 0x01, 0xbb};

static void test_socks5_noauth_domain(void **state)
{
    (void)state;
    httpx__socks5_t s;
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, NULL, NULL, NULL), 0);
    assert_false(httpx__socks5_done(&s));
    s5_expect_out(&s, B(5, 1, 0));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0), NULL), 0);
    s5_expect_out(&s, REQ_EXAMPLE, sizeof REQ_EXAMPLE);
    /* reply with an IPv4 bound address, then tunnel bytes the handshake must not eat */
    static const uint8_t reply[] = {5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90, 'T', 'L', 'S'};
    for (size_t i = 0; i < 9; i++) {
        size_t used;
        assert_int_equal(httpx__socks5_feed(&s, (const char *)reply + i, 1, &used, NULL), 0);
        assert_int_equal(used, 1);
    }
    size_t used = 0;
    assert_int_equal(httpx__socks5_feed(&s, (const char *)reply + 9, 4, &used, NULL), 1);
    assert_int_equal(used, 1);
    assert_true(httpx__socks5_done(&s));
    assert_int_equal(s.bound_type, HTTPX__SOCKS5_IPV4);
    assert_string_equal(s.bound, "127.0.0.1");
    assert_int_equal(s.bound_port, 8080);
    assert_int_equal(httpx__socks5_eof(&s, NULL), 0);
    /* feeding after success consumes nothing */
    assert_int_equal(httpx__socks5_feed(&s, "x", 1, &used, NULL), 1);
    assert_int_equal(used, 0);
}

static void test_socks5_ip_targets(void **state)
{
    (void)state;
    httpx__socks5_t s;
    /* socks5 (local DNS): IPv4 literal, whole reply in one feed, IPv6 bound address */
    assert_int_equal(httpx__socks5_init(&s, "10.1.2.3", 80, false, NULL, NULL, NULL), 0);
    s5_expect_out(&s, B(5, 1, 0));
    size_t used;
    assert_int_equal(httpx__socks5_feed(&s, "\x05\x00", 2, &used, NULL), 0);
    assert_int_equal(used, 2);
    s5_expect_out(&s, B(5, 1, 0, 1, 10, 1, 2, 3, 0, 80));
    static const uint8_t r6[] = {5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0xbb};
    assert_int_equal(httpx__socks5_feed(&s, (const char *)r6, sizeof r6, &used, NULL), 1);
    assert_int_equal(used, sizeof r6);
    assert_int_equal(s.bound_type, HTTPX__SOCKS5_IPV6);
    assert_string_equal(s.bound, "2001:db8::1");
    assert_int_equal(s.bound_port, 443);

    /* IPv6 target (brackets accepted), socks5h still sends an address; domain bound */
    assert_int_equal(httpx__socks5_init(&s, "[2001:db8::2]", 8443, true, NULL, NULL, NULL), 0);
    s5_expect_out(&s, B(5, 1, 0));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0), NULL), 0);
    s5_expect_out(&s, B(5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
                        0x20, 0xfb));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0, 0, 3, 5, 'p', 'r', 'o', 'x', 'y', 0x04, 0x38), NULL), 1);
    assert_int_equal(s.bound_type, HTTPX__SOCKS5_DOMAIN);
    assert_string_equal(s.bound, "proxy");
    assert_int_equal(s.bound_port, 1080);
    assert_string_equal(s.target, "[2001:db8::2]:8443");
}

static void test_socks5_userpass(void **state)
{
    (void)state;
    httpx__socks5_t s;
    httpx_error_t e = {0};
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, "user", "pass", NULL), 0);
    s5_expect_out(&s, B(5, 2, 0, 2));
    assert_int_equal(s5_feed_bytes(&s, B(5, 2), NULL), 0);
    s5_expect_out(&s, B(1, 4, 'u', 's', 'e', 'r', 4, 'p', 'a', 's', 's'));
    assert_int_equal(s5_feed_bytes(&s, B(1, 0), NULL), 0);
    s5_expect_out(&s, REQ_EXAMPLE, sizeof REQ_EXAMPLE);
    assert_int_equal(s5_feed_bytes(&s, B(5, 0, 0, 1, 0, 0, 0, 0, 0, 0), NULL), 1);
    assert_string_equal(s.bound, "0.0.0.0");

    /* credentials offered, proxy picks "no authentication": straight to CONNECT */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, "user", NULL, NULL), 0);
    s5_expect_out(&s, B(5, 2, 0, 2));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0), NULL), 0);
    s5_expect_out(&s, REQ_EXAMPLE, sizeof REQ_EXAMPLE);

    /* empty password (NULL) is sent with length 0 */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, "u", NULL, NULL), 0);
    s5_expect_out(&s, B(5, 2, 0, 2));
    assert_int_equal(s5_feed_bytes(&s, B(5, 2), NULL), 0);
    s5_expect_out(&s, B(1, 1, 'u', 0));

    /* rejected credentials */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, "user", "bad", NULL), 0);
    s5_expect_out(&s, B(5, 2, 0, 2));
    assert_int_equal(s5_feed_bytes(&s, B(5, 2), NULL), 0);
    s5_expect_out(&s, B(1, 4, 'u', 's', 'e', 'r', 3, 'b', 'a', 'd'));
    assert_int_equal(s5_feed_bytes(&s, B(1, 1), &e), HTTPX_E_PROXY);
    expect_msg(&e, "socks5: proxy rejected the username and password");
    assert_int_equal(e.phase, HTTPX_PHASE_CONNECT);
    /* stays failed */
    size_t used;
    assert_int_equal(httpx__socks5_feed(&s, "\x05", 1, &used, &e), HTTPX_E_PROXY);
    expect_msg(&e, "already failed");
    assert_int_equal(httpx__socks5_eof(&s, &e), HTTPX_E_PROXY);
}

/* One method reply against a fresh handshake; expect an error mentioning `needle`. */
static void s5_method_error(const char *user, const uint8_t *reply, size_t n, const char *needle)
{
    httpx__socks5_t s;
    httpx_error_t e = {0};
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, user, "pw", NULL), 0);
    const char *d;
    size_t len;
    httpx__socks5_output(&s, &d, &len);
    httpx__socks5_sent(&s, len);
    assert_int_equal(s5_feed_bytes(&s, reply, n, &e), HTTPX_E_PROXY);
    expect_msg(&e, needle);
}

static void test_socks5_method_errors(void **state)
{
    (void)state;
    s5_method_error(NULL, B(5, 0xff), "socks5: proxy requires authentication but no credentials");
    s5_method_error("u", B(5, 0xff), "socks5: proxy accepts none of the offered authentication");
    s5_method_error(NULL, B(5, 2), "authentication method 0x02, which was not offered");
    s5_method_error("u", B(5, 1), "authentication method 0x01, which was not offered");
    s5_method_error(NULL, B(4, 0), "socks5: version 0x04 in method reply, expected 0x05");
    s5_method_error(NULL, B('H', 'T', 'T', 'P'), "is it an http proxy?");
}

static void test_socks5_reply_codes(void **state)
{
    (void)state;
    static const char *const want[] = {
        NULL,
        "socks5: general socks server failure (connect to example.com:443)",
        "socks5: connection not allowed by the proxy's ruleset",
        "socks5: network unreachable",
        "socks5: host unreachable",
        "socks5: connection refused by destination host (connect to example.com:443)",
        "socks5: ttl expired",
        "socks5: command not supported",
        "socks5: address type not supported",
        "socks5: unknown reply code 0x09",
    };
    for (uint8_t rep = 1; rep <= 9; rep++) {
        httpx__socks5_t s;
        httpx_error_t e = {0};
        assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, NULL, NULL, NULL), 0);
        s5_expect_out(&s, B(5, 1, 0));
        assert_int_equal(s5_feed_bytes(&s, B(5, 0), NULL), 0);
        s5_expect_out(&s, REQ_EXAMPLE, sizeof REQ_EXAMPLE);
        /* the error comes on the reply code itself, before the rest of the reply */
        size_t used;
        assert_int_equal(httpx__socks5_feed(&s, "\x05", 1, &used, NULL), 0);
        char in[2] = {(char)rep, 0};
        assert_int_equal(httpx__socks5_feed(&s, in, 2, &used, &e), HTTPX_E_PROXY);
        assert_int_equal(used, 0);
        assert_int_equal(e.code, HTTPX_E_PROXY);
        expect_msg(&e, want[rep]);
    }
}

/* CONNECT reply bytes after an accepted no-auth greeting; expect an error. */
static void s5_reply_error(const uint8_t *reply, size_t n, const char *needle)
{
    httpx__socks5_t s;
    httpx_error_t e = {0};
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, NULL, NULL, NULL), 0);
    s5_expect_out(&s, B(5, 1, 0));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0), NULL), 0);
    s5_expect_out(&s, REQ_EXAMPLE, sizeof REQ_EXAMPLE);
    assert_int_equal(s5_feed_bytes(&s, reply, n, &e), HTTPX_E_PROXY);
    expect_msg(&e, needle);
}

static void test_socks5_garbage(void **state)
{
    (void)state;
    s5_reply_error(B(4, 0), "version 0x04 in connect reply");
    s5_reply_error(B(5, 0, 1), "reserved byte 0x01 in connect reply");
    s5_reply_error(B(5, 0, 0, 2), "unknown address type 0x02");
    s5_reply_error(B(5, 0, 0, 0), "unknown address type 0x00");
    s5_reply_error(B(5, 0, 0, 3, 0), "empty domain name in connect reply");
    s5_reply_error(B(5, 0, 0, 3, 3, 'a', 0, 'b'), "invalid byte 0x00 in connect reply domain");
    s5_reply_error(B(5, 0, 0, 3, 3, 'a', ' ', 'b'), "invalid byte 0x20");
    s5_reply_error(B(5, 0, 0, 3, 3, 'a', 0x80, 'b'), "invalid byte 0x80");

    httpx__socks5_t s;
    httpx_error_t e = {0};
    size_t used;
    /* the proxy talks before our greeting is out */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, NULL, NULL, NULL), 0);
    httpx__socks5_sent(&s, 1); /* partial greeting */
    assert_int_equal(httpx__socks5_feed(&s, "\x05\x00", 2, &used, &e), HTTPX_E_PROXY);
    expect_msg(&e, "proxy sent data before our greeting was sent");
    assert_int_equal(used, 0);
    /* the method reply and an unsolicited byte arrive together */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, NULL, NULL, NULL), 0);
    s5_expect_out(&s, B(5, 1, 0));
    assert_int_equal(httpx__socks5_feed(&s, "\x05\x00\x05", 3, &used, &e), HTTPX_E_PROXY);
    expect_msg(&e, "before our connect request was sent");
    assert_int_equal(used, 2);
    /* auth reply with the wrong version */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, "u", "p", NULL), 0);
    s5_expect_out(&s, B(5, 2, 0, 2));
    assert_int_equal(s5_feed_bytes(&s, B(5, 2), NULL), 0);
    s5_expect_out(&s, B(1, 1, 'u', 1, 'p'));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0), &e), HTTPX_E_PROXY);
    expect_msg(&e, "version 0x05 in authentication reply, expected 0x01");
    /* eof in each phase */
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, NULL, NULL, NULL), 0);
    assert_int_equal(httpx__socks5_eof(&s, &e), HTTPX_E_PROXY);
    expect_msg(&e, "closed the connection during the greeting (connect to example.com:443)");
    s5_expect_out(&s, B(5, 1, 0));
    assert_int_equal(s5_feed_bytes(&s, B(5, 0), NULL), 0);
    s5_expect_out(&s, REQ_EXAMPLE, sizeof REQ_EXAMPLE);
    assert_int_equal(s5_feed_bytes(&s, B(5, 0, 0, 1, 1), NULL), 0);
    assert_int_equal(httpx__socks5_eof(&s, &e), HTTPX_E_PROXY);
    expect_msg(&e, "during the connect request");
    /* an empty feed is harmless */
    assert_int_equal(httpx__socks5_feed(&s, "", 0, &used, NULL), 0);
    assert_int_equal(used, 0);
}

static void test_socks5_init_errors(void **state)
{
    (void)state;
    httpx__socks5_t s;
    httpx_error_t e = {0};
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, false, NULL, NULL, &e), HTTPX_E_INVAL);
    expect_msg(&e, "resolve it first or use socks5h");
    assert_int_equal(httpx__socks5_init(&s, "example.com", 0, true, NULL, NULL, &e), HTTPX_E_INVAL);
    expect_msg(&e, "invalid target port 0");
    assert_int_equal(httpx__socks5_init(&s, "example.com", 65536, true, NULL, NULL, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__socks5_init(&s, "", 1, true, NULL, NULL, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__socks5_init(&s, "[]", 1, true, NULL, NULL, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__socks5_init(&s, "a b", 1, true, NULL, NULL, &e), HTTPX_E_INVAL);
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(httpx__socks5_init(&s, big, 1, true, NULL, NULL, &e), HTTPX_E_INVAL);
    expect_msg(&e, "longer than 255 bytes");
    assert_int_equal(httpx__socks5_init(&s, "x", 1, true, big, "p", &e), HTTPX_E_INVAL);
    expect_msg(&e, "username longer than 255 bytes");
    assert_int_equal(httpx__socks5_init(&s, "x", 1, true, "u", big, &e), HTTPX_E_INVAL);
    expect_msg(&e, "password longer than 255 bytes");
    /* exactly 255 is fine, and the request is 7 + 255 bytes */
    big[255] = '\0';
    assert_int_equal(httpx__socks5_init(&s, big, 1, true, big, big, NULL), 0);
    assert_int_equal(s.request_len, 7 + 255);
    assert_int_equal(s.auth_len, 3 + 255 + 255);
    /* a failed init leaves a failed handshake: no output, feeding errs */
    assert_int_equal(httpx__socks5_init(&s, "", 1, true, NULL, NULL, NULL), HTTPX_E_INVAL);
    const char *d;
    size_t len, used;
    httpx__socks5_output(&s, &d, &len);
    assert_int_equal(len, 0);
    assert_int_equal(httpx__socks5_feed(&s, "\x05", 1, &used, NULL), HTTPX_E_PROXY);
}

/* ---- CONNECT ----------------------------------------------------------------------------------- */

static char *connect_bytes(const char *host, int port, const char *proxy_url,
                           const httpx_header_t *extra)
{
    httpx__tunnel_t c;
    httpx_error_t e = {0};
    if (httpx__tunnel_init(&c, host, port, &e))
        fail_msg("connect init: %s", e.message);
    httpx__proxy_t *p = proxy_url ? proxy_ok(proxy_url) : NULL;
    httpx__buf_t b;
    httpx__buf_init(&b, httpx_default_allocator(), 4096);
    if (httpx__tunnel_write(&c, p, extra, &b, &e))
        fail_msg("connect write: %s", e.message);
    httpx__proxy_free(p);
    size_t n;
    return httpx__buf_detach(&b, &n);
}

static void expect_connect(const char *host, int port, const char *proxy_url,
                           const httpx_header_t *extra, const char *want)
{
    char *got = connect_bytes(host, port, proxy_url, extra);
    if (strcmp(got, want))
        fail_msg("connect bytes:\n%s\nwant:\n%s", got, want);
    free(got);
}

static void test_connect_write(void **state)
{
    (void)state;
    expect_connect("example.com", 443, "http://user:p%40ss@proxy:3128",
                   (const httpx_header_t[]){{"User-Agent", "httpx-test"}, {NULL, NULL}},
                   "CONNECT example.com:443 HTTP/1.1\r\n"
                   "Host: example.com:443\r\n"
                   "Proxy-Authorization: Basic dXNlcjpwQHNz\r\n"
                   "User-Agent: httpx-test\r\n"
                   "\r\n");
    expect_connect("::1", 8443, NULL, NULL, "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
    expect_connect("[::1]", 1, "proxy:1", NULL, "CONNECT [::1]:1 HTTP/1.1\r\nHost: [::1]:1\r\n\r\n");
    expect_connect("10.0.0.1", 80, "http://a@p", NULL,
                   "CONNECT 10.0.0.1:80 HTTP/1.1\r\nHost: 10.0.0.1:80\r\n"
                   "Proxy-Authorization: Basic YTo=\r\n\r\n");
    expect_connect("h", 80, "http://ab:c@p", NULL,
                   "CONNECT h:80 HTTP/1.1\r\nHost: h:80\r\nProxy-Authorization: Basic YWI6Yw==\r\n\r\n");
    expect_connect("h", 80, "http://Aladdin:open%20sesame@p", NULL,
                   "CONNECT h:80 HTTP/1.1\r\nHost: h:80\r\n"
                   "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
    /* extra Host and Proxy-Authorization replace the generated ones */
    expect_connect("h", 80, "http://u:p@p",
                   (const httpx_header_t[]){{"proxy-authorization", "Bearer t"},
                                            {"HOST", "other:1"},
                                            {"X-Empty", ""},
                                            {NULL, NULL}},
                   "CONNECT h:80 HTTP/1.1\r\nproxy-authorization: Bearer t\r\nHOST: other:1\r\n"
                   "X-Empty: \r\n\r\n");
}

static void test_connect_write_errors(void **state)
{
    (void)state;
    static const httpx_header_t bad[][2] = {
        {{"Bad Name", "x"}, {NULL, NULL}},
        {{"", "x"}, {NULL, NULL}},
        {{"X-A", "a\r\nInjected: 1"}, {NULL, NULL}},
        {{"X-A", "a\nb"}, {NULL, NULL}},
        {{"X-A", NULL}, {NULL, NULL}},
        {{"Content-Length", "0"}, {NULL, NULL}},
        {{"transfer-encoding", "chunked"}, {NULL, NULL}},
    };
    httpx__tunnel_t c;
    assert_int_equal(httpx__tunnel_init(&c, "example.com", 443, NULL), 0);
    httpx__buf_t b;
    httpx__buf_init(&b, httpx_default_allocator(), 4096);
    assert_int_equal(httpx__buf_append_str(&b, "keep"), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        httpx_error_t e = {0};
        assert_int_equal(httpx__tunnel_write(&c, NULL, bad[i], &b, &e), HTTPX_E_INVAL);
        check_message(&e);
        assert_int_equal(httpx__buf_size(&b), 4);
    }
    /* a username with ':' cannot be sent as basic auth */
    httpx__proxy_t *p = proxy_ok("http://a%3Ab:c@p");
    httpx_error_t e = {0};
    assert_int_equal(httpx__tunnel_write(&c, p, NULL, &b, &e), HTTPX_E_INVAL);
    expect_msg(&e, "username contains ':'");
    httpx__proxy_free(p);
    /* the buffer's cap: refused, buffer unchanged */
    httpx__buf_t small;
    httpx__buf_init(&small, httpx_default_allocator(), 40);
    assert_int_equal(httpx__buf_append_str(&small, "0123456789"), 0);
    assert_int_equal(httpx__tunnel_write(&c, NULL, NULL, &small, &e), HTTPX_E_INVAL);
    expect_msg(&e, "exceeds the buffer's cap");
    assert_int_equal(httpx__buf_size(&small), 10);
    assert_memory_equal(httpx__buf_ptr(&small), "0123456789", 10);
    httpx__buf_release(&small);
    httpx__buf_release(&b);

    /* init errors */
    assert_int_equal(httpx__tunnel_init(&c, "", 443, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__tunnel_init(&c, "a b", 443, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__tunnel_init(&c, "a\r\nb", 443, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__tunnel_init(&c, "a/b", 443, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__tunnel_init(&c, "::zz", 443, &e), HTTPX_E_INVAL);
    expect_msg(&e, "invalid ipv6 target host");
    assert_int_equal(httpx__tunnel_init(&c, "a", 0, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__tunnel_init(&c, "a", 65536, &e), HTTPX_E_INVAL);
    /* an uninitialised (failed) tunnel writes nothing */
    httpx__buf_init(&b, httpx_default_allocator(), 4096);
    assert_int_equal(httpx__tunnel_write(&c, NULL, NULL, &b, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__buf_size(&b), 0);
    httpx__buf_release(&b);
}

/* Feed `resp` as a growing prefix, one more byte per call; returns the final
 * result and *used. */
static int connect_feed_all(httpx__tunnel_t *c, const char *resp, size_t *used, httpx_error_t *e)
{
    size_t n = strlen(resp);
    for (size_t k = 1; k <= n; k++) {
        int rc = httpx__tunnel_feed(c, resp, k, used, e);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void test_connect_response_ok(void **state)
{
    (void)state;
    static const char *const oks[] = {
        "HTTP/1.1 200 Connection established\r\n\r\n",
        "HTTP/1.0 200 Connection established\r\nProxy-agent: test\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", /* 2xx to CONNECT has no body */
        "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof oks / sizeof oks[0]; i++) {
        char resp[512];
        snprintf(resp, sizeof resp, "%sLEFTOVER\x16\x03", oks[i]);
        httpx__tunnel_t c;
        assert_int_equal(httpx__tunnel_init(&c, "example.com", 443, NULL), 0);
        size_t used = 0;
        httpx_error_t e = {0};
        int rc = connect_feed_all(&c, resp, &used, &e);
        if (rc != 1)
            fail_msg("response %zu: rc %d (%s)", i, rc, e.message);
        /* the tunnel opens on the head's last byte; later bytes are the tunnel's */
        assert_int_equal(used, strlen(oks[i]));
        assert_true(c.head.status >= 200 && c.head.status < 300);
        /* once open it stays open and reports the same split */
        assert_int_equal(httpx__tunnel_feed(&c, resp, strlen(resp), &used, &e), 1);
        assert_int_equal(used, strlen(oks[i]));
        assert_string_equal(resp + used, "LEFTOVER\x16\x03");
        assert_int_equal(httpx__tunnel_eof(&c, &e), 0);
    }
}

static void test_connect_response_errors(void **state)
{
    (void)state;
    static const struct {
        const char *resp, *needle;
    } cases[] = {
        {"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n"
         "Content-Length: 0\r\n\r\n",
         "connect to example.com:443: proxy authentication required (407)"},
        {"HTTP/1.1 502 Bad Gateway\r\n\r\n", "connect to example.com:443: proxy answered 502 \"Bad Gateway\""},
        {"HTTP/1.1 403\r\n\r\n", "proxy answered 403"},
        {"HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n", "proxy answered 301"},
        {"HTTP/1.1 101 Switching Protocols\r\n\r\n", "proxy answered 101"},
        {"SSH-2.0-OpenSSH_9.0\r\n", "bad proxy response"},
        {"HTTP/1.1 200 OK\nX: y\n\n", "bad proxy response"},
        {"HTTP/2 200\r\n\r\n", "bad proxy response"},
        {"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "bad proxy response"},
        {"\x05\x00", "bad proxy response"}, /* a SOCKS5 server behind an http:// proxy URL */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        httpx__tunnel_t c;
        assert_int_equal(httpx__tunnel_init(&c, "example.com", 443, NULL), 0);
        size_t used;
        httpx_error_t e = {0};
        int rc = connect_feed_all(&c, cases[i].resp, &used, &e);
        if (rc != HTTPX_E_PROXY)
            fail_msg("case %zu: rc %d, want PROXY", i, rc);
        assert_int_equal(e.code, HTTPX_E_PROXY);
        assert_int_equal(e.phase, HTTPX_PHASE_CONNECT);
        expect_msg(&e, cases[i].needle);
        /* stays failed; a close afterwards says so */
        assert_int_equal(httpx__tunnel_feed(&c, cases[i].resp, strlen(cases[i].resp), &used, &e),
                         HTTPX_E_PROXY);
        assert_int_equal(httpx__tunnel_eof(&c, &e), HTTPX_E_PROXY);
        expect_msg(&e, "tunnel refused by the proxy");
        if (i == 0) { /* the 407's head is there for the caller (Proxy-Authenticate) */
            assert_int_equal(c.head.status, 407);
            bool found = false;
            for (size_t f = 0; f < c.head.nfields; f++)
                found |= httpx__slice_ieq_cstr(c.head.fields[f].name, "proxy-authenticate") &&
                         httpx__slice_eq(c.head.fields[f].value,
                                         httpx__slice_cstr("Basic realm=\"p\""));
            assert_true(found);
        }
    }
    /* an oversized head */
    httpx__tunnel_t c;
    assert_int_equal(httpx__tunnel_init(&c, "example.com", 443, NULL), 0);
    size_t big_n = HTTPX__CONNECT_MAX_HEAD + 100, used;
    char *big = malloc(big_n);
    assert_non_null(big);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', big_n - 20);
    httpx_error_t e = {0};
    assert_int_equal(httpx__tunnel_feed(&c, big, big_n, &used, &e), HTTPX_E_PROXY);
    check_message(&e);
    free(big);
    /* eof before the answer */
    assert_int_equal(httpx__tunnel_init(&c, "[::1]", 443, NULL), 0);
    assert_int_equal(httpx__tunnel_feed(&c, "HTTP/1.1 2", 10, &used, &e), 0);
    assert_int_equal(httpx__tunnel_eof(&c, &e), HTTPX_E_PROXY);
    expect_msg(&e, "connect to [::1]:443: proxy closed the connection before answering");
    /* a shrinking buffer is the caller's bug */
    assert_int_equal(httpx__tunnel_init(&c, "h", 1, NULL), 0);
    assert_int_equal(connect_feed_all(&c, "HTTP/1.1 100 Continue\r\n\r\n", &used, &e), 0);
    assert_int_equal(httpx__tunnel_feed(&c, "HTTP", 4, &used, &e), HTTPX_E_INVAL);
}

/* ---- allocation failures ------------------------------------------------------------------- */


/* The whole scenario with allocator `a`: 0 on success or the first error. */
static int alloc_scenario(const httpx_allocator_t *a)
{
    static const char *const vars[] = {
        "HTTP_PROXY", "http://u%41:p%42@env:1", "HTTPS_PROXY", "socks5h://s:2",
        "ALL_PROXY", "https://all:3", "NO_PROXY", "example.com,10.0.0.0/8", NULL,
    };
    static const httpx__proxy_mount_t mounts[] = {
        {"all://*.a.org", "http://a:1"}, {"https://b.org:8443", NULL}, {"all://c.org", "c:1"},
        {"http://", "http://replace:1"}, {"all://d1.org", "d:1"}, {"all://d2.org", "d:1"},
        {"all://d3.org", "d:1"}, {"all://d4.org", "d:1"}, {"all://d5.org", "d:1"},
        {NULL, NULL},
    };
    fake_env_t env = {vars, 0};
    httpx__proxy_config_t cfg = {.trust_env = true, .getenv = fake_getenv, .getenv_user = &env,
                                 .mounts = mounts};
    httpx__proxy_table_t *t = NULL;
    httpx_error_t e = {0};
    int rc = httpx__proxy_table_new(a, &cfg, &t, &e);
    if (rc) {
        assert_null(t);
        assert_int_equal(e.code, rc);
        return rc;
    }
    assert_int_equal(httpx__proxy_table_size(t), 11);
    expect_route(t, "https://x.a.org/", "http://a:1");
    expect_route(t, "https://other.org/", "socks5h://s:2");
    expect_route(t, "https://example.com/", "direct");
    expect_route(t, "http://zzz.org/", "http://replace:1");

    httpx__proxy_t *p = NULL;
    rc = httpx__proxy_parse("http://user:pw@proxy:3128", a, &p, &e);
    if (rc == 0) {
        httpx__tunnel_t c;
        assert_int_equal(httpx__tunnel_init(&c, "example.com", 443, NULL), 0);
        httpx__buf_t b;
        httpx__buf_init(&b, a, 4096);
        rc = httpx__tunnel_write(&c, p, NULL, &b, &e);
        if (rc)
            assert_int_equal(httpx__buf_size(&b), 0);
        httpx__buf_release(&b);
        httpx__proxy_free(p);
    } else {
        assert_null(p);
    }
    httpx__proxy_table_free(t);
    return rc;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    counting_t base = {0};
    httpx_allocator_t a0 = {c_malloc, c_realloc, c_free, &base};
    assert_int_equal(alloc_scenario(&a0), 0);
    assert_int_equal(base.live, 0);
    assert_true(base.calls > 10);
    for (long k = 1; k <= base.calls; k++) {
        counting_t c = {.fail_at = k};
        httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
        int rc = alloc_scenario(&a);
        if (rc != HTTPX_E_NOMEM)
            fail_msg("failing allocation %ld: rc %s", k, httpx_err_name(rc));
        assert_int_equal(c.live, 0);
    }
}

/* The sans-IO engines never allocate. */
static void test_no_allocation_in_handshakes(void **state)
{
    (void)state;
    assert_true(sizeof(httpx__socks5_t) < 2048);
    httpx__socks5_t s;
    assert_int_equal(httpx__socks5_init(&s, "example.com", 443, true, "u", "p", NULL), 0);
    httpx__tunnel_t c;
    assert_int_equal(httpx__tunnel_init(&c, "example.com", 443, NULL), 0);
    /* nothing to free: both are plain values */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_precedence),
        cmocka_unit_test(test_route_host_length),
        cmocka_unit_test(test_route_replace_and_case),
        cmocka_unit_test(test_route_bad_patterns),
        cmocka_unit_test(test_env_basic),
        cmocka_unit_test(test_env_lower_wins),
        cmocka_unit_test(test_env_httpoxy),
        cmocka_unit_test(test_env_off_and_explicit),
        cmocka_unit_test(test_env_no_proxy),
        cmocka_unit_test(test_env_bad_proxy),
        cmocka_unit_test(test_no_proxy_table),
        cmocka_unit_test(test_proxy_parse),
        cmocka_unit_test(test_proxy_parse_errors),
        cmocka_unit_test(test_socks5_noauth_domain),
        cmocka_unit_test(test_socks5_ip_targets),
        cmocka_unit_test(test_socks5_userpass),
        cmocka_unit_test(test_socks5_method_errors),
        cmocka_unit_test(test_socks5_reply_codes),
        cmocka_unit_test(test_socks5_garbage),
        cmocka_unit_test(test_socks5_init_errors),
        cmocka_unit_test(test_connect_write),
        cmocka_unit_test(test_connect_write_errors),
        cmocka_unit_test(test_connect_response_ok),
        cmocka_unit_test(test_connect_response_errors),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_no_allocation_in_handshakes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
