"""Helpers that drive the real git-annex in isolated repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Optional, Union

from support.local_s3 import (  # noqa: F401  (re-exported for tests)
    BIN_DIR,
    S3Server,
    free_port,
    isolated_env,
    wait_for_port,
)
from support.local_s3 import DUMMY_KEY as TEST_KEY
from support.local_s3 import DUMMY_SECRET as TEST_SECRET

__all__ = ["BIN_DIR", "TEST_KEY", "TEST_SECRET", "free_port", "isolated_env", "wait_for_port",
           "run", "git_annex_available", "make_annex_repo", "initremote"]


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


def make_annex_repo(path: Path, env: dict[str, str],
                    files: Union[dict[str, bytes], Iterable[tuple[str, bytes]]],
                    timeout: Optional[float] = 600) -> Path:
    """A git-annex repository holding ``files`` (names and contents; all annexed), committed,
    git's automatic gc (if the commit starts one) finished; ``timeout`` bounds each git command
    (None: the bench's 100,000-file trees, whose add takes over 10 minutes)."""
    path.mkdir(parents=True)
    run(["git", "init", "-q"], path, env)
    run(["git", "annex", "init", "-q", "origin"], path, env)
    for name, content in files.items() if isinstance(files, dict) else files:
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    run(["git", "annex", "add", "--force-large", "-q", "."], path, env, timeout=timeout)
    # the automatic gc a big commit starts (over 6,700 loose objects: the bench's trees) runs
    # before this returns, not detached beside what is done next in the repository
    run(["git", "-c", "gc.autoDetach=false", "commit", "-q", "-m", "add files"], path, env,
        timeout=timeout)
    return path


def initremote(repo: Path, env: dict[str, str], name: str, server: S3Server, bucket: str,
               *settings: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["git", "annex", "initremote", name, "type=external", "externaltype=s3py",
                f"bucket={bucket}", f"endpoint={server.endpoint}", *settings], repo, env,
               check=check)


def run_with_reader_gone(args: list[str], cwd, env) -> subprocess.CompletedProcess:
    """Run ``args`` with stdout a pipe whose reading end is already closed: every write to it
    fails (EPIPE), deterministically, as after ``| head`` has read its lines and exited."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(args, cwd=cwd, env=env, stdout=writer, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    finally:
        os.close(writer)
