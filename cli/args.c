/* cli/args.c — the command line. Short options as curl spells them, long ones as
 * HTTPX's CLI and curl do. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

void cli_usage(FILE *f)
{
    fputs("usage: httpx [options] URL...\n"
          "  -X, --method M        request method (default GET, POST with a body)\n"
          "  -H, --header 'N: V'   add a header          -p, --param N=V   add a query parameter\n"
          "  -d, --data TEXT       request body          --data-file F     body from a file\n"
          "  --json TEXT           JSON body             -F, --form N=V|N=@file  multipart field\n"
          "  -o, --output F        write the body to F (one per URL)   -O  use the URL's file name\n"
          "  -D, --dump-header F   write status and headers to F       --raw  body as on the wire\n"
          "  -i, --include         print status and headers           -v, --verbose  trace it all\n"
          "  -s, --silent          no progress, no errors   --fail  exit 22 on a 4xx/5xx status\n"
          "  -L, --follow-redirects   --max-redirects N     --retry N   retry 429/502/503/504\n"
          "  --http2   --http2-prior-knowledge   --parallel  (--keep-order)   --loop builtin|uv|event\n"
          "  --timeout S  --connect-timeout S  --read-timeout S  --write-timeout S  --max-time S\n"
          "  -u, --user U:P  --digest  --bearer TOKEN   --cookie-jar F   --proxy URL  --no-env\n"
          "  --cacert F  -k, --insecure  --cert F  --key F   --unix-socket PATH   --version\n"
          "exit codes: 0 ok, 2 usage, 3 url, 4 connect, 5 tls, 6 timeout, 7 protocol, 8 decoding,\n"
          "            9 redirects, 10 network, 12 local file, 22 http status (--fail)\n"
          "more: man httpx (docs/httpx.1)\n",
          f);
}

void cli_version(FILE *f)
{
    fprintf(f, "httpx %s (libhttpx %s)\nfeatures: %s\n", HTTPX_VERSION_STRING, httpx_version(), httpx_features());
}

static int bad(const char *what, const char *arg)
{
    fprintf(stderr, "httpx: %s%s%s\n(see httpx --help)\n", what, arg ? ": " : "", arg ? arg : "");
    return EXIT_USAGE;
}

static bool number(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

int cli_parse(int argc, char **argv, cli_opts_t *o, bool *done)
{
    memset(o, 0, sizeof *o);
    *done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* options that take a value: "-X GET", "--method GET" or "--method=GET" */
        const char *val = NULL;
        char name[64];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        if (eq && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            a = name;
            val = eq + 1;
        }
#define IS(s, l) (strcmp(a, s) == 0 || strcmp(a, l) == 0)
#define VAL() (val ? val : (i + 1 < argc ? argv[++i] : NULL))
#define NEED(v) if (!(v)) return bad("missing value for", a)
        const char *v;
        double d;
        if (IS("-h", "--help")) {
            cli_usage(stdout);
            *done = true;
            return EXIT_OK;
        } else if (IS("-V", "--version")) {
            cli_version(stdout);
            *done = true;
            return EXIT_OK;
        } else if (IS("-X", "--method")) {
            NEED(v = VAL());
            o->method = v;
        } else if (IS("-H", "--header")) {
            NEED(v = VAL());
            const char *colon = strchr(v, ':');
            if (!colon || o->nheaders == MAX_HEADERS)
                return bad("header must be 'Name: value'", v);
            char *n = strndup(v, (size_t)(colon - v));
            const char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            o->headers[o->nheaders++] = (httpx_header_t){n, value};
        } else if (IS("-p", "--param")) {
            NEED(v = VAL());
            const char *e = strchr(v, '=');
            if (!e || o->nparams == MAX_HEADERS)
                return bad("param must be NAME=VALUE", v);
            o->params[o->nparams++] = (httpx_param_t){strndup(v, (size_t)(e - v)), e + 1};
        } else if (IS("-d", "--data")) {
            NEED(o->data = VAL());
        } else if (IS("--data-file", "--data-file")) {
            NEED(o->data_file = VAL());
        } else if (IS("--json", "--json")) {
            NEED(o->json = VAL());
        } else if (IS("-F", "--form")) {
            NEED(v = VAL());
            const char *e = strchr(v, '=');
            if (!e || o->nparts == MAX_PARTS)
                return bad("form field must be NAME=VALUE or NAME=@FILE", v);
            httpx_part_t *p = &o->parts[o->nparts++];
            p->name = strndup(v, (size_t)(e - v));
            if (e[1] == '@')
                p->path = e + 2;
            else
                p->value = e + 1;
        } else if (IS("-o", "--output")) {
            NEED(v = VAL());
            if (o->noutputs < MAX_URLS)
                o->outputs[o->noutputs++] = v;
        } else if (IS("-O", "--remote-name")) {
            if (o->noutputs < MAX_URLS)
                o->outputs[o->noutputs++] = "-O";
        } else if (IS("-D", "--dump-header")) {
            NEED(o->dump_header = VAL());
        } else if (IS("--raw", "--raw")) {
            o->raw = true;
        } else if (IS("-L", "--follow-redirects") || strcmp(a, "--location") == 0) {
            o->follow = true;
        } else if (IS("--max-redirects", "--max-redirs")) {
            NEED(v = VAL());
            o->max_redirects = atoi(v);
        } else if (IS("--http2", "--http2")) {
            o->http2 = true;
        } else if (IS("--http2-prior-knowledge", "--http2-prior-knowledge")) {
            o->h2pk = true;
        } else if (IS("--timeout", "--timeout")) {
            NEED(v = VAL());
            if (!number(v, &o->timeout))
                return bad("bad timeout", v);
        } else if (IS("--connect-timeout", "--connect-timeout")) {
            NEED(v = VAL());
            if (!number(v, &o->connect_timeout))
                return bad("bad timeout", v);
        } else if (IS("--read-timeout", "--read-timeout")) {
            NEED(v = VAL());
            if (!number(v, &o->read_timeout))
                return bad("bad timeout", v);
        } else if (IS("--write-timeout", "--write-timeout")) {
            NEED(v = VAL());
            if (!number(v, &o->write_timeout))
                return bad("bad timeout", v);
        } else if (IS("-m", "--max-time") || strcmp(a, "--total-timeout") == 0) {
            NEED(v = VAL());
            if (!number(v, &o->total_timeout))
                return bad("bad timeout", v);
        } else if (IS("-u", "--user")) {
            NEED(o->user = VAL());
        } else if (IS("--digest", "--digest")) {
            o->digest = true;
        } else if (IS("--bearer", "--bearer")) {
            NEED(o->bearer = VAL());
        } else if (IS("-c", "--cookie-jar")) {
            NEED(o->cookie_jar = VAL());
        } else if (IS("-x", "--proxy")) {
            NEED(o->proxy = VAL());
        } else if (IS("--no-env", "--no-env")) {
            o->no_env = true;
        } else if (IS("--cacert", "--cacert")) {
            NEED(o->cacert = VAL());
        } else if (IS("-k", "--insecure")) {
            o->insecure = true;
        } else if (IS("-E", "--cert")) {
            NEED(o->cert = VAL());
        } else if (IS("--key", "--key")) {
            NEED(o->key = VAL());
        } else if (IS("-v", "--verbose")) {
            o->verbose = true;
        } else if (IS("-i", "--include")) {
            o->include = true;
        } else if (IS("-s", "--silent")) {
            o->silent = true;
        } else if (IS("-f", "--fail")) {
            o->fail = true;
        } else if (IS("--retry", "--retry")) {
            NEED(v = VAL());
            if (!number(v, &d))
                return bad("bad retry count", v);
            o->retry = (int)d;
        } else if (IS("-Z", "--parallel")) {
            o->parallel = true;
        } else if (IS("--keep-order", "--keep-order")) {
            o->keep_order = true;
        } else if (IS("--unix-socket", "--unix-socket")) {
            NEED(o->uds = VAL());
        } else if (IS("--loop", "--loop")) {
            NEED(o->loop = VAL());
            if (strcmp(o->loop, "builtin") && strcmp(o->loop, "uv") && strcmp(o->loop, "event"))
                return bad("--loop takes builtin, uv or event", o->loop);
        } else if (a[0] == '-' && a[1]) {
            return bad("unknown option", a);
        } else if (o->nurls < MAX_URLS) {
            o->urls[o->nurls++] = a;
        }
#undef IS
#undef VAL
#undef NEED
    }
    if (!o->nurls)
        return bad("no URL given", NULL);
    int bodies = !!o->data + !!o->data_file + !!o->json + !!o->nparts;
    if (bodies > 1)
        return bad("give one body: --data, --data-file, --json or --form", NULL);
    if (!o->method)
        o->method = bodies ? "POST" : "GET";
    return EXIT_OK;
}
