"""The remote's code at two (or more) git revisions, A/B on the same repository and server:
``copy --to -J4`` (or at each ``--jobs``; after dropping every key from the remote) and
``fsck --fast --from -J8`` of N small files, interleaved rounds. Each revision's
``git_annex_remote_s3py`` is extracted with ``git archive`` and put first on ``PYTHONPATH``
of the git-annex commands, so git-annex, the repository and moto stay the same and only the
remote's code differs.

    .venv/bin/python scripts/measure/measure_revisions.py REV... [--files 300] [--rounds 2]
    .venv/bin/python scripts/measure/measure_revisions.py main HEAD --jobs 1 4
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts" / "bench"), str(ROOT / "tests")]
from bench_measure import children_cpu, make_tree, timed  # noqa: E402
from bench_servers import SHM  # noqa: E402
from support.local_s3 import S3Server, isolated_env  # noqa: E402
from support.repos import run  # noqa: E402


def extract(revision: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision, "git_annex_remote_s3py"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=[4],
                        help="one copy --to column per -J value (e.g. --jobs 1 4)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3py-revisions-",
                                 dir=SHM if Path(SHM).is_dir() else None))
    env = isolated_env(work / "home")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    server = S3Server(tmpdir=str(work))
    try:
        trees = {rev: extract(rev, work / f"rev{i}") for i, rev in enumerate(args.revisions)}
        repo = make_tree(work / "small", env, args.files, 1024, 20 * 1024, 1)
        run(["git", "annex", "initremote", "s3py", "type=external", "externaltype=s3py",
             "encryption=none", "bucket=revisions-bench", f"endpoint={server.endpoint}"],
            repo, env)
        print(f"{args.files} small files, moto; seconds per round")
        print("| revision | " + " | ".join(f"copy -J{j} (wall/CPU)" for j in args.jobs)
              + " | fsck --fast -J8 |")
        print("|---|" + "---|" * (len(args.jobs) + 1))
        for _ in range(args.rounds):
            for rev, tree in trees.items():
                e = dict(env, PYTHONPATH=str(tree))
                copies = []
                for jobs in args.jobs:
                    run(["git", "annex", "drop", "--from", "s3py", "--force", "-J4", "-q",
                         "."], repo, e)
                    cpu = children_cpu()
                    wall = timed(["git", "annex", "copy", "--to", "s3py", f"-J{jobs}", "-q",
                                  "."], repo, e).seconds
                    copies.append(f"{wall:.2f}/{children_cpu() - cpu:.2f}")
                fsck = timed(["git", "annex", "fsck", "--fast", "--from", "s3py", "-J8", "-q",
                              "."], repo, e)
                print(f"| {rev} | " + " | ".join(copies)
                      + f" | {fsck.seconds:.2f} |", flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
