"""Large files through s3py's store and through raw boto3, no git-annex in either: the
"large files at >= 90 % of raw boto3" question of issue #16 asked of the data path itself
(``make bench``'s boto3 column compares a whole ``git annex copy``/``get`` with boto3 alone).

    .venv/bin/python scripts/measure/measure_transfer.py [--server moto|ceph|s3rver] [--mib 64]
                                                 [--files 4] [--repeat 5]

One process, one server on 127.0.0.1 (scripts/bench/bench_servers.py; moto spools bodies on a
tmpfs), files on /dev/shm. Each round stores ``--files`` files and reads them back with
s3py's ``store.bucket.Bucket`` as the remote builds it (lean path, the checks it makes for a
key that git-annex does not hash: the strictest case; "length only" is a download of a key
git-annex hashes itself, docs/reliability.md rule 5) and with boto3's ``upload_file`` /
``download_file`` (its transfer manager, default settings: it checks a CRC32 where the server
sends one, nothing else), the two in alternating order. Prints the medians and the ratio
s3py / boto3 (below 1: s3py faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from bench_servers import SERVER_KINDS, SHM, start_server  # noqa: E402

from git_annex_remote_s3py.config import load_settings  # noqa: E402
from git_annex_remote_s3py.credentials import Credentials  # noqa: E402
from git_annex_remote_s3py.store.boto.client import LazyClient, build_client  # noqa: E402
from git_annex_remote_s3py.store.bucket import Bucket  # noqa: E402
from git_annex_remote_s3py.store.lean.eligibility import build_lean  # noqa: E402

MiB = 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=SERVER_KINDS, default="moto")
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    server = start_server(args.server)
    work = Path(tempfile.mkdtemp(dir=SHM if os.path.isdir(SHM) else None))
    try:
        client = server.client()
        client.create_bucket(Bucket="transfer")
        sources = []
        for number in range(args.files):
            path = work / f"src{number}"
            path.write_bytes(os.urandom(args.mib * MiB))
            sources.append(path)
        values = {"bucket": "transfer", "endpoint": server.endpoint}
        settings = load_settings(lambda name: values.get(name, ""))
        creds = Credentials(server.info.access_key, server.info.secret_key, None, "measure")
        bucket = Bucket(LazyClient(lambda: build_client(settings, creds)), "transfer",
                        lean=build_lean(settings, creds))

        def s3py_put() -> None:
            for number, path in enumerate(sources):
                bucket.put_file(f"s3py-{number}", str(path), lambda n: None)

        def s3py_get() -> None:
            for number in range(len(sources)):
                target = work / f"got-s3py-{number}"
                target.unlink(missing_ok=True)
                bucket.get_file(f"s3py-{number}", str(target), lambda n: None)

        def s3py_get_hashed_by_git_annex() -> None:  # a SHA256E key: the length only
            for number in range(len(sources)):
                target = work / f"got-s3py-{number}"
                target.unlink(missing_ok=True)
                bucket.get_file(f"s3py-{number}", str(target), lambda n: None, verify=False)

        def boto3_put() -> None:
            for number, path in enumerate(sources):
                client.upload_file(str(path), "transfer", f"boto3-{number}")

        def boto3_get() -> None:
            for number in range(len(sources)):
                client.download_file("transfer", f"boto3-{number}",
                                     str(work / f"got-boto3-{number}"))

        timings: dict[str, list[float]] = {}
        for rep in range(args.repeat):
            pairs = [("s3py", s3py_put, s3py_get), ("boto3", boto3_put, boto3_get)]
            for who, put, get in pairs if rep % 2 == 0 else pairs[::-1]:
                for what, action in (("store", put), ("retrieve", get)):
                    start = time.perf_counter()
                    action()
                    timings.setdefault(f"{who} {what}", []).append(time.perf_counter() - start)
            start = time.perf_counter()
            s3py_get_hashed_by_git_annex()
            timings.setdefault("s3py retrieve (length only)", []).append(
                time.perf_counter() - start)
        assert bucket.lean is not None, "the lean path handed over: the figures are botocore's"
        for number, path in enumerate(sources):
            assert (work / f"got-s3py-{number}").read_bytes() == path.read_bytes()
        print(f"{args.server}, {args.files} x {args.mib} MiB, {args.repeat} rounds, medians:")
        for what in ("store", "retrieve", "retrieve (length only)"):
            ours = statistics.median(timings[f"s3py {what}"])
            theirs = statistics.median(timings[f"boto3 {what.split()[0]}"])
            print(f"| {what} | s3py {ours:.2f} s | boto3 {theirs:.2f} s | "
                  f"s3py/boto3 {ours / theirs:.2f} |")
    finally:
        server.stop()
        for path in work.iterdir():
            path.unlink()
        work.rmdir()


if __name__ == "__main__":
    main()
