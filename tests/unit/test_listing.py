"""CHECKPRESENT answered from one listing (store/listing.py ListedBucket) over an in-memory
bucket: only requests that waited together, from a listing begun after they all arrived;
never an answer, either way, from a listing older than the request; never a listing before
the server answered (its kind, OpenStack Swift's lagging listings, shows in its answers).
Concurrency is made deterministic with gates (a HEAD or a listing held until the test opens
it). The cache is
tested alone, over a bucket in memory (store/open.py puts it in front of the signed bucket;
tests/store/test_listing_safety.py runs it there against moto)."""

from __future__ import annotations

import threading

import pytest
from support.clock import ManualClock

from git_annex_remote_s3py.errors import AccessDenied, ObjectNotFound, StorageError
from git_annex_remote_s3py.store.base import ObjectInfo
from git_annex_remote_s3py.store.listing import ListedBucket

ABSENT = "absent"
WAIT = 30  # seconds: a deadline, never a pause


class MemoryBucket:
    """The part of ``store.bucket.Bucket`` that ListedBucket uses, kept in a dict; ``list_gate`` and
    ``head_gate`` (when set) hold a listing / a HEAD until the test sets them."""

    def __init__(self, objects: dict[str, int], deny_list: bool = False) -> None:
        self.objects, self.deny_list = dict(objects), deny_list
        self.heads: list[str] = []
        self.listings = 0
        self.list_gate: threading.Event | None = None
        self.head_gate: threading.Event | None = None
        self.lagging = False
        self.clock = ManualClock()
        self.list_seconds = 0.001
        self.unreachable: set[str] = set()  # HEADs of these fail without an answer

    def list(self, prefix: str):
        if self.deny_list:
            raise AccessDenied("listing: access denied")
        self.listings += 1
        if self.list_gate is not None:
            assert self.list_gate.wait(WAIT)
        self.clock.advance(self.list_seconds)
        for name, size in sorted(self.objects.items()):
            if name.startswith(prefix):
                yield name, size, "etag"

    def delete(self, name: str) -> None:
        self.objects.pop(name, None)

    def lagging_listings(self) -> bool:
        return self.lagging

    def head(self, name: str, version_id=None):
        self.heads.append(name)
        if self.head_gate is not None:
            assert self.head_gate.wait(WAIT)
        self.clock.advance(1.0)
        if name in self.unreachable:
            raise StorageError(f"{name}: connection refused")
        if name not in self.objects:
            raise ObjectNotFound(name)
        return ObjectInfo(self.objects[name], "etag")


def answer(bucket: ListedBucket, name: str) -> int | str:
    try:
        return bucket.head(name).size
    except ObjectNotFound:
        return ABSENT


def answered_once(memory: MemoryBucket) -> ListedBucket:
    """A ListedBucket over ``memory`` whose server has answered a HEAD (made alone, then
    forgotten from ``memory.heads``): rounds list only after an answer."""
    bucket = ListedBucket(memory, "p/", threshold=0, clock=memory.clock)
    assert answer(bucket, "p/!first") == ABSENT
    memory.heads.clear()
    return bucket


class Requests:
    """Requests made from threads, as ASYNC jobs make them."""

    def __init__(self, bucket: ListedBucket) -> None:
        self.bucket, self.answers, self.threads = bucket, {}, []

    def start(self, *names: str) -> None:
        """Start one request per name; return once all of them arrived."""
        arrived = self.bucket._arrived + len(names)
        for name in names:
            thread = threading.Thread(target=self._ask, args=(name,))
            thread.start()
            self.threads.append(thread)
        with self.bucket._changed:
            assert self.bucket._changed.wait_for(lambda: self.bucket._arrived >= arrived, WAIT)

    def wait_for(self, condition) -> None:
        """Return once ``condition()`` holds (checked at each change of the bucket)."""
        with self.bucket._changed:
            assert self.bucket._changed.wait_for(condition, WAIT)

    def _ask(self, name: str) -> None:
        self.answers[name] = answer(self.bucket, name)

    def join(self) -> dict[str, int | str]:
        for thread in self.threads:
            thread.join(WAIT)
        return self.answers


def test_requests_made_one_at_a_time_are_heads():
    """-J1: a listing would answer one request for the price of a page: never listed."""
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = ListedBucket(memory, "p/", threshold=0, clock=memory.clock)
    assert [answer(bucket, n) for n in ("p/a", "p/a", "p/b", "p/zz")] == [1, 1, 2, ABSENT]
    assert memory.listings == 0 and len(memory.heads) == 4


def test_no_listing_before_the_server_answered():
    """Checks that wait together before any answer came back are HEADs: what the server is
    shows only in its answers (OpenStack Swift's transaction id: its listings lag behind
    writes), and a clean-clone ``fsck --fast -J8`` on Swift listed before its first HEAD
    came back. Once a HEAD was answered, checks waiting together share a listing."""
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = ListedBucket(memory, "p/", threshold=0, clock=memory.clock)
    requests = Requests(bucket)
    memory.head_gate = threading.Event()
    requests.start("p/a")  # a HEAD, held: nothing answered yet
    requests.start("p/b", "p/zz")  # in flight beside it: HEADs too (held)
    assert bucket.listed_rounds == 0
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2, "p/zz": ABSENT}
    assert memory.listings == 0 and sorted(memory.heads) == ["p/a", "p/b", "p/zz"]
    memory.head_gate.clear()
    requests = Requests(bucket)
    requests.start("p/a")  # held
    requests.start("p/b")  # beside it, after answers: a listing
    assert bucket.listed_rounds == 1
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2}
    assert memory.listings == 1 and memory.heads[3:] == ["p/a"]


def test_a_head_that_failed_is_no_answer():
    """A HEAD that got no answer (a refused connection) tells nothing of the server: checks
    waiting together afterwards are HEADs still."""
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    memory.unreachable = {"p/a"}
    bucket = ListedBucket(memory, "p/", threshold=0, clock=memory.clock)
    with pytest.raises(StorageError):
        bucket.head("p/a")
    memory.unreachable = set()
    requests = Requests(bucket)
    memory.head_gate = threading.Event()
    requests.start("p/a")
    requests.start("p/b")
    assert bucket.listed_rounds == 0
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2} and memory.listings == 0


def test_requests_waiting_together_share_one_listing_begun_after_they_arrived():
    memory = MemoryBucket({"p/a": 1, "p/b": 2, "p/c": 3})
    bucket = answered_once(memory)
    requests = Requests(bucket)
    memory.head_gate, memory.list_gate = threading.Event(), threading.Event()
    requests.start("p/a")  # a HEAD, held: one request in flight
    requests.start("p/b")  # in flight beside it: begins a listing (held)
    requests.start("p/c", "p/zz")  # arrive while it runs: wait for the next one
    memory.list_gate.set()
    requests.wait_for(lambda: bucket.listed_rounds == 2)  # a page (1 ms) < a HEAD (1 s)
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2, "p/c": 3, "p/zz": ABSENT}
    assert memory.heads == ["p/a"] and memory.listings == 2


def test_no_absent_from_a_listing_older_than_the_request():
    """Another client stores an object after a listing: later requests HEAD it (issue #23:
    fsck --fast beside copy recorded 144 of 302 stored keys missing)."""
    memory = MemoryBucket({"p/a": 1})
    bucket = answered_once(memory)
    requests = Requests(bucket)
    memory.head_gate = threading.Event()
    requests.start("p/a", "p/new")  # the second lists: p/new absent at that time
    memory.head_gate.set()
    assert requests.join()["p/new"] == ABSENT
    memory.objects["p/new"] = 5  # stored by another process
    assert answer(bucket, "p/new") == 5
    assert memory.heads[-1] == "p/new"


def test_a_write_here_while_the_listing_runs_is_asked_again():
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = answered_once(memory)
    requests = Requests(bucket)
    memory.head_gate, memory.list_gate = threading.Event(), threading.Event()
    requests.start("p/a")
    requests.start("p/b")  # lists, held
    assert bucket.listed_rounds == 1
    bucket.delete("p/b")  # another job removes it meanwhile
    memory.list_gate.set()
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": ABSENT}
    assert memory.heads == ["p/a", "p/b"]  # p/b: not from the listing


def test_listings_that_lag_never_answer():
    """A Swift server (its listings may miss recent writes): HEAD only."""
    memory = MemoryBucket({"p/a": 1})
    memory.lagging = True  # told by the first answer
    bucket = answered_once(memory)
    requests = Requests(bucket)
    memory.head_gate = threading.Event()
    requests.start("p/a", "p/zz")
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/zz": ABSENT}
    assert memory.listings == 0 and sorted(memory.heads) == ["p/a", "p/zz"]


def test_a_listing_whose_answer_tells_lagging_listings_answers_nothing():
    """Defence in depth: where the HEADs answered before carried none of Swift's headers and
    the listing's own answer is the first to tell a Swift server (its transaction id), the
    listing answers nothing: every waiting name is asked by HEAD, and no later round lists."""
    memory = MemoryBucket({"p/a": 1})  # p/b was just stored; the lagging listing misses it
    bucket = answered_once(memory)  # an answer that did not tell Swift
    requests = Requests(bucket)
    memory.head_gate, memory.list_gate = threading.Event(), threading.Event()
    requests.start("p/a")  # a HEAD, held
    requests.start("p/b")  # in flight beside it: begins a listing (held)
    requests.wait_for(lambda: bucket.listed_rounds == 1)
    memory.lagging = True  # the listing's answer carries Swift's x-trans-id
    memory.list_gate.set()
    requests.wait_for(lambda: "p/b" in memory.heads)  # asked by HEAD, not answered absent
    memory.objects["p/b"] = 2  # the HEAD sees the object (the listing did not)
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2}
    assert answer(bucket, "p/c") == ABSENT and memory.listings == 1


def test_listing_refused_falls_back_to_head_for_good():
    memory = MemoryBucket({"p/a": 1}, deny_list=True)
    bucket = answered_once(memory)
    requests = Requests(bucket)
    memory.head_gate = threading.Event()
    requests.start("p/a", "p/a")  # the second tries a listing: refused
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1}
    assert bucket._disabled and memory.heads == ["p/a", "p/a"]
    assert bucket.listed_rounds == 1


def test_a_large_prefix_reads_only_the_pages_it_needs():
    """5,000 names: a listing for one request reads one page (the one holding its name);
    then the prefix is known to take at least two, and three waiting requests read at most
    three: the name beyond them is asked by HEAD."""
    objects = {f"p/{i:05d}": i for i in range(5000)}
    memory = MemoryBucket(objects)
    bucket = answered_once(memory)
    requests = Requests(bucket)
    memory.head_gate, memory.list_gate = threading.Event(), threading.Event()
    requests.start("p/00000")
    requests.start("p/00007")  # lists alone (held)
    requests.start("p/00010", "p/02500", "p/04999")  # the next round: three pages at most
    memory.list_gate.set()
    requests.wait_for(lambda: bucket.listed_rounds == 2)  # 2 pages x 1 ms < a HEAD (1 s)
    memory.head_gate.set()
    assert requests.join() == {"p/00000": 0, "p/00007": 7, "p/00010": 10, "p/02500": 2500,
                               "p/04999": 4999}
    assert sorted(memory.heads) == ["p/00000", "p/04999"] and memory.listings == 2
    assert bucket._pages == 4


def test_a_listing_dearer_than_the_heads_it_saves_is_not_made_again():
    """A page takes 5 s here, a HEAD 1 s: after the first listing (made before a page's cost
    is known), three checks waiting together are HEADs."""
    memory = MemoryBucket({"p/a": 1, "p/b": 2, "p/c": 3})
    memory.list_seconds = 5.0
    bucket = answered_once(memory)  # a HEAD is known to take 1 s
    requests = Requests(bucket)
    memory.head_gate, memory.list_gate = threading.Event(), threading.Event()
    requests.start("p/a")
    requests.start("p/b")  # lists (held): a page's cost is not known yet
    requests.start("p/c", "p/zz")  # the next round: 3 in flight x 1 s < 1 page x 5 s
    memory.head_gate.set()
    memory.list_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2, "p/c": 3, "p/zz": ABSENT}
    assert memory.listings == 1 and sorted(memory.heads) == ["p/a", "p/c", "p/zz"]



def test_heads_side_by_side_beat_a_listing_slower_than_one_head():
    """A page takes 1.5 s here, a HEAD 1 s: three checks in flight would take 3 s one after
    another, but their HEADs run side by side (one connection per job) and end after about
    1 s, while all of them would wait 1.5 s for the listing: HEADs (moto under load: a
    listing of 300 names took 140-270 ms, a HEAD 9 ms)."""
    memory = MemoryBucket({"p/a": 1, "p/b": 2, "p/c": 3})
    memory.list_seconds = 1.5
    bucket = ListedBucket(memory, "p/", threshold=0, clock=memory.clock)
    assert answer(bucket, "p/a") == 1  # alone: a HEAD, known to take 1 s
    requests = Requests(bucket)
    memory.head_gate, memory.list_gate = threading.Event(), threading.Event()
    requests.start("p/b")  # alone: a HEAD (held)
    requests.start("p/c")  # beside it: lists (held) to learn what a page costs
    requests.start("p/zz", "p/a")  # the next round: 1 page x 1.5 s > 1 s
    memory.list_gate.set()
    requests.threads[1].join(WAIT)  # the listing took 1.5 s (p/b's HEAD still held)
    memory.head_gate.set()
    assert requests.join() == {"p/a": 1, "p/b": 2, "p/c": 3, "p/zz": ABSENT}
    assert memory.listings == 1 and sorted(memory.heads) == ["p/a", "p/a", "p/b", "p/zz"]
