/* cli/cli.h — the httpx command-line tool's parts: options, output, exit codes.
 * Built on the public API only (httpx.h). */
#ifndef HTTPX_CLI_H
#define HTTPX_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <httpx.h>

/* Exit codes (documented in docs/httpx.1 and --help). */
enum {
    EXIT_OK = 0,
    EXIT_OTHER = 1,       /* anything not below */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_URL = 3,         /* invalid or unsupported URL */
    EXIT_CONNECT = 4,     /* DNS, refused, unreachable */
    EXIT_TLS = 5,         /* certificate or handshake */
    EXIT_TIMEOUT = 6,     /* any timeout */
    EXIT_PROTOCOL = 7,    /* the server broke HTTP, or a proxy failed */
    EXIT_DECODING = 8,    /* content decoding */
    EXIT_REDIRECTS = 9,   /* too many redirects */
    EXIT_NETWORK = 10,    /* read or write failed mid-way */
    EXIT_FILE = 12,       /* a local file could not be read or written */
    EXIT_HTTP = 22        /* --fail and a 4xx/5xx status (as curl) */
};

#define MAX_URLS 256
#define MAX_HEADERS 64
#define MAX_PARTS 32

typedef struct cli_opts {
    const char *method;
    httpx_header_t headers[MAX_HEADERS + 1];
    size_t nheaders;
    httpx_param_t params[MAX_HEADERS + 1];
    size_t nparams;
    const char *data;           /* -d */
    const char *data_file;      /* --data-file */
    const char *json;           /* --json */
    httpx_part_t parts[MAX_PARTS + 1]; /* -F */
    size_t nparts;
    const char *urls[MAX_URLS];
    const char *outputs[MAX_URLS]; /* -o per URL, in order; "-O": remote name */
    size_t nurls, noutputs;
    const char *dump_header;
    bool raw, follow, http2, h2pk, verbose, include, silent, fail, parallel, keep_order;
    bool insecure, digest, no_env;
    bool tty_json_ok;           /* stdout is a terminal and --raw is off: format bodies */
    int max_redirects, retry;
    double timeout, connect_timeout, read_timeout, write_timeout, total_timeout;
    const char *user, *bearer, *cookie_jar, *proxy, *cacert, *cert, *key, *uds, *loop;
} cli_opts_t;

/* cli/args.c: parse argv into *o. Returns EXIT_OK, or EXIT_USAGE after printing why;
 * *done is set when --help or --version printed and nothing else is to run. */
int cli_parse(int argc, char **argv, cli_opts_t *o, bool *done);
void cli_usage(FILE *f);
void cli_version(FILE *f);

/* cli/output.c */
typedef struct cli_out {
    bool color_out, color_err, tty_out, tty_err;
} cli_out_t;
void cli_out_init(cli_out_t *out);
/* Status line and headers, as received, coloured on a terminal. */
void cli_print_head(FILE *f, const httpx_response_t *r, bool color);
/* The body to stdout: JSON pretty-printed and binary replaced by a note on a
 * terminal, as is otherwise. */
void cli_print_body(const cli_out_t *out, const httpx_response_t *r, const void *data, size_t len);
/* A progress bar on stderr: bytes, total (0: unknown), speed, ETA. */
void cli_progress(const char *name, uint64_t done, uint64_t total, double elapsed, bool final);

/* Exit code for an error code. */
int cli_exit_code(int rc);

#endif
