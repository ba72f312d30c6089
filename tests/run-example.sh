#!/usr/bin/env bash
# run-example.sh BINARY ARG... — run an example with NGINX_URL/..., RAW_URL/...,
# HTTPBIN_URL/... arguments expanded from the peers' env file.
set -euo pipefail
. "$HTTPX_PEERS_ENV"
bin=$1; shift
args=()
for a in "$@"; do
  a=${a/#NGINX_URL/$NGINX_URL}; a=${a/#RAW_URL/$RAW_URL}; a=${a/#HTTPBIN_URL/$HTTPBIN_URL}
  args+=("$a")
done
exec "$(dirname "$0")/run-test.sh" "$bin" "${args[@]}"
