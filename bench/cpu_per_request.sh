#!/usr/bin/env bash
# cpu_per_request.sh BUILD_DIR - client CPU time per keep-alive GET: libhttpx vs libcurl.
#
# Starts the peers (tests/peers/peers.sh, nginx is the server used), builds
# bench/curl_keepalive.c against libcurl, then makes N (BENCH_N, 100000) GETs of
# /small.txt over keep-alive at concurrency C (BENCH_C, 1) with
#   - curl_keepalive                      (libcurl multi, curl_multi_poll)
#   - $BUILD/bench_httpx_keepalive        (libhttpx; skipped when not built)
# Both take "URL N C" and print "requests=N wall_s=X cpu_us_per_req=Y".
# Prints both lines and the ratio httpx/curl of cpu_us_per_req, then stops the
# peers.  Not part of CTest.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
N=${BENCH_N:-100000}
C=${BENCH_C:-1}
LIMIT=${BENCH_TIMEOUT:-900}       # seconds per client run
PEERS=$ROOT/tests/peers/peers.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/httpx-bench.XXXXXX")
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  "$PEERS" stop "$tmp/peers" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "== building curl_keepalive"
cflags=$(pkg-config --cflags libcurl 2>/dev/null || true)
libs=$(pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
# shellcheck disable=SC2086
if ! ${CC:-cc} -O2 -Wall -Wextra $cflags -o "$tmp/curl_keepalive" "$ROOT/bench/curl_keepalive.c" $libs; then
  echo "bench: cannot build curl_keepalive (libcurl4-openssl-dev installed? make deps)" >&2
  exit 1
fi

echo "== starting the peers"
"$PEERS" start "$tmp/peers" || { echo "bench: peers did not start" >&2; exit 1; }
# shellcheck disable=SC1091
. "$tmp/peers/peers.env"
url=$NGINX_URL/small.txt
echo "   $N keep-alive GETs of $url, concurrency $C"

result() { sed -n 's/.*cpu_us_per_req=\([0-9.]*\).*/\1/p' <<<"$1"; }

echo "== libcurl"
curl_out=$(timeout -k 5 "$LIMIT" "$tmp/curl_keepalive" "$url" "$N" "$C") || {
  echo "bench: curl_keepalive failed" >&2; exit 1; }
echo "curl : $curl_out"

httpx_out=""
echo "== libhttpx"
if [ -x "$BUILD/bench_httpx_keepalive" ]; then
  httpx_out=$(timeout -k 5 "$LIMIT" "$BUILD/bench_httpx_keepalive" "$url" "$N" "$C") || {
    echo "bench: bench_httpx_keepalive failed" >&2; exit 1; }
else
  echo "   ($BUILD/bench_httpx_keepalive is not built yet; only the libcurl figure is shown)"
fi

echo
echo "== results ($N requests, concurrency $C, server nginx on loopback)"
echo "curl : $curl_out"
if [ -n "$httpx_out" ]; then
  echo "httpx: $httpx_out"
  cu=$(result "$curl_out"); hu=$(result "$httpx_out")
  if [ -n "$cu" ] && [ -n "$hu" ]; then
    awk -v h="$hu" -v c="$cu" 'BEGIN {
      if (c > 0) printf "ratio httpx/curl cpu_us_per_req = %.2f (below 1: libhttpx uses less CPU)\n", h / c
      else print "ratio: libcurl figure is zero" }'
  else
    echo "ratio: cannot parse the outputs"
  fi
fi
echo "== stopping the peers"
"$PEERS" stop "$tmp/peers"
