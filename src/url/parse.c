/* url/parse.c — split a reference into its components (RFC 3986 Appendix B) and
 * parse absolute URLs. Only splitting happens here; normalisation is in build.c. */
#include <string.h>
#include "core/err.h"
#include "core/mem.h"
#include "url/internal.h"

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool scheme_valid(const char *p, size_t n)
{
    if (n == 0 || !is_alpha((unsigned char)p[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
            return false;
    }
    return true;
}

/* Index of the first byte of p[from, n) that is in `set`, or n. */
static size_t span_until(const char *p, size_t from, size_t n, const char *set)
{
    while (from < n && !strchr(set, p[from]))
        from++;
    return from;
}

static int split_authority(const char *p, size_t n, httpx__url_ref_t *r, httpx_error_t *err)
{
    /* The last '@' ends the userinfo: an unencoded '@' in a password is common
     * enough that browsers accept it, and a host never holds one. */
    size_t h = 0;
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] == '@') {
            r->has_userinfo = true;
            r->userinfo = httpx__slice(p, i - 1);
            h = i;
            break;
        }
    }
    const char *hp = p + h;
    size_t hn = n - h, port_at = hn;
    if (hn && hp[0] == '[') {
        const char *close = memchr(hp, ']', hn);
        if (!close)
            return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                              "invalid ipv6 address \"%.*s\" in url (no closing \"]\")",
                              HTTPX__URL_QUOTE(hp, hn));
        size_t end = (size_t)(close - hp) + 1;
        if (end < hn && hp[end] != ':')
            return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                              "unexpected characters after ipv6 address in url authority \"%.*s\"",
                              HTTPX__URL_QUOTE(hp, hn));
        port_at = end;
    } else {
        const char *colon = memrchr(hp, ':', hn);
        if (colon)
            port_at = (size_t)(colon - hp);
    }
    r->host = httpx__slice(hp, port_at);
    if (port_at < hn) {
        r->has_port = true;
        r->port = httpx__slice(hp + port_at + 1, hn - port_at - 1);
    }
    return 0;
}

int httpx__url_split(const char *text, size_t len, httpx__url_ref_t *r, httpx_error_t *err)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                              "invalid non-printable character 0x%02x at position %zu in url",
                              c, i);
    }
    size_t i = 0;
    size_t k = span_until(text, 0, len, ":/?#");
    if (k < len && text[k] == ':' && scheme_valid(text, k)) {
        r->has_scheme = true;
        r->scheme = httpx__slice(text, k);
        i = k + 1;
    }
    if (len - i >= 2 && text[i] == '/' && text[i + 1] == '/') {
        size_t a = i + 2;
        i = span_until(text, a, len, "/?#");
        r->has_authority = true;
        int rc = split_authority(text + a, i - a, r, err);
        if (rc)
            return rc;
    }
    size_t p = i;
    i = span_until(text, i, len, "?#");
    r->path = httpx__slice(text + p, i - p);
    if (i < len && text[i] == '?') {
        size_t q = ++i;
        i = span_until(text, i, len, "#");
        r->has_query = true;
        r->query = httpx__slice(text + q, i - q);
    }
    if (i < len) { /* text[i] == '#' */
        r->has_fragment = true;
        r->fragment = httpx__slice(text + i + 1, len - i - 1);
    }
    return 0;
}

int httpx_url_parse(const char *text, const httpx_allocator_t *alloc, httpx_url_t **out,
                    httpx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!text || !out)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "httpx_url_parse: %s is NULL",
                          text ? "out" : "text");
    size_t len = strlen(text);
    if (len == 0)
        return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP, "empty url");
    if (len > HTTPX__URL_MAX_LEN)
        return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                          "url too long (%zu bytes, limit %u)", len, HTTPX__URL_MAX_LEN);
    httpx__url_ref_t r;
    int rc = httpx__url_split(text, len, &r, err);
    if (rc)
        return rc;
    if (!r.has_scheme) {
        size_t k = span_until(text, 0, len, ":/?#");
        if (k < len && text[k] == ':' && k > 0)
            return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                              "invalid scheme \"%.*s\" in url", HTTPX__URL_QUOTE(text, k));
        return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                          "missing scheme in url \"%.*s\" (expected \"http://\" or \"https://\")",
                          HTTPX__URL_QUOTE(text, len));
    }
    return httpx__url_build(&r, httpx__slice(text, len), httpx__alloc_or_default(alloc), out, err);
}
