"""The helper subcommands' checks before any request: presigned URL lifetimes S3 refuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from git_annex_remote_s3py.commands import MAX_PRESIGN_SECONDS


def presign(cwd, *args: str) -> subprocess.CompletedProcess:
    """``git-annex-remote-s3py presign a.txt ARGS`` in ``cwd`` (no repository there)."""
    return subprocess.run([sys.executable, "-m", "git_annex_remote_s3py.cli", "presign",
                           "a.txt", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("seconds", ["0", "-5", str(MAX_PRESIGN_SECONDS + 1), "31536000"])
def test_presign_lifetime_s3_refuses_is_refused(tmp_path, seconds):
    done = presign(tmp_path, "--expires", seconds)
    assert done.returncode == 1
    assert done.stderr == (f"git-annex-remote-s3py: --expires {seconds}: S3 accepts "
                           f"1..{MAX_PRESIGN_SECONDS} seconds (7 days); give e.g. "
                           "--expires 3600\n")
    assert done.stdout == ""


def test_presign_lifetime_of_seven_days_gets_past_the_check(tmp_path):
    done = presign(tmp_path, "--expires", str(MAX_PRESIGN_SECONDS))
    assert done.returncode == 1
    assert done.stderr == ("git-annex-remote-s3py: no git-annex branch here: run this inside "
                           "a git-annex repository\n")
