"""``s3://BUCKET/KEY[?versionId=V]`` URLs: parsing, and the URL of one listed object.

The key is percent-decoded (``%20`` is a space, as in the URLs ``CHECKURL-MULTI`` sends back,
which may not contain spaces); a key ending in ``/`` (or none) names a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

SCHEME = "s3://"


@dataclass(frozen=True)
class S3Url:
    bucket: str
    key: str
    version_id: str | None = None

    @property
    def is_prefix(self) -> bool:
        return self.key == "" or self.key.endswith("/")


def parse_s3_url(url: str) -> S3Url | None:
    """The parts of an ``s3://`` URL, or None for any other URL (or no bucket)."""
    if not url.startswith(SCHEME):
        return None
    parts = urlsplit(url)
    if not parts.netloc or parts.fragment:
        return None
    versions = parse_qs(parts.query).get("versionId", [])
    key = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    return S3Url(parts.netloc, key, versions[-1] if versions else None)


def s3_url(bucket: str, key: str, version_id: str | None = None) -> str:
    """The URL of one object (version), with no space in it."""
    url = f"{SCHEME}{bucket}/{quote(key, safe='/')}"
    return f"{url}?versionId={quote(version_id, safe='')}" if version_id else url
