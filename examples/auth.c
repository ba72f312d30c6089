/* examples/auth.c — Basic, Digest, Bearer, credentials in the URL, .netrc (opt-in),
 * and a custom flow that answers a challenge.
 * Usage: auth HTTPBIN_URL      (http://host:port of an httpbin) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <httpx.h>

static void show(const char *what, int rc, httpx_response_t **rp)
{
    if (rc) {
        printf("%-7s %s\n", what, httpx_err_name(rc));
        return;
    }
    httpx_response_t *r = *rp; /* read here, after the call that filled it */
    printf("%-7s %d after %zu hop(s)\n", what, httpx_response_status(r), httpx_response_history_count(r));
    httpx_response_free(r);
}

/* A challenge/response flow: send without credentials; on a 401 that asks for
 * Basic, add them and send again (the 401 goes to history). */
static int answer_challenge(httpx_auth_step_t *step, void *user)
{
    const char *challenge = httpx_auth_step_header(step, "WWW-Authenticate");
    if (httpx_auth_step_status(step) == 401 && challenge && strncmp(challenge, "Basic", 5) == 0) {
        int rc = httpx_auth_step_set_header(step, "Authorization", user);
        return rc ? rc : HTTPX_AUTH_SEND; /* a negative HTTPX_E_* fails the request */
    }
    return httpx_auth_step_status(step) == 0 ? HTTPX_AUTH_SEND : HTTPX_AUTH_DONE;
}

int main(int argc, char **argv)
{
    if (argc != 2 || strncmp(argv[1], "http://", 7) != 0) {
        fprintf(stderr, "usage: %s http://HOST:PORT\n", argv[0]);
        return 2;
    }
    const char *base = argv[1], *hostport = argv[1] + 7;
    char url[512];
    httpx_response_t *r;
    snprintf(url, sizeof url, "%s/basic-auth/user/passwd", base);

    httpx_auth_t basic = HTTPX_BASIC_AUTH("user", "passwd");
    show("basic", httpx_get(url, HTTPX_REQ(.auth = &basic), &r), &r);
    show("none", httpx_get(url, NULL, &r), &r); /* 401 */

    char with_userinfo[512];
    snprintf(with_userinfo, sizeof with_userinfo, "http://user:passwd@%s/basic-auth/user/passwd", hostport);
    show("url", httpx_get(with_userinfo, NULL, &r), &r);

    httpx_client_t *c; /* a client default; digest answers the 401 challenge */
    char durl[512];
    snprintf(durl, sizeof durl, "%s/digest-auth/auth/user/passwd/SHA-256", base);
    if (httpx_client_new(HTTPX_CLIENT(.auth = HTTPX_DIGEST_AUTH("user", "passwd")), &c) == 0) {
        show("digest", httpx_client_get(c, durl, NULL, &r), &r);
        httpx_client_free(c);
    }

    char burl[512];
    snprintf(burl, sizeof burl, "%s/bearer", base);
    httpx_auth_t bearer = HTTPX_BEARER_AUTH("tok123");
    show("bearer", httpx_get(burl, HTTPX_REQ(.auth = &bearer), &r), &r);

    httpx_auth_t flow = {.kind = HTTPX_AUTH_CUSTOM, .flow = answer_challenge, .user = "Basic dXNlcjpwYXNzd2Q="};
    show("custom", httpx_get(url, HTTPX_REQ(.auth = &flow), &r), &r);

    /* .netrc: only with .netrc = true; $NETRC names the file (else ~/.netrc). */
    char netrc[] = "/tmp/auth-netrc-XXXXXX", line[300], host[256];
    snprintf(host, sizeof host, "%.*s", (int)strcspn(hostport, ":/"), hostport);
    int fd = mkstemp(netrc), n = snprintf(line, sizeof line, "machine %s login user password passwd\n", host);
    if (fd < 0 || write(fd, line, (size_t)n) != n)
        return 1;
    close(fd);
    setenv("NETRC", netrc, 1);
    if (httpx_client_new(HTTPX_CLIENT(.netrc = true), &c) == 0) {
        show("netrc", httpx_client_get(c, url, NULL, &r), &r);
        httpx_client_free(c);
    }
    unlink(netrc);
    return 0;
}
