"""The publisher's modes as classes: ``ExportMode`` (the tree under its file names) and
``KeyMode`` (git-annex keys). A mode says what is still to send to the remote, how git-annex
sends it, the remote's settings for it, whether DataLad's push can send to it, and what verify
checks. ``MODES`` maps the ``--mode`` option to its class: it is the only place a mode's name is
read; everything else asks the ``PublishMode`` it is given."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable, ClassVar, Optional

from git_annex_remote_s3py.publish.git import (
    GITLINK_MODE,
    PublishError,
    annex_json,
    run_git,
    tree_entries,
    tree_files,
)


def exported_tree(ds: Path, uuid: str) -> Optional[str]:
    """The tree git-annex last exported to ``uuid`` (from export.log), if any."""
    shown = run_git(ds, "cat-file", "-p", "git-annex:export.log", check=False)
    newest: tuple[float, Optional[str]] = (-1.0, None)
    for line in shown.stdout.splitlines() if shown.returncode == 0 else ():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1].endswith(":" + uuid):
            stamp = float(parts[0].rstrip("s"))
            if stamp >= newest[0]:
                newest = (stamp, parts[2])
    return newest[1]


def refuse_newline_names(files: list[str]) -> list[str]:
    """``files``, or ``PublishError`` when a name holds a newline: git-annex 10.20230126
    sends it and s3py refuses it, git-annex 10.2025+ drops the newline unseen, so
    ``new\\nline`` silently lands on (or collides with) ``newline``."""
    bad = [path for path in files if "\n" in path]
    if bad:
        raise PublishError(f"{len(bad)} file name(s) contain a newline, e.g. {bad[0]!r}, "
                           "which an export cannot hold (newer git-annex silently exports it "
                           "without the newline); rename them, or use --mode key")
    return files


def export_pending(ds: Path, uuid: Optional[str]) -> list[str]:
    """Files of HEAD the export remote lacks: changed since the exported tree, and annexed
    files whose export failed (git-annex records the tree of a failed export all the same)."""
    old = exported_tree(ds, uuid) if uuid else None
    if not old:
        return refuse_newline_names(tree_files(ds))
    out = run_git(ds, "diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AMT", old,
                  "HEAD^{tree}").stdout.split("\0")
    changed = [path for meta, path in zip(out[0::2], out[1::2])
               if meta and meta.split(" ")[1] != GITLINK_MODE]
    known = set(changed)
    return refuse_newline_names(
        changed + [path for path in key_pending(ds, uuid) if path not in known])


def key_pending(ds: Path, uuid: Optional[str]) -> list[str]:
    """Annexed files of HEAD that the remote does not have (per the location log)."""
    args = ["annex", "find", "--branch", "HEAD", "--include", "*", "--json"]
    if uuid:
        args += ["--not", "--in", uuid]
    out = run_git(ds, *args).stdout
    return [json.loads(line)["file"] for line in out.splitlines() if line.strip()]


def file_sizes(ds: Path) -> dict[str, int]:
    """Every file of HEAD -> its size in bytes: an annexed file's content size (0 when its key
    records none, e.g. a URL key), a file in git its blob's."""
    sizes = tree_entries(ds, sizes=True)
    out = run_git(ds, "annex", "find", "--branch", "HEAD", "--include", "*", "--json").stdout
    for line in out.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            size = str(record.get("bytesize", ""))
            sizes[record["file"]] = int(size) if size.isdigit() else 0
    return sizes


def content_missing_here(ds: Path, remote: str) -> Callable[[dict], str]:
    """Why git-annex failed a file without saying: its content is not in this dataset (the
    annexed files lacking content are listed once, on the first failure asked about)."""
    lacking: list[set[str]] = []

    def reason(record: dict) -> str:
        if not lacking:
            out = run_git(ds, "annex", "find", "--not", "--in", "here", "--branch", "HEAD",
                          "--include", "*", "--json", check=False).stdout
            lacking.append({json.loads(line)["file"] for line in out.splitlines()
                            if line.startswith("{")})
        if record.get("file") in lacking[0]:
            return "its content is not in this dataset: datalad get it, then run again"
        return f"git-annex gave no reason (run git annex export HEAD --to {remote} in {ds})"

    return reason


class PublishMode(ABC):
    """One way of publishing a dataset to its s3py special remote."""

    name: ClassVar[str]  # the --mode value
    exporttree: ClassVar[bool]  # the remote's exporttree setting
    push_sends_data: ClassVar[bool]  # datalad push (git annex copy) can send to the remote
    help: ClassVar[str]  # what --mode NAME publishes, for the option's help

    def remote_settings(self) -> dict[str, str]:
        """The remote's ``initremote`` settings this mode decides."""
        return {"exporttree": "yes" if self.exporttree else "no"}

    def verify_args(self) -> list[str]:
        """What ``git-annex-remote-s3py verify`` checks of a remote published in this mode."""
        return ["--branch", "HEAD"] if self.exporttree else []

    @abstractmethod
    def pending(self, ds: Path, uuid: Optional[str]) -> list[str]:
        """Files of HEAD the remote ``uuid`` (None: not created yet) lacks."""

    @abstractmethod
    def transfer(self, ds: Path, remote: str, jobs: int, uuid: str, tick: Callable[[], None],
                 before: list[str]) -> int:
        """Send what is missing (``before``: what ``pending`` found) to ``remote`` with
        ``jobs`` git-annex jobs; return how many files were sent (``tick`` after each one it
        sees sent); ``PublishError`` for any file that failed."""

    def __str__(self) -> str:
        return self.name


class ExportMode(PublishMode):
    """``git annex export HEAD``: the tree under its file names, readable without git-annex."""

    name = "export"
    exporttree = True
    push_sends_data = False  # git-annex refuses git annex copy to an export remote
    help = "the tree under its file names (default)"

    def pending(self, ds: Path, uuid: Optional[str]) -> list[str]:
        return export_pending(ds, uuid)

    def transfer(self, ds: Path, remote: str, jobs: int, uuid: str, tick: Callable[[], None],
                 before: list[str]) -> int:
        sent = [0]

        def count(record: dict) -> None:
            if record.get("success") and str(record.get("command", "")).startswith("export"):
                sent[0] += 1
                tick()

        errors = annex_json(ds, ["export", "HEAD", "--to", remote, f"--jobs={jobs}"], count,
                            content_missing_here(ds, remote))
        raise_failed(errors)
        return sent[0]


class KeyMode(PublishMode):
    """``git annex copy --branch HEAD``: every annexed file of HEAD under its key."""

    name = "key"
    exporttree = False
    push_sends_data = True
    help = "git-annex keys"

    def pending(self, ds: Path, uuid: Optional[str]) -> list[str]:
        return key_pending(ds, uuid)

    def transfer(self, ds: Path, remote: str, jobs: int, uuid: str, tick: Callable[[], None],
                 before: list[str]) -> int:
        errors = annex_json(ds, ["copy", "--to", remote, "--branch", "HEAD", f"--jobs={jobs}"],
                            lambda r: None)
        raise_failed(errors)
        missing = key_pending(ds, uuid)
        if missing:
            raise PublishError(f"{len(missing)} annexed file(s) of HEAD are not on "
                               f"{remote} because their content is not here (e.g. "
                               f"{missing[0]!r}): datalad get them, then run again")
        return len(before)


def raise_failed(errors: list[str]) -> None:
    if errors:
        raise PublishError(f"{len(errors)} file(s) failed: {'; '.join(errors[:3])}")


EXPORT: PublishMode = ExportMode()
KEY: PublishMode = KeyMode()
# --mode NAME -> its mode; the one place a mode's name is read.
MODES: dict[str, PublishMode] = {mode.name: mode for mode in (EXPORT, KEY)}
DEFAULT_MODE = EXPORT.name


def mode_named(name: str) -> PublishMode:
    """The mode ``--mode name`` asks for; ``PublishError`` naming the choices otherwise."""
    try:
        return MODES[name]
    except KeyError:
        raise PublishError(f"--mode {name!r}: choose one of {', '.join(MODES)}") from None


def modes_help() -> str:
    return "; ".join(f"{mode.name}: {mode.help}" for mode in MODES.values())
