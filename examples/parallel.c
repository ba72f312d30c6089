/* examples/parallel.c — the spec's parallel requests, with the sync client:
 *     with client.parallel() as parallel:
 *         pending_one = parallel.get(url1); pending_two = parallel.get(url2)
 *         response_one = pending_one.get_response()
 *         response_two = pending_two.get_response()
 * Usage: parallel URL1 URL2 [URL...] */
#include <stdio.h>
#include <httpx.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s URL1 URL2 [URL...]\n", argv[0]);
        return 2;
    }
    httpx_client_t *client;
    httpx_parallel_t *parallel;
    if (httpx_client_new(NULL, &client) || httpx_parallel_new(client, NULL, &parallel))
        return 1;
    httpx_pending_t *one, *two;
    httpx_parallel_get(parallel, argv[1], NULL, &one);
    httpx_parallel_get(parallel, argv[2], NULL, &two);
    for (int i = 3; i < argc; i++) {
        httpx_pending_t *more;
        httpx_parallel_get(parallel, argv[i], NULL, &more);
    }
    httpx_response_t *r;
    if (httpx_pending_get_response(one, &r) == 0) {
        printf("one: %d\n", httpx_response_status(r));
        httpx_response_free(r);
    }
    if (httpx_pending_get_response(two, &r) == 0) {
        printf("two: %d\n", httpx_response_status(r));
        httpx_response_free(r);
    }
    /* the rest in completion order */
    httpx_pending_t *which;
    int rc;
    while ((rc = httpx_parallel_next_response(parallel, &r, &which)) != HTTPX_E_NONE_LEFT) {
        if (rc == 0)
            printf("next: %d %s\n", httpx_response_status(r), httpx_response_url(r));
        else
            printf("next failed: %s\n", httpx_pending_error(which)->message);
        httpx_response_free(r);
    }
    httpx_parallel_close(parallel);
    httpx_client_free(client);
    return 0;
}
