/* decode/chain.c — the decoder chain: Content-Encoding parsing, stage wiring, limits.
 *
 * Stages run in reverse order of application: st[0] takes the network bytes and
 * the last stage writes into the caller's buffer. Stage i > 0 reads from its own
 * 16 KiB window, refilled by pulling stage i-1 only when it is empty, so a chain
 * holds at most one window per stage however large the output grows. */
#include <stdio.h>
#include "core/err.h"
#include "core/mem.h"
#include "decode/codec.h"
#include "decode/decode.h"

#define WIN_SIZE (16u * 1024)
#define RATIO_FLOOR ((uint64_t)1 << 20) /* the ratio is judged after 1 MiB of output */
#define DEFAULT_MAX_ENCODINGS 3
/* Limits are checked at least this often (in output bytes), so a bomb is stopped
 * near the floor even when the caller offers a huge buffer. */
#define LIMIT_STEP (64u * 1024)

typedef struct stage {
    const httpx__codec_t *codec;
    void *state;
    uint8_t *win; /* input window of stages after the first */
    size_t win_pos, win_len;
    bool ended;      /* the codec reported its end */
    bool seen_input; /* any byte reached this stage */
} stage_t;

struct httpx__decoder {
    const httpx_allocator_t *a;
    httpx__decode_limits_t lim;
    uint64_t decoded, encoded;
    const uint8_t *in; /* the current call's input, for st[0] */
    size_t in_len;
    bool final;
    bool done;  /* the whole chain ended and was checked for trailing data */
    int failed; /* sticky: a failed chain stays failed */
    httpx_error_t failure;
    char label[64]; /* codings in Content-Encoding order, for limit messages */
    size_t n;
    stage_t st[];
};

static const struct known {
    const char *name;
    const httpx__codec_t *codec;
} known[] = {
    {"gzip", &httpx__codec_gzip},
    {"x-gzip", &httpx__codec_gzip},
    {"deflate", &httpx__codec_deflate},
#ifdef HTTPX_HAVE_BROTLI
    {"br", &httpx__codec_br},
#endif
#ifdef HTTPX_HAVE_ZSTD
    {"zstd", &httpx__codec_zstd},
#endif
};

#ifdef HTTPX_HAVE_BROTLI
#define ACCEPT_BR ", br"
#else
#define ACCEPT_BR ""
#endif
#ifdef HTTPX_HAVE_ZSTD
#define ACCEPT_ZSTD ", zstd"
#else
#define ACCEPT_ZSTD ""
#endif

const char *httpx__decode_accept_encoding(void)
{
    return "gzip, deflate" ACCEPT_BR ACCEPT_ZSTD;
}

/* ---- parsing -------------------------------------------------------------- */

static bool token_is(const char *t, size_t n, const char *name)
{
    size_t i = 0;
    for (; i < n && name[i]; i++) {
        char c = t[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return i == n && name[i] == '\0';
}

/* Next list element of s[*pos..len), OWS trimmed; false at the end. Empty elements
 * come back with *tn == 0 (RFC 9110 §5.6.1 asks recipients to ignore them). */
static bool next_token(const char *s, size_t len, size_t *pos, const char **t, size_t *tn)
{
    if (*pos > len)
        return false;
    size_t b = *pos, e = b;
    while (e < len && s[e] != ',')
        e++;
    *pos = e + 1;
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    *t = s + b;
    *tn = e - b;
    return true;
}

/* The codec for a token; NULL for identity and empty elements (*unknown false) or
 * for a coding we do not know (*unknown true). */
static const httpx__codec_t *lookup(const char *t, size_t n, bool *unknown)
{
    *unknown = false;
    if (n == 0 || token_is(t, n, "identity"))
        return NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (token_is(t, n, known[i].name))
            return known[i].codec;
    *unknown = true;
    return NULL;
}

/* ---- construction --------------------------------------------------------- */

void httpx__decoder_free(httpx__decoder_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        if (d->st[i].state)
            d->st[i].codec->release(d->st[i].state);
    httpx__free(d->a, d);
}

int httpx__decoder_new(const httpx_allocator_t *a, const char *content_encoding, size_t len,
                       const httpx__decode_limits_t *limits, httpx__decoder_t **out,
                       httpx_error_t *err)
{
    *out = NULL;
    a = httpx__alloc_or_default(a);
    if (!content_encoding)
        len = 0;

    /* First pass: validate and count, so nothing is allocated for a bad list. */
    size_t n = 0, pos = 0, tn;
    const char *t;
    bool unknown;
    while (next_token(content_encoding, len, &pos, &t, &tn)) {
        if (lookup(t, tn, &unknown))
            n++;
        else if (unknown)
            return httpx__err(err, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                              "unknown content coding \"%.*s\"", tn > 40 ? 40 : (int)tn, t);
    }
    if (n == 0)
        return 0; /* identity: the body passes through */
    size_t max = limits && limits->max_encodings ? limits->max_encodings : DEFAULT_MAX_ENCODINGS;
    if (n > max)
        return httpx__err(err, HTTPX_E_DECODE_LIMIT, HTTPX_PHASE_DECODE,
                          "too many content codings (%zu, limit %zu)", n, max);

    /* One block: the decoder, its stages, then the n-1 windows. */
    size_t size = sizeof(httpx__decoder_t) + n * sizeof(stage_t) + (n - 1) * (size_t)WIN_SIZE;
    httpx__decoder_t *d = httpx__malloc(a, size);
    if (!d)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_DECODE, "content decoding: out of memory");
    memset(d, 0, sizeof(httpx__decoder_t) + n * sizeof(stage_t));
    d->a = a;
    if (limits)
        d->lim = *limits;
    d->n = n;
    uint8_t *wins = (uint8_t *)&d->st[n];

    /* Second pass: the last coding listed is the first to undo. */
    size_t i = n, lab = 0;
    pos = 0;
    while (next_token(content_encoding, len, &pos, &t, &tn)) {
        const httpx__codec_t *c = lookup(t, tn, &unknown);
        if (!c)
            continue;
        stage_t *s = &d->st[--i];
        s->codec = c;
        if (i > 0)
            s->win = wins + (i - 1) * (size_t)WIN_SIZE;
        int w = snprintf(d->label + lab, sizeof d->label - lab, "%s%s", lab ? ", " : "", c->name);
        if (w > 0)
            lab = lab + (size_t)w < sizeof d->label ? lab + (size_t)w : sizeof d->label - 1;
    }
    for (i = 0; i < n; i++) {
        int rc = d->st[i].codec->init(&d->st[i].state, a, err);
        if (rc < 0) {
            httpx__decoder_free(d);
            return rc;
        }
    }
    *out = d;
    return 0;
}

/* ---- decoding ------------------------------------------------------------- */

static int pull(httpx__decoder_t *d, size_t i, uint8_t *out, size_t cap, size_t *produced);

static int garbage(httpx__decoder_t *d, size_t i)
{
    return httpx__err(&d->failure, HTTPX_E_DECODING, HTTPX_PHASE_DECODE,
                      "%s: trailing data after end of stream", d->st[i].codec->name);
}

/* Stage i has ended: whatever still reaches it is trailing garbage. Returns 1 when
 * every stage up to i has ended cleanly, 0 while an earlier one still waits for
 * input (which must turn out to be nothing more than its own end). */
static int verify(httpx__decoder_t *d, size_t i)
{
    if (i == 0)
        return d->in_len ? garbage(d, 0) : 1;
    stage_t *s = &d->st[i];
    if (s->win_pos < s->win_len)
        return garbage(d, i);
    size_t n;
    int rc = pull(d, i - 1, s->win, WIN_SIZE, &n);
    if (rc < 0)
        return rc;
    return n ? garbage(d, i) : rc;
}

/* Fill out[0..cap) from stage i, refilling its window from stage i-1 as needed.
 * Returns as verify() once stage i has ended, else 0 when out is full or more
 * network input is needed; < 0 with d->failure set. */
static int pull(httpx__decoder_t *d, size_t i, uint8_t *out, size_t cap, size_t *produced)
{
    stage_t *s = &d->st[i];
    *produced = 0;
    while (!s->ended) {
        const uint8_t *ip;
        size_t il;
        bool fin;
        if (i == 0) {
            ip = d->in;
            il = d->in_len;
            fin = d->final;
        } else {
            stage_t *p = &d->st[i - 1];
            if (s->win_pos == s->win_len && !p->ended) {
                size_t n;
                int rc = pull(d, i - 1, s->win, WIN_SIZE, &n);
                if (rc < 0)
                    return rc;
                s->win_pos = 0;
                s->win_len = n;
            }
            ip = s->win + s->win_pos;
            il = s->win_len - s->win_pos;
            fin = p->ended;
            if (il == 0 && !fin)
                return 0; /* stage i-1 needs network input */
        }
        if (il == 0 && fin && !s->seen_input) {
            /* An empty body stays empty under any coding, as browsers take it
             * (Content-Length: 0 responses often still name a coding). */
            s->ended = true;
            break;
        }
        if (il)
            s->seen_input = true;
        if (*produced == cap)
            return 0;
        size_t il0 = il, got = 0;
        int rc = s->codec->run(s->state, &ip, &il, fin, out + *produced, cap - *produced, &got,
                               &d->failure);
        if (i == 0) {
            d->encoded += il0 - il;
            d->in = ip;
            d->in_len = il;
        } else {
            s->win_pos += il0 - il;
        }
        *produced += got;
        if (rc < 0)
            return rc;
        if (rc == 1) {
            s->ended = true;
            break;
        }
        if (*produced == cap)
            return 0;
        if (il == 0 && i == 0)
            return 0; /* needs more network input */
        if (il != 0 && il == il0 && got == 0)
            return 0; /* no progress; never loop on it */
    }
    return verify(d, i);
}

static int check_limits(httpx__decoder_t *d)
{
    const httpx__decode_limits_t *l = &d->lim;
    if (l->max_decoded_bytes && d->decoded > l->max_decoded_bytes)
        return httpx__err(&d->failure, HTTPX_E_DECODE_LIMIT, HTTPX_PHASE_DECODE,
                          "%s: decoded body exceeds the limit of %llu bytes", d->label,
                          (unsigned long long)l->max_decoded_bytes);
    if (l->max_ratio && d->decoded > RATIO_FLOOR &&
        (d->encoded == 0 ||
         (d->encoded <= UINT64_MAX / l->max_ratio && d->decoded > d->encoded * l->max_ratio)))
        return httpx__err(&d->failure, HTTPX_E_DECODE_LIMIT, HTTPX_PHASE_DECODE,
                          "%s: decompression ratio exceeds %llu:1 (%llu bytes from %llu)",
                          d->label, (unsigned long long)l->max_ratio,
                          (unsigned long long)d->decoded, (unsigned long long)d->encoded);
    return 0;
}

static int fail(httpx__decoder_t *d, int rc, httpx_error_t *err)
{
    d->failed = rc;
    if (err)
        *err = d->failure;
    return rc;
}

int httpx__decoder_run(httpx__decoder_t *d, const uint8_t **in, size_t *in_len, bool final,
                       uint8_t *out, size_t cap, size_t *produced, httpx_error_t *err)
{
    *produced = 0;
    if (d->failed)
        return fail(d, d->failed, err);
    d->in = *in;
    d->in_len = *in_len;
    d->final = final;
    if (cap == 0)
        return d->done ? 1 : 0; /* no room, no progress promised */
    int rc = 0;
    size_t total = 0;
    do {
        size_t chunk = cap - total < LIMIT_STEP ? cap - total : LIMIT_STEP;
        if (d->lim.max_decoded_bytes) {
            /* One byte past the cap is enough to know it was exceeded. */
            uint64_t room = d->lim.max_decoded_bytes - d->decoded;
            if (room < chunk)
                chunk = (size_t)room + 1;
        }
        size_t n = 0;
        rc = pull(d, d->n - 1, out + total, chunk, &n);
        total += n;
        d->decoded += n;
        if (rc >= 0) {
            int lrc = check_limits(d);
            if (lrc < 0)
                rc = lrc;
        }
        if (rc != 0 || n < chunk)
            break;
    } while (total < cap);
    *in = d->in;
    *in_len = d->in_len;
    if (rc < 0)
        return fail(d, rc, err); /* nothing of a failed call is delivered */
    *produced = total;
    if (rc == 1)
        d->done = true;
    return rc;
}
