"""Anonymous HTTP access to public object URLs (no credentials, no boto3 import).

Used when a clone has no credentials at all: presence by HEAD, download by GET with resume.
Written on the standard library because it is a few lines and must start fast.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from typing import Callable

from git_annex_remote_s3py.errors import (
    CredentialsMissing,
    EndpointUnavailable,
    IntegrityError,
    ObjectNotFound,
    StorageError,
)
from git_annex_remote_s3py.store.bucket import ObjectInfo
from git_annex_remote_s3py.store.localfile import READ_CHUNK, write_blocks
from git_annex_remote_s3py.urls import object_url

TIMEOUT = 60


def _open(request: urllib.request.Request, what: str):
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ObjectNotFound(f"{what}: 404 at the public URL") from exc
        if exc.code == 416:
            raise
        raise StorageError(f"{what}: HTTP {exc.code} from the public URL (a private bucket? "
                           "set credentials, or check publicurl=)") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EndpointUnavailable(f"{what}: cannot reach the public URL ({exc})") from exc


def head_size(url: str, what: str) -> int:
    """Size of a public object; ``ObjectNotFound`` on 404, other errors otherwise."""
    with _open(urllib.request.Request(url, method="HEAD"), what) as answer:
        length = answer.headers.get("Content-Length")
        if length is None or not answer.headers.get("ETag"):
            raise StorageError(f"{what}: the public URL answered without Content-Length or ETag")
        return int(length)


def download(url: str, path: str, report: Callable[[int], None], what: str) -> int:
    """GET ``url`` into ``path``, resuming a partial file with a Range request."""
    offset = os.path.getsize(path) if os.path.exists(path) else 0
    request = urllib.request.Request(url)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        answer = _open(request, what)
    except urllib.error.HTTPError as exc:  # 416: the partial file is already complete
        exc.close()
        size = head_size(url, what)
        if size == offset:
            return offset
        os.truncate(path, 0)
        return download(url, path, report, what)
    with answer:
        if answer.status == 206:
            total = int(answer.headers["Content-Range"].rsplit("/", 1)[1])
        else:
            offset, total = 0, int(answer.headers.get("Content-Length", -1))
        blocks = iter(lambda: answer.read(READ_CHUNK), b"")
        position = write_blocks(path, offset, blocks, report, what)
    if total >= 0 and position != total:
        raise IntegrityError(f"{what}: got {position} of {total} bytes; the next try resumes")
    return position


class PublicStore:
    """The read side of the store over anonymous HTTP (a bucket's public URLs); every write
    raises ``CredentialsMissing``. Minimal until the store's own version is merged."""

    def __init__(self, base_url: str, bucket: str) -> None:
        self.base_url, self.name = base_url, bucket

    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        url = object_url(self.base_url, name, version_id)
        return ObjectInfo(size=head_size(url, f"checking {name}"), etag="", version_id=version_id)

    def get_file(self, name: str, path: str, report: Callable[[int], None],
                 version_id: str | None = None) -> None:
        download(object_url(self.base_url, name, version_id), path, report,
                 f"retrieving {name}")

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise CredentialsMissing(
            f"no AWS credentials to write to bucket {self.name}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or profile=) and retry")

    put_file = delete = copy = put_text = _read_only
