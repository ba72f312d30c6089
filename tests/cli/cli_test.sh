#!/usr/bin/env bash
# The httpx tool as a user runs it, against the suite's peers: stdout, stderr, exit
# codes and written files; colours and the progress bar under a pseudo-terminal
# (script), plain output when piped.
set -u
HTTPX=$(realpath "$1")
. "$HTTPX_PEERS_ENV"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0; n=0
check() { # check NAME EXPECTED_RC CMD... ; stdout in $tmp/out, stderr in $tmp/err
  local name=$1 want=$2; shift 2
  n=$((n+1))
  timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; sed 's/^/  stderr: /' "$tmp/err" | head -5; fails=$((fails+1)); return 1
  fi
  echo "ok   $name"
}
has() { # has FILE TEXT
  grep -qF -- "$2" "$1" || { echo "FAIL: $(basename "$1") lacks '$2'"; head -5 "$1" | sed 's/^/  /'; fails=$((fails+1)); }
}

check "GET to stdout" 0 "$HTTPX" "$NGINX_URL/small.txt";                    has "$tmp/out" "hello from nginx"
check "-i prints the head" 0 "$HTTPX" -i "$NGINX_URL/small.txt";            has "$tmp/out" "HTTP/1.1 200 OK"
check "piped output has no colour" 0 "$HTTPX" -i "$NGINX_URL/small.txt"
if grep -q $'\033' "$tmp/out"; then echo "FAIL: colour codes in piped output"; fails=$((fails+1)); fi
check "-o writes the file" 0 "$HTTPX" -o "$tmp/64k.bin" "$NGINX_URL/64k.bin"
cmp -s "$tmp/64k.bin" "$WWW_DIR/64k.bin" || { echo "FAIL: downloaded file differs"; fails=$((fails+1)); }
check "several URLs, one -o each" 0 "$HTTPX" -o "$tmp/a" "$NGINX_URL/small.txt" -o "$tmp/b" "$NGINX_URL/1k.bin"
cmp -s "$tmp/b" "$WWW_DIR/1k.bin" && has "$tmp/a" "hello from nginx"
check "-O uses the remote name" 0 sh -c "cd '$tmp' && '$HTTPX' -O '$NGINX_URL/1k.bin'"
cmp -s "$tmp/1k.bin" "$WWW_DIR/1k.bin" || { echo "FAIL: -O file"; fails=$((fails+1)); }
check "-D dumps the head" 0 "$HTTPX" -D "$tmp/head" -o /dev/null "$NGINX_URL/small.txt";  has "$tmp/head" "Content-Length: 17"
check "POST --data" 0 "$HTTPX" -d "a=1" "$RAW_URL/echo";                    has "$tmp/out" "POST /echo HTTP/1.1"
check "-X and -H" 0 "$HTTPX" -X PUT -H "X-Test: yes" "$RAW_URL/echo";       has "$tmp/out" "X-Test: yes"
check "--json" 0 "$HTTPX" --json '{"k":1}' "$HTTPBIN_URL/post";           has "$tmp/out" '"k":1'
check "-F multipart" 0 "$HTTPX" -F "f=value" "$HTTPBIN_URL/post";          has "$tmp/out" '"f":"value"'
check "-p params" 0 "$HTTPX" -p "q=a b" "$HTTPBIN_URL/get";                has "$tmp/out" '"q":"a b"'
check "-L follows redirects" 0 "$HTTPX" -L "$HTTPBIN_URL/redirect/2";      has "$tmp/out" '"url"'
check "-u basic auth" 0 "$HTTPX" -u user:passwd "$HTTPBIN_URL/basic-auth/user/passwd"; has "$tmp/out" "authenticated"
check "--digest" 0 "$HTTPX" --digest -u user:passwd "$HTTPBIN_URL/digest-auth/auth/user/passwd"; has "$tmp/out" "authenticated"
check "--bearer" 0 "$HTTPX" --bearer tok "$HTTPBIN_URL/bearer";            has "$tmp/out" '"token":"tok"'
check "--cookie-jar saves" 0 "$HTTPX" -c "$tmp/jar" -L "$HTTPBIN_URL/cookies/set?k=v"; has "$tmp/jar" "k	v"
check "--cookie-jar loads" 0 "$HTTPX" -c "$tmp/jar" "$HTTPBIN_URL/cookies"; has "$tmp/out" '"k":"v"'
check "--raw keeps gzip" 0 "$HTTPX" --raw -H "Accept-Encoding: gzip" -o "$tmp/raw.gz" "$NGINX_URL/gzip/text.txt"
gzip -t "$tmp/raw.gz" 2>/dev/null || { echo "FAIL: --raw body is not gzip"; fails=$((fails+1)); }
check "--cacert https" 0 "$HTTPX" --cacert "$CA_FILE" "$NGINX_TLS_URL/small.txt"; has "$tmp/out" "hello from nginx"
check "--http2" 0 "$HTTPX" -i --http2 --cacert "$CA_FILE" "$NGINX_TLS_URL/small.txt"; has "$tmp/out" "HTTP/2 200"
check "--http2-prior-knowledge" 0 "$HTTPX" -i --http2-prior-knowledge "$NGINX_H2C_URL/small.txt"; has "$tmp/out" "HTTP/2 200"
check "-k insecure" 0 "$HTTPX" -k "$NGINX_BADTLS_URL/small.txt"
check "--proxy" 0 "$HTTPX" --proxy "$PROXY_HTTP_URL" --no-env "$RAW_URL/echo"; has "$tmp/out" "Via: 1.1 httpx-test-proxy"
check "--unix-socket" 0 "$HTTPX" --unix-socket "$UDS_PATH" http://localhost/ok; has "$tmp/out" "hello"
check "--parallel, completion order" 0 "$HTTPX" --parallel "$RAW_URL/slow-drip?n=2&ms=200" "$RAW_URL/ok"
[ "$(head -c 5 "$tmp/out")" = "hello" ] || { echo "FAIL: --parallel order: $(cat "$tmp/out")"; fails=$((fails+1)); }
check "--parallel --keep-order" 0 "$HTTPX" --parallel --keep-order "$RAW_URL/slow-drip?n=2&ms=200" "$RAW_URL/ok"
[ "$(head -c 2 "$tmp/out")" = "01" ] || { echo "FAIL: --keep-order: $(cat "$tmp/out")"; fails=$((fails+1)); }
check "--loop uv" 0 "$HTTPX" --loop uv "$NGINX_URL/small.txt" "$RAW_URL/ok"
check "--loop event" 0 "$HTTPX" --loop event "$NGINX_URL/small.txt"
check "-v traces the steps" 0 "$HTTPX" -v "$NGINX_URL/small.txt";         has "$tmp/err" "> GET /small.txt HTTP/1.1"; has "$tmp/err" "< 200"
check "--version" 0 "$HTTPX" --version;                                    has "$tmp/out" "features:"
check "--help fits a screen" 0 "$HTTPX" --help
[ "$(wc -l <"$tmp/out")" -le 24 ] || { echo "FAIL: --help is $(wc -l <"$tmp/out") lines"; fails=$((fails+1)); }
# failures: distinct exit codes, one line naming the URL and the cause
check "connect refused -> 4" 4 "$HTTPX" http://127.0.0.1:1/;              has "$tmp/err" "http://127.0.0.1:1/: connect to"
check "timeout -> 6" 6 "$HTTPX" --read-timeout 0.2 "$RAW_URL/never-answer"; has "$tmp/err" "read timed out"
check "protocol -> 7" 7 "$HTTPX" "$RAW_URL/garbage"
check "truncated -> 7" 7 "$HTTPX" "$RAW_URL/truncated-body"
check "decoding -> 8" 8 "$HTTPX" "$RAW_URL/gzip-bomb?mib=2048"
check "tls -> 5" 5 "$HTTPX" "$NGINX_TLS_URL/small.txt";                   has "$tmp/err" "certificate verify failed"
check "redirects -> 9" 9 "$HTTPX" -L --max-redirects 1 "$HTTPBIN_URL/redirect/3"
check "url -> 3" 3 "$HTTPX" "http://bad host/"
check "--fail -> 22" 22 "$HTTPX" --fail "$RAW_URL/status/404";            has "$tmp/err" "404"
check "usage -> 2" 2 "$HTTPX" --no-such-option x
check "file -> 12" 12 "$HTTPX" -o /nonexistent/dir/x "$NGINX_URL/small.txt"
# on a terminal: colours, JSON indented, binary withheld, a progress bar
if command -v script >/dev/null; then
  check "tty: colour head" 0 script -qec "'$HTTPX' -i '$NGINX_URL/small.txt'" /dev/null; has "$tmp/out" $'\033['
  check "tty: JSON pretty" 0 script -qec "'$HTTPX' '$HTTPBIN_URL/get'" /dev/null;         has "$tmp/out" '"args"'
  grep -q '^  ' "$tmp/out" || { echo "FAIL: JSON not indented"; fails=$((fails+1)); }
  check "tty: binary note" 0 script -qec "'$HTTPX' '$NGINX_URL/64k.bin'" /dev/null;       has "$tmp/out" "bytes of binary data>"
  check "tty: progress bar" 0 script -qec "'$HTTPX' -o '$tmp/big' '$NGINX_URL/64k.bin'" /dev/null; has "$tmp/out" "100.0%"
fi
echo "$((n - fails))/$n checks passed"
[ "$fails" -eq 0 ]
