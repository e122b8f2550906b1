# SPDX-License-Identifier: GPL-3.0-or-later
"""ddnsc, the update client, end to end.

Against a real ddnsd (HTTP on loopback, users, hosts and tokens made with
ddnsctl): the first run updates and DNS serves the address, a second run
sends nothing (no history row, same SOA serial), a changed address updates
once, IPv4 and IPv6 together, several hosts, the DuckDNS dialect,
--dry-run and verify-dns.

Against a scripted HTTP server started here (it answers what each test
tells it and counts the requests per host): every reply code and what
ddnsc does next (fatal codes stop it until the configuration changes, 911
and 5xx back off, Retry-After is honoured, network errors retry sooner),
the cache across runs, the forced refresh, disagreeing checkip sources,
and the loop with SIGHUP and SIGTERM.

"Public" addresses come from the documentation ranges (203.0.113.0/24,
2001:db8::/32): ddnsc accepts those and refuses private ones.
"""
import http.server
import os
import re
import signal
import subprocess
import threading
import time
import urllib.parse

import pytest

from ddnstest import (BUILD, CheckipServer, addrs, ddnsctl, free_port,
                      host_history, new_account, require, soa_serial)

# DDNSC=path runs another build of the client (e.g. one with sanitizers).
DDNSC = os.environ.get("DDNSC") or BUILD / "ddnsc"
ZONE = "dyn.example"
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")


# ---------------------------------------------------------------- helpers

def write_conf(tmp_path, client, hosts, name="ddnsc.conf"):
    """A configuration file: client = {key: value}, hosts = [(NAME, {key:
    value})]. The cache goes into tmp_path unless given."""
    client = {"cache": str(tmp_path / "cache"), **client}
    lines = ["[client]"] + [f"{k} = {v}" for k, v in client.items()]
    for host, keys in hosts:
        lines += ["", f"[host {host}]"] + [f"{k} = {v}" for k, v in keys.items()]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def ddnsc(conf, *args, timeout=30):
    r = subprocess.run([require(DDNSC), "-c", str(conf), *args],
                       capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    r.log = f"$ ddnsc -c {conf} {' '.join(args)}\nexit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not SANITIZER.search(r.stderr), r.log
    return r


def once(conf, *args):
    return ddnsc(conf, "--once", *args)


def read_cache(path):
    """{host: {key: value}} from ddnsc's cache file ({} when absent)."""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path).read().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, *kvs = line.split()
        out[name] = dict(kv.split("=", 1) for kv in kvs)
    return out


def set_cache_field(path, host, **fields):
    """Rewrites fields of host's cache line (keys with '-' as '_')."""
    lines = []
    for line in open(path).read().splitlines():
        if line.split(" ", 1)[0] == host:
            for k, v in fields.items():
                k = k.replace("_", "-")
                line, n = re.subn(rf"\b{k}=\S+", f"{k}={v}", line)
                assert n == 1, (k, line)
        lines.append(line)
    open(path, "w").write("\n".join(lines) + "\n")


def serial(d):
    return soa_serial(d.port, ZONE)


class ScriptedServer:
    """An HTTP server on 127.0.0.1 that plays a DynDNS2/DuckDNS provider:
    self.script[host] is a list of replies (status, body, headers) used in
    turn (the last one repeats); the default is ("200", "good <myip>").
    self.requests keeps (path, params, headers) of every request."""

    def __init__(self):
        self.script = {}
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                host = params.get("hostname") or params.get("domains") or ""
                with outer.lock:
                    outer.requests.append((url.path, params, dict(self.headers.items())))
                    n = sum(1 for _, p, _ in outer.requests
                            if (p.get("hostname") or p.get("domains")) == host)
                    steps = outer.script.get(host) or [(200, f"good {params.get('myip', '')}", {})]
                    status, body, headers = steps[min(n, len(steps)) - 1]
                data = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def count(self, host):
        with self.lock:
            return sum(1 for _, p, _ in self.requests
                       if (p.get("hostname") or p.get("domains")) == host)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def checkip():
    s = CheckipServer("203.0.113.1")
    yield s
    s.close()


@pytest.fixture
def checkip6():
    s = CheckipServer("2001:db8::1", host="::1")
    yield s
    s.close()


@pytest.fixture
def provider():
    s = ScriptedServer()
    yield s
    s.close()


def scripted_conf(tmp_path, srv, checkip, host="h.example.net", client=None, keys=None):
    """A configuration of one dyndns2 host on the scripted server srv;
    keys override (None removes a key)."""
    c = {"checkip": f"http://127.0.0.1:{checkip.port}/"}
    c.update(client or {})
    h = {"provider": "dyndns2", "server": srv.url, "username": "alice",
         "password": "s3cret-pw"}
    h.update(keys or {})
    return write_conf(tmp_path, c, [(host, {k: v for k, v in h.items() if v is not None})])


# ---------------------------------------------------- against a real ddnsd

def test_update_cycle_against_ddnsd(http_ddnsd, checkip, tmp_path):
    """A host token as password, the FQDN as username: the first run
    updates, the second sends nothing, a new address updates once."""
    d = http_ddnsd
    acct = new_account(d, "dc", ipv4="192.0.2.41", token=True)
    host = acct["hosts"][0]
    conf = write_conf(tmp_path, {"checkip": f"http://127.0.0.1:{checkip.port}/checkip"},
                      [(host, {"provider": "ddnsd", "server": f"http://127.0.0.1:{d.http_port}",
                               "username": host, "password": acct["token"]})])
    checkip.address = "203.0.113.41"
    s0, h0 = serial(d), len(host_history(d, host))

    r = once(conf)
    assert r.returncode == 0, r.log
    assert addrs(d.port, host) == {"203.0.113.41"}, r.log
    assert serial(d) > s0
    hist = host_history(d, host)
    assert len(hist) == h0 + 1, hist
    assert hist[0]["result"] == "good" and hist[0]["client"].startswith("ddnsc/"), hist[0]
    assert f"{host}: good: the server now has 203.0.113.41" in r.stderr, r.log
    assert acct["token"] not in r.stderr + r.stdout, "the token was logged"
    c = read_cache(tmp_path / "cache")[host]
    assert c["ipv4"] == "203.0.113.41" and c["status"] == "good", c
    assert abs(int(c["last-success"]) - time.time()) < 60, c

    # Second run: the address is looked up, nothing is sent.
    s1, asked = serial(d), checkip.requests
    r = once(conf)
    assert r.returncode == 0, r.log
    assert checkip.requests > asked, r.log
    assert serial(d) == s1 and len(host_history(d, host)) == h0 + 1, r.log
    assert "unchanged (203.0.113.41)" in r.stderr, r.log

    # The address changes: one update, then quiet again.
    checkip.address = "203.0.113.42"
    r = once(conf)
    assert r.returncode == 0, r.log
    assert addrs(d.port, host) == {"203.0.113.42"}, r.log
    assert len(host_history(d, host)) == h0 + 2
    s2 = serial(d)
    assert s2 > s1
    r = once(conf)
    assert r.returncode == 0 and serial(d) == s2, r.log
    assert len(host_history(d, host)) == h0 + 2


def test_dual_stack_several_hosts_against_ddnsd(http_ddnsd, checkip, checkip6, tmp_path):
    """Two hosts of one user (user + password), IPv4 from a checkip page
    over IPv4 and IPv6 from one over IPv6; each page is asked once per run
    however many hosts use it."""
    d = http_ddnsd
    acct = new_account(d, "dd", hosts=2, ipv4="192.0.2.43")
    pw = tmp_path / "secret"
    pw.write_text(acct["password"] + "\n")
    os.chmod(pw, 0o600)
    common = {"server": f"http://127.0.0.1:{d.http_port}", "username": acct["user"],
              "password-file": str(pw), "ipv6": "web"}
    conf = write_conf(tmp_path, {"checkip": f"http://127.0.0.1:{checkip.port}/",
                                 "checkip6": f"http://[::1]:{checkip6.port}/"},
                      [(h, common) for h in acct["hosts"]])
    checkip.address, checkip6.address = "203.0.113.43", "2001:db8::43"
    r = once(conf)
    assert r.returncode == 0, r.log
    for h in acct["hosts"]:
        assert addrs(d.port, h) == {"203.0.113.43"}, r.log
        assert addrs(d.port, h, "AAAA") == {"2001:db8::43"}, r.log
    assert checkip.requests == 1 and checkip6.requests == 1, r.log
    s1 = serial(d)
    r = once(conf)
    assert r.returncode == 0 and serial(d) == s1, r.log

    # Only the IPv6 address changes: both hosts follow, A records stay.
    checkip6.address = "2001:db8::44"
    r = once(conf)
    assert r.returncode == 0, r.log
    for h in acct["hosts"]:
        assert addrs(d.port, h, "AAAA") == {"2001:db8::44"}, r.log
        assert addrs(d.port, h) == {"203.0.113.43"}, r.log
        assert len(host_history(d, h)) == 2


def test_duckdns_dialect_against_ddnsd(http_ddnsd, checkip, tmp_path):
    d = http_ddnsd
    acct = new_account(d, "dk", ipv4="192.0.2.45", token=True)
    host = acct["hosts"][0]
    conf = write_conf(tmp_path, {"checkip": f"http://127.0.0.1:{checkip.port}/"},
                      [(host, {"provider": "duckdns", "server": f"http://127.0.0.1:{d.http_port}",
                               "password": acct["token"]})])
    checkip.address = "203.0.113.45"
    r = once(conf)
    assert r.returncode == 0, r.log
    assert addrs(d.port, host) == {"203.0.113.45"}, r.log
    assert read_cache(tmp_path / "cache")[host]["status"] == "OK"
    assert acct["token"] not in r.stderr, "the token was logged"
    s1 = serial(d)
    r = once(conf)
    assert r.returncode == 0 and serial(d) == s1, r.log
    assert len(host_history(d, host)) == 1

    # A wrong token: KO, fatal, nothing changed, and no second request.
    bad = write_conf(tmp_path, {"checkip": f"http://127.0.0.1:{checkip.port}/",
                                "cache": str(tmp_path / "cache2")},
                     [(host, {"provider": "duckdns", "server": f"http://127.0.0.1:{d.http_port}",
                              "password": "0" * 43})], name="bad.conf")
    checkip.address = "203.0.113.46"
    r = once(bad)
    assert r.returncode == 3, r.log
    assert "answered 'KO'" in r.stderr and "token" in r.stderr, r.log
    assert addrs(d.port, host) == {"203.0.113.45"}


def test_dry_run_sends_nothing(http_ddnsd, checkip, tmp_path):
    d = http_ddnsd
    acct = new_account(d, "dr", ipv4="192.0.2.47", password="dry-run password 1")
    host = acct["hosts"][0]
    conf = write_conf(tmp_path, {"checkip": f"http://127.0.0.1:{checkip.port}/"},
                      [(host, {"server": f"http://127.0.0.1:{d.http_port}",
                               "username": acct["user"], "password": acct["password"]})])
    checkip.address = "203.0.113.47"
    s0 = serial(d)
    r = ddnsc(conf, "--dry-run")
    assert r.returncode == 0, r.log
    assert (f"would send GET http://127.0.0.1:{d.http_port}/nic/update?hostname={host}"
            f"&myip=203.0.113.47" in r.stdout), r.log
    assert "password '****'" in r.stdout, r.log
    assert acct["password"] not in r.stdout + r.stderr
    assert serial(d) == s0 and host_history(d, host) == []
    assert addrs(d.port, host) == {"192.0.2.47"}
    assert not (tmp_path / "cache").exists()


def test_verify_dns(http_ddnsd, checkip, tmp_path):
    """verify-dns: DNS already right means nothing to send, even with an
    empty cache; DNS changed behind ddnsc's back means an update even
    though the cache says unchanged."""
    d = http_ddnsd
    acct = new_account(d, "dv", ipv4="203.0.113.48")
    host = acct["hosts"][0]
    conf = write_conf(tmp_path, {"checkip": f"http://127.0.0.1:{checkip.port}/",
                                 "verify-dns": "on", "dns-server": f"127.0.0.1:{d.port}"},
                      [(host, {"server": f"http://127.0.0.1:{d.http_port}",
                               "username": acct["user"], "password": acct["password"]})])
    checkip.address = "203.0.113.48"
    s0 = serial(d)
    r = once(conf)
    assert r.returncode == 0, r.log
    assert "DNS already answers 203.0.113.48" in r.stderr, r.log
    assert serial(d) == s0 and host_history(d, host) == [], r.log

    ddnsctl(d, "host", "set", host, "--ipv4", "192.0.2.48")
    r = once(conf)
    assert r.returncode == 0, r.log
    assert "DNS answers 192.0.2.48" in r.stderr, r.log
    assert addrs(d.port, host) == {"203.0.113.48"}, r.log
    hist = host_history(d, host)    # ddnsctl's change, then ddnsc's
    assert len(hist) == 2 and hist[0]["client"].startswith("ddnsc/"), hist


# ------------------------------------------------ against scripted replies

def test_request_shape(provider, checkip, tmp_path):
    """User-Agent, Basic auth, and the DynDNS2 parameters."""
    checkip.address = "203.0.113.60"
    conf = scripted_conf(tmp_path, provider, checkip)
    r = once(conf)
    assert r.returncode == 0, r.log
    path, params, headers = provider.requests[0]
    assert path == "/nic/update"
    assert params == {"hostname": "h.example.net", "myip": "203.0.113.60"}
    assert re.fullmatch(r"ddnsc/\d+\.\d+\.\d+", headers["User-Agent"]), headers
    import base64
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret-pw").decode()


@pytest.mark.parametrize("code", ["badauth", "nohost", "notfqdn", "badagent", "abuse",
                                  "!donator", "numhost", "KO"])
def test_fatal_reply_stops_updates(provider, checkip, tmp_path, code):
    host = "h.example.net"
    checkip.address = "203.0.113.61"
    keys = {"provider": "duckdns", "username": None} if code == "KO" else {}
    conf = scripted_conf(tmp_path, provider, checkip, keys=keys)
    provider.script[host] = [(200, code, {})]
    r = once(conf)
    assert r.returncode == 3, r.log
    assert provider.count(host) == 1
    assert f"the server answered '{code}'" in r.stderr, r.log
    assert "No more updates for this host until its [host h.example.net] section" in r.stderr
    c = read_cache(tmp_path / "cache")[host]
    assert c["fatal"] == code and c["ipv4"] == "-", c

    # A second run, even with a new address, sends nothing.
    checkip.address = "203.0.113.62"
    r = once(conf)
    assert r.returncode == 3, r.log
    assert provider.count(host) == 1, r.log
    assert f"not updating: the server answered '{code}'" in r.stderr, r.log

    # The user fixes the configuration: ddnsc tries again.
    provider.script[host] = [(200, "OK" if code == "KO" else "good 203.0.113.62", {})]
    conf.write_text(conf.read_text().replace("s3cret-pw", "fixed-pw"))
    r = once(conf)
    assert r.returncode == 0, r.log
    assert provider.count(host) == 2, r.log
    assert read_cache(tmp_path / "cache")[host]["fatal"] == "-"


@pytest.mark.parametrize("status,body", [(200, "911"), (200, "dnserr"), (503, "911"),
                                         (500, "Internal Server Error")])
def test_server_trouble_backs_off(provider, checkip, tmp_path, status, body):
    host = "h.example.net"
    checkip.address = "203.0.113.63"
    conf = scripted_conf(tmp_path, provider, checkip,
                         client={"backoff-initial": "600", "backoff-max": "2000"})
    provider.script[host] = [(status, body, {})]
    t0 = int(time.time())
    r = once(conf)
    t1 = int(time.time())
    assert r.returncode == 2, r.log
    assert provider.count(host) == 1
    c = read_cache(tmp_path / "cache")[host]
    assert t0 + 600 <= int(c["next-attempt"]) <= t1 + 600, (c, t0)
    assert c["failures"] == "1" and c["ipv4"] == "-", c
    assert "next attempt in 600 s" in r.stderr, r.log

    # Before the next-attempt time: nothing is sent.
    r = once(conf)
    assert r.returncode == 2 and provider.count(host) == 1, r.log
    assert "backing off after" in r.stderr, r.log

    # The time has come: one more request, and the wait doubles (capped).
    set_cache_field(tmp_path / "cache", host, next_attempt=t0 - 1)
    t0 = int(time.time())
    r = once(conf)
    t1 = int(time.time())
    assert r.returncode == 2 and provider.count(host) == 2, r.log
    c = read_cache(tmp_path / "cache")[host]
    assert t0 + 1200 <= int(c["next-attempt"]) <= t1 + 1200, c
    set_cache_field(tmp_path / "cache", host, next_attempt=t0 - 1)
    r = once(conf)
    c = read_cache(tmp_path / "cache")[host]
    assert int(c["next-attempt"]) - int(time.time()) in range(1990, 2001), c

    # Recovery clears the backoff.
    provider.script[host] = [(200, "good 203.0.113.63", {})]
    set_cache_field(tmp_path / "cache", host, next_attempt=t0 - 1)
    r = once(conf)
    assert r.returncode == 0, r.log
    c = read_cache(tmp_path / "cache")[host]
    assert c["failures"] == "0" and c["next-attempt"] == "0" and c["ipv4"] == "203.0.113.63", c


def test_retry_after_is_honoured(provider, checkip, tmp_path):
    host = "h.example.net"
    checkip.address = "203.0.113.64"
    conf = scripted_conf(tmp_path, provider, checkip, client={"backoff-initial": "60"})
    provider.script[host] = [(503, "911", {"Retry-After": "7200"})]
    t0 = int(time.time())
    r = once(conf)
    t1 = int(time.time())
    assert r.returncode == 2, r.log
    c = read_cache(tmp_path / "cache")[host]
    assert t0 + 7200 <= int(c["next-attempt"]) <= t1 + 7200, c
    assert "Retry-After: 7200" in r.stderr, r.log
    r = once(conf)
    assert provider.count(host) == 1, r.log


def test_network_error_retries_sooner(provider, checkip, tmp_path):
    host = "h.example.net"
    checkip.address = "203.0.113.65"
    closed = free_port()   # nothing listens there: connection refused
    conf = scripted_conf(tmp_path, provider, checkip, keys={"server": f"http://127.0.0.1:{closed}"},
                         client={"backoff-initial": "1800", "retry-initial": "30"})
    t0 = int(time.time())
    r = once(conf)
    t1 = int(time.time())
    assert r.returncode == 2, r.log
    assert f"cannot reach http://127.0.0.1:{closed}" in r.stderr, r.log
    c = read_cache(tmp_path / "cache")[host]
    assert c["status"] == "network" and t0 + 30 <= int(c["next-attempt"]) <= t1 + 30, c
    set_cache_field(tmp_path / "cache", host, next_attempt=t0 - 1)
    r = once(conf)
    c = read_cache(tmp_path / "cache")[host]
    assert c["failures"] == "2" and int(c["next-attempt"]) - int(time.time()) in range(55, 61), c


def test_cache_survives_restart_and_refresh(provider, checkip, tmp_path):
    """Each --once is a new process: the cache alone stops a second
    update. A last success older than refresh-days forces one."""
    host = "h.example.net"
    checkip.address = "203.0.113.66"
    conf = scripted_conf(tmp_path, provider, checkip, client={"refresh-days": "25"})
    assert once(conf).returncode == 0
    assert provider.count(host) == 1
    for _ in range(2):
        r = once(conf)
        assert r.returncode == 0, r.log
    assert provider.count(host) == 1

    # 24 days: still quiet. 26 days: one refresh, then quiet again.
    now = int(time.time())
    set_cache_field(tmp_path / "cache", host, last_success=now - 24 * 86400)
    assert once(conf).returncode == 0 and provider.count(host) == 1
    set_cache_field(tmp_path / "cache", host, last_success=now - 26 * 86400)
    r = once(conf)
    assert r.returncode == 0 and provider.count(host) == 2, r.log
    assert "refresh: the last successful update was 26 days ago" in r.stderr, r.log
    assert abs(int(read_cache(tmp_path / "cache")[host]["last-success"]) - now) < 60
    assert once(conf).returncode == 0 and provider.count(host) == 2


def test_checkip_sources(provider, tmp_path):
    """URLs are tried in turn; those that answer must agree; private or
    garbage answers are refused."""
    host = "h.example.net"
    a, b = CheckipServer("203.0.113.67"), CheckipServer("203.0.113.68")
    closed = free_port()
    try:
        both = f"http://127.0.0.1:{a.port}/, http://127.0.0.1:{b.port}/"
        conf = scripted_conf(tmp_path, provider, a, client={"checkip": both})
        r = once(conf)
        assert r.returncode == 2, r.log
        assert "checkip sources disagree" in r.stderr and "203.0.113.68" in r.stderr, r.log
        assert provider.count(host) == 0

        # A dead first source: the second one is used.
        conf = scripted_conf(tmp_path, provider, a, client={
            "checkip": f"http://127.0.0.1:{closed}/, http://127.0.0.1:{b.port}/"})
        r = once(conf)
        assert r.returncode == 0, r.log
        assert provider.requests[-1][1]["myip"] == "203.0.113.68"

        # Agreeing sources: fine. A private answer: refused.
        b.address = "203.0.113.67"
        conf = scripted_conf(tmp_path, provider, a, client={"checkip": both})
        assert once(conf).returncode == 0
        assert provider.requests[-1][1]["myip"] == "203.0.113.67"
        a.address = b.address = "192.168.1.67"
        r = once(conf)
        assert r.returncode == 2, r.log
        assert "192.168.1.67, which is private (192.168.0.0/16), not a public address" in r.stderr
        assert provider.count(host) == 2
    finally:
        a.close()
        b.close()


def test_command_and_interface_detection(provider, checkip, tmp_path):
    host = "h.example.net"
    conf = scripted_conf(tmp_path, provider, checkip, keys={"ipv4": "command:echo ' 203.0.113.69 '"})
    r = once(conf)
    assert r.returncode == 0, r.log
    assert provider.requests[-1][1]["myip"] == "203.0.113.69"
    assert checkip.requests == 0
    conf = scripted_conf(tmp_path, provider, checkip, keys={"ipv4": "command:exit 4"})
    r = once(conf)
    assert r.returncode == 2 and "failed (exit status 4)" in r.stderr, r.log
    # lo has only loopback addresses: no public one.
    conf = scripted_conf(tmp_path, provider, checkip, keys={"ipv4": "interface:lo"})
    r = once(conf)
    assert r.returncode == 2 and "no public IPv4 address on interface lo" in r.stderr, r.log
    assert provider.count(host) == 1


def test_loop_sighup_and_sigterm(provider, checkip, tmp_path):
    """The daemon loop: checks every interval, picks up a changed address,
    reloads on SIGHUP (a new host), stops with exit 0 on SIGTERM."""
    checkip.address = "203.0.113.70"
    conf = scripted_conf(tmp_path, provider, checkip, client={"interval": "1"})
    err = open(tmp_path / "loop.stderr", "w")
    proc = subprocess.Popen([require(DDNSC), "-c", str(conf)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=err)
    err.close()

    def log():
        return (tmp_path / "loop.stderr").read_text()

    def wait_for(cond, what, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            assert proc.poll() is None, f"ddnsc exited {proc.returncode}:\n{log()}"
            time.sleep(0.05)
        raise AssertionError(f"{what} within {timeout}s:\n{log()}")

    try:
        wait_for(lambda: provider.count("h.example.net") == 1, "no first update")
        checkip.address = "203.0.113.71"
        wait_for(lambda: provider.count("h.example.net") == 2, "no update after the change")
        assert provider.requests[-1][1]["myip"] == "203.0.113.71"
        with open(conf, "a") as f:
            f.write("\n[host g.example.net]\nprovider = dyndns2\n"
                    f"server = {provider.url}\nusername = bob\npassword = pw2\n")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: provider.count("g.example.net") == 1, "no update for the new host")
        assert "configuration reloaded: 2 host(s)" in log()
        # A broken file on SIGHUP: the running configuration stays.
        with open(conf, "a") as f:
            f.write("bogus-key = 1\n")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running configuration" in log(), "no reload error")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, log()
        assert not SANITIZER.search(log()), log()
        assert provider.count("h.example.net") == 2, log()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------ bad configs

def bad(tmp_path, text):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    r = ddnsc(conf, "--once")
    assert r.returncode == 1, r.log
    return conf, r.stderr.strip()


def test_bad_configuration(tmp_path):
    head = "[client]\ncheckip = http://127.0.0.1:1/\n\n"
    conf, err = bad(tmp_path, head + "[host a.dyn.example]\nserver = http://127.0.0.1:1\n"
                    "username = a\npassword = b\npasword = c\n")
    assert err == f"ddnsc: {conf}:8: unknown key 'pasword' in [host a.dyn.example]"

    conf, err = bad(tmp_path, head + "[host a.dyn.example]\nserver = http://127.0.0.1:1\n"
                    "username = a\n")
    assert err.startswith(f"ddnsc: {conf}:4: [host a.dyn.example]: missing credentials"), err

    secret = tmp_path / "a.secret"
    secret.write_text("pw\n")
    os.chmod(secret, 0o644)
    conf, err = bad(tmp_path, head + "[host a.dyn.example]\nserver = http://127.0.0.1:1\n"
                    f"username = a\npassword-file = {secret}\n")
    assert err.startswith(f"ddnsc: {conf}:7: password-file {secret} has mode 0644"), err
    assert f"chmod 600 {secret}" in err

    conf, err = bad(tmp_path, head + "[host a.dyn.example]\nserver = http://127.0.0.1:1\n"
                    "username = a\npassword = b\nipv6 = dhcp\n")
    assert err.startswith(f"ddnsc: {conf}:8: ipv6: 'dhcp' is not one of"), err

    os.chmod(secret, 0o600)
    good = tmp_path / "good.conf"
    good.write_text(head + "[host a.dyn.example]\nserver = http://127.0.0.1:1\n"
                    f"username = a\npassword-file = {secret}\n")
    r = ddnsc(good, "--check")
    assert r.returncode == 0 and "ok, 1 host(s)" in r.stdout, r.log
