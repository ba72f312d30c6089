/* url/params.c — appending query parameters (httpx_url_with_params). */
#include <string.h>
#include "core/mem.h"
#include "url/internal.h"

/* application/x-www-form-urlencoded bytes, except space as %20 (the contract):
 * only unreserved characters stay, so '&', '=' and '+' in data cannot be misread. */
static int form_encode(httpx__buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        int rc = httpx__url_unreserved(c) ? httpx__buf_append(b, s, 1) : httpx__buf_append(b, e, 3);
        if (rc)
            return rc;
    }
    return 0;
}

int httpx_url_with_params(const httpx_url_t *url, const httpx_param_t *params, httpx_url_t **out)
{
    if (out)
        *out = NULL;
    if (!url || !out)
        return HTTPX_E_INVAL;
    for (const httpx_param_t *p = params; p && p->name; p++)
        if (!p->value)
            return HTTPX_E_INVAL;
    httpx__buf_t b;
    httpx__buf_init(&b, url->a, (size_t)HTTPX__URL_MAX_LEN * 8);
    size_t keep = strlen(url->str) - (url->has_fragment ? strlen(url->fragment) + 1 : 0);
    int rc = httpx__buf_append(&b, url->str, keep);
    const char *sep = !url->has_query ? "?" : url->query[0] ? "&" : "";
    for (const httpx_param_t *p = params; rc == 0 && p && p->name; p++) {
        if ((rc = httpx__buf_append_str(&b, sep)) || (rc = form_encode(&b, p->name)) ||
            (rc = httpx__buf_append(&b, "=", 1)) || (rc = form_encode(&b, p->value)))
            break;
        sep = "&";
    }
    if (rc == 0 && url->has_fragment) {
        if ((rc = httpx__buf_append(&b, "#", 1)) == 0)
            rc = httpx__buf_append_str(&b, url->fragment);
    }
    if (rc == 0) {
        /* re-parse rather than patch: every invariant of the struct holds again */
        httpx__url_ref_t r;
        httpx__slice_t text = httpx__slice(httpx__buf_ptr(&b), httpx__buf_size(&b));
        rc = httpx__url_split(text.ptr, text.len, &r, NULL);
        if (rc == 0)
            rc = httpx__url_build(&r, text, url->a, out, NULL);
    }
    httpx__buf_release(&b);
    return rc == HTTPX_E_BODY_LIMIT ? HTTPX_E_INVALID_URL : rc;
}
