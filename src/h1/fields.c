/* h1/fields.c — field lines (RFC 9112 §5, RFC 9110 §5.5), shared by the head and
 * the trailer section. Strict: no obs-fold, no whitespace before the colon, no
 * control bytes in values, CRLF only. */
#include "h1/internal.h"

/* Print a byte for an error message: printable as is, else as 0xNN. */
static const char *fields_byte(unsigned char c, char out[8])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(out, 8, "'%c'", c);
    else
        snprintf(out, 8, "0x%02x", c);
    return out;
}

static int fields_line(const char *p, size_t n, httpx__h1_field_t *f, httpx_phase_t phase,
                       httpx_error_t *err)
{
    char b[8];
    if (n && (p[0] == ' ' || p[0] == '\t'))
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                          "field line starts with whitespace (obs-fold is not accepted)");
    size_t i = 0;
    while (i < n && httpx__h1_is((unsigned char)p[i], HTTPX__H1_C_TCHAR))
        i++;
    if (i == n)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "field line \"%.*s\" has no colon",
                          (int)(n > 40 ? 40 : n), p);
    if (p[i] != ':') {
        if (p[i] == ' ' || p[i] == '\t') {
            size_t w = i;
            while (w < n && (p[w] == ' ' || p[w] == '\t'))
                w++;
            if (w < n && p[w] == ':')
                return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                                  "whitespace between field name \"%.*s\" and colon", (int)i, p);
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                              "field line \"%.*s\" has no colon after its name",
                              (int)(n > 40 ? 40 : n), p);
        }
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                          "invalid character %s in field name", fields_byte((unsigned char)p[i], b));
    }
    if (i == 0)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "empty field name");
    f->name = httpx__slice(p, i);
    /* The value: every byte must be VCHAR, obs-text, SP or HTAB; this also rejects
     * a bare CR, NUL and DEL. OWS on both sides is trimmed. */
    size_t v = i + 1;
    while (v < n && (p[v] == ' ' || p[v] == '\t'))
        v++;
    size_t end = v;
    for (size_t k = v; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if (!httpx__h1_is(c, HTTPX__H1_C_FVAL))
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                              c == '\r' ? "bare CR in value of field \"%.*s\""
                                        : "control byte in value of field \"%.*s\"",
                              (int)i, p);
        if (c != ' ' && c != '\t')
            end = k + 1;
    }
    f->value = httpx__slice(p + v, end - v);
    return 0;
}

int httpx__h1_fields(const char *buf, size_t len, httpx__h1_field_t *fields, size_t max_fields,
                     httpx_phase_t phase, httpx_error_t *err)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        const char *lf = memchr(buf + pos, '\n', len - pos);
        if (!lf)
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "field line without CRLF");
        size_t end = (size_t)(lf - buf);
        if (end == pos || buf[end - 1] != '\r')
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                              "bare LF in field section (CRLF required)");
        if (n == max_fields)
            return httpx__err(err, HTTPX_E_HEADER_LIMIT, phase, "more than %zu fields", max_fields);
        int rc = fields_line(buf + pos, end - 1 - pos, &fields[n], phase, err);
        if (rc < 0)
            return rc;
        n++;
        pos = end + 1;
    }
    if (n > (size_t)INT32_MAX)
        return httpx__err(err, HTTPX_E_HEADER_LIMIT, phase, "too many fields");
    return (int)n;
}

int httpx__h1_parse_fields(const char *buf, size_t len, httpx__h1_field_t *fields,
                           size_t max_fields, httpx_error_t *err)
{
    return httpx__h1_fields(buf, len, fields, max_fields, HTTPX_PHASE_READ_BODY, err);
}
