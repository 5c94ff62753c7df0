"""A local S3 server (moto's server mode on 127.0.0.1) and an isolated environment.

Shared by ``make demo``, ``make bench`` and the test suite: nothing here touches a real AWS
account or the user's git configuration. Needs ``moto[server]`` (the ``test`` extra).
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

DUMMY_KEY, DUMMY_SECRET = "testing-access-key", "testing-secret-key"
BIN_DIR = str(Path(sys.executable).parent)
# A directory holding the git-annex (and git-annex-shell) the e2e tiers must use, e.g. the
# newest release's (make test-e2e-newest); unset or empty: whatever git-annex is on PATH.
ANNEX_BIN_VAR = "S3PY_TEST_GIT_ANNEX_BIN"
STARTUP_TIMEOUT = 60  # seconds moto's server may take to import and listen


def annex_path_prefix() -> str:
    """``$S3PY_TEST_GIT_ANNEX_BIN`` + ``os.pathsep`` when set, else ``""``: put it first."""
    chosen = os.environ.get(ANNEX_BIN_VAR, "")
    return chosen + os.pathsep if chosen else ""


def objects_in(client, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """name -> bytes of every object under ``prefix``, read with the boto3 ``client``."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class S3Server:
    """moto's server mode in its own process, bound to 127.0.0.1 at a port of its own
    (``moto_main.py``): ready, and listening, when the constructor returns."""

    def __init__(self, tmpdir: str | None = None, checks_signatures: bool = False,
                 fill: tuple[str, str, int, int] | None = None) -> None:
        """``tmpdir``: where moto spools object bodies (its TMPDIR); the benchmarks give a
        tmpfs, where a 32 MiB PUT takes 114-145 ms, against 105-560 ms on this machine's disk
        (dirty-page write-back stalls). ``checks_signatures``: moto checks every request's
        key and signature as S3 does, against an IAM user made at start (``self.keys``).
        ``fill``: (bucket, prefix, count, size) made in moto's backend before it listens
        (moto_main.py ``--fill``)."""
        env = {**os.environ, "TMPDIR": tmpdir} if tmpdir else None
        if checks_signatures:  # the IAM user, its key and its policy: three requests unsigned
            env = {**(env or os.environ), "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("moto_main.py")),
             *(["--fill", *map(str, fill)] if fill else [])],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        filling = fill[2] / 1000 if fill else 0  # seconds: ~0.1 ms per object here
        said, _, _ = select.select([self.process.stdout], [], [], STARTUP_TIMEOUT + filling)
        first_line = self.process.stdout.readline() if said else b""
        self.process.stdout.close()
        if not first_line.strip().isdigit():
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"moto's server did not start (exit {self.process.returncode})")
        self.port = int(first_line)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._client = None
        self.keys = (DUMMY_KEY, DUMMY_SECRET)
        if checks_signatures:
            self.keys = self._iam_user()

    def _iam_user(self) -> tuple[str, str]:
        """(access key, secret) of a user moto lets do everything."""
        import json

        import boto3

        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_SECRET)
        iam.create_user(UserName="s3py")
        key = iam.create_access_key(UserName="s3py")["AccessKey"]
        everything = {"Version": "2012-10-17",
                      "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="s3py", PolicyName="all",
                            PolicyDocument=json.dumps(everything))
        return key["AccessKeyId"], key["SecretAccessKey"]

    def client(self):
        """A boto3 client straight to the server (the truth, past any proxy); built once."""
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3", endpoint_url=self.endpoint, region_name="us-east-1",
                aws_access_key_id=self.keys[0], aws_secret_access_key=self.keys[1])
        return self._client

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """name -> bytes of every object under ``prefix``."""
        return objects_in(self.client(), bucket, prefix)

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


GITCONFIG = (
    "[user]\n\tname = s3py test\n\temail = s3py@example.org\n"
    "[init]\n\tdefaultBranch = main\n"
    "[annex \"security\"]\n\tallowed-ip-addresses = 127.0.0.1\n"
    "[protocol \"file\"]\n\tallow = always\n"
)


def isolated_env(home: Path, with_credentials: bool = True) -> dict[str, str]:
    """Environment for subprocesses: temporary HOME and git config, the chosen git-annex's
    bin dir (``S3PY_TEST_GIT_ANNEX_BIN``) and our bin dir first."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "GIT_", "DATALAD_"))}
    env.update({
        "HOME": str(home),
        "PATH": annex_path_prefix() + BIN_DIR + os.pathsep + env.get("PATH", ""),
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C.UTF-8",
    })
    if with_credentials:
        env.update({"AWS_ACCESS_KEY_ID": DUMMY_KEY, "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET})
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    if not gitconfig.exists():
        gitconfig.write_text(GITCONFIG)
    return env


def stop_process(process, timeout: float = 30) -> None:
    """Terminate one process we started (by its PID), kill it if it does not exit."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except Exception:  # noqa: BLE001  (TimeoutExpired: it ignored SIGTERM)
            process.kill()
            process.wait(timeout=timeout)
