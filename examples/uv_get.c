/* examples/uv_get.c — the async client inside a libuv program: requests and the
 * program's own uv timer share one uv loop and one uv_run.
 * Usage: uv_get URL */
#include <stdio.h>
#include <uv.h>
#include <httpx.h>
#include <httpx/uv.h>

static void on_response(httpx_future_t *f, int status, void *user)
{
    (void)user;
    httpx_response_t *r;
    if (status == 0 && httpx_future_take(f, &r) == 0) {
        printf("<Response [%d %s]>\n", httpx_response_status(r), httpx_response_reason(r));
        httpx_response_free(r);
    } else {
        fprintf(stderr, "failed: %s\n", httpx_future_error(f)->message);
    }
    httpx_future_free(f);
}

static void on_tick(uv_timer_t *t)
{
    printf("the program's own uv timer ran too\n");
    uv_close((uv_handle_t *)t, NULL);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    uv_loop_t uv;
    uv_loop_init(&uv);
    httpx_loop_t *loop = httpx_loop_from_uv(&uv, NULL);
    httpx_async_client_t *client;
    if (!loop || httpx_async_client_new(loop, NULL, &client))
        return 1;
    httpx_future_t *f;
    if (httpx_async_get(client, url, NULL, &f) == 0)
        httpx_future_then(f, on_response, NULL);
    uv_timer_t tick;
    uv_timer_init(&uv, &tick);
    uv_timer_start(&tick, on_tick, 10, 0);
    uv_run(&uv, UV_RUN_DEFAULT);        /* ends when the request and the timer are done */
    httpx_async_client_free(client);
    httpx_loop_free(loop);
    uv_run(&uv, UV_RUN_DEFAULT);        /* finishes the adapter's uv_close callbacks */
    int rc = uv_loop_close(&uv);
    printf("uv_loop_close: %d\n", rc);
    return rc != 0;
}
