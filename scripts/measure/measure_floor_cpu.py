"""CPU seconds beside wall seconds of the floor row's commands (``fsck --fast -J1``, ``fsck
--fast -J8``, ``copy --to -J4``, ``get -J4``, ``get -J1`` of N small files; ``--commands`` picks
some) for s3py, git-annex's built-in S3 remote and the two floors of
scripts/bench/bench_floor.py, interleaved (rotated per round), on one repository and one
server (``--server``: moto, or Ceph RGW, s3rver as scripts/bench/bench_servers.py starts them).

CPU = user + system seconds of git-annex and of every process it ran (the remotes, git),
read from the rusage of finished children; the server's own CPU is not in it. On a machine shared
with other jobs the wall times stretch with the CPU a command needs, while its CPU seconds
change little: the figure to compare where the load is high. Own cost = a contender's figure
above its floor (s3py above the floor external remote, the built-in above the directory
remote). "remote CPU" is the part of it spent in the external remote processes themselves
(s3py's, the floor external's: each is run by a wrapper that adds its child's CPU to a log);
the rest is git-annex's and git's. ``--revision TREE`` adds s3py run from another copy of the
package (a directory holding ``git_annex_remote_s3py``, put first on ``PYTHONPATH``; make it with
``git archive REV git_annex_remote_s3py | tar -x -C TREE``; this checkout's package and each
TREE are compiled first: where PYTHONDONTWRITEBYTECODE is set, without byte code every start
of the remote compiles the package again).

    .venv/bin/python scripts/measure/measure_floor_cpu.py [--files 300] [--rounds 3]
    S3PY_TEST_GIT_ANNEX_BIN=$PWD/.venv-annex-newest/annex-bin \\
        .venv/bin/python scripts/measure/measure_floor_cpu.py --revision /tmp/before
    .venv/bin/python scripts/measure/measure_floor_cpu.py --commands "copy -J4" "get -J1" \\
        --server ceph
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts" / "bench"), str(ROOT / "tests")]
from bench_floor import (  # noqa: E402
    FLOOR_DIRECTORY,
    FLOOR_EXTERNAL,
    add_floor_remotes,
    install_floor_remote,
)
from bench_measure import children_cpu, make_tree  # noqa: E402
from bench_servers import SERVER_KINDS, SHM, BenchServer, start_server  # noqa: E402
from support.local_s3 import isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

from git_annex_remote_s3py.cli import NO_ASYNC_ENV  # noqa: E402

COMMANDS = {"fsck --fast -J1": ("fsck", "--from", "--fast", "-J1"),
            "fsck --fast -J8": ("fsck", "--from", "--fast", "-J8"),
            "copy -J4": ("copy", "--to", "-J4"),
            "get -J4": ("get", "--from", "-J4"),
            "get -J1": ("get", "--from", "-J1")}
FLOOR_OF = {"s3py": "floor", "built-in": "floordir"}
BASE_CONTENDERS = ("s3py", "built-in", "floor", "floordir")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--revision", type=Path, action="append", default=[], metavar="TREE",
                        help="also s3py from this copy of the package (repeatable)")
    parser.add_argument("--no-async", action="store_true",
                        help="also s3py refusing ASYNC (one remote process per -J job)")
    parser.add_argument("--commands", nargs="+", choices=list(COMMANDS), default=list(COMMANDS))
    parser.add_argument("--server", choices=SERVER_KINDS, default="moto")
    parser.add_argument("--contenders", nargs="+", choices=list(BASE_CONTENDERS),
                        default=list(BASE_CONTENDERS),
                        help="of the four (an A/B of --revision trees may need s3py alone)")
    args = parser.parse_args()
    for tree in [ROOT / "git_annex_remote_s3py", *args.revision]:  # byte code: see above
        compileall.compile_dir(str(tree), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="s3py-floor-cpu-",
                                 dir=SHM if Path(SHM).is_dir() else None))
    server = start_server(args.server)
    env = server.env(isolated_env(work / "home"))
    install_floor_remote(work / "bin")
    env["PATH"] = f"{work / 'bin'}:{Path(sys.executable).parent}:{env['PATH']}"
    wrap_remotes(work / "wrap", env, work / "remote-cpu.log")
    try:
        measure(args, work, env, server)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


REMOTE_PROGRAMS = ("git-annex-remote-s3py", "git-annex-remote-floor")


def wrap_remotes(wrap_dir: Path, env: dict[str, str], log: Path) -> None:
    """Put first on ``env``'s PATH a wrapper of each external remote program that runs the
    real one and appends the CPU seconds of that process and of the wrapping shell (user +
    system, the shell's ``times``) to ``log``."""
    wrap_dir.mkdir()
    for name in REMOTE_PROGRAMS:
        real = shutil.which(name, path=env["PATH"])
        assert real, f"{name} is not on PATH"
        wrapper = wrap_dir / name
        wrapper.write_text(f'#!/bin/sh\n"{real}" "$@"\nstatus=$?\n'
                           f'times >> "{log}"\nexit $status\n')  # not in a pipe: a subshell
        wrapper.chmod(0o755)
    env["PATH"] = f"{wrap_dir}:{env['PATH']}"


def remote_cpu(log: Path) -> float:
    """CPU seconds the wrapped remotes logged (``times``' "0m0.31s 0m0.02s" lines); the log
    is emptied."""
    total = 0.0
    for line in log.read_text().splitlines() if log.exists() else []:
        for field in line.split():
            minutes, _, seconds = field.rstrip("s").partition("m")
            total += int(minutes) * 60 + float(seconds)
    log.write_text("")
    return total


def measure(args: argparse.Namespace, work: Path, env: dict[str, str],
            server: BenchServer) -> None:
    repo = make_tree(work / "small", env, args.files, 1024, 20 * 1024, 1)
    server.client().create_bucket(Bucket="floor-cpu-b")
    run(["git", "annex", "initremote", "built-in", "type=S3", "encryption=none",
         "bucket=floor-cpu-b", *server.builtin_settings(server.endpoint)], repo, env)
    run(["git", "annex", "initremote", "s3py", "type=external", "externaltype=s3py",
         "encryption=none", "bucket=floor-cpu-s", f"endpoint={server.endpoint}"], repo, env)
    dirs = add_floor_remotes(repo, env, work / "stores")
    floor_dirs = {"floor": dirs[FLOOR_EXTERNAL], "floordir": dirs[FLOOR_DIRECTORY]}
    for remote in ("s3py", "built-in", "floor", "floordir"):
        run(["git", "annex", "copy", "--to", remote, "-J4", "-q", "."], repo, env)
    contenders: list[tuple[str, str, dict[str, str]]] = [(r, r, env) for r in args.contenders]
    contenders += [(f"s3py {tree}", "s3py", dict(env, PYTHONPATH=str(tree)))
                   for tree in args.revision]
    if args.no_async:
        contenders.append(("s3py no-ASYNC", "s3py", dict(env, **{NO_ASYNC_ENV: "1"})))
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    log = work / "remote-cpu.log"
    for round_ in range(args.rounds):
        order = contenders[round_ % len(contenders):] + contenders[:round_ % len(contenders)]
        for command in args.commands:
            verb, direction, *options = COMMANDS[command]
            for label, remote, e in order:
                if verb == "get":  # every key absent here first
                    run(["git", "annex", "drop", "--force", "-q", "."], repo, e)
                if verb == "copy":  # every key absent from the remote first
                    if remote in floor_dirs:
                        shutil.rmtree(floor_dirs[remote])
                        floor_dirs[remote].mkdir()
                    else:
                        run(["git", "annex", "drop", "--from", remote, "--force", "-J4", "-q",
                             "."], repo, e)
                remote_cpu(log)
                cpu, began = children_cpu(), time.monotonic()
                subprocess.run(["git", "annex", verb, direction, remote, *options, "-q", "."],
                               cwd=repo, env=e, check=True, stdout=subprocess.DEVNULL)
                results.setdefault((command, label), []).append(
                    (time.monotonic() - began, children_cpu() - cpu, remote_cpu(log)))
    report(results, args.files, args.server)


def report(results: dict[tuple[str, str], list[tuple[float, float, float]]],
           files: int, server: str) -> None:
    median = {key: tuple(statistics.median(run[i] for run in runs) for i in range(3))
              for key, runs in results.items()}
    print(f"{files} small files, {server}; medians; CPU = git-annex and every process it ran; "
          f"remote CPU = the external remote processes' part of it; load {os.getloadavg()}")
    print("| command | contender | wall s | CPU s | remote CPU s | own wall s | own CPU s |")
    print("|---|---|---|---|---|---|---|")
    for (command, label), (wall, cpu, in_remote) in median.items():
        floor = FLOOR_OF.get(label.split(" ", 1)[0]) if not label.startswith("floor") else None
        own = median.get((command, floor)) if floor else None
        shown = f"{in_remote:.2f}" if label.split(" ", 1)[0] in ("s3py", "floor") else ""
        print(f"| {command} | {label} | {wall:.2f} | {cpu:.2f} | {shown} | "
              + (f"{wall - own[0]:.2f} | {cpu - own[1]:.2f} |" if own else "| |"))


if __name__ == "__main__":
    main()
