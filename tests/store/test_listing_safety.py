"""ListedBucket never answers "present" (issue #12) nor "absent" (issue #23) from a listing
older than the request.

moto in-process, HeadObject requests counted as botocore sends them, concurrency made
deterministic by a held HEAD (``GatedBucket``). The signed bucket is the one a remote opens
(store/open.py, lean off for moto); the gate sits between it and the presence cache, so the
cache is built here around it (``threshold=0``: a listing whenever requests wait, once the
server answered a HEAD), as store/open.py builds it around the bare bucket.
"""

from __future__ import annotations

import threading

import boto3
import pytest
from moto import mock_aws
from support.clock import ManualClock
from support.stores import opened, signed

from git_annex_remote_s3py.errors import ObjectNotFound
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.listing import ListedBucket

PREFIX = "p/"


WAIT = 30  # seconds: a deadline, never a pause


@pytest.fixture
def s3():
    """(our signed bucket, another client) on one fresh moto bucket with 40 objects."""
    with mock_aws():
        other = boto3.client("s3", region_name="us-east-1")
        other.create_bucket(Bucket="bkt")
        for i in range(40):
            other.put_object(Bucket="bkt", Key=f"{PREFIX}k{i:02d}", Body=b"x" * i)
        yield signed(opened("bkt")), other


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


class GatedBucket:
    """A Bucket whose HEADs of ``held`` wait until ``gate`` is set; on ``clock`` a HEAD takes
    1 s and a listing no time, so that every round lists (a page ends sooner than a HEAD)."""

    def __init__(self, bucket: Bucket, held: str) -> None:
        self.bucket, self.held, self.gate = bucket, held, threading.Event()
        self.clock = ManualClock()

    def __getattr__(self, name: str):
        return getattr(self.bucket, name)

    def head(self, name: str, version_id=None):
        if name == self.held:
            assert self.gate.wait(WAIT)
        self.clock.advance(1.0)
        return self.bucket.head(name, version_id)


def listed_after_an_answer(gated: GatedBucket) -> ListedBucket:
    """The presence cache over ``gated``, after one HEAD the server answered (no round lists
    before an answer told what the server is)."""
    listed = ListedBucket(gated, PREFIX, threshold=0, clock=gated.clock)
    assert not present(listed, f"{PREFIX}!first")
    return listed


def together(listed: ListedBucket, gated: GatedBucket, names: list[str]) -> dict[str, bool]:
    """Ask ``gated.held`` (its HEAD held until the others are answered), then ``names``
    beside it; every answer."""
    answers: dict[str, bool] = {}

    def ask(name: str) -> None:
        answers[name] = present(listed, name)

    threads = []
    for name in [gated.held, *names]:
        arrived = listed._arrived + 1
        threads.append(threading.Thread(target=ask, args=(name,)))
        threads[-1].start()
        with listed._changed:
            assert listed._changed.wait_for(lambda n=arrived: listed._arrived >= n, WAIT)
    for thread in threads[1:]:
        thread.join(WAIT)
    gated.gate.set()
    threads[0].join(WAIT)
    gated.gate.clear()
    return answers


def test_waiting_requests_are_answered_by_a_listing_begun_after_them(s3):
    ours, _ = s3
    gated = GatedBucket(ours, f"{PREFIX}k00")
    listed = listed_after_an_answer(gated)
    heads = count_heads(ours.client)
    answers = together(listed, gated, [f"{PREFIX}k07", f"{PREFIX}missing"])
    assert answers == {f"{PREFIX}k00": True, f"{PREFIX}k07": True, f"{PREFIX}missing": False}
    assert heads == [f"/{PREFIX}k00"]  # the held one; the other two from one listing
    assert listed.listed_rounds >= 1  # one or two: the second name may arrive mid-listing


def test_objects_another_client_deletes_or_stores_after_a_listing(s3):
    """Deleted after the listing: never present; stored after it: never absent (issue #23:
    fsck --fast beside two copy -J4 recorded 144 of 302 stored keys missing)."""
    ours, other = s3
    gated = GatedBucket(ours, f"{PREFIX}k00")
    listed = listed_after_an_answer(gated)
    assert together(listed, gated, [f"{PREFIX}k01", f"{PREFIX}new"]) == {
        f"{PREFIX}k00": True, f"{PREFIX}k01": True, f"{PREFIX}new": False}
    assert listed.listed_rounds >= 1  # one or two: the second name may arrive mid-listing
    other.delete_object(Bucket="bkt", Key=f"{PREFIX}k01")
    other.put_object(Bucket="bkt", Key=f"{PREFIX}new", Body=b"stored meanwhile")
    heads = count_heads(ours.client)
    assert not present(listed, f"{PREFIX}k01") and present(listed, f"{PREFIX}new")
    assert heads == [f"/{PREFIX}k01", f"/{PREFIX}new"]


def test_writes_in_this_process_are_asked_again(s3, tmp_path):
    ours, _ = s3
    gated = GatedBucket(ours, f"{PREFIX}k00")
    listed = listed_after_an_answer(gated)
    assert together(listed, gated, [f"{PREFIX}new"])[f"{PREFIX}new"] is False
    assert listed.listed_rounds == 1
    heads = count_heads(ours.client)
    source = tmp_path / "new"
    source.write_bytes(b"12345")
    listed.put_file(f"{PREFIX}new", str(source), lambda _: None)
    assert listed.head(f"{PREFIX}new").size == 5
    listed.delete(f"{PREFIX}k03")
    assert not present(listed, f"{PREFIX}k03")
    assert heads == [f"/{PREFIX}new", f"/{PREFIX}k03"]
