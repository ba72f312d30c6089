/* h1/head.c — the response head: find its end, then parse the status line and
 * hand the field lines to fields.c and the framing rules to framing.c.
 *
 * Two passes, each linear. The first looks only for the end of the head (an LF
 * preceded by "\r\n\r"), resuming at *scan, so a head that arrives in many reads
 * is scanned once in total; it also rejects a bare LF or CR as soon as seen. The
 * second runs once, over a complete head, so it needs no resumable state. */
#include "h1/internal.h"

#define HEAD_PHASE HTTPX_PHASE_READ_HEAD

/* The first bytes must be "HTTP/": checked on every call (at most five bytes), so
 * a peer that is not speaking HTTP is refused before max_head_bytes of it are read. */
static int head_prefix(const char *buf, size_t len, httpx_error_t *err)
{
    static const char want[] = "HTTP/";
    size_t n = len < 5 ? len : 5;
    if (memcmp(buf, want, n) != 0)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                          "response does not start with \"HTTP/\"");
    return 0;
}

static bool head_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 §4)
 * HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
 * Choices, strict but practical:
 *  - "HTTP/1.1 200" without the SP before an empty reason is accepted: RFC 9112
 *    §4 tells clients to ignore the reason, and such servers exist. Anything else
 *    after the status code (extra SP before it, a fourth digit) is refused.
 *  - HTTP/1.x with x > 1 is read as HTTP/1.1 (RFC 9110 §2.5: process as the
 *    highest minor version we implement). Any other major version is refused.
 *  - status codes 100..999 are accepted (the contract's range); 000..099 are not. */
static int head_status_line(const char *p, size_t n, httpx__h1_head_t *head, httpx_error_t *err)
{
    int rc = head_prefix(p, n, err);
    if (rc < 0)
        return rc;
    if (n < 8 || !head_digit(p[5]) || p[6] != '.' || !head_digit(p[7]))
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                          "malformed HTTP version in status line");
    if (p[5] != '1')
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                          "unsupported HTTP version \"%.8s\"", p);
    head->minor_version = p[7] == '0' ? 0 : 1;
    if (n < 12 || p[8] != ' ' || !head_digit(p[9]) || !head_digit(p[10]) || !head_digit(p[11]) ||
        (n > 12 && p[12] != ' '))
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                          "malformed status code in status line");
    head->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (head->status < 100)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE, "invalid status code %03d",
                          head->status);
    size_t r = n > 12 ? 13 : 12;
    for (size_t k = r; k < n; k++)
        if (!httpx__h1_is((unsigned char)p[k], HTTPX__H1_C_FVAL))
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                              p[k] == '\r' ? "bare CR in response head (CRLF required)"
                                           : "control byte in reason phrase");
    head->reason = httpx__slice(p + r, n - r);
    return 0;
}

/* Look for the end of the head in buf[*scan, lim). Returns the head length, 0 if
 * not found yet (*scan advanced), or < 0. */
static int head_find_end(const char *buf, size_t lim, size_t *scan, size_t *end,
                         httpx_error_t *err)
{
    size_t pos = *scan;
    while (pos < lim) {
        const char *lf = memchr(buf + pos, '\n', lim - pos);
        /* A CR anywhere but right before an LF is a bare CR: refused on arrival,
         * not after the server has made us wait for a CRLF CRLF that never comes. */
        size_t stop = lf ? (size_t)(lf - buf) : lim;
        size_t cr_room = stop > pos ? stop - pos - 1 : 0; /* the byte before the LF may be CR */
        if (!lf && stop > pos && buf[stop - 1] != '\r')
            cr_room++;
        if (cr_room && memchr(buf + pos, '\r', cr_room))
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                              "bare CR in response head (CRLF required)");
        if (!lf) {
            pos = stop > pos && buf[stop - 1] == '\r' ? stop - 1 : stop; /* a CR waiting for its LF */
            break;
        }
        size_t i = stop;
        /* RFC 9112 §2.2 lets a recipient accept a bare LF as a line end; we do not,
         * because a parser that disagrees with a proxy about line ends is the
         * classic request/response smuggling shape. */
        if (i == 0 || buf[i - 1] != '\r')
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HEAD_PHASE,
                              "bare LF in response head (CRLF required)");
        if (i >= 2 && buf[i - 2] == '\n') {
            *end = i + 1;
            return 1;
        }
        pos = i + 1;
    }
    *scan = pos;
    return 0;
}

static int parse_head(const char *buf, size_t len, size_t *scan, const char *request_method,
                      const httpx__h1_limits_t *limits, httpx__h1_field_t *fields,
                      httpx__h1_head_t *head, httpx_error_t *err)
{
    if (len == 0)
        return 0;
    int rc = head_prefix(buf, len, err);
    if (rc < 0)
        return rc;
    size_t max = limits->max_head_bytes;
    size_t lim = len < max ? len : max;
    if (*scan > lim) /* a caller that shrank the buffer: start over rather than skip */
        *scan = 0;
    size_t end = 0;
    rc = head_find_end(buf, lim, scan, &end, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (len >= max)
            return httpx__err(err, HTTPX_E_HEADER_LIMIT, HEAD_PHASE,
                              "response head larger than %zu bytes", max);
        return 0;
    }
    if (end > (size_t)INT32_MAX)
        return httpx__err(err, HTTPX_E_HEADER_LIMIT, HEAD_PHASE, "response head too large");

    memset(head, 0, sizeof *head);
    const char *lf = memchr(buf, '\n', end); /* found: the end has at least one */
    size_t sl_end = (size_t)(lf - buf) + 1;
    rc = head_status_line(buf, sl_end - 2, head, err);
    if (rc < 0)
        return rc;
    /* The field lines lie between the status line and the final empty line. */
    rc = httpx__h1_fields(buf + sl_end, end - 2 - sl_end, fields, limits->max_fields, HEAD_PHASE,
                          err);
    if (rc < 0)
        return rc;
    head->fields = fields;
    head->nfields = (size_t)rc;
    rc = httpx__h1_framing(head, request_method, err);
    if (rc < 0)
        return rc;
    return (int)end;
}

int httpx__h1_parse_head(const char *buf, size_t len, size_t *scan, const char *request_method,
                         const httpx__h1_limits_t *limits, httpx__h1_field_t *fields,
                         httpx__h1_head_t *head, httpx_error_t *err)
{
    int rc = parse_head(buf, len, scan, request_method, limits, fields, head, err);
    /* A refused head leaves nothing half-parsed (a status read before the fault
     * was found), so the outcome is the same however the bytes arrived. */
    if (rc < 0)
        memset(head, 0, sizeof *head);
    return rc;
}
