/* peers.h - where the integration tests find their real servers, plus two
 * resource probes.  Header-only; include it from a *_test.c file.
 *
 * tests/peers/peers.sh (a CTest fixture) starts nginx, httpbin, the scripted
 * raw servers and the proxies on loopback and writes KEY=VALUE lines to a file
 * whose path CTest passes in HTTPX_PEERS_ENV.  peers_load() reads it:
 *
 *   peers_t p;
 *   if (peers_load(&p) != 0) return 1;      // or skip()
 *   snprintf(url, sizeof url, "%s/small.txt", p.nginx);
 *
 * nginx   static files from www (small.txt, 1k.bin, 64k.bin, big.bin = 1 GiB of
 *         zeros, gzip/text.txt served gzip-compressed), /null answers 204 to any
 *         method; also on [::1] when nginx6[0] != '\0'
 * httpbin httpbin.org's API under gunicorn
 * raw     tests/peers/rawserver.py: scripted faults chosen by path (table at the
 *         top of that file); also on the unix socket uds_path
 * raw2    a second rawserver.py on another port: a different origin (redirects
 *         across origins; its /count and /flaky counters are its own)
 * proxy   tests/peers/proxyserver.py (table at the top of that file):
 *         proxy_http       HTTP proxy (absolute-form forwarding, CONNECT), no auth
 *         proxy_http_auth  the same, requiring Basic proxy_http_user:proxy_http_pass
 *                          (407 otherwise)
 *         proxy_socks      SOCKS5, no auth;  proxy_socks_auth  SOCKS5 user/pass
 *                          proxy_socks_user:proxy_socks_pass
 *         proxy_stats      GET it (directly, no proxy) for per-listener JSON counters
 *                          {"http": {"connections": N, "requests": N, "tunnels": N,
 *                          "auth_failures": N, "refused": N, "port": P},
 *                          "http_auth": ..., "socks": ..., "socks_auth": ...};
 *                          "?reset=1" zeroes them after answering.
 *         Targets must be loopback (403 / SOCKS 0x02 otherwise).  The proxy resolves
 *         "localhost", "*.localhost", /etc/hosts names and "*.proxy.test" (always
 *         127.0.0.1, unknown to the client: proves socks5h / HTTP-proxy resolution).
 *         The proxy URLs carry no credentials; build "http://user:pass@..." as needed.
 * hostile tests/peers/hostile.py: the hostile-server suite's scripts (tests/hostile/NAME.case,
 *         by path /case/NAME), on hostile (plain), hostile_tls (TLS) and hostile_tlsraw
 *         (a port where the client's TLS meets a bare script armed by /arm/NAME)
 * The raw2/uds/proxy/hostile fields are filled by this tree's peers.sh; a test that needs
 * one should still check it is non-empty.
 */
#ifndef HTTPX_TESTS_PEERS_H
#define HTTPX_TESTS_PEERS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char nginx[128];   /* "http://127.0.0.1:PORT", no trailing slash */
  char httpbin[128];
  char raw[128];
  char www[512];     /* nginx's document root (files to compare against) */
  char nginx6[128];  /* "http://[::1]:PORT", or "" when IPv6 loopback is unusable */
  char nginx_tls[128];    /* "https://localhost:PORT": TLS, h1 and h2 by ALPN */
  char nginx_badtls[128]; /* "https://localhost:PORT" with a certificate for wrong.example */
  char nginx_mtls[128];   /* "https://localhost:PORT" requiring a client certificate */
  char nginx_h2c[128];    /* "http://127.0.0.1:PORT": HTTP/2 with prior knowledge */
  char nghttpd[128];      /* nghttpd, HTTP/2 with prior knowledge (h2c) */
  char nghttpd_tls[128];  /* nghttpd over TLS ("https://localhost:PORT") */
  char nginx_goaway[128]; /* "https://localhost:PORT": h2, GOAWAY after 50 requests, 16 streams */
  char ca_file[512];      /* the suite's CA (tests/peers/certs.sh) */
  char certs[512];        /* all test certificates */
  char raw2[128];         /* "http://127.0.0.1:PORT": a second raw server */
  char uds_path[512];     /* the raw server's unix socket (same paths as raw) */
  char proxy_http[128];       /* "http://127.0.0.1:PORT" */
  char proxy_http_auth[128];  /* "http://127.0.0.1:PORT" (needs the credentials below) */
  char proxy_http_user[64];   /* "puser" */
  char proxy_http_pass[64];   /* "ppass" */
  char proxy_socks[128];      /* "socks5://127.0.0.1:PORT" (use socks5h:// for proxy DNS) */
  char proxy_socks_auth[128]; /* "socks5://127.0.0.1:PORT" (needs the credentials below) */
  char proxy_socks_user[64];  /* "suser" */
  char proxy_socks_pass[64];  /* "spass" */
  char proxy_stats[128];      /* "http://127.0.0.1:PORT/__stats" */
  char hostile[128];          /* tests/peers/hostile.py: "http://127.0.0.1:PORT" (/case/NAME) */
  char hostile_tls[128];      /* the same behind TLS: "https://localhost:PORT" (CA: ca_file) */
  char hostile_tlsraw[128];   /* "https://localhost:PORT" that never speaks TLS (/arm/NAME first) */
} peers_t;

/* base + path, e.g. U(p.nginx, "/small.txt"), in a buffer the next call reuses
 * (one per test file). */
static inline const char *U(const char *base, const char *path) {
  static char url[1024];
  snprintf(url, sizeof url, "%s%s", base, path);
  return url;
}

static inline int peers_copy_(char *dst, size_t cap, const char *val) {
  size_t n = strlen(val);
  if (n >= cap) return -1;
  memcpy(dst, val, n + 1);
  return 0;
}

/* Fill *p from the file named by HTTPX_PEERS_ENV.  Returns 0, or -1 after
 * printing why to stderr (variable unset, file missing, key missing). */
static inline int peers_load(peers_t *p) {
  const char *path = getenv("HTTPX_PEERS_ENV");
  char line[1024];
  FILE *f;
  int bad = 0;

  memset(p, 0, sizeof *p);
  if (path == NULL || *path == '\0') {
    fprintf(stderr, "peers: HTTPX_PEERS_ENV is not set (run through ctest, or "
                    "tests/peers/peers.sh start DIR and export HTTPX_PEERS_ENV=DIR/peers.env)\n");
    return -1;
  }
  f = fopen(path, "r");
  if (f == NULL) {
    fprintf(stderr, "peers: cannot open %s (are the peers started?)\n", path);
    return -1;
  }
  while (fgets(line, sizeof line, f) != NULL) {
    char *eq = strchr(line, '=');
    char *val;
    size_t n;
    if (eq == NULL) continue;
    *eq = '\0';
    val = eq + 1;
    n = strlen(val);
    while (n > 0 && (val[n - 1] == '\n' || val[n - 1] == '\r')) val[--n] = '\0';
    if (strcmp(line, "NGINX_URL") == 0) bad |= peers_copy_(p->nginx, sizeof p->nginx, val);
    else if (strcmp(line, "NGINX_URL6") == 0) bad |= peers_copy_(p->nginx6, sizeof p->nginx6, val);
    else if (strcmp(line, "NGINX_TLS_URL") == 0) bad |= peers_copy_(p->nginx_tls, sizeof p->nginx_tls, val);
    else if (strcmp(line, "NGINX_BADTLS_URL") == 0) bad |= peers_copy_(p->nginx_badtls, sizeof p->nginx_badtls, val);
    else if (strcmp(line, "NGHTTPD_URL") == 0) bad |= peers_copy_(p->nghttpd, sizeof p->nghttpd, val);
    else if (strcmp(line, "NGHTTPD_TLS_URL") == 0) bad |= peers_copy_(p->nghttpd_tls, sizeof p->nghttpd_tls, val);
    else if (strcmp(line, "NGINX_H2C_URL") == 0) bad |= peers_copy_(p->nginx_h2c, sizeof p->nginx_h2c, val);
    else if (strcmp(line, "NGINX_GOAWAY_URL") == 0) bad |= peers_copy_(p->nginx_goaway, sizeof p->nginx_goaway, val);
    else if (strcmp(line, "NGINX_MTLS_URL") == 0) bad |= peers_copy_(p->nginx_mtls, sizeof p->nginx_mtls, val);
    else if (strcmp(line, "CA_FILE") == 0) bad |= peers_copy_(p->ca_file, sizeof p->ca_file, val);
    else if (strcmp(line, "CERTS_DIR") == 0) bad |= peers_copy_(p->certs, sizeof p->certs, val);
    else if (strcmp(line, "HTTPBIN_URL") == 0) bad |= peers_copy_(p->httpbin, sizeof p->httpbin, val);
    else if (strcmp(line, "RAW_URL") == 0) bad |= peers_copy_(p->raw, sizeof p->raw, val);
    else if (strcmp(line, "WWW_DIR") == 0) bad |= peers_copy_(p->www, sizeof p->www, val);
    else if (strcmp(line, "RAW2_URL") == 0) bad |= peers_copy_(p->raw2, sizeof p->raw2, val);
    else if (strcmp(line, "UDS_PATH") == 0) bad |= peers_copy_(p->uds_path, sizeof p->uds_path, val);
    else if (strcmp(line, "PROXY_HTTP_URL") == 0) bad |= peers_copy_(p->proxy_http, sizeof p->proxy_http, val);
    else if (strcmp(line, "PROXY_HTTP_AUTH_URL") == 0) bad |= peers_copy_(p->proxy_http_auth, sizeof p->proxy_http_auth, val);
    else if (strcmp(line, "PROXY_HTTP_USER") == 0) bad |= peers_copy_(p->proxy_http_user, sizeof p->proxy_http_user, val);
    else if (strcmp(line, "PROXY_HTTP_PASS") == 0) bad |= peers_copy_(p->proxy_http_pass, sizeof p->proxy_http_pass, val);
    else if (strcmp(line, "PROXY_SOCKS_URL") == 0) bad |= peers_copy_(p->proxy_socks, sizeof p->proxy_socks, val);
    else if (strcmp(line, "PROXY_SOCKS_AUTH_URL") == 0) bad |= peers_copy_(p->proxy_socks_auth, sizeof p->proxy_socks_auth, val);
    else if (strcmp(line, "PROXY_SOCKS_USER") == 0) bad |= peers_copy_(p->proxy_socks_user, sizeof p->proxy_socks_user, val);
    else if (strcmp(line, "PROXY_SOCKS_PASS") == 0) bad |= peers_copy_(p->proxy_socks_pass, sizeof p->proxy_socks_pass, val);
    else if (strcmp(line, "PROXY_STATS_URL") == 0) bad |= peers_copy_(p->proxy_stats, sizeof p->proxy_stats, val);
    else if (strcmp(line, "HOSTILE_URL") == 0) bad |= peers_copy_(p->hostile, sizeof p->hostile, val);
    else if (strcmp(line, "HOSTILE_TLS_URL") == 0) bad |= peers_copy_(p->hostile_tls, sizeof p->hostile_tls, val);
    else if (strcmp(line, "HOSTILE_TLSRAW_URL") == 0) bad |= peers_copy_(p->hostile_tlsraw, sizeof p->hostile_tlsraw, val);
  }
  fclose(f);
  if (bad || !p->nginx[0] || !p->httpbin[0] || !p->raw[0] || !p->www[0]) {
    fprintf(stderr, "peers: %s lacks NGINX_URL, HTTPBIN_URL, RAW_URL or WWW_DIR\n", path);
    return -1;
  }
  return 0;
}

/* Peak resident set size of this process in KiB (VmHWM), or -1. */
static inline long peers_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

/* Number of open file descriptors of this process, or -1. */
static inline int peers_fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (d == NULL) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the descriptor opendir() itself holds */
}

#endif /* HTTPX_TESTS_PEERS_H */
