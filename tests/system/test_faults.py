# SPDX-License-Identifier: GPL-3.0-or-later
"""Storage faults injected with libfiu into a running ddnsd.

ddnsd runs under `fiu-run -x` (libfiu's POSIX preload library, with its
remote control over named pipes), and `fiu-ctrl` turns failure points on
and off while clients update hosts over the control socket. What libfiu
reaches in this build: Debian's libsqlite3 calls pwrite64() for every
write to the database and its WAL (point posix/io/rw/pwrite) and
fdatasync() to make a commit durable (posix/io/sync/fdatasync); it never
calls fsync(), so posix/io/sync/fsync does not touch ddnsd's commits. The
errno is chosen with failinfo (5 = EIO, 28 = ENOSPC).

For every update: an ok reply means the change is in the database and in
DNS once the fault is gone, also after a restart; a failed commit must
get an error reply, and what DNS serves must be the last acknowledged
value. ddnsd must stay up and commit new changes when the fault clears,
and SQLite's integrity check must pass.
"""
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import dns.rcode
import pytest

import ctlclient
from ddnstest import (ZONES, ddnsd_control_socket, integrity_problems,
                      rdata_texts, soa_serial, start_wrapped)

ZONE = "dyn.example"
PRELOAD = Path("/usr/lib/fiu/fiu_posix_preload.so")
PW = "fault injection pw"
CLIENTS = 4
HOSTS_PER_CLIENT = 3
EIO, ENOSPC = 5, 28

pytestmark = pytest.mark.skipif(
    not (shutil.which("fiu-run") and shutil.which("fiu-ctrl") and PRELOAD.exists()),
    reason="libfiu's fiu-run/fiu-ctrl and POSIX preload (fiu-utils) are not installed")


class Fiu:
    """ddnsd started under fiu-run -x, with fiu-ctrl at hand."""

    def __init__(self, d):
        self.d = d
        self.prefix = str(d.dir / "fiu")
        # Errors that the injected faults provoke on purpose.
        d.allowed_errors += [r"writer: ", r"disk I/O error", r"database or disk is full",
                             r"database: "]

    def start(self):
        start_wrapped(self.d, ["fiu-run", "-x", "-f", self.prefix])
        fifo = Path(f"{self.prefix}-{self.d.proc.pid}.in")
        assert fifo.exists(), f"fiu-run made no control pipe {fifo}"

    def ctrl(self, command):
        r = subprocess.run(["fiu-ctrl", "-f", self.prefix, "-c", command,
                            str(self.d.proc.pid)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "error" not in (r.stdout + r.stderr).lower(), \
            f"fiu-ctrl -c {command!r}: {r.returncode} {r.stdout} {r.stderr}"

    def enable(self, point, errno, probability=None):
        if probability is None:
            self.ctrl(f"enable name={point},failinfo={errno}")
        else:
            self.ctrl(f"enable_random name={point},failinfo={errno},"
                      f"probability={probability}")

    def disable(self, point):
        self.ctrl(f"disable name={point}")


def value(i, n):
    return f"198.51.100.{i + 1}" if n == 0 else \
        (f"203.0.113.{n % 250 + 1}", f"2001:db8:{i + 1:x}::{n:x}")


class Host:
    def __init__(self, i):
        self.i, self.name = i, f"f{i:02d}.{ZONE}"
        self.n = 0
        self.acked = None      # (ipv4, ipv6) last acknowledged
        self.oks = self.errs = 0
        self.bad_replies = []


def setup_hosts(path):
    hosts = [Host(i) for i in range(CLIENTS * HOSTS_PER_CLIENT)]
    with ctlclient.CtlClient(path) as c:
        c.call("user.add", name="fault", password=PW, max_hosts=len(hosts))
        for h in hosts:
            h.n = 1
            v4, v6 = value(h.i, 1)
            c.call("host.add", name=h.name, owner="fault", ipv4=v4, ipv6=v6)
            h.acked = (v4, v6)
    return hosts


def drive(path, hosts, per_host):
    """Each of CLIENTS threads updates its hosts per_host times in turn and
    records every reply."""
    def run(mine):
        with ctlclient.CtlClient(path, timeout=30) as c:
            for _ in range(per_host):
                for h in mine:
                    h.n += 1
                    v4, v6 = value(h.i, h.n)
                    reply = c.request("host.set", name=h.name, ipv4=v4, ipv6=v6)
                    if reply.get("ok") is True:
                        h.oks += 1
                        h.acked = (v4, v6)
                        if reply["result"].get("ipv4") != v4 or reply["result"].get("ipv6") != v6:
                            h.bad_replies.append(reply)
                    elif reply.get("ok") is False and reply.get("error"):
                        h.errs += 1
                    else:
                        h.bad_replies.append(reply)
    threads = [threading.Thread(target=run, args=(hosts[i::CLIENTS],))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a client got no reply"


def check_state(d, hosts, when):
    """Every host serves exactly its last acknowledged value, over DNS and
    in host show."""
    bad = []
    with ctlclient.CtlClient(ddnsd_control_socket(d)) as c:
        for h in hosts:
            a, aaaa = d.query(h.name, "A"), d.query(h.name, "AAAA")
            got = (rdata_texts(a, "A"), rdata_texts(aaaa, "AAAA"))
            want = ({h.acked[0]}, {h.acked[1]})
            if got != want:
                bad.append(f"{h.name}: DNS has {got}, last acknowledged {want}")
            show = c.call("host.show", name=h.name)
            if (show["ipv4"], show["ipv6"]) != h.acked:
                bad.append(f"{h.name}: host show has {show['ipv4']} {show['ipv6']}, "
                           f"last acknowledged {h.acked}")
    assert not bad, f"{when}:\n" + "\n".join(bad)


def commit_fresh(d, hosts, when):
    """New changes commit and are served at once."""
    with ctlclient.CtlClient(ddnsd_control_socket(d)) as c:
        for h in hosts:
            h.n += 1
            v4, v6 = value(h.i, h.n)
            reply = c.request("host.set", name=h.name, ipv4=v4, ipv6=v6)
            assert reply.get("ok") is True, f"{when}: {h.name}: {reply}"
            h.acked = (v4, v6)
    check_state(d, hosts, when)


# (point, errno, probability per call). A commit makes one fdatasync()
# call but some twenty pwrite() calls (a header and a page per WAL frame),
# hence the lower probability for pwrite: about half the commits succeed.
FAULTS = [
    ("posix/io/sync/fdatasync", EIO, 0.3),
    ("posix/io/rw/pwrite", EIO, 0.03),
    ("posix/io/rw/pwrite", ENOSPC, 0.03),
]
FAULT_IDS = ["fdatasync-EIO", "pwrite-EIO", "pwrite-ENOSPC"]
REASON = {EIO: "disk I/O error", ENOSPC: "database or disk is full"}


@pytest.mark.parametrize("point,errno,probability", FAULTS, ids=FAULT_IDS)
def test_random_faults_under_load(make_ddnsd, point, errno, probability):
    d = make_ddnsd(zones={ZONE: ZONES[ZONE]}, zonefiles={}, start=False)
    fiu = Fiu(d)
    fiu.start()
    path = ddnsd_control_socket(d)
    hosts = setup_hosts(path)
    serial0 = soa_serial(d.port, ZONE)

    fiu.enable(point, errno, probability=probability)
    drive(path, hosts, per_host=12)
    fiu.disable(point)
    d.assert_alive()

    oks = sum(h.oks for h in hosts)
    errs = sum(h.errs for h in hosts)
    replies = [r for h in hosts for r in h.bad_replies]
    assert not replies, f"replies that are neither a matching ok nor an error: {replies[:3]}"
    # Both outcomes must have happened, or the test showed nothing.
    assert errs > 0, f"no update failed with {point} failing at {probability}"
    assert oks > 0, f"no update succeeded with {point} failing at {probability}"
    check_state(d, hosts, f"after {point} failures stopped")
    assert soa_serial(d.port, ZONE) > serial0
    # New changes commit. (They also overwrite whatever a failed commit
    # left in the WAL; test_failed_commit_is_not_saved looks at that.)
    commit_fresh(d, hosts, "after the fault cleared")
    d.stop()
    fiu.start()
    check_state(d, hosts, "after a restart")
    problems = integrity_problems(d.db)
    assert not problems, problems
    commit_fresh(d, hosts, "after the fault cleared and a restart")


@pytest.mark.parametrize("restart", ["sigterm", "sigkill"])
@pytest.mark.parametrize("point,errno,probability", FAULTS, ids=FAULT_IDS)
def test_failed_commit_is_not_saved(make_ddnsd, point, errno, probability, restart):
    """A commit that failed was answered "not saved: ..."; it must not
    appear when ddnsd restarts right after the fault (nothing else was
    committed in between)."""
    d = make_ddnsd(zones={ZONE: ZONES[ZONE]}, zonefiles={}, start=False)
    fiu = Fiu(d)
    fiu.start()
    path = ddnsd_control_socket(d)
    hosts = setup_hosts(path)
    serial0 = soa_serial(d.port, ZONE)
    h = hosts[0]
    fiu.enable(point, errno)
    with ctlclient.CtlClient(path) as c:
        reply = c.request("host.set", name=h.name, ipv4="192.0.2.99", ipv6="2001:db8::99")
    fiu.disable(point)
    assert reply.get("ok") is False, f"an update acknowledged while {point} fails: {reply}"
    assert REASON[errno] in reply.get("error", ""), reply
    d.assert_alive()
    check_state(d, hosts, f"after a failed commit ({point})")
    assert soa_serial(d.port, ZONE) == serial0
    # The refused change's frames stay in the WAL file until the writer
    # has emptied it ("storage works again"); a crash before that point,
    # while the disk still fails, could bring them back. Kill after it.
    deadline = time.monotonic() + 10
    while "storage works again" not in d.log() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "storage works again" in d.log(), d.log_tail()
    if restart == "sigkill":
        d.kill()
    else:
        d.stop()
    fiu.start()
    check_state(d, hosts, f"after a failed commit ({point}) and a restart ({restart})")
    assert soa_serial(d.port, ZONE) == serial0
    problems = integrity_problems(d.db)
    assert not problems, problems
    commit_fresh(d, hosts, "after the fault cleared")


def test_fsync_is_not_on_the_commit_path(make_ddnsd):
    """Documents what libfiu can reach: SQLite commits with fdatasync(), so
    failing fsync() leaves updates working. If this starts failing, SQLite
    (or ddnsd) started calling fsync() and the tests above should cover
    posix/io/sync/fsync too."""
    d = make_ddnsd(zones={ZONE: ZONES[ZONE]}, zonefiles={}, start=False)
    fiu = Fiu(d)
    fiu.start()
    path = ddnsd_control_socket(d)
    hosts = setup_hosts(path)
    fiu.enable("posix/io/sync/fsync", EIO)
    try:
        commit_fresh(d, hosts, "with fsync() failing")
    finally:
        fiu.disable("posix/io/sync/fsync")
