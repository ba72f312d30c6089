/* h2/session.c — the sans-IO HTTP/2 client session on nghttp2 (see session.h).
 *
 * nghttp2 does the framing, HPACK, the stream state machine and HTTP messaging
 * checks. This file adds what the engine needs on top: events per stream with
 * the fields collected into one bounded scratch buffer (header blocks are never
 * interleaved on a connection, so one suffices), consumer-driven window updates
 * (no_auto_window_update + nghttp2_session_consume), deferred request bodies,
 * an outcome per stream that says whether a retry is safe, and connection errors
 * turned into one close report per open stream. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "h2/internal.h"

/* Output pieces smaller than this are copied and coalesced; larger ones go out
 * as nghttp2 serialised them. */
enum { OUT_DIRECT_MIN = 1024, OUT_COALESCE = 16 * 1024, OUT_CAP = 1 << 20 };

typedef struct h2_stream h2_stream_t;
struct h2_stream {
    h2_stream_t *prev, *next;
    int32_t id;
    void *user;
    httpx__h2_body_t body;
    int err;             /* a local outcome to report (HEADER_LIMIT, NOMEM, ...) */
    int lib_err;         /* nghttp2's reason for a local reset or an unsent request */
    uint32_t rst_code;
    int status;          /* :status of the header block being received */
    size_t hlist;        /* size of that header block, RFC 9113 6.5.2 */
    uint32_t nfields;    /* fields of that header block (pseudo-header fields aside) */
    size_t interim;      /* size of this stream's 1xx header blocks so far */
    int limit;           /* with err HEADER_LIMIT: which (LIMIT_*) */
    bool has_body, deferred, reported, head_done, remote_done, headers_sent, rst_received;
};

enum { LIMIT_LIST = 0, LIMIT_COUNT, LIMIT_INTERIM };

/* nghttp2 allocates and frees a dozen small blocks for every request (the stream,
 * the outgoing HEADERS item and its field copy, one buffer per received literal
 * field, ...), and so do we (the stream record). The session keeps freed small
 * blocks on free lists by power-of-two size class and hands them out again, so a
 * busy connection reaches the allocator only when it grows. What is kept is
 * bounded: CACHE_BUSY bytes while streams are open, CACHE_IDLE once none is (the
 * rest goes back to the allocator then). Every block carries a header with its
 * class, since nghttp2_mem's free and realloc do not say the size. */
enum {
    CACHE_MIN_SHIFT = 5,          /* smallest class: 32 bytes with the header */
    CACHE_CLASSES = 8,            /* 32 .. 4096 */
    CACHE_BUSY = 64 * 1024,
    CACHE_IDLE = 8 * 1024,
    CACHE_BIG = 0xff              /* class of a block outside the classes */
};

typedef struct blk_hdr {
    _Alignas(max_align_t) unsigned char cls;
} blk_hdr_t;

typedef struct blk_free {
    struct blk_free *next;
} blk_free_t;

typedef struct blk_cache {
    blk_free_t *free[CACHE_CLASSES];
    size_t bytes;                 /* kept on the lists */
} blk_cache_t;

/* A received field's buffers, held (a reference each) until its block is handed
 * out: nghttp2's buffers do not move, so the field slices point into them and no
 * byte is copied. */
typedef struct h2_fieldref {
    nghttp2_rcbuf *name, *value;
} h2_fieldref_t;

struct httpx__h2_session {
    nghttp2_session *ng;
    const httpx_allocator_t *a;
    nghttp2_mem mem;
    httpx__h2_callbacks_t cb;
    void *user;
    httpx__h2_config_t cfg;
    blk_cache_t cache;

    h2_stream_t *head, *tail;
    size_t nstreams;
    h2_stream_t *last;        /* the stream the last lookup found (callbacks come in runs) */

    /* The header block being received (blocks are never interleaved on a
     * connection, so one suffices): its fields and their buffers. */
    h2_fieldref_t *hrefs;
    httpx__h2_field_t *hfields;
    size_t nh, hcap;

    httpx__buf_t out;         /* coalesced output */
    const uint8_t *direct;    /* or one piece straight from nghttp2 */
    size_t direct_len;

    int depth;                /* inside recv/send/abort: callbacks may run */
    bool free_pending;
    int fatal;                /* nghttp2 can no longer be used: the code */
    bool terminated;          /* a connection error: GOAWAY queued, nothing more read */
    int term_code;            /* its code */
    bool aborted, shutdown, goaway_recv;
    bool alloc_failed;        /* some allocation for nghttp2 failed */
    int32_t goaway_last;
    uint32_t goaway_code;
    char liberr[160];         /* nghttp2's last error text */
    httpx_error_t err;
};

/* ---- allocation through our allocator ------------------------------------ */

static size_t cls_size(unsigned cls) { return (size_t)1 << (cls + CACHE_MIN_SHIFT); }

/* Smallest class holding n bytes plus the header, or CACHE_BIG. */
static unsigned cls_of(size_t n)
{
    if (n > cls_size(CACHE_CLASSES - 1) - sizeof(blk_hdr_t))
        return CACHE_BIG;
    size_t total = n + sizeof(blk_hdr_t);
    if (total <= cls_size(0))
        return 0;
#if defined(__GNUC__) || defined(__clang__)
    /* ceil(log2(total)) - CACHE_MIN_SHIFT */
    return (unsigned)(64 - __builtin_clzll((unsigned long long)(total - 1))) - CACHE_MIN_SHIFT;
#else
    unsigned c = 1;
    while (total > cls_size(c))
        c++;
    return c;
#endif
}

/* Give back cached blocks until at most `keep` bytes stay. */
static void cache_trim(const httpx_allocator_t *a, blk_cache_t *k, size_t keep)
{
    for (unsigned c = CACHE_CLASSES; c-- > 0 && k->bytes > keep;) {
        while (k->free[c] && k->bytes > keep) {
            blk_free_t *b = k->free[c];
            k->free[c] = b->next;
            k->bytes -= cls_size(c);
            httpx__free(a, (blk_hdr_t *)(void *)b - 1);
        }
    }
}

static void *blk_alloc(httpx__h2_session_t *s, size_t n)
{
    unsigned c = cls_of(n);
    if (c != CACHE_BIG && s->cache.free[c]) {
        blk_free_t *b = s->cache.free[c];
        s->cache.free[c] = b->next;
        s->cache.bytes -= cls_size(c);
        return b;
    }
    if (c == CACHE_BIG && n > SIZE_MAX - sizeof(blk_hdr_t))
        return NULL;
    blk_hdr_t *h = httpx__malloc(s->a, c == CACHE_BIG ? sizeof *h + n : cls_size(c));
    if (!h)
        return NULL;
    h->cls = (unsigned char)c;
    return h + 1;
}

static void blk_free(httpx__h2_session_t *s, void *p)
{
    if (!p)
        return;
    blk_hdr_t *h = (blk_hdr_t *)p - 1;
    if (h->cls == CACHE_BIG || s->cache.bytes + cls_size(h->cls) > CACHE_BUSY) {
        httpx__free(s->a, h);
        return;
    }
    blk_free_t *b = p;
    b->next = s->cache.free[h->cls];
    s->cache.free[h->cls] = b;
    s->cache.bytes += cls_size(h->cls);
}

/* mem_user_data is the session: an allocation failure is remembered, so that a
 * connection nghttp2 tears down after one (HPACK turns it into a compression
 * error) is reported as HTTPX_E_NOMEM, not blamed on the server. */
static void *ng_note(httpx__h2_session_t *s, void *p)
{
    if (!p)
        s->alloc_failed = true;
    return p;
}
static void *ng_malloc(size_t size, void *user)
{
    httpx__h2_session_t *s = user;
    return ng_note(s, blk_alloc(s, size));
}
static void ng_free(void *ptr, void *user)
{
    blk_free(user, ptr);
}
static void *ng_calloc(size_t nmemb, size_t size, void *user)
{
    httpx__h2_session_t *s = user;
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    void *p = ng_note(s, blk_alloc(s, nmemb * size));
    if (p)
        memset(p, 0, nmemb * size);
    return p;
}
static void *ng_realloc(void *ptr, size_t size, void *user)
{
    httpx__h2_session_t *s = user;
    if (!ptr)
        return ng_malloc(size, user);
    blk_hdr_t *h = (blk_hdr_t *)ptr - 1;
    if (h->cls == CACHE_BIG && cls_of(size) == CACHE_BIG) {
        if (size > SIZE_MAX - sizeof *h)
            return ng_note(s, NULL);
        blk_hdr_t *nh = httpx__realloc(s->a, h, sizeof *h + size);
        return ng_note(s, nh ? nh + 1 : NULL);
    }
    size_t have = h->cls == CACHE_BIG ? SIZE_MAX : cls_size(h->cls) - sizeof *h;
    if (h->cls != CACHE_BIG && size <= have)
        return ptr;
    void *p = ng_note(s, blk_alloc(s, size));
    if (!p)
        return NULL;
    memcpy(p, ptr, size < have ? size : have);
    blk_free(s, ptr);
    return p;
}

/* ---- streams --------------------------------------------------------------- */

static h2_stream_t *stream_of(httpx__h2_session_t *s, int32_t id)
{
    if (s->last && s->last->id == id)
        return s->last;
    h2_stream_t *st = id > 0 ? nghttp2_session_get_stream_user_data(s->ng, id) : NULL;
    if (st)
        s->last = st;
    return st;
}

/* Also finds streams still queued in nghttp2 (not opened yet). */
static h2_stream_t *stream_find(httpx__h2_session_t *s, int32_t id)
{
    for (h2_stream_t *st = s->head; st; st = st->next)
        if (st->id == id)
            return st;
    return NULL;
}

static void stream_unlink(httpx__h2_session_t *s, h2_stream_t *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        s->head = st->next;
    if (st->next)
        st->next->prev = st->prev;
    else
        s->tail = st->prev;
    s->nstreams--;
    if (s->last == st)
        s->last = NULL;
    blk_free(s, st);
}

static void stream_report(httpx__h2_session_t *s, h2_stream_t *st, httpx__h2_close_t *ci)
{
    if (st->reported)
        return;
    st->reported = true;
    ci->err.phase = ci->err.code == 0  ? HTTPX_PHASE_NONE
                    : !st->headers_sent ? HTTPX_PHASE_WRITE
                    : st->head_done     ? HTTPX_PHASE_READ_BODY
                                        : HTTPX_PHASE_READ_HEAD;
    s->cb.on_stream_close(st->user, st->id, ci, s->user);
}

/* The outcome of a stream that nghttp2 closed with `code` (or that we end now). */
static void stream_close_report(httpx__h2_session_t *s, h2_stream_t *st, uint32_t code)
{
    httpx__h2_close_t ci;
    memset(&ci, 0, sizeof ci);
    httpx_error_t *e = &ci.err;
    int32_t id = st->id;
    if (st->err) {
        switch (st->err) {
        case HTTPX_E_HEADER_LIMIT:
            if (st->limit == LIMIT_COUNT)
                httpx__err(e, st->err, HTTPX_PHASE_NONE,
                           "response headers on stream %d exceed the limit of %u fields", id,
                           (unsigned)s->cfg.max_header_count);
            else if (st->limit == LIMIT_INTERIM)
                httpx__err(e, st->err, HTTPX_PHASE_NONE,
                           "1xx interim responses on stream %d exceed %zu bytes", id,
                           s->cfg.max_interim_bytes);
            else
                httpx__err(e, st->err, HTTPX_PHASE_NONE,
                           "response headers on stream %d exceed the limit of %u bytes", id,
                           (unsigned)s->cfg.max_header_list);
            break;
        case HTTPX_E_NOMEM:
            httpx__err(e, st->err, HTTPX_PHASE_NONE, "out of memory on stream %d", id);
            break;
        case HTTPX_E_REMOTE_PROTOCOL:
            httpx__err(e, st->err, HTTPX_PHASE_NONE,
                       "malformed response on stream %d: invalid :status", id);
            break;
        case HTTPX_E_LOCAL_PROTOCOL:
            httpx__err(e, st->err, HTTPX_PHASE_NONE, "request on stream %d not sent: %s", id,
                       nghttp2_strerror(st->lib_err));
            break;
        default:
            httpx__err(e, st->err, HTTPX_PHASE_NONE, "request body for stream %d failed: %s", id,
                       httpx_strerror(st->err));
            break;
        }
    } else if (s->goaway_recv && id > s->goaway_last) {
        httpx__err(e, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE,
                   "stream %d not processed: server sent GOAWAY (last stream %d, %s); "
                   "retry on a new connection",
                   id, s->goaway_last, nghttp2_http2_strerror(s->goaway_code));
        ci.h2_error = s->goaway_code;
        ci.retry = ci.new_connection = true;
    } else if (st->rst_received && !(st->rst_code == NGHTTP2_NO_ERROR && st->remote_done)) {
        /* RST_STREAM(NO_ERROR) after a complete response only stops the request
         * body (RFC 9113 8.1); anything else is this request's error. */
        httpx__err(e, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE, "stream reset by server: %s",
                   nghttp2_http2_strerror(st->rst_code));
        ci.h2_error = st->rst_code;
        ci.retry = st->rst_code == NGHTTP2_REFUSED_STREAM;
    } else if (st->remote_done && (code == NGHTTP2_NO_ERROR || st->rst_received)) {
        /* complete */
    } else if (code == NGHTTP2_REFUSED_STREAM && !st->headers_sent) {
        httpx__err(e, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE,
                   "stream %d not sent: the connection is going away; retry on a new connection",
                   id);
        ci.retry = ci.new_connection = true;
    } else {
        httpx__err(e, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE,
                   "malformed response on stream %d: %s", id,
                   st->lib_err ? nghttp2_strerror(st->lib_err) : nghttp2_http2_strerror(code));
        ci.h2_error = code;
    }
    stream_report(s, st, &ci);
}

/* Report every stream not yet reported as failed with `code`. */
static void fail_all(httpx__h2_session_t *s, int code, const char *msg)
{
    for (h2_stream_t *st = s->head, *next; st; st = next) {
        next = st->next;
        if (st->reported)
            continue;
        httpx__h2_close_t ci;
        memset(&ci, 0, sizeof ci);
        httpx__err(&ci.err, code, HTTPX_PHASE_NONE, "%s (stream %d)", msg, st->id);
        ci.retry = ci.new_connection = !st->headers_sent;
        stream_report(s, st, &ci);
    }
}

/* nghttp2 returned a fatal error: it may not be called again (except to free). */
static int die(httpx__h2_session_t *s, int ngrv)
{
    int code;
    if (ngrv == NGHTTP2_ERR_NOMEM) {
        code = httpx__err(&s->err, HTTPX_E_NOMEM, HTTPX_PHASE_NONE,
                          "out of memory in the http/2 session");
    } else if (ngrv == NGHTTP2_ERR_FLOODED) {
        code = httpx__err(&s->err, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE,
                          "http/2 connection error: the server flooded us with frames");
    } else {
        code = httpx__err(&s->err, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE,
                          "http/2 connection error: %s", nghttp2_strerror(ngrv));
    }
    s->fatal = code;
    s->direct = NULL;
    s->direct_len = 0;
    httpx__buf_reset(&s->out);
    fail_all(s, code, s->err.message);
    return code;
}

/* ---- nghttp2 callbacks ---------------------------------------------------- */

/* Let go of the fields collected so far. */
static void hfields_release(httpx__h2_session_t *s)
{
    for (size_t i = 0; i < s->nh; i++) {
        nghttp2_rcbuf_decref(s->hrefs[i].name);
        nghttp2_rcbuf_decref(s->hrefs[i].value);
    }
    s->nh = 0;
}

static int cb_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st = stream_of(s, frame->hd.stream_id);
    if (frame->hd.type != NGHTTP2_HEADERS || !st)
        return 0;
    st->hlist = 0;
    st->nfields = 0;
    st->status = 0;
    hfields_release(s);
    return 0;
}

static int hfield_add(httpx__h2_session_t *s, nghttp2_rcbuf *name, nghttp2_vec n,
                      nghttp2_rcbuf *value, nghttp2_vec v)
{
    if (s->nh == s->hcap) {
        size_t cap = s->hcap ? s->hcap * 2 : 16;
        h2_fieldref_t *r = httpx__realloc(s->a, s->hrefs, cap * sizeof *r);
        if (!r)
            return HTTPX_E_NOMEM;
        s->hrefs = r;
        httpx__h2_field_t *f = httpx__realloc(s->a, s->hfields, cap * sizeof *f);
        if (!f)
            return HTTPX_E_NOMEM;
        s->hfields = f;
        s->hcap = cap;
    }
    nghttp2_rcbuf_incref(name);
    nghttp2_rcbuf_incref(value);
    s->hrefs[s->nh] = (h2_fieldref_t){name, value};
    s->hfields[s->nh].name = httpx__slice((const char *)n.base, n.len);
    s->hfields[s->nh].value = httpx__slice((const char *)v.base, v.len);
    s->nh++;
    return 0;
}

static int cb_header(nghttp2_session *ng, const nghttp2_frame *frame, nghttp2_rcbuf *rname,
                     nghttp2_rcbuf *rvalue, uint8_t flags, void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st = stream_of(s, frame->hd.stream_id);
    if (frame->hd.type != NGHTTP2_HEADERS || !st || st->reported)
        return 0;
    nghttp2_vec nv = nghttp2_rcbuf_get_buf(rname), vv = nghttp2_rcbuf_get_buf(rvalue);
    const uint8_t *name = nv.base, *value = vv.base;
    size_t nlen = nv.len, vlen = vv.len;
    size_t size = nlen + vlen + 32;
    int rc = 0;
    bool interim = st->status >= 100 && st->status < 200; /* :status comes first */
    if (size > s->cfg.max_header_list || st->hlist > s->cfg.max_header_list - size) {
        rc = HTTPX_E_HEADER_LIMIT;
        st->limit = LIMIT_LIST;
    } else if (interim && (st->interim += size) > s->cfg.max_interim_bytes) {
        rc = HTTPX_E_HEADER_LIMIT;
        st->limit = LIMIT_INTERIM;
    } else if (!(nlen && name[0] == ':') && ++st->nfields > s->cfg.max_header_count) {
        rc = HTTPX_E_HEADER_LIMIT;
        st->limit = LIMIT_COUNT;
    } else {
        st->hlist += size;
        if (nlen && name[0] == ':') {
            /* nghttp2 has checked :status (three digits, once, first) */
            if (nlen == 7 && memcmp(name, ":status", 7) == 0 && vlen == 3)
                st->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
            if (st->status >= 100 || nlen != 7 || memcmp(name, ":status", 7) != 0)
                return 0;
            rc = HTTPX_E_REMOTE_PROTOCOL; /* "000" to "099" pass nghttp2's check */
        } else {
            rc = hfield_add(s, rname, nv, rvalue, vv);
        }
    }
    if (rc == 0)
        return 0;
    /* A stream error: nghttp2 resets the stream and skips the rest of the block
     * (still decoding it, so HPACK state stays right). Report it now. */
    st->err = rc;
    stream_close_report(s, st, NGHTTP2_INTERNAL_ERROR);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int cb_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
        st = stream_of(s, frame->hd.stream_id);
        if (!st || st->reported)
            return 0;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
            st->remote_done = true;
        const httpx__h2_field_t *f = s->hfields;
        if (st->head_done) {
            if (s->cb.on_trailers)
                s->cb.on_trailers(st->user, st->id, f, s->nh, s->user);
        } else if (st->status >= 100 && st->status < 200) {
            if (s->cb.on_informational)
                s->cb.on_informational(st->user, st->id, st->status, f, s->nh, s->user);
        } else {
            st->head_done = true;
            if (s->cb.on_response_head)
                s->cb.on_response_head(st->user, st->id, st->status, f, s->nh, s->user);
        }
        hfields_release(s);
        return 0;
    }
    case NGHTTP2_DATA:
        st = stream_of(s, frame->hd.stream_id);
        if (st && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
            st->remote_done = true;
        return 0;
    case NGHTTP2_RST_STREAM:
        st = stream_of(s, frame->hd.stream_id);
        if (st) {
            st->rst_received = true;
            st->rst_code = frame->rst_stream.error_code;
        }
        return 0;
    case NGHTTP2_GOAWAY:
        /* A second GOAWAY may lower last_stream_id, never raise it. */
        if (!s->goaway_recv || frame->goaway.last_stream_id < s->goaway_last)
            s->goaway_last = frame->goaway.last_stream_id;
        s->goaway_recv = true;
        s->goaway_code = frame->goaway.error_code;
        if (s->cb.on_goaway)
            s->cb.on_goaway(frame->goaway.last_stream_id, frame->goaway.error_code, s->user);
        /* nghttp2 now closes the opened streams above last_stream_id; the ones
         * still queued are reported after this recv (see goaway_sweep). */
        return 0;
    default:
        return 0;
    }
}

static int cb_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st = stream_of(s, stream_id);
    if (!st || st->reported || !s->cb.on_data) {
        /* Nobody will read these: give the window back at once. */
        int rv = nghttp2_session_consume(ng, stream_id, len);
        return nghttp2_is_fatal(rv) ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
    }
    s->cb.on_data(st->user, stream_id, data, len, s->user);
    return 0;
}

static int cb_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t code, void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st = stream_of(s, stream_id);
    if (!st)
        return 0;
    stream_close_report(s, st, code);
    nghttp2_session_set_stream_user_data(ng, stream_id, NULL);
    stream_unlink(s, st);
    return 0;
}

static int cb_invalid_frame(nghttp2_session *ng, const nghttp2_frame *frame, int lib_error_code,
                            void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st = stream_of(s, frame->hd.stream_id);
    if (st && !st->lib_err)
        st->lib_err = lib_error_code;
    return 0;
}

static int cb_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    httpx__h2_session_t *s = ud;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        h2_stream_t *st = stream_of(s, frame->hd.stream_id);
        if (st)
            st->headers_sent = true;
    }
    return 0;
}

static int cb_frame_not_send(nghttp2_session *ng, const nghttp2_frame *frame, int lib_error_code,
                             void *ud)
{
    httpx__h2_session_t *s = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    h2_stream_t *st = stream_of(s, frame->hd.stream_id);
    if (!st)
        return 0;
    /* Not sent because the connection is going away: nghttp2 closes the stream
     * with REFUSED_STREAM and it is retried elsewhere. Any other reason (a header
     * block too large to send) would fail again: report it as this request's. */
    if (lib_error_code != NGHTTP2_ERR_START_STREAM_NOT_ALLOWED &&
        lib_error_code != NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE &&
        lib_error_code != NGHTTP2_ERR_SESSION_CLOSING) {
        /* Out of memory while encoding the headers (nghttp2 reports it as a header
         * compression failure: our fields were validated) is that, not a protocol fault. */
        st->err = lib_error_code == NGHTTP2_ERR_NOMEM || lib_error_code == NGHTTP2_ERR_HEADER_COMP
                      ? HTTPX_E_NOMEM
                      : HTTPX_E_LOCAL_PROTOCOL;
        st->lib_err = lib_error_code;
    }
    return 0;
}

static int cb_error(nghttp2_session *ng, int lib_error_code, const char *msg, size_t len,
                    void *ud)
{
    httpx__h2_session_t *s = ud;
    snprintf(s->liberr, sizeof s->liberr, "%.*s", (int)(len < 150 ? len : 150), msg);
    return 0;
}

static ssize_t cb_body_read(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t length,
                            uint32_t *data_flags, nghttp2_data_source *source, void *ud)
{
    httpx__h2_session_t *s = ud;
    h2_stream_t *st = source->ptr;
    if (st->reported)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = 0;
    bool eof = false;
    int rc = st->body.read(buf, length, &n, &eof, st->body.user);
    if (rc == 0 && n > length)
        rc = HTTPX_E_INVAL;
    if (rc < 0) {
        st->err = rc;
        stream_close_report(s, st, NGHTTP2_CANCEL);
        int rv = nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
        if (rv != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        st->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (rc == HTTPX__H2_DEFER || (n == 0 && !eof)) {
        st->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (eof)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* ---- lifecycle ------------------------------------------------------------- */

void httpx__h2_config_init(httpx__h2_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->stream_window = HTTPX__H2_DEFAULT_STREAM_WINDOW;
    cfg->connection_window = HTTPX__H2_DEFAULT_CONN_WINDOW;
    cfg->max_concurrent_streams = HTTPX__H2_DEFAULT_MAX_STREAMS;
    cfg->max_header_list = HTTPX__H2_DEFAULT_MAX_HEADER_LIST;
    cfg->max_header_count = HTTPX__H2_DEFAULT_MAX_HEADER_COUNT;
    cfg->max_interim_bytes = (size_t)HTTPX__H2_DEFAULT_INTERIM_LISTS * HTTPX__H2_DEFAULT_MAX_HEADER_LIST;
    cfg->max_outbound_ack = HTTPX__H2_DEFAULT_MAX_OUTBOUND_ACK;
    cfg->max_settings = HTTPX__H2_DEFAULT_MAX_SETTINGS;
    cfg->max_continuations = HTTPX__H2_DEFAULT_MAX_CONTINUATIONS;
}

static void config_resolve(httpx__h2_config_t *c, const httpx__h2_config_t *in)
{
    httpx__h2_config_t d;
    httpx__h2_config_init(&d);
    *c = in ? *in : d;
#define H2_DEFAULT(f)  \
    if (c->f == 0)     \
        c->f = d.f;
    H2_DEFAULT(stream_window)
    H2_DEFAULT(connection_window)
    H2_DEFAULT(max_concurrent_streams)
    H2_DEFAULT(max_header_list)
    H2_DEFAULT(max_header_count)
    H2_DEFAULT(max_outbound_ack)
    H2_DEFAULT(max_settings)
    H2_DEFAULT(max_continuations)
#undef H2_DEFAULT
    if (c->max_interim_bytes == 0)
        c->max_interim_bytes = (size_t)HTTPX__H2_DEFAULT_INTERIM_LISTS * c->max_header_list;
    c->allocator = httpx__alloc_or_default(c->allocator);
}

static void session_release(httpx__h2_session_t *s)
{
    /* The held buffers first: they point at the nghttp2 session's allocator. */
    hfields_release(s);
    if (s->ng)
        nghttp2_session_del(s->ng);
    while (s->head)
        stream_unlink(s, s->head);
    cache_trim(s->a, &s->cache, 0);
    httpx__buf_release(&s->out);
    httpx__free(s->a, s->hrefs);
    httpx__free(s->a, s->hfields);
    httpx__free(s->a, s);
}

static int session_setup(httpx__h2_session_t *s)
{
    nghttp2_session_callbacks *cbs = NULL;
    nghttp2_option *opt = NULL;
    int rv = nghttp2_session_callbacks_new(&cbs);
    if (rv == 0)
        rv = nghttp2_option_new(&opt);
    if (rv == 0) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, cb_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback2(cbs, cb_header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data_chunk);
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, cb_invalid_frame);
        nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_frame_send);
        nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, cb_frame_not_send);
        nghttp2_session_callbacks_set_error_callback2(cbs, cb_error);

        nghttp2_option_set_no_auto_window_update(opt, 1);
        nghttp2_option_set_peer_max_concurrent_streams(opt, HTTPX__H2_ASSUMED_PEER_MAX_STREAMS);
        nghttp2_option_set_max_outbound_ack(opt, s->cfg.max_outbound_ack);
        nghttp2_option_set_max_settings(opt, s->cfg.max_settings);
        nghttp2_option_set_no_closed_streams(opt, 1);
#ifdef HTTPX_HAVE_NGHTTP2_MAX_CONTINUATIONS
        nghttp2_option_set_max_continuations(opt, s->cfg.max_continuations);
#endif
        rv = nghttp2_session_client_new3(&s->ng, cbs, s, opt, &s->mem);
    }
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0)
        return HTTPX_E_NOMEM; /* the only failure of these calls */

    /* No SETTINGS_NO_RFC7540_PRIORITIES: with it, nghttp2 1.52 frees a DATA item
     * it still references when queueing that item runs out of memory (a double
     * free at nghttp2_session_del; found by the failing-allocation test). */
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->cfg.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, s->cfg.stream_window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, s->cfg.max_header_list},
    };
    rv = nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    if (rv == 0)
        rv = nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0,
                                                   (int32_t)s->cfg.connection_window);
    return rv == 0 ? 0 : HTTPX_E_NOMEM;
}

int httpx__h2_session_new(const httpx__h2_config_t *cfg, const httpx__h2_callbacks_t *cb,
                          void *user, httpx__h2_session_t **out)
{
    httpx__h2_config_t c;
    config_resolve(&c, cfg);
    if (!cb || !cb->on_stream_close || !out || c.stream_window > NGHTTP2_MAX_WINDOW_SIZE ||
        c.connection_window > NGHTTP2_MAX_WINDOW_SIZE)
        return HTTPX_E_INVAL;
    httpx__h2_session_t *s = HTTPX__NEW(c.allocator, httpx__h2_session_t);
    if (!s)
        return HTTPX_E_NOMEM;
    s->a = c.allocator;
    s->cfg = c;
    s->cb = *cb;
    s->user = user;
    s->mem = (nghttp2_mem){s, ng_malloc, ng_free, ng_calloc, ng_realloc};
    httpx__buf_init(&s->out, s->a, OUT_CAP);
    int rc = session_setup(s);
    if (rc) {
        session_release(s);
        return rc;
    }
    *out = s;
    return 0;
}

void httpx__h2_session_free(httpx__h2_session_t *s)
{
    if (!s)
        return;
    if (s->depth > 0) {
        s->free_pending = true;
        return;
    }
    session_release(s);
}

/* Leave a recv/send/abort: 1 if the session was freed meanwhile. */
static int session_leave(httpx__h2_session_t *s)
{
    if (--s->depth == 0 && s->free_pending) {
        session_release(s);
        return 1;
    }
    if (s->nstreams == 0 && s->cache.bytes > CACHE_IDLE)
        cache_trim(s->a, &s->cache, CACHE_IDLE);
    return 0;
}

/* ---- requests -------------------------------------------------------------- */

bool httpx__h2_usable(httpx__h2_session_t *s)
{
    return !s->fatal && !s->terminated && !s->aborted && !s->shutdown && !s->goaway_recv &&
           nghttp2_session_check_request_allowed(s->ng);
}

static int not_usable(httpx__h2_session_t *s)
{
    if (s->fatal || s->terminated)
        return httpx__err(&s->err, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP,
                          "http/2 connection unusable after an error");
    if (s->goaway_recv)
        return httpx__err(&s->err, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP,
                          "http/2 connection going away (server sent GOAWAY)");
    return httpx__err(&s->err, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP,
                      "http/2 connection closing or out of stream ids");
}

/* Open a stream for the request whose header list is nva[0, nnv) (copied by nghttp2). */
static int submit_nva(httpx__h2_session_t *s, const nghttp2_nv *nva, size_t nnv, const httpx__h2_body_t *body,
                      void *stream_user, int32_t *stream_id)
{
    h2_stream_t *st = blk_alloc(s, sizeof *st);
    if (!st)
        return httpx__err(&s->err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
    memset(st, 0, sizeof *st);
    st->user = stream_user;
    nghttp2_data_provider prd;
    if (body) {
        st->body = *body;
        st->has_body = true;
        prd.source.ptr = st;
        prd.read_callback = cb_body_read;
    }
    int32_t id = nghttp2_submit_request(s->ng, NULL, nva, nnv, body ? &prd : NULL, st);
    if (id < 0) {
        blk_free(s, st);
        if (id == NGHTTP2_ERR_NOMEM)
            return httpx__err(&s->err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        return httpx__err(&s->err, HTTPX_E_CLOSED, HTTPX_PHASE_SETUP,
                          "http/2 request refused: %s", nghttp2_strerror(id));
    }
    st->id = id;
    st->prev = s->tail;
    if (s->tail)
        s->tail->next = st;
    else
        s->head = st;
    s->tail = st;
    s->nstreams++;
    *stream_id = id;
    return 0;
}

static int submit_check(httpx__h2_session_t *s, const httpx__h2_body_t *body, const int32_t *stream_id)
{
    httpx__err_clear(&s->err);
    if (!stream_id || (body && !body->read))
        return httpx__err(&s->err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "invalid http/2 submit");
    return httpx__h2_usable(s) ? 0 : not_usable(s);
}

int httpx__h2_submit(httpx__h2_session_t *s, const char *method, const char *scheme,
                     const char *authority, const char *path, const httpx__h2_field_t *fields,
                     size_t n, const httpx__h2_body_t *body, void *stream_user,
                     int32_t *stream_id)
{
    int rc = submit_check(s, body, stream_id);
    if (rc)
        return rc;
    nghttp2_nv *nva;
    size_t nnv;
    void *block;
    /* The list lives only until nghttp2 has copied it: on the stack when small. */
    union {
        nghttp2_nv nv[40];
        char bytes[40 * sizeof(nghttp2_nv) + 1024];
    } scratch;
    rc = httpx__h2_build_request(s->a, method, scheme, authority, path, fields, n, s->cfg.fields_checked,
                                 &scratch, sizeof scratch, &nva, &nnv, &block, &s->err);
    if (rc)
        return rc;
    rc = submit_nva(s, nva, nnv, body, stream_user, stream_id);
    httpx__free(s->a, block);
    return rc;
}

int httpx__h2_submit_prepared(httpx__h2_session_t *s, const char *method, const char *scheme,
                              const char *authority, const char *path, const httpx__h2_field_t *fields,
                              size_t n, const httpx__h2_body_t *body, void *stream_user, int32_t *stream_id)
{
    enum { PREPARED_MAX = 32 };
    if (n > PREPARED_MAX || !method || !scheme || !authority || !path)
        return httpx__h2_submit(s, method, scheme, authority, path, fields, n, body, stream_user, stream_id);
    int rc = submit_check(s, body, stream_id);
    if (rc)
        return rc;
    nghttp2_nv nv[4 + PREPARED_MAX];
#define PNV(nm, v, vl) ((nghttp2_nv){(uint8_t *)(uintptr_t)(nm), (uint8_t *)(uintptr_t)(v), sizeof(nm) - 1, (vl), NGHTTP2_NV_FLAG_NONE})
    nv[0] = PNV(":method", method, strlen(method));
    nv[1] = PNV(":scheme", scheme, strlen(scheme));
    nv[2] = PNV(":authority", authority, strlen(authority));
    nv[3] = PNV(":path", path, strlen(path));
#undef PNV
    for (size_t i = 0; i < n; i++)
        nv[4 + i] = (nghttp2_nv){(uint8_t *)(uintptr_t)fields[i].name.ptr, (uint8_t *)(uintptr_t)fields[i].value.ptr,
                                 fields[i].name.len, fields[i].value.len, NGHTTP2_NV_FLAG_NONE};
    return submit_nva(s, nv, 4 + n, body, stream_user, stream_id);
}

int httpx__h2_resume_body(httpx__h2_session_t *s, int32_t stream_id)
{
    if (s->fatal)
        return s->fatal;
    h2_stream_t *st = stream_find(s, stream_id);
    if (!st || !st->deferred || st->reported)
        return HTTPX_E_INVAL;
    int rv = nghttp2_session_resume_data(s->ng, stream_id);
    if (rv == NGHTTP2_ERR_NOMEM)
        return HTTPX_E_NOMEM;
    if (rv != 0)
        return HTTPX_E_INVAL;
    st->deferred = false;
    return 0;
}

int httpx__h2_consume(httpx__h2_session_t *s, int32_t stream_id, size_t n)
{
    if (s->fatal)
        return s->fatal;
    if (stream_id <= 0)
        return HTTPX_E_INVAL;
    if (n == 0)
        return 0;
    int rv = nghttp2_session_consume(s->ng, stream_id, n);
    if (nghttp2_is_fatal(rv))
        return die(s, rv);
    return 0;
}

int httpx__h2_cancel(httpx__h2_session_t *s, int32_t stream_id)
{
    if (s->fatal)
        return s->fatal;
    h2_stream_t *st = stream_find(s, stream_id);
    if (!st || st->reported)
        return HTTPX_E_INVAL;
    int rv = nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    if (rv == NGHTTP2_ERR_NOMEM)
        return HTTPX_E_NOMEM;
    st->reported = true; /* silent from now on; freed when nghttp2 closes it */
    return 0;
}

/* ---- bytes in and out ------------------------------------------------------ */

/* Streams still queued in nghttp2 when GOAWAY arrived were never sent: report
 * them now rather than whenever the engine next writes. */
static void goaway_sweep(httpx__h2_session_t *s)
{
    for (h2_stream_t *st = s->head, *next; st; st = next) {
        next = st->next;
        if (!st->reported && st->id > s->goaway_last)
            stream_close_report(s, st, NGHTTP2_REFUSED_STREAM);
    }
}

/* nghttp2 answers a connection error (the server's, or a failure of its own in
 * a non-fatal path) by queueing GOAWAY and ignoring what follows; from then on it
 * refuses new requests although no GOAWAY was received. */
static int check_terminated(httpx__h2_session_t *s)
{
    if (s->terminated || s->goaway_recv || s->shutdown || s->aborted ||
        nghttp2_session_check_request_allowed(s->ng) ||
        nghttp2_session_get_next_stream_id(s->ng) > INT32_MAX)
        return 0;
    s->terminated = true;
    int rc;
    if (s->alloc_failed)
        rc = httpx__err(&s->err, HTTPX_E_NOMEM, HTTPX_PHASE_NONE,
                        "out of memory in the http/2 session");
    else
        rc = httpx__err(&s->err, HTTPX_E_REMOTE_PROTOCOL, HTTPX_PHASE_NONE,
                        "http/2 connection error: %s", s->liberr[0] ? s->liberr : "protocol error");
    s->term_code = rc;
    fail_all(s, rc, s->err.message);
    return rc;
}

int httpx__h2_recv(httpx__h2_session_t *s, const uint8_t *data, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (s->depth)
        return HTTPX_E_BUSY;
    if (s->fatal)
        return s->fatal;
    if (s->terminated)
        return s->term_code;
    s->depth++;
    int rc = 0;
    ssize_t r = nghttp2_session_mem_recv(s->ng, data, len);
    if (r < 0) {
        rc = die(s, (int)r);
    } else {
        *consumed = (size_t)r;
        if (s->goaway_recv)
            goaway_sweep(s);
        rc = check_terminated(s);
    }
    session_leave(s); /* may free s */
    return rc;
}

int httpx__h2_send(httpx__h2_session_t *s, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (s->depth)
        return HTTPX_E_BUSY;
    if (s->fatal)
        return s->fatal;
    if (s->direct_len == 0 && httpx__buf_size(&s->out) == 0) {
        s->depth++;
        int rc = 0;
        for (;;) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(s->ng, &p);
            if (n < 0) {
                rc = die(s, (int)n);
                break;
            }
            if (n == 0)
                break;
            if (httpx__buf_size(&s->out) == 0 && (size_t)n >= OUT_DIRECT_MIN) {
                s->direct = p;
                s->direct_len = (size_t)n;
                break;
            }
            if (httpx__buf_append(&s->out, p, (size_t)n) != 0) {
                rc = die(s, NGHTTP2_ERR_NOMEM); /* those bytes are lost: the stream is broken */
                break;
            }
            if (httpx__buf_size(&s->out) >= OUT_COALESCE)
                break;
        }
        if (rc == 0 && !s->fatal)
            rc = check_terminated(s);
        if (session_leave(s) || rc)
            return rc;
    }
    if (s->direct_len) {
        *data = s->direct;
        *len = s->direct_len;
    } else {
        *data = (const uint8_t *)httpx__buf_ptr(&s->out);
        *len = httpx__buf_size(&s->out);
    }
    return 0;
}

void httpx__h2_sent(httpx__h2_session_t *s, size_t n)
{
    if (s->direct_len) {
        if (n > s->direct_len)
            n = s->direct_len;
        s->direct += n;
        s->direct_len -= n;
        if (s->direct_len == 0)
            s->direct = NULL;
    } else {
        size_t have = httpx__buf_size(&s->out);
        httpx__buf_consume(&s->out, n < have ? n : have);
    }
}

bool httpx__h2_want_write(httpx__h2_session_t *s)
{
    if (s->fatal)
        return false;
    return s->direct_len || httpx__buf_size(&s->out) || nghttp2_session_want_write(s->ng);
}

bool httpx__h2_want_read(httpx__h2_session_t *s)
{
    return !s->fatal && !s->terminated && !s->aborted && nghttp2_session_want_read(s->ng);
}

int httpx__h2_abort(httpx__h2_session_t *s, int code, const char *message)
{
    if (s->depth)
        return HTTPX_E_BUSY;
    s->aborted = true;
    httpx__err(&s->err, code, HTTPX_PHASE_NONE, "%s", message ? message : httpx_strerror(code));
    s->depth++;
    fail_all(s, code, s->err.message);
    session_leave(s);
    return 0;
}

int httpx__h2_shutdown(httpx__h2_session_t *s)
{
    if (s->fatal)
        return s->fatal;
    if (s->shutdown)
        return 0;
    int rv = nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
    if (rv == NGHTTP2_ERR_NOMEM)
        return HTTPX_E_NOMEM;
    s->shutdown = true;
    return 0;
}

/* ---- queries --------------------------------------------------------------- */

size_t httpx__h2_capacity(httpx__h2_session_t *s)
{
    if (!httpx__h2_usable(s))
        return 0;
    size_t lim = nghttp2_session_get_remote_settings(s->ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    if (lim > s->cfg.max_concurrent_streams)
        lim = s->cfg.max_concurrent_streams;
    uint32_t next = nghttp2_session_get_next_stream_id(s->ng);
    size_t ids = next <= INT32_MAX ? (size_t)(INT32_MAX - next) / 2 + 1 : 0;
    size_t cap = s->nstreams >= lim ? 0 : lim - s->nstreams;
    return cap < ids ? cap : ids;
}

size_t httpx__h2_open_streams(httpx__h2_session_t *s)
{
    return s->nstreams;
}

const httpx_error_t *httpx__h2_error(const httpx__h2_session_t *s)
{
    return &s->err;
}
