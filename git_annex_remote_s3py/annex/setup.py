"""initremote / enableremote: credentials, the bucket, versioning, the ``annex-uuid`` marker,
and the recorded location that enableremote may not silently change."""

from __future__ import annotations

import json
import re
from typing import Any

from git_annex_remote_s3py import credentials, naming
from git_annex_remote_s3py.annex.session import Session, cache_file, embeds_creds, public_base
from git_annex_remote_s3py.config import Settings, upload_args_of
from git_annex_remote_s3py.errors import (
    BucketNotFound,
    ConfigError,
    CredentialsMissing,
    IntegrityError,
    NotAnS3Endpoint,
    ObjectNotFound,
    S3pyError,
    StorageError,
)
from git_annex_remote_s3py.store.base import Store, UploadArgs

UUID_TEXT = re.compile(r"^[0-9a-fA-F-]{8,64}$")
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # not readable at once: the marker goes without
INITIALIZED_FLAG = "s3py-initialized"
LOCATION_CONFIG = "s3py-location"


def location_of(settings: Settings) -> dict[str, str]:
    """What decides where the objects are: a change of any of these names other objects."""
    return {"endpoint": settings.endpoint or "aws", "region": settings.region_or_default,
            "requeststyle": settings.requeststyle, "bucket": settings.bucket,
            "fileprefix": settings.fileprefix}


def _encode(location: dict[str, str]) -> str:
    return json.dumps(location, sort_keys=True, separators=(",", ":"))


def initremote(annex: Any, session: Session) -> None:
    """INITREMOTE, for initremote and for every enableremote (idempotent)."""
    settings = session.settings(annex)
    _store_creds(annex, settings)
    already = annex.getconfig(INITIALIZED_FLAG) == "yes"
    moved = already and _location_changed(annex, settings)
    if settings.anonymous or not session.can_sign(annex):
        if moved:
            raise _refusal(annex, settings, moved, "and without credentials its annex-uuid "
                           "marker cannot be checked")
        if already or settings.anonymous or public_base(settings):
            annex.info(_without_credentials(settings))
            _finish(annex, location_of(settings))
            return
        raise CredentialsMissing(
            "no AWS credentials found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or set profile=) and run initremote again")
    location = location_of(settings)
    bucket = session.store(annex)
    if moved:
        _check_moved(annex, settings, bucket, moved)
    if annex.getconfig("importtree") == "yes":  # read-only: no bucket made, no marker written
        if not bucket.exists():
            raise BucketNotFound(f"bucket {settings.bucket} does not exist: an importtree=yes "
                                 "remote imports an existing bucket; fix bucket=")
        _finish(annex, location)
        return
    created = not bucket.exists()
    if created:
        bucket.create(settings.region_or_default)
        annex.info(f"created bucket {settings.bucket}")
    elif settings.region is None and settings.endpoint is None:
        region = bucket.region()  # recorded, so public URLs and clones use the right one
        if region:
            annex.setconfig("region", region)
            location["region"] = region
    try:
        if settings.versioning:
            bucket.enable_versioning()
        claim_prefix(annex, settings, bucket)
    except S3pyError as exc:
        if created:
            raise type(exc)(f"{exc}; {_remove_created(bucket, settings)}") from exc
        raise
    _finish(annex, location)


def _remove_created(bucket: Store, settings: Settings) -> str:
    """Remove the bucket this initremote created (it holds nothing of ours: a marker written
    was removed on failure); say what became of it."""
    try:
        bucket.remove()
    except StorageError as exc:
        return f"bucket {settings.bucket}, created by this initremote, is left ({exc})"
    return f"bucket {settings.bucket}, created by this initremote, was removed again"


def _without_credentials(settings: Settings) -> str:
    """What a remote enabled without credentials can do, truly said."""
    if settings.anonymous:
        return f"signature=anonymous: bucket {settings.bucket} is read-only"
    if public_base(settings):
        return (f"no AWS credentials: bucket {settings.bucket} is used read-only through its "
                "public URL")
    return (f"no AWS credentials and no public URL: bucket {settings.bucket} can be neither "
            "read nor written from this repository; export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or set profile=) to use it")


def _store_creds(annex: Any, settings: Settings) -> None:
    env_creds = credentials.from_environment()
    if not env_creds or settings.anonymous:
        return
    if embeds_creds(annex):
        annex.setcreds(credentials.CREDS_SETTING, env_creds.access_key, env_creds.secret_key)
    else:  # the local store, written directly: kept out of --debug logs
        credentials.write_cache(cache_file(annex), env_creds.access_key, env_creds.secret_key)


def _finish(annex: Any, location: dict[str, str]) -> None:
    annex.setconfig(LOCATION_CONFIG, _encode(location))
    annex.setconfig(INITIALIZED_FLAG, "yes")


def _location_changed(annex: Any, settings: Settings) -> dict[str, tuple[str, str]]:
    """setting -> (recorded, now) for each location setting enableremote changes; empty for
    an unchanged location or a remote set up before the location was recorded."""
    recorded_text = annex.getconfig(LOCATION_CONFIG)
    if not recorded_text:
        return {}
    try:
        recorded = json.loads(recorded_text)
    except ValueError as exc:
        raise ConfigError(f"{LOCATION_CONFIG} in the git-annex branch is not JSON: "
                          f"{recorded_text[:60]!r}") from exc
    now = location_of(settings)
    return {name: (recorded.get(name, ""), value) for name, value in now.items()
            if recorded.get(name, "") != value}


def _refusal(annex: Any, settings: Settings, moved: dict[str, tuple[str, str]],
             why: str) -> S3pyError:
    changes = ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in moved.items())
    name = _remote_name(annex)
    return ConfigError(
        f"enableremote {name}: {changes} changes where this remote's objects are, {why}; "
        f"to move the data, make a new remote (git annex initremote NEWNAME --sameas={name} "
        "... for the same objects reached another way, or a new remote filled with git annex "
        f"copy --to NEWNAME), and keep {name}'s settings as they are")


def _remote_name(annex: Any) -> str:
    name = annex.getconfig("name")
    return name or "NAME"


def _check_moved(annex: Any, settings: Settings, bucket: Store,
                 moved: dict[str, tuple[str, str]]) -> None:
    """Accept a changed location only where this remote's ``annex-uuid`` marker is."""
    marker = settings.fileprefix + naming.UUID_MARKER
    try:
        found = bucket.get_text(marker).strip()
    except (ObjectNotFound, BucketNotFound):
        found = ""
    if found != annex.getuuid():
        where = f"holds {found}" if found else "is missing"
        raise _refusal(annex, settings, moved,
                       f"and the annex-uuid marker there {where} (not this remote's UUID)")
    annex.info(f"the objects of this remote are at the new location (its annex-uuid marker "
               f"is in bucket {settings.bucket}): recording it")


def claim_prefix(annex: Any, settings: Settings, bucket: Store) -> None:
    """Write or check the ``annex-uuid`` marker, as the built-in S3 remote does."""
    marker = settings.fileprefix + naming.UUID_MARKER
    uuid = annex.getuuid()
    try:
        found = bucket.get_text(marker).strip()
    except ObjectNotFound:
        _write_marker(annex, settings, bucket, marker, uuid)
        return
    if not UUID_TEXT.match(found):
        raise NotAnS3Endpoint(f"{marker} holds no UUID: is endpoint= an S3 API URL?")
    if found != uuid:
        raise S3pyError(
            f"bucket {settings.bucket} prefix '{settings.fileprefix}' already belongs to "
            f"git-annex remote {found}; choose another fileprefix=, or use initremote --sameas "
            "to add another way to reach that remote")


def marker_args(settings: Settings) -> UploadArgs:
    """The upload arguments (storage class, encryption, metadata) the marker is written with,
    so that a server refusing them says so at initremote, not at every copy."""
    args: UploadArgs = dict(upload_args_of(settings))
    if str(args.get("StorageClass", "")).upper() in ARCHIVE_CLASSES:
        del args["StorageClass"]
    return args


def upload_settings(settings: Settings) -> str:
    """The settings behind the upload arguments, as the user wrote them."""
    given = [("storageclass", settings.storageclass), ("sse", settings.sse),
             ("ssekmskeyid", settings.ssekmskeyid),
             ("metadata", ",".join(f"{k}={v}" for k, v in (settings.metadata or {}).items()))]
    return " ".join(f"{name}={value}" for name, value in given if value)


def _write_marker(annex: Any, settings: Settings, bucket: Store, marker: str, uuid: str) -> None:
    """Write the marker (verified by the store); a server refusing the upload arguments is
    named by the settings behind them; an automatic checksum fallback is recorded."""
    args = marker_args(settings)
    try:
        bucket.put_text(marker, uuid, args)
    except IntegrityError as exc:
        raise NotAnS3Endpoint(f"wrote {marker} but read back other content ({exc}): is "
                              "endpoint= an S3 API URL?") from exc
    except StorageError as exc:
        if not args or type(exc) is not StorageError:
            raise  # access, region, endpoint... say so themselves
        try:
            bucket.put_text(marker, uuid)
        except StorageError:
            raise exc from None
        bucket.delete(marker)
        raise ConfigError(f"bucket {settings.bucket} refuses uploads with "
                          f"{upload_settings(settings)} ({exc}); set a value this server "
                          "supports (a storage class it offers...) or leave the setting unset"
                          ) from exc
    why = bucket.plain_uploads()
    if why:
        annex.setconfig("checksums", "when_required")
        annex.info(f"the server cannot take aws-chunked uploads ({why}): recorded "
                   "checksums=when_required, so uploads to this remote go as plain bodies")
