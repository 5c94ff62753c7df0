"""Running git, git-annex and DataLad for the publisher: commands, their errors, JSON records."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from git_annex_remote_s3py.errors import S3pyError, one_line

# s3py announces VERSION 2 of the external special remote protocol (needed for safe export).
# Upstream git-annex accepts it from 10.20230329; Debian bookworm's 10.20230126-3 carries the
# backport. Everything else we use is older: export for external remotes (6.20170925), ASYNC
# (8.20200908), GETGITREMOTENAME (8.20210127).
MIN_GIT_ANNEX = (10, 20230126)
MIN_GIT_ANNEX_WHY = ("s3py speaks version 2 of the external special remote protocol "
                     "(git-annex 10.20230329 or later, or Debian's 10.20230126-3)")
REMOTE_PROGRAM = "git-annex-remote-s3py"
GITLINK_MODE = "160000"


class PublishError(S3pyError):
    """One dataset (or the whole run) cannot be published; the message names the fix."""


def run_git(ds: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``git ARGS`` in ``ds``; on failure raise ``PublishError`` with git's last words."""
    result = subprocess.run(["git", *args], cwd=ds, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise PublishError(f"git {' '.join(args[:3])} failed: {last_words(result.stderr)}")
    return result


def last_words(stderr: str) -> str:
    """The useful end of a git/git-annex error output, on one line."""
    lines = [re.sub(r"^git-annex: ", "", ln) for ln in stderr.splitlines()
             if ln.strip() and not re.fullmatch(r"\S+: \d+ failed", ln.strip())]
    return one_line(" ".join(lines[-3:])) or "no error message"


def parse_version(text: str) -> tuple[int, ...]:
    """``10.20230126-3~bpo`` -> (10, 20230126); raise ``PublishError`` if there is no number."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if not match:
        raise PublishError(f"cannot read the git-annex version from {text.strip()!r}")
    return tuple(int(p) for p in match.group(1).split("."))


def check_tools() -> str:
    """Refuse to start without a recent enough git-annex and the s3py remote on PATH."""
    if shutil.which("git-annex") is None:
        raise PublishError("git-annex is not on PATH: install it (e.g. apt-get install "
                           "git-annex)")
    raw = subprocess.run(["git", "annex", "version", "--raw"], capture_output=True,
                         text=True).stdout
    version = parse_version(raw)
    if version < MIN_GIT_ANNEX:
        need = ".".join(map(str, MIN_GIT_ANNEX))
        raise PublishError(f"git-annex {raw.strip()} is too old: s3py-publish needs {need} "
                           f"or later because {MIN_GIT_ANNEX_WHY}; upgrade git-annex")
    if shutil.which(REMOTE_PROGRAM) is None:
        raise PublishError(f"{REMOTE_PROGRAM} is not on PATH: git-annex runs it for the s3py "
                           "remote; activate the environment git-annex-remote-s3py is "
                           "installed in")
    return raw.strip()


def list_datasets(top: Path) -> list[Path]:
    """The dataset and every installed subdataset, recursively, superdatasets first."""
    try:
        from datalad.api import Dataset
    except ImportError as exc:
        raise PublishError("DataLad is not installed: pip install datalad (or, from a "
                           "checkout of git-annex-remote-s3py, pip install '.[datalad]')"
                           ) from exc
    ds = Dataset(str(top))
    if not ds.is_installed():
        raise PublishError(f"{top} is not an installed DataLad dataset")
    subs = ds.subdatasets(recursive=True, state="present", result_renderer="disabled",
                          return_type="list", on_failure="ignore")
    paths = sorted(Path(r["path"]) for r in subs if r.get("status") == "ok")
    return [top, *paths]


def absent_subdatasets(top: Path) -> list[Path]:
    """Subdatasets registered in an installed dataset but not installed (not published)."""
    from datalad.api import Dataset

    subs = Dataset(str(top)).subdatasets(recursive=True, state="absent",
                                         result_renderer="disabled", return_type="list",
                                         on_failure="ignore")
    return sorted(Path(r["path"]) for r in subs if r.get("status") == "ok")


def tree_entries(ds: Path, tree: str = "HEAD", sizes: bool = False) -> dict[str, int]:
    """Every file of a tree (subdatasets are gitlinks and not files) -> the size of its blob
    in git (with ``sizes``; else 0): an annexed file's blob is its link or pointer file."""
    out = run_git(ds, "ls-tree", "-r", "-z", "--full-tree", *(["-l"] if sizes else []),
                  tree).stdout
    files = {}
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        fields = meta.split()
        if fields[0] != GITLINK_MODE:
            files[path] = int(fields[3]) if sizes and fields[3].isdigit() else 0
    return files


def tree_files(ds: Path, tree: str = "HEAD") -> list[str]:
    """Every file of a tree (subdatasets are gitlinks and not files)."""
    return list(tree_entries(ds, tree))


def annex_json(ds: Path, args: list[str], on_record: Callable[[dict], None],
               no_reason: Callable[[dict], str] = lambda record: "git-annex gave no reason"
               ) -> list[str]:
    """Run ``git annex ARGS --json``, feed each record to ``on_record``; return error lines
    (``no_reason`` says why for a failed record that carries no error message)."""
    errors: list[str] = []
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen(["git", "annex", *args, "--json", "--json-error-messages"],
                                cwd=ds, stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            record = json.loads(line) if line.startswith("{") else {}
            if record and not record.get("success", True):
                reason = one_line(" ".join(record.get("error-messages", [])))
                errors.append(f"{record.get('file') or record.get('key')}: "
                              + (reason or no_reason(record)))
            if record:
                on_record(record)
        proc.wait()
        stderr.seek(0)
        if proc.returncode != 0 and not errors:
            errors.append(last_words(stderr.read()))
    return errors
