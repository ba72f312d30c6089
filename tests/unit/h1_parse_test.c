/* h1_parse_test.c — the HTTP/1 response parser against the case files in
 * tests/data/h1/ (one response stream per file, see tests/data/h1/README), each
 * run whole, one byte at a time and split in two at every position, which must
 * all give the same transcript; then targeted tests of the contract's corners. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "h1/parse.h"

/* ---- a tiny growable string ------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
} str_t;

static void str_add(str_t *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
        assert_non_null(s->p);
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void str_addf(str_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void str_addf(str_t *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    str_add(s, tmp, (size_t)n);
}

/* Quote bytes the way case files write them: "..." with \r \n \t \\ \" \xHH. */
static void str_quote(str_t *s, const char *p, size_t n)
{
    str_add(s, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r')
            str_add(s, "\\r", 2);
        else if (c == '\n')
            str_add(s, "\\n", 2);
        else if (c == '\t')
            str_add(s, "\\t", 2);
        else if (c == '\\' || c == '"') {
            str_add(s, "\\", 1);
            str_add(s, (const char *)&c, 1);
        } else if (c < 0x20 || c >= 0x7f)
            str_addf(s, "\\x%02x", c);
        else
            str_add(s, (const char *)&c, 1);
    }
    str_add(s, "\"", 1);
}

/* ---- one case --------------------------------------------------------------- */

typedef struct {
    char name[256];
    char method[32];
    httpx__h1_limits_t limits;
    size_t max_line, max_trailer; /* 0: keep body_init's defaults */
    str_t input;
    str_t expect;
} h1case_t;

enum { MAX_FIELDS_CAP = 256 };

/* How the input arrives: cuts[k] is how many bytes have arrived after read k. */
typedef struct {
    const size_t *cuts;
    size_t ncuts;
} plan_t;

typedef struct {
    str_t out;     /* the transcript */
    str_t msgs;    /* error messages, compared between plans only */
} result_t;

static void result_free(result_t *r)
{
    free(r->out.p);
    free(r->msgs.p);
}

static void run_error(result_t *r, const httpx_error_t *err, int rc)
{
    str_addf(&r->out, "error %s\n", httpx_err_name(rc));
    assert_int_equal(err->code, rc);
    /* error text discipline: present, lower case, no final full stop */
    size_t n = strlen(err->message);
    assert_true(n > 0);
    assert_true(err->message[0] < 'A' || err->message[0] > 'Z');
    assert_true(err->message[n - 1] != '.');
    str_addf(&r->msgs, "%s\n", err->message);
}

static const char *framing_name(httpx__h1_framing_t f)
{
    switch (f) {
    case HTTPX__H1_NO_BODY: return "none";
    case HTTPX__H1_LENGTH: return "length";
    case HTTPX__H1_CHUNKED: return "chunked";
    case HTTPX__H1_UNTIL_CLOSE: return "close";
    }
    return "?";
}

static void run_head(result_t *r, const httpx__h1_head_t *h)
{
    str_addf(&r->out, "head HTTP/1.%d %03d ", h->minor_version, h->status);
    str_quote(&r->out, h->reason.ptr, h->reason.len);
    str_add(&r->out, "\n", 1);
    for (size_t i = 0; i < h->nfields; i++) {
        str_add(&r->out, "field ", 6);
        str_add(&r->out, h->fields[i].name.ptr, h->fields[i].name.len);
        str_add(&r->out, " ", 1);
        str_quote(&r->out, h->fields[i].value.ptr, h->fields[i].value.len);
        str_add(&r->out, "\n", 1);
    }
    if (h->framing == HTTPX__H1_LENGTH)
        str_addf(&r->out, "framing length %llu\n", (unsigned long long)h->content_length);
    else
        str_addf(&r->out, "framing %s\n", framing_name(h->framing));
    str_addf(&r->out, "keep-alive %s\n", h->keep_alive ? "yes" : "no");
    if (h->upgrade)
        str_add(&r->out, "upgrade yes\n", 12);
}

static void run_body_out(result_t *r, const str_t *body)
{
    if (body->len) {
        str_add(&r->out, "body ", 5);
        str_quote(&r->out, body->p, body->len);
        str_add(&r->out, "\n", 1);
    }
}

/* Run a case's input through the parser the way a client would, with the bytes
 * arriving as `plan` says. The read buffer is reallocated to its exact size on
 * each arrival so AddressSanitizer catches any read past `len`. */
static void run_case(const h1case_t *c, plan_t plan, result_t *r)
{
    const char *in = c->input.p ? c->input.p : "";
    size_t n = c->input.len, arrived = 0, k = 0, pos = 0, scan = 0;
    char *buf = NULL;
    httpx__h1_field_t fields[MAX_FIELDS_CAP];
    httpx__h1_head_t head;
    httpx__h1_body_t body;
    httpx_error_t err;
    str_t data = {0}, trailers = {0};
    bool in_body = false;
    memset(r, 0, sizeof *r);
    assert_true(c->limits.max_fields <= MAX_FIELDS_CAP);

#define ARRIVE()                                                                                   \
    (k < plan.ncuts ? (arrived = plan.cuts[k++], free(buf), buf = malloc(arrived ? arrived : 1),   \
                       assert_non_null(buf), memcpy(buf, in, arrived), true)                       \
                    : false)

    for (;;) {
        if (!in_body) {
            if (pos == arrived) {
                if (!ARRIVE())
                    break; /* clean end between messages */
                continue;
            }
            memset(&err, 0, sizeof err);
            int rc = httpx__h1_parse_head(buf + pos, arrived - pos, &scan, c->method, &c->limits,
                                          fields, &head, &err);
            if (rc < 0) {
                run_error(r, &err, rc);
                break;
            }
            if (rc == 0) {
                assert_true(scan <= arrived - pos);
                if (!ARRIVE()) {
                    /* EOF inside a head: the client reports the server went away */
                    str_add(&r->out, "error SERVER_DISCONNECTED\n", 26);
                    break;
                }
                continue;
            }
            assert_true((size_t)rc <= arrived - pos);
            assert_ptr_equal(head.fields, fields);
            run_head(r, &head);
            pos += (size_t)rc;
            scan = 0;
            httpx__h1_body_init(&body, head.framing, head.content_length, &c->limits);
            if (c->max_line)
                body.max_line = c->max_line;
            if (c->max_trailer)
                body.max_trailer_bytes = c->max_trailer;
            data.len = trailers.len = 0;
            in_body = true;
        }
        /* the body */
        size_t len = arrived - pos, used = 99;
        httpx__slice_t d, t;
        memset(&err, 0, sizeof err);
        int rc = httpx__h1_body_feed(&body, buf + pos, len, &used, &d, &t, &err);
        if (rc < 0) {
            run_body_out(r, &data);
            run_error(r, &err, rc);
            break;
        }
        /* zero copy: both slices lie inside the consumed input */
        assert_true(used <= len);
        assert_true(d.len == 0 || (d.ptr >= buf + pos && d.ptr + d.len <= buf + pos + used));
        assert_true(t.len == 0 || (t.ptr >= buf + pos && t.ptr + t.len <= buf + pos + used));
        assert_true(d.len == 0 || t.len == 0);
        str_add(&data, d.ptr ? d.ptr : "", d.len);
        str_add(&trailers, t.ptr ? t.ptr : "", t.len);
        pos += used;
        if (rc == 0) {
            assert_true(used > 0 || len == 0);
            if (pos < arrived || ARRIVE())
                continue;
            rc = httpx__h1_body_eof(&body, &err);
            if (rc < 0) {
                run_body_out(r, &data);
                run_error(r, &err, rc);
                break;
            }
        }
        /* the message is complete */
        run_body_out(r, &data);
        if (trailers.len) {
            httpx__h1_field_t tf[16];
            int nt = httpx__h1_parse_fields(trailers.p, trailers.len, tf, 16, &err);
            if (nt < 0) {
                run_error(r, &err, nt);
                break;
            }
            for (int i = 0; i < nt; i++) {
                str_add(&r->out, "trailer ", 8);
                str_add(&r->out, tf[i].name.ptr, tf[i].name.len);
                str_add(&r->out, " ", 1);
                str_quote(&r->out, tf[i].value.ptr, tf[i].value.len);
                str_add(&r->out, "\n", 1);
            }
        }
        str_add(&r->out, "end\n", 4);
        in_body = false;
        bool interim = head.status < 200 && !head.upgrade;
        bool tunnel = head.upgrade || (strcmp(c->method, "CONNECT") == 0 && head.status < 300 &&
                                       head.status >= 200);
        if (!interim && (tunnel || !head.keep_alive)) {
            /* the rest belongs to another protocol, or is ignored when we close */
            while (ARRIVE())
                ;
            if (pos < n) {
                str_add(&r->out, "rest ", 5);
                str_quote(&r->out, in + pos, n - pos);
                str_add(&r->out, "\n", 1);
            }
            break;
        }
    }
#undef ARRIVE
    free(buf);
    free(data.p);
    free(trailers.p);
}

/* ---- case files ----------------------------------------------------------- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Input lines: "> " then bytes with escapes \r \n \t \\ \xHH; the file's own line
 * break is not part of the data. */
static void unescape_line(str_t *out, const char *p, const char *file)
{
    while (*p) {
        char ch = *p++;
        if (ch != '\\') {
            str_add(out, &ch, 1);
            continue;
        }
        char e = *p++;
        switch (e) {
        case 'r': ch = '\r'; break;
        case 'n': ch = '\n'; break;
        case 't': ch = '\t'; break;
        case '\\': ch = '\\'; break;
        case 'x': {
            int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
            if (hi < 0 || lo < 0)
                fail_msg("%s: bad \\x escape", file);
            ch = (char)(hi * 16 + lo);
            p += 2;
            break;
        }
        default:
            fail_msg("%s: unknown escape \\%c", file, e);
        }
        str_add(out, &ch, 1);
    }
}

static void load_case(const char *dir, const char *name, h1case_t *c)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->method, sizeof c->method, "GET");
    c->limits.max_head_bytes = 8192;
    c->limits.max_fields = 100;
    enum { META, INPUT, EXPECT } sect = META;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n')
            line[--l] = '\0';
        else if (!feof(f))
            fail_msg("%s: line too long", path);
        if (line[0] == '#' || l == 0)
            continue;
        if (strcmp(line, "input:") == 0) {
            sect = INPUT;
            continue;
        }
        if (strcmp(line, "expect:") == 0) {
            sect = EXPECT;
            continue;
        }
        if (sect == INPUT) {
            if (line[0] != '>' || (line[1] != ' ' && line[1] != '\0'))
                fail_msg("%s: input lines start with \"> \": %s", path, line);
            unescape_line(&c->input, line[1] ? line + 2 : line + 1, path);
        } else if (sect == EXPECT) {
            str_add(&c->expect, line, l);
            str_add(&c->expect, "\n", 1);
        } else {
            char key[64], val[128];
            unsigned long long v = 0;
            if (sscanf(line, "%63[^:]: %127s", key, val) != 2)
                fail_msg("%s: bad line %s", path, line);
            if (strcmp(key, "method") == 0) {
                snprintf(c->method, sizeof c->method, "%s", val);
                continue;
            }
            v = strtoull(val, NULL, 10);
            if (strcmp(key, "max-head") == 0)
                c->limits.max_head_bytes = v;
            else if (strcmp(key, "max-fields") == 0)
                c->limits.max_fields = v;
            else if (strcmp(key, "max-line") == 0)
                c->max_line = v;
            else if (strcmp(key, "max-trailer") == 0)
                c->max_trailer = v;
            else
                fail_msg("%s: unknown key %s", path, key);
        }
    }
    fclose(f);
    if (sect != EXPECT)
        fail_msg("%s: no expect: section", path);
}

static void assert_same(const h1case_t *c, const result_t *want, const result_t *got,
                        const char *how)
{
    if (strcmp(want->out.p ? want->out.p : "", got->out.p ? got->out.p : "") != 0 ||
        strcmp(want->msgs.p ? want->msgs.p : "", got->msgs.p ? got->msgs.p : "") != 0) {
        print_error("%s: %s differs from whole:\n--- whole\n%s%s--- %s\n%s%s", c->name, how,
                    want->out.p ? want->out.p : "", want->msgs.p ? want->msgs.p : "", how,
                    got->out.p ? got->out.p : "", got->msgs.p ? got->msgs.p : "");
        fail();
    }
}

static void test_case_file(void **state)
{
    const h1case_t *c = *state;
    size_t n = c->input.len;
    result_t whole, other;

    size_t one[1] = {n};
    run_case(c, (plan_t){one, 1}, &whole);
    if (strcmp(whole.out.p ? whole.out.p : "", c->expect.p ? c->expect.p : "") != 0) {
        print_error("%s:\n--- expected\n%s--- got\n%s--- messages\n%s", c->name,
                    c->expect.p ? c->expect.p : "", whole.out.p ? whole.out.p : "",
                    whole.msgs.p ? whole.msgs.p : "");
        fail();
    }
    if (getenv("HTTPX_TEST_VERBOSE") && whole.msgs.len)
        print_message("%s: %s", c->name, whole.msgs.p);

    /* one byte per read */
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    run_case(c, (plan_t){cuts, n}, &other);
    assert_same(c, &whole, &other, "one byte at a time");
    result_free(&other);

    /* two reads, split at every position */
    if (n <= 4096) {
        for (size_t j = 1; j < n; j++) {
            size_t two[2] = {j, n};
            char how[64];
            run_case(c, (plan_t){two, 2}, &other);
            snprintf(how, sizeof how, "split at %zu", j);
            assert_same(c, &whole, &other, how);
            result_free(&other);
        }
    }
    /* pseudo-random splits into up to 8 reads */
    uint32_t seed = 2166136261u;
    for (size_t i = 0; i < n; i++)
        seed = (seed ^ (unsigned char)c->input.p[i]) * 16777619u;
    for (int round = 0; round < 20 && n > 2; round++) {
        size_t m = 0, at = 0;
        while (at < n && m < 7) {
            seed = seed * 1103515245u + 12345u;
            at += 1 + (seed >> 8) % (n / 4 + 1);
            cuts[m++] = at < n ? at : n;
        }
        if (cuts[m - 1] != n)
            cuts[m++] = n;
        run_case(c, (plan_t){cuts, m}, &other);
        assert_same(c, &whole, &other, "random split");
        result_free(&other);
    }
    free(cuts);
    result_free(&whole);
}

static int case_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- targeted tests --------------------------------------------------------- */

static const httpx__h1_limits_t LIMITS = {8192, 100};

static int parse_str(const char *s, const char *method, httpx__h1_head_t *h,
                     httpx__h1_field_t *f, httpx_error_t *err)
{
    size_t scan = 0;
    return httpx__h1_parse_head(s, strlen(s), &scan, method, &LIMITS, f, h, err);
}

/* Each call on a growing buffer scans only the new bytes: *scan reaches len, or
 * stops on a final CR that still waits for its LF. */
static void test_scan_resumes(void **state)
{
    (void)state;
    str_t s = {0};
    str_add(&s, "HTTP/1.1 200 OK\r\n", 17);
    for (int i = 0; i < 200; i++)
        str_addf(&s, "X-Field-%03d: some value here\r\n", i);
    str_add(&s, "\r\n", 2);
    httpx__h1_limits_t lim = {1 << 20, 300};
    httpx__h1_field_t f[300];
    httpx__h1_head_t h;
    httpx_error_t err;
    size_t scan = 0;
    for (size_t len = 1; len < s.len; len++) {
        assert_int_equal(httpx__h1_parse_head(s.p, len, &scan, "GET", &lim, f, &h, &err), 0);
        assert_int_equal(scan, s.p[len - 1] == '\r' ? len - 1 : len);
    }
    assert_int_equal(httpx__h1_parse_head(s.p, s.len, &scan, "GET", &lim, f, &h, &err),
                     (int)s.len);
    assert_int_equal(h.nfields, 200);
    free(s.p);
}

/* A bare CR is refused as soon as the byte after it arrives, however the head
 * is split, and a CR at the end of what has arrived waits for its LF. */
static void test_bare_cr_on_arrival(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        size_t fails_at; /* bytes arrived when it is refused: the bare CR and one more */
    } cases[] = {
        {"HTTP/1.1 200 OK\rX-A: 1\r\n\r\n", 17},
        {"HTTP/1.1 200 OK\r\nX-A: 1\rX\r\n\r\n", 25},
        {"HTTP/1.1 200 OK\r\n\r\r\n", 19},
    };
    httpx__h1_limits_t lim = {1 << 20, 100};
    httpx__h1_field_t f[100];
    httpx__h1_head_t h;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *s = cases[k].head;
        size_t n = strlen(s), scan = 0, len = 0;
        httpx_error_t err = {0};
        int rc = 0;
        while (rc == 0 && len < n)
            rc = httpx__h1_parse_head(s, ++len, &scan, "GET", &lim, f, &h, &err);
        assert_int_equal(rc, HTTPX_E_REMOTE_PROTOCOL);
        assert_non_null(strstr(err.message, "bare CR"));
        assert_int_equal(len, cases[k].fails_at);
        /* all at once: the head looks complete, the line parsers refuse it */
        scan = 0;
        assert_int_equal(httpx__h1_parse_head(s, n, &scan, "GET", &lim, f, &h, &err), HTTPX_E_REMOTE_PROTOCOL);
    }
    size_t scan = 0;
    httpx_error_t err = {0};
    assert_int_equal(httpx__h1_parse_head("HTTP/1.1 200 OK\r", 16, &scan, "GET", &lim, f, &h, &err), 0);
    assert_int_equal(scan, 15);
}

static void test_head_limit_exact(void **state)
{
    (void)state;
    const char *s = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n"; /* 25 bytes */
    httpx__h1_field_t f[4];
    httpx__h1_head_t h;
    httpx_error_t err;
    size_t scan = 0;
    httpx__h1_limits_t lim = {25, 1};
    assert_int_equal(httpx__h1_parse_head(s, 25, &scan, "GET", &lim, f, &h, &err), 25);
    scan = 0;
    lim.max_head_bytes = 24;
    assert_int_equal(httpx__h1_parse_head(s, 24, &scan, "GET", &lim, f, &h, &err),
                     HTTPX_E_HEADER_LIMIT);
    scan = 0;
    lim.max_head_bytes = 25;
    lim.max_fields = 0;
    assert_int_equal(httpx__h1_parse_head(s, 25, &scan, "GET", &lim, f, &h, &err),
                     HTTPX_E_HEADER_LIMIT);
    assert_int_equal(err.code, HTTPX_E_HEADER_LIMIT);
    assert_int_equal(err.phase, HTTPX_PHASE_READ_HEAD);
}

static void test_null_method_is_get(void **state)
{
    (void)state;
    httpx__h1_field_t f[4];
    httpx__h1_head_t h;
    httpx_error_t err;
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
    assert_int_equal(parse_str(s, NULL, &h, f, &err), (int)strlen(s));
    assert_int_equal(h.framing, HTTPX__H1_LENGTH);
    assert_int_equal(parse_str(s, "HEAD", &h, f, &err), (int)strlen(s));
    assert_int_equal(h.framing, HTTPX__H1_NO_BODY);
    assert_int_equal(h.content_length, 3); /* kept as metadata */
}

static void test_parse_fields(void **state)
{
    (void)state;
    httpx__h1_field_t f[2];
    httpx_error_t err;
    const char *s = "A: 1\r\nB:\t2 \r\n";
    assert_int_equal(httpx__h1_parse_fields(s, strlen(s), f, 2, &err), 2);
    assert_true(httpx__slice_eq(f[1].value, HTTPX__SLICE_LIT("2")));
    assert_int_equal(httpx__h1_parse_fields(s, strlen(s), f, 1, &err), HTTPX_E_HEADER_LIMIT);
    assert_int_equal(httpx__h1_parse_fields(s, 0, f, 2, &err), 0);
    assert_int_equal(httpx__h1_parse_fields("A: 1", 4, f, 2, &err), HTTPX_E_REMOTE_PROTOCOL);
    assert_int_equal(httpx__h1_parse_fields("A: 1\n", 5, f, 2, &err), HTTPX_E_REMOTE_PROTOCOL);
    assert_int_equal(err.phase, HTTPX_PHASE_READ_BODY);
}

static void test_body_done_and_sticky_error(void **state)
{
    (void)state;
    httpx__h1_body_t b;
    size_t used;
    httpx__slice_t d, t;
    httpx_error_t err;
    httpx__h1_body_init(&b, HTTPX__H1_NO_BODY, 0, &LIMITS);
    assert_int_equal(httpx__h1_body_feed(&b, "xyz", 3, &used, &d, &t, &err), 1);
    assert_int_equal(used, 0);
    assert_int_equal(httpx__h1_body_eof(&b, &err), 0);

    httpx__h1_body_init(&b, HTTPX__H1_LENGTH, 0, &LIMITS);
    assert_true(b.done);

    httpx__h1_body_init(&b, HTTPX__H1_CHUNKED, 0, &LIMITS);
    assert_int_equal(httpx__h1_body_feed(&b, "g\r\n", 3, &used, &d, &t, &err),
                     HTTPX_E_REMOTE_PROTOCOL);
    assert_int_equal(httpx__h1_body_feed(&b, "0\r\n\r\n", 5, &used, &d, &t, &err),
                     HTTPX_E_REMOTE_PROTOCOL);
}

static void test_eof_messages(void **state)
{
    (void)state;
    httpx__h1_body_t b;
    size_t used;
    httpx__slice_t d, t;
    httpx_error_t err;
    httpx__h1_body_init(&b, HTTPX__H1_LENGTH, 10, &LIMITS);
    assert_int_equal(httpx__h1_body_feed(&b, "1234567", 7, &used, &d, &t, &err), 0);
    assert_int_equal(httpx__h1_body_eof(&b, &err), HTTPX_E_SERVER_DISCONNECTED);
    assert_non_null(strstr(err.message, "3 bytes"));
    assert_int_equal(err.phase, HTTPX_PHASE_READ_BODY);
}

static void test_chunk_size_bounds(void **state)
{
    (void)state;
    httpx__h1_body_t b;
    size_t used;
    httpx__slice_t d, t;
    httpx_error_t err;
    httpx__h1_body_init(&b, HTTPX__H1_CHUNKED, 0, &LIMITS);
    assert_int_equal(httpx__h1_body_feed(&b, "FFFFFFFFFFFFFFFF\r\nab", 20, &used, &d, &t, &err), 0);
    assert_int_equal(b.remaining, UINT64_MAX - 2);
    assert_int_equal(d.len, 2);
    httpx__h1_body_init(&b, HTTPX__H1_CHUNKED, 0, &LIMITS);
    assert_int_equal(httpx__h1_body_feed(&b, "10000000000000000\r\n", 19, &used, &d, &t, &err),
                     HTTPX_E_REMOTE_PROTOCOL);
    /* leading zeros do not count towards overflow */
    httpx__h1_body_init(&b, HTTPX__H1_CHUNKED, 0, &LIMITS);
    assert_int_equal(httpx__h1_body_feed(&b, "000000000000000000001\r\n", 23, &used, &d, &t, &err),
                     0);
    assert_int_equal(b.remaining, 1);
}

/* A size line longer than max_line is a limit error, however it arrives. */
static void test_chunk_line_cap(void **state)
{
    (void)state;
    httpx__h1_body_t b;
    size_t used;
    httpx__slice_t d, t;
    httpx_error_t err;
    httpx__h1_limits_t lim = {16, 10};
    httpx__h1_body_init(&b, HTTPX__H1_CHUNKED, 0, &lim);
    const char *s = "1;aaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    assert_int_equal(httpx__h1_body_feed(&b, s, strlen(s), &used, &d, &t, &err),
                     HTTPX_E_HEADER_LIMIT);
}

static void test_ctype_table(void **state)
{
    (void)state;
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    httpx__h1_field_t f[2];
    httpx_error_t err;
    for (int c = 1; c < 256; c++) {
        char line[16];
        int n = snprintf(line, sizeof line, "a%cb: v\r\n", c);
        if (c == '\n' || c == '\r' || c == ':' || n != 8) {
            continue;
        }
        int rc = httpx__h1_parse_fields(line, 8, f, 2, &err);
        if (strchr(tchar, c))
            assert_int_equal(rc, 1);
        else
            assert_int_equal(rc, HTTPX_E_REMOTE_PROTOCOL);
    }
}

/* Values long enough for the eight-bytes-at-a-time scan, with the bad byte at
 * every position. */
static void test_value_scan(void **state)
{
    (void)state;
    httpx__h1_field_t f[1];
    httpx_error_t err;
    static const unsigned char bad[] = {0x00, 0x01, 0x0a, 0x0d, 0x1f, 0x7f};
    static const unsigned char good[] = {0x09, 0x20, 0x7e, 0x80, 0xff};
    char line[64];
    for (size_t at = 0; at < 23; at++) { /* not last: trailing OWS is trimmed */
        for (size_t b = 0; b < sizeof bad + sizeof good; b++) {
            int is_bad = b < sizeof bad;
            memcpy(line, "X: ", 3);
            memset(line + 3, 'v', 25);
            line[3 + at + 1] = (char)(is_bad ? bad[b] : good[b - sizeof bad]);
            memcpy(line + 28, "\r\n", 2);
            int rc = httpx__h1_parse_fields(line, 30, f, 1, &err);
            if (is_bad)
                assert_int_equal(rc, HTTPX_E_REMOTE_PROTOCOL);
            else {
                assert_int_equal(rc, 1);
                assert_int_equal(f[0].value.len, 25);
            }
        }
    }
}

int main(void)
{
    const char *data = getenv("HTTPX_TEST_DATA");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/h1", data ? data : "tests/data");
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "h1_parse_test: cannot open %s (set HTTPX_TEST_DATA)\n", dir);
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".txt") == 0) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, case_cmp);

    h1case_t *cases = calloc(n ? n : 1, sizeof *cases);
    struct CMUnitTest *tests = calloc(n ? n : 1, sizeof *tests);
    for (size_t i = 0; i < n; i++) {
        load_case(dir, names[i], &cases[i]);
        tests[i] = (struct CMUnitTest){cases[i].name, test_case_file, NULL, NULL, &cases[i]};
    }
    int failed = _cmocka_run_group_tests("h1_cases", tests, n, NULL, NULL);

    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_scan_resumes),
        cmocka_unit_test(test_bare_cr_on_arrival),
        cmocka_unit_test(test_head_limit_exact),
        cmocka_unit_test(test_null_method_is_get),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_body_done_and_sticky_error),
        cmocka_unit_test(test_eof_messages),
        cmocka_unit_test(test_chunk_size_bounds),
        cmocka_unit_test(test_chunk_line_cap),
        cmocka_unit_test(test_ctype_table),
        cmocka_unit_test(test_value_scan),
    };
    failed += cmocka_run_group_tests_name("h1_unit", unit, NULL, NULL);

    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(cases[i].input.p);
        free(cases[i].expect.p);
    }
    free(names);
    free(cases);
    free(tests);
    return failed ? 1 : 0;
}
