/* cli/output.c — what a person sees: coloured heads on a terminal, JSON indented,
 * binary kept off the terminal, a progress bar for downloads. Plain when piped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "cli.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_CYAN "\033[36m"
#define C_BLUE "\033[34m"

void cli_out_init(cli_out_t *out)
{
    const char *nc = getenv("NO_COLOR");
    bool color = !(nc && *nc);
    out->tty_out = isatty(STDOUT_FILENO);
    out->tty_err = isatty(STDERR_FILENO);
    out->color_out = color && out->tty_out;
    out->color_err = color && out->tty_err;
}

void cli_print_head(FILE *f, const httpx_response_t *r, bool color)
{
    int st = httpx_response_status(r);
    const char *sc = st < 300 ? C_GREEN : st < 400 ? C_YELLOW : C_RED;
    if (color)
        fprintf(f, C_BLUE "%s" C_RESET " %s%s%d %s" C_RESET "\n", httpx_response_http_version(r), C_BOLD, sc, st,
                httpx_response_reason(r));
    else
        fprintf(f, "%s %d %s\n", httpx_response_http_version(r), st, httpx_response_reason(r));
    const httpx_headers_t *h = httpx_response_headers(r);
    for (size_t i = 0; i < httpx_headers_count(h); i++) {
        const char *n, *v;
        httpx_headers_at(h, i, &n, &v);
        if (color)
            fprintf(f, C_CYAN "%s" C_RESET ": %s\n", n, v);
        else
            fprintf(f, "%s: %s\n", n, v);
    }
    fputc('\n', f);
}

static bool looks_binary(const unsigned char *p, size_t n)
{
    size_t check = n < 4096 ? n : 4096;
    for (size_t i = 0; i < check; i++)
        if (p[i] == 0)
            return true;
    return false;
}

/* Indent JSON; strings are copied verbatim (escapes kept), nothing is validated. */
static void print_json(FILE *f, const char *p, size_t n, bool color)
{
    int depth = 0;
    bool in_str = false, key = true;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            fputc(c, f);
            if (c == '\\' && i + 1 < n)
                fputc(p[++i], f);
            else if (c == '"') {
                in_str = false;
                if (color)
                    fputs(C_RESET, f);
            }
            continue;
        }
        switch (c) {
        case '"':
            in_str = true;
            if (color)
                fputs(key ? C_BLUE : C_GREEN, f);
            fputc(c, f);
            break;
        case '{':
        case '[':
            fputc(c, f);
            fprintf(f, "\n%*s", ++depth * 2, "");
            key = c == '{';
            break;
        case '}':
        case ']':
            fprintf(f, "\n%*s%c", --depth > 0 ? depth * 2 : 0, "", c);
            break;
        case ',':
            fprintf(f, ",\n%*s", depth * 2, "");
            key = true;
            break;
        case ':':
            fputs(": ", f);
            key = false;
            break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        default:
            fputc(c, f);
        }
    }
    fputc('\n', f);
}

void cli_print_body(const cli_out_t *out, const httpx_response_t *r, const void *data, size_t len)
{
    if (out->tty_out) {
        if (looks_binary(data, len)) {
            printf("<%zu bytes of binary data>\n", len);
            return;
        }
        const char *ct = httpx_response_header(r, "Content-Type");
        if (ct && strstr(ct, "json")) {
            print_json(stdout, data, len, out->color_out);
            return;
        }
    }
    fwrite(data, 1, len, stdout);
}

static void human(char *buf, size_t cap, double v)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (v >= 1024 && i < 4) {
        v /= 1024;
        i++;
    }
    snprintf(buf, cap, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

void cli_progress(const char *name, uint64_t done, uint64_t total, double elapsed, bool final)
{
    char got[32], tot[32], speed[32];
    human(got, sizeof got, (double)done);
    human(tot, sizeof tot, (double)total);
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    human(speed, sizeof speed, rate);
    if (total) {
        int width = 30, fill = (int)((double)width * (double)done / (double)total);
        if (fill > width)
            fill = width;
        double eta = rate > 0 ? (double)(total - (done < total ? done : total)) / rate : 0;
        fprintf(stderr, "\r%-16.16s [%.*s%*s] %5.1f%%  %s / %s  %s/s  ETA %02d:%02d ", name, fill,
                "##############################", width - fill, "", 100.0 * (double)done / (double)total, got, tot,
                speed, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%-16.16s %s  %s/s ", name, got, speed);
    }
    if (final)
        fputc('\n', stderr);
}

int cli_exit_code(int rc)
{
    if (!rc)
        return EXIT_OK;
    if (httpx_error_is(rc, HTTPX_E_TIMEOUT))
        return EXIT_TIMEOUT;
    if (httpx_error_is(rc, HTTPX_E_TLS))
        return EXIT_TLS;
    if (httpx_error_is(rc, HTTPX_E_CONNECT))
        return EXIT_CONNECT;
    if (rc == HTTPX_E_INVALID_URL || rc == HTTPX_E_UNSUPPORTED_PROTOCOL)
        return EXIT_URL;
    if (httpx_error_is(rc, HTTPX_E_PROTOCOL) || rc == HTTPX_E_PROXY)
        return EXIT_PROTOCOL;
    if (httpx_error_is(rc, HTTPX_E_DECODING))
        return EXIT_DECODING;
    if (rc == HTTPX_E_TOO_MANY_REDIRECTS)
        return EXIT_REDIRECTS;
    if (httpx_error_is(rc, HTTPX_E_NETWORK))
        return EXIT_NETWORK;
    if (rc == HTTPX_E_STATUS)
        return EXIT_HTTP;
    return EXIT_OTHER;
}
