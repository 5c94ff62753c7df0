"""initremote / enableremote: credentials, the bucket, versioning, the ``annex-uuid`` marker,
and the recorded location that enableremote may not silently change."""

from __future__ import annotations

import json
import re
import subprocess

from git_annex_remote_s3py import credentials, naming
from git_annex_remote_s3py.annex.publicreads import PUBLIC_READ, check_public_reads
from git_annex_remote_s3py.annex.session import (
    AnnexSetup,
    Session,
    cache_file,
    embeds_creds,
    public_base,
)
from git_annex_remote_s3py.annexlog import parse_remote_log
from git_annex_remote_s3py.config import Settings, upload_args_of, upload_settings
from git_annex_remote_s3py.errors import (
    AccessDenied,
    AclNotSupported,
    AlreadyExists,
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
CLAIMS = "annex-uuid.claims/"  # under the fileprefix: one object per initremote claiming it


def location_of(settings: Settings) -> dict[str, str]:
    """What decides where the objects are: a change of any of these names other objects."""
    return {"endpoint": settings.endpoint or "aws", "region": settings.region_or_default,
            "requeststyle": settings.requeststyle, "bucket": settings.bucket,
            "fileprefix": settings.fileprefix}


def _encode(location: dict[str, str]) -> str:
    return json.dumps(location, sort_keys=True, separators=(",", ":"))


def initremote(annex: AnnexSetup, session: Session) -> None:
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
        if created and not isinstance(exc, PrefixTaken):  # another run may use the bucket
            raise type(exc)(f"{exc}; {_remove_created(bucket, settings)}") from exc
        raise
    check_public_reads(annex, session, settings, bucket)
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


def _store_creds(annex: AnnexSetup, settings: Settings) -> None:
    env_creds = credentials.from_environment()
    if not env_creds or not env_creds.access_key or not env_creds.secret_key:
        return
    if settings.anonymous:
        return
    if embeds_creds(annex):
        annex.setcreds(credentials.CREDS_SETTING, env_creds.access_key, env_creds.secret_key)
    else:  # the local store, written directly: kept out of --debug logs
        credentials.write_cache(cache_file(annex), env_creds.access_key, env_creds.secret_key)


def _finish(annex: AnnexSetup, location: dict[str, str]) -> None:
    annex.setconfig(LOCATION_CONFIG, _encode(location))
    annex.setconfig(INITIALIZED_FLAG, "yes")


def _location_changed(annex: AnnexSetup, settings: Settings) -> dict[str, tuple[str, str]]:
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


def _refusal(annex: AnnexSetup, settings: Settings, moved: dict[str, tuple[str, str]],
             why: str) -> S3pyError:
    changes = ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in moved.items())
    name = _remote_name(annex)
    return ConfigError(
        f"enableremote {name}: {changes} changes where this remote's objects are, {why}; "
        f"to move the data, make a new remote (git annex initremote NEWNAME --sameas={name} "
        "... for the same objects reached another way, or a new remote filled with git annex "
        f"copy --to NEWNAME), and keep {name}'s settings as they are")


def _remote_name(annex: AnnexSetup) -> str:
    name = annex.getconfig("name")
    return name or "NAME"


def _check_moved(annex: AnnexSetup, settings: Settings, bucket: Store,
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


class PrefixTaken(S3pyError):
    """Another remote owns the prefix, or claims it at this moment: nothing of its is touched
    (not its marker, not the bucket)."""


def claim_prefix(annex: AnnexSetup, settings: Settings, bucket: Store) -> None:
    """Write or check the ``annex-uuid`` marker, as the built-in S3 remote does; of any
    number of initremotes racing for one free prefix, one owns it (``claim_free_prefix``)."""
    marker = settings.fileprefix + naming.UUID_MARKER
    uuid = annex.getuuid()
    found = _read_marker(bucket, marker)
    if not found:
        refuse_inside_an_export(annex, settings, bucket)
        claim_free_prefix(annex, settings, bucket, marker, uuid)
    elif found != uuid and not private_guest_of(annex, settings, found):
        raise _owned_by(settings, found)


def private_guest_of(annex: AnnexSetup, settings: Settings, owner: str) -> bool:
    """Whether this remote may use a prefix that ``owner`` claimed: only from a private
    repository (``annex.private``), such as the scratch repository datalad-annex:: makes on
    every clone, fetch and push. Nothing about a private repository leaves it, so its remote
    counts no copy that another repository counts; it claims nothing, reads everything and
    writes only datalad-annex's repository deposit (``S3Remote._writable_for``). An
    ordinary repository is refused, as before."""
    gitdir = annex.getgitdir()
    private = subprocess.run(["git", "--git-dir", gitdir, "config", "--type=bool", "--get",
                              "annex.private"], capture_output=True, text=True).stdout.strip()
    if private != "true":
        return False
    annex.setconfig(naming.GUEST_OF_CONFIG, owner)
    annex.info(f"bucket {settings.bucket} prefix '{settings.fileprefix}' belongs to git-annex "
               f"remote {owner}: this private repository reads it and writes only "
               "datalad-annex's repository deposit there")
    return True


def enclosing_prefixes(prefix: str) -> list[str]:
    """The folders ``prefix`` lies in, nearest first, down to the bucket root ("")."""
    cuts = [index + 1 for index, char in enumerate(prefix[:-1]) if char == "/"]
    return [prefix[:cut] for cut in reversed(cuts)] + ([""] if prefix else [])


def special_remotes(annex: AnnexSetup) -> dict[str, dict[str, str]]:
    """uuid -> config of every special remote this repository's git-annex branch knows."""
    shown = subprocess.run(["git", "--git-dir", annex.getgitdir(), "show",
                            "git-annex:remote.log"], capture_output=True, text=True)
    return parse_remote_log(shown.stdout) if shown.returncode == 0 else {}


def refuse_inside_an_export(annex: AnnexSetup, settings: Settings, bucket: Store) -> None:
    """One prefix has one owner: refuse a prefix inside the prefix of an exporttree remote
    (its files' names would mix with this remote's objects), saying what is there. The
    nearest enclosing ``annex-uuid`` marker decides: a key remote's (keys are no folders: no
    clash), an exporttree remote's (refused), or one this repository does not know (refused
    where objects are already under the prefix; an empty prefix is a subdataset's of
    s3py-publish, whose superdataset's export leaves that folder to it)."""
    prefix = settings.fileprefix
    for outer in enclosing_prefixes(prefix):
        owner = _read_marker(bucket, outer + naming.UUID_MARKER)
        if not owner:
            continue
        config = special_remotes(annex).get(owner)
        sample = unowned_object(bucket, prefix)
        inside = prefix[len(outer):]
        where = (f"bucket {settings.bucket} prefix '{prefix}' is inside prefix '{outer}'")
        fix = f"choose a fileprefix= outside '{outer}'"
        if config and config.get("exporttree") == "yes":
            remote = f"git-annex remote {config.get('name', owner)} ({owner})"
            there = (f"its files under {inside} are there (e.g. '{sample}')" if sample else
                     f"a file it exports under {inside} would land among this remote's "
                     "objects")
            raise PrefixTaken(f"{where}, where {remote} exports its tree: {there}; {fix}")
        if config is None and sample:
            raise PrefixTaken(f"{where} of git-annex remote {owner}, and already holds "
                              f"objects (e.g. '{sample}'); {fix}")
        break
    if settings.exporttree:
        refuse_export_around(annex, settings)


def unowned_object(bucket: Store, prefix: str) -> str | None:
    """The first object under ``prefix`` that is not in a deeper folder with an ``annex-uuid``
    marker of its own (None: there is none). Such a folder belongs to another remote, which
    made this check itself when it claimed it: s3py-publish may create a subdataset's
    subdataset (``sub/ses/``) before the subdataset (``sub/``) when it runs datasets in
    parallel or in ``--shard`` parts. A claim object (``FOLDER/annex-uuid.claims/UUID``) is a
    racer's initremote of that folder, under way: no object of nobody's. Listed names come in
    order, so a claimed folder's names come together; each folder's marker is read once."""
    claimed: dict[str, bool] = {}
    for name, _, _ in bucket.list(prefix):
        if name.rpartition("/")[0].endswith("/" + CLAIMS.rstrip("/")) or name.startswith(
                prefix + CLAIMS):
            continue
        folders = name[len(prefix):].split("/")[:-1]
        inner = [prefix + "/".join(folders[:depth]) + "/" for depth in range(1, len(folders) + 1)]
        for folder in inner:
            if folder not in claimed:
                claimed[folder] = bool(_read_marker(bucket, folder + naming.UUID_MARKER))
            if claimed[folder]:
                break
        else:
            return name
    return None


def refuse_export_around(annex: AnnexSetup, settings: Settings) -> None:
    """An exporttree remote's tree owns every folder under its prefix: refuse one whose
    prefix encloses another remote's (known to this repository), naming it."""
    prefix = settings.fileprefix
    for uuid, config in special_remotes(annex).items():
        inner = config.get("fileprefix", "")
        if (config.get("externaltype") == "s3py" and config.get("bucket") == settings.bucket
                and (config.get("endpoint") or None) == settings.endpoint
                and inner.startswith(prefix) and inner != prefix):
            raise PrefixTaken(
                f"bucket {settings.bucket} prefix '{prefix}' encloses prefix '{inner}' of "
                f"git-annex remote {config.get('name', uuid)} ({uuid}): files this remote "
                f"exports under {inner[len(prefix):]} would land among its objects; choose a "
                "fileprefix= that does not enclose it")


def claim_free_prefix(annex: AnnexSetup, settings: Settings, bucket: Store, marker: str,
                      uuid: str) -> None:
    """Make this remote the one owner of a prefix that had no marker, whatever the timing.

    A claim object of this remote's own (``annex-uuid.claims/UUID``) is written, and written
    once more only if absent (``If-None-Match: *``): a 412 says the server honours that
    condition, and then the marker itself is written only if absent, so exactly one racer
    writes it (the others read the winner's UUID). A server that ignores the condition
    (s3rver) gets the claims protocol instead: list the claims; any other claim, or a marker
    found meanwhile, refuses this run (racers that see each other are all refused; with
    read-after-write listings no two can both miss each other). A loser deletes only its own
    claim, never a marker or a bucket another run may use."""
    claim = settings.fileprefix + CLAIMS + uuid
    try:
        bucket.put_text(claim, uuid)
    except IntegrityError as exc:
        raise NotAnS3Endpoint(f"wrote {claim} but read back other content ({exc}): is "
                              "endpoint= an S3 API URL?") from exc
    try:
        conditional = _honours_if_none_match(bucket, claim, uuid)
        if not conditional:
            _refuse_other_claims(settings, bucket, claim, marker, uuid)
        _write_marker(annex, settings, bucket, marker, uuid)
    finally:
        _drop_claim(bucket, claim)


def _honours_if_none_match(bucket: Store, claim: str, uuid: str) -> bool:
    """Whether the server refuses a PUT with ``If-None-Match: *`` of a name it holds (the
    claim just written): AWS (since 2024), moto, Ceph RGW 16 do; s3rver does not."""
    try:
        bucket.put_text(claim, uuid, if_absent=True)
    except AlreadyExists:
        return True
    return False


def _refuse_other_claims(settings: Settings, bucket: Store, claim: str, marker: str,
                         uuid: str) -> None:
    """Without conditional writes: refuse if another run claims the prefix or owns it now."""
    others = sorted(name.rsplit("/", 1)[-1] for name, _, _ in
                    bucket.list(settings.fileprefix + CLAIMS) if name != claim)
    found = _read_marker(bucket, marker)
    if found and found != uuid:
        raise _owned_by(settings, found)
    if others:
        raise PrefixTaken(
            f"bucket {settings.bucket} prefix '{settings.fileprefix}' is being claimed by "
            f"another initremote at this moment (git-annex remote {', '.join(others)}); run "
            "initremote again once it has finished, or choose another fileprefix= (a claim "
            f"left by an interrupted initremote is the object {settings.fileprefix}{CLAIMS}"
            f"{others[0]}: delete it)")


def _drop_claim(bucket: Store, claim: str) -> None:
    """Delete this run's own claim; one left behind (the server refused) only costs a later
    initremote on a server without conditional writes a clear refusal."""
    try:
        bucket.delete(claim)
    except StorageError:
        pass


def _read_marker(bucket: Store, marker: str) -> str:
    """The UUID in the marker ("" where there is none); ``NotAnS3Endpoint`` for other text."""
    try:
        found = bucket.get_text(marker).strip()
    except ObjectNotFound:
        return ""
    if not UUID_TEXT.match(found):
        raise NotAnS3Endpoint(f"{marker} holds no UUID: is endpoint= an S3 API URL?")
    return found


def _owned_by(settings: Settings, owner: str) -> PrefixTaken:
    return PrefixTaken(
        f"bucket {settings.bucket} prefix '{settings.fileprefix}' already belongs to "
        f"git-annex remote {owner}; choose another fileprefix=, or use initremote --sameas "
        "to add another way to reach that remote")


def _put_marker(settings: Settings, bucket: Store, marker: str, uuid: str,
                args: UploadArgs) -> None:
    if not settings.public or "ACL" in args:
        bucket.put_text(marker, uuid, args, if_absent=True)
        return
    try:
        bucket.put_text(marker, uuid, {**args, **PUBLIC_READ}, if_absent=True)
    except (AclNotSupported, AccessDenied):  # ACLs disabled: a bucket policy is the way
        bucket.put_text(marker, uuid, args, if_absent=True)


def marker_args(settings: Settings) -> UploadArgs:
    """The upload arguments (storage class, encryption, metadata) the marker is written with,
    so that a server refusing them says so at initremote, not at every copy."""
    args: UploadArgs = dict(upload_args_of(settings))
    if str(args.get("StorageClass", "")).upper() in ARCHIVE_CLASSES:
        del args["StorageClass"]
    return args


def _write_marker(annex: AnnexSetup, settings: Settings, bucket: Store, marker: str,
                  uuid: str) -> None:
    """Write the marker only where there is none (verified by the store): another writer's
    marker refuses this run (``PrefixTaken``, naming it); a server refusing the upload
    arguments is named by the settings behind them; an automatic checksum fallback is
    recorded. With public=yes it is public-read (where the bucket takes ACLs), as the objects
    will be."""
    args = marker_args(settings)
    try:
        _put_marker(settings, bucket, marker, uuid, args)
    except AlreadyExists:
        owner = _read_marker(bucket, marker)
        if owner == uuid:
            return  # this remote's own, from an earlier run
        raise _owned_by(settings, owner or "(unknown)") from None
    except IntegrityError as exc:
        raise NotAnS3Endpoint(f"wrote {marker} but read back other content ({exc}): is "
                              "endpoint= an S3 API URL?") from exc
    except StorageError as exc:
        if not args or type(exc) is not StorageError:
            raise  # access, region, endpoint... say so themselves
        try:
            bucket.put_text(marker, uuid, if_absent=True)
        except StorageError:
            raise exc from None
        bucket.delete(marker)  # this run's own: the claim keeps others from the prefix
        raise ConfigError(f"bucket {settings.bucket} refuses uploads with "
                          f"{upload_settings(settings, args)} ({exc}); set a value this server "
                          "supports (a storage class it offers...) or leave the setting unset"
                          ) from exc
    why = bucket.plain_uploads()
    if why:
        annex.setconfig("checksums", "when_required")
        annex.info(f"the server cannot take aws-chunked uploads ({why}): recorded "
                   "checksums=when_required, so uploads to this remote go as plain bodies")
