# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the system tests: starting ddnsd (and Knot as a
reference server) on free loopback ports in a temporary directory, waiting
until they answer, and sending raw DNS messages over UDP and TCP.

Nothing here sleeps a fixed time to wait for readiness: servers are polled
until they answer a SOA query, sockets are polled until they close.
"""
import email
import email.policy
import os
import random
import re
import select
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("DDNSD_BUILD") or REPO / "build")
DDNSD = BUILD / "ddnsd"
DDNSCTL = BUILD / "ddnsctl"
DATA = Path(__file__).resolve().parent / "data"

# ddnsd logs "2024-01-02T03:04:05.678Z error: message" (src/lib/log.c).
# Sanitizer and assertion reports are errors too, whatever their shape.
ERROR_LINE = re.compile(r"^\S+ error: |AddressSanitizer|LeakSanitizer|"
                        r"runtime error:|Assertion .* failed")

# The configuration of the two zones that most tests serve. Values are
# lists of (key, value) because list keys (glue) may repeat.
ZONES = {
    "dyn.example": [
        ("ns", "ns1.dyn.example, ns2.dyn.example"),
        ("glue", "ns1.dyn.example 192.0.2.53"),
        ("glue", "ns2.dyn.example 192.0.2.54"),
        ("glue", "ns2.dyn.example 2001:db8::54"),
        ("soa-rname", "hostmaster.dyn.example"),
        ("ttl", "60"),
        ("soa-ttl", "3600"),
        ("soa-refresh", "7200"),
        ("soa-retry", "900"),
        ("soa-expire", "604800"),
        ("soa-minimum", "120"),
    ],
    # SOA TTL below the minimum: negative answers use the SOA TTL here.
    "home.example": [
        ("ns", "ns1.home.example"),
        ("glue", "ns1.home.example 192.0.2.153"),
        ("soa-rname", "hostmaster.home.example"),
        ("soa-ttl", "30"),
        ("soa-minimum", "300"),
    ],
}
# Negative-answer SOA TTL = min(soa-ttl, soa-minimum) for each zone above.
NEG_TTL = {"dyn.example": 120, "home.example": 30}

SERVER = {
    "workers": "2",
    "identity": "ns1.dyn.example",
    "version": "ddnsd-test",
}

OK_RCODES = {dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.FORMERR,
             dns.rcode.REFUSED, dns.rcode.NOTIMP, dns.rcode.BADVERS}


def require(path):
    if not Path(path).exists():
        raise AssertionError(f"{path} does not exist: build first (ninja -C {BUILD})")
    return str(path)


_port_rng = random.Random()


def free_port():
    """A port free for UDP and TCP on both 127.0.0.1 and ::1. It is taken
    below the kernel's ephemeral range (32768 and up), so that the client
    sockets of the tests cannot grab it before the server binds it."""
    for _ in range(500):
        port = _port_rng.randrange(20000, 32000)
        socks = []
        try:
            for fam, typ, host in ((socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1"),
                                   (socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"),
                                   (socket.AF_INET6, socket.SOCK_STREAM, "::1"),
                                   (socket.AF_INET6, socket.SOCK_DGRAM, "::1")):
                t = socket.socket(fam, typ)
                socks.append(t)
                t.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise RuntimeError("no free port")


# ---------------------------------------------------------------- raw I/O

def udp_exchange(port, wire, timeout=2.0, host="127.0.0.1"):
    """Sends wire over UDP; returns the first reply or None on timeout."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.sendto(wire, (host, port))
        r, _, _ = select.select([s], [], [], timeout)
        if not r:
            return None
        return s.recv(65535)


def recv_exact(sock, n, deadline):
    """n bytes from a stream socket; None on EOF or when the deadline passes."""
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return None
        try:
            chunk = sock.recv(n - len(buf))
        except (ConnectionResetError, BrokenPipeError):
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_recv_msg(sock, timeout=2.0):
    """One length-prefixed DNS message, or None on EOF/timeout."""
    deadline = time.monotonic() + timeout
    hdr = recv_exact(sock, 2, deadline)
    if hdr is None:
        return None
    (n,) = struct.unpack("!H", hdr)
    return recv_exact(sock, n, deadline)


def tcp_connect(port, host="127.0.0.1", timeout=2.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    s.settimeout(None)
    return s


def tcp_exchange(port, wire, timeout=2.0, host="127.0.0.1"):
    with tcp_connect(port, host, timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        return tcp_recv_msg(s, timeout)


def wait_eof(sock, timeout):
    """Waits until the peer closes sock. Returns the seconds it took, or
    None if it was still open after timeout. Data read meanwhile is
    discarded."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return None
        try:
            data = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
        if not data:
            return time.monotonic() - start


# ---------------------------------------------------------------- queries

def make_query(qname, rdtype="A", rdclass="IN", edns=0, payload=1232,
               want_dnssec=False, options=None, ednsflags=0, rd=False, qid=None):
    """A query; edns=None sends no OPT. RD is clear by default, as a
    resolver asking an authoritative server sends it."""
    q = dns.message.make_query(qname, rdtype, rdclass, use_edns=False)
    if edns is not None:
        q.use_edns(edns, ednsflags, payload, options=options)
        if want_dnssec:
            q.want_dnssec(True)
    if not rd:
        q.flags &= ~dns.flags.RD
    if qid is not None:
        q.id = qid
    return q


def parse(wire):
    m = dns.message.from_wire(wire)
    m.wire = wire
    return m


def query(port, qname, rdtype="A", rdclass="IN", tcp=False, timeout=2.0,
          host="127.0.0.1", **kw):
    """Sends a query and returns the parsed reply (with .wire); fails the
    test if there is none."""
    q = make_query(qname, rdtype, rdclass, **kw)
    return send(port, q, tcp=tcp, timeout=timeout, host=host)


def exchange(port, wire, tcp=False, timeout=2.0, host="127.0.0.1"):
    """Sends raw wire; returns the raw reply, failing the test if none."""
    xchg = tcp_exchange if tcp else udp_exchange
    reply = xchg(port, wire, timeout, host)
    assert reply is not None, (f"no reply over {'TCP' if tcp else 'UDP'} "
                               f"within {timeout}s to {wire.hex()}")
    assert reply[:2] == wire[:2], "reply id differs from the query id"
    return reply


def send(port, q, tcp=False, timeout=2.0, host="127.0.0.1"):
    """Sends a message (or raw bytes); returns the parsed reply (with .wire)."""
    wire = q if isinstance(q, bytes) else q.to_wire()
    return parse(exchange(port, wire, tcp, timeout, host))


def canonical_text(rd):
    """rdata as text with the names inside it lower-cased (RFC 4034 6.2):
    servers may answer them in the case of the query."""
    wire = rd.to_digestable()
    return dns.rdata.from_wire(rd.rdclass, rd.rdtype, wire, 0, len(wire)).to_text()


def rrset_set(section):
    """A section as a set of comparable tuples (names lower-cased)."""
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add((rrset.name.to_text().lower(), rrset.ttl,
                     dns.rdataclass.to_text(rrset.rdclass),
                     dns.rdatatype.to_text(rrset.rdtype), canonical_text(rd)))
    return out


def rdata_texts(msg, rdtype, name=None):
    """Texts of the answer's rdata of one type (optionally one owner)."""
    t = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    out = set()
    for rrset in msg.answer:
        if rrset.rdtype == t and (name is None or rrset.name == dns.name.from_text(name)):
            out.update(canonical_text(rd) for rd in rrset)
    return out


def flag_names(msg):
    return dns.flags.to_text(msg.flags).split()


def question_bytes(wire):
    """The raw bytes of the first question's name (no compression expected)."""
    i = 12
    while wire[i] != 0:
        i += 1 + wire[i]
    return wire[12:i + 1]


def header(qid=0x1234, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


# ---------------------------------------------------------------- servers

def wait_until_answers(port, zone, proc, timeout, log):
    """Polls with SOA queries until the server answers authoritatively."""
    deadline = time.monotonic() + timeout
    wire = make_query(zone, "SOA").to_wire()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode} during "
                                 f"start-up:\n{log()}")
        reply = udp_exchange(port, wire, 0.2)
        if reply is not None:
            m = dns.message.from_wire(reply)
            if m.rcode() == dns.rcode.NOERROR and m.answer:
                return
    raise AssertionError(f"server did not answer SOA {zone} within {timeout}s:\n{log()}")


class Ddnsd:
    """One ddnsd instance in its own directory, on a free port on
    127.0.0.1 and ::1."""

    def __init__(self, workdir, zones=None, server=None, zonefiles=None,
                 port=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        # A unix socket path must stay under 108 bytes; tmp_path may not.
        self.sockdir = tempfile.mkdtemp(prefix="ddnsd-", dir="/tmp")
        self.port = port or free_port()
        self.zones = dict(ZONES if zones is None else zones)
        self.server = dict(SERVER)
        self.server.update(server or {})
        self.conf = self.dir / "ddnsd.conf"
        self.db = self.dir / "ddnsd.db"
        self.stderr_path = self.dir / "ddnsd.stderr"
        self.proc = None
        self.runs = 0
        # Regexes of error lines a test provokes on purpose.
        self.allowed_errors = []
        self.write_config()
        if zonefiles is None:
            zonefiles = {z: DATA / f"{z}.zone" for z in self.zones
                         if (DATA / f"{z}.zone").exists()}
        for zone, path in zonefiles.items():
            self.import_zone(zone, path)

    def config_text(self):
        listen = self.server.get("dns-listen", f"127.0.0.1:{self.port}, [::1]:{self.port}")
        lines = ["[server]",
                 f"dns-listen = {listen}",
                 f"database = {self.db}",
                 f"control-socket = {self.sockdir}/ddnsd.sock"]
        lines += [f"{k} = {v}" for k, v in self.server.items()
                  if v is not None and k != "dns-listen"]
        for zone, keys in self.zones.items():
            lines += ["", f"[zone {zone}]"]
            lines += [f"{k} = {v}" for k, v in keys]
        return "\n".join(lines) + "\n"

    def write_config(self):
        self.conf.write_text(self.config_text())

    def ctl(self, *args, check=True, timeout=30):
        r = subprocess.run([require(DDNSCTL), "-c", str(self.conf), *args],
                           capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, (f"ddnsctl {' '.join(args)} exited "
                                       f"{r.returncode}: {r.stderr.strip()}")
        return r

    def import_zone(self, zone, path):
        assert self.proc is None or self.proc.poll() is not None, \
            "zone import is for a stopped server"
        self.ctl("zone", "import", zone, str(path))

    def export_zone(self, zone):
        return self.ctl("zone", "export", zone).stdout

    def log(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=30):
        return "\n".join(self.log().splitlines()[-n:])

    def start(self, timeout=20, wait=True):
        assert self.proc is None, "already started"
        self.runs += 1
        err = open(self.stderr_path, "a")
        err.write(f"---- start {self.runs}\n")
        err.flush()
        self.proc = subprocess.Popen([require(DDNSD), "-c", str(self.conf)],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        if wait:
            wait_until_answers(self.port, next(iter(self.zones)), self.proc,
                               timeout, self.log_tail)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self):
        assert self.alive(), (f"ddnsd died (exit status {self.proc.returncode});"
                              f" last log lines:\n{self.log_tail()}")

    def error_lines(self):
        out = []
        for line in self.log().splitlines():
            if ERROR_LINE.search(line) and not any(re.search(a, line)
                                                   for a in self.allowed_errors):
                out.append(line)
        return out

    def stop(self, timeout=20, check=True):
        """SIGTERM; the server must exit 0 and must not have logged errors."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                if check:
                    raise AssertionError(f"ddnsd did not exit within {timeout}s of "
                                         f"SIGTERM:\n{self.log_tail()}")
        if check:
            assert proc.returncode == 0, (f"ddnsd exited with {proc.returncode} "
                                          f"after SIGTERM:\n{self.log_tail()}")
            errors = self.error_lines()
            assert not errors, "ddnsd logged errors:\n" + "\n".join(errors)
        return proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.sockdir, ignore_errors=True)

    def query(self, qname, rdtype="A", rdclass="IN", **kw):
        return query(self.port, qname, rdtype, rdclass, **kw)


class Knot:
    """knotd serving master files, as a reference for differential tests."""

    def __init__(self, workdir, zones):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc = None
        self.stderr_path = self.dir / "knotd.stderr"
        zone_conf = []
        for zone, text in zones.items():
            (self.dir / f"{zone}.zone").write_text(text)
            zone_conf.append(f"  - domain: {zone}\n    file: {self.dir}/{zone}.zone\n")
        self.conf = self.dir / "knot.conf"
        self.conf.write_text(f"""server:
    rundir: {self.dir}
    listen: 127.0.0.1@{self.port}
database:
    storage: {self.dir}
control:
    listen: {self.dir}/knot.sock
template:
  - id: default
    storage: {self.dir}
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
{''.join(zone_conf)}log:
  - target: stderr
    any: info
""")
        self.zones = list(zones)

    def log_tail(self, n=30):
        try:
            return "\n".join(self.stderr_path.read_text().splitlines()[-n:])
        except FileNotFoundError:
            return ""

    def start(self, timeout=20):
        knotd = shutil.which("knotd") or "/usr/sbin/knotd"
        err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([knotd, "-c", str(self.conf)],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        for zone in self.zones:
            wait_until_answers(self.port, zone, self.proc, timeout, self.log_tail)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------- helpers
# (added for the control-socket, durability and fault tests)

def ddnsd_control_socket(d):
    """The control socket path of a Ddnsd (as written in its config)."""
    return Path(d.sockdir) / "ddnsd.sock"


def ddnsctl(d, *args, input=None, check=True, timeout=30):
    """Runs ddnsctl against d's configuration with input on stdin (never
    the terminal's). Returns the CompletedProcess."""
    r = subprocess.run([require(DDNSCTL), "-c", str(d.conf), *args],
                       input="" if input is None else input,
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, (f"ddnsctl {' '.join(args)} exited "
                                   f"{r.returncode}: {r.stderr.strip()}")
    return r


def ddnsctl_json(d, *args, input=None, timeout=30):
    """ddnsctl --json COMMAND...; the parsed result (must exit 0)."""
    import json
    r = ddnsctl(d, "--json", *args, input=input, timeout=timeout)
    return json.loads(r.stdout)


def sqlite(db, sql, check=True):
    """Runs sql with the sqlite3 command-line tool on db; returns stdout."""
    r = subprocess.run(["sqlite3", "-batch", str(db)], input=sql,
                       capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, f"sqlite3 {db}: {r.stderr.strip()}"
    return r.stdout


def start_wrapped(d, wrapper, env=None, timeout=20, wait=True):
    """Like Ddnsd.start(), with ddnsd run under a wrapper command (e.g.
    ['fiu-run', '-x', ...]) that execs it, so that d.proc.pid is ddnsd's
    pid. env: extra environment variables."""
    assert d.proc is None, "already started"
    d.runs += 1
    err = open(d.stderr_path, "a")
    err.write(f"---- start {d.runs} under {' '.join(wrapper)}\n")
    err.flush()
    e = dict(os.environ)
    e.update(env or {})
    d.proc = subprocess.Popen([*wrapper, require(DDNSD), "-c", str(d.conf)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=err, env=e)
    err.close()
    if wait:
        wait_until_answers(d.port, next(iter(d.zones)), d.proc, timeout, d.log_tail)
    return d


def soa_serial(port, zone):
    """The SOA serial a server answers for zone."""
    m = query(port, zone, "SOA")
    assert m.rcode() == dns.rcode.NOERROR and m.answer, m
    for rrset in m.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    raise AssertionError(f"no SOA in the answer for {zone}: {m}")


def integrity_problems(db):
    """The lines of PRAGMA integrity_check that are real problems ([] when
    the database is sound). Schema 3 moved rr's key columns first, so
    SQLite 3.40's false "NULL value in rr.ttl" no longer appears: any line
    but "ok" is a problem."""
    lines = sqlite(db, "PRAGMA integrity_check;").split("\n")
    return [line for line in lines if line and line != "ok"]


# ---------------------------------------------------------------- HTTP
# (added for the HTTP update API and real-client tests)

import base64
import http.client
import http.server
import threading

TEST_UA = "ddnsd-system-tests/1.0"


def http_settings(http_port, trusted="127.0.0.1, ::1", threads=2, auth_threads=2):
    """[server] keys that make a Ddnsd serve HTTP on 127.0.0.1 and ::1."""
    return {"http-listen": f"127.0.0.1:{http_port}, [::1]:{http_port}",
            "http-threads": str(threads), "auth-threads": str(auth_threads),
            "trusted-proxies": trusted}


class HttpReply:
    def __init__(self, status, reason, headers, body, version):
        self.status = status
        self.reason = reason
        self.headers = headers          # [(lower-case name, value)]
        self.raw_body = body
        self.body = body.decode("utf-8", errors="replace")
        self.version = version

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    @property
    def lines(self):
        return self.body.splitlines()

    def __repr__(self):
        return f"<HTTP {self.status} {self.reason} {self.headers} {self.body!r}>"


def basic(user, password):
    """An Authorization header value for HTTP Basic."""
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def http_request(port, path, method="GET", auth=None, headers=None,
                 host="127.0.0.1", ua=TEST_UA, body=None, timeout=10):
    """One request on a fresh connection. auth: (user, password) for Basic,
    or a raw Authorization value; ua=None sends no User-Agent. Returns an
    HttpReply."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if ua is not None:
            hdrs.setdefault("User-Agent", ua)
        if auth is not None:
            hdrs["Authorization"] = basic(*auth) if isinstance(auth, tuple) else auth
        if body is not None:
            hdrs.setdefault("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(body.encode() if isinstance(body, str) else body)
        r = conn.getresponse()
        data = r.read()
        return HttpReply(r.status, r.reason, [(k.lower(), v) for k, v in r.getheaders()],
                         data, r.version)
    finally:
        conn.close()


def http_raw(port, data, host="127.0.0.1", timeout=10):
    """Sends raw bytes and returns everything the server sends until it
    closes (or timeout passes: then what arrived so far). A reset counts
    as a close."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def api_json(d, method, path, auth=None, body=None):
    """A JSON API call (path below /api/v1) to d's HTTP port. auth: (user,
    password) for Basic, a str for Bearer, or None; body: a dict or list
    (sent as JSON) or raw text. Returns (status, parsed JSON reply)."""
    import json
    if isinstance(auth, str):
        auth = "Bearer " + auth
    r = http_request(d.http_port, "/api/v1" + path, method=method, auth=auth,
                     body=json.dumps(body) if isinstance(body, (dict, list)) else body,
                     headers={"Content-Type": "application/json"} if body is not None else None)
    return r.status, json.loads(r.body)


def wait_http(port, proc=None, timeout=20, log=lambda: "", host="127.0.0.1"):
    """Polls GET /checkip until the HTTP server answers 200."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log()}")
        try:
            r = http_request(port, "/checkip", host=host, timeout=1)
            if r.status == 200:
                return
            last = r
        except OSError as e:
            last = e
        time.sleep(0.05)
    raise AssertionError(f"HTTP on {host}:{port} did not answer within {timeout}s "
                         f"({last}):\n{log()}")


def start_http_ddnsd(workdir, trusted="127.0.0.1, ::1", server=None, **kw):
    """A started Ddnsd with HTTP on 127.0.0.1 and ::1 (d.http_port), ready
    on both DNS and HTTP. The caller stops and cleans it up."""
    hp = free_port()
    srv = http_settings(hp, trusted)
    srv.update(server or {})
    d = Ddnsd(workdir, server=srv, **kw)
    d.http_port = hp
    d.start()
    wait_http(hp, d.proc, log=d.log_tail)
    wait_http(hp, d.proc, log=d.log_tail, host="::1")
    return d


_account_seq = [0]


def new_account(d, prefix="u", hosts=1, zone="dyn.example", ipv4=None, ipv6=None,
                password=None, token=False):
    """Creates a user with `hosts` hosts under zone (unique names) and
    returns a dict: user, password, hosts (FQDNs), token (of the first
    host, if asked for)."""
    _account_seq[0] += 1
    n = _account_seq[0]
    user = f"{prefix}{n}x{os.getpid() % 1000}"
    password = password or f"pw-{user}-{n} long enough"
    ddnsctl(d, "user", "add", user, "--max-hosts", str(max(5, hosts)),
            input=password + "\n")
    names = []
    for i in range(hosts):
        fqdn = f"{user}h{i}.{zone}"
        args = ["host", "add", fqdn, "--owner", user]
        if ipv4:
            args += ["--ipv4", ipv4]
        if ipv6:
            args += ["--ipv6", ipv6]
        ddnsctl(d, *args)
        names.append(fqdn)
    acct = {"user": user, "password": password, "hosts": names, "auth": (user, password)}
    if token:
        acct["token"] = ddnsctl(d, "token", "add", names[0]).stdout.strip()
    return acct


def addrs(port, name, rdtype="A", host="127.0.0.1"):
    """The set of address texts DNS answers for name (empty: none)."""
    m = query(port, name, rdtype, host=host)
    return rdata_texts(m, rdtype, name)


def host_history(d, fqdn):
    """The history entries of `host show` (newest first)."""
    return ddnsctl_json(d, "host", "show", fqdn)["history"]


class CheckipServer:
    """A tiny HTTP server on a free loopback port that answers every GET
    with the checkip.dyndns.org page for self.address (HTTP/1.0, with
    Content-Length), standing in for the public "what is my IP" service
    that clients ask. self.requests counts the requests."""

    def __init__(self, address, host="127.0.0.1"):
        self.address = address
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                body = ("<html><head><title>Current IP Check</title></head><body>"
                        f"Current IP Address: {outer.address}</body></html>\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        cls = http.server.HTTPServer
        if ":" in host:
            class V6(http.server.HTTPServer):
                address_family = socket.AF_INET6
            cls = V6
        self.httpd = cls((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SmtpListener:
    """A minimal SMTP server (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
    on 127.0.0.1 that records each message as (envelope sender, recipients,
    parsed message)."""

    def __init__(self, port=0):
        self.messages = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text):
                self.wfile.write(text.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                sender, rcpts = None, []
                self.reply("220 test.invalid ESMTP")
                while True:
                    line = self.rfile.readline(4096)
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").rstrip("\r\n")
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-test.invalid\r\n250-8BITMIME\r\n250 HELP")
                    elif verb == "HELO":
                        self.reply("250 test.invalid")
                    elif verb == "MAIL" and cmd.upper().startswith("MAIL FROM:"):
                        sender = cmd[10:].split(" ")[0].strip("<>")
                        rcpts = []
                        self.reply("250 OK")
                    elif verb == "RCPT" and cmd.upper().startswith("RCPT TO:"):
                        if sender is None:
                            self.reply("503 MAIL first")
                            continue
                        rcpts.append(cmd[8:].split(" ")[0].strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        if not rcpts:
                            self.reply("503 RCPT first")
                            continue
                        self.reply("354 go ahead")
                        data = b""
                        while True:
                            chunk = self.rfile.readline(65536)
                            if not chunk or chunk == b".\r\n":
                                break
                            if chunk.startswith(b"."):
                                chunk = chunk[1:]
                            data += chunk
                        msg = email.message_from_bytes(data, policy=email.policy.default)
                        outer.messages.append((sender, list(rcpts), msg, data))
                        sender, rcpts = None, []
                        self.reply("250 queued")
                    elif verb == "RSET":
                        sender, rcpts = None, []
                        self.reply("250 OK")
                    elif verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def make_cert(directory):
    """A self-signed P-256 certificate for localhost: (cert path, key path)."""
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return cert, key


def wait_for(what, cond, timeout=30):
    """Polls cond() until it returns something true, and returns that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
