# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 2136 updates with TSIG, through the real nsupdate (bind9-dnsutils)
and knsupdate (knot-dnsutils): changes on the key's own host and its
_acme-challenge name are applied and served; anything outside the key's
scope, a wrong key, a wrong time, an unsigned update and a replayed message
are refused and change nothing."""

import re
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from ddnstest import addrs, ddnsctl, soa_serial

ZONE = "dyn.example"


@pytest.fixture
def keyed(make_ddnsd):
    d = make_ddnsd()
    ddnsctl(d, "user", "add", "rfcuser", input="a long password\n")
    ddnsctl(d, "host", "add", f"nsu.{ZONE}", "--owner", "rfcuser", "--ipv4", "198.51.100.40")
    ddnsctl(d, "host", "add", f"other.{ZONE}", "--owner", "rfcuser", "--ipv4", "198.51.100.41")
    out = ddnsctl(d, "tsig", "add", "nsu-key", "--host", f"nsu.{ZONE}").stdout
    secret = re.search(r'secret "([^"]+)"', out).group(1)
    out512 = ddnsctl(d, "tsig", "add", "nsu-key512", "--host", f"nsu.{ZONE}",
                     "--algorithm", "hmac-sha512").stdout
    secret512 = re.search(r'secret "([^"]+)"', out512).group(1)
    d.key = ("hmac-sha256", "nsu-key", secret)
    d.key512 = ("hmac-sha512", "nsu-key512", secret512)
    return d


def nsupdate(d, lines, key=None, tool="nsupdate"):
    script = f"server 127.0.0.1 {d.port}\nzone {ZONE}\n" + "\n".join(lines) + "\nsend\n"
    cmd = [tool]
    if key:
        cmd += ["-y", f"{key[0]}:{key[1]}:{key[2]}"]
    return subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=30)


def state(d):
    return (addrs(d.port, f"nsu.{ZONE}", "A"), addrs(d.port, f"nsu.{ZONE}", "AAAA"),
            addrs(d.port, f"nsu.{ZONE}", "TXT"), addrs(d.port, f"_acme-challenge.nsu.{ZONE}", "TXT"),
            addrs(d.port, f"other.{ZONE}", "A"), soa_serial(d.port, ZONE))


def test_nsupdate_add_and_delete(keyed):
    d = keyed
    r = nsupdate(d, [f"update delete nsu.{ZONE} A", f"update add nsu.{ZONE} 60 A 203.0.113.41",
                     f"update add nsu.{ZONE} 60 AAAA 2001:db8::41",
                     f'update add _acme-challenge.nsu.{ZONE} 60 TXT "acme-one"',
                     f'update add _acme-challenge.nsu.{ZONE} 60 TXT "acme-two"'], d.key)
    assert r.returncode == 0, r.stderr
    assert addrs(d.port, f"nsu.{ZONE}", "A") == {"203.0.113.41"}
    assert addrs(d.port, f"nsu.{ZONE}", "AAAA") == {"2001:db8::41"}
    assert addrs(d.port, f"_acme-challenge.nsu.{ZONE}", "TXT") == {'"acme-one"', '"acme-two"'}
    r = nsupdate(d, [f'update delete _acme-challenge.nsu.{ZONE} TXT "acme-one"',
                     f"update delete nsu.{ZONE} AAAA"], d.key)
    assert r.returncode == 0, r.stderr
    assert addrs(d.port, f"_acme-challenge.nsu.{ZONE}", "TXT") == {'"acme-two"'}
    assert addrs(d.port, f"nsu.{ZONE}", "AAAA") == set()
    # The host's history says where the change came from.
    show = ddnsctl(d, "--json", "host", "show", f"nsu.{ZONE}").stdout
    assert "RFC 2136, key nsu-key" in show


def test_knsupdate_and_hmac_sha512(keyed):
    d = keyed
    r = nsupdate(d, [f"update add nsu.{ZONE} 60 A 203.0.113.42"], d.key512, tool="knsupdate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert addrs(d.port, f"nsu.{ZONE}", "A") == {"203.0.113.42"}
    r = nsupdate(d, [f'update add nsu.{ZONE} 60 TXT "via knsupdate"'], d.key, tool="knsupdate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert addrs(d.port, f"nsu.{ZONE}", "TXT") == {'"via knsupdate"'}


def test_prerequisites(keyed):
    d = keyed
    before = state(d)
    r = nsupdate(d, [f"prereq nxrrset nsu.{ZONE} A", f"update add nsu.{ZONE} 60 A 203.0.113.43"],
                 d.key)
    assert r.returncode != 0 and "YXRRSET" in r.stdout + r.stderr
    assert state(d) == before
    r = nsupdate(d, [f"prereq yxrrset nsu.{ZONE} A 198.51.100.40",
                     f"update add nsu.{ZONE} 60 A 203.0.113.43"], d.key)
    assert r.returncode == 0, r.stderr
    assert addrs(d.port, f"nsu.{ZONE}", "A") == {"203.0.113.43"}


@pytest.mark.parametrize("case", ["other-host", "apex", "wrong-type", "wrong-key",
                                  "unsigned", "unknown-key"])
def test_refusals_change_nothing(keyed, case):
    d = keyed
    before = state(d)
    lines, key, want = {
        "other-host": ([f"update add other.{ZONE} 60 A 203.0.113.44"], d.key, "REFUSED"),
        "apex": ([f"update add {ZONE} 60 A 203.0.113.44"], d.key, "REFUSED"),
        "wrong-type": ([f"update add nsu.{ZONE} 60 MX 10 mail.example.net."], d.key, "REFUSED"),
        "wrong-key": ([f"update add nsu.{ZONE} 60 A 203.0.113.44"],
                      ("hmac-sha256", "nsu-key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                      "BADSIG"),
        "unsigned": ([f"update add nsu.{ZONE} 60 A 203.0.113.44"], None, "REFUSED"),
        "unknown-key": ([f"update add nsu.{ZONE} 60 A 203.0.113.44"],
                        ("hmac-sha256", "no-such-key", d.key[2]), "BADKEY"),
    }[case]
    r = nsupdate(d, lines, key)
    assert r.returncode != 0
    assert want in r.stdout + r.stderr, r.stdout + r.stderr
    assert state(d) == before


def keyring(d):
    return dns.tsigkeyring.from_text({d.key[1]: (dns.tsig.HMAC_SHA256, d.key[2])})


def signed_update(d, address):
    u = dns.update.UpdateMessage(ZONE, keyring=keyring(d), keyname=d.key[1])
    u.replace("nsu", 60, "A", address)      # relative to the zone
    return u


def send_raw(d, wire):
    """The reply's bytes."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(wire, ("127.0.0.1", d.port))
        return s.recv(4096)


def rcode_of(reply):
    return reply[3] & 0x0F


def test_replayed_message_is_refused(keyed):
    d = keyed
    u = signed_update(d, "203.0.113.45")
    wire = u.to_wire()
    r = send_raw(d, wire)
    assert rcode_of(r) == dns.rcode.NOERROR
    # The reply is signed with the same key.
    dns.message.from_wire(r, keyring=keyring(d), request_mac=u.mac)
    assert addrs(d.port, f"nsu.{ZONE}", "A") == {"203.0.113.45"}
    # Someone moves it back with another tool; the captured message,
    # sent again, must not apply a second time.
    ddnsctl(d, "host", "set", f"nsu.{ZONE}", "--ipv4", "198.51.100.40")
    before = state(d)
    r = send_raw(d, wire)
    assert rcode_of(r) == dns.rcode.REFUSED
    assert state(d) == before


def test_message_signed_an_hour_ago_is_badtime(keyed, monkeypatch):
    d = keyed
    before = state(d)
    u = signed_update(d, "203.0.113.46")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3600)
    wire = u.to_wire()
    monkeypatch.setattr(time, "time", real)
    r = send_raw(d, wire)
    assert rcode_of(r) == dns.rcode.NOTAUTH
    with pytest.raises(dns.tsig.PeerBadTime):
        dns.message.from_wire(r, keyring=keyring(d), request_mac=u.mac)
    assert state(d) == before


def test_update_flood_is_shed_not_queued_without_bound(keyed):
    """Signed updates sent far faster than they can be committed: ddnsd drops
    what is over its queue (as a lost datagram; clients resend) instead of
    holding every message, keeps answering queries, and applies updates
    again once the flood is over."""
    import socket
    d = keyed
    ring = keyring(d)
    wires = []
    for i in range(30000):
        u = dns.update.UpdateMessage(ZONE, keyring=ring, keyname=d.key[1])
        u.replace("nsu", 60, "TXT", f'"flood {i}"')
        wires.append(u.to_wire())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
        for w in wires:
            s.sendto(w, ("127.0.0.1", d.port))
    # Queries are answered while the flood drains (a resolver resends a
    # query whose datagram met a full socket buffer, and so does this).
    for attempt in range(10):
        try:
            answer = addrs(d.port, f"other.{ZONE}", "A")
            break
        except AssertionError:
            answer = None
    assert answer == {"198.51.100.41"}
    # Wait for the queue to drain: an update goes through again.
    deadline = time.monotonic() + 120
    while True:
        r = nsupdate(d, [f"update add nsu.{ZONE} 60 A 203.0.113.49"], d.key)
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert r.returncode == 0, r.stderr
    assert "203.0.113.49" in addrs(d.port, f"nsu.{ZONE}", "A")
    d.assert_alive()
    # Memory stays bounded: what is over the queue was dropped, not held.
    peak_kb = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{d.proc.pid}/status").read()).group(1))
    assert peak_kb < 400 * 1024, f"peak resident memory {peak_kb} kB"
    assert "dropping new ones" in d.log(), d.log_tail()
