/* h2/request.c — the request's header list: pseudo-header fields, lower-cased
 * names, connection-specific fields dropped (RFC 9113 8.2.1, 8.2.2, 8.3.1). */
#include <stdint.h>
#include <string.h>
#include "core/err.h"
#include "core/mem.h"
#include "h2/internal.h"

/* RFC 9110 5.6.2 tchar, as a bitmap of the 128 ASCII codes. */
static const uint32_t req_tchar_bits[4] = {0x0, 0x3ff6cfa, 0xc7fffffe, 0x57ffffff};

static bool req_tchar(unsigned char c)
{
    return c < 128 && (req_tchar_bits[c >> 5] >> (c & 31)) & 1;
}

static bool req_token(httpx__slice_t s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!req_tchar((unsigned char)s.ptr[i]))
            return false;
    return true;
}

/* No CR, LF or NUL in the value. Eight bytes at a time: a word with no byte below
 * 0x0e cannot hold one of them (the classic "has a byte less than n" test). */
static bool req_value_ok(httpx__slice_t s)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= s.len; i += 8) {
        uint64_t w;
        memcpy(&w, s.ptr + i, 8);
        if (((w - ones * 0x0e) & ~w & highs) == 0)
            continue;
        for (size_t j = i; j < i + 8; j++)
            if (s.ptr[j] == '\r' || s.ptr[j] == '\n' || s.ptr[j] == '\0')
                return false;
    }
    for (; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c <= '\r' && (c == '\r' || c == '\n' || c == '\0'))
            return false;
    }
    return true;
}

/* dst = src lower-cased; src is ASCII (a token). Eight bytes at a time: a byte
 * gets 0x20 added when it lies in 'A'..'Z' (0x41..0x5a). */
static void req_lower(char *dst, const char *src, size_t n)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        uint64_t h = w & low7;
        uint64_t ge_a = h + 0x3f3f3f3f3f3f3f3fu; /* high bit: byte >= 0x41 */
        uint64_t gt_z = h + 0x2525252525252525u; /* high bit: byte >= 0x5b */
        w |= (ge_a & ~gt_z & ~w & highs) >> 2;
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (char)((unsigned)(c - 'A') < 26u ? c + ('a' - 'A') : c);
    }
}

/* Whether `name` is one of the comma-separated tokens of `list`. */
static bool req_list_has(httpx__slice_t list, httpx__slice_t name)
{
    size_t i = 0;
    while (i <= list.len) {
        size_t j = i;
        while (j < list.len && list.ptr[j] != ',')
            j++;
        if (httpx__slice_ieq(httpx__slice_trim(httpx__slice(list.ptr + i, j - i)), name))
            return true;
        i = j + 1;
    }
    return false;
}

/* Connection-specific fields are never sent over HTTP/2 (RFC 9113 8.2.2): the
 * Connection field, the fields it nominates, and the ones RFC 9110 7.6.1 names.
 * TE is allowed with the value "trailers" only. Host becomes :authority.
 * `conn` says whether some field is a Connection field (only then are the
 * nominated names looked for). */
static bool req_dropped(const httpx__h2_field_t *fields, size_t n, size_t k, bool conn)
{
    httpx__slice_t name = fields[k].name;
    const char *fixed = NULL;
    switch (name.len) {
    case 2:
        if (httpx__slice_ieq_cstr(name, "te"))
            return !httpx__slice_ieq_cstr(httpx__slice_trim(fields[k].value), "trailers");
        break;
    case 4: fixed = "host"; break;
    case 7: fixed = "upgrade"; break;
    case 10:
        fixed = (name.ptr[0] | 0x20) == 'c' ? "connection"
                : (name.ptr[0] | 0x20) == 'k' ? "keep-alive"
                                             : NULL;
        break;
    case 16: fixed = "proxy-connection"; break;
    case 17: fixed = "transfer-encoding"; break;
    default: break;
    }
    if (fixed && httpx__slice_ieq_cstr(name, fixed))
        return true;
    if (!conn)
        return false;
    for (size_t i = 0; i < n; i++)
        if (httpx__slice_ieq_cstr(fields[i].name, "connection") &&
            req_list_has(fields[i].value, name))
            return true;
    return false;
}

static nghttp2_nv req_nv(const char *name, size_t nlen, const char *value, size_t vlen,
                         uint8_t flags)
{
    nghttp2_nv nv = {(uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value, nlen, vlen, flags};
    return nv;
}

static int req_bad_name(httpx_error_t *err, httpx__slice_t nm)
{
    return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "invalid field name \"%.*s\"",
                      (int)(nm.len > 64 ? 64 : nm.len), nm.ptr ? nm.ptr : "");
}

int httpx__h2_build_request(const httpx_allocator_t *a, const char *method, const char *scheme,
                            const char *authority, const char *path,
                            const httpx__h2_field_t *fields, size_t n, bool checked,
                            void *scratch, size_t scratch_len, nghttp2_nv **nva, size_t *nnv,
                            void **block, httpx_error_t *err)
{
    *block = NULL;
    if (!method || !*method || !scheme || !*scheme || !path || !*path)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "http/2 request needs a method, a scheme and a path");
    if (n && !fields)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "http/2 request fields missing");
    if (!req_token(httpx__slice_cstr(method)))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "invalid method \"%s\"", method);
    /* A first look: the room the lower-cased names need, a Connection field, Host. */
    httpx__slice_t auth = httpx__slice_cstr(authority);
    size_t names = 0;
    bool conn = false;
    for (size_t i = 0; i < n; i++) {
        httpx__slice_t nm = fields[i].name;
        if (nm.len && !nm.ptr)
            return req_bad_name(err, nm);
        if (nm.len == 10 && (nm.ptr[0] | 0x20) == 'c' && httpx__slice_ieq_cstr(nm, "connection"))
            conn = true;
        else if (!authority && !auth.len && nm.len == 4 && httpx__slice_ieq_cstr(nm, "host"))
            auth = httpx__slice_trim(fields[i].value);
        if (names > SIZE_MAX - nm.len)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "http/2 request too large");
        names += nm.len;
    }
    if (!auth.len)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "http/2 request needs an authority (or a host field)");
    httpx__slice_t sl_path = httpx__slice_cstr(path), sl_scheme = httpx__slice_cstr(scheme);
    if (!checked && (!req_value_ok(auth) || !req_value_ok(sl_path) || !req_value_ok(sl_scheme)))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "invalid character in http/2 pseudo-header field");
    if (n > (SIZE_MAX - names) / sizeof(nghttp2_nv) - 4)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "http/2 request too large");

    size_t cap = 4 + n;
    nghttp2_nv *nv = scratch;
    if (cap * sizeof *nv + names > scratch_len || !scratch) {
        nv = httpx__malloc(a, cap * sizeof *nv + names);
        if (!nv)
            return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        *block = nv;
    }
    char *lower = (char *)(nv + cap);
    nv[0] = req_nv(":method", 7, method, strlen(method), NGHTTP2_NV_FLAG_NONE);
    nv[1] = req_nv(":scheme", 7, scheme, sl_scheme.len, NGHTTP2_NV_FLAG_NONE);
    nv[2] = req_nv(":authority", 10, auth.ptr, auth.len, NGHTTP2_NV_FLAG_NONE);
    nv[3] = req_nv(":path", 5, path, sl_path.len, NGHTTP2_NV_FLAG_NONE);
    size_t k = 4;
    /* Then every field is checked (all of them, dropped or not; unless the caller
     * did already), its name lower-cased as it is checked. */
    for (size_t i = 0; i < n; i++) {
        httpx__slice_t nm = fields[i].name, v = fields[i].value;
        if (nm.len == 0)
            goto bad_name;
        if (checked) {
            req_lower(lower, nm.ptr, nm.len);
        } else {
            for (size_t j = 0; j < nm.len; j++) {
                unsigned char c = (unsigned char)nm.ptr[j];
                if (!req_tchar(c))
                    goto bad_name;
                lower[j] = (char)((unsigned)(c - 'A') < 26u ? c + ('a' - 'A') : c);
            }
        }
        if ((v.len && !v.ptr) || (!checked && !req_value_ok(v))) {
            httpx__free(a, *block);
            *block = NULL;
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "invalid value for field \"%.*s\"", (int)(nm.len > 64 ? 64 : nm.len),
                              nm.ptr);
        }
        if (req_dropped(fields, n, i, conn))
            continue;
        v = httpx__slice_trim(v);
        /* Credentials never enter the HPACK dynamic table (RFC 7541 7.1.3). */
        uint8_t flags = NGHTTP2_NV_FLAG_NONE;
        httpx__slice_t ln = httpx__slice(lower, nm.len);
        if ((nm.len == 13 && httpx__slice_eq(ln, HTTPX__SLICE_LIT("authorization"))) ||
            (nm.len == 19 && httpx__slice_eq(ln, HTTPX__SLICE_LIT("proxy-authorization"))))
            flags = NGHTTP2_NV_FLAG_NO_INDEX;
        nv[k++] = req_nv(lower, nm.len, v.len ? v.ptr : "", v.len, flags);
        lower += nm.len;
        continue;
    bad_name:
        httpx__free(a, *block);
        *block = NULL;
        return req_bad_name(err, nm);
    }
    *nva = nv;
    *nnv = k;
    return 0;
}
