/* examples/redirects.c — redirects: off by default, followed on request, history,
 * method and body rules, and credentials stripped when the origin changes.
 * Usage: redirects HTTPBIN_URL [OTHER_ORIGIN_ECHO_URL]
 *   HTTPBIN_URL            an httpbin (/redirect/N, /redirect-to, /anything)
 *   OTHER_ORIGIN_ECHO_URL  a URL on another origin that echoes request headers
 *                          (e.g. http://127.0.0.1:8081/headers of a second httpbin) */
#include <stdio.h>
#include <string.h>
#include <httpx.h>

/* A producer body (here: empty) is read once, as it is sent: it cannot be replayed. */
static int once(void *buf, size_t cap, size_t *n, void *user)
{
    (void)buf, (void)cap, (void)user;
    *n = 0;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s HTTPBIN_URL [OTHER_ORIGIN_ECHO_URL]\n", argv[0]);
        return 2;
    }
    char url[1024];
    httpx_response_t *r;
    httpx_error_t err;

    /* 1. Not followed by default: the 302 itself, and where it would lead. */
    snprintf(url, sizeof url, "%s/redirect/3", argv[1]);
    if (httpx_get(url, NULL, &r) == 0) {
        printf("default: %d, next: %s %s\n", httpx_response_status(r), httpx_response_next_method(r),
               httpx_response_next_url(r));
        httpx_response_free(r);
    }

    /* 2. Followed by a client; history holds the hops, oldest first. */
    static const char *const secret[] = {"X-Api-Key", NULL};
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .max_redirects = 5, .sensitive_headers = secret), &c))
        return 1;
    if (httpx_client_get(c, url, NULL, &r) == 0) {
        printf("followed: %d %s after", httpx_response_status(r), httpx_response_url(r));
        for (size_t i = 0; i < httpx_response_history_count(r); i++)
            printf(" %d", httpx_response_status(httpx_response_history(r, i)));
        printf("\n");
        httpx_response_free(r);
    }
    /* ...or not, for one request. */
    if (httpx_client_get(c, url, HTTPX_REQ(.follow_redirects = HTTPX_REDIRECTS_DONT), &r) == 0)
        printf("per request: %d\n", httpx_response_status(r)), httpx_response_free(r);

    /* 3. 302 after POST becomes GET without the body; 307 keeps both. */
    const char *codes[] = {"302", "307"};
    for (int i = 0; i < 2; i++) {
        snprintf(url, sizeof url, "%s/redirect-to?url=/anything&status_code=%s", argv[1], codes[i]);
        if (httpx_client_post(c, url, HTTPX_REQ(.body = HTTPX_BODY_STR("payload")), &r) == 0) {
            const char *t = httpx_response_text(r);
            printf("POST + %s: body %s, %.15s\n", codes[i], strstr(t, "payload") ? "kept" : "dropped",
                   strstr(t, "\"method\""));
            httpx_response_free(r);
        }
    }
    /* A producer body cannot be sent twice. */
    int rc = httpx_client_post(c, url, HTTPX_REQ(.body = HTTPX_BODY_PRODUCER(once, NULL), .error = &err), &r);
    printf("producer + 307: %s (%s)\n", httpx_err_name(rc), err.message);

    /* 4. To another origin: Authorization, Cookie and X-Api-Key are not sent on. */
    if (argc > 2) {
        snprintf(url, sizeof url, "%s/redirect-to?url=%s", argv[1], argv[2]);
        httpx_auth_t auth = HTTPX_BASIC_AUTH("user", "passwd");
        httpx_header_t hdrs[] = {{"X-Api-Key", "k"}, {"X-Plain", "p"}, {0}};
        if (httpx_client_get(c, url, HTTPX_REQ(.auth = &auth, .headers = hdrs), &r) == 0) {
            const char *t = httpx_response_text(r);
            printf("cross-origin: Authorization %s, X-Api-Key %s, X-Plain %s\n", strstr(t, "Authorization") ? "sent" : "stripped",
                   strstr(t, "X-Api-Key") ? "sent" : "stripped", strstr(t, "X-Plain") ? "sent" : "stripped");
            httpx_response_free(r);
        }
    }
    httpx_client_free(c);
    return 0;
}
