"""Import of a bucket of N small objects: s3py ``importtree=yes`` ``import --no-content``
(IMPORTKEY, keys from ETags) against the built-in ``type=S3`` remote (``importtree=yes
exporttree=yes``, which downloads every object), both through the recording fault proxy in
front of one moto server on 127.0.0.1: time, requests by method, bytes read, the s3py
remote's and git-annex's peak memory (VmHWM, scripts/bench/bench_measure.py), the load average.

    python scripts/measure/bench_import.py --objects 1000,10000,100000 [--size 1024]
        [--jobs 1] [--s3py-only] [--plot docs/img/import-scale.png]

Each N gets a fresh moto server filled in its own process (tests/support/moto_main.py
``--fill``: seconds, where a million PUTs over HTTP take hours). ``--s3py-only`` leaves out
the built-in (it downloads every object: hours at 10^5 and more). Each size's row is printed as
it is measured; the table, the slope and the PNG (ms per object and peak MiB against N) at the
end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from bench_measure import timed  # noqa: E402
from support.faultproxy import FaultProxy  # noqa: E402
from support.local_s3 import S3Server, isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

BUCKET = "import-bench"
PREFIX = "data/"


@dataclass(frozen=True)
class ImportPoint:
    """One import of ``objects`` objects by one contender."""

    objects: int
    task: str
    seconds: float
    got: int  # GETs of objects (downloads)
    methods: Counter
    peak_mib: float  # the s3py remote's peak RSS (0 for the built-in)
    annex_peak_mib: float  # git-annex's own peak RSS
    branch_files: int  # files in the git-annex branch after the import
    load: str  # the load average (1, 5, 15 min) after the import
    cpu_seconds: float  # CPU of git-annex and the remote (not the server's)

    @property
    def ms_per_object(self) -> float:
        return self.seconds * 1000 / self.objects


def repo(base: Path, name: str, env: dict[str, str]) -> Path:
    path = base / name
    path.mkdir()
    run(["git", "init", "-q"], path, env)
    run(["git", "annex", "init", "-q"], path, env)
    return path


def timed_import(objects: int, task: str, path: Path, env: dict[str, str], proxy: FaultProxy,
                 options: list[str]) -> ImportPoint:
    """One import, checked: the imported branch names every object."""
    mark = proxy.mark()
    measured = timed(["git", "annex", "import", "main", "--from", "lab", *options], path, env)
    seen = proxy.since(mark)
    files = run(["git", "ls-tree", "-r", "--name-only", "lab/main"], path, env).stdout.count("\n")
    if files != objects:
        raise SystemExit(f"{task}: lab/main names {files} files, {objects} objects were listed")
    got = sum(1 for request in seen
              if request.method == "GET" and request.path.startswith(f"/{BUCKET}/{PREFIX}")
              and "list-type" not in request.path)
    branch = run(["git", "ls-tree", "-r", "--name-only", "git-annex"], path, env).stdout
    return ImportPoint(objects, task, measured.seconds, got,
                       Counter(request.method for request in seen), measured.peak_mib,
                       measured.annex_peak_mib, branch.count("\n"),
                       " ".join(map("{:.1f}".format, os.getloadavg())), measured.cpu_seconds)


def one_size(objects: int, args: argparse.Namespace) -> list[ImportPoint]:
    with tempfile.TemporaryDirectory(prefix="s3py-import-bench-") as tmp:
        start = time.monotonic()
        with S3Server(fill=(BUCKET, PREFIX, objects, args.size)) as server:
            base = Path(tmp)
            env = isolated_env(base / "home")  # S3PY_TEST_GIT_ANNEX_BIN picks the git-annex
            print(f"filled {objects} x {args.size} B in {time.monotonic() - start:.1f} s",
                  flush=True)
            proxy = FaultProxy(server.endpoint).start()
            port = proxy.endpoint.rsplit(":", 1)[1]
            try:
                jobs = [f"-J{args.jobs}"] if args.jobs > 1 else []
                ours = repo(base, "s3py", env)
                run(["git", "annex", "initremote", "lab", "type=external",
                     "externaltype=s3py", "importtree=yes", "encryption=none",
                     f"bucket={BUCKET}", f"fileprefix={PREFIX}", f"endpoint={proxy.endpoint}"],
                    ours, env)
                points = [timed_import(objects, "s3py import --no-content", ours, env, proxy,
                                       ["--no-content", *jobs])]
                print(row(points[-1], args.size), flush=True)
                if not args.s3py_only:
                    built = repo(base, "builtin", env)
                    run(["git", "annex", "initremote", "--force", "lab", "type=S3",
                         "encryption=none", f"bucket={BUCKET}", f"fileprefix={PREFIX}",
                         "host=127.0.0.1", f"port={port}", "protocol=http", "requeststyle=path",
                         "signature=v4", "datacenter=us-east-1", "importtree=yes",
                         "exporttree=yes"], built, env)
                    points.append(timed_import(objects, "built-in S3 import", built, env, proxy,
                                               jobs))
                    print(row(points[-1], args.size), flush=True)
            finally:
                proxy.stop()
    return points


HEADER = ("| objects | task | seconds | ms/object | CPU ms/object | requests | GETs of objects "
          "| bytes downloaded | s3py peak MiB | git-annex peak MiB | git-annex branch files "
          "| load average |")


def row(point: ImportPoint, size: int) -> str:
    requests = ", ".join(f"{m} {n}" for m, n in sorted(point.methods.items()))
    return (f"| {point.objects} | {point.task} | {point.seconds:.1f} | "
            f"{point.ms_per_object:.2f} | {point.cpu_seconds * 1000 / point.objects:.2f} | "
            f"{requests} | {point.got} | {point.got * size} | "
            f"{f'{point.peak_mib:.0f}' if point.peak_mib else ''} | "
            f"{point.annex_peak_mib:.0f} | {point.branch_files} | {point.load} |")


def slope(points: list[ImportPoint]) -> list[str]:
    """ms/object and memory from the smallest to the largest N, per task."""
    out = []
    for task in dict.fromkeys(p.task for p in points):
        line = sorted((p for p in points if p.task == task), key=lambda p: p.objects)
        first, last = line[0], line[-1]
        if first.objects == last.objects:
            continue
        per_k = 1000 / (last.objects - first.objects)
        out.append(f"slope {task}: {first.ms_per_object:.2f} -> {last.ms_per_object:.2f} "
                   f"ms/object from N={first.objects} to N={last.objects}; s3py peak "
                   f"{first.peak_mib:.0f} -> {last.peak_mib:.0f} MiB "
                   f"({(last.peak_mib - first.peak_mib) * 1024 * per_k:+.1f} KiB per 1000 "
                   f"objects); git-annex peak {first.annex_peak_mib:.0f} -> "
                   f"{last.annex_peak_mib:.0f} MiB "
                   f"({(last.annex_peak_mib - first.annex_peak_mib) * 1024 * per_k:+.1f} KiB "
                   "per 1000 objects)")
    return out


def plot(points: list[ImportPoint], path: Path, title: str) -> str:
    """ms per object and peak memory (s3py, git-annex) against N, on two panels."""
    try:
        import matplotlib
    except ImportError:
        return "no plot: matplotlib is missing (pip install -e '.[bench]'; make bench does)"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    for task in dict.fromkeys(p.task for p in points):
        line = sorted((p for p in points if p.task == task), key=lambda p: p.objects)
        sizes = [p.objects for p in line]
        left.plot(sizes, [p.ms_per_object for p in line], marker="o", label=f"{task}: wall")
        if any(p.cpu_seconds for p in line):
            left.plot(sizes, [p.cpu_seconds * 1000 / p.objects for p in line], marker="^",
                      linestyle=":", label=f"{task}: CPU (git-annex and the remote)")
        right.plot(sizes, [p.annex_peak_mib for p in line], marker="s", linestyle="--",
                   label=f"git-annex ({task})")
        if any(p.peak_mib for p in line):
            right.plot(sizes, [p.peak_mib for p in line], marker="o",
                       label="git-annex-remote-s3py")
    for axes, label in ((left, "ms per object"), (right, "peak RSS, MiB")):
        axes.set_xscale("log")
        axes.set_xlabel("objects under the prefix (N)")
        axes.set_ylabel(label)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"plot: {path}"


def points_from_output(text: str) -> list[ImportPoint]:
    """The rows a run printed (each after its table header, whose column names say what the
    cells are: older runs had fewer columns) back into points: a run stopped before its end
    still gets its PNG (``--replot OUTPUT``)."""
    points, names = [], []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[:2] == ["objects", "task"]:
            names = cells
        elif names and len(cells) == len(names) and cells[0].isdigit():
            cell = dict(zip(names, cells))
            methods = Counter({method: int(count) for method, count in
                               (part.split(" ") for part in cell["requests"].split(", "))})
            objects = int(cell["objects"])
            points.append(ImportPoint(
                objects, cell["task"], float(cell["seconds"]), int(cell["GETs of objects"]),
                methods, float(cell["s3py peak MiB"] or 0),
                float(cell.get("git-annex peak MiB") or 0),
                int(cell.get("git-annex branch files") or 0), cell.get("load average", ""),
                float(cell.get("CPU ms/object") or 0) * objects / 1000))
    return list({(p.objects, p.task): p for p in points}.values())  # a row printed twice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", default="10000", metavar="N,N,...",
                        help="numbers of objects, one import each (default 10000)")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--s3py-only", action="store_true", help="leave out the built-in")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="draw the PNG here")
    parser.add_argument("--replot", type=Path, metavar="OUTPUT",
                        help="only draw --plot from a run's saved output (one stopped early)")
    args = parser.parse_args()
    if args.replot:
        text = args.replot.read_text()
        points = points_from_output(text)
        print("\n".join(slope(points)))
        conditions = text.split("\n", 1)[0].split("-g", 1)[0]  # "git-annex 10.20261026"
        print(plot(points, args.plot or Path("import-scale.png"),
                   f"import --no-content: {conditions}, moto"))
        return
    sizes = [int(n) for n in args.objects.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        version = run(["git", "annex", "version", "--raw"], Path(tmp),
                      isolated_env(Path(tmp) / "home")).stdout.strip()
    print(f"git-annex {version}, {args.size} B objects, -J{args.jobs}, moto, "
          f"{os.cpu_count()} CPUs", flush=True)
    print(HEADER, flush=True)
    points: list[ImportPoint] = []
    for objects in sizes:
        points += one_size(objects, args)
    print()
    print(HEADER)
    print("|---" * (HEADER.count("|") - 1) + "|")
    print("\n".join(row(point, args.size) for point in points))
    for line in slope(points):
        print(f"- {line}")
    if args.plot:
        title = (f"import --no-content: git-annex {version.split('-g')[0]}, moto, "
                 f"{args.size} B objects, "
                 f"-J{args.jobs}")
        print(f"- {plot(points, args.plot, title)}")


if __name__ == "__main__":
    main()
