"""The one storage interface: what the adapter (annex/) and the subcommands may ask of a bucket,
signed or public, and the answers' types. Stores are opened in ``store/open.py`` only.

Every method raises an ``errors.StorageError`` subclass (or ``LocalFileError`` for the local
file) for an expected failure, and nothing else: a bug stays loud. The subclasses each method
may raise beyond ``StorageError`` itself are named in its docstring; ``CredentialsMissing``
is raised by every write (and listing) of a store opened without credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator, Mapping, Protocol, Sequence

from git_annex_remote_s3py.store import integrity

META = "x-amz-meta-"  # the prefix of user metadata headers
Report = Callable[[int], None]  # called with the bytes moved so far
UploadArgs = dict[str, object]  # botocore's upload arguments (ACL, StorageClass, Metadata...)


@dataclass(frozen=True)
class ObjectInfo:
    """What a HEAD (or an upload's answer) tells about one object."""

    size: int
    etag: str
    version_id: str | None = None
    last_modified: str | None = None
    # an upload's answer only: the MD5 its ETag is (single part, not SSE-KMS/SSE-C, the
    # remote checks ETags), and the full-object SHA-256 the server answered with
    md5_hex: str | None = None
    sha256_hex: str | None = None


@dataclass(frozen=True)
class Listed:
    """One current object in a listing."""

    name: str
    size: int
    etag: str
    version_id: str | None = None  # None on an unversioned bucket (S3's "null" version)


@dataclass(frozen=True)
class Described:
    """One object version as a HEAD with ``ChecksumMode=ENABLED`` describes it."""

    size: int
    etag: str
    version_id: str | None
    encryption: integrity.Encryption
    sha256_hex: str | None  # the full-object SHA-256 checksum, when the object has one
    metadata: Mapping[str, str] = field(default_factory=dict)  # x-amz-meta-* (names lower)

    @classmethod
    def of_headers(cls, headers: Mapping[str, str]) -> Described:
        """From the lower-cased headers of a HEAD with checksum mode enabled (the lean path's
        and a public URL's answer), as store/boto/inventory.py reads botocore's."""
        version = headers.get("x-amz-version-id")
        checksums = {"ChecksumSHA256": headers.get("x-amz-checksum-sha256"),
                     "ChecksumType": headers.get("x-amz-checksum-type", "FULL_OBJECT")}
        return cls(int(headers["content-length"]), headers.get("etag", "").strip('"'),
                   None if version in (None, "null") else version,
                   integrity.Encryption.of_headers(headers),
                   integrity.full_object_sha256(checksums),
                   {name[len(META):]: value for name, value in headers.items()
                    if name.startswith(META)})

    def md5_hex(self, verify: bool = True) -> str | None:
        """The object's MD5 when its ETag is one (single part, not SSE-KMS/SSE-C)."""
        return integrity.checkable_md5(self.etag, self.encryption, verify)


@dataclass(frozen=True)
class Upload:
    """One multipart upload S3 holds open."""

    name: str
    upload_id: str
    initiated: datetime


class Store(Protocol):
    """One bucket's objects (thread-safe: shared by every job of a process)."""

    @property
    def name(self) -> str:
        """The bucket's name."""

    # -- objects ------------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """The object's size and ETag. Raises ``ObjectNotFound`` only on a real 404 (or a
        name a fresh complete listing lacks), ``BucketNotFound``, ``AccessDenied``,
        ``WrongRegion``, ``EndpointUnavailable``, ``NotAnS3Endpoint``."""

    def describe(self, name: str, version_id: str | None = None) -> Described:
        """What a HEAD with checksums says of the object (import and verify: its full-object
        SHA-256, encryption, version, user metadata); never the object's bytes. Raises as
        ``head`` (``ObjectNotFound`` only in a bucket that exists)."""

    def get_file(self, name: str, path: str, report: Report,
                 version_id: str | None = None, if_match: str | None = None,
                 verify: bool = True) -> int:
        """Download to ``path`` (resuming a partial file), verified (``verify=False``: the
        length only, where the reader hashes the bytes itself); return the size. Raises
        ``ObjectNotFound``, ``ObjectChanged`` (``if_match``, an ETag, is not the object's),
        ``IntegrityError`` (the bytes are wrong: the partial file is emptied),
        ``LocalFileError``, and as ``head``."""

    def sha256_of(self, name: str, version_id: str | None, etag: str) -> tuple[str, int]:
        """(hex SHA-256, size) of the object's bytes, streamed and discarded; only of the
        content whose ETag is ``etag``: ``ObjectChanged``/``IntegrityError`` otherwise."""

    def put_file(self, name: str, path: str, report: Report,
                 extra_args: UploadArgs | None = None, sha256: str | None = None) -> ObjectInfo:
        """Upload a file, verified before returning; a wrong object never stays. ``sha256``
        (hex, the content's: a SHA256 key's) is sent as the object's checksum where the
        server takes one (the server keeps it for ``describe``; AWS refuses other bytes).
        Raises ``IntegrityError``, ``AclNotSupported``/``AccessDenied`` (an ACL refused),
        ``QuotaExceeded``, ``LocalFileError``, ``CredentialsMissing``."""

    def delete(self, name: str) -> None:
        """Delete an object; deleting a missing one succeeds."""

    def copy(self, source: str, destination: str, extra_args: UploadArgs | None = None) -> None:
        """Server-side copy, keeping metadata; raises as ``put_file``."""

    def get_text(self, name: str) -> str:
        """A small object's text; ``ObjectNotFound``, ``BucketNotFound``."""

    def put_text(self, name: str, text: str, extra_args: UploadArgs | None = None,
                 if_absent: bool = False) -> None:
        """Write a small object, read back: ``IntegrityError`` if other
        bytes stayed (the object is removed); ``if_absent``: only where the name is free
        (``If-None-Match: *``), ``AlreadyExists`` otherwise."""

    def presign(self, name: str, expires: int) -> str:
        """A GET URL valid for ``expires`` seconds (``CredentialsMissing`` without
        credentials)."""

    # -- listings -----------------------------------------------------------------------------
    def list(self, prefix: str) -> Iterator[tuple[str, int, str]]:
        """(name, size, etag) of every object under ``prefix``."""

    def list_current(self, prefix: str) -> Iterator[Listed]:
        """Every current object under ``prefix``, with its version ID on a versioned bucket
        (delete markers and older versions left out)."""

    def versioned(self) -> bool:
        """Whether the bucket keeps versions (Enabled or Suspended); False where the server
        refuses or lacks the question."""

    # -- the bucket ---------------------------------------------------------------------------
    def exists(self) -> bool:
        """True if the bucket exists, False on a real 404; raises on anything else
        (``AccessDenied`` with the server's reason, ``WrongRegion``...)."""

    def create(self, region: str) -> None:
        """Create the bucket (one already ours is fine)."""

    def remove(self) -> None:
        """Delete the bucket itself (it must be empty)."""

    def region(self) -> str | None:
        """The bucket's region as the server reports it, or None."""

    def enable_versioning(self) -> None:
        """Turn versioning on (a no-op where it is on)."""

    def allow_public_reads(self) -> None:
        """Give the bucket the public-read ACL: anybody may list it and read its objects
        (OpenStack Swift's container read ACL, where objects' ACLs are ignored)."""

    # -- uploads ------------------------------------------------------------------------------
    def public_acl_refused(self) -> str:
        """Why the bucket refused the public ACL (``public=yes``) so that uploads and copies
        went, and go, without it ("" where it did not: the adapter tells the user once)."""

    def plain_uploads(self) -> str:
        """Why uploads go as plain bodies after the checksum fallback ("" where they do not
        or never did: setup records it)."""

    def list_uploads(self, prefix: str) -> Sequence[Upload]:
        """Every multipart upload S3 holds open under ``prefix``."""

    def abort_upload(self, upload: Upload) -> None:
        """Abort one multipart upload (its parts are freed)."""

    def uploads_in_flight(self) -> bool:
        """Whether this process has a multipart upload open or being begun."""

    def abort_uploads_in_flight(self, within: float) -> int:
        """Abort this process's open multipart uploads (waiting at most ``within`` seconds
        for those being begun); no new one begins. How many aborts were sent; never raises."""


class OtherBuckets(Protocol):
    """Any bucket the remote's endpoint and credentials reach (``s3://`` URLs): reads only."""

    def describe(self, bucket: str, name: str, version_id: str | None = None) -> Described:
        """As ``Store.describe``, in ``bucket``."""

    def list_current(self, bucket: str, prefix: str) -> Iterator[Listed]:
        """As ``Store.list_current``, in ``bucket``."""

    def get_file(self, bucket: str, name: str, path: str, report: Report,
                 version_id: str | None = None) -> int:
        """As ``Store.get_file`` (verified, resuming), in ``bucket``."""
