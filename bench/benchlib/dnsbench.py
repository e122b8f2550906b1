# SPDX-License-Identifier: GPL-3.0-or-later
"""The DNS suite: for each zone size, each server in turn, on one loopback
port, with identical zone and query files.

Per server and zone size:
  1. memory baseline: start with the tiny zone (0 hosts), read PSS, stop;
  2. (ddnsd) import the master file with ddnsctl, timed;
  3. start with the full zone; load time = start until the last host's A
     record is answered;
  4. warm-up (2 s at full rate, not recorded), then PSS;
  5. `reps` times: a max-rate run (qps, CPU per query) and a fixed-rate run
     (-Q rate: p50/p99 latency from dnsperf -v, CPU per query);
     UDP drops are counted over every run;
  6. stop.
Figures reported are medians over the repetitions.
"""

import os
import shutil
import socket
import statistics
import tempfile
import time

from . import dnsperf, proc, servers
from .dnsprobe import wait_answer
from .zonegen import write_queries, write_zone


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
                 workers=2, keep=False):
        self.repo, self.outdir = repo, outdir
        self.hosts, self.reps, self.duration = hosts, reps, duration
        self.rate, self.only, self.workers, self.keep = rate, only, workers, keep


def _start_and_wait(srv, timeout):
    """Start srv, return seconds until its probe query is answered."""
    name, qtype, need = srv.probe()
    t0 = time.monotonic()
    srv.start()
    t1 = wait_answer(srv.port, name, qtype, timeout=timeout, alive=srv.alive,
                     need_answer=need)
    if t1 is None:
        why = "exited" if not srv.alive() else "no answer in %ds" % timeout
        raise RuntimeError("%s %s for %s %s; log: %s"
                           % (srv.name, why, name, qtype, srv.log_tail(3)))
    return t1 - t0


def _measured(srv, qfile, duration, rate, log):
    """One dnsperf run with the server's CPU time and UDP drops around it."""
    loss = proc.UdpLoss(srv.port)
    pids = srv.pids()
    before = proc.cpu_ticks(pids)
    r = dnsperf.run(srv.port, qfile, duration, rate=rate,
                    verbose=rate is not None, log=log)
    after = proc.cpu_ticks(srv.pids())
    r["cpu_us"] = proc.cpu_delta_us(before, after)
    r["cpu_us_per_q"] = (r["cpu_us"] / r["completed"]
                         if r.get("completed") else None)
    r.update(loss.result())
    if not srv.alive():
        raise RuntimeError("%s died during the run; log: %s"
                           % (srv.name, srv.log_tail(3)))
    return r


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
    allr = mx + fx
    for k in ("lost", "server_drops", "rcvbuf_errors", "in_errors"):
        res[k + "_max"] = sum(int(r.get(k, 0)) for r in mx)
        res[k + "_fixed"] = sum(int(r.get(k, 0)) for r in fx)
        res[k] = sum(int(r.get(k, 0)) for r in allr)
    return res


def _ms(s):
    return None if s is None else s * 1000.0


def bench_one(run, cls, hosts, zonefile, tinyzone, qfile, tmproot):
    """All measurements of one server at one zone size; returns a result
    dict (status 'ok', 'not built', or 'failed: ...')."""
    res = {"server": cls.name, "hosts": hosts, "status": "ok"}
    srv = cls(run.repo, run.outdir, run.workers)
    try:
        srv.check()
    except servers.Unavailable as e:
        res["status"] = "not built" if "not built" in str(e) else str(e)
        _say("  %s" % e)
        return res
    work = tempfile.mkdtemp(prefix="%s-%d-" % (cls.name, hosts), dir=tmproot)
    log = os.path.join(work, "dnsperf.log")
    load_timeout = 60 + hosts / 5000        # generous: 260 s at 1M
    try:
        if srv.has_zone:
            # 1. memory of the same server with the tiny zone
            base = os.path.join(work, "base")
            os.mkdir(base)
            srv.prepare(base, free_port(), tinyzone, 0)
            _start_and_wait(srv, 60)
            time.sleep(0.5)
            res["pss_base"] = proc.pss_bytes(srv.pids())
            srv.stop()

        # 2-3. full zone: import (ddnsd), then start until the last host answers
        full = os.path.join(work, "full")
        os.mkdir(full)
        extra = srv.prepare(full, free_port(), zonefile, hosts)
        res.update(extra)
        if "import_s" in extra:
            _say("  import %.2f s" % extra["import_s"])
        load = _start_and_wait(srv, load_timeout)
        if srv.has_zone:
            res["load_s"] = load
            _say("  load %.2f s" % load)

        # 4. warm-up, then memory after load
        dnsperf.run(srv.port, qfile, 2, log=log)
        if srv.has_zone:
            res["pss"] = proc.pss_bytes(srv.pids())
            res["bytes_per_host"] = ((res["pss"] - res["pss_base"]) / hosts
                                     if hosts else None)
            _say("  PSS %.1f MiB (baseline %.1f MiB): %.0f B/host"
                 % (res["pss"] / 2**20, res["pss_base"] / 2**20,
                    res["bytes_per_host"]))

        # 5. repetitions: max rate, then fixed rate
        res["max_runs"], res["fixed_runs"] = [], []
        for i in range(run.reps):
            m = _measured(srv, qfile, run.duration, None, log)
            res["max_runs"].append(m)
            f = _measured(srv, qfile, run.duration, run.rate, log)
            res["fixed_runs"].append(f)
            _say("  rep %d: max %.0f qps, %.2f us/q | @%d: p99 %.3f ms, "
                 "%.2f us/q | lost %d/%d, drops %d/%d"
                 % (i + 1, m["qps"], m["cpu_us_per_q"] or 0, run.rate,
                    (f["p99"] or 0) * 1000, f["cpu_us_per_q"] or 0,
                    m.get("lost", 0), f.get("lost", 0),
                    m["server_drops"] + m["rcvbuf_errors"],
                    f["server_drops"] + f["rcvbuf_errors"]))
        summarize(res)
    except Exception as e:                  # one server failing is a row
        res["status"] = "failed: %s" % str(e).splitlines()[0][:200]
        _say("  %s" % res["status"])
        for line in str(e).splitlines()[1:6]:
            _say("    " + line)
    finally:
        srv.stop()
        if not run.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            res["workdir"] = work
    return res


def run_suite(run):
    """Run the DNS suite; returns a list of result dicts."""
    tmproot = os.path.join(run.outdir, "tmp")
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
        for name in servers.ORDER:
            if name not in run.only:
                continue
            _say("-- %s, %d hosts" % (name, hosts))
            results.append(bench_one(run, servers.ALL[name], hosts, zonefile,
                                     tiny, qfile, tmproot))
    if not run.keep:
        shutil.rmtree(tmproot, ignore_errors=True)
    return results
