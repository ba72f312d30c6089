/* examples/faq_wrong_way.c — the spec's FAQ: a blocking call inside an async
 * context "won't work". Here it is refused with a clear error instead of
 * deadlocking, including the indirect case of a plain helper function.
 * Usage: faq_wrong_way URL */
#include <stdio.h>
#include <httpx.h>

static const char *url;

/* class Service: def fetch_data(self): r = httpx.get(url) — looks synchronous */
static int service_fetch_data(httpx_error_t *err)
{
    httpx_response_t *r = NULL;
    int rc = httpx_get(url, HTTPX_REQ(.error = err), &r);
    httpx_response_free(r);
    return rc;
}

/* async def main(): data = service.fetch_data() — called from a loop callback */
static void main_async(httpx_timer_t *t, void *user)
{
    (void)t;
    (void)user;
    httpx_error_t err;
    int rc = service_fetch_data(&err);
    printf("httpx_get() inside a loop callback -> %s\n  %s\n", httpx_err_name(rc), err.message);
}

int main(int argc, char **argv)
{
    url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx_timer_t *t = httpx_timer_new(loop, main_async, NULL);
    httpx_timer_start(t, 0);
    httpx_loop_run(loop);       /* asyncio.run(main()) */
    httpx_timer_free(t);
    httpx_loop_free(loop);
    return 0;
}
