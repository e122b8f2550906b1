# SPDX-License-Identifier: GPL-3.0-or-later
"""Repeated updates answered from memory (src/http/memo.c).

A router that says again what it said before is answered `nochg` by the
HTTP thread, without the writer, once the writer has accepted the same
request and nothing about the host changed since. The access log marks
such answers with "memo": true, which is how these tests see which path
answered. What must never happen: a remembered answer after the host, its
state, its owner or its token changed — each of those is tried here, and
the request must then get what the writer says (good, abuse, badauth,
nohost), exactly as without the memo.
"""
import json
import time
import urllib.parse

import pytest

from ddnstest import (ZONES, addrs, ddnsctl, ddnsctl_json, http_request, new_account,
                      start_http_ddnsd, wait_for)

ZONE = "dyn.example"
SINKHOLE = "192.0.2.1"


@pytest.fixture
def d(tmp_path):
    zones = {ZONE: ZONES[ZONE] + [("suspended", f"sinkhole:{SINKHOLE}")]}
    d = start_http_ddnsd(tmp_path / "d", zones=zones,
                         server={"access-log": str(tmp_path / "access.log")})
    d.access = tmp_path / "access.log"
    yield d
    d.stop()
    d.cleanup()


def log_lines(d):
    try:
        return [json.loads(x) for x in d.access.read_text().splitlines() if x.strip()]
    except FileNotFoundError:
        return []


def update(d, host, ip, auth, path="/nic/update"):
    """One DynDNS2 update; returns (first reply line, whether the access log
    says it came from memory)."""
    before = len(log_lines(d))
    q = urllib.parse.urlencode({"hostname": host, "myip": ip}, safe=",:")
    r = http_request(d.http_port, f"{path}?{q}", auth=auth)
    assert r.status in (200, 503), r
    # The HTTP thread writes its gathered log lines within a tenth of a
    # second or so of the reply.
    wait_for("the access-log line", lambda: any(
        x["path"].startswith(path) for x in log_lines(d)[before:]), timeout=10)
    lines = log_lines(d)[before:]
    ups = [x for x in lines if x["path"].startswith(path)]
    assert len(ups) == 1, lines
    return r.lines[0] if r.lines else "", ups[0].get("memo", False)


def settle(d, host, ip, auth):
    """One update the writer answers (good or nochg: either way the memo
    learns the request), then returns the next reply, which should be
    remembered."""
    first, memo = update(d, host, ip, auth)
    assert first.split()[0] in ("good", "nochg") and not memo, (first, memo)
    return update(d, host, ip, auth)


def test_repeat_is_answered_from_memory(d):
    a = new_account(d, "mm", ipv4="198.51.100.1")
    h = a["hosts"][0]
    assert settle(d, h, "203.0.113.5", a["auth"]) == ("nochg 203.0.113.5", True)
    assert addrs(d.port, h) == {"203.0.113.5"}
    # A different address is a change: the writer answers good.
    assert update(d, h, "203.0.113.6", a["auth"]) == ("good 203.0.113.6", False)
    assert addrs(d.port, h) == {"203.0.113.6"}
    # Both families in one request: remembered as such.
    assert settle(d, h, "203.0.113.6,2001:db8::6", a["auth"]) == \
        ("nochg 203.0.113.6,2001:db8::6", True)


def test_change_by_other_means_forgets(d):
    """The operator sets another address: the router's old request is a
    change again, not a remembered nochg."""
    a = new_account(d, "mc", ipv4="198.51.100.1")
    h = a["hosts"][0]
    assert settle(d, h, "203.0.113.7", a["auth"])[1]
    ddnsctl(d, "host", "set", h, "--ipv4", "198.51.100.99")
    assert update(d, h, "203.0.113.7", a["auth"]) == ("good 203.0.113.7", False)
    assert addrs(d.port, h) == {"203.0.113.7"}


def test_suspension_is_never_answered_from_memory(d):
    """Even when the sinkhole address is what the router sends (DNS then
    serves exactly the asked address), a suspended host answers abuse."""
    a = new_account(d, "ms", ipv4="198.51.100.1")
    h = a["hosts"][0]
    assert settle(d, h, SINKHOLE, a["auth"])[1]
    ddnsctl(d, "host", "suspend", h, "--reason", "phishing")
    assert addrs(d.port, h) == {SINKHOLE}
    for _ in range(3):
        assert update(d, h, SINKHOLE, a["auth"]) == ("abuse", False)
    ddnsctl(d, "host", "resume", h)
    assert settle(d, h, SINKHOLE, a["auth"]) == (f"nochg {SINKHOLE}", True)


def test_revoked_token_is_never_answered_from_memory(d):
    a = new_account(d, "mt", ipv4="198.51.100.1", token=True)
    h = a["hosts"][0]
    tauth = (h, a["token"])
    assert settle(d, h, "203.0.113.8", tauth) == ("nochg 203.0.113.8", True)
    # The DuckDNS dialect with the same token is remembered on its own.
    q = urllib.parse.urlencode({"domains": h.split(".")[0], "token": a["token"],
                                "ip": "203.0.113.8"})
    r = http_request(d.http_port, f"/update?{q}")
    assert r.body == "OK"
    host = ddnsctl_json(d, "host", "show", h)
    tid = host["tokens"][0]["id"]
    st = http_request(d.http_port, f"/api/v1/hosts/{h}/tokens/{tid}", method="DELETE",
                      auth=a["auth"])
    assert st.status == 200, st
    assert update(d, h, "203.0.113.8", tauth) == ("badauth", False)
    r = http_request(d.http_port, f"/update?{q}")
    assert r.body == "KO"


def test_deleted_host_is_never_answered_from_memory(d):
    a = new_account(d, "md", ipv4="198.51.100.1", hosts=2)
    h = a["hosts"][0]
    assert settle(d, h, "203.0.113.9", a["auth"])[1]
    ddnsctl(d, "host", "del", h)
    assert update(d, h, "203.0.113.9", a["auth"]) == ("nohost", False)


def test_memory_is_per_principal(d):
    """What was accepted for the owner is not remembered for anyone else:
    another user, or the owner with a wrong password."""
    a = new_account(d, "mo", ipv4="198.51.100.1")
    b = new_account(d, "mx", ipv4="198.51.100.1")
    h = a["hosts"][0]
    assert settle(d, h, "203.0.113.10", a["auth"])[1]
    assert update(d, h, "203.0.113.10", b["auth"]) == ("nohost", False)
    assert update(d, h, "203.0.113.10", (a["user"], "not the password")) == ("badauth", False)
    assert update(d, h, "203.0.113.10", a["auth"]) == ("nochg 203.0.113.10", True)


def test_remembered_polls_are_still_policed(d):
    """The allowance of identical updates holds for remembered answers too:
    a client that keeps polling is told to back off (503, 911)."""
    a = new_account(d, "mp", ipv4="198.51.100.1")
    h = a["hosts"][0]
    settle(d, h, "203.0.113.11", a["auth"])
    words = [update(d, h, "203.0.113.11", a["auth"])[0] for _ in range(12)]
    assert "911" in words, words
    assert all(w in ("nochg 203.0.113.11", "911") for w in words), words
