# SPDX-License-Identifier: GPL-3.0-or-later
"""The Python side of the browser tests: a real chromium (Debian's), driven
by playwright-core through tests/browser/bridge.mjs, one JSON line per
command each way.

    b = Browser()                       # skips the test if chromium is missing
    b.goto("http://127.0.0.1:8053/#/login")
    b.fill("#login-name", "alice")
    b.click("button[type=submit]")
    b.wait_text("h1", "Your hosts")
    b.close()

Every method takes page="main" by default; another name is another page in
its own browser context (own cookies), e.g. the operator beside the user.
"""
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BRIDGE_DIR = ROOT / "tests" / "browser"
CHROMIUM = os.environ.get("DDNSD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("DDNSD_SCREENSHOTS", ROOT / "build" / "screenshots"))


class BrowserError(AssertionError):
    pass


def ensure_node_modules():
    """playwright-core from tests/browser/package-lock.json (scripts/deps
    does this for `make test`; here for a test run by hand)."""
    if (BRIDGE_DIR / "node_modules" / "playwright-core").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "npm is missing: run scripts/deps test"
    r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BRIDGE_DIR,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"npm ci in tests/browser failed:\n{r.stderr[-2000:]}"


class Browser:
    def __init__(self, timeout=30):
        if not os.access(CHROMIUM, os.X_OK):
            pytest.skip(f"{CHROMIUM} is not installed (scripts/deps test installs "
                        "Debian's chromium); the browser tests need it")
        node = shutil.which("node")
        assert node, "node is missing: run scripts/deps test"
        ensure_node_modules()
        self.stderr = open(os.devnull, "w") if not os.environ.get("DDNSD_BRIDGE_LOG") \
            else open(os.environ["DDNSD_BRIDGE_LOG"], "a")
        self.proc = subprocess.Popen([node, str(BRIDGE_DIR / "bridge.mjs")],
                                     cwd=BRIDGE_DIR, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=dict(os.environ, DDNSD_CHROMIUM=CHROMIUM))
        self.seq = 0
        self.buf = b""
        self.timeout = timeout
        self.shots = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _readline(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("the browser bridge did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise BrowserError(f"the browser bridge exited ({self.proc.poll()})")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def call(self, cmd, page="main", timeout=None, **args):
        self.seq += 1
        msg = dict(args, id=self.seq, cmd=cmd, page=page)
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = json.loads(self._readline(deadline))
            if reply.get("id") == self.seq:
                break
        if not reply["ok"]:
            raise BrowserError(f"{cmd} {args}: {reply['error']}")
        return reply["value"]

    # The commands, as methods.
    def new_page(self, page="main", width=1280, height=900):
        return self.call("new_page", page, width=width, height=height)

    def goto(self, url, page="main"):
        return self.call("goto", page, url=url)

    def reload(self, page="main"):
        return self.call("reload", page)

    def fill(self, selector, value, page="main"):
        return self.call("fill", page, selector=selector, value=value)

    def click(self, selector, page="main"):
        return self.call("click", page, selector=selector)

    def press(self, selector, key, page="main"):
        return self.call("press", page, selector=selector, key=key)

    def keyboard(self, key, page="main"):
        return self.call("keyboard", page, key=key)

    def check(self, selector, value=True, page="main"):
        return self.call("check", page, selector=selector, value=value)

    def select(self, selector, value, page="main"):
        return self.call("select", page, selector=selector, value=value)

    def text(self, selector, page="main"):
        return self.call("text", page, selector=selector)

    def texts(self, selector, page="main"):
        return self.call("texts", page, selector=selector)

    def html(self, selector, page="main"):
        return self.call("html", page, selector=selector)

    def value(self, selector, page="main"):
        return self.call("value", page, selector=selector)

    def attr(self, selector, name, page="main"):
        return self.call("attr", page, selector=selector, name=name)

    def count(self, selector, page="main"):
        return self.call("count", page, selector=selector)

    def visible(self, selector, page="main"):
        return self.call("visible", page, selector=selector)

    def wait_for(self, selector, state="visible", timeout=10, page="main"):
        return self.call("wait_for", page, timeout=timeout + 5, selector=selector,
                         state=state, timeout_ms=int(timeout * 1000))

    def wait_text(self, selector, text, timeout=10, page="main"):
        return self.call("wait_text", page, timeout=timeout + 5, selector=selector,
                         text=text, timeout_ms=int(timeout * 1000))

    def download(self, selector, path, page="main"):
        """Clicks selector, saves what it downloads at path; returns the
        file name the page suggested."""
        return self.call("download", page, selector=selector, path=str(path))

    def url(self, page="main"):
        return self.call("url", page)

    def eval(self, expr, page="main"):
        return self.call("eval", page, expr=expr)

    def cookies(self, page="main"):
        return self.call("cookies", page)

    def events(self, page="main", clear=False):
        return self.call("events", page, clear=clear)

    def accept_confirm(self, value=True, page="main"):
        return self.call("accept_confirm", page, value=value)

    def focused(self, page="main"):
        return self.call("focused", page)

    def screenshot(self, name, page="main", full_page=True):
        """Saves build/screenshots/NAME.png; returns its path."""
        path = SCREENSHOTS / f"{name}.png"
        self.call("screenshot", page, path=str(path), full_page=full_page)
        self.shots.append(path)
        return path

    def close(self):
        if self.proc is None:
            return
        try:
            self.call("quit", timeout=10)
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.stderr.close()

