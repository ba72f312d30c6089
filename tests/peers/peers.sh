#!/usr/bin/env bash
# peers.sh start|stop|status DIR - the real servers the integration tests talk to.
#
# start  stops whatever an earlier run left in DIR (stale pid files included), then
#        starts, on free loopback ports:
#          nginx    static files from DIR/www (127.0.0.1 and, when available, [::1])
#          httpbin  under gunicorn, 127.0.0.1
#          raw      tests/peers/rawserver.py, the scripted fault server, 127.0.0.1,
#                   also on a unix socket (UDS_PATH)
#          raw2     a second rawserver.py on another port (cross-origin tests)
#          proxy    tests/peers/proxyserver.py: HTTP proxy + CONNECT (with and without
#                   Basic auth puser/ppass), SOCKS5 (no auth, and suser/spass)
#          hostile  tests/peers/hostile.py, the hostile-server suite's scripted server
#                   (cases in tests/hostile/): plain, TLS and raw-TLS ports, 127.0.0.1
#        waits until each answers, and writes DIR/peers.env (KEY=VALUE lines):
#          NGINX_PORT HTTPBIN_PORT RAW_PORT NGINX_URL HTTPBIN_URL RAW_URL WWW_DIR
#          NGINX_URL6 (empty when ::1 is unusable) NGINX_PID HTTPBIN_PID RAW_PID
#          RAW2_PORT RAW2_URL RAW2_PID UDS_PATH
#          PROXY_HTTP_PORT PROXY_HTTP_URL PROXY_HTTP_AUTH_PORT PROXY_HTTP_AUTH_URL
#          PROXY_HTTP_USER PROXY_HTTP_PASS PROXY_SOCKS_PORT PROXY_SOCKS_URL
#          PROXY_SOCKS_AUTH_PORT PROXY_SOCKS_AUTH_URL PROXY_SOCKS_USER PROXY_SOCKS_PASS
#          PROXY_STATS_URL PROXY_PID
#          HOSTILE_PORT HOSTILE_URL HOSTILE_TLS_URL HOSTILE_TLSRAW_URL HOSTILE_PID
#        (the *_AUTH_URLs carry no credentials; the user/password keys hold them).
#        UDS_PATH is DIR/run/raw.sock, or a socket in a private /tmp directory when
#        that path would not fit in sun_path; DIR/uds.path remembers it for stop.
#        Each server runs under `timeout` (HTTPX_PEERS_LIFETIME seconds, 1800 by
#        default); DIR/<name>.pid holds the PID of that wrapper, which is also the
#        process group of the server.  Logs: DIR/<name>.log, DIR/nginx/error.log.
# stop   TERM to every server (wrapper and its descendants) named by DIR/*.pid,
#        KILL after 5 s; removes the pid files, peers.env and the unix socket.
#        Idempotent.  A pid
#        is only signalled if its command line mentions DIR (stale pid files).
# status prints peers.env and whether each PID is alive.
#
# Debian's python modules (httpbin, gunicorn) belong to /usr/bin/python3, so it is
# always called explicitly.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
LIFETIME=${HTTPX_PEERS_LIFETIME:-1800}
NAMES=(nginx httpbin raw raw2 proxy hostile)

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

log() { echo "peers: $*"; }

# True when PID exists and is not a zombie.
proc_alive() {
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# True when PID is alive and its command line mentions our directory.
is_ours() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  proc_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"
}

# All descendants of PID (children first found by parent pid, recursively).
descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$c"
    descendants "$c"
  done
}

# The processes to signal for one pid file.  `timeout` puts itself and the server
# in a process group whose id is the wrapper's PID:
#  - wrapper alive and ours: the group plus the wrapper's descendants;
#  - wrapper alive but not ours (PID reused after a crash): nothing;
#  - wrapper gone: whatever is left in its group (orphaned workers after a crash;
#    Linux does not hand out a PID still in use as a group id, so they are ours).
server_tree() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if proc_alive "$pid"; then
    is_ours "$pid" || return 0
    { echo "$pid"; descendants "$pid"; pgrep -g "$pid" 2>/dev/null || true; } | sort -un
  else
    pgrep -g "$pid" 2>/dev/null || true
  fi
}

# The unix socket of the raw server (it removes it itself on TERM; not on KILL).
remove_uds() {
  local p
  [ -f "$dir/uds.path" ] || return 0
  p=$(head -n1 "$dir/uds.path")
  case "$p" in
    "$dir"/*|/tmp/httpx-peers-uds.*/raw.sock)
      [ -S "$p" ] && rm -f "$p"
      case "$p" in /tmp/httpx-peers-uds.*) rmdir "$(dirname "$p")" 2>/dev/null || true ;; esac ;;
  esac
  rm -f "$dir/uds.path"
}

stop_all() {
  local f pid p all=() alive alive2 i tree
  shopt -s nullglob
  for f in "$dir"/*.pid; do
    pid=$(head -n1 "$f" 2>/dev/null || true)
    tree=$(server_tree "$pid")
    if [ -n "$tree" ]; then
      # shellcheck disable=SC2086
      kill -TERM $tree 2>/dev/null || true
      # shellcheck disable=SC2206
      all+=($tree)
      log "stopping $(basename "$f" .pid) (pid $pid)"
    fi
    rm -f "$f"
  done
  shopt -u nullglob
  rm -f "$dir/peers.env"
  remove_uds
  [ ${#all[@]} -eq 0 ] && return 0
  for i in $(seq 50); do
    alive=()
    for p in "${all[@]}"; do proc_alive "$p" && alive+=("$p"); done
    [ ${#alive[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  log "killing ${alive[*]} (still alive after 5 s)"
  kill -KILL "${alive[@]}" 2>/dev/null || true
  for i in $(seq 20); do
    alive2=()
    for p in "${alive[@]}"; do proc_alive "$p" && alive2+=("$p"); done
    [ ${#alive2[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  return 0
}

fail() {
  echo "peers: $*" >&2
  local n
  for n in "${NAMES[@]}"; do
    if [ -s "$dir/$n.log" ]; then echo "--- $dir/$n.log (tail)" >&2; tail -n 20 "$dir/$n.log" >&2; fi
  done
  if [ -s "$dir/nginx/error.log" ]; then
    echo "--- $dir/nginx/error.log (tail)" >&2; tail -n 20 "$dir/nginx/error.log" >&2
  fi
  stop_all >/dev/null 2>&1 || true
  exit 1
}

# Start "$@" under timeout in DIR, output to DIR/NAME.log, pid to DIR/NAME.pid.
launch() {
  local name=$1; shift
  ( cd "$dir" && exec env -u PYTHONPATH -u PYTHONHOME -u PYTHONSTARTUP \
      timeout -k 5 "$LIFETIME" "$@" ) >"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

make_www() {
  local www=$dir/www
  rm -rf "$www"
  mkdir -p "$www/gzip"
  printf 'hello from nginx\n' >"$www/small.txt"
  head -c 1024 /dev/urandom >"$www/1k.bin"
  head -c 65536 /dev/urandom >"$www/64k.bin"
  truncate -s 1G "$www/big.bin"
  local i
  for i in $(seq 1 200); do
    printf 'line %03d: the quick brown fox jumps over the lazy dog\n' "$i"
  done >"$www/gzip/text.txt"
  cp "$www/small.txt" "$www/gzip/small.txt"
}

start_all() {
  stop_all
  rm -rf "$dir/run"
  mkdir -p "$dir/nginx" "$dir/run"
  for n in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$dir/nginx/$n"; done
  make_www

  # Three distinct free ports on 127.0.0.1; nginx's must also be free on ::1.
  local ports
  ports=$("$PY" - <<'EOF'
import errno, socket
def v6_ok(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::1", port))
        return 1
    except OSError as e:
        return None if e.errno == errno.EADDRINUSE else 0
    finally:
        s.close()
for attempt in range(50):
    socks = []
    for _ in range(18):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    v6 = v6_ok(ports[0])
    for s in socks:
        s.close()
    if v6 is not None:
        break
print(ports[0], ports[1], ports[2], v6, *ports[3:])
EOF
  ) || fail "cannot pick free ports"
  local nginx_port httpbin_port raw_port v6 tls_port badtls_port mtls_port goaway_port h2c_port
  local raw2_port phttp_port phttp_auth_port psocks_port psocks_auth_port uds nghttpd_port nghttpd_tls_port
  local hostile_port hostile_tls_port hostile_tlsraw_port
  read -r nginx_port httpbin_port raw_port v6 tls_port badtls_port mtls_port goaway_port h2c_port \
    raw2_port phttp_port phttp_auth_port psocks_port psocks_auth_port nghttpd_port nghttpd_tls_port \
    hostile_port hostile_tls_port hostile_tlsraw_port <<<"$ports"
  # sun_path holds 107 bytes: a deep build directory gets a private /tmp directory.
  uds=$dir/run/raw.sock
  if [ ${#uds} -gt 100 ]; then
    uds=$(mktemp -d /tmp/httpx-peers-uds.XXXXXX)/raw.sock || fail "cannot make a unix socket directory"
  fi
  echo "$uds" >"$dir/uds.path"
  "$HERE/certs.sh" "$dir/certs" || fail "cannot make test certificates"

  # nginx: render the template.
  "$PY" - "$HERE/nginx.conf.in" "$dir/nginx/nginx.conf" "$dir" "$nginx_port" "$v6" "$(id -u)" "$tls_port" "$badtls_port" "$mtls_port" "$goaway_port" "$h2c_port" <<'EOF' \
    || fail "cannot render nginx.conf"
import sys
src, dst, d, port, v6, uid, tlsport, badtlsport, mtlsport, goawayport, h2cport = sys.argv[1:]
t = open(src).read()
t = t.replace("@USER_LINE@", "user root;" if uid == "0" else "")
t = t.replace("@LISTEN6@", "listen [::1]:%s;" % port if v6 == "1" else "")
t = t.replace("@PORT@", port).replace("@DIR@", d)
t = t.replace("@TLSPORT@", tlsport).replace("@BADTLSPORT@", badtlsport).replace("@MTLSPORT@", mtlsport)
t = t.replace("@GOAWAYPORT@", goawayport).replace("@H2CPORT@", h2cport)
open(dst, "w").write(t)
EOF
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || fail "nginx not installed (make deps)"
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx_bin" -t -q -p "$dir/nginx/" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" \
    >"$dir/nginx.log" 2>&1 || fail "nginx config test failed: $(cat "$dir/nginx.log")"
  launch nginx "$nginx_bin" -p "$dir/nginx/" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf"

  # httpbin under gunicorn (Debian's python3-httpbin / gunicorn).
  launch httpbin "$PY" -m gunicorn -b "127.0.0.1:$httpbin_port" -w 2 \
    --graceful-timeout 2 --worker-tmp-dir "$dir/run" httpbin:app

  # Scripted fault server.
  launch raw "$PY" "$HERE/rawserver.py" --port "$raw_port" --port-file "$dir/run/raw.port" \
    --uds "$uds" --lifetime "$LIFETIME"
  # nghttpd (nghttp2's own server): HTTP/2 with prior knowledge, and over TLS.
  if command -v nghttpd >/dev/null 2>&1 || [ -x /usr/sbin/nghttpd ]; then
    local ngd
    ngd=$(command -v nghttpd || echo /usr/sbin/nghttpd)
    launch nghttpd "$ngd" --no-tls -a 127.0.0.1 -d "$dir/www" "$nghttpd_port"
    launch nghttpd_tls "$ngd" -a 127.0.0.1 -d "$dir/www" "$nghttpd_tls_port" \
      "$dir/certs/server.key" "$dir/certs/server.pem"
  fi
  launch raw2 "$PY" "$HERE/rawserver.py" --port "$raw2_port" --port-file "$dir/run/raw2.port" \
    --lifetime "$LIFETIME"

  # Hostile-server suite (tests/hostile/*.case): plain, TLS and raw-TLS ports.
  launch hostile "$PY" "$HERE/hostile.py" --cases "$HERE/../hostile" --port "$hostile_port" \
    --tls-port "$hostile_tls_port" --tlsraw-port "$hostile_tlsraw_port" \
    --cert "$dir/certs/server.pem" --key "$dir/certs/server.key" \
    --port-file "$dir/run/hostile.port" --lifetime "$LIFETIME" --quiet

  # Proxies (HTTP, CONNECT, SOCKS5).
  launch proxy "$PY" "$HERE/proxyserver.py" --http-port "$phttp_port" \
    --http-auth-port "$phttp_auth_port" --socks-port "$psocks_port" \
    --socks-auth-port "$psocks_auth_port" --port-file "$dir/run/proxy.port" --lifetime "$LIFETIME"

  # Wait (at most 60 s) until each one answers; give up early if one died.
  "$PY" - "$nginx_port" "$httpbin_port" "$raw_port" "$v6" \
      "$(cat "$dir/nginx.pid")" "$(cat "$dir/httpbin.pid")" "$(cat "$dir/raw.pid")" \
      "$(cat "$dir/raw2.pid")" "$(cat "$dir/proxy.pid")" \
      "$raw2_port" "$phttp_port" "$phttp_auth_port" "$psocks_port" "$psocks_auth_port" "$uds" <<'EOF' \
    || fail "peers did not come up"
import os, socket, sys, time, urllib.request
np, hp, rp, v6 = sys.argv[1:5]
pids = dict(zip(("nginx", "httpbin", "raw", "raw2", "proxy"), map(int, sys.argv[5:10])))
r2p, pp, pap, sp, sap, uds = sys.argv[10:16]
checks = [("nginx", "http://127.0.0.1:%s/small.txt" % np, b"hello from nginx"),
          ("httpbin", "http://127.0.0.1:%s/get" % hp, b'"url"'),
          ("raw", "http://127.0.0.1:%s/ok" % rp, b"hello"),
          ("raw2", "http://127.0.0.1:%s/ok" % r2p, b"hello"),
          ("proxy", "http://127.0.0.1:%s/__stats" % pp, b'"socks_auth"'),
          ("proxy", "http://127.0.0.1:%s/__stats" % pap, b'"socks_auth"'),
          ("proxy", "socks:%s" % sp, b""),
          ("proxy", "socks:%s" % sap, b""),
          ("raw", "unix:" + uds, b"hello")]

def probe(url, want):
    """Plain sockets for the unix socket and the SOCKS ports (urllib has neither)."""
    kind, arg = url.split(":", 1)
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(arg)
            s.sendall(b"GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
            return data.startswith(b"HTTP/1.1 200") and want in data
        finally:
            s.close()
    with socket.create_connection(("127.0.0.1", int(arg)), timeout=2) as s:
        s.sendall(b"\x05\x02\x00\x02")              # offers no-auth and user/pass
        return len(s.recv(2)) == 2                       # either answer means it is up

if v6 == "1":
    checks.append(("nginx", "http://[::1]:%s/small.txt" % np, b"hello from nginx"))
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never a proxy
end = time.monotonic() + 60
pending = list(checks)
while pending:
    for name, pid in pids.items():
        try:
            os.kill(pid, 0)
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    raise ProcessLookupError
        except (ProcessLookupError, FileNotFoundError):
            print("peers: %s exited during start" % name, file=sys.stderr)
            sys.exit(1)
    for c in list(pending):
        try:
            if not c[1].startswith("http"):
                if probe(c[1], c[2]):
                    pending.remove(c)
                continue
            with opener.open(c[1], timeout=2) as r:
                if r.status == 200 and c[2] in r.read():
                    pending.remove(c)
        except Exception:
            pass
    if not pending:
        break
    if time.monotonic() > end:
        print("peers: no answer from %s" % ", ".join(c[1] for c in pending), file=sys.stderr)
        sys.exit(1)
    time.sleep(0.1)
# The probes above went through the proxy's listeners: start the counters at 0.
opener.open("http://127.0.0.1:%s/__stats?reset=1" % pp, timeout=5).read()
EOF

  # The hostile server: wait (at most 20 s) until it answers /ok.
  "$PY" - "$hostile_port" "$(cat "$dir/hostile.pid")" <<'EOF' || fail "hostile server did not come up"
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
end = time.monotonic() + 20
while True:
    try:
        with opener.open("http://127.0.0.1:%s/ok" % port, timeout=2) as r:
            if r.read() == b"hello":
                break
    except Exception:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("peers: hostile exited during start")
    if time.monotonic() > end:
        sys.exit("peers: no answer from the hostile server")
    time.sleep(0.1)
EOF

  # nghttpd answers quickly; wait (at most 10 s) until both ports accept.
  if [ -f "$dir/nghttpd.pid" ]; then
    local port tries
    for port in "$nghttpd_port" "$nghttpd_tls_port"; do
      tries=0
      until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && fail "nghttpd did not come up on port $port"
        sleep 0.1
      done
    done
  fi

  local url6=""
  [ "$v6" = 1 ] && url6="http://[::1]:$nginx_port"
  cat >"$dir/peers.env.tmp" <<EOF
NGINX_PORT=$nginx_port
HTTPBIN_PORT=$httpbin_port
RAW_PORT=$raw_port
NGINX_URL=http://127.0.0.1:$nginx_port
NGINX_URL6=$url6
HTTPBIN_URL=http://127.0.0.1:$httpbin_port
RAW_URL=http://127.0.0.1:$raw_port
WWW_DIR=$dir/www
NGINX_TLS_PORT=$tls_port
NGINX_TLS_URL=https://localhost:$tls_port
NGINX_BADTLS_URL=https://localhost:$badtls_port
NGINX_MTLS_URL=https://localhost:$mtls_port
NGINX_GOAWAY_URL=https://localhost:$goaway_port
NGINX_H2C_URL=http://127.0.0.1:$h2c_port
NGHTTPD_URL=http://127.0.0.1:$nghttpd_port
NGHTTPD_TLS_URL=https://localhost:$nghttpd_tls_port
CERTS_DIR=$dir/certs
CA_FILE=$dir/certs/ca.pem
NGINX_PID=$(cat "$dir/nginx.pid")
HTTPBIN_PID=$(cat "$dir/httpbin.pid")
RAW_PID=$(cat "$dir/raw.pid")
RAW2_PORT=$raw2_port
RAW2_URL=http://127.0.0.1:$raw2_port
RAW2_PID=$(cat "$dir/raw2.pid")
UDS_PATH=$uds
PROXY_HTTP_PORT=$phttp_port
PROXY_HTTP_URL=http://127.0.0.1:$phttp_port
PROXY_HTTP_AUTH_PORT=$phttp_auth_port
PROXY_HTTP_AUTH_URL=http://127.0.0.1:$phttp_auth_port
PROXY_HTTP_USER=puser
PROXY_HTTP_PASS=ppass
PROXY_SOCKS_PORT=$psocks_port
PROXY_SOCKS_URL=socks5://127.0.0.1:$psocks_port
PROXY_SOCKS_AUTH_PORT=$psocks_auth_port
PROXY_SOCKS_AUTH_URL=socks5://127.0.0.1:$psocks_auth_port
PROXY_SOCKS_USER=suser
PROXY_SOCKS_PASS=spass
PROXY_STATS_URL=http://127.0.0.1:$phttp_port/__stats
PROXY_PID=$(cat "$dir/proxy.pid")
HOSTILE_PORT=$hostile_port
HOSTILE_URL=http://127.0.0.1:$hostile_port
HOSTILE_TLS_URL=https://localhost:$hostile_tls_port
HOSTILE_TLSRAW_URL=https://localhost:$hostile_tlsraw_port
HOSTILE_PID=$(cat "$dir/hostile.pid")
EOF
  mv "$dir/peers.env.tmp" "$dir/peers.env"
  log "up: nginx :$nginx_port${url6:+ (and [::1])}, httpbin :$httpbin_port, raw :$raw_port (unix:$uds), raw2 :$raw2_port, proxy http :$phttp_port auth :$phttp_auth_port socks :$psocks_port auth :$psocks_auth_port; env in $dir/peers.env"
}

case "$cmd" in
  start)
    # Ports are picked, released, then bound by the servers: another program may
    # take one in between, so a failed start is retried with fresh ports.
    for attempt in 1 2 3; do
      if ( start_all ); then exit 0; fi
      [ "$attempt" -lt 3 ] && log "start failed, retrying with new ports"
    done
    exit 1
    ;;
  stop) stop_all; log "stopped ($dir)" ;;
  status)
    [ -f "$dir/peers.env" ] && cat "$dir/peers.env" || echo "no peers.env in $dir"
    shopt -s nullglob
    for f in "$dir"/*.pid; do
      pid=$(head -n1 "$f")
      if is_ours "$pid"; then echo "$(basename "$f" .pid): $pid running"; else echo "$(basename "$f" .pid): $pid not running"; fi
    done
    ;;
  *) usage ;;
esac
