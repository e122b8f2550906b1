# SPDX-License-Identifier: GPL-3.0-or-later
"""Installing ddnsd: `meson install` puts the three programs and the
dashboard's files in place, the installed ddnsd runs from them with the
shipped sample configuration (paths and addresses changed for the test),
and the shipped systemd unit passes systemd-analyze verify."""

import filecmp
import shutil
import subprocess

import pytest

from ddnstest import BUILD, REPO, free_port, http_request, soa_serial, wait_for

PREFIX = "usr/local"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    r = subprocess.run(["meson", "install", "-C", str(BUILD), "--destdir", str(dest),
                        "--no-rebuild", "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest / PREFIX


def test_meson_install_puts_programs_and_dashboard_in_place(installed):
    for prog in ("ddnsd", "ddnsctl", "ddnsc"):
        assert (installed / "bin" / prog).stat().st_mode & 0o111, prog
    web = installed / "share" / "ddnsd" / "web"
    cmp = filecmp.dircmp(REPO / "web", web)
    assert sorted(cmp.left_list) == sorted(cmp.right_list) and not cmp.diff_files, (
        cmp.left_only, cmp.right_only, cmp.diff_files)


def test_installed_ddnsd_runs_the_sample_configuration(installed, tmp_path):
    """dist/ddnsd.conf with its paths moved under tmp_path, its addresses
    to loopback ports and web-root to the installed files."""
    dns_port, http_port = free_port(), free_port()
    conf = (REPO / "dist" / "ddnsd.conf").read_text()
    for old, new in (("192.0.2.53:53, [2001:db8::53]:53", f"127.0.0.1:{dns_port}"),
                     ("127.0.0.1:8053", f"127.0.0.1:{http_port}"),
                     ("/var/lib/ddnsd/", f"{tmp_path}/"), ("/run/ddnsd/", f"{tmp_path}/"),
                     ("/var/log/ddnsd/", f"{tmp_path}/")):
        assert old in conf, old
        conf = conf.replace(old, new)
    conf = conf.replace("[server]\n", f"[server]\nweb-root = {installed}/share/ddnsd/web\n", 1)
    path = tmp_path / "ddnsd.conf"
    path.write_text(conf)
    ddnsd, ddnsctl = installed / "bin" / "ddnsd", installed / "bin" / "ddnsctl"
    r = subprocess.run([str(ddnsd), "-c", str(path), "--check"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    log = open(tmp_path / "ddnsd.log", "w")
    p = subprocess.Popen([str(ddnsd), "-c", str(path)], stdout=log, stderr=subprocess.STDOUT)
    try:
        def serves():
            try:
                return soa_serial(dns_port, "dyn.example") > 0
            except AssertionError:      # no answer yet
                return p.poll() is None and False
        wait_for("the installed ddnsd to answer", serves, timeout=20)
        # The dashboard, from the installed files.
        page = http_request(http_port, "/")
        assert page.status == 200 and 'src="/app.js?v=' in page.body, page
        app = http_request(http_port, "/app.js")
        assert app.status == 200 and app.body == (installed / "share/ddnsd/web/app.js").read_text()
        r = subprocess.run([str(ddnsctl), "-c", str(path), "status"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and "zone dyn.example serial" in r.stdout, r
    finally:
        p.terminate()
        assert p.wait(30) == 0
        log.close()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_unit_verifies(installed, tmp_path):
    """systemd-analyze verify finds nothing to say about the unit (with its
    ddnsd path pointed at the installed binary, which it checks)."""
    unit = (REPO / "dist" / "ddnsd.service").read_text()
    assert unit.count("/usr/local/bin/ddnsd ") == 2
    unit = unit.replace("/usr/local/bin/ddnsd ", f"{installed}/bin/ddnsd ")
    path = tmp_path / "ddnsd.service"
    path.write_text(unit)
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
