/* client/response.c — response accessors and the exchange sink that fills them. */
#include <stdio.h>
#include <string.h>
#include "client/headers.h"
#include "client/response.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"
#include "url/url.h"

#define DECODE_CHUNK (16 * 1024)

httpx_response_t *httpx__response_new(httpx__engine_t *e, bool streaming)
{
    httpx_response_t *r = HTTPX__NEW(e->a, httpx_response_t);
    if (!r)
        return NULL;
    r->a = e->a;
    r->headers = &r->headers_inline; /* trailers: created only if some arrive */
    httpx__headers_init(r->headers, e->a);
    /* The cap counts the NUL kept after the bytes: N allowed bytes need N + 1. */
    size_t max = e->limits.max_body_bytes;
    httpx__buf_init(&r->content, e->a, max < SIZE_MAX ? max + 1 : max);
    r->streaming = streaming;
    r->mode = streaming ? HTTPX__BODY_PENDING : HTTPX__BODY_BUFFER;
    r->decompress = e->decompress;
    r->dec_limits = (httpx__decode_limits_t){
        .max_decoded_bytes = streaming ? 0 : e->limits.max_body_bytes,
        .max_ratio = e->limits.max_decoded_ratio,
        .max_encodings = e->limits.max_encodings,
    };
    r->stream_link.prev = r->stream_link.next = &r->stream_link;
    return r;
}

/* ---- sink ------------------------------------------------------------------ */

/* Bodies up to this size, announced by Content-Length, share the head's block. */
#define SMALL_BODY (64 * 1024)

/* Content-Encoding may come in several fields: join them in order, then build the
 * decoder chain. */
static int start_decoder(httpx_response_t *r, const httpx__h1_head_t *h)
{
    httpx__buf_t ce;
    httpx__buf_init(&ce, r->a, 1024);
    int rc = 0;
    for (size_t i = 0; i < h->nfields && !rc; i++) {
        const httpx__h1_field_t *f = &h->fields[i];
        if (!f->value.len || !httpx__slice_ieq_cstr(f->name, "Content-Encoding"))
            continue;
        if (httpx__buf_size(&ce))
            rc = httpx__buf_append(&ce, ", ", 2);
        if (!rc)
            rc = httpx__buf_append(&ce, f->value.ptr, f->value.len);
        if (rc == HTTPX_E_BODY_LIMIT)
            rc = HTTPX_E_DECODE_LIMIT;
    }
    if (!rc)
        rc = httpx__decoder_new(r->a, httpx__buf_ptr(&ce), httpx__buf_size(&ce), &r->dec_limits, &r->dec, &r->err);
    httpx__buf_release(&ce);
    return rc;
}

static int sink_head(httpx__exchange_t *x, const httpx__h1_head_t *h, void *user)
{
    httpx_response_t *r = user;
    r->status = h->status;
    r->minor_version = h->minor_version;
    r->http2 = httpx__exchange_is_h2(x);
    const char *url = httpx__exchange_url(x)->str;
    size_t ulen = strlen(url), bytes = 0;
    bool coded = false;
    for (size_t i = 0; i < h->nfields; i++) {
        const httpx__h1_field_t *f = &h->fields[i];
        bytes += f->name.len + f->value.len;
        coded |= r->decompress && f->value.len && httpx__slice_ieq_cstr(f->name, "Content-Encoding");
    }
    /* The head in one allocation: fields, reason, URL and, for a small buffered
     * body of announced length that needs no decoding, the body too. */
    size_t hsize = httpx__headers_block_size(h->nfields, bytes), body = 0;
    if (!r->streaming && !coded && h->framing == HTTPX__H1_NO_BODY)
        body = 1; /* the NUL that content() always has */
    else if (!r->streaming && !coded && h->framing == HTTPX__H1_LENGTH && h->content_length <= SMALL_BODY &&
             h->content_length < r->content.max)
        body = (size_t)h->content_length + 1;
    if (!(r->block = httpx__malloc(r->a, hsize + h->reason.len + 1 + ulen + 1 + body)))
        return HTTPX_E_NOMEM;
    httpx__headers_lend(r->headers, r->block, h->nfields, bytes);
    r->reason = r->block + hsize;
    if (h->reason.len) /* HTTP/2 has no reason phrase */
        memcpy(r->reason, h->reason.ptr, h->reason.len);
    r->reason[h->reason.len] = '\0';
    r->url = r->reason + h->reason.len + 1;
    memcpy(r->url, url, ulen + 1);
    if (body)
        httpx__buf_lend(&r->content, r->url + ulen + 1, body);
    httpx__exchange_take_history(x, &r->history, &r->nhistory);
    const char *next = httpx__exchange_next_url(x);
    if (next) {
        if (!(r->next_url = httpx__strdup(r->a, next)))
            return HTTPX_E_NOMEM;
        snprintf(r->next_method_buf, sizeof r->next_method_buf, "%s", httpx__exchange_next_method(x));
        r->next_method = r->next_method_buf;
    }
    _Static_assert(sizeof(httpx__h1_field_t) == 2 * sizeof(httpx__slice_t), "a field is two slices");
    int rc = httpx__headers_add_pairs(r->headers, (const httpx__slice_t *)(const void *)h->fields, h->nfields, bytes);
    if (!rc && coded)
        rc = start_decoder(r, h);
    /* A buffered body announced over the cap is refused now, not after reading
     * it up to the cap (an encoded length says nothing of the decoded size). */
    if (!rc && !r->streaming && !r->dec && h->framing == HTTPX__H1_LENGTH &&
        h->content_length > r->content.max - 1)
        rc = httpx__err(&r->err, HTTPX_E_BODY_LIMIT, HTTPX_PHASE_READ_HEAD,
                        "response body of %llu bytes (Content-Length) exceeds the %zu-byte limit",
                        (unsigned long long)h->content_length, r->content.max - 1);
    r->head_done = true;
    return rc;
}

/* The buffered body passed max_body_bytes (the cap counts the trailing NUL). */
static int body_limit(httpx_response_t *r)
{
    return httpx__err(&r->err, HTTPX_E_BODY_LIMIT, HTTPX_PHASE_READ_BODY, "response body exceeds the %zu-byte limit",
                      r->content.max - 1);
}

/* Decode `len` input bytes into the content buffer (buffered mode). */
static int buffer_decoded(httpx_response_t *r, const uint8_t *in, size_t len, bool final)
{
    for (;;) {
        int rc = httpx__buf_reserve(&r->content, DECODE_CHUNK);
        size_t left = 0;
        if (rc == HTTPX_E_BODY_LIMIT) {
            /* Less room than a chunk left under the cap: use what remains. */
            left = r->content.max - httpx__buf_size(&r->content) - 1;
            rc = left ? httpx__buf_reserve(&r->content, left) : 0;
        } else {
            left = DECODE_CHUNK;
        }
        if (rc)
            return httpx__err(&r->err, rc, HTTPX_PHASE_READ_BODY, "out of memory");
        /* Full: one scratch byte lets the encoding's trailer still be read (a body
         * of exactly the limit) and a byte more be seen; the decoder's own size cap
         * then names it as DECODE_LIMIT. */
        uint8_t scratch;
        uint8_t *out = left ? (uint8_t *)httpx__buf_tail(&r->content) : &scratch;
        size_t room = left ? httpx__buf_room(&r->content) : 1;
        if (room > DECODE_CHUNK)
            room = DECODE_CHUNK;
        size_t produced = 0;
        rc = httpx__decoder_run(r->dec, &in, &len, final, out, room, &produced, &r->err);
        if (rc < 0)
            return rc;
        if (!left && produced)
            return body_limit(r);
        if (produced)
            httpx__buf_commit(&r->content, produced);
        if (rc == 1) {
            r->dec_done = true;
            return 0;
        }
        if (!len && !produced)
            return 0;
    }
}

/* Call the async body callback; false when the response was freed meanwhile. */
static bool call_body_cb(httpx_response_t *r, const void *data, size_t len, int status)
{
    r->cb_depth++;
    r->body_cb(r, data, len, status, r->body_user);
    if (--r->cb_depth == 0 && r->free_pending) {
        httpx__response_real_free(r);
        return false;
    }
    return true;
}

/* Async delivery: decoded through a 16 KiB window, or as received. Stops when the
 * callback pauses or closes the response. */
static int callback_body(httpx_response_t *r, const char *data, size_t len, size_t *taken)
{
    if (r->paused || r->closed)
        return 0;
    if (r->cb_raw || !r->dec) {
        r->bytes_downloaded += len;
        *taken = len;
        call_body_cb(r, data, len, 0);
        return 0;
    }
    uint8_t window[DECODE_CHUNK];
    const uint8_t *in = (const uint8_t *)data;
    size_t in_len = len;
    while (!r->paused && !r->closed) {
        size_t produced = 0;
        int rc = httpx__decoder_run(r->dec, &in, &in_len, false, window, sizeof window, &produced, &r->err);
        if (rc < 0)
            return rc;
        r->dec_done = rc == 1;
        *taken = len - in_len;
        if (produced) {
            if (!call_body_cb(r, window, produced, 0))
                return 0; /* freed in the callback: touch nothing */
        } else if (!in_len || rc == 1) {
            break;
        }
    }
    r->bytes_downloaded += *taken;
    return 0;
}

static int sink_body(httpx__exchange_t *x, const char *data, size_t len, size_t *taken, void *user)
{
    httpx_response_t *r = user;
    (void)x;
    *taken = 0;
    switch (r->mode) {
    case HTTPX__BODY_PENDING:
        return 0;
    case HTTPX__BODY_CALLBACK:
        if (!r->cb_buffer)
            return callback_body(r, data, len, taken);
        /* read_async: buffer like a sync read */
        /* fall through */
    case HTTPX__BODY_BUFFER: {
        int rc;
        if (r->dec) {
            rc = buffer_decoded(r, (const uint8_t *)data, len, false);
        } else {
            rc = httpx__buf_append(&r->content, data, len);
            if (rc == HTTPX_E_BODY_LIMIT)
                rc = body_limit(r);
        }
        if (rc)
            return rc;
        *taken = len;
        r->bytes_downloaded += len;
        return 0;
    }
    case HTTPX__BODY_RAW: {
        size_t n = r->out_cap - r->out_len;
        if (n > len)
            n = len;
        if (n)
            memcpy(r->out + r->out_len, data, n);
        r->out_len += n;
        *taken = n;
        r->bytes_downloaded += n;
        return 0;
    }
    case HTTPX__BODY_STREAM: {
        if (!r->out || r->out_len == r->out_cap)
            return 0;
        if (!r->dec) {
            size_t n = r->out_cap - r->out_len;
            if (n > len)
                n = len;
            memcpy(r->out + r->out_len, data, n);
            r->out_len += n;
            *taken = n;
            r->bytes_downloaded += n;
            return 0;
        }
        const uint8_t *in = (const uint8_t *)data;
        size_t in_len = len, produced = 0;
        int rc = httpx__decoder_run(r->dec, &in, &in_len, false, r->out + r->out_len, r->out_cap - r->out_len,
                                    &produced, &r->err);
        if (rc < 0)
            return rc;
        r->dec_done = rc == 1;
        r->out_len += produced;
        *taken = len - in_len;
        r->bytes_downloaded += *taken;
        return 0;
    }
    }
    return 0;
}

static int sink_trailers(httpx__exchange_t *x, const httpx__h1_field_t *f, size_t n, void *user)
{
    httpx_response_t *r = user;
    (void)x;
    if (!r->trailers && !(r->trailers = httpx_headers_new(r->a)))
        return HTTPX_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = httpx__headers_add_unchecked(r->trailers, f[i].name.ptr, f[i].name.len, f[i].value.ptr,
                                              f[i].value.len);
        if (rc)
            return rc;
    }
    return 0;
}

static void sink_done(httpx__exchange_t *x, int status, const httpx_error_t *err, void *user)
{
    httpx_response_t *r = user;
    r->times = *httpx__exchange_times(x);
    r->body_done = true;
    if (status) {
        r->rc = status;
        /* Keep a more specific message recorded by the sink itself. */
        if (!(r->err.code == status && r->err.message[0]) && err)
            r->err = *err;
        r->err.code = status;
    }
    r->x = NULL;
    httpx__exchange_free(x);
    if (r->mode == HTTPX__BODY_CALLBACK)
        httpx__response_body_end(r); /* last: the callback may free the response */
}

const httpx__exchange_sink_t httpx__response_sink = {sink_head, sink_body, sink_trailers, sink_done, NULL};

int httpx__response_finish_buffer(httpx_response_t *r)
{
    if (r->dec && !r->dec_done) {
        int rc = buffer_decoded(r, NULL, 0, true);
        if (rc)
            return rc;
    }
    /* Make content() always NUL-terminated, even when empty. */
    if (!r->content.data && httpx__buf_reserve(&r->content, 0))
        return httpx__err(&r->err, HTTPX_E_NOMEM, HTTPX_PHASE_READ_BODY, "out of memory");
    r->content.data[r->content.len] = '\0';
    httpx__decoder_free(r->dec);
    r->dec = NULL;
    r->consumed = true;
    r->mode = HTTPX__BODY_BUFFER; /* read_async ends here too: content() works */
    return 0;
}

/* ---- accessors ------------------------------------------------------------- */

static const char *std_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

int httpx_response_status(const httpx_response_t *r) { return r ? r->status : 0; }

const char *httpx_response_reason(const httpx_response_t *r)
{
    if (!r)
        return "";
    return r->reason && r->reason[0] ? r->reason : std_reason(r->status);
}

const char *httpx_response_http_version(const httpx_response_t *r)
{
    if (r && r->http2)
        return "HTTP/2";
    return r && r->minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
}

const httpx_headers_t *httpx_response_headers(const httpx_response_t *r) { return r ? r->headers : NULL; }
const httpx_headers_t *httpx_response_trailers(const httpx_response_t *r)
{
    if (!r)
        return NULL;
    return r->trailers ? r->trailers : httpx__headers_empty();
}

const char *httpx_response_header(const httpx_response_t *r, const char *name)
{
    return r && name ? httpx_headers_get(r->headers, name) : NULL;
}

const char *httpx_response_url(const httpx_response_t *r) { return r && r->url ? r->url : ""; }

static double secs_between(uint64_t a, uint64_t b) { return a && b >= a ? (double)(b - a) / 1e9 : -1.0; }

double httpx_response_elapsed(const httpx_response_t *r)
{
    if (!r)
        return 0;
    const httpx__exchange_times_t *t = r->x ? httpx__exchange_times(r->x) : &r->times;
    return secs_between(t->start, t->end ? t->end : httpx__clock_ns());
}

httpx_timings_t httpx_response_timings(const httpx_response_t *r)
{
    httpx_timings_t t = {-1, -1, -1, -1, -1};
    if (!r)
        return t;
    const httpx__exchange_times_t *x = r->x ? httpx__exchange_times(r->x) : &r->times;
    t.dns = secs_between(x->start, x->dns);
    t.connect = secs_between(x->start, x->connect);
    t.tls = secs_between(x->start, x->tls);
    t.first_byte = secs_between(x->start, x->first_byte);
    t.total = secs_between(x->start, x->end);
    return t;
}

uint64_t httpx_response_bytes_downloaded(const httpx_response_t *r) { return r ? r->bytes_downloaded : 0; }

int httpx_response_content(const httpx_response_t *r, const void **data, size_t *len)
{
    if (!r || !data || !len)
        return HTTPX_E_INVAL;
    if (!r->consumed || r->mode != HTTPX__BODY_BUFFER) {
        *data = "";
        *len = 0;
        return HTTPX_E_RESPONSE_NOT_READ;
    }
    *data = httpx__buf_ptr(&r->content);
    *len = httpx__buf_size(&r->content);
    return 0;
}

size_t httpx_response_history_count(const httpx_response_t *r) { return r ? r->nhistory : 0; }

const httpx_response_t *httpx_response_history(const httpx_response_t *r, size_t i)
{
    return r && i < r->nhistory ? r->history[i] : NULL;
}

const char *httpx_response_next_url(const httpx_response_t *r) { return r ? r->next_url : NULL; }
const char *httpx_response_next_method(const httpx_response_t *r) { return r ? r->next_method : NULL; }

int httpx_response_is_redirect(const httpx_response_t *r)
{
    if (!r)
        return 0;
    int s = r->status;
    return (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && httpx_headers_get(r->headers, "Location");
}

int httpx_response_raise_for_status(const httpx_response_t *r)
{
    if (!r)
        return HTTPX_E_INVAL;
    return r->status >= 400 && r->status <= 599 ? HTTPX_E_STATUS : 0;
}

void httpx__response_attach(httpx_response_t *r, httpx__engine_t *e, httpx_loop_t *loop)
{
    r->eng = e;
    r->loop = loop;
    r->stream_link.next = e->streams.next;
    r->stream_link.prev = &e->streams;
    e->streams.next->prev = &r->stream_link;
    e->streams.next = &r->stream_link;
}

static void unlink_stream(httpx_response_t *r)
{
    r->stream_link.prev->next = r->stream_link.next;
    r->stream_link.next->prev = r->stream_link.prev;
    r->stream_link.prev = r->stream_link.next = &r->stream_link;
    r->eng = NULL;
    r->loop = NULL;
}

void httpx__response_detach(httpx_response_t *r)
{
    if (r->x) {
        httpx__exchange_free(r->x);
        r->x = NULL;
        if (!r->body_done) {
            r->body_done = true;
            r->closed = true;
            r->rc = HTTPX_E_STREAM_CLOSED;
            httpx__err(&r->err, HTTPX_E_STREAM_CLOSED, HTTPX_PHASE_READ_BODY, "stream closed: its client was closed");
        }
    }
    unlink_stream(r);
    httpx__response_body_end(r);
}

static void resume_fired(httpx_timer_t *t, void *user)
{
    httpx_response_t *r = user;
    (void)t;
    if (r->paused || r->closed)
        return;
    if (r->x)
        httpx__exchange_resume(r->x); /* may end the body: then body_end runs */
    else
        httpx__response_body_end(r);
}

void httpx__response_schedule_resume(httpx_response_t *r)
{
    if (!r->loop)
        return;
    if (!r->resume_timer_live) {
        httpx__timer_init(&r->resume_timer, r->loop, resume_fired, r);
        r->resume_timer_live = true;
    }
    httpx_timer_start(&r->resume_timer, 0);
}

void httpx__response_body_end(httpx_response_t *r)
{
    if (!r->body_cb || r->end_reported || !r->body_done)
        return;
    int status = r->rc == HTTPX_E_CLOSED ? HTTPX_E_STREAM_CLOSED : r->rc;
    if (!status && r->cb_buffer)
        status = httpx__response_finish_buffer(r);
    else if (!status && r->dec && !r->dec_done && !r->cb_raw) {
        /* flush what the decoder still holds (gzip and zstd end only here) */
        uint8_t window[DECODE_CHUNK];
        for (;;) {
            const uint8_t *in = NULL;
            size_t in_len = 0, produced = 0;
            int rc = httpx__decoder_run(r->dec, &in, &in_len, true, window, sizeof window, &produced, &r->err);
            if (rc < 0) {
                status = rc;
                break;
            }
            if (produced && !call_body_cb(r, window, produced, 0))
                return;
            if (rc == 1 || !produced)
                break;
        }
    }
    if (!status)
        r->consumed = true;
    r->end_reported = true;
    call_body_cb(r, NULL, 0, status);
}
