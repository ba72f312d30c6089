/* proxy/socks5.c — the client side of a SOCKS5 handshake (RFC 1928) with
 * username/password authentication (RFC 1929), sans-IO.
 *
 *   client                                  proxy
 *   05 n methods...                  ->
 *                                    <-     05 method            (00, 02 or FF)
 *   01 ulen user plen pass           ->                          (method 02 only)
 *                                    <-     01 status            (00: accepted)
 *   05 01 00 atyp addr port          ->
 *                                    <-     05 rep 00 atyp addr port
 *
 * The exchange is lockstep, so the proxy has nothing to say while a request of ours
 * is unsent: bytes then are an error. Every reply byte is checked the moment its
 * meaning is known (version, method, status, reply code, reserved byte, address
 * type, domain length and characters), so a peer that is not a SOCKS5 proxy is
 * refused on its first byte. The auth reply's version must be 01 as RFC 1929 says
 * (a few servers answer 05; we refuse them rather than guess). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "proxy/proxy.h"

#define PHASE HTTPX_PHASE_CONNECT

enum {
    S_FAILED = 0, /* also the state of a zeroed struct */
    S_GREET,      /* sending the greeting */
    S_METHOD,     /* reading the chosen method */
    S_AUTH,       /* sending username/password */
    S_AUTH_REPLY, /* reading the auth status */
    S_REQUEST,    /* sending CONNECT */
    S_REPLY,      /* reading the CONNECT reply */
    S_DONE
};

enum { M_NONE = 0x00, M_USERPASS = 0x02, M_NO_ACCEPTABLE = 0xff };

static int s5_fail(httpx__socks5_t *s, httpx_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s5_fail(httpx__socks5_t *s, httpx_error_t *err, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->state = S_FAILED;
    return httpx__err(err, HTTPX_E_PROXY, PHASE, "%s", msg);
}

static int s5_invalid(httpx__socks5_t *s, httpx_error_t *err, const char *what, const char *detail)
{
    s->state = S_FAILED;
    return httpx__err(err, HTTPX_E_INVAL, PHASE, "socks5: %s%s", what, detail);
}

int httpx__socks5_init(httpx__socks5_t *s, const char *host, int port, bool remote_dns,
                       const char *username, const char *password, httpx_error_t *err)
{
    if (!s)
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "httpx__socks5_init: s is NULL");
    memset(s, 0, sizeof *s);
    if (!host || !*host)
        return s5_invalid(s, err, "empty target host", "");
    if (port < 1 || port > 65535) {
        s->state = S_FAILED;
        return httpx__err(err, HTTPX_E_INVAL, PHASE, "socks5: invalid target port %d", port);
    }
    size_t hn = strlen(host);
    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']')
        host++, hn -= 2;
    if (hn == 0 || hn > 255)
        return s5_invalid(s, err, hn ? "target host name longer than 255 bytes" : "empty target host",
                          "");

    char tmp[256];
    memcpy(tmp, host, hn);
    tmp[hn] = '\0';
    unsigned char addr[16];
    uint8_t *q = s->request;
    *q++ = 0x05; /* VER */
    *q++ = 0x01; /* CMD: CONNECT */
    *q++ = 0x00; /* RSV */
    if (inet_pton(AF_INET, tmp, addr) == 1) {
        *q++ = HTTPX__SOCKS5_IPV4;
        memcpy(q, addr, 4), q += 4;
        snprintf(s->target, sizeof s->target, "%s:%d", tmp, port);
    } else if (inet_pton(AF_INET6, tmp, addr) == 1) {
        *q++ = HTTPX__SOCKS5_IPV6;
        memcpy(q, addr, 16), q += 16;
        snprintf(s->target, sizeof s->target, "[%s]:%d", tmp, port);
    } else {
        if (!remote_dns) {
            s->state = S_FAILED;
            return httpx__err(err, HTTPX_E_INVAL, PHASE,
                              "socks5: target \"%.200s\" is a host name; resolve it first or use "
                              "socks5h",
                              tmp);
        }
        for (size_t i = 0; i < hn; i++)
            if ((unsigned char)tmp[i] <= 0x20 || (unsigned char)tmp[i] >= 0x7f)
                return s5_invalid(s, err, "invalid byte in target host name", "");
        *q++ = HTTPX__SOCKS5_DOMAIN;
        *q++ = (uint8_t)hn;
        memcpy(q, tmp, hn), q += hn;
        snprintf(s->target, sizeof s->target, "%s:%d", tmp, port);
    }
    *q++ = (uint8_t)(port >> 8);
    *q++ = (uint8_t)(port & 0xff);
    s->request_len = (size_t)(q - s->request);

    s->greeting[0] = 0x05;
    s->greeting[2] = M_NONE;
    if (username) {
        const char *pw = password ? password : "";
        size_t un = strlen(username), pn = strlen(pw);
        if (un > 255)
            return s5_invalid(s, err, "username longer than 255 bytes", "");
        if (pn > 255)
            return s5_invalid(s, err, "password longer than 255 bytes", "");
        s->offer_auth = true;
        s->greeting[1] = 2;
        s->greeting[3] = M_USERPASS;
        s->greeting_len = 4;
        uint8_t *a = s->auth;
        *a++ = 0x01; /* RFC 1929 version */
        *a++ = (uint8_t)un;
        memcpy(a, username, un), a += un;
        *a++ = (uint8_t)pn;
        memcpy(a, pw, pn), a += pn;
        s->auth_len = (size_t)(a - s->auth);
    } else {
        s->greeting[1] = 1;
        s->greeting_len = 3;
    }
    s->state = S_GREET;
    return 0;
}

/* The message being sent in the current state, or NULL. */
static const uint8_t *s5_msg(const httpx__socks5_t *s, size_t *len)
{
    switch (s->state) {
    case S_GREET:
        *len = s->greeting_len;
        return s->greeting;
    case S_AUTH:
        *len = s->auth_len;
        return s->auth;
    case S_REQUEST:
        *len = s->request_len;
        return s->request;
    default:
        *len = 0;
        return NULL;
    }
}

void httpx__socks5_output(const httpx__socks5_t *s, const char **data, size_t *len)
{
    size_t n;
    const uint8_t *m = s5_msg(s, &n);
    *data = m ? (const char *)m + s->out_off : NULL;
    *len = m ? n - s->out_off : 0;
}

static void s5_expect(httpx__socks5_t *s, int state, size_t need)
{
    s->state = state;
    s->in_len = 0;
    s->in_need = need;
    s->out_off = 0;
}

void httpx__socks5_sent(httpx__socks5_t *s, size_t n)
{
    size_t total;
    if (!s5_msg(s, &total))
        return;
    s->out_off += n < total - s->out_off ? n : total - s->out_off;
    if (s->out_off < total)
        return;
    if (s->state == S_GREET)
        s5_expect(s, S_METHOD, 2);
    else if (s->state == S_AUTH)
        s5_expect(s, S_AUTH_REPLY, 2);
    else
        s5_expect(s, S_REPLY, 4); /* grows once the address type is known */
}

static const char *s5_rep_text(uint8_t rep)
{
    switch (rep) {
    case 0x01: return "general socks server failure";
    case 0x02: return "connection not allowed by the proxy's ruleset";
    case 0x03: return "network unreachable";
    case 0x04: return "host unreachable";
    case 0x05: return "connection refused by destination host";
    case 0x06: return "ttl expired";
    case 0x07: return "command not supported by the proxy";
    case 0x08: return "address type not supported by the proxy";
    default: return NULL;
    }
}

static int s5_bad_version(httpx__socks5_t *s, uint8_t c, const char *where, uint8_t want,
                          httpx_error_t *err)
{
    return s5_fail(s, err, "socks5: version 0x%02x in %s, expected 0x%02x%s", c, where, want,
                   c == 'H' ? " (is it an http proxy?)" : "");
}

/* Check reply byte c at position s->in_len of the current message. */
static int s5_check(httpx__socks5_t *s, uint8_t c, httpx_error_t *err)
{
    size_t pos = s->in_len;
    switch (s->state) {
    case S_METHOD:
        if (pos == 0 && c != 0x05)
            return s5_bad_version(s, c, "method reply", 0x05, err);
        if (pos == 1) {
            if (c == M_NO_ACCEPTABLE)
                return s5_fail(s, err,
                               s->offer_auth
                                   ? "socks5: proxy accepts none of the offered authentication methods"
                                   : "socks5: proxy requires authentication but no credentials "
                                     "were given");
            if (c != M_NONE && !(c == M_USERPASS && s->offer_auth))
                return s5_fail(s, err,
                               "socks5: proxy chose authentication method 0x%02x, which was not "
                               "offered",
                               c);
        }
        return 0;
    case S_AUTH_REPLY:
        if (pos == 0 && c != 0x01)
            return s5_bad_version(s, c, "authentication reply", 0x01, err);
        if (pos == 1 && c != 0x00)
            return s5_fail(s, err,
                           "socks5: proxy rejected the username and password (status 0x%02x)", c);
        return 0;
    case S_REPLY:
        if (pos == 0 && c != 0x05)
            return s5_bad_version(s, c, "connect reply", 0x05, err);
        if (pos == 1 && c != 0x00) {
            const char *t = s5_rep_text(c);
            if (t)
                return s5_fail(s, err, "socks5: %s (connect to %s)", t, s->target);
            return s5_fail(s, err, "socks5: unknown reply code 0x%02x (connect to %s)", c,
                           s->target);
        }
        if (pos == 2 && c != 0x00)
            return s5_fail(s, err, "socks5: reserved byte 0x%02x in connect reply, expected 0x00", c);
        if (pos == 3) {
            if (c == HTTPX__SOCKS5_IPV4)
                s->in_need = 4 + 4 + 2;
            else if (c == HTTPX__SOCKS5_IPV6)
                s->in_need = 4 + 16 + 2;
            else if (c == HTTPX__SOCKS5_DOMAIN)
                s->in_need = 5; /* the length byte comes next */
            else
                return s5_fail(s, err, "socks5: unknown address type 0x%02x in connect reply", c);
        }
        if (pos == 4 && s->in[3] == HTTPX__SOCKS5_DOMAIN) {
            if (c == 0)
                return s5_fail(s, err, "socks5: empty domain name in connect reply");
            s->in_need = 5 + (size_t)c + 2;
        }
        if (pos >= 5 && s->in[3] == HTTPX__SOCKS5_DOMAIN && pos < 5 + (size_t)s->in[4] &&
            (c <= 0x20 || c >= 0x7f))
            return s5_fail(s, err, "socks5: invalid byte 0x%02x in connect reply domain name", c);
        return 0;
    default:
        return s5_fail(s, err, "socks5: internal state error");
    }
}

/* A whole message is in s->in: act on it. */
static void s5_complete(httpx__socks5_t *s)
{
    switch (s->state) {
    case S_METHOD:
        s5_expect(s, s->in[1] == M_USERPASS ? S_AUTH : S_REQUEST, 0);
        break;
    case S_AUTH_REPLY:
        s5_expect(s, S_REQUEST, 0);
        break;
    default: { /* S_REPLY */
        const uint8_t *a = s->in + 4;
        size_t alen = s->in_len - 4 - 2;
        s->bound_type = (httpx__socks5_atyp_t)s->in[3];
        if (s->bound_type == HTTPX__SOCKS5_IPV4)
            inet_ntop(AF_INET, a, s->bound, sizeof s->bound);
        else if (s->bound_type == HTTPX__SOCKS5_IPV6)
            inet_ntop(AF_INET6, a, s->bound, sizeof s->bound);
        else {
            memcpy(s->bound, a + 1, alen - 1);
            s->bound[alen - 1] = '\0';
        }
        s->bound_port = (s->in[s->in_len - 2] << 8) | s->in[s->in_len - 1];
        s->state = S_DONE;
        break;
    }
    }
}

int httpx__socks5_feed(httpx__socks5_t *s, const char *in, size_t len, size_t *consumed,
                       httpx_error_t *err)
{
    *consumed = 0;
    if (s->state == S_DONE)
        return 1;
    if (s->state == S_FAILED)
        return s5_fail(s, err, "socks5: handshake already failed");
    size_t i = 0;
    while (i < len) {
        if (s->state != S_METHOD && s->state != S_AUTH_REPLY && s->state != S_REPLY) {
            *consumed = i;
            return s5_fail(s, err, "socks5: proxy sent data before our %s was sent",
                           s->state == S_GREET ? "greeting"
                           : s->state == S_AUTH ? "authentication" : "connect request");
        }
        uint8_t c = (uint8_t)in[i];
        int rc = s5_check(s, c, err);
        if (rc < 0) {
            *consumed = i;
            return rc;
        }
        s->in[s->in_len++] = c;
        i++;
        if (s->in_len == s->in_need) {
            s5_complete(s);
            if (s->state == S_DONE) {
                *consumed = i;
                return 1;
            }
        }
    }
    *consumed = i;
    return 0;
}

int httpx__socks5_eof(const httpx__socks5_t *s, httpx_error_t *err)
{
    if (s->state == S_DONE)
        return 0;
    const char *when = s->state == S_METHOD || s->state == S_GREET ? "greeting"
                       : s->state == S_AUTH || s->state == S_AUTH_REPLY ? "authentication"
                                                                        : "connect request";
    return httpx__err(err, HTTPX_E_PROXY, PHASE,
                      "socks5: proxy closed the connection during the %s (connect to %s)", when,
                      s->target[0] ? s->target : "?");
}

bool httpx__socks5_done(const httpx__socks5_t *s)
{
    return s->state == S_DONE;
}
