"""The only protocol adapter: git-annex requests -> storage calls -> replies.

It never imports boto3 (``connection`` does, lazily); ``storage`` never sees annexremote.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from annexremote import ExportRemote, RemoteError

from git_annex_remote_s3py import credentials, naming, urls
from git_annex_remote_s3py.annex.partfile import written_beside
from git_annex_remote_s3py.config import SETTINGS_TABLE, Settings, load_settings
from git_annex_remote_s3py.errors import (
    AccessDenied,
    CredentialsMissing,
    InvalidName,
    ObjectNotFound,
    S3pyError,
    StorageError,
    one_line,
)
from git_annex_remote_s3py.progress import Throttled

UUID_TEXT = re.compile(r"^[0-9a-fA-F-]{8,64}$")
INITIALIZED_FLAG = "s3py-initialized"
ACL_HINT = ("bucket {bucket} refuses public ACLs ({why}), so objects stay private until a bucket "
            "policy allows public reads: {policy} (printed by: git-annex-remote-s3py policy "
            "--bucket {bucket} --prefix {prefix})")


def annex_errors(method: Callable) -> Callable:
    """Turn our expected errors into annexremote's RemoteError with a one-line message."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except S3pyError as exc:
            self.debug(f"{type(exc).__name__}: {exc}")
            raise RemoteError(one_line(exc)) from exc
        finally:
            self._say_lean_off()

    return wrapper


@dataclass
class SharedState:
    """What every job of one process shares: settings, credentials and one S3 client."""

    settings: Settings | None = None
    creds: credentials.Credentials | None = None
    bucket: Any = None
    has_credentials: bool | None = None
    acl_refused: bool = False
    lean_off_said: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)  # re-entered by .bucket
    make_bucket: Callable[[Settings, credentials.Credentials], Any] | None = None


def default_bucket_factory(settings: Settings, creds: credentials.Credentials) -> Any:
    from git_annex_remote_s3py.store import bucket as storage
    from git_annex_remote_s3py.store import client as connection
    from git_annex_remote_s3py.store import listing as presence

    upload_args: dict[str, Any] = {}
    if settings.storageclass:
        upload_args["StorageClass"] = settings.storageclass
    if settings.sse:
        upload_args["ServerSideEncryption"] = settings.sse
    if settings.ssekmskeyid:
        upload_args["SSEKMSKeyId"] = settings.ssekmskeyid
    if settings.metadata:
        upload_args["Metadata"] = dict(settings.metadata)
    client = connection.LazyClient(lambda: connection.build_client(settings, creds))
    bucket = storage.Bucket(client, settings.bucket, partsize=settings.partsize,
                            upload_args=upload_args, verify_etag_md5=settings.sse != "aws:kms",
                            lean=connection.build_lean(settings, creds),
                            flexible_checksums=settings.checksums == "when_supported")
    return presence.ListedBucket(bucket, settings.fileprefix)


class S3Remote(ExportRemote):
    """git-annex special remote storing keys (or an exported tree) in one S3 bucket."""

    def __init__(self, annex, shared: SharedState | None = None) -> None:
        super().__init__(annex)
        self.shared = shared or SharedState()
        if self.shared.make_bucket is None:
            self.shared.make_bucket = default_bucket_factory

    # -- helpers ----------------------------------------------------------------------------
    def debug(self, message: str) -> None:
        self.annex.debug(one_line(message))

    def _say_lean_off(self) -> None:
        """One DEBUG line (``git annex --debug``) when the lean request path hands over."""
        why = getattr(self.shared.bucket, "lean_off_reason", "")
        if why and isinstance(why, str) and not self.shared.lean_off_said:
            self.shared.lean_off_said = True
            self.debug(f"lean request path off ({why}); botocore sends every request from now on")

    def listconfigs(self) -> dict[str, str]:
        return {s.name: s.description for s in SETTINGS_TABLE}

    @property
    def settings(self) -> Settings:
        with self.shared.lock:
            if self.shared.settings is None:
                self.shared.settings = load_settings(self.annex.getconfig)
            return self.shared.settings

    def _creds(self) -> credentials.Credentials:
        with self.shared.lock:
            if self.shared.creds is None:
                self.shared.creds = credentials.resolve(self._stored_creds)
            return self.shared.creds

    def _cache_file(self) -> str:
        return credentials.cache_file(self.annex.getgitdir(), self.annex.getuuid())

    def _embeds_creds(self) -> bool:
        """Whether git-annex must keep the creds in the branch (embedcreds, gpg encryption)."""
        embed = self.annex.getconfig("embedcreds").lower()
        return embed == "yes" or (embed != "no" and bool(self.annex.getconfig("cipherkeys")))

    def _stored_creds(self) -> tuple[str, str] | None:
        """git-annex's local creds file read directly (no secret crosses the protocol, which
        ``--debug`` logs), else GETCREDS for creds embedded in the branch."""
        cached = credentials.read_cache(self._cache_file())
        if cached or not self._embeds_creds():
            return cached
        found = self.annex.getcreds(credentials.CREDS_SETTING)  # annexremote: a dict
        user, password = found.get("user"), found.get("password")
        return (user, password) if user and password else None

    def _can_sign(self) -> bool:
        """Whether any credentials exist; the boto3 chain is asked only when needed."""
        if self.settings.anonymous:
            return False
        if self.shared.has_credentials is None:
            creds = self._creds()
            if creds.explicit:
                self.shared.has_credentials = True
            else:
                from git_annex_remote_s3py.store.client import has_chain_credentials

                self.shared.has_credentials = has_chain_credentials(self.settings)
        return self.shared.has_credentials

    @property
    def bucket(self) -> Any:
        with self.shared.lock:
            if self.shared.bucket is None:
                self.shared.bucket = self.shared.make_bucket(self.settings, self._creds())
            return self.shared.bucket

    def _writable(self) -> Any:
        if not self._can_sign():
            raise CredentialsMissing(
                f"no AWS credentials to write to bucket {self.settings.bucket}: set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or profile=) and retry")
        return self.bucket

    def _public_base(self) -> str | None:
        settings = self.settings
        if settings.public or settings.publicurl:
            return urls.public_base_url(settings)
        return None

    def _records_urls(self, key: str) -> bool:
        """Public URLs are recorded only for plain (unencrypted, unchunked) content."""
        fields = naming.parse_key_fields(key)
        return (self.settings.public and not naming.is_encrypted_key(key)
                and "C" not in fields)

    def _progress(self) -> Throttled:
        return Throttled(self.annex.progress)

    def _upload_args(self) -> dict[str, str]:
        if self.settings.public and not self.shared.acl_refused:
            return {"ACL": "public-read"}
        return {}

    def _with_acl(self, write: Callable[[dict[str, str]], Any]) -> Any:
        """``write(upload_args)``; where the bucket refuses the public ACL, again without it,
        and say so once.

        Refusals: ``AccessControlListNotSupported`` (Object Ownership "bucket owner enforced"),
        or 403 (Block Public Access, or no s3:PutObjectAcl). A 403 that the retry without the
        ACL also gets is raised as it is.
        """
        from git_annex_remote_s3py.store.bucket import AclNotSupported

        args = self._upload_args()
        try:
            return write(args)
        except (AclNotSupported, AccessDenied) as exc:
            if "ACL" not in args:
                raise
            result = write({})
            with self.shared.lock:
                first, self.shared.acl_refused = not self.shared.acl_refused, True
            if first:
                self._acl_hint("ACLs disabled" if isinstance(exc, AclNotSupported) else
                               "403: Block Public Access, or no s3:PutObjectAcl permission")
            return result

    def _acl_hint(self, why: str) -> None:
        bucket, prefix = self.settings.bucket, self.settings.fileprefix
        policy = json.dumps(urls.public_read_policy(bucket, prefix, self.settings.versioning),
                            separators=(",", ":"))
        self.annex.info(ACL_HINT.format(bucket=bucket, prefix=shlex.quote(prefix),
                                        policy=policy, why=why))

    def _put(self, object_name: str, local_file: str) -> Any:
        bucket = self._writable()
        return self._with_acl(lambda args: bucket.put_file(object_name, local_file,
                                                           self._progress(), args))

    def _anonymous_base(self) -> str | None:
        """The public base URL when reads must go through anonymous HTTP (no credentials at
        all, a public URL known, not ``signature=anonymous``, which reads through boto3)."""
        base = self._public_base()
        return base if base and not self.settings.anonymous and not self._can_sign() else None

    def _get(self, object_name: str, local_file: str, version_id: str | None = None) -> None:
        base = self._anonymous_base()
        if base:
            from git_annex_remote_s3py.store import public as webget

            url = urls.object_url(base, object_name, version_id)
            webget.download(url, local_file, self._progress(), f"retrieving {object_name}")
            return
        self.bucket.get_file(object_name, local_file, self._progress(), version_id)

    def _present(self, key: str, object_name: str, version_id: str | None = None) -> bool:
        expected = naming.expected_object_size(key)
        base = self._anonymous_base()
        try:
            if base:
                from git_annex_remote_s3py.store import public as webget

                size = webget.head_size(urls.object_url(base, object_name, version_id),
                                        f"checking {key}")
            else:
                size = self._signed_size(object_name, expected, version_id)
        except ObjectNotFound:
            return False
        if expected is not None and size != expected:
            self.debug(f"{object_name} holds {size} bytes, key {key} needs {expected}: "
                       "treating it as absent so that it is stored again")
            return False
        return True

    def _signed_size(self, object_name: str, expected: int | None,
                     version_id: str | None) -> int:
        """From a fresh listing where it can answer (presence.py), else from a HEAD."""
        from git_annex_remote_s3py.store.listing import NOT_LISTED

        bucket = self.bucket
        listed = getattr(bucket, "listed_size", None)
        if listed and version_id is None:
            size = listed(object_name)
            if size == NOT_LISTED:
                raise ObjectNotFound(f"{object_name}: not in a complete listing of the prefix")
            if size is not None and (expected is None or size == expected):
                return size
        return bucket.head(object_name, version_id).size

    # -- setup --------------------------------------------------------------------------------
    @annex_errors
    def initremote(self) -> None:
        settings = self.settings
        env_creds = credentials.from_environment()
        if env_creds and not settings.anonymous and self._embeds_creds():
            self.annex.setcreds(credentials.CREDS_SETTING, env_creds.access_key,
                                env_creds.secret_key)
        elif env_creds and not settings.anonymous:  # local store, kept out of --debug logs
            credentials.write_cache(self._cache_file(), env_creds.access_key,
                                    env_creds.secret_key)
        already = self.annex.getconfig(INITIALIZED_FLAG) == "yes"
        if settings.anonymous or not self._can_sign():
            if already or settings.anonymous or self._public_base():
                self.annex.info(f"no AWS credentials: bucket {settings.bucket} is used read-only"
                                " through its public URL" if not settings.anonymous else
                                f"signature=anonymous: bucket {settings.bucket} is read-only")
                self.annex.setconfig(INITIALIZED_FLAG, "yes")
                return
            raise CredentialsMissing(
                "no AWS credentials found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or set profile=) and run initremote again")
        bucket = self.bucket
        if not bucket.exists():
            bucket.create(settings.region_or_default)
            self.annex.info(f"created bucket {settings.bucket}")
        elif settings.region is None and settings.endpoint is None:
            region = bucket.region()  # recorded, so public URLs and clones use the right one
            if region:
                self.annex.setconfig("region", region)
        if settings.versioning:
            bucket.enable_versioning()
        self._claim_prefix(bucket)
        self.annex.setconfig(INITIALIZED_FLAG, "yes")

    def _claim_prefix(self, bucket: Any) -> None:
        """Write or check the ``annex-uuid`` marker, as the built-in S3 remote does."""
        from git_annex_remote_s3py.errors import NotAnS3Endpoint

        marker = self.settings.fileprefix + naming.UUID_MARKER
        uuid = self.annex.getuuid()
        try:
            found = bucket.get_text(marker).strip()
        except ObjectNotFound:
            bucket.put_text(marker, uuid)
            found = bucket.get_text(marker).strip()
            if found != uuid:
                raise NotAnS3Endpoint(f"wrote {marker} but read back other content: is "
                                      "endpoint= an S3 API URL?") from None
            return
        if not UUID_TEXT.match(found):
            raise NotAnS3Endpoint(f"{marker} holds no UUID: is endpoint= an S3 API URL?")
        if found != uuid:
            raise S3pyError(
                f"bucket {self.settings.bucket} prefix '{self.settings.fileprefix}' already "
                f"belongs to git-annex remote {found}; choose another fileprefix=, or use "
                "initremote --sameas to add another way to reach that remote")

    @annex_errors
    def prepare(self) -> None:
        self.settings  # validates; no network access here  # noqa: B018

    # -- key mode -----------------------------------------------------------------------------
    def _key_name(self, key: str) -> str:
        return naming.key_object_name(self.settings.fileprefix, key)

    @annex_errors
    def transfer_store(self, key: str, local_file: str) -> None:
        name = self._key_name(key)
        self._put(name, local_file)
        if self._records_urls(key):
            self.annex.seturlpresent(key, urls.object_url(self._public_base(), name))

    def _version_record(self, key: str) -> tuple[str, str] | None:
        """(object, version ID) of ``key`` recorded by a versioned export of this remote.

        The record is an ``s3py://UUID@BUCKET/...`` URI in git-annex's URL log: every clone
        and every ``--sameas`` remote (same UUID) reads it, unlike SETSTATE, which a sameas
        remote cannot read. The UUID keeps other remotes from counting the same copy.
        """
        if not self.settings.versioning:
            return None
        prefix = urls.version_uri_prefix(self.annex.getuuid(), self.settings.bucket)
        for uri in reversed(self.annex.geturls(key, prefix)):
            found = urls.parse_version_uri(uri)
            if found and found[2].startswith(self.settings.fileprefix):
                return found[2], found[3]
        return None

    def _key_location(self, key: str) -> tuple[str, str | None]:
        """Where key-mode requests find ``key``: its recorded version, else ``prefix + key``.

        Versioned export remotes answer key-mode requests (a newer git-annex asks them for
        overwritten or unexported content, and so does a ``--sameas`` key-mode remote here).
        """
        record = self._version_record(key)
        if record:
            return record
        if self.settings.exporttree:
            raise StorageError(f"no stored version of {key} is recorded for this export remote; "
                               "it was exported without bucketversioning=yes")
        return self._key_name(key), None

    @annex_errors
    def transfer_retrieve(self, key: str, local_file: str) -> None:
        name, version_id = self._key_location(key)
        self._get(name, local_file, version_id)

    @annex_errors
    def checkpresent(self, key: str) -> bool:
        name, version_id = self._key_location(key)
        return self._present(key, name, version_id)

    @annex_errors
    def remove(self, key: str) -> None:
        name = self._key_name(key)
        self._writable().delete(name)
        if self._records_urls(key):
            self.annex.seturlmissing(key, urls.object_url(self._public_base(), name))

    def whereis(self, key: str) -> str:
        try:
            name, version_id = self._key_location(key)
            base = self._public_base()
        except S3pyError:  # export mode without a version record: git-annex knows the paths
            return ""
        if base:
            return urls.object_url(base, name, version_id)
        suffix = f" (version {version_id})" if version_id else ""
        return f"s3://{self.settings.bucket}/{name}{suffix}"

    def getavailability(self) -> str:
        return "global"

    def getcost(self) -> int:
        return 200

    @property
    def info(self) -> dict[str, str]:
        try:
            settings = self.settings
        except S3pyError as exc:
            return {"s3py error": one_line(exc)}
        fields = {
            "bucket": settings.bucket,
            "endpoint": settings.endpoint or f"AWS ({settings.region_or_default})",
            "region": settings.region_or_default,
            "fileprefix": settings.fileprefix or "(bucket root)",
            "request style": settings.requeststyle,
            "signature": "anonymous" if settings.anonymous else "v4",
            "partsize": str(settings.partsize),
            "public": "yes" if settings.public else "no",
            "versioning": "yes" if settings.versioning else "no",
            "credentials": self._creds().source if not settings.anonymous else "none",
        }
        base = self._public_base()
        if base:
            fields["publicurl"] = base
        return fields

    @info.setter
    def info(self, value: dict) -> None:  # annexremote's constructor assigns {}
        pass

    # -- export mode --------------------------------------------------------------------------
    def _export_name(self, path: str) -> str:
        return naming.export_object_name(self.settings.fileprefix, path)

    def exportsupported(self) -> bool:
        return True

    @annex_errors
    def transferexport_store(self, key: str, local_file: str, remote_file: str) -> None:
        name = self._export_name(remote_file)
        info = self._put(name, local_file)
        version_id = info.version_id if self.settings.versioning else None
        if self.settings.versioning and not version_id:
            self.annex.info(f"bucket {self.settings.bucket} gave no version ID for {name}: its "
                            "versioning is off, so overwritten content will be lost; run git "
                            "annex enableremote to turn it on again")
        if version_id:
            self.annex.seturipresent(key, urls.version_uri(
                self.annex.getuuid(), self.settings.bucket, name, version_id))
        if self._records_urls(key):
            self.annex.seturlpresent(key, urls.object_url(self._public_base(), name, version_id))

    @annex_errors
    def transferexport_retrieve(self, key: str, local_file: str, remote_file: str) -> None:
        """Download the path; pinned to the key's recorded version there, if any.

        Written beside ``local_file`` and renamed onto it (``partfile``): git-annex 10.2026's
        export tail verifier fails a fast in-place write."""
        name = self._export_name(remote_file)
        record = self._version_record(key)
        with written_beside(local_file) as part:
            self._get(name, part, record[1] if record and record[0] == name else None)

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
        self._writable().delete(name)
        if self._records_urls(key) and not self.settings.versioning:
            self.annex.seturlmissing(key, urls.object_url(self._public_base(), name))

    def removeexportdirectory(self, remote_directory: str) -> None:
        """S3 has no directories: nothing to remove."""

    @annex_errors
    def renameexport(self, key: str, filename: str, new_filename: str) -> None:
        old, new = self._export_name(filename), self._export_name(new_filename)
        bucket = self._writable()
        self._with_acl(lambda args: bucket.copy(old, new, args))
        bucket.delete(old)
        if self._records_urls(key) and not self.settings.versioning:
            base = self._public_base()
            self.annex.seturlmissing(key, urls.object_url(base, old))
            self.annex.seturlpresent(key, urls.object_url(base, new))


__all__ = ["S3Remote", "SharedState", "StorageError"]
