"""The scale row's results file: one JSON line per operation of one contender over N files,
measured or failed, appended (and synced) as soon as the operation ends. A run stopped anywhere
keeps every figure it had; a run again with the same file measures only what it lacks (a
failed operation is tried again); the table, the slopes and the PNG are made from the file
alone (``bench.py --only scale --results FILE --replot``).

A file holds one setting, its ``Conditions`` (git-annex version, server, -J): figures measured
under another setting are not the same row's and go to another file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


@dataclass(frozen=True)
class Conditions:
    """What a row's figures depend on besides the code: they must match to be compared."""

    git_annex: str
    server: str
    jobs: int


@dataclass(frozen=True)
class ScalePoint:
    """One operation of one contender over ``files`` files: measured, or failed (``error``)."""

    files: int
    operation: str
    contender: str
    seconds: float
    requests: Counter = field(default_factory=Counter)  # method -> requests seen by the proxy
    peak_mib: float = 0.0  # the s3py remote's peak RSS (0 for the built-in)
    cpu_seconds: float = 0.0  # user + system of git-annex and every process it waited for
    annex_peak_mib: float = 0.0  # git-annex's own peak RSS
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at the start and the end
    failed_requests: int = 0  # answered 5xx or broken
    started: str = ""  # local time, ISO 8601
    conditions: Conditions | None = None
    error: str = ""  # why it failed; "" when measured
    code: str = ""  # the commit of the checkout that measured it (+ "-dirty")

    @property
    def measured(self) -> bool:
        return not self.error

    @property
    def ms_per_file(self) -> float:
        return self.seconds * 1000 / self.files

    @property
    def cpu_ms_per_file(self) -> float:
        """CPU per file: what the load moves least on a shared machine (0: not recorded)."""
        return self.cpu_seconds * 1000 / self.files

    def requests_per_file(self) -> str:
        total = sum(self.requests.values()) / self.files
        methods = ", ".join(f"{method} {count / self.files:.2f}"
                            for method, count in sorted(self.requests.items()))
        return f"{total:.2f} ({methods})" if methods else "0"

    def to_json(self) -> str:
        record = asdict(self)
        record["requests"] = dict(sorted(self.requests.items()))
        return json.dumps(record, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> ScalePoint:
        record = json.loads(line)
        known = {f.name for f in fields(cls)}
        record = {name: value for name, value in record.items() if name in known}
        record["requests"] = Counter(record.get("requests", {}))
        record["load"] = tuple(record.get("load", (0.0, 0.0)))
        if record.get("conditions"):
            record["conditions"] = Conditions(**record["conditions"])
        return cls(**record)


class ResultsFile:
    """The JSON-lines file of one setting's scale points."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cut_short: set[int] = set()  # lines not whole, told once

    def read(self) -> list[ScalePoint]:
        """Every point in the file; a line cut short by a kill mid-write is skipped."""
        if not self.path.exists():
            return []
        points = []
        for number, line in enumerate(self.path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                points.append(ScalePoint.from_json(line))
            except (ValueError, TypeError, KeyError):
                if number not in self.cut_short:
                    self.cut_short.add(number)
                    print(f"{self.path}:{number}: not a whole record, skipped", flush=True)
        return points

    def check(self, conditions: Conditions) -> None:
        """Refuse to mix settings in one file."""
        others = {p.conditions for p in self.read()} - {conditions}
        if others:
            other = sorted(others, key=str)[0]
            raise SystemExit(
                f"{self.path} holds figures of git-annex {other.git_annex}, {other.server}, "
                f"-J{other.jobs}; this run is git-annex {conditions.git_annex}, "
                f"{conditions.server}, -J{conditions.jobs}: give another --results file")

    def append(self, point: ScalePoint) -> None:
        """Add one point, on a line of its own even after a line cut short, and sync it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell():
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
            handle.write(point.to_json().encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def measured(self, files: int) -> set[tuple[str, str]]:
        """(operation, contender) measured over ``files`` files."""
        return {(p.operation, p.contender) for p in self.read()
                if p.files == files and p.measured}


def current(points: list[ScalePoint]) -> list[ScalePoint]:
    """One point per files, operation and contender, in the file's order: the measured one
    (the last, if several), else the last failure."""
    chosen: dict[tuple[int, str, str], ScalePoint] = {}
    for point in points:
        key = (point.files, point.operation, point.contender)
        if point.measured or key not in chosen or not chosen[key].measured:
            chosen[key] = point
    return list(chosen.values())
