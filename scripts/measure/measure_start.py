"""The remote's own CPU at the floor rows' scale, without git-annex: its start (to
PREPARE-SUCCESS and the first CHECKPRESENT answered) and each further CHECKPRESENT, driven over
pipes by this script playing git-annex (tests/support/pipes.py ``RemotePipe``, the ASYNC
framing git-annex 10.2023+ uses) against moto's server in its own process.

    .venv/bin/python scripts/measure/measure_start.py [--starts 20] [--checks 300]
    .venv/bin/python scripts/measure/measure_start.py --callgrind [--checks 50]
    .venv/bin/python scripts/measure/measure_start.py --revision /tmp/before
    .venv/bin/python scripts/measure/measure_start.py --callgrind --no-async

CPU = user + system seconds of the remote process (and the ``git config`` it runs), from the
rusage of finished children: moto's own CPU is not in it. Figures are medians over ``--starts``
processes of each kind: "start" (EXTENSIONS, PREPARE, one CHECKPRESENT, end of input) and
"start + N checks"; per check = the difference / (N - 1). ``--callgrind`` counts the
instructions of each kind instead, under ``valgrind --tool=callgrind`` (load-independent; one
process each; ``--callgrind-out DIR`` keeps the profiles for callgrind_annotate).
``--revision TREE`` measures the package in TREE (a directory holding
``git_annex_remote_s3py``, compiled with ``python -m compileall TREE``) beside this checkout's.
Byte code is compiled first: without it every start compiles the package again.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests")]
from support.local_s3 import S3Server, isolated_env  # noqa: E402
from support.pipes import RemotePipe, annex_key  # noqa: E402

from git_annex_remote_s3py.cli import NO_ASYNC_ENV  # noqa: E402

BUCKET, PREFIX = "start-cpu", "m/"
EXTENSIONS = "EXTENSIONS INFO GETGITREMOTENAME ASYNC"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_process(env: dict[str, str], cwd: Path, config: dict[str, str],
                keys: list[str]) -> float:
    """CPU seconds of one remote that starts, answers a CHECKPRESENT of each key (one at a
    time, as at -J1) and ends; in ASYNC mode unless ``env`` makes the remote refuse it."""
    before = children_cpu()
    remote = RemotePipe(env, config, cwd)
    refused = env.get(NO_ASYNC_ENV, "") not in ("", "0")
    job = "" if refused else "J 1 "
    assert remote.request(EXTENSIONS) == ("EXTENSIONS INFO" if refused
                                          else "EXTENSIONS INFO ASYNC")
    assert remote.request(f"{job}PREPARE") == f"{job}PREPARE-SUCCESS"
    for key in keys:
        reply = remote.request(f"{job}CHECKPRESENT {key}")
        assert reply == f"{job}CHECKPRESENT-SUCCESS {key}", reply
    assert remote.close() == 0, remote.stderr()
    return children_cpu() - before


def wrapper(bin_dir: Path, tree: Path | None, callgrind_out: Path | None, label: str) -> None:
    """``git-annex-remote-s3py`` in ``bin_dir``: this checkout's or ``tree``'s package, under
    callgrind if asked."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    command = f'"{sys.executable}" -c "from git_annex_remote_s3py.cli import main; main()"'
    if callgrind_out is not None:
        command = (f"valgrind --tool=callgrind --callgrind-out-file={callgrind_out}/{label}.%p"
                   f" -q {command}")
    path = f'export PYTHONPATH="{tree}"\n' if tree else ""
    script = bin_dir / "git-annex-remote-s3py"
    script.write_text(f"#!/bin/sh\n{path}exec {command}\n")
    script.chmod(0o755)


def instructions(out: Path, label: str) -> int:
    """Instructions (Ir) of the callgrind profiles named ``label``.* (the remote, not git)."""
    total = 0
    for profile in out.glob(f"{label}.*"):
        for line in profile.read_text(errors="replace").splitlines():
            if line.startswith("summary:"):
                total += int(line.split()[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--callgrind-out", type=Path)
    parser.add_argument("--revision", type=Path, action="append", default=[], metavar="TREE")
    parser.add_argument("--no-async", action="store_true",
                        help="the remote refuses ASYNC (no job thread: requests as without it)")
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "git_annex_remote_s3py"), quiet=1)
    for tree in args.revision:
        compileall.compile_dir(str(tree), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="s3py-start-"))
    out = args.callgrind_out or work / "callgrind"
    out.mkdir(parents=True, exist_ok=True)
    env = isolated_env(work / "home")
    if args.no_async:
        env[NO_ASYNC_ENV] = "1"
    repo = work / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    server = S3Server(tmpdir=str(work))
    try:
        client = server.client()
        client.create_bucket(Bucket=BUCKET)
        keys = []
        for number in range(args.checks):
            content = f"{number}\n".encode()
            keys.append(annex_key(content))
            client.put_object(Bucket=BUCKET, Key=PREFIX + keys[-1], Body=content)
        config = {"bucket": BUCKET, "endpoint": server.endpoint, "fileprefix": PREFIX}
        client.put_object(Bucket=BUCKET, Key=PREFIX + "annex-uuid",
                          Body=hashlib.sha256(b"x").hexdigest().encode())
        trees = [("this checkout", None)] + [(str(tree), tree) for tree in args.revision]
        for name, tree in trees:
            label = f"r{trees.index((name, tree))}"
            bin_dir = work / label
            wrapper(bin_dir, tree, out if args.callgrind else None, label)
            tree_env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}
            report(name, args, tree_env, repo, config, keys, out, label)
    finally:
        server.stop()
        if args.callgrind_out is None:
            shutil.rmtree(work, ignore_errors=True)


def report(name: str, args: argparse.Namespace, env: dict[str, str], repo: Path,
           config: dict[str, str], keys: list[str], out: Path, label: str) -> None:
    if args.callgrind:
        one_process(env, repo, config, keys[:1])
        start = instructions(out, label)
        for profile in out.glob(f"{label}.*"):
            profile.rename(profile.with_name(f"start-{profile.name}"))
        one_process(env, repo, config, keys)
        many = instructions(out, label)
        per_check = (many - start) / max(1, len(keys) - 1)
        print(f"{name}: start + 1 check {start / 1e6:.1f} M instructions, "
              f"+{len(keys)} checks {many / 1e6:.1f} M, per check {per_check / 1e3:.0f} k")
        return
    starts, manys = [], []
    for _ in range(args.starts):  # interleaved: the load moves both alike
        starts.append(one_process(env, repo, config, keys[:1]))
        manys.append(one_process(env, repo, config, keys))
    start, many = statistics.median(starts), statistics.median(manys)
    per_check = (many - start) / max(1, len(keys) - 1)
    print(f"{name}: start + 1 check {start * 1e3:.1f} ms CPU (min {min(starts) * 1e3:.1f}), "
          f"+{len(keys)} checks {many * 1e3:.0f} ms, per check {per_check * 1e3:.3f} ms "
          f"({args.starts} processes each; load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
