/* client/parallel.c — parallel requests on either client: futures started up to
 * a concurrency bound, completions queued in the order they happen. */
#include <string.h>
#include "client/future.h"
#include "client/handover.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx/parallel.h"

#define CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct httpx_pending {
    httpx_parallel_t *p;
    httpx_future_t *f;
    httpx__link_t all;        /* every pending, for close */
    httpx__link_t queue;      /* waiting to start, or completed and not taken */
    bool taken;
};

struct httpx_parallel {
    httpx__engine_t *eng;
    httpx_loop_t *loop;
    const httpx_allocator_t *a;
    int max_concurrency;
    int running;
    size_t remaining;         /* not taken yet */
    httpx__link_t all;
    httpx__link_t waiting;    /* FIFO: not started for the concurrency bound */
    httpx__link_t completed;  /* FIFO: completion order */
};

static void link_init(httpx__link_t *l) { l->prev = l->next = l; }
static bool link_empty(const httpx__link_t *l) { return l->next == l; }
static void link_append(httpx__link_t *head, httpx__link_t *n)
{
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}
static void link_del(httpx__link_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

static void start_waiting(httpx_parallel_t *p)
{
    while (!link_empty(&p->waiting) && (!p->max_concurrency || p->running < p->max_concurrency)) {
        httpx_pending_t *pd = CONTAINER(p->waiting.next, httpx_pending_t, queue);
        link_del(&pd->queue);
        p->running++;
        httpx__future_start(pd->f);
    }
}

/* A request finished (or failed, or was cancelled): queue it for next_response
 * and let a waiting one start. */
static void on_future_done(httpx_future_t *f, void *owner)
{
    httpx_pending_t *pd = owner;
    httpx_parallel_t *p = pd->p;
    (void)f;
    if (f->started)
        p->running--;
    link_del(&pd->queue); /* a request failed before starting was still waiting */
    if (!pd->taken)
        link_append(&p->completed, &pd->queue);
    start_waiting(p);
}

static int parallel_new(httpx__engine_t *e, httpx_loop_t *loop, const httpx_parallel_opts_t *opts,
                        httpx_parallel_t **out)
{
    if (!out)
        return HTTPX_E_INVAL;
    *out = NULL;
    if (e->closed)
        return HTTPX_E_CLOSED;
    if (opts && opts->max_concurrency < 0)
        return HTTPX_E_INVAL;
    httpx_parallel_t *p = HTTPX__NEW(e->a, httpx_parallel_t);
    if (!p)
        return HTTPX_E_NOMEM;
    p->eng = e;
    p->loop = loop;
    p->a = e->a;
    p->max_concurrency = opts ? opts->max_concurrency : 0;
    link_init(&p->all);
    link_init(&p->waiting);
    link_init(&p->completed);
    *out = p;
    return 0;
}

/* The sync client's engine and private loop (client/sync.c). */
void httpx__client_engine(httpx_client_t *c, httpx__engine_t **e, httpx_loop_t **loop);

int httpx_parallel_new(httpx_client_t *c, const httpx_parallel_opts_t *opts, httpx_parallel_t **out)
{
    if (!c)
        return HTTPX_E_INVAL;
    httpx__engine_t *e;
    httpx_loop_t *loop;
    httpx__client_engine(c, &e, &loop);
    return parallel_new(e, loop, opts, out);
}

int httpx_async_parallel_new(httpx_async_client_t *ac, const httpx_parallel_opts_t *opts, httpx_parallel_t **out)
{
    if (!ac)
        return HTTPX_E_INVAL;
    return parallel_new(&ac->eng, ac->loop, opts, out);
}

int httpx_parallel_request(httpx_parallel_t *p, const char *method, const char *url, const httpx_req_opts_t *opts,
                           httpx_pending_t **out)
{
    httpx_error_t err = {0};
    int rc = 0;
    if (!p || !out) {
        rc = httpx__err(&err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "parallel and out are required");
        goto fail;
    }
    *out = NULL;
    httpx_pending_t *pd = HTTPX__NEW(p->a, httpx_pending_t);
    if (!pd) {
        rc = httpx__err(&err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "out of memory");
        goto fail;
    }
    if ((rc = httpx__future_new(p->eng, p->loop, method, url, opts, false, false, &pd->f, &err))) {
        httpx__free(p->a, pd);
        goto fail;
    }
    pd->p = p;
    pd->f->owner_done = on_future_done;
    pd->f->owner = pd;
    link_append(&p->all, &pd->all);
    link_append(&p->waiting, &pd->queue);
    p->remaining++;
    start_waiting(p);
    *out = pd;
    return 0;
fail:
    if (opts && opts->error)
        *opts->error = err;
    return rc;
}

#define PARALLEL_FN(fn, M)                                                                          \
    int httpx_parallel_##fn(httpx_parallel_t *p, const char *url, const httpx_req_opts_t *opts,     \
                            httpx_pending_t **out)                                                  \
    {                                                                                               \
        return httpx_parallel_request(p, M, url, opts, out);                                        \
    }
PARALLEL_FN(get, "GET")
PARALLEL_FN(head, "HEAD")
PARALLEL_FN(post, "POST")
PARALLEL_FN(put, "PUT")
PARALLEL_FN(patch, "PATCH")
PARALLEL_FN(delete, "DELETE")
#undef PARALLEL_FN

static int take(httpx_pending_t *pd, httpx_response_t **out)
{
    httpx_parallel_t *p = pd->p;
    pd->taken = true;
    link_del(&pd->queue);
    p->remaining--;
    return httpx_future_take(pd->f, out);
}

int httpx_pending_get_response(httpx_pending_t *pd, httpx_response_t **out)
{
    if (!pd || !out)
        return HTTPX_E_INVAL;
    *out = NULL;
    if (pd->taken)
        return HTTPX_E_STREAM_CONSUMED;
    if (!pd->f->done) {
        if (httpx__in_loop_callback())
            return HTTPX_E_SYNC_IN_ASYNC;
        while (!pd->f->done) {
            int rc = httpx_loop_run_once(pd->p->loop, -1);
            if (rc)
                return rc;
        }
    }
    return take(pd, out);
}

const httpx_error_t *httpx_pending_error(const httpx_pending_t *pd) { return pd ? &pd->f->err : NULL; }

httpx_future_t *httpx_pending_future(httpx_pending_t *pd) { return pd ? pd->f : NULL; }

int httpx_parallel_next_response(httpx_parallel_t *p, httpx_response_t **out, httpx_pending_t **which)
{
    if (!p || !out)
        return HTTPX_E_INVAL;
    *out = NULL;
    if (which)
        *which = NULL;
    for (;;) {
        /* A pending whose response was taken through its future counts as taken;
         * a future callback run by the loop below may take one at any time. */
        while (!link_empty(&p->completed)) {
            httpx_pending_t *pd = CONTAINER(p->completed.next, httpx_pending_t, queue);
            if (!pd->f->taken)
                break;
            pd->taken = true;
            link_del(&pd->queue);
            p->remaining--;
        }
        if (!p->remaining)
            return HTTPX_E_NONE_LEFT;
        if (!link_empty(&p->completed))
            break;
        if (httpx__in_loop_callback())
            return HTTPX_E_SYNC_IN_ASYNC;
        int rc = httpx_loop_run_once(p->loop, -1);
        if (rc)
            return rc;
    }
    httpx_pending_t *pd = CONTAINER(p->completed.next, httpx_pending_t, queue);
    if (which)
        *which = pd;
    return take(pd, out);
}

size_t httpx_parallel_remaining(const httpx_parallel_t *p) { return p ? p->remaining : 0; }

void httpx_parallel_close(httpx_parallel_t *p)
{
    if (!p)
        return;
    while (!link_empty(&p->all)) {
        httpx_pending_t *pd = CONTAINER(p->all.next, httpx_pending_t, all);
        link_del(&pd->all);
        pd->f->owner_done = NULL; /* no bookkeeping while tearing down */
        link_del(&pd->queue);
        httpx_future_free(pd->f);
        httpx__free(p->a, pd);
    }
    httpx__free(p->a, p);
}
