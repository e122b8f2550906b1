# SPDX-License-Identifier: GPL-3.0-or-later
"""What ddnsd answers for the data in tests/system/data: authoritative
answers, referrals out of our zones refused, NXDOMAIN versus NODATA with
empty non-terminals, negative-answer SOA, case of the question, every record
type, CNAME chains, host-level wildcards, ANY (RFC 8482)."""
import time

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from ddnstest import NEG_TTL, question_bytes, rdata_texts, rrset_set

LONG_TXT = " ".join('"%s"' % (c * 255) for c in "abc") + ' "%s"' % ("d" * 100)
MANYA = {"203.0.113.%d" % i for i in range(10, 50)}


def zone_of(qname):
    n = qname.lower().rstrip(".")
    return "home.example" if n.endswith("home.example") else "dyn.example"


def assert_authoritative(r, rcode=dns.rcode.NOERROR):
    assert r.rcode() == rcode, f"rcode {dns.rcode.to_text(r.rcode())}, expected {dns.rcode.to_text(rcode)}:\n{r}"
    assert r.flags & dns.flags.QR
    assert r.flags & dns.flags.AA, f"AA not set:\n{r}"
    assert not r.flags & dns.flags.TC, f"TC set:\n{r}"
    assert not r.flags & dns.flags.RA, f"RA set by an authoritative-only server:\n{r}"


def assert_negative_soa(r, zone):
    """The authority section carries the zone's SOA with the negative TTL."""
    soas = [rr for rr in r.authority if rr.rdtype == dns.rdatatype.SOA]
    assert len(soas) == 1, f"expected one SOA in authority:\n{r}"
    soa = soas[0]
    assert soa.name == dns.name.from_text(zone), f"SOA owner {soa.name}:\n{r}"
    assert len(soa) == 1
    assert soa.ttl == NEG_TTL[zone], (f"negative SOA TTL {soa.ttl}, expected "
                                      f"min(SOA TTL, minimum) = {NEG_TTL[zone]}")


def assert_nxdomain(r, qname):
    assert_authoritative(r, dns.rcode.NXDOMAIN)
    assert not r.answer, f"NXDOMAIN with an answer:\n{r}"
    assert_negative_soa(r, zone_of(qname))


def assert_nodata(r, qname):
    assert_authoritative(r, dns.rcode.NOERROR)
    assert not r.answer, f"NODATA expected, got an answer:\n{r}"
    assert_negative_soa(r, zone_of(qname))


# ------------------------------------------------------------- apex

def test_soa_comes_from_config(ddnsd):
    r = ddnsd.query("dyn.example", "SOA")
    assert_authoritative(r)
    assert len(r.answer) == 1 and len(r.answer[0]) == 1, r
    soa = r.answer[0]
    assert soa.ttl == 3600
    rd = soa[0]
    assert rd.mname == dns.name.from_text("ns1.dyn.example")
    assert rd.rname == dns.name.from_text("hostmaster.dyn.example")
    assert (rd.refresh, rd.retry, rd.expire, rd.minimum) == (7200, 900, 604800, 120)
    assert rd.serial > 0


def test_second_zone_soa(ddnsd):
    r = ddnsd.query("home.example", "SOA")
    assert_authoritative(r)
    rd = r.answer[0][0]
    assert r.answer[0].ttl == 30
    assert rd.mname == dns.name.from_text("ns1.home.example")
    assert rd.rname == dns.name.from_text("hostmaster.home.example")
    assert rd.minimum == 300


def test_apex_ns_comes_from_config(ddnsd):
    r = ddnsd.query("dyn.example", "NS")
    assert_authoritative(r)
    assert rdata_texts(r, "NS") == {"ns1.dyn.example.", "ns2.dyn.example."}


@pytest.mark.parametrize("qname,rdtype,expected", [
    ("ns1.dyn.example", "A", {"192.0.2.53"}),
    ("ns2.dyn.example", "A", {"192.0.2.54"}),
    ("ns2.dyn.example", "AAAA", {"2001:db8::54"}),
    ("ns1.home.example", "A", {"192.0.2.153"}),
])
def test_glue_comes_from_config(ddnsd, qname, rdtype, expected):
    r = ddnsd.query(qname, rdtype)
    assert_authoritative(r)
    assert rdata_texts(r, rdtype, qname) == expected


# ------------------------------------------------------------- data

@pytest.mark.parametrize("qname,rdtype,expected,ttl", [
    ("host1.dyn.example", "A", {"192.0.2.1"}, 300),
    ("host1.dyn.example", "AAAA", {"2001:db8::1"}, 300),
    ("host1.dyn.example", "TXT", {'"host one"'}, 60),
    ("host1.dyn.example", "MX", {"10 mail.dyn.example."}, 60),
    ("v6only.dyn.example", "AAAA", {"2001:db8::6"}, 60),
    ("multi.dyn.example", "TXT", {'"first string" "second string" "third string"'}, 60),
    ("long.dyn.example", "TXT", {LONG_TXT}, 60),
    ("_sip._tcp.dyn.example", "SRV", {"10 20 5060 sip.dyn.example.",
                                      "20 10 5061 host1.dyn.example."}, 60),
    ("caa.dyn.example", "CAA", {'0 issue "letsencrypt.org"',
                                '128 iodef "mailto:abuse@dyn.example"'}, 60),
    ("www.dyn.example", "CNAME", {"host1.dyn.example."}, 60),
    ("dyn.example", "TXT", {'"v=spf1 -all"'}, 60),
    ("dyn.example", "MX", {"10 mail.dyn.example."}, 60),
    ("a.b.c.dyn.example", "A", {"203.0.113.1"}, 60),
    ("manya.dyn.example", "A", MANYA, 60),
    ("box.home.example", "A", {"192.0.2.99"}, 60),
])
def test_record(ddnsd, qname, rdtype, expected, ttl):
    r = ddnsd.query(qname, rdtype)
    assert_authoritative(r)
    assert len(r.answer) == 1, f"expected one RRset:\n{r}"
    rrset = r.answer[0]
    assert rrset.name == dns.name.from_text(qname)
    assert rrset.rdtype == dns.rdatatype.from_text(rdtype)
    assert {rd.to_text() for rd in rrset} == expected
    assert rrset.ttl == ttl


def test_txt_strings_kept_apart(ddnsd):
    r = ddnsd.query("multi.dyn.example", "TXT")
    assert r.answer[0][0].strings == (b"first string", b"second string", b"third string")
    r = ddnsd.query("long.dyn.example", "TXT")
    assert [len(s) for s in r.answer[0][0].strings] == [255, 255, 255, 100]


def test_rd_copied_ra_clear(ddnsd):
    r = ddnsd.query("host1.dyn.example", "A", rd=True)
    assert r.flags & dns.flags.RD, "RD must be copied into the response"
    assert not r.flags & dns.flags.RA
    r = ddnsd.query("host1.dyn.example", "A", rd=False)
    assert not r.flags & dns.flags.RD


def test_over_tcp_and_ipv6(ddnsd):
    for host in ("127.0.0.1", "::1"):
        for tcp in (False, True):
            r = ddnsd.query("host1.dyn.example", "AAAA", tcp=tcp, host=host)
            assert_authoritative(r)
            assert rdata_texts(r, "AAAA") == {"2001:db8::1"}, (host, tcp)


# ------------------------------------------------------------- refused

@pytest.mark.parametrize("qname", [
    "example.org", "www.example.org", "example", "xdyn.example",
    "dyn.example.org", "dyn.example.dyn", "com", ".", "alice.home.example.net",
])
def test_refused_outside_our_zones(ddnsd, qname):
    r = ddnsd.query(qname, "A")
    assert r.rcode() == dns.rcode.REFUSED, r
    assert not r.flags & dns.flags.AA, f"AA on a REFUSED answer:\n{r}"
    assert not r.answer and not r.authority, r


# ------------------------------------------------------------- negative

@pytest.mark.parametrize("qname", [
    "nothere.dyn.example", "deep.nothere.dyn.example", "x.c.dyn.example",
    "a.b.c.d.dyn.example", "x.a.b.c.dyn.example", "host2.dyn.example",
    "nothere.home.example", "x.real.alice.dyn.example",
])
def test_nxdomain(ddnsd, qname):
    assert_nxdomain(ddnsd.query(qname, "A"), qname)


@pytest.mark.parametrize("qname,rdtype", [
    ("host1.dyn.example", "SRV"),
    ("host1.dyn.example", "CAA"),
    ("v6only.dyn.example", "A"),
    ("ns1.dyn.example", "AAAA"),
    # empty non-terminals: a.b.c.dyn.example exists
    ("c.dyn.example", "A"),
    ("b.c.dyn.example", "A"),
    ("b.c.dyn.example", "TXT"),
    ("_tcp.dyn.example", "SRV"),
    ("host1.dyn.example", "TYPE666"),
    ("dyn.example", "TYPE666"),
    ("dyn.example", "A"),
    ("home.example", "MX"),
    ("box.home.example", "AAAA"),
])
def test_nodata(ddnsd, qname, rdtype):
    assert_nodata(ddnsd.query(qname, rdtype), qname)


# ------------------------------------------------------------- case

@pytest.mark.parametrize("tcp", [False, True])
@pytest.mark.parametrize("qname,rcode", [
    ("HoSt1.DyN.eXaMpLe", dns.rcode.NOERROR),
    ("AnY.AlIcE.dYn.ExAmPlE", dns.rcode.NOERROR),
    ("NoThErE.DyN.eXaMpLe", dns.rcode.NXDOMAIN),
    ("C.dYn.ExAmPlE", dns.rcode.NOERROR),
    ("ExAmPlE.oRg", dns.rcode.REFUSED),
])
def test_question_case_echoed(ddnsd, qname, rcode, tcp):
    r = ddnsd.query(qname, "A", tcp=tcp)
    assert r.rcode() == rcode, r
    sent = b"".join(bytes([len(x)]) + x.encode() for x in qname.split(".")) + b"\0"
    assert question_bytes(r.wire) == sent, "question name not echoed byte for byte"
    for rrset in r.answer:
        assert rrset.name == dns.name.from_text(qname)


# ------------------------------------------------------------- CNAME

def test_cname_followed(ddnsd):
    r = ddnsd.query("www.dyn.example", "A")
    assert_authoritative(r)
    assert rrset_set(r.answer) == {
        ("www.dyn.example.", 60, "IN", "CNAME", "host1.dyn.example."),
        ("host1.dyn.example.", 300, "IN", "A", "192.0.2.1"),
    }


def test_cname_chain_followed(ddnsd):
    r = ddnsd.query("chain1.dyn.example", "AAAA")
    assert_authoritative(r)
    assert rrset_set(r.answer) == {
        ("chain1.dyn.example.", 60, "IN", "CNAME", "chain2.dyn.example."),
        ("chain2.dyn.example.", 60, "IN", "CNAME", "chain3.dyn.example."),
        ("chain3.dyn.example.", 60, "IN", "CNAME", "host1.dyn.example."),
        ("host1.dyn.example.", 300, "IN", "AAAA", "2001:db8::1"),
    }
    # The chain is in order: each CNAME before the records it leads to.
    names = [rr.name.to_text().lower() for rr in r.answer]
    assert names == ["chain1.dyn.example.", "chain2.dyn.example.",
                     "chain3.dyn.example.", "host1.dyn.example."]


def test_cname_to_missing_type(ddnsd):
    r = ddnsd.query("www.dyn.example", "SRV")
    assert_authoritative(r)
    assert rrset_set(r.answer) == {
        ("www.dyn.example.", 60, "IN", "CNAME", "host1.dyn.example.")}
    assert_negative_soa(r, "dyn.example")


def test_cname_to_missing_name_is_nxdomain(ddnsd):
    r = ddnsd.query("dangling.dyn.example", "A")
    assert_authoritative(r, dns.rcode.NXDOMAIN)
    assert rrset_set(r.answer) == {
        ("dangling.dyn.example.", 60, "IN", "CNAME", "nowhere.dyn.example.")}
    assert_negative_soa(r, "dyn.example")


def test_cname_out_of_zone(ddnsd):
    r = ddnsd.query("outside.dyn.example", "A")
    assert_authoritative(r)
    assert rrset_set(r.answer) == {
        ("outside.dyn.example.", 60, "IN", "CNAME", "www.example.org.")}


def test_cname_loop_answered(ddnsd):
    r = ddnsd.query("loop1.dyn.example", "A")
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL), r
    assert ("loop1.dyn.example.", 60, "IN", "CNAME", "loop2.dyn.example.") in rrset_set(r.answer)


# ------------------------------------------------------------- delegation

@pytest.mark.parametrize("qname,rdtype", [
    ("sub.dyn.example", "NS"),
    ("sub.dyn.example", "A"),
    ("www.sub.dyn.example", "A"),
    ("a.b.sub.dyn.example", "TXT"),
    ("ns.sub.dyn.example", "A"),  # glue is not authoritative data
    ("sub.dyn.example", "ANY"),
])
def test_referral(ddnsd, qname, rdtype):
    r = ddnsd.query(qname, rdtype)
    assert r.rcode() == dns.rcode.NOERROR, r
    assert not r.flags & dns.flags.AA, f"a referral is not authoritative:\n{r}"
    assert not r.answer, r
    assert rrset_set(r.authority) == {
        ("sub.dyn.example.", 60, "IN", "NS", "ns.sub.dyn.example."),
        ("sub.dyn.example.", 60, "IN", "NS", "ns.example.net."),
    }
    assert rrset_set(r.additional) >= {
        ("ns.sub.dyn.example.", 60, "IN", "A", "192.0.2.200"),
        ("ns.sub.dyn.example.", 60, "IN", "AAAA", "2001:db8:5::200"),
    }, f"glue missing from the referral:\n{r}"


def test_ds_at_delegation_answered_by_parent(ddnsd):
    # RFC 4035 3.1.4.1: the parent is authoritative for the DS at a cut.
    assert_nodata(ddnsd.query("sub.dyn.example", "DS"), "sub.dyn.example")


# ------------------------------------------------------------- wildcard

@pytest.mark.parametrize("qname,rdtype,expected", [
    ("any.alice.dyn.example", "A", {"198.51.100.11"}),
    ("x.y.alice.dyn.example", "A", {"198.51.100.11"}),
    ("any.alice.dyn.example", "TXT", {'"alice wildcard"'}),
    ("alice.dyn.example", "A", {"198.51.100.10"}),
    ("real.alice.dyn.example", "A", {"198.51.100.12"}),
])
def test_wildcard(ddnsd, qname, rdtype, expected):
    r = ddnsd.query(qname, rdtype)
    assert_authoritative(r)
    assert len(r.answer) == 1, r
    assert r.answer[0].name == dns.name.from_text(qname), \
        f"wildcard answer must carry the query's owner name:\n{r}"
    assert rdata_texts(r, rdtype) == expected


@pytest.mark.parametrize("qname,rdtype", [
    ("any.alice.dyn.example", "AAAA"),   # the wildcard has no AAAA
    ("alice.dyn.example", "TXT"),        # alice itself is not matched by *.alice
    ("real.alice.dyn.example", "TXT"),   # an existing name blocks the wildcard
])
def test_wildcard_nodata(ddnsd, qname, rdtype):
    assert_nodata(ddnsd.query(qname, rdtype), qname)


# ------------------------------------------------------------- ANY

HOST1 = {
    ("host1.dyn.example.", 300, "IN", "A", "192.0.2.1"),
    ("host1.dyn.example.", 300, "IN", "AAAA", "2001:db8::1"),
    ("host1.dyn.example.", 60, "IN", "TXT", '"host one"'),
    ("host1.dyn.example.", 60, "IN", "MX", "10 mail.dyn.example."),
}


def test_any_over_udp_is_one_rrset(ddnsd):
    r = ddnsd.query("host1.dyn.example", "ANY")
    assert_authoritative(r)
    assert len(r.answer) == 1, f"RFC 8482: one RRset over UDP, got:\n{r}"
    got = rrset_set(r.answer)
    assert got and got <= HOST1, r


def test_any_over_tcp_is_the_whole_node(ddnsd):
    r = ddnsd.query("host1.dyn.example", "ANY", tcp=True)
    assert_authoritative(r)
    assert rrset_set(r.answer) == HOST1


def test_any_over_tcp_wildcard(ddnsd):
    r = ddnsd.query("some.alice.dyn.example", "ANY", tcp=True)
    assert_authoritative(r)
    assert rrset_set(r.answer) == {
        ("some.alice.dyn.example.", 60, "IN", "A", "198.51.100.11"),
        ("some.alice.dyn.example.", 60, "IN", "TXT", '"alice wildcard"'),
    }


def test_any_over_tcp_apex(ddnsd):
    r = ddnsd.query("dyn.example", "ANY", tcp=True)
    assert_authoritative(r)
    types = {rr.rdtype for rr in r.answer}
    assert types == {dns.rdatatype.SOA, dns.rdatatype.NS, dns.rdatatype.TXT,
                     dns.rdatatype.MX}, r


@pytest.mark.parametrize("tcp", [False, True])
def test_any_negative(ddnsd, tcp):
    assert_nxdomain(ddnsd.query("nothere.dyn.example", "ANY", tcp=tcp), "nothere.dyn.example")
    assert_nodata(ddnsd.query("c.dyn.example", "ANY", tcp=tcp), "c.dyn.example")


def test_single_listen_address_worker(make_ddnsd):
    """With one listen address each UDP worker blocks in recvmmsg itself
    (not in epoll): every query of a burst is answered, and ddnsd still
    stops cleanly when idle."""
    import socket

    from ddnstest import free_port, make_query, parse
    port = free_port()
    d = make_ddnsd(port=port, server={"dns-listen": f"127.0.0.1:{port}"})
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.settimeout(5)
        ids = set()
        for i in range(300):
            w = bytearray(make_query("alice.dyn.example", "A").to_wire())
            w[0:2] = i.to_bytes(2, "big")
            s.sendto(bytes(w), ("127.0.0.1", port))
            ids.add(i)
        got = set()
        while got != ids:
            m = parse(s.recv(4096))
            assert m.rcode() == dns.rcode.NOERROR
            got.add(m.id)
    time.sleep(0.5)      # idle: the workers sit in recvmmsg's timeout
    assert d.stop() == 0
