"""s3py's per-request DEBUG lines go to git-annex only where git-annex shows them (``--debug``,
``-c annex.debug=true``, git config ``annex.debug``): without, git-annex would read and drop
two of them per stored file. The protocol is read at a wrapper around the remote (``tee``
of its stdout; the remote is still git-annex's own child, as it reads that)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.repos import initremote, make_annex_repo, run

pytestmark = pytest.mark.e2e


def recorded_protocol(bin_dir: Path, log: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` with a ``git-annex-remote-s3py`` first on PATH that is the real one, exec'd
    (the same process, git-annex's child) with its stdout copied to ``log``."""
    real = shutil.which("git-annex-remote-s3py", path=env["PATH"])
    assert real
    bin_dir.mkdir()
    wrapper = bin_dir / "git-annex-remote-s3py"
    wrapper.write_text(f'#!/bin/bash\nexec "{real}" "$@" > >(tee -a "{log}")\n')
    wrapper.chmod(0o755)
    return dict(env, PATH=f"{bin_dir}{os.pathsep}{env['PATH']}")


def request_lines(log: Path) -> list[str]:
    """The DEBUG lines naming an S3 request in ``log`` (emptied)."""
    found = [line for line in log.read_text().splitlines() if "DEBUG S3 " in line]
    log.write_text("")
    return found


def test_request_lines_only_where_git_annex_shows_them(tmp_path, env, s3_server, bucket_name):
    files = {f"f{i}.dat": os.urandom(1000 + i) for i in range(5)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none")
    log = tmp_path / "protocol.log"
    wrapped = recorded_protocol(tmp_path / "bin", log, env)

    run(["git", "annex", "copy", "--to", "s3", "-J2", "f0.dat", "f1.dat"], repo, wrapped)
    assert "TRANSFER-SUCCESS STORE" in log.read_text()
    assert request_lines(log) == []

    shown = run(["git", "annex", "--debug", "copy", "--to", "s3", "f2.dat"], repo, wrapped)
    sent = request_lines(log)
    assert any(" PUT " in line for line in sent) and any(" HEAD " in line for line in sent)
    assert "S3 PUT" in shown.stderr  # git-annex shows them

    run(["git", "-c", "annex.debug=true", "annex", "copy", "--to", "s3", "f3.dat"], repo,
        wrapped)
    assert any(" PUT " in line for line in request_lines(log))
    run(["git", "config", "annex.debug", "true"], repo, env)
    run(["git", "annex", "copy", "--to", "s3", "f4.dat"], repo, wrapped)
    assert any(" PUT " in line for line in request_lines(log))
    run(["git", "config", "--unset", "annex.debug"], repo, env)

    run(["git", "annex", "drop", "-J2", "."], repo, wrapped)  # each copy counted on s3
    assert request_lines(log) == []
    run(["git", "annex", "get", "-J2", "."], repo, wrapped)
    assert request_lines(log) == []
    assert {name: (repo / name).read_bytes() for name in files} == files
    stored = [data for name, data in s3_server.objects(bucket_name).items() if "--" in name]
    assert sorted(stored) == sorted(files.values())  # the keys' objects, not annex-uuid
