# SPDX-License-Identifier: GPL-3.0-or-later
"""The EDNS compliance checks of ISC's genreport (ednscomp), run with the
real dig binary against ddnsd and judged from dig's output, as an operator
would read it; plus a kdig smoke test."""
import re
import shutil
import subprocess

import pytest

DIG = shutil.which("dig") or "/usr/bin/dig"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"


class DigResult:
    def __init__(self, text):
        self.text = text
        m = re.search(r"->>HEADER<<- opcode: (\S+), status: (\S+), id: (\d+)", text)
        assert m, f"dig got no answer:\n{text}"
        self.opcode, self.status = m.group(1), m.group(2)
        m = re.search(r"^;; flags:([^;]*);(.*)$", text, re.M)
        self.flags = set(m.group(1).split())
        self.flags_line = m.group(0)
        counts = dict(re.findall(r"(QUERY|ANSWER|AUTHORITY|ADDITIONAL): (\d+)", m.group(2)))
        self.counts = {k: int(v) for k, v in counts.items()}
        m = re.search(r"^; EDNS: version: (\d+), flags:([^;]*);(.*)udp: (\d+)$", text, re.M)
        self.edns = None
        if m:
            self.edns = int(m.group(1))
            self.edns_flags = set(m.group(2).split())
            self.edns_line = m.group(0)
            self.udp = int(m.group(4))
        self.answer = self.section("ANSWER")
        self.authority = self.section("AUTHORITY")
        m = re.search(r"MSG SIZE\s+rcvd: (\d+)", text)
        self.size = int(m.group(1)) if m else None

    def section(self, name):
        m = re.search(rf"^;; {name} SECTION:\n(.*?)(?:\n\n|\Z)", self.text, re.M | re.S)
        if not m:
            return []
        return [line.split() for line in m.group(1).splitlines() if line.strip()]

    def __repr__(self):
        return self.text


def dig(port, *args, tcp_retry=False):
    cmd = [DIG, "@127.0.0.1", "-p", str(port), "+time=2", "+tries=1", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}"
    return DigResult(r.stdout)


def assert_soa_answer(d):
    assert d.status == "NOERROR", d
    assert "aa" in d.flags, d
    assert len(d.answer) == 1 and d.answer[0][3] == "SOA", d
    assert d.answer[0][4:6] == ["ns1.dyn.example.", "hostmaster.dyn.example."], d


def test_dns_plain(ddnsd):
    d = dig(ddnsd.port, "+norec", "+noedns", "soa", "dyn.example")
    assert_soa_answer(d)
    assert d.edns is None, "OPT in the reply to a query without EDNS"


def test_edns0(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nocookie", "soa", "dyn.example")
    assert_soa_answer(d)
    assert d.edns == 0 and d.udp == 1232, d


def test_edns1_badvers(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=1", "+noednsneg", "+nocookie", "soa", "dyn.example")
    assert d.status == "BADVERS", d
    assert d.edns == 0, d
    assert d.counts["ANSWER"] == 0 and not d.answer, d


def test_ednsopt_not_echoed(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nocookie", "+ednsopt=100", "soa", "dyn.example")
    assert_soa_answer(d)
    assert "OPT=100" not in d.text, d


def test_edns1_with_option(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=1", "+noednsneg", "+nocookie", "+ednsopt=100",
            "soa", "dyn.example")
    assert d.status == "BADVERS" and d.edns == 0 and not d.answer, d
    assert "OPT=100" not in d.text, d


def test_ednsflags_not_echoed(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nocookie", "+ednsflags=0x80", "soa", "dyn.example")
    assert_soa_answer(d)
    assert "MBZ" not in d.edns_line, d


def test_dnssec_do(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nocookie", "+dnssec", "soa", "dyn.example")
    assert_soa_answer(d)
    assert "do" in d.edns_flags, d


def test_zflag_not_echoed(ddnsd):
    d = dig(ddnsd.port, "+norec", "+noedns", "+zflag", "soa", "dyn.example")
    assert_soa_answer(d)
    assert "MBZ" not in d.flags_line, d


def test_bufsize_512_truncates(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nocookie", "+bufsize=512", "+ignore",
            "bigtxt.dyn.example", "txt")
    assert d.status == "NOERROR" and "tc" in d.flags, d
    assert d.size <= 512, d


def test_bufsize_512_retries_over_tcp(ddnsd):
    d = dig(ddnsd.port, "+norec", "+bufsize=512", "bigtxt.dyn.example", "txt")
    assert ";; Truncated, retrying in TCP mode." in d.text, d
    assert d.status == "NOERROR" and "tc" not in d.flags, d
    assert d.counts["ANSWER"] == 40 and len(d.answer) == 40, d
    assert "(TCP)" in d.text


def test_tcp(ddnsd):
    d = dig(ddnsd.port, "+norec", "+tcp", "soa", "dyn.example")
    assert_soa_answer(d)
    assert "(TCP)" in d.text


def test_type666_nodata(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nocookie", "type666", "dyn.example")
    assert d.status == "NOERROR" and "aa" in d.flags, d
    assert d.counts["ANSWER"] == 0, d
    assert len(d.authority) == 1 and d.authority[0][3] == "SOA", d
    assert d.authority[0][1] == "120", "negative TTL = min(SOA TTL, minimum)"


@pytest.mark.parametrize("flags", [["+norec"], ["+tcflag", "+rec", "+raflag", "+cd", "+ad",
                                        "+aaflag", "+zflag"]])
def test_opcode15_notimp(ddnsd, flags):
    d = dig(ddnsd.port, "+noedns", "+header-only", "+opcode=15", *flags)
    assert d.status == "NOTIMP", d
    assert d.opcode == "RESERVED15", d
    assert d.flags == {"qr"}, f"only QR may be set in a NOTIMP reply:\n{d}"
    assert "MBZ" not in d.flags_line, d


def test_cookie(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+cookie", "soa", "dyn.example")
    assert_soa_answer(d)


def test_nsid(ddnsd):
    d = dig(ddnsd.port, "+norec", "+edns=0", "+nsid", "soa", "dyn.example")
    assert_soa_answer(d)
    assert re.search(r'^; NSID: .*\("ns1\.dyn\.example"\)$', d.text, re.M), d


def test_chaos_version(ddnsd):
    d = dig(ddnsd.port, "+norec", "version.bind", "txt", "ch")
    assert d.status == "NOERROR", d
    assert d.answer and d.answer[0][2:] == ["CH", "TXT", '"ddnsd-test"'], d


def test_kdig(ddnsd):
    cmd = [KDIG, "@127.0.0.1", "-p", str(ddnsd.port), "+tcp", "+nsid", "+norec",
           "+timeout=2", "+retry=0", "host1.dyn.example", "AAAA"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "status: NOERROR" in r.stdout, r.stdout
    assert re.search(r"^;; Flags: qr aa;", r.stdout, re.M), r.stdout
    assert re.search(r"^host1\.dyn\.example\.\s+300\s+IN\s+AAAA\s+2001:db8::1$", r.stdout, re.M), r.stdout
    assert re.search(r'^;; NSID: 6E73312E64796E2E6578616D706C65 "ns1\.dyn\.example"$',
                     r.stdout, re.M | re.I), r.stdout
