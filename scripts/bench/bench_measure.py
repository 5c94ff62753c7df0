"""Timing one git-annex command and the peak memory of the s3py remotes below it (for
scripts/bench/bench.py and scripts/bench/bench_scale.py), and the trees of small files they run on.

Peak memory is the ``VmHWM`` of every ``git-annex-remote-s3py`` process below the git-annex
command, polled from ``/proc``; ``procs`` counts those processes.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import threading
import time
from pathlib import Path
from typing import TypeVar

from support.repos import make_annex_repo

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
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{out[-2000:]}\n"
                         f"{err[-2000:]}")
    return Measured(seconds, len(watcher.peaks), watcher.peak_mib,
                    watcher.annex_peak_kib / 1024, children_cpu() - used)


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
    rng = random.Random(seed)
    files = {f"d{i % 10}/f{i:05d}.bin": rng.randbytes(rng.randint(low, high))
             for i in range(count)}
    return make_annex_repo(path, env, files, timeout=None)


def count_objects(s3, bucket: str) -> int:
    """Objects in ``bucket`` but the annex-uuid marker, listed with the boto3 client ``s3``."""
    return sum(1 for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
               for o in page.get("Contents", []) if not o["Key"].endswith("annex-uuid"))
