/* core/err.h — filling httpx_error_t, and mapping errno once at the syscall boundary. */
#ifndef HTTPX_CORE_ERR_H
#define HTTPX_CORE_ERR_H

#include "httpx/error.h"

/* Record code, phase and a formatted message into *e (no-op if e is NULL). Returns
 * `code`, so callers can write `return httpx__err(e, code, phase, "...")`. */
int httpx__err(httpx_error_t *e, int code, httpx_phase_t phase, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Clear *e to "no error". */
void httpx__err_clear(httpx_error_t *e);
/* Map an errno value seen in `phase` to the HTTPX_E_* code of that phase:
 * ETIMEDOUT in connect is CONNECT_TIMEOUT, ECONNREFUSED is REFUSED, ENOMEM is NOMEM,
 * ECONNRESET/EPIPE while reading is READ, while writing WRITE, and so on. */
int httpx__err_from_errno(int err, httpx_phase_t phase);

#endif
