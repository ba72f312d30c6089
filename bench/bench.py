#!/usr/bin/python3
"""bench.py — the scenarios of bench/run.sh (which builds, starts the servers and calls this).

    /usr/bin/python3 bench/bench.py CONFIG.json

CONFIG names the mode (quick|full), the tool paths, the server URLs and PIDs and the
output files. Every scenario runs its peers alternately (A B C A B C ...), repeated,
and reports medians; ratios are taken within the same run. Per run it records the
client's CPU (its own figure when it prints cpu_us_per_req, otherwise the rusage of
the child) and the server's CPU (/proc/PID/stat of the nginx worker or fastserver)
over the run's wall time, and so which side saturated. Writes results.md,
results.dat (gnuplot data) and results.png, and prints the ratios.
"""
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CLK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, flush=True)


def proc_cpu(pid):
    """utime+stime of PID in seconds (0 when gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return 0.0


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(d))
    return out


def descendants(pid):
    out = []
    for c in children(pid):
        out.append(c)
        out.extend(descendants(c))
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kv(text):
    return {k: v for k, v in re.findall(r"(\w+)=([0-9.]+)", text)}


class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.quick = cfg["mode"] == "quick"
        self.stem = "results-quick" if self.quick else "results"  # a quick run does not overwrite the full one
        self.t = cfg["tools"]
        self.tmp = tempfile.mkdtemp(prefix="httpx-bench-py.")
        self.sections = []  # (title, markdown)
        self.ratios = []    # printed at the end
        self.plot = {}      # name -> rows
        self.counters = {}
        self.profile = ""
        wrapper = int(cfg["nginx_pid"])
        self.nginx_worker = next((p for p in descendants(wrapper) if "worker process" in cmdline(p)), None)
        self.fast_pid = next((p for p in [int(cfg["fast_pid"])] + descendants(int(cfg["fast_pid"]))
                              if "fastserver" in cmdline(p) and not cmdline(p).startswith("timeout")), None)
        self.fast = "http://127.0.0.1:%s/small.txt" % cfg["fast_port"]
        self.ng = cfg["nginx_url"] + "/small.txt"
        self.tls = cfg["nginx_tls_url"] + "/small.txt"
        self.ca = cfg["ca_file"]
        self.skipped = []

    # ---- one run ---------------------------------------------------------------
    def run(self, cmd, env=None, server=None, timeout=300, parse=None):
        """Run CMD; returns dict: rps, cpu_us (client CPU per request), requests,
        wall, client_util, server_util, raw output; None when it failed."""
        e = dict(os.environ)
        e.update(env or {})
        s0 = proc_cpu(server) if server else 0.0
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.monotonic()
        try:
            p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                               text=True)
        except subprocess.TimeoutExpired:
            log("   timeout: %s" % " ".join(cmd))
            return None
        wall = time.monotonic() - w0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s1 = proc_cpu(server) if server else 0.0
        ccpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if p.returncode != 0:
            log("   failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), (p.stderr or p.stdout)[-600:]))
            return None
        res = (parse or self.parse_std)(p.stdout + p.stderr)
        if not res or not res.get("requests"):
            log("   cannot parse output of %s:\n%s" % (" ".join(cmd), p.stdout[-400:]))
            return None
        res.setdefault("cpu_us", ccpu * 1e6 / res["requests"])
        res["client_util"] = ccpu / wall
        res["server_util"] = (s1 - s0) / wall if server else None
        res["proc_wall"] = wall
        return res

    @staticmethod
    def parse_std(out):
        d = kv(out)
        if "requests" not in d:
            return None
        n = float(d["requests"])
        res = {"requests": n, "rps": float(d.get("req_per_s") or n / float(d["wall_s"]))}
        if "cpu_us_per_req" in d:
            res["cpu_us"] = float(d["cpu_us_per_req"])
        return res

    @staticmethod
    def parse_wrk(out):
        m = re.search(r"(\d+) requests in ([0-9.]+)(\w+)", out)
        r = re.search(r"Requests/sec:\s*([0-9.]+)", out)
        if not m or not r:
            return None
        return {"requests": float(m.group(1)), "rps": float(r.group(1))}

    @staticmethod
    def parse_h2load(out):
        m = re.search(r"finished in [0-9.]+\w+, ([0-9.]+) req/s", out)
        r = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded", out)
        if not m or not r:
            return None
        return {"requests": float(r.group(1)), "rps": float(m.group(1))}

    # ---- alternating repetitions ----------------------------------------------
    def alternate(self, peers, reps):
        """peers: list of (name, thunk). Runs A B C, A B C, ... reps times; returns
        name -> list of results."""
        out = {name: [] for name, _ in peers}
        for _ in range(reps):
            for name, fn in peers:
                r = fn()
                if r:
                    out[name].append(r)
        return out

    @staticmethod
    def med(rs, key):
        vals = [r[key] for r in rs if r.get(key) is not None]
        return statistics.median(vals) if vals else None

    @staticmethod
    def saturation(rs):
        cu = Bench.med(rs, "client_util")
        su = Bench.med(rs, "server_util")
        if cu is None:
            return "?"
        s = "client %.0f%%" % (cu * 100)
        if su is not None:
            s += ", server %.0f%%" % (su * 100)
            if su >= 0.85 and su >= cu:
                s += " → server"
            elif cu >= 0.85:
                s += " → client"
            else:
                s += " → neither (latency-bound)"
        return s

    # ---- drivers ----------------------------------------------------------------
    def wrk(self, url, c, secs):
        return lambda: self.run(["wrk", "-t1", "-c%d" % c, "-d%ds" % secs, url], server=self.srv,
                                parse=self.parse_wrk)

    def cdrv(self, tool, url, n, c, env=None):
        return lambda: self.run([self.t[tool], url, str(n), str(c)], env=env, server=self.srv)

    def py(self, lib, url, n, c, env=None):
        return lambda: self.run(["/usr/bin/python3", self.t["httpx_py"], lib, url, str(n), str(c)], env=env,
                                server=self.srv)

    def have_py(self, mod):
        return subprocess.run(["/usr/bin/python3", "-c", "import " + mod], capture_output=True).returncode == 0

    # ---- scenarios ----------------------------------------------------------------
    def h1_keepalive(self):
        q = self.quick
        concs = [1, 64] if q else [1, 16, 64, 256]
        reps = 2 if q else 5  # medians of 5: the c>=16 rows swing ±15 % between runs of 3
        npy = 150 if q else 1000
        secs = 1

        def n_for(c):
            # About a second per C-driver sample at every concurrency, as wrk's: a
            # shorter run counts start-up and the 64-256 connects as part of the rate.
            return (5000 if c == 1 else 10000) if q else (30000 if c == 1 else 100000)
        rows = []
        md = ["| server | c | peer | req/s | client µs CPU/req | × wrk req/s | libhttpx × this (CPU/req) | saturated |",
              "|---|---|---|---|---|---|---|---|"]
        for sname, url, pid in (("fastserver", self.fast, self.fast_pid), ("nginx", self.ng, self.nginx_worker)):
            self.srv = pid
            for c in concs:
                peers = [("wrk", self.wrk(url, c, secs)),
                         ("libhttpx", self.cdrv("httpx_keepalive", url, n_for(c), c)),
                         ("libcurl multi (poll)", self.cdrv("curl_keepalive", url, n_for(c), c)),
                         ("libcurl multi_socket (epoll)", self.cdrv("curl_multisocket", url, n_for(c), c))]
                if self.have_httpx:
                    peers.append(("HTTPX (Python)", self.py("httpx", url, npy, c)))
                if self.have_aiohttp:
                    peers.append(("aiohttp", self.py("aiohttp", url, npy, c)))
                log("== h1 keep-alive, %s, c=%d" % (sname, c))
                res = self.alternate(peers, reps)
                wrk_rps = self.med(res["wrk"], "rps")
                hx_cpu = self.med(res["libhttpx"], "cpu_us")
                for name, _ in peers:
                    rs = res[name]
                    rps, cpu = self.med(rs, "rps"), self.med(rs, "cpu_us")
                    if rps is None:
                        md.append("| %s | %d | %s | failed | | | | |" % (sname, c, name))
                        continue
                    md.append("| %s | %d | %s | %.0f | %.1f | %.2f | %s | %s |" % (
                        sname, c, name, rps, cpu, rps / wrk_rps if wrk_rps else 0,
                        "%.2f" % (hx_cpu / cpu) if hx_cpu and name != "libhttpx" else "",
                        self.saturation(rs)))
                    rows.append((sname, c, name, rps, cpu))
                    if name == "libhttpx":
                        log("   libhttpx %.0f req/s (%.2f× wrk), %.1f µs CPU/req" % (
                            rps, rps / wrk_rps if wrk_rps else 0, cpu))
                cu = self.med(res["libcurl multi (poll)"], "cpu_us")
                hr = self.med(res["libhttpx"], "rps")
                cr = self.med(res["libcurl multi (poll)"], "rps")
                if hx_cpu and cu and wrk_rps and hr and cr:
                    self.ratios.append("h1 %s c=%d: libhttpx req/s = %.2f× wrk, %.2f× libcurl; CPU/req = %.2f× libcurl"
                                       % (sname, c, hr / wrk_rps, hr / cr, hx_cpu / cu))
        self.plot["h1"] = rows
        self.sections.append(("Small GET, keep-alive, one client thread", "\n".join(md) +
                              "\n\nwrk runs %d s per sample; the C drivers %d requests at c=1 and %d above, the "
                              "Python ones %d. "
                              "`× wrk` is requests/s over wrk's in the same run (wrk is the load-generator limit). "
                              "`libhttpx × this` is libhttpx's client CPU per request over the peer's: below 1, "
                              "libhttpx spends less. Median of %d alternating runs." % (secs, n_for(1), n_for(64), npy, reps)))

    def h2_streams(self):
        q = self.quick
        streams = [1, 100] if q else [1, 10, 100]
        reps = 2 if q else 3
        env = {"BENCH_H2": "1", "BENCH_CA": self.ca}
        self.srv = self.nginx_worker
        md = ["| streams | peer | req/s | client µs CPU/req | × h2load req/s | saturated |", "|---|---|---|---|---|---|"]
        for s in streams:
            n = (1500 if q else 4000) if s == 1 else (8000 if q else 30000)
            peers = [("h2load", lambda s=s, n=n: self.run(["h2load", "-n", str(n), "-c1", "-m%d" % s, self.tls],
                                                           server=self.srv, parse=self.parse_h2load)),
                     ("libhttpx", self.cdrv("httpx_keepalive", self.tls, n, s, env)),
                     ("libcurl multi (poll)", self.cdrv("curl_keepalive", self.tls, n, s, env)),
                     ("libcurl multi_socket (epoll)", self.cdrv("curl_multisocket", self.tls, n, s, env))]
            if self.have_httpx and self.have_py("h2"):
                peers.append(("HTTPX (Python)", self.py("httpx", self.tls, 200 if q else 1000, s, env)))
            log("== h2, %d stream(s) on one TLS connection (nginx)" % s)
            res = self.alternate(peers, reps)
            h2l = self.med(res["h2load"], "rps")
            for name, _ in peers:
                rs = res[name]
                rps, cpu = self.med(rs, "rps"), self.med(rs, "cpu_us")
                if rps is None:
                    md.append("| %d | %s | failed | | | |" % (s, name))
                    continue
                md.append("| %d | %s | %.0f | %.1f | %.2f | %s |" % (s, name, rps, cpu, rps / h2l if h2l else 0,
                                                                   self.saturation(rs)))
            hx, cu = self.med(res["libhttpx"], "cpu_us"), self.med(res["libcurl multi (poll)"], "cpu_us")
            if hx and cu:
                self.ratios.append("h2 %d streams: libhttpx CPU/req = %.2f× libcurl, req/s = %.2f× h2load" % (
                    s, hx / cu, (self.med(res["libhttpx"], "rps") or 0) / h2l if h2l else 0))
        self.sections.append(("HTTP/2, streams on one TLS connection (nginx)", "\n".join(md)))

    def download(self):
        reps = 1 if self.quick else 3
        self.srv = self.nginx_worker
        md = ["| transport | peer | GB/s | × floor | client CPU s | saturated |", "|---|---|---|---|---|---|"]

        def dl(cmd, env=None):
            def parse(out):
                m = re.search(r"^(\d+) ([0-9.]+)$", out, re.M)  # curl -w
                if m:
                    b, w = float(m.group(1)), float(m.group(2))
                    return {"requests": 1, "rps": b / w / 1e9}
                d = kv(out)
                if "gbytes_per_s" in d:
                    return {"requests": 1, "rps": float(d["gbytes_per_s"])}
                return None
            return lambda: self.run(cmd, env=env, server=self.srv, parse=parse)

        for tname, base, ca in (("plain", self.cfg["nginx_url"], None), ("TLS", self.cfg["nginx_tls_url"], self.ca)):
            url = base + "/big.bin"
            cacert = ["--cacert", ca] if ca else []
            peers = [("floor (read/SSL_read loop)", dl([self.t["floor_download"], url] + ([ca] if ca else []))),
                     ("libhttpx", dl([self.t["httpx_download"], url] + ([ca] if ca else []))),
                     ("curl (CLI, --http1.1)", dl(["curl", "-s", "-o", "/dev/null", "--http1.1", "--noproxy", "*",
                                                  "-w", "%{size_download} %{time_total}\n"] + cacert + [url]))]
            log("== 1 GiB download, %s" % tname)
            peers[2][1]()  # warm-up, not recorded: nginx's first read of the file fills the page cache
            res = self.alternate(peers, reps)
            fl = self.med(res[peers[0][0]], "rps")
            for name, _ in peers:
                rs = res[name]
                g = self.med(rs, "rps")
                if g is None:
                    md.append("| %s | %s | failed | | | |" % (tname, name))
                    continue
                md.append("| %s | %s | %.2f | %.2f | %.2f | %s |" % (tname, name, g, g / fl if fl else 0,
                                                                   self.med(rs, "cpu_us") / 1e6,
                                                                   self.saturation(rs)))
            hx = self.med(res["libhttpx"], "rps")
            if hx and fl:
                self.ratios.append("1 GiB %s download: libhttpx = %.2f× floor" % (tname, hx / fl))
        self.sections.append(("1 GiB download (nginx /big.bin, HTTP/1.1)", "\n".join(md) +
                              "\n\nRates are wall-clock; on loopback the server (nginx sendfile / TLS) shares the "
                              "machine, so the ratio to the floor is the figure to read."))

    def handshakes(self):
        q = self.quick
        n = 60 if q else 300
        reps = 2 if q else 3
        self.srv = self.nginx_worker
        env = {"BENCH_CA": self.ca}
        peers = [("libhttpx (one client, no session reuse)",
                  lambda: self.run([self.t["httpx_conns"], "handshake", self.tls, str(n)],
                                   env=dict(env, HANDSHAKE_MODE="full"), server=self.srv)),
                 ("libhttpx (new client per request)",
                  lambda: self.run([self.t["httpx_conns"], "handshake", self.tls, str(n)], env=env, server=self.srv)),
                 ("libhttpx (one client, Connection: close)",
                  lambda: self.run([self.t["httpx_conns"], "handshake", self.tls, str(n)],
                                   env=dict(env, HANDSHAKE_MODE="close"), server=self.srv)),
                 ("libcurl (FORBID_REUSE, no session cache)",
                  lambda: self.run([self.t["curl_conns"], "handshake", self.tls, str(n)], env=env, server=self.srv)),
                 ("h2load --h1 (-c N -n N)",
                  lambda: self.run(["h2load", "--h1", "-n", str(n), "-c", str(n), self.tls], server=self.srv,
                                   parse=self.parse_h2load))]
        log("== TLS full handshakes (+1 request each)")
        res = self.alternate(peers, reps)
        md = ["| peer | handshakes/s | client µs CPU/handshake | saturated |", "|---|---|---|---|"]
        for name, _ in peers:
            rs = res[name]
            if not rs:
                md.append("| %s | failed | | |" % name)
                continue
            md.append("| %s | %.0f | %.0f | %s |" % (name, self.med(rs, "rps"), self.med(rs, "cpu_us"),
                                                   self.saturation(rs)))
        self.sections.append(("TLS handshakes per second (TLS 1.3, nginx, a new connection per request)",
                              "\n".join(md) + "\n\nh2load opens its N connections at once (its own limit); the "
                              "others one after another. Full, verified handshakes: libhttpx's first row (one client "
                              "with `tls_no_session_reuse`, `Connection: close`: one TLS context, CA file loaded once) "
                              "and second (a new client, so a new context and CA load, per request), and libcurl; "
                              "h2load does not verify the certificate. libhttpx's `Connection: close` row resumes TLS "
                              "sessions (per origin), so it is not a full handshake."))

    def idle(self):
        q = self.quick
        sizes = [1000] if q else [1000, 10000]
        md = ["| connections | transport | peer | heap B/conn | RSS B/conn | setup s |", "|---|---|---|---|---|---|"]
        cases = [(s, "h1 plain (fastserver)", self.fast, {}) for s in sizes]
        cases.append((200 if q else 1000, "h1 TLS (nginx)", self.tls, {"BENCH_CA": self.ca}))
        log("== idle keep-alive connections")
        for n, tname, url, env in cases:
            for name, tool in (("libhttpx", "httpx_conns"), ("libcurl multi", "curl_conns")):
                p = subprocess.run([self.t[tool], "idle", url, str(n)], env=dict(os.environ, **env),
                                   capture_output=True, text=True, timeout=300)
                d = kv(p.stdout)
                if p.returncode or "heap_per_conn_b" not in d:
                    md.append("| %d | %s | %s | failed | | |" % (n, tname, name))
                    log("   %s idle %d failed: %s" % (name, n, p.stderr[-300:]))
                    continue
                md.append("| %d | %s | %s | %s | %s | %s |" % (n, tname, name, d["heap_per_conn_b"],
                                                              d["rss_per_conn_b"], d["wall_s"]))
                self.counters["idle %s %d %s" % (tname, n, name)] = float(d["heap_per_conn_b"])
        self.sections.append(("Idle keep-alive connections: memory per connection", "\n".join(md) +
                              "\n\nHeap: glibc mallinfo2 in-use bytes after the N connections are idle in the pool "
                              "minus before, over the connections opened (requests, futures and easy handles freed). "
                              "OpenSSL's per-connection state counts for TLS."))

    def whole_process(self):
        runs = 40 if self.quick else 200
        qs = self.cfg.get("quickstart")
        url = self.fast
        md = []
        cmds = [("libhttpx example_quickstart", [qs, url]) if qs else None,
                ("curl -s -o /dev/null", ["curl", "-s", "-o", "/dev/null", "--noproxy", "*", url])]
        cmds = [c for c in cmds if c]
        log("== one request as a whole process")
        if shutil.which("hyperfine"):
            js = os.path.join(self.tmp, "hf.json")
            args = ["hyperfine", "-N", "--warmup", "5", "--runs", str(runs), "--export-json", js, "--style", "none"]
            for name, c in cmds:
                args += ["-n", name, " ".join(c)]
            subprocess.run(args, capture_output=True, timeout=300)
            try:
                data = json.load(open(js))["results"]
            except (OSError, ValueError, KeyError):
                data = []
            md = ["| command | mean ms | σ ms | user ms | system ms |", "|---|---|---|---|---|"]
            for r in data:
                md.append("| %s | %.2f | %.2f | %.2f | %.2f |" % (r["command"], r["mean"] * 1e3, r["stddev"] * 1e3,
                                                                 r["user"] * 1e3, r["system"] * 1e3))
            how = "hyperfine -N, %d runs each after 5 warm-up runs" % runs
        else:
            md = ["| command | mean ms (wall) |", "|---|---|"]
            times = {n: [] for n, _ in cmds}
            for _ in range(runs):
                for name, c in cmds:
                    t0 = time.monotonic()
                    subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    times[name].append(time.monotonic() - t0)
            for name, _ in cmds:
                md.append("| %s | %.2f |" % (name, statistics.mean(times[name]) * 1e3))
            how = "hyperfine not installed: %d alternating fork+exec runs each" % runs
        self.sections.append(("One request as a whole process (fastserver)", "\n".join(md) + "\n\n" + how + "."))

    def loops(self):
        reps = 2 if self.quick else 5
        n = 8000 if self.quick else 30000
        c = 64
        self.srv = self.fast_pid
        kinds = ["builtin", "uv", "event", "poll"]
        peers = [(k, self.cdrv("httpx_keepalive", self.fast, n, c, {"HTTPX_BENCH_LOOP": k})) for k in kinds]
        log("== the async scenario on each event loop (fastserver, c=%d)" % c)
        res = self.alternate(peers, reps)
        base = self.med(res["builtin"], "cpu_us")
        md = ["| loop | req/s | client µs CPU/req | CPU × built-in | saturated |", "|---|---|---|---|---|"]
        for k in kinds:
            rs = res[k]
            if not rs:
                md.append("| %s | not built / failed | | | |" % k)
                continue
            cpu = self.med(rs, "cpu_us")
            md.append("| %s | %.0f | %.1f | %.2f | %s |" % (k, self.med(rs, "rps"), cpu, cpu / base if base else 0,
                                                           self.saturation(rs)))
            if base and k != "builtin":
                self.ratios.append("loop %s: CPU/req = %.2f× built-in" % (k, cpu / base))
        self.sections.append(("The same async scenario on each event loop (fastserver, c=%d, %d requests)" % (c, n),
                              "\n".join(md) + "\n\n`poll` is examples/custom_loop_ops.h through "
                              "httpx_loop_new_custom()."))

    # ---- stable counters ------------------------------------------------------------
    def marginal(self, make, n1, n2, measure, count=None):
        """make(n) -> (cmd, env); measure(cmd, env) -> (total, requests_done or None).
        Returns (total(n2) - total(n1)) / (req2 - req1)."""
        a = measure(*make(n1))
        b = measure(*make(n2))
        if a is None or b is None:
            return None
        (ta, ra), (tb, rb) = a, b
        ra = ra if ra is not None else n1
        rb = rb if rb is not None else n2
        if rb == ra:
            return None
        return (tb - ta) / (rb - ra)

    def _req_from(self, out):
        for p in (self.parse_wrk, self.parse_h2load, self.parse_std):
            r = p(out)
            if r:
                return r["requests"]
        return None

    def callgrind(self, cmd, env, keep=None):
        f = os.path.join(self.tmp, "cg.%d.out" % time.monotonic_ns())
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f] + cmd,
                           env=dict(os.environ, **env), capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            log("   callgrind failed: %s\n%s" % (" ".join(cmd), p.stderr[-500:]))
            return None
        total = None
        with open(f) as fh:
            for line in fh:
                if line.startswith("totals:") or line.startswith("summary:"):
                    total = int(line.split()[1])
        if keep:
            shutil.copy(f, keep)
        os.unlink(f)
        return total, self._req_from(p.stdout + p.stderr)

    def mallocs(self, cmd, env):
        f = os.path.join(self.tmp, "mc.%d" % time.monotonic_ns())
        e = dict(os.environ, LD_PRELOAD=self.t["malloc_count"], MALLOC_COUNT_OUT=f, **env)
        p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=300)
        if p.returncode != 0 or not os.path.exists(f):
            log("   malloc count failed: %s" % " ".join(cmd))
            return None
        lines = open(f).read().split("\n")
        os.unlink(f)
        d = kv(lines[-2] if len(lines) > 1 else lines[0])  # the program's own line (the last to exit)
        return int(d["allocs"]) + int(d["reallocs"]), self._req_from(p.stdout + p.stderr)

    def syscalls(self, cmd, env):
        f = os.path.join(self.tmp, "st.%d" % time.monotonic_ns())
        p = subprocess.run(["strace", "-c", "-f", "-o", f] + cmd, env=dict(os.environ, **env), capture_output=True,
                           text=True, timeout=600)
        if p.returncode != 0:
            log("   strace failed: %s" % " ".join(cmd))
            return None
        total = None
        for line in open(f):
            if line.strip().endswith("total"):
                parts = line.split()
                # "100.00 s usecs/call? calls errors total": calls is the integer before errors/total
                nums = [x for x in parts[:-1]]
                total = int(nums[3]) if len(nums) >= 4 and "." not in nums[3] else int(nums[2])
        os.unlink(f)
        return total, self._req_from(p.stdout + p.stderr)

    def counters_section(self):
        q = self.quick
        fast, tls = self.fast, self.tls
        h2env = {"BENCH_H2": "1", "BENCH_CA": self.ca}
        cg_n = (200, 600) if q else (1000, 4000)
        cg_h2 = (500, 1500) if q else (2000, 8000)
        hs_n = (2, 4) if q else (4, 16)
        mult = 5 if q else 10  # allocation runs are this much longer (native speed)
        t = self.t

        def drv(tool, url, c, env=None):
            return lambda n: ([t[tool], url, str(n), str(c)], env or {})

        def wrkd(c):
            return lambda n: (["wrk", "-t1", "-c%d" % c, "-d%ds" % n, fast], {})

        h1 = [("libhttpx", drv("httpx_keepalive", fast, 1)),
              ("libhttpx async (c=2)", drv("httpx_keepalive", fast, 2)),
              ("libcurl multi", drv("curl_keepalive", fast, 1)),
              ("wrk", wrkd(1))]
        h1_64 = [("libhttpx", drv("httpx_keepalive", fast, 64)),
                 ("libcurl multi", drv("curl_keepalive", fast, 64)),
                 ("wrk", wrkd(64))]
        h2 = [("libhttpx", drv("httpx_keepalive", tls, 100, h2env)),
              ("libcurl multi", drv("curl_keepalive", tls, 100, h2env)),
              ("h2load", lambda n: (["h2load", "-n", str(n), "-c1", "-m100", tls], {}))]
        # libhttpx: one client, sessions not reused (HANDSHAKE_MODE=full), as h2load keeps one
        # context; the new-client-per-request figure (context and CA file load included, as
        # for libcurl) is its own row below.
        hs = [("libhttpx", lambda n: ([t["httpx_conns"], "handshake", tls, str(n)],
                                      {"BENCH_CA": self.ca, "HANDSHAKE_MODE": "full"})),
              ("libcurl", lambda n: ([t["curl_conns"], "handshake", tls, str(n)], {"BENCH_CA": self.ca})),
              ("h2load --h1", lambda n: (["h2load", "--h1", "-n", str(n), "-c", str(n), tls], {}))]
        hs_fresh = [("libhttpx", lambda n: ([t["httpx_conns"], "handshake", tls, str(n)],
                                            {"BENCH_CA": self.ca, "HANDSHAKE_MODE": "fresh"}))]
        rows = []
        wrk_secs = (1, 2) if q else (1, 3)
        log("== stable counters: instructions (callgrind), allocations, syscalls per request (marginal)")
        prof = os.path.join(self.tmp, "profile-h1.out")
        sets = [("h1 keep-alive c=1 (fastserver)", h1, cg_n), ("h1 keep-alive c=64 (fastserver)", h1_64, cg_n),
                ("h2 100 streams, one TLS conn (nginx)", h2, cg_h2),
                ("TLS full handshake + 1 request (nginx)", hs, hs_n),
                ("TLS full handshake + 1 request, new client each (context + CA file) (nginx)", hs_fresh, hs_n)]
        if q:
            del sets[1]
        # The adapters' cost as stable counters (the loops section's CPU figures are
        # wall-clock and noisy on 2 CPUs).
        loop_kinds = ("builtin", "uv", "event", "poll")
        sets.append(("h1 keep-alive c=64, per event loop (fastserver)",
                     [("libhttpx, %s loop" % k, drv("httpx_keepalive", fast, 64, {"HTTPX_BENCH_LOOP": k}))
                      for k in loop_kinds], cg_n))
        for label, peers, n12 in sets:
            for name, mk in peers:
                isw = name == "wrk"
                a, b = (wrk_secs if isw else n12)
                ins = self.marginal(mk, a, b, self.callgrind)
                if label.startswith("TLS"):
                    al = self.marginal(mk, a, b, self.mallocs)
                    sc = self.marginal(mk, a, b, self.syscalls)
                else:
                    ma, mb = ((1, 2) if isw else (n12[0] * mult, n12[1] * mult))
                    al = self.marginal(mk, ma, mb, self.mallocs)
                    sa, sb = ((1, 2) if isw else n12)
                    sc = self.marginal(mk, sa, sb, self.syscalls)
                rows.append((label, name, ins, al, sc))
                log("   %s, %s: %s instr, %s allocs, %s syscalls per request" % (
                    label, name, "%.0f" % ins if ins else "?", "%.1f" % al if al is not None else "?",
                    "%.2f" % sc if sc is not None else "?"))
                self.counters[(label, name)] = (ins, al, sc)
        md = ["| work | peer | instructions/request | allocations/request | syscalls/request |",
              "|---|---|---|---|---|"]
        for label, name, ins, al, sc in rows:
            md.append("| %s | %s | %s | %s | %s |" % (label, name, "{:,.0f}".format(ins) if ins else "?",
                                                     "%.1f" % al if al is not None else "?",
                                                     "%.2f" % sc if sc is not None else "?"))
        for lab in ("h1 keep-alive c=1 (fastserver)", "h2 100 streams, one TLS conn (nginx)"):
            hx = self.counters.get((lab, "libhttpx"), (None,))[0]
            cu = self.counters.get((lab, "libcurl multi"), (None,))[0]
            if hx and cu:
                self.ratios.append("%s: libhttpx instructions/request = %.2f× libcurl" % (lab, hx / cu))
        lab = "TLS full handshake + 1 request (nginx)"
        hx = self.counters.get((lab, "libhttpx"), (None,))[0]
        hl = self.counters.get((lab, "h2load --h1"), (None,))[0]
        if hx and hl:
            self.ratios.append("%s: libhttpx instructions = %.2f× h2load (which does not verify)" % (lab, hx / hl))
        lab = "h1 keep-alive c=64, per event loop (fastserver)"
        base = self.counters.get((lab, "libhttpx, builtin loop"), (None,))[0]
        for k in loop_kinds[1:]:
            ins = self.counters.get((lab, "libhttpx, %s loop" % k), (None,))[0]
            if base and ins:
                self.ratios.append("loop %s: instructions/request = %.2f× built-in" % (k, ins / base))
        self.plot["counters"] = rows
        self.sections.append(("Stable counters (marginal: difference of two run lengths over the request difference)",
                              "\n".join(md) + "\n\nInstructions: valgrind callgrind, client user space, whole process "
                              "(runs of %d and %d requests; wrk: %d s and %d s, h2load %d/%d; handshakes %d and %d). "
                              "Allocations: bench/malloc_count.so (LD_PRELOAD; malloc, calloc, realloc, aligned), "
                              "runs %d× longer. Syscalls: strace -c -f." % (
                                  cg_n[0], cg_n[1], wrk_secs[0], wrk_secs[1], cg_h2[0], cg_h2[1], hs_n[0], hs_n[1],
                                  mult)))
        # The profile: the sync client's h1 keep-alive loop, collected only inside
        # httpx_client_get (no process start-up, no dynamic linking).
        n_prof = cg_n[1]
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + prof, "--collect-atstart=no",
                        "--toggle-collect=httpx_client_get", t["httpx_keepalive"], fast, str(n_prof), "1"],
                       capture_output=True, timeout=600)
        if os.path.exists(prof) and shutil.which("callgrind_annotate"):
            p = subprocess.run(["callgrind_annotate", "--inclusive=no", prof], capture_output=True, text=True)
            lines = [ln for ln in p.stdout.splitlines() if re.match(r"^\s*[0-9,]+ \(", ln)]
            top = lines[1:13] if lines and "PROGRAM TOTALS" in lines[0] else lines[:12]
            self.profile = "\n".join(top)
            shutil.copy(prof, os.path.join(self.cfg["outdir"], self.stem.replace("results", "profile-h1") + ".callgrind"))
            p = subprocess.run(["callgrind_annotate", "--inclusive=yes", prof], capture_output=True, text=True)
            inc = [ln for ln in p.stdout.splitlines() if re.match(r"^\s*[0-9,]+ \(", ln) and "libhttpx" in ln]
            self.profile += "\n\ninclusive (libhttpx functions):\n" + "\n".join(inc[:16])
            self.sections.append(("Profile: libhttpx h1 keep-alive, c=1 (callgrind inside httpx_client_get, self "
                                  "cost, %d requests)" % n_prof,
                                  "```\n" + self.profile + "\n```\n\nFull profile: bench/%s.callgrind "
                                  "(`callgrind_annotate --inclusive=yes bench/%s.callgrind`)." % ((self.stem.replace(
                                      "results", "profile-h1"),) * 2)))

    # ---- output -------------------------------------------------------------------------
    def write(self):
        out = self.cfg["outdir"]
        uname = os.uname()
        cpu = ""
        try:
            cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
        except (OSError, StopIteration):
            pass
        head = ["# libhttpx benchmarks: results (%s run)" % self.cfg["mode"], "",
                "Run: %s. Machine: %s, %d CPUs, Linux %s, %s." % (
                    time.strftime("%Y-%m-%d %H:%M %Z"), cpu, os.cpu_count(), uname.release, uname.machine),
                "Everything on loopback: client and server share these CPUs. Figures are medians of alternating runs "
                "in this one run; read the ratios, not the absolute numbers. How to run and what each scenario "
                "measures: docs/performance.md.", "", "## Ratios", ""]
        head += ["- " + r for r in self.ratios]
        if self.skipped:
            head += ["", "Skipped: " + "; ".join(self.skipped)]
        body = []
        for title, md in self.sections:
            body += ["", "## " + title, "", md]
        with open(os.path.join(out, self.stem + ".md"), "w") as f:
            f.write("\n".join(head + body) + "\n")
        self.write_plot()

    def write_plot(self):
        out = self.cfg["outdir"]
        rows = self.plot.get("h1", [])
        if not rows:
            return
        dat = os.path.join(out, self.stem + ".dat")
        peers = []
        for r in rows:
            if r[2] not in peers:
                peers.append(r[2])
        with open(dat, "w") as f:
            for sname in ("fastserver", "nginx"):
                f.write("# %s: c %s (req/s)\n" % (sname, " ".join('"%s"' % p for p in peers)))
                cs = sorted({r[1] for r in rows if r[0] == sname})
                for c in cs:
                    vals = []
                    for p in peers:
                        v = next((r[3] for r in rows if r[0] == sname and r[1] == c and r[2] == p), None)
                        vals.append("%.0f" % v if v else "NaN")
                    f.write("%d %s\n" % (c, " ".join(vals)))
                f.write("\n\n")
        if not shutil.which("gnuplot"):
            self.skipped.append("results.png (gnuplot not installed: apt-get install gnuplot-nox)")
            return
        cols = " ".join("'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, p) for i, p in enumerate(peers))
        gp = """set terminal pngcairo size 1400,600 font ',10'
set output '%s'
set multiplot layout 1,2 title 'h1 keep-alive GET, requests/s by concurrency (one client thread, loopback)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key below
set termoption noenhanced
set logscale y
set grid ytics
set ylabel 'requests/s'
set xlabel 'concurrency'
set title 'against fastserver'
plot %s
set title 'against nginx (one worker)'
plot %s
unset multiplot
""" % (os.path.join(out, self.stem + ".png"),
            ", ".join("'%s' index 0 using %d:xtic(1) title '%s'" % (dat, i + 2, p) for i, p in enumerate(peers)),
            ", ".join("'%s' index 1 using %d:xtic(1) title '%s'" % (dat, i + 2, p) for i, p in enumerate(peers)))
        del cols
        p = subprocess.run(["gnuplot"], input=gp, capture_output=True, text=True)
        if p.returncode:
            log("gnuplot failed: " + p.stderr[-300:])

    def main(self):
        self.have_httpx = self.have_py("httpx")
        self.have_aiohttp = self.have_py("aiohttp")
        if not self.have_httpx:
            self.skipped.append("HTTPX (python3-httpx not installed)")
        if not self.have_aiohttp:
            self.skipped.append("aiohttp (python3-aiohttp not installed)")
        only = os.environ.get("BENCH_ONLY", "")
        steps = [("h1", self.h1_keepalive), ("h2", self.h2_streams), ("download", self.download),
                 ("handshake", self.handshakes), ("idle", self.idle), ("process", self.whole_process),
                 ("loops", self.loops), ("counters", self.counters_section)]
        t0 = time.monotonic()
        for name, fn in steps:
            if only and name not in only.split(","):
                continue
            s0 = time.monotonic()
            try:
                fn()
            except Exception as ex:  # a broken scenario must not lose the others
                log("   scenario %s failed: %r" % (name, ex))
                self.sections.append((name, "failed: %r" % ex))
            log("   (%s: %.0f s)" % (name, time.monotonic() - s0))
        self.write()
        log("\n== ratios (same run; details in bench/%s.md)" % self.stem)
        for r in self.ratios:
            log("   " + r)
        log("   total %.0f s" % (time.monotonic() - t0))
        shutil.rmtree(self.tmp, ignore_errors=True)


if __name__ == "__main__":
    Bench(json.load(open(sys.argv[1]))).main()
