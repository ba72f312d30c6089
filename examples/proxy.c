/* examples/proxy.c — one proxy for everything, per-origin mounts, and the
 * environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY). Each request prints
 * the address the client connected to: the proxy's, or the origin's.
 * Usage: proxy PROXY_URL URL
 *   PROXY_URL  http://[user:pass@]host:port, socks5://..., socks5h://...
 *   URL        http:// (forwarded) or https:// (tunnelled: CONNECT, or SOCKS)
 * The https trust store comes from SSL_CERT_FILE when set. */
#include <stdio.h>
#include <string.h>
#include <httpx.h>

static void on_trace(const char *event, const httpx_trace_info_t *info, void *user)
{
    (void)user;
    if (strcmp(event, "connection.connect_tcp.complete") == 0)
        printf("  connected to %s\n", info->peer ? info->peer : "?");
}

static void get(const char *label, const httpx_client_opts_t *opts, const char *url)
{
    httpx_client_t *c;
    httpx_response_t *r;
    httpx_error_t err;
    printf("%s\n", label);
    if (httpx_client_new(opts, &c)) {
        printf("  bad options\n");
        return;
    }
    if (httpx_client_get(c, url, HTTPX_REQ(.error = &err), &r) == 0) {
        printf("  %d %s, %zu bytes\n", httpx_response_status(r), httpx_response_http_version(r), strlen(httpx_response_text(r)));
        httpx_response_free(r);
    } else {
        printf("  failed: %s (%s)\n", err.message, httpx_err_name(err.code));
    }
    httpx_client_free(c);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PROXY_URL URL\n", argv[0]);
        return 2;
    }
    const char *proxy = argv[1], *url = argv[2];

    /* 1. One proxy for every URL; the environment ignored (HTTPX's trust_env=False). */
    get("proxy option:", HTTPX_CLIENT(.proxy = proxy, .no_env = true, .trace = on_trace), url);

    /* 2. Mounts: through the proxy, except the URL's own host, which goes direct. */
    char direct[300], label[320];
    const char *host = strstr(url, "://") + 3;
    snprintf(direct, sizeof direct, "all://%.*s", (int)strcspn(host, ":/"), host);
    httpx_proxy_mount_t mounts[] = {{"all://", proxy}, {direct, NULL}, {NULL, NULL}};
    snprintf(label, sizeof label, "mounts (%s direct):", direct);
    get(label, HTTPX_CLIENT(.mounts = mounts, .no_env = true, .trace = on_trace), url);

    /* 3. Defaults: the *_PROXY / NO_PROXY variables of the environment decide. */
    get("environment:", HTTPX_CLIENT(.trace = on_trace), url);
    return 0;
}
