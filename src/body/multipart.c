/* body/multipart.c — a streaming multipart/form-data generator (RFC 7578).
 *
 * Everything but file contents is rendered once, at _new, into one text buffer:
 * boundaries, part headers, copied values. The body is then a short list of
 * segments, each a range of that text or a whole file, and reading walks the list.
 * Only the file being sent is open; it is read with pread at the segment offset,
 * so a rewind needs no seek and no file is ever loaded whole. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "body/body.h"
#include "core/err.h"
#include "core/mem.h"
#include "httpx/request.h"

typedef enum seg_kind { SEG_TEXT, SEG_FILE } seg_kind_t;

typedef struct seg {
    seg_kind_t kind;
    size_t off;      /* TEXT: start in text; FILE: the path (NUL-terminated) in text */
    uint64_t len;    /* bytes this segment contributes */
} seg_t;

struct httpx__multipart {
    const httpx_allocator_t *a;
    httpx__buf_t text;
    seg_t *segs;
    size_t nsegs, cap_segs;
    uint64_t length;
    /* reading */
    size_t cur;          /* segment being read */
    uint64_t cur_off;    /* bytes of it already given out */
    int fd;              /* the open file of a FILE segment, or -1 */
    int failed;          /* sticky read error until rewind */
    httpx_error_t err;
    char boundary[HTTPX__MULTIPART_MAX_BOUNDARY + 1];
    char content_type[sizeof "multipart/form-data; boundary=" + HTTPX__MULTIPART_MAX_BOUNDARY];
};

/* ---- content types ----------------------------------------------------------- */

static const struct {
    const char *ext, *type;
} type_table[] = {
    {"txt", "text/plain"},       {"text", "text/plain"},        {"html", "text/html"},
    {"htm", "text/html"},        {"css", "text/css"},           {"csv", "text/csv"},
    {"js", "text/javascript"},   {"mjs", "text/javascript"},    {"md", "text/markdown"},
    {"json", "application/json"}, {"xml", "application/xml"},   {"pdf", "application/pdf"},
    {"zip", "application/zip"},  {"gz", "application/gzip"},    {"tar", "application/x-tar"},
    {"wasm", "application/wasm"}, {"png", "image/png"},         {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},      {"gif", "image/gif"},          {"webp", "image/webp"},
    {"svg", "image/svg+xml"},    {"ico", "image/vnd.microsoft.icon"}, {"avif", "image/avif"},
    {"bmp", "image/bmp"},        {"mp3", "audio/mpeg"},         {"wav", "audio/wav"},
    {"ogg", "audio/ogg"},        {"mp4", "video/mp4"},          {"webm", "video/webm"},
};

const char *httpx__guess_content_type(const char *filename)
{
    const char *dot = filename ? strrchr(filename, '.') : NULL;
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof type_table / sizeof type_table[0]; i++)
            if (strcasecmp(dot + 1, type_table[i].ext) == 0)
                return type_table[i].type;
    return "application/octet-stream";
}

/* ---- building ---------------------------------------------------------------- */

static int add_text(httpx__multipart_t *mp, const void *p, size_t n)
{
    size_t at = mp->text.len;
    int rc = httpx__buf_append(&mp->text, p, n);
    if (rc || n == 0)
        return rc;
    seg_t *last = mp->nsegs ? &mp->segs[mp->nsegs - 1] : NULL;
    if (last && last->kind == SEG_TEXT && last->off + last->len == at) {
        last->len += n;
    } else {
        mp->segs[mp->nsegs++] = (seg_t){SEG_TEXT, at, n};
    }
    mp->length += n;
    return 0;
}

static int add_str(httpx__multipart_t *mp, const char *s)
{
    return add_text(mp, s, strlen(s));
}

/* A name or filename inside a quoted Content-Disposition parameter. */
static int add_escaped(httpx__multipart_t *mp, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    while (*s) {
        size_t run = 0;
        for (unsigned char c; (c = (unsigned char)s[run]) && c >= 0x20 && c != 0x7f && c != '"' && c != '\\';)
            run++;
        int rc = add_text(mp, s, run);
        if (rc)
            return rc;
        s += run;
        if (!*s)
            break;
        unsigned char c = (unsigned char)*s++;
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        if ((rc = add_text(mp, e, 3)))
            return rc;
    }
    return 0;
}

static int add_file(httpx__multipart_t *mp, const char *path, uint64_t size)
{
    size_t at = mp->text.len;
    int rc = httpx__buf_append(&mp->text, path, strlen(path) + 1);
    if (rc)
        return rc;
    if (size) {
        mp->segs[mp->nsegs++] = (seg_t){SEG_FILE, at, size};
        mp->length += size;
    }
    return 0;
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
            return false;
    }
    return true;
}

static bool is_field_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static bool is_boundary(const char *b)
{
    size_t n = strlen(b);
    if (n == 0 || n > HTTPX__MULTIPART_MAX_BOUNDARY || b[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c && strchr("'()+_,-./:=? ", c));
        if (!ok)
            return false;
    }
    return true;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Check one part and stat its file; fills *size. */
static int check_part(const httpx__part_t *p, size_t i, uint64_t *size, httpx_error_t *err)
{
    if (!p->name)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "multipart part %zu has no name", i);
    if (p->value && p->path)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "multipart part \"%s\" has both a value and a file", p->name);
    if (p->content_type && !is_field_value(p->content_type))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                          "multipart part \"%s\": control character in the content type", p->name);
    for (const httpx_header_t *h = p->headers; h && h->name; h++) {
        if (!is_token(h->name))
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "multipart part \"%s\": invalid header name \"%s\"", p->name, h->name);
        if (!h->value || !is_field_value(h->value))
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "multipart part \"%s\": header \"%s\" has a missing value or control "
                              "characters", p->name, h->name);
        if (strcasecmp(h->name, "Content-Disposition") == 0)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "multipart part \"%s\": Content-Disposition is generated, not taken", p->name);
    }
    *size = 0;
    if (p->path) {
        struct stat st;
        if (stat(p->path, &st) != 0)
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "cannot read multipart file \"%s\" (part \"%s\"): %s", p->path, p->name,
                              strerror(errno));
        if (!S_ISREG(st.st_mode))
            return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                              "cannot read multipart file \"%s\" (part \"%s\"): not a regular file", p->path,
                              p->name);
        *size = (uint64_t)st.st_size;
    }
    return 0;
}

static int render_part(httpx__multipart_t *mp, const httpx__part_t *p, uint64_t size)
{
    const char *filename = p->filename ? p->filename : p->path ? base_name(p->path) : NULL;
    const char *ctype = p->content_type;
    bool custom_type = false;
    for (const httpx_header_t *h = p->headers; h && h->name; h++)
        custom_type |= strcasecmp(h->name, "Content-Type") == 0;
    if (!ctype && filename && !custom_type)
        ctype = httpx__guess_content_type(*filename ? filename : p->path);
    if (custom_type)
        ctype = NULL;
    int rc = add_str(mp, "--");
    if (!rc)
        rc = add_str(mp, mp->boundary);
    if (!rc)
        rc = add_str(mp, "\r\nContent-Disposition: form-data; name=\"");
    if (!rc)
        rc = add_escaped(mp, p->name);
    if (!rc && filename) {
        rc = add_str(mp, "\"; filename=\"");
        if (!rc)
            rc = add_escaped(mp, filename);
    }
    if (!rc)
        rc = add_str(mp, "\"\r\n");
    if (!rc && ctype) {
        rc = add_str(mp, "Content-Type: ");
        if (!rc)
            rc = add_str(mp, ctype);
        if (!rc)
            rc = add_str(mp, "\r\n");
    }
    for (const httpx_header_t *h = p->headers; !rc && h && h->name; h++) {
        rc = add_str(mp, h->name);
        if (!rc)
            rc = add_str(mp, ": ");
        if (!rc)
            rc = add_str(mp, h->value);
        if (!rc)
            rc = add_str(mp, "\r\n");
    }
    if (!rc)
        rc = add_str(mp, "\r\n");
    if (!rc && p->path)
        rc = add_file(mp, p->path, size);
    else if (!rc && p->value)
        rc = add_text(mp, p->value, p->value_len ? p->value_len : strlen(p->value));
    if (!rc)
        rc = add_str(mp, "\r\n");
    return rc;
}

int httpx__multipart_new(const httpx__part_t *parts, size_t nparts, const char *boundary,
                         const httpx_allocator_t *a, httpx__multipart_t **out, httpx_error_t *err)
{
    if (out)
        *out = NULL;
    if ((!parts && nparts) || !out)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "multipart body: NULL argument");
    if (nparts > ((size_t)-1 / sizeof(seg_t) - 1) / 2)
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "multipart body: too many parts");
    if (boundary && !is_boundary(boundary))
        return httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP, "multipart boundary \"%s\" is invalid",
                          boundary);
    a = httpx__alloc_or_default(a);
    httpx__multipart_t *mp = HTTPX__NEW(a, httpx__multipart_t);
    if (!mp)
        return httpx__err(err, HTTPX_E_NOMEM, HTTPX_PHASE_SETUP, "multipart body: out of memory");
    mp->a = a;
    mp->fd = -1;
    httpx__buf_init(&mp->text, a, 0);
    int rc = 0;
    if (boundary) {
        snprintf(mp->boundary, sizeof mp->boundary, "%s", boundary);
    } else {
        unsigned char rnd[16];
        static const char hex[] = "0123456789abcdef";
        if (RAND_bytes(rnd, sizeof rnd) != 1) {
            rc = httpx__err(err, HTTPX_E_SYSTEM, HTTPX_PHASE_SETUP,
                            "multipart body: no random bytes for the boundary");
            goto fail;
        }
        for (size_t i = 0; i < sizeof rnd; i++) {
            mp->boundary[2 * i] = hex[rnd[i] >> 4];
            mp->boundary[2 * i + 1] = hex[rnd[i] & 15];
        }
        mp->boundary[2 * sizeof rnd] = '\0';
    }
    snprintf(mp->content_type, sizeof mp->content_type, "multipart/form-data; boundary=%s", mp->boundary);
    mp->cap_segs = 2 * nparts + 1;
    mp->segs = httpx__malloc(a, mp->cap_segs * sizeof(seg_t));
    if (!mp->segs) {
        rc = HTTPX_E_NOMEM;
        goto nomem;
    }
    if (boundary) {
        /* A caller's boundary must not occur in a value we hold (files cannot be
         * checked without reading them; the caller vouches for those). */
        char delim[HTTPX__MULTIPART_MAX_BOUNDARY + 3];
        int dl = snprintf(delim, sizeof delim, "--%s", boundary);
        for (size_t i = 0; i < nparts; i++) {
            const httpx__part_t *p = &parts[i];
            size_t vl = p->value ? (p->value_len ? p->value_len : strlen(p->value)) : 0;
            if (vl && memmem(p->value, vl, delim, (size_t)dl)) {
                rc = httpx__err(err, HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                                "multipart boundary \"%s\" occurs in the value of part \"%s\"", boundary,
                                p->name ? p->name : "");
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < nparts; i++) {
        uint64_t size = 0;
        if ((rc = check_part(&parts[i], i, &size, err)))
            goto fail;
        if ((rc = render_part(mp, &parts[i], size)))
            goto nomem;
    }
    if ((rc = add_str(mp, "--")) || (rc = add_str(mp, mp->boundary)) || (rc = add_str(mp, "--\r\n")))
        goto nomem;
    *out = mp;
    return 0;
nomem:
    rc = httpx__err(err, rc == HTTPX_E_NOMEM ? HTTPX_E_NOMEM : HTTPX_E_INVAL, HTTPX_PHASE_SETUP,
                    "multipart body: %s", rc == HTTPX_E_NOMEM ? "out of memory" : "too large");
fail:
    httpx__multipart_free(mp);
    return rc;
}

void httpx__multipart_free(httpx__multipart_t *mp)
{
    if (!mp)
        return;
    if (mp->fd >= 0)
        close(mp->fd);
    httpx__buf_release(&mp->text);
    httpx__free(mp->a, mp->segs);
    httpx__free(mp->a, mp);
}

uint64_t httpx__multipart_length(const httpx__multipart_t *mp) { return mp->length; }
const char *httpx__multipart_boundary(const httpx__multipart_t *mp) { return mp->boundary; }
const char *httpx__multipart_content_type(const httpx__multipart_t *mp) { return mp->content_type; }
const httpx_error_t *httpx__multipart_error(const httpx__multipart_t *mp) { return &mp->err; }

/* ---- reading ----------------------------------------------------------------- */

static void close_file(httpx__multipart_t *mp)
{
    if (mp->fd >= 0)
        close(mp->fd);
    mp->fd = -1;
}

static int read_failed(httpx__multipart_t *mp, int code, const char *path, const char *what)
{
    close_file(mp);
    mp->failed = httpx__err(&mp->err, code, HTTPX_PHASE_WRITE, "multipart file \"%s\": %s", path, what);
    return code;
}

/* Read up to `want` bytes of the current FILE segment into dst; *got set. */
static int read_file(httpx__multipart_t *mp, const seg_t *s, char *dst, size_t want, size_t *got)
{
    const char *path = mp->text.data + s->off;
    *got = 0;
    if (mp->fd < 0) {
        mp->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (mp->fd < 0)
            return read_failed(mp, HTTPX_E_SYSTEM, path, strerror(errno));
    }
    for (;;) {
        ssize_t r = pread(mp->fd, dst, want, (off_t)mp->cur_off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return read_failed(mp, HTTPX_E_SYSTEM, path, strerror(errno));
        if (r == 0)
            return read_failed(mp, HTTPX_E_LOCAL_PROTOCOL, path, "file shrank while being sent");
        *got = (size_t)r;
        return 0;
    }
}

int httpx__multipart_read(httpx__multipart_t *mp, void *buf, size_t cap, size_t *n)
{
    if (n)
        *n = 0;
    if (!mp || !buf || !n || cap == 0)
        return HTTPX_E_INVAL;
    if (mp->failed)
        return mp->failed;
    char *dst = buf;
    size_t done = 0;
    while (done < cap && mp->cur < mp->nsegs) {
        const seg_t *s = &mp->segs[mp->cur];
        uint64_t left = s->len - mp->cur_off;
        size_t want = cap - done < left ? cap - done : (size_t)left;
        size_t got = want;
        if (s->kind == SEG_TEXT) {
            memcpy(dst + done, mp->text.data + s->off + mp->cur_off, want);
        } else {
            int rc = read_file(mp, s, dst + done, want, &got);
            if (rc)
                return rc;
        }
        done += got;
        mp->cur_off += got;
        if (mp->cur_off == s->len) {
            close_file(mp);
            mp->cur++;
            mp->cur_off = 0;
        }
    }
    *n = done;
    return 0;
}

int httpx__multipart_producer(void *buf, size_t cap, size_t *n, void *user)
{
    return httpx__multipart_read(user, buf, cap, n);
}
_Static_assert(__builtin_types_compatible_p(httpx_body_producer_cb, __typeof__(&httpx__multipart_producer)),
               "httpx__multipart_producer must be an httpx_body_producer_cb");

int httpx__multipart_rewind(httpx__multipart_t *mp)
{
    close_file(mp);
    mp->cur = 0;
    mp->cur_off = 0;
    mp->failed = 0;
    httpx__err_clear(&mp->err);
    return 0;
}
