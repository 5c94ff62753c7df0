"""Import of a bucket of N small objects (filled with boto3): s3py ``importtree=yes``
``import --no-content`` (IMPORTKEY, keys from ETags) against the built-in ``type=S3`` remote
(``importtree=yes exporttree=yes``, which downloads every object), both through the recording
fault proxy in front of one moto server on 127.0.0.1: time, requests by method, bytes read and
the s3py remote's peak memory (VmHWM, scripts/bench/bench_measure.py).

    python scripts/measure/bench_import.py --objects 10000 --size 1024 [--jobs 1] [--s3py-only]

``--s3py-only`` leaves out the built-in (it downloads every object: hours at 10^5 and more).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from bench_measure import timed  # noqa: E402
from support.faultproxy import FaultProxy  # noqa: E402
from support.local_s3 import S3Server, isolated_env  # noqa: E402
from support.repos import run  # noqa: E402

BUCKET = "import-bench"
PREFIX = "data/"


def fill(server: S3Server, objects: int, size: int) -> None:
    client = server.client()
    client.create_bucket(Bucket=BUCKET)

    def put(number: int) -> None:
        body = number.to_bytes(8, "big") * (size // 8)
        client.put_object(Bucket=BUCKET, Key=f"{PREFIX}d{number % 100:02d}/f{number:06d}.bin",
                          Body=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(objects)))


def repo(base: Path, name: str, env: dict[str, str]) -> Path:
    path = base / name
    path.mkdir()
    run(["git", "init", "-q"], path, env)
    run(["git", "annex", "init", "-q"], path, env)
    return path


def timed_import(path: Path, env: dict[str, str], proxy: FaultProxy, options: list[str]
                 ) -> tuple[float, int, Counter, float]:
    """Seconds, GETs of objects, requests by method, the s3py remote's peak MiB."""
    mark = proxy.mark()
    measured = timed(["git", "annex", "import", "main", "--from", "lab", *options], path, env)
    seen = proxy.since(mark)
    got = sum(1 for request in seen
              if request.method == "GET" and request.path.startswith(f"/{BUCKET}/{PREFIX}"))
    return measured.seconds, got, Counter(request.method for request in seen), measured.peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--s3py-only", action="store_true", help="leave out the built-in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s3py-import-bench-") as tmp, S3Server() as server:
        base = Path(tmp)
        env = isolated_env(base / "home")  # S3PY_TEST_GIT_ANNEX_BIN picks the git-annex
        version = run(["git", "annex", "version", "--raw"], base, env).stdout.strip()
        start = time.monotonic()
        fill(server, args.objects, args.size)
        print(f"filled {args.objects} x {args.size} B in {time.monotonic() - start:.1f} s "
              f"(git-annex {version})", flush=True)
        proxy = FaultProxy(server.endpoint).start()
        port = proxy.endpoint.rsplit(":", 1)[1]
        try:
            jobs = [f"-J{args.jobs}"] if args.jobs > 1 else []
            ours = repo(base, "s3py", env)
            run(["git", "annex", "initremote", "lab", "type=external", "externaltype=s3py",
                 "importtree=yes", "encryption=none", f"bucket={BUCKET}",
                 f"fileprefix={PREFIX}", f"endpoint={proxy.endpoint}"], ours, env)
            built = repo(base, "builtin", env)
            run(["git", "annex", "initremote", "--force", "lab", "type=S3", "encryption=none",
                 f"bucket={BUCKET}", f"fileprefix={PREFIX}", "host=127.0.0.1", f"port={port}",
                 "protocol=http", "requeststyle=path", "signature=v4",
                 "datacenter=us-east-1", "importtree=yes", "exporttree=yes"], built, env)
            rows = [("s3py import --no-content", *timed_import(ours, env, proxy,
                                                               ["--no-content", *jobs]))]
            if not args.s3py_only:
                rows.append(("built-in S3 import", *timed_import(built, env, proxy, jobs)))
            print(f"| task ({args.objects} objects of {args.size} B, git-annex {version}, "
                  f"-J{args.jobs}) | seconds | ms/object | requests | GETs of objects | "
                  "bytes downloaded | s3py peak MiB |")
            print("|---|---|---|---|---|---|---|")
            for name, seconds, got, methods, peak in rows:
                requests = ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
                print(f"| {name} | {seconds:.1f} | {seconds * 1000 / args.objects:.2f} | "
                      f"{requests} | {got} | {got * args.size} | "
                      f"{f'{peak:.0f}' if peak else ''} |")
        finally:
            proxy.stop()


if __name__ == "__main__":
    main()
