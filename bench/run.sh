#!/usr/bin/env bash
# bench/run.sh [full|quick] — libhttpx side by side with its peers (issue 6).
#
#   make bench         full run, under 15 minutes
#   make bench-quick   the same scenarios scaled down, under 2 minutes (once built)
#
# 1. Installs what is missing: the project's packages through scripts/deps.sh, and
#    the bench-only Debian packages (python3-httpx, python3-h2, python3-aiohttp,
#    gnuplot-nox, hyperfine) with apt-get, quietly. A package that cannot be had is
#    reported and its rows are skipped (BENCH_NO_INSTALL=1: install nothing).
# 2. Builds libhttpx Release in build-bench/ (cmake; its bench/httpx_*.c drivers
#    come with it) and the other drivers with cc -O2 into build-bench/bench-tools/.
# 3. Starts the servers on loopback, each bounded by `timeout` and stopped by PID on
#    exit: tests/peers/peers.sh (nginx with one worker, plain, TLS h1/h2) into a
#    temporary directory, and bench/fastserver.
# 4. Runs bench/bench.py, which runs every scenario alternating the peers, writes
#    bench/results.md, bench/results.png (and results.dat, profile-h1.callgrind;
#    a quick run writes results-quick.*),
#    and prints the ratios.
# Environment: BENCH_ONLY=h1,h2,download,handshake,idle,process,loops,counters
# runs a subset; BENCH_SKIP_BUILD=1 uses build-bench/ as it is.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=${1:-full}
case "$MODE" in full | quick) ;; *) echo "usage: $0 [full|quick]" >&2; exit 2 ;; esac
BB=$ROOT/build-bench
TOOLS=$BB/bench-tools
PY=/usr/bin/python3
if [ "$MODE" = quick ]; then LIFETIME=600; else LIFETIME=1500; fi

# ---- 1. packages ---------------------------------------------------------------
if [ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
  "$ROOT/scripts/deps.sh"
  extra=()
  for p in python3-httpx python3-h2 python3-aiohttp gnuplot-nox hyperfine; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || extra+=("$p")
  done
  if [ ${#extra[@]} -gt 0 ]; then
    echo "bench: installing ${extra[*]}"
    SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    if ! $SUDO apt-get install -y -q --no-install-recommends "${extra[@]}" >/tmp/httpx-bench-apt.log 2>&1; then
      $SUDO apt-get update -q >>/tmp/httpx-bench-apt.log 2>&1 || true
      $SUDO apt-get install -y -q --no-install-recommends "${extra[@]}" >>/tmp/httpx-bench-apt.log 2>&1 ||
        echo "bench: could not install ${extra[*]} (see /tmp/httpx-bench-apt.log); their rows are skipped"
    fi
  fi
fi
command -v gnuplot >/dev/null || echo "bench: gnuplot not found: no results.png (apt-get install gnuplot-nox)"
for t in wrk h2load valgrind strace nginx; do
  command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "bench: $t is missing (make deps)" >&2; exit 1; }
done

# ---- 2. build --------------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building libhttpx (Release) in build-bench/"
  if ! { cmake -S "$ROOT" -B "$BB" -DCMAKE_BUILD_TYPE=Release -DHTTPX_TESTS=OFF >"$BB.log" 2>&1 &&
         cmake --build "$BB" -j"$(nproc)" >>"$BB.log" 2>&1; }; then
    tail -30 "$BB.log" >&2
    echo "bench: the library did not build (log: $BB.log)" >&2
    exit 1
  fi
fi
mkdir -p "$TOOLS"
CC=${CC:-cc}
W="-O2 -Wall -Wextra"
curl_flags=$(pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl)
ssl_flags=$(pkg-config --cflags --libs openssl 2>/dev/null || echo "-lssl -lcrypto")
build_tool() { # name source flags...
  local name=$1 src=$2; shift 2
  if [ ! -x "$TOOLS/$name" ] || [ "$src" -nt "$TOOLS/$name" ]; then
    # shellcheck disable=SC2068
    $CC $W -o "$TOOLS/$name" "$src" $@ || { echo "bench: cannot build $name" >&2; exit 1; }
  fi
}
build_tool fastserver "$ROOT/bench/fastserver.c"
build_tool curl_keepalive "$ROOT/bench/curl_keepalive.c" "$curl_flags"
build_tool curl_multisocket "$ROOT/bench/curl_multisocket.c" "$curl_flags"
build_tool curl_conns "$ROOT/bench/curl_conns.c" "$curl_flags"
build_tool floor_download "$ROOT/bench/floor_download.c" "$ssl_flags"
build_tool malloc_count.so "$ROOT/bench/malloc_count.c" -shared -fPIC -ldl
for d in httpx_keepalive httpx_download httpx_conns; do
  [ -x "$BB/bench_$d" ] || { echo "bench: $BB/bench_$d was not built" >&2; exit 1; }
done

# ---- 3. servers ------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/httpx-bench.XXXXXX")
fast_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$fast_pid" ]; then kill -TERM "$fast_pid" 2>/dev/null || true; wait "$fast_pid" 2>/dev/null || true; fi
  "$ROOT/tests/peers/peers.sh" stop "$tmp/peers" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "== starting the servers (nginx, one worker; fastserver)"
HTTPX_PEERS_LIFETIME=$LIFETIME "$ROOT/tests/peers/peers.sh" start "$tmp/peers" >"$tmp/peers.log" 2>&1 ||
  { cat "$tmp/peers.log" >&2; echo "bench: peers did not start" >&2; exit 1; }
# shellcheck disable=SC1091
. "$tmp/peers/peers.env"
timeout -k 5 "$LIFETIME" "$TOOLS/fastserver" "$tmp/fast.port" "$LIFETIME" &
fast_pid=$!
for _ in $(seq 50); do [ -s "$tmp/fast.port" ] && break; sleep 0.1; done
[ -s "$tmp/fast.port" ] || { echo "bench: fastserver did not start" >&2; exit 1; }

quickstart=
[ -x "$BB/example_quickstart" ] && quickstart=$BB/example_quickstart
cat >"$tmp/config.json" <<EOF
{"mode": "$MODE", "outdir": "$ROOT/bench",
 "tools": {"httpx_keepalive": "$BB/bench_httpx_keepalive", "httpx_download": "$BB/bench_httpx_download",
           "httpx_conns": "$BB/bench_httpx_conns", "curl_keepalive": "$TOOLS/curl_keepalive",
           "curl_multisocket": "$TOOLS/curl_multisocket", "curl_conns": "$TOOLS/curl_conns",
           "floor_download": "$TOOLS/floor_download", "malloc_count": "$TOOLS/malloc_count.so",
           "httpx_py": "$ROOT/bench/httpx_py.py"},
 "quickstart": "$quickstart",
 "nginx_url": "$NGINX_URL", "nginx_tls_url": "$NGINX_TLS_URL", "ca_file": "$CA_FILE",
 "nginx_pid": "$NGINX_PID", "fast_port": "$(cat "$tmp/fast.port")", "fast_pid": "$fast_pid"}
EOF

# ---- 4. scenarios ----------------------------------------------------------------
echo "== running the $MODE bench"
env -u PYTHONPATH -u PYTHONHOME timeout -k 10 "$LIFETIME" "$PY" "$ROOT/bench/bench.py" "$tmp/config.json"
