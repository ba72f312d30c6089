/* Caller misuse (issue 9, part 3): every public function called with NULL and
 * out-of-range arguments, CR/LF/NUL where they could smuggle bytes onto the wire,
 * huge inputs, use after close, and frees in unusual orders. Each case must return
 * its documented code and never crash (the suite runs under ASan+UBSan and
 * valgrind). Requests that must be refused are aimed at the raw server's /count
 * with a unique target, and afterwards a clean GET of that target must answer "1":
 * nothing reached the server. A request hook counts hops too (0 = nothing built).
 *
 * One test per function family. Function -> code checked (NULL = a NULL pointer
 * argument; "no crash" = the header documents no code, the call must just be safe):
 *
 *  errors     httpx_strerror/err_name(unknown)   "unknown error" / "UNKNOWN"
 *             httpx_error_is(x, non-class)       0;  httpx_phase_name(99) non-NULL
 *  url        httpx_url_parse(NULL,..)/(..,NULL out)   INVAL
 *             parse CR, LF, TAB, DEL, C0, "" INVALID_URL (space, 8-bit: percent-encoded)
 *             1 MiB URL: 0 or INVALID_URL
 *             httpx_url_resolve(NULL|ref NULL|out NULL)  INVAL; ref with CR/LF INVALID_URL
 *             httpx_url_with_params(NULL|out NULL)       INVAL; NULL value mid-array INVAL
 *             httpx_percent_encode(NULL in, len>0|out NULL) INVAL
 *             httpx_url_free(NULL) no crash; accessors(NULL): BUG, crash (bug_url_accessors_null)
 *  headers    httpx_headers_add/addn/set(NULL list|NULL name|NULL value)  INVAL
 *             name "" / with CR LF NUL SP ':' / 8-bit    INVAL;  value with CR LF NUL  INVAL
 *             httpx_headers_at(i >= count | NULL)        INVAL; get/get_nth/count/remove/
 *             has_token(NULL) NULL/0;  1 MiB value       0 (no limit on a list)
 *  cookies    httpx_cookie_jar_new(.., NULL)             INVAL
 *             set: NULL jar/name, "" name, CR/LF/TAB/';'/'=' in name, CR/LF/';' in value,
 *             space in domain, path without '/', pair > HTTPX_COOKIE_MAX_PAIR   INVAL
 *             add(NULL), HOST_ONLY + "" domain           INVAL
 *             get(NULL jar|name|value)                   INVAL; two matches COOKIE_CONFLICT
 *             at(i >= count|NULL)                        INVAL;  load/save(NULL)  INVAL
 *             load(missing file)                         SYSTEM; delete/count/clear(NULL) 0
 *  client_new httpx_client_new(.., NULL)                 INVAL
 *             base_url bad / with CRLF                   INVALID_URL
 *             default header CRLF / NULL value, UA CRLF  INVAL
 *             negative limits, bad local_address         INVAL
 *             struct_size 1                              INVAL ("incompatible version")
 *             struct_size 0                              0, taken as the full struct (*)
 *  request    httpx_client_request/get/...(NULL c|NULL out|NULL method|NULL url) INVAL
 *             method "", "G ET", CR, LF, "(", 8-bit      INVAL (nothing sent)
 *             header name/value CR/LF/SP/":"/NULL        INVAL (nothing sent)
 *             URL with CR/LF/TAB/DEL                     INVALID_URL (nothing sent); SP: %20
 *             params NULL value mid-array                INVAL;  body BYTES NULL data  INVAL
 *             body FILE NULL path, PRODUCER NULL cb, kind 99      INVAL
 *             auth BASIC NULL user, BEARER NULL token, CUSTOM NULL flow  INVAL
 *             req struct_size 1                          INVAL;  0: taken as full (*)
 *             1 MiB URL / 1 MiB header value             no crash; server's 431 or an error
 *             httpx_auth_step_set_header(CRLF)           INVAL (from a custom flow)
 *  one-shot   httpx_get/.../stream(NULL url|NULL out|bad method)  INVAL
 *  client     last_error(NULL)/cookies(NULL)             NULL;  pool_stats(NULL|NULL s)  INVAL
 *             close/free(NULL), close twice               no crash
 *             any request after close                    CLOSED; parallel_new after close CLOSED
 *  response   accessors(NULL)                            0/NULL/"" (no crash)
 *             content(NULL|NULL data)                    INVAL; unread stream RESPONSE_NOT_READ
 *             read/stream/raw(NULL)                      INVAL;  buf NULL or n NULL  INVAL
 *             stream/raw with cap 0                      Was a bug (fixed, kept as a regression test): 0 and *n 0 ("complete"), bug_stream_cap_zero
 *             stream after close                         STREAM_CLOSED
 *             stream after read, raw after stream, read twice, buffered   STREAM_CONSUMED
 *             stream after its client was closed/freed   STREAM_CLOSED
 *             stream_async on a sync client's stream     Was a bug (fixed, kept as a regression test): 0 (bug_stream_async_on_sync_stream)
 *             history(i out of range)                    NULL
 *  loop       httpx_loop_new_custom(NULL ops | no watch | no timer)   NULL
 *             loop_free(NULL) 0; loop_free with a client on it        BUSY (then 0)
 *             loop_run/run_once/counts(NULL)             INVAL; loop_now(NULL): BUG, crash
 *             (bug_loop_now_null); run on a loop without run_once
 *             UNSUPPORTED; timer_new/io_new(NULL loop|NULL cb|fd -1) NULL; timer_start/
 *             io_set(NULL) INVAL; stop/free/wake(NULL)   no crash
 *             loop opts struct_size 0                    allocator ignored (*)
 *  async      async_client_new(NULL loop|NULL out)       INVAL
 *             async_request(NULL ac|NULL out|bad method|CRLF header) INVAL, nothing sent
 *             after close                                CLOSED; submit after close CLOSED
 *             submit file body                           INVAL
 *             future_then/wait/status/take(NULL)         INVAL; done(NULL) false; error(NULL) NULL
 *             take twice                                 STREAM_CONSUMED
 *             pending status/take                        BUSY
 *             wait on a cancelled future                 CANCELLED (twice: same)
 *             wait on a done future again                its status again
 *             request in flight at client close          completes with CLOSED
 *             cancel/free(NULL)                          no crash
 *  parallel   parallel_new(NULL|NULL out)                INVAL; max_concurrency < 0 INVAL
 *             parallel_request(NULL|NULL out|bad method) INVAL, nothing queued
 *             pending_get_response twice                 STREAM_CONSUMED
 *             next_response with nothing left            NONE_LEFT
 *             request after the client closed            CLOSED
 *             remaining/pending_error/pending_future(NULL)  0/NULL;  close(NULL) no crash
 *  orders     buffered response freed after its client   readable, then freed
 *             client freed with a stream open            stream: STREAM_CLOSED, then freed
 *             async client freed with a future pending   future: CLOSED, then freed
 *             loop freed with an async client on it      BUSY, nothing freed
 *
 * (*) Options' struct_size is not described in the headers beyond "set by the
 *     macro"; the cases pin today's behaviour (src/client/engine.c, sync.c,
 *     loop/loop.c): 0 means "the whole current struct" for client and request
 *     options, but "no allocator" for loop options; a size too small to reach the
 *     fields every version has is HTTPX_E_INVAL.
 * NUL bytes cannot be put inside a C string: they are tested where an API takes a
 * length (httpx_headers_addn); elsewhere a NUL simply ends the string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;
static char run_id[32];

static int setup(void **state)
{
    (void)state;
    snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
    return peers_load(&P) == 0 ? 0 : -1;
}

/* How many times the raw server has seen `target`, counting this probe. */
static long raw_count(const char *target)
{
    httpx_response_t *r;
    char u[1024];
    snprintf(u, sizeof u, "%s%s", P.raw, target);
    assert_int_equal(httpx_get(u, NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    long n = strtol(httpx_response_text(r), NULL, 10);
    httpx_response_free(r);
    return n;
}

/* A /count target unique to this run (the raw server counts since it started). */
static const char *tgt(const char *name)
{
    static char t[4][128];
    static int k;
    char *b = t[k++ & 3];
    snprintf(b, sizeof t[0], "/count?misuse=%s-%s", name, run_id);
    return b;
}

static int hooks;
static void count_hook(const httpx_hook_info_t *info, void *user)
{
    (void)info;
    (*(int *)user)++;
}

static char *big_string(size_t n, char fill)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, fill, n);
    s[n] = '\0';
    return s;
}

/* ---- errors ------------------------------------------------------------------ */

static void errors_family(void **state)
{
    (void)state;
    assert_string_equal(httpx_strerror(12345), "unknown error");
    assert_string_equal(httpx_strerror(-99999), "unknown error");
    assert_string_equal(httpx_err_name(12345), "UNKNOWN");
    assert_string_equal(httpx_err_name(HTTPX_E_INVAL), "INVAL");
    assert_int_equal(httpx_error_is(HTTPX_E_INVAL, HTTPX_E_HTTP), 0);
    assert_int_equal(httpx_error_is(12345, HTTPX_E_HTTP), 0);
    assert_int_equal(httpx_error_is(HTTPX_E_HTTP, 12345), 0);
    assert_int_equal(httpx_error_is(-100000, -100000), 1); /* equal counts, known or not */
    assert_non_null(httpx_phase_name((httpx_phase_t)99));
    assert_non_null(httpx_phase_name((httpx_phase_t)-1));
    assert_non_null(httpx_default_allocator());
    assert_non_null(httpx_version());
    assert_non_null(httpx_features());
    assert_non_null(httpx_loop_adapters());
}

/* ---- url --------------------------------------------------------------------- */

static void url_family(void **state)
{
    (void)state;
    httpx_url_t *u = (httpx_url_t *)1, *v;
    httpx_error_t err = {0};
    assert_int_equal(httpx_url_parse(NULL, NULL, &u, &err), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_parse("http://a/", NULL, NULL, NULL), HTTPX_E_INVAL);
    const char *bad[] = {"", "http://a/b\r\nX: y", "http://a/\n", "http://a/\r", "http://a/\tb",
                         "http://a\r/", "http://a:99999/", "http://a:-1/", "http:// a/", "http://[::1/",
                         "http://a/\x7f", "http://a/\x01", "\r\nhttp://a/", NULL};
    for (int i = 0; bad[i]; i++) {
        u = NULL;
        int rc = httpx_url_parse(bad[i], NULL, &u, &err);
        if (rc != HTTPX_E_INVALID_URL)
            fail_msg("url_parse(case %d) = %d (%s), want INVALID_URL", i, rc, httpx_err_name(rc));
        assert_null(u);
        assert_true(err.message[0] != '\0');
    }
    /* Space and 8-bit bytes are percent-encoded (as HTTPX does), never sent raw. */
    assert_int_equal(httpx_url_parse("http://a/ b?c d\xff", NULL, &u, NULL), 0);
    assert_string_equal(httpx_url_target(u), "/%20b?c%20d%FF");
    httpx_url_free(u);
    /* 1 MiB: no length limit is documented; parse it or refuse it, but safely. */
    char *huge = big_string(1u << 20, 'a');
    memcpy(huge, "http://a/", 9);
    int rc = httpx_url_parse(huge, NULL, &u, NULL);
    assert_true(rc == 0 || rc == HTTPX_E_INVALID_URL);
    if (rc == 0) {
        assert_int_equal(strlen(httpx_url_str(u)), 1u << 20);
        httpx_url_free(u);
    }
    free(huge);

    assert_int_equal(httpx_url_parse("http://a/b/c", NULL, &u, NULL), 0);
    assert_int_equal(httpx_url_resolve(NULL, "x", &v, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_resolve(u, NULL, &v, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_resolve(u, "x", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_resolve(u, "x\r\nHost: evil", &v, &err), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_url_resolve(u, "/\n", &v, &err), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_url_with_params(NULL, (httpx_param_t[]){{"a", "b"}, {0}}, &v), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_with_params(u, (httpx_param_t[]){{"a", "b"}, {0}}, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_url_with_params(u, (httpx_param_t[]){{"a", NULL}, {"b", "c"}, {0}}, &v), HTTPX_E_INVAL);
    /* CR/LF in parameters are encoded, never sent raw. */
    assert_int_equal(httpx_url_with_params(u, (httpx_param_t[]){{"a\r\n", "b\r\nc"}, {0}}, &v), 0);
    assert_null(strpbrk(httpx_url_str(v), "\r\n"));
    httpx_url_free(v);
    httpx_url_free(u);
    httpx_url_free(NULL);

    char *enc = (char *)1;
    assert_int_equal(httpx_percent_encode(NULL, 3, NULL, NULL, &enc), HTTPX_E_INVAL);
    assert_int_equal(httpx_percent_encode("abc", 3, NULL, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_percent_encode("a\0\r\n", 4, NULL, NULL, &enc), 0);
    assert_string_equal(enc, "a%00%0D%0A");
    free(enc);
}

/* ---- headers ----------------------------------------------------------------- */

static void headers_family(void **state)
{
    (void)state;
    httpx_headers_t *h = httpx_headers_new(NULL);
    assert_non_null(h);
    assert_int_equal(httpx_headers_add(NULL, "a", "b"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_add(h, NULL, "b"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_add(h, "a", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_set(NULL, "a", "b"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_set(h, NULL, "b"), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_set(h, "a", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(NULL, "a", 1, "b", 1), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(h, NULL, 1, "b", 1), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(h, "a", 1, NULL, 1), HTTPX_E_INVAL);
    const char *bad_names[] = {"", "X\r\nY", "X\n", "X\r", "X Y", "X:", ":x", "X\tY", "(x)", "x\x80", "x\x7f", "\"x\"", NULL};
    for (int i = 0; bad_names[i]; i++) {
        if (httpx_headers_add(h, bad_names[i], "v") != HTTPX_E_INVAL)
            fail_msg("headers_add(bad name %d) accepted", i);
        if (httpx_headers_set(h, bad_names[i], "v") != HTTPX_E_INVAL)
            fail_msg("headers_set(bad name %d) accepted", i);
    }
    const char *bad_values[] = {"a\r\nX-Injected: 1", "a\n", "a\r", "\r\n", NULL};
    for (int i = 0; bad_values[i]; i++) {
        if (httpx_headers_add(h, "X", bad_values[i]) != HTTPX_E_INVAL)
            fail_msg("headers_add(bad value %d) accepted", i);
        if (httpx_headers_set(h, "X", bad_values[i]) != HTTPX_E_INVAL)
            fail_msg("headers_set(bad value %d) accepted", i);
    }
    /* NUL inside explicit lengths. */
    assert_int_equal(httpx_headers_addn(h, "X", 1, "a\0b", 3), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(h, "X\0Y", 3, "v", 1), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_addn(h, "X", 0, "v", 1), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_count(h), 0); /* nothing refused was stored */

    /* A 1 MiB value: a list has no size limit of its own. */
    char *huge = big_string(1u << 20, 'v');
    assert_int_equal(httpx_headers_add(h, "X-Big", huge), 0);
    assert_int_equal(strlen(httpx_headers_get(h, "x-big")), 1u << 20);
    free(huge);

    const char *n, *v;
    assert_int_equal(httpx_headers_at(h, 0, &n, &v), 0);
    assert_int_equal(httpx_headers_at(h, 1, &n, &v), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_at(h, (size_t)-1, &n, &v), HTTPX_E_INVAL);
    assert_int_equal(httpx_headers_at(NULL, 0, &n, &v), HTTPX_E_INVAL);
    assert_null(httpx_headers_get(NULL, "x"));
    assert_null(httpx_headers_get(h, NULL));
    assert_null(httpx_headers_get_nth(h, "x-big", 1));
    assert_null(httpx_headers_get_nth(h, "x-big", (size_t)-1));
    assert_null(httpx_headers_get_nth(NULL, "x", 0));
    assert_int_equal(httpx_headers_count(NULL), 0);
    assert_int_equal(httpx_headers_remove(NULL, "x"), 0);
    assert_int_equal(httpx_headers_remove(h, NULL), 0);
    assert_int_equal(httpx_headers_has_token(NULL, "a", "b"), 0);
    assert_int_equal(httpx_headers_has_token(h, NULL, "b"), 0);
    assert_int_equal(httpx_headers_has_token(h, "x-big", NULL), 0);
    httpx_headers_free(h);
    httpx_headers_free(NULL);
}

/* ---- cookies ----------------------------------------------------------------- */

static void cookies_family(void **state)
{
    (void)state;
    httpx_cookie_jar_t *jar;
    assert_int_equal(httpx_cookie_jar_new(NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_new(NULL, &jar), 0);
    assert_int_equal(httpx_cookie_jar_set(NULL, "a", "b", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, NULL, "b", NULL, NULL), HTTPX_E_INVAL);
    const char *bad_names[] = {"", "a=b", "a;b", "a b", "a\tb", "a\r\nb", "a\n", "a\r", "\x01", NULL};
    for (int i = 0; bad_names[i]; i++)
        if (httpx_cookie_jar_set(jar, bad_names[i], "v", NULL, NULL) != HTTPX_E_INVAL)
            fail_msg("cookie_jar_set(bad name %d) accepted", i);
    const char *bad_values[] = {"a;b", "a\r\nSet-Cookie: x=y", "a\n", "a\r", "a\x01", "a\x7f", NULL};
    for (int i = 0; bad_values[i]; i++)
        if (httpx_cookie_jar_set(jar, "n", bad_values[i], NULL, NULL) != HTTPX_E_INVAL)
            fail_msg("cookie_jar_set(bad value %d) accepted", i);
    assert_int_equal(httpx_cookie_jar_set(jar, "n", "v", "a b.example", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "n", "v", "a.example\r\n", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "n", "v", "a;.example", NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "n", "v", NULL, "nopath"), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "n", "v", NULL, "/a;b"), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "n", "v", NULL, "/a\r\n"), HTTPX_E_INVAL);
    char *big = big_string(HTTPX_COOKIE_MAX_PAIR, 'v');
    assert_int_equal(httpx_cookie_jar_set(jar, "n", big, NULL, NULL), HTTPX_E_INVAL);
    free(big);
    big = big_string(1u << 20, 'v');
    assert_int_equal(httpx_cookie_jar_set(jar, "n", big, NULL, NULL), HTTPX_E_INVAL);
    free(big);
    assert_int_equal(httpx_cookie_jar_count(jar), 0);

    assert_int_equal(httpx_cookie_jar_add(NULL, &(httpx_cookie_t){.name = "a", .value = "b"}), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_add(jar, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_add(jar, &(httpx_cookie_t){.name = NULL, .value = "b"}), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_add(jar, &(httpx_cookie_t){.name = "a", .value = "b\r\n", .domain = "x.example"}),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_add(jar, &(httpx_cookie_t){.name = "a", .value = "b", .domain = "",
                                                                 .flags = HTTPX_COOKIE_HOST_ONLY}),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_count(jar), 0);

    const char *val = "x";
    assert_int_equal(httpx_cookie_jar_get(NULL, "a", NULL, &val), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_get(jar, NULL, NULL, &val), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_get(jar, "a", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "a", "1", "one.example", NULL), 0);
    assert_int_equal(httpx_cookie_jar_set(jar, "a", "2", "two.example", NULL), 0);
    assert_int_equal(httpx_cookie_jar_get(jar, "a", NULL, &val), HTTPX_E_COOKIE_CONFLICT);
    assert_null(val);
    httpx_cookie_t ck;
    assert_int_equal(httpx_cookie_jar_at(jar, 2, &ck), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_at(jar, (size_t)-1, &ck), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_at(jar, 0, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_at(NULL, 0, &ck), HTTPX_E_INVAL);
    httpx_error_t err = {0};
    assert_int_equal(httpx_cookie_jar_load(NULL, "/x", &err), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_load(jar, NULL, &err), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_load(jar, "/nonexistent/misuse-cookies.txt", &err), HTTPX_E_SYSTEM);
    assert_int_equal(httpx_cookie_jar_save(NULL, "/tmp/x", &err), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_save(jar, NULL, &err), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_delete(NULL, "a", NULL, NULL), 0);
    assert_int_equal(httpx_cookie_jar_delete(jar, NULL, NULL, NULL), 0);
    assert_int_equal(httpx_cookie_jar_count(NULL), 0);
    httpx_cookie_jar_clear(NULL, NULL, NULL);
    assert_int_equal(httpx_cookie_jar_count(jar), 2);
    httpx_cookie_jar_free(jar);
    httpx_cookie_jar_free(NULL);
}

/* ---- client_new and options ---------------------------------------------------- */

static void client_new_family(void **state)
{
    (void)state;
    httpx_client_t *c = (httpx_client_t *)1;
    assert_int_equal(httpx_client_new(NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.base_url = "http://a b/"), &c), HTTPX_E_INVALID_URL);
    assert_null(c);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.base_url = "http://a/\r\nX: 1"), &c), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.base_url = "not a url"), &c), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.headers = (httpx_header_t[]){{"X", "a\r\nY: b"}, {0}}), &c),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.headers = (httpx_header_t[]){{"X\r\n", "a"}, {0}}), &c),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.headers = (httpx_header_t[]){{"X", NULL}, {0}}), &c),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.user_agent = "ua\r\nX: 1"), &c), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.limits = {.max_connections = -1}), &c), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.limits = {.max_keepalive_connections = -1}), &c), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.limits = {.keepalive_expiry = -1}), &c), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.local_address = "not-an-address"), &c), HTTPX_E_INVAL);
    assert_null(c);

    /* struct_size: too small for the fields every version has -> INVAL. */
    httpx_client_opts_t o = {.struct_size = 1};
    assert_int_equal(httpx_client_new(&o, &c), HTTPX_E_INVAL);
    assert_null(c);
    /* struct_size 0: today taken as the whole current struct (see the note at the top). */
    o = (httpx_client_opts_t){.struct_size = 0, .user_agent = "misuse-zero-size"};
    assert_int_equal(httpx_client_new(&o, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo-headers"), NULL, &r), 0);
    assert_non_null(strstr(httpx_response_text(r), "misuse-zero-size"));
    httpx_response_free(r);
    httpx_client_free(c);
}

/* ---- request arguments: refused before anything is sent ------------------------ */

static int flow_crlf(httpx_auth_step_t *step, void *user)
{
    int *seen = user;
    if (httpx_auth_step_status(step) == 0) {
        seen[0] = httpx_auth_step_set_header(step, "X-Flow", "a\r\nX-Injected: 1");
        seen[1] = httpx_auth_step_set_header(step, "X-Flow\r\n", "a");
        seen[2] = httpx_auth_step_set_header(step, NULL, "a");
        seen[3] = httpx_auth_step_set_header(step, "X-Flow", NULL);
        seen[4] = httpx_auth_step_set_header(step, "X-Flow", "ok");
        return HTTPX_AUTH_SEND;
    }
    return HTTPX_AUTH_DONE;
}

static void request_family(void **state)
{
    (void)state;
    httpx_client_t *c;
    hooks = 0;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.on_request = count_hook, .hook_user = &hooks), &c), 0);
    httpx_response_t *r = (httpx_response_t *)1;
    httpx_error_t err = {0};
    const char *T = tgt("request");
    char u[256];
    snprintf(u, sizeof u, "%s%s", P.raw, T);

    assert_int_equal(httpx_client_request(NULL, "GET", u, NULL, &r), HTTPX_E_INVAL);
    assert_null(r);
    assert_int_equal(httpx_client_request(c, "GET", u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_request(c, NULL, u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_request(c, "GET", NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_get(NULL, u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_get(c, NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_head(c, u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_options(c, NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_delete(NULL, u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_post(c, u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_put(c, NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_patch(NULL, NULL, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_stream(c, NULL, u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_stream(c, "GET", u, NULL, NULL), HTTPX_E_INVAL);

    const char *bad_methods[] = {"", "G ET", "GET\r\n", "GET\r\nX-Injected: 1\r\n", "GE\nT", "GET\r",
                                 "(GET)", "GET/", "G\x80T", "G\x7fT", "GET:", NULL};
    for (int i = 0; bad_methods[i]; i++) {
        err.code = 0;
        int rc = httpx_client_request(c, bad_methods[i], u, HTTPX_REQ(.error = &err), &r);
        if (rc != HTTPX_E_INVAL)
            fail_msg("method case %d: %d (%s), want INVAL", i, rc, httpx_err_name(rc));
        assert_int_equal(err.code, HTTPX_E_INVAL);
        assert_int_equal(httpx_client_last_error(c)->code, HTTPX_E_INVAL);
        assert_int_equal(httpx_client_stream(c, bad_methods[i], u, NULL, &r), HTTPX_E_INVAL);
    }
    const httpx_header_t *bad_headers[] = {
        (httpx_header_t[]){{"X", "a\r\nX-Injected: 1"}, {0}},
        (httpx_header_t[]){{"X", "a\n"}, {0}},
        (httpx_header_t[]){{"X", "a\r"}, {0}},
        (httpx_header_t[]){{"X\r\nX-Injected", "1"}, {0}},
        (httpx_header_t[]){{"X Y", "1"}, {0}},
        (httpx_header_t[]){{"X:", "1"}, {0}},
        (httpx_header_t[]){{"", "1"}, {0}},
        (httpx_header_t[]){{"X", NULL}, {0}},
        (httpx_header_t[]){{"Good", "1"}, {"X", "\r\n\r\nGET /evil HTTP/1.1"}, {0}},
        NULL};
    for (int i = 0; bad_headers[i]; i++) {
        int rc = httpx_client_get(c, u, HTTPX_REQ(.headers = bad_headers[i]), &r);
        if (rc != HTTPX_E_INVAL)
            fail_msg("header case %d: %d (%s), want INVAL", i, rc, httpx_err_name(rc));
    }
    const char *bad_urls[] = {"\r\nX-Injected: 1", "\n", "\r", "\t", "\x7f", "&a=\r\n\r\nGET /evil HTTP/1.1", NULL};
    for (int i = 0; bad_urls[i]; i++) {
        char bu[256];
        snprintf(bu, sizeof bu, "%s%s%s", P.raw, T, bad_urls[i]);
        int rc = httpx_client_get(c, bu, NULL, &r);
        if (rc != HTTPX_E_INVALID_URL)
            fail_msg("url case %d: %d (%s), want INVALID_URL", i, rc, httpx_err_name(rc));
        char hu[256]; /* and in the host part */
        snprintf(hu, sizeof hu, "http://127.0.0.1\r\n:1%s", T);
        assert_int_equal(httpx_client_get(c, hu, NULL, &r), HTTPX_E_INVALID_URL);
    }
    assert_int_equal(httpx_client_get(c, u, HTTPX_REQ(.params = (httpx_param_t[]){{"a", NULL}, {"b", "c"}, {0}}), &r),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_client_post(c, u, HTTPX_REQ(.body = {.kind = HTTPX_BODY_BYTES, .data = NULL, .len = 5}), &r),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_client_post(c, u, HTTPX_REQ(.body = {.kind = HTTPX_BODY_FILE, .path = NULL}), &r),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_client_post(c, u, HTTPX_REQ(.body = {.kind = HTTPX_BODY_PRODUCER}), &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_post(c, u, HTTPX_REQ(.body = {.kind = (httpx_body_kind_t)99}), &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_post(c, u, HTTPX_REQ(.body = {.kind = (httpx_body_kind_t)-1}), &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_get(c, u, HTTPX_REQ(.auth = &HTTPX_BASIC_AUTH(NULL, "p")), &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_get(c, u, HTTPX_REQ(.auth = &HTTPX_BEARER_AUTH(NULL)), &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_get(c, u, HTTPX_REQ(.auth = &(httpx_auth_t){.kind = HTTPX_AUTH_CUSTOM}), &r),
                     HTTPX_E_INVAL);
    /* request options too small for the fields every version has */
    httpx_req_opts_t ro = {.struct_size = 1};
    assert_int_equal(httpx_client_get(c, u, &ro, &r), HTTPX_E_INVAL);
    assert_int_equal(hooks, 0);
    /* The raw server never saw the target: this probe is its first. */
    assert_int_equal(raw_count(T), 1);

    /* A space cannot end the request target early: it is sent percent-encoded. */
    char sp[256];
    snprintf(sp, sizeof sp, "%s%s HTTP/1.1", P.raw, tgt("request-sp"));
    assert_int_equal(httpx_client_get(c, sp, NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "1");
    httpx_response_free(r);
    snprintf(sp, sizeof sp, "%s%%20HTTP/1.1", tgt("request-sp"));
    assert_int_equal(raw_count(sp), 2);

    /* struct_size 0: taken as the whole current struct (see the top). */
    ro = (httpx_req_opts_t){.struct_size = 0, .headers = (httpx_header_t[]){{"X-Zero", "z"}, {0}}};
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo-headers"), &ro, &r), 0);
    assert_non_null(strstr(httpx_response_text(r), "X-Zero: z"));
    httpx_response_free(r);

    /* A custom auth flow setting a bad header: INVAL from the setter, nothing of it sent. */
    int seen[5] = {1, 1, 1, 1, 1};
    httpx_auth_t flow = {.kind = HTTPX_AUTH_CUSTOM, .flow = flow_crlf, .user = seen};
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo-headers"), HTTPX_REQ(.auth = &flow), &r), 0);
    assert_int_equal(seen[0], HTTPX_E_INVAL);
    assert_int_equal(seen[1], HTTPX_E_INVAL);
    assert_int_equal(seen[2], HTTPX_E_INVAL);
    assert_int_equal(seen[3], HTTPX_E_INVAL);
    assert_int_equal(seen[4], 0);
    assert_non_null(strstr(httpx_response_text(r), "X-Flow: ok"));
    assert_null(strstr(httpx_response_text(r), "X-Injected"));
    httpx_response_free(r);
    assert_int_equal(httpx_auth_step_status(NULL), 0);
    assert_null(httpx_auth_step_header(NULL, "x"));
    assert_null(httpx_auth_step_method(NULL));
    assert_null(httpx_auth_step_url(NULL));
    assert_int_equal(httpx_auth_step_set_header(NULL, "a", "b"), HTTPX_E_INVAL);
    httpx_client_free(c);
}

/* Huge URL and header value: no documented limit on the request side; the raw
 * server refuses request heads over 1 MiB with 431. Either the library refuses
 * (an error) or the server's answer comes back; nothing crashes. */
static void request_huge_inputs(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    size_t n = 1u << 20;
    char *huge = big_string(n + 256, 'a');
    int len = snprintf(huge, 256, "%s/count?misuse=huge&pad=", P.raw);
    huge[len] = 'a';
    int rc = httpx_client_get(c, huge, NULL, &r);
    if (rc == 0) {
        int st = httpx_response_status(r);
        assert_true(st == 200 || st == 414 || st == 431);
        httpx_response_free(r);
    } else {
        assert_true(rc == HTTPX_E_INVALID_URL || httpx_error_is(rc, HTTPX_E_TRANSPORT));
    }
    free(huge);
    char *val = big_string(n, 'v');
    rc = httpx_client_get(c, U(P.raw, "/count?misuse=hugeheader"),
                          HTTPX_REQ(.headers = (httpx_header_t[]){{"X-Big", val}, {0}}), &r);
    if (rc == 0) {
        int st = httpx_response_status(r);
        assert_true(st == 200 || st == 431);
        httpx_response_free(r);
    } else {
        assert_true(rc == HTTPX_E_INVAL || httpx_error_is(rc, HTTPX_E_TRANSPORT));
    }
    /* 64 KiB is fine end to end. */
    val[64 << 10] = '\0';
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo-headers"),
                                      HTTPX_REQ(.headers = (httpx_header_t[]){{"X-Big", val}, {0}}), &r),
                     0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_non_null(strstr(httpx_response_text(r), val));
    httpx_response_free(r);
    free(val);
    /* The client is still healthy. */
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    httpx_client_free(c);
}

/* A cookie whose value would split the Cookie header cannot get into a jar, so it
 * cannot be sent; a good one is sent. */
static void request_cookies(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_cookie_jar_t *jar = httpx_client_cookies(c);
    assert_non_null(jar);
    assert_int_equal(httpx_cookie_jar_set(jar, "evil", "1\r\nX-Injected: 1", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "evil\r\nX-Injected", "1", NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_cookie_jar_set(jar, "good", "1", NULL, NULL), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo-headers"), NULL, &r), 0);
    const char *t = httpx_response_text(r);
    assert_non_null(strstr(t, "good=1"));
    assert_null(strstr(t, "evil"));
    assert_null(strstr(t, "X-Injected"));
    httpx_response_free(r);
    httpx_client_free(c);
}

/* ---- one-shot functions ----------------------------------------------------- */

static void one_shot_family(void **state)
{
    (void)state;
    httpx_response_t *r = (httpx_response_t *)1;
    const char *T = tgt("oneshot");
    char u[256];
    snprintf(u, sizeof u, "%s%s", P.raw, T);
    assert_int_equal(httpx_get(NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_get(u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_head(NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_options(u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_delete(NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_post(u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_put(NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_patch(u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_request(NULL, u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_request("GET\r\nX: 1", u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_stream("GET", NULL, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_stream("GET", u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_stream("G T", u, NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_get(u, HTTPX_REQ(.headers = (httpx_header_t[]){{"X", "a\r\nb"}, {0}}), &r), HTTPX_E_INVAL);
    assert_int_equal(raw_count(T), 1);
}

/* ---- client: accessors, close, use after close ----------------------------------- */

static void client_family(void **state)
{
    (void)state;
    assert_null(httpx_client_last_error(NULL));
    assert_null(httpx_client_cookies(NULL));
    httpx_pool_stats_t s;
    assert_int_equal(httpx_client_pool_stats(NULL, &s), HTTPX_E_INVAL);
    httpx_client_close(NULL);
    httpx_client_free(NULL);

    httpx_client_t *c;
    hooks = 0;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.on_request = count_hook, .hook_user = &hooks), &c), 0);
    assert_int_equal(httpx_client_pool_stats(c, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_client_last_error(c)->code, 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    httpx_response_free(r);
    assert_int_equal(hooks, 1);
    httpx_client_close(c);
    httpx_client_close(c); /* idempotent */
    assert_int_equal(httpx_client_pool_stats(c, &s), 0);
    assert_int_equal(s.open, 0);
    const char *T = tgt("closed");
    char u[256];
    snprintf(u, sizeof u, "%s%s", P.raw, T);
    httpx_error_t err = {0};
    assert_int_equal(httpx_client_get(c, u, HTTPX_REQ(.error = &err), &r), HTTPX_E_CLOSED);
    assert_int_equal(err.code, HTTPX_E_CLOSED);
    assert_int_equal(httpx_client_last_error(c)->code, HTTPX_E_CLOSED);
    assert_int_equal(httpx_client_request(c, "POST", u, NULL, &r), HTTPX_E_CLOSED);
    assert_int_equal(httpx_client_head(c, u, NULL, &r), HTTPX_E_CLOSED);
    assert_int_equal(httpx_client_stream(c, "GET", u, NULL, &r), HTTPX_E_CLOSED);
    httpx_parallel_t *p;
    assert_int_equal(httpx_parallel_new(c, NULL, &p), HTTPX_E_CLOSED);
    /* Argument errors still win over CLOSED. */
    assert_int_equal(httpx_client_get(c, u, NULL, NULL), HTTPX_E_INVAL);
    assert_non_null(httpx_client_cookies(c));
    assert_int_equal(hooks, 1);
    httpx_client_free(c);
    assert_int_equal(raw_count(T), 1);
}

/* ---- responses ----------------------------------------------------------------- */

static void response_accessors_null(void **state)
{
    (void)state;
    assert_int_equal(httpx_response_status(NULL), 0);
    (void)httpx_response_reason(NULL);
    (void)httpx_response_http_version(NULL);
    (void)httpx_response_headers(NULL);
    assert_null(httpx_response_header(NULL, "x"));
    (void)httpx_response_url(NULL);
    (void)httpx_response_elapsed(NULL);
    (void)httpx_response_timings(NULL);
    (void)httpx_response_trailers(NULL);
    const void *d;
    size_t n;
    assert_int_equal(httpx_response_content(NULL, &d, &n), HTTPX_E_INVAL);
    const char *t = httpx_response_text(NULL);
    assert_non_null(t); /* "never NULL" */
    (void)httpx_response_encoding(NULL);
    assert_int_equal(httpx_response_history_count(NULL), 0);
    assert_null(httpx_response_history(NULL, 0));
    assert_null(httpx_response_next_url(NULL));
    assert_null(httpx_response_next_method(NULL));
    assert_int_equal(httpx_response_is_redirect(NULL), 0);
    (void)httpx_response_raise_for_status(NULL);
    char buf[16];
    assert_int_equal(httpx_response_read(NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_stream(NULL, buf, sizeof buf, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_raw(NULL, buf, sizeof buf, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_bytes_downloaded(NULL), 0);
    assert_int_equal(httpx_response_stream_async(NULL, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_raw_async(NULL, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_read_async(NULL, NULL, NULL), HTTPX_E_INVAL);
    httpx_response_pause(NULL);
    httpx_response_resume(NULL);
    httpx_response_close(NULL);
    httpx_response_free(NULL);
}

static void dummy_body_cb(httpx_response_t *r, const void *data, size_t len, int status, void *user)
{
    (void)r, (void)data, (void)len, (void)status, (void)user;
}

static void response_streams(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    char buf[64];
    size_t n;
    const void *d;

    /* buffered: its body was read already */
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(httpx_response_raw(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(httpx_response_read(r), HTTPX_E_STREAM_CONSUMED);
    assert_null(httpx_response_history(r, 0));
    assert_null(httpx_response_history(r, (size_t)-1));
    assert_int_equal(httpx_response_content(r, NULL, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_content(r, &d, NULL), HTTPX_E_INVAL);
    httpx_response_close(r); /* a no-op for buffered responses */
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);

    /* bad pull arguments, then a valid use of the same stream */
    assert_int_equal(httpx_client_stream(c, "GET", U(P.raw, "/ok"), NULL, &r), 0);
    assert_int_equal(httpx_response_content(r, &d, &n), HTTPX_E_RESPONSE_NOT_READ);
    assert_int_equal(httpx_response_stream(r, NULL, 16, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_raw(r, NULL, 16, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 5);
    /* stream then raw or read: consumed */
    assert_int_equal(httpx_response_raw(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(httpx_response_read(r), HTTPX_E_STREAM_CONSUMED);
    httpx_response_close(r);
    httpx_response_close(r); /* idempotent */
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_response_free(r);

    /* read then any pull: consumed */
    assert_int_equal(httpx_client_stream(c, "GET", U(P.raw, "/ok"), NULL, &r), 0);
    assert_int_equal(httpx_response_read(r), 0);
    assert_int_equal(httpx_response_read(r), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(httpx_response_content(r, &d, &n), 0);
    assert_int_equal(n, 5);
    httpx_response_free(r);

    /* closed before any pull */
    assert_int_equal(httpx_client_stream(c, "GET", U(P.raw, "/ok"), NULL, &r), 0);
    httpx_response_close(r);
    assert_int_equal(httpx_response_read(r), HTTPX_E_STREAM_CLOSED);
    assert_int_equal(httpx_response_raw(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_response_free(r);

    /* its client closed under it */
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx, "/64k.bin"), NULL, &r), 0);
    httpx_client_close(c);
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    httpx_response_free(r);
    httpx_pool_stats_t s;
    assert_int_equal(httpx_client_pool_stats(c, &s), 0);
    assert_int_equal(s.open, 0);
    httpx_client_free(c);
}

/* ---- unusual free orders ------------------------------------------------------- */

static void free_orders(void **state)
{
    (void)state;
    httpx_client_t *c;
    httpx_response_t *buffered, *stream;
    char buf[64];
    size_t n;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &buffered), 0);
    assert_int_equal(httpx_client_stream(c, "GET", U(P.nginx, "/64k.bin"), NULL, &stream), 0);
    assert_int_equal(httpx_response_stream(stream, buf, sizeof buf, &n), 0);
    /* the client goes first, with a stream open and a buffered response out */
    httpx_client_free(c);
    assert_string_equal(httpx_response_text(buffered), "hello");
    assert_int_equal(httpx_response_status(stream), 200);
    assert_int_equal(httpx_response_stream(stream, buf, sizeof buf, &n), HTTPX_E_STREAM_CLOSED);
    assert_int_equal(httpx_response_read(stream), HTTPX_E_STREAM_CLOSED);
    httpx_response_close(stream);
    httpx_response_free(stream);
    httpx_response_free(buffered);

    /* one-shot stream: its private client lives until the response is freed */
    assert_int_equal(httpx_stream("GET", U(P.nginx, "/64k.bin"), NULL, &stream), 0);
    assert_int_equal(httpx_response_stream(stream, buf, sizeof buf, &n), 0);
    httpx_response_free(stream); /* without close, with most of the body unread */
}

/* ---- loop --------------------------------------------------------------------- */

static int noop_watch(void *user, int fd, int events, void *token, void **slot)
{
    (void)user, (void)fd, (void)events, (void)token, (void)slot;
    return 0;
}
static int noop_timer(void *user, int64_t ms)
{
    (void)user, (void)ms;
    return 0;
}
static void noop_timer_cb(httpx_timer_t *t, void *user) { (void)t, (void)user; }
static void noop_io_cb(httpx_io_t *io, int events, void *user) { (void)io, (void)events, (void)user; }

typedef struct {
    long calls, live;
} tally_t;
static void *t_malloc(void *u, size_t n)
{
    ((tally_t *)u)->calls++;
    void *p = malloc(n);
    ((tally_t *)u)->live += p != NULL;
    return p;
}
static void *t_realloc(void *u, void *p, size_t n)
{
    ((tally_t *)u)->calls++;
    void *q = realloc(p, n);
    ((tally_t *)u)->live += q && !p;
    return q;
}
static void t_free(void *u, void *p)
{
    ((tally_t *)u)->live -= p != NULL;
    free(p);
}

static void loop_family(void **state)
{
    (void)state;
    assert_null(httpx_loop_new_custom(NULL, NULL, NULL));
    assert_null(httpx_loop_new_custom(&(httpx_loop_ops_t){.struct_size = sizeof(httpx_loop_ops_t), .timer = noop_timer},
                                      NULL, NULL));
    assert_null(httpx_loop_new_custom(&(httpx_loop_ops_t){.struct_size = sizeof(httpx_loop_ops_t), .watch = noop_watch},
                                      NULL, NULL));
    assert_int_equal(httpx_loop_free(NULL), 0);
    assert_int_equal(httpx_loop_run(NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_loop_run_once(NULL, 0), HTTPX_E_INVAL);
    httpx_loop_counts_t cnt;
    assert_int_equal(httpx_loop_counts(NULL, &cnt), HTTPX_E_INVAL);
    httpx_loop_stop(NULL);
    httpx_loop_wake(NULL);
    assert_null(httpx_timer_new(NULL, noop_timer_cb, NULL));
    assert_int_equal(httpx_timer_start(NULL, 1), HTTPX_E_INVAL);
    httpx_timer_stop(NULL);
    httpx_timer_free(NULL);
    assert_null(httpx_io_new(NULL, 0, noop_io_cb, NULL));
    assert_int_equal(httpx_io_set(NULL, HTTPX_IO_READ), HTTPX_E_INVAL);
    httpx_io_free(NULL);

    httpx_loop_t *loop = httpx_loop_new(NULL);
    assert_non_null(loop);
    assert_int_equal(httpx_loop_counts(loop, NULL), HTTPX_E_INVAL);
    assert_null(httpx_timer_new(loop, NULL, NULL));
    assert_null(httpx_io_new(loop, -1, noop_io_cb, NULL));
    assert_null(httpx_io_new(loop, 0, NULL, NULL));
    httpx_timer_t *t = httpx_timer_new(loop, noop_timer_cb, NULL);
    assert_non_null(t);
    httpx_timer_stop(t); /* never started */
    httpx_timer_free(t);
    assert_int_equal(httpx_loop_run_once(loop, 0), 0);
    assert_int_equal(httpx_loop_run(loop), 0); /* nothing to wait for */

    /* a loop with a client on it: BUSY and nothing freed */
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    assert_int_equal(httpx_loop_free(loop), HTTPX_E_BUSY);
    assert_int_equal(httpx_loop_counts(loop, &cnt), 0); /* still alive */
    httpx_async_client_free(ac);
    assert_int_equal(httpx_loop_free(loop), 0);

    /* a custom loop without run_once: waiting on it is refused */
    httpx_loop_t *custom = httpx_loop_new_custom(
        &(httpx_loop_ops_t){.struct_size = sizeof(httpx_loop_ops_t), .watch = noop_watch, .timer = noop_timer}, NULL,
        NULL);
    assert_non_null(custom);
    assert_int_equal(httpx_loop_run(custom), HTTPX_E_UNSUPPORTED);
    assert_int_equal(httpx_loop_run_once(custom, 0), HTTPX_E_UNSUPPORTED);
    assert_int_equal(httpx_loop_free(custom), 0);

    /* loop options: struct_size 0 ignores the allocator, a full one uses it */
    tally_t tl = {0};
    httpx_allocator_t al = {t_malloc, t_realloc, t_free, &tl};
    loop = httpx_loop_new(&(httpx_loop_opts_t){.struct_size = 0, .allocator = &al});
    assert_non_null(loop);
    assert_int_equal(tl.calls, 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    loop = httpx_loop_new(HTTPX_LOOP_OPTS(.allocator = &al));
    assert_non_null(loop);
    assert_true(tl.calls > 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_int_equal(tl.live, 0);
}

/* ---- async client and futures --------------------------------------------------- */

static int cb_calls;
static void count_future_cb(httpx_future_t *f, int status, void *user)
{
    (void)f, (void)status, (void)user;
    cb_calls++;
}

static void async_family(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    assert_non_null(loop);
    httpx_async_client_t *ac = (httpx_async_client_t *)1;
    assert_int_equal(httpx_async_client_new(NULL, NULL, &ac), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_client_new(loop, NULL, NULL), HTTPX_E_INVAL);
    httpx_client_opts_t small = {.struct_size = 1};
    assert_int_equal(httpx_async_client_new(loop, &small, &ac), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.base_url = "http://a b/"), &ac), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_loop_free(loop), 0); /* the failed calls left no reference */
    loop = httpx_loop_new(NULL);
    httpx_async_client_close(NULL);
    httpx_async_client_free(NULL);
    httpx_pool_stats_t s;
    assert_int_equal(httpx_async_client_pool_stats(NULL, &s), HTTPX_E_INVAL);
    assert_null(httpx_async_client_cookies(NULL));

    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    assert_int_equal(httpx_async_client_pool_stats(ac, NULL), HTTPX_E_INVAL);
    const char *T = tgt("async");
    char u[256];
    snprintf(u, sizeof u, "%s%s", P.raw, T);
    httpx_future_t *f = (httpx_future_t *)1;
    assert_int_equal(httpx_async_request(NULL, "GET", u, NULL, &f), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_request(ac, "GET", u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_request(ac, NULL, u, NULL, &f), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_request(ac, "GET", NULL, NULL, &f), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_request(ac, "GET\r\nX: 1", u, NULL, &f), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_get(ac, u, HTTPX_REQ(.headers = (httpx_header_t[]){{"X", "a\r\nb"}, {0}}), &f),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_async_stream(ac, "G T", u, NULL, &f), HTTPX_E_INVAL);
    char bu[256];
    snprintf(bu, sizeof bu, "%s\r\nX: 1", u);
    assert_int_equal(httpx_async_get(ac, bu, NULL, &f), HTTPX_E_INVALID_URL);
    assert_int_equal(httpx_async_submit(ac, "POST", u, HTTPX_REQ(.body = HTTPX_BODY_FILE("/etc/hostname")),
                                        count_future_cb, NULL),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_async_submit(NULL, "GET", u, NULL, count_future_cb, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_loop_run(loop), 0);

    /* futures: NULLs */
    assert_int_equal(httpx_future_then(NULL, count_future_cb, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_future_wait(NULL), HTTPX_E_INVAL);
    assert_false(httpx_future_done(NULL));
    assert_int_equal(httpx_future_status(NULL), HTTPX_E_INVAL);
    assert_null(httpx_future_error(NULL));
    httpx_response_t *r;
    assert_int_equal(httpx_future_take(NULL, &r), HTTPX_E_INVAL);
    httpx_future_cancel(NULL);
    httpx_future_free(NULL);

    /* pending: BUSY; then done: take twice */
    cb_calls = 0;
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/ok"), NULL, &f), 0);
    assert_int_equal(httpx_future_then(f, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_future_take(f, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_future_status(f), HTTPX_E_BUSY);
    assert_int_equal(httpx_future_take(f, &r), HTTPX_E_BUSY);
    assert_int_equal(httpx_future_wait(f), 0);
    assert_int_equal(httpx_future_wait(f), 0); /* waiting on a done future again */
    assert_int_equal(httpx_future_take(f, &r), 0);
    httpx_response_t *r2 = (httpx_response_t *)1;
    assert_int_equal(httpx_future_take(f, &r2), HTTPX_E_STREAM_CONSUMED);
    assert_null(r2);
    assert_int_equal(httpx_future_status(f), 0);
    httpx_future_cancel(f); /* no-op once done */
    assert_int_equal(httpx_future_status(f), 0);
    httpx_response_free(r);
    httpx_future_free(f);

    /* cancelled: wait gives CANCELLED (twice), take gives CANCELLED, callback silent */
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/slow-head?ms=20"), NULL, &f), 0);
    assert_int_equal(httpx_future_then(f, count_future_cb, NULL), 0);
    httpx_future_cancel(f);
    httpx_future_cancel(f);
    assert_int_equal(httpx_future_wait(f), HTTPX_E_CANCELLED);
    assert_int_equal(httpx_future_wait(f), HTTPX_E_CANCELLED);
    assert_int_equal(httpx_future_take(f, &r), HTTPX_E_CANCELLED);
    assert_int_equal(httpx_future_error(f)->code, HTTPX_E_CANCELLED);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(cb_calls, 0);
    httpx_future_free(f);

    /* in flight at close: completes with CLOSED, callback once */
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/slow-head?ms=20"), NULL, &f), 0);
    assert_int_equal(httpx_future_then(f, count_future_cb, NULL), 0);
    httpx_async_client_close(ac);
    httpx_async_client_close(ac);
    assert_int_equal(httpx_future_wait(f), HTTPX_E_CLOSED);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(cb_calls, 1);
    assert_int_equal(httpx_future_take(f, &r), HTTPX_E_CLOSED);
    httpx_future_free(f);

    /* after close: CLOSED at the call, no future; submit too */
    f = (httpx_future_t *)1;
    assert_int_equal(httpx_async_get(ac, u, NULL, &f), HTTPX_E_CLOSED);
    assert_null(f);
    assert_int_equal(httpx_async_stream(ac, "GET", u, NULL, &f), HTTPX_E_CLOSED);
    int rc = httpx_async_submit(ac, "GET", u, NULL, count_future_cb, NULL);
    if (rc == 0) { /* "completes with HTTPX_E_CLOSED": the callback gets it */
        cb_calls = 0;
        assert_int_equal(httpx_loop_run(loop), 0);
    } else {
        assert_int_equal(rc, HTTPX_E_CLOSED);
    }
    httpx_parallel_t *p;
    assert_int_equal(httpx_async_parallel_new(ac, NULL, &p), HTTPX_E_CLOSED);

    /* freed with a future pending */
    httpx_async_client_free(ac);
    assert_int_equal(httpx_async_client_new(loop, NULL, &ac), 0);
    assert_int_equal(httpx_async_get(ac, U(P.raw, "/slow-head?ms=20"), NULL, &f), 0);
    httpx_async_client_free(ac);
    assert_int_equal(httpx_future_wait(f), HTTPX_E_CLOSED);
    httpx_future_free(f);
    assert_int_equal(httpx_loop_run(loop), 0);
    httpx_loop_counts_t n;
    assert_int_equal(httpx_loop_counts(loop, &n), 0);
    assert_int_equal(n.watchers + n.timers + n.posted, 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_int_equal(raw_count(T), 1);
}

/* ---- parallel ----------------------------------------------------------------- */

static void parallel_family(void **state)
{
    (void)state;
    httpx_parallel_t *p = (httpx_parallel_t *)1;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    assert_int_equal(httpx_parallel_new(NULL, NULL, &p), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_new(c, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_new(c, HTTPX_PARALLEL(.max_concurrency = -1), &p), HTTPX_E_INVAL);
    assert_int_equal(httpx_async_parallel_new(NULL, NULL, &p), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_remaining(NULL), 0);
    assert_null(httpx_pending_error(NULL));
    assert_null(httpx_pending_future(NULL));
    httpx_response_t *r;
    assert_int_equal(httpx_pending_get_response(NULL, &r), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_next_response(NULL, &r, NULL), HTTPX_E_INVAL);
    httpx_parallel_close(NULL);

    const char *T = tgt("parallel");
    char u[256];
    snprintf(u, sizeof u, "%s%s", P.raw, T);
    assert_int_equal(httpx_parallel_new(c, NULL, &p), 0);
    httpx_pending_t *one = (httpx_pending_t *)1;
    assert_int_equal(httpx_parallel_request(NULL, "GET", u, NULL, &one), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_request(p, "GET", u, NULL, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_request(p, NULL, u, NULL, &one), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_request(p, "GET\r\nX: 1", u, NULL, &one), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_get(p, NULL, NULL, &one), HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_post(p, u, HTTPX_REQ(.headers = (httpx_header_t[]){{"X\n", "1"}, {0}}), &one),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx_parallel_remaining(p), 0);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), HTTPX_E_NONE_LEFT);

    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/ok"), NULL, &one), 0);
    assert_int_equal(httpx_parallel_remaining(p), 1);
    assert_int_equal(httpx_pending_get_response(one, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_pending_get_response(one, &r), 0);
    httpx_response_free(r);
    assert_int_equal(httpx_pending_get_response(one, &r), HTTPX_E_STREAM_CONSUMED);
    assert_int_equal(httpx_parallel_remaining(p), 0);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), HTTPX_E_NONE_LEFT);
    assert_int_equal(httpx_parallel_next_response(p, NULL, NULL), HTTPX_E_INVAL);

    /* the client closed under a parallel: new requests CLOSED, one in flight fails */
    httpx_pending_t *two;
    assert_int_equal(httpx_parallel_get(p, U(P.raw, "/slow-head?ms=20"), NULL, &two), 0);
    httpx_client_close(c);
    assert_int_equal(httpx_parallel_get(p, u, NULL, &one), HTTPX_E_CLOSED);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), HTTPX_E_CLOSED);
    assert_null(r);
    assert_int_equal(httpx_pending_error(two)->code, HTTPX_E_CLOSED);
    assert_int_equal(httpx_parallel_next_response(p, &r, NULL), HTTPX_E_NONE_LEFT);
    httpx_parallel_close(p);
    httpx_client_free(c);
    assert_int_equal(raw_count(T), 1);
}

/* ---- bugs found (kept, skipped until src/ is fixed) ---------------------------- */

static void bug_loop_now_null(void **state)
{
    (void)state;
    /* Was a bug (fixed, kept as a regression test): httpx_loop_now(NULL) dereferences NULL (src/loop/loop.c:88,
     * loop->ops.now): UBSan "member access within null pointer of type
     * 'struct httpx_loop_t'", SIGSEGV in a plain build. Every other loop function
     * takes NULL (INVAL or no-op); this one has no error channel, so it should
     * return 0 (or the clock) for NULL. */

    (void)httpx_loop_now(NULL);
}

static void bug_url_accessors_null(void **state)
{
    (void)state;
    /* Was a bug (fixed, kept as a regression test): every URL accessor dereferences its argument unchecked
     * (src/url/build.c:291-299): httpx_url_str/scheme/userinfo/host/port/path/
     * query/fragment/target(NULL) crash (UBSan "member access within null pointer
     * of type 'const struct httpx_url_t'", SIGSEGV in a plain build), while the
     * response, header and cookie accessors all answer NULL/0 for NULL. */

    assert_null(httpx_url_str(NULL));
    assert_null(httpx_url_scheme(NULL));
    assert_null(httpx_url_userinfo(NULL));
    assert_null(httpx_url_host(NULL));
    assert_int_equal(httpx_url_port(NULL), 0);
    assert_null(httpx_url_path(NULL));
    assert_null(httpx_url_query(NULL));
    assert_null(httpx_url_fragment(NULL));
    assert_null(httpx_url_target(NULL));
}

static void bug_stream_async_on_sync_stream(void **state)
{
    (void)state;
    /* Was a bug (fixed, kept as a regression test): httpx_response_stream_async() (and raw_async/read_async) on a
     * streaming response of a *sync* client returns 0 instead of the documented
     * HTTPX_E_INVAL ("not a streaming response of an async client"): the callback
     * is registered on the client's private loop, which only runs inside the
     * client's own calls, so it never fires, and the body is then consumed
     * (later pulls: HTTPX_E_STREAM_CONSUMED). */

    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_stream(c, "GET", U(P.raw, "/ok"), NULL, &r), 0);
    assert_int_equal(httpx_response_stream_async(r, dummy_body_cb, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_raw_async(r, dummy_body_cb, NULL), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_read_async(r, dummy_body_cb, NULL), HTTPX_E_INVAL);
    char buf[16];
    size_t n;
    assert_int_equal(httpx_response_stream(r, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 5);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void bug_stream_cap_zero(void **state)
{
    (void)state;
    /* Was a bug (fixed, kept as a regression test): httpx_response_stream/raw(r, buf, 0, &n) on a stream with body left
     * return 0 with *n == 0, which response.h defines as "the body is complete":
     * a caller's read loop stops early and silently truncates the body
     * (src/client/response_body.c pull(): `if (!cap) return 0;`). An empty buffer
     * is an out-of-range argument: HTTPX_E_INVAL expected. */

    httpx_client_t *c;
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_stream(c, "GET", U(P.raw, "/ok"), NULL, &r), 0);
    char buf[16];
    size_t n = 99;
    assert_int_equal(httpx_response_stream(r, buf, 0, &n), HTTPX_E_INVAL);
    assert_int_equal(httpx_response_raw(r, buf, 0, &n), HTTPX_E_INVAL);
    httpx_response_free(r);
    httpx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_family),
        cmocka_unit_test(url_family),
        cmocka_unit_test(headers_family),
        cmocka_unit_test(cookies_family),
        cmocka_unit_test(client_new_family),
        cmocka_unit_test(request_family),
        cmocka_unit_test(request_huge_inputs),
        cmocka_unit_test(request_cookies),
        cmocka_unit_test(one_shot_family),
        cmocka_unit_test(client_family),
        cmocka_unit_test(response_accessors_null),
        cmocka_unit_test(response_streams),
        cmocka_unit_test(free_orders),
        cmocka_unit_test(loop_family),
        cmocka_unit_test(async_family),
        cmocka_unit_test(parallel_family),
        cmocka_unit_test(bug_loop_now_null),
        cmocka_unit_test(bug_url_accessors_null),
        cmocka_unit_test(bug_stream_async_on_sync_stream),
        cmocka_unit_test(bug_stream_cap_zero),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
