"""The scale row of ``make bench``: N small files (1-20 KiB) for each N through ``copy --to``,
``fsck --fast --from``, ``get --from`` and ``drop --from`` (in that order: a run stopped early
still has the cheaper rows), the built-in ``type=S3`` remote and s3py interleaved (plus
"s3py annex-verify=false" for the gets up to ``verify_off_up_to`` files), every request counted
by the test suite's recording proxy (tests/support/faultproxy.py, no rules;
scripts/bench/bench_proxy.py) between git-annex and the server.
Both remotes reach the server through it.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench_measure import (
    ANNEX_VERIFY_OFF,
    BUILTIN,
    S3PY,
    annex_command,
    count_objects,
    make_tree,
    rotate,
    timed,
)
from bench_proxy import counting_proxy
from bench_servers import BenchServer
from support.repos import run

OPERATIONS = ("copy --to", "fsck --fast --from", "get --from", "drop --from")
REMOTES = {BUILTIN: "builtin", S3PY: "s3py", ANNEX_VERIFY_OFF: "s3py"}


@dataclass(frozen=True)
class ScalePoint:
    """One operation of one contender over ``files`` files."""

    files: int
    operation: str
    contender: str
    seconds: float
    requests: Counter  # HTTP method -> requests that reached the server through the proxy
    peak_mib: float  # the s3py remote's peak RSS (0 for the built-in)

    @property
    def ms_per_file(self) -> float:
        return self.seconds * 1000 / self.files

    def requests_per_file(self) -> str:
        total = sum(self.requests.values()) / self.files
        methods = ", ".join(f"{method} {count / self.files:.2f}"
                            for method, count in sorted(self.requests.items()))
        return f"{total:.2f} ({methods})" if methods else "0"


class ScaleRun:
    """The proxy in front of ``server`` and the points measured so far."""

    def __init__(self, server: BenchServer, env: dict[str, str], workdir: Path, tag: str,
                 jobs: int, verify_off_up_to: int) -> None:
        self.server, self.env, self.workdir, self.tag, self.jobs = (server, env, workdir, tag,
                                                                    jobs)
        self.verify_off_up_to = verify_off_up_to
        self.s3 = server.client()
        self.proxy = counting_proxy(server.endpoint)
        self.points: list[ScalePoint] = []

    def run(self, sizes: list[int]) -> list[ScalePoint]:
        self.proxy.start()
        print(f"scale row: {', '.join(map(str, sizes))} files, through the counting proxy "
              f"{self.proxy.endpoint}", flush=True)
        try:
            for index, files in enumerate(sizes):
                self.one_size(files, index)
        finally:
            self.proxy.stop()
        return self.points

    def one_size(self, files: int, index: int) -> None:
        """Every operation for ``files`` files, in a fresh repository and fresh buckets; the
        contenders' order rotates with ``index``."""
        repo = make_tree(self.workdir / f"scale-{files}", self.env, files, 1024, 20 * 1024,
                         1000 + files)
        buckets = {who: f"bench-{self.tag}-scale{files}-{REMOTES[who]}"
                   for who in (BUILTIN, S3PY)}
        self.s3.create_bucket(Bucket=buckets[BUILTIN])
        run(["git", "annex", "initremote", "builtin", "type=S3", "encryption=none",
             f"bucket={buckets[BUILTIN]}", *self.server.builtin_settings(self.proxy.endpoint)],
            repo, self.env)
        run(["git", "annex", "initremote", "s3py", "type=external", "externaltype=s3py",
             "encryption=none", f"bucket={buckets[S3PY]}", f"endpoint={self.proxy.endpoint}"],
            repo, self.env)
        jobs = f"-J{self.jobs}"
        order = rotate([BUILTIN, S3PY], index)
        for who in order:
            self.measure(repo, files, "copy --to", who, "copy", "--to", REMOTES[who], jobs, ".")
            self.expect_objects(buckets[who], files, f"{who} after copy --to")
        for who in order:
            self.measure(repo, files, "fsck --fast --from", who, "fsck", "--fast", "--from",
                         REMOTES[who], jobs, "-q", ".")
        getters = [BUILTIN, S3PY] + ([ANNEX_VERIFY_OFF] if files <= self.verify_off_up_to
                                     else [])
        for who in rotate(getters, index):
            run(["git", "annex", "drop", "--force", "-q", "."], repo, self.env, timeout=None)
            self.measure(repo, files, "get --from", who, "get", "--from", REMOTES[who], jobs,
                         ".")
        for who in order:
            self.measure(repo, files, "drop --from", who, "drop", "--from", REMOTES[who], jobs,
                         ".")
            self.expect_objects(buckets[who], 0, f"{who} after drop --from")

    def measure(self, repo: Path, files: int, operation: str, who: str, *args: str) -> None:
        mark = self.proxy.mark()
        measured = timed(annex_command(who, REMOTES[who], *args), repo, self.env)
        seen = self.proxy.since(mark)
        point = ScalePoint(files, operation, who, measured.seconds,
                           Counter(request.method for request in seen),
                           0.0 if who == BUILTIN else measured.peak_mib)
        self.points.append(point)
        broken = sum(1 for request in seen if request.status == 0 or request.status >= 500)
        print(f"  scale {files:>6} {operation:<19} {who:<16} {measured.seconds:8.2f} s "
              f"{point.ms_per_file:6.1f} ms/file  requests/file {point.requests_per_file()}"
              + (f"  peak={point.peak_mib:.0f} MiB" if point.peak_mib else "")
              + (f"  {broken} requests failed (5xx or broken)" if broken else "")
              + f"  load {os.getloadavg()[0]:.1f}", flush=True)

    def expect_objects(self, bucket: str, expected: int, when: str) -> None:
        found = count_objects(self.s3, bucket)
        if found != expected:
            raise SystemExit(f"{when}: bucket {bucket} holds {found} objects, expected "
                             f"{expected}")


def lines_of(points: list[ScalePoint]) -> dict[tuple[str, str], list[ScalePoint]]:
    """(operation, contender) -> its points by growing N, in the order they were measured."""
    lines: dict[tuple[str, str], list[ScalePoint]] = {}
    for operation in OPERATIONS:
        for who in (BUILTIN, S3PY, ANNEX_VERIFY_OFF):
            found = sorted((p for p in points if (p.operation, p.contender) == (operation, who)),
                           key=lambda p: p.files)
            if found:
                lines[operation, who] = found
    return lines


def scale_table(points: list[ScalePoint]) -> list[str]:
    out = ["| files | operation | contender | seconds | ms/file | requests/file (by method) "
           "| s3py peak MiB |", "|---|---|---|---|---|---|---|"]
    for files in sorted({p.files for p in points}):
        for (operation, who), line in lines_of(points).items():
            for point in (p for p in line if p.files == files):
                out.append(f"| {files} | {operation} | {who} | {point.seconds:.2f} | "
                           f"{point.ms_per_file:.1f} | {point.requests_per_file()} | "
                           f"{f'{point.peak_mib:.0f}' if point.peak_mib else ''} |")
    return out


def slope_lines(points: list[ScalePoint]) -> list[str]:
    """ms per file at the smallest and the largest N for every operation and contender."""
    out = []
    for (operation, who), line in lines_of(points).items():
        first, last = line[0], line[-1]
        if first.files == last.files:
            continue
        change = (last.ms_per_file - first.ms_per_file) / first.ms_per_file * 100
        per_thousand = ((last.ms_per_file - first.ms_per_file) * 1000
                        / (last.files - first.files))
        out.append(f"slope {who} {operation}: {first.ms_per_file:.1f} -> "
                   f"{last.ms_per_file:.1f} ms/file from N={first.files} to N={last.files} "
                   f"({change:+.0f} %, {per_thousand:+.2f} ms/file per 1000 more files)")
    return out
