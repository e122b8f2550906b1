# SPDX-License-Identifier: GPL-3.0-or-later
"""The results as a table (stdout) and as docs/BENCHMARKS.md."""

import datetime
import os
import platform
import re
import statistics

# Other suites (bench/writerbench.py, bench/httpbench.py) keep their
# sections of docs/BENCHMARKS.md between <!-- NAME begin --> and
# <!-- NAME end --> markers; ours is "dns-bench". Rewriting the file keeps
# theirs.
MARK = "dns-bench"
_BLOCK = re.compile(r"<!-- ([\w-]+) begin -->.*?<!-- \1 end -->\n?", re.S)

COLUMNS = [
    # header, key, format
    ("hosts", "hosts", "{:,}"),
    ("server", "server", "{}"),
    ("max qps", "max_qps", "{:,.0f}"),
    ("CPU µs/q @max", "cpu_us_per_q_max", "{:.2f}"),
    ("CPU µs/q @rate", "cpu_us_per_q_fixed", "{:.2f}"),
    ("CPU ×echo @rate", "cpu_vs_echo", "{:.2f}"),
    ("p50 ms @rate", "p50_ms", "{:.3f}"),
    ("p99 ms @rate", "p99_ms", "{:.3f}"),
    ("B/host", "bytes_per_host", "{:.0f}"),
    ("PSS MiB", "pss", None),
    ("load s", "load_s", "{:.2f}"),
    ("import s", "import_s", "{:.2f}"),
    ("lost", "lost", "{}"),
    ("sockbuf drops", "drops", None),
    ("other load", "background_cores", None),
]


def _cell(res, key, fmt):
    if key in ("hosts", "server"):
        return fmt.format(res[key])
    if res.get("status") != "ok":
        return ""
    if key == "pss":
        return "%.1f" % (res["pss"] / 2**20) if res.get("pss") else "–"
    if key == "background_cores":
        v = res.get(key)
        return "–" if v is None else "%.0f%%" % (100 * v)
    if key == "drops":
        # server sockets' own drops / system-wide RcvbufErrors
        return "%d/%d" % (res.get("server_drops", 0),
                          res.get("rcvbuf_errors", 0))
    v = res.get(key)
    return "–" if v is None else fmt.format(v)


def paired_ratio(r, base, runs="fixed_runs", key="cpu_us_per_q"):
    """Median over the repetitions of r's figure divided by base's figure
    in the same repetition. Repetition i of every server ran in the same
    round, minutes apart, so this cancels most of the machine's drift
    (which, on a virtual machine, moves all servers' figures by tens of per
    cent between rounds). None if either was not measured."""
    if not (r and base and r.get("status") == "ok"
            and base.get("status") == "ok"):
        return None
    vals = [a[key] / b[key] for a, b in zip(r.get(runs, []), base.get(runs, []))
            if a.get(key) and b.get(key)]
    return statistics.median(vals) if vals else None


def pair_ratios(r):
    """ddnsd's CPU per query over echo's in each pair of adjacent runs."""
    return [a / b for a, b in (r or {}).get("cpu_pairs", []) if a and b]


def quartiles(v):
    if len(v) < 4:
        return "%.2f-%.2f" % (min(v), max(v))
    q = statistics.quantiles(v, n=4)
    return "%.2f-%.2f" % (q[0], q[2])


def rows(results, rate):
    head = [h.replace("@rate", "@%dk" % (rate // 1000)) for h, _, _ in COLUMNS]
    body = []
    echo = {r["hosts"]: r for r in results if r["server"] == "echo"}
    for r in results:
        r = dict(r, cpu_vs_echo=paired_ratio(r, echo.get(r["hosts"])))
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
    # CPU per query: ratios of the same rounds (see paired_ratio)
    crit = ("CPU per query at %s (fixed rate) within 15%% of echo and below "
            "NSD and Knot" % label)
    if not ok(d):
        out.append((crit, "echo %s µs, NSD %s, Knot %s" % (
            _f(cpu(e)), _f(cpu(nsd)), _f(cpu(knot))), pending))
    elif cpu(e) is None:
        out.append((crit, "ddnsd %s µs; echo not measured" % _f(cpu(d)),
                    "incomplete"))
    else:
        ve, vn, vk = (paired_ratio(d, x) for x in (e, nsd, knot))
        vm = paired_ratio(d, e, "max_runs")
        text = ("ddnsd %s µs, %.2f× echo's (%s µs), %s× NSD's, %s× Knot's "
                "(medians of same-round ratios)%s"
                % (_f(cpu(d)), ve, _f(cpu(e)), _f(vn), _f(vk),
                   "; at max rate %.2f× echo's" % vm if vm else ""))
        # Adjacent pairs, when measured, are the closer comparison with echo.
        pr = pair_ratios(d)
        if pr:
            ve = statistics.median(pr)
            text += ("; in %d pairs of adjacent runs %.2f× echo's (median; "
                     "quartiles %s)" % (len(pr), ve, quartiles(pr)))
        good = ve <= 1.15 and all(v is None or v < 1 for v in (vn, vk))
        out.append((crit, text, verdict(good)))
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
    # The server's own sockets are what the bar is about; the system-wide
    # RcvbufErrors also counts dnsperf's sockets and anyone else's.
    crit = "no query lost to socket buffer overflow (server sockets, all runs)"
    if not ok(d):
        out.append((crit, "NSD %s, Knot %s" % (
            nsd.get("server_drops") if ok(nsd) else "–",
            knot.get("server_drops") if ok(knot) else "–"), pending))
    else:
        out.append((crit, "%d dropped (dnsperf: %d lost; system-wide "
                    "RcvbufErrors %d)" % (d["server_drops"], d["lost"],
                                          d["rcvbuf_errors"]),
                    verdict(d["server_drops"] == 0)))
    return out


def _f(v, fmt="{:.2f}"):
    return "–" if v is None else fmt.format(v)


def ddnsd_build(repo):
    """Which ddnsd was measured: the commit the tree was at (with -dirty if
    it had changes) and when build/ddnsd was linked."""
    import subprocess
    exe = os.path.join(repo, "build", "ddnsd")
    if not os.path.exists(exe):
        return None
    try:
        rev = subprocess.run(["git", "-C", repo, "describe", "--always",
                              "--dirty"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    built = datetime.datetime.fromtimestamp(os.path.getmtime(exe))
    return "%s, build/ddnsd of %s" % (rev or "no git commit",
                                      built.strftime("%Y-%m-%d %H:%M"))


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


def write_docs(path, md):
    """Write our document to path, keeping other suites' marked sections
    of the file already there (after ours, in their order)."""
    keep = []
    try:
        with open(path) as f:
            old = f.read()
        keep = [m.group(0).rstrip("\n") + "\n" for m in _BLOCK.finditer(old)
                if m.group(1) != MARK]
    except OSError:
        pass
    text = md.rstrip("\n") + "\n"
    for block in keep:
        text += "\n" + block
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def markdown(results, opts, command):
    now = opts.get("when") or datetime.datetime.now().strftime(
        "%Y-%m-%d %H:%M")
    shown = ("`make bench` (that is, `bench/run`)" if command == "make bench"
             else "`%s`" % command)
    if opts.get("ddnsd_build"):
        shown += "; ddnsd from %s" % opts["ddnsd_build"]
    rate = opts["rate"]
    lines = [f"""# Benchmarks

How fast ddnsd answers DNS queries compared with NSD and Knot DNS, two
authoritative servers DNS operators trust, and with a trivial UDP echo
responder that does nothing but send each packet back (the ceiling: the cost
of the kernel's UDP path alone). This file is written by `bench/run`; the
figures below are from its last full run.

## What is measured

Each server serves the same zone `dyn.example` on 127.0.0.1, with 2 workers
(NSD `server-count: 2`, Knot `udp-workers: 2`, ddnsd `workers = 2`, echo 2
threads; all on SO_REUSEPORT sockets), and is driven by dnsperf from the
same run. At each zone size the servers are started one after the other
(memory and load time are measured then), stay up idle, and the
repetitions go round them, one server at a time under load, so that the
machine's better and worse moments fall on all of them alike.

The zone is generated: SOA, two NS with glue, then N hosts `hostNNNNNNN`
with an A record in 198.51.100.0/24 or 203.0.113.0/24, half of them also
with an AAAA in 2001:db8::/32. Queries: 200,000 lines, 60% A and 20% AAAA
of existing hosts, 20% names that do not exist (NXDOMAIN), A and AAAA, in
random order.

* **max qps** — dnsperf at full speed (`-T 2 -c 8 -q 200`, {opts['duration']} s per run).
* **CPU µs/q** — utime+stime of the server's processes (`/proc/PID/stat`,
  all threads and forked workers) over a run, divided by the queries dnsperf
  saw answered; at max rate and at the fixed rate. The fixed rate is the
  fairer comparison (every server gets the same offered load) and is the one
  the bar uses. Packet processing the kernel charges to softirq time is in
  no server's figure.
* **CPU ×echo** — the server's CPU per query at the fixed rate divided by
  the echo responder's in the same round of repetitions, median over the
  rounds. The machine's speed drifts between rounds (a virtual machine's
  neighbours come and go; all servers' figures move together by tens of
  per cent), and pairing by round cancels most of that, so this column is
  steadier than the absolute one. The bar's CPU criterion uses these
  same-round ratios (ddnsd against echo, NSD and Knot). Rows re-measured
  with `--merge` are paired with rounds of another run and lose that
  advantage.
* **CPU pairs** — a round still puts a minute or more between ddnsd's run
  and echo's, and one run's CPU per query moves by 10-20% with the
  machine. So after the repetitions, ddnsd and echo run {opts.get('cpu_pairs', 0)} more
  times each at the fixed rate ({opts['duration'] / 2:g} s), in adjacent
  pairs with the order swapped every pair; the median of the pairs'
  ratios, with its quartiles, is the figure the bar's echo criterion uses
  when present.
* **p50/p99 @{rate // 1000}k** — latency at a fixed {rate:,} queries/s
  (`dnsperf -Q {rate} -T 1 -c 8 -q 200`). dnsperf 2.10 has no latency
  histogram option (`dnsperf -H` lists none), and its summary gives only
  average and standard deviation, so the percentiles are computed from
  `dnsperf -v`, which prints every answer's latency.
* **B/host** — PSS (`/proc/PID/smaps_rollup`, summed over the server's
  processes) after loading and a 2 s warm-up, minus the PSS of the same
  server serving the zone without hosts (after the same warm-up), divided
  by the number of hosts.
* **load s** — from starting the process until it answers the A query for the
  last host of the zone (probed every 10 ms). NSD and Knot parse the master
  file; ddnsd loads from its SQLite database, into which
  `ddnsctl zone import` put the master file beforehand (**import s**,
  reported separately).
* **lost** — queries dnsperf sent but got no answer for, over all runs.
  **sockbuf drops** — datagrams dropped because a socket's receive buffer was
  full, over all runs: the server sockets' own `drops` column in
  `/proc/net/udp` / the system-wide `RcvbufErrors` delta of `/proc/net/snmp`
  (which also counts dnsperf's sockets overflowing with answers; `InErrors`
  is in results.json).
* **other load** — CPU used during the runs by anything but the server,
  dnsperf and bench/run (median, in % of one CPU). Each run waits for the
  machine to be quiet first, but a neighbour that starts mid-run shows up
  here: figures from a row with a high value are suspect.

Each figure is the median of {opts["reps"]} repetition(s). Before the runs, a
2 s warm-up checks the answers (about 80% NOERROR, 20% NXDOMAIN, or the row
fails). Client and servers share the 2 cores, so absolute figures
are low and the client limits the fastest servers (the echo row shows
where): **the ratios between rows matter more than the absolute figures.**

Machine: {machine()}.
Software: {versions()}.

Server settings: NSD `server-count: 2`, `reuseport: yes`, `database: ""`,
`minimal-responses: yes` (as Knot and ddnsd answer: no NS and glue added to
positive answers), response rate limiting off (`rrl-ratelimit: 0`; Debian's
NSD has it on, and it drops queries from dnsperf's single address). Knot
`udp-workers: 2`, `tcp-workers: 1`, `background-workers: 1`,
`zonefile-load: whole`, `journal-content: none`, `zonefile-sync: -1`,
semantic checks off. ddnsd `workers = 2`. The echo responder is
`bench/echo.c`: 2 threads on SO_REUSEPORT sockets, recvmmsg/sendmmsg, sets
QR and sends the packet back.

## How to run

```
make bench                                   # builds, then bench/run
bench/run --hosts 100000,1000000             # the same, without the build
bench/run --quick                            # 100k hosts, 1 repetition, short runs
bench/run --only nsd,knot,echo --reps 5 --duration 20
bench/run --only ddnsd --merge               # re-measure ddnsd, keep the other rows
bench/run --only nsd --hosts 100000 --keep   # keep configs and logs in bench/out/tmp/
```

Options: `--hosts N[,N]`, `--reps N`, `--duration S`, `--rate QPS`,
`--only ddnsd,nsd,knot,echo`, `--quick`, `--merge`, `--keep`, `--no-docs`,
`--report-only` (rewrite this file from the last full run's results), and
`--suite NAME` (`dns`, the default, is what this section reports; every
`bench/NAMEbench.py` is a suite of its own, run with its own options).
`--quick` and partial runs without `--merge` leave this file and
`bench/out/results.json` alone and write `bench/out/*-partial.*` instead.
Generated zones, query files and raw results (`results.json`, with every
repetition and the exact dnsperf command lines) are in `bench/out/`. A full
run takes about 15 minutes. Each run first waits (up to 30 s) for the
machine to be quiet, and a run during which other processes used more than
5% of a CPU is done once more (the quieter one is kept).

<!-- {MARK} begin -->

## DNS results

Run of {now}: {shown}.
"""]
    lines.append(md_table(results, rate))
    lines.append("")
    lines.append("### The bar\n")
    lines.append("What ddnsd must reach (from the issue), checked at the "
                 "largest zone:\n")
    lines.append("| criterion | measured | verdict |\n|---|---|---|")
    for crit, val, v in bar(results):
        lines.append("| %s | %s | %s |" % (crit, val, v))
    lines.append("")
    lines.append("""### Notes

* dnsperf runs on the same 2 cores as the server, so "max qps" is the rate
  the pair reaches together; a server that needs less CPU per query leaves
  more to dnsperf and therefore also shows a higher max qps.
* CPU time comes from `/proc/PID/stat` in clock ticks (10 ms); over a run of
  several CPU-seconds that is well under 1% error.
* p99 on a 2-core virtual machine is sensitive to any scheduling hiccup: on
  the machine used here the p99 of one and the same server ranged from about
  1 ms to 20 ms between 10 s runs, while p50 stayed within a few tens of
  microseconds. Read p99 as "no pathological tail" rather than as a ranking;
  results.json has every repetition's p50, p99 and p99.9.
* The other suites (`bench/run --suite writer`, `--suite http`, ...: one
  per `bench/NAMEbench.py`) keep their own sections below.

<!-- {MARK} end -->
""".format(MARK=MARK))
    return "\n".join(lines)
