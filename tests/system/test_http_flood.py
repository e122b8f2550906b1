# SPDX-License-Identifier: GPL-3.0-or-later
"""A client that sends the same update over and over is first told to back
off (503, Retry-After, 911), then has the host's updates blocked: `abuse`,
the reason in the host's history, the records still served, until the
owner lifts the block."""

from ddnstest import addrs, ddnsctl, ddnsctl_json, http_request, new_account


def nic(d, acc, host, ip):
    return http_request(d.http_port, f"/nic/update?hostname={host}&myip={ip}", auth=acc["auth"])


def test_nochg_flood_is_slowed_then_blocked(http_ddnsd):
    d = http_ddnsd
    acc = new_account(d)
    host = acc["hosts"][0]
    first = nic(d, acc, host, "203.0.113.81")
    assert first.body.strip() == "good 203.0.113.81"
    replies = [nic(d, acc, host, "203.0.113.81") for _ in range(45)]
    codes = [(r.status, r.body.strip()) for r in replies]
    # Normal polling first: identical updates are nochg.
    assert codes[0] == (200, "nochg 203.0.113.81")
    assert (200, "nochg 203.0.113.81") in codes
    # Then: back off, with Retry-After, never a success word.
    slowed = [r for r in replies if r.status == 503]
    assert slowed, codes
    assert all(r.body.strip() == "911" and r.header("retry-after") for r in slowed)
    # A client that does not back off gets abuse.
    assert codes[-1] == (200, "abuse"), codes
    show = ddnsctl_json(d, "host", "show", host)
    assert show["state"] == "blocked"
    assert "again and again" in show["reason"]
    assert show["history"][0]["result"] == "blocked"
    # The host still resolves: a block is not a takedown.
    assert addrs(d.port, host, "A") == {"203.0.113.81"}
    # Other hosts are untouched.
    other = new_account(d)
    assert nic(d, other, other["hosts"][0], "203.0.113.82").body.strip() == "good 203.0.113.82"
    # The owner lifts it; updates work again.
    ddnsctl(d, "host", "set", host, "--unblock")
    assert nic(d, acc, host, "203.0.113.83").body.strip() == "good 203.0.113.83"
    assert addrs(d.port, host, "A") == {"203.0.113.83"}
