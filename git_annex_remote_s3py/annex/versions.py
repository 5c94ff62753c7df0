"""Version records: which S3 object version holds a key, as ``s3py://UUID@BUCKET/...`` URIs.

The records live in git-annex's URL log: every clone and every ``--sameas`` remote (same
UUID) reads them, unlike SETSTATE, which a sameas remote cannot read. The UUID in the URI
keeps other remotes (and git-annex's web remote) from counting the same copy.
"""

from __future__ import annotations

from typing import Protocol

from git_annex_remote_s3py import naming, urls
from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.errors import StorageError


class UrlLog(Protocol):
    """The part of git-annex's API that reads and writes the URL log."""

    def getuuid(self) -> str: ...
    def geturls(self, key: str, prefix: str) -> list[str]: ...
    def seturipresent(self, key: str, uri: str) -> None: ...


def version_record(annex: UrlLog, settings: Settings, key: str) -> tuple[str, str] | None:
    """(object, version ID) of ``key`` recorded by a versioned export of this remote."""
    if not settings.versioning:
        return None
    prefix = urls.version_uri_prefix(annex.getuuid(), settings.bucket)
    for uri in reversed(annex.geturls(key, prefix)):
        found = urls.parse_version_uri(uri)
        if found and found[2].startswith(settings.fileprefix):
            return found[2], found[3]
    return None


def version_at(annex: UrlLog, settings: Settings, key: str, name: str) -> str | None:
    """The version ID of object ``name`` recorded as holding ``key`` (the latest), or None."""
    prefix = urls.version_uri_prefix(annex.getuuid(), settings.bucket)
    for uri in reversed(annex.geturls(key, prefix)):
        found = urls.parse_version_uri(uri)
        if found and found[2] == name:
            return found[3]
    return None


def key_location(annex: UrlLog, settings: Settings, key: str) -> tuple[str, str | None]:
    """Where key-mode requests find ``key``: its recorded version, else ``prefix + key``.

    Versioned export remotes answer key-mode requests (a newer git-annex asks them for
    overwritten or unexported content, and so does a ``--sameas`` key-mode remote here).
    """
    record = version_record(annex, settings, key)
    if record:
        return record
    if settings.exporttree:
        raise StorageError(f"no stored version of {key} is recorded for this export remote; "
                           "it was exported without bucketversioning=yes")
    return naming.key_object_name(settings.fileprefix, key), None


def record_version(annex: UrlLog, settings: Settings, key: str, name: str,
                   version_id: str) -> None:
    """Record that version ``version_id`` of object ``name`` holds ``key``."""
    annex.seturipresent(key, urls.version_uri(annex.getuuid(), settings.bucket, name,
                                              version_id))
