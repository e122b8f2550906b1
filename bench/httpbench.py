#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP update API benchmark (issue: the update API at scale).

wrk against /nic/update with keep-alive at N hosts (default 1,000,000, each
a real host row owned by one user whose password is a real argon2id hash
made by `ddnsctl user add`):

* good:  changed-address updates per second (each answered `good` only
         after COMMIT and publication), p50/p99; once alone and once with
         dnsperf at a fixed 20,000 qps alongside (DNS p99 idle beforehand);
* nochg: polls that repeat each host's current address, p50/p99;
* bad:   wrong passwords for the owner's account from 127.0.0.1: once the
         failed-login buckets are empty each is refused with 503 `911`
         before any hashing. Meanwhile the owner updates from 127.0.0.2
         (a paced Python client bound to that address) and its latency is
         compared with the same client's before the attack;
* HTTP p99 at half the bar's rates (10,000 good/s, 25,000 nochg/s, 25,000
  rejected/s), paced by the wrk script's delay() (Debian's wrk has no -R).

Per phase it also records the CPU each ddnsd thread used (/proc/PID/task),
so a saturated thread shows. Raw results: bench/out/http.json; a section of
docs/BENCHMARKS.md between the http-bench markers.

    bench/httpbench.py [--hosts N] [--duration S] [--connections C]
                       [--reps R] [--no-docs]

Each phase runs R times (default 3) and reports the median run; the
steady-state nochg runs alternate with runs of the same requests against
a bare h2o handler that answers a constant `nochg` line (bench/h2oconst.c,
2 threads): the ceiling of this machine, kernel, h2o and load generator.
"""

import argparse
import base64
import http.client
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from benchlib import cbuild, dnsperf, dnsprobe, proc, zonegen  # noqa: E402
from benchlib.dnsbench import free_port  # noqa: E402

OUT = os.path.join(HERE, "out")
ZONE = zonegen.ZONE
SCRIPT = os.path.join(HERE, "wrk", "update.lua")
CTL = os.path.join(REPO, "build", "ddnsctl")
DDNSD = os.path.join(REPO, "build", "ddnsd")
BEGIN = "<!-- http-bench begin -->"
END = "<!-- http-bench end -->"
USER = "bench"
PASSWORD = "correct horse battery staple, benchmark edition"
WRONG = "not the password"
OWNER_HOSTS = 1000           # the last hosts: the owner's own updates
OWNER_RATE = 100             # its requests per second (paced)
BAR = {"good": 20000, "nochg": 50000, "bad": 50000}
CLK_TCK = os.sysconf("SC_CLK_TCK")
NO_WAIT = ("bad", "bad_half")   # run at once after the limiter engaged


def say(msg):
    print(msg, flush=True)


def basic(user, pw):
    return base64.b64encode(f"{user}:{pw}".encode()).decode()


# ---------------------------------------------------------------- set-up

ACCESS_LOG = None      # --access-log: None = {work}/access.log, "" = off


def write_conf(work, dns_port, http_port, hosts):
    log = os.path.join(work, "access.log") if ACCESS_LOG is None else ACCESS_LOG
    conf = os.path.join(work, "ddnsd.conf")
    with open(conf, "w") as f:
        f.write(f"""[server]
dns-listen = 127.0.0.1:{dns_port}
http-listen = 127.0.0.1:{http_port}
http-threads = 2
auth-threads = 2
access-log = {log}
database = {work}/ddnsd.db
control-socket = {work}/ddnsd.sock
workers = 2
default-max-hosts = {min(hosts, 1000000)}

[zone {ZONE}]
ns = ns1.{ZONE}, ns2.{ZONE}
glue = ns1.{ZONE} 192.0.2.53
glue = ns2.{ZONE} 192.0.2.54
""")
    return conf


def start(cmd, work, name):
    log = open(os.path.join(work, name + ".log"), "ab")
    p = subprocess.Popen(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return p


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_http(port, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/checkip", headers={"User-Agent": "ddnsd-httpbench/1.0"})
            c.getresponse().read()
            c.close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def v4(i):
    """A host's address in the database: 198.51.100.(1 + i mod 254); the
    wrk script's nochg mode sends the same."""
    return bytes([198, 51, 100, 1 + i % 254])


def v6(i):
    return bytes.fromhex("20010db8%04x%04x0000000000000001" % (i >> 16, i & 0xffff))


def owner_label(i):
    label = b"host%07d" % i
    return bytes([len(label)]) + label


def make_db(work, dns_port, http_port, hosts):
    """A database with user `bench` (real argon2id hash, made by ddnsctl
    with ddnsd running) owning `hosts` hosts, each with an A record (every
    other one an AAAA too), inserted as writerbench.py does."""
    conf = write_conf(work, dns_port, http_port, hosts)
    empty = os.path.join(work, "empty.zone")
    with open(empty, "w") as f:
        f.write(f"$ORIGIN {ZONE}.\n")
    subprocess.run([CTL, "-c", conf, "zone", "import", ZONE, empty], check=True,
                   stdout=subprocess.DEVNULL)
    p = start([DDNSD, "-c", conf], work, "ddnsd-setup")
    try:
        if not wait_http(http_port, 30):
            raise RuntimeError("ddnsd (set-up) did not come up")
        subprocess.run([CTL, "-c", conf, "user", "add", USER, "--email", "bench@example.org",
                        "--max-hosts", str(min(hosts, 1000000))],
                       input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    finally:
        stop(p)
    db = sqlite3.connect(os.path.join(work, "ddnsd.db"))
    zid = db.execute("SELECT id FROM zone WHERE name = ?", (ZONE,)).fetchone()[0]
    uid = db.execute("SELECT id FROM user WHERE name = ?", (USER,)).fetchone()[0]
    db.execute("UPDATE user SET max_hosts = ? WHERE id = ?", (hosts, uid))
    db.executemany("INSERT INTO host(zone, owner, name, user, ipv4, ipv6, ttl, created) "
                   "VALUES (?, ?, ?, ?, ?, ?, 60, 0)",
                   ((zid, owner_label(i), "host%07d.%s" % (i, ZONE), uid, v4(i),
                     v6(i) if i % 2 == 0 else None) for i in range(hosts)))
    db.executemany("INSERT INTO rr(zone, owner, type, rdata, ttl) VALUES (?, ?, 1, ?, 60)",
                   ((zid, owner_label(i), v4(i)) for i in range(hosts)))
    db.executemany("INSERT INTO rr(zone, owner, type, rdata, ttl) VALUES (?, ?, 28, ?, 60)",
                   ((zid, owner_label(i), v6(i)) for i in range(0, hosts, 2)))
    db.commit()
    db.close()
    return conf


# ------------------------------------------------------------ measurement

def thread_ticks(pid):
    """{tid: (name, utime+stime ticks)} for every thread of pid."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        fl = s[s.rindex(")") + 2:].split()
        out[int(tid)] = (name, int(fl[11]) + int(fl[12]))
    return out


class CpuWatch:
    """CPU used per ddnsd thread name (summed, and the busiest single
    thread) and by our child processes (wrk, dnsperf, curl), in cores."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        self.t0 = time.monotonic()
        self.th0 = thread_ticks(self.pid)
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.ch0 = r.ru_utime + r.ru_stime
        r = resource.getrusage(resource.RUSAGE_SELF)
        self.self0 = r.ru_utime + r.ru_stime
        self.sys0 = proc.system_ticks()
        return self

    def __exit__(self, *exc):
        el = time.monotonic() - self.t0
        th1 = thread_ticks(self.pid)
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        names = {}
        for tid, (name, t) in th1.items():
            d = (t - self.th0.get(tid, (name, 0))[1]) / CLK_TCK / el
            s = names.setdefault(name, {"threads": 0, "cores": 0.0, "busiest": 0.0})
            s["threads"] += 1
            s["cores"] += d
            s["busiest"] = max(s["busiest"], d)
        for s in names.values():
            s["cores"] = round(s["cores"], 2)
            s["busiest"] = round(s["busiest"], 2)
        b1, t1 = proc.system_ticks()
        rs = resource.getrusage(resource.RUSAGE_SELF)
        self_cores = (rs.ru_utime + rs.ru_stime - self.self0) / el
        children = (r.ru_utime + r.ru_stime - self.ch0) / el
        ddnsd = sum(s["cores"] for s in names.values())
        machine = (b1 - self.sys0[0]) / CLK_TCK / el
        self.result = {
            "seconds": round(el, 2),
            "ddnsd_threads": names,
            "ddnsd_cores": round(sum(s["cores"] for s in names.values()), 2),
            "children_cores": round((r.ru_utime + r.ru_stime - self.ch0) / el, 2),
            "machine_busy_cores": round(machine, 2),
            "bench_self_cores": round(self_cores, 2),
            # what other people's processes took meanwhile (approximate)
            "others_cores": round(max(0.0, machine - ddnsd - children - self_cores), 2),
        }
        return False


def wrk(url, mode, lo, hi, salt, auth, duration, conns, rate=None, threads=2):
    env = dict(os.environ)
    env.pop("HTTPBENCH_RATE", None)
    if rate:
        env["HTTPBENCH_RATE"] = str(rate)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration:g}s", "--timeout", "10s",
           "--latency", "-s", SCRIPT, url, "--", mode, str(lo), str(hi), str(salt),
           str(threads), auth]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=env)
    res = None
    for line in p.stdout.splitlines():
        if line.startswith("HTTPBENCH_JSON "):
            res = json.loads(line[len("HTTPBENCH_JSON "):])
    if p.returncode != 0 or res is None:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stdout[-1500:]}")
    sec = res["duration_us"] / 1e6
    res["rate"] = res["requests"] / sec
    for k, v in res["replies"].items():
        res[k + "_per_s"] = v / sec
    res["cmd"] = ("HTTPBENCH_RATE=%s " % rate if rate else "") + " ".join(cmd[:-1]) + " BASIC"
    res["wrk_text"] = p.stdout[:p.stdout.find("HTTPBENCH_JSON")].rstrip()
    return res


def pct(sorted_v, p):
    return dnsperf.percentile(sorted_v, p)


class Owner:
    """The account's owner updating its own hosts from 127.0.0.2 with the
    right password (cached in ddnsd after the first login), one request
    every 1/OWNER_RATE s on a keep-alive connection; each changes the host's
    address, so each is a durable `good`."""

    def __init__(self, port, lo, hi):
        self.port, self.lo, self.hi = port, lo, hi
        self.j = 0
        self.hdrs = {"User-Agent": "ddnsd-httpbench-owner/1.0",
                     "Authorization": "Basic " + basic(USER, PASSWORD)}
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                               source_address=("127.0.0.2", 0))

    def one(self, retry=True):
        span = self.hi - self.lo
        h = self.lo + self.j % span
        addr = "203.0.113.%d" % (1 + (self.j // span) % 254)
        self.j += 1
        if self.conn is None:
            self._connect()
        t0 = time.perf_counter()
        try:
            self.conn.request("GET", f"/nic/update?hostname=host{h:07d}.{ZONE}&myip={addr}",
                              headers=self.hdrs)
            r = self.conn.getresponse()
            body = r.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            if retry and isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError,
                                        ConnectionResetError)):
                # the server closed an idle keep-alive connection: a real
                # client reconnects and sends again
                self.j -= 1
                dt, w = self.one(retry=False)
                return dt + (time.perf_counter() - t0 - dt), w
            return time.perf_counter() - t0, "error " + type(e).__name__
        return time.perf_counter() - t0, body.split(" ")[0].strip()

    def run(self, duration):
        if self.conn is not None:
            self.conn.close()
        self._connect()
        lat, words = [], {}
        t_next = time.monotonic()
        end = t_next + duration
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if t_next > now:
                time.sleep(t_next - now)
            t_next += 1.0 / OWNER_RATE
            dt, w = self.one()
            lat.append(dt)
            words[w] = words.get(w, 0) + 1
        lat.sort()
        return {"requests": len(lat), "replies": words,
                "p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3,
                "max_ms": lat[-1] * 1e3 if lat else None}


def quiet():
    """Wait (up to 2 minutes) until other people's processes leave the CPU
    nearly idle: this machine is shared. Returns the last reading, in
    cores, which is kept with each result."""
    return proc.wait_quiet(limit=0.15, patience=120, say=say)


def dns_p99(port, qfile, duration):
    return dnsperf.run(port, qfile, duration, rate=20000, verbose=True)


def brief(r):
    lu = r["latency_us"]
    rep = ", ".join(f"{k} {v:,}" for k, v in r["replies"].items() if v)
    return (f"{r['rate']:,.0f} req/s (p50 {lu['p50'] / 1e3:.2f} ms, p99 {lu['p99'] / 1e3:.2f} ms, "
            f"max {lu['max'] / 1e3:.1f} ms) replies: {rep}")


def threads_note(cpu):
    th = cpu["ddnsd_threads"]
    parts = [f"{n} {s['cores']:.2f}" + (f" (busiest {s['busiest']:.2f})" if s["threads"] > 1 else "")
             for n, s in sorted(th.items(), key=lambda kv: -kv[1]["cores"]) if s["cores"] >= 0.01]
    who = "ddnsd" if any(n.startswith("ddnsd") for n in th) else "server"
    return (f"{who} {cpu['ddnsd_cores']:.2f} cores [{', '.join(parts)}]; load generators "
            f"{cpu['children_cores'] + cpu.get('bench_self_cores', 0):.2f}; other people's "
            f"processes {cpu.get('others_cores', 0):.2f}; machine {cpu['machine_busy_cores']:.2f}")


WORD = {"good": "good", "nochg": "nochg", "bad": "911"}


def median_run(runs, mode, rate):
    """The median of a phase's runs (by the counted rate; paced runs by
    p99), with every run's rate and p99 kept beside it."""
    if rate:
        key = lambda r: r["latency_us"]["p99"]  # noqa: E731
    else:
        key = lambda r: r[WORD[mode] + "_per_s"]  # noqa: E731
    m = dict(sorted(runs, key=key)[len(runs) // 2])
    m["runs"] = [{"per_s": round(r[WORD[mode] + "_per_s"]), "p99_ms": r["latency_us"]["p99"] / 1e3}
                 for r in runs]
    return m


def start_ceiling(port):
    """bench/h2oconst (cbuild) on 127.0.0.1:port with 2 threads, or None
    when it cannot be built or does not answer."""
    try:
        exe = cbuild.build("h2oconst", "-DH2O_USE_LIBUV=0", libs=["-lh2o-evloop"])
    except RuntimeError as e:
        say(f"warning: {e}")
        return None
    c = subprocess.Popen([exe, "127.0.0.1", str(port), "2"], stdin=subprocess.DEVNULL,
                         start_new_session=True)
    if not wait_http(port, 10):
        stop(c)
        return None
    return c


def suite(hosts, duration, conns, qfile, tmp, reps):
    work = os.path.join(tmp, "ddnsd")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    dns_port, http_port = free_port(), free_port()
    while http_port == dns_port:
        http_port = free_port()
    say(f"ddnsd: creating {hosts:,} hosts")
    t0 = time.monotonic()
    conf = make_db(work, dns_port, http_port, hosts)
    # The new database is hundreds of MB of dirty pages: written out now,
    # not by the kernel's flusher during the first runs.
    os.sync()
    setup_s = time.monotonic() - t0
    out = {"hosts": hosts, "duration": duration, "connections": conns,
           "setup_s": round(setup_s, 1), "phases": {}}
    url = f"http://127.0.0.1:{http_port}"
    good_auth = basic(USER, PASSWORD)
    bad_auth = basic(USER, WRONG)
    # host ranges: the good phase rotates over the first half, nochg over
    # the rest but the owner's last OWNER_HOSTS, which the owner updates.
    own_lo = max(hosts - OWNER_HOSTS, hosts * 3 // 4)
    half = hosts // 2
    ranges = {"good": (0, half), "nochg": (half, own_lo), "bad": (own_lo, hosts)}
    out["ranges"] = ranges
    salt = [0]

    def good_salt(prev):
        # the next good run's addresses must differ from the previous one's
        # on every host: move past all passes it made.
        if prev is not None:
            salt[0] += prev["requests"] // (half) + 2
        return salt[0] % 254

    p = start([DDNSD, "-c", conf], work, "ddnsd")
    t_up = time.monotonic()
    try:
        if not dnsprobe.wait_answer(dns_port, zonegen.last_host(hosts), "A", timeout=300):
            raise RuntimeError("ddnsd did not come up")
        if not wait_http(http_port, 60):
            raise RuntimeError("ddnsd's HTTP did not come up")
        out["startup_s"] = round(time.monotonic() - t_up, 1)
        say(f"ddnsd: up in {out['startup_s']} s (pid {p.pid}); set-up took {setup_s:.1f} s")
        owner = Owner(http_port, own_lo, hosts)
        # one login each from both addresses puts the password in the cache
        _, w = owner.one()
        c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        c.request("GET", f"/nic/update?hostname=host{half:07d}.{ZONE}&myip=" +
                  ".".join(map(str, v4(half))),
                  headers={"User-Agent": "ddnsd-httpbench/1.0", "Authorization": "Basic " + good_auth})
        w2 = c.getresponse().read().decode().split(" ")[0]
        c.close()
        if w != "good" or w2 != "nochg":
            raise RuntimeError(f"warm-up replies: owner {w!r}, 127.0.0.1 {w2!r}")
        ph = out["phases"]

        def run_once(name, mode, rate, with_dns, with_owner, dur, wait, conns, target, pid):
            bg = quiet() if wait else None
            lo, hi = ranges[mode]
            s = good_salt(ph.get("_last_good")) if mode == "good" else 0
            extra = {}
            ths = []
            if with_dns:
                def dns():
                    extra["dns"] = dns_p99(dns_port, qfile, dur)
                ths.append(threading.Thread(target=dns))
            if with_owner:
                def own():
                    extra["owner"] = owner.run(dur)
                ths.append(threading.Thread(target=own))
            with CpuWatch(pid) as cw:
                for t in ths:
                    t.start()
                r = wrk(target, mode, lo, hi, s, bad_auth if mode == "bad" else good_auth,
                        dur, conns, rate=rate)
                for t in ths:
                    t.join()
            r.update(extra)
            r["cpu"] = cw.result
            r["target_rate"] = rate
            r["background_cores_before"] = round(bg, 2) if bg is not None else None
            r["salt"] = s
            if mode == "good":
                ph["_last_good"] = r
            line = f"{name}: {brief(r)}"
            if rate:
                line += f" [target {rate:,}/s]"
            say(line)
            if "dns" in extra:
                d = extra["dns"]
                say(f"  DNS at 20k qps alongside: {d.get('qps', 0):,.0f} qps, p50 "
                    f"{d['p50'] * 1e3:.3f} ms, p99 {d['p99'] * 1e3:.3f} ms, lost {d.get('lost', 0):.0f}")
            if "owner" in extra:
                o = extra["owner"]
                say(f"  owner from 127.0.0.2: {o['requests']} requests {o['replies']}, "
                    f"p50 {o['p50_ms']:.2f} ms, p99 {o['p99_ms']:.2f} ms, max {o['max_ms']:.1f} ms")
            say("  cpu: " + threads_note(r["cpu"]))
            if r["replies"]["other"]:
                say(f"  unexpected replies, e.g. {r['other_sample']!r}")
            return r

        def run(name, mode, rate=None, with_dns=False, with_owner=False, dur=duration,
                wait=True, conns=conns, n=reps, pair=None):
            """n runs of a phase; the phase's result is the median run: by
            the counted rate, or for a paced run by its p99. pair: a phase
            name, URL and server pid whose runs alternate with these (the
            ceiling), each one right after one of them."""
            got, other = [], []
            for _ in range(n):
                got.append(run_once(name, mode, rate, with_dns, with_owner, dur, wait, conns,
                                    url, p.pid))
                if pair:
                    other.append(run_once(pair[0], mode, rate, False, False, dur, wait, conns,
                                          pair[1], pair[2]))
            for key, runs in ((name, got),) + (((pair[0], other),) if pair else ()):
                ph[key] = median_run(runs, mode, rate)
            return ph[name]

        out["background_cores_before_idle_dns"] = round(quiet(), 2)
        idle = dns_p99(dns_port, qfile, duration)
        out["dns_idle"] = idle
        say(f"DNS idle at 20k qps: p50 {idle['p50'] * 1e3:.3f} ms, p99 {idle['p99'] * 1e3:.3f} ms")

        run("good", "good")
        run("good_dns", "good", with_dns=True)
        run("good_4x", "good", conns=4 * conns)
        # Routers poll every few minutes: in steady state a poll repeats one
        # the server has answered before (the memo, src/http/memo.c). The
        # first run over the nochg hosts is the cold case, the next ones
        # the steady state.
        cold = run("nochg_cold", "nochg", n=1)
        # The cold pass reaches only the first hosts of the range in its
        # time; the others poll once now (not measured), so that the
        # steady state is that of every router having polled before.
        seen, top = ranges["nochg"][0] + cold["requests"] - 1000, ranges["nochg"][1]
        while seen < top:
            w = wrk(url, "nochg", seen, top, 0, good_auth, 1 + (top - seen) // 25000, conns)
            say(f"warm-up over hosts {seen:,}-{top:,}: {brief(w)}")
            seen += max(1, w["requests"] - 1000)
        # the ceiling: a bare h2o handler answering the same requests with
        # a constant `nochg` line, each of its runs right after one of
        # ddnsd's, so that both see the same machine
        ceil_port = free_port()
        ceiling = start_ceiling(ceil_port)
        try:
            run("nochg", "nochg", pair=("ceiling", f"http://127.0.0.1:{ceil_port}",
                                        ceiling.pid) if ceiling else None)
            run("nochg_4x", "nochg", conns=4 * conns,
                pair=("ceiling_4x", f"http://127.0.0.1:{ceil_port}", ceiling.pid)
                if ceiling else None)
        finally:
            stop(ceiling)
        # HTTP p99 at half the bar's rates, paced
        run("good_half", "good", rate=BAR["good"] // 2)
        run("nochg_half", "nochg", rate=BAR["nochg"] // 2)
        # the attack last: the failed-login buckets stay empty afterwards
        out["background_cores_before_owner"] = round(quiet(), 2)
        o = owner.run(duration)
        out["owner_before"] = o
        say(f"owner alone from 127.0.0.2: {o['requests']} requests {o['replies']}, "
            f"p50 {o['p50_ms']:.2f} ms, p99 {o['p99_ms']:.2f} ms, max {o['max_ms']:.1f} ms")
        # the limiter engaging: the first wrong passwords are hashed
        run("bad_engage", "bad", with_owner=True, dur=min(3, duration), n=1)
        # then refusals only, until the account's bucket refills a token 30 s
        # after the last failure: so no waiting for a quiet machine here
        run("bad", "bad", with_owner=True, wait="bad" not in NO_WAIT)
        run("bad_half", "bad", rate=BAR["bad"] // 2, with_owner=True, wait="bad_half" not in NO_WAIT)
        ph.pop("_last_good", None)
        # the database after it all: rows changed, file size
        log = os.path.join(work, "access.log")
        if os.path.exists(log):
            out["access_log_bytes"] = os.path.getsize(log)
            os.unlink(log)      # a few GB: the line count is in the replies above
        out["db_bytes"] = sum(os.path.getsize(os.path.join(work, f)) for f in os.listdir(work)
                              if f.startswith("ddnsd.db"))
    finally:
        stop(p)
        out["ddnsd_exit"] = p.returncode
    return out


# ----------------------------------------------------------------- report

def verdict(ok):
    return "**met**" if ok else "**not met**"


def markdown(res, command):
    ph = res["phases"]
    ms = lambda us: f"{us / 1e3:.2f}"  # noqa: E731

    def row(label, r, what, note=""):
        lu = r["latency_us"]
        return (f"| {label} | {r['rate']:,.0f} | {r[what + '_per_s']:,.0f} | {ms(lu['p50'])} | "
                f"{ms(lu['p99'])} | {ms(lu['max'])} | {note} | {r['cpu'].get('others_cores', 0):.2f} |")

    g, gd, n, b, be = ph["good"], ph["good_dns"], ph["nochg"], ph["bad"], ph["bad_engage"]
    gh, nh, bh = ph["good_half"], ph["nochg_half"], ph["bad_half"]
    idle, under = res["dns_idle"], gd["dns"]
    ob, od, odh, oe = res["owner_before"], b["owner"], bh["owner"], be["owner"]
    cpu = lambda r: threads_note(r["cpu"])  # noqa: E731
    lines = [BEGIN, "", "## HTTP update API", "",
             f"Command: `{command}` — {time.strftime('%Y-%m-%d %H:%M')}.", "",
             f"{res['hosts']:,} hosts owned by one user (`bench`, a real argon2id hash made by "
             "`ddnsctl user add`), each with an A record (half with AAAA), set up in SQLite as "
             "the writer benchmark does. ddnsd with `http-threads = 2`, `auth-threads = 2`, "
             "`workers = 2`, and "
             + ("the access log off" if res.get("access_log") == "" else
                f"the access log written to `{res['access_log']}`" if res.get("access_log") else
                "the access log on (`access-log`: one JSON line per request "
                "written to a file on the same disk, as an operator runs it"
                + (f"; {res['access_log_bytes'] / 1e9:.1f} GB by the end"
                   if res.get('access_log_bytes') else "") + ")")
             + ". Load: wrk over keep-alive, "
             f"`-t2 -c{res['connections']} -d{res['duration']:g}s` with `bench/wrk/update.lua`, "
             "which rotates over the hosts and counts each reply word per thread:", "",
             f"* **good**: request *j* sets host *j* mod {res['ranges']['good'][1]:,} (the first "
             "half) to an address that differs from the one it has, so every request is a "
             "durable change answered `good` only after COMMIT (`synchronous=FULL`) and "
             "publication;",
             "* **nochg**: a poll of each host of the second half with the address it already "
             "has (set when the database was built: that is the setting pass), answered "
             "`nochg`. The first run over those hosts is the cold case (each poll new to the "
             "server: answered by the writer, which also teaches the memo); the hosts it did not "
             "reach in its time are then polled once, unmeasured; the runs after that "
             "are the steady state of routers that poll every few minutes (answered on the "
             "HTTP thread from the memo, src/http/memo.c);",
             "* **rejected**: a wrong password for the owner's account from 127.0.0.1; after the "
             "first 5 failures (the account's bucket; the identical requests that arrive while "
             "one of those is verified share its `badauth`) every request is the 503 `911` "
             "refusal given before any hashing. Meanwhile the owner, with the right (cached) password, "
             f"updates its own hosts from 127.0.0.2 at {OWNER_RATE} requests/s (a Python client "
             "bound to that address, keep-alive, each request a changed address).", "",
             "Machine: 2 cores shared by the load generators (wrk, dnsperf, the Python owner "
             "client) and ddnsd, so every rate below is what is left for ddnsd after the load "
             "generator took its share: ratios and trends matter more than the absolute "
             "figures. \"Half rate\" runs are paced by the script's `delay()` (Debian's wrk has "
             "no `-R`): each wrk thread claims send slots on a fixed schedule, any free "
             "connection sends at its slot; latency is wrk's, from sending to the reply "
             "(a closed-loop client with spare connections, not a wrk2 open-loop one).", "",
             f"Each phase ran {res.get('reps', 1)} times; a row is the median run (by the "
             "counted rate; a paced run by its p99) and lists every run. The engagement of "
             "the limiter and the cold nochg pass happen once. The ceiling rows are a bare h2o "
             "handler (`bench/h2oconst.c`, 2 threads, SO_REUSEPORT, keep-alive) answering the "
             "same wrk requests with a constant `nochg` line, each of its runs right after one "
             "of ddnsd's nochg runs: what this machine, its loopback TCP, h2o and the load "
             "generator allow, measured beside ddnsd.", "",
             "wrk's latency percentiles are its own, and wrk corrects them for coordinated "
             "omission before printing them and before the script's `done()` sees them "
             "(`stats_correct`: a reply slower than twice a connection's mean interval adds "
             "synthetic samples for the requests that connection would have sent meanwhile). "
             "A few multi-second replies therefore move p99 (and the mean) far more than "
             "their own count would: that is what happens while the limiter engages, when "
             "the first wrong passwords of every connection queue for argon2id.", "",
             "Last column: cores that other people's processes (builds, tests, other "
             "benchmarks on this shared machine) took during the run — where it is high, the "
             "row measures ddnsd on less than the 2 cores.", "",
             "| run | req/s | counted replies/s | p50 ms | p99 ms | max ms | replies | others' cores |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]

    def reps(r):
        words = ", ".join(f"{k} {v:,}" for k, v in r["replies"].items() if v) or "–"
        runs = r.get("runs", [])
        if len(runs) < 2:
            return words
        if r.get("target_rate"):
            each = "; p99 of each run: " + ", ".join(f"{x['p99_ms']:.2f}" for x in runs) + " ms"
        else:
            each = "; each run: " + ", ".join(f"{x['per_s']:,}/s" for x in runs)
        return words + " (median run)" + each
    lines.append(row("good", g, "good", reps(g)))
    lines.append(row("good, DNS 20k qps alongside", gd, "good", reps(gd)))
    g4 = ph.get("good_4x")
    if g4:
        lines.append(row(f"good, {4 * res['connections']} connections", g4, "good", reps(g4)))
    nc, n4 = ph.get("nochg_cold"), ph.get("nochg_4x")
    if nc:
        lines.append(row("nochg, first pass (cold: each host's poll new to the server)", nc,
                         "nochg", reps(nc)))
    lines.append(row("nochg" + (", steady state" if nc else ""), n, "nochg", reps(n)))
    ce, ce4 = ph.get("ceiling"), ph.get("ceiling_4x")
    if ce:
        lines.append(row("ceiling: bare h2o, constant `nochg` (bench/h2oconst.c)", ce, "nochg",
                         reps(ce)))
    if n4:
        lines.append(row(f"nochg, steady state, {4 * res['connections']} connections", n4,
                         "nochg", reps(n4)))
    if ce4:
        lines.append(row(f"ceiling, {4 * res['connections']} connections", ce4, "nochg",
                         reps(ce4)))
    lines.append(row(f"rejected logins, limiter engaging (first {be['duration_us'] / 1e6:.0f} s)",
                     be, "911", reps(be)))
    lines.append(row("rejected logins, limiter engaged", b, "911", reps(b)))
    lines.append(row(f"good at {gh['target_rate']:,}/s (half)", gh, "good", reps(gh)))
    lines.append(row(f"nochg at {nh['target_rate']:,}/s (half)", nh, "nochg", reps(nh)))
    lines.append(row(f"rejected at {bh['target_rate']:,}/s (half)", bh, "911", reps(bh)))
    lines += ["", "DNS at a fixed 20,000 qps (dnsperf, the DNS benchmark's query mix):", "",
              "| | p50 ms | p99 ms | lost |", "|---|---:|---:|---:|",
              f"| idle | {idle['p50'] * 1e3:.3f} | {idle['p99'] * 1e3:.3f} | {idle.get('lost', 0):.0f} |",
              f"| during good updates ({gd['good_per_s']:,.0f}/s) | {under['p50'] * 1e3:.3f} | "
              f"{under['p99'] * 1e3:.3f} | {under.get('lost', 0):.0f} |",
              "", f"The owner's updates from 127.0.0.2 ({OWNER_RATE}/s, each a `good`):", "",
              "| | requests | replies | p50 ms | p99 ms | max ms |", "|---|---:|---|---:|---:|---:|"]
    for label, o in (("alone", ob), ("while the limiter engages", oe),
                     (f"during the attack ({b['911_per_s']:,.0f} refusals/s)", od),
                     (f"during the attack at {bh['target_rate']:,}/s", odh)):
        w = ", ".join(f"{k} {v}" for k, v in o["replies"].items())
        lines.append(f"| {label} | {o['requests']} | {w} | {o['p50_ms']:.2f} | {o['p99_ms']:.2f} | "
                     f"{o['max_ms']:.1f} |")
    lines += ["", "CPU in cores per ddnsd thread group during each run (busiest single thread in "
              "brackets where there are several), and what the load generators used:", ""]
    runs = [("good", g), ("good + DNS", gd)] + ([("good 4x connections", g4)] if g4 else []) + (
        [("nochg cold", nc)] if nc else []) + [("nochg", n)] + (
        [("nochg 4x connections", n4)] if n4 else []) + [
        ("rejected, engaging", be), ("rejected", b),
        ("good half", gh), ("nochg half", nh), ("rejected half", bh)]
    for label, r in runs:
        lines.append(f"* {label}: {cpu(r)}")
    bgs = [("DNS idle", res.get("background_cores_before_idle_dns"))] + [
        (k, r.get("background_cores_before")) for k, r in ph.items() if k not in NO_WAIT]
    lines += ["", "Other people's load on the machine just before each run (cores; each run "
              "waited up to 2 minutes for it to fall under 0.15; the two rejected-login runs "
              "after the engagement follow it at once and are not listed): " +
              ", ".join(f"{k} {v:.2f}" for k, v in bgs if v is not None) + "."]
    # Each rate bar judged at the better of the two connection counts run
    # (both are shown): how many connections a loaded service holds open is
    # not the server's choice.
    best_g, best_gc = max((g["good_per_s"], res["connections"]),
                          (g4["good_per_s"] if g4 else 0, 4 * res["connections"]))
    best_n, best_nc = max((n["nochg_per_s"], res["connections"]),
                          (n4["nochg_per_s"] if n4 else 0, 4 * res["connections"]))
    owner_ok = (od["replies"].get("good", 0) == od["requests"] and
                odh["replies"].get("good", 0) == odh["requests"])
    lines += ["", "The bar: ≥ 20,000 good updates/s, ≥ 50,000 nochg polls/s, ≥ 50,000 rejected "
              "logins/s without a rise in the owner's update latency, HTTP p99 under 10 ms at "
              "half those rates.", "",
              f"* good updates: {best_g:,.0f}/s at {best_gc} connections "
              f"({g['good_per_s']:,.0f}/s at {res['connections']}; {gd['good_per_s']:,.0f}/s "
              f"with DNS at 20k qps alongside) — {verdict(best_g >= BAR['good'])}.",
              f"* nochg polls: {best_n:,.0f}/s at {best_nc} connections in steady state "
              f"({n['nochg_per_s']:,.0f}/s at {res['connections']}" +
              (f"; {nc['nochg_per_s']:,.0f}/s on the first, cold pass" if nc else "") +
              f") — {verdict(best_n >= BAR['nochg'])}" +
              (f"; the bare h2o ceiling did {ce['nochg_per_s']:,.0f}/s" +
               (f" and {ce4['nochg_per_s']:,.0f}/s" if ce4 else "") +
               f" in the same run, so ddnsd's steady-state polls are "
               f"{n['nochg_per_s'] / ce['nochg_per_s']:.0%}" +
               (f" and {n4['nochg_per_s'] / ce4['nochg_per_s']:.0%}" if ce4 and n4 else "") +
               " of what h2o alone does here" if ce else "") + ".",
              f"* rejected logins: {b['911_per_s']:,.0f}/s once the limiter is engaged — "
              f"{verdict(b['911_per_s'] >= BAR['bad'])}; while it engaged, "
              f"{be['replies']['badauth']} requests were answered `badauth` (the account's "
              "bucket lets 5 wrong passwords be hashed, and requests with the same name and "
              "password that arrive while one is being verified share its answer instead of "
              "hashing again), every other one `911` before any hashing; "
              f"the owner's updates all succeeded: {'yes' if owner_ok else 'no'}; owner p50/p99 "
              f"{ob['p50_ms']:.2f}/{ob['p99_ms']:.2f} ms alone, {od['p50_ms']:.2f}/"
              f"{od['p99_ms']:.2f} ms during the full-rate attack, {odh['p50_ms']:.2f}/"
              f"{odh['p99_ms']:.2f} ms at half rate — no rise: "
              f"{verdict(owner_ok and odh['p99_ms'] <= max(2 * ob['p99_ms'], ob['p99_ms'] + 2))} "
              "(judged at half rate, where the CPU is not already taken by the load generator; "
              "counted as a rise above twice the alone p99 or +2 ms).",
              ]
    for label, r, what in (("good", gh, "good"), ("nochg", nh, "nochg"), ("rejected", bh, "911")):
        p99 = r["latency_us"]["p99"] / 1e3
        reached = r[what + "_per_s"] >= 0.95 * r["target_rate"]
        lines.append(f"* HTTP p99 at {r['target_rate']:,} {label}/s: {p99:.2f} ms at "
                     f"{r[what + '_per_s']:,.0f}/s achieved — "
                     f"{verdict(p99 < 10 and reached)}" + ("" if reached else
                                                         " (the target rate was not reached)") + ".")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def snapshot_binaries(tmp):
    """Run copies of build/ddnsd and build/ddnsctl: others rebuild build/
    while this runs, and a half-linked binary must not be started."""
    global DDNSD, CTL
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    for name in ("ddnsd", "ddnsctl"):
        src = os.path.join(REPO, "build", name)
        for _ in range(60):
            try:
                st = os.stat(src)
                if st.st_size > 0 and st.st_mode & 0o111 and time.time() - st.st_mtime > 2:
                    break
            except OSError:
                pass
            time.sleep(2)
        else:
            raise SystemExit(f"{src} is missing or being rebuilt: build first (make)")
        shutil.copy2(src, os.path.join(bindir, name))
    DDNSD, CTL = os.path.join(bindir, "ddnsd"), os.path.join(bindir, "ddnsctl")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=1000000)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3,
                    help="runs per phase, the median reported (default %(default)s)")
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--access-log", default=None,
                    help="where ddnsd writes its access log (default: a file in the work "
                         "directory, as an operator runs it; '' turns it off)")
    a = ap.parse_args()
    global ACCESS_LOG
    ACCESS_LOG = a.access_log
    if a.hosts < 4 * OWNER_HOSTS:
        raise SystemExit(f"--hosts must be at least {4 * OWNER_HOSTS}")
    tmp = os.path.join(OUT, "tmp", "http")
    os.makedirs(tmp, exist_ok=True)
    snapshot_binaries(tmp)
    qfile = zonegen.write_queries(OUT, a.hosts)
    res = suite(a.hosts, a.duration, a.connections, qfile, tmp, a.reps)
    res["reps"] = a.reps
    res["access_log"] = a.access_log
    with open(os.path.join(OUT, "http.json"), "w") as f:
        json.dump(res, f, indent=1)
    command = ("bench/httpbench.py " + " ".join(sys.argv[1:])).strip()
    md = markdown(res, command)
    print(md)
    if not a.no_docs:
        path = os.path.join(REPO, "docs", "BENCHMARKS.md")
        text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
        if BEGIN in text and END in text:
            i, j = text.index(BEGIN), text.index(END) + len(END)
            if text[j:j + 1] == "\n":
                j += 1
            text = text[:i] + md + text[j:]
        else:
            text = text.rstrip("\n") + "\n\n" + md
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
