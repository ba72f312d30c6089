/* h2/internal.h — shared between the files of src/h2 only. */
#ifndef HTTPX_H2_INTERNAL_H
#define HTTPX_H2_INTERNAL_H

#include <nghttp2/nghttp2.h>
#include "h2/session.h"

/* The request's header list for nghttp2_submit_request: pseudo-header fields
 * first, then the caller's fields with names lower-cased and connection-specific
 * ones dropped (RFC 9113 8.2.2, 8.3.1). On success *nva points into one block:
 * `scratch` (scratch_len bytes, aligned for nghttp2_nv) when the list fits there,
 * else a block allocated with `a` (*block, freed by the caller; NULL when the
 * scratch was used). Names may point into the block; values point into the
 * caller's strings: valid while those are. `checked`: the caller has validated
 * the field names (tokens) and values, authority, path and scheme (no CR, LF or
 * NUL) already; they are not looked at again. Returns 0, HTTPX_E_INVAL (message in *err) or HTTPX_E_NOMEM. */
int httpx__h2_build_request(const httpx_allocator_t *a, const char *method, const char *scheme,
                            const char *authority, const char *path,
                            const httpx__h2_field_t *fields, size_t n, bool checked,
                            void *scratch, size_t scratch_len, nghttp2_nv **nva, size_t *nnv,
                            void **block, httpx_error_t *err);

#endif
