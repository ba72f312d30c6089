/* h1/chunked.c — the chunked transfer coding (RFC 9112 §7.1), decoded byte by
 * byte only on the short size and trailer lines; chunk data is passed through as
 * one slice per call. Every state survives any split of the input. */
#include "h1/internal.h"

#define CH_PHASE HTTPX_PHASE_READ_BODY

static int ch_fail(httpx_error_t *err, unsigned char c, const char *where)
{
    if (c > 0x20 && c < 0x7f)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                          "invalid character '%c' in %s", c, where);
    return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE, "invalid byte 0x%02x in %s", c,
                      where);
}

static unsigned ch_hex(unsigned char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* One byte of the chunk-size line:
 *   chunk-size [ chunk-ext ] CRLF
 *   chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
 * Extensions are checked and skipped (we define none). Whitespace is allowed only
 * where BWS is; "5 \r\n" is refused. Returns 0 or < 0. */
static int ch_size_byte(httpx__h1_body_t *b, unsigned char c, httpx_error_t *err)
{
    static const char where[] = "chunk size line";
    bool ws = c == ' ' || c == '\t';
    bool tchar = httpx__h1_is(c, HTTPX__H1_C_TCHAR);
    switch (b->state) {
    case HTTPX__H1_B_SIZE_START:
        if (!httpx__h1_is(c, HTTPX__H1_C_HEX))
            return c == '\r' ? httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE, "empty chunk size")
                             : ch_fail(err, c, where);
        b->remaining = ch_hex(c);
        b->state = HTTPX__H1_B_SIZE;
        return 0;
    case HTTPX__H1_B_SIZE:
        if (httpx__h1_is(c, HTTPX__H1_C_HEX)) {
            if (b->remaining > (UINT64_MAX >> 4))
                return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                                  "chunk size overflows 64 bits");
            b->remaining = (b->remaining << 4) | ch_hex(c);
            return 0;
        }
        break;
    case HTTPX__H1_B_EXT_PRE_SEMI:
        if (ws)
            return 0;
        if (c == ';') {
            b->state = HTTPX__H1_B_EXT_NAME_BWS;
            return 0;
        }
        if (c == '\r')
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                              "whitespace at the end of a chunk size line");
        return ch_fail(err, c, where);
    case HTTPX__H1_B_EXT_NAME_BWS:
        if (ws)
            return 0;
        if (tchar) {
            b->state = HTTPX__H1_B_EXT_NAME;
            return 0;
        }
        return ch_fail(err, c, where);
    case HTTPX__H1_B_EXT_NAME:
        if (tchar)
            return 0;
        if (ws) {
            b->state = HTTPX__H1_B_EXT_POST_NAME;
            return 0;
        }
        if (c == '=') {
            b->state = HTTPX__H1_B_EXT_VAL_BWS;
            return 0;
        }
        break;
    case HTTPX__H1_B_EXT_POST_NAME:
        if (ws)
            return 0;
        if (c == '=') {
            b->state = HTTPX__H1_B_EXT_VAL_BWS;
            return 0;
        }
        if (c == ';') {
            b->state = HTTPX__H1_B_EXT_NAME_BWS;
            return 0;
        }
        return ch_fail(err, c, where);
    case HTTPX__H1_B_EXT_VAL_BWS:
        if (ws)
            return 0;
        if (c == '"') {
            b->state = HTTPX__H1_B_EXT_QSTR;
            return 0;
        }
        if (tchar) {
            b->state = HTTPX__H1_B_EXT_TOKEN;
            return 0;
        }
        return ch_fail(err, c, where);
    case HTTPX__H1_B_EXT_TOKEN:
        if (tchar)
            return 0;
        b->state = HTTPX__H1_B_EXT_POST_VAL;
        break;
    case HTTPX__H1_B_EXT_QSTR:
        if (c == '"')
            b->state = HTTPX__H1_B_EXT_POST_VAL;
        else if (c == '\\')
            b->state = HTTPX__H1_B_EXT_QPAIR;
        else if (!httpx__h1_is(c, HTTPX__H1_C_QDTEXT))
            return ch_fail(err, c, "quoted chunk extension");
        return 0;
    case HTTPX__H1_B_EXT_QPAIR:
        if (!httpx__h1_is(c, HTTPX__H1_C_FVAL))
            return ch_fail(err, c, "quoted chunk extension");
        b->state = HTTPX__H1_B_EXT_QSTR;
        return 0;
    case HTTPX__H1_B_EXT_POST_VAL:
        break;
    default:
        return ch_fail(err, c, where);
    }
    /* What may follow a size, a name or a value: BWS before ";", ";" or the CR. */
    if (ws)
        b->state = HTTPX__H1_B_EXT_PRE_SEMI;
    else if (c == ';')
        b->state = HTTPX__H1_B_EXT_NAME_BWS;
    else if (c == '\r')
        b->state = HTTPX__H1_B_SIZE_LF;
    else
        return ch_fail(err, c, where);
    return 0;
}

/* Inside a trailer line: run to its LF with memchr. Returns 0, or < 0. */
static int ch_trailer_line(httpx__h1_body_t *b, const char *in, size_t len, size_t *i,
                           httpx_error_t *err)
{
    const char *lf = memchr(in + *i, '\n', len - *i);
    size_t stop = lf ? (size_t)(lf - in) + 1 : len;
    size_t n = stop - *i;
    /* Limits first, as if counted byte by byte, so the result does not depend on
     * how the input was split. */
    if (n > b->max_line - b->line_len || n > b->max_trailer_bytes - b->trailer_bytes)
        return httpx__err(err, HTTPX_E_HEADER_LIMIT, CH_PHASE,
                          n > b->max_line - b->line_len ? "trailer line longer than %zu bytes"
                                                        : "trailer section larger than %zu bytes",
                          n > b->max_line - b->line_len ? b->max_line : b->max_trailer_bytes);
    b->line_len += n;
    b->trailer_bytes += n;
    if (lf) {
        bool cr = stop - *i >= 2 ? in[stop - 2] == '\r' : b->state == HTTPX__H1_B_TRAILER_CR;
        if (!cr)
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                              "bare LF in trailer section (CRLF required)");
        b->state = HTTPX__H1_B_TRAILER_START;
    } else {
        b->state = in[len - 1] == '\r' ? HTTPX__H1_B_TRAILER_CR : HTTPX__H1_B_TRAILER_LINE;
    }
    *i = stop;
    return 0;
}

int httpx__h1_chunked_feed(httpx__h1_body_t *b, const char *in, size_t len, size_t *consumed,
                           httpx__slice_t *data, httpx__slice_t *trailer, httpx_error_t *err)
{
    size_t i = 0;
    size_t tstart = SIZE_MAX, tend = 0; /* trailer bytes seen in this call */
    int rc;
    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        switch (b->state) {
        case HTTPX__H1_B_DATA: {
            size_t n = b->remaining < len - i ? (size_t)b->remaining : len - i;
            *data = httpx__slice(in + i, n);
            b->remaining -= n;
            if (b->remaining == 0)
                b->state = HTTPX__H1_B_DATA_CR;
            *consumed = i + n;
            return 0;
        }
        case HTTPX__H1_B_DATA_CR:
        case HTTPX__H1_B_DATA_LF:
            if (c != (b->state == HTTPX__H1_B_DATA_CR ? '\r' : '\n'))
                return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                                  "chunk data not followed by CRLF");
            b->state = b->state == HTTPX__H1_B_DATA_CR ? HTTPX__H1_B_DATA_LF
                                                       : HTTPX__H1_B_SIZE_START;
            b->line_len = 0;
            i++;
            break;
        case HTTPX__H1_B_SIZE_LF:
            if (c != '\n')
                return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                                  "bare CR in chunk size line");
            i++;
            b->line_len = 0;
            b->state = b->remaining ? HTTPX__H1_B_DATA : HTTPX__H1_B_TRAILER_START;
            break;
        case HTTPX__H1_B_TRAILER_START:
            b->line_len = 0;
            if (c == '\r') {
                if (b->trailer_bytes + 2 > b->max_trailer_bytes) /* same rule as the lines */
                    return httpx__err(err, HTTPX_E_HEADER_LIMIT, CH_PHASE,
                                      "trailer section larger than %zu bytes",
                                      b->max_trailer_bytes);
                b->state = HTTPX__H1_B_FINAL_LF;
                i++;
                break;
            }
            b->state = HTTPX__H1_B_TRAILER_LINE; /* same byte, next round */
            break;
        case HTTPX__H1_B_TRAILER_LINE:
        case HTTPX__H1_B_TRAILER_CR:
            if (tstart == SIZE_MAX)
                tstart = i;
            rc = ch_trailer_line(b, in, len, &i, err);
            if (rc < 0)
                return rc;
            tend = i;
            break;
        case HTTPX__H1_B_FINAL_LF:
            if (c != '\n')
                return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, CH_PHASE,
                                  "bare CR ending the trailer section");
            if (tstart != SIZE_MAX)
                *trailer = httpx__slice(in + tstart, tend - tstart);
            b->done = true;
            *consumed = i + 1;
            return 1;
        default:
            /* the chunk-size line, one byte at a time */
            if (++b->line_len > b->max_line)
                return httpx__err(err, HTTPX_E_HEADER_LIMIT, CH_PHASE,
                                  "chunk size line longer than %zu bytes", b->max_line);
            rc = ch_size_byte(b, c, err);
            if (rc < 0)
                return rc;
            i++;
            break;
        }
    }
    if (tstart != SIZE_MAX)
        *trailer = httpx__slice(in + tstart, tend - tstart);
    *consumed = len;
    return 0;
}

int httpx__h1_chunked_eof(httpx__h1_body_t *b, httpx_error_t *err)
{
    if (b->state == HTTPX__H1_B_DATA)
        return httpx__err(err, HTTPX_E_SERVER_DISCONNECTED, CH_PHASE,
                          "connection closed with %llu bytes of a chunk missing",
                          (unsigned long long)b->remaining);
    if (b->state >= HTTPX__H1_B_TRAILER_START)
        return httpx__err(err, HTTPX_E_SERVER_DISCONNECTED, CH_PHASE,
                          "connection closed inside the trailer section");
    return httpx__err(err, HTTPX_E_SERVER_DISCONNECTED, CH_PHASE,
                      "connection closed before the last chunk");
}
