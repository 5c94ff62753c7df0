"""Which git-annex the e2e tiers run against: checked once per session, and version helpers.

A pytest plugin (``pytest_plugins`` in ``tests/conftest.py``). When the session collects any
``e2e`` test it runs ``git-annex version --raw`` with the tests' own PATH (``isolated_env``,
so ``S3PY_TEST_GIT_ANNEX_BIN`` first) and prints the version in the header and the summary.
``S3PY_TEST_GIT_ANNEX_VERSION`` (set by ``make test-e2e-debian`` / ``test-e2e-newest``) makes
a different version, or a git-annex from outside ``S3PY_TEST_GIT_ANNEX_BIN``, end the session
before any test runs: a tier can never silently use the wrong binary.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support.local_s3 import ANNEX_BIN_VAR, isolated_env

EXPECTED_VERSION_VAR = "S3PY_TEST_GIT_ANNEX_VERSION"
# The newer behaviours (verifyremote and the unverified-remote rule, newline-stripping export
# names) as measured on 10.20261026; Debian 12's 10.20230126 has neither. The exact first
# release is not pinned down: any 10.2025+ counts as newer.
VERIFYREMOTE_SINCE = (10, 20250000)
ANNEX_LINE = pytest.StashKey[str]()


def annex_binary(env: dict[str, str]) -> str | None:
    return shutil.which("git-annex", path=env["PATH"])


def annex_version_text(env: dict[str, str]) -> str:
    """``git-annex version --raw`` of the git-annex on ``env``'s PATH."""
    return subprocess.run(["git-annex", "version", "--raw"], env=env, capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()


def parse_version(text: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", text)
    if not match:
        raise ValueError(f"not a git-annex version: {text!r}")
    return int(match.group(1)), int(match.group(2))


@functools.lru_cache(maxsize=1)
def session_annex_version() -> tuple[int, int]:
    """The version the tests' subprocesses run (same PATH as every ``env`` fixture)."""
    with tempfile.TemporaryDirectory() as home:
        return parse_version(annex_version_text(isolated_env(Path(home))))


def needs_verifyremote() -> bool:
    """Whether this git-annex has the unverified-remote rule (``git annex verifyremote``)."""
    return session_annex_version() >= VERIFYREMOTE_SINCE


def strips_export_newlines() -> bool:
    """Whether this git-annex removes a newline from an export name before the remote sees
    it (measured on 10.20261026; 10.20230126 sends it raw and s3py refuses the name)."""
    return session_annex_version() >= VERIFYREMOTE_SINCE


def check_session_annex(env: dict[str, str]) -> str:
    """The version line to report; raise ``RuntimeError`` when it is not the one asked for."""
    binary = annex_binary(env)
    if binary is None:
        raise RuntimeError("no git-annex on the tests' PATH")
    version = annex_version_text(env)
    chosen = os.environ.get(ANNEX_BIN_VAR, "")
    if chosen and Path(binary).parent.resolve() != Path(chosen).resolve():
        raise RuntimeError(f"{ANNEX_BIN_VAR}={chosen}, but the tests' PATH finds {binary}")
    expected = os.environ.get(EXPECTED_VERSION_VAR, "")
    if expected and not version.startswith(expected):
        raise RuntimeError(f"{EXPECTED_VERSION_VAR}={expected}, but {binary} is {version}")
    return f"git-annex {version} ({binary})"


def _runs_e2e(items: list[pytest.Item]) -> bool:
    return any(item.get_closest_marker("e2e") for item in items)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """After the tier markers are set: check the git-annex once when e2e tests will run."""
    if not _runs_e2e(items):
        return
    with tempfile.TemporaryDirectory() as home:
        try:
            line = check_session_annex(isolated_env(Path(home)))
        except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
            raise pytest.UsageError(f"wrong git-annex for the e2e tiers: {exc}") from exc
    config.stash[ANNEX_LINE] = line
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"e2e tiers run against {line}")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    line = config.stash.get(ANNEX_LINE, None)
    if line:
        terminalreporter.write_line(f"e2e tiers ran against {line}")

