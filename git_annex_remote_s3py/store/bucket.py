"""Every S3 call; botocore errors become ``errors`` types. Knows nothing of git-annex."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Iterator

from git_annex_remote_s3py.errors import (
    AccessDenied,
    BucketNotFound,
    CredentialsMissing,
    EndpointUnavailable,
    IntegrityError,
    LocalFileError,
    NotAnS3Endpoint,
    ObjectNotFound,
    StorageError,
    WrongRegion,
)
from git_annex_remote_s3py.store.lean import sigv4
from git_annex_remote_s3py.store.lean.transport import (
    LEAN_SMALL_BYTES,
    Crc32,
    LeanS3,
    LeanUnavailable,
    body_blocks,
    full_object_crc32,
    http_date,
    parse_listing,
    upload_headers,
)
from git_annex_remote_s3py.store.localfile import READ_CHUNK, digest_file, write_blocks
from git_annex_remote_s3py.store.uploads import InFlightUploads

Report = Callable[[int], None]
TRANSFER_THREADS = 4
logger = logging.getLogger(__name__)


class AclNotSupported(StorageError):
    """The bucket refuses ACLs (Object Ownership: bucket owner enforced)."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD tells about one object."""

    size: int
    etag: str
    version_id: str | None = None
    last_modified: str | None = None


def _partial_size(path: str) -> int:
    """Bytes of an earlier, interrupted download at ``path`` (0 if there is none)."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise LocalFileError(f"cannot use {path}: {exc.strerror}") from exc


def _md5_file(path: str) -> str:
    with open(path, "rb") as handle:
        return digest_file(handle, hashlib.md5()).hexdigest()


class _ProgressReader:
    """A file wrapper that reports the furthest byte read (botocore may re-read on retry)."""

    def __init__(self, handle: BinaryIO, report: Report) -> None:
        self._handle, self._report, self._furthest = handle, report, 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        position = self._handle.tell()
        if position > self._furthest:
            self._furthest = position
            self._report(position)
        return data

    def __getattr__(self, name: str) -> Any:  # seek, tell, fileno... as the real file
        return getattr(self._handle, name)


CHECKSUM_FIELDS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1",
                   "ChecksumSHA256")


def _error_parts(exc: Exception) -> tuple[str, int, dict]:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    meta = response.get("ResponseMetadata", {})
    return code, int(meta.get("HTTPStatusCode") or 0), meta.get("HTTPHeaders", {}) or {}


def classify(exc: Exception, what: str, bucket: str) -> StorageError:
    """Map a botocore exception to our error type, by S3 error code and HTTP status."""
    from botocore import exceptions as bce

    if isinstance(exc, bce.ClientError):
        code, status, headers = _error_parts(exc)
        if code in ("NoSuchBucket",):
            return BucketNotFound(f"bucket {bucket} does not exist ({what}); create it with "
                                  "initremote or fix bucket=")
        if code in ("NoSuchKey", "NoSuchVersion", "404", "NotFound") and status in (404, 0):
            return ObjectNotFound(f"{what}: not found in bucket {bucket}")
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed",
                    "IllegalLocationConstraintException") or status == 301 or (
                        status == 400 and headers.get("x-amz-bucket-region")):  # HEAD: no body
            region = headers.get("x-amz-bucket-region", "")
            hint = f"region={region}" if region else "the bucket's region= setting"
            return WrongRegion(f"{what}: bucket {bucket} is in another region; set {hint}")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                    "ExpiredToken", "TokenRefreshRequired"):
            return AccessDenied(f"{what}: credentials rejected by the server ({code}); check "
                                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
                                "git annex enableremote with new ones")
        if code == "AccessControlListNotSupported":
            return AclNotSupported(f"{what}: bucket {bucket} does not allow ACLs")
        if status == 403 or code in ("AccessDenied", "Forbidden", "403", "AllAccessDisabled"):
            return AccessDenied(f"{what}: access denied by bucket {bucket} ({code or 403}); check "
                                "the credentials' permissions (a missing object also answers "
                                "403 without s3:ListBucket)")
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError"):
            return EndpointUnavailable(f"{what}: server error {status} {code} after retries")
        return StorageError(f"{what}: S3 error {status} {code}")
    if isinstance(exc, bce.FlexibleChecksumError):
        return IntegrityError(f"{what}: the bytes received fail the server's checksum")
    if isinstance(exc, bce.NoCredentialsError):
        return CredentialsMissing(
            f"{what}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or profile=), or use a public URL for read-only access")
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError,
                        bce.SSLError, bce.ConnectionClosedError, bce.ProxyConnectionError)):
        return EndpointUnavailable(f"{what}: cannot reach the S3 endpoint ({type(exc).__name__}); "
                                   "check endpoint= and the network")
    if isinstance(exc, bce.BotoCoreError):
        return StorageError(f"{what}: {type(exc).__name__}: {exc}")
    from urllib3.exceptions import HTTPError as Urllib3Error

    if isinstance(exc, (Urllib3Error, ConnectionError, TimeoutError)):
        return EndpointUnavailable(f"{what}: connection to the S3 endpoint broke "
                                   f"({type(exc).__name__})")
    raise exc  # a bug: stay loud


@contextlib.contextmanager
def s3_errors(what: str, bucket: str) -> Iterator[None]:
    """Translate botocore and connection errors raised inside the block."""
    from botocore.exceptions import BotoCoreError, ClientError
    from urllib3.exceptions import HTTPError as Urllib3Error

    try:
        yield
    except (ClientError, BotoCoreError, Urllib3Error, ConnectionError, TimeoutError) as exc:
        raise classify(exc, what, bucket) from exc


class Bucket:
    """One bucket reached through one boto3 client (thread-safe; shared by all jobs)."""

    def __init__(self, client: Any, name: str, *, partsize: int = 64 * 1024**2,
                 upload_args: dict | None = None, verify_etag_md5: bool = True,
                 lean: LeanS3 | None = None, flexible_checksums: bool = True) -> None:
        self.client, self.name, self.partsize = client, name, partsize
        self.lean, self.flexible_checksums = lean, flexible_checksums
        self.lean_off_reason = ""
        self.list_page = 1000  # names per lean listing page (S3's maximum)
        self.upload_args = dict(upload_args or {})
        self.verify_etag_md5 = verify_etag_md5
        self._exists: bool | None = None
        self._lock = threading.Lock()
        self.in_flight = InFlightUploads()  # aborted when the process is stopped (cli.py)

    # -- bucket -----------------------------------------------------------------------------
    def exists(self) -> bool:
        """True if the bucket exists; False on a real 404; raises on anything else."""
        if self._exists:
            return True
        try:
            with s3_errors(f"checking bucket {self.name}", self.name):
                self.client.head_bucket(Bucket=self.name)
        except (ObjectNotFound, BucketNotFound):
            return False
        self._exists = True
        return True

    def create(self, region: str) -> None:
        kwargs: dict = {"Bucket": self.name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with s3_errors(f"creating bucket {self.name}", self.name):
            try:
                self.client.create_bucket(**kwargs)
            except Exception as exc:
                code, _, _ = _error_parts(exc)
                if code not in ("BucketAlreadyOwnedByYou",):
                    raise
        self._exists = True

    def region(self) -> str | None:
        """The bucket's region as the server reports it, or None if it does not say."""
        with s3_errors(f"finding the region of bucket {self.name}", self.name):
            answer = self.client.get_bucket_location(Bucket=self.name)
        location = answer.get("LocationConstraint")
        return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)

    def enable_versioning(self) -> None:
        with s3_errors(f"enabling versioning on bucket {self.name}", self.name):
            state = self.client.get_bucket_versioning(Bucket=self.name).get("Status")
            if state != "Enabled":
                self.client.put_bucket_versioning(
                    Bucket=self.name, VersioningConfiguration={"Status": "Enabled"})

    # -- objects ----------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """Raise ``ObjectNotFound`` only for a 404 in a bucket known to exist."""
        lean = self.lean  # read once: another job may turn it off meanwhile
        if lean is not None:
            found = self._lean_head(lean, name, version_id)
            if found is not None:
                return found
        kwargs: dict = {"Bucket": self.name, "Key": name}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            with s3_errors(f"checking {name}", self.name):
                answer = self.client.head_object(**kwargs)
        except ObjectNotFound:
            if not self.exists():
                raise BucketNotFound(f"bucket {self.name} does not exist") from None
            raise
        etag = answer.get("ETag")
        if not etag or "ContentLength" not in answer:
            raise NotAnS3Endpoint(f"checking {name}: the endpoint answered without ETag or "
                                  "Content-Length; is endpoint= an S3 API URL?")
        self._exists = True
        return ObjectInfo(int(answer["ContentLength"]), etag.strip('"'),
                          answer.get("VersionId"), str(answer.get("LastModified", "")))

    def put_file(self, name: str, path: str, report: Report,
                 extra_args: dict | None = None) -> ObjectInfo:
        """Upload a file as one PUT or one multipart upload, verified before returning."""
        args = {**self.upload_args, **(extra_args or {})}
        try:
            size = os.path.getsize(path)
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc
        lean = self.lean
        if lean is not None and size <= self.partsize:
            stored = self._lean_put(lean, name, path, size, args, report)
            if stored is not None:
                report(size)
                return stored
        if size <= self.partsize:  # as the built-in S3 remote: larger files go multipart
            return self._put_single(name, path, size, report, args)
        return self._put_multipart(name, path, size, report, args)

    def _put_single(self, name: str, path: str, size: int, report: Report,
                    args: dict) -> ObjectInfo:
        """One PUT, verified: the server confirmed the checksum botocore sent (``checksums=
        when_supported`` and a server that checks it), or else its ETag is the file's MD5."""
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc
        with handle, s3_errors(f"storing {name}", self.name):
            answer = self.client.put_object(Bucket=self.name, Key=name,
                                            Body=_ProgressReader(handle, report),
                                            ContentLength=size, **args)
        etag = (answer.get("ETag") or "").strip('"')
        if not etag:
            raise NotAnS3Endpoint(f"storing {name}: the endpoint accepted the upload but sent no "
                                  "ETag; is endpoint= an S3 API URL?")
        server_checked = any(answer.get(field) for field in CHECKSUM_FIELDS)
        if not server_checked and self.verify_etag_md5 and "SSEKMSKeyId" not in answer:
            if etag != _md5_file(path):
                self.delete(name)
                raise IntegrityError(f"storing {name}: server ETag {etag} differs from the MD5 "
                                     "of what was sent; the object was removed")
        report(size)
        return ObjectInfo(size, etag, answer.get("VersionId"))

    def _put_multipart(self, name: str, path: str, size: int, report: Report,
                       args: dict) -> ObjectInfo:
        from boto3.s3.transfer import TransferConfig

        sent = _Cumulative(report)
        config = TransferConfig(multipart_threshold=self.partsize,
                                multipart_chunksize=self.partsize,
                                max_concurrency=TRANSFER_THREADS, use_threads=True)
        self.in_flight.watch(self.client)
        try:
            with s3_errors(f"storing {name}", self.name):
                self.client.upload_file(path, self.name, name, ExtraArgs=args or None,
                                        Callback=sent, Config=config)
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc
        info = self.head(name)
        if info.size != size:
            raise IntegrityError(f"storing {name}: the server holds {info.size} bytes, "
                                 f"{size} were sent")
        return info

    def get_file(self, name: str, path: str, report: Report,
                 version_id: str | None = None) -> int:
        """Download to ``path``, resuming a partial file with a ranged GET; return the size.

        A whole download goes the lean way first; botocore resumes partial ones."""
        offset = _partial_size(path)
        lean = self.lean
        if lean is not None and offset == 0:
            got = self._lean_get(lean, name, path, report, version_id)
            if got is not None:
                return got
            offset = _partial_size(path)  # what the lean GET left, for botocore to resume
        kwargs: dict = {"Bucket": self.name, "Key": name}
        if version_id:
            kwargs["VersionId"] = version_id
        if offset:
            kwargs["Range"] = f"bytes={offset}-"
        try:
            with s3_errors(f"retrieving {name}", self.name):
                answer = self.client.get_object(**kwargs)
        except StorageError as exc:
            if offset and _error_parts(exc.__cause__)[0] == "InvalidRange":
                info = self.head(name, version_id)
                if info.size == offset:
                    report(offset)
                    return offset
                os.truncate(path, 0)
                return self.get_file(name, path, report, version_id)
            raise
        if not answer.get("ETag"):
            raise NotAnS3Endpoint(f"retrieving {name}: the endpoint answered without ETag; is "
                                  "endpoint= an S3 API URL?")
        total = _total_size(answer, offset)
        if offset and "ContentRange" not in answer:  # server ignored Range: start over
            offset = 0
        etag_md5 = None if offset == 0 and _crc_validated(answer) else self._etag_md5(answer)
        digest = hashlib.md5() if etag_md5 else None
        try:
            written = self._stream(answer["Body"], path, offset, report, name, digest)
        except IntegrityError:
            os.truncate(path, 0)  # corrupted bytes must not be resumed from
            raise
        if written != total:
            raise IntegrityError(f"retrieving {name}: got {written} of {total} bytes; "
                                 "the next try resumes")
        if digest is not None and digest.hexdigest() != etag_md5:
            os.truncate(path, 0)
            raise IntegrityError(f"retrieving {name}: the bytes received do not match the "
                                 "server's ETag (MD5); discarded, the next try starts over")
        return written

    def _etag_md5(self, answer: dict) -> str | None:
        """The object's MD5 when its ETag is one (single PUT, no SSE-KMS/SSE-C): the whole
        downloaded file, a resumed one too, is checked against it."""
        etag = (answer.get("ETag") or "").strip('"').lower()
        if (not self.verify_etag_md5 or len(etag) != 32 or "-" in etag
                or answer.get("ServerSideEncryption") == "aws:kms"
                or answer.get("SSECustomerAlgorithm")):
            return None
        return etag

    def _stream(self, body: Any, path: str, offset: int, report: Report, name: str,
                digest: Any) -> int:
        """Append the body to the first ``offset`` bytes of ``path``; ``digest`` sees them all."""
        what = f"retrieving {name}"
        with s3_errors(what, self.name):
            return write_blocks(path, offset, body.iter_chunks(READ_CHUNK), report, what, digest)

    def delete(self, name: str) -> None:
        """Delete an object; deleting a missing object succeeds (S3 answers 204)."""
        lean = self.lean
        if lean is not None and self._lean_delete(lean, name):
            return
        with s3_errors(f"removing {name}", self.name):
            self.client.delete_object(Bucket=self.name, Key=name)

    def copy(self, source: str, destination: str, extra_args: dict | None = None) -> None:
        """Server-side copy (multipart above the part size), keeping metadata.

        Storage class and encryption are set again (a copy would fall back to the defaults);
        user metadata is copied from the source, in one request or part by part.
        """
        from boto3.s3.transfer import TransferConfig

        args = {k: v for k, v in self.upload_args.items() if k != "Metadata"}
        args.update(extra_args or {})
        config = TransferConfig(multipart_threshold=min(self.partsize, 5 * 1024**3),
                                multipart_chunksize=self.partsize)
        with s3_errors(f"copying {source} to {destination}", self.name):
            self.client.copy({"Bucket": self.name, "Key": source}, self.name, destination,
                             ExtraArgs=args or None, Config=config)

    def get_text(self, name: str) -> str:
        with s3_errors(f"reading {name}", self.name):
            return self.client.get_object(Bucket=self.name, Key=name)["Body"].read().decode()

    def put_text(self, name: str, text: str, extra_args: dict | None = None) -> None:
        with s3_errors(f"writing {name}", self.name):
            answer = self.client.put_object(Bucket=self.name, Key=name, Body=text.encode(),
                                            **(extra_args or {}))
        if not answer.get("ETag"):
            raise NotAnS3Endpoint(f"writing {name}: the endpoint sent no ETag; is endpoint= an "
                                  "S3 API URL?")

    def list(self, prefix: str) -> Iterator[tuple[str, int, str]]:
        """(name, size, etag) of every object under ``prefix``."""
        token, lean = None, self.lean
        while lean is not None:
            page = self._lean_list_page(lean, prefix, token)
            if page is None:
                break  # botocore goes on from the same page
            yield from page[0]
            token = page[1]
            if token is None:
                return
        yield from self._botocore_listing(prefix, token)

    def _botocore_listing(self, prefix: str, token: str | None
                          ) -> Iterator[tuple[str, int, str]]:
        """The listing through botocore, from S3's continuation ``token`` if one is given."""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = {}
        if token:  # the paginator takes its own token format, not S3's raw one
            from botocore.paginate import TokenEncoder

            pages["StartingToken"] = TokenEncoder().encode({"ContinuationToken": token})
        with s3_errors(f"listing {prefix or 'the bucket'}", self.name):
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix,
                                           PaginationConfig=pages):
                for item in page.get("Contents", []):
                    yield item["Key"], int(item["Size"]), item.get("ETag", "").strip('"')

    def abandoned_uploads(self, prefix: str) -> list[tuple[str, str]]:
        """(name, upload id) of multipart uploads under ``prefix`` never completed."""
        found = []
        paginator = self.client.get_paginator("list_multipart_uploads")
        with s3_errors(f"listing multipart uploads under {prefix}", self.name):
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    found.append((upload["Key"], upload["UploadId"]))
        return found

    def abort_upload(self, name: str, upload_id: str) -> None:
        with s3_errors(f"aborting the upload of {name}", self.name):
            self.client.abort_multipart_upload(Bucket=self.name, Key=name, UploadId=upload_id)

    def presign(self, name: str, expires: int) -> str:
        with s3_errors(f"presigning {name}", self.name):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.name, "Key": name}, ExpiresIn=expires)

    # -- the lean path (lean.py): clean answers only; anything else goes to botocore ---------
    def _lean_off(self, why: str) -> None:
        """From now on botocore does every request of this process: the first error, redirect,
        or unexpected answer ends the lean path (botocore retries, classifies, redirects)."""
        if self.lean is not None:
            logger.debug("lean request path off (%s); botocore sends every request from now "
                         "on", why)
        self.lean, self.lean_off_reason = None, why

    @staticmethod
    def _lean_call(lean: LeanS3, method: str, name: str | None,
                   **kwargs: Any) -> tuple[int, Any, bytes]:
        """(status, headers, body) of one lean exchange; the body is read whole (small)."""
        with lean.exchange(method, name, **kwargs) as response:
            return response.status, response.headers, response.read()

    def _lean_head(self, lean: LeanS3, name: str, version_id: str | None) -> ObjectInfo | None:
        query = {"versionId": version_id} if version_id else None
        try:
            status, headers, _ = self._lean_call(lean, "HEAD", name, query=query)
            if status == 404 and self._lean_bucket_exists(lean):
                raise ObjectNotFound(f"checking {name}: not found in bucket {self.name}")
        except LeanUnavailable as exc:
            return self._lean_off(str(exc))
        etag, length = headers.get("ETag"), headers.get("Content-Length")
        if status != 200 or not etag or not (length or "").isdigit():
            return self._lean_off(f"HEAD {name}: {status}")
        self._exists = True
        return ObjectInfo(int(length), etag.strip('"'), headers.get("x-amz-version-id"),
                          http_date(headers.get("Last-Modified")))

    def _lean_bucket_exists(self, lean: LeanS3) -> bool:
        if not self._exists:
            status, _, _ = self._lean_call(lean, "HEAD", None)
            self._exists = status == 200 or None
        return bool(self._exists)

    def _lean_get(self, lean: LeanS3, name: str, path: str, report: Report,
                  version_id: str | None) -> int | None:
        """Download one object whole, checked against its full-object CRC32 if the server
        keeps one, else its ETag when that is an MD5; None (a partial or empty file left
        for botocore to resume or fetch) if that did not work."""
        what = f"retrieving {name}"
        query = {"versionId": version_id} if version_id else None
        crc, md5_checkable = None, False
        try:
            mode = {"x-amz-checksum-mode": "ENABLED"} if self.flexible_checksums else {}
            with lean.exchange("GET", name, query=query, headers=mode) as response:
                headers = response.headers
                etag = (headers.get("ETag") or "").strip('"').lower()
                length = headers.get("Content-Length")
                if response.status != 200 or not etag or not (length or "").isdigit():
                    response.read()
                    return self._lean_off(f"GET {name}: {response.status}")
                crc = full_object_crc32(headers)
                md5_checkable = bool(self._etag_md5({"ETag": etag, **_sse_fields(headers)}))
                digest: Any = Crc32() if crc else (hashlib.md5() if md5_checkable else None)
                written = write_blocks(path, 0, body_blocks(response, READ_CHUNK), report, what,
                                       digest)
        except (LeanUnavailable, EndpointUnavailable) as exc:
            if crc and not md5_checkable:  # a resumed file could be checked by neither
                os.truncate(path, 0)
            return self._lean_off(str(exc))
        if written != int(length):
            return self._lean_off(f"GET {name}: {written} of {length} bytes")
        if digest is not None and digest.hexdigest() != (crc.hexdigest() if crc else etag):
            os.truncate(path, 0)
            return self._lean_off(f"GET {name}: the bytes fail the object's checksum")
        return written

    def _lean_put(self, lean: LeanS3, name: str, path: str, size: int, args: dict,
                  report: Report) -> ObjectInfo | None:
        """One PUT, its payload unsigned (as botocore's uploads here) but checked by the
        server before it stores, through a signed header: Content-MD5 for a small file (or
        with ``checksums=when_required``), else a CRC32 (one fast pass). A server that does
        not echo the CRC32 gets its ETag compared with the file's MD5; a mismatch removes
        the object and fails, as ``_put_single`` does."""
        headers = upload_headers(args)
        if headers is None:
            return None  # an argument only botocore knows: that upload goes through it
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc
        with handle:
            crc, md5 = None, None
            if size <= LEAN_SMALL_BYTES:
                body: Any = handle.read()
                if len(body) != size:
                    return None  # the file changed under us: botocore's path will say so
                md5 = hashlib.md5(body)
            elif self.flexible_checksums:
                crc = digest_file(handle, Crc32())
                headers["x-amz-checksum-crc32"] = crc.base64()
                headers["x-amz-sdk-checksum-algorithm"] = "CRC32"  # as botocore sends it
            else:
                md5 = digest_file(handle, hashlib.md5())
            if md5 is not None:
                headers["Content-MD5"] = base64.b64encode(md5.digest()).decode()
            if size > LEAN_SMALL_BYTES:
                handle.seek(0)
                body = _ProgressReader(handle, report)
            headers["Content-Length"] = str(size)
            try:
                status, answer, _ = self._lean_call(lean, "PUT", name, headers=headers,
                                                    body=body,
                                                    payload_hash=sigv4.UNSIGNED_PAYLOAD)
            except LeanUnavailable as exc:
                return self._lean_off(str(exc))
        etag = (answer.get("ETag") or "").strip('"')
        if status != 200 or not etag:
            return self._lean_off(f"PUT {name}: {status}")
        if crc is None or answer.get("x-amz-checksum-crc32") != crc.base64():
            md5_hex = md5.hexdigest() if md5 is not None else _md5_file(path)
            if (self.verify_etag_md5 and etag.lower() != md5_hex and
                    "x-amz-server-side-encryption-aws-kms-key-id" not in answer):
                if not self._lean_delete(lean, name):
                    self.delete(name)
                self._lean_off(f"PUT {name}: ETag {etag} is not the MD5 sent")
                raise IntegrityError(f"storing {name}: server ETag {etag} differs from the MD5 "
                                     "of what was sent; the object was removed")
        return ObjectInfo(size, etag, answer.get("x-amz-version-id"))

    def _lean_list_page(self, lean: LeanS3, prefix: str, token: str | None
                        ) -> tuple[list[tuple[str, int, str]], str | None] | None:
        """One ListObjectsV2 page (names URL-encoded by the server, so any name survives XML):
        its (name, size, etag) items and the next page's token; None if it did not work."""
        query = {"list-type": "2", "prefix": prefix, "encoding-type": "url",
                 "max-keys": str(self.list_page)}
        if token:
            query["continuation-token"] = token
        try:
            status, _, body = self._lean_call(lean, "GET", None, query=query)
        except LeanUnavailable as exc:
            return self._lean_off(str(exc))
        page = parse_listing(body) if status == 200 else None
        if page is None:
            return self._lean_off(f"LIST {prefix}: {status}")
        return page

    def _lean_delete(self, lean: LeanS3, name: str) -> bool:
        try:
            status, _, _ = self._lean_call(lean, "DELETE", name)
        except LeanUnavailable as exc:
            self._lean_off(str(exc))
            return False
        if status not in (200, 204):
            self._lean_off(f"DELETE {name}: {status}")
            return False
        return True


class _Cumulative:
    """Adds up the byte deltas that s3transfer reports from its worker threads."""

    def __init__(self, report: Report) -> None:
        self._report, self._total, self._lock = report, 0, threading.Lock()

    def __call__(self, delta: int) -> None:
        with self._lock:
            self._total += delta
            total = self._total
        self._report(total)


def _sse_fields(headers: Any) -> dict:
    """The SSE fields ``Bucket._etag_md5`` looks at, from raw response headers."""
    return {"ServerSideEncryption": headers.get("x-amz-server-side-encryption"),
            "SSECustomerAlgorithm": headers.get("x-amz-server-side-encryption-customer-algorithm")}


def _crc_validated(answer: dict) -> bool:
    """Whether botocore checks the whole body against the object's full-object checksum as it
    streams (``checksums=when_supported``, an object stored with one): then an MD5 of the same
    bytes adds nothing but a second pass (~0.1 s per 64 MiB)."""
    from botocore.httpchecksum import StreamingChecksumBody

    return isinstance(answer.get("Body"), StreamingChecksumBody)


def _total_size(answer: dict, offset: int) -> int:
    content_range = answer.get("ContentRange")
    if content_range and "/" in content_range:
        return int(content_range.rsplit("/", 1)[1])
    return int(answer.get("ContentLength", 0)) + (offset if content_range else 0)
