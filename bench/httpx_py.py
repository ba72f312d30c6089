#!/usr/bin/python3
"""httpx_py.py — the Python peers of bench/run.sh: HTTPX (the namesake) and aiohttp.

    /usr/bin/python3 httpx_py.py httpx|aiohttp URL [N [C]]

N (10000) GETs of URL, keep-alive, C (1) in flight on one asyncio loop (C
workers taking requests from a shared count), bodies read and dropped. Prints,
like the C drivers:

    requests=N wall_s=X cpu_us_per_req=Y req_per_s=Z

Y is this process's CPU time (time.process_time) over the loop, per request.
BENCH_CA names the CA file for https; BENCH_H2=1 asks HTTPX for HTTP/2 (needs the
h2 module; aiohttp has no HTTP/2). Exit status 1 if a request failed.
Debian's python3-httpx / python3-aiohttp: run with /usr/bin/python3.
"""
import asyncio
import os
import ssl
import sys
import time


async def run_httpx(url, n, c):
    import httpx
    ca = os.environ.get("BENCH_CA")
    h2 = os.environ.get("BENCH_H2") == "1"
    limits = httpx.Limits(max_connections=1 if h2 else c, max_keepalive_connections=1 if h2 else c)
    state = {"left": n, "failed": 0}
    async with httpx.AsyncClient(limits=limits, trust_env=False, http2=h2, verify=ca or True,
                                 timeout=30) as client:
        async def worker():
            while state["left"] > 0:
                state["left"] -= 1
                r = await client.get(url)
                if r.status_code != 200:
                    state["failed"] += 1
        await asyncio.gather(*(worker() for _ in range(c)))
    return state["failed"]


async def run_aiohttp(url, n, c):
    import aiohttp
    ca = os.environ.get("BENCH_CA")
    sslctx = ssl.create_default_context(cafile=ca) if ca else None
    state = {"left": n, "failed": 0}
    conn = aiohttp.TCPConnector(limit=c, ssl=sslctx if sslctx else None)
    async with aiohttp.ClientSession(connector=conn, trust_env=False) as session:
        async def worker():
            while state["left"] > 0:
                state["left"] -= 1
                async with session.get(url) as r:
                    await r.read()
                    if r.status != 200:
                        state["failed"] += 1
        await asyncio.gather(*(worker() for _ in range(c)))
    return state["failed"]


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("httpx", "aiohttp"):
        print(__doc__, file=sys.stderr)
        return 2
    lib, url = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    c = min(int(sys.argv[4]) if len(sys.argv) > 4 else 1, n)
    if lib == "httpx":
        import httpx  # noqa: F401  (import before timing)
        fn = run_httpx
    else:
        import aiohttp  # noqa: F401
        fn = run_aiohttp
    w0, c0 = time.monotonic(), time.process_time()
    failed = asyncio.run(fn(url, n, c))
    wall, cpu = time.monotonic() - w0, time.process_time() - c0
    print("requests=%d wall_s=%.3f cpu_us_per_req=%.2f req_per_s=%.0f" % (n, wall, cpu * 1e6 / n, n / wall))
    if failed:
        print("%s: %d request(s) failed" % (lib, failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
