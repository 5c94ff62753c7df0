"""The one storage interface: what the adapter may ask of a bucket, signed or public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

Report = Callable[[int], None]  # called with the bytes moved so far


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD tells about one object."""

    size: int
    etag: str
    version_id: str | None = None
    last_modified: str | None = None


class Store(Protocol):
    """One bucket's objects. Every method raises an ``errors.StorageError`` (or
    ``LocalFileError``) subclass for an expected failure, and nothing else."""

    name: str

    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """The object's size and ETag; ``ObjectNotFound`` only on a real 404."""

    def get_file(self, name: str, path: str, report: Report,
                 version_id: str | None = None, if_match: str | None = None,
                 verify: bool = True) -> int:
        """Download to ``path`` (resuming a partial file), verified (``verify=False``: the
        length only, where the reader hashes the bytes itself); return the size. With
        ``if_match`` (an ETag) only that content: ``ObjectChanged`` otherwise."""

    def put_file(self, name: str, path: str, report: Report,
                 extra_args: dict | None = None) -> ObjectInfo:
        """Upload a file, verified before returning; a wrong object never stays."""

    def delete(self, name: str) -> None:
        """Delete an object; deleting a missing one succeeds."""

    def copy(self, source: str, destination: str, extra_args: dict | None = None) -> None:
        """Server-side copy, keeping metadata."""

    def get_text(self, name: str) -> str: ...

    def put_text(self, name: str, text: str, extra_args: dict | None = None) -> None: ...

    def list(self, prefix: str) -> Iterator[tuple[str, int, str]]:
        """(name, size, etag) of every object under ``prefix``."""

    def exists(self) -> bool:
        """True if the bucket exists, False on a real 404."""

    def create(self, region: str) -> None: ...

    def remove(self) -> None:
        """Delete the bucket itself (it must be empty)."""

    def region(self) -> str | None:
        """The bucket's region as the server reports it, or None."""

    def enable_versioning(self) -> None: ...

    def presign(self, name: str, expires: int) -> str: ...
