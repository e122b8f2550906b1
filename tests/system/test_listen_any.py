# SPDX-License-Identifier: GPL-3.0-or-later
"""dns-listen on a wildcard address (0.0.0.0, ::): every UDP answer, the
query engine's and the update thread's, leaves from the address its query
was sent to. Loopback has many IPv4 addresses (127.0.0.0/8): a query to
127.0.0.2 comes from 127.0.0.1, and without IP_PKTINFO the kernel would
answer it from 127.0.0.1, which a resolver drops as a spoof."""

import socket

import dns.message
import dns.rcode
import dns.update

from ddnstest import free_port


def ask(addr, port, wire, family=socket.AF_INET):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(wire, (addr, port))
        data, src = s.recvfrom(65535)
        return dns.message.from_wire(data), src[0]


def test_wildcard_listen_answers_from_the_address_asked(make_ddnsd):
    port = free_port()
    d = make_ddnsd(server={"dns-listen": f"0.0.0.0:{port}, [::]:{port}"}, port=port)
    q = dns.message.make_query("dyn.example", "SOA").to_wire()
    for addr in ("127.0.0.1", "127.0.0.2", "127.0.0.53"):
        m, src = ask(addr, port, q)
        assert src == addr, f"asked {addr}, answered from {src}"
        assert m.rcode() == dns.rcode.NOERROR and m.answer
    m, src = ask("::1", port, q, socket.AF_INET6)
    assert src == "::1" and m.answer
    # An UPDATE goes to the update thread, which answers on its own (here
    # REFUSED: unsigned), from the same address.
    u = dns.update.UpdateMessage("dyn.example")
    u.add("x.dyn.example", 60, "A", "192.0.2.1")
    m, src = ask("127.0.0.2", port, u.to_wire())
    assert src == "127.0.0.2" and m.rcode() != dns.rcode.NOERROR, (src, m)
    # TCP needs nothing special.
    with socket.create_connection(("127.0.0.2", port), timeout=3) as s:
        s.sendall(len(q).to_bytes(2, "big") + q)
        n = int.from_bytes(s.recv(2), "big")
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    assert dns.message.from_wire(data).answer
