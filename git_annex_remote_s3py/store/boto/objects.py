"""Every botocore call the store makes on its own bucket (``BotoBucket``), the engine that
retries, classifies and follows redirects."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from typing import TYPE_CHECKING, Iterator, cast

from git_annex_remote_s3py.errors import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    IntegrityError,
    LocalFileError,
    NotAnS3Endpoint,
    ObjectChanged,
    ObjectNotFound,
    StorageError,
)
from git_annex_remote_s3py.store import integrity
from git_annex_remote_s3py.store.base import ObjectInfo, Report, UploadArgs
from git_annex_remote_s3py.store.boto.errors import (
    CREDENTIAL_CODES,
    bare_refusal,
    classify,
    error_parts,
    s3_errors,
)
from git_annex_remote_s3py.store.boto.uploads import InFlightUploads
from git_annex_remote_s3py.store.localfile import (
    READ_CHUNK,
    ProgressReader,
    open_for_upload,
    write_blocks,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import (
        CompletedPartTypeDef,
        CopyObjectRequestTypeDef,
        CreateBucketRequestTypeDef,
        CreateMultipartUploadRequestTypeDef,
        GetObjectOutputTypeDef,
        GetObjectRequestTypeDef,
        HeadObjectRequestTypeDef,
        PaginatorConfigTypeDef,
        PutObjectRequestTypeDef,
        RestoreObjectRequestTypeDef,
    )

TRANSFER_THREADS = 4
CHECKSUM_FIELDS = ("ChecksumCRC32", "ChecksumCRC32C", "ChecksumCRC64NVME", "ChecksumSHA1",
                   "ChecksumSHA256")
LOG = logging.getLogger(__name__)
MAX_SINGLE_COPY = 5 * 1024**3  # S3's limit for one CopyObject
RESTORE_DAYS = 7  # how long a restored copy of an archived object stays readable


class BotoBucket:
    """One bucket through one boto3 client (thread-safe): every request botocore sends.

    Upload arguments (``UploadArgs``) are named by config.py's table, whose names
    tests/unit/test_settings_table.py checks against botocore's input shapes: a request that
    carries them is cast to its mypy_boto3_s3 request type."""

    def __init__(self, client: S3Client, name: str, *, partsize: int, upload_args: UploadArgs,
                 verify_etag_md5: bool, endpoint: str = "", restore: bool = False,
                 list_version: str = "2") -> None:
        self.client, self.name, self.partsize = client, name, partsize
        self.endpoint = endpoint
        self.upload_args, self.verify_etag_md5 = upload_args, verify_etag_md5
        self.restore, self.list_version = restore, list_version
        self._exists: bool | None = None
        # a HEAD's bare 403/400, explained once per process (``_explained``)
        self._refusal_asked = False
        self._refusal_cause: Exception | None = None
        self.in_flight = InFlightUploads()  # aborted on SIGINT/SIGTERM/EOF (cli.stop_cleanly)
        self.conditional_puts = True  # False once the server refused If-None-Match (501)

    def _errors(self, what: str) -> contextlib.AbstractContextManager[None]:
        return s3_errors(what, self.name, self.endpoint)

    # -- bucket ---------------------------------------------------------------------------------
    def exists(self) -> bool:
        """True if the bucket exists; False on a real 404; raises on anything else."""
        if self._exists:
            return True
        try:
            with self._errors(f"checking bucket {self.name}"):
                self.client.head_bucket(Bucket=self.name)
        except (ObjectNotFound, BucketNotFound):
            return False
        except StorageError as refused:
            if isinstance(refused, AccessDenied) or bare_refusal(refused):
                return self._listable(refused)
            raise
        self._exists = True
        return True

    def _listable(self, refused: StorageError) -> bool:
        """After a HEAD of the bucket answered 403 (or a bare 400): a HEAD has no body to say
        why, so one listing request asks again, and its refusal names the cause
        (SignatureDoesNotMatch, InvalidAccessKeyId, InvalidToken...). A bucket that may be
        listed exists."""
        try:
            with self._errors(f"checking bucket {self.name}"):
                self.client.list_objects_v2(Bucket=self.name, MaxKeys=1)
        except (ObjectNotFound, BucketNotFound):
            return False
        except StorageError as explained:
            if isinstance(explained, AccessDenied) and not bare_refusal(explained):
                raise explained from None
            raise refused from None
        self._exists = True
        return True

    def create(self, region: str) -> None:
        kwargs: CreateBucketRequestTypeDef = {"Bucket": self.name}
        if region != "us-east-1":
            # any server's region name, not only AWS's
            kwargs["CreateBucketConfiguration"] = {
                "LocationConstraint": cast("BucketLocationConstraintType", region)}
        with self._errors(f"creating bucket {self.name}"):
            try:
                self.client.create_bucket(**kwargs)
            except Exception as exc:
                if error_parts(exc)[0] not in ("BucketAlreadyOwnedByYou",):
                    raise
        self._exists = True

    def allow_public_reads(self) -> None:
        """The public-read bucket ACL (Swift's s3api maps it to the container read ACL)."""
        with self._errors(f"giving bucket {self.name} the public-read ACL"):
            self.client.put_bucket_acl(Bucket=self.name, ACL="public-read")

    def remove(self) -> None:
        """Delete the (empty) bucket itself."""
        with self._errors(f"removing bucket {self.name}"):
            self.client.delete_bucket(Bucket=self.name)
        self._exists = None

    def region(self) -> str | None:
        with self._errors(f"finding the region of bucket {self.name}"):
            answer = self.client.get_bucket_location(Bucket=self.name)
        location = answer.get("LocationConstraint")
        return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)

    def enable_versioning(self) -> None:
        with self._errors(f"enabling versioning on bucket {self.name}"):
            state = self.client.get_bucket_versioning(Bucket=self.name).get("Status")
            if state != "Enabled":
                self.client.put_bucket_versioning(
                    Bucket=self.name, VersioningConfiguration={"Status": "Enabled"})

    # -- objects --------------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """Raise ``ObjectNotFound`` only for a 404 in a bucket known to exist."""
        kwargs: HeadObjectRequestTypeDef = {"Bucket": self.name, "Key": name}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            with self._errors(f"checking {name}"):
                answer = self.client.head_object(**kwargs)
        except ObjectNotFound:
            if not self.exists():
                raise BucketNotFound(f"bucket {self.name} does not exist") from None
            raise
        except StorageError as refused:
            if not bare_refusal(refused):
                raise
            raise self._explained(kwargs, refused, f"checking {name}") from None
        etag = answer.get("ETag")
        if not etag or "ContentLength" not in answer:
            raise NotAnS3Endpoint(f"checking {name}: the endpoint answered without ETag or "
                                  "Content-Length; is endpoint= an S3 API URL?")
        self._exists = True
        return ObjectInfo(int(answer["ContentLength"]), etag.strip('"'),
                          answer.get("VersionId"), str(answer.get("LastModified", "")))

    def _explained(self, kwargs: HeadObjectRequestTypeDef, bare: StorageError,
                   what: str) -> StorageError:
        """A HEAD's 403 or 400 has no body to say why: one GET of the object's first byte
        (the same permission) asks again, and its error names the cause (SignatureDoesNotMatch,
        InvalidToken...). ``bare`` stays the answer when the GET says nothing more.

        Asked once per process: a cause that belongs to the credentials (``CREDENTIAL_CODES``)
        explains every later bare refusal too; any other answer ends the asking, so a
        thousand refused keys cost a thousand HEADs, not two thousand requests."""
        if self._refusal_asked:
            if self._refusal_cause is None:
                return bare
            return classify(self._refusal_cause, what, self.name, self.endpoint)
        self._refusal_asked = True
        try:
            with self._errors(what):
                first_byte: GetObjectRequestTypeDef = {**kwargs, "Range": "bytes=0-0"}
                self.client.get_object(**first_byte)["Body"].close()
        except StorageError as explained:
            if not bare_refusal(explained) and isinstance(explained, type(bare)):
                cause = explained.__cause__
                if isinstance(cause, Exception) and error_parts(cause)[0] in CREDENTIAL_CODES:
                    self._refusal_cause = cause
                return explained
        return bare

    def put_single(self, name: str, path: str, size: int, report: Report,
                   args: UploadArgs, sha256: str | None = None) -> integrity.Stored:
        """One PUT; what the server answered, for ``integrity.stored_is_sent`` to judge. The
        server checks ``sha256`` (hex) if given, else (``checksums=when_supported``)
        botocore's CRC32, before it stores."""
        if sha256:
            args = {**args, "ChecksumAlgorithm": "SHA256",
                    "ChecksumSHA256": integrity.sha256_base64(sha256)}
        with open_for_upload(path) as handle, self._errors(f"storing {name}"):
            answer = self.client.put_object(**cast("PutObjectRequestTypeDef", {
                "Bucket": self.name, "Key": name, "Body": ProgressReader(handle, report),
                "ContentLength": size, **args}))
        etag = (answer.get("ETag") or "").strip('"')
        if not etag:
            raise NotAnS3Endpoint(f"storing {name}: the endpoint accepted the upload but sent no "
                                  "ETag; is endpoint= an S3 API URL?")
        return integrity.Stored(etag, answer.get("VersionId"),
                                integrity.Encryption.of_answer(answer),
                                any(answer.get(field) for field in CHECKSUM_FIELDS),
                                sha256_hex=sha256 if sha256 and answer.get("ChecksumSHA256")
                                == args["ChecksumSHA256"] else None)

    def put_multipart(self, name: str, path: str, size: int, report: Report,
                      args: UploadArgs) -> ObjectInfo:
        """One multipart upload (s3transfer, parts in parallel); an object whose size is not
        the file's is removed and the store fails."""
        from boto3.s3.transfer import TransferConfig

        sent = _Cumulative(report)
        config = TransferConfig(multipart_threshold=self.partsize,
                                multipart_chunksize=self.partsize,
                                max_concurrency=TRANSFER_THREADS, use_threads=True)
        self.in_flight.watch(self.client)
        try:
            with self._errors(f"storing {name}"):
                self.client.upload_file(path, self.name, name, ExtraArgs=args or None,
                                        Callback=sent, Config=config)
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc
        info = self.head(name)
        if info.size != size:
            self.delete(name)
            raise IntegrityError(f"storing {name}: the server holds {info.size} bytes, "
                                 f"{size} were sent; the object was removed")
        return info

    def get_file(self, name: str, path: str, report: Report, version_id: str | None,
                 offset: int, if_match: str | None = None, verify: bool = True) -> int:
        """Download to ``path`` after its first ``offset`` bytes (a ranged GET resumes them),
        checked against the ETag when it is an MD5 and botocore checks no CRC as it reads
        (``verify=False``: not by s3py); ``ObjectChanged`` if ``if_match`` is given and is not
        the object's ETag."""
        kwargs: GetObjectRequestTypeDef = {"Bucket": self.name, "Key": name}
        if version_id:
            kwargs["VersionId"] = version_id
        if if_match:
            kwargs["IfMatch"] = f'"{if_match}"'
        if offset:
            kwargs["Range"] = f"bytes={offset}-"
        try:
            with self._errors(f"retrieving {name}"):
                answer = self.client.get_object(**kwargs)
        except StorageError as exc:
            if error_parts(exc.__cause__)[0] == "InvalidObjectState":
                raise self._archived(name, version_id) from exc
            if offset and error_parts(exc.__cause__)[0] == "InvalidRange":
                if integrity.partial_is_whole(path, offset, self.head(name, version_id).size):
                    report(offset)
                    return offset
                return self.get_file(name, path, report, version_id, 0, if_match, verify)
            raise
        if not answer.get("ETag"):
            raise NotAnS3Endpoint(f"retrieving {name}: the endpoint answered without ETag; is "
                                  "endpoint= an S3 API URL?")
        total = _total_size(answer, offset)
        if offset and "ContentRange" not in answer:  # server ignored Range: start over
            offset = 0
        etag_md5 = None if not verify or (offset == 0 and crc_validated(answer)) else (
            integrity.checkable_md5(answer.get("ETag"), integrity.Encryption.of_answer(answer),
                                    self.verify_etag_md5))
        digest = hashlib.md5() if etag_md5 else None
        what = f"retrieving {name}"
        try:
            with self._errors(what):
                written = write_blocks(path, offset, answer["Body"].iter_chunks(READ_CHUNK),
                                       report, what, digest)
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

    def _archived(self, name: str, version_id: str | None) -> StorageError:
        """The failure of a GET of an archived (GLACIER, DEEP_ARCHIVE) object; with
        ``restore=yes`` after asking S3 to restore it (RestoreObject)."""
        what = f"retrieving {name}"
        if not self.restore:
            return StorageError(f"{what}: the object is archived (InvalidObjectState); set "
                                "restore=yes (git annex enableremote REMOTE restore=yes) to have "
                                "get ask S3 to restore it")
        kwargs: RestoreObjectRequestTypeDef = {"Bucket": self.name, "Key": name,
                        "RestoreRequest": {"Days": RESTORE_DAYS,
                                           "GlacierJobParameters": {"Tier": "Standard"}}}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            with s3_errors(f"restoring {name}", self.name):
                self.client.restore_object(**kwargs)
        except StorageError as exc:
            if error_parts(exc.__cause__)[0] != "RestoreAlreadyInProgress":
                raise
            return StorageError(f"{what}: the object is archived and its restore is still in "
                                "progress; retry after it completes (hours; up to 48 h for "
                                "DEEP_ARCHIVE)")
        return StorageError(f"{what}: the object is archived; restore requested (readable for "
                            f"{RESTORE_DAYS} days once done): retry after it completes (hours; "
                            "up to 48 h for DEEP_ARCHIVE)")

    def delete(self, name: str) -> None:
        with self._errors(f"removing {name}"):
            self.client.delete_object(Bucket=self.name, Key=name)

    def copy(self, source: str, destination: str, extra_args: UploadArgs | None = None) -> None:
        """Server-side copy (multipart above the part size), keeping metadata.

        Storage class and encryption are set again (a copy would fall back to the defaults);
        user metadata is copied from the source, in one request or part by part.
        """
        from boto3.s3.transfer import TransferConfig

        args = {k: v for k, v in self.upload_args.items() if k != "Metadata"}
        args.update(extra_args or {})
        config = TransferConfig(multipart_threshold=min(self.partsize, 5 * 1024**3),
                                multipart_chunksize=self.partsize)
        try:
            with self._errors(f"copying {source} to {destination}"):
                self.client.copy({"Bucket": self.name, "Key": source}, self.name, destination,
                                 ExtraArgs=args or None, Config=config)
        except ObjectChanged as refused:  # a part copy with x-amz-copy-source-if-match
            self._copy_unconditionally(source, destination, args, refused)

    def _copy_unconditionally(self, source: str, destination: str, args: UploadArgs,
                              refused: ObjectChanged) -> None:
        """The copy once more without a precondition, where the server refused the managed
        copy's ``x-amz-copy-source-if-match`` (OpenStack Swift for a multipart source, 412):
        one CopyObject up to 5 GiB, else part copies of the source as it is now; the copy
        must then have the source's size."""
        what = f"copying {source} to {destination}"
        LOG.debug("%s: the server refused the copy's precondition (%s); copying without it",
                  what, refused)
        size = self.head(source).size
        if size <= MAX_SINGLE_COPY:
            with self._errors(what):
                self.client.copy_object(**cast("CopyObjectRequestTypeDef", {
                    "CopySource": {"Bucket": self.name, "Key": source}, "Bucket": self.name,
                    "Key": destination,
                    "MetadataDirective": "REPLACE" if "Metadata" in args else "COPY", **args}))
        else:
            self._copy_parts(source, destination, size, args, what)
        copied = self.head(destination).size
        if copied != size:
            self.delete(destination)
            raise IntegrityError(f"{what}: the copy holds {copied} bytes, the source {size}; "
                                 "the copy was removed")

    def _copy_parts(self, source: str, destination: str, size: int, args: UploadArgs,
                    what: str) -> None:
        """A multipart copy without preconditions (aborted on any failure)."""
        metadata = {} if "Metadata" in args else {"Metadata": self._metadata(source)}
        with self._errors(what):
            upload = self.client.create_multipart_upload(**cast(
                "CreateMultipartUploadRequestTypeDef",
                {"Bucket": self.name, "Key": destination, **metadata, **args}))["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            for number, start in enumerate(range(0, size, self.partsize), 1):
                end = min(start + self.partsize, size) - 1
                with self._errors(what):
                    answer = self.client.upload_part_copy(
                        Bucket=self.name, Key=destination, UploadId=upload, PartNumber=number,
                        CopySource={"Bucket": self.name, "Key": source},
                        CopySourceRange=f"bytes={start}-{end}")
                parts.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
            with self._errors(what):
                self.client.complete_multipart_upload(Bucket=self.name, Key=destination,
                                                      UploadId=upload,
                                                      MultipartUpload={"Parts": parts})
        except BaseException:
            with contextlib.suppress(StorageError), self._errors(what):
                self.client.abort_multipart_upload(Bucket=self.name, Key=destination,
                                                   UploadId=upload)
            raise

    def _metadata(self, name: str) -> dict[str, str]:
        with self._errors(f"checking {name}"):
            return self.client.head_object(Bucket=self.name, Key=name).get("Metadata", {})

    def get_text(self, name: str) -> str:
        with self._errors(f"reading {name}"):
            return self.client.get_object(Bucket=self.name, Key=name)["Body"].read().decode()

    def put_text(self, name: str, text: str, extra_args: UploadArgs | None = None,
                 if_absent: bool = False) -> None:
        """One PUT; ``if_absent``: only where the name holds nothing (``If-None-Match: *``;
        ``AlreadyExists`` on the 412 of a server that honours it). A server that refuses
        conditional PUTs (OpenStack Swift: 501 NotImplemented) gets a plain PUT: the caller
        reads back (``Bucket.put_text``) and must not rely on the condition there."""
        condition = {"IfNoneMatch": "*"} if if_absent and self.conditional_puts else {}
        try:
            with self._errors(f"writing {name}"):
                answer = self.client.put_object(**cast("PutObjectRequestTypeDef", {
                    "Bucket": self.name, "Key": name, "Body": text.encode(),
                    **(extra_args or {}), **condition}))
        except ObjectChanged as exc:
            if not condition:
                raise
            raise AlreadyExists(f"writing {name}: bucket {self.name} holds it already "
                                "(written by another client meanwhile)") from exc
        except StorageError as exc:
            if not condition or error_parts(exc.__cause__)[0] != "NotImplemented":
                raise
            self.conditional_puts = False
            LOG.debug("bucket %s refuses conditional PUTs (%s): plain PUTs", self.name, exc)
            self.put_text(name, text, extra_args)
            return
        if not answer.get("ETag"):
            raise NotAnS3Endpoint(f"writing {name}: the endpoint sent no ETag; is endpoint= an "
                                  "S3 API URL?")

    def listing(self, prefix: str, token: str | None = None
                ) -> Iterator[tuple[str, int, str]]:
        """(name, size, etag) under ``prefix``, from S3's continuation ``token`` if given
        (ListObjectsV2; ListObjects with ``listversion=1``, where the lean path, which would
        give a token, is off)."""
        paginator = self.client.get_paginator(
            "list_objects" if self.list_version == "1" else "list_objects_v2")
        pages: PaginatorConfigTypeDef = {}
        if token:  # the paginator takes its own token format, not S3's raw one
            from botocore.paginate import TokenEncoder

            pages["StartingToken"] = TokenEncoder().encode({"ContinuationToken": token})
        with self._errors(f"listing {prefix or 'the bucket'}"):
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix,
                                           PaginationConfig=pages):
                for item in page.get("Contents", []):
                    yield item["Key"], int(item["Size"]), item.get("ETag", "").strip('"')

    def presign(self, name: str, expires: int) -> str:
        with self._errors(f"presigning {name}"):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.name, "Key": name}, ExpiresIn=expires)


class _Cumulative:
    """Adds up the byte deltas that s3transfer reports from its worker threads."""

    def __init__(self, report: Report) -> None:
        self._report, self._total, self._lock = report, 0, threading.Lock()

    def __call__(self, delta: int) -> None:
        with self._lock:
            self._total += delta
            total = self._total
        self._report(total)


def crc_validated(answer: GetObjectOutputTypeDef) -> bool:
    """Whether botocore checks the whole body against the object's full-object checksum as it
    streams (``checksums=when_supported``, an object stored with one): then an MD5 of the same
    bytes adds nothing but a second pass (~0.1 s per 64 MiB)."""
    from botocore.httpchecksum import StreamingChecksumBody

    return isinstance(answer.get("Body"), StreamingChecksumBody)


def _total_size(answer: GetObjectOutputTypeDef, offset: int) -> int:
    content_range = answer.get("ContentRange")
    if content_range and "/" in content_range:
        return int(content_range.rsplit("/", 1)[1])
    return int(answer.get("ContentLength", 0)) + (offset if content_range else 0)
