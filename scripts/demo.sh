#!/usr/bin/env bash
# demo.sh BUILD_DIR - what `make demo` shows: libhttpx talking to real servers.
#
# Starts the test peers (nginx, httpbin, the scripted fault server) on loopback in
# a temporary directory, runs the demo program and the `httpx` command-line tool
# against them, and stops the peers again whatever happens.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
PEERS=$ROOT/tests/peers/peers.sh
CLIENT_TIMEOUT=${HTTPX_DEMO_TIMEOUT:-60}

bold=""; off=""
if [ -t 1 ]; then bold=$'\e[1m'; off=$'\e[0m'; fi
section() { printf '\n%s==== %s ====%s\n' "$bold" "$*" "$off"; }
note() { printf '  (%s)\n' "$*"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/httpx-demo.XXXXXX")
# shellcheck disable=SC2317  # invoked by trap
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

section "Starting the peers (loopback only)"
if ! "$PEERS" start "$tmp/peers"; then
  echo "demo: could not start the peers; is everything installed? (make deps)" >&2
  exit 1
fi
# shellcheck disable=SC1091
. "$tmp/peers/peers.env"
echo "  nginx   $NGINX_URL   (static files)"
echo "  httpbin $HTTPBIN_URL   (httpbin under gunicorn)"
echo "  raw     $RAW_URL   (scripted faults: tests/peers/rawserver.py)"

status=0

# Run a client command bounded in time, echoing it first.  Returns its status.
run() {
  show "$*"
  timeout -k 5 "$CLIENT_TIMEOUT" "$@"
}

section "Demo program: $BUILD/example_demo"
if [ -x "$BUILD/example_demo" ]; then
  if run "$BUILD/example_demo" "$NGINX_URL" "$RAW_URL"; then
    echo "  -> example_demo finished OK"
  else
    rc=$?
    echo "  -> example_demo FAILED (exit $rc)"
    status=1
  fi
else
  note "example_demo is not built yet (examples/demo.c); skipping"
fi

section "The spec's async page, in C (examples/)"
for ex in "async_get $NGINX_URL/small.txt" \
          "async_stream $NGINX_URL/big.bin" \
          "parallel $NGINX_URL/small.txt $RAW_URL/ok $HTTPBIN_URL/get $RAW_URL/truncated-body" \
          "async_service $NGINX_URL/small.txt" \
          "faq_wrong_way $RAW_URL/ok"; do
  set -- $ex
  name=$1; shift
  if [ -x "$BUILD/example_$name" ]; then
    echo "-- examples/$name.c"
    if ! run "$BUILD/example_$name" "$@"; then
      echo "  -> example_$name FAILED"; status=1
    fi
  else
    note "example_$name is not built; skipping"
  fi
done

section "Command-line tool: $BUILD/httpx"
if [ -x "$BUILD/httpx" ]; then
  echo "-- a GET: body on stdout"
  if run "$BUILD/httpx" "$NGINX_URL/small.txt"; then
    echo "  -> OK"
  else
    echo "  -> FAILED (exit $?)"; status=1
  fi

  echo
  echo "-- a download to a file, compared with the file nginx served"
  out=$tmp/64k.bin
  if run "$BUILD/httpx" -o "$out" "$NGINX_URL/64k.bin"; then
    if cmp -s "$out" "$WWW_DIR/64k.bin"; then
      echo "  -> OK: $(wc -c <"$out") bytes, identical to $WWW_DIR/64k.bin"
    else
      echo "  -> FAILED: downloaded file differs from the original"; status=1
    fi
  else
    echo "  -> FAILED (exit $?)"; status=1
  fi

  echo
  echo "-- a request that must fail: the server promises 100 bytes, sends 10, hangs up"
  if run "$BUILD/httpx" "$RAW_URL/truncated-body"; then
    echo "  -> UNEXPECTED: the truncated response was accepted"; status=1
  else
    echo "  -> failed as it should (exit $?); the error message above says why"
  fi
else
  note "the httpx CLI is not built yet (cli/*.c); skipping"
fi

section "Stopping the peers"
"$PEERS" stop "$tmp/peers"

section "Done"
if [ "$status" -eq 0 ]; then echo "demo: all shown steps behaved as expected"; else echo "demo: some steps FAILED (see above)"; fi
exit "$status"
