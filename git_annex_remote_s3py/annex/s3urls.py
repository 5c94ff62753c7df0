"""``s3://BUCKET/KEY[?versionId=V]`` URLs: parsing, the URL of one listed object, CHECKURL's
answer, and the fallback of a key whose content git-annex recorded at an s3:// URL (addurl):
presence and retrieval there, through any bucket the remote's endpoint and credentials reach.

The key is percent-decoded (``%20`` is a space, as in the URLs ``CHECKURL-MULTI`` sends back,
which may not contain spaces); a key ending in ``/`` (or none) names a prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from git_annex_remote_s3py.errors import ObjectNotFound, StorageError
from git_annex_remote_s3py.store.base import OtherBuckets, Report

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


# -- CHECKURL and the s3:// fallback of a key (addurl s3://...) ---------------------------------
def checked(other: OtherBuckets, url: str) -> list[dict[str, str | int]]:
    """CHECKURL's answer: one object's size and file name, or (a prefix) each object under it
    as a pinned URL. ``StorageError`` for a URL that is not s3:// or a prefix with nothing."""
    found = parse_s3_url(url)
    if found is None:
        raise StorageError(f"not an s3:// URL: {url}")
    if not found.is_prefix:
        info = other.describe(found.bucket, found.key, found.version_id)
        return [{"size": info.size, "filename": found.key.rsplit("/", 1)[-1]}]
    entries: list[dict[str, str | int]] = [
        {"url": s3_url(found.bucket, item.name, item.version_id), "size": item.size,
         "filename": item.name[len(found.key):].replace(" ", "_")}
        for item in other.list_current(found.bucket, found.key)
        if not item.name.endswith("/")]
    if not entries:
        raise StorageError(f"no objects under {url}")
    return entries


def objects_of(recorded: list[str]) -> list[S3Url]:
    """The s3:// URLs of single objects among a key's recorded URLs."""
    return [u for u in map(parse_s3_url, recorded) if u is not None and not u.is_prefix]


def retrieve(other: OtherBuckets, found: list[S3Url], path: str, report: Report,
             debug: Callable[[str], None]) -> bool:
    """Download from the first of ``found`` that answers; False if there is none, the last
    URL's error if none answers."""
    for index, url in enumerate(found):
        try:
            other.get_file(url.bucket, url.key, path, report, url.version_id)
            return True
        except StorageError as exc:
            debug(f"s3://{url.bucket}/{url.key}: {exc}")
            if index == len(found) - 1:
                raise
    return False


def present(other: OtherBuckets, found: list[S3Url], expected_size: int | None) -> bool:
    """Whether one of ``found`` holds an object of the key's size now."""
    for url in found:
        try:
            info = other.describe(url.bucket, url.key, url.version_id)
        except ObjectNotFound:
            continue
        if expected_size is None or info.size == expected_size:
            return True
    return False
