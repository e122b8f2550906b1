# SPDX-License-Identifier: GPL-3.0-or-later
"""Random and mutated packets must never crash or hang ddnsd, and whatever
it answers must be a well-formed DNS message with a sensible rcode.

The seed is fixed so that a failure can be replayed; set DDNSD_FUZZ_SEED to
explore others."""
import os
import random
import select
import socket
import struct
import time

import dns.edns
import dns.message
import dns.rcode
import dns.rdatatype

from ddnstest import make_query, tcp_connect, tcp_recv_msg, wait_eof

SEED = int(os.environ.get("DDNSD_FUZZ_SEED", "20240611"))
UDP_PACKETS = 10_000
TCP_CONNECTIONS = 40
TCP_PER_CONNECTION = 8

NAMES = ["dyn.example", "host1.dyn.example", "HoSt1.DyN.eXaMpLe", "nothere.dyn.example",
         "a.b.c.dyn.example", "c.dyn.example", "x.y.alice.dyn.example", "www.dyn.example",
         "chain1.dyn.example", "dangling.dyn.example", "bigtxt.dyn.example",
         "manya.dyn.example", "_sip._tcp.dyn.example", "caa.dyn.example",
         "loop1.dyn.example", "box.home.example", "example.org", "id.server", "version.bind"]
TYPES = ["A", "AAAA", "TXT", "MX", "CNAME", "NS", "SOA", "SRV", "CAA", "ANY", "TYPE666",
         "AXFR", "IXFR", "OPT", "RRSIG"]


def seeds(rng):
    out = []
    for name in NAMES:
        for rdtype in rng.sample(TYPES, 5):
            rdclass = "CH" if name in ("id.server", "version.bind") else "IN"
            edns = rng.choice([None, 0, 0, 1])
            opts = []
            if edns is not None and rng.random() < 0.5:
                opts.append(dns.edns.GenericOption(rng.choice([3, 10, 100, 12]),
                                                   rng.randbytes(rng.choice([0, 8, 16]))))
            q = make_query(name, rdtype, rdclass, edns=edns, options=opts,
                           want_dnssec=rng.random() < 0.3, rd=rng.random() < 0.5)
            out.append(q.to_wire())
    return out


def mutate(rng, seed_pkts):
    p = bytearray(rng.choice(seed_pkts))
    kind = rng.randrange(9)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(p))
            p[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # truncation
        p = p[:rng.randrange(len(p))]
    elif kind == 2:  # random bytes of a random length
        p = bytearray(rng.randbytes(rng.choice([rng.randrange(12), rng.randrange(600)])))
    elif kind == 3:  # random section counts
        for off in rng.sample([4, 6, 8, 10], rng.randint(1, 4)):
            p[off:off + 2] = struct.pack("!H", rng.choice([0, 1, 2, 3, 0xFF, 0xFFFF,
                                                           rng.randrange(65536)]))
    elif kind == 4:  # random header flags and opcode
        p[2:4] = struct.pack("!H", rng.randrange(65536) & 0x7FFF)
    elif kind == 5:  # garbage appended
        p += rng.randbytes(rng.randrange(1, 300))
    elif kind == 6:  # bytes overwritten in the question / OPT
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(12, len(p))
            p[i] = rng.choice([0, 0x3F, 0x40, 0xC0, 0xFF, rng.randrange(256)])
    elif kind == 7:  # compression pointers sprinkled in
        i = rng.randrange(12, len(p) - 1)
        p[i:i + 2] = struct.pack("!H", 0xC000 | rng.randrange(len(p) + 4))
    else:  # a mix
        for _ in range(2):
            p = mutate(rng, [bytes(p) if len(p) >= 13 else seed_pkts[0]])
    return bytes(p)


def check_reply(wire):
    """A reply must parse and carry an rcode a server may give to junk."""
    assert len(wire) >= 12, f"reply shorter than a header: {wire.hex()}"
    flags = struct.unpack("!H", wire[2:4])[0]
    assert flags & 0x8000, f"reply without QR: {wire.hex()}"
    opcode = (flags >> 11) & 0xF
    # dnspython rejects unassigned opcodes; the rest of the message must parse.
    plain = wire[:2] + struct.pack("!H", flags & ~0x7800) + wire[4:]
    try:
        m = dns.message.from_wire(plain)
    except Exception as e:
        raise AssertionError(f"malformed reply ({e!r}): {wire.hex()}") from None
    allowed = {dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.FORMERR,
               dns.rcode.REFUSED, dns.rcode.NOTIMP, dns.rcode.BADVERS}
    # Zone transfers, NOTIFY and UPDATE may be refused as not authorized.
    xfr = m.question and m.question[0].rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR)
    if opcode in (4, 5) or xfr:
        allowed.add(dns.rcode.NOTAUTH)
    assert m.rcode() in allowed, f"rcode {m.rcode()!r} in reply {wire.hex()}"
    if opcode not in (0,):
        assert m.rcode() != dns.rcode.NOERROR or opcode in (4, 5), \
            f"opcode {opcode} answered NOERROR: {wire.hex()}"


def assert_healthy(ddnsd):
    for tcp in (False, True):
        r = ddnsd.query("host1.dyn.example", "A", tcp=tcp, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR
        assert {rd.to_text() for rd in r.answer[0]} == {"192.0.2.1"}
    ddnsd.assert_alive()


def test_udp_barrage(ddnsd):
    rng = random.Random(SEED)
    seed_pkts = seeds(rng)
    replies = 0
    sentinel = make_query("host1.dyn.example", "A", qid=0xFACE).to_wire()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        addr = ("127.0.0.1", ddnsd.port)
        sent = 0
        while sent < UDP_PACKETS:
            for _ in range(100):
                s.sendto(mutate(rng, seed_pkts), addr)
                sent += 1
            # Everything before the sentinel is handled once its reply is
            # here (modulo worker interleaving; late replies are read in
            # the next round).
            s.sendto(sentinel, addr)
            deadline = time.monotonic() + 5
            while True:
                left = deadline - time.monotonic()
                r, _, _ = select.select([s], [], [], max(left, 0))
                assert r, (f"no reply to a valid query within 5 s after {sent} "
                           f"fuzzed packets (seed {SEED}); alive: {ddnsd.alive()}")
                wire = s.recv(65535)
                if wire == b"" or wire[:2] != b"\xfa\xce":
                    check_reply(wire)
                    replies += 1
                    continue
                check_reply(wire)
                break
    print(f"{UDP_PACKETS} fuzzed UDP packets, {replies} replies (seed {SEED})")
    assert_healthy(ddnsd)


def test_tcp_barrage(ddnsd):
    rng = random.Random(SEED + 1)
    seed_pkts = seeds(rng)
    sentinel = make_query("host1.dyn.example", "A", qid=0xFACE).to_wire()
    closed = 0
    for c in range(TCP_CONNECTIONS):
        with tcp_connect(ddnsd.port) as s:
            if c % 10 == 9:
                # Broken framing: random bytes, then we hang up.
                try:
                    s.sendall(rng.randbytes(rng.randrange(1, 400)))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                continue
            blob = b""
            for _ in range(TCP_PER_CONNECTION):
                m = mutate(rng, seed_pkts)
                blob += struct.pack("!H", len(m)) + m
            blob += struct.pack("!H", len(sentinel)) + sentinel
            try:
                s.sendall(blob)
            except (BrokenPipeError, ConnectionResetError):
                closed += 1
                continue
            while True:
                wire = tcp_recv_msg(s, 5)
                if wire is None:
                    # The server may hang up after a bad message, but not
                    # leave the connection hanging.
                    assert wait_eof(s, 0.5) is not None, \
                        f"TCP connection {c} neither answered nor closed (seed {SEED})"
                    closed += 1
                    break
                check_reply(wire)
                if wire[:2] == b"\xfa\xce":
                    break
    print(f"{TCP_CONNECTIONS} TCP connections, {closed} closed by the server")
    assert_healthy(ddnsd)
