"""The README's install lines, run as written in a fresh virtual environment: ``pip install .``
gives both console scripts, ``pip install '.[datalad]'`` adds DataLad for ``s3py-publish``.

The checkout is copied first (without .venv, .git and build leftovers), so the install sees
only what a fresh clone holds and leaves nothing in the worktree. pip's cache is the user's
own (not the test's temporary HOME), so a second run downloads nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from support.repos import run

from git_annex_remote_s3py import __version__

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build",
                                  ".pytest_cache", ".ruff_cache", ".hypothesis", ".servers",
                                  "demo", "bench-results")


def readme_install_block() -> list[str]:
    """The commands of the README's Install section (its first code block)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("\n\n    ", 1)[1].split("\n\n", 1)[0]
    return [re.sub(r"\s+#.*", "", line.strip()) for line in ("    " + block).splitlines()]


def test_readme_install_lines_work_in_a_fresh_venv(tmp_path, env):
    lines = readme_install_block()
    assert lines == ["python3 -m venv ~/s3py-venv", "~/s3py-venv/bin/pip install .",
                     "~/s3py-venv/bin/pip install '.[datalad]'",
                     'export PATH="$HOME/s3py-venv/bin:$PATH"', "git-annex-remote-s3py --version"]
    checkout = tmp_path / "git-annex-remote-s3py"
    shutil.copytree(ROOT, checkout, ignore=LEFT_OUT)
    fresh = dict(env, PIP_CACHE_DIR=os.path.expanduser("~/.cache/pip"),
                 PATH=os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if not p.startswith(str(ROOT))))
    assert shutil.which("git-annex-remote-s3py", path=fresh["PATH"]) is None

    def shell(*commands: str) -> subprocess.CompletedProcess:
        return run(["bash", "-c", "set -e; " + "; ".join(commands)], checkout, fresh,
                   timeout=900)

    shell(*lines[:2])  # the venv, then pip install .
    bin_dir = Path(env["HOME"]) / "s3py-venv" / "bin"
    for program in ("git-annex-remote-s3py", "s3py-publish"):
        version = run([str(bin_dir / program), "--version"], tmp_path, fresh)
        assert version.stdout == f"{program} {__version__}\n"
        assert "usage:" in run([str(bin_dir / program), "--help"], tmp_path, fresh).stdout
    without = run([str(bin_dir / "python"), "-c", "import datalad"], tmp_path, fresh,
                  check=False)
    assert without.returncode != 0  # pip install . alone does not bring DataLad

    done = shell(*lines[2:])  # pip install '.[datalad]', PATH, the version on PATH
    assert done.stdout.endswith(f"git-annex-remote-s3py {__version__}\n")
    assert run([str(bin_dir / "datalad"), "--version"], tmp_path, fresh).stdout.startswith(
        "datalad ")
    run([str(bin_dir / "python"), "-c", "import datalad.api"], tmp_path, fresh)
