# SPDX-License-Identifier: GPL-3.0-or-later
"""Accounts and browser sessions of the web dashboard, through the JSON API
(docs/api.md, "Browser sessions" and "Accounts").

A real ddnsd with an SMTP sink run by the test: sign-up in its three modes,
the verification and reset mails and their one-time links, log-in with a
cookie (its attributes), the CSRF rule, log-out, revocation, expiry,
password change and reset, two-factor log-in with codes computed here
(RFC 6238 with the standard library), the failed-login limit, the export
and the deletion of an account.
"""
import base64
import hashlib
import hmac
import http.client
import json
import re
import ssl
import struct
import time

import pytest

from ddnstest import (SmtpListener, ddnsctl, ddnsctl_json, free_port, http_request, make_cert,
                      query, sqlite, start_http_ddnsd, wait_for)

PW = "a long enough password"
ZONE = "dyn.example"


@pytest.fixture
def smtp():
    s = SmtpListener()
    yield s
    s.close()


@pytest.fixture
def server(tmp_path, smtp):
    """A factory: a ddnsd with HTTP, mail to the sink, and extra [server]
    keys; stopped (and checked for error lines) at the end."""
    started = []

    def make(**keys):
        conf = {"smtp-relay": f"smtp://127.0.0.1:{smtp.port}",
                "mail-from": "ddnsd@dyn.example", "signup": "open",
                "public-url": "https://dash.example/"}
        conf.update(keys)
        d = start_http_ddnsd(tmp_path / f"d{len(started)}", server=conf)
        started.append(d)
        return d

    yield make
    for d in started:
        try:
            d.stop()
        finally:
            d.cleanup()


class Reply:
    def __init__(self, r):
        self.status, self.headers, self.raw = r.status, r.headers, r
        self.json = json.loads(r.body) if r.body else None

    def header(self, name):
        return self.raw.header(name)

    def __repr__(self):
        return f"<{self.status} {self.json} {self.headers}>"


def api(d, method, path, body=None, cookie=None, csrf=None, auth=None, raw=None):
    headers = {}
    if cookie:
        headers["Cookie"] = f"theme=dark; ddnsd_session={cookie}"
    if csrf:
        headers["X-CSRF-Token"] = csrf
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None:
        headers["Content-Type"] = "application/json"
    return Reply(http_request(d.http_port, "/api/v1/" + path, method=method, headers=headers,
                              auth=auth, body=data))


def mail_to(smtp, addr, n=1):
    """The n-th message to addr (waits for it)."""
    def got():
        m = [msg for _, rcpts, msg, _ in smtp.messages if addr in rcpts]
        return m[n - 1] if len(m) >= n else None
    return wait_for(f"mail {n} to {addr}", got)


def link_token(msg, kind):
    body = msg.get_content()
    m = re.search(r"https://dash\.example/#/" + kind + r"/([A-Za-z0-9_-]{43})\b", body)
    assert m, body
    return m.group(1)


def cookie_of(r):
    sc = r.header("set-cookie")
    assert sc, r
    m = re.match(r"ddnsd_session=([^;]*)", sc)
    assert m, sc
    return m.group(1), sc


def signup(d, smtp, name, password=PW):
    """A verified account made through sign-up and its mail."""
    email = f"{name}@example.net"
    r = api(d, "POST", "signup", {"name": name, "email": email, "password": password})
    assert r.status == 201, r
    token = link_token(mail_to(smtp, email), "verify")
    r = api(d, "POST", "signup/verify", {"token": token})
    assert r.status == 200 and r.json == {"name": name, "verified": True}, r
    return email


def login(d, name, password=PW, code=None, status=201):
    body = {"name": name, "password": password}
    if code is not None:
        body["code"] = code
    r = api(d, "POST", "session", body)
    assert r.status == status, r
    if status != 201:
        return r
    cookie, _ = cookie_of(r)
    return cookie, r.json["csrf"]


def totp(secret, step_offset=0):
    """RFC 6238: HMAC-SHA1, 30 s steps, 6 digits."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(time.time()) // 30 + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def users(d):
    return {u["name"] for u in ddnsctl_json(d, "user", "list")}


# ------------------------------------------------------------------ tests

def test_signup_verify_login_csrf_logout(server, smtp):
    d = server()
    r = api(d, "GET", "signup")
    assert r.status == 200 and r.json == {"mode": "open", "password_min": 10}, r

    r = api(d, "POST", "signup", {"name": "carol", "email": "carol@example.net", "password": PW})
    assert r.status == 201 and r.json["verified"] is False, r
    # Not before the address is confirmed.
    r = api(d, "POST", "session", {"name": "carol", "password": PW})
    assert r.status == 403 and "confirm" in r.json["error"], r
    assert r.header("set-cookie") is None
    msg = mail_to(smtp, "carol@example.net")
    assert "Confirm" in msg["Subject"], msg["Subject"]
    token = link_token(msg, "verify")
    r = api(d, "POST", "signup/verify", {"token": token})
    assert r.status == 200 and r.json == {"name": "carol", "verified": True}, r
    r = api(d, "POST", "signup/verify", {"token": token})
    assert r.status == 400 and "already used" in r.json["error"], r

    # A taken name.
    r = api(d, "POST", "signup", {"name": "carol", "email": "c2@example.net", "password": PW})
    assert r.status == 409, r

    r = api(d, "POST", "session", {"name": "carol", "password": PW})
    assert r.status == 201, r
    assert r.json["user"]["name"] == "carol" and r.json["user"]["verified"] is True, r
    cookie, sc = cookie_of(r)
    attrs = [a.strip() for a in sc.split(";")[1:]]
    assert set(attrs) == {"Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=604800"}, sc
    csrf = r.json["csrf"]
    assert len(cookie) == 43 and len(csrf) >= 32

    r = api(d, "GET", "session", cookie=cookie)
    assert r.status == 200 and r.json["user"]["name"] == "carol" and r.json["csrf"] == csrf, r
    assert api(d, "GET", "hosts", cookie=cookie).json == []

    # CSRF: a change without the header, or with another session's, is
    # refused and changes nothing.
    cookie2, csrf2 = login(d, "carol")
    for h in (None, "x" * 43, csrf2):
        r = api(d, "POST", "tokens", {"label": "evil"}, cookie=cookie, csrf=h)
        assert r.status == 403 and "X-CSRF-Token" in r.json["error"], r
    assert api(d, "GET", "tokens", cookie=cookie).json == []
    r = api(d, "POST", "tokens", {"label": "mine"}, cookie=cookie, csrf=csrf)
    assert r.status == 201 and r.json["token"], r

    # The sessions, and revoking the other one.
    r = api(d, "GET", "sessions", cookie=cookie)
    assert r.status == 200 and len(r.json) == 2, r
    cur = [s for s in r.json if s["current"]]
    other = [s for s in r.json if not s["current"]]
    assert len(cur) == 1 and len(other) == 1 and cur[0]["src"] == "127.0.0.1", r
    r = api(d, "DELETE", f"sessions/{other[0]['id']}", cookie=cookie)
    assert r.status == 403, r  # a change: needs the CSRF token too
    r = api(d, "DELETE", f"sessions/{other[0]['id']}", cookie=cookie, csrf=csrf)
    assert r.status == 200, r
    assert api(d, "GET", "session", cookie=cookie2).status == 401
    assert api(d, "DELETE", f"sessions/{other[0]['id']}", cookie=cookie, csrf=csrf).status == 404

    # Log-out clears the cookie and ends the session.
    r = api(d, "DELETE", "session", cookie=cookie, csrf=csrf)
    assert r.status == 200, r
    assert "Max-Age=0" in r.header("set-cookie"), r
    r = api(d, "GET", "session", cookie=cookie)
    assert r.status == 401, r
    assert api(d, "GET", "hosts", cookie=cookie).status == 401
    assert api(d, "GET", "session").status == 401
    audit = [a["action"] for a in ddnsctl_json(d, "audit")]
    assert "account.verify" in audit and "account.session-revoke" in audit, audit


def test_bad_input_changes_nothing(server, smtp):
    d = server()
    before = users(d)
    long_name = "n" * 64
    cases = [
        ("signup", None, "{not json", "not JSON"),
        ("signup", [1, 2], None, "JSON object"),
        ("signup", {"name": "dave", "email": "dave@example.net"}, None, "password is missing"),
        ("signup", {"name": long_name, "email": "d@example.net", "password": PW}, None, "name"),
        ("signup", {"name": "da ve", "email": "d@example.net", "password": PW}, None, "name"),
        ("signup", {"name": "dave", "email": "not-an-address", "password": PW}, None, "email"),
        ("signup", {"name": "dave", "email": "d@example.net", "password": "short"}, None, "10"),
        ("signup", {"name": "dave", "email": "d@example.net", "password": 12345678901}, None,
         "password"),
        ("signup", {"name": "dave", "email": "x" * 300 + "@example.net", "password": PW}, None,
         "email"),
        ("session", {"name": "dave"}, None, "password is missing"),
        ("session", {"name": "x" * 100, "password": PW}, None, "name"),
        ("signup/verify", {"token": "abc"}, None, "not valid"),
        ("signup/verify", {}, None, "token is missing"),
        ("password-reset", {}, None, "email"),
        ("password-reset/confirm", {"token": "x" * 43, "password": PW}, None, "not valid"),
    ]
    for path, body, raw, words in cases:
        r = api(d, "POST", path, body, raw=raw)
        assert r.status == 400, (path, body, r)
        assert words in r.json["error"], (path, r.json)
        assert r.json["error"][0].islower() or r.json["error"][0].isupper()
    assert users(d) == before
    assert smtp.messages == []


def test_signup_closed_and_by_invitation(server, smtp):
    d = server(signup="closed")
    r = api(d, "GET", "signup")
    assert r.json["mode"] == "closed"
    r = api(d, "POST", "signup", {"name": "eve", "email": "eve@example.net", "password": PW})
    assert r.status == 403 and "closed" in r.json["error"], r
    assert "eve" not in users(d)

    d = server(signup="invite")
    body = {"name": "erin", "email": "erin@example.net", "password": PW}
    r = api(d, "POST", "signup", body)
    assert r.status == 403 and "invitation" in r.json["error"], r
    r = api(d, "POST", "signup", dict(body, invite="A" * 43))
    assert r.status == 403 and "not valid" in r.json["error"], r
    out = ddnsctl(d, "invite", "add", "--days", "2").stdout
    code = re.search(r"invitation: (\S+)", out).group(1)
    r = api(d, "POST", "signup", dict(body, invite=code))
    assert r.status == 201, r
    # Used once: the next person needs another.
    r = api(d, "POST", "signup", dict(body, name="erin2", invite=code))
    assert r.status == 403 and "already used" in r.json["error"], r
    assert "erin" in users(d) and "erin2" not in users(d)
    assert ddnsctl(d, "invite", "add", "--days", "0", check=False).returncode == 1


def test_session_idle_and_lifetime(server, smtp):
    d = server(**{"session-idle": "3", "session-lifetime": "6"})
    signup(d, smtp, "fay")
    # Used every 1.5 s: alive past the idle time, but not past the lifetime.
    t0 = time.monotonic()
    cookie, _ = login(d, "fay")
    for t in (1.5, 3.0, 4.5):
        time.sleep(max(0, t0 + t - time.monotonic()))
        r = api(d, "GET", "session", cookie=cookie)
        assert r.status == 200, (t, r)
    time.sleep(max(0, t0 + 7.0 - time.monotonic()))
    assert api(d, "GET", "session", cookie=cookie).status == 401
    # Unused: ends after the idle time.
    cookie, _ = login(d, "fay")
    assert api(d, "GET", "session", cookie=cookie).status == 200
    time.sleep(4.2)
    r = api(d, "GET", "session", cookie=cookie)
    assert r.status == 401 and "log in again" in r.json["error"], r


def test_ended_sessions_are_deleted(server, smtp):
    """Housekeeping (every 5 s) deletes the rows of sessions that can never
    be used again: logged out, or idle past session-idle. A session in use
    stays and keeps working."""
    d = server(**{"session-idle": "3"})
    signup(d, smtp, "gus")
    used, csrf = login(d, "gus")
    idle, _ = login(d, "gus")
    out, out_csrf = login(d, "gus")
    assert api(d, "DELETE", "session", cookie=out, csrf=out_csrf).status == 200
    assert sqlite(d.db, "SELECT count(*) FROM session;").strip() == "3"
    deadline = time.monotonic() + 30
    while sqlite(d.db, "SELECT count(*) FROM session;").strip() != "1":
        assert time.monotonic() < deadline, "the ended sessions were not deleted"
        assert api(d, "GET", "session", cookie=used).status == 200
        time.sleep(1)
    r = api(d, "GET", "sessions", cookie=used)
    assert r.status == 200 and len(r.json) == 1 and r.json[0]["current"], r
    assert api(d, "GET", "session", cookie=idle).status == 401
    # the one-time verification link is kept until it expires (days)
    assert sqlite(d.db, "SELECT count(*) FROM mailtoken;").strip() == "1"


def test_password_change_and_reset(server, smtp):
    d = server()
    email = signup(d, smtp, "gil")
    a, csrf_a = login(d, "gil")
    b, _ = login(d, "gil")
    # Basic with the password works (and is now in the verification cache).
    assert api(d, "GET", "hosts", auth=("gil", PW)).status == 200

    r = api(d, "POST", "account/password", {"old": "not the password", "new": "new password 1"},
            cookie=a, csrf=csrf_a)
    assert r.status == 403, r
    r = api(d, "POST", "account/password", {"old": PW, "new": "short"}, cookie=a, csrf=csrf_a)
    assert r.status == 400, r
    r = api(d, "POST", "account/password", {"old": PW, "new": "new password 1"},
            cookie=a, csrf=csrf_a)
    assert r.status == 200, r
    assert api(d, "GET", "session", cookie=a).status == 200      # this one stays
    assert api(d, "GET", "session", cookie=b).status == 401      # the others end
    assert api(d, "GET", "hosts", auth=("gil", PW)).status == 401
    assert api(d, "GET", "hosts", auth=("gil", "new password 1")).status == 200

    # Reset: 202 whether or not the account exists.
    r = api(d, "POST", "password-reset", {"email": "nobody@example.net"})
    assert r.status == 202, r
    r = api(d, "POST", "password-reset", {"email": email})
    assert r.status == 202 and r.json == r.json, r
    msg = mail_to(smtp, email, 2)
    assert "password" in msg["Subject"].lower(), msg["Subject"]
    token = link_token(msg, "reset")
    assert len([m for _, rc, m, _ in smtp.messages if "nobody@example.net" in rc]) == 0
    r = api(d, "POST", "password-reset/confirm", {"token": token, "password": "short"})
    assert r.status == 400, r
    r = api(d, "POST", "password-reset/confirm", {"token": token, "password": "newer password 2"})
    assert r.status == 200, r
    assert api(d, "GET", "session", cookie=a).status == 401      # every session ends
    r = api(d, "POST", "password-reset/confirm", {"token": token, "password": "third password 3"})
    assert r.status == 400 and "already used" in r.json["error"], r
    login(d, "gil", "new password 1", status=401)
    assert api(d, "GET", "hosts", auth=("gil", "new password 1")).status == 401
    login(d, "gil", "newer password 2")
    # By name too.
    assert api(d, "POST", "password-reset", {"name": "gil"}).status == 202
    mail_to(smtp, email, 3)
    actions = [x["action"] for x in ddnsctl_json(d, "audit")]
    assert "account.password" in actions and "account.password-reset" in actions, actions


def test_totp_login_replay_and_recovery_codes(server, smtp):
    d = server()
    signup(d, smtp, "hal")
    cookie, csrf = login(d, "hal")
    r = api(d, "POST", "account/totp", cookie=cookie, csrf=csrf)
    assert r.status == 201, r
    secret, uri = r.json["secret"], r.json["uri"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri, uri
    # Not on until confirmed.
    assert api(d, "GET", "account", cookie=cookie).json["totp"] is False
    login(d, "hal")
    bad = "%06d" % ((int(totp(secret)) + 500000) % 1000000)
    r = api(d, "POST", "account/totp/confirm", {"code": bad}, cookie=cookie, csrf=csrf)
    assert r.status == 400, r
    r = api(d, "POST", "account/totp/confirm", {"code": totp(secret)}, cookie=cookie, csrf=csrf)
    assert r.status == 200, r
    codes = r.json["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}", c) for c in codes), codes
    assert api(d, "GET", "account", cookie=cookie).json["totp"] is True

    r = login(d, "hal", status=401)
    assert r.json.get("totp_required") is True, r
    assert r.header("set-cookie") is None
    r = login(d, "hal", code=bad, status=401)
    assert r.json.get("totp_required") is True, r
    # The next step's code (the window allows one step ahead): the code
    # used at confirmation is older and refused.
    login(d, "hal", code=totp(secret), status=401)
    nxt = totp(secret, 1)
    login(d, "hal", code=nxt)
    r = login(d, "hal", code=nxt, status=401)
    assert "already used" in r.json["error"], r
    # A recovery code, once.
    login(d, "hal", code=codes[0].upper())
    r = login(d, "hal", code=codes[0], status=401)
    assert "recovery code" in r.json["error"], r

    # Turning it off needs the password and a code.
    r = api(d, "DELETE", "account/totp", {"password": PW}, cookie=cookie, csrf=csrf)
    assert r.status == 401 and r.json.get("totp_required"), r
    r = api(d, "DELETE", "account/totp", {"password": PW, "code": codes[1]}, cookie=cookie,
            csrf=csrf)
    assert r.status == 200, r
    login(d, "hal")
    actions = [x["action"] for x in ddnsctl_json(d, "audit")]
    assert actions.count("account.recovery-code") == 2, actions
    assert "account.totp-on" in actions and "account.totp-off" in actions, actions


def test_five_wrong_passwords_then_429(server, smtp):
    d = server()
    signup(d, smtp, "ivy")
    for i in range(5):
        r = api(d, "POST", "session", {"name": "ivy", "password": f"wrong guess {i}"})
        assert r.status == 401, (i, r)
    for auth in (None, ("ivy", PW)):
        if auth is None:
            r = api(d, "POST", "session", {"name": "ivy", "password": PW})
        else:
            r = api(d, "GET", "hosts", auth=auth)
        assert r.status == 429, r
        assert int(r.header("retry-after")) > 0, r
        assert "try again" in r.json["error"], r
    assert r.header("set-cookie") is None
    # Routers share the bucket but keep their dialect: 503 and 911.
    ddnsctl(d, "host", "add", f"ivy.{ZONE}", "--owner", "ivy", "--ipv4", "192.0.2.9")
    r = http_request(d.http_port, f"/nic/update?hostname=ivy.{ZONE}&myip=192.0.2.10",
                     auth=("ivy", PW))
    assert (r.status, r.body.strip()) == (503, "911") and r.header("retry-after"), r
    assert query(d.port, f"ivy.{ZONE}", "A").answer[0][0].address == "192.0.2.9"
    # Another account is not affected.
    signup(d, smtp, "jon")
    login(d, "jon")


def test_export_and_delete_account(server, smtp):
    d = server()
    signup(d, smtp, "kim")
    fqdn = f"kimhome.{ZONE}"
    ddnsctl(d, "host", "add", fqdn, "--owner", "kim", "--ipv4", "192.0.2.44")
    assert query(d.port, fqdn, "A").rcode() == 0
    cookie, csrf = login(d, "kim")
    assert api(d, "POST", "tokens", {"label": "laptop"}, cookie=cookie, csrf=csrf).status == 201
    r = api(d, "GET", "account/export", cookie=cookie)
    assert r.status == 200, r
    assert r.header("content-disposition") == 'attachment; filename="ddnsd-kim.json"', r
    e = r.json
    assert e["account"]["name"] == "kim" and e["account"]["email"] == "kim@example.net"
    assert [h["name"] for h in e["hosts"]] == [fqdn] and e["hosts"][0]["ipv4"] == "192.0.2.44"
    assert "history" in e["hosts"][0] and "tokens" in e["hosts"][0]
    assert [t["name"] for t in e["api_tokens"]] == ["laptop"]
    assert "token" not in e["api_tokens"][0] and "hash" not in json.dumps(e)
    assert len(e["sessions"]) == 1 and e["sessions"][0]["current"] is True

    r = api(d, "DELETE", "account", {}, cookie=cookie, csrf=csrf)
    assert r.status == 400, r
    r = api(d, "DELETE", "account", {"password": "not my password"}, cookie=cookie, csrf=csrf)
    assert r.status == 403, r
    assert "kim" in users(d)
    r = api(d, "DELETE", "account", {"password": PW}, cookie=cookie, csrf=csrf)
    assert r.status == 200 and r.json["hosts_deleted"] == 1, r
    assert "kim" not in users(d)
    assert query(d.port, fqdn, "A").rcode() == 3  # NXDOMAIN
    assert api(d, "GET", "session", cookie=cookie).status == 401
    login(d, "kim", status=401)
    # The name is held for others, as after `host del`.
    ddnsctl(d, "user", "add", "lee", input="another password\n")
    r = ddnsctl(d, "host", "add", fqdn, "--owner", "lee", check=False)
    assert r.returncode == 1 and "held" in r.stderr, r.stderr


def test_https_cookie_is_secure_and_secrets_stay_out_of_the_log(server, smtp, tmp_path):
    cert, key = make_cert(tmp_path)
    tls_port, log = free_port(), tmp_path / "access.log"
    d = server(**{"https-listen": f"127.0.0.1:{tls_port}", "tls-certificate": str(cert),
                  "tls-key": str(key), "access-log": str(log)})
    signup(d, smtp, "max")
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False

    def https(method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection("127.0.0.1", tls_port, context=ctx, timeout=10)
        try:
            conn.request(method, "/api/v1/" + path, body=json.dumps(body) if body else None,
                         headers=dict(headers or {}, **{"User-Agent": "t/1"}))
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), json.loads(r.read())
        finally:
            conn.close()

    st, hdrs, j = https("POST", "session", {"name": "max", "password": PW})
    assert st == 201, j
    sc = hdrs["set-cookie"]
    attrs = {a.strip() for a in sc.split(";")[1:]}
    assert attrs == {"Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=604800", "Secure"}, sc
    cookie, csrf = re.match(r"ddnsd_session=([^;]*)", sc).group(1), j["csrf"]
    st, _, j = https("POST", "account/totp", {}, {"Cookie": f"ddnsd_session={cookie}",
                                                  "X-CSRF-Token": csrf})
    assert st == 201, j
    secret = j["secret"]
    st, _, j = https("POST", "tokens", {}, {"Cookie": f"ddnsd_session={cookie}",
                                            "X-CSRF-Token": csrf})
    assert st == 201, j
    token = j["token"]
    # Over plain HTTP the same log-in has no Secure attribute.
    r = api(d, "POST", "session", {"name": "max", "password": PW})
    assert "Secure" not in r.header("set-cookie")
    text = wait_for("the access log", lambda: log.exists() and log.read_text().count("\n") >= 4
                    and log.read_text())
    for s in (cookie, csrf, secret, token, PW):
        assert s not in text, s
    assert '"status":201' in text


def test_name_taken_whatever_its_capitals(server, smtp):
    """A sign-up whose name differs from a user's only in capitals is
    refused like a taken name (409), so nobody passes for someone else;
    nothing is made and no mail goes out."""
    d = server()
    signup(d, smtp, "Erin")
    sent = len(smtp.messages)
    for name in ("erin", "ERIN", "eRiN"):
        r = api(d, "POST", "signup", {"name": name, "email": f"x{name}@example.net",
                                      "password": PW})
        assert r.status == 409 and "taken" in r.json["error"], (name, r)
    assert users(d) == {"Erin"}
    time.sleep(0.5)
    assert len(smtp.messages) == sent


def test_unconfirmed_signup_is_removed_after_unconfirmed_expire(server, smtp):
    """A sign-up never confirmed is deleted after unconfirmed-expire (the
    name is free again, the deletion audited); a confirmed one stays."""
    d = server(**{"unconfirmed-expire": "3s"})
    signup(d, smtp, "kept")                 # confirmed at once
    r = api(d, "POST", "signup", {"name": "ghost", "email": "ghost@example.net",
                                  "password": PW})
    assert r.status == 201, r
    assert "ghost" in users(d)
    wait_for("the unconfirmed sign-up to go", lambda: users(d) == {"kept"}, timeout=30)
    rows = ddnsctl_json(d, "audit")
    gone = [a for a in rows if a["action"] == "user.del" and a["target"] == "ghost"]
    assert gone and "not confirmed" in gone[0]["actor"], rows
    # The name can be taken again.
    r = api(d, "POST", "signup", {"name": "ghost", "email": "other@example.net",
                                  "password": PW})
    assert r.status == 201, r
