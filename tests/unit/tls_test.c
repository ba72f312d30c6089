/* tls_test.c — the TLS layer (src/tls/) against an in-process OpenSSL server.
 *
 * Certificates come from tests/peers/certs.sh, run once into a temporary directory.
 * Each case starts a server thread on 127.0.0.1, port 0 (loopback only), configured
 * for that case, and drives the client side of src/tls non-blockingly with poll(), the
 * way the engine will. SIGPIPE keeps its default action in the main thread (the server
 * thread blocks it), so a library write that raised it would kill the test. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "httpx/error.h"
#include "httpx/loop.h"
#include "tls/tls.h"

#define WAIT_MS 5000
#define ALPN_BOTH "\x02h2\x08http/1.1"

static char certdir[128];

/* certdir/name, in one of a few rotating buffers (several per call are common). */
static const char *cert(const char *name)
{
    static char bufs[8][256];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", certdir, name);
    return b;
}

/* ---- the server --------------------------------------------------------- */

enum mode {
    ECHO,    /* echo until close_notify, then answer it */
    ABORT,   /* send "partial", then close TCP without close_notify */
    PENDING, /* send one 16000-byte record, then wait for the client to close */
    DROP     /* close TCP right after the handshake */
};

typedef struct server {
    /* configuration, set before start */
    const char *cert, *key; /* file names in certdir */
    const char *client_ca;  /* require a client certificate issued by it */
    const char *alpn;       /* wire format, server preference order */
    int min_version, max_version;
    const char *ciphers;
    enum mode mode;
    int nconn;
    /* state */
    int lfd, port;
    pthread_t thr;
    SSL_CTX *ctx;
    int accepted;       /* handshakes that succeeded */
    bool saw_client_cert;
    char cipher[64];    /* the suite of the last handshake */
} server_t;

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
    server_t *s = arg;
    unsigned char *o;
    if (SSL_select_next_proto(&o, outlen, (const unsigned char *)s->alpn,
                              (unsigned)strlen(s->alpn), in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

static void serve_one(server_t *s, int fd)
{
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    SSL *ssl = SSL_new(s->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
        ERR_clear_error();
        SSL_free(ssl);
        close(fd);
        return;
    }
    s->accepted++;
    snprintf(s->cipher, sizeof s->cipher, "%s", SSL_get_cipher_name(ssl));
    if (SSL_get0_peer_certificate(ssl) && SSL_get_verify_result(ssl) == X509_V_OK)
        s->saw_client_cert = true;
    static unsigned char buf[65536];
    size_t n;
    bool clean = true;
    switch (s->mode) {
    case ECHO:
        for (;;) {
            int r = SSL_read_ex(ssl, buf, sizeof buf, &n);
            if (r != 1) {
                clean = SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN;
                break;
            }
            size_t w;
            if (SSL_write_ex(ssl, buf, n, &w) != 1 || w != n) {
                clean = false;
                break;
            }
        }
        break;
    case ABORT:
        SSL_write_ex(ssl, "partial", 7, &n);
        clean = false;
        break;
    case PENDING:
        memset(buf, 'p', 16000);
        SSL_write_ex(ssl, buf, 16000, &n);
        while (SSL_read_ex(ssl, buf, sizeof buf, &n) == 1)
            ;
        break;
    case DROP:
        clean = false;
        break;
    }
    if (clean)
        SSL_shutdown(ssl);
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
}

static void *server_main(void *arg)
{
    server_t *s = arg;
    sigset_t set; /* EPIPE here when a client leaves early, not a dead test */
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < s->nconn; i++) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        if (poll(&p, 1, 10000) != 1)
            break;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            break;
        serve_one(s, fd);
    }
    ERR_clear_error();
    return NULL;
}

static void server_start(server_t *s)
{
    if (!s->cert)
        s->cert = "server.pem", s->key = "server.key";
    if (!s->nconn)
        s->nconn = 1;
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(s->ctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(s->ctx, cert(s->cert)), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(s->ctx, cert(s->key), SSL_FILETYPE_PEM), 1);
    SSL_CTX_set_session_id_context(s->ctx, (const unsigned char *)"tls_test", 8);
    if (s->min_version)
        SSL_CTX_set_min_proto_version(s->ctx, s->min_version);
    if (s->max_version)
        SSL_CTX_set_max_proto_version(s->ctx, s->max_version);
    if (s->ciphers)
        assert_int_equal(SSL_CTX_set_cipher_list(s->ctx, s->ciphers), 1);
    if (s->alpn)
        SSL_CTX_set_alpn_select_cb(s->ctx, alpn_select, s);
    if (s->client_ca) {
        assert_int_equal(SSL_CTX_load_verify_file(s->ctx, cert(s->client_ca)), 1);
        SSL_CTX_set_client_CA_list(s->ctx, SSL_load_client_CA_file(cert(s->client_ca)));
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thr, NULL, server_main, s), 0);
}

static void server_stop(server_t *s)
{
    pthread_join(s->thr, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
}

/* ---- the client --------------------------------------------------------- */

static httpx__tls_config_t config(void)
{
    return (httpx__tls_config_t){.ca_file = cert("ca.pem"), .alpn = ALPN_BOTH};
}

static httpx__tls_ctx_t *ctx_new(const httpx__tls_config_t *cfg)
{
    httpx__tls_ctx_t *c = NULL;
    httpx_error_t e = {0};
    int rc = httpx__tls_ctx_new(cfg, &c, &e);
    if (rc != 0)
        fail_msg("ctx_new: %d %s", rc, e.message);
    return c;
}

static void wait_fd(int fd, int want)
{
    struct pollfd p = {fd, (short)((want & HTTPX_IO_READ ? POLLIN : 0) |
                                   (want & HTTPX_IO_WRITE ? POLLOUT : 0)), 0};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
}

/* A non-blocking socket connected to 127.0.0.1:port; sndbuf > 0 shrinks its send buffer. */
static int connect_lo(int port, int sndbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (sndbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        assert_int_equal(errno, EINPROGRESS);
        wait_fd(fd, HTTPX_IO_WRITE);
        int soerr = 0;
        socklen_t l = sizeof soerr;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
        assert_int_equal(soerr, 0);
    }
    return fd;
}

typedef struct conn {
    int fd;
    httpx__tls_t *t;
    httpx_error_t err;
} conn_t;

/* Connect and handshake as `host`; returns the handshake's result. */
static int open_conn(conn_t *c, httpx__tls_ctx_t *ctx, const server_t *s, const char *host)
{
    memset(c, 0, sizeof *c);
    c->fd = connect_lo(s->port, 0);
    assert_int_equal(httpx__tls_new(ctx, c->fd, host, s->port, &c->t, &c->err), 0);
    int rc, want = 0;
    while ((rc = httpx__tls_handshake(c->t, &want, &c->err)) == HTTPX__TLS_AGAIN)
        wait_fd(c->fd, want);
    return rc;
}

static void close_conn(conn_t *c)
{
    httpx__tls_shutdown(c->t);
    httpx__tls_free(c->t);
    close(c->fd);
}

/* Write all of buf (blocking on poll). */
static int write_all(conn_t *c, const void *buf, size_t n)
{
    size_t off = 0;
    while (off < n) {
        struct iovec iov = {(char *)buf + off, n - off};
        size_t w;
        int want;
        int rc = httpx__tls_writev(c->t, &iov, 1, &w, &want, &c->err);
        if (rc == HTTPX__TLS_AGAIN)
            wait_fd(c->fd, want);
        else if (rc < 0)
            return rc;
        else
            off += w;
    }
    return 0;
}

/* One read, waiting as needed: returns the read's status, *n the bytes. */
static int read_some(conn_t *c, void *buf, size_t cap, size_t *n)
{
    for (;;) {
        int want;
        int rc = httpx__tls_read(c->t, buf, cap, n, &want, &c->err);
        if (rc != HTTPX__TLS_AGAIN)
            return rc;
        wait_fd(c->fd, want);
    }
}

static void echo_once(conn_t *c)
{
    char buf[16];
    size_t n;
    assert_int_equal(write_all(c, "ping", 4), 0);
    assert_int_equal(read_some(c, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "ping", 4);
}

/* One connection to s: handshake with `host`, one echo, a clean close. */
static void echo_connection(httpx__tls_ctx_t *ctx, server_t *s, const char *host)
{
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, s, host), 0);
    echo_once(&c);
    close_conn(&c);
}

/* Handshake to a server set up by the caller, expecting failure `code` whose message
 * contains `text`. */
static void expect_fail(server_t *s, httpx__tls_config_t cfg, const char *host, int code,
                        const char *text)
{
    server_start(s);
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    conn_t c;
    int rc = open_conn(&c, ctx, s, host);
    if (rc == 0) { /* TLS 1.3 client certificates: rejected after our side finished */
        char buf[16];
        size_t n;
        if ((rc = write_all(&c, "ping", 4)) == 0)
            rc = read_some(&c, buf, sizeof buf, &n);
    }
    if (rc != code || !strstr(c.err.message, text))
        fail_msg("want %s containing '%s', got %d (%s) '%s'", httpx_err_name(code), text, rc,
                 httpx_err_name(rc), c.err.message);
    assert_int_equal(httpx__tls_shutdown(c.t), 0); /* a no-op on a failed connection */
    close_conn(&c);
    assert_int_equal(httpx__tls_ctx_sessions(ctx), 0);
    httpx__tls_ctx_free(ctx);
    server_stop(s);
}

/* ---- cases -------------------------------------------------------------- */

static void test_verify_ok_alpn_h2(void **state)
{
    server_t s = {.alpn = ALPN_BOTH};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem"),
                                                             .alpn = ALPN_BOTH});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    assert_string_equal(httpx__tls_alpn(c.t), "h2");
    assert_false(httpx__tls_resumed(c.t));
    assert_int_equal(httpx__tls_handshake(c.t, &(int){0}, &c.err), 0); /* done stays done */
    echo_once(&c);
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_alpn_fallback(void **state)
{
    server_t s = {.alpn = "\x08http/1.1", .nconn = 2};
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.sessions = -1;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    assert_string_equal(httpx__tls_alpn(c.t), "http/1.1");
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    /* a client that offers nothing gets nothing */
    cfg.alpn = NULL;
    ctx = ctx_new(&cfg);
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    assert_null(httpx__tls_alpn(c.t));
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_unknown_ca(void **state)
{
    server_t s = {.cert = "unknown.pem", .key = "unknown.key"};
    expect_fail(&s, config(), "localhost", HTTPX_E_TLS_VERIFY,
                "tls: certificate verify failed for \"localhost\": unable to get local issuer");
}

static void test_self_signed_chain(void **state)
{
    /* the server sends its leaf and the unknown root */
    char chain[300];
    snprintf(chain, sizeof chain, "%s/.chain.pem", certdir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cat %s %s > %s", cert("unknown.pem"), cert("unknown-ca.pem"),
             chain);
    assert_int_equal(system(cmd), 0);
    server_t s = {.cert = ".chain.pem", .key = "unknown.key"};
    expect_fail(&s, config(), "localhost", HTTPX_E_TLS_VERIFY,
                "for \"localhost\": self-signed certificate in certificate chain");
}

static void test_expired(void **state)
{
    server_t s = {.cert = "expired.pem", .key = "expired.key"};
    expect_fail(&s, config(), "localhost", HTTPX_E_TLS_VERIFY,
                "for \"localhost\": certificate has expired");
}

static void test_wrong_host(void **state)
{
    server_t s = {.cert = "wrong.pem", .key = "wrong.key"};
    expect_fail(&s, config(), "localhost", HTTPX_E_TLS_VERIFY,
                "for \"localhost\": hostname mismatch");
}

static void test_ip_san(void **state)
{
    server_t s = {.nconn = 3};
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.sessions = -1;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    const char *ok[] = {"127.0.0.1", "[::1]", "localhost."};
    for (int i = 0; i < 3; i++) {
        conn_t c;
        int rc = open_conn(&c, ctx, &s, ok[i]);
        if (rc != 0)
            fail_msg("%s: %s", ok[i], c.err.message);
        echo_once(&c);
        close_conn(&c);
    }
    httpx__tls_ctx_free(ctx);
    server_stop(&s);

    server_t s2 = {0};
    expect_fail(&s2, config(), "127.0.0.2", HTTPX_E_TLS_VERIFY,
                "for \"127.0.0.2\": IP address mismatch");
}

static void test_version_mismatch(void **state)
{
    server_t s = {.min_version = TLS1_3_VERSION};
    httpx__tls_config_t cfg = config();
    cfg.max_version = TLS1_2_VERSION;
    expect_fail(&s, cfg, "localhost", HTTPX_E_TLS_HANDSHAKE,
                "tls: handshake with \"localhost\" failed: tlsv1 alert protocol version");
}

static void test_cipher_mismatch(void **state)
{
    server_t s = {.max_version = TLS1_2_VERSION, .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"};
    httpx__tls_config_t cfg = config();
    cfg.max_version = TLS1_2_VERSION;
    cfg.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
    expect_fail(&s, cfg, "localhost", HTTPX_E_TLS_HANDSHAKE,
                "handshake with \"localhost\" failed: sslv3 alert handshake failure");
}

static void test_client_cert_missing(void **state)
{
    /* TLS 1.3: the server's alert arrives after our handshake, with the first read */
    server_t s = {.client_ca = "client-ca.pem"};
    expect_fail(&s, config(), "localhost", HTTPX_E_TLS_HANDSHAKE,
                "requires a client certificate");
    /* TLS 1.2: the handshake itself fails */
    server_t s2 = {.client_ca = "client-ca.pem", .max_version = TLS1_2_VERSION};
    expect_fail(&s2, config(), "localhost", HTTPX_E_TLS_HANDSHAKE,
                "tls: handshake with \"localhost\" failed: sslv3 alert handshake failure");
}

static void test_client_cert_wrong_ca(void **state)
{
    /* our certificate is issued by a CA the server does not trust */
    server_t s = {.client_ca = "ca.pem"};
    httpx__tls_config_t cfg = config();
    cfg.cert_file = cert("client.pem");
    cfg.key_file = cert("client.key");
    expect_fail(&s, cfg, "localhost", HTTPX_E_TLS_HANDSHAKE, "alert unknown ca");
}

static void test_client_cert_provided(void **state)
{
    for (int v = 0; v < 2; v++) {
        server_t s = {.client_ca = "client-ca.pem", .max_version = v ? TLS1_2_VERSION : 0};
        server_start(&s);
        httpx__tls_config_t cfg = config();
        cfg.cert_file = cert("client.pem");
        cfg.key_file = cert("client.key");
        httpx__tls_ctx_t *ctx = ctx_new(&cfg);
        echo_connection(ctx, &s, "localhost");
        httpx__tls_ctx_free(ctx);
        server_stop(&s);
        assert_int_equal(s.accepted, 1);
        assert_true(s.saw_client_cert);
    }
}

static void test_insecure(void **state)
{
    const char *bad[][2] = {{"expired.pem", "expired.key"},
                            {"wrong.pem", "wrong.key"},
                            {"unknown.pem", "unknown.key"}};
    for (int i = 0; i < 3; i++) {
        server_t s = {.cert = bad[i][0], .key = bad[i][1]};
        server_start(&s);
        httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.insecure = true});
        echo_connection(ctx, &s, "localhost");
        httpx__tls_ctx_free(ctx);
        server_stop(&s);
    }
}

static void resumption(int version)
{
    server_t s = {.max_version = version, .nconn = 3};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    assert_false(httpx__tls_resumed(c.t));
    echo_once(&c); /* TLS 1.3 tickets arrive after the handshake: a read takes them in */
    close_conn(&c);
    assert_int_equal(httpx__tls_ctx_sessions(ctx), 1);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
        assert_true(httpx__tls_resumed(c.t));
        echo_once(&c);
        echo_once(&c); /* after the buffers went back (a new ticket came with the first) */
        close_conn(&c);
    }
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_resumption_tls13(void **state)
{
    resumption(0);
}

static void test_resumption_tls12(void **state)
{
    resumption(TLS1_2_VERSION);
}

static void test_resumption_off_and_per_origin(void **state)
{
    server_t s = {.nconn = 4};
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.sessions = -1;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    conn_t c;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
        assert_false(httpx__tls_resumed(c.t));
        /* the first read takes the TLS 1.3 tickets in, after which the record buffers
         * are given back: later writes and reads set them up again */
        for (int j = 0; j < 3; j++)
            echo_once(&c);
        close_conn(&c);
    }
    assert_int_equal(httpx__tls_ctx_sessions(ctx), 0);
    httpx__tls_ctx_free(ctx);
    /* a session for localhost is not offered to 127.0.0.1 (another origin) */
    ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    echo_once(&c);
    close_conn(&c);
    assert_int_equal(open_conn(&c, ctx, &s, "127.0.0.1"), 0);
    assert_false(httpx__tls_resumed(c.t));
    echo_once(&c);
    close_conn(&c);
    assert_int_equal(httpx__tls_ctx_sessions(ctx), 2);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

/* The stream is cut into pieces [0,37) [37,237) [237,total): offsets always fall on the
 * same pieces, so a retry offers the same bytes (the writev contract). */
static int iov_from(unsigned char *data, size_t total, size_t off, struct iovec *iov)
{
    const size_t cut[] = {0, 37, 237, total};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        size_t b = cut[i] > off ? cut[i] : off;
        if (b < cut[i + 1])
            iov[n++] = (struct iovec){data + b, cut[i + 1] - b};
    }
    return n;
}

static void test_roundtrip_1mib(void **state)
{
    const size_t total = 1u << 20;
    unsigned char *out = malloc(total), *in = malloc(total);
    assert_non_null(out);
    assert_non_null(in);
    for (size_t i = 0; i < total; i++)
        out[i] = (unsigned char)(i % 251);
    server_t s = {0};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c = {0};
    c.fd = connect_lo(s.port, 4096); /* a small send buffer forces partial writes */
    assert_int_equal(httpx__tls_new(ctx, c.fd, "localhost", s.port, &c.t, &c.err), 0);
    int rc, want = 0;
    while ((rc = httpx__tls_handshake(c.t, &want, &c.err)) == HTTPX__TLS_AGAIN)
        wait_fd(c.fd, want);
    assert_int_equal(rc, 0);
    size_t sent = 0, got = 0;
    int partial = 0, again = 0;
    while (got < total) {
        bool progress = false;
        int wwant = 0, rwant = 0;
        if (sent < total) {
            struct iovec iov[3];
            int n = iov_from(out, total, sent, iov);
            size_t offered = 0, w;
            for (int i = 0; i < n; i++)
                offered += iov[i].iov_len;
            rc = httpx__tls_writev(c.t, iov, n, &w, &wwant, &c.err);
            if (rc == HTTPX__TLS_AGAIN) {
                again++;
            } else {
                assert_int_equal(rc, 0);
                assert_true(w > 0 && w <= offered);
                partial += w < offered;
                sent += w;
                progress = true;
            }
        }
        for (;;) { /* read until AGAIN: whatever OpenSSL holds must be drained */
            size_t n;
            rc = httpx__tls_read(c.t, in + got, total - got, &n, &rwant, &c.err);
            if (rc == HTTPX__TLS_AGAIN)
                break;
            assert_int_equal(rc, 0);
            assert_true(n > 0);
            got += n;
            progress = true;
            if (got == total)
                break;
        }
        if (!progress)
            wait_fd(c.fd, (sent < total ? wwant : 0) | rwant);
    }
    assert_memory_equal(in, out, total);
    assert_true(partial > 0);
    print_message("1 MiB echoed: %d partial writes, %d write AGAINs\n", partial, again);
    /* clean close both ways: our close_notify, the server's answer, then 0 bytes */
    assert_int_equal(httpx__tls_shutdown(c.t), 0);
    size_t n;
    assert_int_equal(read_some(&c, in, 16, &n), 0);
    assert_int_equal(n, 0);
    httpx__tls_free(c.t);
    close(c.fd);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
    free(out);
    free(in);
}

static void test_gather_small_pieces(void **state)
{
    /* many tiny pieces and empty ones go out as one write of their total */
    server_t s = {0};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    struct iovec iov[] = {{"GET ", 4}, {"", 0}, {"/ HTTP/1.1\r\n", 12}, {"Host: x\r\n\r\n", 11}};
    size_t w;
    int want, rc;
    while ((rc = httpx__tls_writev(c.t, iov, 4, &w, &want, &c.err)) == HTTPX__TLS_AGAIN)
        wait_fd(c.fd, want);
    assert_int_equal(rc, 0);
    assert_int_equal(w, 27);
    char buf[64];
    size_t n, got = 0;
    while (got < 27) {
        assert_int_equal(read_some(&c, buf + got, sizeof buf - got, &n), 0);
        assert_true(n > 0);
        got += n;
    }
    assert_memory_equal(buf, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    struct iovec none = {"", 0}; /* nothing to write is not an error */
    assert_int_equal(httpx__tls_writev(c.t, &none, 1, &w, &want, &c.err), 0);
    assert_int_equal(w, 0);
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_close_without_close_notify(void **state)
{
    server_t s = {.mode = ABORT};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    char buf[64];
    size_t n, got = 0;
    while (got < 7) {
        assert_int_equal(read_some(&c, buf + got, sizeof buf - got, &n), 0);
        assert_true(n > 0);
        got += n;
    }
    assert_memory_equal(buf, "partial", 7);
    assert_int_equal(read_some(&c, buf, sizeof buf, &n), HTTPX_E_READ);
    assert_string_equal(c.err.message, "tls: connection closed without close_notify");
    assert_int_equal(c.err.phase, HTTPX_PHASE_READ_BODY);
    assert_int_equal(read_some(&c, buf, sizeof buf, &n), HTTPX_E_READ); /* stays failed */
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_pending(void **state)
{
    server_t s = {.mode = PENDING};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    assert_int_equal(httpx__tls_pending(c.t), 0);
    char buf[16000];
    size_t n;
    assert_int_equal(read_some(&c, buf, 100, &n), 0);
    assert_int_equal(n, 100);
    /* the rest of the record is inside OpenSSL, and the socket has nothing for poll */
    assert_int_equal(httpx__tls_pending(c.t), 15900);
    struct pollfd p = {c.fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 50), 0);
    int want;
    assert_int_equal(httpx__tls_read(c.t, buf, sizeof buf, &n, &want, &c.err), 0);
    assert_int_equal(n, 15900);
    assert_int_equal(httpx__tls_pending(c.t), 0);
    assert_int_equal(httpx__tls_read(c.t, buf, sizeof buf, &n, &want, &c.err), HTTPX__TLS_AGAIN);
    assert_int_equal(want, HTTPX_IO_READ);
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_check_idle(void **state)
{
    server_t s = {0};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    echo_once(&c);
    assert_int_equal(httpx__tls_check_idle(c.t, &c.err), 0);
    /* the server answers our close_notify with its own: the idle check sees it */
    assert_int_equal(httpx__tls_shutdown(c.t), 0);
    struct pollfd p = {c.fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_int_equal(httpx__tls_check_idle(c.t, &c.err), HTTPX_E_READ);
    assert_non_null(strstr(c.err.message, "closed the idle connection"));
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

static void test_write_to_closed_peer(void **state)
{
    server_t s = {.mode = DROP};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    server_stop(&s); /* the server has closed the socket */
    static char big[65536];
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++) {
        rc = write_all(&c, big, sizeof big);
        usleep(1000);
    }
    /* EPIPE or ECONNRESET, not SIGPIPE (which would have ended this process) */
    assert_int_equal(rc, HTTPX_E_WRITE);
    assert_non_null(strstr(c.err.message, "tls: write to \"localhost\""));
    close_conn(&c);
    httpx__tls_ctx_free(ctx);
}

static void test_ctx_outlives_client(void **state)
{
    /* the client drops its context while a connection still uses it */
    server_t s = {0};
    server_start(&s);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.ca_file = cert("ca.pem")});
    conn_t c;
    assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
    httpx__tls_ctx_free(ctx);
    echo_once(&c); /* also stores a TLS 1.3 ticket into the context's cache */
    close_conn(&c);
    server_stop(&s);
}

static void test_system_store_env(void **state)
{
    /* no CA in the config: SSL_CERT_FILE names the trust */
    server_t s = {0};
    server_start(&s);
    setenv("SSL_CERT_FILE", cert("ca.pem"), 1);
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){0});
    unsetenv("SSL_CERT_FILE");
    echo_connection(ctx, &s, "localhost");
    httpx__tls_ctx_free(ctx);
    server_stop(&s);

    /* the default store does not know the test CA */
    server_t s2 = {0};
    expect_fail(&s2, (httpx__tls_config_t){0}, "localhost", HTTPX_E_TLS_VERIFY,
                "unable to get local issuer certificate");
}

static void test_keylog(void **state)
{
    server_t s = {0};
    server_start(&s);
    char path[256];
    snprintf(path, sizeof path, "%s/keylog.txt", certdir);
    unlink(path);
    httpx__tls_config_t cfg = config();
    cfg.keylog_file = path;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    echo_connection(ctx, &s, "localhost");
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int lines = 0, traffic = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        traffic += strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
    }
    fclose(f);
    assert_true(lines >= 5);
    assert_int_equal(traffic, 1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void expect_ctx_error(httpx__tls_config_t cfg, int code, const char *text)
{
    httpx__tls_ctx_t *ctx = (httpx__tls_ctx_t *)&cfg; /* must be reset to NULL */
    httpx_error_t e = {0};
    int rc = httpx__tls_ctx_new(&cfg, &ctx, &e);
    if (rc != code || !strstr(e.message, text))
        fail_msg("want %s containing '%s', got %s '%s'", httpx_err_name(code), text,
                 httpx_err_name(rc), e.message);
    assert_null(ctx);
    assert_int_equal(e.phase, HTTPX_PHASE_SETUP);
    assert_int_equal(ERR_peek_error(), 0); /* the thread's OpenSSL queue is left clean */
}

static void test_ctx_errors(void **state)
{
    httpx__tls_config_t cfg = config();
    cfg.ca_file = "/nonexistent/ca.pem";
    expect_ctx_error(cfg, HTTPX_E_TLS, "tls: cannot load CA file \"/nonexistent/ca.pem\"");
    cfg = config();
    cfg.ca_file = NULL;
    cfg.ca_dir = "/nonexistent";
    expect_ctx_error(cfg, HTTPX_E_TLS, "tls: CA directory \"/nonexistent\": No such file");
    cfg = config();
    cfg.min_version = TLS1_1_VERSION;
    expect_ctx_error(cfg, HTTPX_E_INVAL, "TLS 1.2 or 1.3");
    cfg = config();
    cfg.min_version = TLS1_3_VERSION;
    cfg.max_version = TLS1_2_VERSION;
    expect_ctx_error(cfg, HTTPX_E_INVAL, "minimum not above maximum");
    cfg = config();
    cfg.alpn = "\x05h2";
    expect_ctx_error(cfg, HTTPX_E_INVAL, "malformed ALPN");
    cfg = config();
    cfg.ciphers = "NO-SUCH-CIPHER";
    expect_ctx_error(cfg, HTTPX_E_INVAL, "no usable cipher in \"NO-SUCH-CIPHER\"");
    cfg = config();
    cfg.cert_file = cert("client.pem");
    cfg.key_file = cert("server.key");
    expect_ctx_error(cfg, HTTPX_E_TLS, "cannot load client key");
    cfg = config();
    cfg.cert_file = "/nonexistent/c.pem";
    expect_ctx_error(cfg, HTTPX_E_TLS, "cannot load client certificate \"/nonexistent/c.pem\"");
    cfg = config();
    cfg.key_file = cert("client.key");
    expect_ctx_error(cfg, HTTPX_E_INVAL, "needs a client certificate");
    cfg = config();
    cfg.keylog_file = "/nonexistent/keys";
    expect_ctx_error(cfg, HTTPX_E_TLS, "cannot open key log");

    /* bad hosts for a connection */
    httpx__tls_ctx_t *ctx = ctx_new(&(httpx__tls_config_t){.insecure = true});
    httpx__tls_t *t = (httpx__tls_t *)ctx;
    httpx_error_t e = {0};
    assert_int_equal(httpx__tls_new(ctx, -1, "", 443, &t, &e), HTTPX_E_INVAL);
    assert_null(t);
    assert_int_equal(httpx__tls_new(ctx, -1, "[]", 443, &t, &e), HTTPX_E_INVAL);
    assert_int_equal(httpx__tls_new(ctx, -1, "x", 70000, &t, &e), HTTPX_E_INVAL);
    httpx__tls_ctx_free(ctx);
}

/* An allocator that counts, to check our structs go through it and all come back. */
static int live;
static void *count_malloc(void *u, size_t n)
{
    live++;
    return malloc(n);
}
static void *count_realloc(void *u, void *p, size_t n)
{
    live += p == NULL;
    return realloc(p, n);
}
static void count_free(void *u, void *p)
{
    live -= p != NULL;
    free(p);
}

static void test_allocator(void **state)
{
    static const httpx_allocator_t a = {count_malloc, count_realloc, count_free, NULL};
    server_t s = {.nconn = 2};
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.alloc = &a;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    assert_true(live >= 2); /* the context and its session table */
    conn_t c;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
        echo_once(&c);
        close_conn(&c);
    }
    httpx__tls_ctx_free(ctx);
    assert_int_equal(live, 0);
    server_stop(&s);
}

/* ---- the verified-chain cache and the TLS 1.3 suite order ------------------ */

static httpx__tls_verify_stats_t vstats(httpx__tls_ctx_t *ctx)
{
    httpx__tls_verify_stats_t st;
    httpx__tls_ctx_verify_stats(ctx, &st);
    return st;
}

/* Full handshakes (no resumption) to the same server: the chain is verified once. */
static void verify_cache_hit(int version)
{
    server_t s = {.nconn = 4, .max_version = version};
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.sessions = -1;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    const char *hosts[] = {"localhost", "localhost", "127.0.0.1", "localhost"};
    for (int i = 0; i < 4; i++) {
        conn_t c;
        int rc = open_conn(&c, ctx, &s, hosts[i]);
        if (rc != 0)
            fail_msg("%s: %s", hosts[i], c.err.message);
        assert_false(httpx__tls_resumed(c.t));
        echo_once(&c);
        close_conn(&c);
    }
    httpx__tls_verify_stats_t st = vstats(ctx);
    assert_int_equal(st.verified, 1);
    assert_int_equal(st.hits, 3); /* 127.0.0.1 too: the name is checked, not keyed */
    assert_int_equal(st.entries, 1);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
    assert_int_equal(s.accepted, 4);
}

static void test_verify_cache_hit(void **state)
{
    verify_cache_hit(0);
    verify_cache_hit(TLS1_2_VERSION);
}

/* Handshake as host, expecting failure code with exactly message msg. */
static void expect_conn_fail(httpx__tls_ctx_t *ctx, const server_t *s, const char *host, int code,
                             const char *msg)
{
    conn_t c;
    int rc = open_conn(&c, ctx, s, host);
    if (rc != code || strcmp(c.err.message, msg) != 0)
        fail_msg("want %s '%s', got %s '%s'", httpx_err_name(code), msg, httpx_err_name(rc),
                 c.err.message);
    close_conn(&c);
}

/* A cached chain is accepted only for a name its leaf covers: a hit never skips the
 * host or IP check, and fails with the message a full verification gives. */
static void test_verify_cache_checks_name(void **state)
{
    server_t s = {.cert = "wrong.pem", .key = "wrong.key", .nconn = 4}; /* wrong.example */
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.sessions = -1;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    echo_connection(ctx, &s, "wrong.example");
    assert_int_equal(vstats(ctx).entries, 1);
    expect_conn_fail(ctx, &s, "localhost", HTTPX_E_TLS_VERIFY,
                     "tls: certificate verify failed for \"localhost\": hostname mismatch");
    expect_conn_fail(ctx, &s, "127.0.0.1", HTTPX_E_TLS_VERIFY,
                     "tls: certificate verify failed for \"127.0.0.1\": IP address mismatch");
    httpx__tls_verify_stats_t st = vstats(ctx);
    assert_int_equal(st.verified, 1); /* both failures came from cache hits */
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.entries, 1);  /* a name mismatch does not evict the chain */
    echo_connection(ctx, &s, "wrong.example");
    assert_int_equal(vstats(ctx).hits, 3);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

/* Failures are never cached: each attempt is verified again, with the same message. */
static void test_verify_cache_no_failures(void **state)
{
    const char *bad[][3] = {
        {"expired.pem", "expired.key", "certificate has expired"},
        {"unknown.pem", "unknown.key", "unable to get local issuer certificate"},
        {"wrong.pem", "wrong.key", "hostname mismatch"},
    };
    for (int i = 0; i < 3; i++) {
        server_t s = {.cert = bad[i][0], .key = bad[i][1], .nconn = 2};
        server_start(&s);
        httpx__tls_config_t cfg = config();
        cfg.sessions = -1;
        httpx__tls_ctx_t *ctx = ctx_new(&cfg);
        char msg[160];
        snprintf(msg, sizeof msg, "tls: certificate verify failed for \"localhost\": %s", bad[i][2]);
        for (int j = 0; j < 2; j++)
            expect_conn_fail(ctx, &s, "localhost", HTTPX_E_TLS_VERIFY, msg);
        httpx__tls_verify_stats_t st = vstats(ctx);
        assert_int_equal(st.verified, 2);
        assert_int_equal(st.hits, 0);
        assert_int_equal(st.entries, 0);
        httpx__tls_ctx_free(ctx);
        server_stop(&s);
    }
}

/* An entry older than the TTL is verified again (and replaced); the cache can be off. */
static void test_verify_cache_ttl_and_off(void **state)
{
    server_t s = {.nconn = 4};
    server_start(&s);
    httpx__tls_config_t cfg = config();
    cfg.sessions = -1;
    cfg.verify_ttl_ms = 1;
    httpx__tls_ctx_t *ctx = ctx_new(&cfg);
    conn_t c;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
        echo_once(&c);
        close_conn(&c);
        usleep(5000);
    }
    httpx__tls_verify_stats_t st = vstats(ctx);
    assert_int_equal(st.verified, 2);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.stale, 1);
    assert_int_equal(st.entries, 1);
    httpx__tls_ctx_free(ctx);
    /* off: OpenSSL's own verification, every time; nothing counted or kept */
    cfg.verify_ttl_ms = -1;
    ctx = ctx_new(&cfg);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(open_conn(&c, ctx, &s, "localhost"), 0);
        echo_once(&c);
        close_conn(&c);
    }
    st = vstats(ctx);
    assert_int_equal(st.verified + st.hits + st.entries, 0);
    httpx__tls_ctx_free(ctx);
    server_stop(&s);
}

/* TLS 1.3 prefers AES-128-GCM unless the config names its own suites. */
static void test_tls13_suite_order(void **state)
{
    const char *want[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                          "TLS_CHACHA20_POLY1305_SHA256"};
    for (int i = 0; i < 3; i++) {
        server_t s = {0};
        server_start(&s);
        httpx__tls_config_t cfg = config();
        if (i > 0)
            cfg.ciphersuites = want[i];
        httpx__tls_ctx_t *ctx = ctx_new(&cfg);
        echo_connection(ctx, &s, "localhost");
        httpx__tls_ctx_free(ctx);
        server_stop(&s);
        assert_string_equal(s.cipher, want[i]);
    }
}

/* ---- setup ---------------------------------------------------------------- */

static int make_certs(void **state)
{
    const char *data = getenv("HTTPX_TEST_DATA");
    if (!data) {
        fprintf(stderr, "HTTPX_TEST_DATA is not set\n");
        return -1;
    }
    snprintf(certdir, sizeof certdir, "/tmp/httpx-tls-test-XXXXXX");
    if (!mkdtemp(certdir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash '%s/../peers/certs.sh' '%s'", data, certdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_certs(void **state)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", certdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_ok_alpn_h2),
        cmocka_unit_test(test_alpn_fallback),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_self_signed_chain),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_ip_san),
        cmocka_unit_test(test_version_mismatch),
        cmocka_unit_test(test_cipher_mismatch),
        cmocka_unit_test(test_client_cert_missing),
        cmocka_unit_test(test_client_cert_wrong_ca),
        cmocka_unit_test(test_client_cert_provided),
        cmocka_unit_test(test_insecure),
        cmocka_unit_test(test_resumption_tls13),
        cmocka_unit_test(test_resumption_tls12),
        cmocka_unit_test(test_resumption_off_and_per_origin),
        cmocka_unit_test(test_roundtrip_1mib),
        cmocka_unit_test(test_gather_small_pieces),
        cmocka_unit_test(test_close_without_close_notify),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_check_idle),
        cmocka_unit_test(test_write_to_closed_peer),
        cmocka_unit_test(test_ctx_outlives_client),
        cmocka_unit_test(test_system_store_env),
        cmocka_unit_test(test_keylog),
        cmocka_unit_test(test_ctx_errors),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_verify_cache_hit),
        cmocka_unit_test(test_verify_cache_checks_name),
        cmocka_unit_test(test_verify_cache_no_failures),
        cmocka_unit_test(test_verify_cache_ttl_and_off),
        cmocka_unit_test(test_tls13_suite_order),
    };
    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
