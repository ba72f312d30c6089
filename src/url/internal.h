/* url/internal.h — what the url/ files share with each other (not the engine).
 * A reference is first split into raw components (slices into the caller's text),
 * then each component is normalised into a scratch buffer, then everything is
 * copied into the URL's single allocation. */
#ifndef HTTPX_URL_INTERNAL_H
#define HTTPX_URL_INTERNAL_H

#include <stdbool.h>
#include "core/buf.h"
#include "core/slice.h"
#include "url/url.h"

/* Longest URL text accepted, in bytes: bounds the scratch space and the block. */
#define HTTPX__URL_MAX_LEN (1024u * 1024u)

/* Components of a URI reference as written (RFC 3986 Appendix B); not normalised.
 * `host` keeps IPv6 brackets. Slices point into the text given to the splitter. */
typedef struct httpx__url_ref {
    httpx__slice_t scheme, userinfo, host, port, path, query, fragment;
    bool has_scheme, has_authority, has_userinfo, has_port, has_query, has_fragment;
} httpx__url_ref_t;

/* Which component a byte string is, for the set of characters left unencoded. */
typedef enum httpx__url_part {
    HTTPX__URL_USERINFO,
    HTTPX__URL_PATH,
    HTTPX__URL_QUERY,
    HTTPX__URL_FRAGMENT
} httpx__url_part_t;

/* Split `text` (len bytes) into *r. Refuses control characters and malformed
 * brackets with HTTPX_E_INVALID_URL. A prefix before ':' that is not a valid
 * scheme is left in the path (the caller decides whether that is an error). */
int httpx__url_split(const char *text, size_t len, httpx__url_ref_t *r, httpx_error_t *err);

/* Normalise the components of an absolute reference and make *out in one
 * allocation. `text` is only quoted in error messages. */
int httpx__url_build(const httpx__url_ref_t *r, httpx__slice_t text,
                     const httpx_allocator_t *a, httpx_url_t **out, httpx_error_t *err);

/* Append `p` normalised for component `part`: disallowed bytes percent-encoded,
 * escapes upper-cased, escaped unreserved characters decoded, a '%' that starts
 * no escape written as %25. HTTPX_E_NOMEM or the buffer's cap code. */
int httpx__url_norm_part(httpx__buf_t *out, const char *p, size_t n, httpx__url_part_t part);

/* Remove dot segments (RFC 3986 §5.2.4) from p[0, n) in place; returns the new length. */
size_t httpx__url_remove_dots(char *p, size_t n);

/* Append the normalised host (percent-decoded, IDNA A-label, lower case; IPv6
 * canonical without brackets). Sets *is_ip and *is_ipv6. HTTPX_E_INVALID_URL with
 * detail in *err, or HTTPX_E_NOMEM. */
int httpx__url_host(httpx__buf_t *out, httpx__slice_t host, bool *is_ip, bool *is_ipv6,
                    httpx_error_t *err);

/* 1 for RFC 3986 unreserved characters: ALPHA DIGIT - . _ ~ */
static inline int httpx__url_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}
/* Value of a hex digit, or -1. */
static inline int httpx__url_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
/* Quote at most this many bytes of a subject in an error message. */
#define HTTPX__URL_QUOTE(s, n) (int)((n) > 160 ? 160 : (n)), (s)

#endif
