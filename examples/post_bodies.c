/* examples/post_bodies.c — every kind of request body, plus params, base_url and
 * default headers. Point it at an httpbin (its /anything echoes what it got).
 * Usage: post_bodies BASE_URL        e.g. post_bodies http://127.0.0.1:8080 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <httpx.h>

/* A producer: the body in three pieces, sent with Transfer-Encoding: chunked. */
static int three_pieces(void *buf, size_t cap, size_t *n, void *user)
{
    int *left = user;
    *n = *left > 0 ? (size_t)snprintf(buf, cap, "piece %d;", (*left)--) : 0; /* 0: done */
    return 0;
}

/* Print `"key":value` from httpbin's JSON echo (compact or not; nesting respected). */
static void pick(const char *t, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *v = strstr(t, k), *e;
    if (!v)
        return;
    v += strlen(k) + strspn(v + strlen(k), " ");
    int depth = 0, quoted = 0;
    for (e = v; *e && (quoted || depth || (*e != ',' && *e != '}' && *e != '\n')); e++) {
        if (*e == '\\' && quoted && e[1])
            e++;
        else if (*e == '"')
            quoted = !quoted;
        else if (!quoted)
            depth += (*e == '{' || *e == '[') - (*e == '}' || *e == ']');
    }
    printf("  %s=%.*s", key, (int)(e - v), v);
}

static void show(const char *what, httpx_client_t *c, int rc, httpx_response_t **rp)
{
    if (rc) {
        printf("%-9s failed: %s\n", what, httpx_client_last_error(c)->message);
        return;
    }
    httpx_response_t *r = *rp; /* read here, after the call that filled it */
    const char *t = httpx_response_text(r);
    printf("%-9s %d", what, httpx_response_status(r));
    const char *keys[] = {"Content-Type", "Content-Length", "Transfer-Encoding", "data", "form", "files"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        pick(t, keys[i]);
    printf("\n");
    httpx_response_free(r);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BASE_URL\n", argv[0]);
        return 2;
    }
    /* Every request of this client: relative URLs under base_url, these headers. */
    httpx_header_t defaults[] = {{"X-Client", "post_bodies"}, {"Accept", "application/json"}, {0}};
    httpx_client_t *c;
    if (httpx_client_new(HTTPX_CLIENT(.base_url = argv[1], .headers = defaults), &c))
        return 1;
    httpx_response_t *r;
    httpx_param_t params[] = {{"q", "C & HTTP"}, {"page", "2"}, {0}}; /* appended to the query */
    if (httpx_client_get(c, "anything/search", HTTPX_REQ(.params = params), &r) == 0)
        printf("get       %s\n", httpx_response_url(r)), httpx_response_free(r);

    show("bytes", c, httpx_client_post(c, "anything", HTTPX_REQ(.body = HTTPX_BODY_BYTES("\x01\x02\x03", 3)), &r), &r);

    char path[] = "/tmp/post_bodies-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "from a file\n", 12) != 12)
        return 1;
    close(fd);
    show("file", c, httpx_client_put(c, "anything", HTTPX_REQ(.body = HTTPX_BODY_FILE(path)), &r), &r);

    int left = 3;
    show("producer", c, httpx_client_post(c, "anything", HTTPX_REQ(.body = HTTPX_BODY_PRODUCER(three_pieces, &left)), &r), &r);

    httpx_param_t fields[] = {{"name", "Ada Lovelace"}, {"lang", "C"}, {"lang", "Rust"}, {0}};
    show("form", c, httpx_client_post(c, "anything", HTTPX_REQ(.body = HTTPX_BODY_FORM(fields)), &r), &r);

    show("json", c, httpx_client_post(c, "anything", HTTPX_REQ(.body = HTTPX_BODY_JSON("{\"id\":7,\"tags\":[\"a\"]}")), &r), &r);

    httpx_header_t part_hdrs[] = {{"X-Part", "1"}, {0}};
    httpx_part_t parts[] = {
        {.name = "title", .value = "report"},
        {.name = "upload", .path = path, .filename = "notes.txt", .headers = part_hdrs},
        {.name = "raw", .value = "\x00\x01", .value_len = 2, .content_type = "application/octet-stream"},
        {0},
    };
    show("multipart", c, httpx_client_post(c, "anything", HTTPX_REQ(.body = HTTPX_BODY_MULTIPART(parts)), &r), &r);

    unlink(path);
    httpx_client_free(c);
    return 0;
}
