/* Client features against httpbin: redirects, cookies, authentication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <httpx.h>
#include "integration/peers.h"

static peers_t P;
static int setup(void **state)
{
    (void)state;
    return peers_load(&P) == 0 ? 0 : -1;
}

static int json_has(const char *json, const char *key, const char *value)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "\"%s\": %s", key, value);
    snprintf(b, sizeof b, "\"%s\":%s", key, value);
    return strstr(json, a) || strstr(json, b);
}

static void redirects_off_by_default(void **state)
{
    (void)state;
    httpx_response_t *r;
    assert_int_equal(httpx_get(U(P.httpbin, "/redirect/2"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 302);
    assert_true(httpx_response_is_redirect(r));
    assert_non_null(httpx_response_next_url(r));
    assert_non_null(strstr(httpx_response_next_url(r), "/relative-redirect/1"));
    assert_string_equal(httpx_response_next_method(r), "GET");
    assert_int_equal(httpx_response_history_count(r), 0);
    httpx_response_free(r);
}

static void follow_with_history(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true), &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/redirect/3"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_non_null(strstr(httpx_response_url(r), "/get"));
    assert_int_equal(httpx_response_history_count(r), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(httpx_response_status(httpx_response_history(r, i)), 302);
    assert_null(httpx_response_next_url(r));
    httpx_response_free(r);
    /* per request: don't follow */
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/redirect/1"), HTTPX_REQ(.follow_redirects = HTTPX_REDIRECTS_DONT), &r), 0);
    assert_int_equal(httpx_response_status(r), 302);
    httpx_response_free(r);
    /* too many */
    httpx_client_t *c2;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .max_redirects = 2), &c2), 0);
    httpx_error_t err;
    assert_int_equal(httpx_client_get(c2, U(P.httpbin, "/redirect/3"), HTTPX_REQ(.error = &err), &r),
                     HTTPX_E_TOO_MANY_REDIRECTS);
    assert_true(httpx_error_is(HTTPX_E_TOO_MANY_REDIRECTS, HTTPX_E_REQUEST));
    httpx_client_free(c2);
    httpx_client_free(c);
}

static void method_and_body_rules(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .base_url = P.httpbin), &c), 0);
    httpx_response_t *r;
    /* 302 after POST: GET without the body */
    assert_int_equal(httpx_client_post(c, "/redirect-to?url=/anything&status_code=302",
                                       HTTPX_REQ(.body = HTTPX_BODY_STR("payload")), &r),
                     0);
    assert_true(json_has(httpx_response_text(r), "method", "\"GET\""));
    assert_null(strstr(httpx_response_text(r), "payload"));
    httpx_response_free(r);
    /* 307: method and body kept */
    assert_int_equal(httpx_client_post(c, "/redirect-to?url=/anything&status_code=307",
                                       HTTPX_REQ(.body = HTTPX_BODY_STR("payload")), &r),
                     0);
    assert_true(json_has(httpx_response_text(r), "method", "\"POST\""));
    assert_true(json_has(httpx_response_text(r), "data", "\"payload\""));
    httpx_response_free(r);
    /* 308 with a one-shot producer: cannot be replayed */
    httpx_error_t err;
    assert_int_equal(httpx_client_put(c, "/redirect-to?url=/anything&status_code=308",
                                      HTTPX_REQ(.body = HTTPX_BODY_PRODUCER(NULL, NULL), .error = &err), &r),
                     HTTPX_E_INVAL); /* a NULL producer is refused up front */
    httpx_client_free(c);
}

static void cookies_across_redirects(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true), &c), 0);
    httpx_response_t *r;
    /* /cookies/set sets them on a 302 to /cookies, which echoes what we sent */
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/cookies/set?flavour=ginger&shape=round"), NULL, &r), 0);
    const char *t = httpx_response_text(r);
    assert_true(json_has(t, "flavour", "\"ginger\""));
    assert_true(json_has(t, "shape", "\"round\""));
    httpx_response_free(r);
    assert_int_equal(httpx_cookie_jar_count(httpx_client_cookies(c)), 2);
    /* the jar keeps them for later requests */
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/cookies"), NULL, &r), 0);
    assert_true(json_has(httpx_response_text(r), "flavour", "\"ginger\""));
    httpx_response_free(r);
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/cookies/delete?flavour"), NULL, &r), 0);
    assert_null(strstr(httpx_response_text(r), "ginger"));
    httpx_response_free(r);
    /* set by the caller */
    assert_int_equal(httpx_cookie_jar_set(httpx_client_cookies(c), "mine", "yes", NULL, NULL), 0);
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/cookies"), NULL, &r), 0);
    assert_true(json_has(httpx_response_text(r), "mine", "\"yes\""));
    httpx_response_free(r);
    httpx_client_free(c);
    /* no_cookies: nothing stored */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .no_cookies = true), &c), 0);
    assert_null(httpx_client_cookies(c));
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/cookies/set?a=1"), NULL, &r), 0);
    assert_null(strstr(httpx_response_text(r), "\"a\""));
    httpx_response_free(r);
    httpx_client_free(c);
}

static void basic_bearer_and_url_credentials(void **state)
{
    (void)state;
    httpx_response_t *r;
    httpx_auth_t basic = HTTPX_BASIC_AUTH("user", "passwd");
    assert_int_equal(httpx_get(U(P.httpbin, "/basic-auth/user/passwd"), HTTPX_REQ(.auth = &basic), &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_true(json_has(httpx_response_text(r), "authenticated", "true"));
    httpx_response_free(r);
    httpx_auth_t wrong = HTTPX_BASIC_AUTH("user", "nope");
    assert_int_equal(httpx_get(U(P.httpbin, "/basic-auth/user/passwd"), HTTPX_REQ(.auth = &wrong), &r), 0);
    assert_int_equal(httpx_response_status(r), 401);
    httpx_response_free(r);
    /* credentials in the URL */
    char url[256];
    snprintf(url, sizeof url, "http://user:passwd@%s/basic-auth/user/passwd", P.httpbin + strlen("http://"));
    assert_int_equal(httpx_get(url, NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    httpx_response_free(r);
    /* bearer, as a client default */
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.auth = HTTPX_BEARER_AUTH("tok123")), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/bearer"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_true(json_has(httpx_response_text(r), "token", "\"tok123\""));
    httpx_response_free(r);
    /* a request can turn the client's off */
    httpx_auth_t none = {.kind = HTTPX_AUTH_NONE};
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/bearer"), HTTPX_REQ(.auth = &none), &r), 0);
    assert_int_equal(httpx_response_status(r), 401);
    httpx_response_free(r);
    httpx_client_free(c);
}

static void digest_challenge(void **state)
{
    (void)state;
    const char *paths[] = {"/digest-auth/auth/user/passwd", "/digest-auth/auth/user/passwd/SHA-256",
                           "/digest-auth/auth/user/passwd/SHA-512"};
    for (size_t i = 0; i < 3; i++) {
        httpx_client_t *c;
        assert_int_equal(httpx_client_new(HTTPX_CLIENT(.auth = HTTPX_DIGEST_AUTH("user", "passwd")), &c), 0);
        httpx_response_t *r;
        httpx_error_t err = {0};
        int rc = httpx_client_get(c, U(P.httpbin, paths[i]), HTTPX_REQ(.error = &err), &r);
        if (rc)
            print_message("  %s: %s\n", paths[i], err.message);
        assert_int_equal(rc, 0);
        print_message("  %s -> %d after %zu hop(s)\n", paths[i], httpx_response_status(r),
                      httpx_response_history_count(r));
        if (i < 2) { /* httpbin's SHA-512 is not RFC 7616's SHA-512-256: a 401 stays a 401 */
            assert_int_equal(httpx_response_status(r), 200);
            assert_int_equal(httpx_response_history_count(r), 1);
            assert_int_equal(httpx_response_status(httpx_response_history(r, 0)), 401);
        }
        httpx_response_free(r);
        httpx_client_free(c);
    }
}

typedef struct hook_log {
    int requests, responses;
    int last_status;
    char first_head[512];
} hook_log_t;

static void on_req(const httpx_hook_info_t *info, void *user)
{
    hook_log_t *l = user;
    if (!l->requests++)
        snprintf(l->first_head, sizeof l->first_head, "%.*s", (int)info->request_head_len, info->request_head);
}

static void on_resp(const httpx_hook_info_t *info, void *user)
{
    hook_log_t *l = user;
    l->responses++;
    l->last_status = info->status;
    assert_non_null(info->headers);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hooks_on_every_hop(void **state)
{
    (void)state;
    hook_log_t log = {0};
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .on_request = on_req, .on_response = on_resp,
                                                   .hook_user = &log),
                                      &c),
                     0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/redirect/2"), NULL, &r), 0);
    httpx_response_free(r);
    assert_int_equal(log.requests, 3);
    assert_int_equal(log.responses, 3);
    assert_int_equal(log.last_status, 200);
    assert_non_null(strstr(log.first_head, "GET /redirect/2 HTTP/1.1\r\n"));
    httpx_client_free(c);
}

static void retry_policy(void **state)
{
    (void)state;
    hook_log_t log = {0};
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.retry = {.max = 2, .backoff = 0.05}, .on_request = on_req,
                                                   .hook_user = &log),
                                      &c),
                     0);
    httpx_response_t *r;
    double t0 = now_s();
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/status/503"), NULL, &r), 0);
    double took = now_s() - t0;
    assert_int_equal(httpx_response_status(r), 503);
    assert_int_equal(log.requests, 3); /* the first and two retries */
    assert_int_equal(httpx_response_history_count(r), 2);
    assert_true(took < 1.0); /* jittered backoff within 0.05 s then 0.1 s */
    httpx_response_free(r);
    /* POST is not retried unless all_methods */
    log.requests = 0;
    assert_int_equal(httpx_client_post(c, U(P.httpbin, "/status/503"), NULL, &r), 0);
    assert_int_equal(log.requests, 1);
    httpx_response_free(r);
    /* a 200 is not retried */
    log.requests = 0;
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/status/200"), NULL, &r), 0);
    assert_int_equal(log.requests, 1);
    httpx_response_free(r);
    /* connect failures are retried too, then reported */
    log.requests = 0;
    assert_int_equal(httpx_client_get(c, "http://127.0.0.1:1/", NULL, &r), HTTPX_E_REFUSED);
    assert_int_equal(log.requests, 3);
    httpx_client_free(c);
    /* the budget: many failing requests cannot all be retried */
    log.requests = 0;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.retry = {.max = 5, .backoff = 0.001, .budget = 0.1},
                                                   .on_request = on_req, .hook_user = &log),
                                      &c),
                     0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(httpx_client_get(c, U(P.httpbin, "/status/503"), NULL, &r), 0);
        httpx_response_free(r);
    }
    print_message("  20 failing requests with max 5 retries each, budget 10%%: %d attempts\n", log.requests);
    assert_true(log.requests <= 20 + 3 + 3); /* ~10% of requests + 3, never 20 x 6 */
    httpx_client_free(c);
}

static void form_json_multipart_bodies(void **state)
{
    (void)state;
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.base_url = P.httpbin), &c), 0);
    httpx_response_t *r;
    httpx_param_t fields[] = {{"name", "Ada Lovelace"}, {"lang", "C & more"}, {0}};
    assert_int_equal(httpx_client_post(c, "/post", HTTPX_REQ(.body = HTTPX_BODY_FORM(fields)), &r), 0);
    const char *t = httpx_response_text(r);
    assert_true(json_has(t, "name", "\"Ada Lovelace\""));
    assert_true(json_has(t, "lang", "\"C & more\""));
    assert_non_null(strstr(t, "application/x-www-form-urlencoded"));
    httpx_response_free(r);
    assert_int_equal(httpx_client_post(c, "/post", HTTPX_REQ(.body = HTTPX_BODY_JSON("{\"k\": [1, 2]}")), &r), 0);
    t = httpx_response_text(r);
    assert_non_null(strstr(t, "application/json"));
    assert_true(json_has(t, "k", "[1,2]") || json_has(t, "k", "[1, 2]") || strstr(t, "\"k\": [\n"));
    httpx_response_free(r);
    char path[] = "/tmp/httpx-part-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "file contents\n", 14), 14);
    close(fd);
    httpx_part_t parts[] = {
        {.name = "field", .value = "value"},
        {.name = "upload", .path = path, .filename = "hello.txt"},
        {0},
    };
    assert_int_equal(httpx_client_post(c, "/post", HTTPX_REQ(.body = HTTPX_BODY_MULTIPART(parts)), &r), 0);
    t = httpx_response_text(r);
    assert_true(json_has(t, "field", "\"value\""));
    assert_true(json_has(t, "upload", "\"file contents\\n\""));
    assert_non_null(strstr(t, "multipart/form-data; boundary="));
    httpx_response_free(r);
    unlink(path);
    httpx_client_free(c);
}

typedef struct flow_ctx {
    int calls;
    int statuses[16];
} flow_ctx_t;

/* A token refresh: start with an expired token, swap it on 401. */
static int token_flow(httpx_auth_step_t *step, void *user)
{
    flow_ctx_t *f = user;
    int status = httpx_auth_step_status(step);
    f->statuses[f->calls++] = status;
    if (status == 0)
        return httpx_auth_step_set_header(step, "Authorization", "Bearer token-old") ?: HTTPX_AUTH_SEND;
    if (status == 401) {
        assert_non_null(httpx_auth_step_header(step, "WWW-Authenticate"));
        return httpx_auth_step_set_header(step, "Authorization", "Bearer token-new") ?: HTTPX_AUTH_SEND;
    }
    return HTTPX_AUTH_DONE;
}

static void custom_flow_and_netrc(void **state)
{
    (void)state;
    /* the flow sets the header before the first send and accepts the 200 */
    flow_ctx_t f = {0};
    httpx_auth_t flow = {.kind = HTTPX_AUTH_CUSTOM, .flow = token_flow, .user = &f};
    httpx_response_t *r;
    assert_int_equal(httpx_get(U(P.httpbin, "/bearer"), HTTPX_REQ(.auth = &flow), &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    assert_true(json_has(httpx_response_text(r), "token", "\"token-old\""));
    httpx_response_free(r);
    assert_int_equal(f.calls, 2); /* before sending, then the 200 */
    /* a flow that keeps asking to send again is stopped after 10 rounds */
    memset(&f, 0, sizeof f);
    httpx_error_t err;
    assert_int_equal(httpx_get(U(P.httpbin, "/status/401"), HTTPX_REQ(.auth = &flow, .error = &err), &r), HTTPX_E_REQUEST);
    assert_non_null(strstr(err.message, "10 rounds"));
    assert_int_equal(f.calls, 10);
    /* .netrc, opt-in */
    char path[] = "/tmp/httpx-netrc-XXXXXX";
    int fd = mkstemp(path);
    char host[128];
    snprintf(host, sizeof host, "%s", P.httpbin + strlen("http://"));
    *strchr(host, ':') = '\0';
    char line[256];
    int len = snprintf(line, sizeof line, "machine %s login user password passwd\n", host);
    assert_int_equal(write(fd, line, (size_t)len), len);
    close(fd);
    setenv("NETRC", path, 1);
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.netrc = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.httpbin, "/basic-auth/user/passwd"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    httpx_response_free(r);
    httpx_client_free(c);
    /* off by default */
    assert_int_equal(httpx_get(U(P.httpbin, "/basic-auth/user/passwd"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 401);
    httpx_response_free(r);
    unsetenv("NETRC");
    unlink(path);
}

/* An answer from another origin's /echo-headers: credentials, cookies and the
 * sensitive headers were dropped on the way, the plain header went through. */
static void expect_stripped(httpx_response_t *r)
{
    const char *t = httpx_response_text(r);
    assert_int_equal(httpx_response_status(r), 200);
    assert_null(strstr(t, "Authorization"));
    assert_null(strstr(t, "X-Api-Key"));
    assert_null(strstr(t, "Cookie"));
    assert_non_null(strstr(t, "X-Plain: ok"));
}

static void cross_origin_redirect_strips_credentials(void **state)
{
    (void)state;
    if (!P.raw2[0])
        fail_msg("no second origin in the peers");
    static const char *const sensitive[] = {"X-Api-Key", NULL};
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .sensitive_headers = sensitive,
                                                   .auth = HTTPX_BASIC_AUTH("u", "p")),
                                      &c),
                     0);
    httpx_header_t hdrs[] = {{"X-Api-Key", "secret"}, {"Cookie", "sid=1"}, {"X-Plain", "ok"}, {0}};
    char url[512];
    httpx_response_t *r;
    /* same origin: everything stays */
    snprintf(url, sizeof url, "%s/redirect?to=/echo-headers", P.raw);
    assert_int_equal(httpx_client_get(c, url, HTTPX_REQ(.headers = hdrs), &r), 0);
    const char *t = httpx_response_text(r);
    assert_non_null(strstr(t, "Authorization: Basic"));
    assert_non_null(strstr(t, "X-Api-Key: secret"));
    assert_non_null(strstr(t, "Cookie: sid=1"));
    httpx_response_free(r);
    /* another origin (another port): credentials, cookies and sensitive headers go */
    snprintf(url, sizeof url, "%s/redirect?to=%s/echo-headers&status=307", P.raw, P.raw2);
    assert_int_equal(httpx_client_get(c, url, HTTPX_REQ(.headers = hdrs), &r), 0);
    expect_stripped(r);
    assert_int_equal(httpx_response_history_count(r), 1);
    httpx_response_free(r);
    httpx_client_free(c);
    /* the same rules for the client's default headers; one Authorization only */
    httpx_header_t defaults[] = {{"X-Api-Key", "secret"}, {"Cookie", "sid=1"}, {"Authorization", "Bearer dflt"},
                                 {"X-Plain", "ok"}, {0}};
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .sensitive_headers = sensitive,
                                                   .headers = defaults),
                                      &c),
                     0);
    snprintf(url, sizeof url, "%s/redirect?to=/echo-headers", P.raw);
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    t = httpx_response_text(r);
    assert_non_null(strstr(t, "Authorization: Bearer dflt"));
    assert_non_null(strstr(t, "X-Api-Key: secret"));
    httpx_response_free(r);
    httpx_auth_t basic = HTTPX_BASIC_AUTH("u", "p");
    assert_int_equal(httpx_client_get(c, url, HTTPX_REQ(.auth = &basic), &r), 0);
    t = httpx_response_text(r);
    assert_non_null(strstr(t, "Authorization: Basic"));
    assert_null(strstr(t, "Bearer dflt"));
    httpx_response_free(r);
    snprintf(url, sizeof url, "%s/redirect?to=%s/echo-headers&status=307", P.raw, P.raw2);
    assert_int_equal(httpx_client_get(c, url, NULL, &r), 0);
    expect_stripped(r);
    httpx_response_free(r);
    /* only http and https targets */
    httpx_error_t err;
    snprintf(url, sizeof url, "%s/redirect?to=ftp://127.0.0.1/x", P.raw);
    assert_int_equal(httpx_client_get(c, url, HTTPX_REQ(.error = &err), &r), HTTPX_E_UNSUPPORTED_PROTOCOL);
    httpx_client_free(c);
    /* https -> http refused unless allowed */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .ca_file = P.ca_file), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/to-http"), HTTPX_REQ(.error = &err), &r),
                     HTTPX_E_UNSUPPORTED_PROTOCOL);
    assert_non_null(strstr(err.message, "https"));
    httpx_client_free(c);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .ca_file = P.ca_file, .allow_downgrade = true),
                                      &c),
                     0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/to-http"), NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    httpx_client_free(c);
}

static void unix_socket_and_local_address(void **state)
{
    (void)state;
    if (!P.uds_path[0])
        fail_msg("no unix socket in the peers");
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.uds = P.uds_path), &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, "http://localhost/ok", NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    httpx_client_free(c);
    httpx_sockopt_t so[] = {{SOL_SOCKET, SO_RCVBUF, 1 << 18}};
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.local_address = "127.0.0.1", .socket_options = so,
                                                   .nsocket_options = 1),
                                      &c),
                     0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    httpx_response_free(r);
    httpx_client_free(c);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.local_address = "not an address"), &c), HTTPX_E_INVAL);
}

static void through_proxies(void **state)
{
    (void)state;
    if (!P.proxy_http[0] || !P.proxy_socks[0])
        fail_msg("no proxies in the peers");
    httpx_response_t *r;
    httpx_client_t *c;
    char proxy[256];
    /* forward proxy for http */
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.proxy = P.proxy_http, .no_env = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo"), NULL, &r), 0);
    const char *t = httpx_response_text(r);
    assert_non_null(strstr(t, "Via: 1.1 httpx-test-proxy"));
    httpx_response_free(r);
    /* CONNECT tunnel for https (TLS to the origin through it), HTTP/2 inside */
    httpx_client_free(c);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.proxy = P.proxy_http, .no_env = true, .ca_file = P.ca_file, .http2 = true), &c), 0);
    httpx_error_t err = {0};
    int rc = httpx_client_get(c, U(P.nginx_tls, "/small.txt"), HTTPX_REQ(.error = &err), &r);
    if (rc)
        print_message("  CONNECT: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    assert_string_equal(httpx_response_http_version(r), "HTTP/2");
    httpx_response_free(r);
    httpx_client_free(c);
    /* proxy authentication */
    snprintf(proxy, sizeof proxy, "http://%s:%s@%s", P.proxy_http_user, P.proxy_http_pass,
             P.proxy_http_auth + strlen("http://"));
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.proxy = proxy, .no_env = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 200);
    httpx_response_free(r);
    httpx_client_free(c);
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.proxy = P.proxy_http_auth, .no_env = true), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    assert_int_equal(httpx_response_status(r), 407);
    httpx_response_free(r);
    httpx_client_free(c);
    /* SOCKS5 (remote names: *.proxy.test resolves only at the proxy) */
    snprintf(proxy, sizeof proxy, "socks5h://%s", P.proxy_socks + strlen("socks5://"));
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.proxy = proxy, .no_env = true), &c), 0);
    char url[256];
    snprintf(url, sizeof url, "http://raw.proxy.test:%s/ok", strrchr(P.raw, ':') + 1);
    rc = httpx_client_get(c, url, HTTPX_REQ(.error = &err), &r);
    if (rc)
        print_message("  SOCKS5: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(httpx_response_text(r), "hello");
    httpx_response_free(r);
    httpx_client_free(c);
    snprintf(proxy, sizeof proxy, "socks5://%s:%s@%s", P.proxy_socks_user, P.proxy_socks_pass,
             P.proxy_socks_auth + strlen("socks5://"));
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.proxy = proxy, .no_env = true, .ca_file = P.ca_file), &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.nginx_tls, "/small.txt"), NULL, &r), 0);
    assert_string_equal(httpx_response_text(r), "hello from nginx\n");
    httpx_response_free(r);
    httpx_client_free(c);
    /* environment variables, and NO_PROXY */
    setenv("HTTP_PROXY", P.proxy_http, 1);
    setenv("NO_PROXY", "localhost", 1);
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo"), NULL, &r), 0);
    assert_null(strstr(httpx_response_text(r), "Via:")); /* 127.0.0.1 is loopback: NO_PROXY localhost */
    httpx_response_free(r);
    httpx_client_free(c);
    unsetenv("NO_PROXY");
    assert_int_equal(httpx_client_new(NULL, &c), 0);
    assert_int_equal(httpx_client_get(c, U(P.raw, "/echo"), NULL, &r), 0);
    assert_non_null(strstr(httpx_response_text(r), "Via: 1.1 httpx-test-proxy"));
    httpx_response_free(r);
    httpx_client_free(c);
    unsetenv("HTTP_PROXY");
}

typedef struct trace_log {
    char events[2048];
    int failed;
} trace_log_t;

static void on_trace(const char *event, const httpx_trace_info_t *info, void *user)
{
    trace_log_t *t = user;
    size_t n = strlen(t->events);
    snprintf(t->events + n, sizeof t->events - n, "%s\n", event);
    if (strcmp(event, "request.failed") == 0)
        t->failed = info->error;
    assert_non_null(info->url);
}

static void trace_events(void **state)
{
    (void)state;
    trace_log_t log = {0};
    httpx_client_t *c;
    assert_int_equal(httpx_client_new(HTTPX_CLIENT(.trace = on_trace, .trace_user = &log), &c), 0);
    httpx_response_t *r;
    assert_int_equal(httpx_client_get(c, U(P.raw, "/ok"), NULL, &r), 0);
    httpx_response_free(r);
    print_message("%s", log.events);
    const char *order[] = {"connection.connect_tcp.started", "connection.connect_tcp.complete",
                           "http11.send_request_headers.started", "http11.send_request_body.complete",
                           "http11.receive_response_headers.complete", "http11.receive_response_body.complete",
                           "http11.response_closed"};
    const char *at = log.events;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(at, order[i]);
        assert_non_null(p);
        at = p;
    }
    assert_int_equal(httpx_client_get(c, U(P.raw, "/truncated-body"), NULL, &r), HTTPX_E_SERVER_DISCONNECTED);
    assert_int_equal(log.failed, HTTPX_E_SERVER_DISCONNECTED);
    httpx_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redirects_off_by_default),
        cmocka_unit_test(follow_with_history),
        cmocka_unit_test(method_and_body_rules),
        cmocka_unit_test(cookies_across_redirects),
        cmocka_unit_test(basic_bearer_and_url_credentials),
        cmocka_unit_test(digest_challenge),
        cmocka_unit_test(hooks_on_every_hop),
        cmocka_unit_test(retry_policy),
        cmocka_unit_test(form_json_multipart_bodies),
        cmocka_unit_test(custom_flow_and_netrc),
        cmocka_unit_test(cross_origin_redirect_strips_credentials),
        cmocka_unit_test(unix_socket_and_local_address),
        cmocka_unit_test(through_proxies),
        cmocka_unit_test(trace_events),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
