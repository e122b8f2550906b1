# SPDX-License-Identifier: GPL-3.0-or-later
"""Protocol details checked with dnspython and raw packets: EDNS(0), NSID,
truncation, CHAOS identity queries, unknown opcodes, malformed messages."""
import select
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from ddnstest import (exchange, header, make_query, parse, send, tcp_connect, tcp_recv_msg,
                      udp_exchange, wire_name)

QTYPE_A = struct.pack("!HH", 1, 1)
HOST1_Q = wire_name("host1.dyn.example") + QTYPE_A


def assert_still_answers(ddnsd):
    r = ddnsd.query("host1.dyn.example", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert {rd.to_text() for rd in r.answer[0]} == {"192.0.2.1"}
    ddnsd.assert_alive()


def replies_to(port, bad, timeout=2.0, linger=0.2):
    """Sends bad, then a good query from the same socket; returns the
    replies other than the good one's, after the good one arrived and a
    short linger for late ones. Fails if the good query is not answered."""
    good = make_query("host1.dyn.example", "A", qid=0xBEEF).to_wire()
    others = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(bad, ("127.0.0.1", port))
        s.sendto(good, ("127.0.0.1", port))
        deadline = time.monotonic() + timeout
        got_good = False
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            r, _, _ = select.select([s], [], [], deadline - now)
            if not r:
                break
            data = s.recv(65535)
            if not got_good and data[:2] == b"\xbe\xef" and len(data) > 12 and data[2] & 0x80:
                got_good = True
                deadline = time.monotonic() + linger
            else:
                others.append(data)
        assert got_good, "the server stopped answering after a malformed packet"
    return others


# ------------------------------------------------------------------ EDNS

@pytest.mark.parametrize("payload", [512, 1232, 4096, 65535])
def test_opt_echoed_with_our_payload(ddnsd, payload):
    r = ddnsd.query("host1.dyn.example", "A", payload=payload)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.edns == 0, "OPT missing from the reply to an EDNS query"
    assert r.payload == 1232


def test_small_payload_treated_as_512(ddnsd):
    r = ddnsd.query("host1.dyn.example", "A", payload=100)
    assert r.rcode() == dns.rcode.NOERROR
    assert not r.flags & dns.flags.TC
    assert r.answer


def test_no_opt_without_edns(ddnsd):
    r = ddnsd.query("host1.dyn.example", "A", edns=None)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.edns == -1, "OPT in the reply to a query without EDNS"


@pytest.mark.parametrize("version", [1, 2, 255])
def test_badvers(ddnsd, version):
    for tcp in (False, True):
        r = ddnsd.query("dyn.example", "SOA", edns=version, tcp=tcp)
        assert r.rcode() == dns.rcode.BADVERS, r
        assert r.edns == 0, "BADVERS must carry an OPT of version 0"
        assert not r.answer, f"BADVERS with an answer:\n{r}"


@pytest.mark.parametrize("code", [100, 65001, 0xFDE9])
def test_unknown_option_ignored_not_echoed(ddnsd, code):
    opt = dns.edns.GenericOption(code, b"\x01\x02\x03")
    r = ddnsd.query("host1.dyn.example", "A", options=[opt])
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert code not in [o.otype for o in r.options], f"option {code} echoed"


@pytest.mark.parametrize("flags", [0x80, 0x4000, 0x0001, 0x7FFF])
def test_unknown_edns_flags_not_echoed(ddnsd, flags):
    r = ddnsd.query("host1.dyn.example", "A", ednsflags=flags)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert r.ednsflags & 0xFFFF == 0, f"EDNS flags {r.ednsflags & 0xFFFF:#x} echoed"


def test_do_bit_accepted_and_copied(ddnsd):
    r = ddnsd.query("host1.dyn.example", "A", want_dnssec=True)
    assert r.rcode() == dns.rcode.NOERROR
    assert {rd.to_text() for rd in r.answer[0]} == {"192.0.2.1"}
    assert r.ednsflags & 0xFFFF == dns.flags.DO, "RFC 3225: DO is copied to the reply"


def test_two_opt_records_formerr(ddnsd):
    q = make_query("host1.dyn.example", "A")
    wire = bytearray(q.to_wire())
    opt = wire[-11:]
    assert opt[:3] == b"\x00\x00\x29"
    wire[10:12] = struct.pack("!H", 2)
    r = parse(udp_exchange(ddnsd.port, bytes(wire) + opt))
    assert r.rcode() == dns.rcode.FORMERR


def test_nsid(ddnsd):
    for tcp in (False, True):
        r = ddnsd.query("host1.dyn.example", "A", tcp=tcp,
                        options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
        assert r.rcode() == dns.rcode.NOERROR
        nsid = [o for o in r.options if o.otype == dns.edns.NSID]
        assert len(nsid) == 1, f"no NSID in the reply:\n{r}"
        assert nsid[0].to_wire() == b"ns1.dyn.example"


def test_cookie_answered(ddnsd):
    client = bytes.fromhex("0123456789abcdef")
    r = ddnsd.query("host1.dyn.example", "A",
                    options=[dns.edns.GenericOption(dns.edns.COOKIE, client)])
    assert r.rcode() == dns.rcode.NOERROR
    assert {rd.to_text() for rd in r.answer[0]} == {"192.0.2.1"}
    for o in r.options:
        if o.otype == dns.edns.COOKIE:
            assert o.to_wire()[:8] == client, "a returned cookie must echo the client cookie"


# ------------------------------------------------------------------ TC

def test_tc_without_edns(ddnsd):
    r = ddnsd.query("bigtxt.dyn.example", "TXT", edns=None)
    assert r.flags & dns.flags.TC, f"40 TXT records do not fit 512 bytes:\n{r}"
    assert r.flags & dns.flags.AA and r.rcode() == dns.rcode.NOERROR
    assert len(r.wire) <= 512


def test_tc_with_bufsize_512(ddnsd):
    for name, rdtype in (("bigtxt.dyn.example", "TXT"), ("manya.dyn.example", "A")):
        r = ddnsd.query(name, rdtype, payload=512)
        assert r.flags & dns.flags.TC, f"{name} {rdtype} does not fit 512 bytes:\n{r}"
        assert len(r.wire) <= 512
        assert r.edns == 0, "a truncated reply to an EDNS query keeps its OPT"


def test_tc_when_over_1232(ddnsd):
    r = ddnsd.query("bigtxt.dyn.example", "TXT", payload=1232)
    assert r.flags & dns.flags.TC
    assert len(r.wire) <= 1232


def test_fits_in_1232(ddnsd):
    r = ddnsd.query("manya.dyn.example", "A", payload=1232)
    assert not r.flags & dns.flags.TC
    assert len(r.answer[0]) == 40


def test_tcp_gets_full_answer(ddnsd):
    for edns in (None, 0):
        r = ddnsd.query("bigtxt.dyn.example", "TXT", tcp=True, edns=edns)
        assert not r.flags & dns.flags.TC
        assert r.rcode() == dns.rcode.NOERROR
        assert len(r.answer) == 1 and len(r.answer[0]) == 40
        assert len(r.wire) > 1232, "test data no longer exceeds the UDP limit"


# ------------------------------------------------------------------ CHAOS

@pytest.mark.parametrize("qname,expected", [
    ("id.server", "ns1.dyn.example"),
    ("hostname.bind", "ns1.dyn.example"),
    ("ID.Server", "ns1.dyn.example"),
    ("version.bind", "ddnsd-test"),
    ("version.server", "ddnsd-test"),
])
def test_chaos(ddnsd, qname, expected):
    for tcp in (False, True):
        r = ddnsd.query(qname, "TXT", "CH", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR, r
        assert len(r.answer) == 1, r
        rrset = r.answer[0]
        assert rrset.rdclass == dns.rdataclass.CH and rrset.rdtype == dns.rdatatype.TXT
        assert [rd.strings for rd in rrset] == [(expected.encode(),)]


def test_chaos_unknown_name_refused(ddnsd):
    r = ddnsd.query("authors.bind", "TXT", "CH")
    assert r.rcode() == dns.rcode.REFUSED and not r.answer


@pytest.mark.parametrize("value", [None, ""])
def test_chaos_and_nsid_refused_when_not_configured(make_ddnsd, value):
    d = make_ddnsd(server={"identity": value, "version": value})
    for qname in ("id.server", "hostname.bind", "version.bind", "version.server"):
        r = d.query(qname, "TXT", "CH")
        assert r.rcode() == dns.rcode.REFUSED, f"{qname}:\n{r}"
        assert not r.answer
    r = d.query("host1.dyn.example", "A",
                options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert dns.edns.NSID not in [o.otype for o in r.options], "NSID sent without an identity"


# ------------------------------------------------------------------ opcodes

ALL_FLAGS = 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0040 | 0x0020 | 0x0010  # AA TC RD RA Z AD CD


@pytest.mark.parametrize("opcode", [1, 2, 3, 6, 7, 15])
@pytest.mark.parametrize("flags", [0, ALL_FLAGS])
@pytest.mark.parametrize("with_question", [True, False])
def test_unknown_opcode_notimp(ddnsd, opcode, flags, with_question):
    qd = 1 if with_question else 0
    wire = header(0x4242, (opcode << 11) | flags, qd=qd) + (HOST1_Q if qd else b"")
    for tcp in (False, True):
        reply = exchange(ddnsd.port, wire, tcp=tcp)
        (rflags,) = struct.unpack("!H", reply[2:4])
        assert rflags == 0x8000 | (opcode << 11) | dns.rcode.NOTIMP, (
            f"opcode {opcode} flags {flags:#06x} over {'TCP' if tcp else 'UDP'}: "
            f"reply flags {rflags:#06x}, expected QR + opcode + NOTIMP only "
            f"({0x8000 | (opcode << 11) | 4:#06x})")


# ------------------------------------------------------------------ malformed

def test_qdcount_zero_formerr(ddnsd):
    for tcp in (False, True):
        r = send(ddnsd.port, header(0x1111, 0, qd=0), tcp=tcp)
        assert r.rcode() == dns.rcode.FORMERR
        assert r.flags & dns.flags.QR


def test_qdcount_two_formerr(ddnsd):
    wire = header(0x2222, 0, qd=2) + HOST1_Q + wire_name("mail.dyn.example") + QTYPE_A
    for tcp in (False, True):
        r = send(ddnsd.port, wire, tcp=tcp)
        assert r.rcode() == dns.rcode.FORMERR
        assert not r.answer


def test_broken_question_formerr(ddnsd):
    # The name is complete, the type and class are cut off.
    wire = header(0x3333, 0, qd=1) + wire_name("host1.dyn.example") + b"\x00\x01"
    reply = udp_exchange(ddnsd.port, wire)
    assert reply is not None, "no FORMERR for a question without its class"
    assert reply[:2] == b"\x33\x33"
    assert reply[3] & 0x0F == dns.rcode.FORMERR
    assert_still_answers(ddnsd)


@pytest.mark.parametrize("body", [
    pytest.param(b"\x05host1\x03dyn", id="truncated-name"),
    pytest.param(b"\xc0\x0c" + QTYPE_A, id="pointer-to-itself"),
    pytest.param(b"\x03abc\xc0\x0c" + QTYPE_A, id="compression-loop"),
    pytest.param(b"\xc0\xff" + QTYPE_A, id="pointer-past-end"),
    pytest.param(b"\x40" + b"a" * 64 + b"\x00" + QTYPE_A, id="label-64"),
    pytest.param(b"\x80abc\x00" + QTYPE_A, id="label-type-10"),
    pytest.param((b"\x3f" + b"a" * 63) * 5 + b"\x00" + QTYPE_A, id="name-320-bytes"),
    pytest.param((b"\x01a") * 128 + b"\x00" + QTYPE_A, id="name-257-bytes"),
    pytest.param(b"", id="no-question"),
])
def test_malformed_question_formerr_or_silence(ddnsd, body):
    wire = header(0x4444, 0, qd=1) + body
    for reply in replies_to(ddnsd.port, wire):
        r = dns.message.from_wire(reply)  # well-formed
        assert r.id == 0x4444 and r.flags & dns.flags.QR
        assert r.rcode() == dns.rcode.FORMERR, r
    assert_still_answers(ddnsd)


@pytest.mark.parametrize("n", [1, 2, 11])
def test_short_packet_silence(ddnsd, n):
    wire = header(0x5555, 0, qd=1)[:n]
    assert replies_to(ddnsd.port, wire) == [], "a reply to a packet shorter than a header"
    assert_still_answers(ddnsd)


def test_empty_datagram_silence(ddnsd):
    assert replies_to(ddnsd.port, b"") == []
    assert_still_answers(ddnsd)


@pytest.mark.parametrize("rcode", [0, 3, 5])
def test_response_bit_silence(ddnsd, rcode):
    wire = header(0x6666, 0x8000 | rcode, qd=1) + HOST1_Q
    assert replies_to(ddnsd.port, wire) == [], "a reply to a message with QR=1"
    assert_still_answers(ddnsd)


def test_short_message_over_tcp(ddnsd):
    good = make_query("host1.dyn.example", "A", qid=0xBEEF).to_wire()
    with tcp_connect(ddnsd.port) as s:
        s.sendall(struct.pack("!H", 5) + b"\x12\x34\x00\x00\x00"
                  + struct.pack("!H", len(good)) + good)
        reply = tcp_recv_msg(s, 3)
    # Either the connection was closed, or the only reply is the good one's.
    if reply is not None:
        assert reply[:2] == b"\xbe\xef", "a reply to a 5-byte message over TCP"
    assert_still_answers(ddnsd)
