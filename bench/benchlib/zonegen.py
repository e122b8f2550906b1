# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's zone and query files.

The master file is the same input for every server: $ORIGIN dyn.example.,
$TTL 60, SOA, apex NS ns1/ns2 with glue, then N hosts named hostNNNNNNN
(7 digits, host0000000 .. host{N-1}) with an A record in 198.51.100.0/24 or
203.0.113.0/24; even-numbered hosts also have an AAAA in 2001:db8::/32.
Both files are deterministic (fixed seed) and cached in bench/out/, so
repeated runs and all servers see identical input.
"""

import os
import random

ZONE = "dyn.example"
FORMAT = 1          # bump when the layout changes: cached files are redone


def host_name(i):
    return "host%07d" % i


def last_host(n):
    """FQDN of the last host in an N-host zone (what load time waits for)."""
    return "%s.%s" % (host_name(n - 1), ZONE)


def _ipv4(rng):
    net = "198.51.100." if rng.random() < 0.5 else "203.0.113."
    return net + str(rng.randint(1, 254))


def _ipv6(i):
    return "2001:db8:%x:%x::1" % (i >> 16, i & 0xffff)


def _fresh(path, n):
    stamp = path + ".done"
    try:
        with open(stamp) as f:
            return f.read().strip() == "%d %d" % (FORMAT, n)
    except OSError:
        return False


def _mark(path, n):
    with open(path + ".done", "w") as f:
        f.write("%d %d\n" % (FORMAT, n))


def write_zone(outdir, n):
    """Write (or reuse) the master file for N hosts; return its path.
    N = 0 gives the tiny zone used for the memory baseline."""
    path = os.path.join(outdir, "zones", "dyn.example.%d.zone" % n)
    if _fresh(path, n):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(20240 + n)
    tmp = path + ".tmp"
    with open(tmp, "w", buffering=1 << 20) as f:
        f.write("$ORIGIN %s.\n$TTL 60\n" % ZONE)
        f.write("@ IN SOA ns1.%s. hostmaster.%s. 1 3600 900 1209600 60\n"
                % (ZONE, ZONE))
        f.write("@ IN NS ns1\n@ IN NS ns2\n")
        f.write("ns1 IN A 192.0.2.53\nns2 IN A 192.0.2.54\n")
        lines = []
        for i in range(n):
            name = host_name(i)
            lines.append("%s IN A %s\n" % (name, _ipv4(rng)))
            if i % 2 == 0:
                lines.append("%s IN AAAA %s\n" % (name, _ipv6(i)))
            if len(lines) >= 65536:
                f.write("".join(lines))
                lines = []
        f.write("".join(lines))
    os.replace(tmp, path)
    _mark(path, n)
    return path


def write_queries(outdir, n, count=200000):
    """Write (or reuse) a dnsperf query file for an N-host zone.

    Mix: 80% existing names (60% A, 20% AAAA of hosts that have one) and 20%
    missing names (NXDOMAIN; half A, half AAAA), in random order."""
    path = os.path.join(outdir, "queries-%d.txt" % n)
    if _fresh(path, count * 10000000 + n):
        return path
    rng = random.Random(777 + n)
    out = []
    for _ in range(count):
        r = rng.random()
        if r < 0.6:
            out.append("%s.%s A\n" % (host_name(rng.randrange(n)), ZONE))
        elif r < 0.8:
            i = rng.randrange((n + 1) // 2) * 2     # even: has an AAAA
            out.append("%s.%s AAAA\n" % (host_name(i), ZONE))
        else:
            qtype = "A" if r < 0.9 else "AAAA"
            out.append("nohost%07d.%s %s\n" % (rng.randrange(10000000), ZONE,
                                               qtype))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(out))
    os.replace(tmp, path)
    _mark(path, count * 10000000 + n)
    return path
