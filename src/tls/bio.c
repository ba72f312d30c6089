/* tls/bio.c — the socket BIO under every TLS connection.
 *
 * OpenSSL's own socket BIO (SSL_set_fd) writes with write(2), which raises SIGPIPE when
 * the peer has gone; a library must not kill its host process, and Linux has no
 * per-socket opt-out, so ours sends with MSG_NOSIGNAL. It also keeps the errno of the
 * failed call (OpenSSL may run code that clobbers errno before we see the error) and
 * answers BIO_CTRL_EOF, which OpenSSL 3 needs to report a TCP EOF without close_notify
 * as SSL_R_UNEXPECTED_EOF_WHILE_READING. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tls/internal.h"
#include "core/banned.h"

/* A private type number: source/sink over a descriptor, so SSL_get_fd() still works.
 * Fixed rather than BIO_get_new_index(), whose process-wide pool of ~127 indices would
 * run out after as many contexts. */
#define BIO_TYPE_HTTPX (0x6d | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR)

static bool retryable(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static int bio_write(BIO *b, const char *buf, int len)
{
    httpx__tls_sock_t *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(s->fd, buf, (size_t)len, MSG_NOSIGNAL);
    if (n >= 0)
        return (int)n;
    s->err = errno;
    if (retryable(s->err))
        BIO_set_retry_write(b);
    return -1;
}

static int bio_read(BIO *b, char *buf, int len)
{
    httpx__tls_sock_t *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!buf || len <= 0)
        return 0;
    ssize_t n = recv(s->fd, buf, (size_t)len, 0);
    if (n > 0)
        return (int)n;
    if (n == 0) {
        s->eof = true;
        return 0;
    }
    s->err = errno;
    if (retryable(s->err))
        BIO_set_retry_read(b);
    return -1;
}

static int bio_puts(BIO *b, const char *str)
{
    return bio_write(b, str, (int)strlen(str));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    httpx__tls_sock_t *s = BIO_get_data(b);
    switch (cmd) {
    case BIO_C_GET_FD:
        if (ptr)
            *(int *)ptr = s->fd;
        return s->fd;
    case BIO_CTRL_FLUSH: /* unbuffered: every write went straight to the socket */
        return 1;
    case BIO_CTRL_EOF:
        return s->eof;
    case BIO_CTRL_GET_CLOSE:
        return BIO_NOCLOSE; /* the fd belongs to the caller */
    case BIO_CTRL_SET_CLOSE:
        return 1;
    default:
        return 0;
    }
}

static int bio_create(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

static int bio_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    BIO_set_init(b, 0);
    return 1;
}

BIO_METHOD *httpx__tls_bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_HTTPX, "httpx socket");
    if (!m)
        return NULL;
    if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_puts(m, bio_puts) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
        !BIO_meth_set_create(m, bio_create) || !BIO_meth_set_destroy(m, bio_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

BIO *httpx__tls_bio_new(BIO_METHOD *m, httpx__tls_sock_t *sock)
{
    BIO *b = BIO_new(m);
    if (!b)
        return NULL;
    BIO_set_data(b, sock);
    BIO_set_init(b, 1);
    return b;
}
