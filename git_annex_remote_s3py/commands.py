"""Subcommands for people: presigned URLs, a public-read bucket policy, multipart cleanup.

They read the remote's settings from the git-annex branch (``remote.log``) of the repository
they run in, and credentials from git-annex's store or the AWS chain, as the remote does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from argparse import Namespace
from datetime import datetime, timedelta, timezone
from typing import Sequence

from git_annex_remote_s3py import naming, urls
from git_annex_remote_s3py.annex.session import BranchAnnex, Session
from git_annex_remote_s3py.annexlog import parse_remote_log, present_values
from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.errors import ConfigError, ObjectNotFound, S3pyError
from git_annex_remote_s3py.store.base import Store, Upload

AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
AGE_TEXT = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def remote_configs() -> dict[str, dict[str, str]]:
    """name -> config of every s3py special remote recorded in the git-annex branch."""
    try:
        log = _git("show", "git-annex:remote.log")
    except subprocess.CalledProcessError as exc:
        raise S3pyError("no git-annex branch here: run this inside a git-annex repository") from exc
    return {config["name"]: {**config, "uuid": uuid}
            for uuid, config in parse_remote_log(log).items()
            if config.get("externaltype") == "s3py" and "name" in config}


def pick_remote(name: str | None) -> dict[str, str]:
    configs = remote_configs()
    if name:
        if name not in configs:
            raise S3pyError(f"no s3py remote named {name!r}; known: {', '.join(configs) or 'none'}")
        return configs[name]
    if len(configs) != 1:
        raise S3pyError(f"{len(configs)} s3py remotes here ({', '.join(configs) or 'none'}); "
                        "name one with --remote")
    return next(iter(configs.values()))


def remote_session(config: dict[str, str]) -> tuple[Session, BranchAnnex]:
    """The remote's session as the remote process builds it: its settings, its credentials
    (environment, git-annex's local store, creds embedded in the branch, the AWS chain)."""
    git_dir = os.path.abspath(_git("rev-parse", "--git-dir").strip())
    return Session(), BranchAnnex(config, git_dir)


def remote_settings(config: dict[str, str]) -> Settings:
    """The validated settings of a remote as ``remote.log`` records them."""
    session, annex = remote_session(config)
    return session.settings(annex)


def open_bucket(config: dict[str, str], doing: str = "sign requests to") -> tuple[Settings, Store]:
    """(settings, the signed S3 store) of the remote; CredentialsMissing without creds."""
    session, annex = remote_session(config)
    return session.settings(annex), session.writable(annex, doing)


MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 presigned URLs live at most 7 days


def check_expires(seconds: int) -> None:
    """Refuse a lifetime S3 would refuse (or one that has already run out)."""
    if not 0 < seconds <= MAX_PRESIGN_SECONDS:
        raise S3pyError(f"--expires {seconds}: S3 accepts 1..{MAX_PRESIGN_SECONDS} seconds "
                        f"(7 days); give e.g. --expires 3600")


def presign(options: Namespace) -> int:
    check_expires(options.expires)
    config = pick_remote(options.remote)
    settings, bucket = open_bucket(config, "presign URLs of")
    top = _git("rev-parse", "--show-toplevel").strip()
    for path in options.paths:
        if settings.exporttree:
            relative = os.path.relpath(os.path.abspath(path), top)
            name = naming.export_object_name(settings.fileprefix, relative)
        else:
            key = subprocess.run(["git", "annex", "lookupkey", path], capture_output=True,
                                 text=True).stdout.strip()
            if not key:
                raise S3pyError(f"{path} is not an annexed file")
            name = naming.key_object_name(settings.fileprefix, key)
        print(bucket.presign(name, options.expires))
    return 0


def policy(options: Namespace) -> int:
    """Print the public-read policy for ``--bucket``/``--prefix``, or for a remote's settings."""
    bucket, prefix, versioning = options.bucket, options.prefix, options.versioning
    if not bucket:
        settings = remote_settings(pick_remote(options.remote))
        bucket = settings.bucket
        prefix = settings.fileprefix if prefix is None else prefix
        versioning = versioning or settings.versioning
    print(json.dumps(urls.public_read_policy(bucket, prefix or "", versioning), indent=2))
    print(f"# apply with: aws s3api put-bucket-policy --bucket {bucket} "
          "--policy file://policy.json", file=sys.stderr)
    return 0


def parse_age(text: str) -> timedelta:
    """``90m``, ``24h``, ``2d``, ``3600s`` as a duration."""
    found = AGE_TEXT.match(text.lower())
    if not found:
        raise ConfigError(f"--older-than {text!r}: give a number with a unit s, m, h or d "
                          "(for example 24h, 90m, 2d, 3600s)")
    return timedelta(seconds=int(found.group(1)) * AGE_UNITS[found.group(2)])


def split_by_age(uploads: Sequence[Upload], older_than: timedelta,
                 now: datetime) -> tuple[list[Upload], list[Upload]]:
    """(begun at least ``older_than`` before ``now``, younger ones)."""
    old = [upload for upload in uploads if now - upload.initiated >= older_than]
    return old, [upload for upload in uploads if upload not in old]


def cleanup_uploads(options: Namespace) -> int:
    """List (``--yes``: abort) multipart uploads under the remote's fileprefix begun at least
    ``--older-than`` ago; younger ones may belong to a transfer still running."""
    older_than = parse_age(options.older_than)
    config = pick_remote(options.remote)
    settings, bucket = open_bucket(config, "list or abort the uploads of")
    found = bucket.list_uploads(settings.fileprefix)
    old, young = split_by_age(found, older_than, datetime.now(timezone.utc))
    for upload in old:
        if options.yes:
            bucket.abort_upload(upload)
        print(f"{'aborted' if options.yes else 'abandoned'} {upload.name} {upload.upload_id} "
              f"(begun {upload.initiated.isoformat()})")
    if not old:
        print(f"no abandoned multipart uploads under '{settings.fileprefix}' older than "
              f"{options.older_than}")
    if young:
        print(f"left alone {len(young)} younger than {options.older_than} (may still be "
              "running; see --older-than)")
    return 0


WEB_UUID = "00000000-0000-0000-0000-000000000001"  # git-annex's web remote


def change_urls(found: list[tuple[str, str]], command: str, dry_run: bool,
                said: tuple[str, str], none: str) -> int:
    """Run ``git annex COMMAND --batch`` (registerurl, unregisterurl) on (key, URL) pairs
    unless ``dry_run``, and print one line each (``said``: dry run, done), or ``none``."""
    if found and not dry_run:
        batch = "".join(f"{key} {url}\n" for key, url in found)
        done = subprocess.run(["git", "annex", command, "--batch"], input=batch,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise S3pyError(f"git annex {command} failed: {done.stderr.strip()[:200]}")
    for key, url in found:
        print(f"{said[0] if dry_run else said[1]} {key} {url}")
    if not found:
        print(none)
    return 0


def held_by(whereis: dict, uuid: str) -> bool:
    """Whether ``git annex whereis --json``'s answer counts a copy on the remote ``uuid``."""
    return any(entry.get("uuid") == uuid
               for entry in whereis.get("whereis", []) + whereis.get("untrusted", []))


def forget_public_urls(options: Namespace) -> int:
    """Remove the web-remote URL records that earlier s3py versions made under this remote's
    public base URL (they made one S3 object count as two copies: s3py's and web's). The
    versioned URL of a key the remote does not hold is kept: it names an overwritten version,
    which only the web remote counts (docs/export.md)."""
    config = pick_remote(options.remote)
    settings = remote_settings(config)
    if not (settings.public or settings.publicurl):
        raise S3pyError(f"remote {config['name']!r} has no public URL (public=, publicurl=): "
                        "it recorded none")
    base = urls.public_base_url(settings) + "/"
    answers = subprocess.run(["git", "annex", "whereis", "--all", "--json"], capture_output=True,
                             text=True).stdout.splitlines()
    found = [(answer["key"], url) for answer in map(json.loads, answers)
             for entry in answer.get("whereis", []) + answer.get("untrusted", [])
             if entry.get("uuid") == WEB_UUID
             for url in entry.get("urls", []) if url.startswith(base)
             and (held_by(answer, config["uuid"]) or "?versionId=" not in url)]
    return change_urls(found, "unregisterurl", options.dry_run, ("would forget", "forgot"),
                       f"no web URL records under {base}")


def branch_logs(*suffixes: str) -> dict[str, str]:
    """Path -> text of every file of the git-annex branch whose name ends in ``suffixes``."""
    listing = _git("ls-tree", "-r", "git-annex").splitlines()
    wanted = [(line.split()[2], line.split("\t", 1)[1]) for line in listing
              if line.split("\t", 1)[1].endswith(suffixes)]
    if not wanted:
        return {}
    answer = subprocess.run(["git", "cat-file", "--batch"], check=True, capture_output=True,
                            input="".join(f"{blob}\n" for blob, _ in wanted).encode()).stdout
    texts, at = {}, 0
    for _, path in wanted:  # each answer: "<sha> blob <size>\n", the content, "\n"
        header_end = answer.index(b"\n", at)
        size = int(answer[at:header_end].split()[2])
        texts[path] = answer[header_end + 1:header_end + 1 + size].decode(errors="replace")
        at = header_end + 1 + size + 1
    return texts


def record_old_versions(options: Namespace) -> int:
    """Record, for git-annex's web remote, the public URL of each old version of a public
    versioned export that git-annex no longer counts on the remote and that has no public URL
    yet (overwritten or unexported by an s3py that did not record it): only where a HEAD of that
    exact version finds it, so each URL counts one object that is there."""
    config = pick_remote(options.remote)
    settings, bucket = open_bucket(config, "check the versions of")
    if not (settings.exporttree and settings.versioning and settings.public):
        raise S3pyError(f"remote {config['name']!r} is no public versioned export "
                        "(exporttree=yes bucketversioning=yes public=yes): nothing to record")
    base = urls.public_base_url(settings)
    mine = urls.version_uri_prefix(config["uuid"], settings.bucket)
    logs = branch_logs(".log", ".log.web")
    found = []
    for path, text in logs.items():
        if not path.endswith(".log.web"):
            continue
        key = path.rsplit("/", 1)[-1][:-len(".log.web")]
        # git-annex writes a URL no web download fetches (s3py://) with a leading ":"
        recorded = {url.removeprefix(":") for url in present_values(text)}
        versions = [urls.parse_version_uri(uri) for uri in sorted(recorded)
                    if uri.startswith(mine)]
        if (not versions or any(url.startswith(base + "/") for url in recorded)
                or config["uuid"] in present_values(logs.get(path[:-len(".web")], ""))):
            continue
        for _, _, name, version_id in filter(None, versions):
            try:
                bucket.head(name, version_id)
            except ObjectNotFound:
                print(f"gone {key} {name} (version {version_id})")
                continue
            found.append((key, urls.object_url(base, name, version_id)))
            break
    return change_urls(found, "registerurl", options.dry_run, ("would record", "recorded"),
                       "no old version without a public URL")


def run(options: Namespace) -> int:
    commands = {"presign": presign, "policy": policy, "cleanup-uploads": cleanup_uploads,
                "forget-public-urls": forget_public_urls,
                "record-old-versions": record_old_versions}
    try:
        return commands[options.command](options)
    except S3pyError as exc:
        print(f"git-annex-remote-s3py: {exc}", file=sys.stderr)
        return 1
