/* h1/framing.c — how long the body is and whether the connection survives it
 * (RFC 9112 §6.1, §6.3, §9.3). Ambiguity is an error, never a guess: these are the
 * rules where a client that guesses differently from a proxy gets desynchronised. */
#include "h1/internal.h"

#define FRAME_PHASE HTTPX_PHASE_READ_HEAD

/* Split a comma-separated list value and call `fn` on each element, OWS trimmed.
 * Empty elements are passed too (len 0); each caller decides about them. */
typedef int (*frame_elem_fn)(httpx__slice_t elem, void *ctx, httpx_error_t *err);

static int frame_list(httpx__slice_t v, frame_elem_fn fn, void *ctx, httpx_error_t *err)
{
    const char *p = v.ptr, *end = v.ptr + v.len;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        int rc = fn(httpx__slice_trim(httpx__slice(p, (size_t)(stop - p))), ctx, err);
        if (rc < 0)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

struct frame_cl {
    bool seen;
    uint64_t value;
};

/* Content-Length = 1*DIGIT (RFC 9110 §8.6). A list of identical values ("5, 5",
 * or the same value in several fields) is accepted as that value, as §8.6 allows;
 * differing values, empty elements, signs, non-digits and overflow are errors. */
static int frame_cl_elem(httpx__slice_t e, void *ctx, httpx_error_t *err)
{
    struct frame_cl *cl = ctx;
    if (e.len == 0)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                          "empty value in Content-Length");
    uint64_t v = 0;
    for (size_t i = 0; i < e.len; i++) {
        unsigned d = (unsigned)(unsigned char)e.ptr[i] - '0';
        if (d > 9)
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                              "invalid Content-Length \"%.*s\"", (int)(e.len > 40 ? 40 : e.len),
                              e.ptr);
        if (v > (UINT64_MAX - d) / 10)
            return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                              "value of Content-Length overflows 64 bits");
        v = v * 10 + d;
    }
    if (cl->seen && cl->value != v)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                          "conflicting Content-Length values %llu and %llu",
                          (unsigned long long)cl->value, (unsigned long long)v);
    cl->seen = true;
    cl->value = v;
    return 0;
}

struct frame_te {
    size_t codings;  /* non-empty elements seen */
    bool chunked;    /* the only coding so far is "chunked" */
};

/* Transfer-Encoding (RFC 9112 §6.1). We decode exactly one coding, "chunked", and
 * it must be the only one: RFC 9112 §6.3 would have us read a non-chunked final
 * coding until close, but that body would still be transfer-coded and we cannot
 * decode it, so it is an error; "chunked, chunked" breaks §6.1's "MUST NOT apply
 * chunked more than once"; parameters on chunked are not defined. Empty list
 * elements are ignored, as RFC 9110 §5.6.1.2 requires of recipients. */
static int frame_te_elem(httpx__slice_t e, void *ctx, httpx_error_t *err)
{
    struct frame_te *te = ctx;
    if (e.len == 0)
        return 0;
    if (!httpx__slice_ieq_cstr(e, "chunked"))
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                          "unsupported transfer coding \"%.*s\"", (int)(e.len > 40 ? 40 : e.len),
                          e.ptr);
    if (te->codings)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                          "chunked transfer coding applied more than once");
    te->codings++;
    te->chunked = true;
    return 0;
}

struct frame_conn {
    bool close;
    bool keep_alive;
};

/* Connection options are case-insensitive tokens (RFC 9110 §7.6.1). */
static int frame_conn_elem(httpx__slice_t e, void *ctx, httpx_error_t *err)
{
    struct frame_conn *c = ctx;
    (void)err;
    if (httpx__slice_ieq_cstr(e, "close"))
        c->close = true;
    else if (httpx__slice_ieq_cstr(e, "keep-alive"))
        c->keep_alive = true;
    return 0;
}

/* Responses that never have content, whatever their fields say (RFC 9110 §6.4.1,
 * RFC 9112 §6.3 rules 1 and 2). */
static bool frame_no_content(int status, const char *method)
{
    if (status < 200 || status == 204 || status == 304)
        return true;
    if (method && strcmp(method, "HEAD") == 0)
        return true;
    return method && strcmp(method, "CONNECT") == 0 && status < 300;
}

int httpx__h1_framing(httpx__h1_head_t *head, const char *request_method, httpx_error_t *err)
{
    struct frame_cl cl = {0};
    struct frame_te te = {0};
    struct frame_conn conn = {0};
    bool has_te = false;
    for (size_t i = 0; i < head->nfields; i++) {
        const httpx__h1_field_t *f = &head->fields[i];
        int rc = 0;
        /* Compare lengths first: almost every field is rejected by that alone. */
        switch (f->name.len) {
        case 10:
            if (httpx__slice_ieq_cstr(f->name, "connection"))
                rc = frame_list(f->value, frame_conn_elem, &conn, err);
            break;
        case 14:
            if (httpx__slice_ieq_cstr(f->name, "content-length"))
                rc = frame_list(f->value, frame_cl_elem, &cl, err);
            break;
        case 17:
            if (httpx__slice_ieq_cstr(f->name, "transfer-encoding")) {
                has_te = true;
                rc = frame_list(f->value, frame_te_elem, &te, err);
            }
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (has_te && !te.chunked)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE, "empty Transfer-Encoding");
    /* Both at once is how smuggling is done (RFC 9112 §6.3 rule 3 lets a recipient
     * let TE win; a client that never guesses refuses the response instead). */
    if (has_te && cl.seen)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                          "both Content-Length and Transfer-Encoding");
    /* RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing. */
    if (has_te && head->minor_version == 0)
        return httpx__err(err, HTTPX_E_REMOTE_PROTOCOL, FRAME_PHASE,
                          "an HTTP/1.0 response with Transfer-Encoding");

    head->content_length = cl.value; /* also kept for HEAD and 304: it is metadata there */
    if (frame_no_content(head->status, request_method))
        head->framing = HTTPX__H1_NO_BODY;
    else if (has_te)
        head->framing = HTTPX__H1_CHUNKED;
    else if (cl.seen)
        head->framing = cl.value ? HTTPX__H1_LENGTH : HTTPX__H1_NO_BODY;
    else
        head->framing = HTTPX__H1_UNTIL_CLOSE;

    /* RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
     * "keep-alive" (RFC 9112 Appendix C.2.2). A body delimited by close, and a
     * 101 that hands the connection to another protocol, end reuse. A 2xx to
     * CONNECT follows the same rule: the caller owns the tunnel either way. */
    head->keep_alive = !conn.close && (head->minor_version >= 1 || conn.keep_alive);
    if (head->framing == HTTPX__H1_UNTIL_CLOSE)
        head->keep_alive = false;
    if (head->status == 101) {
        head->upgrade = true;
        head->keep_alive = false;
    }
    return 0;
}
