/* core/error.c — the error table: names, messages, classes; errno mapping. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"

typedef struct err_row {
    int code, span;
    const char *name, *msg;
} err_row_t;

static const err_row_t rows[] = {
#define ROW(name, code, span, msg) {code, span, #name, msg},
    HTTPX_ERRNO_MAP(ROW)
#undef ROW
};

static const err_row_t *find(int code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code)
            return &rows[i];
    return NULL;
}

const char *httpx_strerror(int code)
{
    const err_row_t *r = find(code);
    return r ? r->msg : "unknown error";
}

const char *httpx_err_name(int code)
{
    const err_row_t *r = find(code);
    return r ? r->name : "UNKNOWN";
}

int httpx_error_is(int code, int cls)
{
    if (code == cls)
        return 1;
    const err_row_t *r = find(cls);
    if (!r || r->span <= 1)
        return 0;
    return code <= r->code && code > r->code - r->span;
}

const char *httpx_phase_name(httpx_phase_t phase)
{
    static const char *const names[] = {"none", "setup", "pool", "dns", "connect",
                                        "tls", "write", "read-head", "read-body", "decode"};
    unsigned p = (unsigned)phase;
    return p < sizeof names / sizeof names[0] ? names[p] : "unknown";
}

int httpx__err(httpx_error_t *e, int code, httpx_phase_t phase, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    e->phase = phase;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return code;
}

void httpx__err_clear(httpx_error_t *e)
{
    if (e) {
        e->code = 0;
        e->phase = HTTPX_PHASE_NONE;
        e->message[0] = '\0';
    }
}

int httpx__err_from_errno(int err, httpx_phase_t phase)
{
    switch (err) {
    case ENOMEM:
    case ENOBUFS:
        return HTTPX_E_NOMEM;
    case ECONNREFUSED:
        return HTTPX_E_REFUSED;
    case ETIMEDOUT:
        /* the connect timeout covers DNS and the TLS handshake too, as in HTTPX */
        return phase == HTTPX_PHASE_CONNECT || phase == HTTPX_PHASE_DNS || phase == HTTPX_PHASE_TLS
                   ? HTTPX_E_CONNECT_TIMEOUT
               : phase == HTTPX_PHASE_WRITE ? HTTPX_E_WRITE_TIMEOUT
                                            : HTTPX_E_READ_TIMEOUT;
    case EMFILE:
    case ENFILE:
        return HTTPX_E_SYSTEM;
    default:
        break;
    }
    switch (phase) {
    case HTTPX_PHASE_DNS:
    case HTTPX_PHASE_CONNECT:
    case HTTPX_PHASE_TLS:
        return HTTPX_E_CONNECT;
    case HTTPX_PHASE_WRITE:
        return HTTPX_E_WRITE;
    default:
        return HTTPX_E_READ;
    }
}
