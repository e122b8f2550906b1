# SPDX-License-Identifier: GPL-3.0-or-later
"""Differential test: ddnsd and Knot serve the same zones (Knot loads what
`ddnsctl zone export` prints) and get the same 2,000 queries; their answers
must agree.

Compared: rcode, the header flags (QR AA TC RD RA AD CD: both are
authoritative-only servers that copy RD, so no difference is excused), the
answer section as a set of RRs with TTLs, and the SOA in the authority
section of negative answers. Not compared: the rest of the authority and
additional sections, which RFC 1034 leaves to the server (Knot adds no NS in
authority for positive answers), except in referrals, where the NS set in
authority and the glue in additional are the answer.

ANY: RFC 8482 lets a server answer ANY with a subset of the node, and Knot
3.2 answers ANY with a single RRset even over TCP, so Knot's ANY answer
cannot serve as the reference for ours. The reference for ANY at a name is
instead the union of Knot's answers for each type at that name (RRsets owned
by that name only). Over TCP ours must equal it; over UDP ours must be a
non-empty subset of it (empty only if it is empty).
"""
import random

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from ddnstest import Knot, make_query, question_bytes, rrset_set, send

SEED = 8482
N_QUERIES = 2000

EXISTING = ["dyn.example", "host1", "mail", "v6only", "multi", "long", "www", "chain1",
            "chain2", "chain3", "dangling", "outside", "_sip._tcp", "sip", "caa", "alice",
            "real.alice", "a.b.c", "bigtxt", "manya", "ns1", "ns2"]
ENTS = ["c", "b.c", "_tcp"]
DELEGATED = ["sub", "www.sub", "ns.sub", "a.b.sub"]
MISSING = ["nothere", "x.c", "x.b.c", "x.a.b.c", "x.real.alice", "nowhere", "sub.host1",
           "host2", "_udp._sip", "mail2", "d.c"]
OTHER_ZONE = ["home.example", "box.home.example", "ns1.home.example", "nothere.home.example"]
OUTSIDE = ["example.org", "www.example.org", "example", "xdyn.example", "dyn.example.net",
           "ample", "org"]
TYPES = ["A", "AAAA", "TXT", "MX", "CNAME", "NS", "SOA", "SRV", "CAA", "TYPE666", "PTR",
         "DS", "DNSKEY", "HINFO", "NAPTR", "ANY"]
ZONE_TYPES = ["A", "AAAA", "TXT", "MX", "CNAME", "NS", "SOA", "SRV", "CAA"]


def random_label(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-")
                   for _ in range(rng.randint(1, 12))).strip("-") or "x"


def random_case(rng, name):
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def pick_name(rng):
    kind = rng.random()
    if kind < 0.40:
        n = rng.choice(EXISTING)
    elif kind < 0.45:
        n = rng.choice(ENTS)
    elif kind < 0.50:
        n = rng.choice(DELEGATED)
    elif kind < 0.65:
        n = rng.choice(["%s.alice", "%s.%s.alice", "*.alice"])
        while "%s" in n:
            n = n.replace("%s", random_label(rng), 1)
    elif kind < 0.80:
        n = rng.choice(MISSING + [random_label(rng), random_label(rng) + "." + random_label(rng)])
    elif kind < 0.90:
        return rng.choice(OTHER_ZONE)
    else:
        return rng.choice(OUTSIDE)
    return n if n == "dyn.example" else n + ".dyn.example"


def gen_queries(rng):
    out = []
    for _ in range(N_QUERIES):
        name = pick_name(rng)
        if rng.random() < 0.3:
            name = random_case(rng, name)
        rdtype = rng.choice(TYPES)
        tcp = rng.random() < (0.5 if rdtype == "ANY" else 0.2)
        edns = None if rng.random() < 0.2 else 0
        out.append(dict(qname=name, rdtype=rdtype, tcp=tcp, edns=edns,
                        want_dnssec=edns is not None and rng.random() < 0.1,
                        rd=rng.random() < 0.5))
    return out


def describe(q):
    return (f"{q['qname']} {q['rdtype']} over {'TCP' if q['tcp'] else 'UDP'}, "
            f"{'no EDNS' if q['edns'] is None else 'EDNS0/1232'}"
            f"{', DO' if q['want_dnssec'] else ''}{', RD' if q['rd'] else ''}")


def soa_of(section):
    return {t for t in rrset_set([rr for rr in section if rr.rdtype == dns.rdatatype.SOA])}


class Reference:
    """Knot, plus the full-node reference for ANY."""

    def __init__(self, knot):
        self.knot = knot
        self.nodes = {}

    def node(self, qname, tcp=True):
        key = qname.lower()
        if key not in self.nodes:
            rrs = set()
            for t in ZONE_TYPES:
                r = send(self.knot.port, make_query(qname, t), tcp=True)
                rrs |= {x for x in rrset_set(r.answer)
                        if x[0] == key.rstrip(".") + "." and x[3] == t}
            self.nodes[key] = rrs
        return self.nodes[key]


def compare(q, ours, knot, ref):
    """Returns a list of differences (empty if the answers agree)."""
    diffs = []
    if ours.rcode() != knot.rcode():
        diffs.append(f"rcode {dns.rcode.to_text(ours.rcode())} vs "
                     f"{dns.rcode.to_text(knot.rcode())}")
    if ours.flags != knot.flags:
        diffs.append(f"flags {dns.flags.to_text(ours.flags)} vs {dns.flags.to_text(knot.flags)}")
    sent = make_query(q["qname"], q["rdtype"]).to_wire()
    if question_bytes(ours.wire) != question_bytes(sent):
        diffs.append("question name not echoed byte for byte")
    if (ours.flags & knot.flags & dns.flags.TC):
        return diffs  # both truncated: what fits is up to each server
    ours_ans = rrset_set(ours.answer)
    if q["rdtype"] == "ANY" and ours.rcode() != dns.rcode.REFUSED:
        full = ref.node(q["qname"])
        if q["tcp"]:
            if ours_ans != full:
                diffs.append(f"ANY over TCP: {sorted(ours_ans)} vs the whole node {sorted(full)}")
        elif not ours_ans <= full or (full and not ours_ans):
            diffs.append(f"ANY over UDP: {sorted(ours_ans)} is not a non-empty subset of "
                         f"the whole node {sorted(full)}")
    elif ours_ans != rrset_set(knot.answer):
        diffs.append("answer sections differ")
    if (ours.rcode() == dns.rcode.NOERROR and not ours.answer
            and not ours.flags & dns.flags.AA):
        # A referral: the NS set and its glue are the answer.
        for name, section, types in (("NS", "authority", ("NS",)),
                                     ("glue", "additional", ("A", "AAAA"))):
            a = {t for t in rrset_set(getattr(ours, section)) if t[3] in types}
            b = {t for t in rrset_set(getattr(knot, section)) if t[3] in types}
            if a != b:
                diffs.append(f"referral {name}: {sorted(a)} vs {sorted(b)}")
    negative = ours.rcode() == dns.rcode.NXDOMAIN or (
        ours.rcode() == dns.rcode.NOERROR and not any(
            rr.rdtype == dns.rdatatype.from_text(q["rdtype"]) or q["rdtype"] == "ANY"
            for rr in ours.answer))
    if negative and not ours.flags & dns.flags.TC and soa_of(ours.authority) != soa_of(knot.authority):
        diffs.append(f"negative-answer SOA {sorted(soa_of(ours.authority))} vs "
                     f"{sorted(soa_of(knot.authority))}")
    return diffs


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    from ddnstest import Ddnsd
    d = Ddnsd(tmp_path_factory.mktemp("ddnsd"))
    knot = None
    try:
        exported = {z: d.export_zone(z) for z in d.zones}
        d.start()
        knot = Knot(tmp_path_factory.mktemp("knot"), exported).start()
        yield d, knot
        d.stop()
    finally:
        if knot:
            knot.stop()
        d.cleanup()


def test_same_answers_as_knot(servers):
    d, knot = servers
    ref = Reference(knot)
    rng = random.Random(SEED)
    failures = []
    for q in gen_queries(rng):
        msg = make_query(q["qname"], q["rdtype"], edns=q["edns"],
                         want_dnssec=q["want_dnssec"], rd=q["rd"])
        ours = send(d.port, msg, tcp=q["tcp"])
        theirs = send(knot.port, msg, tcp=q["tcp"])
        diffs = compare(q, ours, theirs, ref)
        if diffs:
            failures.append((q, diffs, ours, theirs))
    d.assert_alive()
    if failures:
        report = []
        for q, diffs, ours, theirs in failures[:15]:
            report.append(f"=== {describe(q)}: {'; '.join(diffs)}\n"
                          f"--- ddnsd:\n{ours.to_text()}\n--- knot:\n{theirs.to_text()}\n")
        text = "\n".join(report)
        print(text)
        pytest.fail(f"{len(failures)} of {N_QUERIES} queries answered differently "
                    f"(first {min(15, len(failures))} shown):\n{text}", pytrace=False)
