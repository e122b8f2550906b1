# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny client for ddnsd's control socket (src/ctl/proto.h): one JSON
object per line over a UNIX stream socket. A request is
{"v":1,"cmd":"host.set","args":{...}}; the reply is
{"v":1,"ok":true,"result":...} or {"v":1,"ok":false,"error":"reason"}.

The server reads the next request of a connection only once the previous
reply is out, so one connection carries any number of requests in turn.
Used where starting a ddnsctl process per request would be too slow.
"""
import json
import select
import socket
import time

VERSION = 1


class CtlError(Exception):
    """The server answered ok=false; .reply is the whole reply."""

    def __init__(self, reply):
        super().__init__(reply.get("error", repr(reply)))
        self.reply = reply


class CtlClient:
    """One connection. Raises OSError / ConnectionError when the socket
    fails or the server goes away mid-request (e.g. it was killed), and
    TimeoutError when no reply line arrives within timeout."""

    def __init__(self, path, timeout=30.0):
        self.path = str(path)
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(self.path)
        except BaseException:
            self.sock.close()
            raise
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, line):
        """Sends bytes as they are (a newline is added when missing)."""
        if isinstance(line, str):
            line = line.encode()
        if not line.endswith(b"\n"):
            line += b"\n"
        self.sock.sendall(line)

    def recv_line(self):
        """The next reply line, parsed."""
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply from {self.path} within {self.timeout}s")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{self.path} closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def request(self, cmd, args=None, **kw):
        """Sends one request and returns the whole reply object. Keyword
        arguments whose value is None are left out."""
        a = dict(args or {})
        a.update({k: v for k, v in kw.items() if v is not None})
        self.send_raw(json.dumps({"v": VERSION, "cmd": cmd, "args": a}))
        return self.recv_line()

    def call(self, cmd, args=None, **kw):
        """Like request(), but returns the result and raises CtlError when
        the reply is not ok."""
        reply = self.request(cmd, args, **kw)
        if reply.get("ok") is not True:
            raise CtlError(reply)
        return reply.get("result")


def request(path, cmd, args=None, timeout=30.0, **kw):
    """One request on a fresh connection; returns the reply object."""
    with CtlClient(path, timeout) as c:
        return c.request(cmd, args, **kw)


def call(path, cmd, args=None, timeout=30.0, **kw):
    """One request on a fresh connection; returns the result or raises
    CtlError."""
    with CtlClient(path, timeout) as c:
        return c.call(cmd, args, **kw)
