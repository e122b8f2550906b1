# SPDX-License-Identifier: GPL-3.0-or-later
"""GET /metrics: the counters in the Prometheus text format, read with the
Prometheus client library's own parser, moving as the server works; only
for the addresses of metrics-allow."""

import dns.query
import dns.zone
import pytest

from ddnstest import (ZONES, addrs, free_port, http_request, new_account, soa_serial,
                      start_http_ddnsd, wait_for)

parser = pytest.importorskip("prometheus_client.parser")


def scrape(d):
    r = http_request(d.http_port, "/metrics")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/plain; version=0.0.4")
    samples = {}
    for fam in parser.text_string_to_metric_families(r.body):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def one(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def served(tmp_path):
    silent = free_port()     # a NOTIFY target that never answers
    zones = dict(ZONES)
    zones["dyn.example"] = ZONES["dyn.example"] + [("allow-transfer", "127.0.0.1"),
                                                   ("notify", f"127.0.0.1:{silent}")]
    d = start_http_ddnsd(tmp_path / "d", zones=zones)
    d.silent = silent
    yield d
    d.stop()
    d.cleanup()


def test_metrics_follow_queries_updates_and_transfers(served):
    d = served
    before = scrape(d)
    assert one(before, "ddnsd_build_info", version="0.1.0") == 1
    acc = new_account(d)
    host = acc["hosts"][0]
    r = http_request(d.http_port, f"/nic/update?hostname={host}&myip=203.0.113.71",
                     auth=(acc["user"], acc["password"]))
    assert r.body.strip() == "good 203.0.113.71"
    for _ in range(25):
        assert addrs(d.port, host) == {"203.0.113.71"}
    xfr = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", "dyn.example", port=d.port))
    assert xfr is not None
    wait_for("the transfer to be counted", lambda: one(
        scrape(d), "ddnsd_transfers_total", type="axfr") == 1, timeout=10)
    after = scrape(d)
    assert one(after, "ddnsd_updates_total") - one(before, "ddnsd_updates_total") >= 1
    assert one(after, "ddnsd_dns_queries_total") - one(before, "ddnsd_dns_queries_total") >= 25
    assert one(after, "ddnsd_http_responses_total", code="2xx") - \
        one(before, "ddnsd_http_responses_total", code="2xx") >= 2
    serial = soa_serial(d.port, "dyn.example")
    assert one(after, "ddnsd_zone_serial", zone="dyn.example") == serial
    assert one(after, "ddnsd_zone_serial", zone="home.example") == \
        soa_serial(d.port, "home.example")
    peer = {"zone": "dyn.example", "address": "127.0.0.1", "key": ""}
    assert one(after, "ddnsd_secondary_serials_behind", **peer) == 0
    assert one(after, "ddnsd_secondary_transfers_total", **peer) == 1
    # The NOTIFY target never answers: sent, not answered, pending.
    assert one(after, "ddnsd_notify_sent_total") >= 1
    assert one(after, "ddnsd_notify_answered_total") == 0
    # (A NOTIFY of a new serial goes out within the notifier's pacing.)
    wait_for("an unanswered NOTIFY", lambda: one(
        scrape(d), "ddnsd_notify_unanswered", zone="dyn.example",
        address=f"127.0.0.1:{d.silent}", key="") >= 1, timeout=10)
    # A later change: the transfer it took is now behind.
    r = http_request(d.http_port, f"/nic/update?hostname={host}&myip=203.0.113.72",
                     auth=(acc["user"], acc["password"]))
    assert r.body.strip() == "good 203.0.113.72"
    later = scrape(d)
    assert one(later, "ddnsd_zone_serial", zone="dyn.example") == serial + 1
    assert one(later, "ddnsd_secondary_serials_behind", **peer) == 1
    # A 4xx is counted as one.
    assert http_request(d.http_port, "/nic/update?hostname=x").status in (400, 401)
    assert one(scrape(d), "ddnsd_http_responses_total", code="4xx") == \
        one(later, "ddnsd_http_responses_total", code="4xx") + 1


def test_metrics_only_for_metrics_allow(tmp_path):
    d = start_http_ddnsd(tmp_path / "d", server={"metrics-allow": "192.0.2.1, 2001:db8::/32"})
    try:
        r = http_request(d.http_port, "/metrics")
        assert r.status == 403 and "metrics-allow" in r.body and "ddnsd_" not in r.body
        r = http_request(d.http_port, "/metrics", host="::1")
        assert r.status == 403
        # Another address is not another answer: X-Forwarded-For is not believed here.
        r = http_request(d.http_port, "/metrics", headers={"X-Forwarded-For": "192.0.2.1"})
        assert r.status == 403
    finally:
        d.stop()
        d.cleanup()


def test_threads_are_named_for_their_work(served):
    """What an operator sees in top -H or ps -L: one thread per role name,
    and liburcu's reclaiming thread under its own name rather than as a
    second ddnsd-writer (it used to start at the writer's first change
    and take its name)."""
    import os
    d = served
    acc = new_account(d)
    host = acc["hosts"][0]
    r = http_request(d.http_port, f"/nic/update?hostname={host}&myip=203.0.113.72",
                     auth=(acc["user"], acc["password"]))
    assert r.body.strip() == "good 203.0.113.72"
    pid = d.proc.pid
    names = [open(f"/proc/{pid}/task/{t}/comm").read().strip()
             for t in os.listdir(f"/proc/{pid}/task")]
    assert names.count("ddnsd-writer") == 1, names
    assert names.count("ddnsd-rcu") == 1, names
    assert {"ddnsd-http", "ddnsd-udp", "ddnsd-tcp", "ddnsd-ckpt"} <= set(names), names
