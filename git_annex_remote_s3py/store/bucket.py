"""``Bucket``: the signed store. Each object request goes the lean way first (store/lean/)
and to botocore (store/boto/) when the lean path hands it over; knows nothing of git-annex.

The hand-over rule, in ``Bucket._hand_over`` only: the first answer the lean path does not
take (an error, a redirect, anything unexpected) turns it off for the whole process, and
botocore sends every request from then on (it retries, classifies and follows redirects).

The checksum fallback, in ``Bucket._plain_retry`` only: where botocore sends aws-chunked
upload bodies with a trailing checksum (``checksums=when_supported`` over https) and the
server refuses one (411 MissingContentLength, a 4xx naming the checksum) or stores other
bytes than sent (the framing as data: the wrong object is removed first), botocore's client
is replaced by the plain-body one (``checksums=when_required``) for the whole process and
that upload is sent once more; ``plain_uploads()`` then says why.

The public-ACL fallback, in ``Bucket._with_public_acl`` only: with ``public_read`` every upload
and copy asks for ``ACL: public-read``; where the bucket refuses it
(``AccessControlListNotSupported``: Object Ownership "bucket owner enforced"; 403: Block Public
Access, or no s3:PutObjectAcl) the request is sent again without it, and so is every later one;
``public_acl_refused()`` then says why. A 403 that the request without the ACL also gets is
raised as it is.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

from git_annex_remote_s3py.config import DEFAULT_PART_SIZE
from git_annex_remote_s3py.errors import (
    AccessDenied,
    AclNotSupported,
    AlreadyExists,
    BucketNotFound,
    IntegrityError,
    LocalFileError,
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
from git_annex_remote_s3py.store.boto import uploads
from git_annex_remote_s3py.store.boto.errors import refuses_chunked_upload
from git_annex_remote_s3py.store.boto.objects import BotoBucket
from git_annex_remote_s3py.store.lean.objects import LeanObjects
from git_annex_remote_s3py.store.lean.transport import LeanS3
from git_annex_remote_s3py.store.localfile import partial_size

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOG = logging.getLogger(__name__)
Answer = TypeVar("Answer")


class Bucket:
    """One bucket (thread-safe; shared by all jobs of a process): the ``base.Store`` that
    signs its requests."""

    def __init__(self, client: S3Client, name: str, *, partsize: int = DEFAULT_PART_SIZE,
                 upload_args: UploadArgs | None = None, verify_etag_md5: bool = True,
                 lean: LeanS3 | None = None, flexible_checksums: bool = True,
                 plain_client: S3Client | None = None, endpoint: str = "", restore: bool = False,
                 list_version: str = "2", public_read: bool = False) -> None:
        self.client, self.name, self.partsize = client, name, partsize
        self.upload_args = dict(upload_args or {})
        self.public_read = public_read
        self._acl_refusal = ""  # why the bucket refused the public ACL ("" if it did not)
        self.verify_etag_md5 = verify_etag_md5
        self.flexible_checksums = flexible_checksums  # False: checksums=when_required
        self.boto = BotoBucket(client, name, partsize=partsize, upload_args=self.upload_args,
                               verify_etag_md5=verify_etag_md5, endpoint=endpoint,
                               restore=restore, list_version=list_version)
        self._plain_client = plain_client  # None: uploads are plain already, no fallback
        self._plain_why = ""  # why botocore sends plain upload bodies now (fallen back)
        self.lean: LeanObjects | None = None if lean is None else LeanObjects(
            lean, name, self._hand_over, flexible_checksums=flexible_checksums,
            verify_etag_md5=verify_etag_md5)
        self.in_flight = self.boto.in_flight
        self.list_page = 1000  # names per lean listing page (S3's maximum)
        self._lock = threading.Lock()

    # -- the one choice point ---------------------------------------------------------------
    def _lean_first(self, lean_way: Callable[[LeanObjects], Answer | None],
                    botocore_way: Callable[[], Answer]) -> Answer:
        """The lean answer if the lean path is on and takes the request, else botocore's."""
        lean = self.lean  # read once: another job may turn it off meanwhile
        if lean is not None:
            answer = lean_way(lean)
            if answer is not None:
                return answer
        return botocore_way()

    def _hand_over(self, why: str) -> None:
        """Turn the lean path off for this process (once; later calls find it off)."""
        with self._lock:
            if self.lean is None:
                return
            self.lean = None
        LOG.debug("lean request path off (%s); botocore sends every request from now on", why)

    # -- the checksum fallback -----------------------------------------------------------------
    def _plain_retry(self, upload: Callable[[], Answer]) -> Answer:
        """``upload()``; where the server refused or mangled it as an aws-chunked body, once
        more after falling back to plain bodies (a mangled object is removed already)."""
        client = self.boto.client
        try:
            return upload()
        except IntegrityError as exc:
            why = f"the server stored other bytes than sent ({exc})"
            if not self._fall_back(client, why):
                raise
        except StorageError as exc:
            refusal = refuses_chunked_upload(exc)
            if refusal is None or not self._fall_back(client, f"the server answered {refusal}"):
                raise
        return upload()

    def _fall_back(self, used: S3Client, why: str) -> bool:
        """Whether an upload sent with client ``used`` may be retried with plain bodies;
        switches botocore's client once (and says so once, in DEBUG)."""
        with self._lock:
            if self._plain_client is None or used is self._plain_client:
                return False
            if not self._plain_why:
                self._plain_why = why
                self.client = self.boto.client = self._plain_client
                LOG.debug("bucket %s: %s to an aws-chunked upload with a trailing checksum; "
                          "sending plain upload bodies from now on (checksums=when_required)",
                          self.name, why)
        return True

    # -- objects ----------------------------------------------------------------------------
    def head(self, name: str, version_id: str | None = None) -> ObjectInfo:
        """Raise ``ObjectNotFound`` only for a 404 in a bucket known to exist."""
        return self._lean_first(lambda lean: lean.head(name, version_id),
                                lambda: self.boto.head(name, version_id))

    def get_file(self, name: str, path: str, report: Report,
                 version_id: str | None = None, if_match: str | None = None,
                 verify: bool = True) -> int:
        """Download to ``path``, resuming a partial file with a ranged GET; return the size.
        With ``if_match`` (an ETag) only that content: ``ObjectChanged`` otherwise.
        ``verify=False``: no checksum of s3py's own (the caller's reader hashes the bytes),
        the length is still checked.

        A whole download goes the lean way first; botocore resumes partial ones (also what
        a lean GET that broke off left)."""
        return self._lean_first(
            lambda lean: lean.get(name, path, report, version_id, if_match, verify)
            if partial_size(path) == 0 else None,
            lambda: self.boto.get_file(name, path, report, version_id, partial_size(path),
                                       if_match, verify))

    def describe(self, name: str, version_id: str | None = None) -> Described:
        """What a HEAD with checksums says of the object (its full-object SHA-256,
        encryption, version, metadata; for import and verify); ``ObjectNotFound`` only on a
        404 in a bucket that exists."""
        from git_annex_remote_s3py.store.boto import inventory  # start-up time: import only

        def lean_way(lean: LeanObjects) -> Described | None:
            return lean.describe(name, version_id)

        def botocore_way() -> Described:
            try:
                return inventory.describe(self.client, self.name, name, version_id)
            except ObjectNotFound:
                if not self.boto.exists():
                    raise BucketNotFound(f"bucket {self.name} does not exist") from None
                raise

        return self._lean_first(lean_way, botocore_way)

    def versioned(self) -> bool:
        """Whether the bucket keeps versions (Enabled or Suspended); False where the server
        refuses or lacks the question."""
        from git_annex_remote_s3py.store.boto import inventory  # start-up time: import only

        state = self._lean_first(lambda lean: lean.versioning(),
                                 lambda: "Enabled" if inventory.bucket_versioned(
                                     self.client, self.name) else "")
        return state in ("Enabled", "Suspended")

    def list_current(self, prefix: str) -> Iterator[Listed]:
        """Every current object under ``prefix``: the lean (or botocore) listing, or on a
        versioned bucket botocore's version listing (the current version of each)."""
        from git_annex_remote_s3py.store.boto import inventory  # start-up time: import only

        if self.versioned():
            yield from inventory.list_versions(self.client, self.name, prefix)
            return
        for name, size, etag in self.list(prefix):
            yield Listed(name, size, etag)

    def sha256_of(self, name: str, version_id: str | None, etag: str) -> tuple[str, int]:
        """(hex SHA-256, size) of the bytes of the object whose ETag is ``etag``."""
        from git_annex_remote_s3py.store.boto import inventory  # start-up time: import only

        return inventory.stream_sha256(self.client, self.name, name, version_id, etag)

    def put_file(self, name: str, path: str, report: Report,
                 extra_args: UploadArgs | None = None, sha256: str | None = None) -> ObjectInfo:
        """Upload a file as one PUT (with ``sha256`` as its SHA-256 checksum, when given) or
        (above the part size, as git-annex's built-in S3 remote) one multipart upload,
        verified before returning."""
        sha256 = sha256 if self.flexible_checksums else None
        return self._with_public_acl(lambda acl: self._put_file(
            name, path, report, {**self.upload_args, **acl, **(extra_args or {})}, sha256))

    def _put_file(self, name: str, path: str, report: Report, args: UploadArgs,
                  sha256: str | None) -> ObjectInfo:
        try:
            size = os.path.getsize(path)
        except OSError as exc:
            raise LocalFileError(f"cannot read {path}: {exc.strerror}") from exc
        if size > self.partsize:
            return self._plain_retry(
                lambda: self.boto.put_multipart(name, path, size, report, args))

        def lean_way(lean: LeanObjects) -> integrity.Stored | None:
            stored = lean.put(name, path, size, args, report, sha256)
            return None if stored is None else self._verified(name, path, stored, by_lean=True)

        stored = self._lean_first(
            lean_way,
            lambda: self._plain_retry(lambda: self._verified(
                name, path, self.boto.put_single(name, path, size, report, args, sha256),
                by_lean=False)))
        report(size)
        return ObjectInfo(size, stored.etag, stored.version_id,
                          md5_hex=integrity.checkable_md5(stored.etag, stored.encryption,
                                                          self.verify_etag_md5),
                          sha256_hex=stored.sha256_hex)

    def _verified(self, name: str, path: str, stored: integrity.Stored, *,
                  by_lean: bool) -> integrity.Stored:
        """``stored`` if it is the file sent; otherwise the object is removed and the store
        fails (a server that stored other bytes also ends the lean path)."""
        if integrity.stored_is_sent(stored, path, self.verify_etag_md5):
            return stored
        self.delete(name)
        if by_lean:
            self._hand_over(f"PUT {name}: ETag {stored.etag} is not the MD5 sent")
        raise integrity.etag_mismatch(name, stored.etag)

    def delete(self, name: str) -> None:
        """Delete an object; deleting a missing object succeeds (S3 answers 204)."""
        self._lean_first(lambda lean: lean.delete(name), lambda: self.boto.delete(name))

    def list(self, prefix: str) -> Iterator[tuple[str, int, str]]:
        """(name, size, etag) of every object under ``prefix``: lean pages while the lean
        path takes them, then botocore from the same page on."""
        token = None
        while (lean := self.lean) is not None:
            page = lean.list_page(prefix, token, self.list_page)
            if page is None:
                break
            yield from page[0]
            token = page[1]
            if token is None:
                return
        yield from self.boto.listing(prefix, token)

    # -- botocore only ----------------------------------------------------------------------
    def exists(self) -> bool:
        """True if the bucket exists; False on a real 404; raises on anything else."""
        return self.boto.exists()

    def create(self, region: str) -> None:
        self.boto.create(region)

    def region(self) -> str | None:
        """The bucket's region as the server reports it, or None if it does not say."""
        return self.boto.region()

    def enable_versioning(self) -> None:
        self.boto.enable_versioning()

    def allow_public_reads(self) -> None:
        self.boto.allow_public_reads()

    def copy(self, source: str, destination: str, extra_args: UploadArgs | None = None) -> None:
        self._with_public_acl(lambda acl: self.boto.copy(source, destination,
                                                         {**acl, **(extra_args or {})}))

    def get_text(self, name: str) -> str:
        return self.boto.get_text(name)

    def put_text(self, name: str, text: str, extra_args: UploadArgs | None = None,
                 if_absent: bool = False) -> None:
        """Write a small text object and read it back: one holding other bytes is removed
        and the store fails (``IntegrityError``), after the checksum fallback's retry.

        ``if_absent``: only where the name is free (``If-None-Match: *``): ``AlreadyExists``
        where the server refuses (412), or where the object read back holds another writer's
        text (a server that ignores the condition), which is then left as it is."""
        self._plain_retry(lambda: self._put_text_verified(name, text, extra_args, if_absent))

    def _put_text_verified(self, name: str, text: str, extra_args: UploadArgs | None,
                           if_absent: bool) -> None:
        self.boto.put_text(name, text, extra_args, if_absent)
        found = self.boto.get_text(name)
        if found == text:
            return
        if if_absent:
            raise AlreadyExists(f"writing {name}: read back another writer's content; left "
                                "as it is")
        self.delete(name)
        raise IntegrityError(f"writing {name}: read back {len(found)} bytes other than the "
                             f"{len(text)} written; the object was removed")

    def remove(self) -> None:
        """Delete the bucket itself (it must be empty)."""
        self.boto.remove()

    def presign(self, name: str, expires: int) -> str:
        """Signed the lean way where it is on (a process that never builds a botocore
        client, e.g. one that only hands git-annex URLs, stays without one)."""
        lean = self.lean
        if lean is not None:
            return lean.transport.presign(name, expires)
        return self.boto.presign(name, expires)

    # -- the public-ACL fallback -------------------------------------------------------------
    def _with_public_acl(self, write: Callable[[UploadArgs], Answer]) -> Answer:
        """``write(acl_args)`` with the public ACL while the bucket takes it; where it refuses
        it, ``write({})`` again and from then on (``public_acl_refused`` says why)."""
        acl: UploadArgs = ({"ACL": "public-read"} if self.public_read and not self._acl_refusal
                           else {})
        try:
            return write(acl)
        except (AclNotSupported, AccessDenied) as exc:
            if not acl:
                raise
            answer = write({})
            with self._lock:
                self._acl_refusal = self._acl_refusal or (
                    "ACLs disabled" if isinstance(exc, AclNotSupported) else
                    "403: Block Public Access, or no s3:PutObjectAcl permission")
            return answer

    def public_acl_refused(self) -> str:
        """Why the bucket refused the public ACL of ``public_read`` ("" if it did not)."""
        return self._acl_refusal

    # -- multipart uploads ----------------------------------------------------------------------
    def plain_uploads(self) -> str:
        """Why uploads go as plain bodies since the checksum fallback ("" if they do not)."""
        return self._plain_why

    def list_uploads(self, prefix: str) -> Sequence[Upload]:
        return uploads.list_uploads(self.client, self.name, prefix)

    def abort_upload(self, upload: Upload) -> None:
        uploads.abort(self.client, self.name, upload)

    def uploads_in_flight(self) -> bool:
        return self.in_flight.busy()

    def abort_uploads_in_flight(self, within: float) -> int:
        return self.in_flight.abort_all(self.client, within)
