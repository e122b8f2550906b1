# SPDX-License-Identifier: GPL-3.0-or-later
"""Notifications to hosts' owners: the outbox and its delivery thread.

A suspension (and a resumption) queues an email to the owner and a JSON
event for the webhook in the same transaction; ddnsd's outbox thread
delivers them to a small SMTP listener and an HTTP receiver run by the
test on loopback ports. A message whose delivery fails stays in the outbox
with its error (`ddnsctl outbox --pending`) and is delivered once the relay
is back, also across a restart of ddnsd.
"""
import json
import threading
import time
import http.server

from ddnstest import SmtpListener, ddnsctl, ddnsctl_json, free_port, wait_for



# ---------------------------------------------------------------- receivers

class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records POSTed JSON events; the
    first `fail` requests are answered 500."""

    def __init__(self, fail=0):
        self.events = []
        self.requests = []
        self.fail = fail
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append((self.path, self.headers.get("Content-Type"), body))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer.events.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/ddns"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def add_owner(d, user, mail=None, host=None):
    args = ["user", "add", user]
    if mail:
        args += ["--email", mail]
    ddnsctl(d, *args, input="a long enough password\n")
    fqdn = host or f"{user}-box.dyn.example"
    ddnsctl(d, "host", "add", fqdn, "--owner", user, "--ipv4", "192.0.2.10")
    return fqdn


def outbox(d, *args):
    return ddnsctl_json(d, "outbox", *args)


def body_of(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


# ---------------------------------------------------------------- tests

def test_outbox_suspend_and_resume_tell_owner(make_ddnsd):
    smtp, hook = SmtpListener(), WebhookReceiver()
    try:
        d = make_ddnsd(server={"smtp-relay": f"smtp://127.0.0.1:{smtp.port}",
                               "mail-from": "abuse@dyn.example",
                               "notification-webhook": hook.url})
        fqdn = add_owner(d, "alice", "alice@example.net")
        reason = "phishing page imitating a bank at /login"
        ddnsctl(d, "host", "suspend", fqdn, "--reason", reason)

        sender, rcpts, msg, raw = wait_for("the suspension email", lambda: smtp.messages and smtp.messages[0])
        assert sender == "abuse@dyn.example"
        assert rcpts == ["alice@example.net"]
        assert msg["To"] == "<alice@example.net>" or "alice@example.net" in msg["To"]
        assert "abuse@dyn.example" in msg["From"]
        assert fqdn in msg["Subject"] and "suspended" in msg["Subject"]
        assert msg["Date"] and msg["Message-ID"]
        assert msg.get_content_type() == "text/plain"
        assert msg.get_content_charset() == "utf-8"
        assert b"\r\n\r\n" in raw and all(l.endswith(b"\r") or l == b"" for l in raw.split(b"\n")[:-1])
        text = body_of(msg)
        assert fqdn in text and reason in text
        assert f"POST /api/v1/hosts/{fqdn}/appeal" in text
        assert "Hello alice" in text

        ev = wait_for("the suspension event", lambda: hook.events and hook.events[0])
        path, ctype, _ = hook.requests[0]
        assert path == "/hooks/ddns" and ctype == "application/json"
        assert ev["event"] == "suspended" and ev["host"] == fqdn and ev["user"] == "alice"
        assert ev["reason"] == reason and ev["report"] is None
        assert isinstance(ev["time"], int) and abs(ev["time"] - time.time()) < 600

        ddnsctl(d, "host", "resume", fqdn)
        _, rcpts, msg, _ = wait_for("the resumption email", lambda: len(smtp.messages) > 1 and smtp.messages[1])
        assert rcpts == ["alice@example.net"]
        assert fqdn in msg["Subject"] and "resumed" in msg["Subject"]
        assert fqdn in body_of(msg)
        assert msg["Message-ID"] != smtp.messages[0][2]["Message-ID"]
        ev = wait_for("the resumption event", lambda: len(hook.events) > 1 and hook.events[1])
        assert ev["event"] == "resumed" and ev["host"] == fqdn and ev["user"] == "alice"

        # All four delivered, once each; nothing pending.
        wait_for("the outbox to settle", lambda: outbox(d, "--pending") == [])
        rows = outbox(d)
        assert len(rows) == 4
        assert all(r["delivered"] > 0 and r["attempts"] == 1 and r["error"] == "" for r in rows)
        assert sorted(r["kind"] for r in rows) == ["email", "email", "webhook", "webhook"]
        listing = ddnsctl(d, "outbox").stdout
        assert listing.count("delivered") == 4 and "alice@example.net" in listing
        assert len(smtp.messages) == 2 and len(hook.events) == 2

        # An owner without an email address: the webhook only.
        other = add_owner(d, "bob")
        ddnsctl(d, "host", "suspend", other, "--reason", "malware")
        ev = wait_for("bob's event", lambda: len(hook.events) > 2 and hook.events[2])
        assert ev["event"] == "suspended" and ev["host"] == other and ev["user"] == "bob"
        wait_for("the outbox to settle", lambda: outbox(d, "--pending") == [])
        assert len(smtp.messages) == 2
    finally:
        smtp.close()
        hook.close()


def test_outbox_nothing_queued_without_channels(make_ddnsd):
    d = make_ddnsd()
    fqdn = add_owner(d, "carol", "carol@example.net")
    ddnsctl(d, "host", "suspend", fqdn, "--reason", "spam")
    ddnsctl(d, "host", "resume", fqdn)
    assert outbox(d) == []
    assert ddnsctl(d, "outbox").stdout == ""


def test_outbox_retried_until_the_relay_answers(make_ddnsd):
    port = free_port()   # nothing listens there yet
    hook = WebhookReceiver(fail=2)
    smtp = None
    try:
        d = make_ddnsd(server={"smtp-relay": f"smtp://127.0.0.1:{port}",
                               "notification-webhook": hook.url})
        fqdn = add_owner(d, "dave", "dave@example.net")
        ddnsctl(d, "host", "suspend", fqdn, "--reason", "open resolver abuse")

        def failed():
            rows = outbox(d, "--pending")
            mail = [r for r in rows if r["kind"] == "email"]
            return mail and mail[0]["attempts"] >= 1 and mail[0]["error"] and mail[0]
        row = wait_for("a failed attempt", failed)
        assert row["rcpt"] == "dave@example.net" and row["delivered"] == 0
        assert fqdn in row["subject"]
        listing = ddnsctl(d, "outbox", "--pending").stdout
        assert "dave@example.net" in listing and "last error" in listing

        # The webhook answered 500 twice, then takes it.
        ev = wait_for("the event after two failures", lambda: hook.events and hook.events[0])
        assert ev["event"] == "suspended" and ev["host"] == fqdn
        assert len(hook.requests) == 3

        smtp = SmtpListener(port)
        _, rcpts, msg, _ = wait_for("the email once the relay is up",
                                    lambda: smtp.messages and smtp.messages[0])
        assert rcpts == ["dave@example.net"] and "open resolver abuse" in body_of(msg)
        wait_for("the outbox to settle", lambda: outbox(d, "--pending") == [])
        rows = outbox(d)
        assert all(r["delivered"] > 0 for r in rows)
        assert max(r["attempts"] for r in rows if r["kind"] == "email") >= 2
        assert len(smtp.messages) == 1
    finally:
        hook.close()
        if smtp:
            smtp.close()


def test_outbox_kept_across_restart(make_ddnsd):
    port = free_port()
    smtp = None
    try:
        d = make_ddnsd(server={"smtp-relay": f"smtp://127.0.0.1:{port}"})
        fqdn = add_owner(d, "erin", "erin@example.net")
        ddnsctl(d, "host", "suspend", fqdn, "--reason", "botnet controller")
        wait_for("a failed attempt",
                 lambda: any(r["error"] for r in outbox(d, "--pending")))
        d.stop()

        smtp = SmtpListener(port)
        d.start()
        _, rcpts, msg, _ = wait_for("the email after the restart",
                                    lambda: smtp.messages and smtp.messages[0])
        assert rcpts == ["erin@example.net"]
        assert fqdn in msg["Subject"] and "botnet controller" in body_of(msg)
        wait_for("the outbox to settle", lambda: outbox(d, "--pending") == [])
        assert len(smtp.messages) == 1
    finally:
        if smtp:
            smtp.close()


def test_delivered_notifications_forgotten_after_outbox_keep(make_ddnsd):
    """outbox-keep: a delivered notification is deleted that long after
    its delivery, by the housekeeping of the desk's clock (every 5 s); one
    not delivered stays however long it fails, and goes in its turn once
    delivered. Nothing else changes."""
    smtp, hook = SmtpListener(), WebhookReceiver(fail=10 ** 6)
    try:
        d = make_ddnsd(server={"smtp-relay": f"smtp://127.0.0.1:{smtp.port}",
                               "notification-webhook": hook.url, "outbox-keep": "1s"})
        fqdn = add_owner(d, "fred", "fred@example.net")
        ddnsctl(d, "host", "suspend", fqdn, "--reason", "phishing kit")
        wait_for("the email", lambda: smtp.messages)
        wait_for("the delivered email to be forgotten",
                 lambda: [r["kind"] for r in outbox(d)] == ["webhook"], timeout=30)
        time.sleep(6)   # another round of housekeeping: the failing event stays
        rows = outbox(d)
        assert len(rows) == 1 and rows[0]["kind"] == "webhook", rows
        assert rows[0]["delivered"] == 0 and rows[0]["error"], rows
        hook.fail = 0
        ev = wait_for("the event once the receiver takes it",
                      lambda: hook.events and hook.events[0], timeout=60)
        assert ev["event"] == "suspended" and ev["host"] == fqdn
        wait_for("the outbox to be empty", lambda: outbox(d) == [], timeout=30)
        assert len(smtp.messages) == 1 and len(hook.events) == 1
        assert ddnsctl_json(d, "host", "show", fqdn)["state"] == "suspended"
    finally:
        smtp.close()
        hook.close()
