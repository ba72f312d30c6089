/* url/resolve.c — reference resolution, RFC 3986 §5.2, and dot-segment removal. */
#include <string.h>
#include "core/err.h"
#include "core/mem.h"
#include "url/internal.h"

/* Drop the last segment of out[0, w) and the '/' before it (§5.2.4 step 2C). */
static size_t pop_segment(const char *out, size_t w)
{
    while (w > 0 && out[w - 1] != '/')
        w--;
    return w > 0 ? w - 1 : 0;
}

/* §5.2.4 with the input and output buffers sharing `p`: the output end `w` never
 * passes the input start `r`, so moving a segment down never overwrites input. */
size_t httpx__url_remove_dots(char *p, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n) {
        const char *in = p + r;
        size_t left = n - r;
        if (left >= 3 && !memcmp(in, "../", 3)) {
            r += 3; /* A */
        } else if (left >= 2 && !memcmp(in, "./", 2)) {
            r += 2; /* A */
        } else if (left >= 3 && !memcmp(in, "/./", 3)) {
            r += 2; /* B: "/./x" -> "/x" */
        } else if (left == 2 && !memcmp(in, "/.", 2)) {
            r += 1; /* B: "/." -> "/" */
            p[r] = '/';
        } else if (left >= 4 && !memcmp(in, "/../", 4)) {
            r += 3; /* C */
            w = pop_segment(p, w);
        } else if (left == 3 && !memcmp(in, "/..", 3)) {
            r += 2; /* C: "/.." -> "/" */
            p[r] = '/';
            w = pop_segment(p, w);
        } else if ((left == 1 && in[0] == '.') || (left == 2 && !memcmp(in, "..", 2))) {
            r = n; /* D */
        } else {
            size_t k = in[0] == '/' ? 1 : 0; /* E: move one segment */
            while (k < left && in[k] != '/')
                k++;
            memmove(p + w, in, k);
            w += k;
            r += k;
        }
    }
    return w;
}

static bool needs_authority(httpx__slice_t scheme)
{
    return httpx__slice_ieq_cstr(scheme, "http") || httpx__slice_ieq_cstr(scheme, "https");
}

static void take_authority(httpx__url_ref_t *t, const httpx__url_ref_t *from)
{
    t->has_authority = from->has_authority;
    t->has_userinfo = from->has_userinfo;
    t->userinfo = from->userinfo;
    t->host = from->host;
    t->has_port = from->has_port;
    t->port = from->port;
}

/* §5.2.3: the base path up to its last '/', then the reference path. */
static int merge(httpx__buf_t *m, const httpx__url_ref_t *b, httpx__slice_t rpath)
{
    int rc;
    if (b->has_authority && b->path.len == 0) {
        rc = httpx__buf_append(m, "/", 1);
    } else {
        const char *slash = b->path.len ? memrchr(b->path.ptr, '/', b->path.len) : NULL;
        rc = slash ? httpx__buf_append(m, b->path.ptr, (size_t)(slash - b->path.ptr) + 1) : 0;
    }
    return rc ? rc : httpx__buf_append(m, rpath.ptr, rpath.len);
}

int httpx_url_resolve(const httpx_url_t *base, const char *ref, httpx_url_t **out,
                      httpx_error_t *err)
{
    if (out)
        *out = NULL;
    if (!base || !ref || !out)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "httpx_url_resolve: NULL argument");
    size_t len = strlen(ref);
    if (len > HTTPX__URL_MAX_LEN)
        return httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP,
                          "url too long (%zu bytes, limit %u)", len, HTTPX__URL_MAX_LEN);
    httpx__url_ref_t b, r, t;
    int rc = httpx__url_split(base->str, strlen(base->str), &b, err);
    if (rc == 0)
        rc = httpx__url_split(ref, len, &r, err);
    if (rc)
        return rc;
    /* §5.2.2 allows ignoring a scheme equal to the base's; for http(s) the strict
     * reading of "http:g" is a URL without authority, which we could not send. */
    if (r.has_scheme && !r.has_authority && needs_authority(r.scheme) &&
        httpx__slice_ieq(r.scheme, b.scheme))
        r.has_scheme = false;

    httpx__buf_t m;
    httpx__buf_init(&m, base->a, (size_t)HTTPX__URL_MAX_LEN * 8);
    memset(&t, 0, sizeof t);
    httpx__slice_t path = r.path; /* the path that goes through remove_dot_segments */
    bool dots = true;
    if (r.has_scheme) {
        t = r;
    } else {
        if (r.has_authority) {
            take_authority(&t, &r);
            t.has_query = r.has_query, t.query = r.query;
        } else {
            take_authority(&t, &b);
            if (r.path.len == 0) {
                path = b.path;
                dots = false;
                t.has_query = r.has_query ? true : b.has_query;
                t.query = r.has_query ? r.query : b.query;
            } else {
                if (r.path.ptr[0] != '/' && (rc = merge(&m, &b, r.path)))
                    goto done;
                if (r.path.ptr[0] != '/')
                    path = httpx__slice(httpx__buf_ptr(&m), httpx__buf_size(&m));
                t.has_query = r.has_query, t.query = r.query;
            }
        }
        t.has_scheme = true;
        t.scheme = b.scheme;
    }
    if (dots && path.len) {
        /* dot removal works in place, so the path needs a private copy */
        if (path.ptr != httpx__buf_ptr(&m) && (rc = httpx__buf_append(&m, path.ptr, path.len)))
            goto done;
        char *p = httpx__buf_ptr(&m);
        path = httpx__slice(p, httpx__url_remove_dots(p, path.len));
    }
    t.path = path;
    t.has_fragment = r.has_fragment;
    t.fragment = r.fragment;
    rc = httpx__url_build(&t, httpx__slice(ref, len), base->a, out, err);
done:
    if (rc == HTTPX_E_BODY_LIMIT)
        rc = httpx__err(err, HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP, "resolved url too long");
    httpx__buf_release(&m);
    return rc;
}
