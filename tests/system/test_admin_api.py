# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's host and operator endpoints (docs/api.md, "Hosts" and
"Operators") against a real ddnsd: service zones and their TTL limits, the
availability check agreeing with creation in every case, creation and
deletion seen in DNS, the admin role (ddnsctl user add --admin, user set),
searches, suspension through the API exactly as ddnsctl does it (DNS, the
owner's view, the outbox), the abuse queue, the audit log with its
verification (and a tampered one), and the status figures."""

import subprocess
import urllib.parse

import dns.message
import dns.rcode
import pytest

from ddnstest import (DDNSD, ZONES, Ddnsd, api_json, ddnsctl, ddnsctl_json, query, rdata_texts,
                      require, sqlite, start_http_ddnsd)

SINKHOLE = "192.0.2.66"


api = api_json


def user(d, name, email=None, max_hosts=10, admin=False):
    """A user made with ddnsctl; its Basic credentials."""
    pw = f"{name} has a long password"
    args = ["user", "add", name, "--max-hosts", str(max_hosts)]
    if email:
        args += ["--email", email]
    if admin:
        args.append("--admin")
    ddnsctl(d, *args, input=pw + "\n")
    return (name, pw)


def dns_a(d, name):
    m = query(d.port, name, "A")
    return m.rcode(), rdata_texts(m, "A", name)


def host_names(d):
    return {h["name"] for h in ddnsctl_json(d, "host", "list")}


@pytest.fixture(scope="module")
def smtp():
    from test_outbox import SmtpListener
    s = SmtpListener()
    yield s
    s.close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, smtp):
    zones = dict(ZONES)
    zones["dyn.example"] = ZONES["dyn.example"] + [
        ("suspended", f"sinkhole:{SINKHOLE}"), ("ttl-min", "30"), ("ttl-max", "3600")]
    d = start_http_ddnsd(tmp_path_factory.mktemp("admin-api"), zones=zones, server={
        "brand-words": "paypal",
        "hold-deleted": "30d",
        "abuse-same-address": "0",
        "abuse-reports-per-hour": "1000",
        "smtp-relay": f"smtp://127.0.0.1:{smtp.port}",
        "mail-from": "ddns@dyn.example",
    })
    try:
        d.boss = user(d, "boss", "boss@example.org", admin=True)
        yield d
        d.stop()
    finally:
        d.cleanup()


def test_zones_list_their_ttl_limits(srv):
    st, zones = api(srv, "GET", "/zones", srv.boss)
    assert st == 200
    by = {z["name"]: z for z in zones}
    assert by["dyn.example"] == {"name": "dyn.example", "ttl": 60, "ttl_min": 30, "ttl_max": 3600}
    assert by["home.example"] == {"name": "home.example", "ttl": 60, "ttl_min": 30,
                                  "ttl_max": 86400}
    st, err = api(srv, "GET", "/zones")
    assert st == 401 and "log in" in err["error"]


def test_names_check_agrees_with_creation(srv):
    alice = user(srv, "alice", "alice@example.org")
    other = user(srv, "olga", "olga@example.org")
    # A name taken by someone else, one they deleted (held for others), and
    # one alice deleted herself (she may take it back).
    for n in ("taken-a", "olgas-old", "alices-old"):
        owner = "alice" if n == "alices-old" else "olga"
        ddnsctl(srv, "host", "add", f"{n}.dyn.example", "--owner", owner)
    ddnsctl(srv, "host", "del", "olgas-old.dyn.example")
    ddnsctl(srv, "host", "del", "alices-old.dyn.example")

    cases = [
        # name, available, code, POST status, words in the reason
        ("fresh-a.dyn.example", True, "available", 201, "is available"),
        ("Fresh-B.dyn.example.", True, "available", 201, "is available"),
        ("alices-old.dyn.example", True, "available", 201, "is available"),
        ("taken-a.dyn.example", False, "taken", 409, "already exists"),
        ("host1.dyn.example", False, "taken", 409, "zone's own records"),
        ("wpad.dyn.example", False, "reserved", 403, "is reserved"),
        ("paypa1-login.dyn.example", False, "reserved", 403, "paypal"),
        ("olgas-old.dyn.example", False, "reserved", 403, "held until"),
        ("bad_name.dyn.example", False, "invalid", 400, "'_'"),
        ("dyn.example", False, "invalid", 400, "a zone, not a host"),
        ("someone.example.com", False, "not_a_service_zone", 400, "not in a zone"),
    ]
    for name, available, code, status, words in cases:
        before = host_names(srv)
        st, check = api(srv, "GET", "/names/" + urllib.parse.quote(name), alice)
        assert st == 200, (name, check)
        assert (check["available"], check["code"]) == (available, code), (name, check)
        assert words in check["reason"], (name, check)
        st, out = api(srv, "POST", "/hosts", alice, {"name": name, "ipv4": "198.51.100.40"})
        assert st == status, (name, out)
        if available:
            fqdn = check["name"]
            assert out["name"] == fqdn and out["ipv4"] == "198.51.100.40"
            assert dns_a(srv, fqdn) == (dns.rcode.NOERROR, {"198.51.100.40"})
            assert host_names(srv) == before | {fqdn}
            # Now it is taken, for her as well.
            st, again = api(srv, "GET", "/names/" + fqdn, alice)
            assert again["available"] is False and again["code"] == "taken"
        else:
            # The same sentence, and nothing changed.
            assert out["error"] == check["reason"], (name, out, check)
            assert host_names(srv) == before
    # The name olga deleted is held for others, not for her.
    st, check = api(srv, "GET", "/names/olgas-old.dyn.example", other)
    assert check["available"] is True, check
    # Created through the API: audited with the web actor.
    rows = ddnsctl_json(srv, "audit")
    assert any(r["action"] == "host.add" and r["actor"] == "web:alice" and
               r["target"] == "fresh-a.dyn.example" for r in rows)


def test_quota_refused_and_nothing_changed(srv):
    carl = user(srv, "carl", max_hosts=1)
    st, out = api(srv, "POST", "/hosts", carl, {"name": "carl-1.dyn.example"})
    assert st == 201, out
    before = host_names(srv)
    st, out = api(srv, "POST", "/hosts", carl, {"name": "carl-2.dyn.example"})
    assert st == 403 and "1 of 1 hosts" in out["error"]
    assert host_names(srv) == before
    for body in ({"nom": "x"}, {"name": 7}, "[1,2]",
                 {"name": "carl-3.dyn.example", "ipv4": "300.1.2.3"}):
        st, out = api(srv, "POST", "/hosts", carl, body)
        assert st == 400 and out["error"], (body, out)
    assert host_names(srv) == before


def test_ttl_outside_the_zone_limits(srv):
    dora = user(srv, "dora")
    st, out = api(srv, "POST", "/hosts", dora, {"name": "dora-1.dyn.example", "ttl": 10})
    assert st == 400 and "from 30 to 3600" in out["error"], out
    st, out = api(srv, "POST", "/hosts", dora, {"name": "dora-1.dyn.example", "ttl": 7200})
    assert st == 400 and "from 30 to 3600" in out["error"], out
    assert "dora-1.dyn.example" not in host_names(srv)
    st, out = api(srv, "POST", "/hosts", dora,
                  {"name": "dora-1.dyn.example", "ttl": 120, "ipv4": "198.51.100.41"})
    assert st == 201 and out["ttl"] == 120
    for ttl in (29, 3601):
        st, out = api(srv, "PATCH", "/hosts/dora-1.dyn.example", dora, {"ttl": ttl})
        assert st == 400 and "from 30 to 3600" in out["error"], out
    st, host = api(srv, "GET", "/hosts/dora-1.dyn.example", dora)
    assert host["ttl"] == 120 and len(host["history"]) == 0
    st, host = api(srv, "PATCH", "/hosts/dora-1.dyn.example", dora, {"ttl": 3600})
    assert st == 200 and host["ttl"] == 3600
    m = query(srv.port, "dora-1.dyn.example", "A")
    assert m.answer[0].ttl == 3600
    # The operator is not bound by the users' limits.
    ddnsctl(srv, "host", "set", "dora-1.dyn.example", "--ttl", "5")
    assert query(srv.port, "dora-1.dyn.example", "A").answer[0].ttl == 5


def test_delete_then_nxdomain_and_held(srv):
    eve = user(srv, "eve")
    st, out = api(srv, "POST", "/hosts", eve, {"name": "eve-1.dyn.example", "ipv4": "198.51.100.42"})
    assert st == 201
    assert dns_a(srv, "eve-1.dyn.example") == (dns.rcode.NOERROR, {"198.51.100.42"})
    st, out = api(srv, "DELETE", "/hosts/eve-1.dyn.example", srv.boss)
    assert st == 404, "not boss's host, admin or not"
    st, out = api(srv, "DELETE", "/hosts/eve-1.dyn.example", eve)
    assert st == 200 and out["name"] == "eve-1.dyn.example"
    assert dns_a(srv, "eve-1.dyn.example")[0] == dns.rcode.NXDOMAIN
    st, out = api(srv, "DELETE", "/hosts/eve-1.dyn.example", eve)
    assert st == 404
    st, check = api(srv, "GET", "/names/eve-1.dyn.example", srv.boss)
    assert check["available"] is False and "held until" in check["reason"]
    assert any(r["action"] == "host.del" and r["actor"] == "web:eve"
               for r in ddnsctl_json(srv, "audit"))


ADMIN_ROUTES = [
    ("GET", "/admin/users?q=a"), ("GET", "/admin/hosts?q=a"),
    ("GET", "/admin/hosts/taken-a.dyn.example"),
    ("POST", "/admin/hosts/taken-a.dyn.example/suspend"),
    ("POST", "/admin/hosts/taken-a.dyn.example/resume"),
    ("GET", "/admin/abuse?status=open"), ("GET", "/admin/abuse/abcdefghijkm"),
    ("POST", "/admin/abuse/abcdefghijkm/suspend"), ("POST", "/admin/abuse/abcdefghijkm/reject"),
    ("GET", "/admin/audit?limit=5"), ("GET", "/admin/status"), ("GET", "/admin/nothing"),
]


def test_admin_routes_refuse_other_users(srv):
    frank = user(srv, "frank")
    before = ddnsctl_json(srv, "audit")
    for method, path in ADMIN_ROUTES:
        body = {"reason": "no"} if method == "POST" else None
        st, out = api(srv, method, path, frank, body)
        assert st == 403 and "admin role" in out["error"], (path, st, out)
        st, out = api(srv, method, path, None, body)
        assert st == 401, (path, st, out)
    assert ddnsctl_json(srv, "audit") == before
    # The role is the operator's to give and take.
    ddnsctl(srv, "user", "set", "frank", "--admin")
    users = {u["name"]: u for u in ddnsctl_json(srv, "user", "list")}
    assert users["frank"]["admin"] is True and users["alice"]["admin"] is False
    line = [l for l in ddnsctl(srv, "user", "list").stdout.splitlines() if l.startswith("frank\t")]
    assert line[0].split("\t")[-1] == "admin"
    st, out = api(srv, "GET", "/admin/status", frank)
    assert st == 200
    ddnsctl(srv, "user", "set", "frank", "--no-admin")
    st, out = api(srv, "GET", "/admin/status", frank)
    assert st == 403
    assert ddnsctl(srv, "user", "set", "frank", check=False).returncode == 1
    r = ddnsctl(srv, "user", "set", "nobody-here", "--admin", check=False)
    assert r.returncode == 1 and "no user nobody-here" in r.stderr
    actions = [(r["action"], r["target"]) for r in ddnsctl_json(srv, "audit")]
    assert ("user.admin.grant", "frank") in actions and ("user.admin.revoke", "frank") in actions


def test_admin_search(srv):
    user(srv, "gina", "gina%50@example.org")
    user(srv, "gin_tonic", "gt@example.org")
    user(srv, "ginxtonic", "gx@example.org")
    st, found = api(srv, "GET", "/admin/users?q=" + urllib.parse.quote("%"), srv.boss)
    assert st == 200 and [u["name"] for u in found] == ["gina"], found
    st, found = api(srv, "GET", "/admin/users?q=" + urllib.parse.quote("n_t"), srv.boss)
    assert [u["name"] for u in found] == ["gin_tonic"], found
    st, found = api(srv, "GET", "/admin/users?q=GIN", srv.boss)
    assert {u["name"] for u in found} == {"gina", "gin_tonic", "ginxtonic"}
    g = [u for u in found if u["name"] == "gina"][0]
    assert g["email"] == "gina%50@example.org" and g["admin"] is False and g["hosts"] == 0
    st, found = api(srv, "GET", "/admin/hosts?q=taken", srv.boss)
    assert st == 200 and [(h["name"], h["owner"]) for h in found] == [("taken-a.dyn.example", "olga")]
    st, found = api(srv, "GET", "/admin/hosts?q=OLGA", srv.boss)
    assert {h["name"] for h in found} == {"taken-a.dyn.example"}, "olga's hosts, by her name"
    st, found = api(srv, "GET", "/admin/hosts?q=" + urllib.parse.quote("%"), srv.boss)
    assert found == []
    st, found = api(srv, "GET", "/admin/hosts?q=", srv.boss)
    assert 1 <= len(found) <= 100
    st, out = api(srv, "GET", "/admin/users?q=" + "x" * 201, srv.boss)
    assert st == 400
    st, out = api(srv, "GET", "/admin/users?q=%zz", srv.boss)
    assert st == 400 and "query string" in out["error"]


def test_admin_suspend_and_resume(srv, smtp):
    hank = user(srv, "hank", "hank@example.org")
    st, h = api(srv, "POST", "/hosts", hank, {"name": "hank-1.dyn.example", "ipv4": "198.51.100.43"})
    assert st == 201
    name = h["name"]
    st, out = api(srv, "POST", f"/admin/hosts/{name}/suspend", srv.boss, {})
    assert st == 400 and "reason" in out["error"]
    assert dns_a(srv, name) == (dns.rcode.NOERROR, {"198.51.100.43"})
    st, out = api(srv, "POST", f"/admin/hosts/{name}/suspend", srv.boss,
                  {"reason": "phishing page seen"})
    assert st == 200 and out["state"] == "suspended", out
    # Served per the zone's `suspended` setting: the sinkhole.
    assert dns_a(srv, name) == (dns.rcode.NOERROR, {SINKHOLE})
    st, mine = api(srv, "GET", f"/hosts/{name}", hank)
    assert mine["state"] == "suspended" and mine["reason"] == "phishing page seen"
    st, out = api(srv, "POST", f"/admin/hosts/{name}/suspend", srv.boss, {"reason": "again"})
    assert st == 409
    # The owner is told through the outbox, exactly as for ddnsctl.
    mails = [m for m in ddnsctl_json(srv, "outbox")
             if m["rcpt"] == "hank@example.org" and "suspended" in m["subject"]]
    assert len(mails) == 1, ddnsctl_json(srv, "outbox")
    st, detail = api(srv, "GET", f"/admin/hosts/{name}", srv.boss)
    assert st == 200 and detail["owner"] == "hank" and detail["state"] == "suspended"
    assert detail["history"][0]["result"] == "suspended"
    assert detail["history"][0]["source"] == "web:boss"

    st, out = api(srv, "POST", f"/admin/hosts/{name}/resume", srv.boss)
    assert st == 200 and out["state"] == "active"
    assert dns_a(srv, name) == (dns.rcode.NOERROR, {"198.51.100.43"})
    st, mine = api(srv, "GET", f"/hosts/{name}", hank)
    assert mine["state"] == "active"
    # home.example keeps the default, suspended = nxdomain.
    st, h2 = api(srv, "POST", "/hosts", hank, {"name": "hank.home.example", "ipv4": "198.51.100.45"})
    assert st == 201
    st, out = api(srv, "POST", "/admin/hosts/hank.home.example/suspend", srv.boss, {"reason": "spam"})
    assert st == 200
    assert dns_a(srv, "hank.home.example")[0] == dns.rcode.NXDOMAIN
    st, out = api(srv, "POST", "/admin/hosts/hank.home.example/resume", srv.boss, {"reason": "fixed"})
    assert st == 200
    assert dns_a(srv, "hank.home.example") == (dns.rcode.NOERROR, {"198.51.100.45"})
    st, out = api(srv, "POST", "/admin/hosts/nope.dyn.example/suspend", srv.boss, {"reason": "x"})
    assert st == 404
    acts = [(r["actor"], r["action"], r["target"]) for r in ddnsctl_json(srv, "audit")]
    assert ("web:boss", "host.suspend", name) in acts and ("web:boss", "host.resume", name) in acts


def test_abuse_queue_through_the_api(srv):
    ivy = user(srv, "ivy", "ivy@example.org")
    hosts = []
    for n in ("ivy-1", "ivy-2"):
        st, h = api(srv, "POST", "/hosts", ivy, {"name": f"{n}.dyn.example", "ipv4": "198.51.100.44"})
        hosts.append(h["name"])
    ids = []
    for h in hosts:
        st, rep = api(srv, "POST", "/abuse-reports", None,
                      {"hostname": h, "category": "phishing", "evidence": "fake bank page",
                       "urls": [f"http://{h}/login"], "contact": "cert@example.org"})
        assert st == 201, rep
        ids.append(rep["id"])
    st, queue = api(srv, "GET", "/admin/abuse?status=open", srv.boss)
    assert st == 200 and set(ids) <= {r["id"] for r in queue}
    mine = [r for r in queue if r["id"] == ids[0]][0]
    assert mine["evidence"] == "fake bank page" and mine["contact"] == "cert@example.org"
    st, shown = api(srv, "GET", f"/admin/abuse/{ids[0]}", srv.boss)
    assert shown == ddnsctl_json(srv, "abuse", "show", ids[0])
    assert shown["host_now"]["owner"] == "ivy"

    st, out = api(srv, "POST", f"/admin/abuse/{ids[0]}/suspend", srv.boss,
                  {"reason": "confirmed kit"})
    assert st == 200, out
    assert dns_a(srv, hosts[0]) == (dns.rcode.NOERROR, {SINKHOLE})
    st, shown = api(srv, "GET", f"/admin/abuse/{ids[0]}", srv.boss)
    assert shown["status"] == "confirmed" and shown == ddnsctl_json(srv, "abuse", "show", ids[0])

    st, out = api(srv, "POST", f"/admin/abuse/{ids[1]}/reject", srv.boss, {})
    assert st == 400 and "say why" in out["error"]
    st, out = api(srv, "POST", f"/admin/abuse/{ids[1]}/reject", srv.boss, {"reason": "a bank's own"})
    assert st == 200, out
    st, shown = api(srv, "GET", f"/admin/abuse/{ids[1]}", srv.boss)
    assert shown["status"] == "rejected" and shown == ddnsctl_json(srv, "abuse", "show", ids[1])
    assert dns_a(srv, hosts[1]) == (dns.rcode.NOERROR, {"198.51.100.44"})

    st, queue = api(srv, "GET", "/admin/abuse", srv.boss)
    assert ids[1] not in {r["id"] for r in queue}
    st, every = api(srv, "GET", "/admin/abuse?status=all", srv.boss)
    assert set(ids) <= {r["id"] for r in every}
    assert api(srv, "GET", "/admin/abuse?status=closed", srv.boss)[0] == 400
    assert api(srv, "GET", "/admin/abuse/nosuchreport", srv.boss)[0] == 404
    assert api(srv, "POST", "/admin/abuse/nosuchreport/suspend", srv.boss, {})[0] == 404
    acts = [(r["actor"], r["action"]) for r in ddnsctl_json(srv, "audit")]
    assert ("web:boss", "abuse.confirm") in acts and ("web:boss", "abuse.reject") in acts


def test_status_figures_move(srv):
    st, s0 = api(srv, "GET", "/admin/status", srv.boss)
    assert st == 200
    by = {z["name"]: z for z in s0["zones"]}
    assert by["dyn.example"]["serial"] > 0 and by["dyn.example"]["hosts"] >= 5
    assert s0["users"] == len(ddnsctl_json(srv, "user", "list"))
    assert s0["hosts"] == len(ddnsctl_json(srv, "host", "list"))
    assert s0["uptime"] >= 0
    for i in range(40):
        query(srv.port, "host1.dyn.example", "A")
    jo = user(srv, "jo")
    st, h = api(srv, "POST", "/hosts", jo, {"name": "jo-1.dyn.example"})
    for i in range(5):
        st, out = api(srv, "PATCH", "/hosts/jo-1.dyn.example", jo, {"ipv4": f"198.51.100.{50 + i}"})
        assert st == 200
    st, s1 = api(srv, "GET", "/admin/status", srv.boss)
    assert s1["queries_total"] >= s0["queries_total"] + 40
    assert s1["updates_total"] >= s0["updates_total"] + 5
    assert s1["queries_per_second"] > 0 and s1["updates_per_second"] > 0
    assert s1["hosts"] == s0["hosts"] + 1
    assert {z["name"]: z for z in s1["zones"]}["dyn.example"]["serial"] > by["dyn.example"]["serial"]


def test_audit_verified_then_tampered(srv):
    st, out = api(srv, "GET", "/admin/audit?limit=3", srv.boss)
    assert st == 200 and out["verified"] is True and out["first_bad"] is None
    assert len(out["rows"]) == 3 and out["rows"][0]["id"] > out["rows"][1]["id"]
    assert len(out["head"]) == 64
    assert out["count"] == len(ddnsctl_json(srv, "audit"))
    st, out = api(srv, "GET", "/admin/audit", srv.boss)
    assert any(r["actor"].startswith("web:") for r in out["rows"])
    for bad in ("0", "1001", "x", "-3", ""):
        st, err = api(srv, "GET", "/admin/audit?limit=" + bad, srv.boss)
        assert st == 400 and "limit" in err["error"], bad
    rows = ddnsctl_json(srv, "audit")
    victim = [r for r in rows if r["actor"] == "web:boss"][0]["id"]
    sqlite(srv.db, f"UPDATE audit SET reason = 'nothing to see' WHERE id = {victim};")
    st, out = api(srv, "GET", "/admin/audit?limit=1000", srv.boss)
    assert st == 200 and out["verified"] is False and out["first_bad"] == victim, out
    assert out["head"] is None
    r = ddnsctl(srv, "audit", "--verify", check=False)
    assert r.returncode == 1 and f"row {victim}" in r.stderr


def test_check_refuses_a_default_ttl_outside_the_limits(tmp_path):
    zones = dict(ZONES)
    zones["dyn.example"] = ZONES["dyn.example"] + [("ttl-min", "120")]
    d = Ddnsd(tmp_path / "bad", zones=zones, zonefiles={})
    r = subprocess.run([require(DDNSD), "-c", str(d.conf), "--check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert "ttl-min 120 <= ttl 60 <= ttl-max 86400 does not hold" in r.stderr, r.stderr
    d.cleanup()
