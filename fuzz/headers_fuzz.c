/* fuzz/headers_fuzz.c — libFuzzer target for header lists (src/client/headers.c).
 *
 * The input is a program: each step is an opcode byte, a name and a value (length
 * bytes, then the bytes, which may hold CR, LF, NUL and anything else). Steps call
 * httpx_headers_add, _addn, _set, _remove, _get, _get_nth, _has_token, _at and the
 * engine's _clear and _reserve, some with a name or value pointer taken from the
 * list itself (the aliasing the list must survive while it grows or compacts).
 * A plain model of the list (an array of copies) runs alongside. Checked:
 *  - a name is accepted only if it is an RFC 9110 token, a value only if it holds
 *    no CR, LF, NUL or other control byte but HTAB (nothing that could split a
 *    header line); accepted ones are stored exactly, refused ones change nothing;
 *  - after every step the list equals the model: count, order, names, values;
 *  - every returned value is NUL-terminated with no CR, LF or NUL inside.
 * Build: cmake -DHTTPX_FUZZ=ON (clang), or `make fuzz`. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/headers.h"
#include "httpx/error.h"

#define CHECK(c)                                                                    \
    do {                                                                            \
        if (!(c)) {                                                                 \
            fprintf(stderr, "headers_fuzz: %s:%d: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                                \
        }                                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAXF = 512 };

typedef struct mfield {
    char *name, *value;
    size_t nlen, vlen;
} mfield_t;

typedef struct model {
    mfield_t f[MAXF];
    size_t n;
} model_t;

static const char *const common[] = {"Host", "host", "Set-Cookie", "Connection", "X-A",
                                     "x-a", "Accept-Encoding", "TE"};

static bool m_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool m_name_ok(const char *p, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!m_tchar((unsigned char)p[i]))
            return false;
    return true;
}

static bool m_value_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool m_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        x = (x >= 'A' && x <= 'Z') ? (unsigned char)(x + 32) : x;
        y = (y >= 'A' && y <= 'Z') ? (unsigned char)(y + 32) : y;
        if (x != y)
            return false;
    }
    return true;
}

static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void m_insert(model_t *m, size_t at, const char *name, size_t nlen, const char *value,
                     size_t vlen)
{
    memmove(&m->f[at + 1], &m->f[at], (m->n - at) * sizeof m->f[0]);
    m->f[at] = (mfield_t){dup_n(name, nlen), dup_n(value, vlen), nlen, vlen};
    m->n++;
}

static void m_drop(model_t *m, size_t i)
{
    free(m->f[i].name);
    free(m->f[i].value);
    memmove(&m->f[i], &m->f[i + 1], (m->n - i - 1) * sizeof m->f[0]);
    m->n--;
}

static size_t m_remove_from(model_t *m, size_t from, const char *name, size_t nlen)
{
    size_t removed = 0;
    for (size_t i = from; i < m->n;) {
        if (m_ieq(m->f[i].name, m->f[i].nlen, name, nlen)) {
            m_drop(m, i);
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

static const char *m_get_nth(const model_t *m, const char *name, size_t idx)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < m->n; i++)
        if (m_ieq(m->f[i].name, m->f[i].nlen, name, nlen) && idx-- == 0)
            return m->f[i].value;
    return NULL;
}

static int m_has_token(const model_t *m, const char *name, const char *tok)
{
    size_t nlen = strlen(name), tlen = strlen(tok);
    for (size_t i = 0; i < m->n; i++) {
        if (!m_ieq(m->f[i].name, m->f[i].nlen, name, nlen))
            continue;
        const char *v = m->f[i].value;
        size_t k = 0, vl = m->f[i].vlen;
        while (k < vl) {
            size_t e = k;
            while (e < vl && v[e] != ',')
                e++;
            size_t a = k, b = e;
            while (a < b && (v[a] == ' ' || v[a] == '\t'))
                a++;
            while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
                b--;
            if (m_ieq(v + a, b - a, tok, tlen))
                return 1;
            k = e + 1;
        }
    }
    return 0;
}

static void check_same(const httpx_headers_t *h, const model_t *m)
{
    CHECK(httpx_headers_count(h) == m->n);
    for (size_t i = 0; i < m->n; i++) {
        const char *n = NULL, *v = NULL;
        CHECK(httpx_headers_at(h, i, &n, &v) == 0);
        CHECK(strlen(n) == m->f[i].nlen && !memcmp(n, m->f[i].name, m->f[i].nlen));
        CHECK(strlen(v) == m->f[i].vlen && !memcmp(v, m->f[i].value, m->f[i].vlen));
        CHECK(!strpbrk(v, "\r\n"));
        CHECK(m_name_ok(n, strlen(n)));
    }
    CHECK(httpx_headers_at(h, m->n, NULL, NULL) == HTTPX_E_INVAL);
}

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd_t;

static unsigned rd_byte(rd_t *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

/* A string of up to `max` input bytes into buf; returns its length. */
static size_t rd_str(rd_t *r, char *buf, size_t max)
{
    size_t len = rd_byte(r) % (max + 1);
    if (len > r->n)
        len = r->n;
    memcpy(buf, r->p, len);
    buf[len] = '\0';
    r->p += len;
    r->n -= len;
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rd_t r = {data, size};
    static model_t m;
    m.n = 0;
    httpx_headers_t *h = httpx_headers_new(NULL);
    CHECK(h != NULL);
    char nb[64], vb[256];

    /* stop before the model could overflow (one step adds at most one field) */
    for (int steps = 0; r.n && steps < 2000 && m.n < MAXF - 1; steps++) {
        unsigned op = rd_byte(&r);
        size_t nlen, vlen;
        const char *name = nb, *value = vb;
        if (op & 0x80) { /* a common name, so lookups hit */
            name = common[rd_byte(&r) % (sizeof common / sizeof common[0])];
            nlen = strlen(name);
        } else {
            nlen = rd_str(&r, nb, sizeof nb - 1);
        }
        vlen = rd_str(&r, vb, sizeof vb - 1);
        /* aliasing: a name or value the list itself handed out */
        if ((op & 0x60) == 0x60 && m.n) {
            const char *an, *av;
            size_t i = rd_byte(&r) % m.n;
            CHECK(httpx_headers_at(h, i, &an, &av) == 0);
            if (op & 0x10)
                name = an, nlen = strlen(an);
            else
                value = av, vlen = strlen(av);
        }
        size_t cn = strlen(name), cv = strlen(value); /* what C-string calls see */
        switch (op & 0xf) {
        case 0:
        case 1:
        case 2: { /* add */
            bool ok = m_name_ok(name, cn) && m_value_ok(value, cv);
            char *n2 = dup_n(name, cn), *v2 = dup_n(value, cv); /* model copies first */
            int rc = httpx_headers_add(h, name, value);
            CHECK(ok ? rc == 0 : rc == HTTPX_E_INVAL);
            if (ok)
                m_insert(&m, m.n, n2, cn, v2, cv);
            free(n2);
            free(v2);
            break;
        }
        case 3:
        case 4: { /* addn: explicit lengths, NUL inside possible */
            bool ok = m_name_ok(name, nlen) && m_value_ok(value, vlen);
            char *n2 = dup_n(name, nlen), *v2 = dup_n(value, vlen);
            int rc = httpx_headers_addn(h, name, nlen, value, vlen);
            CHECK(ok ? rc == 0 : rc == HTTPX_E_INVAL);
            if (ok)
                m_insert(&m, m.n, n2, nlen, v2, vlen);
            free(n2);
            free(v2);
            break;
        }
        case 5:
        case 6: { /* set */
            bool ok = m_name_ok(name, cn) && m_value_ok(value, cv);
            char *n2 = dup_n(name, cn), *v2 = dup_n(value, cv);
            int rc = httpx_headers_set(h, name, value);
            CHECK(ok ? rc == 0 : rc == HTTPX_E_INVAL);
            if (ok) {
                size_t i = 0;
                while (i < m.n && !m_ieq(m.f[i].name, m.f[i].nlen, n2, cn))
                    i++;
                if (i < m.n)
                    m_drop(&m, i);
                m_insert(&m, i, n2, cn, v2, cv);
                m_remove_from(&m, i + 1, n2, cn);
            }
            free(n2);
            free(v2);
            break;
        }
        case 7:
        case 8: { /* remove */
            char *n2 = dup_n(name, cn);
            size_t want = m_remove_from(&m, 0, n2, cn);
            CHECK(httpx_headers_remove(h, name) == want);
            free(n2);
            break;
        }
        case 9: { /* get, get_nth */
            size_t idx = vlen % 4;
            const char *a = httpx_headers_get_nth(h, name, idx), *b = m_get_nth(&m, name, idx);
            CHECK((a == NULL) == (b == NULL));
            CHECK(!a || !strcmp(a, b));
            a = httpx_headers_get(h, name);
            b = m_get_nth(&m, name, 0);
            CHECK((a == NULL) == (b == NULL) && (!a || !strcmp(a, b)));
            break;
        }
        case 10: /* has_token */
            CHECK(httpx_headers_has_token(h, name, value) == m_has_token(&m, name, value));
            break;
        case 11: /* clear, keeping the allocations */
            if (vlen % 8 == 0) {
                httpx__headers_clear(h);
                while (m.n)
                    m_drop(&m, m.n - 1);
            }
            break;
        case 12: /* reserve (the engine's path before a batch of unchecked adds) */
            CHECK(httpx__headers_reserve(h, vlen % 16, nlen * 8) == 0);
            break;
        default: /* a long value, to push the byte buffer to grow and compact */
            if (m_name_ok(name, cn)) {
                size_t big = 1000 + vlen * 7;
                char *v2 = malloc(big + 1);
                if (!v2)
                    abort();
                memset(v2, 'a' + (int)(vlen % 26), big);
                v2[big] = '\0';
                char *n2 = dup_n(name, cn); /* name may point into the list */
                CHECK(httpx_headers_add(h, name, v2) == 0);
                m_insert(&m, m.n, n2, cn, v2, big);
                free(n2);
                free(v2);
            }
            break;
        }
        check_same(h, &m);
    }
    check_same(h, &m);
    httpx_headers_free(h);
    while (m.n)
        m_drop(&m, m.n - 1);
    return 0;
}
