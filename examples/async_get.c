/* examples/async_get.c — the spec's first async example:
 *     async with httpx.AsyncClient() as client:
 *         r = await client.get('https://www.example.com/')
 * in C, with a callback, on the built-in loop.
 * Usage: async_get URL */
#include <stdio.h>
#include <httpx.h>

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

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx_async_client_t *client;
    if (!loop || httpx_async_client_new(loop, NULL, &client))
        return 1;
    httpx_future_t *f;
    if (httpx_async_get(client, url, NULL, &f) == 0)
        httpx_future_then(f, on_response, NULL);
    httpx_loop_run(loop);               /* returns when nothing is left to do */
    httpx_async_client_free(client);    /* the end of "async with": connections closed */
    httpx_loop_free(loop);
    return 0;
}
