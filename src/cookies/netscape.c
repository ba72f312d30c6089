/* cookies/netscape.c — load and save the Netscape cookie file format (curl's):
 *     domain \t include-subdomains \t path \t secure \t expires \t name \t value
 * "#HttpOnly_" before the domain marks an HttpOnly cookie; other "#" lines are
 * comments. A load reads the whole file into a scratch jar first, so a bad line
 * leaves the caller's jar as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "cookies/jar.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx/error.h"

#define NS_MAX_LINE (16 * 1024)
#define NS_HTTPONLY "#HttpOnly_"

enum { NS_LINE, NS_EOF, NS_TOO_LONG, NS_NUL, NS_IOERR };

/* Read one line (without its LF, and without a CR before it) into line[0..*n). */
static int ns_read_line(FILE *f, char *line, size_t *n)
{
    size_t k = 0;
    int c;
    bool any = false;
    while ((c = getc(f)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (c == '\0')
            return NS_NUL;
        if (k == NS_MAX_LINE)
            return NS_TOO_LONG;
        line[k++] = (char)c;
    }
    if (c == EOF && ferror(f))
        return NS_IOERR;
    if (!any)
        return NS_EOF;
    if (k && line[k - 1] == '\r')
        k--;
    line[k] = '\0';
    *n = k;
    return NS_LINE;
}

static int ns_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "TRUE") == 0)
        *out = true;
    else if (strcasecmp(s, "FALSE") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

static int ns_int(const char *s, int64_t *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

/* Parse one non-comment line into the scratch jar. NULL or an error text. */
static const char *ns_line(httpx_cookie_jar_t *scratch, char *line, int64_t now, int *rc)
{
    unsigned flags = 0;
    if (strncmp(line, NS_HTTPONLY, sizeof NS_HTTPONLY - 1) == 0) {
        flags |= HTTPX_COOKIE_HTTPONLY;
        line += sizeof NS_HTTPONLY - 1;
    }
    char *f[7];
    f[0] = line;
    for (int i = 1; i < 7; i++) { /* the value is the rest of the line */
        char *tab = strchr(f[i - 1], '\t');
        if (!tab)
            return "expected 7 tab-separated fields";
        *tab = '\0';
        f[i] = tab + 1;
    }
    bool sub, secure;
    int64_t expires;
    if (ns_bool(f[1], &sub) != 0)
        return "include-subdomains is not TRUE or FALSE";
    if (ns_bool(f[3], &secure) != 0)
        return "secure is not TRUE or FALSE";
    if (ns_int(f[4], &expires) != 0)
        return "expires is not a number";
    if (expires != 0 && expires <= now)
        return NULL; /* already expired: skipped */
    if (!sub)
        flags |= HTTPX_COOKIE_HOST_ONLY;
    if (secure)
        flags |= HTTPX_COOKIE_SECURE;
    httpx_cookie_t c = {
        .name = f[5],
        .value = f[6],
        .domain = f[0][0] == '.' ? f[0] + 1 : f[0],
        .path = f[2],
        .expires = expires,
        .flags = flags,
    };
    if (httpx__cookie_check(&c) != 0)
        return "invalid cookie";
    *rc = httpx__cookie_jar_put(scratch, &c, now);
    return *rc ? "out of memory" : NULL;
}

static bool ns_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ')
            return false;
    return true;
}

int httpx_cookie_jar_load(httpx_cookie_jar_t *jar, const char *path, httpx_error_t *err)
{
    if (!jar || !path)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_NONE, "cookie load: null argument");
    httpx_cookie_jar_t *scratch;
    if (httpx_cookie_jar_new(jar->a, &scratch) != 0)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_NONE, "cookie file \"%s\": out of memory", path);
    char *line = httpx__malloc(jar->a, NS_MAX_LINE + 1);
    FILE *f = line ? fopen(path, "r") : NULL;
    int rc = 0;
    if (!line) {
        rc = httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_NONE, "cookie file \"%s\": out of memory", path);
        goto out;
    }
    if (!f) {
        rc = httpx__err(err, HTTPX_E_SYSTEM, HTTPX_PHASE_NONE, "cookie file \"%s\": %s", path, strerror(errno));
        goto out;
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t lineno = 1;; lineno++) {
        size_t n;
        int r = ns_read_line(f, line, &n);
        if (r == NS_EOF)
            break;
        if (r == NS_IOERR) {
            rc = httpx__err(err, HTTPX_E_SYSTEM, HTTPX_PHASE_NONE, "cookie file \"%s\": read failed", path);
            goto out;
        }
        if (r != NS_LINE) {
            rc = httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_NONE, "cookie file \"%s\" line %zu: %s", path,
                            lineno, r == NS_NUL ? "NUL byte" : "line too long");
            goto out;
        }
        if (ns_blank(line) || (line[0] == '#' && strncmp(line, NS_HTTPONLY, sizeof NS_HTTPONLY - 1) != 0))
            continue;
        int prc = 0;
        const char *why = ns_line(scratch, line, now, &prc);
        if (why) {
            rc = httpx__err(err, prc ? prc : HTTPX_E_INVAL, HTTPX_PHASE_NONE, "cookie file \"%s\" line %zu: %s",
                            path, lineno, why);
            goto out;
        }
    }
    rc = httpx__cookie_jar_merge(jar, scratch, now);
    if (rc)
        httpx__err(err, rc, HTTPX_PHASE_NONE, "cookie file \"%s\": out of memory", path);
out:
    if (f)
        fclose(f);
    httpx__free(jar->a, line);
    httpx_cookie_jar_free(scratch);
    return rc;
}

int httpx_cookie_jar_save(const httpx_cookie_jar_t *jar, const char *path, httpx_error_t *err)
{
    if (!jar || !path)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_NONE, "cookie save: null argument");
    size_t plen = strlen(path);
    char *tmp = httpx__malloc(jar->a, plen + 8);
    if (!tmp)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_NONE, "cookie file \"%s\": out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", 8);
    int rc = 0;
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        rc = httpx__err(err, HTTPX_E_SYSTEM, HTTPX_PHASE_NONE, "cookie file \"%s\": %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        goto out;
    }
    int64_t now = (int64_t)time(NULL);
    fputs("# Netscape HTTP Cookie File\n# Written by libhttpx. Edit at your own risk.\n\n", f);
    for (size_t i = 0; i < jar->n; i++) {
        const httpx__cookie_t *k = jar->items[i];
        if (k->expires != 0 && k->expires <= now)
            continue;
        bool host_only = k->flags & HTTPX_COOKIE_HOST_ONLY;
        fprintf(f, "%s%s%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", (k->flags & HTTPX_COOKIE_HTTPONLY) ? NS_HTTPONLY : "",
                host_only || !k->domain[0] ? "" : ".", k->domain, host_only ? "FALSE" : "TRUE", k->path,
                (k->flags & HTTPX_COOKIE_SECURE) ? "TRUE" : "FALSE", (long long)k->expires, k->name, k->value);
    }
    bool bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = true;
        saved = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = true;
        saved = errno;
    }
    if (bad) {
        unlink(tmp);
        rc = httpx__err(err, HTTPX_E_SYSTEM, HTTPX_PHASE_NONE, "cookie file \"%s\": %s", path, strerror(saved));
    }
out:
    httpx__free(jar->a, tmp);
    return rc;
}
