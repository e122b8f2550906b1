# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the system tests (helpers live in ddnstest.py).

* ddnsd: a ddnsd serving tests/system/data/*.zone with the configuration in
  ddnstest.ZONES, shared by the tests of one module. It must be alive after
  every test (a crash is blamed on the test that caused it) and must exit 0
  without error lines on SIGTERM at the end of the module.
* make_ddnsd: a factory for servers with their own configuration, stopped
  and checked the same way at the end of the test.
"""
import pytest

from ddnstest import Ddnsd


@pytest.fixture
def make_ddnsd(tmp_path):
    servers = []

    def make(name="ddnsd", start=True, **kw):
        d = Ddnsd(tmp_path / name, **kw)
        servers.append(d)
        if start:
            d.start()
        return d

    yield make
    failures = []
    for d in servers:
        try:
            d.stop()
        except AssertionError as e:
            failures.append(str(e))
        finally:
            d.cleanup()
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    d = Ddnsd(tmp_path_factory.mktemp("ddnsd"))
    try:
        d.start()
        yield d
        d.stop()
    finally:
        d.cleanup()


@pytest.fixture
def ddnsd(module_server):
    if not module_server.alive():
        # An earlier test crashed it (and failed for that); start afresh so
        # that the remaining tests still say something.
        module_server.proc = None
        module_server.start()
    yield module_server
    module_server.assert_alive()


# Added for the HTTP update API and real-client tests.
@pytest.fixture(scope="module")
def http_module_server(tmp_path_factory):
    """A ddnsd like module_server, also serving HTTP on 127.0.0.1 and ::1
    (port in .http_port) with 127.0.0.1 and ::1 as trusted proxies."""
    from ddnstest import start_http_ddnsd
    d = None
    try:
        d = start_http_ddnsd(tmp_path_factory.mktemp("ddnsd-http"))
        yield d
        d.stop()
    finally:
        if d is not None:
            d.cleanup()


@pytest.fixture
def http_ddnsd(http_module_server):
    d = http_module_server
    if not d.alive():
        from ddnstest import wait_http
        d.proc = None
        d.start()
        wait_http(d.http_port, d.proc, log=d.log_tail)
    yield d
    d.assert_alive()
