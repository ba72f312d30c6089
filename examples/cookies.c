/* examples/cookies.c — the client's cookie jar: fed by responses (redirect hops
 * included), set/get/delete by hand, saved to and loaded from a Netscape file.
 * Usage: cookies HTTPBIN_URL [UDS_PATH]
 *   UDS_PATH  optional: a unix socket of a server answering /set-cookie?name=&value=&attrs=
 *             (the test suite's raw server), to show a public-suffix Domain refused. */
#include <stdio.h>
#include <string.h>
#include <httpx.h>

static void list(const char *when, const httpx_cookie_jar_t *jar)
{
    printf("%s:", when);
    httpx_cookie_t ck;
    for (size_t i = 0; httpx_cookie_jar_at(jar, i, &ck) == 0; i++)
        printf(" %s=%s (domain \"%s\"%s)", ck.name, ck.value, ck.domain, ck.flags & HTTPX_COOKIE_HOST_ONLY ? ", host-only" : "");
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s HTTPBIN_URL [UDS_PATH]\n", argv[0]);
        return 2;
    }
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.base_url = argv[1], .follow_redirects = true), &c))
        return 1;
    httpx_cookie_jar_t *jar = httpx_client_cookies(c);
    httpx_response_t *r;
    /* /cookies/set answers 302 + Set-Cookie; the jar takes them from that hop. */
    if (httpx_client_get(c, "/cookies/set?flavour=ginger&shape=round", NULL, &r) == 0)
        httpx_response_free(r);
    list("from the server", jar);

    httpx_cookie_jar_set(jar, "mine", "yes", NULL, NULL); /* no domain: sent to every host */
    httpx_cookie_jar_delete(jar, "shape", NULL, NULL);
    const char *v;
    if (httpx_cookie_jar_get(jar, "flavour", NULL, &v) == 0 && v)
        printf("get flavour: %s\n", v);
    if (httpx_client_get(c, "/cookies", NULL, &r) == 0) /* httpbin echoes what it got */
        printf("sent: %s", httpx_response_text(r)), httpx_response_free(r);

    httpx_error_t err;
    const char *file = "/tmp/cookies-example.txt";
    if (httpx_cookie_jar_save(jar, file, &err) != 0)
        return fprintf(stderr, "save: %s\n", err.message), 1;
    httpx_client_free(c); /* the jar goes with its client */

    /* A jar of our own, loaded from the file, shared by a new client. */
    httpx_cookie_jar_t *mine;
    if (httpx_cookie_jar_new(NULL, &mine) || httpx_cookie_jar_load(mine, file, &err))
        return fprintf(stderr, "load: %s\n", err.message), 1;
    list("loaded", mine);
    if (httpx_client_new(HTTPX_CLIENT(.base_url = argv[1], .cookies = mine), &c))
        return 1;
    if (httpx_client_get(c, "/cookies", NULL, &r) == 0)
        printf("sent: %s", httpx_response_text(r)), httpx_response_free(r);
    httpx_client_free(c);

    /* What the jar refuses: Domain=co.uk from www.example.co.uk (a public suffix). */
    if (argc > 2 && httpx_client_new(HTTPX_CLIENT(.uds = argv[2], .cookies = mine), &c) == 0) {
        httpx_cookie_jar_clear(mine, NULL, NULL);
        const char *urls[] = {"http://www.example.co.uk/set-cookie?name=wide&value=1&attrs=Domain%3Dco.uk",
                              "http://www.example.co.uk/set-cookie?name=site&value=1&attrs=Domain%3Dexample.co.uk"};
        for (int i = 0; i < 2; i++)
            if (httpx_client_get(c, urls[i], NULL, &r) == 0)
                httpx_response_free(r);
        list("public suffix", mine);
        httpx_client_free(c);
    }
    httpx_cookie_jar_free(mine); /* after every client using it */
    remove(file);
    return 0;
}
