/* auth/auth.h — sans-IO authentication building blocks: Basic and Bearer header
 * values, a WWW-Authenticate challenge parser, Digest (RFC 7616) state and
 * responses, and .netrc lookup. Nothing here does I/O on a connection; the client
 * decides when to send what.
 *
 * Conventions: every function returns 0 or a negative HTTPX_E_* code. Functions
 * that append to an httpx__buf_t leave the bytes already in it alone and, on
 * failure, may have appended a partial value (callers reset the buffer). Strings
 * handed out as char * are allocated with the allocator given and freed by the
 * caller with httpx__free(a, p). */
#ifndef HTTPX_AUTH_AUTH_H
#define HTTPX_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/slice.h"
#include "httpx/alloc.h"
#include "httpx/error.h"

/* ---- Basic and Bearer (RFC 7617, RFC 6750) ----------------------------------- */

/* Append "Basic " base64(user ":" pass) to *out (the Authorization value, no name).
 * Bytes are sent as given (UTF-8 recommended). HTTPX_E_INVAL for NULL arguments,
 * a ':' in user, or CR, LF (or any other control byte) in either; NUL cannot occur
 * in a C string, so a password with an embedded NUL is the caller's truncation.
 * HTTPX_E_NOMEM, or the buffer's cap code. */
int httpx__auth_basic(const char *user, const char *pass, httpx__buf_t *out);

/* Append "Bearer " token. HTTPX_E_INVAL for NULL, an empty token, or one containing
 * a control byte, a space or a non-ASCII byte (RFC 6750 b64token is stricter; what
 * servers hand out as tokens is not always b64token, so only framing-unsafe bytes
 * are refused). HTTPX_E_NOMEM, or the buffer's cap code. */
int httpx__auth_bearer(const char *token, httpx__buf_t *out);

/* Append base64 (RFC 4648, with padding, no line breaks) of p[0, n). */
int httpx__base64_encode(const void *p, size_t n, httpx__buf_t *out);

/* ---- WWW-Authenticate / Proxy-Authenticate parsing (RFC 9110 §11) ------------ */

/* A cursor over one field value. Several field lines of the same header are one
 * list: join them with ", " before parsing. Zero copy: slices point into `p`,
 * which must outlive their use. Usage:
 *
 *     httpx__auth_cursor_t c;
 *     httpx__auth_cursor_init(&c, value, len);
 *     while ((rc = httpx__auth_next_challenge(&c, &scheme, &token68, err)) == 1)
 *         while ((rc = httpx__auth_next_param(&c, &name, &val, &quoted, err)) == 1)
 *             ...;
 *     if (rc < 0) the value is malformed;
 *
 * Both return 1 for an item, 0 at the end (of the value / of this challenge's
 * parameters), or HTTPX_E_REMOTE_PROTOCOL with a message in *err (may be NULL).
 * Parameters not pulled are skipped (still checked) by the next challenge call. */
typedef struct httpx__auth_cursor {
    const char *p;
    size_t n, pos;
    bool in_params;   /* positioned inside a challenge's auth-param list */
    bool had_param;   /* a param was read since the challenge's scheme */
} httpx__auth_cursor_t;

void httpx__auth_cursor_init(httpx__auth_cursor_t *c, const char *p, size_t n);
/* *scheme is the auth-scheme token (compare case-insensitively); *token68 is the
 * token68 form when the challenge has one (then it has no params), else empty. */
int httpx__auth_next_challenge(httpx__auth_cursor_t *c, httpx__slice_t *scheme,
                               httpx__slice_t *token68, httpx_error_t *err);
/* *name is the param name; *value the raw value: for a quoted-string, the bytes
 * between the quotes with escapes still in (*quoted true; see httpx__auth_unquote). */
int httpx__auth_next_param(httpx__auth_cursor_t *c, httpx__slice_t *name, httpx__slice_t *value,
                           bool *quoted, httpx_error_t *err);
/* Append v with quoted-pair escapes removed (if quoted) to *out. */
int httpx__auth_unquote(httpx__slice_t v, bool quoted, httpx__buf_t *out);

/* ---- Digest (RFC 7616; RFC 2617 and RFC 2069 servers too) -------------------- */

typedef enum httpx__digest_alg {
    HTTPX__DIGEST_MD5 = 0,
    HTTPX__DIGEST_MD5_SESS,
    HTTPX__DIGEST_SHA256,
    HTTPX__DIGEST_SHA256_SESS,
    HTTPX__DIGEST_SHA512_256,
    HTTPX__DIGEST_SHA512_256_SESS
} httpx__digest_alg_t;

/* The state of one Digest challenge: realm, nonce, opaque, algorithm, qop mode and
 * the nonce count. One per (server, protection space); not thread-safe. */
typedef struct httpx__digest httpx__digest_t;

/* Longest WWW-Authenticate value parsed, and longest cnonce accepted. */
#define HTTPX__DIGEST_MAX_HEADER (64u * 1024u)
#define HTTPX__DIGEST_MAX_CNONCE 64u

/* Parse a WWW-Authenticate (or Proxy-Authenticate) value, possibly holding several
 * challenges of several schemes, and keep the strongest usable Digest challenge:
 * SHA-512-256 > SHA-256 > MD5 (a -sess variant ranks with its hash; with equal hash,
 * one offering qop=auth beats one without qop, then the first listed wins).
 * qop "auth" is used when offered; a challenge offering only "auth-int" is not
 * usable; one with no qop runs in RFC 2069 mode (a -sess algorithm then still
 * sends the cnonce its A1 needs, as RFC 2617 servers expect). On success *out is new (free with
 * httpx__digest_free). Errors:
 *   HTTPX_E_REMOTE_PROTOCOL  malformed value, or Digest challenges all lacking
 *                            realm/nonce, or repeating a parameter;
 *   HTTPX_E_UNSUPPORTED      no Digest challenge, or none with a supported
 *                            algorithm and qop;
 *   HTTPX_E_INVAL            NULL arguments or a value longer than the limit;
 *   HTTPX_E_NOMEM.
 * The message in *err (may be NULL) names the problem. */
int httpx__digest_new(const char *value, size_t len, const httpx_allocator_t *a,
                      httpx__digest_t **out, httpx_error_t *err);
void httpx__digest_free(httpx__digest_t *d); /* NULL ok */

/* Append the Authorization value ("Digest username=..., response=...") for one
 * request to *out. Each call uses the next nonce count (nc=00000001, 00000002, ...)
 * and, unless one was fixed, a fresh cnonce (16 bytes from RAND_bytes, as hex).
 * `target` is the request-target as sent (e.g. "/dir/index.html?x=1"). Errors:
 * HTTPX_E_INVAL (NULL arguments, a method that is not a token, an empty target;
 * CR, LF or another control byte in user, pass or target), HTTPX_E_SYSTEM (no
 * random bytes), HTTPX_E_UNSUPPORTED (the hash is disabled in OpenSSL, e.g. MD5
 * under FIPS), HTTPX_E_NOMEM, the buffer's cap code. Quoted values ('"' and '\'
 * escaped) are sent as raw bytes: no username* / userhash. On failure nothing is
 * appended and the count is unchanged. */
int httpx__digest_authorize(httpx__digest_t *d, const char *method, const char *target,
                            const char *user, const char *pass, httpx__buf_t *out,
                            httpx_error_t *err);

/* Use `cnonce` (copied; 1..HTTPX__DIGEST_MAX_CNONCE printable bytes without '"'
 * and '\') for every following request instead of random ones; NULL goes back to
 * random. For tests against published vectors. HTTPX_E_INVAL if unusable. */
int httpx__digest_set_cnonce(httpx__digest_t *d, const char *cnonce);

/* Accessors; strings live as long as d. */
httpx__digest_alg_t httpx__digest_algorithm(const httpx__digest_t *d);
const char *httpx__digest_alg_name(httpx__digest_alg_t alg); /* "SHA-256", "MD5-sess", ... */
const char *httpx__digest_realm(const httpx__digest_t *d);
const char *httpx__digest_nonce(const httpx__digest_t *d);
const char *httpx__digest_opaque(const httpx__digest_t *d); /* NULL when none was sent */
bool httpx__digest_qop_auth(const httpx__digest_t *d);      /* false: RFC 2069 mode */
bool httpx__digest_stale(const httpx__digest_t *d);         /* stale=true: retry, same credentials */
uint32_t httpx__digest_nc(const httpx__digest_t *d);        /* requests answered so far */

/* ---- .netrc ------------------------------------------------------------------ */

/* Largest .netrc file read. */
#define HTTPX__NETRC_MAX_SIZE (1024u * 1024u)

/* Look `host` up in a .netrc file: `path`, or when NULL $NETRC, or else
 * $HOME/.netrc (the passwd entry's home if HOME is unset). The first "machine"
 * entry whose name equals host (ASCII case-insensitively) wins; if none does, the
 * "default" entry. Understands machine, default, login, password, account (read,
 * ignored), macdef (its body, up to an empty line, skipped), '#' comments at the
 * start of a token, and double-quoted tokens with backslash escapes (\" \\ \n \r
 * \t); other tokens, and anything before the first entry, are ignored. The file's
 * permissions are not checked (curl does not either): callers who care should
 * check that it is not readable by others.
 * On success returns 0 with *login and *password set to new strings, either of
 * which is NULL when the entry lacks it; both are NULL when nothing matched or the
 * file does not exist. Errors: HTTPX_E_INVAL (NULL arguments, a file larger than
 * HTTPX__NETRC_MAX_SIZE, a malformed file: a keyword missing its value, an
 * unterminated quote), HTTPX_E_SYSTEM (the file exists but cannot be read),
 * HTTPX_E_NOMEM. On error both outputs are NULL. */
int httpx__netrc_lookup(const char *path, const char *host, char **login, char **password,
                        const httpx_allocator_t *a);

/* As httpx__netrc_lookup, but when `want_login` is not NULL only entries with that
 * login match (for a URL that names its user and wants the password). */
int httpx__netrc_find(const char *path, const char *host, const char *want_login, char **login,
                      char **password, const httpx_allocator_t *a);

#endif
