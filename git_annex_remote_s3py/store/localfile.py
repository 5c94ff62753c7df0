"""Writing downloaded bytes into the local file git-annex named, resumably and safely."""

from __future__ import annotations

import errno
import os
from typing import BinaryIO, Callable, Iterable, Protocol, TypeVar

from git_annex_remote_s3py.errors import EndpointUnavailable, LocalFileError

READ_CHUNK = 1024 * 1024


class Digest(Protocol):
    """A running checksum: a hashlib object, or ``lean.wire.Crc32``."""

    def update(self, block: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


Fed = TypeVar("Fed", bound=Digest)


class UploadBody(Protocol):
    """What an upload's bytes are read from: the file, or ``ProgressReader`` around it
    (sent again from where it began when a kept connection turns out closed)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int: ...
    def tell(self) -> int: ...


def write_blocks(path: str, offset: int, blocks: Iterable[bytes], report: Callable[[int], None],
                 what: str, digest: Digest | None = None) -> int:
    """Keep the first ``offset`` bytes of ``path``, append ``blocks``; return the new size.

    ``digest`` (a hashlib object), if given, sees every byte of the file, the kept part too.
    A full disk or an unwritable file is a ``LocalFileError``; a connection that breaks while
    ``blocks`` is read is ``EndpointUnavailable`` (the partial file stays for a resume).
    """
    position = offset
    try:
        with open(path, "r+b" if offset else "wb") as handle:
            if offset:  # "wb" has emptied a fresh file already
                while digest is not None and handle.tell() < offset:
                    digest.update(handle.read(min(READ_CHUNK, offset - handle.tell())))
                handle.seek(offset)
                handle.truncate()
            for block in blocks:
                if digest is not None:
                    digest.update(block)
                handle.write(block)
                position += len(block)
                report(position)
    except (ConnectionError, TimeoutError) as exc:
        raise EndpointUnavailable(f"{what}: download broke off ({exc})") from exc
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise LocalFileError(f"{what}: no space left on the device holding "
                                 f"{os.path.dirname(path) or '.'}") from exc
        raise LocalFileError(f"{what}: cannot write {path}: {exc.strerror}") from exc
    return position


def digest_file(handle: BinaryIO, digest: Fed) -> Fed:
    """Feed the rest of ``handle`` to ``digest`` (a hashlib object, or ``lean.Crc32``)."""
    for block in iter(lambda: handle.read(READ_CHUNK), b""):
        digest.update(block)
    return digest


def partial_size(path: str) -> int:
    """Bytes of an earlier, interrupted download at ``path`` (0 if there is none)."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise LocalFileError(f"cannot use {path}: {exc.strerror}") from exc


def open_for_upload(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc


class ProgressReader:
    """A file wrapper that reports the furthest byte read (a sender may re-read on retry)."""

    def __init__(self, handle: BinaryIO, report: Callable[[int], None]) -> None:
        self._handle, self._report, self._furthest = handle, report, 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        position = self._handle.tell()
        if position > self._furthest:
            self._furthest = position
            self._report(position)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def __getattr__(self, name: str) -> object:  # fileno... as the real file
        return getattr(self._handle, name)
