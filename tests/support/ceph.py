"""A single-node Ceph cluster with a RADOS Gateway on 127.0.0.1 (Debian's ceph 16 packages).

One mon, one OSD (memstore by default, or bluestore on a sparse file), no mgr, pool size 1,
radosgw (beast) on an http and an https port (a private CA, see support/tls.py) and one S3 user
made with radosgw-admin. Every daemon runs in the foreground as our child, so ``stop`` ends
exactly those PIDs; all data lives in one temporary directory removed at ``stop``.
Install the daemons with ``make servers``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from support.local_s3 import free_port
from support.server_info import Daemons, ServerInfo, answers_http
from support.tls import make_tls_files

ACCESS_KEY = "CEPHTESTACCESSKEY01"
SECRET_KEY = "cephtestsecretkey0000000000000000000001"
DAEMONS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool",
           "monmaptool")

CONF = """\
[global]
fsid = {fsid}
mon initial members = a
mon host = [v2:127.0.0.1:{mon_v2},v1:127.0.0.1:{mon_v1}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = {dir}/$cluster.$name.keyring
run dir = {dir}/run
admin socket = {dir}/run/$cluster-$name.asok
log file = {dir}/log/$cluster-$name.log
pid file = {dir}/run/$cluster-$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 1
ms bind ipv4 = true
ms bind ipv6 = false
[mon]
mon data = {dir}/mon/$cluster-$id
[osd]
osd data = {dir}/osd/$cluster-$id
osd objectstore = {objectstore}
osd memory target = 1073741824
bluestore block path = {dir}/osd/$cluster-$id.block
bluestore block create = true
bluestore block size = 21474836480
bluestore fsck on mkfs = false
memstore device bytes = 4294967296
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{http} ssl_endpoint=127.0.0.1:{https} \
ssl_certificate={cert} ssl_private_key={key}
rgw dns name = 127.0.0.1
rgw enable usage log = false
rgw thread pool size = 64
"""


def ceph_installed() -> bool:
    return all(shutil.which(tool) for tool in DAEMONS)


class CephRGW:
    """The cluster; ``http`` and ``https`` describe the gateway's two endpoints."""

    def __init__(self, objectstore: str = "memstore") -> None:
        if not ceph_installed():
            raise RuntimeError("the Ceph daemons are missing: run `make servers`")
        self.dir = Path(tempfile.mkdtemp(prefix="ceph-rgw-"))
        self.objectstore = objectstore
        (self.dir / "log").mkdir()
        self.daemons = Daemons(self.dir / "log", suffix=".stdout")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    @property
    def pids(self) -> dict[str, int]:
        return self.daemons.pids

    def _start(self) -> None:
        for sub in ("run", "mon", "osd"):
            (self.dir / sub).mkdir()
        tls = make_tls_files(self.dir / "tls")
        http, https = free_port(), free_port()
        fsid = str(uuid.uuid4())
        mon_v1, mon_v2 = free_port(), free_port()
        self.conf = self.dir / "ceph.conf"
        self.conf.write_text(CONF.format(fsid=fsid, mon_v1=mon_v1, mon_v2=mon_v2, dir=self.dir,
                                         objectstore=self.objectstore, http=http, https=https,
                                         cert=tls.cert, key=tls.key))
        common = dict(access_key=ACCESS_KEY, secret_key=SECRET_KEY, versioning=True,
                      acls_enforced=True)
        self.http = ServerInfo(name="ceph-http", endpoint=f"http://127.0.0.1:{http}", **common)
        self.https = ServerInfo(name="ceph-https", endpoint=f"https://127.0.0.1:{https}",
                                ca_bundle=str(tls.ca), **common)
        self._start_mon(fsid, mon_v1, mon_v2)
        self._start_osd()
        self._start_rgw()
        self._tool("radosgw-admin", "user", "create", "--uid=tester",
                   "--display-name=S3 tester", f"--access-key={ACCESS_KEY}",
                   f"--secret-key={SECRET_KEY}")

    def _tool(self, tool: str, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([tool, "-c", str(self.conf), *args], input=stdin,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {result.stderr[-2000:]}")
        return result.stdout

    def _ceph_ok(self, *args: str) -> bool:
        result = subprocess.run(["ceph", "-c", str(self.conf), "--connect-timeout", "5", *args],
                                capture_output=True, text=True, timeout=60)
        return result.returncode == 0

    def _daemon(self, name: str, *args: str) -> None:
        self.daemons.start(name, *args, "-c", str(self.conf), "-f")

    def _start_mon(self, fsid: str, mon_v1: int, mon_v2: int) -> None:
        d = self.dir
        subprocess.run(["ceph-authtool", "--create-keyring", f"{d}/ceph.mon..keyring",
                        "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"],
                       check=True, capture_output=True)
        subprocess.run(["ceph-authtool", "--create-keyring", f"{d}/ceph.client.admin.keyring",
                        "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *",
                        "--cap", "osd", "allow *", "--cap", "mgr", "allow *"],
                       check=True, capture_output=True)
        subprocess.run(["ceph-authtool", f"{d}/ceph.mon..keyring", "--import-keyring",
                        f"{d}/ceph.client.admin.keyring"], check=True, capture_output=True)
        subprocess.run(["monmaptool", "--create", "--addv", "a",
                        f"[v2:127.0.0.1:{mon_v2},v1:127.0.0.1:{mon_v1}]", "--fsid", fsid,
                        f"{d}/monmap"], check=True, capture_output=True)
        self._tool("ceph-mon", "--mkfs", "-i", "a", "--monmap", f"{d}/monmap",
                   "--keyring", f"{d}/ceph.mon..keyring")
        shutil.copy(f"{d}/ceph.mon..keyring", f"{d}/ceph.mon.a.keyring")
        self._daemon("mon", "ceph-mon", "-i", "a")
        self.daemons.wait_until(lambda: self._ceph_ok("mon", "stat"), 60, "ceph-mon")

    def _start_osd(self) -> None:
        osd_uuid = str(uuid.uuid4())
        secret = subprocess.run(["ceph-authtool", "--gen-print-key"], check=True,
                                capture_output=True, text=True).stdout.strip()
        osd_id = self._tool("ceph", "osd", "new", osd_uuid, "-i", "-",
                            stdin=json.dumps({"cephx_secret": secret})).strip()
        data = self.dir / "osd" / f"ceph-{osd_id}"
        data.mkdir()
        subprocess.run(["ceph-authtool", "--create-keyring", f"{data}/keyring",
                        "--name", f"osd.{osd_id}", "--add-key", secret],
                       check=True, capture_output=True)
        shutil.copy(data / "keyring", self.dir / f"ceph.osd.{osd_id}.keyring")
        self._tool("ceph-osd", "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self._daemon("osd", "ceph-osd", "-i", osd_id)

        def up() -> bool:
            result = subprocess.run(["ceph", "-c", str(self.conf), "osd", "stat"],
                                    capture_output=True, text=True, timeout=60)
            return "1 up" in result.stdout
        self.daemons.wait_until(up, 90, "ceph-osd")

    def _start_rgw(self) -> None:
        self._tool("ceph", "auth", "get-or-create", "client.rgw.a", "mon", "allow rw",
                   "osd", "allow rwx", "-o", f"{self.dir}/ceph.client.rgw.a.keyring")
        self._daemon("rgw", "radosgw", "-n", "client.rgw.a")

        def up() -> bool:
            return (answers_http(self.http.endpoint + "/")
                    and answers_http(self.https.endpoint + "/", self.https.ca_bundle))
        self.daemons.wait_until(up, 120, "radosgw")

    def stop(self) -> None:
        """Stop the gateway, the OSD and the mon (by PID, in that order), remove the data."""
        self.daemons.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


__all__ = ["ACCESS_KEY", "SECRET_KEY", "CephRGW", "ceph_installed"]
