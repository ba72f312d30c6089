/* client/response_text.c — the body as UTF-8 text: charset from Content-Type
 * (UTF-8 when absent, as HTTPX), converted with iconv; invalid sequences become
 * U+FFFD rather than failing, so text() always gives something printable. */
#include <errno.h>
#include <stdio.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include "client/response.h"
#include "core/mem.h"

/* Find charset=... in a Content-Type value; copies it into out (lower case). */
static void charset_of(const char *ct, char *out, size_t cap)
{
    out[0] = '\0';
    if (!ct)
        return;
    const char *p = ct;
    while ((p = strchr(p, ';'))) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "charset=", 8) != 0)
            continue;
        p += 8;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        size_t n = 0;
        while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t' && p[n] != '"' && n + 1 < cap) {
            out[n] = (char)((p[n] >= 'A' && p[n] <= 'Z') ? p[n] + 32 : p[n]);
            n++;
        }
        out[n] = '\0';
        return;
    }
}

static bool is_utf8(const char *cs)
{
    return !cs[0] || strcmp(cs, "utf-8") == 0 || strcmp(cs, "utf8") == 0 || strcmp(cs, "us-ascii") == 0 ||
           strcmp(cs, "ascii") == 0;
}

/* Length of a valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    uint32_t cp = len == 2 ? (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu)
                : len == 3 ? (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu)
                           : (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
    /* overlong forms, surrogates and beyond U+10FFFF are invalid */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return len;
}

static int sanitize_utf8(httpx__buf_t *out, const char *in, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        size_t s;
        while (i < len && (s = utf8_seq(p + i, len - i)) != 0 && !(s == 1 && p[i] == 0))
            i += s;
        if (i > start && httpx__buf_append(out, in + start, i - start))
            return HTTPX_E_NOMEM;
        if (i < len) {
            if (httpx__buf_append(out, "\xEF\xBF\xBD", 3))
                return HTTPX_E_NOMEM;
            i++;
        }
    }
    return 0;
}

static int convert(httpx__buf_t *out, const char *cs, const char *in, size_t len)
{
    iconv_t cd = iconv_open("UTF-8", cs);
    if (cd == (iconv_t)-1)
        return 1; /* unknown charset: the caller falls back to UTF-8 */
    char *src = (char *)in;
    size_t left = len;
    int rc = 0;
    while (left && !rc) {
        if ((rc = httpx__buf_reserve(out, left * 4 + 16)))
            break;
        char *dst = httpx__buf_tail(out);
        size_t room = httpx__buf_room(out);
        size_t before = room;
        size_t r = iconv(cd, &src, &left, &dst, &room);
        httpx__buf_commit(out, before - room);
        if (r == (size_t)-1 && (errno == EILSEQ || errno == EINVAL)) {
            src++;
            left--;
            rc = httpx__buf_append(out, "\xEF\xBF\xBD", 3);
        }
    }
    iconv_close(cd);
    return rc;
}

const char *httpx_response_encoding(const httpx_response_t *r)
{
    if (!r)
        return "utf-8";
    if (!r->encoding[0]) {
        httpx_response_t *m = (httpx_response_t *)r; /* cached on first use */
        charset_of(httpx_headers_get(r->headers, "Content-Type"), m->encoding, sizeof m->encoding);
        if (!m->encoding[0])
            snprintf(m->encoding, sizeof m->encoding, "utf-8");
    }
    return r->encoding;
}

const char *httpx_response_text(httpx_response_t *r)
{
    if (!r)
        return "";
    if (r->text)
        return r->text;
    const void *data;
    size_t len;
    if (httpx_response_content(r, &data, &len) != 0)
        return "";
    const char *cs = httpx_response_encoding(r);
    httpx__buf_t out;
    httpx__buf_init(&out, r->a, 0);
    int rc = is_utf8(cs) ? sanitize_utf8(&out, data, len) : convert(&out, cs, data, len);
    if (rc == 1) {
        httpx__buf_reset(&out);
        rc = sanitize_utf8(&out, data, len);
    }
    if (rc) {
        httpx__buf_release(&out);
        return "";
    }
    r->text = httpx__buf_detach(&out, NULL);
    return r->text ? r->text : "";
}
