/* client/async.c — the async client: the engine on the caller's loop. */
#include <string.h>
#include "client/future.h"
#include "client/handover.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx.h"
#include "httpx/async.h"

int httpx_async_client_new(httpx_loop_t *loop, const httpx_client_opts_t *opts, httpx_async_client_t **out)
{
    if (!loop || !out)
        return HTTPX_E_INVAL;
    *out = NULL;
    const httpx_allocator_t *a = httpx__loop_allocator(loop);
    httpx_async_client_t *ac = HTTPX__NEW(a, httpx_async_client_t);
    if (!ac)
        return HTTPX_E_NOMEM;
    httpx_error_t err = {0};
    int rc = httpx__engine_init(&ac->eng, loop, opts, &err);
    if (rc == 0 && !(ac->hub = httpx__hub_new(ac)))
        rc = HTTPX_E_NOMEM;
    if (rc) {
        if (!ac->hub && ac->eng.pool)
            httpx__engine_release(&ac->eng);
        httpx__free(a, ac);
        return rc;
    }
    ac->loop = loop;
    httpx__loop_ref(loop);
    *out = ac;
    return 0;
}

void httpx_async_client_close(httpx_async_client_t *ac)
{
    if (!ac || ac->closed)
        return;
    ac->closed = true;
    httpx__hub_close(ac->hub);
    httpx__engine_close(&ac->eng);
}

void httpx_async_client_free(httpx_async_client_t *ac)
{
    if (!ac)
        return;
    httpx_async_client_close(ac);
    httpx__engine_release(&ac->eng);
    httpx__hub_release(ac->hub);
    httpx__loop_unref(ac->loop);
    httpx__free(ac->eng.a, ac);
}

struct httpx_cookie_jar *httpx_async_client_cookies(httpx_async_client_t *ac) { return ac ? ac->eng.jar : NULL; }

int httpx_async_client_pool_stats(const httpx_async_client_t *ac, httpx_pool_stats_t *s)
{
    if (!ac || !s)
        return HTTPX_E_INVAL;
    httpx__pool_stats_t ps;
    httpx__pool_stats(ac->eng.pool, &ps);
    *s = (httpx_pool_stats_t){ps.open, ps.idle, ps.connecting, ps.waiting};
    return 0;
}

static int start(httpx_async_client_t *ac, const char *method, const char *url, const httpx_req_opts_t *opts,
                 bool streaming, httpx_future_t **out)
{
    httpx_error_t err = {0};
    int rc;
    if (!out)
        rc = httpx__err(&err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "no place for the future (out is NULL)");
    else if (!ac)
        rc = httpx__err(&err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "client is NULL");
    else
        rc = httpx__future_new(&ac->eng, ac->loop, method, url, opts, streaming, true, out, &err);
    if (rc && opts && opts->error)
        *opts->error = err;
    return rc;
}

int httpx_async_request(httpx_async_client_t *ac, const char *method, const char *url, const httpx_req_opts_t *opts,
                        httpx_future_t **out)
{
    return start(ac, method, url, opts, false, out);
}

int httpx_async_stream(httpx_async_client_t *ac, const char *method, const char *url, const httpx_req_opts_t *opts,
                       httpx_future_t **out)
{
    return start(ac, method, url, opts, true, out);
}

#define ASYNC_FN(fn, M)                                                                               \
    int httpx_async_##fn(httpx_async_client_t *ac, const char *url, const httpx_req_opts_t *opts,     \
                         httpx_future_t **out)                                                        \
    {                                                                                                 \
        return start(ac, M, url, opts, false, out);                                                   \
    }
ASYNC_FN(get, "GET")
ASYNC_FN(head, "HEAD")
ASYNC_FN(options, "OPTIONS")
ASYNC_FN(delete, "DELETE")
ASYNC_FN(post, "POST")
ASYNC_FN(put, "PUT")
ASYNC_FN(patch, "PATCH")
#undef ASYNC_FN
