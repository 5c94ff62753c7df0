"""S3's wire formats as the lean path reads and writes them: upload headers, ListObjectsV2
XML, CRC32 checksums, HTTP dates. Pure functions, no I/O."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from git_annex_remote_s3py.store.base import UploadArgs
    from git_annex_remote_s3py.store.integrity import Headers

HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
LEAN_UPLOAD_HEADERS = {"ACL": "x-amz-acl", "StorageClass": "x-amz-storage-class",
                       "ServerSideEncryption": "x-amz-server-side-encryption",
                       "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id"}


def upload_headers(args: UploadArgs) -> dict[str, str] | None:
    """Headers for botocore-style upload arguments, or None if one has no plain mapping."""
    headers: dict[str, str] = {}
    for arg, value in args.items():
        if arg == "Metadata" and isinstance(value, dict):
            headers.update({f"x-amz-meta-{k}": v for k, v in value.items()})
        elif arg in LEAN_UPLOAD_HEADERS and isinstance(value, str):
            headers[LEAN_UPLOAD_HEADERS[arg]] = value
        else:
            return None
    if not all(str(text).isascii() and str(text).isprintable() and HEADER_NAME.fullmatch(name)
               for name, text in headers.items()):
        return None  # botocore's encoding rules for such values are its own
    return headers


def xml_root(body: bytes, names: tuple[str, ...]) -> tuple[Element | None, str]:
    """(root element, its ``{namespace}`` prefix) of an XML answer whose root is one of
    ``names``; (None, "") for any other body."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None, ""
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    return (root, ns) if root.tag[len(ns):] in names else (None, "")


def parse_listing(body: bytes) -> tuple[list[tuple[str, int, str]], str | None] | None:
    """Items and next token of a ListObjectsV2 answer, or None when it is not one (not XML,
    a truncated page without a token). Names are URL-decoded only where the answer says
    ``EncodingType`` url (asked for; AWS, Ceph and moto do it, s3rver 3 answers plain names),
    as botocore decodes them."""
    from urllib.parse import unquote_plus

    root, ns = xml_root(body, ("ListBucketResult",))
    if root is None:
        return None
    encoded = root.findtext(f"{ns}EncodingType") == "url"
    items = []
    for item in root.iter(f"{ns}Contents"):
        name, size = item.findtext(f"{ns}Key"), item.findtext(f"{ns}Size")
        if name is None or size is None or not size.isdigit():
            return None
        items.append((unquote_plus(name) if encoded else name, int(size),
                      (item.findtext(f"{ns}ETag") or "").strip('"')))
    truncated = root.findtext(f"{ns}IsTruncated") == "true"
    token = root.findtext(f"{ns}NextContinuationToken") if truncated else None
    if truncated and not token:
        return None
    return items, token


VERSIONING_ROOTS = ("VersioningConfiguration", "GetBucketVersioningResponse", "ListBucketResult")


def versioning_status(body: bytes) -> str | None:
    """The ``Status`` of a 200 answer to GetBucketVersioning: "" when it has none (never
    enabled), None when the body is not such an answer. Its root is VersioningConfiguration
    (AWS, Ceph) or GetBucketVersioningResponse (moto); s3rver 3, which has no versioning,
    answers ``?versioning`` with a listing of the bucket, read as botocore reads it: no
    Status, not versioned."""
    root, ns = xml_root(body, VERSIONING_ROOTS)
    if root is None:
        return None
    return root.findtext(f"{ns}Status") or ""


class Crc32:
    """zlib's CRC32 with a hashlib-like face (``update``, ``hexdigest``), as S3 encodes it."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def update(self, block: bytes) -> None:
        self.value = zlib.crc32(block, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"

    def base64(self) -> str:
        return base64.b64encode(self.value.to_bytes(4, "big")).decode()

    @classmethod
    def from_base64(cls, text: str) -> Crc32 | None:
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            return None
        return cls(int.from_bytes(raw, "big")) if len(raw) == 4 else None


def full_object_crc32(headers: Headers) -> Crc32 | None:
    """The object's CRC32 from a GET with ``x-amz-checksum-mode: ENABLED`` if it is one of
    the whole object (a multipart upload's composite one, ``...-N``, is not)."""
    value = headers.get("x-amz-checksum-crc32")
    if not value or "-" in value or headers.get("x-amz-checksum-type") == "COMPOSITE":
        return None
    return Crc32.from_base64(value)


MONTHS = {name: number for number, name in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def http_date(value: str | None) -> str:
    """An HTTP date as botocore shows a parsed one (``str(datetime)``), or ''. The form
    servers send (RFC 9110's IMF-fixdate, ``Sun, 06 Nov 1994 08:49:37 GMT``) is read here,
    the obsolete ones by email.utils (~17 M instructions to import, once per start)."""
    if not value:
        return ""
    fields = value.split()
    if len(fields) == 6 and fields[5] == "GMT" and fields[2] in MONTHS and (
            fields[0].endswith(",") and fields[4].count(":") == 2):
        hour, minute, second = fields[4].split(":")
        try:
            return str(datetime(int(fields[3]), MONTHS[fields[2]], int(fields[1]), int(hour),
                                int(minute), int(second), tzinfo=timezone.utc))
        except ValueError:
            pass
    from email.utils import parsedate_to_datetime

    try:
        return str(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return ""
