/* h1/body.c — body framing: Content-Length and until-close here, chunked in
 * chunked.c. Payload is handed out as slices of the caller's input: no copy. */
#include "h1/internal.h"

void httpx__h1_body_init(httpx__h1_body_t *b, httpx__h1_framing_t framing,
                         uint64_t content_length, const httpx__h1_limits_t *limits)
{
    memset(b, 0, sizeof *b);
    b->framing = framing;
    /* The size line and the trailer section are head-like bytes: they get the
     * head's cap unless the caller tightens these fields after init. */
    b->max_line = limits->max_head_bytes;
    b->max_trailer_bytes = limits->max_head_bytes;
    switch (framing) {
    case HTTPX__H1_NO_BODY:
        b->done = true;
        break;
    case HTTPX__H1_LENGTH:
        b->remaining = content_length;
        b->done = content_length == 0;
        break;
    case HTTPX__H1_CHUNKED:
        b->state = HTTPX__H1_B_SIZE_START;
        break;
    case HTTPX__H1_UNTIL_CLOSE:
        break;
    }
}

int httpx__h1_body_feed(httpx__h1_body_t *b, const char *in, size_t len, size_t *consumed,
                        httpx__slice_t *data, httpx__slice_t *trailer, httpx_error_t *err)
{
    *consumed = 0;
    *data = httpx__slice(in, 0);
    *trailer = httpx__slice(in, 0);
    if (b->state == HTTPX__H1_B_FAILED)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_READ_BODY,
                          "response body framing already failed");
    if (b->done)
        return 1;
    switch (b->framing) {
    case HTTPX__H1_LENGTH: {
        size_t n = b->remaining < len ? (size_t)b->remaining : len;
        *data = httpx__slice(in, n);
        *consumed = n;
        b->remaining -= n;
        b->done = b->remaining == 0;
        return b->done;
    }
    case HTTPX__H1_UNTIL_CLOSE:
        *data = httpx__slice(in, len);
        *consumed = len;
        return 0;
    case HTTPX__H1_CHUNKED: {
        int rc = httpx__h1_chunked_feed(b, in, len, consumed, data, trailer, err);
        if (rc < 0)
            b->state = HTTPX__H1_B_FAILED;
        return rc;
    }
    case HTTPX__H1_NO_BODY:
        break;
    }
    return 1;
}

int httpx__h1_body_eof(httpx__h1_body_t *b, httpx_error_t *err)
{
    if (b->done)
        return 0;
    switch (b->framing) {
    case HTTPX__H1_UNTIL_CLOSE:
        b->done = true;
        return 0;
    case HTTPX__H1_LENGTH:
        return httpx__err(err, HTTPX_E_SERVER_DISCONNECTED, HTTPX_PHASE_READ_BODY,
                          "connection closed with %llu bytes of the body missing",
                          (unsigned long long)b->remaining);
    case HTTPX__H1_CHUNKED:
        return httpx__h1_chunked_eof(b, err);
    case HTTPX__H1_NO_BODY:
        break;
    }
    return 0;
}
