/* auth/basic.c — Basic and Bearer Authorization values, and base64. */
#include <string.h>
#include "auth/auth.h"
#include "httpx/error.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int httpx__base64_encode(const void *p, size_t n, httpx__buf_t *out)
{
    const unsigned char *s = p;
    if (n > ((size_t)-1 / 4) * 3 - 3)
        return HTTPX_E_INVAL;
    size_t need = (n + 2) / 3 * 4;
    int rc = httpx__buf_reserve(out, need);
    if (rc)
        return rc;
    char *d = httpx__buf_tail(out);
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        *d++ = b64_alphabet[v >> 18];
        *d++ = b64_alphabet[(v >> 12) & 63];
        *d++ = b64_alphabet[(v >> 6) & 63];
        *d++ = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)s[i] << 16;
        *d++ = b64_alphabet[v >> 18];
        *d++ = b64_alphabet[(v >> 12) & 63];
        *d++ = '=';
        *d++ = '=';
    } else if (n - i == 2) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
        *d++ = b64_alphabet[v >> 18];
        *d++ = b64_alphabet[(v >> 12) & 63];
        *d++ = b64_alphabet[(v >> 6) & 63];
        *d++ = '=';
    }
    httpx__buf_commit(out, need);
    return 0;
}

static bool has_ctl(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

int httpx__auth_basic(const char *user, const char *pass, httpx__buf_t *out)
{
    if (!user || !pass || !out)
        return HTTPX_E_INVAL;
    if (strchr(user, ':') || has_ctl(user) || has_ctl(pass))
        return HTTPX_E_INVAL;
    size_t ul = strlen(user), pl = strlen(pass);
    size_t before = httpx__buf_size(out);
    int rc = httpx__buf_append(out, "Basic ", 6);
    /* The credentials are encoded in three-byte groups straight from the two
     * strings, so "user:pass" is never assembled in memory. */
    unsigned char group[3];
    size_t g = 0, total = ul + 1 + pl;
    for (size_t i = 0; rc == 0 && i < total; i++) {
        group[g++] = (unsigned char)(i < ul ? user[i] : i == ul ? ':' : pass[i - ul - 1]);
        if (g == 3 || i + 1 == total) {
            rc = httpx__base64_encode(group, g, out);
            g = 0;
        }
    }
    explicit_bzero(group, sizeof group);
    if (rc) {
        out->len = out->off + before; /* reserve may have compacted: off moved */
        if (out->data)
            out->data[out->len] = '\0';
    }
    return rc;
}

int httpx__auth_bearer(const char *token, httpx__buf_t *out)
{
    if (!token || !out || !*token)
        return HTTPX_E_INVAL;
    for (const char *s = token; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f)
            return HTTPX_E_INVAL;
    }
    int rc = httpx__buf_append(out, "Bearer ", 7);
    return rc ? rc : httpx__buf_append_str(out, token);
}
