# SPDX-License-Identifier: GPL-3.0-or-later
"""Credential stuffing and slow clients: thousands of wrong passwords from
one address, and many addresses against one account, are refused before any
password is hashed, while the owner's router (its password in the
verification cache) keeps updating at once from another address; a client
that sends its request slowly is disconnected after http-timeout."""

import http.client
import socket
import time

from ddnstest import addrs, basic, http_request, new_account, start_http_ddnsd, TEST_UA

import pytest


@pytest.fixture
def server(tmp_path):
    d = start_http_ddnsd(tmp_path / "d", server={"http-timeout": "2"})
    yield d
    d.stop()
    d.cleanup()


class Client:
    """Keep-alive requests from one source address."""

    def __init__(self, port, source):
        self.port, self.source = port, source
        self.conn = None

    def get(self, path, auth):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20,
                                                       source_address=(self.source, 0))
            try:
                self.conn.request("GET", path, headers={"Authorization": basic(*auth),
                                                        "User-Agent": TEST_UA})
                r = self.conn.getresponse()
                return r.status, r.read().decode().strip()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
        raise AssertionError("no reply")


def test_stuffing_from_one_address_and_from_many(server):
    d = server
    owner = new_account(d)
    host = owner["hosts"][0]
    path = f"/nic/update?hostname={host}&myip="
    router = Client(d.http_port, "127.0.0.2")
    assert router.get(path + "203.0.113.90", owner["auth"]) == (200, "good 203.0.113.90")

    # 10,000 wrong passwords from one address, for made-up accounts: after
    # a few, every one is refused with 911 before any hashing.
    attacker = Client(d.http_port, "127.0.0.3")
    t0 = time.monotonic()
    replies = {}
    for i in range(10000):
        st, body = attacker.get(path + "203.0.113.91", (f"victim{i % 50}", f"guess-{i}"))
        replies[(st, body)] = replies.get((st, body), 0) + 1
    elapsed = time.monotonic() - t0
    assert set(replies) <= {(200, "badauth"), (503, "911")}, replies
    assert replies.get((503, "911"), 0) >= 9900, replies
    # (argon2id takes ~50 ms: 10,000 of them would take minutes)
    assert elapsed < 120, elapsed

    # 200 addresses against one account: the account's bucket closes.
    refused = 0
    for k in range(200):
        c = Client(d.http_port, f"127.0.1.{k + 1}")
        st, body = c.get(path + "203.0.113.92", (owner["user"], f"wrong-{k}"))
        assert (st, body) in ((200, "badauth"), (503, "911"))
        refused += st == 503
    assert refused >= 180, refused

    # The owner's router, from its own address, still updates at once.
    t0 = time.monotonic()
    assert router.get(path + "203.0.113.93", owner["auth"]) == (200, "good 203.0.113.93")
    assert time.monotonic() - t0 < 1.0
    assert addrs(d.port, host, "A") == {"203.0.113.93"}


def test_unknown_user_and_wrong_password_answer_alike(server):
    d = server
    owner = new_account(d)
    host = owner["hosts"][0]
    a = http_request(d.http_port, f"/nic/update?hostname={host}", auth=(owner["user"], "not it at all"))
    b = http_request(d.http_port, f"/nic/update?hostname={host}", auth=("no-such-user-x", "not it at all"))
    assert (a.status, a.body) == (b.status, b.body) == (200, "badauth\n")


def test_slow_request_is_cut_off(server):
    d = server
    s = socket.create_connection(("127.0.0.1", d.http_port))
    s.settimeout(10)
    s.sendall(b"GET /checkip HTTP/1.1\r\nHost: x\r\n")   # and never the end
    t0 = time.monotonic()
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    waited = time.monotonic() - t0
    assert 1.0 <= waited < 8, waited          # http-timeout = 2
    assert b"Current IP Address" not in data
    d.assert_alive()
    assert http_request(d.http_port, "/checkip").status == 200


def test_many_routers_of_one_account_at_once_after_a_restart(server):
    """After a restart nothing is in the verification cache. Thirty
    routers of one account asking at once, all with the right password:
    those that arrive while the same name and password are being verified
    wait for that answer instead of starting their own hash, so the
    account's failed-login bucket (10 at once) is not emptied by its own
    correct password and nobody is told 911."""
    import threading
    d = server
    acc = new_account(d, "many", ipv4="192.0.2.1")
    host = acc["hosts"][0]
    d.stop()
    d.start()
    replies = [None] * 30
    go = threading.Barrier(len(replies))

    def one(i):
        go.wait()
        r = http_request(d.http_port, f"/nic/update?hostname={host}&myip=203.0.113.{i + 1}",
                         auth=acc["auth"], timeout=30)
        replies[i] = (r.status, r.body.strip())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(replies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(status == 200 and body.startswith("good ") for status, body in replies), replies
    # The last one applied is served; one of the thirty addresses.
    assert len(addrs(d.port, host)) == 1
    assert addrs(d.port, host) <= {f"203.0.113.{i + 1}" for i in range(len(replies))}
