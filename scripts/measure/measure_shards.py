"""The speed-up of N ``s3py-publish --shard I/N`` parts run at once on one bucket, against one
plain run (docs/publishing-hierarchies.md, "Speed-up of N parts on one bucket").

    .venv/bin/python scripts/measure/measure_shards.py [--datasets 16] [--files 20] [--kib 4]
                                               [--parts 1 2 4] [--rounds 2]

A hierarchy of ``--datasets`` DataLad datasets (a superdataset and subdatasets), each with
``--files`` annexed files of ``--kib`` KiB, on /dev/shm; moto on 127.0.0.1 (bodies on a tmpfs).
For each N, in interleaved rounds: a fresh copy of the hierarchy, N parts started at once (each
``-J 1``), the wall time until the last one ends, and the CPU seconds all of them used (user +
system of the children). The CPU seconds over the wall time say how many cores the parts kept
busy: a machine with C free cores cannot show a speed-up above C.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from bench_servers import SHM  # noqa: E402
from support.local_s3 import S3Server, isolated_env  # noqa: E402

MAKE = """
import os, sys
from pathlib import Path
import datalad.api as dl
root, count, files, size = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
top = dl.create(str(root), result_renderer="disabled")
names = ["."] + [f"sub-{i:03d}" for i in range(count - 1)]
for rel in names[1:]:
    top.create(rel, result_renderer="disabled")
for rel in names:
    for f in range(files):
        (root / rel / f"file-{f:04d}.bin").write_bytes(os.urandom(size))
top.save(recursive=True, message="data", result_renderer="disabled")
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def publish_parts(top: Path, parts: int, bucket: str, endpoint: str,
                  env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds of ``parts`` parts started at once."""
    cpu, start = children_cpu(), time.monotonic()
    shard = (["--shard", f"{{}}/{parts}"] if parts > 1 else [])
    running = [subprocess.Popen(["s3py-publish", str(top), "--bucket", bucket, "--endpoint",
                                 endpoint, "-J", "1", *[a.format(i) for a in shard]],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for i in range(parts)]
    for proc in running:
        _, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"a part failed: {err.decode()[-500:]}")
    return time.monotonic() - start, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=16)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--kib", type=int, default=4)
    parser.add_argument("--parts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3py-shards-", dir=SHM if Path(SHM).is_dir() else None))
    env = isolated_env(work / "home")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    server = S3Server(tmpdir=str(work))
    try:
        template = work / "template"
        subprocess.run([sys.executable, "-c", MAKE, str(template), str(args.datasets),
                        str(args.files), str(args.kib * 1024)], env=env, check=True,
                       capture_output=True)
        found: dict[int, list[tuple[float, float]]] = {n: [] for n in args.parts}
        for round_ in range(args.rounds):
            for parts in args.parts:
                top = work / f"r{round_}-n{parts}"
                shutil.copytree(template, top, symlinks=True)
                found[parts].append(publish_parts(top, parts, f"shards-r{round_}-n{parts}",
                                                  server.endpoint, env))
                shutil.rmtree(top)
        base = statistics.median(w for w, _ in found[args.parts[0]])
        print(f"{args.datasets} datasets x {args.files} files of {args.kib} KiB, export mode, "
              f"moto; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; medians of "
              f"{args.rounds} rounds")
        print("| parts at once | wall s | speed-up | CPU s | cores kept busy |")
        print("|---|---|---|---|---|")
        for parts, points in found.items():
            wall = statistics.median(w for w, _ in points)
            cpu = statistics.median(c for _, c in points)
            print(f"| {parts} | {wall:.1f} | {base / wall:.2f} | {cpu:.1f} | {cpu / wall:.2f} |")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
