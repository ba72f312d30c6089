/* examples/custom_loop.c — the async client on a loop of your own: a plain poll()
 * loop (custom_loop_ops.h holds its glue, the whole httpx_loop_ops_t) that this
 * program runs itself, turn by turn, as it would with its own fds in the set.
 * Usage: custom_loop URL */
#include <stdio.h>
#include <httpx.h>
#include "custom_loop_ops.h"

static void on_response(httpx_future_t *f, int status, void *user)
{
    int *done = user;
    httpx_response_t *r;
    if (status == 0 && httpx_future_take(f, &r) == 0) {
        printf("<Response [%d %s]> %s", httpx_response_status(r), httpx_response_reason(r),
               httpx_response_text(r));
        httpx_response_free(r);
    } else {
        fprintf(stderr, "failed: %s\n", httpx_future_error(f)->message);
    }
    httpx_future_free(f);
    *done = 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    poll_loop_t *pl;
    httpx_loop_t *loop = poll_loop_new(&pl);
    httpx_async_client_t *client;
    if (!loop || httpx_async_client_new(loop, NULL, &client))
        return 1;
    httpx_future_t *f;
    int done = 0;
    if (httpx_async_get(client, url, NULL, &f) != 0)
        return 1;
    httpx_future_then(f, on_response, &done);
    /* The application's own main loop: one poll() per turn, until our work is done. */
    while (!done)
        if (pl_run_once(pl, -1) != 0)
            return 1;
    httpx_async_client_free(client);
    httpx_loop_free(loop);  /* calls pl_release */
    return 0;
}
