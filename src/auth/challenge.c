/* auth/challenge.c — a zero-copy cursor over WWW-Authenticate / Proxy-Authenticate
 * values (RFC 9110 §11.6.1):
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * The list is ambiguous only in where one challenge's params end: after a comma,
 * an element of the form `token BWS "="` is another param, anything else starts
 * the next challenge. Empty list elements are skipped, as recipients must. */
#include "auth/auth.h"
#include "core/err.h"

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

static bool is_t68char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

static size_t skip_ows(const httpx__auth_cursor_t *c, size_t i)
{
    while (i < c->n && (c->p[i] == ' ' || c->p[i] == '\t'))
        i++;
    return i;
}

static size_t scan_token(const httpx__auth_cursor_t *c, size_t i)
{
    while (i < c->n && is_tchar((unsigned char)c->p[i]))
        i++;
    return i;
}

/* Skip OWS and any run of commas (empty list elements) from i. */
static size_t skip_separators(const httpx__auth_cursor_t *c, size_t i)
{
    for (;;) {
        i = skip_ows(c, i);
        if (i < c->n && c->p[i] == ',')
            i++;
        else
            return i;
    }
}

/* 1 if an element starting at i is an auth-param: token BWS "=". */
static bool param_ahead(const httpx__auth_cursor_t *c, size_t i)
{
    size_t e = scan_token(c, i);
    if (e == i)
        return false;
    e = skip_ows(c, e);
    return e < c->n && c->p[e] == '=';
}

static int malformed(const httpx__auth_cursor_t *c, size_t at, const char *what, httpx_error_t *err)
{
    return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_READ_HEAD,
                      "authentication challenge: %s at offset %zu", what, at);
}

void httpx__auth_cursor_init(httpx__auth_cursor_t *c, const char *p, size_t n)
{
    c->p = p;
    c->n = p ? n : 0;
    c->pos = 0;
    c->in_params = false;
    c->had_param = false;
}

int httpx__auth_next_challenge(httpx__auth_cursor_t *c, httpx__slice_t *scheme,
                               httpx__slice_t *token68, httpx_error_t *err)
{
    httpx__slice_t n, v;
    bool q;
    int rc;
    while (c->in_params)
        if ((rc = httpx__auth_next_param(c, &n, &v, &q, err)) < 0)
            return rc;
        else if (rc == 0)
            break;
    *scheme = *token68 = httpx__slice(NULL, 0);
    size_t i = skip_separators(c, c->pos);
    c->pos = i;
    if (i == c->n)
        return 0;
    size_t e = scan_token(c, i);
    if (e == i)
        return malformed(c, i, "expected an auth-scheme", err);
    size_t after = skip_ows(c, e);
    if (after < c->n && c->p[after] == '=')
        return malformed(c, i, "auth-param outside a challenge", err);
    *scheme = httpx__slice(c->p + i, e - i);
    if (after == c->n || c->p[after] == ',') {
        c->pos = after;
        /* "Digest , realm=a": empty list elements before the first param */
        c->in_params = after < c->n && param_ahead(c, skip_separators(c, after));
        c->had_param = false;
        return 1;
    }
    if (after == e)
        return malformed(c, e, "expected a space after the auth-scheme", err);
    /* token68, when followed only by OWS and the end or a comma */
    size_t t = after;
    while (t < c->n && is_t68char((unsigned char)c->p[t]))
        t++;
    size_t t_end = t;
    if (t > after)
        while (t_end < c->n && c->p[t_end] == '=')
            t_end++;
    size_t t_next = skip_ows(c, t_end);
    if (t > after && (t_next == c->n || c->p[t_next] == ',')) {
        *token68 = httpx__slice(c->p + after, t_end - after);
        c->pos = t_next;
        return 1;
    }
    c->pos = after;
    c->in_params = true;
    c->had_param = false;
    return 1;
}

int httpx__auth_next_param(httpx__auth_cursor_t *c, httpx__slice_t *name, httpx__slice_t *value,
                           bool *quoted, httpx_error_t *err)
{
    *name = *value = httpx__slice(NULL, 0);
    *quoted = false;
    if (!c->in_params)
        return 0;
    size_t i = skip_ows(c, c->pos);
    if (c->had_param || (i < c->n && c->p[i] == ',')) {
        if (i < c->n && c->p[i] != ',')
            return malformed(c, i, "expected ',' between auth-params", err);
        i = skip_separators(c, i);
        if (i == c->n || !param_ahead(c, i)) {
            c->pos = i; /* the end, or the next challenge */
            c->in_params = false;
            return 0;
        }
    }
    size_t e = scan_token(c, i);
    if (e == i)
        return malformed(c, i, "expected an auth-param name", err);
    *name = httpx__slice(c->p + i, e - i);
    i = skip_ows(c, e);
    if (i == c->n || c->p[i] != '=')
        return malformed(c, i, "expected '=' after an auth-param name", err);
    i = skip_ows(c, i + 1);
    if (i < c->n && c->p[i] == '"') {
        size_t s = ++i;
        for (;;) {
            if (i == c->n)
                return malformed(c, s - 1, "unterminated quoted-string", err);
            unsigned char ch = (unsigned char)c->p[i];
            if (ch == '"')
                break;
            if (ch == '\\') {
                if (i + 1 == c->n)
                    return malformed(c, i, "unterminated quoted-string", err);
                ch = (unsigned char)c->p[++i];
            }
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return malformed(c, i, "control character in a quoted-string", err);
            i++;
        }
        *value = httpx__slice(c->p + s, i - s);
        *quoted = true;
        i++;
    } else {
        e = scan_token(c, i);
        if (e == i)
            return malformed(c, i, "auth-param without a value", err);
        *value = httpx__slice(c->p + i, e - i);
        i = e;
    }
    c->pos = i;
    c->had_param = true;
    return 1;
}

int httpx__auth_unquote(httpx__slice_t v, bool quoted, httpx__buf_t *out)
{
    if (!quoted)
        return httpx__buf_append(out, v.ptr, v.len);
    int rc = httpx__buf_reserve(out, v.len);
    if (rc)
        return rc;
    char *d = httpx__buf_tail(out);
    size_t k = 0;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] == '\\' && i + 1 < v.len)
            i++;
        d[k++] = v.ptr[i];
    }
    httpx__buf_commit(out, k);
    return 0;
}
