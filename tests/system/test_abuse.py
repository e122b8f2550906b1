# SPDX-License-Identifier: GPL-3.0-or-later
"""The abuse desk: reports from the public and from trusted reporters,
the operator's queue (ddnsctl abuse ...), provisional suspensions that
expire, appeals, names held after deletion, security.txt, the
transparency figures and the heuristics — all through the real ddnsd,
ddnsctl and HTTP, with DNS showing exactly one host changed."""

import json
import socket
import time

import dns.message
import pytest

from ctlclient import CtlClient
from ddnstest import (api_json, ddnsctl, ddnsctl_json, ddnsd_control_socket, http_request,
                      new_account, start_http_ddnsd)

A = "/api/v1"


api = api_json


def report(d, host, key=None, category="phishing", evidence="a fake bank log-in page",
           **extra):
    body = {"hostname": host, "category": category, "evidence": evidence,
            "urls": [f"http://{host}/login"], "contact": "cert@example.org"}
    body.update(extra)
    return api(d, "POST", "/abuse-reports", key, body)


def answer(d, name, rdtype="A"):
    q = dns.message.make_query(name, rdtype)
    q.id = 4242
    wire = q.to_wire()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(2)
        s.sendto(wire, ("127.0.0.1", d.port))
        return s.recvfrom(4096)[0]
    finally:
        s.close()


def rcode_and_a(d, name):
    m = dns.message.from_wire(answer(d, name))
    a = sorted(rd.address for rr in m.answer for rd in rr if rr.rdtype == 1)
    return m.rcode(), a


def wait_for(cond, timeout=30, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    d = start_http_ddnsd(tmp_path_factory.mktemp("abuse"), server={
        "abuse-contact": "abuse@dyn.example",
        "abuse-response-time": "12h",
        "abuse-provisional": "3s",
        "abuse-reports-per-hour": "1000",
        "hold-deleted": "30d",
        "hold-suspended": "365d",
        "abuse-same-address": "0",
    })
    try:
        yield d
        d.stop()
    finally:
        d.cleanup()


@pytest.fixture(scope="module")
def cert(desk):
    """A trusted reporter whose reports suspend at once."""
    out = ddnsctl(desk, "reporter", "add", "cert-example").stdout
    key = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("key: ")][0]
    return key


def test_public_report_waits_for_an_operator(desk):
    acc = new_account(desk, "pub", ipv4="192.0.2.31")
    h = acc["hosts"][0]
    st, rep = report(desk, h)
    assert st == 201, rep
    assert rep["status"] == "open" and len(rep["id"]) == 12
    # Nothing happened to the host yet.
    assert rcode_and_a(desk, h) == (0, ["192.0.2.31"])
    # The reporter can look the report up by its ID, without seeing others' data.
    st, pub = api(desk, "GET", f"/abuse-reports/{rep['id']}")
    assert st == 200 and pub["status"] == "open" and pub["host"] == h
    assert "contact" not in pub and "evidence" not in pub
    # It is in the operator's queue with its evidence.
    queue = ddnsctl_json(desk, "abuse", "list")
    mine = [r for r in queue if r["id"] == rep["id"]]
    assert mine and mine[0]["class"] == "public" and mine[0]["evidence"] == "a fake bank log-in page"
    shown = ddnsctl(desk, "abuse", "show", rep["id"]).stdout
    assert "cert@example.org" in shown and f"http://{h}/login" in shown and "host now: active" in shown

    # The operator suspends: only this host answers NXDOMAIN (zone default).
    out = ddnsctl(desk, "abuse", "suspend", rep["id"], "--reason", "confirmed phishing kit").stdout
    assert f"report {rep['id']}: confirmed" in out
    assert rcode_and_a(desk, h)[0] == 3
    st, pub = api(desk, "GET", f"/abuse-reports/{rep['id']}")
    assert pub["status"] == "confirmed" and pub["outcome"] == "confirmed phishing kit"

    # Its updates get `abuse` (DynDNS2), KO (DuckDNS) and 403 (JSON).
    r = http_request(desk.http_port, f"/nic/update?hostname={h}&myip=192.0.2.32", auth=acc["auth"])
    assert r.body.strip() == "abuse"
    st, err = api(desk, "PATCH", f"/hosts/{h}", acc["auth"], {"ipv4": "192.0.2.33"})
    assert st == 403 and "suspended" in err["error"]
    # The owner sees why.
    st, mine = api(desk, "GET", f"/hosts/{h}", acc["auth"])
    assert mine["state"] == "suspended" and "confirmed phishing kit" in mine["reason"]
    assert mine["abuse"][0]["id"] == rep["id"] and "contact" not in mine["abuse"][0]


def test_appeal_reopens_the_case_and_reversal_restores_the_host(desk):
    acc = new_account(desk, "app", ipv4="192.0.2.41", ipv6="2001:db8::41")
    h = acc["hosts"][0]
    st, rep = report(desk, h, category="malware")
    ddnsctl(desk, "abuse", "suspend", rep["id"])
    assert rcode_and_a(desk, h)[0] == 3
    st, out = api(desk, "POST", f"/hosts/{h}/appeal", acc["auth"],
                  {"text": "that was my own test page, it is gone"})
    assert st == 201, out
    assert out["status"] == "appealed"
    st, again = api(desk, "POST", f"/hosts/{h}/appeal", acc["auth"], {"text": "please"})
    assert st == 409 and "already appealed" in again["error"]
    assert rep["id"] in [r["id"] for r in ddnsctl_json(desk, "abuse", "list")]
    # Rejected on appeal: reversed, and the records it had are back.
    fails = ddnsctl(desk, "abuse", "reject", rep["id"], check=False)
    assert fails.returncode == 1 and "--reason" in fails.stderr
    ddnsctl(desk, "abuse", "reject", rep["id"], "--reason", "owner removed the page")
    assert rcode_and_a(desk, h) == (0, ["192.0.2.41"])
    st, pub = api(desk, "GET", f"/abuse-reports/{rep['id']}")
    assert pub["status"] == "reversed"
    r = http_request(desk.http_port, f"/nic/update?hostname={h}&myip=192.0.2.42", auth=acc["auth"])
    assert r.body.strip() == "good 192.0.2.42"


def test_appeal_against_a_direct_suspension_makes_a_case(desk):
    acc = new_account(desk, "dir", ipv4="192.0.2.45")
    h = acc["hosts"][0]
    ddnsctl(desk, "host", "suspend", h, "--reason", "spam run seen by our upstream")
    st, out = api(desk, "POST", f"/hosts/{h}/appeal", acc["auth"], {"text": "not me"})
    assert st == 201 and out["status"] == "appealed"
    case = ddnsctl_json(desk, "abuse", "show", out["id"])
    assert case["class"] == "operator" and "spam run" in case["evidence"]
    st, out = api(desk, "POST", f"/hosts/{new_account(desk, 'ok')['hosts'][0]}/appeal",
                  None, {"text": "x"})
    assert st == 401


def test_trusted_report_suspends_at_once_and_expires_unless_confirmed(desk, cert):
    a = new_account(desk, "tr", hosts=2, ipv4="192.0.2.51")
    h1, h2 = a["hosts"]
    st, r1 = report(desk, h1, key=cert, category="botnet")
    assert st == 201 and r1["status"] == "suspended" and r1["expires"] > time.time()
    assert rcode_and_a(desk, h1)[0] == 3
    st, r2 = report(desk, h2, key=cert, category="botnet")
    assert rcode_and_a(desk, h2)[0] == 3
    ddnsctl(desk, "abuse", "suspend", r2["id"], "--reason", "confirmed C2")
    # r1 runs out (abuse-provisional = 3 s): resumed, report expired.
    assert wait_for(lambda: rcode_and_a(desk, h1) == (0, ["192.0.2.51"]), timeout=30)
    assert api(desk, "GET", f"/abuse-reports/{r1['id']}")[1]["status"] == "expired"
    # The confirmed one stays down.
    assert rcode_and_a(desk, h2)[0] == 3
    assert api(desk, "GET", f"/abuse-reports/{r2['id']}")[1]["status"] == "confirmed"
    audit = ddnsctl_json(desk, "audit")
    acts = [(e["action"], e["evidence"]) for e in audit]
    assert ("abuse.expire", r1["id"]) in acts and ("abuse.confirm", r2["id"]) in acts
    assert ddnsctl_json(desk, "audit", "--verify")["intact"] is True


def test_bad_reports_are_refused_and_change_nothing(desk, cert):
    acc = new_account(desk, "bad", ipv4="192.0.2.61")
    h = acc["hosts"][0]
    before = len(ddnsctl_json(desk, "abuse", "list", "--all"))
    cases = [
        ({"hostname": h, "category": "nonsense", "evidence": "x"}, 400, "category"),
        ({"hostname": h, "category": "spam", "evidence": ""}, 400, "evidence"),
        ({"hostname": "..", "category": "spam", "evidence": "x"}, 400, "hostname"),
        ({"hostname": "nosuch.dyn.example", "category": "spam", "evidence": "x"}, 404, "no host"),
        ({"hostname": h, "category": "spam", "evidence": "x", "urls": ["ftp://x"]}, 400, "urls"),
        ({"hostname": h, "category": "spam", "evidence": "x" * 5000}, 400, "evidence"),
        ([1, 2], 400, "JSON object"),
    ]
    for body, status, word in cases:
        st, err = api(desk, "POST", "/abuse-reports", None, body)
        assert st == status and word in err["error"], (body, st, err)
    st, err = api(desk, "POST", "/abuse-reports", "not-a-key", {"hostname": h})
    assert st == 401
    r = http_request(desk.http_port, A + "/abuse-reports", method="POST", body="{not json",
                     headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert len(ddnsctl_json(desk, "abuse", "list", "--all")) == before
    assert rcode_and_a(desk, h) == (0, ["192.0.2.61"])
    # ddnsctl's own errors.
    r = ddnsctl(desk, "abuse", "show", "zzzzzzzzzzzz", check=False)
    assert r.returncode == 1 and "no abuse report" in r.stderr
    r = ddnsctl(desk, "reporter", "revoke", "nobody", check=False)
    assert r.returncode == 1 and "no trusted reporter" in r.stderr


def test_revoked_reporter_key_stops_working(desk):
    out = ddnsctl(desk, "reporter", "add", "shortlived", "--no-suspend").stdout
    key = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("key: ")][0]
    acc = new_account(desk, "rv", ipv4="192.0.2.65")
    st, rep = report(desk, acc["hosts"][0], key=key)
    assert st == 201 and rep["status"] == "open"   # --no-suspend: waits for an operator
    ddnsctl(desk, "reporter", "revoke", "shortlived")
    st, err = report(desk, acc["hosts"][0], key=key)
    assert st == 401
    listed = {r["name"]: r for r in ddnsctl_json(desk, "reporter", "list")}
    assert listed["shortlived"]["revoked"] is True


def test_names_are_held_after_deletion(desk):
    a = new_account(desk, "tomb", hosts=2, ipv4="192.0.2.71")
    b = new_account(desk, "other")
    plain, bad = a["hosts"]
    ddnsctl(desk, "host", "suspend", bad, "--reason", "malware")
    ddnsctl(desk, "host", "del", bad)
    ddnsctl(desk, "host", "del", plain)
    for name in (plain, bad):
        r = ddnsctl(desk, "host", "add", name, "--owner", b["user"], check=False)
        assert r.returncode == 1 and "held until" in r.stderr, r.stderr
    # Its previous owner may take a plainly deleted name back, not a suspended one.
    ddnsctl(desk, "host", "add", plain, "--owner", a["user"])
    r = ddnsctl(desk, "host", "add", bad, "--owner", a["user"], check=False)
    assert r.returncode == 1 and "suspended for abuse" in r.stderr


def test_security_txt_and_the_desk_description(desk):
    r = http_request(desk.http_port, "/.well-known/security.txt")
    text = r.body
    assert r.status == 200 and r.header("content-type").startswith("text/plain")
    assert "Contact: mailto:abuse@dyn.example" in text and "\nExpires: " in text
    assert "within 12 hours" in text
    st, desc = api(desk, "GET", "/abuse")
    assert st == 200 and desc["contact"] == "abuse@dyn.example"
    assert desc["response_time_seconds"] == 12 * 3600 and "phishing" in desc["categories"]


def test_rate_limit_on_public_reports(tmp_path):
    d = start_http_ddnsd(tmp_path, server={"abuse-reports-per-hour": "3"})
    try:
        h = new_account(d, "rl", ipv4="192.0.2.81")["hosts"][0]
        codes = [report(d, h)[0] for _ in range(5)]
        assert codes[:3] == [201, 201, 201] and codes[3:] == [429, 429]
        assert len(ddnsctl_json(d, "abuse", "list")) == 3
        # A trusted reporter is not limited.
        out = ddnsctl(d, "reporter", "add", "trusted", "--no-suspend").stdout
        key = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("key: ")][0]
        assert report(d, h, key=key)[0] == 201
    finally:
        d.stop()
        d.cleanup()


def test_suspending_one_host_of_10000_changes_only_its_answers(tmp_path):
    d = start_http_ddnsd(tmp_path, server={"abuse-same-address": "0"})
    try:
        ddnsctl(d, "user", "add", "many", "--max-hosts", "20000", input="pw-many long enough\n")
        names = [f"h{i:05d}.dyn.example" for i in range(10000)]
        with CtlClient(ddnsd_control_socket(d), timeout=60) as c:
            for i, n in enumerate(names):
                c.call("host.add", name=n, owner="many",
                       ipv4=f"198.51.{100 + i % 3}.{i % 250 + 1}",
                       ipv6=f"2001:db8::{i:x}" if i % 2 else None)
        target = names[4321]
        before = {n: answer(d, n) for n in names}
        st, rep = report(d, target, category="malware")
        ddnsctl(d, "abuse", "suspend", rep["id"], "--reason", "drive-by download")
        after = {n: answer(d, n) for n in names}
        changed = [n for n in names if before[n] != after[n]]
        assert changed == [target]
        assert dns.message.from_wire(after[target]).rcode() == 3
        r = http_request(d.http_port, f"/nic/update?hostname={target}&myip=192.0.2.9",
                         auth=("many", "pw-many long enough"))
        assert r.body.strip() == "abuse"
        r = http_request(d.http_port, f"/update?domains={target}&token=whatever&ip=192.0.2.9")
        assert r.body.strip() == "KO"
        ddnsctl(d, "host", "resume", target)
        assert answer(d, target) == before[target]
        ddnsctl(d, "host", "del", target)
        ddnsctl(d, "user", "add", "squatter", input="pw-squatter long enough\n")
        r = ddnsctl(d, "host", "add", target, "--owner", "squatter", check=False)
        assert r.returncode == 1 and "held until" in r.stderr
    finally:
        d.stop()
        d.cleanup()


def test_transparency_figures_match_the_actions(tmp_path):
    d = start_http_ddnsd(tmp_path, server={"abuse-same-address": "0"})
    try:
        out = ddnsctl(d, "reporter", "add", "cert").stdout
        key = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("key: ")][0]
        acc = new_account(d, "tp", hosts=4, ipv4="192.0.2.91")
        h = acc["hosts"]
        _, r0 = report(d, h[0], category="phishing")
        ddnsctl(d, "abuse", "suspend", r0["id"])
        _, r1 = report(d, h[1], category="spam")
        ddnsctl(d, "abuse", "reject", r1["id"], "--reason", "no evidence of spam")
        _, r2 = report(d, h[2], key=key, category="malware")            # suspended at once
        _, r3 = report(d, h[3], key=key, category="malware")
        api(d, "POST", f"/hosts/{h[3]}/appeal", acc["auth"], {"text": "mistake"})
        ddnsctl(d, "abuse", "reject", r3["id"], "--reason", "false positive")
        st, t = api(d, "GET", "/transparency")
        assert st == 200
        month = time.strftime("%Y-%m", time.gmtime())
        m = [x for x in t["months"] if x["month"] == month][0]
        assert m["reports"] == {"public": 2, "trusted": 2}
        assert m["suspended_by_category"] == {"phishing": 1, "malware": 2}
        assert m["suspended_by_reporter_class"] == {"public": 1, "trusted": 2}
        assert m["reversed_on_appeal"] == 1 and m["rejected"] == 1
        assert isinstance(m["median_seconds_to_action"], int) and m["median_seconds_to_action"] >= 0
        text = json.dumps(t)
        for secret in ("cert", acc["user"], "192.0.2", h[0], "@"):
            assert secret not in text
    finally:
        d.stop()
        d.cleanup()


def test_heuristics_flag_blocklisted_and_crowded_addresses(tmp_path):
    bl = tmp_path / "blocklist.txt"
    bl.write_text("# known C2 servers\n203.0.113.0/28\n2001:db8:bad::/48\n")
    d = start_http_ddnsd(tmp_path / "d", server={"abuse-blocklist": str(bl),
                                                 "abuse-same-address": "3",
                                                 "abuse-window": "10m"})
    try:
        acc = new_account(d, "heu", hosts=1, ipv4="203.0.113.5")
        flagged = ddnsctl_json(d, "abuse", "list")
        mine = [r for r in flagged if r["host"] == acc["hosts"][0]]
        assert mine and mine[0]["class"] == "heuristic" and "blocklist" in mine[0]["evidence"]
        # Not suspended unless configured.
        assert rcode_and_a(d, acc["hosts"][0]) == (0, ["203.0.113.5"])
        # An update onto a listed IPv6 network is flagged too.
        b = new_account(d, "heu6", ipv4="192.0.2.100")
        r = http_request(d.http_port, f"/nic/update?hostname={b['hosts'][0]}&myip=2001:db8:bad::7",
                         auth=b["auth"])
        assert r.body.startswith("good")
        assert any(r["host"] == b["hosts"][0] for r in ddnsctl_json(d, "abuse", "list"))
        # Three new hosts on one address within the window: all flagged, once each.
        c = new_account(d, "crowd", hosts=3, ipv4="198.51.100.200")
        crowd = [r for r in ddnsctl_json(d, "abuse", "list") if r["host"] in c["hosts"]]
        assert sorted(r["host"] for r in crowd) == sorted(c["hosts"])
        assert all("198.51.100.200" in r["evidence"] for r in crowd)
    finally:
        d.stop()
        d.cleanup()


def test_bad_blocklist_is_a_clear_error(tmp_path):
    bl = tmp_path / "bl.txt"
    bl.write_text("192.0.2.1\nnot-an-address\n")
    from ddnstest import Ddnsd
    d = Ddnsd(tmp_path / "d", server={"abuse-blocklist": str(bl)})
    import subprocess
    from ddnstest import DDNSD
    r = subprocess.run([DDNSD, "-c", str(d.conf), "--check"], capture_output=True, text=True)
    assert r.returncode == 1 and f"{bl}:2:" in r.stderr and "not-an-address" in r.stderr
    d.cleanup()


def test_owner_and_reporter_are_told(tmp_path):
    from test_outbox import SmtpListener, WebhookReceiver
    smtp, hook = SmtpListener(), WebhookReceiver()
    d = None
    try:
        d = start_http_ddnsd(tmp_path, server={
            "smtp-relay": f"smtp://127.0.0.1:{smtp.port}", "mail-from": "abuse@dyn.example",
            "notification-webhook": hook.url, "abuse-same-address": "0"})
        ddnsctl(d, "user", "add", "carol", "--email", "carol@example.net",
                input="carol's long password\n")
        h = "carol-cam.dyn.example"
        ddnsctl(d, "host", "add", h, "--owner", "carol", "--ipv4", "192.0.2.111")
        out = ddnsctl(d, "reporter", "add", "cert").stdout
        key = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("key: ")][0]

        # A trusted report suspends at once: the owner is told, with the case ID.
        _, rep = report(d, h, key=key, category="botnet")
        def events(name):
            return [e for e in hook.events if e["event"] == name and e["host"] == h]
        ev = wait_for(lambda: events("suspended"), timeout=30)
        assert ev and rep["id"] in ev[0]["reason"]
        mail = wait_for(lambda: [m for m in smtp.messages if m[1] == ["carol@example.net"]], timeout=30)
        assert h in mail[0][2]["Subject"]

        # The owner appeals; the operator grants it: owner and reporter hear of it.
        st, _ = api(d, "POST", f"/hosts/{h}/appeal", ("carol", "carol's long password"),
                    {"text": "the camera was patched"})
        assert st == 201
        assert wait_for(lambda: events("appeal-received"), timeout=30)
        ddnsctl(d, "abuse", "reject", rep["id"], "--reason", "owner fixed the camera")
        assert wait_for(lambda: events("appeal-granted"), timeout=30)
        assert wait_for(lambda: events("resumed"), timeout=30)
        to_reporter = wait_for(lambda: [m for m in smtp.messages if m[1] == ["cert@example.org"]],
                               timeout=30)
        text = to_reporter[0][2].get_body(preferencelist=("plain",)).get_content()
        assert rep["id"] in text and "owner fixed the camera" in text
        assert rcode_and_a(d, h) == (0, ["192.0.2.111"])
        assert wait_for(lambda: ddnsctl_json(d, "outbox", "--pending") == [], timeout=30)
    finally:
        if d is not None:
            d.stop()
            d.cleanup()
        smtp.close()
        hook.close()


def test_burst_of_signups_from_one_network_flags_its_hosts(tmp_path):
    """abuse-signups = 3: the third sign-up from one /24 within the window
    flags the hosts the burst's accounts already have, and hosts they make
    later are flagged when made. Sign-ups from another network, and from
    loopback (a local proxy, not a client), are not counted."""
    from ddnstest import SmtpListener
    smtp = SmtpListener()
    d = start_http_ddnsd(tmp_path / "d", server={
        "signup": "open", "abuse-signups": "3", "abuse-window": "10m",
        "smtp-relay": f"smtp://127.0.0.1:{smtp.port}", "mail-from": "ddnsd@dyn.example"})
    try:
        def signup(name, addr):
            headers = {"X-Forwarded-For": addr} if addr else {}
            r = http_request(d.http_port, f"{A}/signup", method="POST", headers=headers,
                             body=json.dumps({"name": name, "email": f"{name}@example.net",
                                              "password": "a long enough password"}))
            assert r.status == 201, r

        def host(owner, label):
            fqdn = f"{label}.dyn.example"
            ddnsctl(d, "host", "add", fqdn, "--owner", owner, "--ipv4", "192.0.2.10")
            return fqdn

        def flagged():
            return {r["host"]: r for r in ddnsctl_json(d, "abuse", "list")
                    if r["class"] == "heuristic"}

        signup("burst1", "198.51.100.11")
        h1 = host("burst1", "bu1")
        signup("burst2", "198.51.100.12")
        h2 = host("burst2", "bu2")
        signup("other1", "203.0.113.9")         # another network
        signup("local1", None)                  # 127.0.0.1: not counted
        signup("local2", None)
        signup("local3", None)
        hl = host("local3", "lo3")
        assert not flagged(), "two sign-ups from a network are not a burst"
        signup("burst3", "198.51.100.13")       # the third: a burst
        f = flagged()
        assert set(f) == {h1, h2}, f
        assert "3 accounts signed up from 198.51.100.0/24" in f[h1]["evidence"]
        h3 = host("burst3", "bu3")
        ho = host("other1", "ot1")
        f = flagged()
        assert h3 in f and ho not in f and hl not in f, f
        # Flagged for review only: the hosts still answer.
        assert ddnsctl_json(d, "host", "show", h3)["state"] == "active"
    finally:
        d.stop()
        d.cleanup()
        smtp.close()
