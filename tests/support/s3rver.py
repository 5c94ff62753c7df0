"""npm's s3rver 3 on 127.0.0.1, signatures checked, over http or https.

Installed by ``make servers`` into ``.servers/npm`` (``S3RVER_BIN`` overrides the path). s3rver
has one fixed key pair (S3RVER/S3RVER), no versioning and no ACL checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from support.local_s3 import free_port
from support.server_info import ServerInfo, answers_http, stop_process, wait_until
from support.tls import TLSFiles

ROOT = Path(__file__).resolve().parents[2]
S3RVER_BIN = Path(os.environ.get("S3RVER_BIN",
                                  ROOT / ".servers" / "npm" / "node_modules" / ".bin" / "s3rver"))
S3RVER_KEY = "S3RVER"


class S3rver:
    """One s3rver process with its data in a temporary directory removed at ``stop``."""

    def __init__(self, tls: Optional[TLSFiles] = None) -> None:
        if not S3RVER_BIN.exists():
            raise RuntimeError(f"{S3RVER_BIN} is missing: run `make servers`")
        self.tls = tls
        self.root = Path(tempfile.mkdtemp(prefix="s3rver-"))
        self.port = free_port()
        scheme = "https" if tls else "http"
        self.info = ServerInfo(name=f"s3rver-{scheme}",
                               endpoint=f"{scheme}://127.0.0.1:{self.port}",
                               access_key=S3RVER_KEY, secret_key=S3RVER_KEY,
                               ca_bundle=str(tls.ca) if tls else None,
                               versioning=False, acls_enforced=False)
        # no --allow-mismatched-signatures: s3rver verifies every v2/v4 signature
        args = [str(S3RVER_BIN), "--directory", str(self.root / "data"),
                "--address", "127.0.0.1", "--port", str(self.port), "--silent"]
        if tls:
            args += ["--key", str(tls.key), "--cert", str(tls.cert)]
        (self.root / "data").mkdir()
        self.log = (self.root / "s3rver.log").open("wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        try:
            wait_until(self._ready, 60, f"s3rver on {self.info.endpoint}")
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"s3rver exited ({self.process.returncode}): "
                               f"{(self.root / 's3rver.log').read_text()[-2000:]}")
        return answers_http(self.info.endpoint + "/", self.info.ca_bundle)

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


__all__ = ["S3RVER_BIN", "S3rver"]
