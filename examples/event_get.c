/* examples/event_get.c — the async client inside a libevent program.
 * Usage: event_get URL */
#include <stdio.h>
#include <event2/event.h>
#include <httpx.h>
#include <httpx/event.h>

static void on_response(httpx_future_t *f, int status, void *user)
{
    struct event_base *base = user;
    httpx_response_t *r;
    if (status == 0 && httpx_future_take(f, &r) == 0) {
        printf("<Response [%d %s]>\n", httpx_response_status(r), httpx_response_reason(r));
        httpx_response_free(r);
    } else {
        fprintf(stderr, "failed: %s\n", httpx_future_error(f)->message);
    }
    httpx_future_free(f);
    event_base_loopbreak(base); /* our only work is done */
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    struct event_base *base = event_base_new();
    httpx_loop_t *loop = base ? httpx_loop_from_event_base(base, NULL) : NULL;
    httpx_async_client_t *client;
    if (!loop || httpx_async_client_new(loop, NULL, &client))
        return 1;
    httpx_future_t *f;
    if (httpx_async_get(client, url, NULL, &f) == 0)
        httpx_future_then(f, on_response, base);
    event_base_dispatch(base);
    httpx_async_client_free(client);
    httpx_loop_free(loop);      /* removes every event of the library */
    int left = event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE);
    printf("events left: %d\n", left);
    event_base_free(base);
    return left != 0;
}
