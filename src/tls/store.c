/* tls/store.c — the trust store, loaded once per context.
 *
 * Parsing a bundle of ~145 CA certificates costs milliseconds and ~1 MB; doing it per
 * connection is what makes naive clients slow (DESIGN.md). So a context either loads
 * one bundle once, or — the default on Debian — points OpenSSL at the hashed directory
 * (/etc/ssl/certs), where each handshake looks up only the issuers it needs. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/err.h"
#include "tls/internal.h"
#include "core/banned.h"

static int load_file(SSL_CTX *ssl, const char *path, httpx_error_t *err)
{
    if (SSL_CTX_load_verify_file(ssl, path) == 1)
        return 0;
    char why[160];
    httpx__tls_reason(why, sizeof why);
    return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP, "tls: cannot load CA file \"%s\": %s",
                      path, why);
}

static int load_dir(SSL_CTX *ssl, const char *path, httpx_error_t *err)
{
    struct stat st;
    const char *why = stat(path, &st) != 0 ? strerror(errno)
                      : !S_ISDIR(st.st_mode)   ? "not a directory"
                                               : NULL;
    if (why)
        return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP, "tls: CA directory \"%s\": %s",
                          path, why);
    if (SSL_CTX_load_verify_dir(ssl, path) == 1)
        return 0;
    char reason[160];
    httpx__tls_reason(reason, sizeof reason);
    return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP, "tls: cannot use CA directory \"%s\": %s",
                      path, reason);
}

/* True if dir holds at least one c_rehash link ("1a2b3c4d.0"): only then can lookups
 * by hash find anything (Fedora's cert dir, for one, holds only a bundle). */
static bool hashed_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t i = 0;
        while (i < 8 && ((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
            i++;
        found = i == 8 && n[8] == '.' && n[9] >= '0' && n[9] <= '9';
    }
    closedir(d);
    return found;
}

int httpx__tls_store_load(SSL_CTX *ssl, const httpx__tls_config_t *cfg, httpx_error_t *err)
{
    int rc;
    if (cfg->ca_file || cfg->ca_dir) {
        if (cfg->ca_file && (rc = load_file(ssl, cfg->ca_file, err)) != 0)
            return rc;
        if (cfg->ca_dir && (rc = load_dir(ssl, cfg->ca_dir, err)) != 0)
            return rc;
        return 0;
    }
    /* The environment, when set, names the whole trust (as for curl and Python), rather
     * than adding to OpenSSL's defaults. secure_getenv: ignored in setuid programs. */
    const char *efile = secure_getenv(X509_get_default_cert_file_env());
    const char *edir = secure_getenv(X509_get_default_cert_dir_env());
    if ((efile && *efile) || (edir && *edir)) {
        if (efile && *efile && (rc = load_file(ssl, efile, err)) != 0)
            return rc;
        if (edir && *edir && (rc = load_dir(ssl, edir, err)) != 0)
            return rc;
        return 0;
    }
    const char *dir = X509_get_default_cert_dir();
    if (hashed_dir(dir))
        return load_dir(ssl, dir, err);
    const char *file = X509_get_default_cert_file();
    if (SSL_CTX_load_verify_file(ssl, file) == 1)
        return 0;
    ERR_clear_error();
    return httpx__err(err, HTTPX_E_TLS, HTTPX_PHASE_SETUP,
                      "tls: no system trust store (\"%s\" has no hashed certificates, \"%s\" "
                      "cannot be read); set SSL_CERT_FILE or a CA file",
                      dir, file);
}
