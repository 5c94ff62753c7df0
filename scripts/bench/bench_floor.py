"""The floor row of ``make bench``: what any external special remote pays, measured beside the
contenders. Two floor contenders keep their data in a directory on the same tmpfs as the
repositories:

- "floor external": the cheapest possible external remote, the raw protocol in a few lines of
  Python without any library (no annexremote, no ASYNC; git-annex starts one per job), copying
  files in a directory (``FLOOR_REMOTE`` below);
- "floor directory": git-annex's in-process ``type=directory`` remote.

"Own cost" is a contender's time above its floor: s3py's above the floor external remote, the
built-in S3 remote's above the directory remote (both are in the same process model as their
floor). The row interleaves the four contenders (rotated per repeat) for copy -J4, get -J4,
get -J1, fsck --fast -J1 and fsck --fast -J8 of the small tree.
"""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

from bench_measure import BUILTIN, S3PY, rotate, timed
from support.repos import run

FLOOR_EXTERNAL, FLOOR_DIRECTORY = "floor external", "floor directory"
REMOTES = {BUILTIN: "builtin", S3PY: "s3py", FLOOR_EXTERNAL: "floor",
           FLOOR_DIRECTORY: "floordir"}
FLOOR_OF = {S3PY: FLOOR_EXTERNAL, BUILTIN: FLOOR_DIRECTORY}
OPERATIONS = (("copy", 4), ("get", 4), ("get", 1), ("fsck", 1), ("fsck", 8))
PREFIX = "floor: "

# git-annex-remote-floor: protocol version 2, store/retrieve/checkpresent/remove as file copies
FLOOR_REMOTE = r'''#!/usr/bin/python3 -S
import os, shutil, sys
out, read = sys.stdout, sys.stdin.readline
def say(line):
    out.write(line + "\n")
    out.flush()
def config(name):
    say("GETCONFIG " + name)
    return read().rstrip("\n").split(" ", 1)[1]
say("VERSION 2")
store = None
for line in iter(read, ""):
    words = line.rstrip("\n").split(" ", 3)
    command = words[0]
    if command in ("INITREMOTE", "PREPARE"):
        store = config("directory")
        os.makedirs(store, exist_ok=True)
        say(command + "-SUCCESS")
    elif command == "TRANSFER":
        direction, key, path = words[1], words[2], words[3]
        target = os.path.join(store, key)
        try:
            if direction == "STORE":
                shutil.copyfile(path, target + ".tmp")
                os.rename(target + ".tmp", target)
            else:
                shutil.copyfile(target, path)
            say(f"TRANSFER-SUCCESS {direction} {key}")
        except OSError as exc:
            say(f"TRANSFER-FAILURE {direction} {key} {exc}")
    elif command == "CHECKPRESENT":
        found = os.path.exists(os.path.join(store, words[1]))
        say(f"CHECKPRESENT-{'SUCCESS' if found else 'FAILURE'} {words[1]}")
    elif command == "REMOVE":
        try:
            os.unlink(os.path.join(store, words[1]))
        except FileNotFoundError:
            pass
        say("REMOVE-SUCCESS " + words[1])
    elif command == "EXTENSIONS":
        say("EXTENSIONS")
    else:
        say("UNSUPPORTED-REQUEST")
'''


def install_floor_remote(bin_dir: Path) -> None:
    """``git-annex-remote-floor`` in ``bin_dir`` (which must be on the bench's PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    program = bin_dir / "git-annex-remote-floor"
    program.write_text(FLOOR_REMOTE)
    program.chmod(0o755)


def add_floor_remotes(repo: Path, env: dict[str, str], stores: Path) -> dict[str, Path]:
    """The two floor remotes of ``repo``, their data in ``stores``/{floor,floordir}."""
    dirs = {FLOOR_EXTERNAL: stores / "floor", FLOOR_DIRECTORY: stores / "floordir"}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    run(["git", "annex", "initremote", "floor", "type=external", "externaltype=floor",
         "encryption=none", f"directory={dirs[FLOOR_EXTERNAL]}"], repo, env)
    run(["git", "annex", "initremote", "floordir", "type=directory", "encryption=none",
         f"directory={dirs[FLOOR_DIRECTORY]}"], repo, env)
    return dirs


def floor_rows(bench, repo: Path, rep: int, dirs: dict[str, Path]) -> None:
    """Each operation for the four contenders in a rotated order; copies start empty."""
    contenders = [BUILTIN, S3PY, FLOOR_EXTERNAL, FLOOR_DIRECTORY]
    for operation, jobs in OPERATIONS:
        for who in rotate(contenders, rep):
            remote = REMOTES[who]
            if operation == "copy":
                if who in dirs:
                    shutil.rmtree(dirs[who])
                    dirs[who].mkdir()
                else:
                    bench.clear(bench.bucket("small-b" if who == BUILTIN else "small-s"))
                args = ["copy", "--to", remote]
            elif operation == "get":
                run(["git", "annex", "drop", "--force", "-q", "."], repo, bench.env)
                args = ["get", "--from", remote]
            else:
                args = ["fsck", "--fast", "--from", remote, "-q"]
            measured = timed(["git", "annex", *args, f"-J{jobs}", "."], repo, bench.env)
            bench.record(f"{PREFIX}small {operation}{' --fast' if operation == 'fsck' else ''} "
                         f"-J{jobs}", who, measured)


def floor_cells(results: dict[tuple[str, str], list]) -> dict[str, dict[str, float]]:
    """Row (without the prefix) -> contender -> median seconds."""
    rows = list(dict.fromkeys(row for row, _ in results if row.startswith(PREFIX)))
    return {row[len(PREFIX):]: {who: statistics.median(m.seconds for m in results[(row, who)])
                                for who in REMOTES if (row, who) in results} for row in rows}


def floor_table(results: dict[tuple[str, str], list]) -> list[str]:
    """Medians, the floors, each remote's own cost and s3py's own cost over the built-in's."""
    out = ["| row | built-in s | s3py s | floor directory s | floor external s | built-in own "
           "s | s3py own s | s3py/built-in total | s3py/built-in own cost |",
           "|---|---|---|---|---|---|---|---|---|"]
    for row, cell in floor_cells(results).items():
        own = {who: cell[who] - cell[FLOOR_OF[who]] for who in (BUILTIN, S3PY)}
        ratio = own[S3PY] / own[BUILTIN] if own[BUILTIN] > 0 else float("nan")
        out.append(f"| {row} | {cell[BUILTIN]:.2f} | {cell[S3PY]:.2f} | "
                   f"{cell[FLOOR_DIRECTORY]:.2f} | {cell[FLOOR_EXTERNAL]:.2f} | "
                   f"{own[BUILTIN]:.2f} | {own[S3PY]:.2f} | "
                   f"{cell[S3PY] / cell[BUILTIN]:.2f} | {ratio:.2f} |")
    return out
