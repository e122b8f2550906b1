# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS (with HTTP/2 when offered) and the access log: one JSON line per
request, without secrets."""

import calendar
import json
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.request

import pytest

from ddnstest import (DDNSD, REPO, Ddnsd, addrs, free_port, http_request, make_cert,
                      new_account, start_http_ddnsd, wait_for)


@pytest.fixture
def tls_server(tmp_path):
    cert, key = make_cert(tmp_path)
    tls_port = free_port()
    log = tmp_path / "access.log"
    d = start_http_ddnsd(tmp_path / "d", server={
        "https-listen": f"127.0.0.1:{tls_port}",
        "tls-certificate": str(cert), "tls-key": str(key),
        "access-log": str(log)})
    d.tls_port, d.cert, d.access = tls_port, cert, log
    yield d
    d.stop()
    d.cleanup()


def https_get(d, path, auth=None):
    ctx = ssl.create_default_context(cafile=str(d.cert))
    ctx.check_hostname = False
    req = urllib.request.Request(f"https://127.0.0.1:{d.tls_port}{path}",
                                 headers={"User-Agent": "ddnsd-test/1"})
    if auth:
        import base64
        req.add_header("Authorization", "Basic " +
                       base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return r.status, r.read().decode()


def test_update_over_https(tls_server):
    d = tls_server
    acc = new_account(d)
    host = acc["hosts"][0]
    status, body = https_get(d, f"/nic/update?hostname={host}&myip=203.0.113.61",
                             auth=(acc["user"], acc["password"]))
    assert (status, body.strip()) == (200, "good 203.0.113.61")
    assert addrs(d.port, host, "A") == {"203.0.113.61"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_http2_is_offered(tls_server):
    d = tls_server
    r = subprocess.run(["curl", "-s", "--http2", "--cacert", str(d.cert), "-k",
                        "-o", "/dev/null", "-w", "%{http_version}",
                        f"https://127.0.0.1:{d.tls_port}/checkip"],
                       capture_output=True, text=True, check=True)
    assert r.stdout == "2"


def test_bad_certificate_fails_start(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    d = Ddnsd(tmp_path / "d", server={"https-listen": f"127.0.0.1:{free_port()}",
                                       "tls-certificate": str(bad), "tls-key": str(bad)})
    r = subprocess.run([str(DDNSD), "-c", str(d.conf)], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0
    assert "tls-certificate" in r.stderr


def test_access_log_lines_without_secrets(tls_server):
    d = tls_server
    acc = new_account(d, token=True)
    host = acc["hosts"][0]
    token = acc["token"]
    label = host.split(".")[0]
    p = d.http_port
    r1 = http_request(p, f"/nic/update?hostname={host}&myip=203.0.113.62",
                      auth=(acc["user"], acc["password"]))
    r2 = http_request(p, f"/update?domains={label}&token={token}&ip=203.0.113.63")
    r3 = http_request(p, f"/update/{label}/{token}/203.0.113.64")
    r4 = http_request(p, f"/nic/update?hostname={host}", auth=(host, token))
    assert [r.status for r in (r1, r2, r3, r4)] == [200] * 4
    # Each thread writes its gathered lines within a tenth of a second or
    # so of answering them; the threads' lines are in time order each, not
    # among each other, so each request's line is found by what it asked.
    wait_for("four update lines", lambda: sum(
        json.loads(x)["path"].startswith(("/nic/update", "/update"))
        for x in d.access.read_text().splitlines()) >= 4, timeout=10)
    lines = [json.loads(x) for x in d.access.read_text().splitlines()]
    text = d.access.read_text()
    assert token not in text
    assert acc["password"] not in text
    updates = [x for x in lines if x["path"].startswith(("/nic/update", "/update"))]
    assert len(updates) == 4, lines

    def one(pred):
        found = [x for x in updates if pred(x["path"])]
        assert len(found) == 1, updates
        return found[0]
    u1 = one(lambda p: "myip=203.0.113.62" in p)
    assert u1["result"] == "good 203.0.113.62"
    assert u1["user"] == acc["user"]
    assert "token=***" in one(lambda p: p.startswith("/update?"))["path"]
    assert one(lambda p: p.startswith("/update/"))["path"] == f"/update/{label}/***/203.0.113.64"
    assert one(lambda p: p == f"/nic/update?hostname={host}")["user"] == host
    assert all(x["client"] == "127.0.0.1" and x["status"] == 200 for x in updates)
    # The time to the millisecond (UTC), and how long the answer took.
    now = time.time()
    for x in updates:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", x["time"]), x
        when = calendar.timegm(time.strptime(x["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        assert now - 60 < when + int(x["time"][20:23]) / 1000 <= now, (x, now)
        assert isinstance(x["ms"], float) and 0 <= x["ms"] < 10000, x
    assert all(re.search(r',"ms":\d+\.\d{3}[,}]', line)
               for line in text.splitlines() if "/update" in line), text


def test_access_log_lines_stay_json_whatever_the_request_holds(tls_server):
    """Quotes, backslashes and control characters (a tab: HTTP allows no
    other in a header) are escaped; bytes that
    are not UTF-8 become U+FFFD; valid UTF-8 stays as it is. Every line is
    one JSON object, and many requests on one connection give one line
    each, in order."""
    import socket
    d = tls_server
    agent = b'a"b\\c\t\xc3\xa9\xff'
    reqs = b"".join(b"GET /checkip?n=%d&x=\xe2\x82 HTTP/1.1\r\nHost: x\r\nUser-Agent: " % i +
                    agent + b"\r\n\r\n" for i in range(20))
    with socket.create_connection(("127.0.0.1", d.http_port), timeout=10) as s:
        s.sendall(reqs)
        got = b""
        while got.count(b"Current IP Address") < 20:
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk

    def checkip_lines():
        return [json.loads(x) for x in d.access.read_text().splitlines()
                if "/checkip?n=" in x]
    lines = wait_for("20 lines", lambda: len(checkip_lines()) >= 20 and checkip_lines(),
                     timeout=10)
    assert [x["path"] for x in lines] == [f"/checkip?n={i}&x=\ufffd\ufffd" for i in range(20)]
    assert all(x["agent"] == 'a"b\\c\t\u00e9\ufffd' for x in lines)
    assert all(x["status"] == 200 and x["user"] is None and x["result"] == "127.0.0.1"
               for x in lines)


def test_connections_per_address_are_capped(tmp_path):
    import socket
    d = start_http_ddnsd(tmp_path / "d", server={"http-conns-per-ip": "4"})
    try:
        socks = [socket.create_connection(("127.0.0.1", d.http_port)) for _ in range(10)]
        answered = 0
        for s in socks:
            s.settimeout(2)
            try:
                s.sendall(b"GET /checkip HTTP/1.1\r\nHost: x\r\n\r\n")
                answered += bool(s.recv(100))
            except OSError:
                pass
        assert 1 <= answered <= 4, answered
        for s in socks:
            s.close()
        # Closed connections give their places back (once the server has
        # seen them close).
        d.assert_alive()
        import time
        deadline = time.monotonic() + 10
        while True:
            try:
                r = http_request(d.http_port, "/checkip", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the cap never released its places"
                time.sleep(0.05)
        assert r.status == 200
    finally:
        d.stop()
        d.cleanup()


def numbered(path):
    """The n= of every /checkip?n= line of an access log file, sorted (two
    HTTP threads write their lines each in its own order)."""
    if not path.exists():
        return []
    return sorted(int(json.loads(x)["path"].split("n=")[1]) for x in path.read_text().splitlines()
            if "/checkip?n=" in x)


@pytest.mark.skipif(shutil.which("logrotate") is None, reason="logrotate not installed")
def test_logrotate_with_the_shipped_config_loses_no_line(tmp_path):
    """dist/ddnsd.logrotate run by the real logrotate: it moves the access
    log and signals ddnsd (SIGUSR1), which writes on into a new file;
    every request is in exactly one of the two. SIGHUP reopens it too."""
    log = tmp_path / "access.log"
    d = start_http_ddnsd(tmp_path / "d", server={"access-log": str(log)})
    try:
        def ask(lo, hi):
            for i in range(lo, hi):
                assert http_request(d.http_port, f"/checkip?n={i}").status == 200
        ask(0, 50)
        wait_for("50 lines", lambda: len(numbered(log)) == 50, timeout=10)
        shipped = (REPO / "dist" / "ddnsd.logrotate").read_text()
        assert "/var/log/ddnsd/access.log {" in shipped and "pkill -USR1 -x ddnsd" in shipped
        conf = tmp_path / "logrotate.conf"
        conf.write_text(shipped.replace("/var/log/ddnsd/access.log", str(log)).replace(
            "systemctl kill --signal=USR1 ddnsd.service 2>/dev/null || pkill -USR1 -x ddnsd",
            f"kill -USR1 {d.proc.pid}"))
        r = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"), str(conf)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        rotated = tmp_path / "access.log.1"
        assert numbered(rotated) == list(range(50))
        wait_for("the reopen", lambda: "reopened the access log" in d.log_tail(), timeout=10)
        ask(50, 80)
        wait_for("30 new lines", lambda: len(numbered(log)) == 30, timeout=10)
        assert numbered(log) == list(range(50, 80))
        assert numbered(rotated) == list(range(50))
        # SIGHUP (a reload) opens it anew as well.
        log.rename(tmp_path / "access.log.x")
        d.proc.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "reloaded the zone settings" in d.log_tail(), timeout=10)
        ask(80, 90)
        wait_for("10 lines", lambda: len(numbered(log)) == 10, timeout=10)
        assert numbered(tmp_path / "access.log.x") == list(range(50, 80))
        d.assert_alive()
    finally:
        d.stop()
        d.cleanup()
