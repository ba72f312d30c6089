/* h1/internal.h — what the h1 parser files share and nothing outside h1 needs. */
#ifndef HTTPX_H1_INTERNAL_H
#define HTTPX_H1_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "core/err.h"
#include "h1/parse.h"

/* Byte classes (RFC 9110 §5.6.2, §5.5, §5.6.4), one table lookup per byte. */
enum {
    HTTPX__H1_C_TCHAR = 1,  /* token character */
    HTTPX__H1_C_FVAL = 2,   /* field-value octet: VCHAR, obs-text, SP, HTAB */
    HTTPX__H1_C_QDTEXT = 4, /* quoted-string text: FVAL minus '"' and '\' */
    HTTPX__H1_C_HEX = 8     /* HEXDIG */
};
extern const unsigned char httpx__h1_ctype[256];

static inline bool httpx__h1_is(unsigned char c, unsigned cls)
{
    return (httpx__h1_ctype[c] & cls) != 0;
}

/* Parse field lines "name: value\r\n"... in buf[0, len) into fields (at most
 * max_fields). Errors are recorded with `phase`. Returns the count or < 0. */
int httpx__h1_fields(const char *buf, size_t len, httpx__h1_field_t *fields, size_t max_fields,
                     httpx_phase_t phase, httpx_error_t *err);

/* Decide framing, content_length, keep_alive and upgrade of a parsed head from its
 * status, version, fields and the request method. 0 or < 0 with *err set. */
int httpx__h1_framing(httpx__h1_head_t *head, const char *request_method, httpx_error_t *err);

/* The chunked part of httpx__h1_body_feed and httpx__h1_body_eof. */
int httpx__h1_chunked_feed(httpx__h1_body_t *b, const char *in, size_t len, size_t *consumed,
                           httpx__slice_t *data, httpx__slice_t *trailer, httpx_error_t *err);
int httpx__h1_chunked_eof(httpx__h1_body_t *b, httpx_error_t *err);

/* Body states (httpx__h1_body_t.state). */
enum {
    HTTPX__H1_B_RUN = 0,      /* LENGTH, UNTIL_CLOSE: passing bytes through */
    HTTPX__H1_B_FAILED,       /* an error was returned; every later call repeats it */
    /* chunked */
    HTTPX__H1_B_SIZE_START,   /* first byte of chunk-size */
    HTTPX__H1_B_SIZE,         /* more HEXDIG, ";" or CR */
    HTTPX__H1_B_EXT_PRE_SEMI, /* BWS, then ";" */
    HTTPX__H1_B_EXT_NAME_BWS, /* BWS, then chunk-ext-name */
    HTTPX__H1_B_EXT_NAME,     /* in chunk-ext-name */
    HTTPX__H1_B_EXT_POST_NAME,/* BWS after the name: "=" or ";" */
    HTTPX__H1_B_EXT_VAL_BWS,  /* BWS after "=", then token or quoted-string */
    HTTPX__H1_B_EXT_TOKEN,    /* in a token value */
    HTTPX__H1_B_EXT_QSTR,     /* in a quoted-string value */
    HTTPX__H1_B_EXT_QPAIR,    /* after a backslash in a quoted-string */
    HTTPX__H1_B_EXT_POST_VAL, /* right after a value: BWS, ";" or CR */
    HTTPX__H1_B_SIZE_LF,      /* LF that ends the chunk-size line */
    HTTPX__H1_B_DATA,         /* chunk-data */
    HTTPX__H1_B_DATA_CR,      /* CRLF after chunk-data */
    HTTPX__H1_B_DATA_LF,
    HTTPX__H1_B_TRAILER_START,/* start of a trailer line, or the final CRLF */
    HTTPX__H1_B_TRAILER_LINE, /* inside a trailer line */
    HTTPX__H1_B_TRAILER_CR,   /* inside a trailer line, last byte seen was CR */
    HTTPX__H1_B_FINAL_LF      /* LF of the final empty line */
};

#endif
