/* examples/async_stream.c — the spec's async streaming:
 *     r = await client.get(url, stream=True)
 *     async for chunk in r.stream(): ...
 * The body arrives in a callback; a slow consumer pauses and resumes.
 * Usage: async_stream URL */
#include <stdio.h>
#include <httpx.h>

typedef struct progress {
    unsigned long long bytes;
    unsigned chunks;
    httpx_timer_t *resume;
    httpx_response_t *r;
} progress_t;

static void resume_later(httpx_timer_t *t, void *user)
{
    (void)t;
    progress_t *p = user;
    httpx_response_resume(p->r);
}

static void on_chunk(httpx_response_t *r, const void *data, size_t len, int status, void *user)
{
    progress_t *p = user;
    (void)data;
    if (!data) {
        printf("done: %llu bytes in %u chunks, status %s\n", p->bytes, p->chunks, status ? httpx_strerror(status) : "ok");
        return;
    }
    p->bytes += len;
    if (++p->chunks % 64 == 0) {
        /* pretend to be busy: no socket reads until we resume */
        httpx_response_pause(r);
        httpx_timer_start(p->resume, 1);
    }
}

static void on_head(httpx_future_t *f, int status, void *user)
{
    progress_t *p = user;
    if (status == 0 && httpx_future_take(f, &p->r) == 0) {
        printf("%d %s, streaming...\n", httpx_response_status(p->r), httpx_response_reason(p->r));
        httpx_response_stream_async(p->r, on_chunk, p);   /* decoded bytes */
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
    progress_t p = {0};
    p.resume = httpx_timer_new(loop, resume_later, &p);
    httpx_future_t *f;
    if (httpx_async_stream(client, "GET", url, NULL, &f) == 0)
        httpx_future_then(f, on_head, &p);
    httpx_loop_run(loop);
    httpx_response_free(p.r);   /* read or closed inside the client's life, as the spec says */
    httpx_timer_free(p.resume);
    httpx_async_client_free(client);
    httpx_loop_free(loop);
    return 0;
}
