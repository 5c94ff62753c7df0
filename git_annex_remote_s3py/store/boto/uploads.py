"""Multipart uploads: the abandoned ones under a prefix (to sweep), this process's own (to abort
when it is stopped).

Abandoned uploads are listed with the time S3 says they began, so that a sweep leaves alone
uploads that may still be running in another process. ``InFlightUploads`` follows one client's
multipart uploads through botocore's own events (the upload ID from CreateMultipartUpload's
answer, gone again with Complete or Abort) so that a stopped process can abort them at once:
s3transfer's ``TransferManager.shutdown(cancel=True)`` would abort them too, but only after every
part request in flight has ended (a 64 MiB part on a slow link: minutes).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from git_annex_remote_s3py.errors import StorageError
from git_annex_remote_s3py.store.base import Upload
from git_annex_remote_s3py.store.boto.errors import s3_errors

if TYPE_CHECKING:
    from botocore.awsrequest import AWSResponse
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CreateMultipartUploadOutputTypeDef


def list_uploads(client: S3Client, bucket: str, prefix: str) -> list[Upload]:
    """Every multipart upload under ``prefix`` in ``bucket``."""
    found = []
    paginator = client.get_paginator("list_multipart_uploads")
    with s3_errors(f"listing multipart uploads under {prefix or 'the bucket'}", bucket):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                found.append(Upload(upload["Key"], upload["UploadId"], upload["Initiated"]))
    return found


def abort(client: S3Client, bucket: str, upload: Upload) -> None:
    with s3_errors(f"aborting the upload of {upload.name}", bucket):
        client.abort_multipart_upload(Bucket=bucket, Key=upload.name, UploadId=upload.upload_id)


class StoppingError(StorageError):
    """The process is stopping: no new multipart upload begins."""


class InFlightUploads:
    """Multipart uploads this process began and has neither completed nor aborted."""

    EVENT_ID = "s3py-in-flight-uploads"

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._open: dict[str, tuple[str, str]] = {}  # upload id -> (bucket, key)
        self._creating = 0
        self._stopping = False

    def watch(self, client: S3Client) -> None:
        """Follow ``client``'s multipart uploads from now on (registering again is a no-op)."""
        events = client.meta.events
        for event, handler in (
            ("before-call.s3.CreateMultipartUpload", self._creating_one),
            ("after-call.s3.CreateMultipartUpload", self._created),
            ("after-call-error.s3.CreateMultipartUpload", self._create_failed),
            ("before-parameter-build.s3.CompleteMultipartUpload", self._note_upload_id),
            ("before-parameter-build.s3.AbortMultipartUpload", self._note_upload_id),
            ("after-call.s3.CompleteMultipartUpload", self._ended),
            ("after-call.s3.AbortMultipartUpload", self._ended),
        ):
            events.register(event, handler, unique_id=f"{self.EVENT_ID}-{event}")

    def open_uploads(self) -> list[tuple[str, str, str]]:
        """(bucket, key, upload id) of every upload still open."""
        with self._changed:
            return [(bucket, key, upload_id) for upload_id, (bucket, key) in self._open.items()]

    def busy(self) -> bool:
        """Whether an upload is open or being begun."""
        with self._changed:
            return bool(self._open or self._creating)

    # -- botocore event handlers --------------------------------------------------------------
    def _creating_one(self, **_: object) -> None:
        with self._changed:
            if self._stopping:
                raise StoppingError("stopping: no new multipart upload begins")
            self._creating += 1

    def _created(self, http_response: AWSResponse, parsed: CreateMultipartUploadOutputTypeDef,
                 **_: object) -> None:
        with self._changed:
            self._creating -= 1
            if http_response.status_code < 300 and parsed.get("UploadId"):
                self._open[parsed["UploadId"]] = (parsed.get("Bucket", ""), parsed.get("Key", ""))
            self._changed.notify_all()

    def _create_failed(self, **_: object) -> None:
        with self._changed:
            self._creating -= 1
            self._changed.notify_all()

    def _note_upload_id(self, params: dict[str, str], context: dict[str, str | None],
                        **_: object) -> None:
        context[self.EVENT_ID] = params.get("UploadId")

    def _ended(self, http_response: AWSResponse, context: dict[str, str | None],
               **_: object) -> None:
        if http_response.status_code < 300:
            with self._changed:
                self._open.pop(context.get(self.EVENT_ID) or "", None)
                self._changed.notify_all()

    # -- stopping ------------------------------------------------------------------------------
    def abort_all(self, client: S3Client, within: float) -> int:
        """Abort every open upload, also those whose CreateMultipartUpload is still on its way
        (waiting at most ``within`` seconds for them); no new one begins. Returns how many
        aborts were sent."""
        deadline = time.monotonic() + within
        sent: set[str] = set()
        with self._changed:
            self._stopping = True
        while True:
            for bucket, key, upload_id in self.open_uploads():
                if upload_id in sent:
                    continue
                sent.add(upload_id)
                try:
                    client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
                except Exception:  # noqa: BLE001 - stopping: the sweep (cleanup-uploads) remains
                    pass
            with self._changed:
                left = deadline - time.monotonic()
                if not self._creating or left <= 0:
                    return len(sent)
                self._changed.wait(timeout=left)
