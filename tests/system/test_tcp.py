# SPDX-License-Identifier: GPL-3.0-or-later
"""DNS over TCP per RFC 7766: pipelining, the idle timeout, the timeout for
a started message, and the connection limit."""
import select
import struct
import time

import dns.flags
import dns.message
import dns.rcode

from ddnstest import make_query, tcp_connect, tcp_recv_msg, wait_eof

NAMES = [("host1.dyn.example", "A", "192.0.2.1"),
         ("host1.dyn.example", "AAAA", "2001:db8::1"),
         ("mail.dyn.example", "A", "192.0.2.25"),
         ("sip.dyn.example", "A", "192.0.2.60"),
         ("alice.dyn.example", "A", "198.51.100.10"),
         ("q%d.alice.dyn.example", "A", "198.51.100.11"),
         ("nothere%d.dyn.example", "A", None)]


def framed(msg):
    wire = msg.to_wire()
    return struct.pack("!H", len(wire)) + wire


def ask(sock, qname="host1.dyn.example", qid=0x7777, timeout=3.0):
    """One query on an open connection; the reply or None (closed/no reply)."""
    try:
        sock.sendall(framed(make_query(qname, "A", qid=qid)))
    except (BrokenPipeError, ConnectionResetError):
        return None
    wire = tcp_recv_msg(sock, timeout)
    return dns.message.from_wire(wire) if wire else None


def test_pipelined_queries(ddnsd):
    queries = {}
    blob = b""
    for i in range(50):
        name, rdtype, addr = NAMES[i % len(NAMES)]
        if "%d" in name:
            name = name % i
        q = make_query(name, rdtype, qid=1000 + i)
        queries[q.id] = (name, rdtype, addr)
        blob += framed(q)
    with tcp_connect(ddnsd.port) as s:
        s.sendall(blob)  # all 50 at once
        seen = set()
        for _ in range(50):
            wire = tcp_recv_msg(s, 5)
            assert wire is not None, f"only {len(seen)} of 50 pipelined queries answered"
            r = dns.message.from_wire(wire)
            assert r.id in queries and r.id not in seen, f"unexpected reply id {r.id}"
            seen.add(r.id)
            name, rdtype, addr = queries[r.id]
            assert r.question[0].name.to_text().lower() == name + "."
            if addr is None:
                assert r.rcode() == dns.rcode.NXDOMAIN
            else:
                assert r.rcode() == dns.rcode.NOERROR
                assert {rd.to_text() for rd in r.answer[0]} == {addr}, r
        assert seen == set(queries)
        # The connection stays usable after the burst.
        assert ask(s, qid=4242).id == 4242


def test_several_queries_one_connection(ddnsd):
    with tcp_connect(ddnsd.port) as s:
        for i in range(20):
            r = ask(s, qid=i)
            assert r is not None and r.id == i and r.rcode() == dns.rcode.NOERROR


def test_idle_connection_closed(make_ddnsd):
    d = make_ddnsd(server={"tcp-idle-timeout": "2"})
    with tcp_connect(d.port) as s:
        t = wait_eof(s, 20)
        assert t is not None, "an idle connection was still open 20 s later (timeout 2 s)"
        assert t >= 1.0, f"closed after {t:.2f} s, well before the 2 s idle timeout"
    # The timer restarts after each message: a connection that was used is
    # closed only after it becomes idle, and was answered meanwhile.
    with tcp_connect(d.port) as s:
        for i in range(3):
            assert ask(s, qid=i) is not None
            time.sleep(0.5)  # pacing: stay below the idle timeout between queries
        start = time.monotonic()
        t = wait_eof(s, 20)
        assert t is not None, "the connection was not closed once idle"
        assert time.monotonic() - start >= 1.0


def test_unfinished_message_closed(make_ddnsd):
    # The idle timeout is long, so only the message timeout can close these.
    d = make_ddnsd(server={"tcp-idle-timeout": "30", "tcp-msg-timeout": "500"})
    wire = make_query("host1.dyn.example", "A").to_wire()
    # Half a message, then nothing.
    with tcp_connect(d.port) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire[:10])
        t = wait_eof(s, 15)
        assert t is not None, "a half-sent message kept the connection open past 15 s"
        assert t < 10
    # Only the first byte of the length.
    with tcp_connect(d.port) as s:
        s.sendall(struct.pack("!H", len(wire))[:1])
        t = wait_eof(s, 15)
        assert t is not None and t < 10, "half a length prefix kept the connection open"
    # A trickle: one byte every 100 ms keeps the socket busy but never
    # completes the 200-byte message within the 500 ms allowed.
    with tcp_connect(d.port) as s:
        s.sendall(struct.pack("!H", 200))
        start = time.monotonic()
        closed = False
        for _ in range(100):
            try:
                s.sendall(b"\0")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if wait_eof(s, 0.1) is not None:  # paces the trickle too
                closed = True
                break
        elapsed = time.monotonic() - start
        assert closed, "a trickled message was still accepted after 10 s"
        assert elapsed < 8, f"closed only after {elapsed:.1f} s (message timeout 0.5 s)"
    # Complete messages on a fresh connection are still answered.
    with tcp_connect(d.port) as s:
        assert ask(s) is not None


def test_connection_limit(make_ddnsd):
    limit = 4
    d = make_ddnsd(server={"tcp-max-clients": str(limit), "tcp-idle-timeout": "30"})
    conns = []
    try:
        for i in range(limit):
            s = tcp_connect(d.port)
            conns.append(s)
            assert ask(s, qid=i) is not None, f"connection {i + 1} of {limit} not served"
        extras = []
        for i in range(3):
            s = tcp_connect(d.port)
            extras.append(s)
            conns.append(s)
        # Each extra connection is refused or closed (or an older one is
        # closed to make room): never more than `limit` served at once, and
        # no client is left hanging.
        for j, s in enumerate(extras):
            try:
                s.sendall(framed(make_query("host1.dyn.example", "A", qid=100 + j)))
            except (BrokenPipeError, ConnectionResetError):
                continue  # refused
            r, _, _ = select.select([s], [], [], 5)
            assert r, (f"connection {limit + j + 1} (limit {limit}) was neither "
                       f"answered nor closed within 5 s")
        served = 0
        for i, s in enumerate(conns):
            if ask(s, qid=200 + i, timeout=5) is not None:
                served += 1
        assert served <= limit, f"{served} connections served with tcp-max-clients = {limit}"
        assert served >= 1
    finally:
        for s in conns:
            s.close()
    # Once they are gone, new connections are served again.
    deadline = time.monotonic() + 10
    while True:
        with tcp_connect(d.port) as s:
            if ask(s, qid=999, timeout=2) is not None:
                break
        assert time.monotonic() < deadline, "no connection served after the others closed"


def test_sigterm_with_open_connections(make_ddnsd):
    d = make_ddnsd()
    wire = make_query("host1.dyn.example", "A").to_wire()
    conns = [tcp_connect(d.port) for _ in range(5)]
    try:
        assert ask(conns[0]) is not None
        conns[1].sendall(struct.pack("!H", len(wire)) + wire[:7])  # mid-message
        # d.stop() asserts that SIGTERM still ends the server with status 0.
        d.stop()
        for s in conns:
            assert wait_eof(s, 5) is not None, "a connection outlived the server"
    finally:
        for s in conns:
            s.close()
