"""Object requests the lean way: clean answers only. Each method returns None when it hands
the request over (and calls ``hand_over`` with the reason when the answer was not clean):
``bucket.Bucket`` then sends it through botocore, which retries, classifies and redirects."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
from typing import TYPE_CHECKING, Callable, TypeVar

from git_annex_remote_s3py.errors import (
    EndpointUnavailable,
    ObjectChanged,
    ObjectNotFound,
)
from git_annex_remote_s3py.store import integrity
from git_annex_remote_s3py.store.base import Described, ObjectInfo, Report, UploadArgs
from git_annex_remote_s3py.store.lean import sigv4
from git_annex_remote_s3py.store.lean.transport import LeanS3, LeanUnavailable, body_blocks
from git_annex_remote_s3py.store.lean.wire import (
    Crc32,
    full_object_crc32,
    http_date,
    parse_listing,
    upload_headers,
    versioning_status,
)
from git_annex_remote_s3py.store.localfile import (
    READ_CHUNK,
    Digest,
    ProgressReader,
    digest_file,
    open_for_upload,
    write_blocks,
)

if TYPE_CHECKING:
    from git_annex_remote_s3py.store.lean.http1 import ResponseHeaders
    from git_annex_remote_s3py.store.localfile import UploadBody

LOG = logging.getLogger(__name__)
Parsed = TypeVar("Parsed")
LEAN_SMALL_BYTES = 8 * 1024**2  # uploads up to this size are read whole, sent with Content-MD5
Page = tuple[list[tuple[str, int, str]], "str | None"]


class LeanObjects:
    """HEAD, GET, PUT, DELETE and one listing page of one bucket over ``LeanS3``."""

    def __init__(self, transport: LeanS3, bucket: str, hand_over: Callable[[str], None], *,
                 flexible_checksums: bool, verify_etag_md5: bool) -> None:
        self.transport, self.bucket = transport, bucket
        self._hand_over = hand_over
        self.flexible_checksums, self.verify_etag_md5 = flexible_checksums, verify_etag_md5
        self._bucket_seen = False  # a HEAD of the bucket or of an object in it answered 200
        # None until a PUT sent a CRC32 or SHA-256; False once the server's answer did not
        # echo it (Ceph RGW 16, s3rver: ignored, so nothing checked the bytes on arrival)
        self.checksums_confirmed: bool | None = None
        self._bucket_check = threading.Lock()  # ASYNC jobs that meet 404s at once: one HEAD

    def _call(self, method: str, name: str | None, *, query: dict[str, str] | None = None,
              headers: dict[str, str] | None = None, body: bytes | UploadBody | None = None,
              payload_hash: str = sigv4.EMPTY_SHA256) -> tuple[int, ResponseHeaders, bytes]:
        """(status, headers, body) of one exchange; the body is read whole (small)."""
        with self.transport.exchange(method, name, query=query, headers=headers, body=body,
                                     payload_hash=payload_hash) as response:
            return response.status, response.headers, response.read()

    def head(self, name: str, version_id: str | None) -> ObjectInfo | None:
        """The object's size and ETag; ``ObjectNotFound`` on a 404 in a bucket that exists."""
        headers = self._head(name, version_id, {})
        if headers is None:
            return None
        return ObjectInfo(int(headers["Content-Length"]), headers["ETag"].strip('"'),
                          headers.get("x-amz-version-id"),
                          http_date(headers.get("Last-Modified")))

    def describe(self, name: str, version_id: str | None) -> Described | None:
        """What a HEAD with ``x-amz-checksum-mode: ENABLED`` says (as botocore's answer reads
        in store/boto/inventory.py); ``ObjectNotFound`` on a 404; None, handed over."""
        answer = self._head(name, version_id, {"x-amz-checksum-mode": "ENABLED"})
        if answer is None:
            return None
        return Described.of_headers({key.lower(): value for key, value in answer.items()})

    def _head(self, name: str, version_id: str | None,
              asked: dict[str, str]) -> ResponseHeaders | None:
        """The answer headers of a clean HEAD (200, an ETag, a Content-Length); None, handed
        over, otherwise; ``ObjectNotFound`` on a 404 in a bucket that exists."""
        query = {"versionId": version_id} if version_id else None
        try:
            status, headers, _ = self._call("HEAD", name, query=query, headers=asked)
            if status == 404 and self._bucket_exists():
                raise ObjectNotFound(f"checking {name}: not found in bucket {self.bucket}")
        except LeanUnavailable as exc:
            return self._hand_over(str(exc))
        if status != 200 or not headers.get("ETag") or not (
                headers.get("Content-Length") or "").isdigit():
            return self._hand_over(f"HEAD {name}: {status}")
        self._bucket_seen = True
        return headers

    def versioning(self) -> str | None:
        """The bucket's versioning state: "Enabled", "Suspended" or "" (never enabled)."""
        return self._bucket_answer({"versioning": ""}, versioning_status, "GET ?versioning")

    def _bucket_answer(self, query: dict[str, str], parse: Callable[[bytes], Parsed | None],
                       what: str) -> Parsed | None:
        """A GET of the bucket itself (a listing page, a subresource) as ``parse`` reads its
        body; None, handed over, unless the answer is a 200 that ``parse`` takes."""
        try:
            status, _, body = self._call("GET", None, query=query)
        except LeanUnavailable as exc:
            return self._hand_over(str(exc))
        parsed = parse(body) if status == 200 else None
        if parsed is None:
            return self._hand_over(f"{what}: {status}")
        return parsed

    def _bucket_exists(self) -> bool:
        with self._bucket_check:
            if not self._bucket_seen:
                status, _, _ = self._call("HEAD", None)
                self._bucket_seen = status == 200
            return self._bucket_seen

    def get(self, name: str, path: str, report: Report, version_id: str | None,
            if_match: str | None = None, verify: bool = True) -> int | None:
        """Download one object whole, checked against its full-object CRC32 if the server
        keeps one, else its ETag when that is an MD5 (``verify=False``: its length only, for
        content git-annex hashes itself); None (a partial or empty file left for botocore to
        resume or fetch) if that did not work. ``ObjectChanged`` if ``if_match`` is given and
        is not the object's ETag (412)."""
        what = f"retrieving {name}"
        query = {"versionId": version_id} if version_id else None
        crc, md5 = None, None
        try:
            asked = {"x-amz-checksum-mode": "ENABLED"} if self.flexible_checksums else {}
            if if_match:
                asked["If-Match"] = f'"{if_match}"'
            with self.transport.exchange("GET", name, query=query, headers=asked) as response:
                headers = response.headers
                etag = (headers.get("ETag") or "").strip('"').lower()
                length = headers.get("Content-Length")
                if response.status == 412 and if_match:
                    response.read()
                    raise ObjectChanged(f"{what}: the object in bucket {self.bucket} holds "
                                        f"other content than ETag {if_match} (412)")
                if response.status != 200 or not etag or not (length or "").isdigit():
                    response.read()
                    return self._hand_over(f"GET {name}: {response.status}")
                crc = full_object_crc32(headers) if verify else None
                md5 = integrity.checkable_md5(etag, integrity.Encryption.of_headers(headers),
                                              self.verify_etag_md5) if verify else None
                digest: Digest | None = Crc32() if crc else (hashlib.md5() if md5 else None)
                written = write_blocks(path, 0, body_blocks(response, READ_CHUNK), report, what,
                                       digest)
        except (LeanUnavailable, EndpointUnavailable) as exc:
            if crc and not md5:  # a resumed file could be checked by neither
                os.truncate(path, 0)
            return self._hand_over(str(exc))
        if written != int(length or 0):
            return self._hand_over(f"GET {name}: {written} of {length} bytes")
        if digest is not None and digest.hexdigest() != (crc.hexdigest() if crc else md5):
            os.truncate(path, 0)
            return self._hand_over(f"GET {name}: the bytes fail the object's checksum")
        return written

    def put(self, name: str, path: str, size: int, args: UploadArgs, report: Report,
            sha256: str | None = None) -> integrity.Stored | None:
        """One PUT, its payload unsigned (as botocore's uploads here) but checked by the
        server before it stores, through a signed header: Content-MD5 for a small file (or
        with ``checksums=when_required``), else a CRC32 (one fast pass), until a server
        shows it ignores CRC32 (no echo): from then on Content-MD5, which such servers check
        (Ceph RGW) and which ``stored_is_sent`` compares with the ETag without reading the
        file again. With ``sha256`` (the content's, from its key) that is the checksum sent
        instead of the CRC32 (no pass over the file: the key says it), and the server keeps
        it. What the server answered is returned for ``stored_is_sent`` to judge."""
        headers = upload_headers(args)
        if headers is None:
            return None  # an argument only botocore knows: that upload goes through it
        with open_for_upload(path) as handle:
            crc, md5 = None, None
            sending_sha256 = bool(sha256) and self.flexible_checksums and (
                self.checksums_confirmed is not False)
            if sending_sha256 and sha256:
                headers["x-amz-checksum-sha256"] = integrity.sha256_base64(sha256)
                headers["x-amz-sdk-checksum-algorithm"] = "SHA256"
            if size <= LEAN_SMALL_BYTES:
                whole = handle.read()
                if len(whole) != size:
                    return None  # the file changed under us: botocore's path will say so
                md5 = hashlib.md5(whole)
                body: bytes | UploadBody = whole
            elif sending_sha256:
                pass
            elif self.flexible_checksums and self.checksums_confirmed is not False:
                crc = digest_file(handle, Crc32())
                headers["x-amz-checksum-crc32"] = crc.base64()
                headers["x-amz-sdk-checksum-algorithm"] = "CRC32"  # as botocore sends it
            else:
                md5 = digest_file(handle, hashlib.md5())
            if md5 is not None:
                headers["Content-MD5"] = base64.b64encode(md5.digest()).decode()
            if size > LEAN_SMALL_BYTES:
                handle.seek(0)
                body = ProgressReader(handle, report)
            headers["Content-Length"] = str(size)
            try:
                status, answer, _ = self._call("PUT", name, headers=headers, body=body,
                                               payload_hash=sigv4.UNSIGNED_PAYLOAD)
            except LeanUnavailable as exc:
                return self._hand_over(str(exc))
        etag = (answer.get("ETag") or "").strip('"')
        if status != 200 or not etag:
            return self._hand_over(f"PUT {name}: {status}")
        sent = (crc.base64() if crc is not None else
                headers.get("x-amz-checksum-sha256") if sending_sha256 else None)
        echoed = answer.get("x-amz-checksum-crc32" if crc is not None else
                            "x-amz-checksum-sha256")
        if sent is not None and self.checksums_confirmed is None:
            self.checksums_confirmed = echoed is not None
            if not echoed:
                LOG.debug("the server does not confirm checksums (CRC32, SHA-256): later "
                          "uploads send Content-MD5")
        return integrity.Stored(etag, answer.get("x-amz-version-id"),
                                integrity.Encryption.of_headers(answer),
                                sent is not None and echoed == sent,
                                md5.hexdigest() if md5 is not None else None,
                                sha256 if sending_sha256 and echoed == sent else None)

    def delete(self, name: str) -> bool | None:
        """True once deleted (a missing object too: S3 answers 204)."""
        try:
            status, _, _ = self._call("DELETE", name)
        except LeanUnavailable as exc:
            return self._hand_over(str(exc))
        if status not in (200, 204):
            return self._hand_over(f"DELETE {name}: {status}")
        return True

    def list_page(self, prefix: str, token: str | None, max_keys: int) -> Page | None:
        """One ListObjectsV2 page (names asked URL-encoded, so that any name survives XML;
        s3rver 3 sends them plain): its (name, size, etag) items and the next page's token."""
        query = {"list-type": "2", "prefix": prefix, "encoding-type": "url",
                 "max-keys": str(max_keys)}
        if token:
            query["continuation-token"] = token
        return self._bucket_answer(query, parse_listing, f"LIST {prefix}")
