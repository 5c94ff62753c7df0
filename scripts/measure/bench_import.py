"""Import of a bucket of N small objects: s3py ``importtree=yes`` ``import --no-content``
(IMPORTKEY, keys from ETags) against the built-in ``type=S3`` remote (``importtree=yes
exporttree=yes``, which downloads every object), both through the recording fault proxy in
front of one moto server on 127.0.0.1: time, requests by method, bytes read, the s3py
remote's and git-annex's peak memory (VmHWM, scripts/bench/bench_measure.py), the load average.

    python scripts/measure/bench_import.py --objects 1000,10000,100000 [--size 1024]
        [--jobs 1] [--s3py-only] [--plot docs/img/import-scale.png]
        [--stop-after SECONDS] [--timeline docs/img/import-million.png]

Each N gets a fresh moto server filled in its own process (tests/support/moto_main.py
``--fill``: seconds, where a million PUTs over HTTP take hours). ``--s3py-only`` leaves out
the built-in (it downloads every object: hours at 10^5 and more). Each size's row is printed as
it is measured; the table, the slope and the PNG (ms per object and peak MiB against N) at the
end.

While an import runs, a sample line is printed every ``--sample-every`` seconds (listing GETs
and IMPORTKEYs so far, git-annex's RSS and peak, the remote's peak, moto's RSS, CPU, load), and
a phases row after it: how long the listing took (its last page), when the first IMPORTKEY came
(one HEAD each), the IMPORTKEY rate, the memory once the whole listing was in git-annex.
``--stop-after SECONDS`` (or ``--stop-at HH:MM``, or SIGINT/SIGUSR1 to this script) stops an
import (SIGTERM to its process group) and still prints its rows, marked stopped (a
million-object import takes hours); ``--timeline``
draws the samples (objects imported and memory against time). ``--replot`` redraws both PNGs
from a saved output.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from bench_measure import (  # noqa: E402
    ANNEX_PROGRAM,
    S3PY_PROGRAM,
    children_cpu,
    descendants,
    program_hwm_kib,
)
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


def status_kib(pid: int, field_name: str) -> int:
    """One ``/proc/PID/status`` field (VmRSS, VmHWM) in KiB; 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds_of(pid: int) -> float:
    """user + system CPU of one process and of the children it has waited for."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


SAMPLE_HEADER = ("| sample | objects | seconds | listing GETs | IMPORTKEYs | git-annex RSS MiB "
                 "| git-annex peak MiB | s3py peak MiB | moto RSS MiB | CPU s | load 1 min |")


@dataclass(frozen=True)
class Sample:
    """One look at a running import."""

    objects: int
    seconds: float
    listing_gets: int
    importkeys: int  # HEADs so far: one per IMPORTKEY
    annex_rss_mib: float
    annex_peak_mib: float
    s3py_peak_mib: float
    moto_rss_mib: float
    cpu_seconds: float  # git-annex's and the remote's (from /proc: a stopped run has it too)
    load: float

    def line(self) -> str:
        return (f"| sample | {self.objects} | {self.seconds:.0f} | {self.listing_gets} | "
                f"{self.importkeys} | {self.annex_rss_mib:.0f} | {self.annex_peak_mib:.0f} | "
                f"{self.s3py_peak_mib:.0f} | {self.moto_rss_mib:.0f} | {self.cpu_seconds:.1f} | "
                f"{self.load:.1f} |")


INTERRUPTED = threading.Event()  # SIGINT (Ctrl-C) or SIGUSR1: stop as --stop-after does


@dataclass(eq=False)  # a thread is hashed by identity
class Watch(threading.Thread):
    """Polls a running import: its requests at the proxy (listing GETs, HEADs), the memory and
    CPU of git-annex, the remote and moto; prints a sample line every ``every`` seconds and
    stops the import (SIGTERM to its process group) once it has run ``stop_after`` seconds."""

    objects: int
    process: subprocess.Popen
    proxy: FaultProxy
    mark: int
    moto_pid: int
    every: float
    stop_after: float | None
    samples: list[Sample] = field(default_factory=list)
    stopped: bool = False
    listing_done_at: float = 0.0  # seconds to the last listing page seen
    first_importkey_at: float = 0.0
    at_listing_end: Sample | None = None  # the first look after the first IMPORTKEY
    s3py_peak_kib: int = 0
    annex_peak_kib: int = 0

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.done = threading.Event()
        self.start_time = time.monotonic()
        self.cursor, self.gets, self.heads, self.cpu = self.mark, 0, 0, {}  # cpu: pid -> s

    def run(self) -> None:
        next_sample = 0.0
        while not self.done.wait(1.0):
            now = time.monotonic() - self.start_time
            sample = self.look(now)
            if self.heads and not self.first_importkey_at:
                self.first_importkey_at, self.at_listing_end = now, sample
                print(f"first IMPORTKEY after {now:.0f} s ({self.gets} listing GETs in "
                      f"{self.listing_done_at:.0f} s)", flush=True)
            if now >= next_sample:
                self.samples.append(sample)
                print(sample.line(), flush=True)
                next_sample = now + self.every
            over = self.stop_after is not None and now >= self.stop_after
            if (over or INTERRUPTED.is_set()) and not self.stopped:
                self.stopped = True
                self.samples.append(sample)
                print(sample.line(), flush=True)
                print(f"stopping the import after {now:.0f} s "
                      f"({'--stop-after' if over else 'interrupted'})", flush=True)
                os.killpg(self.process.pid, signal.SIGTERM)

    def look(self, now: float) -> Sample:
        seen = self.proxy.since(self.cursor)
        self.cursor += len(seen)
        listing = sum(1 for r in seen if r.method == "GET"
                      and not r.path.startswith(f"/{BUCKET}/{PREFIX}"))
        if listing:
            self.gets += listing
            self.listing_done_at = now
        self.heads += sum(1 for r in seen if r.method == "HEAD")
        annex_rss = 0
        for pid in descendants(self.process.pid):
            program, hwm = program_hwm_kib(pid)
            if program == S3PY_PROGRAM:
                self.s3py_peak_kib = max(self.s3py_peak_kib, hwm)
            elif program == ANNEX_PROGRAM:
                self.annex_peak_kib = max(self.annex_peak_kib, hwm)
                annex_rss = max(annex_rss, status_kib(pid, "VmRSS"))
            if program:
                self.cpu[pid] = cpu_seconds_of(pid) or self.cpu.get(pid, 0.0)
        return Sample(self.objects, now, self.gets, self.heads, annex_rss / 1024,
                      self.annex_peak_kib / 1024, self.s3py_peak_kib / 1024,
                      status_kib(self.moto_pid, "VmRSS") / 1024, sum(self.cpu.values()),
                      os.getloadavg()[0])


PHASES_HEADER = ("| objects | listing s | listing GETs | listing pages/s | first IMPORTKEY at s "
                 "| IMPORTKEYs done | IMPORTKEYs/min | ms/IMPORTKEY | git-annex peak MiB, "
                 "listing in | git-annex peak MiB, end | s3py peak MiB | moto RSS MiB | "
                 "stopped | load average |")


def phases_row(watch: Watch) -> str:
    """The listing and IMPORTKEY phases of one import, from its samples."""
    last = watch.samples[-1]
    listed = watch.at_listing_end or last
    # the rate up to the last IMPORTKEY, not over the tree and branch git-annex writes after
    last = next(s for s in watch.samples if s.importkeys == last.importkeys)
    rate_seconds = last.seconds - watch.first_importkey_at
    per_minute = last.importkeys * 60 / rate_seconds if last.importkeys and rate_seconds else 0
    listing_s = watch.listing_done_at
    end = watch.samples[-1]
    return (f"| {watch.objects} | {listing_s:.0f} | {watch.gets} | "
            f"{watch.gets / listing_s if listing_s else 0:.2f} | "
            f"{watch.first_importkey_at:.0f} | {last.importkeys} | {per_minute:.0f} | "
            f"{60000 / per_minute if per_minute else 0:.1f} | {listed.annex_peak_mib:.0f} | "
            f"{end.annex_peak_mib:.0f} | {end.s3py_peak_mib:.0f} | {end.moto_rss_mib:.0f} | "
            f"{'yes' if watch.stopped else 'no'} | "
            f"{' '.join(map('{:.1f}'.format, os.getloadavg()))} |")


def stop_after(args: argparse.Namespace) -> float | None:
    """Seconds from now to stop an import at: --stop-after, or --stop-at if that comes first."""
    budgets = [args.stop_after] if args.stop_after is not None else []
    if args.stop_at:
        hour, minute = map(int, args.stop_at.split(":"))
        now = time.localtime()
        budgets.append((hour - now.tm_hour) * 3600 + (minute - now.tm_min) * 60 - now.tm_sec)
    return min(budgets, default=None)


def timed_import(objects: int, task: str, path: Path, env: dict[str, str], proxy: FaultProxy,
                 options: list[str], moto_pid: int, args: argparse.Namespace,
                 samples: list[Sample]) -> ImportPoint:
    """One import, watched (``Watch``) and checked, unless stopped: the imported branch names
    every object."""
    mark, used = proxy.mark(), children_cpu()
    print(SAMPLE_HEADER, flush=True)
    start = time.perf_counter()
    process = subprocess.Popen(["git", "annex", "import", "main", "--from", "lab", *options],
                               cwd=path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    watch = Watch(objects, process, proxy, mark, moto_pid, args.sample_every, stop_after(args))
    watch.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    watch.done.set()
    watch.join()
    watch.samples.append(watch.look(seconds))
    print(watch.samples[-1].line(), flush=True)
    if process.returncode != 0 and not watch.stopped:
        raise SystemExit(f"{task} failed ({process.returncode}):\n{err[-2000:]}")
    print(PHASES_HEADER, flush=True)
    print(phases_row(watch), flush=True)
    samples += watch.samples
    seen = proxy.since(mark)
    got = sum(1 for request in seen
              if request.method == "GET" and request.path.startswith(f"/{BUCKET}/{PREFIX}")
              and "list-type" not in request.path)
    if watch.stopped:
        task = f"{task} (stopped, {watch.heads} imported)"
        branch_files = 0
        cpu = watch.samples[-1].cpu_seconds
    else:
        files = run(["git", "ls-tree", "-r", "--name-only", "lab/main"], path,
                    env).stdout.count("\n")
        if files != objects:
            raise SystemExit(f"{task}: lab/main names {files} files, {objects} objects were "
                             "listed")
        branch_files = run(["git", "ls-tree", "-r", "--name-only", "git-annex"], path,
                           env).stdout.count("\n")
        cpu = children_cpu() - used
    return ImportPoint(objects, task, seconds, got,
                       Counter(request.method for request in seen),
                       watch.s3py_peak_kib / 1024, watch.annex_peak_kib / 1024, branch_files,
                       " ".join(map("{:.1f}".format, os.getloadavg())), cpu)


def one_size(objects: int, args: argparse.Namespace, samples: list[Sample]) -> list[ImportPoint]:
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
                                       ["--no-content", *jobs], server.process.pid, args,
                                       samples)]
                print(row(points[-1], args.size), flush=True)
                if not args.s3py_only:
                    built = repo(base, "builtin", env)
                    run(["git", "annex", "initremote", "--force", "lab", "type=S3",
                         "encryption=none", f"bucket={BUCKET}", f"fileprefix={PREFIX}",
                         "host=127.0.0.1", f"port={port}", "protocol=http", "requeststyle=path",
                         "signature=v4", "datacenter=us-east-1", "importtree=yes",
                         "exporttree=yes"], built, env)
                    points.append(timed_import(objects, "built-in S3 import", built, env, proxy,
                                               jobs, server.process.pid, args, []))
                    print(row(points[-1], args.size), flush=True)
            finally:
                proxy.stop()
    return points


HEADER = ("| objects | task | seconds | ms/object | CPU ms/object | requests | GETs of objects "
          "| bytes downloaded | s3py peak MiB | git-annex peak MiB | git-annex branch files "
          "| load average |")


def row(point: ImportPoint, size: int) -> str:
    requests = ", ".join(f"{m} {n}" for m, n in sorted(point.methods.items()))
    per_object = ("| | " if stopped(point) else  # over N: they did not all pass
                  f"{point.ms_per_object:.2f} | {point.cpu_seconds * 1000 / point.objects:.2f} | ")
    return (f"| {point.objects} | {point.task} | {point.seconds:.1f} | {per_object}"
            f"{requests} | {point.got} | {point.got * size} | "
            f"{f'{point.peak_mib:.0f}' if point.peak_mib else ''} | "
            f"{point.annex_peak_mib:.0f} | {point.branch_files} | {point.load} |")


def stopped(point: ImportPoint) -> bool:
    return "(stopped" in point.task


def slope(points: list[ImportPoint]) -> list[str]:
    """ms/object and memory from the smallest to the largest N, per task (whole imports)."""
    out = []
    points = [p for p in points if not stopped(p)]
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
    """ms per object and peak memory (s3py, git-annex) against N, on two panels (whole
    imports: a stopped one is drawn by ``timeline``)."""
    points = [p for p in points if not stopped(p)]
    panels = two_panels()
    if isinstance(panels, str):
        return f"no plot: {panels}"
    figure, (left, right) = panels
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
    return f"plot: {save(figure, path, title)}"


def two_panels() -> Any:
    """A figure of two side-by-side panels, or why none can be drawn (no matplotlib)."""
    try:
        import matplotlib
    except ImportError:
        return "matplotlib is missing (pip install -e '.[bench]'; make bench does)"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, 2, figsize=(11, 4.8))


def save(figure: Any, path: Path, title: str) -> Path:
    """``figure`` titled, written to ``path`` as PNG, and closed."""
    import matplotlib.pyplot as plt

    figure.suptitle(title, fontsize="medium")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def samples_from_output(text: str) -> list[Sample]:
    """The sample lines a run printed, back into samples (``--replot``)."""
    out = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "sample" and cells[1].isdigit():
            numbers = [float(cell) for cell in cells[1:]]
            out.append(Sample(int(numbers[0]), numbers[1], int(numbers[2]), int(numbers[3]),
                              *numbers[4:]))
    return out


def timeline(samples: list[Sample], path: Path, title: str) -> str:
    """Objects listed and imported, and memory, against time (one line per N)."""
    panels = two_panels()
    if isinstance(panels, str):
        return f"no timeline: {panels}"
    figure, (left, right) = panels
    for objects in dict.fromkeys(s.objects for s in samples):
        line = [s for s in samples if s.objects == objects]
        minutes = [s.seconds / 60 for s in line]
        left.plot(minutes, [min(s.listing_gets * 1000, objects) for s in line],
                  label=f"N={objects:,}: listed (1,000 per GET)")
        left.plot(minutes, [s.importkeys for s in line], linestyle="--",
                  label=f"N={objects:,}: imported (IMPORTKEY)")
        running = [s for s in line if s.annex_rss_mib]  # the last look may come after its end
        for sampled, values, label, style in (
                (running, [s.annex_rss_mib for s in running], "git-annex RSS", "-"),
                (line, [s.s3py_peak_mib for s in line], "git-annex-remote-s3py peak", "--"),
                (line, [s.moto_rss_mib for s in line], "moto RSS (the server)", ":")):
            right.plot([s.seconds / 60 for s in sampled], values, linestyle=style,
                       label=f"N={objects:,}: {label}")
    left.set_ylabel("objects")
    right.set_ylabel("MiB")
    for axes in (left, right):
        axes.set_xlabel("minutes since the import began")
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small")
    return f"timeline: {save(figure, path, title)}"


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
    parser.add_argument("--stop-after", type=float, metavar="SECONDS",
                        help="stop an import that has run this long (its rows are still "
                             "printed, marked stopped)")
    parser.add_argument("--stop-at", metavar="HH:MM",
                        help="stop an import still running at this time of day (as --stop-after)")
    parser.add_argument("--sample-every", type=float, default=60, metavar="SECONDS",
                        help="print a sample line this often while an import runs (default 60)")
    parser.add_argument("--timeline", type=Path, metavar="PATH",
                        help="draw the samples (imported objects, memory against time) here")
    parser.add_argument("--replot", type=Path, metavar="OUTPUT",
                        help="only draw --plot from a run's saved output (one stopped early)")
    args = parser.parse_args()
    for signum in (signal.SIGINT, signal.SIGUSR1):  # the import has its own session
        signal.signal(signum, lambda *_: INTERRUPTED.set())
    if args.replot:
        text = args.replot.read_text()
        points = points_from_output(text)
        print("\n".join(slope(points)))
        conditions = text.split("\n", 1)[0].split("-g", 1)[0]  # "git-annex 10.20261026"
        title = f"import --no-content: {conditions}, moto"
        if args.plot or not args.timeline:
            print(plot(points, args.plot or Path("import-scale.png"), title))
        if args.timeline:
            print(timeline(samples_from_output(text), args.timeline, title))
        return
    sizes = [int(n) for n in args.objects.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        version = run(["git", "annex", "version", "--raw"], Path(tmp),
                      isolated_env(Path(tmp) / "home")).stdout.strip()
    print(f"git-annex {version}, {args.size} B objects, -J{args.jobs}, moto, "
          f"{os.cpu_count()} CPUs", flush=True)
    print(HEADER, flush=True)
    points: list[ImportPoint] = []
    samples: list[Sample] = []
    for objects in sizes:
        points += one_size(objects, args, samples)
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
    if args.timeline:
        title = (f"import --no-content: git-annex {version.split('-g')[0]}, moto, "
                 f"{args.size} B objects, -J{args.jobs}")
        print(f"- {timeline(samples, args.timeline, title)}")


if __name__ == "__main__":
    main()
