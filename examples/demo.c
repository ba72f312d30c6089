/* examples/demo.c — what `make demo` shows: a sync GET, a client keeping its
 * connection alive, a streaming download with bounded memory, and requests that
 * fail with clear errors.
 * Usage: demo NGINX_URL RAW_URL   (scripts/demo.sh starts both servers) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <httpx.h>

static char url[1024];
static const char *U(const char *base, const char *path)
{
    snprintf(url, sizeof url, "%s%s", base, path);
    return url;
}

static void title(const char *t) { printf("\n== %s\n", t); }

static void show_error(const char *what, int rc, const httpx_error_t *e)
{
    printf("  %-32s -> %s [%s, phase %s]\n     %s\n", what, httpx_strerror(rc), httpx_err_name(rc),
           httpx_phase_name(e->phase), e->message);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s NGINX_URL RAW_URL\n", argv[0]);
        return 2;
    }
    const char *nginx = argv[1], *raw = argv[2];
    httpx_response_t *r;
    httpx_error_t err;

    title("httpx_get(): one call, one response");
    if (httpx_get(U(nginx, "/small.txt"), HTTPX_REQ(.error = &err), &r)) {
        show_error("GET /small.txt", err.code, &err);
        return 1;
    }
    printf("  %s %d %s, %s bytes, %.1f ms\n", httpx_response_http_version(r), httpx_response_status(r),
           httpx_response_reason(r), httpx_response_header(r, "Content-Length"),
           httpx_response_elapsed(r) * 1000);
    printf("  body: %s", httpx_response_text(r));
    httpx_response_free(r);

    title("a client keeps its connection: /keepalive-count counts requests per connection");
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.timeout = 5.0), &c))
        return 1;
    for (int i = 0; i < 3; i++) {
        if (httpx_client_get(c, U(raw, "/keepalive-count"), NULL, &r) == 0) {
            printf("  request %d: served as request #%s of its connection\n", i + 1, httpx_response_text(r));
            httpx_response_free(r);
        }
    }

    title("streaming: 256 MiB of /big.bin through a 64 KiB buffer");
    if (httpx_client_stream(c, "GET", U(nginx, "/big.bin"), NULL, &r) == 0) {
        static char buf[64 * 1024];
        size_t n;
        unsigned long long total = 0, next = 64ull << 20;
        while (total < (256ull << 20) && httpx_response_stream(r, buf, sizeof buf, &n) == 0 && n) {
            total += n;
            if (total >= next) {
                printf("  %4llu MiB\n", total >> 20);
                next += 64ull << 20;
            }
        }
        double secs = httpx_response_elapsed(r);
        printf("  read %llu MiB in %.2f s (%.0f MiB/s); closing the rest of the stream\n", total >> 20, secs,
               (double)(total >> 20) / secs);
        httpx_response_close(r);
        httpx_response_free(r);
    }

    title("failures are clear errors");
    struct { const char *what; const char *path; double read; } cases[] = {
        {"server never answers", "/never-answer", 0.5},
        {"body cut short", "/truncated-body", 0},
        {"not HTTP at all", "/garbage", 0},
        {"gzip bomb (2 GiB of zeros)", "/gzip-bomb?mib=2048", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = httpx_client_get(c, U(raw, cases[i].path), HTTPX_REQ(.timeouts = {.read = cases[i].read}, .error = &err), &r);
        if (rc)
            show_error(cases[i].what, rc, &err);
        else
            httpx_response_free(r);
    }
    int rc = httpx_get("http://127.0.0.1:1/", HTTPX_REQ(.error = &err), &r);
    if (rc)
        show_error("nothing listening", rc, &err);
    rc = httpx_get("http://exa mple.org:99999/", HTTPX_REQ(.error = &err), &r);
    if (rc)
        show_error("a malformed URL", rc, &err);
    httpx_client_free(c);
    return 0;
}
