"""ListedBucket never says "present" from a listing older than the request (issue #12).

moto in-process, a clock the test sets, and HeadObject requests counted as botocore sends them.
"""

from __future__ import annotations

import threading

import boto3
import pytest
from moto import mock_aws

from git_annex_remote_s3py.errors import ObjectNotFound
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.listing import ListedBucket

PREFIX = "p/"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def s3():
    """(our client, another client's client) on one fresh moto bucket with 40 objects."""
    with mock_aws():
        ours = boto3.client("s3", region_name="us-east-1")
        ours.create_bucket(Bucket="bkt")
        for i in range(40):
            ours.put_object(Bucket="bkt", Key=f"{PREFIX}k{i:02d}", Body=b"x" * i)
        yield ours, boto3.client("s3", region_name="us-east-1")


def count_heads(client) -> list[str]:
    """The key of every HeadObject the client sends from now on."""
    sent: list[str] = []
    client.meta.events.register("before-call.s3.HeadObject",
                                lambda params, **_: sent.append(params["url_path"]))
    return sent


def present(listed: ListedBucket, name: str) -> bool:
    try:
        listed.head(name)
    except ObjectNotFound:
        return False
    return True


def test_objects_deleted_by_another_client_are_never_present(s3):
    ours, other = s3
    listed = ListedBucket(Bucket(ours, "bkt"), PREFIX, threshold=8, clock=Clock())
    assert all(present(listed, f"{PREFIX}k{i:02d}") for i in range(8))  # the 8th lists
    victims = [f"{PREFIX}k{i:02d}" for i in range(20, 40)]
    for name in victims:
        other.delete_object(Bucket="bkt", Key=name)
    answered_present = [name for name in victims if present(listed, name)]
    assert answered_present == []  # was 20 of 20 before issue #12
    assert all(present(listed, f"{PREFIX}k{i:02d}") for i in range(8, 20))


def test_a_complete_listing_answers_absent_without_a_head(s3):
    ours, _ = s3
    clock = Clock()
    listed = ListedBucket(Bucket(ours, "bkt"), PREFIX, threshold=1, ttl=10, clock=clock)
    assert present(listed, f"{PREFIX}k05")  # lists: it arrived before the page
    heads = count_heads(ours)
    assert not present(listed, f"{PREFIX}missing")
    assert heads == []
    clock.now = 10.5  # stale, and the last listing answered nothing it saved: HEAD
    listed._hits, listed._misses = 0, 1
    assert not present(listed, f"{PREFIX}missing")
    assert heads == [f"/{PREFIX}missing"]


def test_the_request_that_lists_is_answered_from_it(s3):
    ours, _ = s3
    listed = ListedBucket(Bucket(ours, "bkt"), PREFIX, threshold=1, clock=Clock())
    heads = count_heads(ours)
    assert listed.head(f"{PREFIX}k07").size == 7
    assert heads == []
    assert listed.head(f"{PREFIX}k08").size == 8  # arrived after the listing: a HEAD
    assert heads == [f"/{PREFIX}k08"]


class GatedBucket:
    """A Bucket whose listing, after its first name, lets ``during`` run to its arrival."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        self.during: list = []

    def __getattr__(self, name: str):
        return getattr(self.bucket, name)

    def list(self, prefix: str):
        for index, item in enumerate(self.bucket.list(prefix)):
            yield item
            if index == 0:
                for action in self.during:
                    action()


def test_requests_waiting_for_the_listing_are_answered_from_names_fetched_after(s3):
    """A job that arrives while the listing runs waits for it; the names fetched after it
    arrived answer it, the ones fetched before are HEADed."""
    ours, _ = s3
    gated = GatedBucket(Bucket(ours, "bkt"))
    listed = ListedBucket(gated, PREFIX, threshold=1, clock=Clock())
    heads = count_heads(ours)
    answers: dict[str, int] = {}

    def job(name: str) -> None:
        answers[name] = listed.head(name).size

    jobs = [threading.Thread(target=job, args=(f"{PREFIX}{n}",)) for n in ("k00", "k30")]

    def start_jobs() -> None:  # both arrive after k00 was fetched, before k30 was
        with listed._changed:
            for thread in jobs:
                thread.start()
            listed._changed.wait_for(lambda: listed._arrived == 3, timeout=30)

    gated.during.append(start_jobs)
    assert listed.head(f"{PREFIX}k10").size == 10
    for thread in jobs:
        thread.join(timeout=30)
    assert answers == {f"{PREFIX}k00": 0, f"{PREFIX}k30": 30}
    assert heads == [f"/{PREFIX}k00"]


def test_writes_in_this_process_still_invalidate(s3, tmp_path):
    ours, _ = s3
    listed = ListedBucket(Bucket(ours, "bkt"), PREFIX, threshold=1, clock=Clock())
    assert not present(listed, f"{PREFIX}new")  # lists; absent from the complete listing
    heads = count_heads(ours)
    source = tmp_path / "new"
    source.write_bytes(b"12345")
    listed.put_file(f"{PREFIX}new", str(source), lambda _: None)
    assert listed.head(f"{PREFIX}new").size == 5
    listed.delete(f"{PREFIX}k03")
    assert not present(listed, f"{PREFIX}k03")
    assert heads == [f"/{PREFIX}new", f"/{PREFIX}k03"]
