"""CHECKPRESENT answered from one listing (store/listing.py ListedBucket) over an in-memory
bucket: fast, and never wrong about absence."""

from __future__ import annotations

from git_annex_remote_s3py.errors import AccessDenied, ObjectNotFound
from git_annex_remote_s3py.store.base import ObjectInfo
from git_annex_remote_s3py.store.listing import ListedBucket

NOT_LISTED = "absent without a HEAD"


class MemoryBucket:
    """The part of ``storage.Bucket`` that ListedBucket uses, kept in a dict."""

    def __init__(self, objects: dict[str, int], deny_list: bool = False) -> None:
        self.objects, self.deny_list = dict(objects), deny_list
        self.during_list: list = []
        self.heads = 0

    def list(self, prefix: str):
        if self.deny_list:
            raise AccessDenied("listing: access denied")
        for name, size in sorted(self.objects.items()):
            for action in self.during_list:
                action()
            self.during_list = []
            if name.startswith(prefix):
                yield name, size, "etag"

    def delete(self, name: str) -> None:
        self.objects.pop(name, None)

    def put_file(self, name: str, path: str, report, extra_args=None) -> ObjectInfo:
        self.objects[name] = len(path)  # here the "file name" stands for its content
        return ObjectInfo(len(path), "etag")

    def head(self, name: str, version_id=None):
        self.heads += 1
        if name not in self.objects:
            raise ObjectNotFound(name)
        return ObjectInfo(self.objects[name], "etag")


def asked(bucket: ListedBucket, names: list[str]) -> list[int | str | None]:
    """Per name: the size the listing answered, NOT_LISTED, or None where a HEAD was sent."""
    answers: list[int | str | None] = []
    for name in names:
        heads = bucket._bucket.heads
        try:
            size = bucket.head(name).size
        except ObjectNotFound:
            size = NOT_LISTED
        answers.append(None if bucket._bucket.heads > heads else size)
    return answers


def test_listing_answers_until_stale():
    """Present only for the request that started the listing (it arrived before the page);
    absent for any request while the complete listing is fresh."""
    now = [0.0]
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = ListedBucket(memory, "p/", threshold=2, ttl=10, clock=lambda: now[0])
    assert asked(bucket, ["p/a", "p/a", "p/b", "p/zz"]) == [None, 1, None, NOT_LISTED]
    now[0] = 11.0  # stale: the next question (the threshold is long past) lists again
    memory.objects.pop("p/a")  # removed behind this process's back
    assert asked(bucket, ["p/a", "p/b"]) == [NOT_LISTED, None]


def test_incomplete_listing_never_answers_absent():
    objects = {f"p/{i}": i for i in range(5)}
    bucket = ListedBucket(MemoryBucket(objects), "p/", threshold=1, max_objects=3)
    assert asked(bucket, ["p/0", "p/1", "p/4", "p/zz"]) == [0, None, None, None]


def test_names_written_here_are_asked_again():
    memory = MemoryBucket({"p/a": 1})
    bucket = ListedBucket(memory, "p/", threshold=1)
    assert asked(bucket, ["p/a", "p/new"]) == [1, NOT_LISTED]
    bucket.put_file("p/new", "12345", lambda _: None)
    bucket.delete("p/a")
    assert asked(bucket, ["p/new", "p/a"]) == [None, None]


def test_delete_while_listing_is_forgotten():
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = ListedBucket(memory, "p/", threshold=1)
    memory.during_list = [lambda: bucket.delete("p/b")]  # another job removes it meanwhile
    assert asked(bucket, ["p/a", "p/b", "p/zz"]) == [1, None, NOT_LISTED]


def test_listing_refused_falls_back_to_head_for_good():
    bucket = ListedBucket(MemoryBucket({"p/a": 1}, deny_list=True), "p/", threshold=1)
    assert asked(bucket, ["p/a", "p/a"]) == [None, None]
    assert bucket.head("p/a").size == 1


def test_a_slow_listing_stays_fresh_ten_times_as_long():
    """A listing that took 5 s answers absent for 50 s (PACE x its time), then lists again."""
    now = [0.0]
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = ListedBucket(memory, "p/", threshold=1, ttl=10, clock=lambda: now[0])
    memory.during_list = [lambda: now.__setitem__(0, now[0] + 5.0)]
    assert asked(bucket, ["p/a"]) == [1]  # listed from t=0 to t=5
    now[0] = 49.0
    memory.objects["p/new"] = 3  # stored by another client: absent until the next listing
    assert asked(bucket, ["p/zz", "p/new"]) == [NOT_LISTED, NOT_LISTED]
    now[0] = 51.0
    assert asked(bucket, ["p/new", "p/zz"]) == [3, NOT_LISTED]  # listed again


def test_a_large_prefix_is_complete_and_costs_8_bytes_a_name():
    """200,000 names: absent answers from the listing; what it keeps is their hashes, not a
    record per name (once 10,000 names at ~300 bytes each, then no absent answers above)."""
    import tracemalloc

    objects = {f"p/SHA256E-s{i}--{i:064x}.bin": i for i in range(200_000)}
    memory = MemoryBucket(objects)
    bucket = ListedBucket(memory, "p/", threshold=1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert asked(bucket, ["p/SHA256E-s7--" + f"{7:064x}.bin"]) == [7]
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2.5 * 1024**2, kept  # 1.6 MB of hashes
    heads = memory.heads
    assert asked(bucket, ["p/missing", "p/SHA256E-s3--" + f"{3:064x}.bin"]) == [NOT_LISTED, None]
    assert memory.heads == heads + 1  # the listed name not waited for: a HEAD
