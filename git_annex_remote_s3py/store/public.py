"""Anonymous HTTP access to public object URLs (no credentials, no boto3 import).

Used when a clone has no credentials at all: presence by HEAD, download by GET with resume.
Written on the standard library because it is a few lines and must start fast; urllib (with
http.client, ssl and the email package: ~110 M instructions) is imported only when a public URL
is read, never by a remote that signs its requests.
``PublicStore`` is the read side of ``base.Store`` over it; its writes ask for credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, NoReturn, Sequence

from git_annex_remote_s3py import urls
from git_annex_remote_s3py.errors import (
    AccessDenied,
    CredentialsMissing,
    EndpointUnavailable,
    IntegrityError,
    ObjectChanged,
    ObjectNotFound,
    StorageError,
)
from git_annex_remote_s3py.store import integrity
from git_annex_remote_s3py.store.base import (
    Described,
    Listed,
    ObjectInfo,
    Report,
    Upload,
    UploadArgs,
)
from git_annex_remote_s3py.store.localfile import READ_CHUNK, partial_size, write_blocks

if TYPE_CHECKING:
    import http.client
    import ssl
    import urllib.request

TIMEOUT = 60
CA_BUNDLE_ENV = "AWS_CA_BUNDLE"  # as botocore: the CA file that replaces the system store
SWIFT_HEADER = "X-Openstack-Request-Id"  # on every answer of OpenStack Swift's proxy
PROBE_BYTES = 4096  # what an anonymous read check reads of the body at most
PROBE_TIMEOUT = 15


def tls_context() -> ssl.SSLContext | None:
    """The TLS context for https URLs: trusting only ``$AWS_CA_BUNDLE`` where it is set (as
    the signed path does), else None (urllib's default, the system store)."""
    cafile = os.environ.get(CA_BUNDLE_ENV)
    if not cafile:
        return None
    import ssl

    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise EndpointUnavailable(f"{CA_BUNDLE_ENV}={cafile} is no readable CA file ({exc}); "
                                  "fix or unset it") from exc


def _open(request: urllib.request.Request, what: str) -> http.client.HTTPResponse:
    import urllib.error
    import urllib.request

    try:
        context = tls_context() if request.full_url.lower().startswith("https:") else None
        response: http.client.HTTPResponse = urllib.request.urlopen(  # for http(s) URLs
            request, timeout=TIMEOUT, context=context)
        return response
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise ObjectNotFound(f"{what}: 404 at the public URL") from exc
        if exc.code == 412:
            raise ObjectChanged(f"{what}: the object holds other content than asked for "
                                "(412)") from exc
        if exc.code == 416:
            raise
        if exc.code == 403:
            raise AccessDenied(f"{what}: the public URL refuses anonymous reads (HTTP 403): the "
                               "object is not public (public=yes, a bucket policy: "
                               "git-annex-remote-s3py policy)") from exc
        raise StorageError(f"{what}: HTTP {exc.code} from the public URL (a private bucket? "
                           "set credentials, or check publicurl=)") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise EndpointUnavailable(f"{what}: cannot reach the public URL ({exc})") from exc


def head(url: str, what: str) -> ObjectInfo:
    """What a HEAD of a public object tells; ``ObjectNotFound`` on 404, other errors
    otherwise."""
    import urllib.request

    with _open(urllib.request.Request(url, method="HEAD"), what) as answer:
        length, etag = answer.headers.get("Content-Length"), answer.headers.get("ETag")
        if length is None or not etag or not length.isdigit():
            raise StorageError(f"{what}: the public URL answered without Content-Length or ETag")
        return ObjectInfo(int(length), etag.strip('"'), answer.headers.get("x-amz-version-id"),
                          answer.headers.get("Last-Modified"))


def describe(url: str, what: str) -> Described:
    """What an anonymous HEAD with ``x-amz-checksum-mode: ENABLED`` tells (checksums where
    the server shows them to anonymous readers); errors as ``head``."""
    import urllib.request

    request = urllib.request.Request(url, method="HEAD",
                                     headers={"x-amz-checksum-mode": "ENABLED"})
    with _open(request, what) as answer:
        headers = {name.lower(): value for name, value in answer.headers.items()}
    if not (headers.get("content-length") or "").isdigit() or not headers.get("etag"):
        raise StorageError(f"{what}: the public URL answered without Content-Length or ETag")
    return Described.of_headers(headers)


def head_size(url: str, what: str) -> int:
    """Size of a public object; ``ObjectNotFound`` on 404, other errors otherwise."""
    return head(url, what).size


def download(url: str, path: str, report: Callable[[int], None], what: str,
             if_match: str | None = None) -> int:
    """GET ``url`` into ``path``, resuming a partial file with a Range request (only the
    content whose ETag is ``if_match``, when given: ``ObjectChanged`` otherwise)."""
    import urllib.error
    import urllib.request

    offset = partial_size(path)
    request = urllib.request.Request(url)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    if if_match:
        request.add_header("If-Match", f'"{if_match}"')
    try:
        answer = _open(request, what)
    except urllib.error.HTTPError as exc:  # 416: the partial file may be complete already
        exc.close()
        if integrity.partial_is_whole(path, offset, head_size(url, what)):
            return offset
        return download(url, path, report, what, if_match)
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


@dataclass(frozen=True)
class AnonymousRead:
    """What one unsigned GET of a public URL got (never raises: a check, not a transfer)."""

    status: int  # the HTTP status; 0 where no HTTP answer came
    body: bytes  # its first PROBE_BYTES bytes
    swift: bool  # answered by OpenStack Swift, which serves anonymous reads at /v1/AUTH_...
    problem: str = ""  # why no HTTP answer came


def read_anonymously(url: str) -> AnonymousRead:
    """One unsigned GET of ``url`` (trusting ``$AWS_CA_BUNDLE``, as every public read)."""
    import urllib.error
    import urllib.request

    try:
        context = tls_context() if url.lower().startswith("https:") else None
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT, context=context) as answer:
            return AnonymousRead(answer.status, answer.read(PROBE_BYTES),
                                 SWIFT_HEADER in answer.headers)
    except urllib.error.HTTPError as exc:
        with exc:
            return AnonymousRead(exc.code, exc.read(PROBE_BYTES), SWIFT_HEADER in exc.headers)
    except (urllib.error.URLError, OSError, EndpointUnavailable) as exc:
        return AnonymousRead(0, b"", False, str(exc))


class PublicStore:
    """A bucket read through its public URL without credentials (``base.Store``): HEAD and
    GET work, every write raises ``CredentialsMissing`` naming the fix."""

    def __init__(self, base_url: str, bucket: str) -> None:
        self.base_url, self.name = base_url, bucket

    def _url(self, name: str, version_id: str | None = None) -> str:
        return urls.object_url(self.base_url, name, version_id)

    def _needs_credentials(self, doing: str = "write to") -> NoReturn:
        raise CredentialsMissing(
            f"no AWS credentials to {doing} bucket {self.name}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or profile=) and retry")

    def _needs_signed_listing(self) -> NoReturn:
        raise StorageError(f"reading bucket listings needs AWS credentials or "
                           f"signature=anonymous; remote of bucket {self.name} has neither")

    # -- the read side ------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        return head(self._url(name, version_id), f"checking {name}")

    def describe(self, name: str, version_id: str | None = None) -> Described:
        return describe(self._url(name, version_id), f"checking {name}")

    def get_file(self, name: str, path: str, report: Report,
                 version_id: str | None = None, if_match: str | None = None,
                 verify: bool = True) -> int:
        """Only the length is checked (an anonymous answer carries no checksum s3py asked
        for; git-annex hashes what it retrieves for hashing keys)."""
        return download(self._url(name, version_id), path, report, f"retrieving {name}",
                        if_match)

    def get_text(self, name: str) -> str:
        import urllib.request

        with _open(urllib.request.Request(self._url(name)), f"reading {name}") as answer:
            return answer.read().decode()

    def plain_uploads(self) -> str:
        return ""

    def public_acl_refused(self) -> str:
        return ""

    def uploads_in_flight(self) -> bool:
        return False

    def abort_uploads_in_flight(self, within: float) -> int:
        return 0

    def exists(self) -> bool:
        """True: a public bucket is not checked (an anonymous HEAD of it proves nothing)."""
        return True

    def region(self) -> str | None:
        return None  # a public URL does not say

    # -- everything else needs credentials ------------------------------------------------------
    def put_file(self, name: str, path: str, report: Report,
                 extra_args: UploadArgs | None = None, sha256: str | None = None) -> ObjectInfo:
        self._needs_credentials()

    def put_text(self, name: str, text: str, extra_args: UploadArgs | None = None,
                 if_absent: bool = False) -> None:
        self._needs_credentials()

    def delete(self, name: str) -> None:
        self._needs_credentials()

    def copy(self, source: str, destination: str, extra_args: UploadArgs | None = None) -> None:
        self._needs_credentials()

    def create(self, region: str) -> None:
        self._needs_credentials()

    def remove(self) -> None:
        self._needs_credentials()

    def enable_versioning(self) -> None:
        self._needs_credentials()

    def allow_public_reads(self) -> None:
        self._needs_credentials()

    def list(self, prefix: str) -> Iterator[tuple[str, int, str]]:
        self._needs_credentials("list")

    def presign(self, name: str, expires: int) -> str:
        self._needs_credentials("presign URLs of")

    def list_uploads(self, prefix: str) -> Sequence[Upload]:
        self._needs_credentials("list the uploads of")

    def abort_upload(self, upload: Upload) -> None:
        self._needs_credentials("abort the uploads of")

    # -- what import and s3:// URLs read through botocore ---------------------------------------
    def list_current(self, prefix: str) -> Iterator[Listed]:
        self._needs_signed_listing()

    def versioned(self) -> bool:
        self._needs_signed_listing()

    def sha256_of(self, name: str, version_id: str | None, etag: str) -> tuple[str, int]:
        self._needs_signed_listing()
