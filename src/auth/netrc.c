/* auth/netrc.c — credentials from a .netrc file (the format of ftp(1) and curl).
 *
 * The file is read whole (it is small, and capped) into one buffer; tokens are
 * whitespace separated, double-quoted tokens are unescaped in place. The buffer is
 * wiped before it is freed, since it holds passwords. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auth/auth.h"
#include "core/mem.h"

typedef struct lexer {
    char *p;
    size_t n, pos;
} lexer_t;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Next token into *tok (a slice of the buffer, unescaped in place). Returns 1, 0 at
 * the end of the file, or HTTPX_E_INVAL for an unterminated quote. */
static int next_token(lexer_t *lx, httpx__slice_t *tok)
{
    for (;;) {
        while (lx->pos < lx->n && is_space(lx->p[lx->pos]))
            lx->pos++;
        if (lx->pos == lx->n)
            return 0;
        if (lx->p[lx->pos] != '#')
            break;
        while (lx->pos < lx->n && lx->p[lx->pos] != '\n')
            lx->pos++;
    }
    char *s = lx->p + lx->pos;
    if (*s != '"') {
        size_t e = lx->pos;
        while (e < lx->n && !is_space(lx->p[e]))
            e++;
        *tok = httpx__slice(s, e - lx->pos);
        lx->pos = e;
        return 1;
    }
    size_t i = lx->pos + 1, k = 0;
    char *d = s; /* unescaped bytes are written from the opening quote on */
    for (;;) {
        if (i == lx->n)
            return HTTPX_E_INVAL;
        char c = lx->p[i++];
        if (c == '"')
            break;
        if (c == '\\' && i < lx->n) {
            c = lx->p[i++];
            c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
        }
        d[k++] = c;
    }
    *tok = httpx__slice(d, k);
    lx->pos = i;
    return 1;
}

/* After "macdef NAME": skip the rest of the line and the body up to an empty line. */
static void skip_macro(lexer_t *lx)
{
    while (lx->pos < lx->n && lx->p[lx->pos] != '\n')
        lx->pos++;
    while (lx->pos < lx->n) {
        size_t i = lx->pos + 1; /* start of the next line */
        if (i < lx->n && lx->p[i] == '\r')
            i++;
        if (i >= lx->n || lx->p[i] == '\n') {
            lx->pos = i < lx->n ? i + 1 : lx->n;
            return;
        }
        lx->pos = i;
        while (lx->pos < lx->n && lx->p[lx->pos] != '\n')
            lx->pos++;
    }
}

typedef struct entry {
    bool open, match;
    bool has_login, has_password;
    httpx__slice_t login, password;
} entry_t;

static bool entry_wins(const entry_t *e, const char *want_login)
{
    if (!e->open || !e->match)
        return false;
    if (!want_login)
        return true;
    return e->has_login && httpx__slice_eq(e->login, httpx__slice_cstr(want_login));
}

/* Scan the whole text; on a winning entry fill *found and return 1; 0 if none. */
static int scan(lexer_t *lx, const char *host, const char *want_login, entry_t *found)
{
    entry_t cur = {0};
    httpx__slice_t tok, val;
    int rc;
    while ((rc = next_token(lx, &tok)) == 1) {
        bool machine = httpx__slice_eq(tok, HTTPX__SLICE_LIT("machine"));
        bool dflt = httpx__slice_eq(tok, HTTPX__SLICE_LIT("default"));
        if (machine || dflt) {
            if (entry_wins(&cur, want_login)) {
                *found = cur;
                return 1;
            }
            cur = (entry_t){.open = true, .match = dflt};
            if (machine) {
                if ((rc = next_token(lx, &val)) != 1)
                    return rc < 0 ? rc : HTTPX_E_INVAL;
                cur.match = httpx__slice_ieq_cstr(val, host);
            }
            continue;
        }
        bool login = httpx__slice_eq(tok, HTTPX__SLICE_LIT("login"));
        bool password = httpx__slice_eq(tok, HTTPX__SLICE_LIT("password"));
        bool account = httpx__slice_eq(tok, HTTPX__SLICE_LIT("account"));
        bool macdef = httpx__slice_eq(tok, HTTPX__SLICE_LIT("macdef"));
        if (!login && !password && !account && !macdef)
            continue; /* unknown tokens are ignored, as ftp(1) does */
        if ((rc = next_token(lx, &val)) != 1)
            return rc < 0 ? rc : HTTPX_E_INVAL;
        if (login && !cur.has_login) {
            cur.login = val;
            cur.has_login = true;
        } else if (password && !cur.has_password) {
            cur.password = val;
            cur.has_password = true;
        } else if (macdef) {
            skip_macro(lx);
        }
    }
    if (rc < 0)
        return rc;
    if (entry_wins(&cur, want_login)) {
        *found = cur;
        return 1;
    }
    return 0;
}

/* The default path into *b: $NETRC, else $HOME/.netrc, else the passwd home. */
static int default_path(httpx__buf_t *b)
{
    const char *env = getenv("NETRC");
    if (env && *env)
        return httpx__buf_append_str(b, env);
    const char *home = getenv("HOME");
    struct passwd pw, *res = NULL;
    char scratch[4096];
    if (!home || !*home) {
        if (getpwuid_r(getuid(), &pw, scratch, sizeof scratch, &res) != 0 || !res || !res->pw_dir)
            return HTTPX_E_INVAL;
        home = res->pw_dir;
    }
    return httpx__buf_printf(b, "%s/.netrc", home);
}

/* Read the file into *text. 1: read; 0: the file does not exist. */
static int read_file(const char *path, httpx__buf_t *text)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : HTTPX_E_SYSTEM;
    int rc = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= HTTPX__NETRC_MAX_SIZE)
        rc = httpx__buf_reserve(text, (size_t)st.st_size + 1); /* one read, no realloc copies */
    for (; rc == 0;) {
        rc = httpx__buf_reserve(text, 4096);
        if (rc)
            break;
        ssize_t r = read(fd, httpx__buf_tail(text), httpx__buf_room(text));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = HTTPX_E_SYSTEM;
            break;
        }
        if (r == 0)
            break;
        httpx__buf_commit(text, (size_t)r);
    }
    close(fd);
    if (rc == HTTPX_E_BODY_LIMIT || httpx__buf_size(text) > HTTPX__NETRC_MAX_SIZE)
        rc = HTTPX_E_INVAL;
    return rc ? rc : 1;
}

int httpx__netrc_find(const char *path, const char *host, const char *want_login, char **login,
                      char **password, const httpx_allocator_t *a)
{
    if (login)
        *login = NULL;
    if (password)
        *password = NULL;
    if (!host || !login || !password)
        return HTTPX_E_INVAL;
    a = httpx__alloc_or_default(a);
    httpx__buf_t pathbuf, text;
    httpx__buf_init(&pathbuf, a, 0);
    httpx__buf_init(&text, a, (size_t)HTTPX__NETRC_MAX_SIZE + 4096 + 1);
    int rc = 0;
    if (!path) {
        rc = default_path(&pathbuf);
        path = httpx__buf_ptr(&pathbuf);
    }
    if (!rc)
        rc = read_file(path, &text);
    entry_t found = {0};
    if (rc == 1) {
        lexer_t lx = {httpx__buf_ptr(&text), httpx__buf_size(&text), 0};
        rc = scan(&lx, host, want_login, &found);
    }
    if (rc == 1) {
        if (found.has_login && !(*login = httpx__strndup(a, found.login.ptr, found.login.len)))
            rc = HTTPX_E_NOMEM;
        else if (found.has_password &&
                 !(*password = httpx__strndup(a, found.password.ptr, found.password.len)))
            rc = HTTPX_E_NOMEM;
        else
            rc = 0;
        if (rc) {
            httpx__free(a, *login);
            *login = NULL;
        }
    }
    if (text.data)
        explicit_bzero(text.data, text.alloc);
    httpx__buf_release(&text);
    httpx__buf_release(&pathbuf);
    return rc;
}

int httpx__netrc_lookup(const char *path, const char *host, char **login, char **password,
                        const httpx_allocator_t *a)
{
    return httpx__netrc_find(path, host, NULL, login, password, a);
}
