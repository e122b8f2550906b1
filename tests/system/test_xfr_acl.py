# SPDX-License-Identifier: GPL-3.0-or-later
"""Zone transfers allowed by address alone (no TSIG key), through the real
dig: AXFR gives the whole zone, IXFR from an earlier serial gives just the
change in incremental form, and an address outside the list is refused."""

import subprocess
import time

from ddnstest import ZONES, addrs, ddnsctl, query, soa_serial

ZONE = "dyn.example"


def dig(d, *args):
    r = subprocess.run(["dig", "@127.0.0.1", "-p", str(d.port), "+tcp", "+nocmd", "+nostats",
                        "+noall", "+answer", *args],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    return [line.split() for line in r.stdout.splitlines() if line and not line.startswith(";")]


def test_address_acl_axfr_and_ixfr(make_ddnsd):
    zones = dict(ZONES)
    zones[ZONE] = ZONES[ZONE] + [("allow-transfer", "127.0.0.1, ::1")]
    d = make_ddnsd(zones=zones)
    ddnsctl(d, "user", "add", "xfruser", input="a long password\n")
    ddnsctl(d, "host", "add", f"cam.{ZONE}", "--owner", "xfruser", "--ipv4", "198.51.100.70")
    axfr = dig(d, ZONE, "AXFR")
    assert axfr[0][3] == "SOA" and axfr[-1][3] == "SOA", axfr
    assert [f"cam.{ZONE}.", "A", "198.51.100.70"] in [[r[0], r[3], r[4]] for r in axfr], axfr
    old = soa_serial(d.port, ZONE)

    ddnsctl(d, "host", "set", f"cam.{ZONE}", "--ipv4", "203.0.113.70")
    new = soa_serial(d.port, ZONE)
    assert new != old
    ixfr = dig(d, ZONE, f"IXFR={old}")
    soas = [int(r[6]) for r in ixfr if r[3] == "SOA"]
    # Incremental: new SOA, old SOA, what went, new SOA, what came, new SOA.
    assert soas == [new, old, new, new], ixfr
    rest = [[r[0], r[3], r[4]] for r in ixfr if r[3] != "SOA"]
    assert rest == [[f"cam.{ZONE}.", "A", "198.51.100.70"],
                    [f"cam.{ZONE}.", "A", "203.0.113.70"]], ixfr
    # Up to date: just the SOA.
    assert [r[3] for r in dig(d, ZONE, f"IXFR={new}")] == ["SOA"]
    assert addrs(d.port, f"cam.{ZONE}", "A") == {"203.0.113.70"}
    d.assert_alive()


def test_address_outside_acl_is_refused(make_ddnsd):
    zones = dict(ZONES)
    zones[ZONE] = ZONES[ZONE] + [("allow-transfer", "192.0.2.1")]
    d = make_ddnsd(zones=zones)
    r = subprocess.run(["dig", "@127.0.0.1", "-p", str(d.port), ZONE, "AXFR"],
                       capture_output=True, text=True, timeout=30)
    assert "Transfer failed" in r.stdout, r.stdout
    d.assert_alive()


def notifies(sock, wait):
    """The NOTIFY messages for ZONE that arrive within wait seconds, each
    answered as a secondary does (so ddnsd does not resend it)."""
    import socket
    import time

    import dns.message
    import dns.opcode
    got = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            wire, peer = sock.recvfrom(4096)
        except socket.timeout:
            break
        m = dns.message.from_wire(wire)
        if m.opcode() == dns.opcode.NOTIFY and str(m.question[0].name) == ZONE + ".":
            got.append(m)
            sock.sendto(dns.message.make_response(m).to_wire(), peer)
            if wait > 5:       # waiting for the first one only
                break
    return got


def notified_serial(m):
    """The serial of the SOA in a NOTIFY's answer section."""
    import dns.rdatatype
    soa = [r for r in m.answer if r.rdtype == dns.rdatatype.SOA]
    assert len(soa) == 1 and str(soa[0].name) == ZONE + ".", m
    return soa[0][0].serial


def serve_secondary(sock, stop, handle):
    """A fake secondary on sock until stop is set: handle(message) returns
    the answer to send back, or None for none."""
    import socket

    import dns.message
    sock.settimeout(0.05)
    while not stop.is_set():
        try:
            wire, peer = sock.recvfrom(4096)
        except socket.timeout:
            continue
        r = handle(dns.message.from_wire(wire))
        if r is not None:
            sock.sendto(r.to_wire(), peer)


def test_sighup_changes_notify_targets(make_ddnsd):
    """A secondary added to `notify` and SIGHUP: it is notified at once and
    after each change; removed again: it hears nothing more."""
    import signal
    import socket
    zones = dict(ZONES)
    zones[ZONE] = ZONES[ZONE] + [("allow-transfer", "127.0.0.1")]
    d = make_ddnsd(zones=zones)
    ddnsctl(d, "user", "add", "ntfuser", input="a long password\n")
    ddnsctl(d, "host", "add", f"nas.{ZONE}", "--owner", "ntfuser", "--ipv4", "198.51.100.80")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec:
        sec.bind(("127.0.0.1", 0))
        d.zones[ZONE] = zones[ZONE] + [("notify", f"127.0.0.1:{sec.getsockname()[1]}")]
        d.write_config()
        d.proc.send_signal(signal.SIGHUP)
        got = notifies(sec, 15)
        assert got, d.log_tail()
        assert notified_serial(got[0]) == soa_serial(d.port, ZONE)
        ddnsctl(d, "host", "set", f"nas.{ZONE}", "--ipv4", "203.0.113.80")
        got = notifies(sec, 15)
        assert got, d.log_tail()
        # The NOTIFY carries the zone's SOA with the new serial (RFC 1996
        # 3.7), as DNS serves it.
        assert notified_serial(got[0]) == soa_serial(d.port, ZONE)
        served = query(d.port, ZONE, "SOA").answer[0][0]
        sent = got[0].answer[0][0]
        assert (sent.mname, sent.rname, sent.refresh, sent.retry, sent.expire, sent.minimum) == \
            (served.mname, served.rname, served.refresh, served.retry, served.expire,
             served.minimum)

        d.zones[ZONE] = zones[ZONE]
        d.write_config()
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while d.log().count("reloaded the zone settings") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert d.log().count("reloaded the zone settings") == 2, d.log_tail()
        notifies(sec, 1)   # anything sent before the reload took effect
        ddnsctl(d, "host", "set", f"nas.{ZONE}", "--ipv4", "203.0.113.81")
        assert notifies(sec, 3) == []
    d.assert_alive()


def test_status_shows_what_secondaries_took(make_ddnsd):
    """`ddnsctl status` tells an operator whether the secondaries keep up:
    per zone, each NOTIFY target with the serial it last answered (or how
    often one went unanswered), and each secondary that transferred the
    zone with the kind, serial and how far behind it is; then the counts."""
    import socket

    from ddnstest import api_json, ddnsctl_json, free_port, http_settings, wait_http
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        sec.bind(("127.0.0.1", 0))
        mute.bind(("127.0.0.1", 0))
        sec_addr = f"127.0.0.1:{sec.getsockname()[1]}"
        mute_addr = f"127.0.0.1:{mute.getsockname()[1]}"
        zones = dict(ZONES)
        zones[ZONE] = ZONES[ZONE] + [("allow-transfer", "127.0.0.1"),
                                     ("notify", f"{sec_addr}, {mute_addr}")]
        hp = free_port()
        d = make_ddnsd(zones=zones, server=http_settings(hp))
        wait_http(hp, d.proc, log=d.log_tail)
        d.http_port = hp
        serial = soa_serial(d.port, ZONE)
        assert notifies(sec, 15), d.log_tail()

        def zone_status():
            st = ddnsctl_json(d, "status")
            return st, [z for z in st["zones"] if z["zone"] == ZONE][0]

        deadline = time.monotonic() + 15
        while True:
            st, z = zone_status()
            told = {n["address"]: n for n in z["notify"]}
            if told[sec_addr]["answered_serial"] == serial or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert told[sec_addr]["answered_serial"] == serial, z
        assert told[sec_addr]["unanswered"] == 0, z
        assert told[mute_addr]["answered_serial"] is None, z
        assert told[mute_addr]["unanswered"] >= 1 and told[mute_addr]["pending_serial"] == serial
        assert z["transfers"] == [] and st["transfers"] == {"axfr": 0, "ixfr": 0, "refused": 0}

        dig(d, ZONE, "AXFR")
        _, z = zone_status()
        assert [(t["address"], t["key"], t["type"], t["serial"], t["behind"], t["count"])
                for t in z["transfers"]] == [("127.0.0.1", None, "AXFR", serial, 0, 1)], z

        ddnsctl(d, "user", "add", "stuser", input="a long password\n")
        ddnsctl(d, "host", "add", f"nvr.{ZONE}", "--owner", "stuser", "--ipv4", "198.51.100.90")
        new = soa_serial(d.port, ZONE)
        _, z = zone_status()
        assert z["serial"] == new and z["transfers"][0]["behind"] == new - serial > 0, z

        dig(d, ZONE, f"IXFR={serial}")
        # A key ddnsd does not know: refused, and no secondary's record.
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(d.port), "-y",
                            "hmac-sha256:nosuchkey:" + "A" * 44, ZONE, "AXFR"],
                           capture_output=True, text=True, timeout=30)
        assert "Transfer failed" in r.stdout or "BADKEY" in r.stdout, r.stdout
        st, z = zone_status()
        assert [(t["address"], t["type"], t["from"], t["serial"], t["behind"], t["count"])
                for t in z["transfers"]] == [("127.0.0.1", "IXFR", serial, new, 0, 2)], z
        assert st["transfers"] == {"axfr": 1, "ixfr": 1, "refused": 1}, st
        assert st["notify"]["answered"] >= 1 and st["notify"]["sent"] > st["notify"]["answered"]

        # The operators' status page shows the same.
        pw = "the operator's long password"
        ddnsctl(d, "user", "add", "op", "--admin", input=pw + "\n")
        code, web = api_json(d, "GET", "/admin/status", ("op", pw))
        assert code == 200, web
        wz = [x for x in web["zones"] if x["name"] == ZONE][0]
        st, z = zone_status()
        def ageless(ts):
            return [{k: v for k, v in t.items() if k != "age"} for t in ts]
        assert ageless(wz["transfers"]) == ageless(z["transfers"]), (wz, z)
        assert web["transfers"] == st["transfers"], web
        assert [n["address"] for n in wz["notify"]] == [sec_addr, mute_addr], wz

        text = ddnsctl(d, "status").stdout
        assert f"zone {ZONE} serial {new}\n" in text, text
        assert f"  transfer 127.0.0.1: IXFR {serial} -> serial {new} (current), " in text, text
        assert f"  notify {mute_addr}: no answer yet, serial " in text, text
        assert "transfers served: 1 AXFR, 1 IXFR, 1 refused; NOTIFY: " in text, text
    d.assert_alive()


def test_notify_coalesces_a_burst(make_ddnsd):
    """A burst of changes (8 clients updating their hosts over HTTP as fast
    as they can for about 1.5 s, one serial per commit) causes a handful of
    NOTIFYs, at least 250 ms apart, not one per serial; the last carries
    the final serial."""
    import concurrent.futures
    import http.client
    import socket
    import threading

    import dns.message
    import dns.opcode
    from ddnstest import basic, free_port, http_settings, new_account, wait_http
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec:
        sec.bind(("127.0.0.1", 0))
        zones = dict(ZONES)
        zones[ZONE] = ZONES[ZONE] + [("notify", f"127.0.0.1:{sec.getsockname()[1]}")]
        hp = free_port()
        d = make_ddnsd(zones=zones, server=http_settings(hp))
        wait_http(hp, d.proc, log=d.log_tail)
        acct = new_account(d, prefix="burst", hosts=8)
        notifies(sec, 15)                    # the one of the start
        notifies(sec, 1)                     # and any of the hosts just made
        before = soa_serial(d.port, ZONE)

        got, stop = [], threading.Event()

        def notified(m):
            """Answers every NOTIFY, noting when it came."""
            if m.opcode() != dns.opcode.NOTIFY:
                return None
            got.append((time.monotonic(), notified_serial(m)))
            return dns.message.make_response(m)

        def secondary():
            serve_secondary(sec, stop, notified)

        def client(i):
            conn = http.client.HTTPConnection("127.0.0.1", hp, timeout=10)
            hdrs = {"Authorization": basic(acct["user"], acct["password"]),
                    "User-Agent": "ddnsd-test/1.0"}
            k, n = 0, 0
            while time.monotonic() < t0 + 1.5:
                k += 1
                conn.request("GET", f"/nic/update?hostname={acct['hosts'][i]}"
                             f"&myip=198.51.100.{1 + k % 200}", headers=hdrs)
                body = conn.getresponse().read().decode()
                assert body.startswith("good "), body
                n += 1
            conn.close()
            return n

        listener = threading.Thread(target=secondary)
        listener.start()
        try:
            t0 = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                updates = sum(pool.map(client, range(8)))
            final = soa_serial(d.port, ZONE)
            deadline = time.monotonic() + 5
            while (not got or got[-1][1] != final) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            listener.join()
        serials = final - before
        assert updates >= 200 and serials >= 50, (updates, serials)  # many commits
        arrived = [s for _, s in got]
        assert arrived and arrived[-1] == final, (arrived, final)
        assert arrived == sorted(arrived), arrived
        # About one per 250 ms of the burst: a handful for its serials.
        assert 2 <= len(got) <= 12 and len(got) < serials / 10, (len(got), serials, arrived)
        gaps = [b - a for (a, _), (b, _) in zip(got, got[1:])]
        assert min(gaps) >= 0.2, gaps
    d.assert_alive()


def test_notify_answer_from_elsewhere_is_ignored(make_ddnsd):
    """An answer to a NOTIFY counts only when it comes from the address and
    port the NOTIFY went to: the same answer from another port (a forger
    that saw or guessed the ID) changes nothing."""
    import socket

    import dns.message
    from ddnstest import ddnsctl_json
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        sec.bind(("127.0.0.1", 0))
        other.bind(("127.0.0.1", 0))
        zones = dict(ZONES)
        zones[ZONE] = ZONES[ZONE] + [("notify", f"127.0.0.1:{sec.getsockname()[1]}")]
        d = make_ddnsd(zones=zones)
        sec.settimeout(10)
        wire, peer = sec.recvfrom(4096)
        answer = dns.message.make_response(dns.message.from_wire(wire)).to_wire()

        def told():
            st = ddnsctl_json(d, "status")
            return [n for z in st["zones"] if z["zone"] == ZONE for n in z["notify"]][0]

        other.sendto(answer, peer)
        time.sleep(0.5)
        assert told()["answered_serial"] is None, told()
        sec.sendto(answer, peer)
        deadline = time.monotonic() + 10
        while told()["answered_serial"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told()["answered_serial"] == soa_serial(d.port, ZONE), told()
    d.assert_alive()


def test_renotify_after_a_transfer_that_ended_behind(make_ddnsd, tmp_path):
    """A secondary whose transfer ended at an older serial than the zone
    has by then is notified again at once, although it answered the
    NOTIFY of the new serial during its transfer, in case it did not act on
    it (an NSD 4.6 secondary was once left behind that way after restarting
    a transfer). The transfer here is an AXFR
    of 400,000 names read slowly, so that a change commits while it runs."""
    import socket
    import struct

    import dns.message
    import dns.rdatatype
    from ddnstest import ddnsctl_json
    names = 400000
    zonefile = tmp_path / "big.zone"
    with open(zonefile, "w") as f:
        f.write(f"$ORIGIN {ZONE}.\n$TTL 60\n@ 3600 IN SOA ns1 hostmaster 1 7200 900 604800 120\n"
                "@ 3600 IN NS ns1\n@ 3600 IN NS ns2\nns1 IN A 192.0.2.53\nns2 IN A 192.0.2.54\n")
        f.writelines(f"n{i} IN A 198.51.100.{i % 250 + 1}\n" for i in range(names))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec:
        sec.bind(("127.0.0.1", 0))
        zones = dict(ZONES)
        zones[ZONE] = ZONES[ZONE] + [("allow-transfer", "127.0.0.1"),
                                     ("notify", f"127.0.0.1:{sec.getsockname()[1]}")]
        d = make_ddnsd(zones=zones, zonefiles={ZONE: zonefile})
        old = soa_serial(d.port, ZONE)
        assert notifies(sec, 15), d.log_tail()

        # An AXFR that the test reads slowly: ddnsd's transfer thread
        # blocks on the full socket after a few MB, at serial `old`.
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        t.connect(("127.0.0.1", d.port))
        q = dns.message.make_query(ZONE, "AXFR").to_wire()
        t.sendall(struct.pack("!H", len(q)) + q)
        t.settimeout(30)
        got = t.recv(4096)
        assert got, "no transfer"

        ddnsctl(d, "user", "add", "lateuser", input="a long password\n")
        ddnsctl(d, "host", "add", f"late.{ZONE}", "--owner", "lateuser",
                "--ipv4", "203.0.113.99")
        new = soa_serial(d.port, ZONE)
        assert new != old
        # The secondary hears of `new` and answers, mid-transfer.
        told = notifies(sec, 2)
        assert told and notified_serial(told[-1]) == new, [notified_serial(m) for m in told]

        # The rest of the transfer; its last message ends with the SOA of
        # the zone as it was: `old`.
        buf = bytearray(got)
        while True:
            chunk = t.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        t.close()
        at, last = 0, None
        while at + 2 <= len(buf):
            n = struct.unpack("!H", buf[at:at + 2])[0]
            last = bytes(buf[at + 2:at + 2 + n])
            at += 2 + n
        assert at == len(buf) and last, "a cut transfer"
        soas = [rr[0].serial for rr in dns.message.from_wire(last).answer
                if rr.rdtype == dns.rdatatype.SOA]
        last_soa = soas[-1] if soas else None
        assert last_soa == old, (last_soa, old)

        # Told again, at once (not 250 ms pacing, not 2 s retries: within
        # a second), of the serial it is behind.
        again = notifies(sec, 1)
        assert again and notified_serial(again[0]) == new, [notified_serial(m) for m in again]
        st = ddnsctl_json(d, "status")
        tr = [x for z in st["zones"] if z["zone"] == ZONE for x in z["transfers"]]
        assert [(x["type"], x["serial"], x["behind"]) for x in tr] == [("AXFR", old, new - old)]
    d.assert_alive()


def test_secondary_serving_an_older_serial_is_notified_again(make_ddnsd):
    """A secondary that answers a NOTIFY but goes on serving an older zone
    (as NSD 4.6.1 does when it fails to load an update) is asked for its
    SOA, told again, and asked again, until it serves the serial: each
    re-NOTIFY follows an SOA answer with the older serial, none comes once
    it serves the new one, and the log says why."""
    import socket
    import threading

    import dns.message
    import dns.opcode
    import dns.rdatatype
    import dns.rrset
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sec:
        sec.bind(("127.0.0.1", 0))
        zones = dict(ZONES)
        zones[ZONE] = ZONES[ZONE] + [("notify", f"127.0.0.1:{sec.getsockname()[1]}")]
        d = make_ddnsd(zones=zones)
        ddnsctl(d, "user", "add", "stale", input="a long password\n")
        serial = soa_serial(d.port, ZONE)
        assert serial >= 2
        stale = serial - 1          # what the secondary serves for a while
        events, stop, lock = [], threading.Event(), threading.Lock()
        state = {"stale_answers": 3}

        def answer(m):
            r = dns.message.make_response(m)
            with lock:
                if m.opcode() == dns.opcode.NOTIFY:
                    events.append(("notify", notified_serial(m)))
                elif m.question and m.question[0].rdtype == dns.rdatatype.SOA:
                    served = stale if state["stale_answers"] > 0 else serial
                    state["stale_answers"] -= 1
                    events.append(("soa", served))
                    r.answer.append(dns.rrset.from_text(
                        ZONE + ".", 3600, "IN", "SOA",
                        f"ns1.{ZONE}. hostmaster.{ZONE}. {served} 7200 900 604800 120"))
            return r
        th = threading.Thread(target=serve_secondary, args=(sec, stop, answer))
        th.start()
        try:
            wait_for_events = time.monotonic() + 20
            while time.monotonic() < wait_for_events:
                with lock:
                    if ("soa", serial) in events:
                        break
                time.sleep(0.05)
            time.sleep(3)           # anything that would still come
        finally:
            stop.set()
            th.join()
        # Told the serial, asked, told again after each older answer.
        kinds = [e for e in events if e[1] in (serial, stale)]
        assert kinds[:8] == [("notify", serial), ("soa", stale)] * 3 + \
            [("notify", serial), ("soa", serial)], events
        assert kinds[8:] == [], events
        assert f"serves {stale}; notifying it again" in d.log_tail(50)
