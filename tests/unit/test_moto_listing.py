"""The import bench's O(page) ListObjectsV2 (tests/support/moto_listing.py) answers exactly
what moto's own does: the same pages (keys and CommonPrefixes, in order), truncation and
continuation tokens, for every prefix, delimiter, page size and start-after tried, on a
versioned bucket with delete markers, after puts and deletes (a few: folded in by bisect; many:
one sort)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeKey, S3Backend, s3_backends
from support import moto_listing

BUCKET = "listing-index"


def names() -> list[str]:
    """~2,500 names with the edges of a delimited listing: names equal to a prefix, names
    that sort just before and after the delimiter (``-`` < ``/`` < ``0``), nested folders."""
    out = [f"a/d{n % 7}/f{n:04d}" for n in range(1200)]
    out += [f"a/d{n % 3}-x/g{n}" for n in range(300)]
    out += [f"a/d{n % 5}0/h{n}" for n in range(300)]
    out += [f"a/e{n:03d}" for n in range(200)]
    out += ["a", "a/", "a/d1", "a/d1/", "a-", "a0", "b/c/d/e", "b/c//x", "zz", "/lead"]
    out += [f"b/{n % 11}/{n % 13}/k{n}" for n in range(500)]
    return out


@pytest.fixture
def backend() -> Iterator[S3Backend]:
    moto_listing.install()
    try:
        with mock_aws():
            s3 = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
            s3.create_bucket(BUCKET, "us-east-1")
            s3.put_bucket_versioning(BUCKET, "Enabled")
            for name in names():
                s3.put_object(BUCKET, name, b"x", disable_notification=True)
            yield s3
    finally:
        moto_listing.uninstall()


def pages(list_v2: Any, s3: S3Backend, prefix: str | None, delimiter: str | None,
          max_keys: int, start_after: str | None) -> list[tuple[list[str], bool, str | None]]:
    """Every page of one listing, as (names, truncated, token), following the tokens."""
    out, token = [], None
    bucket = s3.get_bucket(BUCKET)
    while True:
        items, truncated, token = list_v2(s3, bucket, prefix, delimiter, token, start_after,
                                          max_keys)
        out.append(([item.name if isinstance(item, FakeKey) else "prefix:" + item
                     for item in items], truncated, token))
        if not truncated:
            return out


def assert_same(s3: S3Backend) -> int:
    """Every listing tried answers the same by both; the number of pages compared."""
    compared = 0
    for prefix in (None, "a/", "a", "a/d1", "b/c/", "nothing/"):
        for delimiter in (None, "/", "-", "/d"):
            for max_keys, start_after in ((1000, None), (197, None), (197, "a/d1/f0500"),
                                          (197, "a/d1/"), (0, None)):
                ours = pages(moto_listing.list_objects_v2, s3, prefix, delimiter, max_keys,
                             start_after)
                theirs = pages(moto_listing._moto_list_objects_v2, s3, prefix, delimiter,
                               max_keys, start_after)
                assert ours == theirs, (prefix, delimiter, max_keys, start_after)
                compared += len(ours)
    for prefix, delimiter in (("a/d1", "/"), ("b/", "/")):  # one item a page: every boundary
        assert (pages(moto_listing.list_objects_v2, s3, prefix, delimiter, 1, None)
                == pages(moto_listing._moto_list_objects_v2, s3, prefix, delimiter, 1, None))
    return compared


def test_pages_are_moto_s_own(backend: S3Backend) -> None:
    assert backend.list_objects_v2 is not moto_listing._moto_list_objects_v2  # installed
    assert assert_same(backend) > 100


def test_after_deletes_and_puts(backend: S3Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_listing, "_FEW", 10)
    for name in ("a/d1/f0001", "a/d1/", "a", "b/c//x"):  # versioned: delete markers
        backend.delete_object(BUCKET, name)
    backend.put_bucket_versioning(BUCKET, "Suspended")
    backend.get_bucket(BUCKET).keys.pop("a/e010")  # the name is gone from the store
    for name in ("a/d1/f00005", "a/new/one", "a/d1", "c"):  # a few: folded in by bisect
        backend.put_object(BUCKET, name, b"y", disable_notification=True)
    assert_same(backend)
    for number in range(11):  # many (more than _FEW): one sort
        backend.put_object(BUCKET, f"a/many/m{number:05d}", b"z", disable_notification=True)
    assert_same(backend)
    listed = pages(moto_listing.list_objects_v2, backend, "a/", "/", 1000, None)
    listed_names = [name for page in listed for name in page[0]]
    assert "prefix:a/many/" in listed_names and "a/e010" not in listed_names
    assert "prefix:a/new/" in listed_names
