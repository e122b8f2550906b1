# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal DNS client for readiness and load-time checks: one UDP socket,
no subprocess per probe, so the probe interval is what limits precision."""

import os
import socket
import struct
import time

QTYPE = {"A": 1, "NS": 2, "SOA": 6, "AAAA": 28}


def _query(qid, name, qtype):
    q = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0)   # RD clear
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", QTYPE[qtype], 1)


def wait_answer(port, name, qtype="A", timeout=60.0, interval=0.01,
                alive=lambda: True, need_answer=True):
    """Query 127.0.0.1:port for name/qtype every `interval` s until an answer
    arrives: NOERROR with at least one answer record (or, with
    need_answer=False, any reply with QR set, for the echo responder).
    Returns the monotonic time the answer arrived, or None on timeout or
    when alive() turns false (the server died)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not alive():
                return None
            qid = struct.unpack("!H", os.urandom(2))[0]
            try:
                s.send(_query(qid, name, qtype))
            except OSError:         # ECONNREFUSED from an earlier probe
                pass
            end = time.monotonic() + interval
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    r = s.recv(4096)
                except socket.timeout:
                    break
                except OSError:     # port not open yet
                    time.sleep(max(0.0, end - time.monotonic()))
                    break
                now = time.monotonic()
                if len(r) < 12:
                    continue
                _, flags, _, an, _, _ = struct.unpack("!HHHHHH", r[:12])
                if not flags & 0x8000:
                    continue
                if not need_answer:
                    return now
                # Any earlier probe that is answered now counts as well:
                # the server was ready when it sent this.
                if flags & 0xF == 0 and an > 0:
                    return now
        return None
    finally:
        s.close()
