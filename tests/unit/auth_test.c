/* auth_test.c — Basic, Bearer, challenge parsing, Digest (RFC 7616 / 2617 / 2069
 * vectors, choice of challenge, nonce counting) and .netrc lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "core/buf.h"
#include "core/mem.h"
#include "httpx/error.h"
#include "unit/counting_alloc.h"

/* ---- a counting allocator that can fail the k-th allocation ---------------- */


/* ---- Basic, Bearer, base64 ------------------------------------------------- */

static void test_base64(void **state)
{
    (void)state;
    static const char *const v[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                       {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                       {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        httpx__buf_t b;
        httpx__buf_init(&b, NULL, 0);
        assert_int_equal(httpx__base64_encode(v[i][0], strlen(v[i][0]), &b), 0);
        assert_string_equal(httpx__buf_ptr(&b) ? httpx__buf_ptr(&b) : "", v[i][1]);
        httpx__buf_release(&b);
    }
}

static void expect_basic(const char *user, const char *pass, const char *want)
{
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__auth_basic(user, pass, &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), want);
    httpx__buf_release(&b);
}

static void test_basic(void **state)
{
    (void)state;
    expect_basic("Aladdin", "open sesame", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="); /* RFC 7617 §2 */
    expect_basic("test", "123\xc2\xa3", "Basic dGVzdDoxMjPCow==");                /* RFC 7617 §2.1 */
    expect_basic("", "", "Basic Og==");
    expect_basic("u", "", "Basic dTo=");
    expect_basic("user", "pass:with:colons", "Basic dXNlcjpwYXNzOndpdGg6Y29sb25z");

    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__buf_append_str(&b, "X"), 0);
    assert_int_equal(httpx__auth_basic("a", "b", &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "XBasic YTpi"); /* appends */
    assert_int_equal(httpx__auth_basic("a:b", "c", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_basic("a", "b\r\nX-Evil: 1", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_basic("a\n", "b", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_basic("a", "b\x7f", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_basic(NULL, "b", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_basic("a", NULL, &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_basic("a", "b", NULL), HTTPX_E_INVAL);
    assert_string_equal(httpx__buf_ptr(&b), "XBasic YTpi"); /* refusals append nothing */

    /* a cap hit midway leaves the buffer as it was */
    httpx__buf_t small;
    httpx__buf_init(&small, NULL, 12);
    assert_int_equal(httpx__buf_append_str(&small, "ab"), 0);
    assert_int_equal(httpx__auth_basic("user", "password", &small), HTTPX_E_BODY_LIMIT);
    assert_string_equal(httpx__buf_ptr(&small), "ab");
    httpx__buf_release(&small);
    httpx__buf_release(&b);
}

static void test_bearer(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__auth_bearer("mF_9.B5f-4.1JqM", &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "Bearer mF_9.B5f-4.1JqM");
    httpx__buf_reset(&b);
    assert_int_equal(httpx__auth_bearer("eyJhbGciOi.eyJzdWIi.SflKx+/w==", &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "Bearer eyJhbGciOi.eyJzdWIi.SflKx+/w==");
    httpx__buf_reset(&b);
    assert_int_equal(httpx__auth_bearer("", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_bearer("a b", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_bearer("a\r\nX: y", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_bearer("caf\xc3\xa9", &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__auth_bearer(NULL, &b), HTTPX_E_INVAL);
    assert_int_equal(httpx__buf_size(&b), 0);
    httpx__buf_release(&b);
}

/* ---- challenge parsing ------------------------------------------------------ */

/* Render what the cursor sees: scheme[token68]{name=value,name="value"} ... */
static int render_challenges(const char *in, char *out, size_t cap)
{
    httpx__auth_cursor_t c;
    httpx__auth_cursor_init(&c, in, strlen(in));
    httpx__slice_t scheme, t68, name, value;
    bool quoted;
    int rc;
    size_t k = 0;
    out[0] = '\0';
    while ((rc = httpx__auth_next_challenge(&c, &scheme, &t68, NULL)) == 1) {
        k += (size_t)snprintf(out + k, cap - k, "%s%.*s", k ? " " : "", (int)scheme.len, scheme.ptr);
        if (t68.len)
            k += (size_t)snprintf(out + k, cap - k, "[%.*s]", (int)t68.len, t68.ptr);
        bool first = true;
        while ((rc = httpx__auth_next_param(&c, &name, &value, &quoted, NULL)) == 1) {
            k += (size_t)snprintf(out + k, cap - k, "%s%.*s=%s%.*s%s", first ? "{" : ",", (int)name.len, name.ptr,
                                  quoted ? "\"" : "", (int)value.len, value.ptr, quoted ? "\"" : "");
            first = false;
        }
        if (!first)
            k += (size_t)snprintf(out + k, cap - k, "}");
        if (rc < 0)
            return rc;
    }
    return rc;
}

static void test_challenge_table(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"Basic realm=\"x\"", "Basic{realm=\"x\"}"},
        {"Basic", "Basic"},
        {"", ""},
        {" , ,", ""},
        {"Basic, Digest", "Basic Digest"},
        {"Negotiate abc+/==", "Negotiate[abc+/==]"},
        {"Negotiate abc==, Basic realm=r", "Negotiate[abc==] Basic{realm=r}"},
        {"Bearer", "Bearer"},
        {"Digest realm=\"a\", nonce=\"b\", Basic realm=\"c\"", "Digest{realm=\"a\",nonce=\"b\"} Basic{realm=\"c\"}"},
        {"Digest realm = \"a\" ,nonce=b", "Digest{realm=\"a\",nonce=b}"},
        {"Digest realm=\"a, b=c\", nonce=x", "Digest{realm=\"a, b=c\",nonce=x}"},
        {"Digest realm=\"q\\\"uote\\\\\"", "Digest{realm=\"q\\\"uote\\\\\"}"},
        {"Digest ,, realm=a,,, nonce=b ,", "Digest{realm=a,nonce=b}"},
        {"Digest realm=\"\"", "Digest{realm=\"\"}"},
        {"Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
         "Newauth{realm=\"apps\",type=1,title=\"Login to \\\"apps\\\"\"} Basic{realm=\"simple\"}"},
        {"Digest\trealm=a", "Digest{realm=a}"},
        {"Foo a=\"\xc3\xa9\"", "Foo{a=\"\xc3\xa9\"}"},
        {"Digest realm=", "Digest[realm=]"}, /* a token68, by the grammar */
        {"Basic, realm=x", "Basic{realm=x}"}, /* empty elements before the first param */
    };
    char got[512];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int rc = render_challenges(ok[i][0], got, sizeof got);
        if (rc != 0 || strcmp(got, ok[i][1]) != 0)
            fail_msg("challenge \"%s\": rc %d, got \"%s\", want \"%s\"", ok[i][0], rc, got, ok[i][1]);
    }
    static const char *const bad[] = {
        "realm=x",                   /* a param before any scheme */
        "Digest realm=\"unterminated",
        "Digest realm=\"a\" nonce=\"b\"", /* missing comma */
        "Digest realm=,nonce=b", /* token68 "realm=", then a param */
        "Digest realm=\"a\"x",
        "Digest realm=\"a\r\nb\"",
        "Digest \"x\"",
        "Digest realm=a, =b",
        "Negotiate abc==, realm=r",  /* a param after a token68 */
        "Digest realm=\"a\\",
        "\"Digest\"",
        "Basic;realm=x",
        "Digest realm=a;b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = render_challenges(bad[i], got, sizeof got);
        if (rc != HTTPX_E_REMOTE_PROTOCOL)
            fail_msg("challenge \"%s\": rc %d (%s), want REMOTE_PROTOCOL", bad[i], rc, got);
    }
    /* the error message names the problem */
    httpx__auth_cursor_t c;
    httpx_error_t e = {0};
    httpx__slice_t s, t;
    httpx__auth_cursor_init(&c, "realm=x", 7);
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, &e), HTTPX_E_REMOTE_PROTOCOL);
    assert_non_null(strstr(e.message, "authentication challenge: auth-param outside a challenge"));
}

static void test_challenge_skip_params(void **state)
{
    (void)state;
    /* params not pulled are skipped by the next challenge call, still checked */
    const char *in = "Digest realm=a, nonce=b, Basic realm=c";
    httpx__auth_cursor_t c;
    httpx__auth_cursor_init(&c, in, strlen(in));
    httpx__slice_t s, t;
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, NULL), 1);
    assert_true(httpx__slice_eq(s, HTTPX__SLICE_LIT("Digest")));
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, NULL), 1);
    assert_true(httpx__slice_eq(s, HTTPX__SLICE_LIT("Basic")));
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, NULL), 0);
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, NULL), 0);
    const char *bad = "Digest realm=a nonce=b, Basic";
    httpx__auth_cursor_init(&c, bad, strlen(bad));
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, NULL), 1);
    assert_int_equal(httpx__auth_next_challenge(&c, &s, &t, NULL), HTTPX_E_REMOTE_PROTOCOL);
}

static void test_unquote(void **state)
{
    (void)state;
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__auth_unquote(HTTPX__SLICE_LIT("a\\\"b\\\\c\\d"), true, &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "a\"b\\cd");
    httpx__buf_reset(&b);
    assert_int_equal(httpx__auth_unquote(HTTPX__SLICE_LIT("a\\b"), false, &b), 0);
    assert_string_equal(httpx__buf_ptr(&b), "a\\b");
    httpx__buf_release(&b);
}

/* ---- Digest ----------------------------------------------------------------- */

#define RFC7616_REALM "http-auth@example.org"
#define RFC7616_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC7616_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RFC7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC7616_CHALLENGE(alg)                                                                      \
    "Digest\n realm=\"" RFC7616_REALM "\",\n qop=\"auth, auth-int\",\n algorithm=" alg ",\n nonce=\"" \
    RFC7616_NONCE "\",\n opaque=\"" RFC7616_OPAQUE "\""

/* RFC 7616 §3.9.1 shows the challenge folded over lines; as one field value the
 * line breaks are spaces. */
static char *unfold(const char *s)
{
    char *p = strdup(s);
    for (char *q = p; *q; q++)
        if (*q == '\n')
            *q = ' ';
    return p;
}

static httpx__digest_t *digest_ok(const char *hdr)
{
    httpx__digest_t *d = NULL;
    httpx_error_t e = {0};
    char *v = unfold(hdr);
    int rc = httpx__digest_new(v, strlen(v), NULL, &d, &e);
    if (rc)
        fail_msg("digest \"%s\": %s (%s)", v, httpx_err_name(rc), e.message);
    free(v);
    return d;
}

static void authorize(httpx__digest_t *d, const char *method, const char *uri, const char *user,
                      const char *pass, char *out, size_t cap)
{
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    httpx_error_t e = {0};
    int rc = httpx__digest_authorize(d, method, uri, user, pass, &b, &e);
    if (rc)
        fail_msg("authorize: %s (%s)", httpx_err_name(rc), e.message);
    snprintf(out, cap, "%s", httpx__buf_ptr(&b));
    httpx__buf_release(&b);
}

static void test_digest_rfc7616_sha256(void **state)
{
    (void)state;
    /* Both challenges of §3.9.1 in one value: SHA-256 is the stronger one. */
    httpx__digest_t *d = digest_ok(RFC7616_CHALLENGE("MD5") ", " RFC7616_CHALLENGE("SHA-256"));
    assert_int_equal(httpx__digest_algorithm(d), HTTPX__DIGEST_SHA256);
    assert_string_equal(httpx__digest_realm(d), RFC7616_REALM);
    assert_string_equal(httpx__digest_nonce(d), RFC7616_NONCE);
    assert_string_equal(httpx__digest_opaque(d), RFC7616_OPAQUE);
    assert_true(httpx__digest_qop_auth(d));
    assert_false(httpx__digest_stale(d));
    assert_int_equal(httpx__digest_set_cnonce(d, RFC7616_CNONCE), 0);
    char got[1024];
    authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle of Life", got, sizeof got);
    assert_string_equal(got,
                        "Digest username=\"Mufasa\", realm=\"" RFC7616_REALM "\", uri=\"/dir/index.html\", "
                        "algorithm=SHA-256, nonce=\"" RFC7616_NONCE "\", nc=00000001, cnonce=\"" RFC7616_CNONCE
                        "\", qop=auth, response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
                        "opaque=\"" RFC7616_OPAQUE "\"");
    assert_int_equal(httpx__digest_nc(d), 1);
    httpx__digest_free(d);
}

static void test_digest_rfc7616_md5(void **state)
{
    (void)state;
    httpx__digest_t *d = digest_ok(RFC7616_CHALLENGE("MD5"));
    assert_int_equal(httpx__digest_algorithm(d), HTTPX__DIGEST_MD5);
    assert_int_equal(httpx__digest_set_cnonce(d, RFC7616_CNONCE), 0);
    char got[1024];
    authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle of Life", got, sizeof got);
    /* RFC 7616 prints response="8ca523f5e9506fed4657c9700eaf8873" for this example,
     * which is a known erratum: MD5 of its own inputs ends in ...eebdbec (the SHA-256
     * value, computed from the same inputs, matches the RFC). */
    assert_string_equal(got,
                        "Digest username=\"Mufasa\", realm=\"" RFC7616_REALM "\", uri=\"/dir/index.html\", "
                        "algorithm=MD5, nonce=\"" RFC7616_NONCE "\", nc=00000001, cnonce=\"" RFC7616_CNONCE
                        "\", qop=auth, response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"" RFC7616_OPAQUE
                        "\"");
    httpx__digest_free(d);
}

static void test_digest_rfc2617(void **state)
{
    (void)state;
    httpx__digest_t *d = digest_ok("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                                   "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                                   "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    assert_int_equal(httpx__digest_algorithm(d), HTTPX__DIGEST_MD5);
    assert_int_equal(httpx__digest_set_cnonce(d, "0a4f113b"), 0);
    char got[1024];
    authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", got, sizeof got);
    /* RFC 2617 §3.5; no algorithm was named, so none is echoed */
    assert_string_equal(got, "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", uri=\"/dir/index.html\", "
                             "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", nc=00000001, cnonce=\"0a4f113b\", "
                             "qop=auth, response=\"6629fae49393a05397450978507c4ef1\", "
                             "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    httpx__digest_free(d);
}

/* Values computed independently from the RFC 7616 inputs (Python hashlib). */
static void test_digest_variants(void **state)
{
    (void)state;
    static const struct {
        const char *alg, *qop, *response;
        bool cnonce;
    } v[] = {
        {"SHA-512-256", "qop=\"auth\", ", "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0", true},
        {"MD5-sess", "qop=\"auth\", ", "e783283f46242139c486a698fec7211d", true},
        {"SHA-256-sess", "qop=\"auth\", ", "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7", true},
        {"SHA-512-256-sess", "qop=auth, ",
         "3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e", true},
        /* RFC 2069 mode: no qop, so no nc and no cnonce */
        {"MD5", "", "7b2cc3b30e75b4777ea31027084363fd", false},
        {"SHA-256", "", "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363", false},
        {"SHA-512-256", "", "93e9122020ea0624d2ca801426d5bfbeb93d10ff4cc24cb410af3920fa4730e7", false},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char hdr[512], got[1024], want[128];
        snprintf(hdr, sizeof hdr, "Digest realm=\"%s\", %salgorithm=%s, nonce=\"%s\"", RFC7616_REALM, v[i].qop,
                 v[i].alg, RFC7616_NONCE);
        httpx__digest_t *d = digest_ok(hdr);
        assert_string_equal(httpx__digest_alg_name(httpx__digest_algorithm(d)), v[i].alg);
        assert_int_equal(httpx__digest_set_cnonce(d, RFC7616_CNONCE), 0);
        authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle of Life", got, sizeof got);
        snprintf(want, sizeof want, "response=\"%s\"", v[i].response);
        if (!strstr(got, want))
            fail_msg("%s: got %s", v[i].alg, got);
        assert_true(!strstr(got, "opaque="));
        bool has_qop = *v[i].qop != '\0';
        assert_int_equal(strstr(got, "qop=auth") != NULL, has_qop);
        assert_int_equal(strstr(got, "nc=") != NULL, has_qop);
        assert_int_equal(strstr(got, "cnonce=") != NULL, v[i].cnonce);
        httpx__digest_free(d);
    }
    /* RFC 2069 mode, exact */
    httpx__digest_t *d = digest_ok("Digest realm=\"" RFC7616_REALM "\", nonce=\"" RFC7616_NONCE "\"");
    assert_false(httpx__digest_qop_auth(d));
    char got[1024];
    authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle of Life", got, sizeof got);
    assert_string_equal(got, "Digest username=\"Mufasa\", realm=\"" RFC7616_REALM "\", uri=\"/dir/index.html\", "
                             "nonce=\"" RFC7616_NONCE "\", response=\"7b2cc3b30e75b4777ea31027084363fd\"");
    httpx__digest_free(d);
}

static void test_digest_nc(void **state)
{
    (void)state;
    httpx__digest_t *d = digest_ok(RFC7616_CHALLENGE("SHA-256"));
    assert_int_equal(httpx__digest_set_cnonce(d, RFC7616_CNONCE), 0);
    char got[1024];
    authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle of Life", got, sizeof got);
    assert_non_null(strstr(got, "nc=00000001"));
    authorize(d, "GET", "/dir/index.html", "Mufasa", "Circle of Life", got, sizeof got);
    assert_non_null(strstr(got, "nc=00000002"));
    assert_non_null(strstr(got, "response=\"8c8db27f49ff1c202f9fb49fa9d2e9eabf078dcc93db40dfd6527010091d1c8e\""));
    for (int i = 3; i <= 17; i++)
        authorize(d, "POST", "/x", "Mufasa", "Circle of Life", got, sizeof got);
    assert_non_null(strstr(got, "nc=00000011"));
    assert_int_equal(httpx__digest_nc(d), 17);
    /* a failed call does not count */
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__digest_authorize(d, "GET", "/x", "a\r\n", "p", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_nc(d), 17);
    assert_int_equal(httpx__buf_size(&b), 0);
    httpx__buf_release(&b);
    /* random cnonces: 32 hex digits, different each time */
    assert_int_equal(httpx__digest_set_cnonce(d, NULL), 0);
    char a1[1024], a2[1024];
    authorize(d, "GET", "/", "u", "p", a1, sizeof a1);
    authorize(d, "GET", "/", "u", "p", a2, sizeof a2);
    const char *c1 = strstr(a1, "cnonce=\""), *c2 = strstr(a2, "cnonce=\"");
    assert_non_null(c1);
    assert_non_null(c2);
    c1 += 8;
    c2 += 8;
    assert_int_equal(strspn(c1, "0123456789abcdef"), 32);
    assert_int_equal(c1[32], '"');
    assert_memory_not_equal(c1, c2, 32);
    httpx__digest_free(d);
    /* a new challenge (new nonce) starts counting again */
    d = digest_ok(RFC7616_CHALLENGE("SHA-256"));
    authorize(d, "GET", "/", "u", "p", got, sizeof got);
    assert_non_null(strstr(got, "nc=00000001"));
    httpx__digest_free(d);
}

static void test_digest_choice(void **state)
{
    (void)state;
    static const struct {
        const char *hdr;
        httpx__digest_alg_t alg;
        bool qop;
        const char *nonce;
    } v[] = {
        {"Digest realm=r, nonce=a, algorithm=MD5, Digest realm=r, nonce=b, algorithm=SHA-512-256, "
         "Digest realm=r, nonce=c, algorithm=SHA-256",
         HTTPX__DIGEST_SHA512_256, false, "b"},
        {"Basic realm=x, Digest realm=r, nonce=a, algorithm=SHA-256-sess, qop=auth", HTTPX__DIGEST_SHA256_SESS, true,
         "a"},
        {"Digest realm=r, nonce=a, algorithm=SHA-256, Digest realm=r, nonce=b, algorithm=SHA-256, qop=auth",
         HTTPX__DIGEST_SHA256, true, "b"},
        {"Digest realm=r, nonce=a, algorithm=SHA-256, Digest realm=r, nonce=b, algorithm=SHA-256-sess",
         HTTPX__DIGEST_SHA256, false, "a"},
        /* unknown algorithms and auth-int-only challenges are passed over */
        {"Digest realm=r, nonce=a, algorithm=SHA-1, Digest realm=r, nonce=b, algorithm=MD5",
         HTTPX__DIGEST_MD5, false, "b"},
        {"Digest realm=r, nonce=a, algorithm=SHA-256, qop=auth-int, Digest realm=r, nonce=b",
         HTTPX__DIGEST_MD5, false, "b"},
        {"Digest realm=r, nonce=a, qop=\"auth-int, auth\"", HTTPX__DIGEST_MD5, true, "a"},
        {"Digest realm=r, nonce=a, qop=\" AUTH \"", HTTPX__DIGEST_MD5, true, "a"},
        /* names, scheme and algorithm case-insensitively; params in any order */
        {"DIGEST NONCE=\"n\", ALGORITHM=sha-512-256, QOP=\"auth\", REALM=\"r\"", HTTPX__DIGEST_SHA512_256, true,
         "n"},
        {"digest algorithm=\"MD5-SESS\", nonce=n, realm=r, qop=auth", HTTPX__DIGEST_MD5_SESS, true, "n"},
        /* a broken Digest challenge next to a good one */
        {"Digest realm=r, Digest realm=r, nonce=b", HTTPX__DIGEST_MD5, false, "b"},
        {"Digest abc==, Digest realm=r, nonce=b", HTTPX__DIGEST_MD5, false, "b"},
        {"Digest realm=r, nonce=\"q\\\"x\\\\\", domain=\"/a /b\", charset=UTF-8, userhash=false, ext=1",
         HTTPX__DIGEST_MD5, false, "q\"x\\"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        httpx__digest_t *d = digest_ok(v[i].hdr);
        if (httpx__digest_algorithm(d) != v[i].alg || httpx__digest_qop_auth(d) != v[i].qop ||
            strcmp(httpx__digest_nonce(d), v[i].nonce) != 0)
            fail_msg("\"%s\": got %s qop=%d nonce=%s", v[i].hdr, httpx__digest_alg_name(httpx__digest_algorithm(d)),
                     httpx__digest_qop_auth(d), httpx__digest_nonce(d));
        httpx__digest_free(d);
    }
    /* stale, opaque absent, escaped values re-escaped on the way out */
    httpx__digest_t *d = digest_ok("Digest realm=\"a \\\"b\\\" c\", nonce=n, stale=TRUE, qop=auth");
    assert_true(httpx__digest_stale(d));
    assert_null(httpx__digest_opaque(d));
    assert_string_equal(httpx__digest_realm(d), "a \"b\" c");
    char got[1024];
    authorize(d, "GET", "/p?q=\"x\"", "us\"er", "pw", got, sizeof got);
    assert_non_null(strstr(got, "username=\"us\\\"er\", realm=\"a \\\"b\\\" c\", uri=\"/p?q=\\\"x\\\"\""));
    httpx__digest_free(d);
    d = digest_ok("Digest realm=r, nonce=n, stale=false");
    assert_false(httpx__digest_stale(d));
    httpx__digest_free(d);
}

static void test_digest_errors(void **state)
{
    (void)state;
    static const struct {
        const char *hdr;
        int code;
        const char *msg;
    } v[] = {
        {"Basic realm=\"x\"", HTTPX_E_UNSUPPORTED, "no digest challenge"},
        {"", HTTPX_E_UNSUPPORTED, "no digest challenge"},
        {"Digest realm=r, nonce=n, qop=\"auth-int\"", HTTPX_E_UNSUPPORTED, "no supported algorithm and qop"},
        {"Digest realm=r, nonce=n, algorithm=SHA-1", HTTPX_E_UNSUPPORTED, "no supported algorithm"},
        {"Digest realm=r, nonce=n, algorithm=token", HTTPX_E_UNSUPPORTED, "no supported algorithm"},
        {"Digest realm=r", HTTPX_E_REMOTE_PROTOCOL, "lacks realm or nonce"},
        {"Digest nonce=n", HTTPX_E_REMOTE_PROTOCOL, "lacks realm or nonce"},
        {"Digest realm=r, nonce=n, nonce=m", HTTPX_E_REMOTE_PROTOCOL, "repeats a parameter"},
        {"Digest", HTTPX_E_REMOTE_PROTOCOL, "lacks realm or nonce"},
        {"Digest abc==", HTTPX_E_REMOTE_PROTOCOL, "lacks realm or nonce"},
        {"Digest realm=r, Digest nonce=n", HTTPX_E_REMOTE_PROTOCOL, "no challenge has"},
        {"Digest realm=\"r, nonce=n", HTTPX_E_REMOTE_PROTOCOL, "unterminated quoted-string"},
        {"Digest realm=r nonce=n", HTTPX_E_REMOTE_PROTOCOL, "expected ','"},
        {"Digest realm=r, nonce=n, Basic realm=\"x", HTTPX_E_REMOTE_PROTOCOL, "unterminated"},
        {"Digest realm=r, nonce=\"a\nb\"", HTTPX_E_REMOTE_PROTOCOL, "control character"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        httpx__digest_t *d = (httpx__digest_t *)&d; /* must be reset to NULL */
        httpx_error_t e = {0};
        int rc = httpx__digest_new(v[i].hdr, strlen(v[i].hdr), NULL, &d, &e);
        if (rc != v[i].code || !strstr(e.message, v[i].msg))
            fail_msg("\"%s\": %s \"%s\", want %s \"%s\"", v[i].hdr, httpx_err_name(rc), e.message,
                     httpx_err_name(v[i].code), v[i].msg);
        assert_null(d);
        assert_true(e.message[0] >= 'a' && e.message[0] <= 'z');
    }
    httpx__digest_t *d = NULL;
    assert_int_equal(httpx__digest_new(NULL, 0, NULL, &d, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_new("Digest", 6, NULL, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_new("Digest", HTTPX__DIGEST_MAX_HEADER + 1, NULL, &d, NULL), HTTPX_E_INVAL);
    /* authorize refusals */
    d = digest_ok("Digest realm=r, nonce=n, qop=auth");
    httpx__buf_t b;
    httpx__buf_init(&b, NULL, 0);
    assert_int_equal(httpx__digest_authorize(d, "GET", "/", "u", "p\r\n", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_authorize(d, "GE T", "/", "u", "p", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_authorize(d, "", "/", "u", "p", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_authorize(d, "GET", "", "u", "p", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_authorize(d, "GET", "/\n", "u", "p", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_authorize(d, "GET", "/", NULL, "p", &b, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_authorize(d, "GET", "/", "u", "p", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_set_cnonce(d, ""), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_set_cnonce(d, "a\"b"), HTTPX_E_INVAL);
    assert_int_equal(httpx__digest_set_cnonce(d, "a b"), HTTPX_E_INVAL);
    char longc[HTTPX__DIGEST_MAX_CNONCE + 2];
    memset(longc, 'a', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    assert_int_equal(httpx__digest_set_cnonce(d, longc), HTTPX_E_INVAL);
    longc[HTTPX__DIGEST_MAX_CNONCE] = '\0';
    assert_int_equal(httpx__digest_set_cnonce(d, longc), 0);
    assert_int_equal(httpx__buf_size(&b), 0);
    assert_int_equal(httpx__digest_nc(d), 0);
    /* a cap hit while writing: nothing appended, no count */
    httpx__buf_t small;
    httpx__buf_init(&small, NULL, 40);
    assert_int_equal(httpx__digest_authorize(d, "GET", "/", "u", "p", &small, NULL), HTTPX_E_BODY_LIMIT);
    assert_int_equal(httpx__buf_size(&small), 0);
    assert_int_equal(httpx__digest_nc(d), 0);
    httpx__buf_release(&small);
    httpx__buf_release(&b);
    httpx__digest_free(d);
    httpx__digest_free(NULL);
}

static void test_digest_alloc_failures(void **state)
{
    (void)state;
    const char *hdr = "Basic realm=x, Digest realm=\"r\\\"\", nonce=\"n\", opaque=\"o\", qop=auth, algorithm=SHA-256";
    bool done = false;
    for (long k = 1; !done && k < 100; k++) {
        counting_t c = {.fail_at = k};
        httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
        httpx__digest_t *d = NULL;
        httpx_error_t e = {0};
        int rc = httpx__digest_new(hdr, strlen(hdr), &a, &d, &e);
        if (rc == 0) {
            httpx__buf_t b;
            httpx__buf_init(&b, &a, 0);
            rc = httpx__digest_authorize(d, "GET", "/", "u", "p", &b, &e);
            if (rc == 0) {
                done = c.calls < k;
                assert_non_null(strstr(httpx__buf_ptr(&b), "nc=00000001"));
            } else {
                assert_int_equal(rc, HTTPX_E_NOMEM);
                assert_int_equal(httpx__digest_nc(d), 0);
            }
            httpx__buf_release(&b);
            httpx__digest_free(d);
        } else {
            assert_int_equal(rc, HTTPX_E_NOMEM);
            assert_null(d);
            assert_string_equal(e.message, "digest challenge: out of memory");
        }
        assert_int_equal(c.live, 0);
    }
    assert_true(done);
}

/* ---- .netrc ----------------------------------------------------------------- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/httpx-netrc-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static void expect_netrc(const char *text, const char *host, const char *want_login, const char *login,
                         const char *password)
{
    char *path = write_temp(text);
    char *l = (char *)1, *p = (char *)1;
    int rc = httpx__netrc_find(path, host, want_login, &l, &p, NULL);
    unlink(path);
    free(path);
    if (rc)
        fail_msg("netrc \"%s\" host %s: %s", text, host, httpx_err_name(rc));
    if ((login == NULL) != (l == NULL) || (login && strcmp(login, l)) || (password == NULL) != (p == NULL) ||
        (password && strcmp(password, p)))
        fail_msg("netrc \"%s\" host %s: got %s/%s, want %s/%s", text, host, l ? l : "(null)", p ? p : "(null)",
                 login ? login : "(null)", password ? password : "(null)");
    free(l);
    free(p);
}

static void test_netrc(void **state)
{
    (void)state;
    const char *basic = "machine example.com login alice password s3cret\n"
                        "machine other.org\n  login bob\n  password hunter2\n"
                        "default login anon password guest@\n";
    expect_netrc(basic, "example.com", NULL, "alice", "s3cret");
    expect_netrc(basic, "other.org", NULL, "bob", "hunter2");
    expect_netrc(basic, "EXAMPLE.Com", NULL, "alice", "s3cret"); /* host case-insensitive */
    expect_netrc(basic, "nowhere.net", NULL, "anon", "guest@");  /* default */
    expect_netrc("machine a login x password y\n", "b", NULL, NULL, NULL);
    expect_netrc("", "a", NULL, NULL, NULL);
    /* order of keywords within an entry; account ignored; tabs and CRLF */
    expect_netrc("machine h\taccount acct\r\npassword pw\r\nlogin me\r\n", "h", NULL, "me", "pw");
    /* an entry without a password, one without a login */
    expect_netrc("machine h login only\nmachine i password nologin\n", "h", NULL, "only", NULL);
    expect_netrc("machine h login only\nmachine i password nologin\n", "i", NULL, NULL, "nologin");
    /* first match wins */
    expect_netrc("machine h login one password 1\nmachine h login two password 2\n", "h", NULL, "one", "1");
    /* with a wanted login, only entries with that login match */
    expect_netrc("machine h login one password 1\nmachine h login two password 2\n", "h", "two", "two", "2");
    expect_netrc("machine h login one password 1\ndefault login two password d\n", "h", "two", "two", "d");
    expect_netrc("machine h login one password 1\n", "h", "three", NULL, NULL);
    /* quoted tokens with spaces and escapes */
    expect_netrc("machine h login \"a user\" password \"p \\\"q\\\" \\\\ r\\tt\"\n", "h", NULL, "a user",
                 "p \"q\" \\ r\tt");
    expect_netrc("machine \"h\" login \"\" password x", "h", NULL, "", "x");
    /* macdef bodies are skipped up to an empty line */
    expect_netrc("macdef init\nmachine h login evil password evil\n\nmachine h login good password ok\n", "h",
                 NULL, "good", "ok");
    expect_netrc("machine x login a password b macdef m\ncd /\nmachine h login evil\n\r\n"
                 "machine h login good password ok\n",
                 "h", NULL, "good", "ok");
    expect_netrc("machine h login a password b\nmacdef m\nbody\n", "h", NULL, "a", "b");
    expect_netrc("macdef m\nmachine h login evil", "h", NULL, NULL, NULL);
    /* comments */
    expect_netrc("# machine h login evil password evil\nmachine h login a password b # trailing\n", "h", NULL, "a",
                 "b");
    /* tokens before any machine, and unknown tokens, are ignored */
    expect_netrc("login stray password stray\nmachine h port 21 login a password b\n", "h", NULL, "a", "b");
    expect_netrc("machine h login a password b", "h", NULL, "a", "b"); /* no final newline */
}

static void test_netrc_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "machine",
        "machine h login",
        "machine h login a password",
        "machine h login \"unterminated",
        "machine h macdef",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = write_temp(bad[i]);
        char *l = (char *)1, *p = (char *)1;
        int rc = httpx__netrc_lookup(path, "h", &l, &p, NULL);
        unlink(path);
        free(path);
        if (rc != HTTPX_E_INVAL)
            fail_msg("netrc \"%s\": %s, want INVAL", bad[i], httpx_err_name(rc));
        assert_null(l);
        assert_null(p);
    }
    /* a match before the malformed part is returned */
    char *path = write_temp("machine h login a password b\nmachine x login");
    char *l, *p;
    assert_int_equal(httpx__netrc_lookup(path, "h", &l, &p, NULL), 0);
    assert_string_equal(l, "a");
    free(l);
    free(p);
    unlink(path);
    free(path);
    /* missing file: no credentials, not an error */
    assert_int_equal(httpx__netrc_lookup("/nonexistent/dir/.netrc", "h", &l, &p, NULL), 0);
    assert_null(l);
    assert_null(p);
    /* a directory cannot be read */
    assert_int_equal(httpx__netrc_lookup("/tmp", "h", &l, &p, NULL), HTTPX_E_SYSTEM);
    assert_int_equal(httpx__netrc_lookup(NULL, NULL, &l, &p, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx__netrc_lookup(NULL, "h", NULL, &p, NULL), HTTPX_E_INVAL);
    /* too large */
    char big_path[] = "/tmp/httpx-netrc-big-XXXXXX";
    int fd = mkstemp(big_path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, HTTPX__NETRC_MAX_SIZE + 1), 0);
    close(fd);
    assert_int_equal(httpx__netrc_lookup(big_path, "h", &l, &p, NULL), HTTPX_E_INVAL);
    unlink(big_path);
}

static void test_netrc_default_path(void **state)
{
    (void)state;
    char *path = write_temp("machine envhost login e password p\n");
    char *old_netrc = getenv("NETRC") ? strdup(getenv("NETRC")) : NULL;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *l, *p;
    setenv("NETRC", path, 1);
    assert_int_equal(httpx__netrc_lookup(NULL, "envhost", &l, &p, NULL), 0);
    assert_string_equal(l, "e");
    assert_string_equal(p, "p");
    free(l);
    free(p);
    /* $HOME/.netrc when NETRC is unset */
    char home[] = "/tmp/httpx-home-XXXXXX";
    assert_non_null(mkdtemp(home));
    char file[64];
    snprintf(file, sizeof file, "%s/.netrc", home);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("default login h password hp\n", f);
    fclose(f);
    unsetenv("NETRC");
    setenv("HOME", home, 1);
    assert_int_equal(httpx__netrc_lookup(NULL, "any", &l, &p, NULL), 0);
    assert_string_equal(l, "h");
    assert_string_equal(p, "hp");
    free(l);
    free(p);
    unlink(file);
    rmdir(home);
    if (old_netrc)
        setenv("NETRC", old_netrc, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    else
        unsetenv("HOME");
    free(old_netrc);
    free(old_home);
    unlink(path);
    free(path);
}

static void test_netrc_alloc_failures(void **state)
{
    (void)state;
    char *path = write_temp("machine h login \"the user\" password secret\n");
    bool done = false;
    for (long k = 1; !done && k < 50; k++) {
        counting_t c = {.fail_at = k};
        httpx_allocator_t a = {c_malloc, c_realloc, c_free, &c};
        char *l = NULL, *p = NULL;
        int rc = httpx__netrc_lookup(path, "h", &l, &p, &a);
        if (rc == 0) {
            done = c.calls < k;
            assert_string_equal(l, "the user");
            assert_string_equal(p, "secret");
            httpx__free(&a, l);
            httpx__free(&a, p);
        } else {
            assert_int_equal(rc, HTTPX_E_NOMEM);
            assert_null(l);
            assert_null(p);
        }
        assert_int_equal(c.live, 0);
    }
    assert_true(done);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_challenge_table),
        cmocka_unit_test(test_challenge_skip_params),
        cmocka_unit_test(test_unquote),
        cmocka_unit_test(test_digest_rfc7616_sha256),
        cmocka_unit_test(test_digest_rfc7616_md5),
        cmocka_unit_test(test_digest_rfc2617),
        cmocka_unit_test(test_digest_variants),
        cmocka_unit_test(test_digest_nc),
        cmocka_unit_test(test_digest_choice),
        cmocka_unit_test(test_digest_errors),
        cmocka_unit_test(test_digest_alloc_failures),
        cmocka_unit_test(test_netrc),
        cmocka_unit_test(test_netrc_errors),
        cmocka_unit_test(test_netrc_default_path),
        cmocka_unit_test(test_netrc_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
