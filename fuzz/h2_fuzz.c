/* fuzz/h2_fuzz.c — libFuzzer target for the HTTP/2 client session (src/h2).
 *
 * A client session submits four requests (two GETs, a POST whose body pauses
 * now and then, a HEAD); the input is everything the "server" says. The first
 * byte seeds how the input is split into reads and what the engine does between
 * them (consume now or later, resume bodies, cancel a stream, submit more). The
 * client's own output is drained after every read. Checked: every submitted
 * stream is reported closed at most once and never after it was cancelled or
 * closed; bytes delivered never exceed what the windows allow; after an error
 * the session stays failed; nothing leaks (ASan).
 * Build and run from the source root (not wired into CMake yet): */
//   clang -g -O1 -fsanitize=fuzzer,address,undefined -I include -I src \
//       fuzz/h2_fuzz.c src/h2/*.c src/core/*.c -lnghttp2 -o h2_fuzz
//   ./h2_fuzz -max_total_time=60 fuzz/corpus/h2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h2/session.h"

enum { NREQ = 8 };

typedef struct freq {
    int32_t id;
    bool closed, cancelled;
    uint64_t held; /* delivered, not yet consumed */
} freq_t;

typedef struct fctx {
    httpx__h2_session_t *s;
    freq_t req[NREQ];
    size_t nreq;
    uint32_t seed;
    uint64_t held_total;
    size_t body_left;
    bool body_paused;
} fctx_t;

static uint32_t rnd(fctx_t *f)
{
    f->seed = f->seed * 1103515245u + 12345u;
    return f->seed >> 16;
}

static freq_t *check_req(fctx_t *f, void *su, int32_t id)
{
    freq_t *r = su;
    if (r < f->req || r >= f->req + f->nreq || r->id != id || r->closed || r->cancelled)
        abort();
    return r;
}

static void on_head(void *su, int32_t id, int status, const httpx__h2_field_t *fl, size_t n,
                    void *u)
{
    check_req(u, su, id);
    if (status < 200 || status > 999)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!fl[i].name.len || fl[i].name.ptr[0] == ':')
            abort();
}

static void on_info(void *su, int32_t id, int status, const httpx__h2_field_t *fl, size_t n,
                    void *u)
{
    check_req(u, su, id);
    if (status < 100 || status > 199)
        abort();
}

static void on_data(void *su, int32_t id, const uint8_t *d, size_t len, void *u)
{
    fctx_t *f = u;
    freq_t *r = check_req(f, su, id);
    volatile uint8_t sink = len ? d[len - 1] : 0; /* the bytes are readable */
    (void)sink;
    r->held += len;
    f->held_total += len;
    /* never more than the windows we advertised */
    if (r->held > HTTPX__H2_DEFAULT_STREAM_WINDOW || f->held_total > HTTPX__H2_DEFAULT_CONN_WINDOW)
        abort();
    if (rnd(f) % 2 == 0) {
        if (httpx__h2_consume(f->s, id, len) == 0) {
            r->held -= len;
            f->held_total -= len;
        }
    }
}

static void on_trailers(void *su, int32_t id, const httpx__h2_field_t *fl, size_t n, void *u)
{
    check_req(u, su, id);
}

static void on_close(void *su, int32_t id, const httpx__h2_close_t *ci, void *u)
{
    fctx_t *f = u;
    freq_t *r = check_req(f, su, id);
    r->closed = true;
    if (ci->err.code > 0 || (ci->err.code && !ci->err.message[0]))
        abort();
    if (ci->new_connection && !ci->retry)
        abort();
}

static void on_goaway(int32_t last, uint32_t code, void *u)
{
    if (last < 0)
        abort();
}

static int body_read(void *buf, size_t cap, size_t *n, bool *eof, void *user)
{
    fctx_t *f = user;
    if (rnd(f) % 4 == 0) {
        f->body_paused = true;
        return HTTPX__H2_DEFER;
    }
    size_t k = f->body_left < cap ? f->body_left : cap;
    memset(buf, 'b', k);
    f->body_left -= k;
    *n = k;
    *eof = f->body_left == 0;
    return 0;
}

static const httpx__h2_callbacks_t fcb = {on_head, on_info, on_data, on_trailers, on_close,
                                          on_goaway};

static void submit(fctx_t *f, const char *method, const char *path, bool body)
{
    if (f->nreq == NREQ)
        return;
    freq_t *r = &f->req[f->nreq];
    httpx__h2_field_t fl[] = {{HTTPX__SLICE_LIT("accept"), HTTPX__SLICE_LIT("*/*")},
                              {HTTPX__SLICE_LIT("accept-encoding"), HTTPX__SLICE_LIT("gzip")}};
    httpx__h2_body_t b = {body_read, f};
    int32_t id;
    if (httpx__h2_submit(f->s, method, "https", "example.com", path, fl, 2, body ? &b : NULL, r,
                         &id) != 0)
        return;
    r->id = id; /* no callback runs inside submit */
    f->nreq++;
}

static void drain(fctx_t *f)
{
    for (int i = 0; i < 64; i++) {
        const uint8_t *p;
        size_t n;
        if (httpx__h2_send(f->s, &p, &n) != 0 || n == 0)
            return;
        volatile uint8_t sink = p[n - 1];
        (void)sink;
        httpx__h2_sent(f->s, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fctx_t f;
    memset(&f, 0, sizeof f);
    f.seed = data[0];
    f.body_left = 40000;
    data++;
    size--;
    if (httpx__h2_session_new(NULL, &fcb, &f, &f.s) != 0)
        abort();
    submit(&f, "GET", "/a", false);
    submit(&f, "GET", "/b", false);
    submit(&f, "POST", "/c", true);
    submit(&f, "HEAD", "/d", false);
    drain(&f);

    int failed = 0;
    size_t off = 0;
    while (off < size) {
        size_t k = 1 + rnd(&f) % 512;
        if (k > size - off)
            k = size - off;
        size_t used;
        int rc = httpx__h2_recv(f.s, data + off, k, &used);
        if (rc) {
            /* the session stays failed, and unusable */
            if (rc > 0 || httpx__h2_usable(f.s) || httpx__h2_capacity(f.s) != 0)
                abort();
            failed = rc;
            drain(&f);
            if (httpx__h2_recv(f.s, data, 1, &used) == 0)
                abort();
            break;
        }
        if (used != k)
            abort();
        off += k;
        /* what an engine might do between reads */
        switch (rnd(&f) % 8) {
        case 0:
            for (size_t i = 0; i < f.nreq; i++)
                if (f.req[i].held && httpx__h2_consume(f.s, f.req[i].id, f.req[i].held) == 0) {
                    f.held_total -= f.req[i].held;
                    f.req[i].held = 0;
                }
            break;
        case 1:
            if (f.body_paused && httpx__h2_resume_body(f.s, f.req[2].id) == 0)
                f.body_paused = false;
            break;
        case 2: {
            freq_t *r = &f.req[rnd(&f) % f.nreq];
            if (!r->closed && !r->cancelled && httpx__h2_cancel(f.s, r->id) == 0)
                r->cancelled = true;
            break;
        }
        case 3:
            if (httpx__h2_capacity(f.s) > 0)
                submit(&f, "GET", "/more", false);
            break;
        default:
            break;
        }
        if (httpx__h2_capacity(f.s) + httpx__h2_open_streams(f.s) > HTTPX__H2_DEFAULT_MAX_STREAMS &&
            httpx__h2_capacity(f.s) > 0)
            abort();
        drain(&f);
    }
    if (!failed)
        httpx__h2_abort(f.s, HTTPX_E_SERVER_DISCONNECTED, "end of input");
    for (size_t i = 0; i < f.nreq; i++)
        if (!f.req[i].closed && !f.req[i].cancelled)
            abort(); /* every stream got its one report */
    httpx__h2_session_free(f.s);
    return 0;
}
