# SPDX-License-Identifier: GPL-3.0-or-later
"""Running dnsperf 2.10 and reading its output.

dnsperf 2.10 has no latency histogram (`dnsperf -H` lists no such long
option); its summary gives only average, min, max and standard deviation.
Percentiles therefore come from `-v`, which prints one line per answer with
its latency in seconds ("> NOERROR name type 0.000123"); we sort those.
"""

import math
import re
import subprocess
import tempfile

# Max-rate load: 2 sender/receiver threads (one per core), 8 client sockets
# so that the kernel's SO_REUSEPORT hash spreads them over the server's
# workers, 200 queries outstanding. More outstanding queries only overflow
# socket buffers on this 2-core machine without raising the rate.
# Fixed rate: one thread is enough for 20k qps and leaves the server more
# CPU (two threads roughly double p99 on 2 cores by crowding the run queue).
MAX_RATE_ARGS = ["-T", "2", "-c", "8", "-q", "200"]
FIXED_RATE_ARGS = ["-T", "1", "-c", "8", "-q", "200"]

_NUM = r"([0-9.]+)"
_SUMMARY = {
    "sent": r"Queries sent:\s+(\d+)",
    "completed": r"Queries completed:\s+(\d+)",
    "lost": r"Queries lost:\s+(\d+)",
    "run_time": r"Run time \(s\):\s+" + _NUM,
    "qps": r"Queries per second:\s+" + _NUM,
    "avg_latency": r"Average Latency \(s\):\s+" + _NUM,
    "stddev_latency": r"Latency StdDev \(s\):\s+" + _NUM,
}


def parse_summary(text):
    out = {}
    for key, rx in _SUMMARY.items():
        m = re.search(rx, text)
        if m:
            out[key] = float(m.group(1))
    m = re.search(r"Response codes:\s+(.*)", text)
    if m:
        out["rcodes"] = {c: int(n) for c, n in
                         re.findall(r"([A-Z]+) (\d+) \(", m.group(1))}
    return out


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = math.ceil(p / 100.0 * len(sorted_values))
    return sorted_values[max(0, min(len(sorted_values), rank) - 1)]


def run(port, qfile, duration, rate=None, verbose=False, log=None, nice=0):
    """Run dnsperf against 127.0.0.1:port. rate=None: as fast as possible.
    Returns the summary dict; with verbose, also p50/p99/p999 latency (s)
    computed from every answer's latency, and the count of timeouts.
    The output goes to a file, not a pipe: with -v dnsperf writes a line per
    answer, and a reader that falls behind (on a machine busy with a load
    generator) would stall dnsperf on a full pipe and inflate the latencies
    it measures. nice < 0 (root only) runs dnsperf ahead of everything
    else: a latency probe that shares two cores with a load generator must
    not be the one that waits, or it measures its own scheduling."""
    cmd = (["nice", "-n", str(nice)] if nice else []) + ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile,
           "-l", str(duration)]
    cmd += FIXED_RATE_ARGS if rate else MAX_RATE_ARGS
    if rate:
        cmd += ["-Q", str(rate)]
    if verbose:
        cmd += ["-v"]
    with tempfile.TemporaryFile() as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if log:
        with open(log, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n")
            if verbose:     # keep the log small: summary only
                f.write(text[text.find("Statistics:"):] + "\n")
            else:
                f.write(text + "\n")
    if p.returncode != 0 or "Statistics:" not in text:
        raise RuntimeError("dnsperf failed (%d): %s" % (p.returncode,
                                                        text[-500:]))
    out = parse_summary(text[text.find("Statistics:"):])
    out["cmd"] = " ".join(cmd)
    if verbose:
        lat = []
        timeouts = 0
        for line in text.splitlines():
            if not line.startswith("> "):
                continue
            parts = line.split()
            if parts[1] == "T":
                timeouts += 1
                continue
            try:
                lat.append(float(parts[-1]))
            except ValueError:
                pass
        lat.sort()
        out["latency_samples"] = len(lat)
        out["timeouts"] = timeouts
        for name, p_ in (("p50", 50), ("p99", 99), ("p999", 99.9)):
            out[name] = percentile(lat, p_)
    return out
