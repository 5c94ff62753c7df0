"""Shared fixtures: an isolated HOME and AWS config, a real S3 server (moto) on 127.0.0.1,
and helpers to drive the real git-annex.

Every test runs with a temporary HOME, dummy AWS credentials and empty AWS config paths, so no
test can touch a real account or the user's git config.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Optional

import pytest

BIN_DIR = str(Path(sys.executable).parent)
TEST_KEY, TEST_SECRET = "testing-access-key", "testing-secret-key"


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
    """moto's server mode in its own process, bound to 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=TEST_KEY, aws_secret_access_key=TEST_SECRET)

    def objects(self, bucket: str, prefix: str = "") -> dict[str, bytes]:
        """name -> bytes of every object under ``prefix``."""
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                      Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=bucket,
                                                       Key=item["Key"])["Body"].read()
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket_name() -> str:
    return f"s3py-test-{uuid.uuid4().hex[:12]}"


def isolated_env(home: Path, with_credentials: bool = True) -> dict[str, str]:
    """Environment for subprocesses: temporary HOME and git config, our bin dir first."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "GIT_", "DATALAD_"))}
    env.update({
        "HOME": str(home),
        "PATH": BIN_DIR + os.pathsep + env.get("PATH", ""),
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C.UTF-8",
    })
    if with_credentials:
        env.update({"AWS_ACCESS_KEY_ID": TEST_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET})
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    if not gitconfig.exists():
        gitconfig.write_text(
            "[user]\n\tname = s3py test\n\temail = s3py@example.org\n"
            "[init]\n\tdefaultBranch = main\n"
            "[annex \"security\"]\n\tallowed-ip-addresses = 127.0.0.1\n"
            "[protocol \"file\"]\n\tallow = always\n")
    return env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path / "home")


@pytest.fixture(autouse=True)
def _guard_process_env(monkeypatch, tmp_path):
    """In-process tests see dummy credentials and no real AWS config either."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def run(args: list[str], cwd: Path, env: dict[str, str], check: bool = True,
        input: Optional[str] = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command; on failure show its output in the assertion message."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            input=input, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def git_annex_available() -> bool:
    return shutil.which("git-annex") is not None


def make_annex_repo(path: Path, env: dict[str, str], files: dict[str, bytes]) -> Path:
    """A git-annex repository holding ``files`` (all annexed), committed."""
    path.mkdir(parents=True)
    run(["git", "init", "-q"], path, env)
    run(["git", "annex", "init", "-q", "origin"], path, env)
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    run(["git", "annex", "add", "--force-large", "-q", "."], path, env)
    run(["git", "commit", "-q", "-m", "add files"], path, env)
    return path


def initremote(repo: Path, env: dict[str, str], name: str, server: S3Server, bucket: str,
               *settings: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["git", "annex", "initremote", name, "type=external", "externaltype=s3py",
                f"bucket={bucket}", f"endpoint={server.endpoint}", *settings], repo, env,
               check=check)
