"""Answer many presence checks from one listing of the prefix instead of a HEAD per object.

``git annex fsck --fast --from``, a repeated ``copy --to`` or ``drop`` ask CHECKPRESENT for every
key; one LIST request returns 1,000 names with sizes. After ``threshold`` checks in a process
the prefix is listed once (at most ``max_objects`` names) and kept for ``ttl`` seconds.

"Present" comes from the listing only when the listed size is the one the caller expects.
"Absent" comes from it only when the listing was complete (every name under the prefix): S3
listings are strongly consistent, so a name missing from one is a 404 at that time, in a bucket
we may list. Every store, copy or delete in this process makes its name unknown (HEAD again),
also while a listing runs. The price, stated in docs/benchmarks.md: what another process
writes or deletes within ``ttl`` seconds may still read as the listing saw it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from git_annex_remote_s3py.errors import StorageError

THRESHOLD = 8
TTL = 10.0
MAX_OBJECTS = 10_000
NOT_LISTED = -1  # a complete, fresh listing does not show the name


class ListedBucket:
    """Wraps a ``storage.Bucket``; adds ``listed_size`` and keeps it honest on writes."""

    def __init__(self, bucket: Any, prefix: str, *, threshold: int = THRESHOLD,
                 ttl: float = TTL, max_objects: int = MAX_OBJECTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._bucket, self._prefix = bucket, prefix
        self._threshold, self._ttl, self._max = threshold, ttl, max_objects
        self._clock = clock
        self._lock = threading.Lock()
        self._sizes: dict[str, int] = {}
        self._complete = False
        self._listed_at = float("-inf")
        self._asked = self._hits = self._misses = 0
        self._listing = False
        self._touched: set[str] = set()  # written or deleted here since the listing began
        self._disabled = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bucket, name)

    # -- presence ---------------------------------------------------------------------------
    def listed_size(self, name: str) -> int | None:
        """The size a fresh listing shows for ``name``, ``NOT_LISTED`` if a complete one does
        not show it, or None: ask the server (HEAD)."""
        if self._should_list():
            self._refresh()
        with self._lock:
            if self._disabled or self._clock() - self._listed_at > self._ttl:
                return None
            size = self._sizes.get(name)
            if size is None and (name in self._touched or not self._complete):
                self._misses += 1
                return None
            self._hits += 1
            return NOT_LISTED if size is None else size

    def _should_list(self) -> bool:
        with self._lock:
            self._asked += 1
            if self._disabled or self._listing or self._asked < self._threshold:
                return False
            if self._clock() - self._listed_at <= self._ttl:
                return False
            first = self._listed_at == float("-inf")
            if not first and self._hits < self._misses:
                return False  # mostly names the listing could not answer: it saves nothing
            self._listing = True
            self._touched = set()
            return True

    def _refresh(self) -> None:
        sizes: dict[str, int] = {}
        complete = True
        try:
            for name, size, _etag in self._bucket.list(self._prefix):
                if len(sizes) >= self._max:
                    complete = False
                    break
                sizes[name] = size
        except StorageError:  # e.g. no s3:ListBucket permission: HEAD every time
            with self._lock:
                self._disabled, self._listing = True, False
            return
        with self._lock:
            for name in self._touched:
                sizes.pop(name, None)
            self._sizes, self._complete = sizes, complete
            self._listed_at, self._listing = self._clock(), False
            self._hits = self._misses = 0

    def _forget(self, name: str) -> None:
        with self._lock:
            self._sizes.pop(name, None)
            self._touched.add(name)

    # -- writes forget their names, before and after (a listing may run meanwhile) ------------
    def put_file(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._forget(name)
        try:
            return self._bucket.put_file(name, *args, **kwargs)
        finally:
            self._forget(name)

    def delete(self, name: str) -> None:
        self._forget(name)
        try:
            self._bucket.delete(name)
        finally:
            self._forget(name)

    def put_text(self, name: str, *args: Any, **kwargs: Any) -> None:
        self._forget(name)
        try:
            self._bucket.put_text(name, *args, **kwargs)
        finally:
            self._forget(name)

    def copy(self, source: str, destination: str, *args: Any, **kwargs: Any) -> None:
        self._forget(destination)
        try:
            self._bucket.copy(source, destination, *args, **kwargs)
        finally:
            self._forget(destination)
