#!/usr/bin/python3
"""proxyserver.py - HTTP forward proxy, CONNECT tunnels and SOCKS5 for libhttpx tests.

Standard library only; run it with /usr/bin/python3.  One process, four listeners,
all on 127.0.0.1, one thread per connection.  Every connection is closed 120 s after
it was accepted at the latest; the process exits after --lifetime seconds.

 Listener         What it serves
 ---------------- ------------------------------------------------------------------
 --http-port      HTTP proxy, no auth:
                    absolute-form requests ("GET http://127.0.0.1:P/ok HTTP/1.1") are
                    forwarded to the target (a new upstream connection per request,
                    the body read in full and sent with Content-Length; the response
                    relayed as framed by the origin); the client connection is kept
                    alive (HTTP/1.1) unless the client or a close-delimited response
                    ends it.  Hop-by-hop headers (Connection and what it names,
                    Proxy-Connection, Proxy-Authorization, Keep-Alive, TE, Upgrade)
                    are dropped; "Via: 1.1 httpx-test-proxy" is added both ways.
                    "Expect: 100-continue" is answered by the proxy itself.
                    CONNECT host:port opens a tunnel: "HTTP/1.1 200 Connection
                    established", then bytes are relayed both ways until both sides
                    have closed.
                    https:// absolute-form targets get 400 (use CONNECT).
 --http-auth-port the same, but every request (CONNECT too) needs
                    "Proxy-Authorization: Basic base64(puser:ppass)"; otherwise 407
                    with 'Proxy-Authenticate: Basic realm="httpx-test-proxy"' (the
                    connection stays open, the request body is read first).
 --socks-port     SOCKS5 (RFC 1928), method 0x00 (no auth) only.
 --socks-auth-port SOCKS5 with method 0x02 (RFC 1929) only, user "suser", password
                    "spass"; a wrong password gets status 0x01 and a close.
                  Both SOCKS listeners: CONNECT (0x01) only (else reply 0x07), address
                  types IPv4 (0x01), domain name (0x03: resolved here, see below) and
                  IPv6 (0x04) (else 0x08).  Replies: 0x00 success (BND = the upstream
                  socket's local address), 0x02 not allowed, 0x04 host unreachable
                  (a name that does not resolve), 0x05 refused, 0x01 other failures.

Sandbox rule: every target must be a loopback address (127.0.0.0/8, ::1).  Other
targets are refused with 403 (HTTP, CONNECT) or SOCKS reply 0x02, before any
connection is attempted.  Names are resolved without DNS: IP literals, "localhost"
and any name ending in ".localhost" (127.0.0.1), names listed in /etc/hosts, and any
name ending in ".proxy.test" (127.0.0.1; the client cannot resolve those, so a request
for http://origin.proxy.test:PORT/ only works when the proxy resolves it: socks5h or
an HTTP proxy).  Anything else: 502 / SOCKS 0x04.

Control URL (on either HTTP listener, no auth, not counted, origin-form or absolute):
 GET /__stats            200 application/json: per listener
                           {"http": {"port": P, "connections": N, "requests": N,
                                     "tunnels": N, "auth_failures": N, "refused": N},
                            "http_auth": {...}, "socks": {...}, "socks_auth": {...}}
                         connections = accepted client connections (a connection
                         whose first request is /__stats is not counted);
                         requests = forwarded absolute-form requests; tunnels =
                         CONNECT (HTTP) or SOCKS CONNECT commands that reached the
                         target; auth_failures = 407s / rejected SOCKS logins;
                         refused = targets refused by the loopback rule.
 GET /__stats?reset=1    the same, then every counter is set to 0.

Usage: proxyserver.py --http-port P --http-auth-port P --socks-port P
                      --socks-auth-port P [--lifetime S] [--port-file FILE] [--quiet]
(port 0 picks a free port; --port-file gets "http http_auth socks socks_auth" ports.)
"""

import argparse
import base64
import ipaddress
import json
import os
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse

# peerconn.py sits next to this file; say so even where the script's directory is
# not on sys.path by itself (python3 -P, PYTHONSAFEPATH).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerconn                                       # noqa: E402
from peerconn import Gone                             # noqa: E402

CONN_LIFETIME = 120.0
MAX_HEAD = 1 << 20
MAX_BODY = 256 << 20
HTTP_USER, HTTP_PASS = "puser", "ppass"
SOCKS_USER, SOCKS_PASS = "suser", "spass"
REALM = "httpx-test-proxy"
VIA = "1.1 httpx-test-proxy"

LOCK = threading.Lock()
STATS = {}          # listener name -> counters
PORTS = {}          # listener name -> port
COUNTERS = ("connections", "requests", "tunnels", "auth_failures", "refused")


log = peerconn.Log("proxyserver")


def bump(name, key, n=1):
    with LOCK:
        STATS[name][key] += n


def stats_json(reset):
    with LOCK:
        out = {}
        for name, c in STATS.items():
            d = {"port": PORTS[name]}
            d.update(c)
            out[name] = d
            if reset:
                for k in COUNTERS:
                    c[k] = 0
    return json.dumps(out, sort_keys=True).encode() + b"\n"


# ---------------------------------------------------------------- name resolution

def hosts_lookup(name):
    out = []
    try:
        with open("/etc/hosts") as f:
            for line in f:
                line = line.split("#", 1)[0].split()
                if len(line) >= 2 and name in (n.lower() for n in line[1:]):
                    out.append(line[0])
    except OSError:
        pass
    return out


def resolve(host):
    """Addresses for host, without DNS.  [] when unknown."""
    h = host.lower().rstrip(".")
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    try:
        return [str(ipaddress.ip_address(h))]
    except ValueError:
        pass
    if h == "localhost" or h.endswith(".localhost") or h.endswith(".proxy.test"):
        return ["127.0.0.1"]
    return hosts_lookup(h)


def is_loopback(ip):
    try:
        a = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return a.is_loopback


def open_upstream(host, port, deadline):
    """Connect to host:port.  Returns (sock, None) or (None, (kind, text)) where kind
    is 'unknown', 'forbidden', 'refused' or 'error'."""
    addrs = resolve(host)
    if not addrs:
        return None, ("unknown", "cannot resolve %s (the test proxy does no DNS)" % host)
    bad = [a for a in addrs if not is_loopback(a)]
    if bad:
        return None, ("forbidden", "target %s (%s) is not a loopback address" % (host, bad[0]))
    err = None
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(max(0.1, min(10.0, deadline - time.monotonic())))
        try:
            s.connect((a, port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s, None
        except ConnectionRefusedError as e:
            err = ("refused", "connect to %s:%d: %s" % (a, port, e.strerror))
        except OSError as e:
            err = ("error", "connect to %s:%d: %s" % (a, port, e.strerror or e))
        s.close()
    return None, err


# ---------------------------------------------------------------- buffered socket

class Stream(peerconn.Conn):
    """peerconn.Conn for either side (client or upstream); both share the client
    connection's deadline."""

    def read_head(self):
        """Bytes of one head (through the blank line); None if the peer closed
        before sending anything."""
        try:
            return super().read_head(MAX_HEAD)
        except OverflowError:
            raise ValueError("head too large")


def parse_head(raw):
    lines = raw.decode("latin-1").replace("\r\n", "\n").split("\n")
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        raise ValueError("empty head")
    first = lines[0]
    headers = []
    for ln in lines[1:]:
        if not ln:
            continue
        if ":" not in ln:
            raise ValueError("bad header line")
        n, v = ln.split(":", 1)
        headers.append((n.strip(), v.strip()))
    return first, headers


def hget(headers, name):
    vals = [v for n, v in headers if n.lower() == name]
    return ", ".join(vals) if vals else None


def htokens(headers, name):
    v = hget(headers, name)
    return [t.strip().lower() for t in v.split(",")] if v else []


def strip_hop(headers):
    drop = {"connection", "proxy-connection", "proxy-authorization", "keep-alive", "te",
            "upgrade", "proxy-authenticate", "trailer"}
    drop |= set(htokens(headers, "connection"))
    return [(n, v) for n, v in headers if n.lower() not in drop]


def read_body(st, headers, forward=None):
    """Read a body framed by headers.  With forward=None returns the bytes (chunked
    decoded); otherwise relays the raw framing to forward(data) and returns None.
    Returns False for 'until close' framing when forward is given (caller relays)."""
    if "chunked" in htokens(headers, "transfer-encoding"):
        out = bytearray()
        while True:
            line = st.read_line()
            if forward:
                forward(line)
            size = int(line.split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while True:
                    t = st.read_line()
                    if forward:
                        forward(t)
                    if t in (b"\r\n", b"\n"):
                        break
                break
            data = st.read_exact(size)
            crlf = st.read_line()
            if forward:
                forward(data + crlf)
            else:
                out += data
                if len(out) > MAX_BODY:
                    raise ValueError("body too large")
        return None if forward else bytes(out)
    cl = hget(headers, "content-length")
    if cl is not None:
        n = int(cl.split(",")[0].strip())
        if n < 0 or n > MAX_BODY and not forward:
            raise ValueError("bad content-length")
        if forward:
            for piece in st.pieces(n):
                forward(piece)
            return None
        return st.read_exact(n)
    return False if forward else b""


def simple_response(client, status, reason, body=b"", headers=(), close=False):
    hs = ["HTTP/1.1 %d %s" % (status, reason)]
    hs += ["%s: %s" % hv for hv in headers]
    if body or status not in (204, 304):
        hs.append("Content-Length: %d" % len(body))
    hs.append("Connection: %s" % ("close" if close else "keep-alive"))
    client.send(("\r\n".join(hs) + "\r\n\r\n").encode("latin-1") + body)


# ---------------------------------------------------------------- relay

def relay(a, b, deadline):
    """Copy bytes both ways until both directions have ended (half-close aware)."""
    socks = [a, b]
    peer = {a: b, b: a}
    open_dirs = {a: True, b: True}    # reading from key is still possible
    for s in socks:
        s.setblocking(False)
    try:
        while any(open_dirs.values()):
            t = deadline - time.monotonic()
            if t <= 0:
                return
            r, _, _ = select.select([s for s in socks if open_dirs[s]], [], [], min(t, 1.0))
            for s in r:
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    open_dirs[s] = False
                    try:
                        peer[s].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                dst = peer[s]
                dst.setblocking(True)
                dst.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    dst.sendall(data)
                except OSError:
                    return
                finally:
                    dst.setblocking(False)
    finally:
        for s in socks:
            try:
                s.setblocking(True)
            except OSError:
                pass


# ---------------------------------------------------------------- HTTP proxy

def check_auth(headers):
    v = hget(headers, "proxy-authorization")
    if not v:
        return False
    parts = v.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "basic":
        return False
    try:
        dec = base64.b64decode(parts[1].strip(), validate=True).decode("utf-8")
    except Exception:
        return False
    return dec == "%s:%s" % (HTTP_USER, HTTP_PASS)


def split_hostport(text, default_port):
    """'host:port', '[v6]:port', 'host' -> (host, port).  host without brackets."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError("bad authority")
        host, rest = text[1:end], text[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError("bad authority")
        port = int(rest[1:]) if rest else default_port
    elif text.count(":") == 1:
        host, p = text.split(":")
        port = int(p)
    else:
        host, port = text, default_port
    if not host or not 0 < port < 65536:
        raise ValueError("bad authority")
    return host, port


def is_stats(method, target, myport):
    if method != "GET":
        return False
    u = urllib.parse.urlsplit(target)
    if u.scheme:
        try:
            h, p = split_hostport(u.netloc, 80)
        except ValueError:
            return False
        if not (is_loopback(h) or h.lower() == "localhost") or p != myport:
            return False
    return u.path == "/__stats"


def serve_http(name, sock, auth, myport):
    deadline = time.monotonic() + CONN_LIFETIME
    st = Stream(sock, deadline)
    counted = False
    while True:
        raw = st.read_head()
        if raw is None:
            return
        try:
            first, headers = parse_head(raw)
            method, target, version = first.split(" ")
            if not version.startswith("HTTP/1."):
                raise ValueError("bad version")
        except ValueError as e:
            simple_response(st, 400, "Bad Request", b"proxy: %s\n" % str(e).encode(), close=True)
            return
        close = "close" in htokens(headers, "connection") + htokens(headers, "proxy-connection") \
            or (version == "HTTP/1.0" and "keep-alive" not in htokens(headers, "connection")
                + htokens(headers, "proxy-connection"))
        if is_stats(method, target, myport):
            read_body(st, headers)
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
            simple_response(st, 200, "OK", stats_json(q.get("reset") == ["1"]),
                            [("Content-Type", "application/json")], close)
            if close:
                return
            continue
        if not counted:
            counted = True
            bump(name, "connections")
        log("%s :%d %s %s" % (name, myport, method, target))
        if "100-continue" in htokens(headers, "expect"):
            st.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            body = read_body(st, headers) if method != "CONNECT" else b""
        except ValueError as e:
            simple_response(st, 400, "Bad Request", b"proxy: %s\n" % str(e).encode(), close=True)
            return
        if auth and not check_auth(headers):
            bump(name, "auth_failures")
            simple_response(st, 407, "Proxy Authentication Required",
                            b"proxy authentication required\n",
                            [("Proxy-Authenticate", 'Basic realm="%s"' % REALM),
                             ("Content-Type", "text/plain")], close)
            if close:
                return
            continue
        if method == "CONNECT":
            tunnel_http(name, st, target, deadline)
            return
        if not forward_http(name, st, method, target, version, headers, body, close, deadline):
            return


def upstream_error(name, st, err, close):
    kind, text = err
    if kind == "forbidden":
        bump(name, "refused")
        simple_response(st, 403, "Forbidden", ("proxy: %s\n" % text).encode(),
                        [("Content-Type", "text/plain")], close)
    else:
        simple_response(st, 502, "Bad Gateway", ("proxy: %s\n" % text).encode(),
                        [("Content-Type", "text/plain")], close)


def tunnel_http(name, st, target, deadline):
    try:
        host, port = split_hostport(target, 0)
    except ValueError:
        simple_response(st, 400, "Bad Request", b"proxy: CONNECT needs host:port\n", close=True)
        return
    up, err = open_upstream(host, port, deadline)
    if up is None:
        upstream_error(name, st, err, True)
        return
    bump(name, "tunnels")
    try:
        st.send(b"HTTP/1.1 200 Connection established\r\nVia: " + VIA.encode() + b"\r\n\r\n")
        if st.buf:                                 # bytes sent ahead of our 200
            up.sendall(bytes(st.buf))
            st.buf.clear()
        relay(st.sock, up, deadline)
    except (Gone, OSError):
        pass
    finally:
        up.close()


def forward_http(name, st, method, target, version, headers, body, close, deadline):
    """Forward one absolute-form request.  Returns True to keep the client."""
    u = urllib.parse.urlsplit(target)
    if u.scheme.lower() != "http" or not u.netloc:
        simple_response(st, 400, "Bad Request",
                        b"proxy: absolute-form http:// target required (CONNECT for https)\n",
                        close=close)
        return not close
    try:
        host, port = split_hostport(u.netloc.rsplit("@", 1)[-1], 80)
    except ValueError:
        simple_response(st, 400, "Bad Request", b"proxy: bad target authority\n", close=close)
        return not close
    up, err = open_upstream(host, port, deadline)
    if up is None:
        upstream_error(name, st, err, close)
        return not close
    bump(name, "requests")
    try:
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        hs = [(n, v) for n, v in strip_hop(headers)
              if n.lower() not in ("content-length", "transfer-encoding", "expect")]
        if not any(n.lower() == "host" for n, _ in hs):
            hs.insert(0, ("Host", u.netloc))
        hs.append(("Via", VIA))
        if body or method in ("POST", "PUT", "PATCH"):
            hs.append(("Content-Length", str(len(body))))
        hs.append(("Connection", "close"))
        req = "%s %s HTTP/1.1\r\n" % (method, path)
        req += "".join("%s: %s\r\n" % hv for hv in hs) + "\r\n"
        up.sendall(req.encode("latin-1") + body)
        ust = Stream(up, deadline)
        while True:
            raw = ust.read_head()
            if raw is None:
                raise Gone()
            first, rh = parse_head(raw)
            status = int(first.split(" ", 2)[1])
            if 100 <= status < 200:
                st.send(raw)                       # interim responses as they came
                continue
            break
        no_body = method == "HEAD" or status in (204, 304)
        delimited = not no_body and "chunked" not in htokens(rh, "transfer-encoding") \
            and hget(rh, "content-length") is None
        keep = not close and not delimited
        out = strip_hop(rh)
        out.append(("Via", VIA))
        out.append(("Connection", "keep-alive" if keep else "close"))
        # Keep the origin's framing header (Transfer-Encoding was hop-by-hop-stripped
        # only if named in Connection; re-add it when the body is chunked).
        if "chunked" in htokens(rh, "transfer-encoding") and \
                not any(n.lower() == "transfer-encoding" for n, _ in out):
            out.append(("Transfer-Encoding", "chunked"))
        st.send(("%s\r\n" % first + "".join("%s: %s\r\n" % hv for hv in out) + "\r\n")
                .encode("latin-1"))
        if not no_body:
            if read_body(ust, rh, forward=st.send) is False:
                if ust.buf:
                    st.send(ust.take(len(ust.buf)))
                while True:
                    try:
                        ust.fill()
                    except Gone:
                        break
                    st.send(ust.take(len(ust.buf)))
        return keep
    except (Gone, ValueError, IndexError, OSError) as e:
        log("%s: upstream %s:%d failed: %r" % (name, host, port, e))
        return False
    finally:
        up.close()


# ---------------------------------------------------------------- SOCKS5

def socks_reply(sock, code, bound=None):
    if bound is None:
        data = b"\x05" + bytes([code]) + b"\x00\x01" + b"\x00" * 6
    else:
        ip, port = bound[0], bound[1]
        if ":" in ip:
            data = b"\x05" + bytes([code]) + b"\x00\x04" + socket.inet_pton(socket.AF_INET6, ip)
        else:
            data = b"\x05" + bytes([code]) + b"\x00\x01" + socket.inet_pton(socket.AF_INET, ip)
        data += struct.pack("!H", port)
    sock.sendall(data)


def serve_socks(name, sock, auth):
    deadline = time.monotonic() + CONN_LIFETIME
    st = Stream(sock, deadline)
    ver, nm = st.read_exact(2)
    if ver != 5:
        return
    methods = st.read_exact(nm)
    bump(name, "connections")
    want = 0x02 if auth else 0x00
    if want not in methods:
        sock.sendall(b"\x05\xff")
        if auth:
            bump(name, "auth_failures")
        return
    sock.sendall(bytes([5, want]))
    if auth:
        v, ul = st.read_exact(2)
        user = st.read_exact(ul)
        (pl,) = st.read_exact(1)
        pw = st.read_exact(pl)
        if v != 1 or user != SOCKS_USER.encode() or pw != SOCKS_PASS.encode():
            bump(name, "auth_failures")
            sock.sendall(b"\x01\x01")
            return
        sock.sendall(b"\x01\x00")
    ver, cmd, _rsv, atyp = st.read_exact(4)
    if ver != 5:
        return
    if atyp == 1:
        host = socket.inet_ntop(socket.AF_INET, st.read_exact(4))
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, st.read_exact(16))
    elif atyp == 3:
        (n,) = st.read_exact(1)
        host = st.read_exact(n).decode("latin-1")
    else:
        socks_reply(sock, 0x08)
        return
    (port,) = struct.unpack("!H", st.read_exact(2))
    log("%s CONNECT %s:%d" % (name, host, port))
    if cmd != 1:
        socks_reply(sock, 0x07)
        return
    up, err = open_upstream(host, port, deadline)
    if up is None:
        kind = err[0]
        if kind == "forbidden":
            bump(name, "refused")
        log("%s: %s" % (name, err[1]))
        socks_reply(sock, {"forbidden": 0x02, "unknown": 0x04, "refused": 0x05}.get(kind, 0x01))
        return
    bump(name, "tunnels")
    try:
        socks_reply(sock, 0x00, up.getsockname())
        if st.buf:
            up.sendall(bytes(st.buf))
            st.buf.clear()
        relay(sock, up, deadline)
    finally:
        up.close()


# ---------------------------------------------------------------- main

def conn_thread(name, kind, sock, port):
    try:
        if kind == "http":
            serve_http(name, sock, name == "http_auth", port)
        else:
            serve_socks(name, sock, name == "socks_auth")
    except (Gone, OSError, ValueError):
        pass
    except Exception as e:                      # keep the server alive whatever happens
        log("%s: error: %r" % (name, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def serve_on(name, kind, ls, end):
    port = ls.getsockname()[1]
    peerconn.accept_loop(ls, end, log, lambda s, _addr: conn_thread(name, kind, s, port))


def main():
    ap = argparse.ArgumentParser(description="test proxy: HTTP, CONNECT, SOCKS5 (127.0.0.1 only)")
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--http-auth-port", type=int, default=0)
    ap.add_argument("--socks-port", type=int, default=0)
    ap.add_argument("--socks-auth-port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=1800.0)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    log.quiet = a.quiet
    spec = [("http", "http", a.http_port), ("http_auth", "http", a.http_auth_port),
            ("socks", "socks", a.socks_port), ("socks_auth", "socks", a.socks_auth_port)]
    listeners = []
    for name, kind, port in spec:
        ls = peerconn.listen_tcp(port)
        PORTS[name] = ls.getsockname()[1]
        STATS[name] = {k: 0 for k in COUNTERS}
        listeners.append((name, kind, ls))
    if a.port_file:
        peerconn.write_port_file(a.port_file, [PORTS[n] for n, _, _ in spec])
    log("listening on 127.0.0.1: " + ", ".join("%s :%d" % (n, PORTS[n]) for n, _, _ in spec))
    end = time.monotonic() + a.lifetime
    threads = [threading.Thread(target=serve_on, args=(n, k, ls, end), daemon=True)
               for n, k, ls in listeners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log("lifetime over, exiting")
    return 0


if __name__ == "__main__":
    peerconn.run(main)
