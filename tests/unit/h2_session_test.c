/* h2_session_test.c — the sans-IO HTTP/2 client session (src/h2) against an
 * in-memory nghttp2 server written here: bytes are pumped between the two, no
 * sockets. The server's behaviour is chosen by the request path:
 *   /small      200, "hello world"          /info     103 then as /small
 *   /big        200, 64 MiB                 /echo     200, "<bytes> <sum>" of the body
 *   /rst        RST_STREAM(CANCEL)          /refuse   RST_STREAM(REFUSED_STREAM)
 *   /trailers   200, "abc", x-checksum: 42  /bighead  200 with 80 KiB of fields
 *   /hold       no answer until the test says so
 * Malformed frames are injected as raw bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "h2/session.h"

#define BIG_SIZE ((uint64_t)64 << 20)

/* ---- the server -------------------------------------------------------------- */

typedef struct sstream {
    struct sstream *next;
    int32_t id;
    char path[128], method[16], authority[128];
    char fields[2048]; /* "name=value;" of the regular fields received */
    uint64_t body_in, sum_in;
    const char *body;  /* or BIG_SIZE of pattern when big */
    size_t body_len, off;
    uint64_t big_sent;
    bool big, trailers, closed;
    char echo[64];
} sstream_t;

typedef struct server {
    nghttp2_session *ng;
    sstream_t *streams;
    int open, max_open, requests;
    int push_rv;
    int32_t held[16];
    size_t nheld;
} server_t;

static void fields_add(char *dst, size_t cap, const uint8_t *n, size_t nl, const uint8_t *v,
                       size_t vl)
{
    size_t len = strlen(dst);
    if (len < cap)
        snprintf(dst + len, cap - len, "%.*s=%.*s;", (int)nl, (const char *)n, (int)vl,
                 (const char *)v);
}

static ssize_t srv_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    sstream_t *ss = src->ptr;
    if (ss->big) {
        uint64_t left = BIG_SIZE - ss->big_sent;
        size_t n = left < len ? (size_t)left : len;
        memset(buf, 'a' + (int)(ss->big_sent % 26), n);
        ss->big_sent += n;
        if (ss->big_sent == BIG_SIZE)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
    }
    size_t n = ss->body_len - ss->off;
    if (n > len)
        n = len;
    memcpy(buf, ss->body + ss->off, n);
    ss->off += n;
    if (ss->off == ss->body_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (ss->trailers) {
            nghttp2_nv tr[] = {{(uint8_t *)"x-checksum", (uint8_t *)"42", 10, 2, 0}};
            assert_int_equal(nghttp2_submit_trailer(ng, id, tr, 1), 0);
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
    }
    return (ssize_t)n;
}

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), 0}

static void srv_respond(server_t *sv, sstream_t *ss, const char *body)
{
    nghttp2_nv h[] = {NV(":status", "200"), NV("content-type", "text/plain")};
    ss->body = body;
    ss->body_len = strlen(body);
    nghttp2_data_provider prd = {.source.ptr = ss, .read_callback = srv_read};
    assert_int_equal(nghttp2_submit_response(sv->ng, ss->id, h, 2, &prd), 0);
}

static void srv_request(server_t *sv, sstream_t *ss)
{
    sv->requests++;
    const char *p = ss->path;
    if (strcmp(p, "/small") == 0) {
        srv_respond(sv, ss, "hello world");
    } else if (strcmp(p, "/info") == 0) {
        nghttp2_nv h[] = {NV(":status", "103"), NV("link", "</s.css>; rel=preload")};
        assert_int_equal(nghttp2_submit_headers(sv->ng, 0, ss->id, NULL, h, 2, NULL), 0);
        srv_respond(sv, ss, "hello world");
    } else if (strcmp(p, "/big") == 0) {
        ss->big = true;
        srv_respond(sv, ss, "");
    } else if (strcmp(p, "/echo") == 0) {
        snprintf(ss->echo, sizeof ss->echo, "%llu %llu", (unsigned long long)ss->body_in,
                 (unsigned long long)ss->sum_in);
        srv_respond(sv, ss, ss->echo);
    } else if (strcmp(p, "/rst") == 0) {
        assert_int_equal(nghttp2_submit_rst_stream(sv->ng, 0, ss->id, NGHTTP2_CANCEL), 0);
    } else if (strcmp(p, "/refuse") == 0) {
        assert_int_equal(nghttp2_submit_rst_stream(sv->ng, 0, ss->id, NGHTTP2_REFUSED_STREAM), 0);
    } else if (strcmp(p, "/trailers") == 0) {
        ss->trailers = true;
        srv_respond(sv, ss, "abc");
    } else if (strcmp(p, "/bighead") == 0) {
        static char big[16 * 1024 + 1];
        memset(big, 'v', sizeof big - 1);
        nghttp2_nv h[] = {NV(":status", "200"), NV("x-a", big), NV("x-b", big), NV("x-c", big),
                          NV("x-d", big), NV("x-e", big)};
        ss->body = "x";
        ss->body_len = 1;
        nghttp2_data_provider prd = {.source.ptr = ss, .read_callback = srv_read};
        assert_int_equal(nghttp2_submit_response(sv->ng, ss->id, h, 6, &prd), 0);
    } else if (strcmp(p, "/manyfields") == 0) {
        /* 101 small fields: within the byte limit, over the default count */
        static char names[101][8];
        nghttp2_nv h[102];
        h[0] = (nghttp2_nv)NV(":status", "200");
        for (int i = 0; i < 101; i++) {
            snprintf(names[i], sizeof names[i], "x-%d", i);
            h[i + 1] = (nghttp2_nv){(uint8_t *)names[i], (uint8_t *)"v", strlen(names[i]), 1, NGHTTP2_NV_FLAG_NONE};
        }
        ss->body = "x";
        ss->body_len = 1;
        nghttp2_data_provider prd = {.source.ptr = ss, .read_callback = srv_read};
        assert_int_equal(nghttp2_submit_response(sv->ng, ss->id, h, 102, &prd), 0);
    } else if (strcmp(p, "/endless1xx") == 0) {
        /* 103s of ~1 KiB each: 300 of them pass a 4 × 64 KiB budget */
        static char link[1001];
        memset(link, 'l', sizeof link - 1);
        nghttp2_nv h[] = {NV(":status", "103"), NV("link", link)};
        for (int i = 0; i < 300; i++)
            assert_int_equal(nghttp2_submit_headers(sv->ng, 0, ss->id, NULL, h, 2, NULL), 0);
        srv_respond(sv, ss, "hello world");
    } else if (strcmp(p, "/push") == 0) {
        nghttp2_nv h[] = {NV(":method", "GET"), NV(":scheme", "https"),
                          NV(":authority", "example.com"), NV(":path", "/pushed")};
        /* accepted here; refused when it would be sent (srv_not_send) */
        assert_true(nghttp2_submit_push_promise(sv->ng, 0, ss->id, h, 4, NULL) > 0);
        srv_respond(sv, ss, "hello world");
    } else if (strcmp(p, "/hold") == 0) {
        assert_true(sv->nheld < 16);
        sv->held[sv->nheld++] = ss->id;
    } else {
        fail_msg("server: unknown path %s", p);
    }
}

static int srv_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    server_t *sv = ud;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    sstream_t *ss = calloc(1, sizeof *ss);
    assert_non_null(ss);
    ss->id = f->hd.stream_id;
    ss->next = sv->streams;
    sv->streams = ss;
    nghttp2_session_set_stream_user_data(ng, ss->id, ss);
    if (++sv->open > sv->max_open)
        sv->max_open = sv->open;
    return 0;
}

static void copy_into(char *dst, size_t cap, const uint8_t *v, size_t vl)
{
    snprintf(dst, cap, "%.*s", (int)vl, (const char *)v);
}

static int srv_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *n, size_t nl,
                      const uint8_t *v, size_t vl, uint8_t flags, void *ud)
{
    sstream_t *ss = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
    if (!ss)
        return 0;
    if (nl == 5 && memcmp(n, ":path", 5) == 0)
        copy_into(ss->path, sizeof ss->path, v, vl);
    else if (nl == 7 && memcmp(n, ":method", 7) == 0)
        copy_into(ss->method, sizeof ss->method, v, vl);
    else if (nl == 10 && memcmp(n, ":authority", 10) == 0)
        copy_into(ss->authority, sizeof ss->authority, v, vl);
    else if (n[0] != ':')
        fields_add(ss->fields, sizeof ss->fields, n, nl, v, vl);
    return 0;
}

static int srv_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *d, size_t len,
                    void *ud)
{
    sstream_t *ss = nghttp2_session_get_stream_user_data(ng, id);
    if (ss) {
        ss->body_in += len;
        for (size_t i = 0; i < len; i++)
            ss->sum_in += d[i];
    }
    return 0;
}

static int srv_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        sstream_t *ss = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
        if (ss)
            srv_request(ud, ss);
    }
    return 0;
}

static int srv_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    server_t *sv = ud;
    sstream_t *ss = nghttp2_session_get_stream_user_data(ng, id);
    if (ss) {
        ss->closed = true;
        sv->open--;
    }
    return 0;
}

static int srv_not_send(nghttp2_session *ng, const nghttp2_frame *f, int lib_error, void *ud)
{
    server_t *sv = ud;
    if (f->hd.type == NGHTTP2_PUSH_PROMISE)
        sv->push_rv = lib_error;
    return 0;
}

static void server_init(server_t *sv, uint32_t max_streams)
{
    memset(sv, 0, sizeof *sv);
    nghttp2_session_callbacks *cbs;
    assert_int_equal(nghttp2_session_callbacks_new(&cbs), 0);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, srv_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, srv_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, srv_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, srv_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, srv_close);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, srv_not_send);
    nghttp2_option *opt;
    assert_int_equal(nghttp2_option_new(&opt), 0);
    nghttp2_option_set_max_send_header_block_length(opt, 1 << 20);
    assert_int_equal(nghttp2_session_server_new2(&sv->ng, cbs, sv, opt), 0);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    assert_int_equal(nghttp2_submit_settings(sv->ng, 0, iv, 2), 0);
}

static void server_release(server_t *sv)
{
    nghttp2_session_del(sv->ng);
    while (sv->streams) {
        sstream_t *n = sv->streams->next;
        free(sv->streams);
        sv->streams = n;
    }
}

static sstream_t *server_stream(server_t *sv, int32_t id)
{
    for (sstream_t *ss = sv->streams; ss; ss = ss->next)
        if (ss->id == id)
            return ss;
    return NULL;
}

/* ---- the client side ------------------------------------------------------- */

typedef struct req {
    int32_t id;
    int status, info_status, heads;
    char fields[512], trailers[256];
    uint64_t body_len;
    char body[64];
    bool closed;
    int ncloses;
    httpx__h2_close_t close;
} req_t;

typedef struct tc {
    httpx__h2_session_t *c;
    server_t srv;
    bool auto_consume;
    uint64_t unconsumed, max_unconsumed;
    int goaways;
    int32_t goaway_last;
    int closes;
    size_t wchunk, rchunk; /* split writes/reads into pieces of at most this */
} tc_t;

static void dump_fields(char *dst, size_t cap, const httpx__h2_field_t *f, size_t n)
{
    dst[0] = '\0';
    for (size_t i = 0; i < n; i++)
        fields_add(dst, cap, (const uint8_t *)f[i].name.ptr, f[i].name.len,
                   (const uint8_t *)f[i].value.ptr, f[i].value.len);
}

static void c_head(void *su, int32_t id, int status, const httpx__h2_field_t *f, size_t n, void *u)
{
    req_t *r = su;
    r->status = status;
    r->heads++;
    dump_fields(r->fields, sizeof r->fields, f, n);
}

static void c_info(void *su, int32_t id, int status, const httpx__h2_field_t *f, size_t n, void *u)
{
    req_t *r = su;
    r->info_status = status;
}

static void c_data(void *su, int32_t id, const uint8_t *d, size_t len, void *u)
{
    req_t *r = su;
    tc_t *t = u;
    if (r->body_len < sizeof r->body - 1) {
        size_t k = sizeof r->body - 1 - (size_t)r->body_len;
        memcpy(r->body + r->body_len, d, len < k ? len : k);
    }
    r->body_len += len;
    if (t->auto_consume) {
        assert_int_equal(httpx__h2_consume(t->c, id, len), 0);
    } else {
        t->unconsumed += len;
        if (t->unconsumed > t->max_unconsumed)
            t->max_unconsumed = t->unconsumed;
    }
}

static void c_trailers(void *su, int32_t id, const httpx__h2_field_t *f, size_t n, void *u)
{
    req_t *r = su;
    dump_fields(r->trailers, sizeof r->trailers, f, n);
}

static void c_close(void *su, int32_t id, const httpx__h2_close_t *ci, void *u)
{
    req_t *r = su;
    tc_t *t = u;
    assert_int_equal(r->id ? r->id : id, id);
    r->closed = true;
    r->ncloses++;
    r->close = *ci;
    t->closes++;
}

static void c_goaway(int32_t last, uint32_t code, void *u)
{
    tc_t *t = u;
    t->goaways++;
    t->goaway_last = last;
}

static const httpx__h2_callbacks_t client_cb = {
    .on_response_head = c_head,
    .on_informational = c_info,
    .on_data = c_data,
    .on_trailers = c_trailers,
    .on_stream_close = c_close,
    .on_goaway = c_goaway,
};

/* Move bytes both ways until neither side has anything to say. Returns the
 * client's first error. */
static int pump(tc_t *t)
{
    for (int round = 0; round < 1000000; round++) {
        size_t moved = 0;
        for (;;) {
            const uint8_t *p;
            size_t n;
            int rc = httpx__h2_send(t->c, &p, &n);
            if (rc)
                return rc;
            if (n == 0)
                break;
            if (t->wchunk && n > t->wchunk)
                n = t->wchunk;
            ssize_t r = nghttp2_session_mem_recv(t->srv.ng, p, n);
            assert_int_equal(r, (ssize_t)n);
            httpx__h2_sent(t->c, n);
            moved += n;
        }
        for (;;) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(t->srv.ng, &p);
            assert_true(n >= 0);
            if (n == 0)
                break;
            for (size_t off = 0; off < (size_t)n;) {
                size_t k = (size_t)n - off, used;
                if (t->rchunk && k > t->rchunk)
                    k = t->rchunk;
                int rc = httpx__h2_recv(t->c, p + off, k, &used);
                if (rc)
                    return rc;
                assert_int_equal(used, k);
                off += k;
            }
            moved += (size_t)n;
        }
        if (!moved)
            return 0;
    }
    fail_msg("pump did not settle");
    return -1;
}

static void tc_init_cfg(tc_t *t, const httpx__h2_config_t *cfg, uint32_t server_streams)
{
    memset(t, 0, sizeof *t);
    t->auto_consume = true;
    server_init(&t->srv, server_streams);
    assert_int_equal(httpx__h2_session_new(cfg, &client_cb, t, &t->c), 0);
}

static void tc_init(tc_t *t)
{
    tc_init_cfg(t, NULL, 100);
}

static void tc_release(tc_t *t)
{
    httpx__h2_session_free(t->c);
    server_release(&t->srv);
}

static void get(tc_t *t, req_t *r, const char *path)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(
        httpx__h2_submit(t->c, "GET", "https", "example.com", path, NULL, 0, NULL, r, &r->id), 0);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_get(void **state)
{
    tc_t t;
    tc_init(&t);
    t.wchunk = 7; /* partial writes */
    t.rchunk = 5; /* and reads split anywhere */
    httpx__h2_field_t f[] = {
        {HTTPX__SLICE_LIT("User-Agent"), HTTPX__SLICE_LIT("httpx-test")},
        {HTTPX__SLICE_LIT("Connection"), HTTPX__SLICE_LIT("keep-alive, X-Hop")},
        {HTTPX__SLICE_LIT("X-Hop"), HTTPX__SLICE_LIT("1")},
        {HTTPX__SLICE_LIT("Keep-Alive"), HTTPX__SLICE_LIT("timeout=5")},
        {HTTPX__SLICE_LIT("Transfer-Encoding"), HTTPX__SLICE_LIT("chunked")},
        {HTTPX__SLICE_LIT("Upgrade"), HTTPX__SLICE_LIT("h2c")},
        {HTTPX__SLICE_LIT("Proxy-Connection"), HTTPX__SLICE_LIT("close")},
        {HTTPX__SLICE_LIT("TE"), HTTPX__SLICE_LIT("gzip")},
        {HTTPX__SLICE_LIT("Host"), HTTPX__SLICE_LIT("from-host.example")},
        {HTTPX__SLICE_LIT("Accept"), HTTPX__SLICE_LIT("  */*  ")},
    };
    req_t r;
    memset(&r, 0, sizeof r);
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", NULL, "/info", f, 10, NULL, &r, &r.id),
                     0);
    assert_int_equal(r.id, 1);
    assert_int_equal(httpx__h2_open_streams(t.c), 1);
    assert_true(httpx__h2_want_write(t.c));
    assert_int_equal(pump(&t), 0);

    sstream_t *ss = server_stream(&t.srv, 1);
    assert_non_null(ss);
    assert_string_equal(ss->method, "GET");
    assert_string_equal(ss->authority, "from-host.example");
    assert_string_equal(ss->fields, "user-agent=httpx-test;accept=*/*;");

    assert_true(r.closed);
    assert_int_equal(r.ncloses, 1);
    assert_int_equal(r.close.err.code, 0);
    assert_int_equal(r.info_status, 103);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.heads, 1);
    assert_string_equal(r.fields, "content-type=text/plain;");
    assert_int_equal(r.body_len, 11);
    assert_string_equal(r.body, "hello world");
    assert_int_equal(httpx__h2_open_streams(t.c), 0);
    assert_int_equal(httpx__h2_capacity(t.c), 100);
    assert_true(httpx__h2_usable(t.c));
    assert_true(httpx__h2_want_read(t.c));
    assert_false(httpx__h2_want_write(t.c));

    /* refused synchronously, no callback: bad names, values, missing pieces */
    httpx__h2_field_t bad1 = {HTTPX__SLICE_LIT("bad name"), HTTPX__SLICE_LIT("x")};
    httpx__h2_field_t bad2 = {HTTPX__SLICE_LIT("x-ok"), HTTPX__SLICE_LIT("a\r\nb")};
    httpx__h2_field_t bad3 = {HTTPX__SLICE_LIT(":path"), HTTPX__SLICE_LIT("/")};
    int32_t id;
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "h", "/", &bad1, 1, NULL, &r, &id),
                     HTTPX_E_INVAL);
    assert_non_null(strstr(httpx__h2_error(t.c)->message, "bad name"));
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "h", "/", &bad2, 1, NULL, &r, &id),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "h", "/", &bad3, 1, NULL, &r, &id),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", NULL, "/", NULL, 0, NULL, &r, &id),
                     HTTPX_E_INVAL);
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "h", NULL, NULL, 0, NULL, &r, &id),
                     HTTPX_E_INVAL);
    assert_int_equal(pump(&t), 0);
    assert_int_equal(t.closes, 1);
    assert_int_equal(httpx__h2_open_streams(t.c), 0);
    tc_release(&t);
}

static void test_multiplex_1000(void **state)
{
    /* Our cap (1000) is above the server's MAX_CONCURRENT_STREAMS (100): the
     * capacity query must follow the server's. */
    httpx__h2_config_t cfg;
    httpx__h2_config_init(&cfg);
    cfg.max_concurrent_streams = 1000;
    tc_t t;
    tc_init_cfg(&t, &cfg, 100);
    assert_int_equal(pump(&t), 0); /* SETTINGS exchanged */
    assert_int_equal(httpx__h2_capacity(t.c), 100);

    enum { N = 1000 };
    req_t *r = calloc(N, sizeof *r);
    assert_non_null(r);
    size_t next = 0;
    int rounds = 0;
    while (t.closes < N) {
        size_t cap = httpx__h2_capacity(t.c);
        assert_true(cap + httpx__h2_open_streams(t.c) <= 100);
        for (; cap > 0 && next < N; cap--, next++)
            assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "example.com", "/small", NULL,
                                              0, NULL, &r[next], &r[next].id),
                             0);
        if (next < N)
            assert_int_equal(httpx__h2_capacity(t.c), 0);
        assert_int_equal(pump(&t), 0);
        assert_true(++rounds < 100);
    }
    for (size_t i = 0; i < N; i++) {
        assert_true(r[i].closed);
        assert_int_equal(r[i].close.err.code, 0);
        assert_int_equal(r[i].status, 200);
        assert_int_equal(r[i].body_len, 11);
    }
    assert_int_equal(t.srv.requests, N);
    assert_true(t.srv.max_open <= 100);
    assert_true(t.srv.max_open >= 50); /* multiplexed, not one at a time */
    assert_int_equal(httpx__h2_open_streams(t.c), 0);
    free(r);
    tc_release(&t);
}

/* A request body that pauses every third call. */
typedef struct upload {
    size_t total, produced;
    int calls, defers;
    bool paused;
    int fail_with; /* return this error once produced >= total / 2 */
} upload_t;

static int up_read(void *buf, size_t cap, size_t *n, bool *eof, void *user)
{
    upload_t *u = user;
    if (u->fail_with && u->produced >= u->total / 2)
        return u->fail_with;
    if (++u->calls % 3 == 0) {
        u->defers++;
        u->paused = true;
        return HTTPX__H2_DEFER;
    }
    size_t k = u->total - u->produced;
    if (k > cap)
        k = cap;
    if (k > 7000)
        k = 7000;
    for (size_t i = 0; i < k; i++)
        ((uint8_t *)buf)[i] = (uint8_t)((u->produced + i) * 7);
    u->produced += k;
    *n = k;
    *eof = u->produced == u->total;
    return 0;
}

static void test_body_deferred(void **state)
{
    tc_t t;
    tc_init(&t);
    upload_t u = {.total = 1 << 20};
    httpx__h2_body_t body = {up_read, &u};
    req_t r;
    memset(&r, 0, sizeof r);
    httpx__h2_field_t f = {HTTPX__SLICE_LIT("content-type"), HTTPX__SLICE_LIT("application/x")};
    assert_int_equal(
        httpx__h2_submit(t.c, "POST", "https", "example.com", "/echo", &f, 1, &body, &r, &r.id),
        0);
    uint64_t expect = 0;
    for (size_t i = 0; i < u.total; i++)
        expect += (uint8_t)(i * 7);
    int resumes = 0;
    assert_int_equal(httpx__h2_resume_body(t.c, r.id), HTTPX_E_INVAL); /* not deferred */
    while (!r.closed) {
        assert_int_equal(pump(&t), 0);
        if (r.closed)
            break;
        /* paused: the server has exactly what was produced, nothing moves */
        assert_true(u.paused);
        assert_int_equal(server_stream(&t.srv, r.id)->body_in, u.produced);
        assert_false(httpx__h2_want_write(t.c));
        u.paused = false;
        assert_int_equal(httpx__h2_resume_body(t.c, r.id), 0);
        assert_true(httpx__h2_want_write(t.c));
        assert_true(++resumes < 10000);
    }
    assert_true(u.defers > 10);
    assert_int_equal(r.close.err.code, 0);
    assert_int_equal(r.status, 200);
    char want[64];
    snprintf(want, sizeof want, "%zu %llu", u.total, (unsigned long long)expect);
    assert_string_equal(r.body, want);

    /* a body that fails half way: the stream is reset and reports the error */
    upload_t u2 = {.total = 100000, .fail_with = HTTPX_E_READ};
    httpx__h2_body_t body2 = {up_read, &u2};
    req_t r2;
    memset(&r2, 0, sizeof r2);
    assert_int_equal(
        httpx__h2_submit(t.c, "POST", "https", "example.com", "/echo", NULL, 0, &body2, &r2, &r2.id),
        0);
    for (int i = 0; i < 1000 && !r2.closed; i++) {
        assert_int_equal(pump(&t), 0);
        if (u2.paused) {
            u2.paused = false;
            assert_int_equal(httpx__h2_resume_body(t.c, r2.id), 0);
        }
    }
    assert_true(r2.closed);
    assert_int_equal(r2.close.err.code, HTTPX_E_READ);
    assert_false(r2.close.retry);
    assert_true(server_stream(&t.srv, r2.id)->closed);
    assert_true(httpx__h2_usable(t.c));
    tc_release(&t);
}

static void test_slow_reader(void **state)
{
    tc_t t;
    tc_init(&t);
    t.auto_consume = false;
    req_t r;
    get(&t, &r, "/big");
    uint64_t consumed = 0;
    int rounds = 0;
    while (!r.closed) {
        assert_int_equal(pump(&t), 0);
        /* only the stream window arrives until we consume */
        assert_true(t.max_unconsumed <= HTTPX__H2_DEFAULT_STREAM_WINDOW);
        assert_true(t.unconsumed > 0 || r.closed);
        assert_int_equal(r.body_len, consumed + t.unconsumed);
        if (rounds == 0)
            assert_int_equal(t.unconsumed, HTTPX__H2_DEFAULT_STREAM_WINDOW);
        /* the reader takes a piece at a time */
        size_t piece = t.unconsumed > 300000 ? 300000 : (size_t)t.unconsumed;
        assert_int_equal(httpx__h2_consume(t.c, r.id, piece), 0);
        consumed += piece;
        t.unconsumed -= piece;
        assert_true(++rounds < 10000);
    }
    assert_int_equal(r.close.err.code, 0);
    assert_int_equal(r.body_len, BIG_SIZE);
    assert_true(rounds >= 64);
    assert_int_equal(httpx__h2_consume(t.c, r.id, (size_t)t.unconsumed), 0); /* after close */
    assert_int_equal(pump(&t), 0);
    /* the whole connection window is open again */
    assert_int_equal(nghttp2_session_get_remote_window_size(t.srv.ng) >= (1 << 23), 1);
    tc_release(&t);
}

static void test_rst_stream(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t a, b, c, d;
    get(&t, &a, "/small");
    get(&t, &b, "/rst");
    get(&t, &c, "/trailers");
    get(&t, &d, "/refuse");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(a.close.err.code, 0);
    assert_string_equal(a.body, "hello world");
    assert_int_equal(b.close.err.code, HTTPX_E_REMOTE_PROTOCOL);
    assert_string_equal(b.close.err.message, "stream reset by server: CANCEL");
    assert_int_equal(b.close.h2_error, NGHTTP2_CANCEL);
    assert_false(b.close.retry);
    assert_int_equal(b.close.err.phase, HTTPX_PHASE_READ_HEAD);
    assert_int_equal(c.close.err.code, 0);
    assert_int_equal(d.close.err.code, HTTPX_E_REMOTE_PROTOCOL);
    assert_string_equal(d.close.err.message, "stream reset by server: REFUSED_STREAM");
    assert_true(d.close.retry);
    assert_false(d.close.new_connection);
    assert_true(httpx__h2_usable(t.c));
    req_t e;
    get(&t, &e, "/small");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(e.close.err.code, 0);
    tc_release(&t);
}

static void test_trailers(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t r;
    get(&t, &r, "/trailers");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(r.close.err.code, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "abc");
    assert_string_equal(r.trailers, "x-checksum=42;");
    tc_release(&t);
}

static void test_goaway(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t r[6];
    for (int i = 0; i < 5; i++)
        get(&t, &r[i], "/hold");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(t.srv.nheld, 5);
    /* the server will process streams 1, 3, 5 only */
    assert_int_equal(nghttp2_submit_goaway(t.srv.ng, 0, 5, NGHTTP2_NO_ERROR, NULL, 0), 0);
    /* a request submitted now is not yet sent when the GOAWAY arrives */
    get(&t, &r[5], "/small");
    const uint8_t *p;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(t.srv.ng, &p)) > 0) {
        size_t used;
        assert_int_equal(httpx__h2_recv(t.c, p, (size_t)n, &used), 0);
    }
    assert_int_equal(t.goaways, 1);
    assert_int_equal(t.goaway_last, 5);
    assert_false(httpx__h2_usable(t.c));
    assert_int_equal(httpx__h2_capacity(t.c), 0);
    for (int i = 3; i < 6; i++) {
        assert_true(r[i].closed);
        assert_int_equal(r[i].close.err.code, HTTPX_E_REMOTE_PROTOCOL);
        assert_true(r[i].close.retry);
        assert_true(r[i].close.new_connection);
        assert_non_null(strstr(r[i].close.err.message, "retry on a new connection"));
    }
    for (int i = 0; i < 3; i++)
        assert_false(r[i].closed);
    int32_t id;
    req_t x;
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "h", "/", NULL, 0, NULL, &x, &id),
                     HTTPX_E_CLOSED);
    /* the processed ones still complete */
    for (size_t i = 0; i < t.srv.nheld; i++) {
        sstream_t *ss = server_stream(&t.srv, t.srv.held[i]);
        if (ss->id <= 5)
            srv_respond(&t.srv, ss, "late");
    }
    assert_int_equal(pump(&t), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].close.err.code, 0);
        assert_string_equal(r[i].body, "late");
    }
    for (int i = 0; i < 6; i++)
        assert_int_equal(r[i].ncloses, 1);
    assert_int_equal(httpx__h2_open_streams(t.c), 0);
    assert_false(httpx__h2_want_read(t.c)); /* nothing left: close the connection */
    tc_release(&t);
}

static void test_headers_too_large(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t a, b;
    get(&t, &a, "/bighead");
    get(&t, &b, "/small");
    assert_int_equal(pump(&t), 0);
    assert_true(a.closed);
    assert_int_equal(a.close.err.code, HTTPX_E_HEADER_LIMIT);
    assert_non_null(strstr(a.close.err.message, "65536"));
    assert_int_equal(a.heads, 0);
    assert_int_equal(b.close.err.code, 0);
    assert_true(httpx__h2_usable(t.c));
    assert_true(server_stream(&t.srv, a.id)->closed);
    req_t c;
    get(&t, &c, "/trailers");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(c.close.err.code, 0);
    assert_string_equal(c.trailers, "x-checksum=42;"); /* HPACK state survived */
    tc_release(&t);
}

/* A block of more fields than max_header_count, and 1xx blocks past their budget,
 * reset that stream only, each with its own message; the connection goes on. */
static void test_header_count_and_interim_budget(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t a, b, c;
    get(&t, &a, "/manyfields");
    get(&t, &b, "/endless1xx");
    get(&t, &c, "/info");
    assert_int_equal(pump(&t), 0);
    assert_true(a.closed);
    assert_int_equal(a.close.err.code, HTTPX_E_HEADER_LIMIT);
    assert_non_null(strstr(a.close.err.message, "limit of 100 fields"));
    assert_int_equal(a.heads, 0);
    assert_true(b.closed);
    assert_int_equal(b.close.err.code, HTTPX_E_HEADER_LIMIT);
    assert_non_null(strstr(b.close.err.message, "1xx interim responses"));
    assert_non_null(strstr(b.close.err.message, "262144 bytes"));
    assert_int_equal(b.heads, 0);
    assert_int_equal(c.close.err.code, 0); /* one 103 is fine */
    assert_int_equal(c.heads, 1);
    assert_true(httpx__h2_usable(t.c));
    tc_release(&t);

    /* a larger count lets the same block through */
    httpx__h2_config_t cfg;
    httpx__h2_config_init(&cfg);
    cfg.max_header_count = 101;
    tc_init_cfg(&t, &cfg, 100);
    get(&t, &a, "/manyfields");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(a.close.err.code, 0);
    assert_int_equal(a.heads, 1);
    tc_release(&t);
}

/* Client output parsed as frames: the error code of the first GOAWAY, or -1. */
static long goaway_code_in_output(tc_t *t)
{
    uint8_t out[4096];
    size_t len = 0;
    const uint8_t *p;
    size_t n;
    while (httpx__h2_send(t->c, &p, &n) == 0 && n) {
        assert_true(len + n <= sizeof out);
        memcpy(out + len, p, n);
        len += n;
        httpx__h2_sent(t->c, n);
    }
    for (size_t off = 0; off + 9 <= len;) {
        size_t flen = (size_t)out[off] << 16 | (size_t)out[off + 1] << 8 | out[off + 2];
        if (out[off + 3] == NGHTTP2_GOAWAY && off + 9 + 8 <= len) {
            const uint8_t *e = out + off + 9 + 4;
            return (long)((uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3]);
        }
        off += 9 + flen;
    }
    return -1;
}

static void inject_expect_conn_error(const uint8_t *bytes, size_t len, long want_code)
{
    tc_t t;
    tc_init(&t);
    req_t r;
    get(&t, &r, "/hold");
    assert_int_equal(pump(&t), 0);
    assert_false(r.closed);
    size_t used;
    int rc = httpx__h2_recv(t.c, bytes, len, &used);
    assert_int_equal(rc, HTTPX_E_REMOTE_PROTOCOL);
    assert_non_null(strstr(httpx__h2_error(t.c)->message, "connection error"));
    assert_true(r.closed);
    assert_int_equal(r.close.err.code, HTTPX_E_REMOTE_PROTOCOL);
    assert_false(r.close.retry);
    assert_false(httpx__h2_usable(t.c));
    assert_false(httpx__h2_want_read(t.c));
    assert_int_equal(httpx__h2_capacity(t.c), 0);
    assert_int_equal(goaway_code_in_output(&t), want_code);
    assert_int_equal(httpx__h2_recv(t.c, bytes, len, &used), HTTPX_E_REMOTE_PROTOCOL);
    int32_t id;
    assert_int_equal(httpx__h2_submit(t.c, "GET", "https", "h", "/", NULL, 0, NULL, &r, &id),
                     HTTPX_E_CLOSED);
    assert_int_equal(r.ncloses, 1);
    tc_release(&t);
}

static void test_malformed_frames(void **state)
{
    /* SETTINGS whose length is not a multiple of 6 */
    static const uint8_t settings[] = {0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    inject_expect_conn_error(settings, sizeof settings, NGHTTP2_FRAME_SIZE_ERROR);
    /* DATA on stream 0 */
    static const uint8_t data0[] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 'h', 'i'};
    inject_expect_conn_error(data0, sizeof data0, NGHTTP2_PROTOCOL_ERROR);
    /* WINDOW_UPDATE of 0 on the connection */
    static const uint8_t wu0[] = {0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    inject_expect_conn_error(wu0, sizeof wu0, NGHTTP2_PROTOCOL_ERROR);
    /* HEADERS with a header block that is not HPACK */
    static const uint8_t hdr[] = {0, 0, 3, 1, 5, 0, 0, 0, 1, 0xff, 0xff, 0xff};
    inject_expect_conn_error(hdr, sizeof hdr, NGHTTP2_COMPRESSION_ERROR);
}

static void test_bad_status(void **state)
{
    /* :status "042" passes nghttp2's three-digit check; it is a stream error */
    tc_t t;
    tc_init(&t);
    req_t r, ok;
    get(&t, &r, "/hold");
    assert_int_equal(pump(&t), 0);
    static const uint8_t hdr[] = {0, 0, 5, 1, 5, 0, 0, 0, 1, 0x08, 3, '0', '4', '2'};
    size_t used;
    assert_int_equal(httpx__h2_recv(t.c, hdr, sizeof hdr, &used), 0);
    assert_true(r.closed);
    assert_int_equal(r.close.err.code, HTTPX_E_REMOTE_PROTOCOL);
    assert_non_null(strstr(r.close.err.message, "invalid :status"));
    assert_int_equal(r.heads, 0);
    assert_true(httpx__h2_usable(t.c));
    get(&t, &ok, "/small");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(ok.close.err.code, 0);
    tc_release(&t);
}

static void test_push_refused(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t r;
    get(&t, &r, "/push");
    assert_int_equal(pump(&t), 0);
    /* our SETTINGS_ENABLE_PUSH=0 kept the server's PUSH_PROMISE from being sent */
    assert_int_equal(t.srv.push_rv, NGHTTP2_ERR_PUSH_DISABLED);
    assert_int_equal(r.close.err.code, 0);
    tc_release(&t);

    /* a server that pushes anyway commits a connection error: PUSH_PROMISE on
     * stream 1 promising stream 2, header block ":method: GET" (static index 2) */
    static const uint8_t pp[] = {0, 0, 5, 5, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0x82};
    inject_expect_conn_error(pp, sizeof pp, NGHTTP2_PROTOCOL_ERROR);
}

static void test_abort_and_cancel(void **state)
{
    tc_t t;
    tc_init(&t);
    req_t a, b, c;
    get(&t, &a, "/hold");
    get(&t, &b, "/hold");
    assert_int_equal(pump(&t), 0);
    assert_int_equal(httpx__h2_cancel(t.c, b.id), 0);
    assert_int_equal(httpx__h2_cancel(t.c, b.id), HTTPX_E_INVAL);
    assert_int_equal(pump(&t), 0);
    assert_true(server_stream(&t.srv, b.id)->closed);
    assert_false(b.closed); /* cancelled: silent */
    assert_int_equal(httpx__h2_open_streams(t.c), 1);
    get(&t, &c, "/small"); /* submitted, not sent */
    assert_int_equal(httpx__h2_abort(t.c, HTTPX_E_SERVER_DISCONNECTED, "server closed the connection"),
                     0);
    assert_int_equal(a.close.err.code, HTTPX_E_SERVER_DISCONNECTED);
    assert_false(a.close.retry);
    assert_int_equal(c.close.err.code, HTTPX_E_SERVER_DISCONNECTED);
    assert_true(c.close.retry); /* never sent */
    assert_false(httpx__h2_usable(t.c));
    assert_int_equal(a.ncloses + c.ncloses, 2);
    tc_release(&t);
}

/* ---- allocation failures ------------------------------------------------- */

typedef struct talloc {
    size_t live, calls, fail_at, nlive;
} talloc_t;

#define HDR 16

static void *t_malloc(void *user, size_t n)
{
    talloc_t *t = user;
    if (++t->calls == t->fail_at)
        return NULL;
    uint8_t *p = malloc(n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    t->live += n;
    t->nlive++;
    return p + HDR;
}

static void t_free(void *user, void *ptr)
{
    talloc_t *t = user;
    if (!ptr)
        return;
    uint8_t *p = (uint8_t *)ptr - HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    t->live -= n;
    t->nlive--;
    free(p);
}

static void *t_realloc(void *user, void *ptr, size_t n)
{
    if (!ptr)
        return t_malloc(user, n);
    void *q = t_malloc(user, n);
    if (!q)
        return NULL;
    size_t old;
    memcpy(&old, (uint8_t *)ptr - HDR, sizeof old);
    memcpy(q, ptr, old < n ? old : n);
    t_free(user, ptr);
    return q;
}

static char last_msg[256];

/* One scenario; every failure must be NOMEM (returned, or as a stream's outcome). */
static int alloc_scenario(talloc_t *ta, bool *complete)
{
    httpx_allocator_t a = {t_malloc, t_realloc, t_free, ta};
    httpx__h2_config_t cfg;
    httpx__h2_config_init(&cfg);
    cfg.allocator = &a;
    tc_t t;
    memset(&t, 0, sizeof t);
    t.auto_consume = true;
    server_init(&t.srv, 100);
    *complete = false;
    int rc = httpx__h2_session_new(&cfg, &client_cb, &t, &t.c);
    if (rc) {
        server_release(&t.srv);
        return rc;
    }
    req_t r1, r2;
    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);
    upload_t u = {.total = 20000};
    httpx__h2_body_t body = {up_read, &u};
    httpx__h2_field_t f = {HTTPX__SLICE_LIT("X-Test"), HTTPX__SLICE_LIT("yes")};
    rc = httpx__h2_submit(t.c, "GET", "https", "example.com", "/trailers", &f, 1, NULL, &r1,
                          &r1.id);
    if (rc == 0)
        rc = httpx__h2_submit(t.c, "POST", "https", "example.com", "/echo", NULL, 0, &body, &r2,
                              &r2.id);
    for (int i = 0; rc == 0 && i < 100 && !(r1.closed && r2.closed); i++) {
        rc = pump(&t);
        if (rc == 0 && u.paused) {
            u.paused = false;
            rc = httpx__h2_resume_body(t.c, r2.id);
            if (rc == HTTPX_E_INVAL) /* the stream already failed */
                rc = 0;
        }
    }
    if (rc == 0) {
        assert_true(r1.closed && r2.closed);
        assert_true(r1.close.err.code == 0 || r1.close.err.code == HTTPX_E_NOMEM);
        assert_true(r2.close.err.code == 0 || r2.close.err.code == HTTPX_E_NOMEM);
        *complete = r1.close.err.code == 0 && r2.close.err.code == 0;
        if (*complete) {
            assert_string_equal(r1.trailers, "x-checksum=42;");
            assert_string_equal(r2.body, "20000 2549392");
        }
    } else {
        /* fatal: every stream got its one report */
        assert_true(r1.ncloses <= 1 && r2.ncloses <= 1);
    }
    snprintf(last_msg, sizeof last_msg, "%s", httpx__h2_error(t.c)->message);
    tc_release(&t);
    return rc;
}

static void test_alloc_failures(void **state)
{
    talloc_t ta = {0};
    bool complete;
    assert_int_equal(alloc_scenario(&ta, &complete), 0);
    assert_true(complete);
    assert_int_equal(ta.nlive, 0);
    size_t total = ta.calls;
    assert_true(total > 10);
    int failed = 0;
    for (size_t n = 1; n <= total + 5; n++) {
        memset(&ta, 0, sizeof ta);
        ta.fail_at = n;
        int rc = alloc_scenario(&ta, &complete);
        if (rc != 0 && rc != HTTPX_E_NOMEM)
            fail_msg("failing allocation %zu gave %d: %s", n, rc, last_msg);
        if (rc || !complete)
            failed++;
        if (ta.nlive != 0)
            fail_msg("failing allocation %zu leaked %zu blocks", n, ta.nlive);
    }
    assert_true(failed > 0);
}

static void test_config(void **state)
{
    httpx__h2_session_t *s;
    httpx__h2_callbacks_t none = {0};
    assert_int_equal(httpx__h2_session_new(NULL, &none, NULL, &s), HTTPX_E_INVAL);
    httpx__h2_config_t cfg;
    httpx__h2_config_init(&cfg);
    cfg.stream_window = 0x80000000u;
    assert_int_equal(httpx__h2_session_new(&cfg, &client_cb, NULL, &s), HTTPX_E_INVAL);
    httpx__h2_session_free(NULL);

    /* a small custom window is what the server sees */
    httpx__h2_config_init(&cfg);
    cfg.stream_window = 100000;
    cfg.connection_window = 300000;
    tc_t t;
    tc_init_cfg(&t, &cfg, 100);
    t.auto_consume = false;
    req_t a, b, c, d;
    get(&t, &a, "/big");
    get(&t, &b, "/big");
    get(&t, &c, "/big");
    get(&t, &d, "/big");
    assert_int_equal(pump(&t), 0);
    /* 4 streams of 100000 each, but the connection allows 300000 */
    assert_int_equal(t.unconsumed, 300000);
    assert_true(a.body_len <= 100000 && b.body_len <= 100000);
    tc_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_multiplex_1000),
        cmocka_unit_test(test_body_deferred),
        cmocka_unit_test(test_slow_reader),
        cmocka_unit_test(test_rst_stream),
        cmocka_unit_test(test_trailers),
        cmocka_unit_test(test_goaway),
        cmocka_unit_test(test_headers_too_large),
        cmocka_unit_test(test_header_count_and_interim_budget),
        cmocka_unit_test(test_malformed_frames),
        cmocka_unit_test(test_bad_status),
        cmocka_unit_test(test_push_refused),
        cmocka_unit_test(test_abort_and_cancel),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests_name("h2_session", tests, NULL, NULL);
}
