/* client/headers.c — ordered, case-insensitive header multimap.
 * Fields are one array of offsets; their bytes are packed "name\0value\0" into one
 * growable buffer, so adding a field allocates only when a buffer must grow.
 * Removed bytes stay as garbage until they outweigh the live ones. */
#include <stdint.h>
#include <string.h>
#include "client/headers.h"
#include "core/buf.h"
#include "core/mem.h"
#include "httpx/error.h"


/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool httpx__header_name_valid(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)p[i]))
            return false;
    return true;
}

bool httpx__header_value_valid(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* ASCII-only case folding: locale-aware strncasecmp could fold 'I' differently. */
static bool ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return false;
    }
    return true;
}

static bool named(const httpx_headers_t *h, const hfield_t *f, const char *name, size_t nlen)
{
    return f->nlen == nlen && ieq(h->bytes.data + f->name, name, nlen);
}

httpx_headers_t *httpx__headers_new_in(const httpx_allocator_t *a)
{
    httpx_headers_t *h = HTTPX__NEW(a, httpx_headers_t);
    if (!h)
        return NULL;
    h->a = a;
    httpx__buf_init(&h->bytes, a, 0);
    return h;
}

httpx_headers_t *httpx_headers_new(const httpx_allocator_t *alloc)
{
    return httpx__headers_new_in(httpx__alloc_or_default(alloc));
}

void httpx__headers_init(httpx_headers_t *h, const httpx_allocator_t *a)
{
    memset(h, 0, sizeof *h);
    h->a = a;
    h->embedded = true;
    httpx__buf_init(&h->bytes, a, 0);
}

size_t httpx__headers_block_size(size_t nfields, size_t bytes)
{
    return nfields * sizeof(hfield_t) + bytes + 2 * nfields + 1;
}

void httpx__headers_lend(httpx_headers_t *h, void *block, size_t nfields, size_t bytes)
{
    if (h->f || h->bytes.data || !nfields)
        return; /* only an empty list without storage borrows */
    h->f = block;
    h->cap = nfields;
    h->f_lent = true;
    httpx__buf_lend(&h->bytes, (char *)block + nfields * sizeof(hfield_t), bytes + 2 * nfields + 1);
}

void httpx_headers_free(httpx_headers_t *h)
{
    if (!h)
        return;
    httpx__buf_release(&h->bytes);
    if (!h->f_lent)
        httpx__free(h->a, h->f);
    h->f = NULL;
    h->n = h->cap = 0;
    h->f_lent = false;
    if (!h->embedded)
        httpx__free(h->a, h);
}

void httpx__headers_clear(httpx_headers_t *h)
{
    h->n = 0;
    h->dead = 0;
    httpx__buf_reset(&h->bytes);
}

static bool inside(const httpx__buf_t *b, const char *p)
{
    uintptr_t s = (uintptr_t)b->data, q = (uintptr_t)p;
    return b->data && q >= s && q < s + b->alloc;
}

/* Copy name and value into the byte buffer and describe them in *f. The source
 * may be a string this list returned, so its offset is taken before any growth. */
static int store(httpx_headers_t *h, const char *name, size_t nlen, const char *value,
                 size_t vlen, hfield_t *f)
{
    httpx__buf_t *b = &h->bytes;
    bool nin = inside(b, name), vin = inside(b, value);
    size_t noff = nin ? (size_t)(name - b->data) : 0, voff = vin ? (size_t)(value - b->data) : 0;
    if (nlen > SIZE_MAX / 4 || vlen > SIZE_MAX / 4)
        return HTTPX_E_NOMEM;
    int rc = httpx__buf_reserve(b, nlen + vlen + 2);
    if (rc)
        return HTTPX_E_NOMEM; /* the cap is SIZE_MAX / 2: only memory can run out */
    if (nin)
        name = b->data + noff;
    if (vin)
        value = b->data + voff;
    /* reserved above: plain copies, NUL after each string */
    char *p = httpx__buf_tail(b);
    f->name = b->len;
    f->nlen = nlen;
    memcpy(p, name, nlen);
    p[nlen] = '\0';
    f->value = b->len + nlen + 1;
    f->vlen = vlen;
    memcpy(p + nlen + 1, value, vlen);
    p[nlen + 1 + vlen] = '\0';
    b->len += nlen + vlen + 2;
    return 0;
}

/* Room for `cap` fields; lent fields move to an allocation of their own. */
static int set_cap(httpx_headers_t *h, size_t cap)
{
    if (cap > SIZE_MAX / sizeof *h->f)
        return HTTPX_E_NOMEM;
    hfield_t *f;
    if (h->f_lent) {
        if (!(f = httpx__malloc(h->a, cap * sizeof *f)))
            return HTTPX_E_NOMEM;
        memcpy(f, h->f, h->n * sizeof *f);
        h->f_lent = false;
    } else if (!(f = httpx__realloc(h->a, h->f, cap * sizeof *f))) {
        return HTTPX_E_NOMEM;
    }
    h->f = f;
    h->cap = cap;
    return 0;
}

static int grow_fields(httpx_headers_t *h)
{
    return h->n < h->cap ? 0 : set_cap(h, h->cap ? h->cap * 2 : 8);
}

int httpx__headers_add_unchecked(httpx_headers_t *h, const char *name, size_t nlen,
                                 const char *value, size_t vlen)
{
    int rc = grow_fields(h);
    if (rc == 0)
        rc = store(h, name, nlen, value, vlen, &h->f[h->n]);
    if (rc == 0)
        h->n++;
    return rc;
}

int httpx__headers_add_pairs(httpx_headers_t *h, const httpx__slice_t *kv, size_t n, size_t bytes)
{
    if (httpx__headers_reserve(h, n, bytes))
        return HTTPX_E_NOMEM;
    /* reserved: plain copies, "name\0value\0" per field */
    httpx__buf_t *b = &h->bytes;
    size_t at = b->len;
    for (size_t i = 0; i < n; i++, kv += 2) {
        hfield_t *f = &h->f[h->n + i];
        f->name = at;
        f->nlen = kv[0].len;
        memcpy(b->data + at, kv[0].ptr, kv[0].len);
        b->data[at + kv[0].len] = '\0';
        at += kv[0].len + 1;
        f->value = at;
        f->vlen = kv[1].len;
        if (kv[1].len)
            memcpy(b->data + at, kv[1].ptr, kv[1].len);
        b->data[at + kv[1].len] = '\0';
        at += kv[1].len + 1;
    }
    b->len = at;
    h->n += n;
    return 0;
}

int httpx_headers_addn(httpx_headers_t *h, const char *name, size_t name_len,
                       const char *value, size_t value_len)
{
    if (!h || !name || (!value && value_len) || !httpx__header_name_valid(name, name_len) ||
        !httpx__header_value_valid(value, value_len))
        return HTTPX_E_INVAL;
    return httpx__headers_add_unchecked(h, name, name_len, value ? value : "", value_len);
}

int httpx_headers_add(httpx_headers_t *h, const char *name, const char *value)
{
    if (!name || !value)
        return HTTPX_E_INVAL;
    return httpx_headers_addn(h, name, strlen(name), value, strlen(value));
}

/* Rewrite the live bytes densely once garbage dominates; on allocation failure
 * keep the garbage, which is only wasted space. */
static void maybe_compact(httpx_headers_t *h)
{
    size_t size = httpx__buf_size(&h->bytes);
    if (h->dead < 1024 || h->dead < size / 2)
        return;
    httpx__buf_t nb;
    httpx__buf_init(&nb, h->a, 0);
    if (httpx__buf_reserve(&nb, size - h->dead)) {
        httpx__buf_release(&nb);
        return;
    }
    for (size_t i = 0; i < h->n; i++) {
        hfield_t *f = &h->f[i];
        size_t at = nb.len;
        httpx__buf_append(&nb, h->bytes.data + f->name, f->nlen + 1 + f->vlen + 1);
        f->value = at + f->nlen + 1;
        f->name = at;
    }
    httpx__buf_release(&h->bytes);
    h->bytes = nb;
    h->dead = 0;
}

/* Drop fields named `name` from index `from` on; returns how many. */
static size_t drop_from(httpx_headers_t *h, size_t from, const char *name, size_t nlen)
{
    size_t j = from, removed = 0;
    for (size_t i = from; i < h->n; i++) {
        if (named(h, &h->f[i], name, nlen)) {
            h->dead += h->f[i].nlen + h->f[i].vlen + 2;
            removed++;
        } else {
            h->f[j++] = h->f[i];
        }
    }
    h->n = j;
    return removed;
}

int httpx_headers_set(httpx_headers_t *h, const char *name, const char *value)
{
    if (!h || !name || !value)
        return HTTPX_E_INVAL;
    size_t nlen = strlen(name), vlen = strlen(value);
    if (!httpx__header_name_valid(name, nlen) || !httpx__header_value_valid(value, vlen))
        return HTTPX_E_INVAL;
    size_t i = 0;
    while (i < h->n && !named(h, &h->f[i], name, nlen))
        i++;
    if (i == h->n)
        return httpx__headers_add_unchecked(h, name, nlen, value, vlen);
    hfield_t f;
    int rc = store(h, name, nlen, value, vlen, &f);
    if (rc)
        return rc;
    h->dead += h->f[i].nlen + h->f[i].vlen + 2;
    h->f[i] = f;
    /* `name` may have pointed into the bytes store() just moved: use the copy. */
    drop_from(h, i + 1, h->bytes.data + f.name, nlen);
    maybe_compact(h);
    return 0;
}

size_t httpx_headers_remove(httpx_headers_t *h, const char *name)
{
    if (!h || !name)
        return 0;
    size_t removed = drop_from(h, 0, name, strlen(name));
    if (h->n == 0)
        httpx__headers_clear(h); /* nothing live: reuse the buffer from the start */
    else
        maybe_compact(h);
    return removed;
}

const char *httpx_headers_get_nth(const httpx_headers_t *h, const char *name, size_t index)
{
    if (!h || !name)
        return NULL;
    size_t nlen = strlen(name);
    for (size_t i = 0; i < h->n; i++)
        if (named(h, &h->f[i], name, nlen) && index-- == 0)
            return h->bytes.data + h->f[i].value;
    return NULL;
}

const char *httpx_headers_get(const httpx_headers_t *h, const char *name)
{
    return httpx_headers_get_nth(h, name, 0);
}

size_t httpx_headers_count(const httpx_headers_t *h)
{
    return h ? h->n : 0;
}

int httpx_headers_at(const httpx_headers_t *h, size_t i, const char **name, const char **value)
{
    if (!h || i >= h->n)
        return HTTPX_E_INVAL;
    if (name)
        *name = h->bytes.data + h->f[i].name;
    if (value)
        *value = h->bytes.data + h->f[i].value;
    return 0;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int httpx_headers_has_token(const httpx_headers_t *h, const char *name, const char *token)
{
    if (!h || !name || !token)
        return 0;
    size_t nlen = strlen(name), tlen = strlen(token);
    for (size_t i = 0; i < h->n; i++) {
        if (!named(h, &h->f[i], name, nlen))
            continue;
        const char *p = h->bytes.data + h->f[i].value, *end = p + h->f[i].vlen;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *e = comma ? comma : end;
            while (p < e && is_ows(*p))
                p++;
            const char *q = e;
            while (q > p && is_ows(q[-1]))
                q--;
            if ((size_t)(q - p) == tlen && ieq(p, token, tlen))
                return 1;
            p = comma ? comma + 1 : end;
        }
    }
    return 0;
}

int httpx__headers_reserve(httpx_headers_t *h, size_t nfields, size_t bytes)
{
    if (h->n + nfields > h->cap && set_cap(h, h->n + nfields))
        return HTTPX_E_NOMEM;
    return httpx__buf_reserve(&h->bytes, bytes + 2 * nfields) ? HTTPX_E_NOMEM : 0;
}

const httpx_headers_t *httpx__headers_empty(void)
{
    static const httpx_headers_t empty; /* n == 0: every lookup finds nothing */
    return &empty;
}
