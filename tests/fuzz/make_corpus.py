#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed corpora of the fuzz harnesses (run once; the files are
committed). Queries cover every branch of the query engine; zone files
cover every record type ddnsd serves and common mistakes."""
import os
import struct
import dns.message
import dns.rdatatype
import dns.rdataclass
import dns.edns
import dns.flags

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def q(name, rdtype="A", rdclass="IN", **kw):
    m = dns.message.make_query(name, rdtype, rdclass, **kw)
    m.id = 0x1234
    return m.to_wire()


queries = {
    "a": q("alice.dyn.example"),
    "aaaa_case": q("AlIcE.DyN.eXaMpLe", "AAAA"),
    "txt_edns": q("alice.dyn.example", "TXT", use_edns=0, payload=4096),
    "mx_additional": q("dyn.example", "MX"),
    "wildcard": q("x.y.alice.dyn.example"),
    "cname": q("www.dyn.example"),
    "cname_loop": q("loop.dyn.example"),
    "ent": q("b.c.dyn.example"),
    "nxdomain": q("nope.dyn.example"),
    "srv": q("_sip._udp.dyn.example", "SRV"),
    "referral": q("x.sub.dyn.example"),
    "refused": q("example.com"),
    "any": q("alice.dyn.example", "ANY"),
    "type666": q("alice.dyn.example", 666),
    "chaos": q("id.server", "TXT", "CH"),
    "version": q("version.bind", "TXT", "CH"),
    "nsid": q("alice.dyn.example", use_edns=0, options=[dns.edns.GenericOption(3, b"")]),
    "badvers": q("alice.dyn.example", use_edns=1),
    "dnssec": q("alice.dyn.example", want_dnssec=True),
    "cookie": q("alice.dyn.example", use_edns=0,
                options=[dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08")]),
    "unknown_opt": q("alice.dyn.example", use_edns=0, options=[dns.edns.GenericOption(100, b"xx")]),
    "bufsize512": q("alice.dyn.example", "TXT", use_edns=0, payload=512),
}
for k, v in queries.items():
    write("fuzz_query", k, v)

base = bytearray(queries["a"])
write("fuzz_query", "short", bytes(base[:11]))
write("fuzz_query", "header_only", bytes(base[:12]))
r = bytearray(base); r[2] |= 0x80
write("fuzz_query", "qr_set", bytes(r))
r = bytearray(base); r[5] = 0
write("fuzz_query", "qdcount0", bytes(r))
r = bytearray(base); r[5] = 2
write("fuzz_query", "qdcount2", bytes(r))
write("fuzz_query", "truncated_question", bytes(base[:-3]))
write("fuzz_query", "compression_loop", bytes(base[:12]) + b"\xc0\x0c\x00\x01\x00\x01")
r = bytearray(base); r[12] = 64
write("fuzz_query", "label64", bytes(r))
longname = b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\x00"
write("fuzz_query", "name_over_255", bytes(base[:12]) + longname + b"\x00\x01\x00\x01")
r = bytearray(base); r[2] = 0x7f; r[3] = 0x70
write("fuzz_query", "opcode15_flags", bytes(r))
r = bytearray(base); r[2] = (r[2] & 0x87) | (5 << 3)
write("fuzz_query", "update_opcode", bytes(r))
write("fuzz_query", "axfr", q("dyn.example", "AXFR"))

zones = {
    "basic.zone": """$ORIGIN dyn.example.
$TTL 60
@ SOA ns1 hostmaster 2024010100 3600 600 1209600 60
@ NS ns1
ns1 A 192.0.2.53
alice A 192.0.2.1
alice AAAA 2001:db8::1
alice TXT "hello" "world"
alice MX 10 mail.alice
*.alice A 192.0.2.2
www CNAME alice
_sip._udp SRV 10 5 5060 alice
@ CAA 0 issue "letsencrypt.org"
sub NS ns.sub
ns.sub A 192.0.2.99
""",
    "cname_conflict.zone": "$ORIGIN dyn.example.\nw CNAME a\nw A 192.0.2.1\n",
    "outside.zone": "$ORIGIN dyn.example.\nexample.com. A 192.0.2.1\n",
    "bad_syntax.zone": "$ORIGIN dyn.example.\nalice A 300.1.2.3\n",
    "include.zone": "$INCLUDE /etc/passwd\n",
    "dnssec.zone": "$ORIGIN dyn.example.\n@ DNSKEY 257 3 13 AAAA\n",
    "many_txt.zone": "$ORIGIN dyn.example.\n" + "".join(
        'big TXT "%s"\n' % (str(i) * 200)[:200] for i in range(10)),
    "empty.zone": "",
}
for k, v in zones.items():
    write("fuzz_zoneimport", k, v.encode())
