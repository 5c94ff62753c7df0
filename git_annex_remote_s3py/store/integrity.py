"""The one checksum policy of the store: which ETags are MD5s we may check, when a partial
download is already whole, and whether a stored object is the one sent.

Both single-PUT paths (botocore's and the lean one) and every download path ask here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Mapping, Protocol

from git_annex_remote_s3py.errors import IntegrityError
from git_annex_remote_s3py.store.localfile import digest_file

MD5_HEX = re.compile(r"[0-9a-f]{32}")
KMS_MODES = ("aws:kms", "aws:kms:dsse")


class Headers(Protocol):
    """An answer's HTTP headers as botocore (``HeadersDict``) and http.client
    (``HTTPMessage``) hold them: read by name, case-insensitively."""

    def get(self, name: str, /) -> str | None: ...


@dataclass(frozen=True)
class Encryption:
    """The server-side encryption an answer reports: with either, the ETag is no MD5."""

    kms: bool = False
    customer_key: bool = False

    @classmethod
    def of_answer(cls, answer: Mapping[str, object]) -> Encryption:
        """From a botocore response (``ServerSideEncryption``, ``SSEKMSKeyId``...)."""
        return cls(answer.get("ServerSideEncryption") in KMS_MODES
                   or bool(answer.get("SSEKMSKeyId")),
                   bool(answer.get("SSECustomerAlgorithm")))

    @classmethod
    def of_headers(cls, headers: Headers) -> Encryption:
        """From raw HTTP response headers (the lean path)."""
        return cls(headers.get("x-amz-server-side-encryption") in KMS_MODES
                   or bool(headers.get("x-amz-server-side-encryption-aws-kms-key-id")),
                   bool(headers.get("x-amz-server-side-encryption-customer-algorithm")))


def etag_means_md5(encryption: Encryption, verify: bool = True) -> bool:
    """Whether a single-PUT object's ETag is its MD5 here: not under SSE-KMS or SSE-C, and
    the remote checks ETags (``verify``: off where the settings ask for SSE-KMS)."""
    return verify and not encryption.kms and not encryption.customer_key


def checkable_md5(etag: str | None, encryption: Encryption, verify: bool = True) -> str | None:
    """The object's MD5 when its ETag is one we may check (a single PUT's: 32 hex digits,
    no ``-N`` part count), else None."""
    value = (etag or "").strip('"').lower()
    if not etag_means_md5(encryption, verify) or not MD5_HEX.fullmatch(value):
        return None
    return value


def file_md5(path: str) -> str:
    """The hex MD5 of a local file (one pass)."""
    with open(path, "rb") as handle:
        return digest_file(handle, hashlib.md5()).hexdigest()


def partial_is_whole(path: str, offset: int, size: int) -> bool:
    """After a ranged GET the server refused (416): True if the ``offset`` bytes already at
    ``path`` are the whole ``size``-byte object; otherwise the file is emptied so that the
    next download starts over, and False."""
    if size == offset:
        return True
    os.truncate(path, 0)
    return False


@dataclass(frozen=True)
class Stored:
    """What the server answered to one single PUT, before it is verified."""

    etag: str
    version_id: str | None
    encryption: Encryption
    server_checked: bool  # the server confirmed the checksum sent (CRC32 echoed...)
    md5_sent: str | None = None  # the hex MD5 of the bytes sent, if it was computed
    sha256_hex: str | None = None  # the SHA-256 sent, where the server answered with it


def stored_is_sent(stored: Stored, path: str, verify: bool = True) -> bool:
    """Whether the object a single PUT stored is the file sent: the server confirmed the
    checksum it was sent, or its ETag is the file's MD5 (or cannot be one: SSE-KMS/SSE-C)."""
    if stored.server_checked or not etag_means_md5(stored.encryption, verify):
        return True
    sent = stored.md5_sent or file_md5(path)
    return stored.etag.strip('"').lower() == sent


def sha256_base64(hex_digest: str) -> str:
    """A hex SHA-256 as S3's ``x-amz-checksum-sha256`` carries it (base64 of the bytes)."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def etag_mismatch(name: str, etag: str) -> IntegrityError:
    return IntegrityError(f"storing {name}: server ETag {etag} differs from the MD5 of what "
                          "was sent; the object was removed")


def full_object_sha256(answer: Mapping[str, object]) -> str | None:
    """The hex SHA-256 of the whole object from ``ChecksumSHA256``; None when absent or a
    checksum of part checksums (multipart: ``...-N``, or ``ChecksumType`` COMPOSITE)."""
    value = answer.get("ChecksumSHA256")
    if not isinstance(value, str) or not value or "-" in value or answer.get(
            "ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None
    return raw.hex() if len(raw) == 32 else None
