/* tls/tls.h — TLS over a non-blocking socket (OpenSSL 3), for the engine and the pool.
 *
 * Two objects:
 *   httpx__tls_ctx_t  one per client configuration, built once: the SSL_CTX with its
 *                     trust store, versions, ciphers, ALPN, client certificate, keylog,
 *                     a bounded session cache (host:port, LRU) and a bounded cache of
 *                     certificate chains verified recently (verify.c). Refcounted: every
 *                     connection holds a reference, so a connection may outlive the
 *                     client that made it (e.g. a response still being read). Safe to
 *                     share between threads (atomic refcount, locked caches).
 *   httpx__tls_t      one per connection, on the caller's fd (not owned: the caller
 *                     closes it after httpx__tls_free). Used by one thread at a time.
 *
 * Return convention (STYLE.md 15: status and counts never share a value): 0 done,
 * HTTPX__TLS_AGAIN with *want = HTTPX_IO_READ or HTTPX_IO_WRITE (wait for that on the fd,
 * then call the same function again), or a negative HTTPX_E_* with *err filled (phase
 * TLS for the handshake, WRITE for writes, READ_HEAD before the first byte read and
 * READ_BODY after it: the engine, which knows better, may overwrite it; the message
 * names the host). After an error the connection is dead: only shutdown (a no-op
 * then) and free.
 *
 * *want may be READ for a write and WRITE for a read (TLS 1.3 key updates, and
 * renegotiation on TLS 1.2), so wait on exactly what it says. Call the handshake until
 * it returns 0 before reading or writing. A ctx is refcounted and thread-safe; the
 * OpenSSL thread error queue is left empty by every call.
 *
 * Memory: our structs come from the allocator in the config; OpenSSL's own memory
 * (SSL_CTX, SSL, records, sessions) comes from OpenSSL's process-wide allocator, which
 * the library never changes (CRYPTO_set_mem_functions is global state). Idle connections
 * release their record buffers (SSL_MODE_RELEASE_BUFFERS).
 *
 * Signals: socket I/O goes through our own BIO using send(MSG_NOSIGNAL) and recv, so a
 * peer that has gone away gives HTTPX_E_WRITE, never SIGPIPE.
 */
#ifndef HTTPX_TLS_TLS_H
#define HTTPX_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "httpx/alloc.h"
#include "httpx/error.h"

/* "Wait for *want on the fd, then call again." Positive, so it can never be mistaken for
 * an HTTPX_E_* code; handshake, read, writev and shutdown all use it. */
#define HTTPX__TLS_AGAIN 1

/* Session cache entries per context when the config says 0. */
#define HTTPX__TLS_SESSIONS_DEFAULT 64

/* How long a verified certificate chain is accepted again without X509_verify_cert
 * when the config says 0 (verify.c): 5 minutes. */
#define HTTPX__TLS_VERIFY_TTL_MS (5 * 60 * 1000)

/* TLS 1.3 suites when the config names none: AES-128-GCM first (as BoringSSL and Go),
 * where OpenSSL's default puts AES-256-GCM first. */
#define HTTPX__TLS_SUITES_DEFAULT \
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

typedef struct httpx__tls_config {
    const httpx_allocator_t *alloc; /* NULL: default; must outlive the context */
    bool insecure;             /* verify = false: no chain, expiry or host check. DANGEROUS:
                                * anyone on the path can read and change the traffic */
    const char *ca_file;       /* PEM bundle of trusted CAs; with ca_dir, replaces the system store */
    const char *ca_dir;        /* hashed directory (c_rehash), searched lazily per handshake */
                               /* both NULL: system store: SSL_CERT_FILE / SSL_CERT_DIR when set,
                                * else OpenSSL's hashed dir (/etc/ssl/certs on Debian) looked up
                                * lazily, or its bundle file if that dir has no hash links */
    const char *cert_file;     /* client certificate chain, PEM; NULL: none */
    const char *key_file;      /* its private key, PEM; NULL: taken from cert_file */
    int min_version;           /* 0: TLS 1.2; TLS1_2_VERSION or TLS1_3_VERSION */
    int max_version;           /* 0: highest OpenSSL supports; else as min_version */
    const char *ciphers;       /* TLS <= 1.2 cipher list (OpenSSL syntax); NULL: default */
    const char *ciphersuites;  /* TLS 1.3 suites (OpenSSL syntax); NULL: HTTPX__TLS_SUITES_DEFAULT */
    const char *alpn;          /* ALPN wire format, e.g. "\x02h2\x08http/1.1"; NULL: none */
    const char *keylog_file;   /* NSS key log (what SSLKEYLOGFILE names), appended; NULL: none.
                                * The caller decides whether to honour the environment. */
    int sessions;              /* session cache size: 0 default (64), < 0 no resumption */
    int verify_ttl_ms;         /* verified-chain cache: 0 default (5 min), < 0 off (every
                                * handshake runs X509_verify_cert); for tests */
} httpx__tls_config_t;

/* The verified-chain cache of a context (for tests and stats). */
typedef struct httpx__tls_verify_stats {
    uint64_t verified; /* full verifications (X509_verify_cert), successful or not */
    uint64_t hits;     /* chains accepted from the cache (the name still checked) */
    uint64_t stale;    /* entries found too old or out of a certificate's validity */
    size_t entries;    /* cached now */
} httpx__tls_verify_stats_t;

typedef struct httpx__tls_ctx httpx__tls_ctx_t;
typedef struct httpx__tls httpx__tls_t;

/* ---- context (ctx.c, store.c, keylog.c, session.c, verify.c) ---------------- */

/* Build a context from *cfg (strings are copied or consumed now; cfg may go away).
 * Loads the trust store once (or sets up the lazy hashed-dir lookup). On success *out
 * holds one reference. Errors: HTTPX_E_INVAL (bad version, cipher list, ALPN format),
 * HTTPX_E_TLS (a CA, certificate, key or keylog file cannot be loaded: the message names
 * the file and the reason), HTTPX_E_NOMEM. Phase HTTPX_PHASE_SETUP. */
int httpx__tls_ctx_new(const httpx__tls_config_t *cfg, httpx__tls_ctx_t **out,
                       httpx_error_t *err);

/* Take one more reference; returns ctx. */
httpx__tls_ctx_t *httpx__tls_ctx_ref(httpx__tls_ctx_t *ctx);

/* Drop one reference; the last one frees the context and its cached sessions. NULL is a
 * no-op. Connections still alive keep the context alive. */
void httpx__tls_ctx_free(httpx__tls_ctx_t *ctx);

/* Number of sessions cached now (for tests and stats). */
size_t httpx__tls_ctx_sessions(httpx__tls_ctx_t *ctx);

/* The counters of the verified-chain cache into *out. */
void httpx__tls_ctx_verify_stats(httpx__tls_ctx_t *ctx, httpx__tls_verify_stats_t *out);

/* ---- connection (conn.c, io.c, fail.c, bio.c) ------------------------------ */

/* A client connection on `fd` (non-blocking, connected; not owned) to `host` (a DNS name,
 * an IPv4 literal or an IPv6 literal with or without brackets; copied) and `port`.
 * Sets SNI (not for IP literals), the host or IP-address check (unless insecure), and
 * offers the cached session for host:port. Takes a reference on ctx. Errors:
 * HTTPX_E_INVAL (empty host), HTTPX_E_NOMEM. */
int httpx__tls_new(httpx__tls_ctx_t *ctx, int fd, const char *host, int port,
                   httpx__tls_t **out, httpx_error_t *err);

/* Advance the handshake: 0 done; HTTPX__TLS_AGAIN with *want; or HTTPX_E_TLS_VERIFY
 * (unknown CA, expired, wrong host: 'tls: certificate verify failed for "h": <why>'),
 * HTTPX_E_TLS_HANDSHAKE (alert, version or cipher mismatch, peer closed mid-handshake),
 * HTTPX_E_CONNECT (socket error). A failed handshake evicts host:port's session. */
int httpx__tls_handshake(httpx__tls_t *t, int *want, httpx_error_t *err);

/* The protocol the server chose by ALPN after the handshake: "h2", "http/1.1", another
 * configured name, or NULL (none). Valid until httpx__tls_free. */
const char *httpx__tls_alpn(const httpx__tls_t *t);

/* True if the handshake resumed a cached session (no certificate exchange). */
bool httpx__tls_resumed(const httpx__tls_t *t);

/* Read up to n (> 0) bytes of plaintext. 0 with *nread > 0: data; 0 with *nread == 0:
 * the peer closed cleanly (close_notify); HTTPX__TLS_AGAIN with *want; or HTTPX_E_READ
 * (socket error, TLS error, or a TCP EOF without close_notify, reported as
 * "tls: connection closed without close_notify" so the HTTP layer can decide whether a
 * body was truncated), HTTPX_E_TLS_HANDSHAKE (a TLS 1.3 server rejecting our client
 * certificate after the handshake: the alert only arrives with the first read). */
int httpx__tls_read(httpx__tls_t *t, void *buf, size_t n, size_t *nread, int *want,
                    httpx_error_t *err);

/* Write from iov (iovcnt >= 1; total may be 0). 0 with *nwritten > 0: that many bytes
 * went out (may be fewer than offered: partial writes); HTTPX__TLS_AGAIN with *want:
 * nothing was written, and the next call MUST offer the same bytes again at the front
 * (more may follow; the buffers may move). Small pieces are gathered into one record of
 * up to 16 KiB; a piece of 16 KiB or more is written in place without a copy.
 * Errors: HTTPX_E_WRITE (the message names the host). */
int httpx__tls_writev(httpx__tls_t *t, const struct iovec *iov, int iovcnt,
                      size_t *nwritten, int *want, httpx_error_t *err);

/* Plaintext already decrypted and buffered inside OpenSSL. After a read that returned
 * data, a nonzero value means read again before waiting on the fd: the fd will not turn
 * readable for these bytes, so a level-triggered loop would stall. */
size_t httpx__tls_pending(const httpx__tls_t *t);

/* For the pool, before reusing an idle connection: consume what arrived while idle
 * (TLS 1.3 session tickets, key updates) without taking application data. 0: usable;
 * HTTPX_E_READ: closed (close_notify or EOF), failed, or unexpected data arrived. Note
 * that tickets make an idle TLS socket readable: a readable idle fd is not by itself a
 * sign the server closed; call this to tell. */
int httpx__tls_check_idle(httpx__tls_t *t, httpx_error_t *err);

/* Best-effort close_notify, non-blocking, never waits for the peer's: 0 sent (or not
 * possible: the connection had failed), HTTPX__TLS_AGAIN (socket full; the caller may
 * simply close), negative on socket error. */
int httpx__tls_shutdown(httpx__tls_t *t);

/* Free the connection and drop its ctx reference. Does not close the fd. NULL: no-op. */
void httpx__tls_free(httpx__tls_t *t);

#endif
