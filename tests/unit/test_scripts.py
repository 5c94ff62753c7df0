"""Every script stays runnable: those with a command line answer ``--help``, the bench's helper
modules and the argument-less scripts import (their paths to scripts/bench/ and tests/support
included). scripts/measure/README.md names each measurement script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
ALL = sorted(SCRIPTS.glob("*/*.py")) + sorted(SCRIPTS.glob("*.py"))


def has_command_line(path: Path) -> bool:
    return "argparse" in path.read_text()


@pytest.mark.parametrize("path", [p for p in ALL if has_command_line(p)],
                         ids=lambda p: str(p.relative_to(SCRIPTS)))
def test_each_command_line_answers_help(path):
    done = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


@pytest.mark.parametrize("path", [p for p in ALL if not has_command_line(p)],
                         ids=lambda p: str(p.relative_to(SCRIPTS)))
def test_each_other_script_imports(path):
    """Imported as its runner finds it (its folder and tests/, for support/, on sys.path, as
    scripts/bench/bench.py sets them up), with nothing run: its work waits for ``__main__``."""
    code = ("import runpy, sys; sys.path[:0] = sys.argv[1:3]; "
            "runpy.run_path(sys.argv[3], run_name='imported')")
    done = subprocess.run([sys.executable, "-c", code, str(path.parent),
                           str(SCRIPTS.parent / "tests"), str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_measure_readme_names_every_measurement():
    readme = (SCRIPTS / "measure" / "README.md").read_text()
    assert [p.name for p in sorted((SCRIPTS / "measure").glob("*.py"))
            if f"`{p.name}`" not in readme] == []
