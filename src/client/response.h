/* client/response.h — the response object, and the sink that fills it from an
 * exchange. Buffered responses collect the decoded body; streaming ones hold the
 * exchange and pull through it (client/sync.c drives the loop). */
#ifndef HTTPX_CLIENT_RESPONSE_H
#define HTTPX_CLIENT_RESPONSE_H

#include "client/engine.h"
#include "client/headers.h"
#include "decode/decode.h"
#include "httpx/async.h"
#include "httpx/response.h"

typedef enum httpx__body_mode {
    HTTPX__BODY_PENDING = 0,  /* streaming, nothing asked yet: hold the bytes */
    HTTPX__BODY_BUFFER,       /* into r->content, decoded */
    HTTPX__BODY_STREAM,       /* decoded into the caller's buffer */
    HTTPX__BODY_RAW,          /* as received into the caller's buffer */
    HTTPX__BODY_CALLBACK      /* to an httpx_body_cb (async), decoded or raw */
} httpx__body_mode_t;

struct httpx_response {
    const httpx_allocator_t *a;
    int status;
    int minor_version;
    bool http2;
    char *reason;                /* in `block` when it is set, else allocated */
    char *url;                   /* likewise */
    /* The head's one allocation (client/response.c sink_head): the fields and their
     * bytes (lent to `headers`), reason, URL, and a small buffered body of announced
     * length (lent to `content`). Freed last. */
    char *block;
    httpx_headers_t *headers;    /* &headers_inline */
    httpx_headers_t headers_inline;
    httpx_headers_t *trailers;
    httpx__buf_t content;
    char *text;
    char encoding[48];
    httpx__exchange_times_t times;
    httpx_response_t **history;
    size_t nhistory;
    char *next_url;
    const char *next_method;     /* static string or points into the exchange copy below */
    char next_method_buf[32];
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

    /* an open streaming response: the engine that feeds it (to detach it when the
     * client closes) and the loop to run while pulling */
    httpx__engine_t *eng;
    httpx_loop_t *loop;
    httpx__link_t stream_link;          /* in eng->streams */
    struct httpx_client *owned_client;  /* one-shot httpx_stream */

    /* async body delivery */
    httpx_body_cb body_cb;
    void *body_user;
    bool async;                         /* made by an async client: callback delivery allowed */
    bool cb_raw;                        /* callback gets undecoded bytes */
    bool cb_buffer;                     /* read_async: buffer, then one final call */
    bool paused;
    bool end_reported;
    int cb_depth;                       /* inside body_cb: free is deferred */
    bool free_pending;
    httpx_timer_t resume_timer;         /* delivers held bytes from the loop */
    bool resume_timer_live;
};

/* A new empty response that will be fed by an exchange of `e`. */
httpx_response_t *httpx__response_new(httpx__engine_t *e, bool streaming);
/* The sink to give httpx__exchange_new; its user must be the response. */
extern const httpx__exchange_sink_t httpx__response_sink;
/* Finish decoding a buffered body after the exchange is done. */
int httpx__response_finish_buffer(httpx_response_t *r);
/* Register an open streaming response with its engine and loop. */
void httpx__response_attach(httpx_response_t *r, httpx__engine_t *e, httpx_loop_t *loop);
/* Detach a streaming response from its engine (client closing): it becomes closed,
 * and an async body callback gets its final call with HTTPX_E_STREAM_CLOSED. */
void httpx__response_detach(httpx_response_t *r);
/* Hand held body bytes (or the end) to an async callback on the loop's next turn. */
void httpx__response_schedule_resume(httpx_response_t *r);
/* Free now (callers know no callback of the response is running). */
void httpx__response_real_free(httpx_response_t *r);
/* The exchange of a streaming response ended (status 0 or error): report the end
 * to an async body callback, if one is set. */
void httpx__response_body_end(httpx_response_t *r);

#endif
