"""Timing one git-annex command and the peak memory of the s3py remotes below it (for
scripts/bench/bench.py and scripts/bench/bench_scale.py), and the trees of small files they run on.

Peak memory is the ``VmHWM`` of every ``git-annex-remote-s3py`` process below the git-annex
command, polled from ``/proc``; ``procs`` counts those processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from support.repos import make_annex_repo, run

# the contenders, as the tables name them
BUILTIN, S3PY, NOASYNC, BOTO3 = "built-in", "s3py", "s3py no-ASYNC", "boto3"
Item = TypeVar("Item")
ANNEX_VERIFY_OFF = "s3py annex-verify=false"  # the s3py remote without git-annex's tail verifier
ANNEX_VERIFY_OFF_NOTE = (
    "s3py annex-verify=false: the same s3py remote run as `git -c remote.<name>.annex-verify="
    "false annex get`; git-annex still checks every hashing key's checksum (its policy for "
    "external remotes), once the file is written instead of tailing it with inotify while "
    "it is written (docs/benchmarks.md, 'Small gets')")


class RemoteWatcher(threading.Thread):
    """Polls the descendants of one process for s3py remotes (count and peak VmHWM) and for
    git-annex itself (its peak VmHWM)."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peaks: dict[int, int] = {}
        self.annex_peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in descendants(self.root):
                program, hwm = program_hwm_kib(pid)
                if program == S3PY_PROGRAM:
                    self.peaks[pid] = max(hwm, self.peaks.get(pid, 0))
                elif program == ANNEX_PROGRAM:
                    self.annex_peak_kib = max(hwm, self.annex_peak_kib)
            self.done.wait(self.interval)

    @property
    def peak_mib(self) -> float:
        return max(self.peaks.values(), default=0) / 1024


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for tid in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{tid}/children") as handle:
                    kids = [int(k) for k in handle.read().split()]
                found.extend(kids)
                todo.extend(kids)
        except OSError:
            continue
    return found


S3PY_PROGRAM, ANNEX_PROGRAM = "git-annex-remote-s3py", "git-annex"


def program_hwm_kib(pid: int) -> tuple[str, int]:
    """(S3PY_PROGRAM or ANNEX_PROGRAM or "", its VmHWM in KiB) of one process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read()
        if b"git-annex-remote-s3py" in command:
            program = S3PY_PROGRAM
        elif os.path.basename(command.split(b"\0", 1)[0]) == b"git-annex":
            program = ANNEX_PROGRAM
        else:
            return "", 0
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return program, int(line.split()[1])
    except OSError:
        pass
    return "", 0


class Measured:
    """Seconds, number of s3py processes and their peak memory for one command (and
    git-annex's own peak memory)."""

    def __init__(self, seconds: float, procs: int = 0, peak_mib: float = 0.0,
                 annex_peak_mib: float = 0.0, cpu_seconds: float = 0.0) -> None:
        self.seconds, self.procs, self.peak_mib = seconds, procs, peak_mib
        self.annex_peak_mib = annex_peak_mib
        self.cpu_seconds = cpu_seconds  # user + system of the command and what it waited for


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> Measured:
    start, used = time.perf_counter(), children_cpu()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watcher = RemoteWatcher(process.pid)
    watcher.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    watcher.done.set()
    watcher.join()
    measured = Measured(seconds, len(watcher.peaks), watcher.peak_mib,
                        watcher.annex_peak_kib / 1024, children_cpu() - used)
    if process.returncode != 0:
        raise CommandFailed(f"{' '.join(args)} failed ({process.returncode}):\n{out[-2000:]}\n"
                            f"{err[-2000:]}", measured)
    return measured


class CommandFailed(SystemExit):
    """A timed command that failed: ends a bench unless caught (the scale row records it and
    goes on); ``measured`` is what it cost up to its failure."""

    def __init__(self, message: str, measured: Measured) -> None:
        super().__init__(message)
        self.measured = measured


def children_cpu() -> float:
    """CPU seconds (user + system) of the child processes waited for so far (a load-proof
    figure beside the wall time on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def annex_command(who: str, remote: str, *args: str) -> list[str]:
    """``git annex ARGS``; for the annex-verify=false contender with ``annex-verify=false`` set for
    ``remote`` on the command line."""
    if who == ANNEX_VERIFY_OFF:
        return ["git", "-c", f"remote.{remote}.annex-verify=false", "annex", *args]
    return ["git", "annex", *args]


def rotate(items: list[Item], by: int) -> list[Item]:
    """``items`` started at position ``by`` (the contenders' order in repeat ``by``)."""
    by %= len(items)
    return items[by:] + items[:by]


def make_tree(path: Path, env: dict[str, str], count: int, low: int, high: int,
              seed: int) -> Path:
    """An annex repository of ``count`` files of ``low``-``high`` random bytes in 10 folders
    (no time limit: adding 100,000 files takes git-annex over 10 minutes here)."""
    return make_annex_repo(path, env, tree_files(count, low, high, seed), timeout=None)


def tree_files(count: int, low: int, high: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """The files of ``make_tree``, one by one (100,000 of them would hold 1 GiB at once)."""
    rng = random.Random(seed)
    for i in range(count):
        yield f"d{i % 10}/f{i:05d}.bin", rng.randbytes(rng.randint(low, high))


def kept_tree(path: Path, env: dict[str, str], count: int, seed: int, annex_version: str
              ) -> Path:
    """The scale row's tree of ``count`` files of 1-20 KiB at ``path``, built once and reused
    while it is intact. ``path``.json, written when the build has ended, records what was built
    and its state; a directory without it is a build that was stopped: built again. The bench
    never runs git-annex in it (only in working copies): a tree whose state moved is refused."""
    manifest = path.with_name(path.name + ".json")
    wanted = {"files": count, "seed": seed, "low": TREE_LOW, "high": TREE_HIGH,
              "git_annex": annex_version}
    if manifest.exists():
        problems = tree_problems(path, json.loads(manifest.read_text()), wanted, env)
        if problems:
            raise SystemExit(f"the kept tree {path} is not as built ({'; '.join(problems)}): "
                             f"remove it and {manifest.name} to build it anew, or give "
                             f"another --tree-dir")
        print(f"tree of {count} files: {path} (kept, intact)", flush=True)
        return path
    remove_tree(path)
    print(f"tree of {count} files: building {path}", flush=True)
    start = time.perf_counter()
    make_tree(path, env, count, TREE_LOW, TREE_HIGH, seed)
    manifest.write_text(json.dumps({**wanted, **tree_state(path, env),
                                    "build_seconds": round(time.perf_counter() - start, 1)},
                                   indent=1) + "\n")
    print(f"tree of {count} files: built in {time.perf_counter() - start:.0f} s", flush=True)
    return path


TREE_LOW, TREE_HIGH = 1024, 20 * 1024  # bytes of the scale row's files


def tree_state(path: Path, env: dict[str, str]) -> dict[str, str | int]:
    """What identifies a tree's state: its two branches' commits and the annexed keys present
    (their names hash their content)."""
    head, annex_branch = run(["git", "rev-parse", "HEAD", "refs/heads/git-annex"], path,
                             env).stdout.split()
    keys = sorted(name for _, _, names in os.walk(path / ".git" / "annex" / "objects")
                  for name in names)
    return {"head": head, "git_annex_branch": annex_branch, "keys": len(keys),
            "keys_sha256": hashlib.sha256("\n".join(keys).encode()).hexdigest()}


def tree_problems(path: Path, recorded: dict, wanted: dict, env: dict[str, str]) -> list[str]:
    """Why the kept tree at ``path`` (its manifest ``recorded``) is not the tree ``wanted``
    in the state it was built in; [] when it is."""
    problems = [f"{name} {recorded.get(name)}, this run's {value}"
                for name, value in wanted.items() if recorded.get(name) != value]
    if problems:
        return problems
    state = tree_state(path, env)
    problems = [f"{name} {state[name]}, built {recorded.get(name)}" for name in state
                if state[name] != recorded.get(name)]
    tracked = run(["git", "ls-files", "-z"], path, env, timeout=None).stdout.count("\0")
    if tracked != wanted["files"]:
        problems.append(f"{tracked} files tracked")
    if run(["git", "status", "--porcelain"], path, env, timeout=None).stdout:
        problems.append("git status is not clean")
    return problems


def working_copy(tree: Path, dest: Path, env: dict[str, str]) -> Path:
    """A copy of ``tree`` at ``dest`` in the state the build left it: git's objects hard-linked
    (git never changes one), the rest copied (git-annex's objects too: it changes their modes),
    git's index refreshed for the copy's inodes, as ``git status`` after a build leaves it."""
    remove_tree(dest)
    objects = tree / ".git" / "objects"

    def link_or_copy(source: str, target: str) -> None:
        if Path(source).is_relative_to(objects):
            os.link(source, target)
        else:
            shutil.copy2(source, target)

    shutil.copytree(tree, dest, symlinks=True, copy_function=link_or_copy)
    if run(["git", "status", "--porcelain"], dest, env, timeout=None).stdout:
        raise SystemExit(f"the working copy {dest} of {tree} is not clean (git status)")
    return dest


def remove_tree(path: Path) -> None:
    """Remove a repository (git-annex makes its object folders read-only)."""
    if not path.exists():
        return
    for top, dirs, _ in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(top, name), 0o755)
    shutil.rmtree(path)


def count_objects(s3, bucket: str) -> int:
    """Objects in ``bucket`` but the annex-uuid marker, listed with the boto3 client ``s3``."""
    return sum(1 for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
               for o in page.get("Contents", []) if not o["Key"].endswith("annex-uuid"))
