/* tls/internal.h — what the files of src/tls share; nothing outside src/tls includes it. */
#ifndef HTTPX_TLS_INTERNAL_H
#define HTTPX_TLS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls/tls.h"

/* The largest TLS record payload: the unit writes are gathered into. */
#define HTTPX__TLS_RECORD 16384

/* Entries in a context's cache of verified chains (verify.c). */
#define HTTPX__TLS_VCACHE 32

/* One chain verified successfully: when, and the validity all its certificates share. */
typedef struct httpx__tls_verified {
    unsigned char key[32];  /* SHA-256 of the settings and the presented certificates */
    uint64_t added_ms;      /* monotonic clock when X509_verify_cert accepted it */
    int64_t not_before;     /* the latest notBefore in the verified chain (epoch seconds) */
    int64_t not_after;      /* the earliest notAfter */
    uint64_t used;          /* LRU stamp (ctx->clock) */
} httpx__tls_verified_t;

/* One cached session: the last ticket or session id a server gave for key "host:port". */
typedef struct httpx__tls_sess {
    char *key;
    SSL_SESSION *sess;
    uint64_t used; /* LRU stamp */
} httpx__tls_sess_t;

struct httpx__tls_ctx {
    const httpx_allocator_t *alloc;
    SSL_CTX *ssl;
    BIO_METHOD *bio;  /* our socket BIO (bio.c); per context, so no global state */
    atomic_int refs;  /* the creator's reference + one per live connection */
    bool insecure;
    int keylog_fd;    /* -1: none */
    /* session cache (session.c): a small array scanned linearly, once per handshake */
    pthread_mutex_t lock;
    httpx__tls_sess_t *sess;
    size_t nsess, maxsess;
    uint64_t clock;
    /* verified-chain cache (verify.c), under the same lock; unused when insecure */
    EVP_MD *sha256;          /* fetched once: NULL when the cache is off */
    uint64_t verify_ttl_ms;
    httpx__tls_verified_t verified[HTTPX__TLS_VCACHE];
    size_t nverified;
    httpx__tls_verify_stats_t vstats;
};

/* The socket under the BIO: lives inside httpx__tls_t, which outlives its SSL. */
typedef struct httpx__tls_sock {
    int fd;
    int err;  /* errno of the last failed send/recv, 0 if none */
    bool eof; /* recv returned 0 */
} httpx__tls_sock_t;

struct httpx__tls {
    httpx__tls_ctx_t *ctx;
    SSL *ssl;
    httpx__tls_sock_t sock;
    bool done;    /* handshake finished */
    bool fatal;   /* an error was reported: no more I/O, no close_notify */
    bool rx_any;  /* application data was received */
    bool bufs_held; /* a session ticket was processed: record buffers to give back (io.c) */
    bool ip;        /* the host is an IP literal: check is matched against IP SANs */
    char alpn[32];
    const char *host; /* into name[]: the normalised host, for checks and messages */
    const char *key;  /* into name[]: "host:port", the session cache key */
    const char *check; /* into name[]: what the certificate must name (the host, or the
                        * IP literal without its zone); NULL when insecure */
    char name[];      /* "host\0host:port\0check\0" */
};

/* ---- bio.c ---- */
/* A BIO_METHOD doing recv / send(MSG_NOSIGNAL) on a httpx__tls_sock_t. NULL on OOM. */
BIO_METHOD *httpx__tls_bio_method(void);
/* A BIO of that method over *sock (not owned). NULL on OOM. */
BIO *httpx__tls_bio_new(BIO_METHOD *m, httpx__tls_sock_t *sock);

/* ---- store.c ---- */
/* Install the trust store of cfg (explicit files, or the system's) into ssl. */
int httpx__tls_store_load(SSL_CTX *ssl, const httpx__tls_config_t *cfg, httpx_error_t *err);

/* ---- keylog.c ---- */
/* Open cfg->keylog_file (append) and hook the keylog callback. */
int httpx__tls_keylog_open(httpx__tls_ctx_t *ctx, const char *path, httpx_error_t *err);
void httpx__tls_keylog_close(httpx__tls_ctx_t *ctx);

/* ---- session.c ---- */
/* Set up the cache with room for max entries (0: no resumption). */
int httpx__tls_sess_init(httpx__tls_ctx_t *ctx, size_t max);
/* Free every cached session and the table. */
void httpx__tls_sess_release(httpx__tls_ctx_t *ctx);
/* A new reference to the resumable session cached for key, or NULL. */
SSL_SESSION *httpx__tls_sess_get(httpx__tls_ctx_t *ctx, const char *key);
/* Cache sess for key, replacing the older one. Takes the reference on true;
 * false (cache off or out of memory): the caller keeps it. */
bool httpx__tls_sess_put(httpx__tls_ctx_t *ctx, const char *key, SSL_SESSION *sess);
/* Forget key's session (after a failed handshake). */
void httpx__tls_sess_drop(httpx__tls_ctx_t *ctx, const char *key);

/* ---- verify.c ---- */
/* The SSL_CTX's certificate verification callback (arg: the context): a cached
 * success for the same presented chain, with this connection's name checked, or
 * X509_verify_cert. */
int httpx__tls_verify_chain(X509_STORE_CTX *x, void *arg);

/* ---- fail.c ---- */
enum { HTTPX__TLS_OP_HANDSHAKE, HTTPX__TLS_OP_READ, HTTPX__TLS_OP_WRITE };
/* Turn a failed SSL call (its return value r) into AGAIN + *want, or into an error
 * (marking t fatal). Empties OpenSSL's thread error queue. */
int httpx__tls_fail(httpx__tls_t *t, int op, int r, int *want, httpx_error_t *err);
/* The reason for the earliest error in OpenSSL's queue, into buf; empties the queue. */
const char *httpx__tls_reason(char *buf, size_t n);

/* SSL_get_error reads the thread's error queue, so it must be empty before an
 * SSL call whose result we classify; it almost always is, and ERR_clear_error walks
 * every slot (~850 instructions per read on the h2 path): look before clearing. */
static inline void httpx__tls_err_reset(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

#endif
