# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP update API as routers and clients use it: DynDNS2 / No-IP
(/nic/update, /v3/update), DuckDNS (/update) and /checkip.

Every accepted change must be in DNS the moment its reply arrives (the
writer commits and publishes before answering), so DNS is queried right
after each reply, never polled. The SOA serial must rise with every change
and stay put on nochg. Failure replies must never contain a word an update
client may take for success.
"""
import concurrent.futures
import re
import urllib.parse

import pytest

from ddnstest import (addrs, http_raw, http_request, new_account, query,
                      rdata_texts, soa_serial, start_http_ddnsd, wait_http)

ZONE = "dyn.example"
# Words update clients (inadyn's generic plugin, scripts) look for to decide
# that an update worked. Substrings, case-insensitive ("token" is one too).
SUCCESS_WORDS = re.compile(r"ok|good|true|updated|success|nochg", re.I)
FAILURE_WORDS = {"nohost", "notfqdn", "badauth", "badagent", "numhost", "abuse",
                 "dnserr", "911"}


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params, safe=",:")


def assert_failure(r, word=None, status=200):
    """r is a failure reply: the status, one known failure word per line
    (word, if given), and nothing a client could read as success."""
    assert r.status == status, r
    assert r.lines, r
    for line in r.lines:
        assert line in FAILURE_WORDS, r
        if word is not None:
            assert line == word, r
    assert not SUCCESS_WORDS.search(r.body), f"failure reply reads like success: {r}"


def serial(d):
    return soa_serial(d.port, ZONE)


def update(d, acct, host="127.0.0.1", path="/nic/update", auth=None, **params):
    return http_request(d.http_port, q(path, **params), host=host,
                        auth=auth or acct["auth"])


def history_len(d, fqdn):
    from ddnstest import host_history
    return len(host_history(d, fqdn))


# ------------------------------------------------------------- /checkip

def test_checkip_page(http_ddnsd):
    d = http_ddnsd
    r = http_request(d.http_port, "/checkip")
    assert r.status == 200
    assert r.body.strip() == ("<html><head><title>Current IP Check</title></head>"
                              "<body>Current IP Address: 127.0.0.1</body></html>")
    r6 = http_request(d.http_port, "/checkip", host="::1")
    assert r6.status == 200
    assert "Current IP Address: ::1</body>" in r6.body


def test_checkip_trusted_proxy(http_ddnsd):
    d = http_ddnsd
    for host, xff, want in (("127.0.0.1", "203.0.113.9", "203.0.113.9"),
                            ("127.0.0.1", "198.51.100.1, 203.0.113.10", "203.0.113.10"),
                            ("::1", "2001:db8::77", "2001:db8::77"),
                            ("::1", "192.0.2.5,2001:db8::78", "2001:db8::78")):
        r = http_request(d.http_port, "/checkip", host=host,
                         headers={"X-Forwarded-For": xff})
        assert f"Current IP Address: {want}</body>" in r.body, (host, xff, r)
    # Garbage is not an address: the connection's address instead.
    r = http_request(d.http_port, "/checkip", headers={"X-Forwarded-For": "not-an-ip"})
    assert "Current IP Address: 127.0.0.1</body>" in r.body, r


def test_checkip_untrusted_proxy_ignored(tmp_path):
    d = start_http_ddnsd(tmp_path / "untrusted", trusted="192.0.2.1")
    try:
        r = http_request(d.http_port, "/checkip", headers={"X-Forwarded-For": "203.0.113.9"})
        assert "Current IP Address: 127.0.0.1</body>" in r.body, r
        r = http_request(d.http_port, "/checkip", host="::1",
                         headers={"X-Forwarded-For": "2001:db8::9"})
        assert "Current IP Address: ::1</body>" in r.body, r
        d.stop()
    finally:
        d.cleanup()


# ------------------------------------------------------------- DynDNS2

def test_good_then_nochg_visible_at_once(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "gd", ipv4="192.0.2.10", ipv6="2001:db8::10")
    h = acct["hosts"][0]
    s0 = serial(d)
    r = update(d, acct, hostname=h, myip="203.0.113.10")
    assert r.status == 200 and r.lines == ["good 203.0.113.10"], r
    assert addrs(d.port, h) == {"203.0.113.10"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::10"}, "the other family changed"
    s1 = serial(d)
    assert s1 > s0, (s0, s1)
    n_hist = history_len(d, h)
    r = update(d, acct, hostname=h, myip="203.0.113.10")
    assert r.status == 200 and r.lines == ["nochg 203.0.113.10"], r
    assert serial(d) == s1, "nochg changed the SOA serial"
    assert history_len(d, h) == n_hist, "nochg wrote a history entry"
    assert addrs(d.port, h) == {"203.0.113.10"}
    # /v3/update and POST are the same endpoint.
    r = http_request(d.http_port, q("/v3/update", hostname=h, myip="203.0.113.11"),
                     auth=acct["auth"])
    assert r.lines == ["good 203.0.113.11"], r
    assert addrs(d.port, h) == {"203.0.113.11"}
    r = http_request(d.http_port, q("/nic/update", hostname=h, myip="203.0.113.12"),
                     method="POST", body="", auth=acct["auth"])
    assert r.lines == ["good 203.0.113.12"], r
    assert addrs(d.port, h) == {"203.0.113.12"}
    assert serial(d) > s1


def test_dual_stack_and_one_family(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "ds")
    h = acct["hosts"][0]
    # v6 first: the reply still lists v4 then v6.
    r = update(d, acct, hostname=h, myip="2001:db8::20,203.0.113.20")
    assert r.lines == ["good 203.0.113.20,2001:db8::20"], r
    assert addrs(d.port, h) == {"203.0.113.20"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::20"}
    # One family: the other stays.
    r = update(d, acct, hostname=h, myipv6="2001:db8::21")
    assert r.lines == ["good 2001:db8::21"], r
    assert addrs(d.port, h) == {"203.0.113.20"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::21"}
    r = update(d, acct, hostname=h, myip6="2001:db8::22")
    assert r.lines == ["good 2001:db8::22"], r
    assert addrs(d.port, h, "AAAA") == {"2001:db8::22"}
    r = update(d, acct, hostname=h, myipv4="203.0.113.21")
    assert r.lines == ["good 203.0.113.21"], r
    assert addrs(d.port, h) == {"203.0.113.21"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::22"}
    r = update(d, acct, hostname=h, myip="203.0.113.21", myipv6="2001:db8::22")
    assert r.lines == ["nochg 203.0.113.21,2001:db8::22"], r


def test_ipv6_transport(http_ddnsd):
    """Requests over [::1]; without myip the (trusted proxy's) forwarded
    address is the one set."""
    d = http_ddnsd
    acct = new_account(d, "v6")
    h = acct["hosts"][0]
    r = update(d, acct, host="::1", hostname=h, myip="2001:db8::30")
    assert r.lines == ["good 2001:db8::30"], r
    assert addrs(d.port, h, "AAAA") == {"2001:db8::30"}
    assert addrs(d.port, h, "AAAA", host="::1") == {"2001:db8::30"}
    r = http_request(d.http_port, q("/nic/update", hostname=h), host="::1",
                     auth=acct["auth"], headers={"X-Forwarded-For": "2001:db8::31"})
    assert r.lines == ["good 2001:db8::31"], r
    assert addrs(d.port, h, "AAAA") == {"2001:db8::31"}
    r = http_request(d.http_port, q("/nic/update", hostname=h), host="::1",
                     auth=acct["auth"], headers={"X-Forwarded-For": "203.0.113.31"})
    assert r.lines == ["good 203.0.113.31"], r
    assert addrs(d.port, h) == {"203.0.113.31"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::31"}


def test_host_token(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "tk", hosts=2, token=True)
    h0, h1 = acct["hosts"]
    tok = (h0, acct["token"])
    assert len(acct["token"]) == 43
    # hostname omitted: the token's own host.
    r = http_request(d.http_port, q("/nic/update", myip="203.0.113.40"), auth=tok)
    assert r.lines == ["good 203.0.113.40"], r
    assert addrs(d.port, h0) == {"203.0.113.40"}
    # A token updates its own host only, even of the same owner.
    s = serial(d)
    r = http_request(d.http_port, q("/nic/update", hostname=f"{h1},{h0}",
                                    myip="203.0.113.41"), auth=tok)
    assert r.lines == ["nohost", "good 203.0.113.41"], r
    assert addrs(d.port, h1) == set()
    assert addrs(d.port, h0) == {"203.0.113.41"}
    assert serial(d) > s
    # A wrong token of the right length.
    bad = acct["token"][:-1] + ("A" if acct["token"][-1] != "A" else "B")
    s = serial(d)
    r = http_request(d.http_port, q("/nic/update", hostname=h0, myip="203.0.113.42"),
                     auth=(h0, bad))
    assert_failure(r, "badauth")
    assert addrs(d.port, h0) == {"203.0.113.41"}
    assert serial(d) == s
    # The token is no password for the owner's account.
    r = http_request(d.http_port, q("/nic/update", hostname=h0, myip="203.0.113.42"),
                     auth=(acct["user"], acct["token"]))
    assert_failure(r, "badauth")
    assert addrs(d.port, h0) == {"203.0.113.41"}


def test_multi_host_partial_failures_in_order(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "mh", hosts=3, ipv4="192.0.2.50")
    other = new_account(d, "mo", ipv4="192.0.2.51")
    a, b, c = acct["hosts"]
    names = [a, "nosuchhost." + ZONE, b, other["hosts"][0], "bad..name." + ZONE,
             "x.example.org", "host1." + ZONE, c]
    s = serial(d)
    r = update(d, acct, hostname=",".join(names), myip="203.0.113.50")
    assert r.status == 200, r
    assert r.lines == ["good 203.0.113.50", "nohost", "good 203.0.113.50", "nohost",
                       "notfqdn", "notfqdn", "nohost", "good 203.0.113.50"], r
    for h in (a, b, c):
        assert addrs(d.port, h) == {"203.0.113.50"}, h
    assert addrs(d.port, other["hosts"][0]) == {"192.0.2.51"}, "another user's host changed"
    assert addrs(d.port, "host1." + ZONE) == {"192.0.2.1"}, "a zone record changed"
    assert serial(d) > s
    # Again: nochg for the three, the same failures.
    s = serial(d)
    r = update(d, acct, hostname=",".join(names), myip="203.0.113.50")
    assert r.lines == ["nochg 203.0.113.50", "nohost", "nochg 203.0.113.50", "nohost",
                       "notfqdn", "notfqdn", "nohost", "nochg 203.0.113.50"], r
    assert serial(d) == s


def test_numhost(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "nm", hosts=1, ipv4="192.0.2.60")
    h = acct["hosts"][0]
    # 20 names are fine: one line each.
    names = [h] + [f"nope{i}.{ZONE}" for i in range(19)]
    r = update(d, acct, hostname=",".join(names), myip="203.0.113.60")
    assert r.lines == ["good 203.0.113.60"] + ["nohost"] * 19, r
    # 21: a single numhost line and no change.
    s = serial(d)
    names = [h] + [f"nope{i}.{ZONE}" for i in range(20)]
    r = update(d, acct, hostname=",".join(names), myip="203.0.113.61")
    assert_failure(r, "numhost")
    assert r.lines == ["numhost"], r
    assert addrs(d.port, h) == {"203.0.113.60"}
    assert serial(d) == s


def test_badauth_same_for_unknown_user(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "ba", ipv4="192.0.2.70")
    h = acct["hosts"][0]
    s = serial(d)
    replies = [update(d, acct, hostname=h, myip="203.0.113.70", auth=auth)
               for auth in ((acct["user"], "wrong password here"),
                            ("nosuchuser" + acct["user"], "wrong password here"),
                            ("nosuchuser" + acct["user"], acct["password"]))]
    for r in replies:
        assert_failure(r, "badauth")

    def shape(r):
        return (r.status, r.reason, r.body,
                sorted((k, v) for k, v in r.headers if k != "date"))
    assert shape(replies[0]) == shape(replies[1]) == shape(replies[2]), replies
    assert addrs(d.port, h) == {"192.0.2.70"}
    assert serial(d) == s
    # The right password still works afterwards.
    r = update(d, acct, hostname=h, myip="203.0.113.70")
    assert r.lines == ["good 203.0.113.70"], r


@pytest.mark.parametrize("authz", [None, "Basic !!!notbase64", "Basic " + "QUJD",  # "ABC": no colon
                                   "Bearer abcdef", "Basic "])
def test_missing_or_undecodable_authorization_is_401(http_ddnsd, authz):
    d = http_ddnsd
    acct = new_account(d, "na", ipv4="192.0.2.71")
    h = acct["hosts"][0]
    s = serial(d)
    r = http_request(d.http_port, q("/nic/update", hostname=h, myip="203.0.113.71"),
                     auth=authz)
    assert_failure(r, "badauth", status=401)
    assert (r.header("www-authenticate") or "").lower().startswith("basic"), r
    assert addrs(d.port, h) == {"192.0.2.71"}
    assert serial(d) == s


def test_badagent(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "ag", ipv4="192.0.2.72")
    h = acct["hosts"][0]
    s = serial(d)
    r = http_request(d.http_port, q("/nic/update", hostname=h, myip="203.0.113.72"),
                     auth=acct["auth"], ua=None)
    assert_failure(r, "badagent")
    assert addrs(d.port, h) == {"192.0.2.72"}
    assert serial(d) == s


def test_suspended_host_is_abuse(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "ab", hosts=2, ipv4="192.0.2.73")
    h, ok = acct["hosts"]
    from ddnstest import ddnsctl
    ddnsctl(d, "host", "suspend", h, "--reason", "test")
    s = serial(d)
    r = update(d, acct, hostname=h, myip="203.0.113.73")
    assert_failure(r, "abuse")
    assert serial(d) == s
    # In a list, only the suspended host's line says so.
    r = update(d, acct, hostname=f"{h},{ok}", myip="203.0.113.74")
    assert r.lines == ["abuse", "good 203.0.113.74"], r
    assert addrs(d.port, ok) == {"203.0.113.74"}
    ddnsctl(d, "host", "resume", h)
    assert addrs(d.port, h) == {"192.0.2.73"}, "the suspended update was applied"


@pytest.mark.parametrize("myip", ["203.0.113.300", "example", "203.0.113.1,foo",
                                  "2001:db8::g", "203.0.113.1/24"])
def test_bad_myip_is_dnserr(http_ddnsd, myip):
    d = http_ddnsd
    acct = new_account(d, "de", ipv4="192.0.2.74")
    h = acct["hosts"][0]
    s = serial(d)
    r = update(d, acct, hostname=h, myip=myip)
    assert_failure(r, "dnserr")
    assert addrs(d.port, h) == {"192.0.2.74"}
    assert serial(d) == s


@pytest.mark.parametrize("myip", ["203.0.113.1,203.0.113.2", "2001:db8::1,2001:db8::2",
                                  "203.0.113.1,2001:db8::1,203.0.113.2"])
def test_two_addresses_of_one_family_is_dnserr(http_ddnsd, myip):
    """myip is one address per family: two IPv4 (or two IPv6) addresses
    are a bad myip, not "the last one wins"."""
    d = http_ddnsd
    acct = new_account(d, "tf", ipv4="192.0.2.75", ipv6="2001:db8::75")
    h = acct["hosts"][0]
    s = serial(d)
    r = update(d, acct, hostname=h, myip=myip)
    assert_failure(r, "dnserr")
    assert addrs(d.port, h) == {"192.0.2.75"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::75"}
    assert serial(d) == s


@pytest.mark.parametrize("myip", ["0.0.0.0", "::", "255.255.255.255", "224.0.0.1",
                                  "ff02::1"])
def test_unusable_addresses_are_dnserr(http_ddnsd, myip):
    """The unspecified, broadcast and multicast addresses are no host's
    address: dnserr, nothing changes."""
    d = http_ddnsd
    acct = new_account(d, "ua", ipv4="192.0.2.76", ipv6="2001:db8::76")
    h = acct["hosts"][0]
    s = serial(d)
    r = update(d, acct, hostname=h, myip=myip)
    assert_failure(r, "dnserr")
    assert addrs(d.port, h) == {"192.0.2.76"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::76"}
    assert serial(d) == s


def test_v4_mapped_address_is_not_an_aaaa(http_ddnsd):
    """::ffff:203.0.113.77 is an IPv4 address written as IPv6: it must set
    the A record (or be refused), never be served as an AAAA record."""
    d = http_ddnsd
    acct = new_account(d, "vm", ipv4="192.0.2.77", ipv6="2001:db8::77")
    h = acct["hosts"][0]
    r = update(d, acct, hostname=h, myip="::ffff:203.0.113.77")
    assert r.status == 200, r
    assert addrs(d.port, h, "AAAA") == {"2001:db8::77"}, r
    if r.lines == ["dnserr"]:
        assert addrs(d.port, h) == {"192.0.2.77"}
    else:
        assert r.lines == ["good 203.0.113.77"], r
        assert addrs(d.port, h) == {"203.0.113.77"}


@pytest.mark.parametrize("raw", [
    "hostname={h}%0d%0aX-Injected:%20yes&myip=203.0.113.80",
    "hostname={h}&myip=203.0.113.80%0d%0aX-Injected:%20yes",
    "hostname={h}%00&myip=203.0.113.80",
    "hostname={h}&myip=203.0.113.80%00",
    "hostname={h}%0a&myip=203.0.113.80",
    "hostname={h}&myip=203.0.113.80&mx=mx.example.org%0d%0a",
    "hostname={h}&myip=203.0.113.80%",         # a broken escape
    "hostname={h}&myip=203.0.113.80%zz",
])
def test_control_characters_rejected(http_ddnsd, raw):
    d = http_ddnsd
    acct = new_account(d, "cc", ipv4="192.0.2.80")
    h = acct["hosts"][0]
    s = serial(d)
    r = http_request(d.http_port, "/nic/update?" + raw.format(h=h), auth=acct["auth"])
    assert r.status in (200, 400), r
    assert_failure(r, status=r.status)
    assert r.header("x-injected") is None, r
    assert addrs(d.port, h) == {"192.0.2.80"}
    assert serial(d) == s


def test_raw_crlf_in_request_line(http_ddnsd):
    """An unescaped CR LF inside the request target is no request."""
    d = http_ddnsd
    acct = new_account(d, "rc", ipv4="192.0.2.81")
    h = acct["hosts"][0]
    s = serial(d)
    from ddnstest import basic
    req = (f"GET /nic/update?hostname={h}\r\nX-Injected: yes&myip=203.0.113.81 HTTP/1.1\r\n"
           f"Host: x\r\nUser-Agent: t\r\nAuthorization: {basic(*acct['auth'])}\r\n\r\n")
    out = http_raw(d.http_port, req.encode(), timeout=5)
    assert not re.search(rb"^HTTP/1\.[01] 2", out), out
    assert not SUCCESS_WORDS.search(out.split(b"\r\n\r\n", 1)[-1].decode(errors="replace"))
    assert addrs(d.port, h) == {"192.0.2.81"}
    assert serial(d) == s


def test_over_long_names(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "ol", ipv4="192.0.2.82")
    h = acct["hosts"][0]
    s = serial(d)
    long_label = "a" * 64 + "." + ZONE
    long_name = "a." * 124 + ZONE            # > 253 characters
    r = update(d, acct, hostname=f"{long_label},{long_name},{h}", myip="203.0.113.82")
    assert r.lines == ["notfqdn", "notfqdn", "good 203.0.113.82"], r
    assert addrs(d.port, h) == {"203.0.113.82"}
    s = serial(d)
    # A value far beyond any name: refused whole, nothing changes.
    r = update(d, acct, hostname=h + "," + "b" * 5000, myip="203.0.113.83")
    assert r.status in (200, 400, 414), r
    if r.status != 414:
        assert_failure(r, status=r.status)
    assert addrs(d.port, h) == {"203.0.113.82"}
    assert serial(d) == s
    # An over-long user name or password is badauth, not a crash.
    for auth in (("u" * 5000, "x"), (acct["user"], "p" * 5000)):
        r = update(d, acct, hostname=h, myip="203.0.113.84", auth=auth)
        assert r.status in (200, 400, 401, 431), r
        if r.status in (200, 401):
            assert_failure(r, "badauth", status=r.status)
    assert addrs(d.port, h) == {"203.0.113.82"}


def test_huge_header_refused_server_stays_up(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "hh", ipv4="192.0.2.85")
    h = acct["hosts"][0]
    from ddnstest import basic
    req = (f"GET {q('/nic/update', hostname=h, myip='203.0.113.85')} HTTP/1.1\r\n"
           f"Host: x\r\nUser-Agent: t\r\nAuthorization: {basic(*acct['auth'])}\r\n"
           f"X-Big: {'a' * (1 << 20)}\r\n\r\n").encode()
    out = http_raw(d.http_port, req, timeout=10)
    assert not re.search(rb"^HTTP/1\.[01] 2", out), out[:200]
    if out:
        assert re.match(rb"^HTTP/1\.[01] (400|413|431)", out), out[:200]
    d.assert_alive()
    assert addrs(d.port, h) == {"192.0.2.85"}
    r = update(d, acct, hostname=h, myip="203.0.113.86")
    assert r.lines == ["good 203.0.113.86"], r
    assert addrs(d.port, h) == {"203.0.113.86"}


def test_options_wildcard_mx_offline(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "op")
    h = acct["hosts"][0]
    r = update(d, acct, hostname=h, myip="203.0.113.90", wildcard="ON", mx="mx.example.org")
    assert r.lines == ["good 203.0.113.90"], r
    assert addrs(d.port, "anything." + h) == {"203.0.113.90"}
    m = query(d.port, h, "MX")
    assert rdata_texts(m, "MX") == {"10 mx.example.org."}, m
    # NOCHG leaves them; OFF removes the wildcard.
    r = update(d, acct, hostname=h, myip="203.0.113.91", wildcard="NOCHG", mx="NOCHG")
    assert r.lines == ["good 203.0.113.91"], r
    assert addrs(d.port, "anything." + h) == {"203.0.113.91"}
    assert rdata_texts(query(d.port, h, "MX"), "MX") == {"10 mx.example.org."}
    r = update(d, acct, hostname=h, myip="203.0.113.91", wildcard="OFF")
    assert r.lines == ["good 203.0.113.91"], r
    assert addrs(d.port, "anything." + h) == set()
    # Offline: not served, but kept.
    r = update(d, acct, hostname=h, myip="203.0.113.91", offline="YES")
    assert r.status == 200 and r.lines[0].split()[0] == "good", r
    assert addrs(d.port, h) == set()
    r = update(d, acct, hostname=h, myip="203.0.113.91", offline="NO")
    assert r.status == 200 and r.lines[0].split()[0] == "good", r
    assert addrs(d.port, h) == {"203.0.113.91"}


def test_method_not_allowed(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "me", ipv4="192.0.2.92")
    h = acct["hosts"][0]
    r = http_request(d.http_port, q("/nic/update", hostname=h, myip="203.0.113.92"),
                     method="PUT", body="", auth=acct["auth"])
    assert r.status == 405, r
    assert not SUCCESS_WORDS.search(r.body), r
    assert addrs(d.port, h) == {"192.0.2.92"}


def test_concurrent_updates_visible_when_answered(http_ddnsd):
    """Many clients at once (two hosts per user, so the same user's
    requests overlap too): each sees its change in DNS as soon as its own
    reply arrives, and the serial rises."""
    d = http_ddnsd
    accts = [new_account(d, "cv", hosts=2) for _ in range(6)]
    jobs = [(acct, h) for acct in accts for h in acct["hosts"]]
    s0 = serial(d)

    def one(i):
        acct, h = jobs[i]
        bad = []
        for k in range(6):
            ip = f"198.51.100.{i * 10 + k + 1}"
            r = update(d, acct, hostname=h, myip=ip)
            seen = addrs(d.port, h)
            if r.lines != ["good " + ip] or seen != {ip}:
                bad.append((h, ip, r.lines, seen))
        return bad

    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as ex:
        bad = [x for b in ex.map(one, range(len(jobs))) for x in b]
    assert not bad, bad
    assert serial(d) > s0


def test_replies_have_content_length(http_ddnsd):
    """ddclient 3.10 (Debian 12) reads replies with its own socket code and
    does not decode chunked transfer encoding: the chunk-size line becomes
    the status it parses. Update replies must carry Content-Length."""
    d = http_ddnsd
    acct = new_account(d, "cl", token=True)
    h = acct["hosts"][0]
    for path, kw in ((q("/nic/update", hostname=h, myip="203.0.113.95"), {"auth": acct["auth"]}),
                     (q("/nic/update", hostname=h, myip="203.0.113.95"), {"auth": acct["auth"]}),
                     (q("/nic/update", hostname=h, myip="203.0.113.95"),
                      {"auth": (acct["user"], "wrong password")}),
                     (q("/update", domains=h, token=acct["token"], ip="203.0.113.96"), {}),
                     ("/checkip", {})):
        r = http_request(d.http_port, path, **kw)
        assert r.header("content-length") == str(len(r.raw_body)), (path, r)
        assert r.header("transfer-encoding") is None, (path, r)


# ------------------------------------------------------------- DuckDNS

def duck(d, path, **params):
    return http_request(d.http_port, q(path, **params) if params else path, ua=None)


def label(fqdn):
    return fqdn[:-len("." + ZONE)]


def test_duckdns_update_and_verbose(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "dk", token=True, ipv4="192.0.2.100")
    h, tok = acct["hosts"][0], acct["token"]
    s = serial(d)
    r = duck(d, "/update", domains=label(h), token=tok, ip="203.0.113.100")
    assert r.status == 200 and r.body.strip() == "OK", r
    assert addrs(d.port, h) == {"203.0.113.100"}
    assert serial(d) > s
    s = serial(d)
    r = duck(d, "/update", domains=h, token=tok, ip="203.0.113.100", verbose="true")
    assert r.lines == ["OK", "203.0.113.100", "", "NOCHANGE"], r
    assert serial(d) == s
    r = duck(d, "/update", domains=h, token=tok, ipv6="2001:db8::100", verbose="true")
    assert r.lines == ["OK", "", "2001:db8::100", "UPDATED"], r
    assert addrs(d.port, h) == {"203.0.113.100"}
    assert addrs(d.port, h, "AAAA") == {"2001:db8::100"}
    # ip absent: the (trusted proxy's) forwarded address.
    r = http_request(d.http_port, q("/update", domains=label(h), token=tok),
                     headers={"X-Forwarded-For": "203.0.113.101"})
    assert r.body.strip() == "OK", r
    assert addrs(d.port, h) == {"203.0.113.101"}
    # Path forms.
    r = duck(d, f"/update/{label(h)}/{tok}/203.0.113.102")
    assert r.body.strip() == "OK", r
    assert addrs(d.port, h) == {"203.0.113.102"}
    r = http_request(d.http_port, f"/update/{h}/{tok}",
                     headers={"X-Forwarded-For": "203.0.113.103"})
    assert r.body.strip() == "OK", r
    assert addrs(d.port, h) == {"203.0.113.103"}
    # clear=true: no addresses at all.
    r = duck(d, "/update", domains=h, token=tok, clear="true")
    assert r.body.strip() == "OK", r
    assert addrs(d.port, h) == set()
    assert addrs(d.port, h, "AAAA") == set()


def test_duckdns_failures_are_ko(http_ddnsd):
    d = http_ddnsd
    acct = new_account(d, "dko", token=True, ipv4="192.0.2.110")
    other = new_account(d, "dkp", token=True, ipv4="192.0.2.111")
    h, tok = acct["hosts"][0], acct["token"]
    oh = other["hosts"][0]
    s = serial(d)
    bad = tok[:-1] + ("A" if tok[-1] != "A" else "B")
    for params in ({"domains": h, "token": bad, "ip": "203.0.113.110"},
                   {"domains": h, "token": "short", "ip": "203.0.113.110"},
                   {"domains": h, "ip": "203.0.113.110"},
                   {"token": tok, "ip": "203.0.113.110"},
                   {"domains": oh, "token": tok, "ip": "203.0.113.110"},
                   {"domains": "nosuch", "token": tok, "ip": "203.0.113.110"},
                   {"domains": h, "token": tok, "ip": "not-an-address"},
                   {"domains": h, "token": tok, "ip": "203.0.113.110", "verbose": "true",
                    "ipv6": "2001:db8::zz"},
                   {"domains": "x.example.org", "token": tok, "ip": "203.0.113.110"}):
        r = duck(d, "/update", **params)
        assert r.status == 200 and r.body.strip() == "KO", (params, r)
        assert not SUCCESS_WORDS.search(r.body), (params, r)
    r = duck(d, f"/update/{label(h)}/{bad}/203.0.113.110")
    assert r.body.strip() == "KO", r
    r = http_request(d.http_port, q("/update", domains=h, token=tok) + "&ip=203.0.113.110%0d%0a")
    assert r.body.strip() == "KO", r
    assert addrs(d.port, h) == {"192.0.2.110"}
    assert addrs(d.port, oh) == {"192.0.2.111"}
    assert serial(d) == s


def test_duckdns_acme_txt_two_values(http_ddnsd):
    """A wildcard + apex certificate needs two TXT values at once."""
    d = http_ddnsd
    acct = new_account(d, "ac", token=True, ipv4="192.0.2.120")
    h, tok = acct["hosts"][0], acct["token"]
    name = "_acme-challenge." + h
    v1 = "gfj9Xq-Rk1cMmmpsZvExI7NjN4IrVwD_kqqN1aEPw5M"
    v2 = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
    s = serial(d)
    r = duck(d, "/update", domains=label(h), token=tok, txt=v1, verbose="true")
    assert r.status == 200 and r.lines[0] == "OK", r
    assert rdata_texts(query(d.port, name, "TXT"), "TXT") == {f'"{v1}"'}
    r = duck(d, "/update", domains=h, token=tok, txt=v2)
    assert r.body.strip() == "OK", r
    assert rdata_texts(query(d.port, name, "TXT"), "TXT") == {f'"{v1}"', f'"{v2}"'}
    assert rdata_texts(query(d.port, name, "TXT", tcp=True), "TXT") == {f'"{v1}"', f'"{v2}"'}
    assert serial(d) > s
    # The addresses are untouched by TXT requests.
    assert addrs(d.port, h) == {"192.0.2.120"}
    # Removing one leaves the other.
    r = duck(d, "/update", domains=h, token=tok, txt=v1, clear="true")
    assert r.body.strip() == "OK", r
    assert rdata_texts(query(d.port, name, "TXT"), "TXT") == {f'"{v2}"'}
    r = duck(d, "/update", domains=h, token=tok, txt=v2, clear="true")
    assert r.body.strip() == "OK", r
    m = query(d.port, name, "TXT")
    assert rdata_texts(m, "TXT") == set(), m
    assert addrs(d.port, h) == {"192.0.2.120"}
    # Another host's token cannot set a TXT here.
    other = new_account(d, "ad", token=True)
    r = duck(d, "/update", domains=h, token=other["token"], txt=v1)
    assert r.body.strip() == "KO", r
    assert rdata_texts(query(d.port, name, "TXT"), "TXT") == set()


def test_duckdns_empty_txt_with_clear_removes_all_txt(http_ddnsd):
    """DuckDNS's own TXT removal is txt=&clear=true (what acme.sh's
    dns_duckdns_rm and lego's duckdns provider send): every TXT value at
    _acme-challenge goes, the addresses stay."""
    d = http_ddnsd
    acct = new_account(d, "ae", token=True, ipv4="192.0.2.121")
    h, tok = acct["hosts"][0], acct["token"]
    name = "_acme-challenge." + h
    for v in ("first-value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "second-value-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"):
        r = duck(d, "/update", domains=h, token=tok, txt=v)
        assert r.body.strip() == "OK", r
    assert len(rdata_texts(query(d.port, name, "TXT"), "TXT")) == 2
    r = duck(d, "/update", domains=label(h), token=tok, txt="", clear="true")
    assert r.status == 200 and r.body.strip() == "OK", r
    assert rdata_texts(query(d.port, name, "TXT"), "TXT") == set()
    assert addrs(d.port, h) == {"192.0.2.121"}


def test_server_survives_and_stays_clean(http_ddnsd):
    """After all of the above, HTTP still answers on both families."""
    d = http_ddnsd
    wait_http(d.http_port, d.proc, timeout=5, log=d.log_tail)
    wait_http(d.http_port, d.proc, timeout=5, log=d.log_tail, host="::1")
    assert not d.error_lines(), d.error_lines()
