# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash durability: a change acknowledged ok over the control socket has
been committed (synchronous=FULL) and published, so it must survive a
SIGKILL at any moment.

Each round, 16 client threads each keep updating their own hosts (one
request in flight per thread, so per host at most one attempt is ever in
flight) while ddnsd is killed with SIGKILL at a random moment. After a
restart on the same database every host must answer, over DNS and in
`host show`, either its last acknowledged value or the one attempt that
was in flight after it: never an older value, never one not attempted.
Every update sets the IPv4 and the IPv6 address together, the IPv6 one
carrying a per-host sequence number that never repeats, so a mix of two
updates is caught too. The SOA serial must never go below one already
seen, and SQLite's integrity check must pass after each round.

`make test` runs 5 rounds; DDNSD_SOAK=1 (`make soak`) runs 50.
"""
import os
import random
import threading
import time

import dns.rcode
import pytest

import ctlclient
from ddnstest import ZONES, ddnsd_control_socket, integrity_problems, rdata_texts, soa_serial

ZONE = "dyn.example"
CLIENTS = 16
HOSTS_PER_CLIENT = 3
PW = "durability password"
V4_NETS = ("198.51.100.", "203.0.113.", "192.0.2.")


def value(host_index, n):
    """The n-th value of a host: (ipv4, ipv6). The IPv6 address is unique
    for every (host, n); the IPv4 one cycles through the test networks."""
    v4 = V4_NETS[(n // 254) % len(V4_NETS)] + str(n % 254 + 1)
    return v4, f"2001:db8:{host_index + 1:x}::{n:x}"


class HostLog:
    """What the clients did to one host. Only its own client thread
    writes it, and the main thread reads it after the threads ended."""

    def __init__(self, index, name, start):
        self.index, self.name = index, name
        self.next_n = start + 1
        self.acked = start          # the last n acknowledged (or verified)
        self.inflight = None        # n sent and not answered, if any
        self.acks_this_round = 0

    def allowed(self):
        ok = {self.acked}
        if self.inflight is not None:
            ok.add(self.inflight)
        return ok


def client(path, logs, stop, errors):
    try:
        c = ctlclient.CtlClient(path, timeout=20)
    except OSError:
        return
    with c:
        while not stop.is_set():
            for h in logs:
                n = h.next_n
                h.next_n += 1
                v4, v6 = value(h.index, n)
                h.inflight = n
                try:
                    reply = c.request("host.set", name=h.name, ipv4=v4, ipv6=v6)
                except (OSError, ValueError):
                    return      # ddnsd was killed: n stays in flight
                if reply.get("ok") is not True:
                    # No fault is injected here: every change must commit.
                    errors.append(f"{h.name} = {v4} {v6}: {reply}")
                    return
                h.acked, h.inflight = n, None
                h.acks_this_round += 1


def observed(d, c, h):
    """(n from DNS, n from host show) for a host; fails on anything that
    is not one of its values."""
    a = d.query(h.name, "A")
    aaaa = d.query(h.name, "AAAA")
    assert a.rcode() == dns.rcode.NOERROR and aaaa.rcode() == dns.rcode.NOERROR
    v4, v6 = rdata_texts(a, "A"), rdata_texts(aaaa, "AAAA")
    assert len(v4) == 1 and len(v6) == 1, f"{h.name}: A {v4} AAAA {v6}"
    v4, v6 = v4.pop(), v6.pop()
    n = int(v6.rsplit(":", 1)[1], 16)
    assert value(h.index, n) == (v4, v6), (
        f"{h.name}: A {v4} and AAAA {v6} do not come from the same update")
    show = c.call("host.show", name=h.name)
    ns = int(show["ipv6"].rsplit(":", 1)[1], 16)
    assert value(h.index, ns) == (show["ipv4"], show["ipv6"]), show
    return n, ns


def test_crash_durability_soak(make_ddnsd):
    rounds = 50 if os.environ.get("DDNSD_SOAK") == "1" else 5
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    d = make_ddnsd(zones={ZONE: ZONES[ZONE]}, zonefiles={})
    path = str(ddnsd_control_socket(d))

    logs = []
    with ctlclient.CtlClient(path) as c:
        c.call("user.add", name="dur", password=PW, max_hosts=CLIENTS * HOSTS_PER_CLIENT)
        for i in range(CLIENTS * HOSTS_PER_CLIENT):
            h = HostLog(i, f"d{i:02d}.{ZONE}", 0)
            v4, v6 = value(i, 0)
            c.call("host.add", name=h.name, owner="dur", ipv4=v4, ipv6=v6)
            logs.append(h)
    max_serial = soa_serial(d.port, ZONE)
    total_acks = 0

    for rnd in range(rounds):
        where = f"round {rnd + 1}/{rounds} (seed {seed})"
        stop = threading.Event()
        errors = []
        threads = [threading.Thread(target=client, daemon=True,
                                    args=(path, logs[i::CLIENTS], stop, errors))
                   for i in range(CLIENTS)]
        for h in logs:
            h.acks_this_round = 0
        for t in threads:
            t.start()
        kill_at = time.monotonic() + rng.uniform(0.2, 1.5)
        # Watch the serial while the clients work: whatever was published
        # was committed, so it must not be lower after the restart.
        while time.monotonic() < kill_at:
            max_serial = max(max_serial, soa_serial(d.port, ZONE))
            time.sleep(0.02)
        d.proc.kill()
        d.proc.wait()
        d.proc = None
        stop.set()
        for t in threads:
            t.join(30)
            assert not t.is_alive(), f"{where}: a client hung after the kill"
        assert not errors, f"{where}: updates failed without a fault:\n" + "\n".join(errors)
        acks = sum(h.acks_this_round for h in logs)
        total_acks += acks

        d.start()
        serial = soa_serial(d.port, ZONE)
        assert serial >= max_serial, (f"{where}: the SOA serial went back from "
                                      f"{max_serial} to {serial} across the restart")
        max_serial = serial
        bad = []
        with ctlclient.CtlClient(path) as c:
            for h in logs:
                n_dns, n_show = observed(d, c, h)
                if n_dns != n_show:
                    bad.append(f"{h.name}: DNS has #{n_dns}, host show #{n_show}")
                elif n_dns not in h.allowed():
                    what = "older than" if n_dns < h.acked else "never attempted after"
                    bad.append(f"{h.name}: #{n_dns} is {what} the last acknowledged "
                               f"#{h.acked} (in flight: {h.inflight})")
                # What survived is the base of the next round.
                h.acked, h.inflight = n_dns, None
        assert not bad, f"{where}: after SIGKILL and restart:\n" + "\n".join(bad)
        problems = integrity_problems(d.db)
        assert not problems, f"{where}: integrity_check says {problems}"
    # The test means something only if updates were acknowledged.
    assert total_acks >= rounds * CLIENTS, f"only {total_acks} updates acknowledged"
