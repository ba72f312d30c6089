#!/usr/bin/env bash
# fuzz/record-seeds.sh [DIR] — record seed inputs from real traffic with the test peers.
#
# Starts the integration tests' peers (tests/peers/peers.sh start DIR; default a
# temporary directory), sends plain HTTP/1.1 requests over loopback sockets to nginx,
# httpbin and the scripted raw server, and saves each raw response stream, as
# received, as a seed of the h1 target: fuzz/corpus/h1/rec-<server>-<what>. The
# first two bytes are the h1 target's header (method selector, split seed). Also
# records the HTTP proxy's CONNECT answers and the SOCKS5 proxy's replies as proxy
# seeds (rec-*), and httpbin's Digest challenge as an auth seed. Stops the peers on
# exit. Responses are cut at 32 KiB so the corpora stay small. Rerun it after
# changing the peers; the files are overwritten in place.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$(mktemp -d /tmp/httpx-record-seeds.XXXXXX)}
PEERS=$ROOT/tests/peers/peers.sh

cleanup() { "$PEERS" stop "$DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$PEERS" start "$DIR" >/dev/null
/usr/bin/python3 - "$DIR/peers.env" "$ROOT/fuzz/corpus" <<'EOF'
import os, socket, sys, time

env = {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition("=")
    env[k] = v
out = sys.argv[2]
CAP = 32 * 1024


def exchange(port, data, idle=1.5, total=10.0):
    """Send data, read everything until EOF (or quiet for `idle` s): raw bytes."""
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    s.sendall(data)
    got = b""
    end = time.time() + total
    s.settimeout(idle)
    try:
        while len(got) < CAP and time.time() < end:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    return got[:CAP]


def req(method, path, host, extra=(), close=True, body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + host, "User-Agent: httpx-fuzz-seeds",
             "Accept-Encoding: gzip, deflate, br, zstd"]
    lines += list(extra)
    if body:
        lines.append("Content-Length: %d" % len(body))
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def save(target, name, data, head=b""):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "rec-" + name), "wb") as f:
        f.write(head + data)


METHOD = {"GET": 0, "HEAD": 1, "CONNECT": 2, "POST": 3}
n = 0


def h1(server, port, name, method, path, extra=(), body=b"", pipeline=None):
    global n
    host = "127.0.0.1:%s" % port
    if pipeline:  # several requests on one connection: a keep-alive response stream
        data = b"".join(req(method, p, host, extra, close=False) for p in pipeline)
        data += req(method, path, host, extra, close=True)
    else:
        data = req(method, path, host, extra, body=body)
    resp = exchange(port, data)
    if not resp:
        print("record-seeds: no answer for %s %s %s" % (server, method, path), file=sys.stderr)
        return
    n += 1
    save("h1", "%s-%s" % (server, name), resp, bytes([METHOD[method], (n * 37) & 255]))


ng, hb, raw = env["NGINX_PORT"], env["HTTPBIN_PORT"], env["RAW_PORT"]
h1("nginx", ng, "small", "GET", "/small.txt")
h1("nginx", ng, "head", "HEAD", "/small.txt")
h1("nginx", ng, "1k", "GET", "/1k.bin")
h1("nginx", ng, "gzip-text", "GET", "/gzip/text.txt")
h1("nginx", ng, "gzip-small", "GET", "/gzip/small.txt")
h1("nginx", ng, "range", "GET", "/64k.bin", ["Range: bytes=100-299"])
h1("nginx", ng, "multirange", "GET", "/1k.bin", ["Range: bytes=0-9,20-29"])
h1("nginx", ng, "404", "GET", "/nothing-here")
h1("nginx", ng, "301", "GET", "/gzip")
h1("nginx", ng, "304", "GET", "/small.txt", ["If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"])
h1("nginx", ng, "keepalive-3", "GET", "/small.txt", pipeline=["/small.txt", "/gzip/small.txt"])
h1("nginx", ng, "post-405", "POST", "/small.txt", body=b"a=1")

h1("httpbin", hb, "get", "GET", "/get")
h1("httpbin", hb, "gzip", "GET", "/gzip")
h1("httpbin", hb, "deflate", "GET", "/deflate")
h1("httpbin", hb, "brotli", "GET", "/brotli")
h1("httpbin", hb, "stream", "GET", "/stream/3")
h1("httpbin", hb, "stream-bytes", "GET", "/stream-bytes/300?chunk_size=64&seed=1")
h1("httpbin", hb, "redirect", "GET", "/redirect/2")
h1("httpbin", hb, "redirect-to", "GET", "/redirect-to?url=http%3A%2F%2Fexample.com%2F&status_code=307")
h1("httpbin", hb, "418", "GET", "/status/418")
h1("httpbin", hb, "204", "GET", "/status/204")
h1("httpbin", hb, "cookies", "GET", "/cookies/set?a=1&b=2")
h1("httpbin", hb, "response-headers", "GET", "/response-headers?X-A=1&Set-Cookie=c%3Dd%3B%20Path%3D%2F")
h1("httpbin", hb, "digest", "GET", "/digest-auth/auth/user/passwd/SHA-256")
h1("httpbin", hb, "basic", "GET", "/basic-auth/user/passwd")
h1("httpbin", hb, "post", "POST", "/post", ["Content-Type: application/x-www-form-urlencoded"], body=b"x=1&y=2")
h1("httpbin", hb, "head", "HEAD", "/get")
h1("httpbin", hb, "bytes", "GET", "/bytes/64?seed=2")
h1("httpbin", hb, "encoding", "GET", "/encoding/utf8")

for path in ["/ok", "/chunked", "/close-delimited", "/103", "/redirect?status=308&to=/ok",
             "/set-cookie?name=a&value=b&attrs=Path%3D%2F%3B%20HttpOnly", "/cl-te", "/bad-chunk",
             "/truncated-body", "/truncated-chunked", "/garbage", "/many-headers?n=40",
             "/oversized-headers?size=3000", "/status/204", "/status/304", "/status/101",
             "/gzip-bomb?mib=1", "/echo-headers"]:
    name = path.strip("/").split("?")[0].replace("/", "-") or "index"
    if "status/" in path:
        name = "status-" + path.rsplit("/", 1)[1]
    h1("raw", raw, name, "GET", path)
h1("raw", raw, "100-continue", "POST", "/100-continue", ["Expect: 100-continue"], body=b"hello")
h1("raw", raw, "keepalive", "GET", "/ok", pipeline=["/ok", "/chunked"])

# CONNECT answers from the HTTP proxy (with and without credentials), as the proxy
# target's input: byte 0 odd = CONNECT, then a split seed.
def connect(port, name, target, extra=()):
    lines = ["CONNECT %s HTTP/1.1" % target, "Host: " + target] + list(extra)
    data = exchange(port, ("\r\n".join(lines) + "\r\n\r\n").encode(), idle=1.0)
    if data:
        save("proxy", "connect-" + name, data, bytes([0x01, len(data) & 255]))


connect(env["PROXY_HTTP_PORT"], "ok", "127.0.0.1:%s" % ng)
connect(env["PROXY_HTTP_AUTH_PORT"], "407", "127.0.0.1:%s" % ng)
connect(env["PROXY_HTTP_PORT"], "refused", "127.0.0.1:1")

# SOCKS5: greeting, (auth), CONNECT to nginx, then what the proxy answers. The
# proxy's replies are recorded step by step, as the client would read them.
def socks(port, name, user=None, sel=0x00):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    got = b""
    try:
        s.sendall(b"\x05\x02\x00\x02" if user else b"\x05\x01\x00")
        r = s.recv(2)
        got += r
        if r[1:] == b"\x02":
            u, p = user
            s.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
            r = s.recv(2)
            got += r
        if r[1:] == b"\x00":
            s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + int(ng).to_bytes(2, "big"))
            s.settimeout(1.0)
            try:
                while len(got) < 512:
                    b = s.recv(512)
                    if not b:
                        break
                    got += b
            except socket.timeout:
                pass
    finally:
        s.close()
    if got:
        save("proxy", "socks5-" + name, got, bytes([sel, len(got) & 255]))


socks(env["PROXY_SOCKS_PORT"], "noauth")
socks(env["PROXY_SOCKS_AUTH_PORT"], "auth",
      (env["PROXY_SOCKS_USER"].encode(), env["PROXY_SOCKS_PASS"].encode()), sel=0x10)
socks(env["PROXY_SOCKS_AUTH_PORT"], "badauth", (b"nobody", b"wrong"), sel=0x10)

# httpbin's Digest challenges, as the auth target's input:
# flags, user, password, target (length-prefixed), then the challenge value.
for alg in ["MD5", "SHA-256", "SHA-512"]:
    data = exchange(hb, req("GET", "/digest-auth/auth/user/passwd/" + alg, "127.0.0.1:" + hb))
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"www-authenticate:"):
            ch = line.split(b":", 1)[1].strip()
            t = b"/digest-auth/auth/user/passwd/" + alg.encode()
            save("auth", "httpbin-" + alg, b"\x04" + bytes([4]) + b"user" + bytes([6]) + b"passwd" +
                 bytes([len(t)]) + t + ch)
print("record-seeds: %d h1 responses recorded" % n)
EOF
