# SPDX-License-Identifier: GPL-3.0-or-later
"""The servers under test, each behind the same small interface.

A Server is given a work directory, a loopback port and a master file; it
writes its configuration there, starts in the foreground in its own process
group (so that stopping it also stops anything it forked) and knows which
query proves it has loaded the zone. Every started server is registered in
RUNNING, and stop_all() -- called from bench/run's finally and signal paths
-- stops whatever is still up.
"""

import os
import shutil
import signal
import subprocess
import time

from . import proc
from .zonegen import ZONE, last_host

RUNNING = []


class Unavailable(Exception):
    """The server cannot be benchmarked here (e.g. not built yet)."""


class Server:
    name = "?"
    has_zone = True          # False for the echo responder: no load, no memory

    def __init__(self, repo, outdir, workers):
        self.repo = repo
        self.outdir = outdir
        self.workers = workers
        self.proc = None
        self.log = None

    def check(self):
        """Raise Unavailable with a short reason if this server can't run."""

    def prepare(self, workdir, port, zonefile, hosts):
        """Write configuration (and, for ddnsd, import the zone) before
        start(). Returns a dict of extra results (e.g. import time)."""
        self.workdir, self.port = workdir, port
        self.zonefile, self.hosts = zonefile, hosts
        return {}

    def command(self):
        raise NotImplementedError

    def probe(self):
        """(name, qtype, need_answer) of the query that shows the zone is
        fully loaded: the last host's A record, or the SOA when the zone is
        the tiny baseline one."""
        if self.hosts:
            return last_host(self.hosts), "A", True
        return ZONE, "SOA", True

    def start(self):
        self.log = os.path.join(self.workdir, self.name + ".log")
        logf = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.workdir, stdin=subprocess.DEVNULL,
                stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            logf.close()
        RUNNING.append(self)
        return self.proc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pids(self):
        return proc.tree(self.proc.pid) if self.alive() else []

    def log_tail(self, n=8):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:]).rstrip()
        except (OSError, TypeError):
            return ""

    def stop(self):
        """SIGTERM to the server's process group (it may have forked), then
        SIGKILL if anything of it is still running after 15 s."""
        p = self.proc
        if p is None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                p.poll()
                if p.returncode is not None and not proc.group_alive(p.pid):
                    break
                time.sleep(0.05)
            else:
                continue
            break
        p.poll()
        self.proc = None
        if self in RUNNING:
            RUNNING.remove(self)


def stop_all():
    for s in list(RUNNING):
        try:
            s.stop()
        except Exception as e:          # keep stopping the others
            print("warning: stopping %s: %s" % (s.name, e))


class Echo(Server):
    """bench/echo.c: the ceiling. Compiled into bench/out/ by bench/run."""
    name = "echo"
    has_zone = False

    def check(self):
        if not os.access(os.path.join(self.outdir, "echo"), os.X_OK):
            raise Unavailable("echo: not built")

    def command(self):
        return [os.path.join(self.outdir, "echo"), "127.0.0.1",
                str(self.port), str(self.workers)]

    def probe(self):
        return ZONE, "SOA", False


class Nsd(Server):
    name = "nsd"

    def check(self):
        if not _which("nsd"):
            raise Unavailable("nsd: not installed")

    def prepare(self, workdir, port, zonefile, hosts):
        super().prepare(workdir, port, zonefile, hosts)
        self.conf = os.path.join(workdir, "nsd.conf")
        d = workdir
        with open(self.conf, "w") as f:
            f.write(f"""server:
    ip-address: 127.0.0.1@{port}
    server-count: {self.workers}
    reuseport: yes
    zonesdir: "{os.path.dirname(zonefile)}"
    database: ""
    pidfile: "{d}/nsd.pid"
    username: ""
    chroot: ""
    xfrdfile: "{d}/xfrd.state"
    zonelistfile: "{d}/zone.list"
    logfile: "{d}/nsd.logfile"
    verbosity: 0
    zonefiles-write: 0
    minimal-responses: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: {ZONE}
    zonefile: "{zonefile}"
""")
        return {}

    def command(self):
        return ["nsd", "-d", "-c", self.conf]


class Knot(Server):
    name = "knot"

    def check(self):
        if not _which("knotd"):
            raise Unavailable("knot: not installed")

    def prepare(self, workdir, port, zonefile, hosts):
        super().prepare(workdir, port, zonefile, hosts)
        self.conf = os.path.join(workdir, "knot.conf")
        d = workdir
        with open(self.conf, "w") as f:
            f.write(f"""server:
    rundir: "{d}"
    listen: 127.0.0.1@{port}
    udp-workers: {self.workers}
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{d}"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "{d}"
    semantic-checks: off
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: {ZONE}
    file: "{zonefile}"
""")
        return {}

    def command(self):
        return ["knotd", "-c", self.conf]


class Ddnsd(Server):
    """ddnsd from build/: the zone is imported into its SQLite database with
    `ddnsctl zone import` first (timed separately); ddnsd then loads it from
    the database at start, which is what load time measures."""
    name = "ddnsd"
    # bench/run points this at a copy of build/ taken when the run starts:
    # a rebuild during the run must not change what is measured.
    bindir = None

    def binaries(self):
        b = self.bindir or os.path.join(self.repo, "build")
        return os.path.join(b, "ddnsd"), os.path.join(b, "ddnsctl")

    def check(self):
        for path in self.binaries():
            if not os.access(path, os.X_OK):
                raise Unavailable("ddnsd: not built")

    def prepare(self, workdir, port, zonefile, hosts):
        super().prepare(workdir, port, zonefile, hosts)
        self.conf = os.path.join(workdir, "ddnsd.conf")
        d = workdir
        with open(self.conf, "w") as f:
            f.write(f"""[server]
dns-listen = 127.0.0.1:{port}
database = {d}/ddnsd.db
control-socket = {d}/ddnsd.sock
workers = {self.workers}

[zone {ZONE}]
ns = ns1.{ZONE}, ns2.{ZONE}
glue = ns1.{ZONE} 192.0.2.53
soa-rname = hostmaster.{ZONE}
ttl = 60
""")
        ctl = self.binaries()[1]
        cmd = [ctl, "-c", self.conf, "zone", "import", ZONE, zonefile]
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=workdir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
        elapsed = time.monotonic() - t0
        with open(os.path.join(workdir, "import.log"), "w") as f:
            f.write("$ " + " ".join(cmd) + "\n" + p.stdout)
        if p.returncode != 0:
            raise RuntimeError("ddnsctl zone import failed (exit %d): %s"
                               % (p.returncode, p.stdout.strip()[-300:]))
        return {"import_s": elapsed}

    def command(self):
        return [self.binaries()[0], "-c", self.conf]


def snapshot_ddnsd(repo, dest):
    """Copy build/ddnsd and build/ddnsctl to dest and make Ddnsd use the
    copies. Returns False (and changes nothing) when they are not built."""
    src = [os.path.join(repo, "build", b) for b in ("ddnsd", "ddnsctl")]
    if not all(os.access(p, os.X_OK) for p in src):
        return False
    os.makedirs(dest, exist_ok=True)
    for p in src:
        shutil.copy2(p, os.path.join(dest, os.path.basename(p)))
    Ddnsd.bindir = dest
    return True


def _which(prog):
    for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]:
        if d and os.access(os.path.join(d, prog), os.X_OK):
            return True
    return False


ALL = {"ddnsd": Ddnsd, "nsd": Nsd, "knot": Knot, "echo": Echo}
ORDER = ["ddnsd", "nsd", "knot", "echo"]
