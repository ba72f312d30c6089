/* tls/fail.c — turning OpenSSL's failures into our codes and messages.
 *
 * Users see these messages, so each says what went wrong and with which host:
 *   tls: certificate verify failed for "localhost": certificate has expired
 *   tls: handshake with "localhost" failed: tlsv1 alert protocol version
 *   tls: connection closed without close_notify
 * OpenSSL's error queue is per thread and shared with whatever else the thread does,
 * so every path here leaves it empty. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "httpx/loop.h"
#include "tls/internal.h"
#include "core/banned.h"

const char *httpx__tls_reason(char *buf, size_t n)
{
    unsigned long e = ERR_peek_error(); /* the earliest error is the cause */
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(buf, n, "%s", r);
    else if (e)
        snprintf(buf, n, "openssl error %lx", e);
    else
        snprintf(buf, n, "unknown error");
    ERR_clear_error();
    return buf;
}

/* Alerts the server sends when it rejects us during (or, for TLS 1.3 client
 * certificates, right after) the handshake. */
static bool handshake_alert(int reason)
{
    if (reason < SSL_AD_REASON_OFFSET)
        return false;
    switch (reason - SSL_AD_REASON_OFFSET) {
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
        return true;
    default:
        return false;
    }
}

static int io_code(int op)
{
    return op == HTTPX__TLS_OP_HANDSHAKE ? HTTPX_E_CONNECT
           : op == HTTPX__TLS_OP_READ    ? HTTPX_E_READ
                                         : HTTPX_E_WRITE;
}

static httpx_phase_t io_phase(const httpx__tls_t *t, int op)
{
    /* the engine knows better (head or body, h1 or h2) and may overwrite it */
    return op == HTTPX__TLS_OP_HANDSHAKE ? HTTPX_PHASE_TLS
           : op == HTTPX__TLS_OP_WRITE   ? HTTPX_PHASE_WRITE
           : t->rx_any                   ? HTTPX_PHASE_READ_BODY
                                         : HTTPX_PHASE_READ_HEAD;
}

static int eof_error(httpx__tls_t *t, int op, httpx_error_t *err)
{
    if (op == HTTPX__TLS_OP_HANDSHAKE)
        return httpx__err(err, HTTPX_E_TLS_HANDSHAKE, HTTPX_PHASE_TLS,
                          "tls: handshake with \"%s\" failed: connection closed by the server",
                          t->host);
    return httpx__err(err, io_code(op), io_phase(t, op),
                      "tls: connection closed without close_notify");
}

int httpx__tls_fail(httpx__tls_t *t, int op, int r, int *want, httpx_error_t *err)
{
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? HTTPX_IO_READ : HTTPX_IO_WRITE;
        return HTTPX__TLS_AGAIN;
    }
    t->fatal = true;
    char why[160];
    if (e == SSL_ERROR_SYSCALL) {
        ERR_clear_error();
        int sys = t->sock.err;
        if (t->sock.eof || sys == 0)
            return eof_error(t, op, err);
        int code = sys == ENOMEM || sys == ENOBUFS ? HTTPX_E_NOMEM : io_code(op);
        return httpx__err(err, code, io_phase(t, op), "tls: %s \"%s\": %s",
                          op == HTTPX__TLS_OP_HANDSHAKE ? "handshake with"
                          : op == HTTPX__TLS_OP_READ    ? "read from"
                                                        : "write to",
                          t->host, strerror(sys));
    }
    if (e != SSL_ERROR_SSL) { /* WANT_X509_LOOKUP and friends: nothing of ours asks for them */
        ERR_clear_error();
        return httpx__err(err, op == HTTPX__TLS_OP_HANDSHAKE ? HTTPX_E_TLS_HANDSHAKE : io_code(op),
                          io_phase(t, op), "tls: unexpected ssl error %d with \"%s\"", e,
                          t->host);
    }
    unsigned long first = ERR_peek_error();
    int reason = ERR_GET_LIB(first) == ERR_LIB_SSL ? ERR_GET_REASON(first) : 0;
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return eof_error(t, op, err);
    }
    long v = SSL_get_verify_result(t->ssl);
    if (op == HTTPX__TLS_OP_HANDSHAKE && reason == SSL_R_CERTIFICATE_VERIFY_FAILED &&
        v != X509_V_OK) {
        ERR_clear_error();
        return httpx__err(err, HTTPX_E_TLS_VERIFY, HTTPX_PHASE_TLS,
                          "tls: certificate verify failed for \"%s\": %s", t->host,
                          X509_verify_cert_error_string(v));
    }
    /* Before any application data, a rejection alert means the handshake failed even if
     * our side had finished it (TLS 1.3 checks the client certificate afterwards). */
    if (op == HTTPX__TLS_OP_HANDSHAKE || (!t->rx_any && handshake_alert(reason))) {
        httpx__tls_reason(why, sizeof why);
        return httpx__err(err, HTTPX_E_TLS_HANDSHAKE, HTTPX_PHASE_TLS,
                          "tls: handshake with \"%s\" failed: %s%s", t->host, why,
                          reason == SSL_AD_REASON_OFFSET + SSL_AD_CERTIFICATE_REQUIRED
                              ? " (the server requires a client certificate)"
                              : "");
    }
    httpx__tls_reason(why, sizeof why);
    return httpx__err(err, io_code(op), io_phase(t, op), "tls: %s \"%s\" failed: %s",
                      op == HTTPX__TLS_OP_READ ? "read from" : "write to", t->host, why);
}
