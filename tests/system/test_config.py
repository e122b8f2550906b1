# SPDX-License-Identifier: GPL-3.0-or-later
"""Configuration checking, start-up errors, clean shutdown and restart."""
import signal
import socket
import subprocess

import dns.rcode
import pytest

from ddnstest import DDNSD, Ddnsd, free_port, require, rrset_set

GOOD = """[server]
dns-listen = 127.0.0.1:{port}, [::1]:{port}
database = {dir}/ddnsd.db
control-socket = /tmp/ddnsd-check-{port}.sock
workers = 2
identity = ns1.dyn.example
version = ddnsd-test
tcp-idle-timeout = 10
tcp-msg-timeout = 2000
tcp-max-clients = 1000

[zone dyn.example]
ns = ns1.dyn.example, ns2.dyn.example
glue = ns1.dyn.example 192.0.2.53
glue = ns2.dyn.example 192.0.2.54
soa-rname = hostmaster.dyn.example
ttl = 60
soa-ttl = 3600
soa-minimum = 60
"""


def check(path):
    return subprocess.run([require(DDNSD), "-c", str(path), "--check"],
                          capture_output=True, text=True, timeout=30)


def write(tmp_path, text, name="ddnsd.conf"):
    p = tmp_path / name
    p.write_text(text.format(port=free_port(), dir=tmp_path))
    return p


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def assert_check_fails(path, line, *words):
    r = check(path)
    assert r.returncode == 1, f"--check exited {r.returncode} for a bad file:\n{r.stderr}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line reason, got:\n{r.stderr}"
    msg = lines[0]
    prefix = f"{path}:{line}:" if line else f"{path}"
    assert prefix in msg, f"expected '{prefix}' in: {msg}"
    for w in words:
        assert w in msg, f"expected '{w}' in: {msg}"
    return msg


def test_good_file(tmp_path):
    p = write(tmp_path, GOOD)
    r = check(p)
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stderr.lower()


def test_unknown_key(tmp_path):
    text = GOOD.replace("workers = 2\n", "workers = 2\nfoo = bar\n")
    p = write(tmp_path, text)
    assert_check_fails(p, line_of(text, "foo = bar"), "unknown key 'foo'", "[server]")


def test_unknown_key_in_zone(tmp_path):
    text = GOOD + "colour = blue\n"
    p = write(tmp_path, text)
    assert_check_fails(p, line_of(text, "colour"), "colour")


@pytest.mark.parametrize("old,new,word", [
    ("workers = 2", "workers = many", "workers"),
    ("tcp-idle-timeout = 10", "tcp-idle-timeout = -5", "tcp-idle-timeout"),
    ("ttl = 60", "ttl = 60s", "ttl"),
    ("glue = ns1.dyn.example 192.0.2.53", "glue = ns1.dyn.example 192.0.2.999", "glue"),
    ("soa-rname = hostmaster.dyn.example", "soa-rname = not a name", "soa-rname"),
    ("dns-listen = 127.0.0.1:{port}, [::1]:{port}", "dns-listen = 127.0.0.1", "dns-listen"),
])
def test_bad_value(tmp_path, old, new, word):
    assert old in GOOD
    text = GOOD.replace(old, new)
    p = write(tmp_path, text)
    assert_check_fails(p, line_of(text, new.split(" =")[0] + " ="), word)


def test_missing_ns(tmp_path):
    text = GOOD.replace("ns = ns1.dyn.example, ns2.dyn.example\n", "")
    p = write(tmp_path, text)
    assert_check_fails(p, line_of(text, "[zone dyn.example]"), "ns")


def test_missing_file(tmp_path):
    p = tmp_path / "nonexistent.conf"
    assert_check_fails(p, None)


def run_failing(conf):
    """Runs ddnsd, which must exit by itself, non-zero; returns its stderr."""
    proc = subprocess.Popen([require(DDNSD), "-c", str(conf)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("ddnsd kept running despite the start-up error")
    assert proc.returncode != 0, f"ddnsd exited 0 despite the start-up error:\n{err}"
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines, "no reason printed"
    return lines[-1]


@pytest.mark.parametrize("kind", [socket.SOCK_DGRAM, socket.SOCK_STREAM], ids=["udp", "tcp"])
def test_port_in_use(tmp_path, kind):
    d = Ddnsd(tmp_path / "busy")
    try:
        with socket.socket(socket.AF_INET, kind) as blocker:
            blocker.bind(("127.0.0.1", d.port))
            if kind == socket.SOCK_STREAM:
                blocker.listen()
            reason = run_failing(d.conf)
            assert str(d.port) in reason or "in use" in reason.lower(), \
                f"the reason does not name the port: {reason}"
    finally:
        d.cleanup()


def test_unreadable_database(tmp_path):
    d = Ddnsd(tmp_path / "baddb", zonefiles={})
    try:
        d.db.write_bytes(b"this is not an SQLite database\n" * 100)
        reason = run_failing(d.conf)
        assert str(d.db) in reason or "database" in reason.lower(), reason
    finally:
        d.cleanup()


def test_sigterm_exits_zero(make_ddnsd):
    d = make_ddnsd()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(20) == 0
    assert not d.error_lines(), d.error_lines()


QUERIES = [("dyn.example", "SOA"), ("dyn.example", "NS"), ("host1.dyn.example", "A"),
           ("host1.dyn.example", "AAAA"), ("chain1.dyn.example", "A"),
           ("x.y.alice.dyn.example", "TXT"), ("c.dyn.example", "A"),
           ("nothere.dyn.example", "A"), ("bigtxt.dyn.example", "TXT"),
           ("box.home.example", "A"), ("ns2.dyn.example", "AAAA")]


def snapshot(d, mask_serial=False):
    def rrs(section):
        out = rrset_set(section)
        if mask_serial:  # SOA "mname rname SERIAL refresh ..." -> serial dropped
            out = {t[:4] + (" ".join(t[4].split()[:2] + t[4].split()[3:]),)
                   if t[3] == "SOA" else t for t in out}
        return out
    out = {}
    for qname, rdtype in QUERIES:
        r = d.query(qname, rdtype, tcp=True)
        out[(qname, rdtype)] = (r.rcode(), r.flags, rrs(r.answer), rrs(r.authority))
    return out


def test_restart_same_answers(make_ddnsd):
    d = make_ddnsd()
    first = snapshot(d)
    assert first[("host1.dyn.example", "A")][0] == dns.rcode.NOERROR
    d.stop()
    d.start()
    second = snapshot(d)
    for k in first:
        assert first[k] == second[k], f"{k} changed across a restart:\n{first[k]}\n{second[k]}"


def test_export_round_trip(make_ddnsd):
    d = make_ddnsd(start=False)
    text = d.export_zone("dyn.example")
    assert "SOA" in text and "ns1.dyn.example" in text
    # Re-import what was exported: the zone answers the same.
    path = d.dir / "exported.zone"
    path.write_text(text)
    d.start()
    before = snapshot(d, mask_serial=True)
    serial = d.query("dyn.example", "SOA").answer[0][0].serial
    d.stop()
    d.import_zone("dyn.example", path)
    d.start()
    after = snapshot(d, mask_serial=True)
    for k in before:
        assert before[k] == after[k], f"{k} differs after export + import"
    assert d.query("dyn.example", "SOA").answer[0][0].serial >= serial, \
        "the SOA serial went backwards"
