/* url/encode.c — percent-encoding: normalising a component in place of the
 * caller's spelling, and the public httpx_percent_encode. */
#include <stdint.h>
#include <string.h>
#include "core/mem.h"
#include "httpx/error.h"
#include "url/internal.h"

static const char hex_upper[] = "0123456789ABCDEF";

static bool is_sub_delim(unsigned char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Bytes left as they are in `part`: RFC 3986 sets, plus what browsers and HTTPX
 * also leave alone ('[' ']' in path and query, '#' in a fragment) so that a URL
 * they accept is not rewritten. Everything else printable is encoded, not refused. */
static bool allowed(unsigned char c, httpx__url_part_t part)
{
    if (c >= 0x80)
        return false;
    if (httpx__url_unreserved(c) || is_sub_delim(c) || c == ':')
        return true;
    switch (part) {
    case HTTPX__URL_USERINFO:
        return false;
    case HTTPX__URL_PATH:
        return c == '@' || c == '/' || c == '[' || c == ']';
    case HTTPX__URL_QUERY:
        return c == '@' || c == '/' || c == '?' || c == '[' || c == ']';
    case HTTPX__URL_FRAGMENT:
        return c == '@' || c == '/' || c == '?' || c == '[' || c == ']' || c == '#';
    }
    return false;
}

static int put_escape(httpx__buf_t *out, unsigned char c)
{
    char e[3] = {'%', hex_upper[c >> 4], hex_upper[c & 15]};
    return httpx__buf_append(out, e, 3);
}

int httpx__url_norm_part(httpx__buf_t *out, const char *p, size_t n, httpx__url_part_t part)
{
    int rc = httpx__buf_reserve(out, n);
    if (rc)
        return rc;
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c != '%' && allowed(c, part))
            continue;
        if (i > run && (rc = httpx__buf_append(out, p + run, i - run)))
            return rc;
        run = i + 1;
        int hi, lo;
        if (c == '%' && i + 2 < n && (hi = httpx__url_hexval((unsigned char)p[i + 1])) >= 0 &&
            (lo = httpx__url_hexval((unsigned char)p[i + 2])) >= 0) {
            unsigned char v = (unsigned char)(hi << 4 | lo);
            rc = httpx__url_unreserved(v) ? httpx__buf_append(out, &v, 1) : put_escape(out, v);
            i += 2;
            run = i + 1;
        } else {
            rc = put_escape(out, c); /* includes a stray '%' as %25 */
        }
        if (rc)
            return rc;
    }
    return n > run ? httpx__buf_append(out, p + run, n - run) : 0;
}

int httpx_percent_encode(const char *in, size_t len, const char *safe,
                         const httpx_allocator_t *alloc, char **out)
{
    if (!out || (!in && len))
        return HTTPX_E_INVAL;
    *out = NULL;
    const httpx_allocator_t *a = httpx__alloc_or_default(alloc);
    if (len > (SIZE_MAX - 1) / 3)
        return HTTPX_E_NOMEM;
    size_t need = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        bool keep = httpx__url_unreserved(c) || (c && safe && strchr(safe, c));
        need += keep ? 1 : 3;
    }
    char *p = httpx__malloc(a, need), *w = p;
    if (!p)
        return HTTPX_E_NOMEM;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (httpx__url_unreserved(c) || (c && safe && strchr(safe, c))) {
            *w++ = (char)c;
        } else {
            *w++ = '%';
            *w++ = hex_upper[c >> 4];
            *w++ = hex_upper[c & 15];
        }
    }
    *w = '\0';
    *out = p;
    return 0;
}
