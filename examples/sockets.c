/* examples/sockets.c — where connections go and how: a unix domain socket, a local
 * source address, socket options.
 * Usage: sockets URL [UDS_PATH]
 *   URL       e.g. http://127.0.0.1:8080/ (over TCP, bound to 127.0.0.1, with options)
 *   UDS_PATH  optional: a unix socket of an HTTP server; URL's host then only names
 *             the Host header (e.g. sockets http://localhost/ok /run/app.sock) */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <httpx.h>

static void on_trace(const char *event, const httpx_trace_info_t *info, void *user)
{
    (void)user;
    if (strcmp(event, "connection.connect_tcp.complete") == 0)
        printf("  connected to %s\n", info->peer ? info->peer : "(unix socket)");
}

static int get(const httpx_client_opts_t *opts, const char *url)
{
    httpx_client_t *c = NULL;
    httpx_response_t *r;
    httpx_error_t err = {0};
    int rc = httpx_client_new(opts, &c);
    if (rc == 0 && (rc = httpx_client_get(c, url, HTTPX_REQ(.error = &err), &r)) == 0) {
        printf("  %d, %zu bytes\n", httpx_response_status(r), strlen(httpx_response_text(r)));
        httpx_response_free(r);
    } else {
        printf("  failed: %s (%s)\n", err.message[0] ? err.message : httpx_strerror(rc), httpx_err_name(rc));
    }
    httpx_client_free(c);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [UDS_PATH]\n", argv[0]);
        return 2;
    }
    /* setsockopt(fd, level, name, &value, sizeof value) on each socket before connect */
    httpx_sockopt_t so[] = {{SOL_SOCKET, SO_RCVBUF, 1 << 20}, {IPPROTO_TCP, TCP_KEEPIDLE, 30}};
    int rc;
    if (argc > 2) {
        printf("unix socket %s:\n", argv[2]);
        rc = get(HTTPX_CLIENT(.uds = argv[2], .trace = on_trace), argv[1]);
    } else {
        printf("TCP from 127.0.0.1, with socket options:\n");
        rc = get(HTTPX_CLIENT(.local_address = "127.0.0.1", .socket_options = so, .nsocket_options = 2, .trace = on_trace),
                 argv[1]);
    }
    printf("a bad local address:\n");
    get(HTTPX_CLIENT(.local_address = "not an address"), argv[1]); /* HTTPX_E_INVAL from httpx_client_new */
    return rc ? 1 : 0;
}
