"""Requests per file that s3py and git-annex's built-in S3 remote send for the floor row's
transfer commands (``copy --to``, ``get``, ``fsck --fast``), counted at the recording proxy
(scripts/bench/bench_proxy.py) in front of one server: each contender's HTTP methods per file,
the bucket's own requests (a HEAD of the bucket, a listing) apart.

    .venv/bin/python scripts/measure/count_requests.py [--files 20] [--jobs 1] \\
        [--server moto|ceph|s3rver]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts" / "bench"), str(ROOT / "tests")]
from bench_measure import make_tree  # noqa: E402
from bench_proxy import counting_proxy  # noqa: E402
from bench_servers import SERVER_KINDS, SHM, start_server  # noqa: E402
from support.local_s3 import isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

BUCKETS = {"s3py": "count-s", "built-in": "count-b"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--server", choices=SERVER_KINDS, default="moto")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s3py-count-", dir=SHM if Path(SHM).is_dir() else None))
    server = start_server(args.server)
    env = server.env(isolated_env(work / "home"))
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    proxy = counting_proxy(server.endpoint)
    proxy.start()
    try:
        repo = make_tree(work / "small", env, args.files, 1024, 20 * 1024, 1)
        server.client().create_bucket(Bucket=BUCKETS["built-in"])
        run(["git", "annex", "initremote", "built-in", "type=S3", "encryption=none",
             f"bucket={BUCKETS['built-in']}", *server.builtin_settings(proxy.endpoint)],
            repo, env)
        run(["git", "annex", "initremote", "s3py", "type=external", "externaltype=s3py",
             "encryption=none", f"bucket={BUCKETS['s3py']}", f"endpoint={proxy.endpoint}"],
            repo, env)
        jobs = f"-J{args.jobs}"
        commands = {f"copy --to {jobs}": lambda r: ["copy", "--to", r, jobs],
                    f"get {jobs}": lambda r: ["get", "--from", r, jobs],
                    "fsck --fast -J1": lambda r: ["fsck", "--fast", "--from", r, "-J1"]}
        print(f"{args.files} small files, {args.server}: requests per file at the proxy "
              "(object requests by method; the bucket's own requests in all)")
        print("| command | contender | object requests per file | bucket requests |")
        print("|---|---|---|---|")
        for label, command in commands.items():
            for remote, bucket in BUCKETS.items():
                if label.startswith("get"):
                    run(["git", "annex", "drop", "--force", "-q", "."], repo, env)
                mark = proxy.mark()
                run(["git", "annex", *command(remote), "-q", "."], repo, env)
                on_objects: collections.Counter[str] = collections.Counter()
                on_bucket: collections.Counter[str] = collections.Counter()
                for seen in proxy.since(mark):
                    whole = seen.path.strip("/") == bucket
                    (on_bucket if whole else on_objects)[seen.method] += 1
                per_file = ", ".join(f"{method} {count / args.files:.2f}"
                                     for method, count in sorted(on_objects.items()))
                bucket_side = ", ".join(f"{method} {count}"
                                        for method, count in sorted(on_bucket.items()))
                print(f"| {label} | {remote} | {per_file} | {bucket_side or '-'} |", flush=True)
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
