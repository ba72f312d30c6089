/* url/idna.c — hosts: IP literals, percent-decoding, IDNA (libidn2), lower case. */
#include <arpa/inet.h>
#include <idn2.h>
#include <string.h>
#include "core/err.h"
#include "url/internal.h"

#define HOST_ERR(err, ...) httpx__err((err), HTTPX_E_INVALID_URL, HTTPX_PHASE_SETUP, __VA_ARGS__)

/* Drop what was appended after `size` live bytes (scratch buffers only grow at the end). */
static void truncate_to(httpx__buf_t *b, size_t size)
{
    b->len = b->off + size;
    if (b->data)
        b->data[b->len] = '\0';
}

/* WHATWG's forbidden domain code points, ASCII part: they would change how the
 * URL or the request line is read, so a host holding one is refused. */
static bool host_char_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f && !strchr("#%/:<>?@[\\]^|\"`{}", c);
}

static int ipv6_literal(httpx__buf_t *out, httpx__slice_t host, httpx_error_t *err)
{
    char tmp[INET6_ADDRSTRLEN];
    struct in6_addr a;
    size_t n = host.len - 2; /* the splitter guarantees "[...]" */
    if (n == 0 || n >= sizeof tmp)
        goto bad;
    memcpy(tmp, host.ptr + 1, n);
    tmp[n] = '\0';
    /* inet_pton refuses zone ids and IPvFuture, which no HTTP client can use */
    if (inet_pton(AF_INET6, tmp, &a) != 1)
        goto bad;
    /* canonical text (RFC 5952): equal addresses give equal origins */
    if (!inet_ntop(AF_INET6, &a, tmp, sizeof tmp))
        goto bad;
    return httpx__buf_append_str(out, tmp);
bad:
    return HOST_ERR(err, "invalid ipv6 address \"%.*s\" in url", HTTPX__URL_QUOTE(host.ptr, host.len));
}

/* Four dot-separated runs of digits: meant as IPv4, so it must be a valid one. */
static bool looks_ipv4(const char *p, size_t n)
{
    int dots = 0;
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') {
            if (!digit)
                return false;
            dots++;
            digit = false;
        } else if (p[i] >= '0' && p[i] <= '9') {
            digit = true;
        } else {
            return false;
        }
    }
    return dots == 3 && digit;
}

static int to_ascii(httpx__buf_t *out, size_t start, httpx__slice_t host, httpx_error_t *err)
{
    uint8_t *ascii = NULL;
    /* the decoded host is NUL-terminated in place: buffers keep a NUL after len */
    int rc = idn2_lookup_u8((const uint8_t *)httpx__buf_ptr(out) + start, &ascii,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc == IDN2_MALLOC)
        return HTTPX_E_NOMEM;
    if (rc != IDN2_OK)
        return HOST_ERR(err, "invalid international domain name \"%.*s\" in url: %s",
                        HTTPX__URL_QUOTE(host.ptr, host.len), idn2_strerror(rc));
    truncate_to(out, start);
    rc = httpx__buf_append_str(out, (const char *)ascii);
    idn2_free(ascii); /* libidn2 allocates with its own malloc */
    return rc;
}

int httpx__url_host(httpx__buf_t *out, httpx__slice_t host, bool *is_ip, bool *is_ipv6,
                    httpx_error_t *err)
{
    *is_ip = *is_ipv6 = false;
    if (host.len && host.ptr[0] == '[') {
        int rc = ipv6_literal(out, host, err);
        if (rc == 0)
            *is_ip = *is_ipv6 = true;
        return rc;
    }
    size_t start = httpx__buf_size(out);
    int rc = httpx__buf_reserve(out, host.len);
    if (rc)
        return rc;
    bool non_ascii = false;
    for (size_t i = 0; i < host.len; i++) {
        unsigned char c = (unsigned char)host.ptr[i];
        if (c == '%') {
            int hi = i + 2 < host.len ? httpx__url_hexval((unsigned char)host.ptr[i + 1]) : -1;
            int lo = hi >= 0 ? httpx__url_hexval((unsigned char)host.ptr[i + 2]) : -1;
            if (lo < 0)
                return HOST_ERR(err, "invalid percent-encoding in url host \"%.*s\"",
                                HTTPX__URL_QUOTE(host.ptr, host.len));
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c < 0x80 && !host_char_ok(c))
            goto bad_char;
        non_ascii |= c >= 0x80;
        if ((rc = httpx__buf_append(out, &c, 1)))
            return rc;
    }
    if (non_ascii && (rc = to_ascii(out, start, host, err)))
        return rc;
    char *p = httpx__buf_ptr(out) + start;
    size_t n = httpx__buf_size(out) - start;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!host_char_ok(c)) /* IDNA mapping can produce ASCII, e.g. fullwidth '/' */
            goto bad_char;
        if (c >= 'A' && c <= 'Z')
            p[i] = (char)(c + 32);
    }
    if (n && looks_ipv4(p, n)) {
        struct in_addr a;
        /* glibc refuses leading zeros, which some resolvers would read as octal */
        if (inet_pton(AF_INET, p, &a) != 1)
            return HOST_ERR(err, "invalid ipv4 address \"%.*s\" in url", HTTPX__URL_QUOTE(p, n));
        *is_ip = true;
    }
    return 0;
bad_char:
    return HOST_ERR(err, "invalid character in url host \"%.*s\"", HTTPX__URL_QUOTE(host.ptr, host.len));
}
