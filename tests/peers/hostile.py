#!/usr/bin/python3
"""hostile.py - the hostile-server suite's scripted HTTP/1.1 server (libhttpx tests).

Standard library (+ ssl; python3-brotli and the zstd CLI for the br/zstd bombs)
only; run it with /usr/bin/python3.  Listens on 127.0.0.1 only, one thread per
connection.  Every connection is closed at the latest 60 s after it was accepted,
and the process exits after --lifetime seconds.

Each case is a file tests/hostile/NAME.case (format: tests/hostile/README).  This
server reads only its "server" lines, the script; the test reads the rest.
Bombs are made on the fly and cached: gzip/deflate by repeating one fully flushed
deflate unit of zeros (container written by hand), br with python3-brotli, zstd as
a frame of RLE blocks written by hand; outer layers of a stack are compressed for
real (zlib, brotli, the zstd CLI).

Ports
  --port         plain HTTP.  GET /case/NAME runs NAME's script once the request
                 head is read (the script's first step is normally read-request,
                 which is then a no-op).  "?small=1" scales bombs down (64 MiB at
                 most) for sanitizer and valgrind runs.
                 GET /arm/NAME answers 200 "armed" and makes NAME the script of the
                 next connection on the raw-TLS port.  GET /ok answers 200 "hello".
  --tls-port     TLS (the suite's server certificate), then the same as --port.
  --tlsraw-port  no TLS at all: the client speaks TLS here, and the armed script
                 runs on the bare socket (TLS garbage, dropped handshakes).  A
                 connection with nothing armed is closed at once.

Script steps (one per "server" line):
  read-request        read the request head (up to the blank line)
  read-body           read a Content-Length request body (after read-request)
  read-some MS        read whatever arrives within MS ms (a TLS ClientHello)
  send "BYTES"        escapes \\r \\n \\t \\\\ \\" \\xHH
  send-pattern N      N bytes of "0123456789..."
  chunk N             one chunk of N pattern bytes: "<hex N>\\r\\n<bytes>\\r\\n"
  sleep MS
  drip K MS "BYTES"   BYTES, K bytes at a time, MS ms apart
  repeat N STEP...    STEP N times ("forever": until the client leaves or 60 s)
  bomb ENC MIB [chunked]
                      a body of MIB MiB (a float) of zero bytes, encoded by ENC, a
                      comma list applied left to right as Content-Encoding lists
                      them ("br,gzip": br inside, gzip outside); codings gzip,
                      deflate, br, zstd.  Sent raw, or chunk-framed with "chunked"
                      (no final 0 chunk: add it with send).
  gzip-bomb MIB / br-bomb MIB / zstd-bomb MIB     bomb with one coding
  hold                wait, reading nothing, until the client closes (or 60 s)
  drain               read and drop everything until the client closes (or 60 s)
  close               FIN (on TLS: the TCP FIN without a close_notify)
  close-notify        TLS close_notify, then FIN
  reset               RST (SO_LINGER 0)
After the last step the connection is closed (FIN) if still open.

Usage: hostile.py --cases DIR [--port P] [--tls-port P --tlsraw-port P --cert PEM
                  --key KEY] [--port-file FILE] [--lifetime S] [--quiet]
"""

import argparse
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import zlib

# peerconn.py sits next to this file; say so even where the script's directory is
# not on sys.path by itself (python3 -P, PYTHONSAFEPATH).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerconn                                       # noqa: E402
from peerconn import Gone                             # noqa: E402

CONN_LIFETIME = 60.0
MAX_HEAD = 1 << 20
SMALL_MIB = 64.0
CASES = "."
ARMED = []
ARMED_LOCK = threading.Lock()
BOMBS = {}
BOMBS_LOCK = threading.Lock()
PATTERN = b"0123456789"


class BadCase(Exception):
    pass


log = peerconn.Log("hostile")


def pattern(n):
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


# ---------------------------------------------------------------- case files

def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
            continue
        if i + 1 >= len(s):
            raise BadCase("dangling backslash")
        e = s[i + 1]
        if e == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
            continue
        out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\", '"': b'"', "0": b"\0"}[e]
        i += 2
    return bytes(out)


def tokens(line):
    """Split a script line into words; a "quoted" word becomes bytes."""
    out = []
    i = 0
    while i < len(line):
        if line[i] in " \t":
            i += 1
            continue
        if line[i] == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            if j >= len(line):
                raise BadCase("unterminated string")
            out.append(unescape(line[i + 1:j]))
            i = j + 1
            continue
        j = i
        while j < len(line) and line[j] not in " \t":
            j += 1
        out.append(line[i:j])
        i = j
    return out


def load_script(name):
    if not name or "/" in name or name.startswith("."):
        raise BadCase("bad case name %r" % name)
    path = os.path.join(CASES, name + ".case")
    steps = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.startswith("server"):
                continue
            rest = line[len("server"):].strip()
            if rest:
                steps.append(tokens(rest))
    return steps


# ---------------------------------------------------------------- bombs

def zstd_compress(data):
    p = subprocess.run(["zstd", "-q", "-c", "-3", "--no-check"], input=data,
                       stdout=subprocess.PIPE, check=True)
    return p.stdout


def encode_layer(coding, chunks):
    """Compress an iterable of byte chunks with one coding; returns bytes."""
    if coding in ("gzip", "deflate"):
        z = zlib.compressobj(9, zlib.DEFLATED, 31 if coding == "gzip" else 15)
        out = bytearray()
        for c in chunks:
            out += z.compress(c)
        out += z.flush()
        return bytes(out)
    if coding == "br":
        import brotli                                   # python3-brotli
        b = brotli.Compressor(quality=5, lgwin=24)
        out = bytearray()
        for c in chunks:
            out += b.process(c)
        out += b.finish()
        return bytes(out)
    if coding == "zstd":
        return zstd_compress(b"".join(chunks))
    raise BadCase("unknown coding %r" % coding)


def zeros(mib):
    n = int(mib * (1 << 20))
    blk = bytes(1 << 20)
    while n > 0:
        k = min(n, len(blk))
        yield blk[:k]
        n -= k


def deflate_zeros(mib, gzip):
    """MIB MiB of zeros as a gzip (or zlib) stream, fast: after a full flush the
    compressor's state is reset, so each MiB compresses to the same bytes; one MiB is
    compressed and its output repeated, and the container is written by hand."""
    n = int(mib)
    per = 8 if n % 8 == 0 else 1                      # MiB per flushed unit
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = z.compress(bytes(per << 20)) + z.flush(zlib.Z_FULL_FLUSH)
    body = unit * (n // per) + b"\x03\x00"            # an empty final fixed block
    size = n << 20
    if gzip:
        crc = 0
        blk = bytes(1 << 20)
        for _ in range(n):
            crc = zlib.crc32(blk, crc)
        return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03" + body +
                struct.pack("<II", crc & 0xffffffff, size & 0xffffffff))
    adler = ((size % 65521) << 16) | 1                # adler32 of zeros: a = 1, b = n
    return b"\x78\xda" + body + struct.pack(">I", adler)


def zstd_zeros(mib):
    """MIB MiB of zeros as one zstd frame (RFC 8878) of RLE blocks, 4 bytes per
    128 KiB: magic, a frame header without content size (8 MiB window), blocks."""
    n = int(mib * (1 << 20))
    out = bytearray(b"\x28\xb5\x2f\xfd\x00\x68")
    while True:
        k = min(n, 1 << 17)
        n -= k
        hdr = (k << 3) | (1 << 1) | (1 if n == 0 else 0)     # RLE block, last flag
        out += struct.pack("<I", hdr)[:3] + b"\x00"
        if n == 0:
            return bytes(out)


def bomb(codings, mib):
    key = (codings, mib)
    with BOMBS_LOCK:
        if key in BOMBS:
            return BOMBS[key]
        layers = codings.split(",")
        if layers[0] in ("gzip", "deflate") and mib >= 2 and mib == int(mib):
            data = deflate_zeros(mib, layers[0] == "gzip")
        elif layers[0] == "zstd":
            data = zstd_zeros(mib)
        else:
            data = encode_layer(layers[0], zeros(mib))
        for c in layers[1:]:
            data = encode_layer(c, [data])
        BOMBS[key] = data
        log("bomb %s %g MiB: %d bytes on the wire" % (codings, mib, len(data)))
        return data


# ---------------------------------------------------------------- connections

class Conn(peerconn.Conn):
    """peerconn.Conn on a plain or TLS socket (or on a bare one the client speaks
    TLS to, on the raw-TLS port)."""

    def __init__(self, sock, small):
        super().__init__(sock, time.monotonic() + CONN_LIFETIME)
        self.small = small

    def read_head(self):
        """The request head, through a CRLF blank line only; Gone if it never comes."""
        try:
            head = super().read_head(MAX_HEAD, bare_lf=False)
        except OverflowError:
            head = None
        if head is None:
            raise Gone()
        return head

    def sleep(self, ms):
        t = min(ms / 1000.0, self.remaining())
        time.sleep(max(0.0, t))
        self.remaining()

    def release(self):
        if isinstance(self.sock, ssl.SSLSocket):
            os.close(self.sock.detach())          # no TLS teardown: just the RST
        else:
            self.sock.close()

    def close(self, notify=False):
        """Graceful close (peerconn.Conn.close_graceful); on TLS, with notify a
        close_notify first, without it the TCP FIN alone."""
        if self.closed:
            return
        s = self.sock
        if isinstance(s, ssl.SSLSocket):
            try:
                if notify:
                    s.settimeout(1.0)
                    try:
                        s = s.unwrap()
                    except (OSError, ssl.SSLError, ValueError):
                        pass
                else:
                    s = socket.socket(fileno=s.detach())   # drop the TLS object, keep the fd
            except (OSError, ValueError):
                pass
            self.sock = s
        self.close_graceful()


def content_length(head):
    for ln in head.split(b"\r\n")[1:]:
        if b":" in ln:
            n, v = ln.split(b":", 1)
            if n.strip().lower() == b"content-length":
                try:
                    return int(v.strip())
                except ValueError:
                    return 0
    return 0


def run_step(conn, st, state):
    verb = st[0]
    args = st[1:]
    if verb == "read-request":
        if state.get("head") is None:
            state["head"] = conn.read_head()
    elif verb == "read-body":
        conn.read_exact(content_length(state.get("head") or b""), keep=False)
    elif verb == "read-some":
        try:
            conn.fill(int(args[0]) / 1000.0)
        except Gone:
            pass
    elif verb == "send":
        conn.send(args[0])
    elif verb == "send-pattern":
        n = int(args[0])
        while n > 0:
            k = min(n, 1 << 16)
            conn.send(pattern(k))
            n -= k
    elif verb == "chunk":
        n = int(args[0])
        conn.send(b"%x\r\n" % n + pattern(n) + b"\r\n")
    elif verb == "sleep":
        conn.sleep(int(args[0]))
    elif verb == "drip":
        k, ms, data = int(args[0]), int(args[1]), args[2]
        for i in range(0, len(data), k):
            if i:
                conn.sleep(ms)
            conn.send(data[i:i + k])
    elif verb == "repeat":
        n = args[0]
        sub = args[1:]
        if n == "forever":
            while True:
                conn.remaining()
                run_step(conn, sub, state)
        else:
            for _ in range(int(n)):
                run_step(conn, sub, state)
    elif verb in ("bomb", "gzip-bomb", "br-bomb", "zstd-bomb"):
        if verb != "bomb":
            args = [verb[:-5]] + args
        codings, mib = args[0].decode() if isinstance(args[0], bytes) else args[0], float(args[1])
        if conn.small:
            mib = min(mib, SMALL_MIB)
        data = bomb(codings, mib)
        chunked = len(args) > 2 and args[2] == "chunked"
        for i in range(0, len(data), 1 << 16):
            piece = data[i:i + (1 << 16)]
            conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece)
    elif verb == "hold":
        conn.wait_gone(read=False)
    elif verb == "drain":
        conn.wait_gone(read=True)
    elif verb == "close":
        conn.close()
    elif verb == "close-notify":
        conn.close(notify=True)
    elif verb == "reset":
        conn.reset()
    else:
        raise BadCase("unknown step %r" % verb)


def run_script(conn, name, head):
    steps = load_script(name)
    state = {"head": head}
    try:
        for st in steps:
            if conn.closed:
                break
            run_step(conn, st, state)
    except Gone:
        pass


def respond(conn, status, body):
    conn.send(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" %
              (status, len(body), body))


def serve_http(conn):
    try:
        head = conn.read_head()
    except Gone:
        return
    line = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
    target = line[1] if len(line) == 3 else "/"
    path, _, query = target.partition("?")
    conn.small = conn.small or "small=1" in query.split("&")
    try:
        if path == "/ok":
            respond(conn, 200, b"hello")
        elif path.startswith("/arm/"):
            load_script(path[5:])                       # must exist
            with ARMED_LOCK:
                ARMED.append(path[5:])
            respond(conn, 200, b"armed")
        elif path.startswith("/case/"):
            name = path[6:]
            log("case %s%s" % (name, " (small)" if conn.small else ""))
            run_script(conn, name, head)
        else:
            respond(conn, 404, b"no such path\n")
    except (BadCase, OSError, KeyError, ValueError, IndexError) as e:
        log("bad case: %r" % e)
        try:
            respond(conn, 500, ("bad case: %r\n" % e).encode())
        except Gone:
            pass
    except Gone:
        pass


def conn_thread(sock, kind, ctx):
    conn = None
    try:
        if kind == "tls":
            sock.settimeout(10)
            try:
                sock = ctx.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as e:
                log("tls handshake: %r" % e)
                sock.close()
                return
        conn = Conn(sock, False)
        if kind == "tlsraw":
            with ARMED_LOCK:
                name = ARMED.pop(0) if ARMED else None
            if name is None:
                conn.reset()
                return
            log("tlsraw case %s" % name)
            try:
                run_script(conn, name, None)
            except (BadCase, OSError, ValueError) as e:
                log("bad case: %r" % e)
        else:
            serve_http(conn)
    except Exception as e:                              # keep serving whatever happens
        log("error: %r" % e)
    finally:
        if conn is not None and not conn.closed:
            conn.close()
        elif conn is None:
            try:
                sock.close()
            except OSError:
                pass


def serve_on(ls, kind, ctx, end):
    peerconn.accept_loop(ls, end, log, lambda s, _addr: conn_thread(s, kind, ctx))


def main():
    global CASES
    ap = argparse.ArgumentParser(description="hostile HTTP server (127.0.0.1 only)")
    ap.add_argument("--cases", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-port", type=int)
    ap.add_argument("--tlsraw-port", type=int)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=1800.0)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    log.quiet = a.quiet
    CASES = a.cases
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    end = time.monotonic() + a.lifetime
    ls = peerconn.listen_tcp(a.port, 128)
    ports = [ls.getsockname()[1]]
    if a.tls_port is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(["http/1.1"])
        tls = peerconn.listen_tcp(a.tls_port, 128)
        ports.append(tls.getsockname()[1])
        threading.Thread(target=serve_on, args=(tls, "tls", ctx, end), daemon=True).start()
    if a.tlsraw_port is not None:
        raw = peerconn.listen_tcp(a.tlsraw_port, 128)
        ports.append(raw.getsockname()[1])
        threading.Thread(target=serve_on, args=(raw, "tlsraw", None, end), daemon=True).start()
    if a.port_file:
        peerconn.write_port_file(a.port_file, ports)
    log("listening on 127.0.0.1:%s" % ", ".join(map(str, ports)))
    serve_on(ls, "plain", None, end)
    log("lifetime over, exiting")
    return 0


if __name__ == "__main__":
    peerconn.run(main)
