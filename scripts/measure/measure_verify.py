"""``git-annex-remote-s3py verify`` against ``git annex fsck --from`` on the same remote, and
the upload cost of sending a SHA256 key's hash as the object checksum (docs/verify.md).

    .venv/bin/python scripts/measure/measure_verify.py [--files 300] [--kib 64] [--rounds 3]
                                               [--upload-mib 64]

moto on 127.0.0.1 (bodies on a tmpfs) behind the fault proxy, which counts the requests and
which object bodies were downloaded; repositories on /dev/shm. Each round times verify -J8,
fsck --from -J8 (downloads and hashes every object) and fsck --fast --from -J8 (CHECKPRESENT
only: a size, no content), in rotating order. Then single PUTs of one --upload-mib file through
s3py's store as the remote builds it: with the key's SHA-256 (x-amz-checksum-sha256, no pass
over the file) and without (today's CRC32 path, one pass to compute it), alternating.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]
from bench_servers import SHM, start_server  # noqa: E402
from support.faultproxy import FaultProxy  # noqa: E402
from support.local_s3 import isolated_env  # noqa: E402
from support.repos import initremote, make_annex_repo, run  # noqa: E402

from git_annex_remote_s3py.config import load_settings  # noqa: E402
from git_annex_remote_s3py.credentials import Credentials  # noqa: E402
from git_annex_remote_s3py.store.boto.client import LazyClient, build_client  # noqa: E402
from git_annex_remote_s3py.store.bucket import Bucket  # noqa: E402
from git_annex_remote_s3py.store.lean.eligibility import build_lean  # noqa: E402


def timed(command: list[str], repo: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(command, cwd=repo, env=env, capture_output=True, check=False)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--kib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--upload-mib", type=int, default=64)
    args = parser.parse_args()
    server = start_server("moto")
    proxy = FaultProxy(server.info.endpoint).start()
    work = Path(tempfile.mkdtemp(prefix="s3py-verify-", dir=SHM if os.path.isdir(SHM) else None))
    env = isolated_env(work / "home")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    try:
        files = {f"d/{i:04}.bin": os.urandom(args.kib * 1024) for i in range(args.files)}
        repo = make_annex_repo(work / "repo", env, files)
        initremote(repo, env, "s3", proxy, "measure-verify", "encryption=none")
        run(["git", "annex", "copy", "-q", "-J8", "--to", "s3", "."], repo, env)
        commands = {
            "verify -J8": ["git-annex-remote-s3py", "verify", "-J8"],
            "fsck --from -J8": ["git", "annex", "fsck", "-q", "--from", "s3", "-J8", "."],
            "fsck --fast --from -J8": ["git", "annex", "fsck", "-q", "--fast", "--from", "s3",
                                       "-J8", "."],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        gets: dict[str, int] = {}
        names = list(commands)
        for round_ in range(args.rounds):
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                mark = proxy.mark()
                times[name].append(timed(commands[name], repo, env))
                gets[name] = sum(1 for seen in proxy.since(mark) if seen.method == "GET"
                                 and seen.path.strip("/") != "measure-verify")
        print(f"{args.files} objects of {args.kib} KiB on moto, medians of {args.rounds}:")
        for name in commands:
            median = statistics.median(times[name])
            print(f"  {name:24} {median:6.2f} s  {args.files / median:7.0f} objects/s  "
                  f"{gets[name]} object GETs, {gets[name] * args.kib * 1024} bytes downloaded")
        measure_upload(server.info.endpoint, work, args.upload_mib, args.rounds * 2)
    finally:
        proxy.stop()
        server.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


def measure_upload(endpoint: str, work: Path, mib: int, rounds: int) -> None:
    settings = load_settings(lambda key: {"bucket": "measure-upload",
                                          "endpoint": endpoint}.get(key, ""))
    creds = Credentials("testing-access-key", "testing-secret-key", None, "test")
    bucket = Bucket(LazyClient(lambda: build_client(settings, creds)), "measure-upload",
                    lean=build_lean(settings, creds))
    bucket.boto.create("us-east-1")
    path = work / "upload.bin"
    data = os.urandom(mib * 1024**2)
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    times: dict[str, list[float]] = {"SHA-256 from the key": [], "CRC32 (computed)": []}
    for round_ in range(rounds):
        for name in sorted(times, reverse=bool(round_ % 2)):
            start = time.monotonic()
            bucket.put_file("upload.bin", str(path), lambda _: None,
                            sha256=digest if name.startswith("SHA") else None)
            times[name].append(time.monotonic() - start)
    print(f"one {mib} MiB single PUT through s3py's store (lean path), medians of {rounds}:")
    for name, values in times.items():
        print(f"  {name:24} {statistics.median(values):6.3f} s")


if __name__ == "__main__":
    main()
