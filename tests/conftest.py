"""Shared fixtures: an isolated HOME and AWS config, a real S3 server (moto) on 127.0.0.1,
and helpers to drive the real git-annex.

Every test runs with a temporary HOME, dummy AWS credentials and empty AWS config paths, so no
test can touch a real account or the user's git config.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Optional

import pytest

from git_annex_remote_s3py.local_s3 import (  # noqa: F401  (re-exported for tests)
    BIN_DIR,
    S3Server,
    free_port,
    isolated_env,
    wait_for_port,
)
from git_annex_remote_s3py.local_s3 import DUMMY_KEY as TEST_KEY
from git_annex_remote_s3py.local_s3 import DUMMY_SECRET as TEST_SECRET


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket_name() -> str:
    return f"s3py-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def env(tmp_path: Path):
    home = tmp_path / "home"
    yield isolated_env(home)
    gnupg = home / ".gnupg"
    if gnupg.is_dir():  # encryption=shared starts a gpg-agent there: leave no process behind
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"],
                       capture_output=True)


@pytest.fixture
def s3_proxy(s3_server):
    """A fault proxy with no rules in front of moto: records every request (signed or not, its
    ACL); a test refuses ACLs with ``set_rules(Rule("400-acl", header="x-amz-acl"))``."""
    from faultproxy import FaultProxy

    proxy = FaultProxy(s3_server.endpoint).start()
    yield proxy
    proxy.stop()


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
