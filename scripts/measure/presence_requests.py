"""Count the HEAD and LIST requests of ``copy --to`` (none present yet), ``fsck --fast --from``,
``copy --to`` (all present) and ``drop --from`` over N keys, against moto's server on
127.0.0.1 through the recording proxy (tests/support/faultproxy.py).

    .venv/bin/python scripts/measure/presence_requests.py [KEYS] [JOBS...]

Prints one line per command and -J value: HEAD, LIST and all requests (docs/benchmarks.md).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "bench"),  # scripts/bench/
                str(Path(__file__).resolve().parents[2] / "tests")]

from support.faultproxy import FaultProxy  # noqa: E402
from support.local_s3 import S3Server, isolated_env  # noqa: E402
from support.repos import initremote, make_annex_repo, run  # noqa: E402

COMMANDS = [("copy --to (none present)", ["copy", "--to", "s3"]),
            ("fsck --fast --from", ["fsck", "--fast", "--from", "s3"]),
            ("copy --to (all present)", ["copy", "--to", "s3"]),
            ("drop --from", ["drop", "--from", "s3"])]


def counts(proxy: FaultProxy, mark: int, bucket: str) -> tuple[int, int, int]:
    seen = proxy.since(mark)
    heads = sum(1 for r in seen if r.method == "HEAD" and r.path.strip("/") != bucket)
    lists = sum(1 for r in seen if r.method == "GET" and r.path.strip("/") == bucket)
    return heads, lists, len(seen)


def main() -> None:
    keys = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    jobs = [int(j) for j in sys.argv[2:]] or [1, 8]
    with S3Server() as server, tempfile.TemporaryDirectory() as tmp:
        proxy = FaultProxy(server.endpoint).start()
        try:
            for job in jobs:
                bucket = f"presence-j{job}"
                env = isolated_env(Path(tmp) / f"home{job}")
                files = {f"d/f{i:04d}": f"content {i}\n".encode() for i in range(keys)}
                repo = make_annex_repo(Path(tmp) / f"repo{job}", env, files)
                initremote(repo, env, "s3", proxy, bucket, "encryption=none", "fileprefix=p/")
                for label, command in COMMANDS:
                    mark = proxy.mark()
                    run(["git", "annex", *command, f"-J{job}", "."], repo, env)
                    heads, lists, total = counts(proxy, mark, bucket)
                    print(f"{label:26} -J{job}: {heads:4} HEAD {lists:3} LIST "
                          f"{total:4} requests", flush=True)
        finally:
            proxy.stop()


if __name__ == "__main__":
    main()
