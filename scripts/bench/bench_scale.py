"""The scale row of ``make bench``: N small files (1-20 KiB) for each N through ``copy --to``,
``fsck --fast --from``, ``get --from`` and ``drop --from``, for the built-in ``type=S3`` remote
and s3py (plus "s3py annex-verify=false" for the gets up to ``verify_off_up_to`` files), every
request counted by the test suite's recording proxy (tests/support/faultproxy.py, no rules;
scripts/bench/bench_proxy.py) between git-annex and the server.

Run in parts, resumable: each operation's figures go to the results file
(scripts/bench/bench_results.py) as it ends, and a run measures only what the file lacks. One
contender's operations over N files are one part, run in a fresh working copy of the tree of N
files (``working_copy``: byte for byte the repository the build left) with one fresh remote and
bucket, in the order copy, fsck, get (after ``drop --force`` of the local copies), drop: copy
starts with nothing on the remote and the remote's bucket empty, fsck and get find every object
there, drop finds the local copies back. A part that resumes after its copy was measured copies
again unmeasured first. An operation that fails is recorded with its error and ends its part
(what follows would start from the wrong state), not the run. The tree of N files is built once
(``kept_tree``) and, with ``tree_dir``, kept for later runs.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench_measure import (
    ANNEX_VERIFY_OFF,
    BUILTIN,
    S3PY,
    CommandFailed,
    annex_command,
    count_objects,
    kept_tree,
    remove_tree,
    rotate,
    timed,
    working_copy,
)
from bench_proxy import counting_proxy
from bench_results import Conditions, ResultsFile, ScalePoint, current
from bench_servers import BenchServer
from support.repos import run

OPERATIONS = ("copy --to", "fsck --fast --from", "get --from", "drop --from")
REMOTES = {BUILTIN: "builtin", S3PY: "s3py", ANNEX_VERIFY_OFF: "s3py"}
CONTENDERS = {"builtin": BUILTIN, "s3py": S3PY}  # --contenders NAME -> the contender


@dataclass(frozen=True)
class Step:
    """One operation of a part, measured for ``contender`` (s3py's part measures its get twice:
    as s3py and as "s3py annex-verify=false")."""

    operation: str
    contender: str


def part_steps(who: str, files: int, verify_off_up_to: int) -> list[Step]:
    """The operations of ``who``'s part over ``files`` files, in their order."""
    steps = [Step(operation, who) for operation in OPERATIONS]
    if who == S3PY and files <= verify_off_up_to:
        steps.insert(3, Step("get --from", ANNEX_VERIFY_OFF))
    return steps


def steps_left(steps: list[Step], measured: set[tuple[str, str]]) -> tuple[bool, list[Step]]:
    """The steps not measured yet, and whether the part must first copy to the remote
    unmeasured (its copy is measured, some later step is not: they need the objects there)."""
    left = [step for step in steps if (step.operation, step.contender) not in measured]
    return bool(left) and left[0].operation != "copy --to", left


@dataclass(frozen=True)
class ScaleSettings:
    """How the scale row runs: -J, the annex-verify=false get's limit, the contenders, where
    the figures go and the trees are kept, when to stop starting operations."""

    jobs: int
    verify_off_up_to: int
    contenders: tuple[str, ...]
    results: Path
    tree_dir: Path
    stop_at: datetime.datetime | None = None


class ScaleRun:
    """The proxy in front of ``server``, the trees and the parts still to measure."""

    def __init__(self, server: BenchServer, env: dict[str, str], tag: str,
                 settings: ScaleSettings, conditions: Conditions) -> None:
        self.server, self.env, self.tag, self.settings = server, env, tag, settings
        self.conditions = conditions
        self.results = ResultsFile(settings.results)
        self.results.check(conditions)
        self.s3 = server.client()
        self.proxy = counting_proxy(server.endpoint)
        self.code = checkout_commit()

    def run(self, sizes: list[int]) -> list[ScalePoint]:
        """Every part not measured yet for ``sizes``; the points the file holds for them."""
        self.proxy.start()
        print(f"scale row: {', '.join(map(str, sizes))} files, through the counting proxy "
              f"{self.proxy.endpoint}; results in {self.results.path}", flush=True)
        try:
            for index, files in enumerate(sizes):
                if self.stopping():
                    break
                self.one_size(files, index)
        finally:
            self.proxy.stop()
        return [p for p in self.results.read() if p.files in sizes]

    def stopping(self) -> bool:
        stop_at = self.settings.stop_at
        if stop_at is None or datetime.datetime.now() < stop_at:
            return False
        print(f"scale row: stopped at {stop_at:%H:%M} (--stop-at); run again to go on",
              flush=True)
        return True

    def one_size(self, files: int, index: int) -> None:
        """The parts over ``files`` files not measured yet; the contenders' order rotates with
        ``index``."""
        measured = self.results.measured(files)
        parts = []
        for who in rotate([CONTENDERS[name] for name in self.settings.contenders], index):
            copy_first, left = steps_left(
                part_steps(who, files, self.settings.verify_off_up_to), measured)
            if left:
                parts.append((who, copy_first, left))
            else:
                print(f"  scale {files:>6} {who}: measured already", flush=True)
        if not parts:
            return
        tree = kept_tree(self.settings.tree_dir / f"scale-{files}", self.env, files,
                         1000 + files, self.conditions.git_annex)
        for who, copy_first, left in parts:
            if self.stopping():
                return
            self.one_part(tree, files, who, copy_first, left)

    def one_part(self, tree: Path, files: int, who: str, copy_first: bool,
                 steps: list[Step]) -> None:
        """``steps`` of ``who`` over ``files`` files in a fresh working copy of ``tree``, with
        a fresh remote on a fresh bucket; stops at the first failure (a command of its set-up
        that fails is recorded as the failure of the step it prepared)."""
        repo = working_copy(tree, tree.with_name(f"{tree.name}-work"), self.env)
        remote = REMOTES[who]
        bucket = f"bench-{self.tag}-scale{files}-{remote}"
        self.s3.create_bucket(Bucket=bucket)
        step = steps[0]
        try:
            settings = (["type=S3", f"bucket={bucket}",
                         *self.server.builtin_settings(self.proxy.endpoint)] if who == BUILTIN
                        else ["type=external", "externaltype=s3py", f"bucket={bucket}",
                              f"endpoint={self.proxy.endpoint}"])
            run(["git", "annex", "initremote", remote, "encryption=none", *settings], repo,
                self.env)
            if copy_first:
                print(f"  scale {files:>6} {who}: copy --to again, unmeasured (measured "
                      "before; the later operations need the objects)", flush=True)
                run(["git", "annex", "copy", "--to", remote, f"-J{self.settings.jobs}", "-q",
                     "."], repo, self.env, timeout=None)
                found = count_objects(self.s3, bucket)
                if found != files:
                    raise AssertionError(f"the unmeasured copy --to left {found} objects, "
                                         f"not {files}")
            for step in steps:
                if self.stopping() or not self.measure(repo, files, step, bucket):
                    return
        except AssertionError as error:  # support.repos.run: a set-up command failed
            self.fail(files, step, f"set-up: {error}")
        finally:
            self.empty(bucket)
            remove_tree(repo)

    def measure(self, repo: Path, files: int, step: Step, bucket: str) -> bool:
        """Measure one step and record it; False when it failed."""
        who, remote, jobs = step.contender, REMOTES[step.contender], f"-J{self.settings.jobs}"
        args = {"copy --to": ["copy", "--to", remote, jobs, "."],
                "fsck --fast --from": ["fsck", "--fast", "--from", remote, jobs, "-q", "."],
                "get --from": ["get", "--from", remote, jobs, "."],
                "drop --from": ["drop", "--from", remote, jobs, "."]}[step.operation]
        if step.operation == "get --from":
            run(["git", "annex", "drop", "--force", "-q", "."], repo, self.env, timeout=None)
        self.proxy.reset_counters()
        started, load = datetime.datetime.now().isoformat(timespec="seconds"), os.getloadavg()[0]
        error = ""
        try:
            measured = timed(annex_command(who, remote, *args), repo, self.env)
        except CommandFailed as failure:
            measured, error = failure.measured, str(failure)
        seen = self.proxy.since(0)
        expected = {"copy --to": files, "drop --from": 0}.get(step.operation)
        if not error and expected is not None:
            found = count_objects(self.s3, bucket)
            if found != expected:
                error = f"the bucket holds {found} objects after it, not {expected}"
        point = ScalePoint(
            files, step.operation, who, measured.seconds,
            Counter(request.method for request in seen),
            0.0 if who == BUILTIN else measured.peak_mib, measured.cpu_seconds,
            measured.annex_peak_mib, (load, os.getloadavg()[0]),
            sum(1 for request in seen if request.status == 0 or request.status >= 500),
            started, self.conditions, error, self.code)
        self.results.append(point)
        print(row_line(point), flush=True)
        return point.measured

    def fail(self, files: int, step: Step, error: str) -> None:
        point = ScalePoint(files, step.operation, step.contender, 0.0, conditions=self.conditions,
                           started=datetime.datetime.now().isoformat(timespec="seconds"),
                           error=error, code=self.code)
        self.results.append(point)
        print(row_line(point), flush=True)

    def empty(self, bucket: str) -> None:
        """Delete ``bucket`` and what is left in it (after a failure): the server's memory."""
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            names = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if names:
                self.s3.delete_objects(Bucket=bucket, Delete={"Objects": names, "Quiet": True})
        self.s3.delete_bucket(Bucket=bucket)


def checkout_commit() -> str:
    """The commit the bench and the s3py it runs come from, "-dirty" if changed, or "" outside
    a git checkout."""
    root = Path(__file__).resolve().parents[2]
    found = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=10"], cwd=root,
                           capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else ""


def row_line(point: ScalePoint) -> str:
    """The line printed as an operation ends (bench_plot.point_of_row reads it back)."""
    if not point.measured:
        return (f"  scale {point.files:>6} {point.operation:<19} {point.contender:<16} FAILED "
                f"after {point.seconds:.2f} s: {summary(point.error)}")
    return (f"  scale {point.files:>6} {point.operation:<19} {point.contender:<16} "
            f"{point.seconds:8.2f} s {point.ms_per_file:6.1f} ms/file  requests/file "
            f"{point.requests_per_file()}"
            + (f"  peak={point.peak_mib:.0f} MiB" if point.peak_mib else "")
            + (f"  {point.failed_requests} requests failed (5xx or broken)"
               if point.failed_requests else "")
            + f"  load {point.load[0]:.1f}-{point.load[1]:.1f}  cpu {point.cpu_seconds:.1f} s")


def summary(error: str) -> str:
    """An error's first and last lines, on one line (a failed command's ends with its
    output's last line)."""
    lines = [line.strip().replace("|", "/") for line in error.splitlines() if line.strip()]
    return " ... ".join(dict.fromkeys(lines[:1] + lines[-1:]))


def lines_of(points: list[ScalePoint]) -> dict[tuple[str, str], list[ScalePoint]]:
    """(operation, contender) -> its measured points by growing N."""
    lines: dict[tuple[str, str], list[ScalePoint]] = {}
    measured = [p for p in current(points) if p.measured]
    for operation in OPERATIONS:
        for who in (BUILTIN, S3PY, ANNEX_VERIFY_OFF):
            found = sorted((p for p in measured if (p.operation, p.contender) == (operation, who)),
                           key=lambda p: p.files)
            if found:
                lines[operation, who] = found
    return lines


def scale_table(points: list[ScalePoint]) -> list[str]:
    """Every size, operation and contender: its figures, or the failure it ended with."""
    out = ["| files | operation | contender | seconds | ms/file | requests/file (by method) "
           "| s3py peak MiB | CPU ms/file | load start-end | started |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    order = {(operation, who): i for i, (operation, who) in enumerate(
        (operation, who) for operation in OPERATIONS
        for who in (BUILTIN, S3PY, ANNEX_VERIFY_OFF))}
    for point in sorted(current(points), key=lambda p: (
            p.files, order.get((p.operation, p.contender), len(order)))):
        when = f"{point.load[0]:.1f}-{point.load[1]:.1f} | {point.started}"
        if not point.measured:
            out.append(f"| {point.files} | {point.operation} | {point.contender} | failed: "
                       f"{summary(point.error)} | | | | | {when} |")
            continue
        out.append(f"| {point.files} | {point.operation} | {point.contender} | "
                   f"{point.seconds:.2f} | {point.ms_per_file:.1f} | "
                   f"{point.requests_per_file()} | "
                   f"{f'{point.peak_mib:.0f}' if point.peak_mib else ''} | "
                   f"{point.cpu_ms_per_file:.1f} | {when} |")
    return out


def slope_lines(points: list[ScalePoint]) -> list[str]:
    """ms per file, wall and CPU (where recorded), at the smallest and the largest N for every
    operation and contender."""
    out = []
    for (operation, who), line in lines_of(points).items():
        first, last = line[0], line[-1]
        if first.files == last.files:
            continue
        text = (f"slope {who} {operation}: "
                f"{slope(first.ms_per_file, last.ms_per_file, first.files, last.files)}")
        if first.cpu_seconds and last.cpu_seconds:
            cpu = slope(first.cpu_ms_per_file, last.cpu_ms_per_file, first.files, last.files)
            text += f"; CPU {cpu}"
        out.append(text)
    return out


def slope(first: float, last: float, small: int, large: int) -> str:
    change = (last - first) / first * 100
    per_thousand = (last - first) * 1000 / (large - small)
    return (f"{first:.1f} -> {last:.1f} ms/file from N={small} to N={large} ({change:+.0f} %, "
            f"{per_thousand:+.2f} ms/file per 1000 more files)")
