"""What a bucket holds, for import and ``s3://`` URLs: each current object's name, size, ETag
and version (a listing), what a HEAD adds (encryption, full-object SHA-256 checksum), and a
streamed SHA-256 of an object's bytes (read and discarded). Through botocore; any bucket the
client reaches, not only the remote's own."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Iterator

from git_annex_remote_s3py.config import DEFAULT_PART_SIZE
from git_annex_remote_s3py.errors import AccessDenied, IntegrityError, StorageError
from git_annex_remote_s3py.store import integrity
from git_annex_remote_s3py.store.base import Described, Listed, Report
from git_annex_remote_s3py.store.boto.errors import error_parts, s3_errors
from git_annex_remote_s3py.store.boto.objects import BotoBucket
from git_annex_remote_s3py.store.localfile import partial_size

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectRequestTypeDef, HeadObjectRequestTypeDef

READ_CHUNK = 1024 * 1024
# Answers to GetBucketVersioning that mean "list plainly": not allowed (anonymous readers of
# open-data buckets), or not implemented by the server.
PLAIN_LISTING_CODES = ("AccessDenied", "NotImplemented", "MethodNotAllowed", "InvalidRequest")


def bucket_versioned(client: S3Client, bucket: str) -> bool:
    """Whether the bucket keeps versions (Enabled or Suspended); False where the server
    refuses or lacks the question."""
    try:
        with s3_errors(f"reading the versioning state of bucket {bucket}", bucket):
            state = client.get_bucket_versioning(Bucket=bucket).get("Status")
    except StorageError as exc:
        if isinstance(exc, AccessDenied) or error_parts(exc.__cause__)[0] in PLAIN_LISTING_CODES:
            return False
        raise
    return state in ("Enabled", "Suspended")


def list_current(client: S3Client, bucket: str, prefix: str) -> Iterator[Listed]:
    """Every current object under ``prefix`` (delete markers and older versions left out),
    with its version ID on a versioned bucket."""
    if bucket_versioned(client, bucket):
        yield from list_versions(client, bucket, prefix)
        return
    paginator = client.get_paginator("list_objects_v2")
    with s3_errors(f"listing {prefix or 'the bucket'}", bucket):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield Listed(item["Key"], int(item["Size"]), item.get("ETag", "").strip('"'))


def list_versions(client: S3Client, bucket: str, prefix: str) -> Iterator[Listed]:
    """The current version of every object under ``prefix`` of a versioned bucket."""
    paginator = client.get_paginator("list_object_versions")
    with s3_errors(f"listing the versions under {prefix or 'the bucket'}", bucket):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Versions", []):
                if item.get("IsLatest"):
                    version = item.get("VersionId")
                    yield Listed(item["Key"], int(item["Size"]), item.get("ETag", "").strip('"'),
                                 None if version in (None, "null") else version)


def describe(client: S3Client, bucket: str, name: str, version_id: str | None = None) -> Described:
    """HEAD one object (version), with its checksums; ``ObjectNotFound`` on a real 404."""
    kwargs: HeadObjectRequestTypeDef = {"Bucket": bucket, "Key": name, "ChecksumMode": "ENABLED"}
    if version_id:
        kwargs["VersionId"] = version_id
    with s3_errors(f"checking {name}", bucket):
        answer = client.head_object(**kwargs)
    version = answer.get("VersionId")
    return Described(int(answer["ContentLength"]), (answer.get("ETag") or "").strip('"'),
                     None if version in (None, "null") else version,
                     integrity.Encryption.of_answer(answer), integrity.full_object_sha256(answer),
                     {name.lower(): value for name, value in answer.get("Metadata", {}).items()})


def stream_sha256(client: S3Client, bucket: str, name: str, version_id: str | None,
                  etag: str) -> tuple[str, int]:
    """(hex SHA-256, size) of the object's bytes, read as a stream and discarded; only of the
    content whose ETag is ``etag`` (If-Match), so a changed object fails instead."""
    kwargs: GetObjectRequestTypeDef = {"Bucket": bucket, "Key": name, "IfMatch": f'"{etag}"'}
    if version_id:
        kwargs["VersionId"] = version_id
    digest, size = hashlib.sha256(), 0
    with s3_errors(f"reading {name} to hash it", bucket):
        answer = client.get_object(**kwargs)
        if (answer.get("ETag") or "").strip('"') != etag:
            raise IntegrityError(f"{name} in bucket {bucket} changed while it was hashed "
                                 f"(ETag {answer.get('ETag')}, listed {etag}); import again")
        for chunk in answer["Body"].iter_chunks(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    expected = int(answer.get("ContentLength", size))
    if size != expected:
        raise IntegrityError(f"reading {name} to hash it: got {size} of {expected} bytes")
    return digest.hexdigest(), size


def download(client: S3Client, bucket: str, name: str, path: str, report: Report,
             version_id: str | None = None) -> int:
    """Download one object of any bucket the client reaches, verified as every s3py download
    (the ETag when it is an MD5, the full-object checksum botocore checks); resumes a partial
    file."""
    reader = BotoBucket(client, bucket, partsize=DEFAULT_PART_SIZE, upload_args={},
                        verify_etag_md5=True)
    return reader.get_file(name, path, report, version_id, partial_size(path))


class BotoOtherBuckets:
    """``base.OtherBuckets``: any bucket one botocore client reaches (``s3://`` URLs)."""

    def __init__(self, client: S3Client) -> None:
        self.client = client

    def describe(self, bucket: str, name: str, version_id: str | None = None) -> Described:
        return describe(self.client, bucket, name, version_id)

    def list_current(self, bucket: str, prefix: str) -> Iterator[Listed]:
        return list_current(self.client, bucket, prefix)

    def get_file(self, bucket: str, name: str, path: str, report: Report,
                 version_id: str | None = None) -> int:
        return download(self.client, bucket, name, path, report, version_id)
