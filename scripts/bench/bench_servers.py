"""The S3 server a benchmark runs against, on 127.0.0.1 over http: moto, Ceph RGW or s3rver.

Started with the test suite's helpers (tests/support: local_s3, ceph, s3rver; ``make servers``
installs Ceph and s3rver) and stopped by PID. ``builtin_settings`` configures git-annex's
built-in ``type=S3`` remote for it as tests/e2e/test_servers_e2e.py does: path-style requests,
signature v4, but v2 on Ceph (RGW 16 refuses the built-in's v4 requests: C1 in
docs/servers.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from support.local_s3 import DUMMY_KEY, DUMMY_SECRET, S3Server
from support.server_info import ServerInfo

SERVER_KINDS = ("moto", "ceph", "s3rver")
SHM = "/dev/shm"


@dataclass
class BenchServer:
    """A running server: what it is, how to reach it, how to stop it."""

    kind: str
    info: ServerInfo
    stop: Callable[[], None]

    @property
    def endpoint(self) -> str:
        return self.info.endpoint

    def client(self):
        """A boto3 client straight to the server (path style, plain bodies)."""
        return self.info.client()

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with this server's credentials, for git-annex, s3py and boto3."""
        return self.info.env(base)

    def builtin_settings(self, endpoint: str) -> list[str]:
        """initremote settings of a built-in ``type=S3`` remote reaching this server at
        ``endpoint`` (the server's own, or a proxy's in front of it)."""
        scheme, _, host_port = endpoint.partition("://")
        host, _, port = host_port.partition(":")
        signature = "v2" if self.kind == "ceph" else "v4"
        return [f"host={host}", f"port={port}", f"protocol={scheme}", "requeststyle=path",
                f"signature={signature}"]


def start_server(kind: str) -> BenchServer:
    """Start one server of ``kind`` (one of SERVER_KINDS); Ceph takes about a minute."""
    if kind == "moto":
        # object bodies on a tmpfs: on this VM's disk, write-back stalls made one large PUT
        # in four take 0.5 s instead of 0.11 s, for every contender alike (noise, not speed)
        moto = S3Server(tmpdir=SHM if os.path.isdir(SHM) else None)
        return BenchServer(kind, ServerInfo(name="moto", endpoint=moto.endpoint,
                                            access_key=DUMMY_KEY, secret_key=DUMMY_SECRET),
                           moto.stop)
    if kind == "ceph":
        from support.ceph import CephRGW

        cluster = started(CephRGW, "Ceph RGW")
        return BenchServer(kind, cluster.http, cluster.stop)
    if kind == "s3rver":
        from support.s3rver import S3rver

        s3rver = started(S3rver, "s3rver")
        return BenchServer(kind, s3rver.info, s3rver.stop)
    raise ValueError(f"unknown server {kind!r}; one of {SERVER_KINDS}")


def started(start: Callable[[], Any], what: str) -> Any:
    """``start()``, once more if it fails: the free port it picked can be taken by another
    process before the server binds it (EADDRINUSE)."""
    for attempt in (1, 2):
        try:
            return start()
        except RuntimeError as error:
            if attempt == 2:
                raise SystemExit(f"{what} did not start: {error}") from None
            print(f"{what} did not start, once more: {str(error)[-300:]}", flush=True)
    raise AssertionError("unreachable")
