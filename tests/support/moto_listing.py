"""Bench only: moto's ``ListObjectsV2`` answered in O(page) from a sorted index of each
bucket's key names, installed by ``moto_main.py --fill`` (the import bench's server) and by
nothing the suite runs.

Why: moto's ``S3Backend.list_objects_v2`` walks, filters and sorts every key of the bucket for
each page it answers (O(N) per page of 1,000: O(N^2/1000) for a whole listing: at 10^6
objects, 1,000 pages of 10^6 keys each), which AWS (and every real server here) does not, so a
bench of a million-object import would measure moto's listing, not git-annex or the remote.

The answer is exactly moto's (``tests/unit/test_moto_listing.py`` compares the two page by
page): the same keys and CommonPrefixes in the same order, the same truncation, the same
continuation tokens (moto's own: the MD5 of the page's last name, kept in
``_pagination_tokens``), delete markers left out of the keys but not of the prefixes (as moto
does). Anything else (a table-storage bucket, a continuation token moto never gave) goes to
moto's own method.

The index: each ``_VersionedKeyStore`` (a bucket's ``keys``) notes the names its mutators add
or remove; a listing folds them into the sorted list (a few by bisect, many by one sort).
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

from moto.s3.models import FakeDeleteMarker, FakeTableStorageBucket, S3Backend
from moto.s3.utils import _VersionedKeyStore

_LOCK = threading.RLock()  # one for every index: the server's threads list and put at once
_FEW = 1000  # up to this many changed names are folded in one by one, more by one sort


class _Index:
    """The sorted names of one key store, and the names changed since it was last sorted."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.added: set[str] = set()
        self.removed: set[str] = set()
        self.stale = True  # rebuild from the store's names

    def sorted_names(self, store: dict[str, Any]) -> list[str]:
        if self.stale or len(self.added) + len(self.removed) > _FEW:
            self.names = sorted(dict.keys(store))
            self.stale = False
        else:
            for name in self.removed:
                at = bisect.bisect_left(self.names, name)
                if at < len(self.names) and self.names[at] == name:
                    del self.names[at]
            for name in self.added:
                at = bisect.bisect_left(self.names, name)
                if at == len(self.names) or self.names[at] != name:
                    self.names.insert(at, name)
        self.added.clear()
        self.removed.clear()
        return self.names


def _index(store: dict[str, Any]) -> _Index:
    found = store.__dict__.get("_s3py_index")
    if found is None:
        found = store.__dict__["_s3py_index"] = _Index()
    return found


def _noting(method: Any, how: str) -> Any:
    """``method`` of the key store, noting the name it adds or removes (or, ``how="all"``,
    that the index must be rebuilt)."""

    def noted(store: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            result = method(store, *args, **kwargs)
            index = _index(store)
            if how == "all":
                index.stale = True
            else:
                name = args[0]
                present = dict.__contains__(store, name)
                (index.added if present else index.removed).add(name)
                (index.removed if present else index.added).discard(name)
            return result

    return noted


def _page(backend: S3Backend, bucket: Any, prefix: str | None, delimiter: str | None,
          limit: str | None, max_keys: int) -> tuple[list[Any], bool, str | None]:
    """One page as moto's list_objects_v2 answers it, walking only the names it returns."""
    store = bucket.keys
    with _LOCK:
        names = _index(store).sorted_names(store)
        prefix = prefix or ""  # moto treats "" as no prefix, and so does startswith
        at = bisect.bisect_left(names, prefix)
        if limit is not None:
            at = max(at, bisect.bisect_right(names, limit))
        found: list[Any] = []
        while at < len(names) and len(found) <= max_keys:
            name = names[at]
            if not name.startswith(prefix):
                break
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                folder = f"{prefix}{rest.split(delimiter)[0]}{delimiter}"
                if limit is None or folder > limit:
                    found.append(folder)
                # every name under the folder is the folder: skip past them all
                at = bisect.bisect_left(names, folder[:-1] + chr(ord(folder[-1]) + 1), at)
                continue
            key = dict.get(store, name)
            if key and not isinstance(key[-1], FakeDeleteMarker):
                found.append(key[-1])
            at += 1
    return backend._truncate_result(found, max_keys)


_moto_list_objects_v2 = S3Backend.list_objects_v2


def list_objects_v2(self: S3Backend, bucket: Any, prefix: str | None, delimiter: str | None,
                    continuation_token: str | None, start_after: str | None,
                    max_keys: int) -> tuple[list[Any], bool, str | None]:
    """moto's ``list_objects_v2``, in O(page) (see the module's docstring)."""
    if (isinstance(bucket, FakeTableStorageBucket) or type(bucket.keys) is not _VersionedKeyStore
            or max_keys < 0
            or continuation_token and continuation_token not in self._pagination_tokens):
        return _moto_list_objects_v2(self, bucket, prefix, delimiter, continuation_token,
                                     start_after, max_keys)
    limit = (self._pagination_tokens[continuation_token] if continuation_token
             else start_after or None)
    return _page(self, bucket, prefix, delimiter, limit, max_keys)


_ORIGINALS: dict[tuple[type, str], Any] = {}


def install() -> None:
    """Answer ListObjectsV2 from the sorted index in this process (the bench's moto)."""
    if _ORIGINALS:
        return
    for name in ("__setitem__", "setlist", "pop", "__delitem__", "clear", "update", "popitem",
                 "setdefault"):
        _ORIGINALS[_VersionedKeyStore, name] = _VersionedKeyStore.__dict__.get(name)  # or dict's
        how = name if name in ("__setitem__", "setlist", "pop", "__delitem__") else "all"
        setattr(_VersionedKeyStore, name, _noting(getattr(_VersionedKeyStore, name), how))
    _ORIGINALS[S3Backend, "list_objects_v2"] = _moto_list_objects_v2
    S3Backend.list_objects_v2 = list_objects_v2  # type: ignore[method-assign]


def uninstall() -> None:
    """moto's own methods back (the unit test's clean-up)."""
    for (owner, name), original in _ORIGINALS.items():
        if original is None:
            delattr(owner, name)  # inherited from dict again
        else:
            setattr(owner, name, original)
    _ORIGINALS.clear()
