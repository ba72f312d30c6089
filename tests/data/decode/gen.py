#!/usr/bin/python3
"""Regenerate the decode fixtures (see README.md). Needs python3-brotli and zstd(1)."""
import brotli, gzip, subprocess

def text():
    # Must match text_line() in tests/unit/decode_test.c.
    return b"".join(b"%05d the quick brown fox jumps over the lazy dog\n" % i for i in range(2000))

def zstd(data, *args):
    return subprocess.run(["zstd", "-q", "-c", *args], input=data, check=True,
                          stdout=subprocess.PIPE).stdout

t = text()
open("text.br", "wb").write(brotli.compress(t, quality=9))
open("text.zst", "wb").write(zstd(t, "-9"))
# Two frames back to back: RFC 8878 allows several frames in one body.
open("text2.zst", "wb").write(zstd(t[:50000], "-3") + zstd(t[50000:], "-3"))
# "Content-Encoding: gzip, br": gzip applied first, then br.
open("text.gz.br", "wb").write(brotli.compress(gzip.compress(t, mtime=0), quality=5))
# A frame declaring a 16 MiB window (content size unknown, so zstd keeps it):
# beyond our 8 MiB cap.
open("window24.zst", "wb").write(zstd(t[:1000], "--long=24", "--no-content-size"))

# Bombs: 1 GiB of zeros, compressed in 1 MiB pieces so this script stays small.
zero = bytes(1 << 20)
c = brotli.Compressor(quality=5)
parts = [c.process(zero) for _ in range(1024)]
parts.append(c.finish())
open("zeros-1g.br", "wb").write(b"".join(parts))
p = subprocess.Popen(["zstd", "-q", "-c", "-3", "--no-content-size"], stdin=subprocess.PIPE,
                     stdout=open("zeros-1g.zst", "wb"))
for _ in range(1024):
    p.stdin.write(zero)
p.stdin.close()
assert p.wait() == 0
