"""What a test needs to know about an S3 server it runs against, whichever server it is, and
how a test server's processes are started, awaited and stopped (``Daemons``, ``wait_until``)."""

from __future__ import annotations

import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from support.local_s3 import objects_in, stop_process


@dataclass(frozen=True)
class ServerInfo:
    """One S3 endpoint: URL, the CA bundle to trust (https) and the keys of its one user.

    ``versioning``: the server keeps object versions (``PutBucketVersioning``);
    ``acls_enforced``: an anonymous GET of a private object is refused (403 or 401);
    ``public_base``: where anonymous reads go, when not the S3 path (Swift: ``/v1/AUTH_...``).
    """

    name: str
    endpoint: str
    access_key: str
    secret_key: str
    ca_bundle: Optional[str] = None
    versioning: bool = True
    acls_enforced: bool = True
    public_base: Optional[str] = None

    def public_url(self, bucket: str) -> str:
        """The bucket's base URL for anonymous reads (no trailing slash)."""
        return f"{self.public_base or self.endpoint}/{bucket}"

    @property
    def https(self) -> bool:
        return self.endpoint.startswith("https://")

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with this server's credentials (and CA bundle) for git-annex and s3py."""
        env = dict(base)
        env.update({"AWS_ACCESS_KEY_ID": self.access_key,
                    "AWS_SECRET_ACCESS_KEY": self.secret_key})
        if self.ca_bundle:
            env["AWS_CA_BUNDLE"] = self.ca_bundle
        return env

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            verify=self.ca_bundle if self.ca_bundle else True,
                            config=Config(s3={"addressing_style": "path"},
                                          request_checksum_calculation="when_required",
                                          response_checksum_validation="when_required"))

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """name -> bytes of every object under ``prefix``."""
        return objects_in(self.client(), bucket, prefix)

    def anonymous_get(self, url: str) -> tuple[int, bytes]:
        """Status and body of an unsigned GET, trusting this server's CA."""
        context = ssl.create_default_context(cafile=self.ca_bundle) if self.https else None
        try:
            with urllib.request.urlopen(url, context=context, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def wait_until(ready: Callable[[], bool], timeout: float, what: str,
               daemons: Optional[Daemons] = None) -> None:
    """Poll ``ready`` (a server's readiness probe) until it is true or ``timeout`` passes;
    with ``daemons``, one of them that exited fails at once, with the logs' tails."""
    deadline = time.monotonic() + timeout
    while not ready():
        if daemons:
            daemons.raise_if_exited()
        if time.monotonic() > deadline:
            logs = f": {daemons.log_tails()}" if daemons else ""
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s{logs}")
        time.sleep(0.2)


class Daemons:
    """The processes of one test server (Swift, Ceph, Slurm), each writing its output to
    ``log_dir``/NAME``suffix``: started, watched while waiting, and stopped by PID in the
    reverse order of their start."""

    def __init__(self, log_dir: Path, suffix: str = ".log") -> None:
        self.log_dir, self.suffix = log_dir, suffix
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def start(self, name: str, *args: str, env: Optional[dict[str, str]] = None) -> None:
        """Start ``args`` as daemon ``name`` (again, after ``kill``: its log grows on)."""
        with (self.log_dir / f"{name}{self.suffix}").open("ab") as log:
            self.processes[name] = subprocess.Popen(list(args), stdout=log, env=env,
                                                    stderr=subprocess.STDOUT,
                                                    stdin=subprocess.DEVNULL)

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        wait_until(ready, timeout, what, self)

    def raise_if_exited(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}): {self.log_tails()}")

    def log_tails(self, chars: int = 2000) -> str:
        """The end of every file in ``log_dir`` (the daemons' output and their own logs)."""
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}"
                         for path in sorted(self.log_dir.iterdir()) if path.is_file())

    def kill(self, name: str) -> None:
        """SIGKILL one daemon (a crash) and wait for its end."""
        self.processes[name].kill()
        self.processes[name].wait(timeout=30)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            stop_process(process)


def answers_http(url: str, ca_bundle: Optional[str] = None) -> bool:
    """The server at ``url`` answers an HTTP request (any status)."""
    context = ssl.create_default_context(cafile=ca_bundle) if url.startswith("https") else None
    try:
        with urllib.request.urlopen(url, context=context, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


__all__ = ["Daemons", "ServerInfo", "answers_http", "stop_process", "wait_until"]
