/* examples/async_service.c — the spec's FAQ pattern: a service whose fetch is
 * asynchronous and gets a shared client injected, so every call shares one pool.
 * Calling the blocking httpx_get() from inside the callbacks would be refused with
 * HTTPX_E_SYNC_IN_ASYNC; the service uses the async client it was given.
 * Usage: async_service URL */
#include <stdio.h>
#include <string.h>
#include <httpx.h>

typedef struct service {
    int fetched;
} service_t;

typedef void (*data_cb)(service_t *svc, const char *text, void *user);

typedef struct fetch {
    service_t *svc;
    data_cb cb;
    void *user;
} fetch_t;

static fetch_t pending[2];

static void fetched(httpx_future_t *f, int status, void *user)
{
    fetch_t *ctx = user;
    httpx_response_t *r = NULL;
    const char *text = "";
    if (status == 0 && httpx_future_take(f, &r) == 0)
        text = httpx_response_text(r);
    ctx->svc->fetched++;
    ctx->cb(ctx->svc, text, ctx->user);
    httpx_response_free(r);
    httpx_future_free(f);
}

/* async def fetch_data(self, client): r = await client.get(url); return r.text */
static int service_fetch_data(service_t *svc, httpx_async_client_t *client, const char *url, fetch_t *slot,
                              data_cb cb, void *user)
{
    *slot = (fetch_t){svc, cb, user};
    httpx_future_t *f;
    int rc = httpx_async_get(client, url, NULL, &f);
    if (rc == 0)
        httpx_future_then(f, fetched, slot);
    return rc;
}

static void print_data(service_t *svc, const char *text, void *user)
{
    printf("%s: %zu bytes (fetch #%d)\n", (const char *)user, strlen(text), svc->fetched);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/";
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx_async_client_t *client;
    if (!loop || httpx_async_client_new(loop, NULL, &client))
        return 1;
    service_t svc = {0};
    service_fetch_data(&svc, client, url, &pending[0], print_data, "data");
    service_fetch_data(&svc, client, url, &pending[1], print_data, "more_data");
    httpx_loop_run(loop);
    httpx_pool_stats_t s;
    httpx_async_client_pool_stats(client, &s);
    printf("connections kept by the shared client: %d\n", s.open);
    httpx_async_client_free(client);
    httpx_loop_free(loop);
    return 0;
}
