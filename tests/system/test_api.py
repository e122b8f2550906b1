# SPDX-License-Identifier: GPL-3.0-or-later
"""The JSON API, /api/v1/: a user's hosts, their records, history and
tokens, with Basic (password) or Bearer (API token) authentication; every
change visible in DNS when the reply arrives; errors as JSON sentences."""

import json
import time

from ddnstest import addrs, http_request, new_account, soa_serial

A = "/api/v1"


def call(d, method, path, auth, body=None):
    if isinstance(auth, str):
        auth = "Bearer " + auth
    r = http_request(d.http_port, A + path, method=method, auth=auth,
                     body=json.dumps(body) if isinstance(body, (dict, list)) else body,
                     headers={"Content-Type": "application/json"} if body is not None else None)
    assert r.header("content-type") == "application/json", r.body
    return r.status, json.loads(r.body)


def test_list_show_and_change_a_host(http_ddnsd):
    d = http_ddnsd
    acc = new_account(d, hosts=2, ipv4="198.51.100.11")
    h = acc["hosts"][0]
    st, hosts = call(d, "GET", "/hosts", acc["auth"])
    assert st == 200
    assert sorted(x["name"] for x in hosts) == sorted(acc["hosts"])
    assert all(x["ipv4"] == "198.51.100.11" for x in hosts)

    serial = soa_serial(d.port, "dyn.example")
    st, out = call(d, "PATCH", f"/hosts/{h}", acc["auth"],
                   {"ipv4": "203.0.113.71", "ipv6": "2001:db8::71", "acme_add": "tok-1"})
    assert st == 200, out
    assert out["ipv4"] == "203.0.113.71" and out["acme"] == ["tok-1"]
    # Served when the reply arrives.
    assert addrs(d.port, h, "A") == {"203.0.113.71"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::71"}
    assert soa_serial(d.port, "dyn.example") > serial

    st, one = call(d, "GET", f"/hosts/{h}", acc["auth"])
    assert st == 200
    assert one["history"][0]["result"] == "good"
    # What the host published before and after, in the history's words.
    ttl = one["ttl"]
    assert one["history"][0]["old"] == f"A 198.51.100.11 AAAA - TTL {ttl}"
    assert one["history"][0]["new"] == \
        f'A 203.0.113.71 AAAA 2001:db8::71 TTL {ttl} ACME ["tok-1"]'


def test_api_tokens_bearer_and_revocation(http_ddnsd):
    d = http_ddnsd
    acc = new_account(d)
    st, tok = call(d, "POST", "/tokens", acc["auth"], {"label": "backup script"})
    assert st == 201 and len(tok["token"]) == 43 and tok["name"] == "backup script"
    st, hosts = call(d, "GET", "/hosts", tok["token"])
    assert st == 200 and [x["name"] for x in hosts] == acc["hosts"]
    st, listed = call(d, "GET", "/tokens", tok["token"])
    assert st == 200 and [t["id"] for t in listed] == [tok["id"]]
    assert "token" not in listed[0]              # the secret is shown once only
    st, out = call(d, "DELETE", f"/tokens/{tok['id']}", tok["token"])
    assert st == 200 and out["revoked"] is True
    st, err = call(d, "GET", "/hosts", tok["token"])
    assert st == 401 and "not valid" in err["error"]


def test_host_tokens_through_the_api(http_ddnsd):
    d = http_ddnsd
    acc = new_account(d)
    h = acc["hosts"][0]
    st, t = call(d, "POST", f"/hosts/{h}/tokens", acc["auth"], {"label": "router"})
    assert st == 201 and len(t["token"]) == 43
    # The new token updates the host over the update API.
    r = http_request(d.http_port, f"/nic/update?myip=203.0.113.72", auth=(h, t["token"]))
    assert r.body.strip() == "good 203.0.113.72"
    st, out = call(d, "DELETE", f"/hosts/{h}/tokens/{t['id']}", acc["auth"])
    assert st == 200
    r = http_request(d.http_port, f"/nic/update?myip=203.0.113.73", auth=(h, t["token"]))
    assert r.body.strip() == "badauth"
    assert addrs(d.port, h, "A") == {"203.0.113.72"}


def test_other_users_hosts_are_invisible(http_ddnsd):
    d = http_ddnsd
    a, b = new_account(d), new_account(d, ipv4="198.51.100.12")
    theirs = b["hosts"][0]
    for method, path, body in (("GET", f"/hosts/{theirs}", None),
                               ("PATCH", f"/hosts/{theirs}", {"ipv4": "203.0.113.74"}),
                               ("POST", f"/hosts/{theirs}/tokens", {})):
        st, err = call(d, method, path, a["auth"], body)
        assert st == 404 and "no host" in err["error"], (method, err)
    assert addrs(d.port, theirs, "A") == {"198.51.100.12"}


def test_errors_are_json_sentences(http_ddnsd):
    d = http_ddnsd
    acc = new_account(d)
    h = acc["hosts"][0]
    cases = [
        ("GET", "/hosts", ("nobody-at-all", "wrong password"), None, 401),
        ("GET", "/hosts", None, None, 401),
        ("PATCH", f"/hosts/{h}", acc["auth"], "not json", 400),
        ("PATCH", f"/hosts/{h}", acc["auth"], {"ipv4": "300.1.2.3"}, 400),
        ("PATCH", f"/hosts/{h}", acc["auth"], {"ttl": 0}, 400),
        ("PATCH", f"/hosts/{h}", acc["auth"], {}, 400),
        ("PATCH", f"/hosts/{h}", acc["auth"], {"wildcard": "yes"}, 400),
        ("GET", "/nothing", acc["auth"], None, 404),
        ("PUT", "/hosts", acc["auth"], None, 405),
    ]
    serial = soa_serial(d.port, "dyn.example")
    for method, path, auth, body, want in cases:
        r = http_request(d.http_port, A + path, method=method, auth=auth,
                         body=json.dumps(body) if isinstance(body, dict) else body)
        assert r.status == want, (method, path, body, r.status, r.body)
        err = json.loads(r.body)["error"]
        assert isinstance(err, str) and len(err) > 10, err
    assert soa_serial(d.port, "dyn.example") == serial


def test_token_last_used_is_its_last_change(http_ddnsd):
    """A host token's last_used is when it last changed the host: set by a
    good update, left alone by a nochg poll (which writes nothing)."""
    d = http_ddnsd
    acc = new_account(d, "lu", ipv4="198.51.100.1", token=True)
    h = acc["hosts"][0]

    def last_used():
        st, out = call(d, "GET", f"/hosts/{h}", acc["auth"])
        assert st == 200, out
        return out["tokens"][0]["last_used"]

    assert last_used() == 0
    r = http_request(d.http_port, f"/nic/update?hostname={h}&myip=203.0.113.41",
                     auth=(h, acc["token"]))
    assert r.body.startswith("good")
    first = last_used()
    assert first > 0
    r = http_request(d.http_port, f"/nic/update?hostname={h}&myip=203.0.113.41",
                     auth=(h, acc["token"]))
    assert r.body.startswith("nochg")
    assert last_used() == first


def test_api_token_last_used(http_ddnsd):
    """An API token's last_used is set when it is used (written at most
    once a minute, by the writer, after the reply)."""
    d = http_ddnsd
    acc = new_account(d, "al", ipv4="198.51.100.1")
    st, tok = call(d, "POST", "/tokens", acc["auth"], {"label": "script"})
    assert st == 201, tok

    def last_used():
        st, out = call(d, "GET", "/tokens", acc["auth"])
        assert st == 200, out
        return [t for t in out if t["id"] == tok["id"]][0]["last_used"]

    assert last_used() == 0
    st, _ = call(d, "GET", "/hosts", tok["token"])
    assert st == 200
    deadline = time.monotonic() + 10
    while last_used() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert last_used() > 0
