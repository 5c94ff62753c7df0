"""Import of a bucket's objects into a git-annex tree (``importtree=yes``, git-annex
10.20261026 and later), the adapter side: the listing as git-annex's importable contents,
content identifiers, keys made without downloading (IMPORTKEY), and retrieval of the
imported version. The S3 calls are the store's (``store.base.Store``: ``list_current``,
``describe``, ``sha256_of``).

Content identifiers are ``ETAG`` or, on a versioned bucket, ``ETAG:VERSIONID``: a re-import
downloads nothing whose identifier is unchanged, and a later ``get`` asks for that version.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

from git_annex_remote_s3py import keystate, naming
from git_annex_remote_s3py.annex.session import AnnexQueries, Session
from git_annex_remote_s3py.errors import IntegrityError, StorageError
from git_annex_remote_s3py.store.base import Store

CID_SEPARATOR = ":"
MAX_EXTENSION_LENGTH = 4  # git-annex's annex.maxextensionlength default
MAX_EXTENSIONS = 2  # git-annex's annex.maxextensions default


def content_identifier(etag: str, version_id: str | None) -> str:
    """What git-annex records for one object: its ETag, and its version where there is one."""
    return f"{etag}{CID_SEPARATOR}{version_id}" if version_id else etag


def parse_content_identifier(cid: str) -> tuple[str, str | None]:
    """(ETag, version ID or None) from ``content_identifier``'s text."""
    etag, sep, version = cid.partition(CID_SEPARATOR)
    return etag, (version if sep else None)


def _valid_in_extension(char: str) -> bool:
    return char.isascii() and char.isalnum() or not char.isascii()


def key_extension(name: str, max_length: int = MAX_EXTENSION_LENGTH,
                  max_count: int = MAX_EXTENSIONS) -> str:
    """The extension git-annex's E backends put on a key for file ``name`` (its
    ``selectExtension``; tests compare it with ``git annex calckey``): at most ``max_count``
    trailing dot-parts of the base name (leading dots are part of the name), taken from the
    right while each is at most ``max_length`` bytes, parts with a non-alphanumeric ASCII
    character left out."""
    base = name.rsplit("/", 1)[-1].lstrip(".")  # a leading dot starts a name (.bashrc)
    if "." not in base:
        return ""
    parts = base.split(".")[1:]
    taken: list[str] = []
    for part in reversed(parts):
        if len(part.encode("utf-8")) > max_length:
            break
        taken.append(part)
    chosen = [p for p in taken if all(_valid_in_extension(c) for c in p)][:max_count]
    return "".join("." + p for p in reversed(chosen) if p)


def make_key(backend: str, size: int, digest: str, name: str) -> str:
    return f"{backend}-s{size}--{digest}{key_extension(name)}"


def unimportable_reason(relative: str) -> str | None:
    """Why git cannot hold ``relative`` as a file path (None if it can)."""
    if not relative or relative.endswith("/"):
        return "a folder placeholder (a name ending in /)"
    if "\n" in relative or "\x00" in relative:
        return "a newline in the name, which the git-annex protocol cannot carry"
    parts = relative.split("/")
    if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return "an empty, '.' or '..' path component"
    if any(p.lower() == ".git" for p in parts):
        return "a .git path component"
    return None


class ImportChanged(StorageError):
    """The object no longer holds the imported content, and no older version is kept."""


@dataclass(frozen=True)
class Importable:
    name: str  # relative to fileprefix
    size: int
    cid: str


class AnnexState(Protocol):
    """git-annex's per-key state (GETSTATE/SETSTATE)."""

    def getstate(self, key: str) -> str: ...
    def setstate(self, key: str, value: str) -> None: ...


@dataclass
class Importer:
    """One bucket and prefix, the remote's ``store``, seen as importable files."""

    store: Store
    bucket: str
    prefix: str
    verify_etag_md5: bool = True

    Changed = ImportChanged

    def object_name(self, relative: str) -> str:
        return self.prefix + relative

    def contents(self, skipped: Callable[[str, str], None]) -> Iterator[Importable]:
        """Every importable object under the prefix; ``skipped(object, why)`` for each one
        that cannot be imported (never silently left out). The annex-uuid marker is not
        content."""
        for item in self.store.list_current(self.prefix):
            relative = item.name[len(self.prefix):]
            if relative == naming.UUID_MARKER:
                continue
            why = unimportable_reason(relative)
            if why:
                skipped(item.name, why)
                continue
            yield Importable(relative, item.size, content_identifier(item.etag, item.version_id))

    def key(self, relative: str, size: int, cid: str) -> str:
        """A key for the object's content without downloading it where S3 knows a digest:
        SHA256E from a full-object SHA-256 checksum, MD5E from an ETag that is an MD5; else
        the bytes are streamed through SHA-256 and discarded. Fails if it changed."""
        etag, version_id = parse_content_identifier(cid)
        name = self.object_name(relative)
        found = self.store.describe(name, version_id)
        if found.etag != etag or found.size != size:
            raise IntegrityError(f"{name} in bucket {self.bucket} changed since it was listed "
                                 f"(ETag {found.etag}, {found.size} bytes); import again")
        if found.sha256_hex:
            return make_key("SHA256E", size, found.sha256_hex, relative)
        md5 = found.md5_hex(self.verify_etag_md5)
        if md5:
            return make_key("MD5E", size, md5, relative)
        digest, streamed = self.store.sha256_of(name, version_id, etag)
        return make_key("SHA256E", streamed, digest, relative)

    def check_unchanged(self, relative: str, cid: str | None) -> str | None:
        """The version to read for an import whose identifier is ``cid`` (None: the current
        object); raises if the object no longer holds that content."""
        if cid is None:
            return None
        etag, version_id = parse_content_identifier(cid)
        name = self.object_name(relative)
        found = self.store.describe(name, version_id)
        if found.etag != etag:
            raise self.changed(relative, f"ETag {found.etag}, imported {etag}")
        return version_id

    def recorded_key(self, annex: AnnexState, relative: str, size: int, cid: str) -> str:
        """``key``, recorded in the key's state with the identifier it was made from, so that
        a later get reads that version; not where the key tells the identifier itself (an
        unversioned object's MD5 ETag: ``implied_cid``), which spares a GETSTATE round trip,
        a SETSTATE and one git-annex branch file per object."""
        made = self.key(relative, size, cid)
        if cid != implied_cid(made):
            annex.setstate(made, with_cid(annex.getstate(made), relative, cid))
        return made

    def retrieval(self, annex: AnnexState, relative: str,
                  local_file: str) -> tuple[str | None, str | None]:
        """(version to read, ETag the object must have) for RETRIEVEIMPORT into
        ``local_file``: the identifier is in git-annex's temporary file name, or recorded in
        the state of the key that name tells."""
        key, cid = tmp_file_names(local_file)
        if cid is None and key is not None:
            cid = imported_cid(annex, key, relative)
        return retrieval(cid)

    def unchanged_version(self, annex: AnnexState, key: str, relative: str) -> str | None:
        """The version that holds ``key`` as imported from ``relative`` (None: the current
        object); ``ImportChanged`` where the object no longer holds that content."""
        cid = imported_cid(annex, key, relative)
        self.check_unchanged(relative, cid)
        return parse_content_identifier(cid)[1] if cid else None

    def changed(self, relative: str, how: str) -> ImportChanged:
        return ImportChanged(f"{self.object_name(relative)} in bucket {self.bucket} changed "
                             f"since it was imported ({how}) and the bucket keeps no older "
                             "version; run git annex import again")


def retrieval(cid: str | None) -> tuple[str | None, str | None]:
    """(version to read, ETag the object must have) of an import whose identifier is
    ``cid``: that version (which cannot change), else the current object if it still has the
    imported ETag (a conditional GET: no HEAD before it); (None, None) without an identifier."""
    if cid is None:
        return None, None
    etag, version_id = parse_content_identifier(cid)
    return (version_id, None) if version_id else (None, etag)


def implied_cid(key: str) -> str | None:
    """The identifier an MD5 key carries: an object whose ETag is that MD5, current version
    (what IMPORTKEY made the key from, on an unversioned bucket)."""
    found = naming.key_digest(key)
    return found[1] if found and found[0] == "MD5" else None


def imported_cid(annex: AnnexState, key: str, relative: str) -> str | None:
    """The identifier ``key`` was imported from at ``relative``: the one recorded in its state,
    else the one the key implies (None: neither)."""
    return recorded_cids(annex.getstate(key)).get(relative) or implied_cid(key)


def recorded_cids(state: str) -> dict[str, str]:
    """name -> content identifier recorded for one key (SETSTATE), {} when none."""
    return keystate.entries(state, keystate.IMPORT)


def with_cid(state: str, relative: str, cid: str) -> str:
    """The key's state with ``relative``'s content identifier added (one line of JSON)."""
    return keystate.with_entry(state, keystate.IMPORT, relative, cid)


def _unescape_key_file(base: str) -> str:
    """git-annex's keyFile escaping undone: ``&a`` -> ``&``, ``&s`` -> ``%``, ``&c`` -> ``:``,
    ``%`` -> ``/``."""
    return base.replace("%", "/").replace("&c", ":").replace("&s", "%").replace("&a", "&")


def tmp_file_names(path: str) -> tuple[str | None, str | None]:
    """(key, content identifier) that git-annex's temporary file name tells: its files are
    named after the key (``.git/annex/tmp/KEY``), and during an import without IMPORTKEY after
    the content identifier (``CID-s12--CID``). (None, None) for any other name."""
    base = os.path.basename(path)
    if "--" not in base or " " in base:
        return None, None
    if base.startswith("CID-"):
        return None, _unescape_key_file(base.split("--", 1)[1])
    return _unescape_key_file(base), None


def importer_of(session: Session, annex: AnnexQueries) -> Importer:
    """The remote's bucket and prefix as importable files; ``StorageError`` where reads go
    through public URLs (no listing there)."""
    settings = session.settings(annex)
    if session.anonymous_base(annex):
        raise StorageError(f"reading bucket listings needs AWS credentials or "
                           f"signature=anonymous; remote of bucket {settings.bucket} "
                           "has neither")
    return Importer(session.store(annex), settings.bucket, settings.fileprefix,
                    settings.etags_are_md5)
