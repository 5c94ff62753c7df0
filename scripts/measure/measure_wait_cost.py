"""What git-annex and its helpers cost in CPU while they wait for an external remote: the floor
external remote (scripts/bench/bench_floor.py) answering each CHECKPRESENT at once, and the
same remote sleeping ``--delays`` seconds before each answer (as long as a HEAD to a server
takes), over ``fsck --fast`` of N small files, interleaved (rotated per round).

The remote's own CPU barely moves with a sleep; whatever CPU a command gains with the delay is
the cost of waiting itself (threads and processes that block and wake for every answer), a
part of every external remote's floor at that latency, not of the remote's work.

    .venv/bin/python scripts/measure/measure_wait_cost.py [--files 300] [--rounds 5] \\
        [--delays 0 0.001 0.004] [--jobs 1]
    S3PY_TEST_GIT_ANNEX_BIN=$PWD/.venv-annex-newest/annex-bin \\
        .venv/bin/python scripts/measure/measure_wait_cost.py
"""

from __future__ import annotations

import argparse
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
from bench_floor import FLOOR_REMOTE  # noqa: E402
from bench_measure import children_cpu, make_tree  # noqa: E402
from bench_servers import SHM  # noqa: E402
from support.local_s3 import isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

DELAY_ENV = "FLOOR_DELAY"
# the floor remote, sleeping $FLOOR_DELAY seconds before each CHECKPRESENT's answer
SLEEPING_REMOTE = FLOOR_REMOTE.replace("import os, shutil, sys", "import os, shutil, sys, time")
SLEEPING_REMOTE = SLEEPING_REMOTE.replace(
    '    elif command == "CHECKPRESENT":\n',
    '    elif command == "CHECKPRESENT":\n'
    f'        time.sleep(float(os.environ["{DELAY_ENV}"]))\n')
assert "time.sleep" in SLEEPING_REMOTE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 0.001, 0.004])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3py-wait-", dir=SHM if Path(SHM).is_dir() else None))
    try:
        env = isolated_env(work / "home")
        program = work / "bin" / "git-annex-remote-sleepy"
        program.parent.mkdir()
        program.write_text(SLEEPING_REMOTE)
        program.chmod(0o755)
        env["PATH"] = f"{program.parent}:{env['PATH']}"
        repo = make_tree(work / "small", env, args.files, 1024, 20 * 1024, 1)
        (work / "store").mkdir()
        run(["git", "annex", "initremote", "sleepy", "type=external", "externaltype=sleepy",
             "encryption=none", f"directory={work / 'store'}"], repo, env)
        run(["git", "annex", "copy", "--to", "sleepy", "-J4", "-q", "."], repo, {
            **env, DELAY_ENV: "0"})
        runs: dict[float, list[tuple[float, float]]] = {delay: [] for delay in args.delays}
        for round_ in range(args.rounds):
            shift = round_ % len(args.delays)
            for delay in args.delays[shift:] + args.delays[:shift]:
                cpu, began = children_cpu(), time.monotonic()
                subprocess.run(["git", "annex", "fsck", "--fast", "--from", "sleepy",
                                f"-J{args.jobs}", "-q", "."], cwd=repo, check=True,
                               env={**env, DELAY_ENV: str(delay)}, stdout=subprocess.DEVNULL)
                runs[delay].append((time.monotonic() - began, children_cpu() - cpu))
        report(runs, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(runs: dict[float, list[tuple[float, float]]], args: argparse.Namespace) -> None:
    print(f"fsck --fast -J{args.jobs} of {args.files} small files, floor external remote "
          f"sleeping before each answer; medians of {args.rounds}; load {os.getloadavg()}")
    print("| delay per check | wall s | CPU s (git-annex, git, remote) | CPU above no delay s "
          "| per check ms |")
    print("|---|---|---|---|---|")
    base = statistics.median(cpu for _, cpu in runs[args.delays[0]])
    for delay, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        print(f"| {delay * 1e3:g} ms | {wall:.2f} | {cpu:.3f} | {cpu - base:+.3f} | "
              f"{(cpu - base) / args.files * 1e3:+.3f} |")


if __name__ == "__main__":
    main()
