"""Answer presence checks from one listing of the prefix where that is safe, else by HEAD.

``git annex fsck --fast --from``, a repeated ``copy --to`` or ``drop`` ask CHECKPRESENT for every
key; one LIST request returns 1,000 names with sizes. After ``threshold`` checks in a process
the prefix is listed (at most ``max_objects`` names).

"Present" is the answer on which git-annex drops the last local copy, so it never rests on
anything the server said before the request arrived: a listed name answers present only for a
request that arrived before the page holding it was fetched (the request that started the
listing, and ASYNC jobs that arrived while it ran and waited for it). Every other request for
a listed name is a HEAD. Each request is numbered on arrival; the names of the requests that
wait for a listing are kept with the size, ETag and the number of requests that had arrived
before their page was asked for.

"Absent" (the safe direction) comes from a complete listing (every name under the prefix) that
is still fresh, also for requests that arrived after it: S3 listings are strongly consistent,
so a name missing from one was a 404 at that time, in a bucket we may list. A listing stays
fresh for ``ttl`` seconds, or ``PACE`` times as long as it took if that is longer, so that
listing a large prefix again costs at most a tenth of the time (10,000 names: 10 pages). The
price: an object another client stores meanwhile may read as absent, which makes the location
log wrong until the next check, but loses no data. Every store, copy or delete in this process
makes its name unknown to the listing (HEAD again), also while a listing runs.

Memory: a listed name costs 8 bytes (a sorted array of its hashes; a name whose hash is in it
but was not waited for is asked by HEAD, so a collision only costs a request): 1,000,000 names
(``MAX_OBJECTS``) take 8 MB; a prefix holding more is never complete, and is asked by HEAD.
"""

from __future__ import annotations

import threading
import time
from array import array
from bisect import bisect_left
from typing import Callable, Iterator

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

THRESHOLD = 8
TTL = 10.0
PACE = 10  # a listing stays fresh at least this many times as long as it took
MAX_OBJECTS = 1_000_000


class ListedBucket:
    """A ``base.Store`` in front of another (the signed ``Bucket``): its ``head`` answers from
    a listing where allowed, its writes forget their names; every other method is the inner
    store's."""

    def __init__(self, bucket: Store, prefix: str, *, threshold: int = THRESHOLD,
                 ttl: float = TTL, max_objects: int = MAX_OBJECTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._bucket, self._prefix = bucket, prefix
        self._threshold, self._ttl, self._max = threshold, ttl, max_objects
        self._clock = clock
        self._changed = threading.Condition()
        self._hashes = array("q")  # hash() of every listed name, sorted
        self._listed: dict[str, tuple[int, str, int]] = {}  # waited-for name -> size, etag, stamp
        self._waiting: set[str] = set()  # names of requests that wait for the running listing
        self._complete = False
        self._listed_at = float("-inf")  # when the listing began
        self._fresh_for = ttl  # seconds: max(ttl, PACE x how long the last listing took)
        self._arrived = 0  # requests numbered as they arrive
        self._hits = self._misses = 0
        self._listing = False
        self._touched: set[str] = set()  # written or deleted here since the listing began
        self._disabled = False

    # -- presence ---------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """What the object is now: from the listing where the rules above allow, else a HEAD.
        Raises ``ObjectNotFound`` for a real 404 or a name a fresh complete listing lacks."""
        if version_id is None:
            answer = self._from_listing(name)
            if answer is not None:
                return answer
        return self._bucket.head(name, version_id)

    def _from_listing(self, name: str) -> ObjectInfo | None:
        with self._changed:
            self._arrived += 1
            ticket = self._arrived
            self._changed.notify_all()  # an arrival is a change too (tests wait for one)
            lists = self._should_list()
            if lists or self._listing:
                self._waiting.add(name)
            while self._listing and not lists:
                self._changed.wait()  # its later pages are fetched after this request arrived
        if lists:
            self._refresh()
        with self._changed:
            return self._answer(name, ticket)

    def _answer(self, name: str, ticket: int) -> ObjectInfo | None:
        if self._disabled or self._clock() - self._listed_at > self._fresh_for:
            return None
        entry = self._listed.get(name)
        if name in self._touched or (entry is None and not self._complete):
            self._misses += 1
            return None
        if entry is None:
            if self._holds(name):  # listed, but not for this request: ask the server
                self._misses += 1
                return None
            self._hits += 1
            raise ObjectNotFound(f"{name}: not in a complete listing of the prefix")
        size, etag, stamp = entry
        if ticket > stamp or not etag:  # listed before this request arrived: ask again
            self._misses += 1
            return None
        self._hits += 1
        return ObjectInfo(size, etag)

    def _holds(self, name: str) -> bool:
        """Whether the listing held ``name`` (or another name of the same hash)."""
        wanted = hash(name)
        index = bisect_left(self._hashes, wanted)
        return index < len(self._hashes) and self._hashes[index] == wanted

    def _should_list(self) -> bool:
        """Whether this request lists the prefix (called with the lock held)."""
        if self._disabled or self._listing or self._arrived < self._threshold:
            return False
        if self._clock() - self._listed_at <= self._fresh_for:
            return False
        first = self._listed_at == float("-inf")
        if not first and self._hits < self._misses:
            return False  # mostly names the listing could not answer: it saves nothing
        self._listing, self._touched = True, set()
        self._listed_at = self._clock()
        return True

    def _refresh(self) -> None:
        listed: dict[str, tuple[int, str, int]] = {}
        hashes = array("q")
        complete, disabled = False, False  # complete only once the last page came
        waiting = self._waiting  # this listing's set: grows (under the lock) while it runs
        try:
            pages = iter(self._bucket.list(self._prefix))
            while True:
                with self._changed:
                    stamp = self._arrived  # requests up to here arrived before the next page
                try:
                    name, size, etag = next(pages)
                except StopIteration:
                    complete = True
                    break
                if len(hashes) >= self._max:
                    break
                hashes.append(hash(name))
                if name in waiting:
                    listed[name] = (size, etag, stamp)
        except StorageError:  # e.g. no s3:ListBucket permission: HEAD every time
            disabled = True
        finally:
            hashes = array("q", sorted(hashes))
            with self._changed:
                for name in self._touched:
                    listed.pop(name, None)
                self._listed, self._hashes, self._complete = listed, hashes, complete
                self._fresh_for = max(self._ttl, PACE * (self._clock() - self._listed_at))
                self._disabled = self._disabled or disabled
                self._listing = False
                self._waiting = set()
                self._hits = self._misses = 0
                self._changed.notify_all()

    def _forget(self, name: str) -> None:
        with self._changed:
            self._listed.pop(name, None)
            self._touched.add(name)

    # -- writes forget their names, before and after (a listing may run meanwhile) ------------
    def put_file(self, name: str, path: str, report: Report,
                 extra_args: UploadArgs | None = None) -> ObjectInfo:
        self._forget(name)
        try:
            return self._bucket.put_file(name, path, report, extra_args)
        finally:
            self._forget(name)

    def delete(self, name: str) -> None:
        self._forget(name)
        try:
            self._bucket.delete(name)
        finally:
            self._forget(name)

    def put_text(self, name: str, text: str, extra_args: UploadArgs | None = None) -> None:
        self._forget(name)
        try:
            self._bucket.put_text(name, text, extra_args)
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

    def plain_uploads(self) -> str:
        return self._bucket.plain_uploads()

    def list_uploads(self, prefix: str) -> list[Upload]:
        return self._bucket.list_uploads(prefix)

    def abort_upload(self, upload: Upload) -> None:
        self._bucket.abort_upload(upload)

    def uploads_in_flight(self) -> bool:
        return self._bucket.uploads_in_flight()

    def abort_uploads_in_flight(self, within: float) -> int:
        return self._bucket.abort_uploads_in_flight(within)
