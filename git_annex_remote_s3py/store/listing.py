"""Answer presence checks that wait at one moment from one listing fetched after they all
arrived, else by HEAD.

``git annex fsck --fast --from``, a repeated ``copy --to`` or ``drop`` with ``-J`` ask
CHECKPRESENT for many keys at once (ASYNC jobs of one process); one LIST request returns
1,000 names with sizes and ETags.

The rule, in both directions: a listing answers only the requests that arrived before its
first page was asked for; anything the server said earlier is never an answer ("present" from
an old listing may lose the last copy; "absent" from one records stored keys missing, as
another process or clone may have stored them since). So requests are gathered in rounds:
while a listing runs, the requests that arrive wait for the next round, and the next listing
(begun after every one of them arrived) answers them all: present where listed with an ETag
(the size is checked by the caller), absent where its page range holds no such name. A round
lists only where it pays in time: where the prefix's pages take less time to list (as long as
the last listing took per page) than one HEAD takes here (a moving average): each ASYNC job
sends its HEAD on its own connection, side by side with the others, so the requests in flight
take about one HEAD's time by HEAD, while every one of them waits for the listing's pages.
No round lists before the server has answered a HEAD (what it is, and whether its listings
lag, is known only from an answer's headers: below); then one round lists (where more
requests are in flight than the prefix has pages, 1,000 names to a page) to learn what a page
costs. Otherwise, and for every request made alone (``-J1``), a HEAD. HEADs are also the
cheaper way on AWS, where a LIST request is priced as 12.5 HEADs: a listing costs less only
where it answers more requests than that.
A round stops once its pages cover every waiting name (S3 lists in name order) or after as
many pages as names wait; a name beyond the pages read is asked by HEAD.

Every store, copy or delete in this process makes its name unknown to a running round (HEAD).
A server whose listings lag behind its writes (OpenStack Swift: container listings held 87-201
of 203 objects after a node failure) never answers from a listing (``lagging_listings`` of the
bucket, told by its transaction id in any answer; a listing whose own answer is the first to
tell it, the HEADs before having carried none, answers nothing). A listing the server refuses
(no s3:ListBucket) turns listings off for the process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence, Union

from git_annex_remote_s3py.errors import ObjectNotFound, StorageError
from git_annex_remote_s3py.store.base import (
    Described,
    Listed,
    ObjectInfo,
    Report,
    Store,
    Upload,
    UploadArgs,
)

THRESHOLD = 8  # requests answered by HEAD before any listing (a short run never lists)
PAGE_NAMES = 1000  # names per listing page (S3's maximum, the lean path's page)
ABSENT = "absent"
Answer = Union[ObjectInfo, str]  # an ObjectInfo or ABSENT


@dataclass
class Round:
    """The requests that one listing answers: all arrived before it began."""

    names: set[str] = field(default_factory=set)
    answers: dict[str, Answer] = field(default_factory=dict)
    done: bool = False


class ListedBucket:
    """A ``base.Store`` in front of another (the signed ``Bucket``): its ``head`` answers from
    a listing where allowed, its writes forget their names; every other method is the inner
    store's."""

    def __init__(self, bucket: Store, prefix: str, *, threshold: int = THRESHOLD,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._bucket, self._prefix, self._threshold = bucket, prefix, threshold
        self._clock = clock  # seconds, for what HEADs and listings cost
        self._changed = threading.Condition()
        self._arrived = 0  # requests so far
        self._in_flight = 0  # presence requests being answered now
        self._listing = False  # a round's listing runs
        self._next: Round | None = None  # the round gathering requests for the next listing
        self._pages = 1  # pages a listing of the prefix takes (a lower bound until listed)
        self._head_seconds: float | None = None  # how long a HEAD takes (moving average)
        self._page_seconds: float | None = None  # how long the last listing took per page
        self._touched: set[str] = set()  # written or deleted here while the listing runs
        self._disabled = False
        self.listed_rounds = 0  # listings made (tests and benchmarks read it)

    # -- presence ---------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """What the object is now: from a listing begun after this request arrived, else a
        HEAD. Raises ``ObjectNotFound`` for a real 404 or a name such a listing lacks."""
        with self._changed:
            self._in_flight += 1
        try:
            answer = None if version_id is not None else self._from_listing(name)
            if answer == ABSENT:
                raise ObjectNotFound(f"{name}: not in a listing of the prefix begun after the "
                                     "request")
            if isinstance(answer, ObjectInfo):
                return answer
            return self._timed_head(name, version_id)
        finally:
            with self._changed:
                self._in_flight -= 1

    def _timed_head(self, name: str, version_id: str | None) -> ObjectInfo:
        """A HEAD; the time of one the server answered (found or not) joins the average."""
        began = self._clock()
        try:
            info = self._bucket.head(name, version_id)
        except ObjectNotFound:
            self._answered_head(self._clock() - began)
            raise
        self._answered_head(self._clock() - began)
        return info

    def _answered_head(self, seconds: float) -> None:
        with self._changed:
            last = self._head_seconds
            self._head_seconds = seconds if last is None else 0.8 * last + 0.2 * seconds

    def _from_listing(self, name: str) -> Answer | None:
        """ObjectInfo, ABSENT, or None (ask by HEAD)."""
        with self._changed:
            self._arrived += 1
            self._changed.notify_all()  # an arrival is a change too (tests wait for one)
            if self._disabled or self._bucket.lagging_listings():
                return None
            if self._listing or self._next is not None:
                round_ = self._join_next(name)
            elif self._arrived > self._threshold and self._pays():
                round_ = Round({name})  # others are in flight: they gather behind it
                self._begin(round_)
            else:
                return None
            if round_.done:
                return round_.answers.get(name)
        self._run(round_)
        with self._changed:
            return round_.answers.get(name)

    def _join_next(self, name: str) -> Round:
        """Wait in the next round (lock held); the round, done or begun by this thread."""
        if self._next is None:
            self._next = Round()
        round_ = self._next
        round_.names.add(name)
        while not round_.done and (self._listing or self._next is not round_):
            self._changed.wait()
        if round_.done:
            return round_
        self._next = None  # this thread begins it
        if not self._pays():  # HEADs are cheaper
            round_.done = True
            self._changed.notify_all()
            return round_
        self._begin(round_)
        return round_

    def _pays(self) -> bool:
        """Whether listing the prefix now ends sooner than a HEAD would (lock held): the
        HEADs of the requests in flight run side by side (one connection per job)."""
        if self._in_flight < 2:
            return False  # one request: its HEAD is never dearer than a listing
        if self._head_seconds is None:
            return False  # no answer yet: whether the server's listings lag is unknown
        if self._page_seconds is None:
            return self._in_flight > self._pages  # one listing learns what a page costs
        return self._pages * self._page_seconds < self._head_seconds

    def _begin(self, round_: Round) -> None:
        self._listing, self._touched = True, set()
        self.listed_rounds += 1
        self._changed.notify_all()  # a listing begun is a change too (tests wait for one)

    def _run(self, round_: Round) -> None:
        """List until every waiting name is covered (or as many pages as names wait); answer
        each waiting name from it."""
        listed: dict[str, tuple[int, str]] = {}
        last, count, complete, disabled = "", 0, False, False
        highest, budget = max(round_.names), len(round_.names) * PAGE_NAMES
        began = self._clock()
        try:
            for name, size, etag in self._bucket.list(self._prefix):
                count += 1
                last = name
                if name in round_.names:
                    listed[name] = (size, etag)
                if name >= highest and count % PAGE_NAMES == 0 or count >= budget:
                    break  # the page holding the last waiting name (or the budget) is read
            else:
                complete = True
        except StorageError:  # e.g. no s3:ListBucket permission: HEAD every time
            disabled = True
        # the listing's own answer may be the first to tell a server whose listings lag
        disabled = disabled or self._bucket.lagging_listings()
        with self._changed:  # every name up to ``last`` was read, in name order
            for name in round_.names:
                if disabled or name in self._touched:
                    continue
                if name in listed and listed[name][1]:
                    size, etag = listed[name]
                    round_.answers[name] = ObjectInfo(size, etag)
                elif name not in listed and (complete or name <= last):
                    round_.answers[name] = ABSENT
            pages = -(-count // PAGE_NAMES)
            self._page_seconds = (self._clock() - began) / max(1, pages)
            self._pages = max(1, pages) if complete else max(self._pages, pages + 1)
            self._disabled = self._disabled or disabled
            self._listing, round_.done = False, True
            self._changed.notify_all()

    def _forget(self, name: str) -> None:
        with self._changed:
            self._touched.add(name)

    # -- writes forget their names, before and after (a listing may run meanwhile) ------------
    def put_file(self, name: str, path: str, report: Report,
                 extra_args: UploadArgs | None = None, sha256: str | None = None) -> ObjectInfo:
        self._forget(name)
        try:
            return self._bucket.put_file(name, path, report, extra_args, sha256)
        finally:
            self._forget(name)

    def delete(self, name: str) -> None:
        self._forget(name)
        try:
            self._bucket.delete(name)
        finally:
            self._forget(name)

    def put_text(self, name: str, text: str, extra_args: UploadArgs | None = None,
                 if_absent: bool = False) -> None:
        self._forget(name)
        try:
            self._bucket.put_text(name, text, extra_args, if_absent)
        finally:
            self._forget(name)

    def copy(self, source: str, destination: str, extra_args: UploadArgs | None = None) -> None:
        self._forget(destination)
        try:
            self._bucket.copy(source, destination, extra_args)
        finally:
            self._forget(destination)

    # -- the inner store's, as they are ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self._bucket.name

    @property
    def inner(self) -> Store:
        """The store this one answers for (``store/open.py`` reaches its client)."""
        return self._bucket

    def describe(self, name: str, version_id: str | None = None) -> Described:
        return self._bucket.describe(name, version_id)

    def get_file(self, name: str, path: str, report: Report,
                 version_id: str | None = None, if_match: str | None = None,
                 verify: bool = True) -> int:
        return self._bucket.get_file(name, path, report, version_id, if_match, verify)

    def sha256_of(self, name: str, version_id: str | None, etag: str) -> tuple[str, int]:
        return self._bucket.sha256_of(name, version_id, etag)

    def get_text(self, name: str) -> str:
        return self._bucket.get_text(name)

    def presign(self, name: str, expires: int) -> str:
        return self._bucket.presign(name, expires)

    def list(self, prefix: str) -> Iterator[tuple[str, int, str]]:
        return self._bucket.list(prefix)

    def list_current(self, prefix: str) -> Iterator[Listed]:
        return self._bucket.list_current(prefix)

    def versioned(self) -> bool:
        return self._bucket.versioned()

    def exists(self) -> bool:
        return self._bucket.exists()

    def create(self, region: str) -> None:
        self._bucket.create(region)

    def remove(self) -> None:
        self._bucket.remove()

    def region(self) -> str | None:
        return self._bucket.region()

    def enable_versioning(self) -> None:
        self._bucket.enable_versioning()

    def lagging_listings(self) -> bool:
        return self._bucket.lagging_listings()

    def allow_public_reads(self) -> None:
        self._bucket.allow_public_reads()

    def plain_uploads(self) -> str:
        return self._bucket.plain_uploads()

    def public_acl_refused(self) -> str:
        return self._bucket.public_acl_refused()

    def list_uploads(self, prefix: str) -> Sequence[Upload]:
        return self._bucket.list_uploads(prefix)

    def abort_upload(self, upload: Upload) -> None:
        self._bucket.abort_upload(upload)

    def uploads_in_flight(self) -> bool:
        return self._bucket.uploads_in_flight()

    def abort_uploads_in_flight(self, within: float) -> int:
        return self._bucket.abort_uploads_in_flight(within)
