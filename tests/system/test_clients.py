# SPDX-License-Identifier: GPL-3.0-or-later
"""Real update clients against a ddnsd started here: Debian 12's ddclient
(3.10) and inadyn (2.10), each run once in the foreground per step, with
the configurations documented in docs/clients/.

Both learn "their" public address from a checkip page. ddnsd's own
/checkip would answer 127.0.0.1 here (and inadyn refuses loopback and
private addresses), so a tiny local server (ddnstest.CheckipServer) plays
the public checkip service and answers an address in 203.0.113.0/24.

Each test checks the server's side (the address in DNS at once, the SOA
serial higher, the history) and the client's own verdict (its log and its
cache): a client that updated the server but believes it failed would
retry for ever. A second run with the same address must send nothing
(or get nochg): the serial and the history stay as they are.
"""
import os
import re
import shutil
import subprocess

import pytest

from ddnstest import (CheckipServer, addrs, host_history, new_account,
                      soa_serial)

ZONE = "dyn.example"
DDCLIENT = shutil.which("ddclient") or "/usr/sbin/ddclient"
INADYN = shutil.which("inadyn") or "/usr/sbin/inadyn"


@pytest.fixture
def checkip():
    s = CheckipServer("203.0.113.1")
    yield s
    s.close()


def run(cmd, timeout=60):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    r.log = f"$ {' '.join(cmd)}\nexit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def serial(d):
    return soa_serial(d.port, ZONE)


# ------------------------------------------------------------- ddclient

def ddclient_conf(path, d, checkip, login, password, host):
    path.write_text(f"""# ddclient 3.10 against ddnsd (docs/clients/ddclient.md)
daemon=0
ssl=no
cache={path.parent}/ddclient.cache
pid={path.parent}/ddclient.pid
use=web, web=http://127.0.0.1:{checkip.port}/checkip
protocol=dyndns2
server=127.0.0.1:{d.http_port}
login={login}
password='{password}'
{host}
""")
    os.chmod(path, 0o600)
    return path


def ddclient(conf):
    if not os.path.exists(DDCLIENT):
        pytest.skip("ddclient is not installed")
    return run([DDCLIENT, "-foreground", "-daemon=0", "-noquiet", "-verbose",
                "-file", str(conf)])


def ddclient_cache(conf, host):
    """ddclient's cache line for host as a dict ({} if none)."""
    path = conf.parent / "ddclient.cache"
    if not path.exists():
        return {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields, _, name = line.rpartition(" ")
        if name == host:
            return dict(kv.split("=", 1) for kv in fields.split(",") if "=" in kv)
    return {}


def ddclient_round_trip(d, checkip, tmp_path, login, password, host):
    conf = ddclient_conf(tmp_path / "ddclient.conf", d, checkip, login, password, host)
    checkip.address = "203.0.113.21"
    s0 = serial(d)
    hist0 = len(host_history(d, host))

    r = ddclient(conf)
    # The server's side: the change is served and the serial rose.
    assert addrs(d.port, host) == {"203.0.113.21"}, r.log
    assert serial(d) > s0, r.log
    assert len(host_history(d, host)) == hist0 + 1, r.log
    h = host_history(d, host)[0]
    assert h["result"] == "good" and "ddclient" in h["client"], h
    # The client's side: it knows it worked.
    assert r.returncode == 0, r.log
    assert re.search(rf"SUCCESS:\s+updating {re.escape(host)}: good", r.stdout + r.stderr), r.log
    assert not re.search(r"FAILED|unexpected status", r.stdout + r.stderr), r.log
    cache = ddclient_cache(conf, host)
    assert cache.get("status") == "good" and cache.get("ip") == "203.0.113.21", (cache, r.log)

    # Second run, same address: nothing is sent (or nochg); nothing changes.
    s1 = serial(d)
    asked = checkip.requests
    r = ddclient(conf)
    assert r.returncode == 0, r.log
    assert checkip.requests > asked, "ddclient did not even look up the address:\n" + r.log
    assert serial(d) == s1, r.log
    assert len(host_history(d, host)) == hist0 + 1, r.log
    assert addrs(d.port, host) == {"203.0.113.21"}
    assert not re.search(r"FAILED", r.stdout + r.stderr), r.log


def test_ddclient_user_password(http_ddnsd, checkip, tmp_path):
    acct = new_account(d := http_ddnsd, "ddc", ipv4="192.0.2.21",
                       password="ddclient-user-secret")
    ddclient_round_trip(d, checkip, tmp_path, acct["user"], acct["password"],
                        acct["hosts"][0])


def test_ddclient_host_token(http_ddnsd, checkip, tmp_path):
    acct = new_account(d := http_ddnsd, "ddt", ipv4="192.0.2.22", token=True)
    host = acct["hosts"][0]
    ddclient_round_trip(d, checkip, tmp_path, host, acct["token"], host)


# ------------------------------------------------------------- inadyn

def inadyn_conf(path, d, checkip, username, password, host):
    path.write_text(f"""# inadyn 2.10 against ddnsd (docs/clients/inadyn.md)
period = 300
custom ddnsd {{
    ssl            = false
    username       = "{username}"
    password       = "{password}"
    checkip-server = 127.0.0.1:{checkip.port}
    checkip-path   = /
    checkip-ssl    = false
    ddns-server    = 127.0.0.1:{d.http_port}
    ddns-path      = "/nic/update?hostname=%h&myip=%i"
    hostname       = {host}
}}
""")
    os.chmod(path, 0o600)
    return path


def inadyn(conf):
    if not os.path.exists(INADYN):
        pytest.skip("inadyn is not installed")
    cache = conf.parent / "cache"
    cache.mkdir(exist_ok=True)
    return run([INADYN, "--once", "--foreground", "--loglevel=debug", "--no-pidfile",
                f"--cache-dir={cache}", "-f", str(conf)])


def inadyn_round_trip(d, checkip, tmp_path, username, password, host):
    conf = inadyn_conf(tmp_path / "inadyn.conf", d, checkip, username, password, host)
    checkip.address = "203.0.113.31"
    s0 = serial(d)
    hist0 = len(host_history(d, host))

    r = inadyn(conf)
    assert addrs(d.port, host) == {"203.0.113.31"}, r.log
    assert serial(d) > s0, r.log
    assert len(host_history(d, host)) == hist0 + 1, r.log
    assert "inadyn" in host_history(d, host)[0]["client"]
    assert r.returncode == 0, r.log
    assert f"Successful alias table update for {host}" in r.stdout + r.stderr, r.log
    cache = conf.parent / "cache" / f"{host}.cache"
    assert cache.exists() and cache.read_text().strip() == "203.0.113.31", r.log

    # Second run, same address: nothing sent; nothing changes.
    s1 = serial(d)
    asked = checkip.requests
    r = inadyn(conf)
    assert r.returncode == 0, r.log
    assert checkip.requests > asked, r.log
    assert serial(d) == s1, r.log
    assert len(host_history(d, host)) == hist0 + 1, r.log

    # The address changes: the next run updates again.
    checkip.address = "203.0.113.32"
    r = inadyn(conf)
    assert r.returncode == 0, r.log
    assert addrs(d.port, host) == {"203.0.113.32"}, r.log
    assert serial(d) > s1, r.log
    assert cache.read_text().strip() == "203.0.113.32", r.log


def test_inadyn_user_password(http_ddnsd, checkip, tmp_path):
    acct = new_account(d := http_ddnsd, "ina", ipv4="192.0.2.31",
                       password="inadyn-user-secret")
    inadyn_round_trip(d, checkip, tmp_path, acct["user"], acct["password"],
                      acct["hosts"][0])


def test_inadyn_host_token(http_ddnsd, checkip, tmp_path):
    acct = new_account(d := http_ddnsd, "int", ipv4="192.0.2.32", token=True)
    host = acct["hosts"][0]
    inadyn_round_trip(d, checkip, tmp_path, host, acct["token"], host)


def test_inadyn_wrong_password_is_a_failure(http_ddnsd, checkip, tmp_path):
    """inadyn must see badauth as the failure it is: a non-zero exit, no
    cache entry, and nothing changed."""
    acct = new_account(d := http_ddnsd, "inb", ipv4="192.0.2.33")
    host = acct["hosts"][0]
    conf = inadyn_conf(tmp_path / "inadyn.conf", d, checkip, acct["user"],
                       "not-the-password", host)
    checkip.address = "203.0.113.33"
    s0 = serial(d)
    r = inadyn(conf)
    assert r.returncode != 0, r.log
    assert "badauth" in r.stdout + r.stderr, r.log
    assert not (conf.parent / "cache" / f"{host}.cache").exists(), r.log
    assert addrs(d.port, host) == {"192.0.2.33"}
    assert serial(d) == s0
