"""The remote's own CPU at the floor rows' scale, without git-annex: its start (to
PREPARE-SUCCESS and the first CHECKPRESENT answered) and each further CHECKPRESENT, driven over
pipes by this script playing git-annex (tests/support/pipes.py ``RemotePipe``, the ASYNC
framing git-annex 10.2023+ uses) against moto's server in its own process.

    .venv/bin/python scripts/measure/measure_start.py [--starts 20] [--checks 300]
    .venv/bin/python scripts/measure/measure_start.py --callgrind [--checks 50]
    .venv/bin/python scripts/measure/measure_start.py --revision /tmp/before
    .venv/bin/python scripts/measure/measure_start.py --callgrind --no-async
    .venv/bin/python scripts/measure/measure_start.py --callgrind --op store [--checks 50]
    .venv/bin/python scripts/measure/measure_start.py --callgrind --op store --under-git-annex

``--op store`` measures what ``copy --to`` asks per key instead (a CHECKPRESENT of an absent
key, then TRANSFER STORE of its small file, 1-20 KiB); ``--op retrieve`` what ``get`` asks
(TRANSFER RETRIEVE of a present small key). A "check" is then one such transfer.
``--under-git-annex`` starts the remote from a shell named ``git-annex`` (no ``--debug``):
the remote then behaves as under git-annex (no per-request DEBUG lines).

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
                keys: list[str], op: str = "check") -> float:
    """CPU seconds of one remote that starts, answers each key's requests (one key at a
    time, as at -J1: ``op``, see the module's text) and ends; in ASYNC mode unless ``env``
    makes the remote refuse it."""
    before = children_cpu()
    remote = RemotePipe(env, config, cwd)
    refused = env.get(NO_ASYNC_ENV, "") not in ("", "0")
    job = "" if refused else "J 1 "
    assert remote.request(EXTENSIONS) == ("EXTENSIONS INFO" if refused
                                          else "EXTENSIONS INFO ASYNC")
    assert remote.request(f"{job}PREPARE") == f"{job}PREPARE-SUCCESS"
    for key in keys:
        for request, expected in REQUESTS[op]:
            local_file = "" if request == "CHECKPRESENT" else f" {cwd / op / key}"
            reply = remote.request(f"{job}{request} {key}{local_file}")
            assert reply == f"{job}{expected} {key}", reply
    assert remote.close() == 0, remote.stderr()
    return children_cpu() - before


# what git-annex asks per key (and the reply it needs) in each measured operation
REQUESTS = {"check": [("CHECKPRESENT", "CHECKPRESENT-SUCCESS")],
            "store": [("CHECKPRESENT", "CHECKPRESENT-FAILURE"),
                      ("TRANSFER STORE", "TRANSFER-SUCCESS STORE")],
            "retrieve": [("TRANSFER RETRIEVE", "TRANSFER-SUCCESS RETRIEVE")]}


def wrapper(bin_dir: Path, tree: Path | None, callgrind_out: Path | None, label: str,
            under_git_annex: bool = False) -> None:
    """``git-annex-remote-s3py`` in ``bin_dir``: this checkout's or ``tree``'s package, under
    callgrind if asked; ``under_git_annex``: started by a process named ``git-annex`` (a
    shell, without --debug), so that the remote leaves out what git-annex would not show."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    command = f'"{sys.executable}" -c "from git_annex_remote_s3py.cli import main; main()"'
    if callgrind_out is not None:
        command = (f"valgrind --tool=callgrind --callgrind-out-file={callgrind_out}/{label}.%p"
                   f" -q {command}")
    path = f'export PYTHONPATH="{tree}"\n' if tree else ""
    script = bin_dir / "git-annex-remote-s3py"
    if under_git_annex:
        real = bin_dir / "remote"
        real.write_text(f"#!/bin/sh\n{path}exec {command}\n")
        real.chmod(0o755)
        command, path = f"-a git-annex /bin/bash -c '\"$0\"; exit $?' {real}", ""
    script.write_text(f"#!/bin/bash\n{path}exec {command}\n")
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
    parser.add_argument("--op", choices=sorted(REQUESTS), default="check")
    parser.add_argument("--under-git-annex", action="store_true",
                        help="the remote's parent named git-annex (no --debug), as in use")
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
        (repo / args.op).mkdir()
        for number in range(args.checks):
            content = small_content(number) if args.op != "check" else f"{number}\n".encode()
            keys.append(annex_key(content))
            if args.op == "store":
                (repo / "store" / keys[-1]).write_bytes(content)
            else:
                client.put_object(Bucket=BUCKET, Key=PREFIX + keys[-1], Body=content)
        config = {"bucket": BUCKET, "endpoint": server.endpoint, "fileprefix": PREFIX}
        client.put_object(Bucket=BUCKET, Key=PREFIX + "annex-uuid",
                          Body=hashlib.sha256(b"x").hexdigest().encode())
        trees = [("this checkout", None)] + [(str(tree), tree) for tree in args.revision]
        for name, tree in trees:
            label = f"r{trees.index((name, tree))}"
            bin_dir = work / label
            wrapper(bin_dir, tree, out if args.callgrind else None, label,
                    args.under_git_annex)
            tree_env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}
            report(name, args, tree_env, repo, config, keys, out, label, client)
    finally:
        server.stop()
        if args.callgrind_out is None:
            shutil.rmtree(work, ignore_errors=True)


def small_content(number: int) -> bytes:
    """A small file's bytes, 1-20 KiB as the floor row's (the same for every revision)."""
    size = 1024 + (number * 7919) % (19 * 1024)
    return (hashlib.sha256(str(number).encode()).digest() * (size // 32 + 1))[:size]


def removed(client: object, repo: Path, keys: list[str], op: str) -> list[str]:
    """``keys``, after removing what an earlier run made of them: a ``store`` run's objects,
    a ``retrieve`` run's files (each run transfers them again, whole)."""
    for key in keys:
        if op == "store":
            client.delete_object(Bucket=BUCKET, Key=PREFIX + key)  # type: ignore[attr-defined]
        elif op == "retrieve":
            (repo / op / key).unlink(missing_ok=True)
    return keys


def report(name: str, args: argparse.Namespace, env: dict[str, str], repo: Path,
           config: dict[str, str], keys: list[str], out: Path, label: str,
           client: object) -> None:
    op = args.op
    if args.callgrind:
        one_process(env, repo, config, removed(client, repo, keys[:1], op), op)
        start = instructions(out, label)
        for profile in out.glob(f"{label}.*"):
            profile.rename(profile.with_name(f"start-{profile.name}"))
        one_process(env, repo, config, removed(client, repo, keys, op), op)
        many = instructions(out, label)
        per_check = (many - start) / max(1, len(keys) - 1)
        print(f"{name}: start + 1 {op} {start / 1e6:.1f} M instructions, "
              f"+{len(keys)} {op}s {many / 1e6:.1f} M, per {op} {per_check / 1e3:.0f} k")
        return
    starts, manys = [], []
    for _ in range(args.starts):  # interleaved: the load moves both alike
        starts.append(one_process(env, repo, config, removed(client, repo, keys[:1], op), op))
        manys.append(one_process(env, repo, config, removed(client, repo, keys, op), op))
    start, many = statistics.median(starts), statistics.median(manys)
    per_check = (many - start) / max(1, len(keys) - 1)
    print(f"{name}: start + 1 {op} {start * 1e3:.1f} ms CPU (min {min(starts) * 1e3:.1f}), "
          f"+{len(keys)} {op}s {many * 1e3:.0f} ms, per {op} {per_check * 1e3:.3f} ms "
          f"({args.starts} processes each; load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
