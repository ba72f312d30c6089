/* The async client sharing one libuv loop with the test's own uv handles: a uv
 * timer and a uv TCP server (HTTP/1.1 on 127.0.0.1, port 0) that the client then
 * sends 1,000 concurrent requests to. One uv_run drives everything; afterwards
 * uv_loop_close() returns 0 (nothing of the library is left). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>
#include <httpx.h>
#include <httpx/uv.h>

enum { REQUESTS = 1000 };

typedef struct server {
    uv_tcp_t tcp;
    int port;
    int conns_open;
    long served;
} server_t;

typedef struct conn {
    uv_tcp_t tcp;
    server_t *srv;
    int crlf; /* progress through "\r\n\r\n" */
    char buf[4096];
} conn_t;

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

static void conn_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    c->srv->conns_open--;
    free(c);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    conn_t *c = h->data;
    *b = uv_buf_init(c->buf, sizeof c->buf);
}

static void write_done(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = s->data;
    if (n < 0) {
        uv_close((uv_handle_t *)s, conn_closed);
        return;
    }
    static const char end[] = "\r\n\r\n";
    for (ssize_t i = 0; i < n; i++) {
        c->crlf = b->base[i] == end[c->crlf] ? c->crlf + 1 : (b->base[i] == '\r' ? 1 : 0);
        if (c->crlf == 4) { /* a whole request head (GETs: no body) */
            c->crlf = 0;
            c->srv->served++;
            uv_write_t *w = malloc(sizeof *w);
            uv_buf_t out = uv_buf_init((char *)reply, sizeof reply - 1);
            assert_non_null(w);
            assert_int_equal(uv_write(w, s, &out, 1, write_done), 0);
        }
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    server_t *srv = server->data;
    assert_int_equal(status, 0);
    conn_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->srv = srv;
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    srv->conns_open++;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
}

static void server_start(uv_loop_t *uv, server_t *srv)
{
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_init(uv, &srv->tcp), 0);
    srv->tcp.data = srv;
    assert_int_equal(uv_tcp_bind(&srv->tcp, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&srv->tcp, 1024, on_connection), 0);
    struct sockaddr_in bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&bound, &len);
    srv->port = ntohs(bound.sin_port);
}


typedef struct run {
    int done, ok;
    int ticks;
    server_t *srv;
    uv_timer_t tick;
} run_t;

static void on_done(httpx_future_t *f, int status, void *user)
{
    run_t *r = user;
    r->done++;
    httpx_response_t *resp;
    if (status == 0 && httpx_future_take(f, &resp) == 0) {
        if (httpx_response_status(resp) == 200 && strcmp(httpx_response_text(resp), "hello") == 0)
            r->ok++;
        httpx_response_free(resp);
    } else {
        fprintf(stderr, "request failed: %s\n", httpx_future_error(f)->message);
    }
    httpx_future_free(f);
    if (r->done == REQUESTS) {
        /* Everything answered: stop our own handles so uv_run can end. */
        uv_close((uv_handle_t *)&r->srv->tcp, NULL);
        uv_timer_stop(&r->tick);
    }
}

static void on_tick(uv_timer_t *t)
{
    run_t *r = t->data;
    r->ticks++;
}

static void shared_uv_loop_1000_requests(void **state)
{
    (void)state;
    uv_loop_t uv;
    assert_int_equal(uv_loop_init(&uv), 0);
    server_t srv = {0};
    server_start(&uv, &srv);
    run_t r = {.srv = &srv};
    uv_timer_init(&uv, &r.tick);
    r.tick.data = &r;
    uv_timer_start(&r.tick, on_tick, 1, 1);

    httpx_loop_t *loop = httpx_loop_from_uv(&uv, NULL);
    assert_non_null(loop);
    httpx_async_client_t *ac;
    assert_int_equal(httpx_async_client_new(loop, HTTPX_CLIENT(.limits = {.max_connections = 100}), &ac), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", srv.port);
    for (int i = 0; i < REQUESTS; i++) {
        httpx_future_t *f;
        assert_int_equal(httpx_async_get(ac, url, NULL, &f), 0);
        httpx_future_then(f, on_done, &r);
    }
    /* One uv_run for the server, the timer and the client. It ends once our handles
     * are closed and the library has only idle connections left (unreferenced). */
    assert_int_equal(uv_run(&uv, UV_RUN_DEFAULT), 0);
    assert_int_equal(r.done, REQUESTS);
    assert_int_equal(r.ok, REQUESTS);
    assert_int_equal(srv.served, REQUESTS);
    assert_true(r.ticks > 0);
    httpx_pool_stats_t ps;
    assert_int_equal(httpx_async_client_pool_stats(ac, &ps), 0);

    httpx_async_client_free(ac); /* closes the idle connections */
    httpx_loop_counts_t lc;
    assert_int_equal(httpx_loop_counts(loop, &lc), 0);
    assert_int_equal(lc.watchers + lc.timers + lc.posted, 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    uv_close((uv_handle_t *)&r.tick, NULL);
    /* The server's side of each connection sees EOF and closes; then the adapter's
     * close callbacks run and the loop is empty. */
    assert_int_equal(uv_run(&uv, UV_RUN_DEFAULT), 0);
    assert_int_equal(srv.conns_open, 0);
    assert_int_equal(uv_loop_close(&uv), 0);
}

/* The adapter alone: created and freed without ever running leaves nothing once the
 * loop has turned; a loop with only the adapter does not keep uv_run alive. */
static void adapter_teardown_and_liveness(void **state)
{
    (void)state;
    uv_loop_t uv;
    assert_int_equal(uv_loop_init(&uv), 0);
    httpx_loop_t *loop = httpx_loop_from_uv(&uv, NULL);
    assert_non_null(loop);
    assert_int_equal(uv_run(&uv, UV_RUN_DEFAULT), 0); /* returns at once: nothing referenced */
    assert_int_equal(uv_loop_alive(&uv), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_int_equal(uv_loop_close(&uv), UV_EBUSY);    /* closes still pending */
    assert_int_equal(uv_run(&uv, UV_RUN_NOWAIT), 0);
    assert_int_equal(uv_loop_close(&uv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adapter_teardown_and_liveness),
        cmocka_unit_test(shared_uv_loop_1000_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
