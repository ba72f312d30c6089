/* client/h2conn.h — an HTTP/2 connection: the sans-IO session (h2/session.h) on a
 * pooled connection's socket. It reads and writes for all the exchanges that share
 * the connection and hands each its stream's events (client/exchange_h2.c). */
#ifndef HTTPX_CLIENT_H2CONN_H
#define HTTPX_CLIENT_H2CONN_H

#include "client/engine.h"
#include "h2/session.h"

typedef struct httpx__h2conn {
    httpx__conn_t *c;           /* NULL once the pool closed the connection */
    httpx__engine_t *eng;
    httpx__h2_session_t *s;
    int depth;                  /* inside our I/O: freeing is deferred */
    bool free_pending;
    bool dead;                  /* failed: no new streams, closes when unused */
    int in_session;             /* inside recv/send/abort: the session refuses re-entry */
} httpx__h2conn_t;

/* Start HTTP/2 on a BUSY connection (ALPN chose h2, or prior knowledge): create
 * the session, make the connection multiplexed in the pool (the caller's exchange is
 * its first user) and send the preface. Errors: HTTPX_E_NOMEM (the connection is
 * then unusable: the caller closes it). */
int httpx__h2conn_attach(httpx__conn_t *c, httpx__engine_t *e, httpx_error_t *err);

/* The session's stream callbacks, implemented by the exchange (exchange_h2.c). */
void httpx__h2x_on_head(void *stream_user, int32_t id, int status, const httpx__h2_field_t *f, size_t n, void *user);
void httpx__h2x_on_data(void *stream_user, int32_t id, const uint8_t *data, size_t len, void *user);
void httpx__h2x_on_trailers(void *stream_user, int32_t id, const httpx__h2_field_t *f, size_t n, void *user);
void httpx__h2x_on_close(void *stream_user, int32_t id, const httpx__h2_close_t *info, void *user);

/* Write what the session has queued, as far as the socket takes it. */
void httpx__h2conn_flush(httpx__h2conn_t *h);

#endif
