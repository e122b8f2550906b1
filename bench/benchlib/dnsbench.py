# SPDX-License-Identifier: GPL-3.0-or-later
"""The DNS suite: at each zone size, every server on its own loopback port,
driven in turn by dnsperf with identical zone and query files.

Per server and zone size (see run_suite for the order):
  1. memory baseline: start with the tiny zone (0 hosts), warm up, read
     PSS, stop;
  2. (ddnsd) import the master file with ddnsctl, timed;
  3. start with the full zone; load time = start until the last host's A
     record is answered;
  4. warm-up (2 s at full rate, not recorded), then PSS;
  5. `reps` times: a max-rate run (qps, CPU per query) and a fixed-rate run
     (-Q rate: p50/p99 latency from dnsperf -v, CPU per query);
  6. stop.
UDP drops are counted over every run. Figures reported are medians over the repetitions.
"""

import os
import resource
import shutil
import socket
import statistics
import tempfile
import time

from . import dnsperf, proc, servers
from .dnsprobe import wait_answer
from .zonegen import write_queries, write_zone


# A run during which other processes used more than this share of a CPU is
# repeated (up to RETRIES times; the quietest attempt is kept): on 2 cores a
# neighbour's 100 ms burst is enough to move p99.
BUSY = 0.05
RETRIES = 1


def free_port():
    """A loopback port free for both UDP and TCP (never 53)."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            t.bind(("127.0.0.1", port))
            if port > 1024:
                return port
        except OSError:
            pass
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free loopback port")


def _say(msg):
    print(msg, flush=True)


class Run:
    """Options of one suite run (filled from bench/run's command line)."""

    def __init__(self, repo, outdir, hosts, reps, duration, rate, only,
                 workers=2, keep=False, retries=RETRIES, patience=30, pairs=0):
        self.repo, self.outdir = repo, outdir
        # adjacent fixed-rate runs of ddnsd and echo (cpu_pairs)
        self.pairs = pairs
        self.hosts, self.reps, self.duration = hosts, reps, duration
        self.rate, self.only, self.workers, self.keep = rate, only, workers, keep
        # a busy machine: how often to redo a run, how long to wait for quiet
        self.retries, self.patience = retries, patience


def _start_and_wait(srv, timeout, patience=30):
    """Start srv, return seconds until its probe query is answered."""
    name, qtype, need = srv.probe()
    proc.wait_quiet(patience=patience, say=_say)
    t0 = time.monotonic()
    srv.start()
    t1 = wait_answer(srv.port, name, qtype, timeout=timeout, alive=srv.alive,
                     need_answer=need)
    if t1 is None:
        why = "exited" if not srv.alive() else "no answer in %ds" % timeout
        raise RuntimeError("%s %s for %s %s; log: %s"
                           % (srv.name, why, name, qtype, srv.log_tail(3)))
    return t1 - t0


def _measured(srv, qfile, duration, rate, log, patience=30):
    """One dnsperf run with the server's CPU time and UDP drops around it."""
    proc.wait_quiet(patience=patience, say=_say)
    loss = proc.UdpLoss(srv.port)
    pids = srv.pids()
    before = proc.cpu_ticks(pids)
    sys0 = proc.system_ticks()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    me0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    r = dnsperf.run(srv.port, qfile, duration, rate=rate,
                    verbose=rate is not None, log=log)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    me1 = resource.getrusage(resource.RUSAGE_SELF)
    sys1 = proc.system_ticks()[0]
    after = proc.cpu_ticks(srv.pids())
    r["cpu_us"] = proc.cpu_delta_us(before, after)
    # dnsperf's own CPU (it is the only child reaped meanwhile), ours
    # (reading its output), and what everything else on the machine used:
    # a busy neighbour shows up there.
    r["client_cpu_us"] = 1e6 * (ru1.ru_utime + ru1.ru_stime
                                - ru0.ru_utime - ru0.ru_stime)
    mine = 1e6 * (me1.ru_utime + me1.ru_stime - me0.ru_utime - me0.ru_stime)
    other = (sys1 - sys0) * 1e6 / proc.CLK_TCK - r["cpu_us"] \
        - r["client_cpu_us"] - mine
    r["background_cores"] = max(0.0, other / 1e6 / wall)
    r["cpu_us_per_q"] = (r["cpu_us"] / r["completed"]
                         if r.get("completed") else None)
    r.update(loss.result())
    if not srv.alive():
        raise RuntimeError("%s died during the run; log: %s"
                           % (srv.name, srv.log_tail(3)))
    return r


def check_rcodes(r):
    """The query file asks 20% missing names: a server that answers
    otherwise (REFUSED, SERVFAIL, everything NXDOMAIN...) is not serving
    the zone, and its speed would mean nothing."""
    rc = r.get("rcodes", {})
    total = sum(rc.values())
    nx = rc.get("NXDOMAIN", 0) / total if total else 0
    ok = rc.get("NOERROR", 0) / total if total else 0
    if not total or abs(nx - 0.2) > 0.03 or abs(ok - 0.8) > 0.03:
        raise RuntimeError("wrong answers: response codes %s (expected "
                           "about 80%% NOERROR, 20%% NXDOMAIN)" % rc)


def _clean_run(srv, qfile, duration, rate, log, retries=RETRIES,
               patience=30):
    best = None
    for attempt in range(retries + 1):
        r = _measured(srv, qfile, duration, rate, log, patience)
        r["attempts"] = attempt + 1
        if best is None or r["background_cores"] < best["background_cores"]:
            best = r
        if r["background_cores"] <= BUSY:
            break
        _say("  (other processes used %.0f%% of a CPU during the run%s)"
             % (100 * r["background_cores"],
                "; repeating it" if attempt < retries else
                "; keeping the quietest attempt"))
    return best


def _median(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarize(res):
    """Medians and totals over the repetitions, into flat keys."""
    mx, fx = res.get("max_runs", []), res.get("fixed_runs", [])
    res["max_qps"] = _median(mx, "qps")
    res["cpu_us_per_q_max"] = _median(mx, "cpu_us_per_q")
    res["cpu_us_per_q_fixed"] = _median(fx, "cpu_us_per_q")
    res["p50_ms"] = _ms(_median(fx, "p50"))
    res["p99_ms"] = _ms(_median(fx, "p99"))
    res["fixed_qps"] = _median(fx, "qps")
    res["background_cores"] = _median(mx + fx, "background_cores")
    allr = mx + fx
    for k in ("lost", "server_drops", "rcvbuf_errors", "in_errors"):
        res[k + "_max"] = sum(int(r.get(k, 0)) for r in mx)
        res[k + "_fixed"] = sum(int(r.get(k, 0)) for r in fx)
        res[k] = sum(int(r.get(k, 0)) for r in allr)
    return res


def _ms(s):
    return None if s is None else s * 1000.0


class Contender:
    """One server at one zone size: set up once, measured rep by rep, torn
    down at the end. `res` is its result row."""

    def __init__(self, run, cls, hosts, tmproot):
        self.run, self.hosts = run, hosts
        self.srv = cls(run.repo, run.outdir, run.workers)
        self.res = {"server": cls.name, "hosts": hosts, "status": "ok",
                    "max_runs": [], "fixed_runs": []}
        self.tmproot = tmproot
        self.work = None

    @property
    def ok(self):
        return self.res["status"] == "ok"

    def _fail(self, e):
        self.res["status"] = "failed: %s" % str(e).splitlines()[0][:200]
        _say("  %s %s" % (self.srv.name, self.res["status"]))
        for line in str(e).splitlines()[1:6]:
            _say("    " + line)
        self.srv.stop()

    def setup(self, zonefile, tinyzone, qfile):
        """Steps 1-4: memory baseline, import, load time, warm-up, PSS.
        Leaves the server running with the full zone."""
        srv, res, hosts = self.srv, self.res, self.hosts
        try:
            srv.check()
        except servers.Unavailable as e:
            res["status"] = "not built" if "not built" in str(e) else str(e)
            _say("  %s" % e)
            return
        self.work = tempfile.mkdtemp(prefix="%s-%d-" % (srv.name, hosts),
                                     dir=self.tmproot)
        self.log = os.path.join(self.work, "dnsperf.log")
        self.qfile = qfile
        try:
            if srv.has_zone:
                # 1. memory of the same server with the tiny zone
                base = os.path.join(self.work, "base")
                os.mkdir(base)
                srv.prepare(base, free_port(), tinyzone, 0)
                _start_and_wait(srv, 60, self.run.patience)
                # the same warm-up as below (all NXDOMAIN here), so that
                # buffers and stacks touched by serving count on both sides
                dnsperf.run(srv.port, qfile, 2, log=self.log)
                res["pss_base"] = proc.pss_bytes(srv.pids())
                srv.stop()

            # 2-3. full zone: import (ddnsd), start until the last host answers
            full = os.path.join(self.work, "full")
            os.mkdir(full)
            extra = srv.prepare(full, free_port(), zonefile, hosts)
            res.update(extra)
            if "import_s" in extra:
                _say("  import %.2f s" % extra["import_s"])
            load = _start_and_wait(srv, 60 + hosts / 5000,  # 260 s at 1M
                                   self.run.patience)
            if srv.has_zone:
                res["load_s"] = load
                _say("  load %.2f s" % load)

            # 4. warm-up (also a sanity check of the answers), then memory
            w = dnsperf.run(srv.port, qfile, 2, log=self.log)
            if srv.has_zone:
                check_rcodes(w)
                res["pss"] = proc.pss_bytes(srv.pids())
                res["bytes_per_host"] = (res["pss"] - res["pss_base"]) / hosts
                _say("  PSS %.1f MiB (baseline %.1f MiB): %.0f B/host"
                     % (res["pss"] / 2**20, res["pss_base"] / 2**20,
                        res["bytes_per_host"]))
        except Exception as e:              # one server failing is a row
            self._fail(e)

    def rep(self, i):
        """Step 5, once: a max-rate run, then a fixed-rate run."""
        run, srv, res = self.run, self.srv, self.res
        try:
            kw = {"retries": run.retries, "patience": run.patience}
            m = _clean_run(srv, self.qfile, run.duration, None, self.log, **kw)
            res["max_runs"].append(m)
            f = _clean_run(srv, self.qfile, run.duration, run.rate, self.log,
                           **kw)
            res["fixed_runs"].append(f)
            _say("  rep %d %-5s max %6.0f qps, %5.2f us/q | @%d: p50 %.3f "
                 "p99 %.3f ms, %5.2f us/q | lost %d/%d, server drops %d/%d"
                 % (i + 1, srv.name, m["qps"], m["cpu_us_per_q"] or 0,
                    run.rate, (f["p50"] or 0) * 1000, (f["p99"] or 0) * 1000,
                    f["cpu_us_per_q"] or 0, m.get("lost", 0),
                    f.get("lost", 0), m["server_drops"], f["server_drops"]))
        except Exception as e:
            self._fail(e)

    def teardown(self):
        self.srv.stop()
        if self.ok:
            summarize(self.res)
        if self.work:
            if self.run.keep:
                self.res["workdir"] = self.work
            else:
                shutil.rmtree(self.work, ignore_errors=True)


def cpu_pairs(run, cs, qfile):
    """ddnsd's and the echo responder's CPU per query at the fixed rate in
    run.pairs pairs of adjacent runs, half of the duration each, the order
    swapped every pair (ddnsd first, then echo first, ...): what the machine
    does to both within a few seconds cancels in the pair's ratio, where a
    round of repetitions puts a minute between them. Into ddnsd's row as
    "cpu_pairs": [[ddnsd, echo], ...] in µs per query."""
    by = {c.srv.name: c for c in cs if c.ok}
    d, e = by.get("ddnsd"), by.get("echo")
    if not (d and e and run.pairs):
        return
    _say("-- CPU per query, ddnsd and echo in %d pairs of adjacent runs"
         % run.pairs)
    d.res["cpu_pairs"] = pairs = []
    try:
        for j in range(run.pairs):
            v = {}
            for c in (d, e) if j % 2 == 0 else (e, d):
                r = _clean_run(c.srv, qfile, run.duration / 2, run.rate, c.log,
                               retries=run.retries, patience=run.patience)
                v[c.srv.name] = r["cpu_us_per_q"]
            pairs.append([v["ddnsd"], v["echo"]])
            _say("  pair %d: ddnsd %.2f, echo %.2f us/q: %.3f"
                 % (j + 1, v["ddnsd"], v["echo"], v["ddnsd"] / v["echo"]))
    except Exception as ex:                 # the rows stay valid
        _say("  pairs stopped: %s" % str(ex).splitlines()[0][:200])


def run_suite(run):
    """Run the DNS suite; returns a list of result dicts.

    At each zone size every server is set up in turn and left running (an
    idle server costs nothing), then the repetitions go round the servers,
    starting one further each time: the machine's good and bad moments (a
    virtual machine's neighbours come and go) fall on all of them alike,
    which keeps the ratios between rows honest."""
    # bench/out/tmp/ is shared with the other suites: only ours goes
    tmproot = os.path.join(run.outdir, "tmp", "dns")
    os.makedirs(tmproot, exist_ok=True)
    tiny = write_zone(run.outdir, 0)
    results = []
    for hosts in run.hosts:
        t0 = time.monotonic()
        zonefile = write_zone(run.outdir, hosts)
        qfile = write_queries(run.outdir, hosts)
        _say("== %d hosts: zone %s (%.1f MB), queries %s (%.1f s to prepare)"
             % (hosts, os.path.relpath(zonefile, run.repo),
                os.path.getsize(zonefile) / 1e6,
                os.path.relpath(qfile, run.repo), time.monotonic() - t0))
        cs = [Contender(run, servers.ALL[name], hosts, tmproot)
              for name in servers.ORDER if name in run.only]
        try:
            for c in cs:
                _say("-- %s, %d hosts: set-up" % (c.srv.name, hosts))
                c.setup(zonefile, tiny, qfile)
            live = [c for c in cs if c.ok]
            for i in range(run.reps):
                _say("-- %d hosts: repetition %d of %d" % (hosts, i + 1,
                                                          run.reps))
                k = i % len(live) if live else 0
                for c in live[k:] + live[:k]:
                    if c.ok:
                        c.rep(i)
            cpu_pairs(run, cs, qfile)
        finally:
            for c in cs:
                c.teardown()
        results.extend(c.res for c in cs)
    if not run.keep:
        shutil.rmtree(tmproot, ignore_errors=True)
    return results
