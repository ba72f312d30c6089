/* auth/digest.c — HTTP Digest access authentication (RFC 7616, RFC 2617, RFC 2069).
 *
 * httpx__digest_new picks one challenge and keeps what a response needs (realm,
 * nonce, opaque, algorithm, qop mode) in one block; httpx__digest_authorize
 * computes
 *   HA1 = H(user:realm:pass)                        (-sess: H(HA1:nonce:cnonce))
 *   HA2 = H(method:request-target)                  (qop=auth)
 *   response = H(HA1:nonce:nc:cnonce:qop:HA2)       (RFC 2069 mode: H(HA1:nonce:HA2))
 * with OpenSSL's EVP digests, lower-case hex throughout. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include "auth/auth.h"
#include "core/err.h"
#include "core/mem.h"

struct httpx__digest {
    const httpx_allocator_t *a;
    char *block;                 /* realm NUL nonce NUL opaque NUL */
    const char *realm, *nonce, *opaque;
    httpx__digest_alg_t alg;
    bool alg_sent;               /* the challenge named its algorithm: echo it */
    bool qop_auth;
    bool stale;
    uint32_t nc;
    bool fixed_cnonce;
    char cnonce[HTTPX__DIGEST_MAX_CNONCE + 1];
};

static const struct alg_row {
    const char *name;
    httpx__digest_alg_t alg;
    int strength;
    bool sess;
} alg_rows[] = {
    {"MD5", HTTPX__DIGEST_MD5, 0, false},
    {"MD5-sess", HTTPX__DIGEST_MD5_SESS, 0, true},
    {"SHA-256", HTTPX__DIGEST_SHA256, 1, false},
    {"SHA-256-sess", HTTPX__DIGEST_SHA256_SESS, 1, true},
    {"SHA-512-256", HTTPX__DIGEST_SHA512_256, 2, false},
    {"SHA-512-256-sess", HTTPX__DIGEST_SHA512_256_SESS, 2, true},
};

static const struct alg_row *alg_row(httpx__digest_alg_t alg)
{
    for (size_t i = 0; i < sizeof alg_rows / sizeof alg_rows[0]; i++)
        if (alg_rows[i].alg == alg)
            return &alg_rows[i];
    return &alg_rows[0];
}

const char *httpx__digest_alg_name(httpx__digest_alg_t alg)
{
    return alg_row(alg)->name;
}

static const EVP_MD *alg_md(httpx__digest_alg_t alg)
{
    switch (alg_row(alg)->strength) {
    case 2:
        return EVP_sha512_256();
    case 1:
        return EVP_sha256();
    default:
        return EVP_md5();
    }
}

/* ---- choosing a challenge ---------------------------------------------------- */

typedef struct field {
    httpx__slice_t v;
    bool quoted, seen;
} field_t;

typedef struct candidate {
    field_t realm, nonce, opaque, algorithm, qop, stale;
    bool duplicate;
} candidate_t;

static field_t *known_field(candidate_t *c, httpx__slice_t name)
{
    if (httpx__slice_ieq_cstr(name, "realm"))
        return &c->realm;
    if (httpx__slice_ieq_cstr(name, "nonce"))
        return &c->nonce;
    if (httpx__slice_ieq_cstr(name, "opaque"))
        return &c->opaque;
    if (httpx__slice_ieq_cstr(name, "algorithm"))
        return &c->algorithm;
    if (httpx__slice_ieq_cstr(name, "qop"))
        return &c->qop;
    if (httpx__slice_ieq_cstr(name, "stale"))
        return &c->stale;
    return NULL;
}

/* The qop value is a list of tokens: "auth, auth-int". Quoted escapes cannot
 * occur inside tokens, so the raw slice is scanned directly. */
static void qop_offers(httpx__slice_t v, bool *auth, bool *other)
{
    size_t i = 0;
    *auth = *other = false;
    while (i < v.len) {
        size_t s = i;
        while (i < v.len && v.ptr[i] != ',')
            i++;
        httpx__slice_t t = httpx__slice_trim(httpx__slice(v.ptr + s, i - s));
        if (httpx__slice_ieq_cstr(t, "auth"))
            *auth = true;
        else if (t.len)
            *other = true;
        i++;
    }
}

static int append_field(httpx__buf_t *b, const field_t *f)
{
    int rc = f->seen ? httpx__auth_unquote(f->v, f->quoted, b) : 0;
    return rc ? rc : httpx__buf_append(b, "", 1);
}

int httpx__digest_new(const char *value, size_t len, const httpx_allocator_t *a,
                      httpx__digest_t **out, httpx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!value || !out)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_READ_HEAD, "digest challenge: NULL argument");
    if (len > HTTPX__DIGEST_MAX_HEADER)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_READ_HEAD,
                          "digest challenge: value of %zu bytes exceeds the %u-byte limit", len,
                          HTTPX__DIGEST_MAX_HEADER);
    a = httpx__alloc_or_default(a);

    httpx__auth_cursor_t cur;
    httpx__auth_cursor_init(&cur, value, len);
    candidate_t best = {0};
    int best_rank = -1, ndigest = 0, nbad = 0, nunsupported = 0;
    httpx__digest_alg_t best_alg = HTTPX__DIGEST_MD5;
    bool best_qop = false;
    httpx__slice_t scheme, t68, name, v;
    bool quoted;
    int rc;
    while ((rc = httpx__auth_next_challenge(&cur, &scheme, &t68, err)) == 1) {
        if (!httpx__slice_ieq_cstr(scheme, "Digest"))
            continue;
        ndigest++;
        candidate_t c = {0};
        while ((rc = httpx__auth_next_param(&cur, &name, &v, &quoted, err)) == 1) {
            field_t *f = known_field(&c, name);
            if (!f)
                continue; /* domain, charset, userhash, extensions */
            if (f->seen)
                c.duplicate = true;
            *f = (field_t){v, quoted, true};
        }
        if (rc < 0)
            return rc;
        if (t68.len || c.duplicate || !c.realm.seen || !c.nonce.seen) {
            nbad++;
            continue;
        }
        const struct alg_row *row = &alg_rows[0];
        if (c.algorithm.seen) {
            row = NULL;
            for (size_t i = 0; i < sizeof alg_rows / sizeof alg_rows[0]; i++)
                if (httpx__slice_ieq_cstr(c.algorithm.v, alg_rows[i].name))
                    row = &alg_rows[i];
        }
        bool auth = false, other = false;
        if (c.qop.seen)
            qop_offers(c.qop.v, &auth, &other);
        if (!row || (other && !auth)) {
            nunsupported++;
            continue;
        }
        int rank = row->strength * 2 + (auth ? 1 : 0);
        if (rank > best_rank) {
            best_rank = rank;
            best = c;
            best_alg = row->alg;
            best_qop = auth;
        }
    }
    if (rc < 0)
        return rc;
    if (best_rank < 0) {
        if (ndigest == 0)
            return httpx__err(err, HTTPX_E_UNSUPPORTED, HTTPX_PHASE_READ_HEAD,
                              "digest challenge: no digest challenge in the header");
        if (nunsupported)
            return httpx__err(err, HTTPX_E_UNSUPPORTED, HTTPX_PHASE_READ_HEAD,
                              "digest challenge: no supported algorithm and qop offered");
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_READ_HEAD, "digest challenge: %s",
                          nbad > 1 ? "no challenge has a single realm and nonce"
                                   : "challenge lacks realm or nonce, or repeats a parameter");
    }

    httpx__digest_t *d = HTTPX__NEW(a, httpx__digest_t);
    if (!d)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_READ_HEAD, "digest challenge: out of memory");
    d->a = a;
    httpx__buf_t b;
    httpx__buf_init(&b, a, 0);
    rc = append_field(&b, &best.realm);
    size_t nonce_off = httpx__buf_size(&b);
    if (!rc)
        rc = append_field(&b, &best.nonce);
    size_t opaque_off = httpx__buf_size(&b);
    if (!rc)
        rc = append_field(&b, &best.opaque);
    if (rc) {
        httpx__buf_release(&b);
        httpx__free(a, d);
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_READ_HEAD, "digest challenge: out of memory");
    }
    d->block = httpx__buf_detach(&b, NULL);
    d->realm = d->block;
    d->nonce = d->block + nonce_off;
    d->opaque = best.opaque.seen ? d->block + opaque_off : NULL;
    d->alg = best_alg;
    d->alg_sent = best.algorithm.seen;
    d->qop_auth = best_qop;
    d->stale = best.stale.seen && httpx__slice_ieq_cstr(best.stale.v, "true");
    *out = d;
    return 0;
}

void httpx__digest_free(httpx__digest_t *d)
{
    if (!d)
        return;
    httpx__free(d->a, d->block);
    httpx__free(d->a, d);
}

int httpx__digest_set_cnonce(httpx__digest_t *d, const char *cnonce)
{
    if (!d)
        return HTTPX_E_INVAL;
    if (!cnonce) {
        d->fixed_cnonce = false;
        return 0;
    }
    size_t n = strlen(cnonce);
    if (n == 0 || n > HTTPX__DIGEST_MAX_CNONCE)
        return HTTPX_E_INVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)cnonce[i] <= 0x20 || (unsigned char)cnonce[i] >= 0x7f || cnonce[i] == '"' ||
            cnonce[i] == '\\')
            return HTTPX_E_INVAL;
    memcpy(d->cnonce, cnonce, n + 1);
    d->fixed_cnonce = true;
    return 0;
}

httpx__digest_alg_t httpx__digest_algorithm(const httpx__digest_t *d) { return d->alg; }
const char *httpx__digest_realm(const httpx__digest_t *d) { return d->realm; }
const char *httpx__digest_nonce(const httpx__digest_t *d) { return d->nonce; }
const char *httpx__digest_opaque(const httpx__digest_t *d) { return d->opaque; }
bool httpx__digest_qop_auth(const httpx__digest_t *d) { return d->qop_auth; }
bool httpx__digest_stale(const httpx__digest_t *d) { return d->stale; }
uint32_t httpx__digest_nc(const httpx__digest_t *d) { return d->nc; }

/* ---- computing a response ---------------------------------------------------- */

#define HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)

static void to_hex(const unsigned char *p, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[p[i] >> 4];
        hex[2 * i + 1] = digits[p[i] & 15];
    }
    hex[2 * n] = '\0';
}

/* hex = lower-case hex of H(parts[0] ":" parts[1] ":" ...). */
static int hash_join(const EVP_MD *md, const char *const *parts, size_t n, char hex[HEX_MAX])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return HTTPX_E_NOMEM;
    unsigned char bin[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = EVP_DigestInit_ex(ctx, md, NULL);
    for (size_t i = 0; ok && i < n; i++) {
        if (i)
            ok = EVP_DigestUpdate(ctx, ":", 1);
        if (ok)
            ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
    }
    if (ok)
        ok = EVP_DigestFinal_ex(ctx, bin, &len);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return HTTPX_E_UNSUPPORTED;
    to_hex(bin, len, hex);
    OPENSSL_cleanse(bin, sizeof bin);
    return 0;
}

static bool bad_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static bool is_method(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
            return false;
    }
    return true;
}

/* Append `name="value"` with '"' and '\' escaped as quoted-pairs. */
static int put_quoted(httpx__buf_t *b, const char *name, const char *v)
{
    int rc = httpx__buf_printf(b, "%s=\"", name);
    while (!rc && *v) {
        size_t run = strcspn(v, "\"\\");
        rc = httpx__buf_append(b, v, run);
        v += run;
        if (!rc && *v) {
            char pair[2] = {'\\', *v++};
            rc = httpx__buf_append(b, pair, 2);
        }
    }
    return rc ? rc : httpx__buf_append(b, "\"", 1);
}

int httpx__digest_authorize(httpx__digest_t *d, const char *method, const char *target,
                            const char *user, const char *pass, httpx__buf_t *out,
                            httpx_error_t *err)
{
    if (!d || !method || !target || !user || !pass || !out)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "digest auth: NULL argument");
    if (!is_method(method) || !*target || bad_text(target))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "digest auth: invalid method or target");
    if (bad_text(user) || bad_text(pass))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "digest auth: control character in the user name or password");
    if (d->nc == UINT32_MAX)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "digest auth: nonce count exhausted");
    const struct alg_row *row = alg_row(d->alg);
    const EVP_MD *md = alg_md(d->alg);
    bool need_cnonce = d->qop_auth || row->sess;
    char cnonce[HTTPX__DIGEST_MAX_CNONCE + 1] = "";
    if (need_cnonce) {
        if (d->fixed_cnonce) {
            memcpy(cnonce, d->cnonce, sizeof cnonce);
        } else {
            unsigned char rnd[16];
            if (RAND_bytes(rnd, sizeof rnd) != 1)
                return httpx__err(err, HTTPX_E_SYSTEM, HTTPX_PHASE_SETUP,
                                  "digest auth: no random bytes for the cnonce");
            to_hex(rnd, sizeof rnd, cnonce);
        }
    }
    uint32_t nc = d->nc + 1;
    char ncs[9];
    snprintf(ncs, sizeof ncs, "%08x", (unsigned)nc);

    char ha1[HEX_MAX], ha2[HEX_MAX], resp[HEX_MAX];
    const char *p1[] = {user, d->realm, pass};
    int rc = hash_join(md, p1, 3, ha1);
    if (!rc && row->sess) {
        const char *ps[] = {ha1, d->nonce, cnonce};
        rc = hash_join(md, ps, 3, ha1);
    }
    const char *p2[] = {method, target};
    if (!rc)
        rc = hash_join(md, p2, 2, ha2);
    if (!rc && d->qop_auth) {
        const char *pr[] = {ha1, d->nonce, ncs, cnonce, "auth", ha2};
        rc = hash_join(md, pr, 6, resp);
    } else if (!rc) {
        const char *pr[] = {ha1, d->nonce, ha2};
        rc = hash_join(md, pr, 3, resp);
    }
    OPENSSL_cleanse(ha1, sizeof ha1);
    if (rc == HTTPX_E_NOMEM)
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, "digest auth: out of memory");
    if (rc)
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, "digest auth: %s unavailable in openssl", row->name);

    size_t before = httpx__buf_size(out);
    rc = httpx__buf_append_str(out, "Digest ");
    if (!rc)
        rc = put_quoted(out, "username", user);
    if (!rc)
        rc = httpx__buf_append_str(out, ", ");
    if (!rc)
        rc = put_quoted(out, "realm", d->realm);
    if (!rc)
        rc = httpx__buf_append_str(out, ", ");
    if (!rc)
        rc = put_quoted(out, "uri", target);
    if (!rc && d->alg_sent)
        rc = httpx__buf_printf(out, ", algorithm=%s", row->name);
    if (!rc)
        rc = httpx__buf_append_str(out, ", ");
    if (!rc)
        rc = put_quoted(out, "nonce", d->nonce);
    if (!rc && d->qop_auth)
        rc = httpx__buf_printf(out, ", nc=%s", ncs);
    if (!rc && need_cnonce)
        rc = httpx__buf_printf(out, ", cnonce=\"%s\"", cnonce);
    if (!rc && d->qop_auth)
        rc = httpx__buf_append_str(out, ", qop=auth");
    if (!rc)
        rc = httpx__buf_printf(out, ", response=\"%s\"", resp);
    if (!rc && d->opaque) {
        rc = httpx__buf_append_str(out, ", ");
        if (!rc)
            rc = put_quoted(out, "opaque", d->opaque);
    }
    if (rc) {
        out->len = out->off + before;
        if (out->data)
            out->data[out->len] = '\0';
        return httpx__err(err, rc, HTTPX_PHASE_SETUP, "digest auth: %s",
                          rc == HTTPX_E_NOMEM ? "out of memory" : "header too large");
    }
    d->nc = nc;
    return 0;
}
