"""OpenStack Swift (Debian's 2.30 packages) with its S3 API (s3api) on 127.0.0.1.

A Swift-All-In-One layout: ``nodes`` storage nodes (each an object server with its own device
folder; the first also an account and a container server), an object ring with min(nodes, 3)
replicas (account and container rings: one, on the first node), one memcached and a proxy
with s3api and tempauth (user ``test:tester``, key ``testing``: Swift account ``AUTH_test``),
on http and, given ``tls`` files, a second proxy on https. Every daemon runs in the foreground
in one process (``workers = 0``) as our child, so ``stop`` ends exactly those PIDs; the data lives
in one temporary folder removed at ``stop``. ``stop_object_server``/``start_object_server`` take
one storage node's object server down and back (the fault tests). Install with ``make servers``.

Public reads go through Swift's own URL (``/v1/AUTH_test/BUCKET/KEY``): an unsigned request by
the S3 path is taken as a Swift API request (400), and object ACLs are ignored (``s3_acl =
false``, Swift's default); a bucket created ``public-read`` gets the container read ACL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Optional

from support.local_s3 import free_port
from support.server_info import Daemons, ServerInfo, answers_http
from support.tls import TLSFiles

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "test:tester"
SECRET_KEY = "testing"
ACCOUNT = "AUTH_test"
KINDS = ("account", "container", "object")
DAEMONS = ("swift-proxy-server", "swift-account-server", "swift-container-server",
           "swift-object-server", "memcached")
SWIFT_CONF = Path("/etc/swift/swift.conf")  # the hash path prefix/suffix, as Debian ships it

COMMON = """\
[DEFAULT]
devices = {devices}
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
user = {user}
swift_dir = {dir}
log_level = INFO
recon_cache_path = {dir}/cache

[pipeline:main]
pipeline = healthcheck {kind}-server

[app:{kind}-server]
use = egg:swift#{kind}

[filter:healthcheck]
use = egg:swift#healthcheck
"""

PROXY = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
user = {user}
swift_dir = {dir}
log_level = INFO
{tls}

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk \
tempurl s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true
node_timeout = 10
conn_timeout = 0.5

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
allow_multipart_uploads = true

[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
storage_url_scheme = default

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached}
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
"""


RING_BUILDER = """
import json, sys
from swift.common.ring import RingBuilder
for kind, ring in json.load(sys.stdin).items():
    builder = RingBuilder(8, ring["replicas"], 1)
    for number, device in enumerate(ring["devices"]):
        builder.add_dev({"id": number, "region": 1, "zone": device["zone"], "weight": 100,
                         "ip": "127.0.0.1", "port": device["port"], "device": device["device"]})
    builder.rebalance()
    builder.get_ring().save(f"{sys.argv[1]}/{kind}.ring.gz")
"""


def swift_installed() -> bool:
    return all(shutil.which(tool) for tool in DAEMONS) and SWIFT_CONF.exists()


def _data_dir() -> Path:
    """A fresh folder whose filesystem keeps user xattrs (Swift's object metadata): the
    temporary folder, or one under ``.servers`` where that is a tmpfs without them."""
    path = Path(tempfile.mkdtemp(prefix="swift-"))
    try:
        os.setxattr(path, "user.s3py-probe", b"1")
        return path
    except OSError:
        path.rmdir()
        (ROOT / ".servers").mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="swift-", dir=ROOT / ".servers"))


class Swift:
    """The cluster; ``http`` (and with ``tls``, ``https``) describe its S3 endpoints."""

    def __init__(self, nodes: int = 1, tls: Optional[TLSFiles] = None) -> None:
        if not swift_installed():
            raise RuntimeError("OpenStack Swift is missing: run `make servers`")
        self.nodes = nodes
        self.dir = _data_dir()
        (self.dir / "log").mkdir()
        self.daemons = Daemons(self.dir / "log")
        self.https: Optional[ServerInfo] = None
        try:
            self._start(tls)
        except BaseException:
            self.stop()
            raise

    @property
    def pids(self) -> dict[str, int]:
        return self.daemons.pids

    def _info(self, scheme: str, port: int, ca: Optional[str]) -> ServerInfo:
        endpoint = f"{scheme}://127.0.0.1:{port}"
        return ServerInfo(name=f"swift-{scheme}", endpoint=endpoint, access_key=ACCESS_KEY,
                          secret_key=SECRET_KEY, ca_bundle=ca, versioning=True,
                          # object ACLs are ignored: the container's read ACL decides
                          acls_enforced=False, public_base=f"{endpoint}/v1/{ACCOUNT}")

    def _start(self, tls: Optional[TLSFiles]) -> None:
        (self.dir / "cache").mkdir()
        self.ports: dict[str, int] = {}
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        rings: dict[str, dict] = {kind: {"replicas": min(self.nodes, 3) if kind == "object"
                                          else 1, "devices": []} for kind in KINDS}
        for node in range(1, self.nodes + 1):
            (self.dir / f"node{node}" / f"d{node}").mkdir(parents=True)
            for kind in self._kinds(node):
                port = self.ports[f"{kind}-{node}"] = free_port()
                (self.dir / f"{kind}-{node}.conf").write_text(COMMON.format(
                    devices=self.dir / f"node{node}", port=port, user=user, dir=self.dir,
                    kind=kind))
                rings[kind]["devices"].append({"zone": node, "port": port, "device": f"d{node}"})
        self._build_rings(rings)
        memcached = free_port()
        self.daemons.start("memcached", "memcached", "-l", "127.0.0.1", "-p", str(memcached),
                     "-U", "0", "-u", user, "-m", "64")
        for node in range(1, self.nodes + 1):
            for kind in self._kinds(node):
                self._server(kind, node)
        self.http = self._proxy("http", user, memcached, None)
        if tls:
            self.https = self._proxy("https", user, memcached, tls)
        for name in self.daemons.processes:
            if name != "memcached":
                self.daemons.wait_until(lambda name=name: self._healthy(name), 60,
                                        f"swift {name}")
        self._make_account()

    @staticmethod
    def _kinds(node: int) -> tuple[str, ...]:
        """The servers of one node: the fault tests take object servers down, so only the
        object ring is replicated (fewer processes to start)."""
        return KINDS if node == 1 else ("object",)

    def _build_rings(self, rings: dict[str, dict]) -> None:
        """Write the three rings in one run of Swift's own RingBuilder (Debian's python3-swift;
        one process instead of a swift-ring-builder per step)."""
        result = subprocess.run(["/usr/bin/python3", "-c", RING_BUILDER, str(self.dir)],
                                input=json.dumps(rings), capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"building the swift rings failed: {result.stderr[-2000:]}")

    def _server(self, kind: str, node: int) -> None:
        self.daemons.start(f"{kind}-{node}", f"swift-{kind}-server",
                     str(self.dir / f"{kind}-{node}.conf"), "-v")

    def _proxy(self, scheme: str, user: str, memcached: int, tls: Optional[TLSFiles]
               ) -> ServerInfo:
        port = free_port()
        conf = self.dir / f"proxy-{scheme}.conf"
        conf.write_text(PROXY.format(
            port=port, user=user, dir=self.dir, memcached=memcached,
            tls=f"cert_file = {tls.cert}\nkey_file = {tls.key}" if tls else ""))
        self.ports[f"proxy-{scheme}"] = port
        self.daemons.start(f"proxy-{scheme}", "swift-proxy-server", str(conf), "-v")
        return self._info(scheme, port, str(tls.ca) if tls else None)

    def _healthy(self, name: str) -> bool:
        if name == "proxy-https":
            return answers_http(f"{self.https.endpoint}/healthcheck", self.https.ca_bundle)
        return answers_http(f"http://127.0.0.1:{self.ports[name]}/healthcheck")

    def _make_account(self) -> None:
        """Ask tempauth for a token and HEAD the account with it: the account now exists."""
        base = self.http.endpoint
        ask = urllib.request.Request(f"{base}/auth/v1.0", headers={
            "X-Auth-User": ACCESS_KEY, "X-Auth-Key": SECRET_KEY})
        with urllib.request.urlopen(ask, timeout=30) as answer:
            token = answer.headers["X-Auth-Token"]
        head = urllib.request.Request(f"{base}/v1/{ACCOUNT}", method="HEAD",
                                      headers={"X-Auth-Token": token})
        with urllib.request.urlopen(head, timeout=30):
            pass

    def stop_object_server(self, node: int) -> None:
        """Kill one node's object server (SIGKILL: a crashed daemon) and wait for its end."""
        self.daemons.kill(f"object-{node}")

    def start_object_server(self, node: int) -> None:
        """Start that object server again on its port and wait until it answers."""
        self._server("object", node)
        self.daemons.wait_until(lambda: self._healthy(f"object-{node}"), 60,
                                f"swift object server {node}")

    def stop(self) -> None:
        """Stop the proxies, the storage servers and memcached (by PID, the reverse of their
        start), remove the data."""
        self.daemons.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = ["ACCESS_KEY", "ACCOUNT", "SECRET_KEY", "Swift", "swift_installed"]
