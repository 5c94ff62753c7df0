"""The remote's code at two (or more) git revisions, A/B on the same repository and server:
``copy --to -J4`` (or at each ``--jobs``; after dropping every key from the remote) and
``fsck --fast --from -J8`` of N small files, interleaved rounds. Each revision's
``git_annex_remote_s3py`` is extracted with ``git archive`` (and compiled: without byte code
every start of the remote compiles the package again) and put first on ``PYTHONPATH`` of the
git-annex commands, so git-annex, the repository and the server stay the same and only the
remote's code differs. Requests go through the recording proxy of the scale row
(scripts/bench/bench_proxy.py), which counts each command's HEAD and LIST requests and, with
``--latency MS``, answers every request MS milliseconds late (a remote server's round trip:
real S3 answers a HEAD in 10-30 ms).

    .venv/bin/python scripts/measure/measure_revisions.py REV... [--files 300] [--rounds 2]
    .venv/bin/python scripts/measure/measure_revisions.py main HEAD --jobs 1 4
    .venv/bin/python scripts/measure/measure_revisions.py main HEAD --server ceph --latency 20
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
from bench_proxy import counting_proxy  # noqa: E402
from bench_servers import SERVER_KINDS, SHM, start_server  # noqa: E402
from support.faultproxy import FaultProxy, Rule  # noqa: E402
from support.local_s3 import isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

BUCKET = "revisions-bench"


def extract(revision: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision, "git_annex_remote_s3py"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into)], check=True)
    return into


def measured(command: list[str], repo: Path, env: dict[str, str], proxy: FaultProxy) -> str:
    """``command`` run once: "wall/CPU s, HEAD requests H, LIST requests L"."""
    mark, cpu = proxy.mark(), children_cpu()
    wall = timed(command, repo, env).seconds
    seen = proxy.since(mark)
    heads = sum(1 for r in seen if r.method == "HEAD" and r.path.strip("/") != BUCKET)
    lists = sum(1 for r in seen if r.method == "GET" and r.path.strip("/") == BUCKET)
    return f"{wall:.2f}/{children_cpu() - cpu:.2f} H{heads} L{lists}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, nargs="+", default=[4],
                        help="one copy --to column per -J value (e.g. --jobs 1 4)")
    parser.add_argument("--fsck-jobs", type=int, default=8)
    parser.add_argument("--server", choices=SERVER_KINDS, default="moto")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="answer every request MS milliseconds late (at the proxy)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3py-revisions-",
                                 dir=SHM if Path(SHM).is_dir() else None))
    server = start_server(args.server)
    env = server.env(isolated_env(work / "home"))
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    proxy = counting_proxy(server.endpoint)
    if args.latency:
        proxy.set_rules(Rule("stall", stall=args.latency / 1000))
    proxy.start()
    try:
        trees = {rev: extract(rev, work / f"rev{i}") for i, rev in enumerate(args.revisions)}
        repo = make_tree(work / "small", env, args.files, 1024, 20 * 1024, 1)
        run(["git", "annex", "initremote", "s3py", "type=external", "externaltype=s3py",
             "encryption=none", f"bucket={BUCKET}", f"endpoint={proxy.endpoint}"], repo, env)
        print(f"{args.files} small files, {args.server}, {args.latency:g} ms added per request;"
              " per round: wall/CPU seconds, HEAD (H) and LIST (L) requests")
        print("| revision | " + " | ".join(f"copy -J{j}" for j in args.jobs)
              + f" | fsck --fast -J{args.fsck_jobs} |")
        print("|---|" + "---|" * (len(args.jobs) + 1))
        for _ in range(args.rounds):
            for rev, tree in trees.items():
                e = dict(env, PYTHONPATH=str(tree))
                copies = []
                for jobs in args.jobs:
                    run(["git", "annex", "drop", "--from", "s3py", "--force", "-J4", "-q",
                         "."], repo, e)
                    copies.append(measured(["git", "annex", "copy", "--to", "s3py",
                                            f"-J{jobs}", "-q", "."], repo, e, proxy))
                fsck = measured(["git", "annex", "fsck", "--fast", "--from", "s3py",
                                 f"-J{args.fsck_jobs}", "-q", "."], repo, e, proxy)
                print(f"| {rev} | " + " | ".join(copies) + f" | {fsck} |", flush=True)
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
