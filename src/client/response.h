/* client/response.h — the response object, and the sink that fills it from an
 * exchange. Buffered responses collect the decoded body; streaming ones hold the
 * exchange and pull through it (client/sync.c drives the loop). */
#ifndef HTTPX_CLIENT_RESPONSE_H
#define HTTPX_CLIENT_RESPONSE_H

#include "client/engine.h"
#include "decode/decode.h"
#include "httpx/response.h"

typedef enum httpx__body_mode {
    HTTPX__BODY_PENDING = 0,  /* streaming, nothing asked yet: hold the bytes */
    HTTPX__BODY_BUFFER,       /* into r->content, decoded */
    HTTPX__BODY_STREAM,       /* decoded into the caller's buffer */
    HTTPX__BODY_RAW           /* as received into the caller's buffer */
} httpx__body_mode_t;

struct httpx_response {
    const httpx_allocator_t *a;
    int status;
    int minor_version;
    char *reason;
    char *url;
    httpx_headers_t *headers;
    httpx_headers_t *trailers;
    httpx__buf_t content;
    char *text;
    char encoding[48];
    httpx__exchange_times_t times;
    uint64_t bytes_downloaded;

    /* while the body is in flight */
    httpx__exchange_t *x;
    httpx__decoder_t *dec;
    httpx__decode_limits_t dec_limits;
    bool decompress;
    httpx__body_mode_t mode;
    bool head_done, body_done, dec_done, closed, streaming, consumed;
    int rc;                         /* the exchange's final status */
    httpx_error_t err;
    uint8_t *out;                   /* the caller's buffer during stream/raw */
    size_t out_cap, out_len;

    /* the sync client that runs the loop for a streaming response */
    struct httpx_client *client;
    httpx__link_t client_link;
    struct httpx_client *owned_client; /* one-shot httpx_stream */
};

/* A new empty response that will be fed by an exchange of `e`. */
httpx_response_t *httpx__response_new(httpx__engine_t *e, bool streaming);
/* The sink to give httpx__exchange_new; its user must be the response. */
extern const httpx__exchange_sink_t httpx__response_sink;
/* Finish decoding a buffered body after the exchange is done. */
int httpx__response_finish_buffer(httpx_response_t *r);
/* Detach a streaming response from its client (client closing): it becomes closed. */
void httpx__response_detach(httpx_response_t *r);

#endif
