"""peerconn.py - what the scripted test peers share (rawserver.py, hostile.py,
proxyserver.py): a buffered socket with a deadline, the accept loop, the port file
and the log.  Standard library only; imported from the peers' own directory.

Conn reads into one bytearray (recv of at most 64 KiB at a time) and takes bytes
off its front.  Every read and write is bounded by the connection's deadline (an
absolute time.monotonic() value); past it, or when the peer closes or errs, they
raise Gone, so a handler needs one except clause to stop.
"""

import os
import select
import socket
import struct
import sys
import threading
import time

RECV = 65536


class Gone(Exception):
    """The peer left (EOF, error) or the connection's time is up."""


class Timeout(Gone):
    """The connection's deadline (or a shorter wait) passed."""


class Log:
    """log(msg) writes "PROG: msg" to stderr (the peer's .log file under peers.sh),
    unless log.quiet is set (--quiet)."""

    def __init__(self, prog):
        self.prog = prog
        self.quiet = False

    def __call__(self, msg):
        if not self.quiet:
            sys.stderr.write("%s: %s\n" % (self.prog, msg))
            sys.stderr.flush()


def head_end(buf, bare_lf=True):
    """Length of the head at the start of buf, through its blank line ("\\r\\n\\r\\n",
    or "\\n\\n" when bare_lf), whichever comes first; 0 if not there yet."""
    ends = []
    i = buf.find(b"\r\n\r\n")
    if i >= 0:
        ends.append(i + 4)
    if bare_lf:
        j = buf.find(b"\n\n")
        if j >= 0:
            ends.append(j + 2)
    return min(ends) if ends else 0


class Conn:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.buf = bytearray()
        self.deadline = deadline
        self.closed = False

    # ---- time ----
    def remaining(self):
        r = self.deadline - time.monotonic()
        if r <= 0:
            raise Timeout()
        return r

    # ---- input ----
    def fill(self, timeout=None):
        """One recv into buf, waiting at most timeout seconds (and never past the
        deadline)."""
        t = self.remaining()
        if timeout is not None:
            t = min(t, timeout)
        self.sock.settimeout(t)
        try:
            data = self.sock.recv(RECV)
        except socket.timeout:
            raise Timeout()
        except OSError:                         # ssl.SSLError included
            raise Gone()
        if not data:
            raise Gone()
        self.buf += data

    def take(self, n):
        """The first n bytes of buf, removed from it (every read goes through
        here, so a subclass can watch what is consumed)."""
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_line(self, limit=65536):
        """One line with its ending, as received; ValueError past limit bytes."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                return self.take(i + 1)
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self.fill()

    def pieces(self, n):
        """The next n bytes, yielded as they arrive: at most one recv's worth is
        buffered, whatever n is (large bodies are relayed or dropped, not held)."""
        while n > 0:
            if not self.buf:
                self.fill()
            k = min(n, len(self.buf))
            n -= k
            yield self.take(k)

    def read_exact(self, n, keep=True):
        """The next n bytes (keep=False: read and dropped, returns None)."""
        if not keep:
            for _ in self.pieces(n):
                pass
            return None
        return b"".join(self.pieces(n))

    def read_head(self, limit, idle=None, bare_lf=True):
        """One head, through its blank line (see head_end).  None when the peer
        closes, or idle seconds pass, before its first byte; OverflowError when
        more than limit bytes come without the blank line."""
        if not self.buf:
            try:
                self.fill(idle)
            except Gone:
                return None
        while True:
            end = head_end(self.buf, bare_lf)
            if end:
                return self.take(end)
            if len(self.buf) > limit:
                raise OverflowError()
            self.fill()

    # ---- output ----
    def send(self, data):
        if self.closed:
            raise Gone()
        self.sock.settimeout(self.remaining())
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Timeout()
        except OSError:
            raise Gone()

    # ---- ending ----
    def release(self):
        """Close the socket object (hostile.py closes a TLS one's fd instead)."""
        self.sock.close()

    def reset(self):
        """Close with RST: SO_LINGER on with a 0 s timeout makes close() abort."""
        if self.closed:
            return
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.release()
        except OSError:
            pass
        self.closed = True

    def close_graceful(self, drain=1.0):
        """FIN, then read (and drop) what the peer still sends for up to drain
        seconds, so that unread request bytes do not turn the close into a RST."""
        if self.closed:
            return
        s = self.sock
        try:
            s.shutdown(socket.SHUT_WR)
            end = time.monotonic() + min(drain, max(0.0, self.deadline - time.monotonic()))
            while True:
                t = end - time.monotonic()
                if t <= 0:
                    break
                s.settimeout(t)
                if not s.recv(RECV):
                    break
        except (OSError, ValueError):
            pass
        try:
            s.close()
        except OSError:
            pass
        self.closed = True

    def wait_gone(self, read=True):
        """Block until the peer closes or the deadline passes.  read=True drops
        what arrives meanwhile; read=False reads nothing (POLLRDHUP tells a close
        apart from data), so the peer's writes stall once the buffers fill."""
        if read:
            self.buf.clear()
        p = select.poll()
        mask = select.POLLRDHUP | select.POLLHUP | select.POLLERR
        if read:
            mask |= select.POLLIN
        p.register(self.sock.fileno(), mask)
        while True:
            r = self.deadline - time.monotonic()
            if r <= 0:
                return
            for _fd, e in p.poll(min(r, 1.0) * 1000):
                if e & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                    return
                if e & select.POLLIN:
                    try:
                        self.sock.settimeout(0.1)
                        if not self.sock.recv(RECV):
                            return
                    except socket.timeout:
                        pass
                    except OSError:
                        return


# ---------------------------------------------------------------- listening

def listen_tcp(port, backlog=256):
    """A listening socket on 127.0.0.1:port (0: any free port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def write_port_file(path, ports):
    """The bound ports, space-separated, written whole (peers.sh may be reading)."""
    with open(path + ".tmp", "w") as f:
        f.write(" ".join(map(str, ports)) + "\n")
    os.replace(path + ".tmp", path)


def accept_loop(ls, end, log, handle):
    """Accept on ls until the monotonic time end; each connection runs
    handle(sock, addr) in a daemon thread.  A unix socket's peers have no address:
    they are numbered ("unix", N) instead.  Accept errors (no fds left, say) are
    logged and retried, so the server outlives them."""
    unix = ls.family == socket.AF_UNIX
    n = 0
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        ls.settimeout(min(left, 5.0))          # wake up to notice the end
        try:
            s, addr = ls.accept()
        except socket.timeout:
            continue
        except OSError as e:
            log("accept%s: %r" % (" (unix)" if unix else "", e))
            time.sleep(0.05)
            continue
        if unix:
            n += 1
            addr = ("unix", n)
        else:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(s, addr), daemon=True).start()


def run(main):
    """The peers' entry point: exit with main()'s status; Ctrl-C (a peer run by
    hand) ends it quietly."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
