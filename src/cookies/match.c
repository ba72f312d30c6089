/* cookies/match.c — domain-match, path-match, default-path (RFC 6265bis §5.1.3,
 * §5.1.4) and what counts as a secure origin. */
#include <string.h>
#include "cookies/jar.h"

bool httpx__cookie_domain_match(const char *host, bool host_is_ip, const char *domain, size_t dlen)
{
    size_t hlen = strlen(host);
    if (hlen == dlen && memcmp(host, domain, dlen) == 0)
        return true;
    /* a suffix of the host, right after a dot, and the host is a name */
    return !host_is_ip && dlen > 0 && hlen > dlen && host[hlen - dlen - 1] == '.' &&
           memcmp(host + hlen - dlen, domain, dlen) == 0;
}

bool httpx__cookie_path_match(const char *rpath, const char *cpath)
{
    size_t clen = strlen(cpath);
    if (strncmp(rpath, cpath, clen) != 0)
        return false;
    /* identical, or the cookie path ends in '/', or the request path goes on with '/' */
    return rpath[clen] == '\0' || (clen > 0 && cpath[clen - 1] == '/') || rpath[clen] == '/';
}

httpx__slice_t httpx__cookie_default_path(const char *path)
{
    if (!path || path[0] != '/')
        return HTTPX__SLICE_LIT("/");
    const char *last = strrchr(path, '/');
    if (last == path)
        return HTTPX__SLICE_LIT("/");
    return httpx__slice(path, (size_t)(last - path));
}

static bool match_loopback(const char *host, bool is_ip)
{
    if (!is_ip) {
        size_t n = strlen(host);
        return strcmp(host, "localhost") == 0 ||
               (n > 10 && strcmp(host + n - 10, ".localhost") == 0);
    }
    if (strcmp(host, "::1") == 0)
        return true;
    return strncmp(host, "127.", 4) == 0; /* canonical dotted IPv4 from the URL parser */
}

bool httpx__cookie_secure_origin(const httpx_url_t *url)
{
    return strcmp(url->scheme, "https") == 0 || strcmp(url->scheme, "wss") == 0 ||
           match_loopback(url->host, url->host_is_ip);
}
