"""Storage-domain exceptions.

They know neither annexremote nor botocore: ``storage`` raises them, ``remote`` decides what
each means for a git-annex request (see ARCHITECTURE's error-mapping table).
"""

from __future__ import annotations

import os
import sys
from typing import Callable

# A process killed by SIGPIPE ends with this status in a shell (128 + 13).
SIGPIPE_STATUS = 141


def one_line(text: object) -> str:
    """Collapse any text to a single protocol-safe line."""
    return " ".join(str(text).split())


def quiet_when_reader_leaves(command: Callable[[], int]) -> int:
    """Run ``command``; when stdout's reader has gone (``... | head``), end quietly with the
    status a Unix tool killed by SIGPIPE has, instead of a BrokenPipeError traceback."""
    try:
        status = command()
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # Python flushes stdout once more at exit: point it at /dev/null so that flush is mute.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_STATUS


class S3pyError(Exception):
    """Base of every error this package raises on purpose; its message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class ConfigError(S3pyError):
    """A setting is missing, unknown or has a value we cannot use."""


class StorageError(S3pyError):
    """Something went wrong talking to the store; the object's state is not known."""


class ObjectNotFound(StorageError):
    """A real 404 for an object in a bucket that exists."""


class BucketNotFound(StorageError):
    """The bucket does not exist (or is not visible to these credentials)."""


class AccessDenied(StorageError):
    """403: the credentials may not do this (or S3 hides a missing object without ListBucket)."""


class QuotaExceeded(StorageError):
    """The bucket's or user's storage quota is used up (Ceph RGW: 403 ``QuotaExceeded``)."""


class AclNotSupported(StorageError):
    """The bucket refuses ACLs (Object Ownership: bucket owner enforced)."""


class WrongRegion(StorageError):
    """The bucket lives in another region than the client was configured for."""


class CredentialsMissing(StorageError):
    """No credentials were found anywhere in the chain."""


class EndpointUnavailable(StorageError):
    """Connection refused, DNS failure, timeout, TLS error or 5xx after retries."""


class NotAnS3Endpoint(StorageError):
    """The endpoint answers, but not like S3 (e.g. a web console that says 200 to everything)."""


class ObjectChanged(StorageError):
    """The object under the name no longer holds the content asked for (412 on If-Match)."""


class AlreadyExists(StorageError):
    """A write made only if the name was free (``If-None-Match: *``) found it taken (412), or
    read back another writer's content."""


class IntegrityError(StorageError):
    """What the server holds or sent does not match what we sent or expected."""


class LocalFileError(S3pyError):
    """Reading or writing the local file failed (missing file, full disk, permissions)."""


class InvalidName(S3pyError):
    """A file name that cannot be an S3 object name (too long, newline, ``.`` or ``..``)."""
