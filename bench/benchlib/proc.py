# SPDX-License-Identifier: GPL-3.0-or-later
"""What the kernel says about the servers: CPU time, memory, UDP drops.

A server is a process tree (NSD forks its workers; Knot and ddnsd are one
process with threads). /proc/PID/stat of a process already sums all its
threads, so CPU is summed over the tree's processes; PSS is summed the same
way, which counts pages shared between NSD's forked children once in total.
"""

import os
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    # comm may contain spaces: fields start after the last ')'
    return s[s.rindex(")") + 2:].split()


def tree(root):
    """PIDs of root and all its descendants that are alive now."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(d))[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if os.path.exists("/proc/%d" % pid):
            out.append(pid)
            todo.extend(children.get(pid, []))
    return out


def group_alive(pgid):
    """True while a process of group pgid is running (zombies don't count)."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = _stat_fields(int(d))
        except (OSError, ValueError, IndexError):
            continue
        if int(f[2]) == pgid and f[0] not in ("Z", "X"):
            return True
    return False


def cpu_ticks(pids):
    """utime+stime of these processes, in clock ticks (dict pid -> ticks)."""
    out = {}
    for pid in pids:
        try:
            f = _stat_fields(pid)
            out[pid] = int(f[11]) + int(f[12])     # fields 14 and 15
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_delta_us(before, after):
    """CPU microseconds spent between two cpu_ticks() readings.
    A process present only in `after` is counted from zero."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks * 1e6 / CLK_TCK


def system_ticks():
    """(busy, total) clock ticks of all CPUs from /proc/stat. busy counts
    user, nice, system and steal, not irq/softirq: the kernel charges
    loopback packet processing there, which is the benchmark's own work."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return user + nice + system + steal, sum(v[:8])


def background_cores(interval=0.3):
    """CPUs' worth of busy time over `interval` s (nothing of ours runs
    while this is called, so it is other people's load)."""
    b0, t0 = system_ticks()
    time.sleep(interval)
    b1, t1 = system_ticks()
    return (b1 - b0) / CLK_TCK / interval


def wait_quiet(limit=0.10, patience=30, say=print):
    """Wait up to `patience` s until other processes use less than `limit`
    of a CPU, so that a measurement does not start inside someone's build.
    Returns the last background reading."""
    bg = background_cores(0.5)
    if bg < limit:
        return bg
    say("  machine busy (%.0f%% of a CPU used by other processes); "
        "waiting up to %d s" % (bg * 100, patience))
    deadline = time.monotonic() + patience
    while bg >= limit and time.monotonic() < deadline:
        bg = background_cores(1.0)
    return bg


def pss_bytes(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


def udp_snmp():
    """System-wide UDP counters from /proc/net/snmp (dict name -> int)."""
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Udp:")]
    return dict(zip(rows[0][1:], (int(x) for x in rows[1][1:])))


def udp_port_drops(port):
    """Sum of the 'drops' column of /proc/net/udp for sockets bound to port:
    datagrams the kernel threw away because that socket's buffer was full."""
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if int(p[1].rsplit(":", 1)[1], 16) == port:
                        total += int(p[-1])
        except (OSError, StopIteration, ValueError, IndexError):
            pass
    return total


class UdpLoss:
    """Counts lost datagrams over a run: the server sockets' own drops and
    the system-wide RcvbufErrors/InErrors (which also include dnsperf's
    sockets overflowing with answers)."""

    def __init__(self, port):
        self.port = port
        self.snmp0 = udp_snmp()
        self.drops0 = udp_port_drops(port)

    def result(self):
        snmp = udp_snmp()
        return {
            "server_drops": udp_port_drops(self.port) - self.drops0,
            "rcvbuf_errors": snmp["RcvbufErrors"] - self.snmp0["RcvbufErrors"],
            "in_errors": snmp["InErrors"] - self.snmp0["InErrors"],
        }
