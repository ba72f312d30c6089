#!/usr/bin/python3
"""rawserver.py - scripted HTTP/1.1 fault server for libhttpx integration tests.

Standard library only; run it with /usr/bin/python3.  Listens on 127.0.0.1 only
(and, with --uds PATH, on a unix domain socket serving the same paths), one thread
per connection.  Every connection is closed 60 s after it was
accepted at the latest, and the whole process exits after --lifetime seconds.

The behaviour is chosen by the request path (the query string holds parameters).
"keep" means the connection stays open for further requests (keep-alive), unless
the request said "Connection: close" or was HTTP/1.0 without keep-alive.
Well-behaved paths read the request body (Content-Length or chunked) before
answering; if the request carries "Expect: 100-continue" and a body, they send
"HTTP/1.1 100 Continue" first.

 Path                    Behaviour
 ----------------------- -----------------------------------------------------------------
 /                       200, text body listing these paths. keep
 /ok                     200, Content-Length: 5, body "hello". keep
 /chunked                200, chunked (one chunk carries an extension ";ext=1"), body
                         "hello, chunked world\\n", trailers "X-Trailer-One: 1" and
                         "X-Trailer-Two: two" (announced in "Trailer:"). keep
 /truncated-body         head says Content-Length: 100, sends 10 bytes "0123456789", then
                         closes (FIN)
 /truncated-chunked      chunked head, one chunk "0123456789", then closes (FIN) without the
                         last chunk
 /reset-mid-headers      sends "HTTP/1.1 200 OK\\r\\nContent-Type: text/pl", waits 50 ms, then
                         resets the connection (RST, SO_LINGER 0)
 /reset-mid-body         head with Content-Length: 1000, 100 bytes "x", waits 50 ms, RST
 /close-delimited        200 without Content-Length / Transfer-Encoding, "Connection: close",
   ?size=N               body "close-delimited body\\n" (or N bytes of "0123456789" repeated),
                         then closes (FIN)
 /stale-keepalive        200 "hello" with "Connection: keep-alive", then closes the idle
   ?ms=M                 connection silently (FIN, no header said so) after M ms (100) if no
                         new request arrived: a client reusing it later fails; a request on a
                         new connection succeeds.  ?rst=1 closes with RST instead of FIN.
 /slow-drip?n=N&ms=M     200, Content-Length: N (10), body bytes of "0123456789"... written one
                         byte every M ms (100). keep
 /slow-head?ms=M         the head "HTTP/1.1 200 OK ... Content-Length: 5" is written one byte
                         every M ms (50), then body "hello" at once. keep
 /never-answer           reads the request head, never replies; closes when the client closes
                         or after 60 s
 /garbage                sends non-HTTP bytes (starts with 0x16 0x03 0x01, contains NUL and
                         0xff), then closes
 /accept-no-read         reads only the request head, never reads the body (uploads stall once
   ?status=N             the socket buffers fill); with ?status=N it sends an early
                         N response (Content-Length: 0, Connection: close) at once.  Closes
                         (RST if unread data) when the client closes or after 60 s
 /oversized-headers      200 with one header "X-Big: aaa..." of N bytes (1 MiB), body "hello",
   ?size=N               then closes
 /many-headers?n=N       200 with N headers "X-Many-<i>: <i>" (10000), body "hello", then closes
 /gzip-bomb?mib=N        200, Content-Encoding: gzip, chunked; the gzip stream inflates to N MiB
                         (200) of zero bytes; compressed on the fly with zlib (~200 KiB on the
                         wire, no big buffers). keep
 /bad-chunk              chunked, first chunk "hello" fine, next size line "zz" (invalid), then
                         closes
 /cl-te                  200 with both "Content-Length: 5" and "Transfer-Encoding: chunked";
                         the body is valid chunked "hello" (framing must follow chunked); then
                         closes ("Connection: close")
 /100-continue           sends "100 Continue" (always, before reading any body), reads the body,
                         then 200 "hello" with "X-Body-Length: <bytes of body received>". keep
 /103?n=K                K (1) interim "103 Early Hints" responses with a Link header, then
                         200 "hello". keep
 /echo                   200, application/octet-stream, body = the exact bytes of the request
   ?no100=1              (head and body framing, e.g. chunk sizes and trailers, as received).
                         "Expect: 100-continue" with a body is answered "100 Continue" first
                         unless ?no100=1 (then the server just waits for the body).  Bodies
                         over 256 MiB get 413 and a close. keep
 /keepalive-count        200, body = decimal number of requests this connection has served,
                         this one included ("1" on a fresh connection). keep
 /status/N               final status N (200..599), body "status N\\n" (none for 204 and 304).
   ?location=URL         3xx adds "Location: URL" (default "/ok").  If the request has
                         "Expect: 100-continue" and N >= 400 the body is not read: the answer
                         comes at once with "Connection: close". keep otherwise
 /redirect?to=URL        status N (302; any 300..399) with "Location: URL" (URL-decoded from
   &status=N             the query; default "/ok"), body "redirect". keep
 /echo-headers           200 text/plain, body = the request's header lines exactly as received
                         (each with its line ending; no request line, no blank line). keep
 /count                  200, body = how many times this exact target (path and query, as
                         sent) has been requested since the server started, this one included,
                         counted across connections ("/count?a=1" and "/count?a=2" count
                         apart: add a unique query per test). keep
 /flaky?fail=K           the first K (1) requests for this exact target get status S (503),
   &status=S             body "flaky i/K\\n" (plus "Retry-After: SECONDS" when given); later
   &retry_after=SECONDS  ones get 200 "ok".  Counted per target across connections like
                         /count, so put a unique id in the query. keep
 /set-cookie?name=N      200 "cookie set" with "Set-Cookie: N=V" (+ "; ATTRS" when given),
   &value=V&attrs=ATTRS  every parameter URL-decoded (e.g. attrs=Path%3D%2F%3B%20HttpOnly
                         gives "; Path=/; HttpOnly"); empty values are kept.  Repeating
                         name/value pairs gives one Set-Cookie each (attrs apply to all). keep
 anything else           404 "no such path\\n". keep

Malformed requests get 400 and a close; request heads over 1 MiB get 431 and a close.

Usage: rawserver.py [--port P] [--port-file FILE] [--uds PATH] [--lifetime S] [--quiet]
(--uds: also listen on the unix socket PATH (created; removed at exit); "@name" is
the abstract namespace.)
"""

import argparse
import atexit
import http
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
import zlib

# peerconn.py sits next to this file; say so even where the script's directory is
# not on sys.path by itself (python3 -P, PYTHONSAFEPATH).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerconn                                       # noqa: E402
from peerconn import Gone                             # noqa: E402

CONN_LIFETIME = 60.0          # seconds a connection may live, whatever happens
MAX_HEAD = 1 << 20            # request head limit
MAX_ECHO = 256 << 20          # request body limit for /echo (kept in memory)

log = peerconn.Log("rawserver")


def reason(code):
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "Status %d" % code


class Request:
    def __init__(self, method, target, version, headers, head_bytes):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers            # list of (name, value), original case
        self.head_bytes = head_bytes
        parts = urllib.parse.urlsplit(target)
        self.path = parts.path or "/"
        self.query = dict(urllib.parse.parse_qsl(parts.query))

    def header(self, name):
        name = name.lower()
        vals = [v for (n, v) in self.headers if n.lower() == name]
        return ", ".join(vals) if vals else None

    def tokens(self, name):
        v = self.header(name)
        return [t.strip().lower() for t in v.split(",")] if v else []

    def wants_close(self):
        conn = self.tokens("connection")
        if "close" in conn:
            return True
        if self.version == "HTTP/1.0" and "keep-alive" not in conn:
            return True
        return False

    def has_body(self):
        if "chunked" in self.tokens("transfer-encoding"):
            return True
        cl = self.header("content-length")
        return cl is not None and cl.strip() not in ("", "0")

    def expects_continue(self):
        return "100-continue" in self.tokens("expect") and self.has_body()

    def qint(self, key, default, lo=0, hi=1 << 40):
        try:
            v = int(self.query.get(key, default))
        except ValueError:
            v = default
        return max(lo, min(hi, v))


class Conn(peerconn.Conn):
    """A client connection: peerconn.Conn plus the state requests leave on it."""

    def __init__(self, sock, addr):
        super().__init__(sock, time.monotonic() + CONN_LIFETIME)
        self.addr = addr
        self.served = 0
        self.capture = None               # /echo: a bytearray collecting every byte read
        self.idle_timeout = None          # set by /stale-keepalive
        self.idle_rst = False

    def take(self, n):
        data = super().take(n)
        if self.capture is not None:
            self.capture += data
        return data

    def read_line(self, limit=65536):
        """A line without its ending."""
        return super().read_line(limit).rstrip(b"\r\n")


# ---------------------------------------------------------------- request parsing

def read_request(conn, idle):
    """Read one request head.  Returns None when the client closed (or the idle
    timeout passed) before sending anything."""
    head = conn.read_head(MAX_HEAD, idle)      # OverflowError past MAX_HEAD
    if head is None:
        return None
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    while lines and lines[0] == "":          # tolerate stray empty lines before a request
        lines.pop(0)
    if not lines:
        raise ValueError("empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ValueError("bad request line")
    headers = []
    for ln in lines[1:]:
        if not ln:
            continue
        if ":" not in ln or ln[0] in " \t":
            raise ValueError("bad header line")
        n, v = ln.split(":", 1)
        if not n or n != n.strip():
            raise ValueError("bad header name")
        headers.append((n, v.strip()))
    return Request(parts[0], parts[1], parts[2], headers, head)


def read_body(conn, req, keep=False, limit=None):
    """Read the request body according to its framing.  Returns the decoded body
    (when keep) or its length."""
    out = bytearray()
    total = 0
    if "chunked" in req.tokens("transfer-encoding"):
        while True:
            line = conn.read_line()
            size_s = line.split(b";", 1)[0].strip()
            if not size_s:
                raise ValueError("empty chunk size")
            size = int(size_s, 16)
            if size == 0:
                while conn.read_line() != b"":     # trailers
                    pass
                break
            total += size
            if limit is not None and total > limit:
                raise OverflowError()
            data = conn.read_exact(size, keep)
            if keep:
                out += data
            if conn.read_line() != b"":
                raise ValueError("missing CRLF after chunk")
    else:
        cl = req.header("content-length")
        if cl is not None:
            vals = {x.strip() for x in cl.split(",")}
            if len(vals) != 1 or not next(iter(vals)).isdigit():
                raise ValueError("bad content-length")
            total = int(next(iter(vals)))
            if limit is not None and total > limit:
                raise OverflowError()
            data = conn.read_exact(total, keep)
            if keep:
                out += data
    return bytes(out) if keep else total


# ---------------------------------------------------------------- responses

def head_bytes(status, headers, reason_text=None):
    lines = ["HTTP/1.1 %d %s" % (status, reason_text or reason(status))]
    for n, v in headers:
        lines.append("%s: %s" % (n, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(conn, req, status, body=b"", headers=None, keep=True, ctype="text/plain"):
    """Send a complete Content-Length response.  Returns 'keep' or 'close'."""
    hs = list(headers or [])
    no_body = status in (204, 304) or 100 <= status < 200
    if ctype and not no_body:
        hs.insert(0, ("Content-Type", ctype))
    if status != 204 and not 100 <= status < 200:
        hs.append(("Content-Length", str(len(body))))
    keep = keep and not req.wants_close()
    hs.append(("Connection", "keep-alive" if keep else "close"))
    data = head_bytes(status, hs)
    if req.method != "HEAD" and not no_body:
        data += body
    conn.send(data)
    return "keep" if keep else "close"


def conn_hdr(req):
    return "close" if req.wants_close() else "keep-alive"


def send_continue(conn):
    conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")


def well_behaved_body(conn, req):
    if req.expects_continue():
        send_continue(conn)
    return read_body(conn, req)


PATTERN = b"0123456789"


def pattern(n):
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


# ---------------------------------------------------------------- handlers
# Each returns "keep" (serve the next request), "close" (graceful close) or
# "done" (the socket was already closed or reset).

def h_index(conn, req):
    well_behaved_body(conn, req)
    return respond(conn, req, 200, __doc__.encode())


def h_ok(conn, req):
    well_behaved_body(conn, req)
    return respond(conn, req, 200, b"hello")


def h_chunked(conn, req):
    well_behaved_body(conn, req)
    head = head_bytes(200, [("Content-Type", "text/plain"),
                            ("Transfer-Encoding", "chunked"),
                            ("Trailer", "X-Trailer-One, X-Trailer-Two"),
                            ("Connection", conn_hdr(req))])
    conn.send(head)
    if req.method != "HEAD":
        conn.send(b"5;ext=1\r\nhello\r\n")
        conn.send(b"2\r\n, \r\n")
        conn.send(b"d\r\nchunked world\r\n1\r\n\n\r\n")
        conn.send(b"0\r\nX-Trailer-One: 1\r\nX-Trailer-Two: two\r\n\r\n")
    return "close" if req.wants_close() else "keep"


def h_truncated_body(conn, req):
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", "100")])
              + b"0123456789")
    return "close"


def h_truncated_chunked(conn, req):
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
              + b"a\r\n0123456789\r\n")
    return "close"


def h_reset_mid_headers(conn, req):
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/pl")
    time.sleep(0.05)
    conn.reset()
    return "done"


def h_reset_mid_body(conn, req):
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", "1000")])
              + b"x" * 100)
    time.sleep(0.05)
    conn.reset()
    return "done"


def h_close_delimited(conn, req):
    read_body(conn, req)
    body = pattern(req.qint("size", 0, 0, 1 << 30)) if "size" in req.query \
        else b"close-delimited body\n"
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Connection", "close")]))
    if req.method != "HEAD":
        for i in range(0, len(body), 1 << 16):
            conn.send(body[i:i + (1 << 16)])
    return "close"


def h_stale_keepalive(conn, req):
    well_behaved_body(conn, req)
    respond(conn, req, 200, b"hello", keep=True)
    if req.wants_close():
        return "close"
    conn.idle_timeout = req.qint("ms", 100, 1, 60000) / 1000.0
    conn.idle_rst = req.query.get("rst") == "1"
    return "keep"


def h_slow_drip(conn, req):
    well_behaved_body(conn, req)
    n = req.qint("n", 10, 0, 1 << 20)
    ms = req.qint("ms", 100, 0, 60000)
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", str(n)),
                               ("Connection", conn_hdr(req))]))
    if req.method != "HEAD":
        body = pattern(n)
        for i in range(n):
            if i:
                time.sleep(ms / 1000.0)
            conn.send(body[i:i + 1])
    return "close" if req.wants_close() else "keep"


def h_slow_head(conn, req):
    well_behaved_body(conn, req)
    ms = req.qint("ms", 50, 0, 60000)
    head = head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", "5"),
                            ("X-Slow", "head"), ("Connection", conn_hdr(req))])
    for i in range(len(head)):
        if i:
            time.sleep(ms / 1000.0)
        conn.send(head[i:i + 1])
    if req.method != "HEAD":
        conn.send(b"hello")
    return "close" if req.wants_close() else "keep"


def h_never_answer(conn, req):
    conn.wait_gone(read=True)
    return "quiet"


def h_garbage(conn, req):
    conn.send(b"\x16\x03\x01\x00\xa5garbage\x00\xff\xfe not http at all\r\n\r\n\x00\x00")
    return "close"


def h_accept_no_read(conn, req):
    if "status" in req.query:
        st = req.qint("status", 413, 200, 599)
        conn.send(head_bytes(st, [("Content-Length", "0"), ("Connection", "close")]))
    conn.wait_gone(read=False)
    conn.reset()
    return "done"


def h_oversized_headers(conn, req):
    read_body(conn, req)
    size = req.qint("size", 1 << 20, 1, 1 << 30)
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Big: ")
    left = size
    blk = b"a" * 65536
    while left > 0:
        k = min(left, len(blk))
        conn.send(blk[:k])
        left -= k
    conn.send(b"\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    return "close"


def h_many_headers(conn, req):
    read_body(conn, req)
    n = req.qint("n", 10000, 0, 1 << 22)
    hs = [("Content-Type", "text/plain")]
    hs += [("X-Many-%d" % i, str(i)) for i in range(n)]
    hs += [("Content-Length", "5"), ("Connection", "close")]
    conn.send(head_bytes(200, hs) + b"hello")
    return "close"


def h_gzip_bomb(conn, req):
    well_behaved_body(conn, req)
    mib = req.qint("mib", 200, 0, 1 << 20)
    conn.send(head_bytes(200, [("Content-Type", "application/octet-stream"),
                               ("Content-Encoding", "gzip"),
                               ("Transfer-Encoding", "chunked"),
                               ("Connection", conn_hdr(req))]))
    if req.method == "HEAD":
        return "close" if req.wants_close() else "keep"
    z = zlib.compressobj(9, zlib.DEFLATED, 31)    # 31: gzip wrapper
    zeros = bytes(1 << 20)

    def chunk(data):
        if data:
            conn.send(b"%x\r\n" % len(data) + data + b"\r\n")

    for _ in range(mib):
        chunk(z.compress(zeros))
    chunk(z.flush())
    conn.send(b"0\r\n\r\n")
    return "close" if req.wants_close() else "keep"


def h_bad_chunk(conn, req):
    read_body(conn, req)
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
              + b"5\r\nhello\r\nzz\r\nbad\r\n0\r\n\r\n")
    return "close"


def h_cl_te(conn, req):
    read_body(conn, req)
    conn.send(head_bytes(200, [("Content-Type", "text/plain"), ("Content-Length", "5"),
                               ("Transfer-Encoding", "chunked"), ("Connection", "close")])
              + b"5\r\nhello\r\n0\r\n\r\n")
    return "close"


def h_100_continue(conn, req):
    send_continue(conn)
    n = read_body(conn, req)
    return respond(conn, req, 200, b"hello", [("X-Body-Length", str(n))])


def h_103(conn, req):
    well_behaved_body(conn, req)
    k = req.qint("n", 1, 0, 1000)
    for _ in range(k):
        conn.send(head_bytes(103, [("Link", "</style.css>; rel=preload; as=style")]))
    return respond(conn, req, 200, b"hello", [("Link", "</style.css>; rel=preload; as=style")])


def h_echo(conn, req):
    conn.capture = bytearray(req.head_bytes)
    try:
        if req.expects_continue() and req.query.get("no100") != "1":
            send_continue(conn)
        try:
            read_body(conn, req, keep=False, limit=MAX_ECHO)
        except OverflowError:
            respond(conn, req, 413, b"too large for /echo\n", keep=False)
            return "close"
        body = bytes(conn.capture)
    finally:
        conn.capture = None
    return respond(conn, req, 200, body, ctype="application/octet-stream")


COUNTS = {}                    # exact request target -> times requested
COUNTS_LOCK = threading.Lock()


def count_target(req):
    with COUNTS_LOCK:
        n = COUNTS.get(req.target, 0) + 1
        COUNTS[req.target] = n
    return n


def h_redirect(conn, req):
    well_behaved_body(conn, req)
    st = req.qint("status", 302, 300, 399)
    return respond(conn, req, st, b"redirect", [("Location", req.query.get("to", "/ok"))])


def h_echo_headers(conn, req):
    well_behaved_body(conn, req)
    head = req.head_bytes
    # drop the request line (and any stray empty lines before it) and the final blank line
    lines = head.splitlines(keepends=True)
    while lines and lines[0].strip() == b"":
        lines.pop(0)
    body = b"".join(ln for ln in lines[1:] if ln.strip() != b"")
    return respond(conn, req, 200, body)


def h_count(conn, req):
    well_behaved_body(conn, req)
    return respond(conn, req, 200, str(count_target(req)).encode())


def h_flaky(conn, req):
    well_behaved_body(conn, req)
    n = count_target(req)
    k = req.qint("fail", 1, 0, 1 << 30)
    if n <= k:
        st = req.qint("status", 503, 200, 599)
        hs = []
        if "retry_after" in req.query:
            hs.append(("Retry-After", req.query["retry_after"]))
        return respond(conn, req, st, b"flaky %d/%d\n" % (n, k), hs)
    return respond(conn, req, 200, b"ok")


def h_set_cookie(conn, req):
    well_behaved_body(conn, req)
    q = urllib.parse.parse_qsl(urllib.parse.urlsplit(req.target).query, keep_blank_values=True)
    names = [v for k, v in q if k == "name"]
    values = [v for k, v in q if k == "value"]
    attrs = "".join(v for k, v in q if k == "attrs")
    if not names:
        return respond(conn, req, 400, b"set-cookie needs name=\n")
    hs = []
    for i, n in enumerate(names):
        c = "%s=%s" % (n, values[i] if i < len(values) else "")
        if attrs:
            c += "; " + attrs
        hs.append(("Set-Cookie", c))
    return respond(conn, req, 200, b"cookie set", hs)


def h_keepalive_count(conn, req):
    well_behaved_body(conn, req)
    return respond(conn, req, 200, str(conn.served).encode())


def h_status(conn, req, code):
    if not 200 <= code <= 599:
        well_behaved_body(conn, req)
        return respond(conn, req, 400, b"status must be 200..599\n")
    hs = []
    if 300 <= code < 400 and code != 304:
        hs.append(("Location", req.query.get("location", "/ok")))
    body = b"" if code in (204, 304) else b"status %d\n" % code
    if "100-continue" in req.tokens("expect") and req.has_body() and code >= 400:
        return respond(conn, req, code, body, hs, keep=False)
    well_behaved_body(conn, req)
    return respond(conn, req, code, body, hs)


ROUTES = {
    "/": h_index,
    "/ok": h_ok,
    "/chunked": h_chunked,
    "/truncated-body": h_truncated_body,
    "/truncated-chunked": h_truncated_chunked,
    "/reset-mid-headers": h_reset_mid_headers,
    "/reset-mid-body": h_reset_mid_body,
    "/close-delimited": h_close_delimited,
    "/stale-keepalive": h_stale_keepalive,
    "/slow-drip": h_slow_drip,
    "/slow-head": h_slow_head,
    "/never-answer": h_never_answer,
    "/garbage": h_garbage,
    "/accept-no-read": h_accept_no_read,
    "/oversized-headers": h_oversized_headers,
    "/many-headers": h_many_headers,
    "/gzip-bomb": h_gzip_bomb,
    "/bad-chunk": h_bad_chunk,
    "/cl-te": h_cl_te,
    "/100-continue": h_100_continue,
    "/103": h_103,
    "/echo": h_echo,
    "/keepalive-count": h_keepalive_count,
    "/redirect": h_redirect,
    "/echo-headers": h_echo_headers,
    "/count": h_count,
    "/flaky": h_flaky,
    "/set-cookie": h_set_cookie,
}


def dispatch(conn, req):
    h = ROUTES.get(req.path)
    if h is not None:
        return h(conn, req)
    if req.path.startswith("/status/"):
        try:
            code = int(req.path[len("/status/"):])
        except ValueError:
            code = 0
        return h_status(conn, req, code)
    well_behaved_body(conn, req)
    return respond(conn, req, 404, b"no such path\n")


def serve(conn):
    try:
        while True:
            idle = conn.idle_timeout
            try:
                req = read_request(conn, idle)
            except OverflowError:
                conn.send(head_bytes(431, [("Content-Length", "0"), ("Connection", "close")]))
                return "close"
            except ValueError as e:
                log("%s: bad request: %s" % (conn.addr, e))
                conn.send(head_bytes(400, [("Content-Length", "0"), ("Connection", "close")]))
                return "close"
            if req is None:
                if idle is not None and conn.idle_rst:
                    conn.reset()
                    return "done"
                return "quiet"
            conn.idle_timeout = None
            conn.idle_rst = False
            conn.served += 1
            log("%s #%d %s %s" % (conn.addr[1] if isinstance(conn.addr, tuple) else "unix",
                                  conn.served, req.method, req.target))
            try:
                res = dispatch(conn, req)
            except ValueError as e:
                log("%s: bad request body: %s" % (conn.addr, e))
                conn.send(head_bytes(400, [("Content-Length", "0"), ("Connection", "close")]))
                return "close"
            if res != "keep":
                return res
    except Gone:
        return "quiet"


def conn_thread(sock, addr):
    conn = Conn(sock, addr)
    try:
        res = serve(conn)
    except Exception as e:                      # keep the server alive whatever happens
        log("%s: error: %r" % (addr, e))
        res = "quiet"
    try:
        if res == "close":
            conn.close_graceful()
        elif not conn.closed:
            conn.sock.close()
    except OSError:
        pass


def uds_address(path):
    return "\0" + path[1:] if path.startswith("@") else path


def start_uds(path, end):
    """Listen on a unix socket; accept in a thread until the lifetime ends."""
    us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if not path.startswith("@"):
        try:
            os.unlink(path)                     # a stale socket file from a crash
        except FileNotFoundError:
            pass
    us.bind(uds_address(path))
    us.listen(256)
    log("listening on unix:%s" % path)

    def cleanup():
        if not path.startswith("@"):
            try:
                os.unlink(path)
            except OSError:
                pass

    atexit.register(cleanup)
    # peers.sh stops us with TERM: exit through atexit so the file goes away.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    threading.Thread(target=peerconn.accept_loop, args=(us, end, log, conn_thread),
                     daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description="scripted HTTP fault server (127.0.0.1 only)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here")
    ap.add_argument("--lifetime", type=float, default=1800.0, help="exit after S seconds")
    ap.add_argument("--uds", help="also listen on this unix socket path (@name: abstract)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    log.quiet = a.quiet
    end = time.monotonic() + a.lifetime
    if a.uds:
        start_uds(a.uds, end)

    ls = peerconn.listen_tcp(a.port)
    port = ls.getsockname()[1]
    if a.port_file:
        peerconn.write_port_file(a.port_file, [port])
    log("listening on 127.0.0.1:%d" % port)

    peerconn.accept_loop(ls, end, log, conn_thread)
    log("lifetime over, exiting")
    return 0


if __name__ == "__main__":
    peerconn.run(main)
