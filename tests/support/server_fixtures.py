"""Session-scoped real S3 servers for the suite, one common interface (``ServerInfo``).

Registered as a pytest plugin (``pytest_plugins = ["support.server_fixtures"]`` in
tests/conftest.py, or ``-p support.server_fixtures``). Each server starts at most once per test
run, the first time a test asks for it, and is stopped by PID at the end of the session (also
after failures). A test parametrized over servers uses the ``s3`` fixture::

    @pytest.mark.parametrize("s3", server_params(), indirect=True)
    def test_x(s3: ServerInfo): ...

The names: ``moto`` (the suite's ``s3_server``, http), ``ceph-http``, ``ceph-https``,
``s3rver-http``, ``s3rver-https``, ``swift-http``, ``swift-https`` (one Swift, two proxies).
``swift3`` is a three-node Swift of its own (the fault tests), not among the names.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.local_s3 import DUMMY_KEY, DUMMY_SECRET
from support.server_info import ServerInfo
from support.tls import TLSFiles, make_tls_files

SERVER_NAMES = ("moto", "ceph-http", "ceph-https", "s3rver-http", "s3rver-https",
                "swift-http", "swift-https")
FIXTURES = {"moto": "moto_info", "ceph-http": "ceph_http", "ceph-https": "ceph_https",
            "s3rver-http": "s3rver_http", "s3rver-https": "s3rver_https",
            "swift-http": "swift_http", "swift-https": "swift_https"}


def server_params(xfail: dict[str, str] | None = None, names=SERVER_NAMES) -> list:
    """``pytest.param`` per server; those in ``xfail`` (name -> reason) strictly xfail."""
    xfail = xfail or {}
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=xfail[name])]
                         if name in xfail else []) for name in names]


START_TIMES = pytest.StashKey[dict]()


def _timed(what: str, start: float, config) -> None:
    """Record how long a server took to start (shown in the terminal summary)."""
    config.stash.setdefault(START_TIMES, {})[what] = time.monotonic() - start


def pytest_terminal_summary(terminalreporter, config):
    times = config.stash.get(START_TIMES, {})
    if times:
        terminalreporter.write_line("server start times: " + ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in times.items()))


@pytest.fixture(scope="session")
def moto_info(s3_server) -> ServerInfo:
    return ServerInfo(name="moto", endpoint=s3_server.endpoint, access_key=DUMMY_KEY,
                      secret_key=DUMMY_SECRET, versioning=True, acls_enforced=True)


@pytest.fixture(scope="session")
def ceph_rgw(request):
    from support.ceph import CephRGW

    start = time.monotonic()
    cluster = CephRGW()
    request.addfinalizer(cluster.stop)
    _timed("ceph", start, request.config)
    return cluster


@pytest.fixture(scope="session")
def ceph_http(ceph_rgw) -> ServerInfo:
    return ceph_rgw.http


@pytest.fixture(scope="session")
def ceph_https(ceph_rgw) -> ServerInfo:
    return ceph_rgw.https


@pytest.fixture(scope="session")
def server_tls() -> Iterator[TLSFiles]:
    directory = Path(tempfile.mkdtemp(prefix="s3py-tls-"))
    yield make_tls_files(directory)
    shutil.rmtree(directory, ignore_errors=True)


def _s3rver(request, tls: TLSFiles | None) -> ServerInfo:
    from support.s3rver import S3rver

    start = time.monotonic()
    server = S3rver(tls)
    request.addfinalizer(server.stop)
    _timed(server.info.name, start, request.config)
    return server.info


@pytest.fixture(scope="session")
def s3rver_http(request) -> ServerInfo:
    return _s3rver(request, None)


@pytest.fixture(scope="session")
def s3rver_https(request, server_tls) -> ServerInfo:
    return _s3rver(request, server_tls)


def _swift(request, what: str, nodes: int, tls: TLSFiles | None):
    from support.swift import Swift

    start = time.monotonic()
    cluster = Swift(nodes, tls)
    request.addfinalizer(cluster.stop)
    _timed(what, start, request.config)
    return cluster


@pytest.fixture(scope="session")
def swift(request, server_tls):
    """One storage node, a proxy on http and one on https."""
    return _swift(request, "swift", 1, server_tls)


@pytest.fixture(scope="session")
def swift_http(swift) -> ServerInfo:
    return swift.http


@pytest.fixture(scope="session")
def swift_https(swift) -> ServerInfo:
    return swift.https


@pytest.fixture(scope="session")
def swift3(request):
    """Three storage nodes, rings with three replicas, http (the fault tests)."""
    return _swift(request, "swift3", 3, None)


@pytest.fixture
def s3(request) -> ServerInfo:
    """The server named by the test's (indirect) parameter."""
    return request.getfixturevalue(FIXTURES[request.param])


__all__ = ["FIXTURES", "SERVER_NAMES", "server_params"]
