# SPDX-License-Identifier: GPL-3.0-or-later
"""The write-ahead log under a steady write load (wal-limit).

SQLite starts its WAL over only when a write transaction begins with every
frame already copied into the database; while commits follow each other
closely one always began before the last copy ended, so without help the
file grew by every commit's pages for as long as a load lasted (930 MB in
15 s at 20,000 changes/s). ddnsd restarts it once it reaches wal-limit MiB
(the file is then reused from its start). The WAL header's checkpoint
sequence number (bytes 12-15) goes up by one at each restart: the test
watches it and the file's length while 16 clients change hosts without a
pause, and checks that nothing acknowledged was lost on the way.
"""
import os
import struct
import threading
import time

import ctlclient
from ddnstest import ZONES, addrs, ddnsd_control_socket, integrity_problems

ZONE = "dyn.example"
CLIENTS = 16
LIMIT_MB = 1


def wal_state(path):
    """(length of the WAL file, its checkpoint sequence number or None)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
        size = os.path.getsize(path)
    except FileNotFoundError:
        return 0, None
    if len(head) < 16:
        return size, None
    return size, struct.unpack(">I", head[12:16])[0]


def test_wal_restarts_under_a_steady_load(make_ddnsd):
    d = make_ddnsd(zones={ZONE: ZONES[ZONE]}, zonefiles={},
                   server={"wal-limit": str(LIMIT_MB)})
    path = str(ddnsd_control_socket(d))
    wal = str(d.db) + "-wal"
    with ctlclient.CtlClient(path) as c:
        c.call("user.add", name="walu", password="wal test password", max_hosts=CLIENTS)
        for i in range(CLIENTS):
            c.call("host.add", name=f"w{i:02d}.{ZONE}", owner="walu", ipv4="192.0.2.1")

    stop = threading.Event()
    acked = {}
    errors = []

    def client(i):
        name = f"w{i:02d}.{ZONE}"
        with ctlclient.CtlClient(path, timeout=20) as c:
            n = 0
            while not stop.is_set():
                n += 1
                addr = f"198.51.100.{n % 254 + 1}"
                r = c.request("host.set", name=name, ipv4=addr,
                              txt=[f"change {n} " + "x" * 200])
                if r.get("ok") is not True:
                    errors.append(r)
                    return
                acked[name] = addr

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    seqs, biggest = set(), 0
    start = time.monotonic()
    deadline = start + 60
    # Three seconds and until the WAL restarted a few times over (each
    # restart is a new sequence number), or a minute without that: a
    # failure below. Its length counts from the first restart on (before,
    # it is whatever the set-up left).
    while time.monotonic() < deadline and (len(seqs) < 6 or time.monotonic() < start + 3):
        size, seq = wal_state(wal)
        if seq is not None:
            seqs.add(seq)
        if len(seqs) >= 2:
            biggest = max(biggest, size)
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert len(seqs) >= 6, f"the WAL restarted {len(seqs) - 1} times in {time.monotonic() - start:.0f} s of writes"
    # Restarted at the limit, and reused. The checkpointer looks
    # ten times a second, and a restart can miss a turn: what the clients
    # write in a second or two comes on top (here about 1.5 MB a tenth of
    # a second; without restarts the file would grow by all of it).
    assert biggest <= (LIMIT_MB + 31) << 20, f"the WAL reached {biggest} bytes"
    for name, addr in acked.items():
        assert addrs(d.port, name, "A") == {addr}, name
    d.stop()
    assert integrity_problems(d.db) == []
    d.start()
    for name, addr in acked.items():
        assert addrs(d.port, name, "A") == {addr}, name
