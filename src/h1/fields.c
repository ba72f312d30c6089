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

/* The end of the field-value octets in p[k, rem). Eight bytes at a time while
 * none is below 0x20 (CTL, also HTAB) or DEL (the "has less than" bit trick);
 * then byte by byte through the table, which also handles HTAB and the CR. */
static size_t fields_value_end(const char *p, size_t k, size_t rem)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (rem - k >= 8) {
        uint64_t x, d;
        memcpy(&x, p + k, 8);
        d = x ^ (ones * 0x7f);
        if ((((x - ones * 0x20) & ~x) | ((d - ones) & ~d)) & highs)
            break;
        k += 8;
    }
    while (k < rem && httpx__h1_is((unsigned char)p[k], HTTPX__H1_C_FVAL))
        k++;
    return k;
}

/* Parse one field line at p, with `rem` bytes left in the section. One pass: the
 * value scan stops at the first byte that is not a field-value octet, which must
 * be the CR of the line's CRLF; so no separate search for the line end. Sets
 * *used to the line's length including CRLF. */
static int fields_line(const char *p, size_t rem, httpx__h1_field_t *f, size_t *used,
                       httpx_phase_t phase, httpx_error_t *err)
{
    char b[8];
    if (p[0] == ' ' || p[0] == '\t')
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                          "field line starts with whitespace (obs-fold is not accepted)");
    size_t i = 0;
    while (i < rem && httpx__h1_is((unsigned char)p[i], HTTPX__H1_C_TCHAR))
        i++;
    if (i == rem || p[i] != ':') {
        const char *eol = memchr(p, '\r', rem);
        size_t line = eol ? (size_t)(eol - p) : rem;
        int shown = (int)(line > 40 ? 40 : line);
        size_t w = i;
        while (w < rem && (p[w] == ' ' || p[w] == '\t'))
            w++;
        if (w > i && w < rem && p[w] == ':')
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                              "whitespace between field name \"%.*s\" and colon", (int)i, p);
        if (i == rem || p[i] == '\r' || w > i)
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                              "field line \"%.*s\" has no colon after its name", shown, p);
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                          "invalid character %s in field name", fields_byte((unsigned char)p[i], b));
    }
    if (i == 0)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "empty field name");
    f->name = httpx__slice(p, i);
    /* The value: every byte must be VCHAR, obs-text, SP or HTAB; this also rejects
     * a bare CR, NUL and DEL. OWS on both sides is trimmed. */
    size_t v = i + 1;
    while (v < rem && (p[v] == ' ' || p[v] == '\t'))
        v++;
    size_t k = fields_value_end(p, v, rem);
    if (k == rem)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "field line without CRLF");
    if (p[k] != '\r' || k + 1 == rem || p[k + 1] != '\n') {
        if (p[k] == '\n')
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase,
                              "bare LF in field section (CRLF required)");
        /* A bare CR reads the same however the head arrived: head.c refuses it
         * with this message while the head is still incomplete. */
        if (p[k] == '\r')
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "bare CR in %s (CRLF required)",
                              phase == HTTPX_PHASE_READ_HEAD ? "response head" : "field section");
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, phase, "control byte in value of field \"%.*s\"",
                          (int)i, p);
    }
    size_t e = k;
    while (e > v && (p[e - 1] == ' ' || p[e - 1] == '\t'))
        e--;
    f->value = httpx__slice(p + v, e - v);
    *used = k + 2;
    return 0;
}

int httpx__h1_fields(const char *buf, size_t len, httpx__h1_field_t *fields, size_t max_fields,
                     httpx_phase_t phase, httpx_error_t *err)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        if (n == max_fields)
            return httpx__err(err, HTTPX_E_HEADER_LIMIT, phase, "more than %zu fields", max_fields);
        size_t used = 0;
        int rc = fields_line(buf + pos, len - pos, &fields[n], &used, phase, err);
        if (rc < 0)
            return rc;
        n++;
        pos += used;
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
