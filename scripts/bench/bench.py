"""``make bench``: s3py against git-annex's built-in S3 remote and raw boto3, one run.

Everything talks to ONE S3 server on 127.0.0.1 over http (``--server``: moto, Ceph RGW or
s3rver; scripts/bench/bench_servers.py). Each repeat runs every contender of a row back to back, in
a rotating order, so that machine noise hits them alike; the table shows medians and the
ratios s3py/built-in and s3py/boto3 (times: below 1 means s3py is faster).

    python scripts/bench/bench.py                                  # the issue's sizes
    python scripts/bench/bench.py --small 100 --large-mib 16 --repeat 1   # a quick look
    python scripts/bench/bench.py --memory-only                    # 1 GiB store+retrieve, peak RSS
    python scripts/bench/bench.py --git-annex newest               # git-annex 10.20261026 (make
                                                             # annex-newest installs it)
    python scripts/bench/bench.py --server ceph                    # Ceph RGW (make servers)
    python scripts/bench/bench.py --only scale --scale 1000,10000  # the scale row and its plot
    python scripts/bench/bench.py --only scale --scale 100000 --scale-jobs 8 \
        --results R.jsonl --tree-dir /dev/shm/trees --contenders s3py  # in parts, resumable
    python scripts/bench/bench.py --only scale --results R.jsonl --replot  # table, PNG from R
    python scripts/bench/bench.py --only floor                     # the floor row, own costs

Peak memory is the ``VmHWM`` of every ``git-annex-remote-s3py`` process below the git-annex
command, polled from ``/proc``; "procs" counts those processes (1 with ASYNC at any -J).
The scale row (scripts/bench/bench_scale.py) counts the requests at a proxy in front of the server.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from bench_floor import PREFIX as FLOOR_PREFIX  # noqa: E402
from bench_floor import (  # noqa: E402
    add_floor_remotes,
    floor_cells,
    floor_rows,
    floor_table,
    install_floor_remote,
)
from bench_measure import (  # noqa: E402
    ANNEX_VERIFY_OFF,
    ANNEX_VERIFY_OFF_NOTE,
    BOTO3,
    BUILTIN,
    NOASYNC,
    S3PY,
    Measured,
    annex_command,
    count_objects,
    make_tree,
    remove_tree,
    rotate,
    timed,
)
from bench_results import Conditions, ResultsFile, ScalePoint  # noqa: E402
from bench_scale import (  # noqa: E402
    CONTENDERS,
    ScaleRun,
    ScaleSettings,
    scale_table,
    slope_lines,
)
from bench_servers import SERVER_KINDS, SHM, BenchServer, start_server  # noqa: E402
from support.local_s3 import ANNEX_BIN_VAR  # noqa: E402
from support.repos import isolated_env, make_annex_repo, run  # noqa: E402

from git_annex_remote_s3py.cli import NO_ASYNC_ENV  # noqa: E402
from git_annex_remote_s3py.store.aws import NO_LEAN_ENV  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# --git-annex newest: the binaries mk/git-annex.mk links there (only git-annex, git-annex-shell)
NEWEST_ANNEX_BIN = ROOT / ".venv-annex-newest" / "annex-bin"
MiB = 1024**2
HANDSHAKE = "EXTENSIONS INFO GETGITREMOTENAME ASYNC"
ROWS = ("small", "fsck", "large", "export", "import", "startup", "scale", "floor")
DEFAULT_SCALE = "1000,10000"
DEFAULT_PLOT = ROOT / "docs" / "img" / "scale.png"
DEFAULT_FLOOR_PLOT = ROOT / "docs" / "img" / "floor.png"


# -- the raw boto3 ceiling: one Python process, the operation timed after client creation ----
BOTO3_WORKER = r'''
import os, sys, time
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
op, jobs, endpoint, bucket, local = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      config=Config(max_pool_connections=16, s3={"addressing_style": "path"}))
names = []
if op == "put":
    for top, dirs, files in os.walk(local):
        dirs[:] = [d for d in dirs if d != ".git"]
        names += [os.path.relpath(os.path.join(top, f), local) for f in files]
else:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        names += [o["Key"] for o in page.get("Contents", [])]
def put(name):
    with open(os.path.join(local, name), "rb") as handle:
        client.put_object(Bucket=bucket, Key=name, Body=handle)
def get(name):
    body = client.get_object(Bucket=bucket, Key=name)["Body"]
    with open(os.path.join(local, name.replace("/", "_")), "wb") as handle:
        for block in body.iter_chunks(1024 * 1024):
            handle.write(block)
def head(name):
    client.head_object(Bucket=bucket, Key=name)
start = time.perf_counter()
with ThreadPoolExecutor(jobs) as pool:
    list(pool.map({"put": put, "get": get, "head": head}[op], names))
print(time.perf_counter() - start)
'''


def boto3_op(op: str, jobs: int, server: BenchServer, bucket: str, local: Path,
             env: dict[str, str]) -> Measured:
    result = run([sys.executable, "-c", BOTO3_WORKER, op, str(jobs), server.endpoint, bucket,
                  str(local)], local, env)
    return Measured(float(result.stdout.strip().splitlines()[-1]))


# -- fixtures of the benchmark ----------------------------------------------------------------
class Bench:
    """One S3 server, the repositories and remotes, and the results table."""

    def __init__(self, options: argparse.Namespace, workdir: Path, server: BenchServer) -> None:
        self.options, self.workdir, self.server = options, workdir, server
        self.env = server.env(isolated_env(workdir / "home"))
        # As installed by pip: bytecode written once. This machine sets
        # PYTHONDONTWRITEBYTECODE=1, which would compile every module at every spawn (~26 ms).
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q",
                        str(ROOT / "git_annex_remote_s3py")], check=True, env=self.env)
        if options.no_lean:
            self.env[NO_LEAN_ENV] = "1"
        install_floor_remote(workdir / "floor-bin")  # the floor row's external remote
        self.env["PATH"] = f"{workdir / 'floor-bin'}{os.pathsep}{self.env['PATH']}"
        self.noasync_env = {**self.env, NO_ASYNC_ENV: "1"}
        self.s3 = server.client()
        self.results: dict[tuple[str, str], list[Measured]] = {}
        self.units: dict[str, tuple[str, float]] = {}
        self.tag = uuid.uuid4().hex[:6]

    def bucket(self, what: str) -> str:
        return f"bench-{self.tag}-{what}"

    def record(self, row: str, contender: str, measured: Measured) -> None:
        self.results.setdefault((row, contender), []).append(measured)
        print(f"  {row:<26} {contender:<16} {measured.seconds:8.2f} s"
              + (f"  procs={measured.procs} peak={measured.peak_mib:.0f} MiB"
                 if measured.procs else ""), flush=True)

    def add_remotes(self, repo: Path, what: str, *extra: str, suffix: str = "") -> None:
        """A built-in (its bucket made beforehand, as the suite does) and an s3py remote."""
        builtin, s3py = self.bucket(f"{what}-b{suffix}"), self.bucket(f"{what}-s{suffix}")
        self.ensure_bucket(builtin)
        run(["git", "annex", "initremote", f"builtin{suffix}", "type=S3", "encryption=none",
             f"bucket={builtin}", *self.server.builtin_settings(self.server.endpoint), *extra],
            repo, self.env)
        run(["git", "annex", "initremote", f"s3py{suffix}", "type=external",
             "externaltype=s3py", "encryption=none", f"bucket={s3py}",
             f"endpoint={self.server.endpoint}", *extra], repo, self.env)

    def clear(self, bucket: str) -> None:
        """Delete every object but the annex-uuid marker, behind git-annex's back."""
        names = [o["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket) for o in page.get("Contents", []) if not o["Key"].endswith(
            "annex-uuid")]
        for start in range(0, len(names), 1000):
            self.s3.delete_objects(Bucket=bucket, Delete={
                "Objects": [{"Key": n} for n in names[start:start + 1000]], "Quiet": True})

    def count(self, bucket: str) -> int:
        return count_objects(self.s3, bucket)

    def ensure_bucket(self, bucket: str) -> None:
        self.s3.create_bucket(Bucket=bucket)


# -- rows ---------------------------------------------------------------------------------------
def copy_get_rows(bench: Bench, repo: Path, label: str, jobs: int, rep: int, expect: int,
                  noasync: bool) -> None:
    """copy --to each contender (after emptying its bucket), then get from each (and from
    s3py once more with git-annex's verification off: the annex-verify=false column)."""
    what = label.split()[0]
    contenders = [BUILTIN, S3PY, BOTO3] + ([NOASYNC] if noasync else [])
    buckets = {BUILTIN: bench.bucket(f"{what}-b"), S3PY: bench.bucket(f"{what}-s"),
               NOASYNC: bench.bucket(f"{what}-s"), ANNEX_VERIFY_OFF: bench.bucket(f"{what}-s"),
               BOTO3: bench.bucket(f"{what}-raw")}
    remotes = {BUILTIN: "builtin", S3PY: "s3py", NOASYNC: "s3py", ANNEX_VERIFY_OFF: "s3py"}
    envs = {BUILTIN: bench.env, S3PY: bench.env, NOASYNC: bench.noasync_env,
            ANNEX_VERIFY_OFF: bench.env}
    order = rotate(contenders, rep)
    for who in order:
        bench.clear(buckets[who])
        if who == BOTO3:
            measured = boto3_op("put", jobs, bench.server, buckets[who], repo, bench.env)
        else:
            measured = timed(["git", "annex", "copy", "--to", remotes[who], f"-J{jobs}", "."],
                             repo, envs[who])
        if bench.count(buckets[who]) != expect:
            raise SystemExit(f"{who}: bucket holds {bench.count(buckets[who])} objects, "
                             f"expected {expect}")
        bench.record(f"{label} copy -J{jobs}", who, measured)
    for who in rotate(contenders + [ANNEX_VERIFY_OFF], rep):
        if who == BOTO3:
            with tempfile.TemporaryDirectory(dir=bench.workdir) as into:
                measured = boto3_op("get", jobs, bench.server, buckets[who], Path(into),
                                    bench.env)
        else:
            run(["git", "annex", "drop", "--force", "-q", "."], repo, bench.env)
            measured = timed(annex_command(who, remotes[who], "get", "--from", remotes[who],
                                           f"-J{jobs}", "."), repo, envs[who])
        bench.record(f"{label} get -J{jobs}", who, measured)


def fsck_row(bench: Bench, repo: Path, rep: int) -> None:
    """Presence check of every key (objects all there): fsck --fast --from, -J1."""
    for who in rotate([BUILTIN, S3PY, BOTO3], rep):
        if who == BOTO3:
            measured = boto3_op("head", 1, bench.server, bench.bucket("small-raw"), repo,
                                bench.env)
        else:
            measured = timed(["git", "annex", "fsck", "--fast", "--from",
                              {BUILTIN: "builtin", S3PY: "s3py"}[who], "-q", "."], repo,
                             bench.env)
        bench.record("small fsck --fast -J1", who, measured)


def export_row(bench: Bench, repo: Path, rep: int) -> None:
    """export of the small tree to a fresh exporttree=yes remote of each kind."""
    bench.add_remotes(repo, "export", "exporttree=yes", suffix=f"x{rep}")
    for who in rotate([BUILTIN, S3PY, BOTO3], rep):
        if who == BOTO3:
            bucket = bench.bucket(f"export-raw{rep}")
            bench.ensure_bucket(bucket)
            measured = boto3_op("put", 1, bench.server, bucket, repo, bench.env)
        else:
            remote = f"{'builtin' if who == BUILTIN else 's3py'}x{rep}"
            measured = timed(["git", "annex", "export", "HEAD", "--to", remote], repo,
                             bench.env)
        bench.record("small export", who, measured)


def fill_import_bucket(bench: Bench, tree: Path) -> str:
    """A bucket holding the small tree's files under ``data/``, as a lab's data would sit
    before anyone made a dataset of it (written by boto3, not by git-annex)."""
    bucket = bench.bucket("import")
    bench.ensure_bucket(bucket)
    for path in sorted(tree.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(tree).parts:
            bench.s3.upload_file(str(path), bucket, f"data/{path.relative_to(tree)}")
    return bucket


def import_row(bench: Bench, bucket: str, rep: int) -> None:
    """``git annex import main --from lab`` into a fresh repository for each contender: the
    built-in (importtree=yes exporttree=yes; it downloads every object) and s3py with and
    without ``--no-content`` (git-annex 10.20261026: 10.20230126 imports from no external
    remote)."""
    expected = bench.options.small
    contenders = [(BUILTIN, "small import", []), (S3PY, "small import", []),
                  (S3PY, "small import --no-content (built-in: with content)",
                   ["--no-content"])]
    for who, row, extra in rotate(contenders, rep):
        repo = bench.workdir / f"import-{rep}-{who.split()[0]}{'-nc' if extra else ''}"
        repo.mkdir()
        run(["git", "init", "-q"], repo, bench.env)
        run(["git", "annex", "init", "-q", "import"], repo, bench.env)
        if who == BUILTIN:
            # --force: git-annex wants versioning=yes for an importtree+exporttree S3 remote
            # (export could overwrite others' changes); this one never exports
            run(["git", "annex", "initremote", "--force", "lab", "type=S3", "encryption=none",
                 f"bucket={bucket}", "fileprefix=data/",
                 *bench.server.builtin_settings(bench.server.endpoint),
                 "importtree=yes", "exporttree=yes"], repo, bench.env)
        else:
            run(["git", "annex", "initremote", "lab", "type=external", "externaltype=s3py",
                 "encryption=none", f"bucket={bucket}", "fileprefix=data/",
                 f"endpoint={bench.server.endpoint}", "importtree=yes"], repo, bench.env)
        measured = timed(["git", "annex", "import", "main", "--from", "lab", *extra], repo,
                         bench.env)
        files = run(["git", "ls-tree", "-r", "--name-only", "lab/main"], repo,
                    bench.env).stdout.split()
        if len(files) != expected:
            raise SystemExit(f"{who} import: lab/main has {len(files)} files, expected "
                             f"{expected}")
        bench.record(row, who, measured)
        if who == BUILTIN:  # the built-in's only import is the baseline of both rows
            bench.record(contenders[2][1], who, measured)


# -- start-up -----------------------------------------------------------------------------------
def startup_once(exe: str, env: dict[str, str], config: dict[str, str]) -> dict[str, float]:
    """Spawn one remote; seconds to VERSION, EXTENSIONS, PREPARE and a first CHECKPRESENT."""
    marks: dict[str, float] = {}
    start = time.perf_counter()
    process = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)

    def ask(request: str | None, done: str) -> None:
        if request:
            process.stdin.write(request + "\n")
            process.stdin.flush()
        while True:
            line = process.stdout.readline().rstrip("\n")
            if not line:
                raise SystemExit(f"remote closed the pipe waiting for {done}")
            if line.startswith("GETCONFIG "):
                process.stdin.write(f"VALUE {config.get(line.split(' ', 1)[1], '')}\n")
                process.stdin.flush()
            elif line.startswith("GETCREDS "):
                process.stdin.write("CREDS  \n")
                process.stdin.flush()
            elif line == "GETGITREMOTENAME":
                process.stdin.write("VALUE s3py\n")
                process.stdin.flush()
            elif line == "GETGITDIR":  # where git-annex keeps local creds (none here)
                process.stdin.write(f"VALUE {Path.cwd() / '.git'}\n")
                process.stdin.flush()
            elif line == "GETUUID":
                process.stdin.write("VALUE 00000000-0000-0000-0000-0000000000b3\n")
                process.stdin.flush()
            elif line.startswith("GETURLS "):  # no s3:// URL recorded for the key
                process.stdin.write("VALUE\n")
                process.stdin.flush()
            elif line.startswith(done):
                return
            elif not line.startswith(("DEBUG", "INFO")):
                raise SystemExit(f"unexpected {line!r} waiting for {done}")

    ask(None, "VERSION")
    marks["VERSION line"] = time.perf_counter() - start
    ask(HANDSHAKE, "EXTENSIONS")
    marks["EXTENSIONS reply"] = time.perf_counter() - start
    ask("PREPARE", "PREPARE-")
    marks["PREPARE reply"] = time.perf_counter() - start
    ask("CHECKPRESENT SHA256E-s5--0123456789abcdef.bin", "CHECKPRESENT-")
    marks["first CHECKPRESENT reply"] = time.perf_counter() - start
    process.stdin.close()
    process.wait(timeout=30)
    return marks


def python_seconds(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    run([sys.executable, "-c", code], Path.cwd(), env)
    return time.perf_counter() - start


def startup_rows(bench: Bench, repeat: int) -> dict[str, list[float]]:
    exe = shutil.which("git-annex-remote-s3py", path=bench.env["PATH"])
    if not exe:
        raise SystemExit("git-annex-remote-s3py is not on PATH: pip install -e .")
    bucket = bench.bucket("startup")
    bench.ensure_bucket(bucket)
    config = {"bucket": bucket, "endpoint": bench.server.endpoint}
    client = ("import boto3; boto3.client('s3', region_name='us-east-1', "
              f"endpoint_url='{bench.server.endpoint}')")
    baselines = {"python -c pass": "pass", "import annexremote": "import annexremote",
                 "import boto3": "import boto3", "import boto3 + client": client}
    rows: dict[str, list[float]] = {}
    for rep in range(repeat):
        for name, seconds in startup_once(exe, bench.env, config).items():
            rows.setdefault(f"s3py: spawn to {name}", []).append(seconds)
        for name, code in rotate(list(baselines.items()), rep):
            rows.setdefault(name, []).append(python_seconds(code, bench.env))
    return rows


def import_check(bench: Bench) -> list[str]:
    """Modules the entry point imports before its first reply (-X importtime)."""
    exe = shutil.which("git-annex-remote-s3py", path=bench.env["PATH"])
    result = subprocess.run([sys.executable, "-X", "importtime", exe], input=HANDSHAKE + "\n",
                            env=bench.env, capture_output=True, text=True, timeout=60)
    heavy = sorted({line.split("|")[-1].strip().split(".")[0]
                    for line in result.stderr.splitlines() if "import time:" in line}
                   & {"boto3", "botocore", "s3transfer", "urllib3", "requests"})
    total = sum(int(line.split("|")[0].split(":")[1]) for line in result.stderr.splitlines()
                if line.startswith("import time:") and "self" not in line)
    return [f"modules imported before the first reply: {total / 1000:.0f} ms of imports "
            f"(self times summed); heavy ones loaded: {', '.join(heavy) or 'none'}"]


# -- memory -------------------------------------------------------------------------------------
def memory_check(bench: Bench, gib: float) -> list[str]:
    """Store and retrieve one big file through s3py; peak VmHWM of the remote process."""
    repo = make_annex_repo(bench.workdir / "memory", bench.env, {"README": b"memory check\n"})
    size = int(gib * 1024**3)
    with open(repo / "big.bin", "wb") as handle:
        block = os.urandom(8 * MiB)
        for _ in range(size // len(block)):
            handle.write(block)
    run(["git", "annex", "add", "-q", "big.bin"], repo, bench.env)
    run(["git", "commit", "-q", "-m", "big"], repo, bench.env)
    run(["git", "annex", "initremote", "s3py", "type=external", "externaltype=s3py",
         "encryption=none", f"bucket={bench.bucket('memory')}",
         f"endpoint={bench.server.endpoint}"], repo, bench.env)
    lines = []
    for step, args in (("store", ["copy", "--to", "s3py", "big.bin"]),
                       ("retrieve", ["get", "--from", "s3py", "big.bin"])):
        if step == "retrieve":
            run(["git", "annex", "drop", "--force", "-q", "big.bin"], repo, bench.env)
        measured = timed(["git", "annex", *args], repo, bench.env)
        verdict = "OK" if measured.peak_mib < 150 else "OVER 150 MiB"
        lines.append(f"{gib:g} GiB {step}: {measured.seconds:.1f} s, "
                     f"{size / MiB / measured.seconds:.0f} MiB/s, s3py peak RSS "
                     f"{measured.peak_mib:.0f} MiB ({verdict})")
    shutil.rmtree(repo / ".git" / "annex" / "objects", ignore_errors=True)
    return lines


# -- report -------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(bench: Bench) -> list[str]:
    rows = list(dict.fromkeys(row for row, _ in bench.results
                              if not row.startswith(FLOOR_PREFIX)))
    out = ["| row | built-in s | s3py s | s3py no-ASYNC s | s3py annex-verify=false s (get) "
           "| boto3 s "
           "| s3py/built-in | s3py/boto3 | s3py rate | s3py procs | s3py peak MiB |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cell = {who: median([m.seconds for m in bench.results.get((row, who), [])])
                for who in (BUILTIN, S3PY, NOASYNC, ANNEX_VERIFY_OFF, BOTO3)}
        ours = bench.results.get((row, S3PY), [])
        unit, amount = bench.units.get(row.split()[0], ("files/s", 0))
        rate = f"{amount / cell[S3PY]:.0f} {unit}" if amount else ""
        fmt = lambda v: "" if v != v else f"{v:.2f}"  # noqa: E731 (nan: not measured)
        out.append(
            f"| {row} | {fmt(cell[BUILTIN])} | {fmt(cell[S3PY])} | {fmt(cell[NOASYNC])} | "
            f"{fmt(cell[ANNEX_VERIFY_OFF])} | {fmt(cell[BOTO3])} | "
            f"{fmt(cell[S3PY] / cell[BUILTIN])} | {fmt(cell[S3PY] / cell[BOTO3])} | {rate} | "
            f"{max((m.procs for m in ours), default=0)} | "
            f"{max((m.peak_mib for m in ours), default=0):.0f} |")
    return out


def startup_table(rows: dict[str, list[float]]) -> list[str]:
    out = ["| start-up (spawn to ...) | median ms |", "|---|---|"]
    out += [f"| {name} | {median(values) * 1000:.0f} |" for name, values in rows.items()]
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=500, help="small files (default 500)")
    parser.add_argument("--large", type=int, default=4, help="large files (default 4)")
    parser.add_argument("--large-mib", type=int, default=64, help="MiB each (default 64)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (default 3)")
    parser.add_argument("--memory", action="store_true",
                        help="also store+retrieve a big file and check the peak RSS")
    parser.add_argument("--memory-only", action="store_true", help="only the memory check")
    parser.add_argument("--memory-gib", type=float, default=1.0)
    parser.add_argument("--skip", default="", help=f"comma list of: {','.join(ROWS)}")
    parser.add_argument("--only", default="", help="comma list of the rows to run (the same "
                        "names); --only scale runs the scale row alone")
    parser.add_argument("--scale", nargs="?", const=DEFAULT_SCALE, default=None,
                        metavar="N,N,...", help="also run the scale row for these numbers of "
                        f"small files (off by default; bare --scale or --only scale: "
                        f"{DEFAULT_SCALE})")
    parser.add_argument("--scale-verify-off-up-to", type=int, default=10_000, metavar="N",
                        help="the scale row's \"s3py annex-verify=false\" get runs only up to N "
                        "files (default 10000: at 100,000 files each row costs ~25 min here)")
    parser.add_argument("--scale-jobs", type=int, default=1, help="-J of the scale row "
                        "(default 1)")
    parser.add_argument("--results", type=Path, metavar="FILE", help="the scale row's results "
                        "file (JSON lines, one per operation): figures are added to it as each "
                        "operation ends and a run measures only what it lacks (default: a new "
                        "file in the work directory)")
    parser.add_argument("--tree-dir", type=Path, metavar="DIR", help="keep the scale row's "
                        "trees here (scale-N and scale-N.json) and reuse them while intact "
                        "(default: built in the work directory, removed with it)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        metavar="NAME,...", help="the scale row's contenders: "
                        f"{', '.join(CONTENDERS)} (default both)")
    parser.add_argument("--stop-at", metavar="HH:MM", help="the scale row starts no operation "
                        "after this time (the next HH:MM: tomorrow's if today's has passed)")
    parser.add_argument("--replot", action="store_true", help="no run: the scale table, "
                        "slopes and plot from --results alone")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, metavar="PATH",
                        help="the scale row's PNG (default docs/img/scale.png)")
    parser.add_argument("--floor-plot", type=Path, default=DEFAULT_FLOOR_PLOT, metavar="PATH",
                        help="the floor row's PNG (default docs/img/floor.png)")
    parser.add_argument("--server", choices=SERVER_KINDS, default="moto",
                        help="the S3 server on 127.0.0.1 (ceph and s3rver: make servers)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--on-disk", action="store_true", help="repositories in $TMPDIR "
                        "instead of on /dev/shm (on this VM's disk, write-back and discard "
                        "stalls of 0.4 s made rows with large files vary 2x between runs)")
    parser.add_argument("--git-annex", choices=("debian", "newest"), default="debian",
                        help="debian: the git-annex on PATH; newest: the pinned PyPI wheel "
                             "that `make annex-newest` installs")
    parser.add_argument("--no-lean", action="store_true", help="s3py sends every request "
                        "through botocore (the figures before the lean path)")
    options = parser.parse_args(argv)
    unknown = set(options.contenders.split(",")) - set(CONTENDERS)
    if unknown:
        parser.error(f"--contenders: unknown {', '.join(sorted(unknown))}; one or more of "
                     f"{', '.join(CONTENDERS)}")
    if options.replot and not options.results:
        parser.error("--replot draws from a results file: give --results FILE")
    if options.stop_at:
        try:
            options.stop_at = next_time(options.stop_at, datetime.datetime.now())
        except ValueError:
            parser.error(f"--stop-at {options.stop_at}: give HH:MM, e.g. 06:30")
    for flag, value in (("--skip", options.skip), ("--only", options.only)):
        unknown = set(filter(None, value.split(","))) - set(ROWS)
        if unknown:
            parser.error(f"{flag}: unknown rows {', '.join(sorted(unknown))}; rows: "
                         f"{', '.join(ROWS)}")
    return options


def next_time(hh_mm: str, now: datetime.datetime) -> datetime.datetime:
    """The first HH:MM after ``now``."""
    hour, minute = map(int, hh_mm.split(":"))
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + datetime.timedelta(days=1)


def chosen_rows(options: argparse.Namespace) -> tuple[set[str], list[int]]:
    """The rows to skip and the scale row's sizes ([] when it does not run)."""
    only = set(filter(None, options.only.split(",")))
    skip = set(filter(None, options.skip.split(","))) | (set(ROWS) - only if only else set())
    wanted = options.scale if options.scale else DEFAULT_SCALE if "scale" in only else ""
    if "scale" in skip or not wanted:
        return skip, []
    try:
        sizes = sorted({int(n) for n in wanted.split(",") if n.strip()})
    except ValueError:
        raise SystemExit(f"--scale {wanted}: give numbers of files, e.g. --scale "
                         f"{DEFAULT_SCALE}") from None
    if not sizes or sizes[0] < 1:
        raise SystemExit(f"--scale {wanted}: give numbers of files >= 1, e.g. --scale "
                         f"{DEFAULT_SCALE}")
    return skip, sizes


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if options.replot:
        return replot(options)
    if options.git_annex == "newest":
        if not (NEWEST_ANNEX_BIN / "git-annex").exists():
            raise SystemExit(f"{NEWEST_ANNEX_BIN}/git-annex is missing: run make annex-newest")
        os.environ[ANNEX_BIN_VAR] = str(NEWEST_ANNEX_BIN)  # isolated_env puts it first on PATH
    skip, scale_sizes = chosen_rows(options)
    on_tmpfs = not options.on_disk and os.path.isdir(SHM)
    workdir = Path(tempfile.mkdtemp(prefix="s3py-bench-", dir=SHM if on_tmpfs else None))
    print(f"starting {options.server}", flush=True)
    server = start_server(options.server)
    notes: list[str] = []
    startup: dict[str, list[float]] = {}
    scale: list[ScalePoint] = []
    try:
        bench = Bench(options, workdir, server)
        version = annex_version(bench.env)
        conditions = Conditions(version, options.server, options.scale_jobs)
        if not options.memory_only:
            run_rows(bench, skip)
            if "startup" not in skip:
                startup = startup_rows(bench, max(options.repeat, 5))
                notes += import_check(bench)
            if scale_sizes:
                settings = ScaleSettings(
                    options.scale_jobs, options.scale_verify_off_up_to,
                    tuple(options.contenders.split(",")),
                    options.results or workdir / "scale-results.jsonl",
                    options.tree_dir or workdir / "trees", options.stop_at)
                scale = ScaleRun(bench.server, bench.env, bench.tag, settings,
                                 conditions).run(scale_sizes)
        if options.memory or options.memory_only:
            notes += memory_check(bench, options.memory_gib)
    finally:
        server.stop()
        if not options.keep:
            remove_tree(workdir)
    print()
    print(f"git-annex {version}, {options.server} server, "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, repositories "
          f"{'on a tmpfs' if on_tmpfs else 'on disk'}")
    if any(not row.startswith(FLOOR_PREFIX) for row, _ in bench.results):
        print(f"small={options.small} large={options.large}x{options.large_mib}MiB "
              f"repeat={options.repeat}: medians; ratios are s3py time / other time")
        print("\n".join(table(bench)))
        if any(who == ANNEX_VERIFY_OFF for _, who in bench.results):
            print(f"- {ANNEX_VERIFY_OFF_NOTE}")
    if any(row.startswith(FLOOR_PREFIX) for row, _ in bench.results):
        print()
        print("floor row (scripts/bench/bench_floor.py): own cost = time above the floor "
              "(s3py: the raw-protocol external remote; built-in: the directory remote)")
        print("\n".join(floor_table(bench.results)))
        from bench_plot import plot_floor

        title = (f"floor and own cost: git-annex {version.split('-')[0]}, {options.server}, "
                 f"{options.small} small files, medians of {options.repeat}")
        print(f"- {plot_floor(floor_cells(bench.results), options.floor_plot, title)}")
    if startup:
        print()
        print("\n".join(startup_table(startup)))
    for line in notes:
        print(f"- {line}")
    if scale:
        report_scale(scale, options.plot, conditions)
    if scale_sizes and options.results:
        print(f"- results: {options.results} (run the same command again to measure what it "
              f"lacks; --replot for the table and plot alone)")
    return 0


def annex_version(env: dict[str, str]) -> str:
    return subprocess.run(["git", "annex", "version", "--raw"], text=True, env=env,
                          capture_output=True).stdout.strip()


def replot(options: argparse.Namespace) -> int:
    """``--replot``: the scale row's report from the results file alone."""
    points = ResultsFile(options.results).read()
    if not points or points[0].conditions is None:
        raise SystemExit(f"{options.results}: no scale results in it")
    report_scale(points, options.plot, points[0].conditions)
    return 0


def report_scale(points: list[ScalePoint], plot: Path, conditions: Conditions) -> None:
    """The scale table, the slopes and the plot."""
    from bench_plot import plot_scale

    print()
    print(f"scale row: git-annex {conditions.git_annex}, {conditions.server} server, "
          f"-J{conditions.jobs}, every request through the counting proxy (once per contender "
          "and operation)")
    print("\n".join(scale_table(points)))
    print(f"- measured by the code of {', '.join(sorted({p.code or '?' for p in points}))}")
    print(f"- {ANNEX_VERIFY_OFF_NOTE}")
    for line in slope_lines(points):
        print(f"- {line}")
    title = (f"ms per file vs N: git-annex {conditions.git_annex.split('-')[0]}, "
             f"{conditions.server}, -J{conditions.jobs}")
    print(f"- {plot_scale(points, plot, title)}")


def run_rows(bench: Bench, skip: set[str]) -> None:
    options = bench.options
    print(f"work directory {bench.workdir}; {options.server} at {bench.server.endpoint}",
          flush=True)
    if "import" not in skip and options.git_annex != "newest":
        print("import row: skipped (s3py imports with git-annex 10.20261026: --git-annex "
              "newest)", flush=True)
        skip = skip | {"import"}
    small_rows = {"small", "fsck", "export", "import", "floor"} - skip
    if small_rows:
        small = make_tree(bench.workdir / "small", bench.env, options.small, 1024, 20 * 1024,
                          1)
        bench.add_remotes(small, "small")
        bench.ensure_bucket(bench.bucket("small-raw"))
    if "floor" not in skip:
        floor_dirs = add_floor_remotes(small, bench.env, bench.workdir / "floor-stores")
    if "import" not in skip:
        import_bucket = fill_import_bucket(bench, small)
    if "large" not in skip:
        large = make_tree(bench.workdir / "large", bench.env, options.large,
                          options.large_mib * MiB, options.large_mib * MiB, 2)
        bench.add_remotes(large, "large")
        bench.ensure_bucket(bench.bucket("large-raw"))
    bench.units = {"small": ("files/s", options.small),
                   "large": ("MiB/s", options.large * options.large_mib)}
    if not small_rows and "large" in skip:
        return
    for rep in range(options.repeat):
        print(f"repeat {rep + 1}/{options.repeat}", flush=True)
        if "small" not in skip:
            for jobs in (1, 4):
                copy_get_rows(bench, small, "small", jobs, rep, options.small, jobs > 1)
        if "fsck" not in skip:
            if "small" in skip:
                copy_get_rows(bench, small, "small", 4, rep, options.small, False)
            fsck_row(bench, small, rep)
        if "large" not in skip:
            copy_get_rows(bench, large, "large", 1, rep, options.large, False)
        if "export" not in skip:
            export_row(bench, small, rep)
        if "import" not in skip:
            import_row(bench, import_bucket, rep)
        if "floor" not in skip:
            floor_rows(bench, small, rep, floor_dirs)


if __name__ == "__main__":
    sys.exit(main())
