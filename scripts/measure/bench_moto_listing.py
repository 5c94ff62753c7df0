"""ListObjectsV2 pages per CPU second in moto's backend: moto's own method (O(bucket) per page)
against the import bench's index (tests/support/moto_listing.py, O(page)), on a bucket filled
as the import bench fills it (tests/support/moto_main.py ``fill``).

    python scripts/measure/bench_moto_listing.py [--objects 100000] [--pages 10]

Both walk the same listing (prefix ``data/``, no delimiter, 1,000 keys a page) by continuation
token; moto's own only its first ``--pages`` pages (each costs the whole bucket), the index all
of them (its first page includes the one sort of the names). CPU seconds (process_time), which
the machine's load moves less than wall seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tests" / "support"),
                str(Path(__file__).resolve().parents[2] / "tests")]
import moto_listing  # noqa: E402
from moto_main import fill  # noqa: E402

BUCKET, PREFIX = "listing-bench", "data/"


def walk(list_v2, backend, pages: int | None) -> tuple[int, float, float]:
    """(pages, CPU seconds of the first page, CPU seconds of all) of one listing."""
    bucket = backend.get_bucket(BUCKET)
    token, count, first, start = None, 0, 0.0, time.process_time()
    while pages is None or count < pages:
        _, truncated, token = list_v2(backend, bucket, PREFIX, None, token, None, 1000)
        count += 1
        if count == 1:
            first = time.process_time() - start
        if not truncated:
            break
    return count, first, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=10, help="pages of moto's own (default 10)")
    args = parser.parse_args()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    start = time.process_time()
    fill(BUCKET, PREFIX, args.objects, 1024)
    print(f"filled {args.objects} objects in {time.process_time() - start:.1f} CPU s")
    moto_listing.install()
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    print("| listing | objects | pages walked | CPU s, first page | CPU s, all | pages per CPU s |")
    print("|---|---|---|---|---|---|")
    for name, list_v2, pages in (("moto's own", moto_listing._moto_list_objects_v2, args.pages),
                                 ("sorted index", moto_listing.list_objects_v2, None)):
        count, first, total = walk(list_v2, backend, pages)
        print(f"| {name} | {args.objects} | {count} | {first:.3f} | {total:.2f} | "
              f"{count / total:.1f} |")


if __name__ == "__main__":
    main()
