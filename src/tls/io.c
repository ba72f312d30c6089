/* tls/io.c — plaintext in and out of a handshaken connection. */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include "core/err.h"
#include "tls/internal.h"
#include "core/banned.h"

static int dead(httpx__tls_t *t, int code, httpx_error_t *err)
{
    return httpx__err(err, code, code == HTTPX_E_WRITE ? HTTPX_PHASE_WRITE : HTTPX_PHASE_READ_BODY,
                      "tls: connection to \"%s\" already failed", t->host);
}

int httpx__tls_read(httpx__tls_t *t, void *buf, size_t n, size_t *nread, int *want,
                    httpx_error_t *err)
{
    *nread = 0;
    if (t->fatal)
        return dead(t, HTTPX_E_READ, err);
    if (n == 0) /* 0 bytes would read as a clean close */
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_READ_BODY, "tls: read of 0 bytes");
    httpx__tls_err_reset();
    t->sock.err = 0;
    size_t got = 0;
    int r = SSL_read_ex(t->ssl, buf, n, &got);
    if (r == 1) {
        t->rx_any = true;
        *nread = got;
        /* After a ticket (ctx.c), give the record buffers back once nothing is
         * buffered. Only here, after a read that returned data: no record is half
         * read then (nor, by SSL_has_pending, any unprocessed record), which
         * SSL_free_buffers before OpenSSL 3.0.14 did not check (CVE-2024-4741); it
         * refuses by itself while a write is pending. */
        if (t->bufs_held && !SSL_has_pending(t->ssl) && SSL_free_buffers(t->ssl))
            t->bufs_held = false;
        return 0;
    }
    if (SSL_get_error(t->ssl, r) == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return 0; /* close_notify: a clean end */
    }
    return httpx__tls_fail(t, HTTPX__TLS_OP_READ, r, want, err);
}

/* A TLS 1.3 server that rejects our client certificate does so after our handshake
 * finished: it sends an alert and closes, and our first write meets a reset. The alert
 * may already be in our receive buffer and says far more than "connection reset", so
 * when a write fails that way before any data came in, read it. */
static int write_failed(httpx__tls_t *t, int r, int *want, httpx_error_t *err)
{
    int sys = t->sock.err;
    if (t->rx_any || (sys != ECONNRESET && sys != EPIPE) || SSL_version(t->ssl) < TLS1_3_VERSION ||
        SSL_get_error(t->ssl, r) != SSL_ERROR_SYSCALL)
        return httpx__tls_fail(t, HTTPX__TLS_OP_WRITE, r, want, err);
    ERR_clear_error();
    unsigned char b;
    size_t got;
    int rr = SSL_read_ex(t->ssl, &b, 1, &got), rwant;
    if (rr != 1 && httpx__tls_fail(t, HTTPX__TLS_OP_READ, rr, &rwant, err) == HTTPX_E_TLS_HANDSHAKE)
        return HTTPX_E_TLS_HANDSHAKE;
    /* no alert there: the write's own error stands (formatted here, since the read
     * has replaced the state SSL_get_error would look at) */
    ERR_clear_error();
    t->fatal = true;
    return httpx__err(err, HTTPX_E_WRITE, HTTPX_PHASE_WRITE, "tls: write to \"%s\": %s", t->host,
                      strerror(sys));
}

int httpx__tls_writev(httpx__tls_t *t, const struct iovec *iov, int iovcnt, size_t *nwritten,
                      int *want, httpx_error_t *err)
{
    *nwritten = 0;
    if (t->fatal)
        return dead(t, HTTPX_E_WRITE, err);
    int i = 0;
    while (i < iovcnt && iov[i].iov_len == 0)
        i++;
    if (i == iovcnt)
        return 0;
    /* One piece of a record or more, or the only piece: write it in place (OpenSSL cuts
     * it into records). Otherwise gather the small pieces into one record, so a head and
     * a short body cost one record and one send, not one each. The gathering depends
     * only on the bytes offered, so a retry after WANT_WRITE, which must offer the same
     * bytes, stages the same record again. On the stack: no memory held while idle. */
    const void *p = iov[i].iov_base;
    size_t len = iov[i].iov_len;
    unsigned char stage[HTTPX__TLS_RECORD];
    int j = i + 1;
    while (j < iovcnt && iov[j].iov_len == 0)
        j++;
    if (len < HTTPX__TLS_RECORD && j < iovcnt) {
        len = 0;
        for (; i < iovcnt && len < sizeof stage; i++) {
            size_t take = iov[i].iov_len < sizeof stage - len ? iov[i].iov_len : sizeof stage - len;
            memcpy(stage + len, iov[i].iov_base, take);
            len += take;
        }
        p = stage;
    }
    httpx__tls_err_reset();
    t->sock.err = 0;
    size_t w = 0;
    int r = SSL_write_ex(t->ssl, p, len, &w);
    if (r == 1) {
        *nwritten = w;
        return 0;
    }
    return write_failed(t, r, want, err);
}

size_t httpx__tls_pending(const httpx__tls_t *t)
{
    int n = SSL_pending(t->ssl);
    return n > 0 ? (size_t)n : 0;
}

int httpx__tls_check_idle(httpx__tls_t *t, httpx_error_t *err)
{
    if (t->fatal)
        return dead(t, HTTPX_E_READ, err);
    ERR_clear_error();
    t->sock.err = 0;
    unsigned char b;
    size_t got = 0;
    /* peek: records that are not data (tickets, key updates) get processed, data stays */
    int r = SSL_peek_ex(t->ssl, &b, 1, &got);
    if (r == 1) {
        t->fatal = true;
        return httpx__err(err, HTTPX_E_READ, HTTPX_PHASE_READ_HEAD,
                          "tls: \"%s\" sent data on an idle connection", t->host);
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error(); /* shutdown may still answer with our close_notify */
        return httpx__err(err, HTTPX_E_READ, HTTPX_PHASE_READ_HEAD,
                          "tls: \"%s\" closed the idle connection", t->host);
    }
    int want;
    return httpx__tls_fail(t, HTTPX__TLS_OP_READ, r, &want, err);
}
