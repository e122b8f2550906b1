# SPDX-License-Identifier: GPL-3.0-or-later
"""The results as a table (stdout) and as docs/BENCHMARKS.md."""

import datetime
import os
import platform

COLUMNS = [
    # header, key, format
    ("hosts", "hosts", "{:,}"),
    ("server", "server", "{}"),
    ("max qps", "max_qps", "{:,.0f}"),
    ("CPU µs/q @max", "cpu_us_per_q_max", "{:.2f}"),
    ("CPU µs/q @rate", "cpu_us_per_q_fixed", "{:.2f}"),
    ("p50 ms @rate", "p50_ms", "{:.3f}"),
    ("p99 ms @rate", "p99_ms", "{:.3f}"),
    ("B/host", "bytes_per_host", "{:.0f}"),
    ("PSS MiB", "pss", None),
    ("load s", "load_s", "{:.2f}"),
    ("import s", "import_s", "{:.2f}"),
    ("lost", "lost", "{}"),
    ("sockbuf drops", "drops", None),
]


def _cell(res, key, fmt):
    if key in ("hosts", "server"):
        return fmt.format(res[key])
    if res.get("status") != "ok":
        return ""
    if key == "pss":
        return "%.1f" % (res["pss"] / 2**20) if res.get("pss") else "–"
    if key == "drops":
        # server sockets' own drops / system-wide RcvbufErrors
        return "%d/%d" % (res.get("server_drops", 0),
                          res.get("rcvbuf_errors", 0))
    v = res.get(key)
    return "–" if v is None else fmt.format(v)


def rows(results, rate):
    head = [h.replace("@rate", "@%dk" % (rate // 1000)) for h, _, _ in COLUMNS]
    body = []
    for r in results:
        cells = [_cell(r, k, f) for _, k, f in COLUMNS]
        if r.get("status") != "ok":
            cells[2] = r["server"] + ": " + r["status"]
        body.append(cells)
    return head, body


def text_table(results, rate):
    head, body = rows(results, rate)
    out_rows = []
    widths = [len(h) for h in head]
    for cells in body:
        if cells[2] and cells[3:] == [""] * (len(cells) - 3) and \
                ":" in cells[2]:
            out_rows.append(("span", cells))
            continue
        out_rows.append(("row", cells))
        widths = [max(w, len(c)) for w, c in zip(widths, cells)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for kind, cells in out_rows:
        if kind == "span":
            lines.append("  ".join(c.rjust(w) for c, w in
                                   zip(cells[:2], widths[:2])) + "  " + cells[2])
        else:
            lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    return "\n".join(lines)


def md_table(results, rate):
    head, body = rows(results, rate)
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---:" if i not in (1,) else "---"
                            for i in range(len(head))) + "|"]
    for cells in body:
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bar(results):
    """The acceptance bar, checked at the largest zone size measured.
    Returns a list of (criterion, value text, verdict)."""
    if not results:
        return []
    n = max(r["hosts"] for r in results)
    at = {r["server"]: r for r in results if r["hosts"] == n}
    d = at.get("ddnsd")
    ok = lambda r: r is not None and r.get("status") == "ok"
    out = []

    def verdict(cond):
        return "pass" if cond else "FAIL"

    pending = "pending (ddnsd %s)" % (d["status"] if d else "not run")
    cpu = lambda r: r.get("cpu_us_per_q_fixed") if ok(r) else None
    e, nsd, knot = at.get("echo"), at.get("nsd"), at.get("knot")
    label = "%s hosts" % format(n, ",")
    # CPU per query
    crit = ("CPU per query at %s (fixed rate) within 15%% of echo and below "
            "NSD and Knot" % label)
    if not ok(d):
        out.append((crit, "echo %s, NSD %s, Knot %s" % (
            _f(cpu(e)), _f(cpu(nsd)), _f(cpu(knot))), pending))
    elif cpu(e) is None:
        out.append((crit, "ddnsd %s; echo not measured" % _f(cpu(d)),
                    "incomplete"))
    else:
        c = cpu(d)
        good = c <= 1.15 * cpu(e)
        good = good and all(cpu(x) is None or c < cpu(x) for x in (nsd, knot))
        out.append((crit, "ddnsd %s µs = %.0f%% of echo %s; NSD %s, Knot %s"
                    % (_f(c), 100 * c / cpu(e), _f(cpu(e)), _f(cpu(nsd)),
                       _f(cpu(knot))), verdict(good)))
    # memory
    crit = "at most 150 bytes per host (PSS over the tiny-zone baseline)"
    if not ok(d):
        out.append((crit, "NSD %s, Knot %s" % (
            _f(nsd.get("bytes_per_host") if ok(nsd) else None, "{:.0f}"),
            _f(knot.get("bytes_per_host") if ok(knot) else None, "{:.0f}")),
            pending))
    else:
        b = d["bytes_per_host"]
        out.append((crit, "%.0f B/host" % b, verdict(b <= 150)))
    # load
    crit = "zone loaded (last host answers) in under 2 s"
    if not ok(d):
        out.append((crit, "NSD %s s, Knot %s s" % (
            _f(nsd.get("load_s") if ok(nsd) else None),
            _f(knot.get("load_s") if ok(knot) else None)), pending))
    else:
        out.append((crit, "%.2f s" % d["load_s"], verdict(d["load_s"] < 2)))
    # socket buffer losses
    crit = "no query lost to socket buffer overflow (all runs)"
    if not ok(d):
        out.append((crit, "", pending))
    else:
        drops = d["server_drops"] + d["rcvbuf_errors"]
        out.append((crit, "server-socket drops %d, RcvbufErrors %d"
                    % (d["server_drops"], d["rcvbuf_errors"]),
                    verdict(drops == 0)))
    return out


def _f(v, fmt="{:.2f}"):
    return "–" if v is None else fmt.format(v)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/etc/debian_version") as f:
            deb = "Debian " + f.read().strip()
    except OSError:
        deb = platform.system()
    return "%d cores (%s), %s, Linux %s" % (os.cpu_count(), cpu, deb,
                                             platform.release())


def versions():
    import subprocess
    out = []
    for cmd, name in ((["nsd", "-v"], "NSD"), (["knotd", "-V"], "Knot"),
                      (["dnsperf", "-h"], "dnsperf")):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
            t = p.stdout + p.stderr
            v = [w for w in t.split() if w[:1].isdigit() and "." in w]
            out.append("%s %s" % (name, v[0].rstrip(",") if v else "?"))
        except (OSError, subprocess.SubprocessError):
            pass
    return ", ".join(out)


def markdown(results, opts, command):
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    rate = opts["rate"]
    lines = [f"""# Benchmarks

How fast ddnsd answers DNS queries compared with NSD and Knot DNS, two
authoritative servers DNS operators trust, and with a trivial UDP echo
responder that does nothing but send each packet back (the ceiling: the cost
of the kernel's UDP path alone). This file is written by `bench/run`; the
figures below are from its last full run.

## What is measured

Each server serves the same zone `dyn.example` in turn on 127.0.0.1, with 2
workers (NSD `server-count: 2`, Knot `udp-workers: 2`, ddnsd `workers = 2`,
echo 2 threads; all on SO_REUSEPORT sockets), and is driven by dnsperf
from the same run. The zone is generated: SOA, two NS with glue, then N hosts
`hostNNNNNNN` with an A record in 198.51.100.0/24 or 203.0.113.0/24, half of
them also with an AAAA in 2001:db8::/32. Queries: 200,000 lines, 60% A and
20% AAAA of existing hosts, 20% names that do not exist (NXDOMAIN), A and
AAAA, in random order.

* **max qps** — dnsperf at full speed (`-T 2 -c 8 -q 200`, {opts['duration']} s).
* **CPU µs/q** — utime+stime of the server's processes (`/proc/PID/stat`,
  all threads and forked workers) over a run, divided by the queries dnsperf
  saw answered; at max rate and at the fixed rate. The fixed rate is the
  fairer comparison: every server gets the same offered load.
* **p50/p99 @{rate // 1000}k** — latency at a fixed {rate:,} queries/s
  (`dnsperf -Q {rate}`). dnsperf 2.10 has no latency histogram option, so the
  percentiles come from `dnsperf -v`, which prints each answer's latency; its
  summary only gives average and standard deviation.
* **B/host** — PSS (`/proc/PID/smaps_rollup`, summed over the server's
  processes) after loading and a warm-up, minus the PSS of the same server
  serving a zone with no hosts, divided by the number of hosts.
* **load s** — from starting the process until it answers the A query for the
  last host of the zone. NSD and Knot parse the master file; ddnsd loads from
  its SQLite database, into which `ddnsctl zone import` put the master file
  beforehand (**import s**, reported separately).
* **lost** — queries dnsperf sent but got no answer for, over all runs.
  **sockbuf drops** — datagrams dropped because a socket's receive buffer was
  full, over all runs: the server sockets' own `drops` in `/proc/net/udp` /
  the system-wide `RcvbufErrors` delta of `/proc/net/snmp` (which also counts
  dnsperf's sockets overflowing with answers).

Each figure is the median of {opts['reps']} repetitions. Machine: {machine()};
{versions()}. Client and servers share the 2 cores, so absolute figures are
low and the client limits the fastest servers (the echo row shows where):
**the ratios between rows matter more than the absolute figures.**

## How to run

```
make bench                                   # builds, then bench/run
bench/run --hosts 100000,1000000             # the same, without the build
bench/run --quick                            # 100k hosts, 1 repetition, short runs
bench/run --only nsd,knot,echo --reps 5 --duration 20
bench/run --only ddnsd --merge               # re-measure ddnsd, keep the other rows
```

Options: `--hosts N[,N]`, `--reps N`, `--duration S`, `--rate QPS`,
`--only ddnsd,nsd,knot,echo`, `--quick`, `--merge`, `--keep`, `--no-docs`.
Generated zones, query files and raw results (`results.json`, with every
repetition and the exact dnsperf command lines) are in `bench/out/`. A full
run takes about 15 minutes.

## Results

Command: `{command}` — {now}.

"""]
    lines.append(md_table(results, rate))
    lines.append("")
    lines.append("## The bar\n")
    lines.append("What ddnsd must reach (from the issue), checked at the "
                 "largest zone:\n")
    lines.append("| criterion | measured | verdict |\n|---|---|---|")
    for crit, val, v in bar(results):
        lines.append("| %s | %s | %s |" % (crit, val, v))
    lines.append("")
    lines.append("""## Notes

* dnsperf runs on the same 2 cores as the server, so "max qps" is the rate
  the pair reaches together; a server that needs less CPU per query leaves
  more to dnsperf and therefore also shows a higher max qps.
* CPU time comes from `/proc/PID/stat` in clock ticks (10 ms); over a run of
  several CPU-seconds that is well under 1% error.
* Knot is run with `zonefile-load: whole`, `journal-content: none` and
  semantic checks off; NSD with `database: ""` (no nsd.db), so both only
  parse the master file at start.
""")
    return "\n".join(lines)
