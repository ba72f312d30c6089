/* examples/hooks_retries.c — event hooks on every hop, the trace callback, phase
 * timings, and a retry policy (with redirects followed, so hops add up).
 * Usage: hooks_retries URL [URL...]
 *   try a URL answering 503 (with or without Retry-After), and one that redirects. */
#include <stdio.h>
#include <httpx.h>

static void on_request(const httpx_hook_info_t *info, void *user)
{
    (void)user;
    printf("  -> %s %s\n", info->method, info->url);
}

static void on_response(const httpx_hook_info_t *info, void *user)
{
    (void)user;
    const char *ra = httpx_headers_get(info->headers, "Retry-After");
    printf("  <- %d%s%s\n", info->status, ra ? ", Retry-After: " : "", ra ? ra : "");
}

static void on_trace(const char *event, const httpx_trace_info_t *info, void *user)
{
    (void)user;
    printf("     %8.2f ms  %s%s%s\n", info->elapsed * 1e3, event, info->peer ? "  " : "", info->peer ? info->peer : "");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [URL...]\n", argv[0]);
        return 2;
    }
    /* Retry 429/502/503/504 (the default list) up to 3 times: Retry-After when
     * sent, else 0.1 s * 2^attempt with full jitter, capped at 2 s. */
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.follow_redirects = true, .retry = {.max = 3, .backoff = 0.1, .backoff_max = 2},
                                      .on_request = on_request, .on_response = on_response, .trace = on_trace),
                         &c))
        return 1;
    for (int i = 1; i < argc; i++) {
        printf("GET %s\n", argv[i]);
        httpx_response_t *r;
        httpx_error_t err;
        if (httpx_client_get(c, argv[i], HTTPX_REQ(.error = &err), &r)) {
            printf("  failed: %s\n", err.message);
            continue;
        }
        printf("  = %d after %zu earlier response(s); ms:", httpx_response_status(r), httpx_response_history_count(r));
        httpx_timings_t t = httpx_response_timings(r); /* seconds from the start; -1: did not happen */
        const double v[] = {t.dns, t.connect, t.tls, t.first_byte, t.total};
        const char *name[] = {"dns", "connect", "tls", "first byte", "total"};
        for (int k = 0; k < 5; k++)
            v[k] < 0 ? printf(" %s -", name[k]) : printf(" %s %.2f", name[k], v[k] * 1e3);
        printf("\n");
        httpx_response_free(r);
    }
    httpx_client_free(c);
    return 0;
}
