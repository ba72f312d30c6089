/* proxy/proxy.h — sans-IO proxy building blocks: which proxy a URL goes through,
 * the SOCKS5 client handshake, and the HTTP CONNECT tunnel request and response.
 * Nothing here touches a socket or the loop; the engine feeds bytes in and writes
 * the bytes these produce.
 *
 * ROUTING (route.c) follows HTTPX's mounts. A table maps URL patterns to a proxy or
 * to "direct" (a NULL proxy):
 *   "all://"                    every URL
 *   "http://", "https://"       every URL of that scheme
 *   "all://example.com"         that host only
 *   "all://" + "*example.com"   example.com and its subdomains
 *   "all://" + "*.example.com"  subdomains of example.com only
 *   "all://" + "*"              any host (same as "all://")
 * (written split here only because a slash-star cannot appear in a C comment)
 *   "https://example.com:1234"  with a port: that port only (the URL's effective
 *                               port, so ":443" matches "https://example.com/")
 *   "all://[::1]", "all://10.1.2.3"  IP literals match exactly
 * The most specific matching pattern wins, as in HTTPX: a pattern with a port beats
 * one without; then the longer host text (as written, "*" prefix included); then
 * the longer scheme ("all" counts as none). Remaining ties go to an explicit mount
 * over one from the environment, then to the one added first. A mount whose pattern
 * equals an earlier one (after lower-casing) replaces it. Hosts compare ASCII
 * case-insensitively with the URL's host in its IDNA A-label form.
 *
 * The table is built from, in this order (later replaces an identical pattern):
 *  1. the environment, only when trust_env is set and no `proxy` option is given
 *     (an explicit proxy disables environment proxies, as in HTTPX):
 *       http_proxy  -> "http://"     https_proxy -> "https://"    all_proxy -> "all://"
 *     Each name is looked up in lower case first; the upper-case name is used only
 *     when the lower-case one is unset (curl's and urllib's rule: lower case wins).
 *     A variable set to "" counts as set and means "no proxy from this variable";
 *     so an empty https_proxy hides HTTPS_PROXY. Upper-case HTTP_PROXY is ignored
 *     when REQUEST_METHOD is set (a CGI environment, where a client-supplied
 *     "Proxy:" header becomes HTTP_PROXY: "httpoxy"), as urllib and curl do.
 *     no_proxy/NO_PROXY (same lookup rule) lists hosts that bypass the environment's
 *     proxies: for a URL it matches, the routes that came from the environment are
 *     skipped and only explicit ones compete (see httpx__proxy_no_proxy_match).
 *     An environment proxy URL that does not parse fails the table with the
 *     variable named in the message: a proxy silently ignored would leak traffic.
 *  2. `proxy`, mounted on "all://";
 *  3. the explicit `mounts`, in order.
 *
 * PROXY URLS: schemes http, https, socks5 and socks5h. Text without "://" is taken
 * as "http://" + text, so "proxy.local:3128" works (HTTPX and curl do the same).
 * Default ports: http 80, https 443, socks5/socks5h 1080. Userinfo gives the proxy
 * credentials, percent-decoded ("u%40x:p%3As" is user "u@x", password "p:s"). A
 * path other than "/", a query or a fragment is refused.
 */
#ifndef HTTPX_PROXY_PROXY_H
#define HTTPX_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "h1/parse.h"
#include "httpx/alloc.h"
#include "httpx/error.h"
#include "httpx/headers.h"
#include "httpx/url.h"

/* ---- proxies -------------------------------------------------------------- */

typedef enum httpx__proxy_kind {
    HTTPX__PROXY_HTTP = 1, /* http://: absolute-form requests, CONNECT for https */
    HTTPX__PROXY_HTTPS,    /* https://: the same over TLS to the proxy */
    HTTPX__PROXY_SOCKS5,   /* socks5://: the client resolves the target host */
    HTTPX__PROXY_SOCKS5H   /* socks5h://: the proxy resolves the target host */
} httpx__proxy_kind_t;

/* A parsed proxy URL. One allocation; every string lives as long as the proxy. */
typedef struct httpx__proxy {
    const httpx_allocator_t *a;
    httpx__proxy_kind_t kind;
    const char *scheme;  /* "http", "https", "socks5" or "socks5h" (static) */
    char *host;          /* lower case, IDNA A-label; IPv6 without brackets */
    int port;            /* explicit, or the scheme's default */
    bool host_is_ip;     /* an IPv4 or IPv6 literal */
    char *username;      /* percent-decoded; NULL when the URL has no userinfo */
    char *password;      /* percent-decoded; NULL when the userinfo has no ':' */
    char *url;           /* "scheme://host:port", never with credentials: for messages */
} httpx__proxy_t;

/* Parse a proxy URL (see above) into a new proxy (free with httpx__proxy_free).
 * HTTPX_E_INVALID_URL (bad URL, unsupported scheme, path/query/fragment, NUL in
 * decoded credentials) with detail in *err, HTTPX_E_NOMEM, HTTPX_E_INVAL for NULLs. */
int httpx__proxy_parse(const char *text, const httpx_allocator_t *a, httpx__proxy_t **out,
                       httpx_error_t *err);
/* Free a proxy; NULL ok. */
void httpx__proxy_free(httpx__proxy_t *p);

/* ---- routing -------------------------------------------------------------- */

/* Environment lookup: the value of `name` or NULL when unset. */
typedef const char *(*httpx__getenv_fn)(const char *name, void *user);

/* A mount: URL pattern -> proxy URL, or NULL proxy for a direct connection. */
typedef struct httpx__proxy_mount {
    const char *pattern;
    const char *proxy;
} httpx__proxy_mount_t;

typedef struct httpx__proxy_config {
    const char *proxy;                  /* one proxy for all URLs ("all://"), or NULL */
    const httpx__proxy_mount_t *mounts; /* ended by an entry with a NULL pattern; may be NULL */
    bool trust_env;                     /* read *_proxy variables (when `proxy` is NULL) */
    httpx__getenv_fn getenv;            /* NULL: getenv(3) */
    void *getenv_user;
} httpx__proxy_config_t;

typedef struct httpx__proxy_table httpx__proxy_table_t;

/* Build a routing table (rules at the top of this file). The table copies what it
 * needs from `cfg`. Errors: HTTPX_E_INVAL (bad mount pattern, NULL arguments),
 * HTTPX_E_INVALID_URL (bad proxy URL, from a mount or a named variable), HTTPX_E_NOMEM;
 * detail in *err (phase SETUP). *out is NULL on failure. */
int httpx__proxy_table_new(const httpx_allocator_t *a, const httpx__proxy_config_t *cfg,
                           httpx__proxy_table_t **out, httpx_error_t *err);
/* Free a table and its proxies; NULL ok. */
void httpx__proxy_table_free(httpx__proxy_table_t *t);
/* The proxy for `url` into *out, or NULL for a direct connection (also when no
 * pattern matches, or t is NULL). The proxy lives as long as the table.
 * 0, or HTTPX_E_INVAL for NULL url/out. */
int httpx__proxy_for(const httpx__proxy_table_t *t, const httpx_url_t *url,
                     const httpx__proxy_t **out);
/* Number of routes in the table (for tests and diagnostics). */
size_t httpx__proxy_table_size(const httpx__proxy_table_t *t);

/* Does `host` (as in httpx_url_t: lower case, IPv6 without brackets) with effective
 * `port` match the NO_PROXY `list`? Allocation-free; reads the list as written.
 * Entries are separated by commas or whitespace; empty entries and malformed ones
 * are ignored (a bad entry must not turn the whole list off). curl's semantics:
 *   "*"               every host
 *   "example.com"     example.com and every subdomain (not "badexample.com")
 *   ".example.com"    the same (curl strips the leading dot); "*.example.com" too
 *   "localhost"       localhost and *.localhost, and also the loopback literals
 *                     127.0.0.0/8 and ::1, which is what "localhost" means in practice
 *   "10.1.2.3", "::1", "[::1]"            that address (IP entries never match names;
 *                                         nothing is resolved)
 *   "10.0.0.0/8", "fd00::/8", "[fd00::]/8" a CIDR block (prefix 0..32 or 0..128)
 *   any entry + ":port" ("example.com:8080", "10.0.0.1:80", "[::1]:8443")
 *                     matches that port only (bare IPv6 entries take no port)
 * A trailing dot on the host or an entry is ignored. Comparison is ASCII
 * case-insensitive. */
bool httpx__proxy_no_proxy_match(const char *list, const char *host, int port);

/* ---- SOCKS5 client handshake (RFC 1928, RFC 1929) -------------------------- */

/* Address types of RFC 1928 §5. */
typedef enum httpx__socks5_atyp {
    HTTPX__SOCKS5_IPV4 = 1,
    HTTPX__SOCKS5_DOMAIN = 3,
    HTTPX__SOCKS5_IPV6 = 4
} httpx__socks5_atyp_t;

/* Largest messages: user/pass auth is 3 + 255 + 255 bytes; a CONNECT request or
 * reply with a domain name 7 + 255 bytes. Every buffer is inside the struct: the
 * handshake never allocates. A plain value, but do not copy it mid-handshake
 * (pointers from httpx__socks5_output point into it). */
#define HTTPX__SOCKS5_AUTH_MAX 513
#define HTTPX__SOCKS5_MSG_MAX 262

typedef struct httpx__socks5 {
    int state;                              /* internal */
    bool offer_auth;                        /* username/password offered */
    uint8_t greeting[4];
    size_t greeting_len;
    uint8_t auth[HTTPX__SOCKS5_AUTH_MAX];   /* RFC 1929 request */
    size_t auth_len;
    uint8_t request[HTTPX__SOCKS5_MSG_MAX]; /* CONNECT request */
    size_t request_len;
    size_t out_off;                         /* bytes of the current message sent */
    uint8_t in[HTTPX__SOCKS5_MSG_MAX];      /* the reply being read */
    size_t in_len, in_need;
    char target[HTTPX__SOCKS5_MSG_MAX + 8]; /* "host:port" for messages */
    /* After success: the proxy's BND.ADDR and BND.PORT. bound is dotted IPv4,
     * RFC 5952 IPv6 (no brackets) or the domain name, NUL-terminated. */
    httpx__socks5_atyp_t bound_type;
    char bound[256];
    int bound_port;
} httpx__socks5_t;

/* Prepare a handshake that asks the proxy to CONNECT to host:port. `remote_dns`
 * (socks5h) sends a host name as is (ATYP 3); without it `host` must already be an
 * IPv4 or IPv6 literal (the caller resolved it; brackets allowed). An IP literal is
 * always sent as an address. With a non-NULL `username` the greeting offers
 * username/password (RFC 1929) besides "no authentication"; `password` NULL is "".
 * HTTPX_E_INVAL (bad port, empty or > 255-byte host, a name without remote_dns,
 * credentials > 255 bytes) with detail in *err. */
int httpx__socks5_init(httpx__socks5_t *s, const char *host, int port, bool remote_dns,
                       const char *username, const char *password, httpx_error_t *err);
/* Bytes to send now into *data and *len (len 0: nothing; read instead). The pointer
 * stays valid until the next call on `s`. */
void httpx__socks5_output(const httpx__socks5_t *s, const char **data, size_t *len);
/* Record that `n` bytes of the output were written (n <= the output's len). */
void httpx__socks5_sent(httpx__socks5_t *s, size_t n);
/* Feed bytes read from the proxy. Every byte is checked as it arrives. Sets
 * *consumed; bytes past the final reply are never consumed (they belong to the
 * tunnel). Returns 1 when the tunnel is open, 0 when more is needed (send the
 * output, if any, then read), or HTTPX_E_PROXY with "socks5: ..." in *err (refused
 * methods or credentials, each reply code, any malformed byte, bytes that arrive
 * while a request is still unsent). After an error the handshake stays failed. */
int httpx__socks5_feed(httpx__socks5_t *s, const char *in, size_t len, size_t *consumed,
                       httpx_error_t *err);
/* The proxy closed the connection: HTTPX_E_PROXY unless the tunnel was open (0). */
int httpx__socks5_eof(const httpx__socks5_t *s, httpx_error_t *err);
/* True once the proxy has accepted the CONNECT. */
bool httpx__socks5_done(const httpx__socks5_t *s);

/* ---- HTTP CONNECT tunnel (RFC 9110 §9.3.6) ---------------------------------- */

#define HTTPX__CONNECT_MAX_FIELDS 64
#define HTTPX__CONNECT_MAX_HEAD (16u * 1024u)

typedef struct httpx__tunnel {
    char target[272];           /* authority-form "host:port", IPv6 in brackets */
    size_t scan;                /* head parser resume offset */
    size_t used;                /* bytes of interim (1xx) heads already consumed */
    httpx__h1_limits_t limits;
    httpx__h1_field_t fields[HTTPX__CONNECT_MAX_FIELDS];
    httpx__h1_head_t head;      /* the last head parsed: slices into the fed buffer */
    int state;                  /* internal */
} httpx__tunnel_t;

/* Prepare a tunnel to host:port (host as in httpx_url_t: IPv6 without brackets, or
 * with them). HTTPX_E_INVAL (empty host, host > 255 bytes or with bytes not allowed
 * in an authority, port outside 1..65535) with detail in *err. */
int httpx__tunnel_init(httpx__tunnel_t *c, const char *host, int port, httpx_error_t *err);
/* Append the request head to `out`:
 *   CONNECT host:port HTTP/1.1\r\n
 *   Host: host:port\r\n
 *   Proxy-Authorization: Basic base64(user:password)\r\n   (when proxy has a username)
 *   extra fields, in order\r\n
 *   \r\n
 * `proxy` may be NULL (no credentials); `extra` is ended by {NULL, NULL} and may be
 * NULL. An extra Host or Proxy-Authorization replaces the generated one. Errors
 * leave `out` unchanged: HTTPX_E_INVAL (bad extra name or value with CR, LF, NUL;
 * Content-Length or Transfer-Encoding among extra; a username with ':'; the buffer's
 * cap reached), HTTPX_E_NOMEM. */
int httpx__tunnel_write(const httpx__tunnel_t *c, const httpx__proxy_t *proxy,
                         const httpx_header_t *extra, httpx__buf_t *out, httpx_error_t *err);
/* Feed the proxy's response: buf[0, len) is everything received so far (the same
 * bytes again, grown, on each call). Interim 1xx heads are skipped (101 is refused).
 * Returns 1 when a 2xx established the tunnel: *used is the length of the response
 * head(s) and buf[*used, len) already belongs to the tunnel; 0 when more is needed;
 * otherwise HTTPX_E_PROXY with detail in *err: "... proxy authentication required
 * (407)", "... proxy answered 502 ...", or a malformed or oversized head (the
 * parser's reason in the message). After a final response c->head and c->fields
 * describe it (slices into buf), e.g. for Proxy-Authenticate. */
int httpx__tunnel_feed(httpx__tunnel_t *c, const char *buf, size_t len, size_t *used,
                        httpx_error_t *err);
/* The proxy closed the connection: 0 if the tunnel was open, else HTTPX_E_PROXY. */
int httpx__tunnel_eof(const httpx__tunnel_t *c, httpx_error_t *err);

#endif
