# SPDX-License-Identifier: GPL-3.0-or-later
"""ddnsd as the hidden primary of real secondaries: Knot DNS 3.2, NSD 4.6
and BIND 9.18, started here on loopback ports, each transferring
dyn.example with its own TSIG key (Knot and BIND hmac-sha256, NSD
hmac-sha512) and told of changes by ddnsd's NOTIFY.

* After the first AXFR all three serve the primary's serial and its data.
* 1,000 updates (HTTP from a few concurrent clients and ddnsctl, at full
  speed) on 100 hosts: each secondary reaches the primary's final serial
  within 2 s of the last update, answers 200 names (A and AAAA) exactly as
  the primary does, and took the changes as IXFR.
* A secondary that was away while the journal (journal-max = 5) was pruned
  past its serial gets the zone as an AXFR and is then in sync again.
* Transfer access control: an address not in allow-transfer is REFUSED,
  a wrong secret is NOTAUTH/BADSIG, an unknown key NOTAUTH/BADKEY, a stale
  signature NOTAUTH/BADTIME, a right key is accepted (and every signed
  reply verifies, transfer after transfer); an IXFR at the current serial
  is one SOA; a TSIG-signed SOA query (a secondary's refresh) is answered
  signed.

The transfers go through a small relay (XfrRecorder) that notes whether
each was asked and answered as IXFR or AXFR: NSD does not log it.

docs/secondaries.md shows the same configurations for operators.

Nothing waits a fixed time: every wait polls with a deadline.
"""
import concurrent.futures
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import pytest

from ddnstest import (ZONES, Ddnsd, ddnsctl, free_port, http_request,
                      ddnsctl_json, http_settings, new_account, query, rrset_set, sqlite,
                      soa_serial, tcp_connect, tcp_recv_msg, udp_exchange,
                      wait_http)

ZONE = "dyn.example"
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
NSD = shutil.which("nsd") or "/usr/sbin/nsd"
NAMED = shutil.which("named") or "/usr/sbin/named"

pytestmark = pytest.mark.skipif(
    not (Path(KNOTD).exists() and Path(NSD).exists() and Path(NAMED).exists()),
    reason="knotd, nsd and named are needed (apt-get install knot nsd bind9)")


# ------------------------------------------------------------- helpers

def wait_for(what, pred, timeout, poll=0.02, log=lambda: ""):
    """Polls pred() until it returns a true value (returned) or timeout
    seconds pass (the test fails, saying what it waited for)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{log()}")
        time.sleep(poll)


def tsig_key(d, name, algorithm="hmac-sha256"):
    """Creates a transfer TSIG key with ddnsctl and returns (name,
    algorithm, secret) as read from the printed knsupdate/kdig line."""
    args = ["tsig", "add", name]
    if algorithm != "hmac-sha256":
        args += ["--algorithm", algorithm]
    out = ddnsctl(d, *args).stdout
    m = re.search(r"-y (hmac-sha\d+):([^:\s]+):(\S+)", out)
    assert m, f"no '-y alg:name:secret' line in:\n{out}"
    assert m.group(1) == algorithm and m.group(2) == name, out
    return (name, algorithm, m.group(3))


def udp_serial(port, zone=ZONE):
    """The SOA serial a server answers over UDP, or None (no answer yet,
    SERVFAIL while the zone is not loaded...)."""
    try:
        m = query(port, zone, "SOA", timeout=0.5)
    except AssertionError:
        return None
    if m.rcode() != dns.rcode.NOERROR:
        return None
    for rrset in m.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


# ------------------------------------------------------------- DNS wire
# Transfers are TSIG-signed; these read the few fields the tests need
# straight from the wire, without validating (dnspython would insist).

def _skip_name(w, i):
    while True:
        n = w[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def wire_fields(w):
    """(id, rcode, qtype, rrs) of a message; rrs is a list of (section,
    type, rdata offset, rdata length), section 1 answer, 2 authority,
    3 additional."""
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", w[:12])
    i = 12
    qtype = None
    for _ in range(qd):
        i = _skip_name(w, i)
        if qtype is None:
            qtype = struct.unpack("!H", w[i:i + 2])[0]
        i += 4
    rrs = []
    for sec, count in ((1, an), (2, ns), (3, ar)):
        for _ in range(count):
            i = _skip_name(w, i)
            t, _c, _ttl, rdlen = struct.unpack("!HHIH", w[i:i + 10])
            i += 10
            rrs.append((sec, t, i, rdlen))
            i += rdlen
    return qid, flags & 0xF, qtype, rrs


def soa_rdata_serial(w, off):
    i = _skip_name(w, _skip_name(w, off))
    return struct.unpack("!I", w[i:i + 4])[0]


def tsig_error(w):
    """The error field of the message's TSIG record, or None if unsigned."""
    rrs = wire_fields(w)[3]
    if not rrs or rrs[-1][1] != dns.rdatatype.TSIG:
        return None
    off = rrs[-1][2]
    i = _skip_name(w, off) + 6 + 2            # algorithm, time signed, fudge
    (macsize,) = struct.unpack("!H", w[i:i + 2])
    i += 2 + macsize + 2                      # MAC, original id
    return struct.unpack("!H", w[i:i + 2])[0]


SOA, AXFR, IXFR = dns.rdatatype.SOA, dns.rdatatype.AXFR, dns.rdatatype.IXFR


class XfrRecorder:
    """A TCP and UDP relay on a free loopback port in front of ddnsd that
    notes, for every AXFR/IXFR a secondary asks through it, the query and
    the shape of ddnsd's reply. NSD does not log whether a transfer came
    as IXFR or AXFR, so the test reads it off the wire here (for Knot too,
    beside Knot's own log)."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.records = []
        self.lock = threading.Lock()
        self.closing = False
        for _ in range(20):
            self.port = free_port()
            try:
                self.tcp = socket.create_server(("127.0.0.1", self.port))
                self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.udp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no port for the recorder")
        for target in (self._accept, self._udp_loop):
            threading.Thread(target=target, daemon=True).start()

    def close(self):
        self.closing = True
        for s in (self.tcp, self.udp):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    # -- UDP: SOA queries; relayed, not recorded
    def _udp_loop(self):
        while not self.closing:
            try:
                data, addr = self.udp.recvfrom(65535)
            except OSError:
                return
            threading.Thread(target=self._udp_one, args=(data, addr), daemon=True).start()

    def _udp_one(self, data, addr):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            try:
                s.sendto(data, self.upstream)
                reply = s.recv(65535)
                self.udp.sendto(reply, addr)
            except OSError:
                pass

    # -- TCP: transfers
    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.tcp.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.upstream, timeout=3)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            pending = {}
            threading.Thread(target=self._pump, args=(c, u, True, pending), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False, pending), daemon=True).start()

    def _pump(self, src, dst, from_client, pending):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                # Noted before it is passed on, so that a query is known
                # before its reply can arrive.
                buf += data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    self._message(buf[2:2 + n], from_client, pending)
                    buf = buf[2 + n:]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (dst, src):
                try:
                    s.shutdown(socket.SHUT_WR if s is dst else socket.SHUT_RD)
                except OSError:
                    pass

    def _message(self, w, from_client, pending):
        try:
            qid, rcode, qtype, rrs = wire_fields(w)
        except (IndexError, struct.error):
            return
        with self.lock:
            if from_client:
                if qtype in (AXFR, IXFR):
                    serial = None
                    for sec, t, off, _ in rrs:
                        if sec == 2 and t == SOA:
                            serial = soa_rdata_serial(w, off)
                    rec = {"qtype": dns.rdatatype.to_text(qtype), "serial": serial,
                           "rcode": None, "types": [], "messages": 0}
                    self.records.append(rec)
                    pending[qid] = rec
                return
            rec = pending.get(qid)
            if rec is None:
                return
            rec["messages"] += 1
            if rec["rcode"] is None:
                rec["rcode"] = rcode
            for sec, t, _, _ in rrs:
                if sec == 1 and len(rec["types"]) < 2:
                    rec["types"].append(t)

    def kinds(self):
        """One word per transfer asked through the relay, in order: AXFR
        (an AXFR, or an IXFR answered in AXFR form), IXFR (an incremental
        answer), SOA (an IXFR answered with the current SOA alone: up to
        date), or the rcode's name when it failed."""
        out = []
        with self.lock:
            for r in self.records:
                if r["rcode"] is None:
                    out.append("NOREPLY")
                elif r["rcode"] != 0:
                    out.append(dns.rcode.to_text(r["rcode"]))
                elif r["qtype"] == "AXFR":
                    out.append("AXFR")
                elif r["types"][:2] == [SOA, SOA]:
                    out.append("IXFR")
                elif r["types"] == [SOA]:
                    out.append("SOA")
                else:
                    out.append("AXFR")
        return out

    def asked(self):
        with self.lock:
            return [(r["qtype"], r["serial"]) for r in self.records]


# ------------------------------------------------------------- secondaries

class Secondary:
    """A secondary name server process in its own directory; subclasses
    write the configuration (config_text is what docs/secondaries.md
    shows). self.log_path is where it logs."""

    name = "secondary"
    log_file = "{name}.stderr"

    def __init__(self, workdir, primary_port, key, port=None, notify_key=False):
        self.notify_key = notify_key        # accept only NOTIFYs signed with key
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.primary_port = primary_port
        self.key = key                      # (name, algorithm, secret)
        self.proc = None
        self.log_path = self.dir / self.log_file.format(name=self.name)
        self.conf = self.dir / f"{self.name}.conf"
        self.conf.write_text(self.config_text())

    def config_text(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        return f"---- {self.name} log (tail)\n" + "\n".join(self.log().splitlines()[-n:])

    def start(self):
        assert self.proc is None
        out = open(self.dir / f"{self.name}.stderr", "a")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT)
        out.close()
        return self

    def serial(self):
        assert self.proc is not None and self.proc.poll() is None, \
            f"{self.name} is not running:\n{self.log_tail()}"
        return udp_serial(self.port)

    def wait_serial(self, serial, timeout):
        """Polls until the secondary serves serial; returns the monotonic
        time it was first seen."""
        wait_for(f"{self.name} to serve serial {serial} (it serves {self.serial()})",
                 lambda: self.serial() == serial, timeout, log=self.log_tail)
        return time.monotonic()

    def forced_axfrs(self):
        """How many AXFRs the secondary has said it must make on its own
        account (not because the primary's journal fell short)."""
        return 0

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class KnotSecondary(Secondary):
    """knotd: master is ddnsd (with the TSIG key), NOTIFY accepted from
    127.0.0.1. Logs to stderr at info."""

    name = "knot"

    def config_text(self):
        kname, alg, secret = self.key
        d = self.dir
        return f"""server:
    rundir: {d}
    listen: 127.0.0.1@{self.port}
database:
    storage: {d}
control:
    listen: {d}/knot.sock
key:
  - id: {kname}
    algorithm: {alg}
    secret: {secret}
remote:
  - id: ddnsd
    address: 127.0.0.1@{self.primary_port}
    key: {kname}
    block-notify-after-transfer: on
acl:
  - id: notify-from-ddnsd
    address: 127.0.0.1{f"{chr(10)}    key: {kname}" if self.notify_key else ""}
    action: notify
template:
  - id: default
    storage: {d}
zone:
  - domain: {ZONE}
    master: ddnsd
    acl: notify-from-ddnsd
log:
  - target: stderr
    any: info
"""

    def command(self):
        return [KNOTD, "-c", str(self.conf)]

    def transfers(self):
        """Completed incoming transfers as Knot logs them, in order."""
        return re.findall(r"\] (AXFR|IXFR), incoming, remote \S+ ?(?:TSIG \S+)?, finished",
                          self.log())


class NsdSecondary(Secondary):
    """nsd: request-xfr from ddnsd with the TSIG key, NOTIFY allowed from
    127.0.0.1 (ddnsd's NOTIFY is not signed). Logs to nsd.log."""

    name = "nsd"
    log_file = "nsd.log"

    def config_text(self):
        kname, alg, secret = self.key
        d = self.dir
        return f"""server:
    ip-address: 127.0.0.1@{self.port}
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "{d}"
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    pidfile: "{d}/nsd.pid"
    logfile: "{d}/nsd.log"
    verbosity: 2
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
key:
    name: "{kname}"
    algorithm: {alg}
    secret: "{secret}"
zone:
    name: "{ZONE}"
    zonefile: "{ZONE}.zone"
    request-xfr: 127.0.0.1@{self.primary_port} {kname}
    allow-notify: 127.0.0.1 NOKEY
"""

    def command(self):
        return [NSD, "-d", "-c", str(self.conf)]

    def forced_axfrs(self):
        # NSD 4.6.1 sometimes counts an IXFR that it applied in the same
        # reload as a later one as failed, and fetches the whole zone
        # again by AXFR (xfrd_check_failed_updates). It logs each time.
        return len(re.findall(r"update failed, restarting transfer", self.log()))


class BindSecondary(Secondary):
    """named (BIND 9.18): type secondary with the primary and its TSIG key
    in a `primaries` list, NOTIFY allowed from 127.0.0.1, run in the
    foreground (-g: logs to stderr). It does not log whether a transfer
    came as IXFR or AXFR at info level; the XfrRecorder sees it."""

    name = "bind"

    def config_text(self):
        kname, alg, secret = self.key
        d = self.dir
        return f"""options {{
        directory "{d}";
        pid-file "{d}/named.pid";
        session-keyfile "{d}/session.key";
        managed-keys-directory "{d}";
        listen-on port {self.port} {{ 127.0.0.1; }};
        listen-on-v6 {{ none; }};
        recursion no;
        notify no;
        dnssec-validation no;
}};
controls {{ }};
key "{kname}" {{
        algorithm {alg};
        secret "{secret}";
}};
primaries ddnsd {{
        127.0.0.1 port {self.primary_port} key "{kname}";
}};
zone "{ZONE}" {{
        type secondary;
        file "{d}/{ZONE}.db";
        primaries {{ ddnsd; }};
        allow-notify {{ {f'key "{kname}"' if self.notify_key else "127.0.0.1"}; }};
}};
"""

    def command(self):
        return [NAMED, "-g", "-n", "1", "-c", str(self.conf)]


def send_notify(port, zone=ZONE):
    """Sends a NOTIFY for zone to a secondary, as a primary would; returns
    the reply's rcode (None if none came)."""
    m = dns.message.make_query(zone, "SOA", use_edns=False)
    m.flags = dns.flags.AA
    m.set_opcode(dns.opcode.NOTIFY)
    reply = udp_exchange(port, m.to_wire(), 2.0)
    return None if reply is None else wire_fields(reply)[1]


# ------------------------------------------------------------- comparing

# Names of tests/system/data/dyn.example.zone worth asking for: data at the
# apex, glue, a wildcard, an empty non-terminal, CNAME chains in and out of
# the zone, a delegation and a name below it.
STATIC_NAMES = [
    "dyn.example", "ns1.dyn.example", "ns2.dyn.example", "www.dyn.example",
    "sip.dyn.example", "a.b.c.dyn.example", "b.c.dyn.example",
    "x.alice.dyn.example", "chain1.dyn.example", "v6only.dyn.example",
    "caa.dyn.example", "dangling.dyn.example", "outside.dyn.example",
    "host1.dyn.example", "sub.dyn.example", "deep.sub.dyn.example",
]


def sample_names(hosts, n=200):
    """n names: every host, the static names, then names below hosts and
    names that do not exist, alternately."""
    names = list(hosts) + STATIC_NAMES
    i = 0
    while len(names) < n:
        names.append(f"x{i}.{hosts[i % len(hosts)]}" if i % 2 else f"nx{i}.{ZONE}")
        i += 1
    return names[:n]


def answer_view(port, name, rdtype):
    """What a resolver takes from an answer: rcode, AA, the answer's
    RRsets, and the authority section when there is no answer (the SOA
    of a negative answer, the NS of a referral). Knot and NSD add NS or
    not to positive answers by their own policy, so that is left out."""
    m = query(port, name, rdtype, timeout=2.0)
    view = (dns.rcode.to_text(m.rcode()), bool(m.flags & dns.flags.AA),
            frozenset(rrset_set(m.answer)))
    if not m.answer:
        view += (frozenset(rrset_set(m.authority)),)
    return view


def differences(primary_port, secondary_port, names):
    """[(name, type, primary's view, secondary's view)] where they differ."""
    out = []
    for name in names:
        for rdtype in ("A", "AAAA"):
            p = answer_view(primary_port, name, rdtype)
            s = answer_view(secondary_port, name, rdtype)
            if p != s:
                out.append((name, rdtype, p, s))
    return out


def transfer_kinds_after_first(kinds):
    """The transfers after the first that moved data (up-to-date answers
    left out)."""
    return [k for k in kinds[1:] if k != "SOA"]


# ------------------------------------------------------------- fixtures

KNOT_KEY = "knot-xfr"
NSD_KEY = "nsd-xfr"
BIND_KEY = "bind-xfr"
PREFIXES = ["198.51.100", "203.0.113", "192.0.2"]


def v4(h, k):
    """Host h's address after its k-th change (differs from the one before)."""
    return f"{PREFIXES[k % 3]}.{h + 1}"


def v6(h, k):
    return f"2001:db8:{k + 1:x}::{h + 1:x}"


class Pair:
    pass


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """ddnsd (DNS, HTTP) as the hidden primary of a Knot, an NSD and a
    BIND secondary, each with its own TSIG key and notified by ddnsd, all
    transferring through an XfrRecorder; 100 hosts of 5 users exist
    before the secondaries start, so their first transfer is an AXFR of
    it all."""
    base = tmp_path_factory.mktemp("secondaries")
    p = Pair()
    kport, nport, bport, hport = free_port(), free_port(), free_port(), free_port()
    zones = {ZONE: ZONES[ZONE] + [
        ("allow-transfer", f"key:{KNOT_KEY}, key:{NSD_KEY}, key:{BIND_KEY}"),
        # Knot and BIND take only NOTIFYs signed with their keys; NSD any
        # from 127.0.0.1.
        ("notify", f"127.0.0.1:{kport} key:{KNOT_KEY}, 127.0.0.1:{nport}, "
                   f"127.0.0.1:{bport} key:{BIND_KEY}")]}
    p.d = Ddnsd(base / "ddnsd", zones=zones, server=http_settings(hport))
    p.d.http_port = hport
    p.secondaries, p.recorders = [], []
    try:
        p.d.start()
        wait_http(hport, p.d.proc, log=p.d.log_tail)
        kkey = tsig_key(p.d, KNOT_KEY, "hmac-sha256")
        nkey = tsig_key(p.d, NSD_KEY, "hmac-sha512")
        bkey = tsig_key(p.d, BIND_KEY, "hmac-sha256")
        # 4 users updating over HTTP, 1 whose hosts ddnsctl changes.
        p.http_accounts = [new_account(p.d, "sx", hosts=20, ipv4="192.0.2.1",
                                       ipv6="2001:db8::1") for _ in range(4)]
        p.ctl_account = new_account(p.d, "sc", hosts=20, ipv4="192.0.2.1")
        p.hosts = [h for a in p.http_accounts + [p.ctl_account] for h in a["hosts"]]
        p.krec, p.nrec, p.brec = (XfrRecorder(p.d.port) for _ in range(3))
        p.recorders = [p.krec, p.nrec, p.brec]
        p.knot = KnotSecondary(base / "knot", p.krec.port, kkey, port=kport, notify_key=True)
        p.nsd = NsdSecondary(base / "nsd", p.nrec.port, nkey, port=nport)
        p.bind = BindSecondary(base / "bind", p.brec.port, bkey, port=bport, notify_key=True)
        p.secondaries = [p.knot, p.nsd, p.bind]
        p.recorded = list(zip(p.secondaries, p.recorders))
        for s in p.secondaries:
            s.start()
        yield p
        for s in p.secondaries:
            assert s.proc.poll() is None, f"{s.name} died:\n{s.log_tail()}"
        p.d.stop()
    finally:
        for s in p.secondaries:
            s.stop()
        for r in p.recorders:
            r.close()
        p.d.cleanup()


# ------------------------------------------------------------- tests

def test_first_transfer_is_axfr_and_in_sync(pair):
    """The secondaries load the zone from ddnsd (AXFR, TSIG) and then
    answer exactly as ddnsd does."""
    p = pair
    serial = soa_serial(p.d.port, ZONE)
    for s in p.secondaries:
        s.wait_serial(serial, 15)
    for s, rec in p.recorded:
        kinds = rec.kinds()
        assert kinds and kinds[0] == "AXFR", (s.name, kinds, rec.asked())
    assert p.knot.transfers()[:1] == ["AXFR"], p.knot.log_tail()
    for s in p.secondaries:
        diff = differences(p.d.port, s.port, sample_names(p.hosts))
        assert not diff, f"{s.name} answers differently:\n" + "\n".join(map(str, diff[:10]))


def test_keys_only_acl_refuses_unsigned_transfer(pair):
    """allow-transfer lists only keys: an unsigned AXFR from 127.0.0.1 is
    REFUSED, so the secondaries got the zone by their keys."""
    w = xfr_query("AXFR")
    replies = tcp_messages(pair.d.port, w)
    assert [wire_fields(r)[1] for r in replies] == [dns.rcode.REFUSED], replies


def test_update_storm_reaches_secondaries_by_ixfr(pair):
    """1,000 updates at full speed (800 over HTTP from 4 concurrent
    clients, 200 with ddnsctl from 2 more) on 100 hosts: each secondary
    serves the primary's final serial within 2 s of the last update,
    answers 200 names x (A, AAAA) exactly as the primary, and every
    transfer after the first was incremental."""
    p = pair
    start_serial = soa_serial(p.d.port, ZONE)
    for s in p.secondaries:
        s.wait_serial(start_serial, 15)
    index = {h: i for i, h in enumerate(p.hosts)}

    def http_client(acct):
        bad, last = [], 0.0
        for k in range(10):
            for h in acct["hosts"]:
                i = index[h]
                path = "/nic/update?" + urllib.parse.urlencode(
                    {"hostname": h, "myip": f"{v4(i, k)},{v6(i, k)}"}, safe=",:")
                r = http_request(p.d.http_port, path, auth=acct["auth"])
                if r.status != 200 or not r.lines or not r.lines[0].startswith("good"):
                    bad.append((h, k, r))
                last = time.monotonic()
        return bad, last

    def ctl_client(hosts):
        bad, last = [], 0.0
        for k in range(10):
            for h in hosts:
                i = index[h]
                args = ["--ipv4", v4(i, k)] + (["--ipv6", v6(i, k)] if k % 2 == 0
                                               else ["--ipv6", "none"])
                r = ddnsctl(p.d, "host", "set", h, *args, check=False)
                if r.returncode != 0:
                    bad.append((h, k, r.stderr))
                last = time.monotonic()
        return bad, last

    ctl_hosts = p.ctl_account["hosts"]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        futs = [ex.submit(http_client, a) for a in p.http_accounts]
        futs += [ex.submit(ctl_client, ctl_hosts[:10]), ex.submit(ctl_client, ctl_hosts[10:])]
        results = [f.result() for f in futs]
    bad = [b for r in results for b in r[0]]
    assert not bad, f"{len(bad)} updates failed, e.g. {bad[:5]}"
    t_last = max(r[1] for r in results)
    final = soa_serial(p.d.port, ZONE)
    assert final != start_serial
    print(f"1000 updates in {t_last - t0:.2f}s, serial {start_serial} -> {final}")

    # Poll them all at once: the time each first serves the final serial.
    seen = {}
    deadline = t_last + 10
    while len(seen) < len(p.secondaries) and time.monotonic() < deadline:
        for s in p.secondaries:
            if s.name not in seen and s.serial() == final:
                seen[s.name] = time.monotonic() - t_last
        time.sleep(0.01)
    print("in sync after the last update:", {k: round(v, 3) for k, v in seen.items()})
    # Knot and BIND take only NOTIFYs signed with their keys: ddnsd's
    # were, and each answered the one of the final serial.
    deadline = time.monotonic() + 10
    while True:
        st = ddnsctl_json(p.d, "status")
        told = {n["address"]: n for z in st["zones"] if z["zone"] == ZONE for n in z["notify"]}
        signed = [told[f"127.0.0.1:{s.port}"] for s in (p.knot, p.bind)]
        if all(n["answered_serial"] == final for n in signed) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(n["key"], n["answered_serial"]) for n in signed] == \
        [(KNOT_KEY, final), (BIND_KEY, final)], signed
    assert told[f"127.0.0.1:{p.nsd.port}"]["key"] is None
    for s in p.secondaries:
        assert s.name in seen, (f"{s.name} did not reach serial {final} within 10 s "
                                f"(serves {s.serial()}):\n{s.log_tail()}\n"
                                + ddnsctl(p.d, "status").stdout + p.d.log_tail())
        assert seen[s.name] <= 2.0, (f"{s.name} reached serial {final} "
                                     f"{seen[s.name]:.2f}s after the last update")

    names = sample_names(p.hosts)
    assert len(names) == 200
    for s in p.secondaries:
        diff = differences(p.d.port, s.port, names)
        assert not diff, (f"{s.name} answers {len(diff)} queries differently, e.g.:\n"
                          + "\n".join(map(str, diff[:10])))
    # The updates really are in what the secondaries serve.
    i = index[p.http_accounts[0]["hosts"][0]]
    for s in p.secondaries:
        m = query(s.port, p.hosts[i], "A")
        assert {rd.to_text() for rr in m.answer for rd in rr} == {v4(i, 9)}

    # Every IXFR the secondaries asked was answered incrementally (never
    # in AXFR form: the journal reaches back far enough), and they asked
    # for nothing else after the first AXFR, save the AXFRs NSD 4.6 forces
    # itself after "update failed, restarting transfer".
    for s, rec in p.recorded:
        later = list(zip(rec.asked(), rec.kinds()))[1:]
        answers = [k for (qtype, _), k in later if qtype == "IXFR"]
        assert "IXFR" in answers and set(answers) <= {"IXFR", "SOA"}, (
            f"{s.name}: IXFR queries should be answered as IXFR: {later}")
        axfrs = [x for x in later if x[0][0] == "AXFR"]
        assert len(axfrs) <= s.forced_axfrs(), (
            f"{s.name} asked {len(axfrs)} AXFRs after the first, "
            f"{s.forced_axfrs()} of them forced by its own restarts: {later}")
    # Knot also says itself how each transfer came (BIND 9.18 and NSD
    # do not log it at their info level; the recorder saw it).
    knot_log = p.knot.transfers()
    assert knot_log[:1] == ["AXFR"] and len(knot_log) > 1 and \
        set(knot_log[1:]) == {"IXFR"}, (knot_log, p.knot.log_tail())


# ------------------------------------------------------------- falling behind

def test_secondary_behind_journal_gets_axfr_then_catches_up(make_ddnsd, tmp_path):
    """journal-max = 5: a Knot secondary that was stopped while 80 changes
    were made (80 batches: the journal is pruned past its serial) asks for
    an IXFR when it is back and gets the zone as an AXFR, then serves the
    primary's serial and data; likewise an NSD secondary that ddnsd does
    not notify, told by a NOTIFY from the test. A change made while both
    were in step came to both as IXFR."""
    kport = free_port()
    zones = {ZONE: ZONES[ZONE] + [("allow-transfer", "key:behind-k, key:behind-n"),
                                  ("notify", f"127.0.0.1:{kport}")]}
    d = make_ddnsd(zones=zones, server={"journal-max": "5"})
    kkey = tsig_key(d, "behind-k")
    nkey = tsig_key(d, "behind-n", "hmac-sha512")
    acct = new_account(d, "bh", hosts=3, ipv4="192.0.2.1")
    host = acct["hosts"][0]
    krec, nrec = XfrRecorder(d.port), XfrRecorder(d.port)
    knot = KnotSecondary(tmp_path / "knot", krec.port, kkey, port=kport)
    nsd = NsdSecondary(tmp_path / "nsd", nrec.port, nkey)
    try:
        knot.start()
        nsd.start()
        s0 = soa_serial(d.port, ZONE)
        knot.wait_serial(s0, 15)
        nsd.wait_serial(s0, 15)

        ddnsctl(d, "host", "set", host, "--ipv4", "198.51.100.1")
        s1 = soa_serial(d.port, ZONE)
        knot.wait_serial(s1, 10)
        assert send_notify(nsd.port) == dns.rcode.NOERROR
        nsd.wait_serial(s1, 10)
        for s, rec in ((knot, krec), (nsd, nrec)):
            assert rec.kinds()[0] == "AXFR" and transfer_kinds_after_first(rec.kinds()) \
                == ["IXFR"], (s.name, rec.kinds(), rec.asked())

        knot.stop()
        for k in range(80):                       # 80 batches: pruned at least once
            ddnsctl(d, "host", "set", host, "--ipv4", v4(0, k + 1))
        s2 = soa_serial(d.port, ZONE)
        rows = sqlite(d.db, "SELECT min(journal.serial), count(*) FROM journal "
                            "JOIN zone ON zone.id = journal.zone "
                            f"WHERE zone.name = '{ZONE}';").strip()
        lo, count = (int(x) for x in rows.split("|"))
        assert lo > s1 + 1 and count <= 5, (
            f"journal-max = 5 should have pruned past serial {s1 + 1}: "
            f"oldest row {lo}, {count} rows")

        knot.start()
        # Its next change brings ddnsd's NOTIFY to the restarted Knot.
        ddnsctl(d, "host", "set", acct["hosts"][1], "--ipv4", "203.0.113.77")
        s3 = soa_serial(d.port, ZONE)
        assert s3 != s2
        knot.wait_serial(s3, 15)
        assert send_notify(nsd.port) == dns.rcode.NOERROR
        nsd.wait_serial(s3, 15)

        names = acct["hosts"] + STATIC_NAMES + [f"nx.{ZONE}"]
        for s, rec in ((knot, krec), (nsd, nrec)):
            diff = differences(d.port, s.port, names)
            assert not diff, (s.name, diff[:10])
            asked = rec.asked()
            kinds = rec.kinds()
            # The last transfer: the secondary asked IXFR from s1, and
            # got the whole zone.
            moved = [(a, k) for a, k in zip(asked, kinds) if k != "SOA"]
            assert moved[-1] == (("IXFR", s1), "AXFR"), (s.name, list(zip(asked, kinds)))
        tr = knot.transfers()
        assert tr[0] == "AXFR" and tr[-1] == "AXFR" and "IXFR" in tr[1:-1], \
            (tr, knot.log_tail())
    finally:
        knot.stop()
        nsd.stop()
        krec.close()
        nrec.close()


# ------------------------------------------------------------- access control

def xfr_query(rdtype, serial=None, key=None, qid=None, now=None):
    """The wire of an AXFR/IXFR query for ZONE, TSIG-signed with key
    (name, algorithm, secret) if given; now: the signing time to claim."""
    q = dns.message.make_query(ZONE, rdtype, use_edns=False)
    q.flags = 0
    if qid is not None:
        q.id = qid
    if serial is not None:
        soa = dns.rrset.from_text(ZONE + ".", 0, "IN", "SOA",
                                  f"ns1.{ZONE}. hostmaster.{ZONE}. {serial} 1 1 1 1")
        q.authority.append(soa)
    if key is not None:
        kr = dns.tsigkeyring.from_text({key[0]: (key[1], key[2])})
        q.use_tsig(kr, keyname=key[0], algorithm=key[1])
    if now is not None:
        class _Clock:
            @staticmethod
            def time():
                return now
        real = dns.message.time
        dns.message.time = _Clock
        try:
            return q.to_wire()
        finally:
            dns.message.time = real
    return q.to_wire()


def tcp_messages(port, wire, host="127.0.0.1", timeout=5.0, limit=None):
    """Sends one query over TCP; returns every message that comes until
    the server closes the connection (ddnsd does after a transfer or a
    refusal), timeout passes without one, or limit messages came."""
    out = []
    with tcp_connect(port, host) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        while limit is None or len(out) < limit:
            m = tcp_recv_msg(s, timeout)
            if m is None:
                break
            out.append(m)
    return out


def verified_transfer(port, wire, key, host="127.0.0.1"):
    """Runs a transfer query and validates every reply message's TSIG as a
    secondary would (dnspython's multi-message rules). Returns the
    messages; fails the test with the reason if one does not verify."""
    replies = tcp_messages(port, wire, host)
    assert replies, "no reply"
    kr = dns.tsigkeyring.from_text({key[0]: (key[1], key[2])})
    q = dns.message.from_wire(wire, keyring=kr)
    ctx, out = None, []
    for i, r in enumerate(replies):
        try:
            m = dns.message.from_wire(r, keyring=kr, request_mac=q.mac, xfr=True,
                                      tsig_ctx=ctx, multi=True)
        except dns.exception.DNSException as e:
            raise AssertionError(f"reply message {i + 1} of {len(replies)} does not "
                                 f"verify with key {key[0]}: {e!r}") from None
        ctx = m.tsig_ctx
        out.append(m)
    return out


@pytest.fixture
def acl_server(make_ddnsd):
    """ddnsd with allow-transfer = 127.0.0.1 and one key; the key."""
    zones = {ZONE: ZONES[ZONE] + [("allow-transfer", "127.0.0.1, key:xfr-good")]}
    d = make_ddnsd(zones=zones)
    key = tsig_key(d, "xfr-good")
    acct = new_account(d, "acl", hosts=1, ipv4="192.0.2.1")
    ddnsctl(d, "host", "set", acct["hosts"][0], "--ipv4", "198.51.100.9")
    return d, key


def rcode_and_tsig_error(replies):
    assert len(replies) == 1, f"{len(replies)} messages for a refused transfer"
    return dns.rcode.to_text(wire_fields(replies[0])[1]), tsig_error(replies[0])


def test_transfer_refused_from_address_not_listed(acl_server):
    """An unsigned AXFR from ::1 (only 127.0.0.1 listed) is REFUSED;
    from 127.0.0.1 it is served."""
    d, key = acl_server
    assert rcode_and_tsig_error(tcp_messages(d.port, xfr_query("AXFR"), host="::1")) \
        == ("REFUSED", None)
    with pytest.raises(dns.xfr.TransferError) as e:
        list(dns.query.xfr("::1", ZONE, port=d.port, timeout=5))
    assert e.value.rcode == dns.rcode.REFUSED
    msgs = list(dns.query.xfr("127.0.0.1", ZONE, port=d.port, timeout=5))
    soas = [rr for m in msgs for rr in m.answer if rr.rdtype == SOA]
    assert len(soas) == 2 and soas[0][0].serial == soa_serial(d.port, ZONE)


def test_transfer_wrong_secret_is_badsig(acl_server):
    d, key = acl_server
    wrong = (key[0], key[1], "c2VjcmV0IHRoYXQgaXMgbm90IHRoZSBrZXkncyBzZWNyZXQ=")
    for host in ("::1", "127.0.0.1"):
        got = rcode_and_tsig_error(tcp_messages(d.port, xfr_query("AXFR", key=wrong), host))
        assert got == ("NOTAUTH", dns.rcode.BADSIG), (host, got)


def test_transfer_unknown_key_is_badkey(acl_server):
    d, key = acl_server
    unknown = ("no-such-key", "hmac-sha256", key[2])
    got = rcode_and_tsig_error(tcp_messages(d.port, xfr_query("AXFR", key=unknown), "::1"))
    assert got == ("NOTAUTH", dns.rcode.BADKEY), got


def test_transfer_stale_signature_is_badtime(acl_server):
    d, key = acl_server
    w = xfr_query("AXFR", key=key, now=time.time() - 3600)
    got = rcode_and_tsig_error(tcp_messages(d.port, w, "::1"))
    assert got == ("NOTAUTH", dns.rcode.BADTIME), got


def test_transfer_with_right_key_accepted_every_time(acl_server):
    """From ::1 (not listed) the right key is enough. Several signed
    transfers one after another (AXFR, IXFR, AXFR...) all verify: each
    reply is signed as the first message of its own stream."""
    d, key = acl_server
    host = ddnsctl_json(d, "host", "list")[0]["name"]
    for i in range(6):
        # A change between transfers, as in real life.
        ddnsctl(d, "host", "set", host, "--ipv4", f"203.0.113.{i + 1}")
        serial = soa_serial(d.port, ZONE)
        msgs = verified_transfer(d.port, xfr_query("AXFR", key=key), key, host="::1")
        soas = [rr for m in msgs for rr in m.answer if rr.rdtype == SOA]
        assert len(soas) == 2 and soas[0][0].serial == serial, (i, msgs)
        msgs = verified_transfer(d.port, xfr_query("IXFR", serial=serial - 1, key=key), key,
                                 host="::1")
        types = [rr.rdtype for m in msgs for rr in m.answer]
        assert types[:2] == [SOA, SOA] and types[-1] == SOA, (i, msgs)
    # kdig, as an operator would check it.
    kdig = shutil.which("kdig")
    if kdig:
        r = subprocess.run([kdig, "-p", str(d.port), "@::1", "-y",
                            f"{key[1]}:{key[0]}:{key[2]}", ZONE, "AXFR"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 0 and ";; ERROR" not in r.stdout + r.stderr and \
            ";; WARNING" not in r.stdout + r.stderr and "TSIG\thmac-sha256." in r.stdout, \
            r.stdout[-2000:] + r.stderr


@pytest.mark.parametrize("signed", [False, True])
def test_ixfr_at_current_serial_is_one_soa(acl_server, signed):
    d, key = acl_server
    serial = soa_serial(d.port, ZONE)
    k = key if signed else None
    w = xfr_query("IXFR", serial=serial, key=k)
    if signed:
        msgs = verified_transfer(d.port, w, key)
        replies = [m.to_wire() for m in msgs]
        assert len(msgs) == 1 and [rr.rdtype for rr in msgs[0].answer] == [SOA]
        assert msgs[0].answer[0][0].serial == serial
    else:
        replies = tcp_messages(d.port, w)
        assert len(replies) == 1, replies
        qid, rcode, qtype, rrs = wire_fields(replies[0])
        assert rcode == 0 and qtype == IXFR
        ans = [(t, off) for sec, t, off, _ in rrs if sec == 1]
        assert [t for t, _ in ans] == [SOA]
        assert soa_rdata_serial(replies[0], ans[0][1]) == serial


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_signed_soa_query_gets_signed_answer(acl_server, tcp):
    """A secondary with a key signs its refresh query (Knot asks SOA over
    TCP with TSIG before each IXFR); RFC 8945 5.3 has the server sign the
    answer with the same key, and BIND refuses an unsigned one ("expected
    a TSIG or SIG(0)")."""
    d, key = acl_server
    w = xfr_query("SOA", key=key)
    reply = tcp_messages(d.port, w, limit=1) if tcp else [udp_exchange(d.port, w, 2.0)]
    assert reply and reply[0] is not None, "no answer"
    assert tsig_error(reply[0]) is not None, \
        f"the answer to a TSIG-signed SOA query over {'TCP' if tcp else 'UDP'} is not signed"
    kr = dns.tsigkeyring.from_text({key[0]: (key[1], key[2])})
    q = dns.message.from_wire(w, keyring=kr)
    m = dns.message.from_wire(reply[0], keyring=kr, request_mac=q.mac)
    assert m.rcode() == dns.rcode.NOERROR and m.answer[0].rdtype == SOA


# ------------------------------------------------------------- signed NOTIFY

def test_signed_notify(make_ddnsd):
    """notify = ADDRESS key:NAME: ddnsd signs its NOTIFYs with the key
    (RFC 8945) and the secondary (dnspython here) verifies them. Until the
    key exists nothing is sent and the log says why; an answer not signed
    with the key, or one that refuses (NOTAUTH), does not count as
    answered and the NOTIFY is retried; a signed NOERROR does."""
    import dns.tsigkeyring
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec:
        sec.bind(("127.0.0.1", 0))
        target = f"127.0.0.1:{sec.getsockname()[1]}"
        zones = {ZONE: ZONES[ZONE] + [("notify", f"{target} key:ntf-key")]}
        d = make_ddnsd(zones=zones)
        wait_for("the missing key logged", lambda: "no such TSIG key" in d.log(), 10,
                 log=d.log_tail)
        sec.settimeout(1.0)
        with pytest.raises(socket.timeout):
            sec.recvfrom(4096)                     # nothing unsigned went out

        name, alg, secret = tsig_key(d, "ntf-key")
        keyring = dns.tsigkeyring.from_text({name: (alg, secret)})
        new_account(d, "ntf", hosts=1, ipv4="192.0.2.1")     # a change: a new serial
        serial = soa_serial(d.port, ZONE)

        def next_notify(timeout):
            sec.settimeout(timeout)
            while True:
                wire, peer = sec.recvfrom(4096)
                m = dns.message.from_wire(wire, keyring=keyring)   # verifies it
                if m.opcode() == dns.opcode.NOTIFY:
                    assert m.had_tsig and m.keyname == dns.name.from_text(name), m
                    return m, peer

        def told():
            st = ddnsctl_json(d, "status")
            return [n for z in st["zones"] if z["zone"] == ZONE for n in z["notify"]][0]

        m, peer = next_notify(10)
        while m.answer[0][0].serial != serial:     # the one of the last change
            m, peer = next_notify(10)
        # Answered without a signature: not an answer.
        plain = dns.message.Message(id=m.id)
        plain.flags = dns.flags.QR | dns.flags.AA
        plain.set_opcode(dns.opcode.NOTIFY)
        plain.question = list(m.question)
        sec.sendto(plain.to_wire(), peer)
        wait_for("the unsigned answer logged",
                 lambda: "not signed with the key" in d.log(), 10, log=d.log_tail)
        n = told()
        assert n["key"] == name and n["answered_serial"] is None and n["unanswered"] >= 1, n

        m, peer = next_notify(5)                   # retried, signed again
        assert m.answer[0][0].serial == serial
        refuse = dns.message.make_response(m)      # signed, as m was
        refuse.set_rcode(dns.rcode.NOTAUTH)
        sec.sendto(refuse.to_wire(), peer)
        wait_for("the refusal shown", lambda: told()["refused"] == "NOTAUTH", 10, poll=0.1,
                 log=d.log_tail)
        assert told()["answered_serial"] is None

        m, peer = next_notify(5)
        sec.sendto(dns.message.make_response(m).to_wire(), peer)
        wait_for("the answer counted", lambda: told()["answered_serial"] == serial, 10,
                 poll=0.1, log=d.log_tail)
        n = told()
        assert n["refused"] is None and n["unanswered"] == 0, n
        text = ddnsctl(d, "status").stdout
        assert f"  notify {target} key {name}: answered serial {serial}\n" in text, text
    d.assert_alive()
