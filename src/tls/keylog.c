/* tls/keylog.c — NSS key log lines (what SSLKEYLOGFILE names), so Wireshark can decrypt
 * a capture while debugging. Each line is appended with one writev on an O_APPEND fd:
 * atomic for a regular file, so connections on several threads never interleave lines
 * and no lock is needed. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/err.h"
#include "tls/internal.h"
#include "core/banned.h"

static void keylog_line(const SSL *ssl, const char *line)
{
    httpx__tls_ctx_t *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!ctx || ctx->keylog_fd < 0)
        return;
    struct iovec iov[2] = {{(void *)line, strlen(line)}, {(void *)"\n", 1}};
    ssize_t n;
    do /* best effort: a debugging aid must never fail a connection */
        n = writev(ctx->keylog_fd, iov, 2);
    while (n < 0 && errno == EINTR);
}

int httpx__tls_keylog_open(httpx__tls_ctx_t *ctx, const char *path, httpx_error_t *err)
{
    /* 0600: the file holds secrets that decrypt every recorded session */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP, "tls: cannot open key log \"%s\": %s",
                          path, strerror(errno));
    ctx->keylog_fd = fd;
    SSL_CTX_set_keylog_callback(ctx->ssl, keylog_line);
    return 0;
}

void httpx__tls_keylog_close(httpx__tls_ctx_t *ctx)
{
    if (ctx->keylog_fd >= 0)
        close(ctx->keylog_fd);
    ctx->keylog_fd = -1;
}
