"""What one process shares: settings, credentials, the ACL state and the one store.

Every job of a process (``-J N`` with ASYNC) asks through its own channel, so each method
takes ``annex``: anything answering ``getconfig``/``getuuid``/``getgitdir``/``getcreds``
(the protocol channel, or ``BranchAnnex`` for the helper subcommands).
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Callable, Protocol

from git_annex_remote_s3py import LOGGER_NAME, credentials, naming, urls
from git_annex_remote_s3py.annex.debugging import DEBUG_SETTINGS, git_annex_hides_debug
from git_annex_remote_s3py.config import (
    LOCAL_SETTING_ROWS,
    LocalSettings,
    Settings,
    load_local_settings,
    load_settings,
)
from git_annex_remote_s3py.errors import CredentialsMissing, StorageError
from git_annex_remote_s3py.store.base import OtherBuckets, Store


class AnnexQueries(Protocol):
    """The questions the session asks git-annex (annexremote's ``Master`` API)."""

    def getconfig(self, name: str) -> str: ...
    def getuuid(self) -> str: ...
    def getgitdir(self) -> str: ...
    def getcreds(self, setting: str) -> dict[str, str]: ...
    def getgitremotename(self) -> str: ...


class AnnexSetup(AnnexQueries, Protocol):
    """What INITREMOTE also tells git-annex: config it records, creds it stores, messages."""

    def setconfig(self, name: str, value: str) -> None: ...
    def setcreds(self, setting: str, user: str, password: str) -> None: ...
    def info(self, message: str) -> None: ...


def local_git_config(annex: AnnexQueries, initializing: bool = False) -> dict[str, str]:
    """This clone's ``remote.NAME.s3py-*`` git config (name without the prefix -> value)."""
    return read_git_config(annex, initializing).remote


@dataclass(frozen=True)
class GitConfig:
    """What the one ``git config --list`` of a process says: this remote's local settings
    (``local_git_config``) and git-annex's own debug settings (``DEBUG_SETTINGS``, lower-case
    names; None where the config was not read)."""

    remote: dict[str, str]
    annex_debug: dict[str, str] | None


def read_git_config(annex: AnnexQueries, initializing: bool = False) -> GitConfig:
    """The repository's git config as ``GitConfig`` (one ``git config --list``).

    NAME is GETGITREMOTENAME's answer; during INITREMOTE (initremote, enableremote) git-annex
    does not know it yet (it answers ERROR and closes the connection), so there it is the
    remote's ``name=``, which git-annex gives the git remote it creates. Nothing is read where
    git-annex announced no GETGITREMOTENAME."""
    if initializing:
        name = annex.getconfig("name")
    else:
        try:
            name = annex.getgitremotename()
        except Exception as exc:  # annexremote.ProtocolError: git-annex did not announce it
            if type(exc).__name__ != "ProtocolError":
                raise
            return GitConfig({}, None)
    if not name:
        return GitConfig({}, None)
    listed = subprocess.run(["git", "--git-dir", annex.getgitdir(), "config", "-z", "--list"],
                            capture_output=True, check=False)
    prefix = f"remote.{name}.".lower()
    wanted = {row.git_name for row in LOCAL_SETTING_ROWS}
    found: dict[str, str] = {}
    debug: dict[str, str] = {}
    for entry in listed.stdout.decode("utf-8", "replace").split("\0"):
        key, _, value = entry.partition("\n")
        if key.lower().startswith(prefix) and key[len(prefix):].lower() in wanted:
            found[key[len(prefix):].lower()] = value
        elif key.lower() in DEBUG_SETTINGS:
            debug[key.lower()] = value
    return GitConfig(found, debug if listed.returncode == 0 else None)


def embeds_creds(annex: AnnexQueries) -> bool:
    """Whether git-annex keeps the creds in the branch (embedcreds=yes, or gpg encryption)."""
    embed = annex.getconfig("embedcreds").lower()
    return embed == "yes" or (embed != "no" and bool(annex.getconfig("cipherkeys")))


def cache_file(annex: AnnexQueries) -> str:
    return credentials.cache_file(annex.getgitdir(), annex.getuuid())


def stored_creds(annex: AnnexQueries) -> tuple[str, str] | None:
    """git-annex's local creds file read directly (no secret crosses the protocol, which
    ``--debug`` logs), else GETCREDS for creds embedded in the branch."""
    cached = credentials.read_cache(cache_file(annex))
    if cached or not embeds_creds(annex):
        return cached
    found = annex.getcreds(credentials.CREDS_SETTING)  # annexremote: a dict
    user, password = found.get("user"), found.get("password")
    return (user, password) if user and password else None


def public_base(settings: Settings) -> str | None:
    """The public base URL of the remote's objects, when it has one."""
    if settings.public or settings.publicurl:
        return urls.public_base_url(settings)
    return None


@dataclass
class Session:
    """What every job of one process shares; the store is chosen once, on first use."""

    loaded_settings: Settings | None = None
    guest_owner: str | None = None  # s3py-guest-of, once asked (``guest_of``)
    resolved_creds: credentials.Credentials | None = None
    chosen_store: Store | None = None
    has_credentials: bool | None = None
    acl_refused: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    loaded_local: LocalSettings | None = None
    initializing: bool = False  # serving INITREMOTE: GETGITREMOTENAME is not answered yet
    make_bucket: Callable[[Settings, credentials.Credentials, LocalSettings], Store] | None = None
    make_public_store: Callable[[str, str], Store] | None = None
    url_fetch_blockers: dict[str, str] = field(default_factory=dict)  # host -> why ("" = none)
    presign_blocker: str | None = None  # why no presigned URL goes to git-annex ("" = none)

    def guest_of(self, annex: AnnexQueries) -> str:
        """The remote config ``s3py-guest-of``: the remote that owns this remote's prefix
        (a private repository's remote, ``setup.private_guest_of``), "" for its own prefix.
        Asked once per process, as the settings are (git-annex answers GETCONFIG from the
        config it read at its start); during INITREMOTE, which may set it, every time."""
        with self.lock:
            if self.initializing:
                return annex.getconfig(naming.GUEST_OF_CONFIG)
            if self.guest_owner is None:
                self.guest_owner = annex.getconfig(naming.GUEST_OF_CONFIG)
            return self.guest_owner

    def settings(self, annex: AnnexQueries) -> Settings:
        with self.lock:
            if self.loaded_settings is None:
                self.loaded_settings = load_settings(annex.getconfig)
            return self.loaded_settings

    def local(self, annex: AnnexQueries) -> LocalSettings:
        """This clone's own settings (``config.LOCAL_SETTING_ROWS``), read once. The same
        ``git config`` says whether git-annex shows its remotes' DEBUG lines: where it
        surely does not (``git_annex_hides_debug``), the package's per-request DEBUG records
        are no longer made or sent (each costs the remote ~90 k instructions, and git-annex
        a protocol line to read and drop)."""
        with self.lock:
            if self.loaded_local is None:
                found = read_git_config(annex, self.initializing)
                self.loaded_local = load_local_settings(found.remote, os.environ)
                if found.annex_debug is not None and git_annex_hides_debug(found.annex_debug):
                    logging.getLogger(LOGGER_NAME).setLevel(logging.INFO)
            return self.loaded_local

    def creds(self, annex: AnnexQueries) -> credentials.Credentials:
        """The credentials CSV if this clone names one, else ``credentials.resolve``."""
        with self.lock:
            if self.resolved_creds is None:
                csv_path = self.local(annex).credentials_csv
                self.resolved_creds = (credentials.from_csv(csv_path) if csv_path else
                                       credentials.resolve(lambda: stored_creds(annex)))
            return self.resolved_creds

    def can_sign(self, annex: AnnexQueries) -> bool:
        """Whether any credentials exist; the boto3 chain is asked only when needed."""
        settings = self.settings(annex)
        if settings.anonymous:
            return False
        with self.lock:
            if self.has_credentials is None:
                if self.creds(annex).explicit:
                    self.has_credentials = True
                else:
                    from git_annex_remote_s3py.store import open as opening  # start-up time

                    self.has_credentials = opening.has_chain_credentials(settings)
            return self.has_credentials

    def anonymous_base(self, annex: AnnexQueries) -> str | None:
        """The public base URL when reads go through anonymous HTTP: no credentials at all,
        a public URL known, and not ``signature=anonymous`` (which reads through boto3)."""
        settings = self.settings(annex)
        base = public_base(settings)
        if base and not settings.anonymous and not self.can_sign(annex):
            return base
        return None

    def store(self, annex: AnnexQueries) -> Store:
        """The one store of this process: the S3 bucket, or the anonymous ``PublicStore``."""
        with self.lock:
            if self.chosen_store is None:
                from git_annex_remote_s3py.store import open as opening  # start-up time

                settings = self.settings(annex)
                base = self.anonymous_base(annex)
                chosen: Store
                if base:
                    chosen = (self.make_public_store or opening.open_public)(base,
                                                                            settings.bucket)
                else:
                    chosen = (self.make_bucket or opening.open_bucket)(
                        settings, self.creds(annex), self.local(annex))
                self.chosen_store = chosen
                return chosen
            return self.chosen_store

    def other_buckets(self, annex: AnnexQueries) -> OtherBuckets:
        """Any bucket this remote's endpoint and credentials reach (s3:// URLs), through the
        store's own client; ``StorageError`` where reads go through public URLs."""
        from git_annex_remote_s3py.store import open as opening  # start-up time

        if self.anonymous_base(annex):
            raise StorageError(f"reading bucket listings needs AWS credentials or "
                               f"signature=anonymous; remote of bucket "
                               f"{self.settings(annex).bucket} has neither")
        return opening.open_other_buckets(self.store(annex))

    def writable(self, annex: AnnexQueries, doing: str = "write to") -> Store:
        """The store, after checking that there are credentials to sign requests with."""
        if not self.can_sign(annex):
            raise CredentialsMissing(
                f"no AWS credentials to {doing} bucket {self.settings(annex).bucket}: set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or profile=) and retry")
        return self.store(annex)

    def refuse_acl(self) -> bool:
        """Note that the bucket refuses public ACLs; True the first time."""
        with self.lock:
            first, self.acl_refused = not self.acl_refused, True
            return first


def embedded_creds(value: str) -> dict[str, str]:
    """Creds git-annex embedded in ``remote.log`` without encryption (``embedcreds=yes``,
    ``encryption=none``): the field holds base64 of ``user\\npassword\\n``."""
    try:
        lines = base64.b64decode(value, validate=True).decode("utf-8").splitlines()
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"user": lines[0], "password": lines[1]} if len(lines) >= 2 else {}


@dataclass(frozen=True)
class BranchAnnex:
    """git-annex's answers about one remote read from the git-annex branch, for the helper
    subcommands (which run without git-annex): its ``remote.log`` config and the git dir."""

    config: dict[str, str]
    git_dir: str

    def getconfig(self, name: str) -> str:
        return self.config.get(name, "")

    def getuuid(self) -> str:
        return self.config["uuid"]

    def getgitdir(self) -> str:
        return self.git_dir

    def getgitremotename(self) -> str:
        return self.config.get("name", "")

    def getcreds(self, setting: str) -> dict[str, str]:
        if self.config.get("cipherkeys"):  # gpg-encrypted in the branch: only git-annex reads
            return {}
        return embedded_creds(self.config.get(setting, ""))
