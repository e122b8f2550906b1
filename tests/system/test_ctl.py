# SPDX-License-Identifier: GPL-3.0-or-later
"""ddnsctl against a running ddnsd, through the real binary.

Every change must be visible over DNS as soon as ddnsctl returns (the
reply to a change comes only after it is committed and published, so the
tests query once and never poll), and must raise the zone's SOA serial by
exactly one. Bad arguments must fail with exit status 1 and one line
`ddnsctl: reason` on stderr, and must change nothing: users, hosts, their
history, the audit log, every DNS answer and the serials are compared
before and after.
"""
import base64
import json
import re

import dns.rcode
import dns.rdatatype
import pytest

import ctlclient
from ddnstest import (DATA, ZONES, Ddnsd, ddnsctl, ddnsctl_json,
                      ddnsd_control_socket, make_query, exchange, parse,
                      soa_serial, sqlite, wait_for)

PW = "correct horse battery staple"
USAGE_LINE = re.compile(r"^ddnsctl: \S")


# ---------------------------------------------------------------- helpers

def ok(d, *args, input=None):
    """Runs ddnsctl; it must exit 0 without a word on stderr. Returns stdout."""
    r = ddnsctl(d, *args, input=input, check=False)
    assert r.returncode == 0 and r.stderr == "", (
        f"ddnsctl {' '.join(args)}: exit {r.returncode}, stderr {r.stderr!r}")
    return r.stdout


def ok_json(d, *args, input=None):
    return json.loads(ok(d, "--json", *args, input=input))


def fails(d, args, reason, input=None, usage_may_follow=False):
    """Runs ddnsctl; it must exit 1, print nothing on stdout and exactly one
    line `ddnsctl: reason` on stderr matching the regex reason."""
    r = ddnsctl(d, *args, input=input, check=False)
    lines = r.stderr.splitlines()
    what = f"ddnsctl {' '.join(args)}"
    assert r.returncode == 1, f"{what}: exit {r.returncode}, stderr {r.stderr!r}"
    assert r.stdout == "", f"{what}: printed {r.stdout!r} on stdout"
    assert lines and USAGE_LINE.match(lines[0]), f"{what}: stderr {r.stderr!r}"
    if not usage_may_follow:
        assert len(lines) == 1, f"{what}: more than one line on stderr: {r.stderr!r}"
    assert re.search(reason, lines[0]), (
        f"{what}: reason {lines[0]!r} does not say {reason!r}")
    return lines[0]


def answer(d, name, rdtype):
    """(rcode text, {(ttl, rdata text)}) of the answer records at name."""
    m = d.query(name, rdtype)
    t = dns.rdatatype.from_text(rdtype)
    out = set()
    for rrset in m.answer:
        if rrset.rdtype == t and rrset.name.to_text().lower() == name.lower().rstrip(".") + ".":
            out.update((rrset.ttl, rd.to_text()) for rd in rrset)
    return dns.rcode.to_text(m.rcode()), out


def values(d, name, rdtype):
    """The rdata texts at name (rcode must be NOERROR)."""
    rcode, rrs = answer(d, name, rdtype)
    assert rcode == "NOERROR", f"{name} {rdtype}: {rcode}"
    return {text for _, text in rrs}


def raw(d, name, rdtype, tcp=False):
    """The raw reply to a query with a fixed ID, without its ID."""
    wire = make_query(name, rdtype, qid=0x4242).to_wire()
    return exchange(d.port, wire, tcp=tcp)[2:]


def serial(d, zone="dyn.example"):
    return soa_serial(d.port, zone)


class Serials:
    """Tracks a zone's serial: each change must raise it by exactly one."""

    def __init__(self, d, zone="dyn.example"):
        self.d, self.zone = d, zone
        self.value = serial(d, zone)

    def bumped(self, what):
        now = serial(self.d, self.zone)
        assert now == self.value + 1, (f"{what}: SOA serial of {self.zone} went "
                                       f"from {self.value} to {now}, not +1")
        self.value = now

    def same(self, what):
        now = serial(self.d, self.zone)
        assert now == self.value, (f"{what}: SOA serial of {self.zone} went from "
                                   f"{self.value} to {now} without a DNS change")


HOST_QUERIES = (("", "A"), ("", "AAAA"), ("", "TXT"), ("", "MX"),
                ("_acme-challenge.", "TXT"), ("sub.", "A"), ("sub.", "AAAA"))


def dns_state(d, hosts, extra=()):
    """The raw replies (minus ID) to the queries that show every record a
    host can have, plus extra (name, type) pairs and both apex SOAs."""
    out = {}
    for h in hosts:
        for prefix, t in HOST_QUERIES:
            out[(prefix + h, t)] = raw(d, prefix + h, t)
    for name, t in extra:
        out[(name, t)] = raw(d, name, t)
    for z in d.zones:
        out[(z, "SOA")] = raw(d, z, "SOA")
    return out


def snapshot(d, extra=()):
    """Everything a user can see: lists, each host's show (with history
    and tokens), the audit log, the serials and the DNS answers."""
    # Read through the control socket: many ddnsctl processes per
    # snapshot would make the bad-argument tests slow.
    with ctlclient.CtlClient(ddnsd_control_socket(d)) as c:
        users = c.call("user.list")
        hosts = c.call("host.list")
        names = [h["name"] for h in hosts]
        return {
            "users": users,
            "hosts": hosts,
            "shows": {n: c.call("host.show", name=n) for n in names},
            "audit": c.call("audit"),
            "status": c.call("status"),
            "dns": dns_state(d, names, extra),
        }


def diff(a, b):
    """A readable account of what differs between two snapshots."""
    out = []
    for k in a:
        if a[k] != b[k]:
            if k == "dns":
                for q in a[k]:
                    if a[k][q] != b[k].get(q):
                        out.append(f"DNS answer to {q} changed")
            else:
                out.append(f"{k}: {a[k]!r}\n   -> {b[k]!r}")
    return "\n".join(out)


def add_user(d, name, *opts, password=PW):
    return ok(d, "user", "add", name, *opts, input=password + "\n")


# ---------------------------------------------------------------- lifecycle

@pytest.fixture
def server(make_ddnsd):
    return make_ddnsd()


def test_user_add_list_del(server):
    d = server
    s = Serials(d)
    assert ok(d, "user", "list") == ""
    assert "alice" in add_user(d, "alice", "--email", "alice@example.org",
                               "--max-hosts", "7")
    add_user(d, "bob")
    s.same("user add")
    users = {u["name"]: u for u in ok_json(d, "user", "list")}
    assert set(users) == {"alice", "bob"}
    assert users["alice"]["email"] == "alice@example.org"
    assert users["alice"]["max_hosts"] == 7 and users["alice"]["hosts"] == 0
    assert users["bob"]["max_hosts"] == 5, "default-max-hosts is 5"
    text = ok(d, "user", "list").splitlines()
    assert len(text) == 2
    assert [l for l in text if l.startswith("alice")][0].split("\t")[1:] == \
        ["alice@example.org", "0/7 hosts", "user"]

    ok(d, "host", "add", "cam.dyn.example", "--owner", "bob", "--ipv4", "198.51.100.20")
    s.bumped("host add")
    ok(d, "host", "add", "nas.home.example", "--owner", "bob", "--ipv6", "2001:db8::20")
    assert values(d, "cam.dyn.example", "A") == {"198.51.100.20"}
    assert values(d, "nas.home.example", "AAAA") == {"2001:db8::20"}
    users = {u["name"]: u for u in ok_json(d, "user", "list")}
    assert users["bob"]["hosts"] == 2
    home = Serials(d, "home.example")

    assert ok(d, "user", "del", "bob").strip() == "deleted user bob"
    # Deleting a user deletes their hosts, and DNS says so at once.
    assert answer(d, "cam.dyn.example", "A")[0] == "NXDOMAIN"
    assert answer(d, "nas.home.example", "AAAA")[0] == "NXDOMAIN"
    s.bumped("user del (hosts in dyn.example)")
    home.bumped("user del (hosts in home.example)")
    assert [u["name"] for u in ok_json(d, "user", "list")] == ["alice"]
    assert ok_json(d, "host", "list") == []
    fails(d, ["host", "show", "cam.dyn.example"], r"no host cam\.dyn\.example")


def test_host_records_visible_at_once(server):
    d = server
    add_user(d, "alice", "--max-hosts", "10")
    add_user(d, "bob")
    s = Serials(d)
    h = "home.dyn.example"

    out = ok(d, "host", "add", h, "--owner", "alice", "--ipv4", "198.51.100.7",
             "--ipv6", "2001:db8::7", "--ttl", "300")
    assert out.strip() == f"added host {h}"
    s.bumped("host add")
    assert answer(d, h, "A") == ("NOERROR", {(300, "198.51.100.7")})
    assert answer(d, h, "AAAA") == ("NOERROR", {(300, "2001:db8::7")})

    ok(d, "host", "set", h, "--ipv4", "203.0.113.9")
    s.bumped("host set --ipv4")
    assert answer(d, h, "A") == ("NOERROR", {(300, "203.0.113.9")})

    ok(d, "host", "set", h, "--ipv6", "none")
    s.bumped("host set --ipv6 none")
    assert answer(d, h, "AAAA") == ("NOERROR", set())
    assert values(d, h, "A") == {"203.0.113.9"}

    ok(d, "host", "set", h, "--ttl", "120", "--ipv6", "2001:db8::9")
    s.bumped("host set --ttl --ipv6")
    assert answer(d, h, "A") == ("NOERROR", {(120, "203.0.113.9")})
    assert answer(d, h, "AAAA") == ("NOERROR", {(120, "2001:db8::9")})

    ok(d, "host", "set", h, "--txt", "v=spf1 -all", "--txt", "hello world")
    s.bumped("host set --txt")
    assert values(d, h, "TXT") == {'"v=spf1 -all"', '"hello world"'}

    ok(d, "host", "set", h, "--acme-add", "tok-one")
    s.bumped("host set --acme-add")
    ok(d, "host", "set", h, "--acme-add", "tok-two")
    s.bumped("host set --acme-add")
    assert values(d, "_acme-challenge." + h, "TXT") == {'"tok-one"', '"tok-two"'}
    ok(d, "host", "set", h, "--acme-del", "tok-one")
    s.bumped("host set --acme-del")
    assert values(d, "_acme-challenge." + h, "TXT") == {'"tok-two"'}
    # ACME values are not TXT records at the name itself, and vice versa.
    assert values(d, h, "TXT") == {'"v=spf1 -all"', '"hello world"'}

    ok(d, "host", "set", h, "--mx", "mx.example.net", "--mx-pref", "5")
    s.bumped("host set --mx")
    assert values(d, h, "MX") == {"5 mx.example.net."}
    ok(d, "host", "set", h, "--mx", "none")
    s.bumped("host set --mx none")
    assert answer(d, h, "MX") == ("NOERROR", set())

    assert answer(d, "sub." + h, "A")[0] == "NXDOMAIN"
    ok(d, "host", "set", h, "--wildcard", "on")
    s.bumped("host set --wildcard on")
    assert answer(d, "sub." + h, "A") == ("NOERROR", {(120, "203.0.113.9")})
    assert answer(d, "a.b." + h, "AAAA") == ("NOERROR", {(120, "2001:db8::9")})
    ok(d, "host", "set", h, "--wildcard", "off")
    s.bumped("host set --wildcard off")
    assert answer(d, "sub." + h, "A")[0] == "NXDOMAIN"

    ok(d, "host", "set", h, "--offline", "on")
    s.bumped("host set --offline on")
    assert answer(d, h, "A") == ("NOERROR", set())
    assert answer(d, h, "AAAA") == ("NOERROR", set())
    assert values(d, h, "TXT") == {'"v=spf1 -all"', '"hello world"'}
    assert ok_json(d, "host", "show", h)["state"] == "offline"
    ok(d, "host", "set", h, "--offline", "off")
    s.bumped("host set --offline off")
    assert values(d, h, "A") == {"203.0.113.9"}
    assert values(d, h, "AAAA") == {"2001:db8::9"}
    assert ok_json(d, "host", "show", h)["state"] == "active"

    ok(d, "host", "set", h, "--ipv4", "none")
    s.bumped("host set --ipv4 none")
    assert answer(d, h, "A") == ("NOERROR", set())

    # Another owner's host, to see list --owner filter.
    ok(d, "host", "add", "other.dyn.example", "--owner", "bob", "--ipv4", "192.0.2.77")
    s.bumped("host add")
    assert values(d, "other.dyn.example", "A") == {"192.0.2.77"}
    assert answer(d, "other.dyn.example", "A")[1] == {(60, "192.0.2.77")}, \
        "the zone's ttl = 60 is the default TTL"
    all_hosts = ok(d, "host", "list").splitlines()
    assert sorted(l.split("\t")[0] for l in all_hosts) == [h, "other.dyn.example"]
    line = [l for l in all_hosts if l.startswith("other.")][0].split("\t")
    assert line == ["other.dyn.example", "192.0.2.77", "-", "active", "bob"]
    assert [x["name"] for x in ok_json(d, "host", "list", "--owner", "alice")] == [h]
    assert [x["name"] for x in ok_json(d, "host", "list", "--owner", "bob")] == \
        ["other.dyn.example"]

    show = ok(d, "host", "show", h)
    fields = dict(l.split(": ", 1) for l in show.splitlines()
                  if not l.startswith(("history:", "txt:", "acme:", "token:")))
    assert fields["name"] == h and fields["owner"] == "alice"
    assert fields["state"] == "active" and fields["ipv4"] == "-"
    assert fields["ipv6"] == "2001:db8::9" and fields["ttl"] == "120"
    assert fields["wildcard"] == "off"

    out = ok(d, "host", "del", h)
    assert out.strip() == f"deleted host {h}"
    s.bumped("host del")
    for name, t in (("", "AAAA"), ("", "TXT"), ("_acme-challenge.", "TXT")):
        assert answer(d, name + h, t)[0] == "NXDOMAIN", f"{name}{h} {t} after host del"
    assert [x["name"] for x in ok_json(d, "host", "list")] == ["other.dyn.example"]
    assert values(d, "other.dyn.example", "A") == {"192.0.2.77"}


def test_mx_pref_alone_changes_the_preference(server):
    """--mx-pref without --mx on a host that has an MX."""
    d = server
    add_user(d, "alice")
    h = "mailer.dyn.example"
    ok(d, "host", "add", h, "--owner", "alice", "--ipv4", "198.51.100.25")
    ok(d, "host", "set", h, "--mx", "mx.example.net", "--mx-pref", "5")
    s = Serials(d)
    r = ddnsctl(d, "host", "set", h, "--mx-pref", "20", check=False)
    assert r.returncode == 0, f"host set --mx-pref 20: {r.stderr.strip()}"
    s.bumped("host set --mx-pref")
    assert values(d, h, "MX") == {"20 mx.example.net."}


def test_host_name_normalised_and_idn(server):
    d = server
    add_user(d, "alice")
    out = ok(d, "host", "add", "bücher.dyn.example", "--owner", "alice",
             "--ipv4", "198.51.100.30")
    assert out.strip() == "added host xn--bcher-kva.dyn.example"
    assert values(d, "xn--bcher-kva.dyn.example", "A") == {"198.51.100.30"}
    assert [h["name"] for h in ok_json(d, "host", "list")] == ["xn--bcher-kva.dyn.example"]
    # The Unicode and the upper-case forms name the same host.
    assert ok_json(d, "host", "show", "Bücher.DYN.example")["name"] == \
        "xn--bcher-kva.dyn.example"
    fails(d, ["host", "add", "BÜCHER.dyn.example.", "--owner", "alice"],
          r"xn--bcher-kva\.dyn\.example already exists")
    out = ok(d, "host", "add", "Camera.Dyn.Example.", "--owner", "alice",
             "--ipv4", "198.51.100.31")
    assert out.strip() == "added host camera.dyn.example"
    assert values(d, "camera.dyn.example", "A") == {"198.51.100.31"}


def test_history_rows(server):
    d = server
    add_user(d, "alice")
    h = "hist.dyn.example"
    ok(d, "host", "add", h, "--owner", "alice", "--ipv4", "198.51.100.1")
    for ip in ("198.51.100.2", "198.51.100.3", "198.51.100.4"):
        ok(d, "host", "set", h, "--ipv4", ip)
    ok(d, "host", "set", h, "--txt", "note")
    hist = ok_json(d, "host", "show", h)["history"]
    assert len(hist) == 4, hist
    # Newest first; each row says what it was and what it became.
    assert "198.51.100.4" in hist[0]["old"] and "note" in hist[0]["new"]
    for row, (old, new) in zip(hist[1:], (("198.51.100.3", "198.51.100.4"),
                                          ("198.51.100.2", "198.51.100.3"),
                                          ("198.51.100.1", "198.51.100.2"))):
        assert old in row["old"] and new in row["new"] and new not in row["old"], row
        assert row["result"] == "good"
    lines = [l for l in ok(d, "host", "show", h).splitlines() if l.startswith("history:")]
    assert len(lines) == 4
    assert "198.51.100.1" in lines[-1] and "198.51.100.2" in lines[-1]


def history_count(d, fqdn):
    return int(sqlite(d.db, "SELECT count(*) FROM history WHERE host = "
                      f"(SELECT id FROM host WHERE name = '{fqdn}');"))


def test_history_max_bounds_a_hosts_history(make_ddnsd):
    """A host's history does not grow without end: with history-max = 5
    each host keeps its newest 5 rows, plus at most the 32 written since
    the last trim (one row in 32 triggers it), and the other hosts'
    rows are untouched."""
    d = make_ddnsd(server={"history-max": "5"})
    add_user(d, "alice")
    busy, quiet = "busy.dyn.example", "quiet.dyn.example"
    ok(d, "host", "add", busy, "--owner", "alice", "--ipv4", "198.51.100.1")
    ok(d, "host", "add", quiet, "--owner", "alice", "--ipv4", "192.0.2.1")
    for i in range(2, 5):
        ok(d, "host", "set", quiet, "--ipv4", f"192.0.2.{i}")
    for i in range(2, 122):
        ok(d, "host", "set", busy, "--ipv4", f"198.51.100.{i}")
    n = history_count(d, busy)
    assert 5 <= n <= 5 + 32, f"{busy} keeps {n} history rows"
    hist = ok_json(d, "host", "show", busy)["history"]
    # The newest rows are the ones kept, newest first.
    for row, i in zip(hist[:5], range(121, 116, -1)):
        assert f"198.51.100.{i}" in row["new"], (i, row)
    assert history_count(d, quiet) == 3
    assert values(d, busy, "A") == {"198.51.100.121"}


def test_history_keep_expires_old_rows(make_ddnsd):
    """Rows older than history-keep are deleted by the housekeeping that
    runs every 5 s; a newer row stays, and the host itself is untouched."""
    d = make_ddnsd(server={"history-keep": "3s"})
    add_user(d, "alice")
    h = "old.dyn.example"
    ok(d, "host", "add", h, "--owner", "alice", "--ipv4", "198.51.100.1")
    for i in range(2, 6):
        ok(d, "host", "set", h, "--ipv4", f"198.51.100.{i}")
    assert history_count(d, h) == 4
    audit_before = len(ok_json(d, "audit"))
    wait_for("the old history to expire", lambda: history_count(d, h) == 0, timeout=30)
    ok(d, "host", "set", h, "--ipv4", "198.51.100.9")
    hist = ok_json(d, "host", "show", h)["history"]
    assert len(hist) == 1 and "198.51.100.9" in hist[0]["new"], hist
    assert values(d, h, "A") == {"198.51.100.9"}
    # Housekeeping is not an administrative action: the audit log only
    # gained the update.
    assert len(ok_json(d, "audit")) == audit_before + 1


def test_backup_while_updates_flow_restores_the_same_service(make_ddnsd, tmp_path):
    """ddnsctl backup copies the database while ddnsd runs and a client
    keeps changing a host: the copy is consistent and checked, readable
    by the server's user only, audited, and a server started on it
    answers as the original did (the changing host with one of the
    addresses it was given)."""
    import os
    import shutil
    import subprocess
    import threading
    from ddnstest import DDNSCTL
    d = make_ddnsd()
    add_user(d, "alice", "--max-hosts", "20")
    add_user(d, "bob", "--max-hosts", "20")
    hosts = [f"b{i}.dyn.example" for i in range(12)]
    for i, h in enumerate(hosts):
        ok(d, "host", "add", h, "--owner", "alice" if i % 2 else "bob",
           "--ipv4", f"192.0.2.{i + 1}", "--ipv6", f"2001:db8::{i + 1}")
    ok(d, "token", "add", hosts[0])
    busy = "busy.dyn.example"
    ok(d, "host", "add", busy, "--owner", "alice", "--ipv4", "198.51.100.1")
    stop, given, errors = threading.Event(), {"198.51.100.1"}, []

    def churn():
        i = 0
        while not stop.is_set():
            ip = f"198.51.100.{i % 250 + 1}"
            given.add(ip)
            r = ddnsctl(d, "host", "set", busy, "--ipv4", ip, check=False)
            if r.returncode != 0 and "nochg" not in r.stdout:
                errors.append(r.stderr)
            i += 1
    t = threading.Thread(target=churn)
    t.start()
    try:
        wait_for("the changes to flow", lambda: len(given) > 5)
        # A relative FILE is made absolute against ddnsctl's directory.
        r = subprocess.run([str(DDNSCTL), "-c", str(d.conf), "backup", "snap.db"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    finally:
        stop.set()
        t.join()
    assert not errors, errors
    path = tmp_path / "snap.db"
    assert r.returncode == 0 and r.stderr == "", r
    assert re.fullmatch(rf"backup {re.escape(str(path))}: \d+ bytes, 2 user\(s\), 13 host\(s\), "
                        r"check ok, \d+\.\d s\n", r.stdout), r.stdout
    assert os.stat(path).st_mode & 0o777 == 0o600
    rows = [a for a in ok_json(d, "audit") if a["action"] == "db.backup"]
    assert [a["target"] for a in rows] == [str(path)], rows
    # Never over an existing file; nothing is written where it fails.
    before = path.read_bytes()
    fails(d, ["backup", str(path)], "File exists")
    assert path.read_bytes() == before
    fails(d, ["backup", str(tmp_path / "no" / "such.db")], "No such file or directory")
    assert not (tmp_path / "no").exists()

    # Restore: a new server whose database is the copy.
    restored = make_ddnsd("restored", start=False, zonefiles={})
    shutil.copy(path, restored.db)
    restored.start()
    for h in hosts:
        for rdtype in ("A", "AAAA"):
            assert values(restored, h, rdtype) == values(d, h, rdtype), (h, rdtype)
    got = values(restored, busy, "A")
    assert len(got) == 1 and got <= given, got
    assert serial(restored) <= serial(d)
    assert ok(restored, "user", "list") == ok(d, "user", "list")
    assert ok_json(restored, "audit", "--verify")["intact"] is True


def test_status_reports_serials(server):
    d = server
    add_user(d, "alice")
    ok(d, "host", "add", "st.home.example", "--owner", "alice", "--ipv4", "198.51.100.40")
    st = ok_json(d, "status")
    zones = {z["zone"]: z["serial"] for z in st["zones"]}
    assert zones == {"dyn.example": serial(d), "home.example": serial(d, "home.example")}
    text = ok(d, "status")
    for z, s in zones.items():
        assert f"zone {z} serial {s}" in text


TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def test_tokens(server):
    d = server
    add_user(d, "alice")
    h = "tok.dyn.example"
    ok(d, "host", "add", h, "--owner", "alice", "--ipv4", "198.51.100.50")
    s = Serials(d)
    t1 = ok(d, "token", "add", h, "--label", "router").strip()
    t2 = ok(d, "token", "add", h).strip()
    s.same("token add")
    for t in (t1, t2):
        assert TOKEN.match(t), f"token {t!r} is not 43 characters of base64url"
        assert len(base64.urlsafe_b64decode(t + "=")) == 32
    assert t1 != t2
    t3 = ok_json(d, "token", "add", h, "--label", "phone")
    assert TOKEN.match(t3["token"]) and t3["token"] not in (t1, t2)

    show = ok(d, "host", "show", h)
    tokens = [l for l in show.splitlines() if l.startswith("token:")]
    assert len(tokens) == 3, show
    assert any("router" in l for l in tokens) and any("phone" in l for l in tokens)
    js = ok_json(d, "host", "show", h)
    assert sorted(t.get("name") or "" for t in js["tokens"]) == ["", "phone", "router"]
    everything = show + json.dumps(js) + ok(d, "audit") + ok(d, "host", "list")
    for t in (t1, t2, t3["token"]):
        assert t not in everything, "a token's secret is shown after its creation"
    # Stored only as a hash: the secret is nowhere in the database files.
    blob = b"".join(p.read_bytes() for p in d.dir.glob("ddnsd.db*"))
    for t in (t1, t2, t3["token"]):
        assert t.encode() not in blob
        assert base64.urlsafe_b64decode(t + "=") not in blob


def test_tsig_add(server):
    d = server
    add_user(d, "alice")
    ok(d, "host", "add", "ts.dyn.example", "--owner", "alice", "--ipv4", "198.51.100.60")
    out = ok(d, "tsig", "add", "ts-key.", "--host", "ts.dyn.example")
    m = re.search(r'key "ts-key\." \{\s*algorithm hmac-sha256;\s*secret "([A-Za-z0-9+/=]+)";', out)
    assert m, out
    secret = base64.b64decode(m.group(1), validate=True)
    assert len(secret) == 32
    assert f"hmac-sha256:ts-key.:{m.group(1)}" in out, "the knsupdate -y form"

    js = ok_json(d, "tsig", "add", "xfr-key", "--algorithm", "hmac-sha512")
    assert js["key"] == "xfr-key" and js["algorithm"] == "hmac-sha512"
    assert len(base64.b64decode(js["secret"], validate=True)) == 64
    other = ok_json(d, "tsig", "add", "xfr-key2")
    assert other["secret"] != m.group(1) and other["secret"] != js["secret"]
    fails(d, ["tsig", "add", "xfr-key"], r"xfr-key already exists")
    actions = [(a["action"], a["target"]) for a in ok_json(d, "audit")]
    assert ("tsig.add", "ts-key.") in actions and ("tsig.add", "xfr-key") in actions
    assert m.group(1) not in ok(d, "audit")


# ---------------------------------------------------------------- suspension

def many_hosts(d, n=50):
    """A user with n hosts in dyn.example (through the control socket, for
    speed), each with an A and an AAAA record."""
    with ctlclient.CtlClient(ddnsd_control_socket(d)) as c:
        c.call("user.add", name="many", password=PW, max_hosts=n + 10)
        names = []
        for i in range(n):
            name = f"m{i:02d}.dyn.example"
            c.call("host.add", name=name, owner="many", ipv4=f"198.51.100.{i + 100}",
                   ipv6=f"2001:db8:1::{i + 100:x}")
            names.append(name)
    return names


# Names the imported zone answers positively (tests/system/data).
ZONE_POSITIVE = [("host1.dyn.example", "A"), ("host1.dyn.example", "AAAA"),
                 ("host1.dyn.example", "TXT"), ("mail.dyn.example", "A"),
                 ("www.dyn.example", "A"), ("dyn.example", "MX"),
                 ("dyn.example", "NS"), ("chain1.dyn.example", "A")]


@pytest.mark.parametrize("mode", ["nxdomain", "sinkhole"])
def test_suspend_and_resume(make_ddnsd, mode):
    zones = dict(ZONES)
    if mode == "sinkhole":
        zones["dyn.example"] = ZONES["dyn.example"] + [
            ("suspended", "sinkhole:192.0.2.1,2001:db8::1")]
    d = make_ddnsd(zones=zones)
    others = many_hosts(d)
    add_user(d, "mallory")
    h = "bad.dyn.example"
    ok(d, "host", "add", h, "--owner", "mallory", "--ipv4", "203.0.113.66",
       "--ipv6", "2001:db8::66")
    ok(d, "host", "set", h, "--txt", "hello", "--mx", "mx.example.net",
       "--wildcard", "on", "--acme-add", "acme-value")
    target = [(prefix + h, t) for prefix, t in HOST_QUERIES]
    queries = [(n, t) for n in others for t in ("A", "AAAA")] + ZONE_POSITIVE
    before = {q: raw(d, *q) for q in queries}
    for q, wire in before.items():
        m = parse(b"\0\0" + wire)
        assert m.rcode() == dns.rcode.NOERROR and m.answer and not m.authority, \
            f"{q} should be a positive answer"
    target_before = {q: raw(d, *q) for q in target}
    s = Serials(d)

    out = ok(d, "host", "suspend", h, "--reason", "phishing site", "--evidence", "ticket 4711")
    assert out.strip() == f"suspended host {h}"
    s.bumped("host suspend")
    if mode == "nxdomain":
        for q in target:
            assert answer(d, *q)[0] == "NXDOMAIN", f"{q} of a suspended host"
    else:
        assert values(d, h, "A") == {"192.0.2.1"}
        assert values(d, h, "AAAA") == {"2001:db8::1"}
        for q in ((h, "TXT"), (h, "MX"), ("_acme-challenge." + h, "TXT")):
            assert answer(d, *q)[1] == set(), f"{q} of a sinkholed host"
        for t, real in (("A", "203.0.113.66"), ("AAAA", "2001:db8::66")):
            rcode, rrs = answer(d, "sub." + h, t)
            assert real not in {x for _, x in rrs}, "the wildcard still answers"
    show = ok_json(d, "host", "show", h)
    assert show["state"] == "suspended" and show["reason"] == "phishing site"
    assert [l for l in ok(d, "host", "list").splitlines() if l.startswith(h)][0] \
        .split("\t")[3] == "suspended"
    audit = ok_json(d, "audit")[-1]
    assert (audit["action"], audit["target"], audit["reason"], audit["evidence"]) == \
        ("host.suspend", h, "phishing site", "ticket 4711")
    after = {q: raw(d, *q) for q in queries}
    changed = [q for q in queries if before[q] != after[q]]
    assert not changed, f"suspending {h} changed other answers: {changed}"
    # A suspended host cannot be updated round the suspension.
    fails(d, ["host", "set", h, "--ipv4", "203.0.113.67"], r"suspended")
    s.same("refused update of a suspended host")

    assert ok(d, "host", "resume", h).strip() == f"resumed host {h}"
    s.bumped("host resume")
    for q in target:
        now = raw(d, *q)
        if parse(b"\0\0" + now).authority:
            # Negative answers carry the SOA, whose serial moved on.
            assert parse(b"\0\0" + now).rcode() == parse(b"\0\0" + target_before[q]).rcode()
        else:
            assert now == target_before[q], f"{q} not restored byte for byte"
    assert values(d, "sub." + h, "A") == {"203.0.113.66"}
    assert values(d, "_acme-challenge." + h, "TXT") == {'"acme-value"'}
    assert ok_json(d, "host", "show", h)["state"] == "active"
    after = {q: raw(d, *q) for q in queries}
    assert all(before[q] == after[q] for q in queries)


# ---------------------------------------------------------------- restart

def populate(d):
    add_user(d, "alice", "--email", "alice@example.org", "--max-hosts", "8")
    add_user(d, "bob", "--max-hosts", "1")
    ok(d, "host", "add", "full.dyn.example", "--owner", "alice", "--ipv4", "198.51.100.71",
       "--ipv6", "2001:db8::71", "--ttl", "90")
    ok(d, "host", "set", "full.dyn.example", "--txt", "one", "--txt", "two",
       "--acme-add", "acme-1", "--mx", "mx.example.net", "--mx-pref", "15",
       "--wildcard", "on")
    ok(d, "host", "add", "bare.dyn.example", "--owner", "alice")
    ok(d, "host", "add", "off.home.example", "--owner", "alice", "--ipv4", "198.51.100.72")
    ok(d, "host", "set", "off.home.example", "--offline", "on")
    ok(d, "host", "add", "sus.dyn.example", "--owner", "alice", "--ipv4", "198.51.100.73")
    ok(d, "host", "suspend", "sus.dyn.example", "--reason", "spam", "--evidence", "ref-1")
    ok(d, "host", "add", "bob.home.example", "--owner", "bob", "--ipv6", "2001:db8::74")
    ok(d, "token", "add", "full.dyn.example", "--label", "router")
    ok(d, "token", "add", "bob.home.example")
    ok(d, "tsig", "add", "full-key", "--host", "full.dyn.example")
    ok(d, "host", "set", "full.dyn.example", "--ipv4", "198.51.100.75")


def test_restart_keeps_everything(server):
    d = server
    populate(d)
    extra = ZONE_POSITIVE + [("nothere.dyn.example", "A"), ("host1.dyn.example", "MX")]
    before = snapshot(d, extra)
    assert len(before["shows"]["full.dyn.example"]["tokens"]) == 1
    assert len(before["shows"]["full.dyn.example"]["history"]) == 2
    verify = ok_json(d, "audit", "--verify")
    assert verify["intact"] is True and verify["rows"] == len(before["audit"])
    d.stop()
    d.start()
    after = snapshot(d, extra)
    assert before == after, "after a restart:\n" + diff(before, after)
    assert ok_json(d, "audit", "--verify") == verify
    assert sqlite(d.db, "SELECT name, algorithm FROM tsig;").split() == \
        ["full-key|hmac-sha256"]
    # The serial goes on from where it was.
    s = Serials(d)
    ok(d, "host", "set", "full.dyn.example", "--ipv4", "198.51.100.76")
    s.bumped("host set after a restart")
    assert values(d, "full.dyn.example", "A") == {"198.51.100.76"}


# ---------------------------------------------------------------- audit

def test_audit_verify_intact(server):
    d = server
    populate(d)
    rows = ok_json(d, "audit")
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    actions = [r["action"] for r in rows]
    for a in ("user.add", "host.add", "host.update", "host.suspend", "token.add", "tsig.add"):
        assert a in actions
    text = ok(d, "audit", "--verify")
    assert re.match(rf"audit chain intact: {len(rows)} rows, head [0-9a-f]{{64}}$", text.strip())


TAMPER = {
    "edit": "UPDATE audit SET target = 'someone-else.dyn.example' WHERE id = 4;",
    "edit-reason": "UPDATE audit SET reason = 'nothing to see' WHERE id = 4;",
    "delete": "DELETE FROM audit WHERE id = 4;",
    "swap": """
        CREATE TEMP TABLE t AS SELECT * FROM audit WHERE id IN (4, 5);
        UPDATE audit SET (time, actor, action, target, reason, evidence, prev, hash) =
          (SELECT time, actor, action, target, reason, evidence, prev, hash
             FROM t WHERE t.id = 9 - audit.id) WHERE id IN (4, 5);
    """,
}


@pytest.mark.parametrize("how", list(TAMPER))
def test_audit_verify_detects_tampering(server, how):
    d = server
    populate(d)
    rows = len(ok_json(d, "audit"))
    assert rows > 6
    ok(d, "audit", "--verify")
    d.stop()
    before = sqlite(d.db, "SELECT id, target, reason FROM audit ORDER BY id;")
    sqlite(d.db, TAMPER[how])
    assert sqlite(d.db, "SELECT id, target, reason FROM audit ORDER BY id;") != before
    d.start()
    line = fails(d, ["audit", "--verify"], r"\brow 4\b")
    assert "intact" not in line or "not intact" in line


# ---------------------------------------------------------------- bad input

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One server with some state for the bad-argument tests (none of which
    may change anything)."""
    d = Ddnsd(tmp_path_factory.mktemp("world"))
    try:
        d.start()
        populate(d)
        add_user(d, "carl", "--max-hosts", "5")
        yield d
        d.stop()
    finally:
        d.cleanup()


BAD = [
    # (id, args, stdin, reason regex)
    ("unknown-option", ["host", "add", "new.dyn.example", "--owner", "carl", "--bogus"],
     None, r"unknown option --bogus"),
    ("unknown-option-set", ["host", "set", "full.dyn.example", "--ipv4", "198.51.100.9",
                            "--colour", "red"], None, r"unknown option --colour"),
    ("missing-owner", ["host", "add", "new.dyn.example"], None, r"owner"),
    ("owner-without-value", ["host", "add", "new.dyn.example", "--owner"], None,
     r"--owner needs a value"),
    ("bad-ipv4-add", ["host", "add", "new.dyn.example", "--owner", "carl", "--ipv4",
                      "198.51.100.300"], None, r"'198\.51\.100\.300' is not an IPv4 address"),
    ("bad-ipv4-set", ["host", "set", "full.dyn.example", "--ipv4", "1.2.3"], None,
     r"'1\.2\.3' is not an IPv4 address"),
    ("ipv6-as-ipv4", ["host", "set", "full.dyn.example", "--ipv4", "2001:db8::5"], None,
     r"not an IPv4 address"),
    ("bad-ipv6", ["host", "set", "full.dyn.example", "--ipv6", "2001:db8::zz"], None,
     r"'2001:db8::zz' is not an IPv6 address"),
    ("ttl-0", ["host", "set", "full.dyn.example", "--ttl", "0"], None, r"ttl .*1 to 86400"),
    ("ttl-999999", ["host", "set", "full.dyn.example", "--ttl", "999999"], None,
     r"ttl .*1 to 86400"),
    ("ttl-0-add", ["host", "add", "new.dyn.example", "--owner", "carl", "--ttl", "0"], None,
     r"ttl .*1 to 86400"),
    ("ttl-text", ["host", "set", "full.dyn.example", "--ttl", "abc"], None, r"'abc' is not a number"),
    ("unknown-host-set", ["host", "set", "nohost.dyn.example", "--ipv4", "198.51.100.9"],
     None, r"no host nohost\.dyn\.example"),
    ("unknown-host-show", ["host", "show", "nohost.dyn.example"], None, r"no host nohost"),
    ("unknown-host-del", ["host", "del", "nohost.dyn.example"], None, r"no host nohost"),
    ("unknown-host-suspend", ["host", "suspend", "nohost.dyn.example", "--reason", "x"], None,
     r"no host nohost"),
    ("unknown-host-token", ["token", "add", "nohost.dyn.example"], None, r"no host nohost"),
    ("unknown-host-tsig", ["tsig", "add", "k9", "--host", "nohost.dyn.example"], None,
     r"no host nohost"),
    ("unknown-user-add", ["host", "add", "new.dyn.example", "--owner", "nobody"], None,
     r"no user nobody"),
    ("unknown-user-del", ["user", "del", "nobody"], None, r"no user nobody"),
    ("unknown-user-list", ["host", "list", "--owner", "nobody"], None, r"no user nobody"),
    ("duplicate-host", ["host", "add", "full.dyn.example", "--owner", "carl"], None,
     r"full\.dyn\.example already exists"),
    ("duplicate-host-bare", ["host", "add", "bare.dyn.example", "--owner", "carl"], None,
     r"bare\.dyn\.example already exists"),
    ("duplicate-host-case", ["host", "add", "SUS.Dyn.Example.", "--owner", "carl"], None,
     r"sus\.dyn\.example already exists"),
    ("zone-record-name", ["host", "add", "host1.dyn.example", "--owner", "carl"], None,
     r"host1\.dyn\.example"),
    ("duplicate-user", ["user", "add", "alice"], PW + "\n", r"alice already exists"),
    ("reserved", ["host", "add", "admin.dyn.example", "--owner", "carl"], None,
     r"admin\.dyn\.example is reserved"),
    ("reserved-other-zone", ["host", "add", "hostmaster.home.example", "--owner", "carl"],
     None, r"hostmaster\.home\.example is reserved"),
    ("outside-zones", ["host", "add", "x.other.example", "--owner", "carl"], None,
     r"x\.other\.example is not in a zone"),
    ("zone-apex", ["host", "add", "dyn.example", "--owner", "carl"], None, r"zone"),
    ("over-quota", ["host", "add", "second.home.example", "--owner", "bob"], None,
     r"bob already has 1 of 1 hosts"),
    ("underscore", ["host", "add", "a_b.dyn.example", "--owner", "carl"], None,
     r"'a_b' contains '_'"),
    ("hyphen", ["host", "add", "-x.dyn.example", "--owner", "carl"], None,
     r"'-x' starts with a hyphen"),
    ("password-short", ["user", "add", "dave"], "short\n", r"8 to 1024"),
    ("password-long", ["user", "add", "dave"], "x" * 1025 + "\n", r"8 to 1024"),
    ("password-none", ["user", "add", "dave"], "", r"password"),
    ("bad-email", ["user", "add", "dave", "--email", "not-an-address"], PW + "\n",
     r"not an e-mail address"),
    ("bad-max-hosts", ["user", "add", "dave", "--max-hosts", "-1"], PW + "\n", r"max_hosts"),
    ("suspend-no-reason", ["host", "suspend", "full.dyn.example"], None,
     r"needs a reason"),
    ("suspend-empty-reason", ["host", "suspend", "full.dyn.example", "--reason", ""], None,
     r"needs a reason"),
    ("suspend-twice", ["host", "suspend", "sus.dyn.example", "--reason", "again"], None,
     r"already suspended"),
    ("resume-active", ["host", "resume", "full.dyn.example"], None,
     r"full\.dyn\.example is not suspended"),
    ("set-suspended", ["host", "set", "sus.dyn.example", "--ipv4", "198.51.100.9"], None,
     r"suspended"),
    ("bad-wildcard", ["host", "set", "full.dyn.example", "--wildcard", "maybe"], None,
     r"--wildcard takes on or off"),
    ("bad-mx", ["host", "set", "full.dyn.example", "--mx", "bad..name"], None, r"mx"),
    ("bad-mx-pref", ["host", "set", "full.dyn.example", "--mx", "mx.example.net",
                     "--mx-pref", "70000"], None, r"mx_pref .*0 to 65535"),
    ("bad-mx-pref-alone", ["host", "set", "full.dyn.example", "--mx-pref", "70000"], None,
     r"mx_pref .*0 to 65535"),
    ("nothing-to-change", ["host", "set", "full.dyn.example"], None, r"nothing to change"),
    ("bad-algorithm", ["tsig", "add", "k9", "--algorithm", "hmac-md5"], None,
     r"hmac-sha256 or hmac-sha512"),
    ("duplicate-tsig", ["tsig", "add", "full-key"], None, r"full-key already exists"),
    ("extra-argument", ["audit", "--verify", "extra"], None, r"unexpected argument 'extra'"),
    ("zone-import-running", ["zone", "import", "dyn.example", str(DATA / "dyn.example.zone")],
     None, r"running ddnsd"),
]


@pytest.mark.parametrize("args,stdin,reason", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments_change_nothing(world, args, stdin, reason):
    d = world
    before = snapshot(d)
    fails(d, args, reason, input=stdin)
    after = snapshot(d)
    assert before == after, f"ddnsctl {' '.join(args)} changed:\n" + diff(before, after)


@pytest.mark.parametrize("args,names", [(["frobnicate"], "frobnicate"),
                                        (["host", "frob"], "frob")],
                         ids=["unknown-command", "unknown-subcommand"])
def test_unknown_command(world, args, names):
    """The reason names what was not understood; the usage may follow."""
    d = world
    before = snapshot(d)
    fails(d, args, rf"unknown command '[^']*{names}'", usage_may_follow=True)
    assert snapshot(d) == before


# ---------------------------------------------------------------- export / import

def test_export_import_round_trip(make_ddnsd):
    """A user can take their data and leave; an operator can move servers:
    an export imported into a fresh server gives the same users, hosts,
    tokens, history, audit chain and byte-identical DNS answers."""
    a = make_ddnsd("a")
    populate(a)
    dump = ok(a, "export")
    data = json.loads(dump)
    assert data["format"] == "ddnsd-export" and data["version"] == 1
    # No secret leaves in clear: tokens are hashes, passwords argon2id.
    assert all(u["pwhash"].startswith("$argon2id$") for u in data["users"])
    extra = ZONE_POSITIVE + [("nothere.dyn.example", "A")]
    before = snapshot(a, extra)

    b = make_ddnsd("b", zonefiles={})
    out = ok(b, "import", input=dump)
    assert out.strip() == "imported 2 zone(s), 2 user(s), 5 host(s)"
    after = snapshot(b, extra)
    assert after == before, diff(before, after)
    assert ok_json(b, "audit", "--verify")["head"] == ok_json(a, "audit", "--verify")["head"]

    # Importing again, into a server that is no longer empty, changes nothing.
    r = ddnsctl(b, "import", input=dump, check=False)
    assert r.returncode == 1
    assert "needs an empty one" in r.stderr
    assert snapshot(b, extra) == after

    # And the moved server goes on: a change raises the serial from the
    # imported one.
    s = Serials(b)
    ok(b, "host", "set", "full.dyn.example", "--ipv4", "198.51.100.76")
    s.bumped("host set after import")
    assert values(b, "full.dyn.example", "A") == {"198.51.100.76"}


def test_import_rejects_garbage(make_ddnsd):
    b = make_ddnsd("b", zonefiles={})
    before = snapshot(b)
    for text, reason in (("not json", "not JSON"),
                         ('{"format": "other"}', "not a ddnsd export"),
                         ('{"format": "ddnsd-export", "version": 1, "zones": '
                          '[{"name": "unknown.example", "serial": 5, "records": []}]}',
                          "not configured")):
        r = ddnsctl(b, "import", input=text, check=False)
        assert r.returncode == 1, text
        assert reason in r.stderr, (text, r.stderr)
        assert snapshot(b) == before
