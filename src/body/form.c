/* body/form.c — application/x-www-form-urlencoded bodies. */
#include <stdbool.h>
#include "body/body.h"

static bool form_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int put_encoded(httpx__buf_t *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    while (*s) {
        size_t run = 0;
        while (s[run] && form_safe((unsigned char)s[run]))
            run++;
        int rc = httpx__buf_append(out, s, run);
        if (rc)
            return rc;
        s += run;
        if (!*s)
            break;
        unsigned char c = (unsigned char)*s++;
        char e[3] = {'+', 0, 0};
        size_t elen = 1;
        if (c != ' ') {
            e[0] = '%';
            e[1] = hex[c >> 4];
            e[2] = hex[c & 15];
            elen = 3;
        }
        if ((rc = httpx__buf_append(out, e, elen)))
            return rc;
    }
    return 0;
}

int httpx__form_urlencode(const httpx_param_t *fields, httpx__buf_t *out)
{
    if (!fields || !out)
        return HTTPX_E_INVAL;
    for (const httpx_param_t *f = fields; f->name; f++)
        if (!f->value)
            return HTTPX_E_INVAL;
    for (const httpx_param_t *f = fields; f->name; f++) {
        int rc = f == fields ? 0 : httpx__buf_append(out, "&", 1);
        if (!rc)
            rc = put_encoded(out, f->name);
        if (!rc)
            rc = httpx__buf_append(out, "=", 1);
        if (!rc)
            rc = put_encoded(out, f->value);
        if (rc)
            return rc;
    }
    return 0;
}
