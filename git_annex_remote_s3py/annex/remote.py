"""The only protocol adapter: git-annex requests -> session / setup / versions / store -> replies.

One small method per request. The store it calls is the S3 bucket or, without credentials,
the anonymous ``PublicStore``: the session chooses once (``annex/session.py``). It never
imports boto3; the store never sees annexremote.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Callable, Iterator, TypeVar

import annexremote
from annexremote import ExportRemote, RemoteError

from git_annex_remote_s3py import keystate, naming, urls
from git_annex_remote_s3py.annex import versions
from git_annex_remote_s3py.annex.partfile import written_beside
from git_annex_remote_s3py.annex.session import Session, public_base
from git_annex_remote_s3py.config import SETTINGS_TABLE, Settings
from git_annex_remote_s3py.errors import (
    ConfigError,
    InvalidName,
    ObjectChanged,
    ObjectNotFound,
    S3pyError,
    StorageError,
    one_line,
)
from git_annex_remote_s3py.progress import Throttled
from git_annex_remote_s3py.store.base import ObjectInfo, Store

if TYPE_CHECKING:
    from typing import Concatenate, ParamSpec  # Python 3.10: the type checker's only

    from git_annex_remote_s3py.annex import importing, s3urls

    Params = ParamSpec("Params")

Returned = TypeVar("Returned")


def annex_errors(method: Callable[Concatenate[S3Remote, Params], Returned]
                 ) -> Callable[Concatenate[S3Remote, Params], Returned]:
    """Turn our expected errors into annexremote's RemoteError with a one-line message."""

    @functools.wraps(method)
    def wrapper(self: S3Remote, *args: Params.args, **kwargs: Params.kwargs) -> Returned:
        with remote_errors(self):
            return method(self, *args, **kwargs)

    return wrapper


@contextlib.contextmanager
def remote_errors(remote: S3Remote) -> Iterator[None]:
    """``annex_errors`` for a block (a generator's: errors arise while it is iterated)."""
    try:
        yield
    except S3pyError as exc:
        remote.debug(f"{type(exc).__name__}: {exc}")
        raise RemoteError(one_line(exc)) from exc


class S3Remote(ExportRemote):
    """git-annex special remote storing keys (or an exported tree) in one S3 bucket."""

    def __init__(self, annex: annexremote.Master, session: Session | None = None) -> None:
        super().__init__(annex)
        self.session = session or Session()

    # -- helpers ----------------------------------------------------------------------------
    def debug(self, message: str) -> None:
        self.annex.debug(one_line(message))

    @property
    def settings(self) -> Settings:
        return self.session.settings(self.annex)

    @property
    def store(self) -> Store:
        """Where reads go: the S3 bucket, or the public URLs when there are no credentials."""
        return self.session.store(self.annex)

    def _progress(self) -> Throttled:
        return Throttled(self.annex.progress,
                         send_last=getattr(self.annex, "progress_before_reply", None))

    def _writable_for(self, key: str) -> Store:
        """The store to write ``key`` to; a private repository's remote in a prefix another
        remote owns (``setup.private_guest_of``) writes only datalad-annex's deposit keys."""
        owner = self.session.guest_of(self.annex)  # one GETCONFIG per process
        if owner and not naming.is_deposit_key(key):
            raise ConfigError(
                f"bucket {self.settings.bucket} prefix '{self.settings.fileprefix}' belongs to "
                f"git-annex remote {owner}: this private repository's remote writes only "
                f"datalad-annex's repository deposit there, not {key}; write through remote "
                f"{owner} itself")
        return self.session.writable(self.annex)

    def _put(self, key: str, object_name: str, local_file: str) -> ObjectInfo:
        """Upload; a SHA256 key's hash goes along as the object's checksum (the server
        keeps it, and ``verify`` compares it later without a download)."""
        store = self._writable_for(key)
        progress = self._progress()
        stored = store.put_file(object_name, local_file, progress,
                                sha256=naming.key_sha256(key))
        self._hint_once_at_acl_refusal(store)
        self._record_upload(key, object_name, stored)
        progress.finish(stored.size)
        return stored

    def _hint_once_at_acl_refusal(self, store: Store) -> None:
        """Where the bucket refused the public ACL (the store then stores without it), say
        once per process how objects become public anyway."""
        why = store.public_acl_refused()
        if why and self.session.refuse_acl():
            from git_annex_remote_s3py.annex import info as described  # start-up time

            self.annex.info(described.acl_hint(self.settings, why))

    def _record_upload(self, key: str, object_name: str, stored: ObjectInfo) -> None:
        """Keep the ETag of this checked upload in the key's remote state for ``verify``,
        where ``etag_needed_by_verify`` says the object cannot prove the key by itself.
        Other fields (import's records) and other export paths of the key are kept."""
        if not keystate.etag_needed_by_verify(key, stored.md5_hex, stored.sha256_hex):
            return
        self.annex.setstate(key, keystate.with_entry(self.annex.getstate(key),
                                                     keystate.UPLOADED, object_name,
                                                     stored.etag))

    def _get(self, object_name: str, local_file: str, version_id: str | None = None,
             if_match: str | None = None, key: str | None = None) -> None:
        """Download; s3py checks the bytes itself unless git-annex hashes ``key``'s content
        anyway (``naming.verified_by_git_annex``): each download is verified once."""
        progress = self._progress()
        verify = key is None or not naming.verified_by_git_annex(key)
        progress.finish(self.store.get_file(object_name, local_file, progress, version_id,
                                            if_match, verify))

    def _present(self, key: str, object_name: str, version_id: str | None = None) -> bool:
        expected = naming.expected_object_size(key)
        try:
            size = self._size(object_name, version_id)
        except ObjectNotFound:
            return False
        if expected is not None and size != expected:
            self.debug(f"{object_name} holds {size} bytes, key {key} needs {expected}: "
                       "treating it as absent so that it is stored again")
            return False
        return True

    def _size(self, object_name: str, version_id: str | None) -> int:
        """The object's size now: a HEAD (``ObjectNotFound`` for a real 404)."""
        return self.store.head(object_name, version_id).size

    def _key_name(self, key: str) -> str:
        return naming.key_object_name(self.settings.fileprefix, key)

    def _export_name(self, path: str) -> str:
        return naming.export_object_name(self.settings.fileprefix, path)

    # -- setup --------------------------------------------------------------------------------
    def listconfigs(self) -> dict[str, str]:
        return {s.name: s.description for s in SETTINGS_TABLE}

    @annex_errors
    def initremote(self) -> None:
        from git_annex_remote_s3py.annex import setup  # INITREMOTE only

        self.session.initializing = True  # the git remote has no name yet (session.local)
        setup.initremote(self.annex, self.session)

    @annex_errors
    def prepare(self) -> None:
        self.settings  # validates; no network access here  # noqa: B018

    # -- key mode -----------------------------------------------------------------------------
    @annex_errors
    def transfer_store(self, key: str, local_file: str) -> None:
        self._put(key, self._key_name(key), local_file)

    @annex_errors
    def transfer_retrieve(self, key: str, local_file: str) -> None:
        name, version_id = self._key_location(key)
        try:
            self._get(name, local_file, version_id, key=key)
        except ObjectNotFound:
            if not self._retrieve_from_s3_url(key, local_file):  # added by addurl s3://...
                raise

    @annex_errors
    def checkpresent(self, key: str) -> bool:
        name, version_id = self._key_location(key)
        return self._present(key, name, version_id) or self._present_at_s3_url(key)

    @annex_errors
    def remove(self, key: str) -> None:
        self._writable_for(key).delete(self._key_name(key))

    def _key_location(self, key: str) -> tuple[str, str | None]:
        return versions.key_location(self.annex, self.settings, key)

    def whereis(self, key: str) -> str:
        try:
            name, version_id = self._key_location(key)
            base = public_base(self.settings)
        except S3pyError:  # export mode without a version record: git-annex knows the paths
            return ""
        if base:
            return urls.object_url(base, name, version_id)
        suffix = f" (version {version_id})" if version_id else ""
        return f"s3://{self.settings.bucket}/{name}{suffix}"

    def getavailability(self) -> str:
        return "global"

    def unavailable_reason(self) -> str | None:
        from git_annex_remote_s3py.annex import info as described  # start-up time

        return described.unavailable_reason(self.session, self.annex)

    def retrieve_url(self, key: str, remote_file: str | None) -> str | None:
        """A URL git-annex may download ``key`` from itself (TRANSFER-RETRIEVE-URL), or None to
        keep s3py's own transfer: the policy is ``annex/retrieve_url.py``."""
        from git_annex_remote_s3py.annex import retrieve_url  # 10.20261026's downloads only

        return retrieve_url.url_for(self.session, self.annex, key, remote_file is not None,
                                    lambda: self._url_location(key, remote_file), self.debug)

    def _url_location(self, key: str, remote_file: str | None) -> tuple[str, str | None] | None:
        """``_location``, or None for a key that an s3:// URL also holds (addurl): s3py reads
        it there when the bucket lacks it (asked only once a URL would be given)."""
        if remote_file is None and self._s3_urls(key):
            return None
        return self._location(key, remote_file)

    def _location(self, key: str, remote_file: str | None) -> tuple[str, str | None]:
        """The object name and version id of ``key`` (exported as ``remote_file``, if given)."""
        if remote_file is None:
            return self._key_location(key)
        name = self._export_name(remote_file)
        record = versions.version_record(self.annex, self.settings, key)
        return name, record[1] if record and record[0] == name else None

    def getcost(self) -> int:
        return 200

    @property
    def info(self) -> dict[str, str]:
        from git_annex_remote_s3py.annex import info as described  # GETINFO only

        return described.info_fields(self.session, self.annex)

    @info.setter
    def info(self, value: dict[str, str]) -> None:  # annexremote's constructor assigns {}
        pass

    # -- export mode --------------------------------------------------------------------------
    def exportsupported(self) -> bool:
        return True

    @annex_errors
    def transferexport_store(self, key: str, local_file: str, remote_file: str) -> None:
        name = self._export_name(remote_file)
        version_id = self._put(key, name, local_file).version_id
        if not self.settings.versioning:
            return
        if version_id:
            versions.record_version(self.annex, self.settings, key, name, version_id)
        else:
            self.annex.info(f"bucket {self.settings.bucket} gave no version ID for {name}: its "
                            "versioning is off, so overwritten content will be lost; run git "
                            "annex enableremote to turn it on again")

    @annex_errors
    def transferexport_retrieve(self, key: str, local_file: str, remote_file: str) -> None:
        """Download the path; pinned to the key's recorded version there, if any.

        Written beside ``local_file`` and renamed onto it (``partfile``): git-annex 10.2026's
        export tail verifier fails a fast in-place write."""
        name = self._export_name(remote_file)
        record = versions.version_record(self.annex, self.settings, key)
        with written_beside(local_file) as part:  # git-annex 10.2025+ hashes FILE as it grows
            self._get(name, part, record[1] if record and record[0] == name else None,
                      key=key)

    @annex_errors
    def checkpresentexport(self, key: str, remote_file: str) -> bool:
        return self._present(key, self._export_name(remote_file))

    @annex_errors
    def removeexport(self, key: str, remote_file: str) -> None:
        try:
            name = self._export_name(remote_file)
        except InvalidName as exc:  # never stored, so already gone (and the marker stays)
            self.debug(f"nothing to remove: {exc}")
            return
        self._writable_for(key).delete(name)
        self._hand_old_version_to_web(key, name)

    def _hand_old_version_to_web(self, key: str, name: str) -> None:
        """After an overwrite or unexport of a public versioned export, the key's version stays
        in the bucket as a noncurrent version that this remote no longer counts (git-annex
        marks the key absent from it): its public versioned URL is recorded, so that one
        object is one copy (the web remote's), which anybody gets without credentials or s3py.
        """
        base = public_base(self.settings)
        version_id = versions.version_at(self.annex, self.settings, key, name) if (
            self.settings.versioning and base) else None
        if base and version_id:
            self.annex.seturlpresent(key, urls.object_url(base, name, version_id))

    def removeexportdirectory(self, remote_directory: str) -> None:
        """S3 has no directories: nothing to remove."""

    @annex_errors
    def renameexport(self, key: str, filename: str, new_filename: str) -> None:
        old, new = self._export_name(filename), self._export_name(new_filename)
        store = self._writable_for(key)
        store.copy(old, new)
        self._hint_once_at_acl_refusal(store)
        copied = store.head(new)  # a multipart copy has an ETag of its own: verify reads it
        self._record_upload(key, new, copied)
        if self.settings.versioning and copied.version_id:  # a version of its own: record it
            versions.record_version(self.annex, self.settings, key, new, copied.version_id)
        store.delete(old)

    # -- import (importtree=yes) and s3:// URLs: docs/import.md ------------------------------
    def importsupported(self) -> bool:
        return True

    def _importer(self) -> importing.Importer:
        from git_annex_remote_s3py.annex import importing  # importtree=yes only

        return importing.importer_of(self.session, self.annex)

    def list_importable(self) -> Iterator[importing.Importable]:
        """LISTIMPORTABLECONTENTS: each object under fileprefix= (names relative to it), as
        the listing's pages arrive (never the whole list in memory)."""
        def skipped(name: str, why: str) -> None:
            self.annex.info(f"not importing {name!r} from bucket {self.settings.bucket}: {why}")

        with remote_errors(self):
            yield from self._importer().contents(skipped)

    @annex_errors
    def import_key(self, name: str, size: int, cid: str) -> str:
        """IMPORTKEY: the key of the object's content, recorded with its identifier so that
        a later get reads that version."""
        return self._importer().recorded_key(self.annex, name, size, cid)

    @annex_errors
    def retrieve_import(self, name: str, local_file: str) -> None:
        """RETRIEVEIMPORT: the imported version of ``name`` into ``local_file``, written
        beside it and renamed into place (git-annex hashes the file as it grows)."""
        importer = self._importer()
        version_id, etag = importer.retrieval(self.annex, name, local_file)
        with written_beside(local_file) as part:
            try:
                self._get(importer.object_name(name), part, version_id, if_match=etag)
            except ObjectChanged as exc:
                raise importer.changed(name, f"no longer ETag {etag}") from exc

    @annex_errors
    def checkpresent_import(self, key: str, name: str) -> bool:
        """CHECKPRESENTIMPORT: present when the imported version still holds the key's size
        (and, without a version, the imported ETag); absent on a 404 or other content."""
        importer = self._importer()
        try:
            version_id = importer.unchanged_version(self.annex, key, name)
        except (ObjectNotFound, importer.Changed):
            return False
        return self._present(key, importer.object_name(name), version_id)

    def claimurl(self, url: str) -> bool:
        """s3:// URLs of any bucket this remote's endpoint and credentials reach."""
        from git_annex_remote_s3py.annex import s3urls  # s3:// URLs only (addurl, importfeed)

        return s3urls.parse_s3_url(url) is not None

    @annex_errors
    def checkurl(self, url: str) -> list[dict[str, str | int]]:
        """One object's size and name, or (a prefix) each object under it as a pinned URL."""
        from git_annex_remote_s3py.annex import s3urls

        return s3urls.checked(self.session.other_buckets(self.annex), url)

    def _s3_urls(self, key: str) -> list[s3urls.S3Url]:
        """The s3:// URLs git-annex records for ``key`` (asked where the bucket lacks it)."""
        if self.settings.exporttree:
            return []
        from git_annex_remote_s3py.annex import s3urls  # start-up time

        return s3urls.objects_of(self.annex.geturls(key, s3urls.SCHEME))

    def _retrieve_from_s3_url(self, key: str, local_file: str) -> bool:
        """Download ``key`` from an s3:// URL recorded for it (addurl); False if it has none."""
        from git_annex_remote_s3py.annex import s3urls

        found = self._s3_urls(key)
        return bool(found) and s3urls.retrieve(self.session.other_buckets(self.annex), found,
                                               local_file, self._progress(), self.debug)

    def _present_at_s3_url(self, key: str) -> bool:
        from git_annex_remote_s3py.annex import s3urls

        found = self._s3_urls(key)
        return bool(found) and s3urls.present(self.session.other_buckets(self.annex), found,
                                              naming.expected_object_size(key))


__all__ = ["S3Remote", "Session", "StorageError"]
