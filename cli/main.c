/* cli/main.c — httpx [options] URL...: one client for all URLs (kept-alive
 * connections are shared), one after another, or all at once with --parallel
 * through the parallel API, on the built-in loop or, with --loop, on libuv or
 * libevent through the async client. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include <httpx/features.h>
#ifdef HTTPX_HAVE_UV
#include <httpx/uv.h>
#endif
#ifdef HTTPX_HAVE_EVENT
#include <event2/event.h>
#include <httpx/event.h>
#endif

static cli_opts_t O;
static cli_out_t OUT;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- verbose: the trace and the heads, HTTPX-CLI style ---------------------- */

static void on_trace(const char *event, const httpx_trace_info_t *info, void *user)
{
    (void)user;
    const char *c = OUT.color_err ? "\033[2m" : "", *r = OUT.color_err ? "\033[0m" : "";
    if (strcmp(event, "connection.connect_tcp.complete") == 0 && info->peer)
        fprintf(stderr, "%s* connected to %s (%.1f ms)%s\n", c, info->peer, info->elapsed * 1000, r);
    else if (strcmp(event, "request.failed") == 0)
        fprintf(stderr, "%s* %s failed: %s%s\n", c, info->url, httpx_err_name(info->error), r);
    else
        fprintf(stderr, "%s* %s%s\n", c, event, r);
}

static void on_request(const httpx_hook_info_t *info, void *user)
{
    (void)user;
    const char *p = info->request_head, *end = p + info->request_head_len;
    while (p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol || eol == p)
            break;
        fprintf(stderr, "> %.*s\n", (int)(eol - p), p);
        p = eol + 2;
    }
    fputs(">\n", stderr);
}

static void on_response(const httpx_hook_info_t *info, void *user)
{
    (void)user;
    fprintf(stderr, "< %d\n", info->status);
    for (size_t i = 0; i < httpx_headers_count(info->headers); i++) {
        const char *n, *v;
        httpx_headers_at(info->headers, i, &n, &v);
        fprintf(stderr, "< %s: %s\n", n, v);
    }
    fputs("<\n", stderr);
}

/* ---- one response --------------------------------------------------------------- */

static const char *remote_name(const char *url)
{
    const char *q = strpbrk(url, "?#");
    size_t n = q ? (size_t)(q - url) : strlen(url);
    const char *slash = url;
    for (size_t i = 0; i < n; i++)
        if (url[i] == '/')
            slash = url + i;
    static char name[256];
    size_t len = n - (size_t)(slash + 1 - url);
    snprintf(name, sizeof name, "%.*s", (int)len, slash + 1);
    return name[0] && !strstr(url + n - len, "://") ? name : "index.html";
}

static int fail(const char *url, int rc, const httpx_error_t *e)
{
    if (!O.silent)
        fprintf(stderr, "httpx: %s: %s\n", url, e && e->message[0] ? e->message : httpx_strerror(rc));
    return cli_exit_code(rc);
}

static int dump_head(const httpx_response_t *r)
{
    if (O.include || O.verbose)
        cli_print_head(stdout, r, OUT.color_out);
    if (O.dump_header) {
        FILE *f = strcmp(O.dump_header, "-") == 0 ? stdout : fopen(O.dump_header, "a");
        if (!f)
            return EXIT_FILE;
        cli_print_head(f, r, false);
        if (f != stdout)
            fclose(f);
    }
    return 0;
}

/* Write the body of a streaming response to `out` (NULL: stdout). */
static int write_body(httpx_response_t *r, const char *url, const char *out)
{
    int code = dump_head(r);
    if (code)
        return code;
    if (!out && OUT.tty_out && !O.raw) {
        /* for a person: the whole body, then shown the readable way */
        int rc = httpx_response_read(r);
        if (rc)
            return fail(url, rc, NULL);
        const void *d;
        size_t n;
        httpx_response_content(r, &d, &n);
        cli_print_body(&OUT, r, d, n);
        return 0;
    }
    FILE *f = out ? fopen(out, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "httpx: %s: cannot write %s: %s\n", url, out, strerror(errno));
        return EXIT_FILE;
    }
    const char *cl = httpx_response_header(r, "Content-Length");
    uint64_t total = cl && !httpx_response_header(r, "Content-Encoding") ? strtoull(cl, NULL, 10) : 0;
    bool progress = out && OUT.tty_err && !O.silent;
    static char buf[64 * 1024];
    uint64_t got = 0;
    double t0 = now_s(), last = 0;
    size_t n;
    int rc;
    while ((rc = O.raw ? httpx_response_raw(r, buf, sizeof buf, &n) : httpx_response_stream(r, buf, sizeof buf, &n)) == 0 &&
           n) {
        if (fwrite(buf, 1, n, f) != n) {
            rc = HTTPX_E_SYSTEM;
            break;
        }
        got += n;
        double t = now_s();
        if (progress && t - last > 0.1) {
            cli_progress(out, got, total, t - t0, false);
            last = t;
        }
    }
    if (progress)
        cli_progress(out, got, total, now_s() - t0, true);
    if (f != stdout && fclose(f) != 0 && !rc)
        rc = HTTPX_E_SYSTEM;
    if (rc == HTTPX_E_SYSTEM) {
        fprintf(stderr, "httpx: %s: cannot write %s\n", url, out ? out : "stdout");
        return EXIT_FILE;
    }
    return rc ? fail(url, rc, NULL) : 0;
}

static int finish(httpx_response_t *r, const char *url)
{
    if (O.fail && httpx_response_raise_for_status(r)) {
        if (!O.silent)
            fprintf(stderr, "httpx: %s: the server answered %d %s\n", url, httpx_response_status(r),
                    httpx_response_reason(r));
        return EXIT_HTTP;
    }
    return 0;
}

static const char *output_for(size_t i)
{
    if (i >= O.noutputs || strcmp(O.outputs[i], "-") == 0)
        return NULL;
    return strcmp(O.outputs[i], "-O") == 0 ? remote_name(O.urls[i]) : O.outputs[i];
}

/* ---- request options ------------------------------------------------------------ */

static httpx_req_opts_t req_opts(httpx_error_t *err)
{
    httpx_req_opts_t r = {.struct_size = sizeof r, .error = err};
    r.headers = O.nheaders ? O.headers : NULL;
    r.params = O.nparams ? O.params : NULL;
    if (O.data)
        r.body = HTTPX_BODY_STR(O.data);
    else if (O.data_file)
        r.body = HTTPX_BODY_FILE(O.data_file);
    else if (O.json)
        r.body = HTTPX_BODY_JSON(O.json);
    else if (O.nparts)
        r.body = HTTPX_BODY_MULTIPART(O.parts);
    return r;
}

static int client_opts(httpx_client_opts_t *c)
{
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->timeout = O.timeout;
    c->timeouts = (httpx_timeouts_t){O.connect_timeout, O.read_timeout, O.write_timeout, 0, O.total_timeout};
    c->follow_redirects = O.follow;
    c->max_redirects = O.max_redirects;
    c->http2 = O.http2;
    c->http2_prior_knowledge = O.h2pk;
    c->insecure = O.insecure;
    c->ca_file = O.cacert;
    c->cert_file = O.cert;
    c->key_file = O.key;
    c->proxy = O.proxy;
    c->no_env = O.no_env;
    c->uds = O.uds;
    c->retry.max = O.retry;
    if (O.user) {
        static char user[256];
        snprintf(user, sizeof user, "%s", O.user);
        char *colon = strchr(user, ':');
        if (colon)
            *colon = '\0';
        c->auth = (httpx_auth_t){.kind = O.digest ? HTTPX_AUTH_DIGEST : HTTPX_AUTH_BASIC, .username = user,
                                 .password = colon ? colon + 1 : ""};
    } else if (O.bearer) {
        c->auth = HTTPX_BEARER_AUTH(O.bearer);
    }
    if (O.verbose) {
        c->trace = on_trace;
        c->on_request = on_request;
        c->on_response = on_response;
    }
    return 0;
}

static void load_cookies(httpx_cookie_jar_t *jar)
{
    struct stat st;
    if (O.cookie_jar && jar && stat(O.cookie_jar, &st) == 0) {
        httpx_error_t e;
        if (httpx_cookie_jar_load(jar, O.cookie_jar, &e) && !O.silent)
            fprintf(stderr, "httpx: cookie jar %s: %s\n", O.cookie_jar, e.message);
    }
}

static int save_cookies(httpx_cookie_jar_t *jar)
{
    httpx_error_t e;
    if (O.cookie_jar && jar && httpx_cookie_jar_save(jar, O.cookie_jar, &e)) {
        fprintf(stderr, "httpx: cookie jar %s: %s\n", O.cookie_jar, e.message);
        return EXIT_FILE;
    }
    return 0;
}

/* ---- the runs ----------------------------------------------------------------------- */

static int run_sequential(httpx_client_t *c)
{
    int worst = 0;
    for (size_t i = 0; i < O.nurls; i++) {
        httpx_error_t err = {0};
        httpx_req_opts_t ro = req_opts(&err);
        httpx_response_t *r;
        int rc = httpx_client_stream(c, O.method, O.urls[i], &ro, &r);
        int code = rc ? fail(O.urls[i], rc, &err) : write_body(r, O.urls[i], output_for(i));
        if (!rc && !code)
            code = finish(r, O.urls[i]);
        httpx_response_free(r);
        if (code && !worst)
            worst = code;
    }
    return worst;
}

static httpx_pending_t *pendings[MAX_URLS];

static size_t index_of(httpx_pending_t *pd)
{
    for (size_t i = 0; i < O.nurls; i++)
        if (pendings[i] == pd)
            return i;
    return 0;
}

static int show(size_t i, int rc, httpx_response_t *r, const httpx_error_t *e)
{
    if (rc)
        return fail(O.urls[i], rc, e);
    /* the body is in memory already: write it the same way */
    int code = dump_head(r);
    if (code)
        return code;
    const void *d;
    size_t n;
    httpx_response_content(r, &d, &n);
    const char *out = output_for(i);
    if (out) {
        FILE *f = fopen(out, "wb");
        if (!f || fwrite(d, 1, n, f) != n) {
            fprintf(stderr, "httpx: %s: cannot write %s\n", O.urls[i], out);
            if (f)
                fclose(f);
            return EXIT_FILE;
        }
        fclose(f);
    } else if (O.tty_json_ok) {
        cli_print_body(&OUT, r, d, n);
    } else {
        fwrite(d, 1, n, stdout);
    }
    return finish(r, O.urls[i]);
}

static int run_parallel(httpx_parallel_t *p)
{
    int worst = 0;
    for (size_t i = 0; i < O.nurls; i++) {
        httpx_error_t err = {0};
        httpx_req_opts_t ro = req_opts(&err);
        int rc = httpx_parallel_request(p, O.method, O.urls[i], &ro, &pendings[i]);
        if (rc) {
            pendings[i] = NULL;
            int code = fail(O.urls[i], rc, &err);
            worst = worst ? worst : code;
        }
    }
    for (size_t k = 0; k < O.nurls; k++) {
        httpx_response_t *r = NULL;
        httpx_pending_t *pd = NULL;
        size_t i;
        int rc;
        if (O.keep_order) {
            i = k;
            if (!pendings[i])
                continue;
            pd = pendings[i];
            rc = httpx_pending_get_response(pd, &r);
        } else {
            rc = httpx_parallel_next_response(p, &r, &pd);
            if (rc == HTTPX_E_NONE_LEFT)
                break;
            i = index_of(pd);
        }
        int code = show(i, rc, r, pd ? httpx_pending_error(pd) : NULL);
        httpx_response_free(r);
        worst = worst ? worst : code;
    }
    return worst;
}

int main(int argc, char **argv)
{
    bool done;
    int code = cli_parse(argc, argv, &O, &done);
    if (code || done)
        return code;
    cli_out_init(&OUT);
    O.tty_json_ok = OUT.tty_out && !O.raw;
    httpx_client_opts_t co;
    client_opts(&co);

    if (!O.loop || strcmp(O.loop, "builtin") == 0) {
        httpx_client_t *c;
        int rc = httpx_client_new(&co, &c);
        if (rc) {
            fprintf(stderr, "httpx: %s\n", httpx_strerror(rc));
            return cli_exit_code(rc);
        }
        load_cookies(httpx_client_cookies(c));
        if (O.parallel) {
            httpx_parallel_t *p;
            if ((rc = httpx_parallel_new(c, NULL, &p)))
                return cli_exit_code(rc);
            code = run_parallel(p);
            httpx_parallel_close(p);
        } else {
            code = run_sequential(c);
        }
        int sc = save_cookies(httpx_client_cookies(c));
        httpx_client_free(c);
        return code ? code : sc;
    }

    /* --loop uv|event: the async client on that loop, requests through the parallel
     * API (its waits run the loop). */
    httpx_loop_t *loop = NULL;
#ifdef HTTPX_HAVE_UV
    uv_loop_t uv;
    bool use_uv = strcmp(O.loop, "uv") == 0;
    if (use_uv) {
        uv_loop_init(&uv);
        loop = httpx_loop_from_uv(&uv, NULL);
    }
#endif
#ifdef HTTPX_HAVE_EVENT
    struct event_base *base = NULL;
    if (strcmp(O.loop, "event") == 0) {
        base = event_base_new();
        loop = base ? httpx_loop_from_event_base(base, NULL) : NULL;
    }
#endif
    if (!loop) {
        fprintf(stderr, "httpx: --loop %s: this build has no %s adapter (install lib%s's -dev package and rebuild)\n",
                O.loop, O.loop, strcmp(O.loop, "uv") == 0 ? "uv1" : "event");
        return EXIT_USAGE;
    }
    httpx_async_client_t *ac;
    int rc = httpx_async_client_new(loop, &co, &ac);
    httpx_parallel_t *p = NULL;
    if (!rc)
        rc = httpx_async_parallel_new(ac, NULL, &p);
    if (rc) {
        fprintf(stderr, "httpx: %s\n", httpx_strerror(rc));
        return cli_exit_code(rc);
    }
    load_cookies(httpx_async_client_cookies(ac));
    code = run_parallel(p);
    httpx_parallel_close(p);
    int sc = save_cookies(httpx_async_client_cookies(ac));
    httpx_async_client_free(ac);
    httpx_loop_free(loop);
#ifdef HTTPX_HAVE_UV
    if (use_uv) {
        uv_run(&uv, UV_RUN_DEFAULT);
        uv_loop_close(&uv);
    }
#endif
#ifdef HTTPX_HAVE_EVENT
    if (base)
        event_base_free(base);
#endif
    return code ? code : sc;
}
