/* examples/quickstart.c — the spec's first example, synchronously:
 *     r = httpx.get(url); print(r.status_code, r.text)
 * Usage: quickstart URL */
#include <stdio.h>
#include <httpx.h>

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    httpx_response_t *r;
    httpx_error_t err;
    int rc = httpx_get(url, HTTPX_REQ(.error = &err), &r);
    if (rc) {
        fprintf(stderr, "GET %s failed: %s (%s)\n", url, err.message, httpx_err_name(rc));
        return 1;
    }
    printf("%s %d %s\n", httpx_response_http_version(r), httpx_response_status(r), httpx_response_reason(r));
    printf("%s", httpx_response_text(r));
    httpx_response_free(r);
    return 0;
}
