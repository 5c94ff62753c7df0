"""Builds the boto3 S3 client: endpoint, region, addressing, retries, timeouts, signing."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.errors import CredentialsMissing
from git_annex_remote_s3py.store.boto import follow_only_named_regions, log_requests
from git_annex_remote_s3py.store.lean.eligibility import (  # noqa: F401 (callers import here)
    NO_LEAN_ENV,
    aws_session,
    build_lean,
)

RETRY_ATTEMPTS = 5
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# Tests and operators may lower (or raise) the read timeout, in seconds, without a setting.
READ_TIMEOUT_ENV = "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT"
MAX_POOL = 16


def build_client(settings: Settings, creds: Credentials, *, anonymous: bool = False,
                 region: str | None = None, checksums: str | None = None) -> Any:
    """A thread-safe S3 client. ``anonymous`` builds an unsigned one for public reads;
    ``checksums`` overrides ``settings.checksums`` for the request side only."""
    import boto3  # lazy: ~400 ms, paid only when S3 is really needed
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        region_name=region or settings.region_or_default,
        signature_version=UNSIGNED if anonymous or settings.anonymous else "s3v4",
        s3=s3_config(settings, checksums),
        retries={"mode": "standard", "total_max_attempts": RETRY_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout(),
        max_pool_connections=MAX_POOL,
        request_checksum_calculation=checksums or settings.checksums,
        response_checksum_validation=settings.checksums,
        user_agent_extra="git-annex-remote-s3py",
    )
    if creds.explicit:
        session = boto3.session.Session(
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.session_token,
        )
    else:
        session = boto3.session.Session(profile_name=settings.profile)
    client = session.client("s3", endpoint_url=settings.endpoint, config=config)
    log_requests(client)
    follow_only_named_regions(client)
    return client


def sends_chunked_uploads(settings: Settings) -> bool:
    """Whether botocore sends this remote's uploads as aws-chunked bodies with a trailing
    checksum: ``checksums=when_supported`` over https (AWS included). Some servers refuse
    those (Ceph RGW 16: 411 MissingContentLength) or store the framing as data (s3rver)."""
    return settings.checksums == "when_supported" and (
        settings.endpoint is None or settings.endpoint.lower().startswith("https:"))


def plain_upload_client(settings: Settings, creds: Credentials) -> Any:
    """A client sending plain upload bodies (``checksums=when_required``), built on first
    use, for ``Bucket`` to fall back to where the server refuses or mangles aws-chunked
    ones; None where uploads are plain already."""
    if not sends_chunked_uploads(settings):
        return None
    return LazyClient(lambda: build_client(settings, creds, checksums="when_required"))


def s3_config(settings: Settings, checksums: str | None = None) -> dict[str, Any]:
    """botocore's ``s3`` options. With ``checksums=when_supported`` every upload and part
    carries a signed CRC32 header the server checks, so the payload goes unsigned also on
    http endpoints (as on https, and as git-annex's built-in S3 remote sends it): no SHA-256
    pass, ~0.2 s per 64 MiB. Without those checksums botocore signs the payload as before."""
    config: dict[str, Any] = {"addressing_style": settings.requeststyle}
    if (checksums or settings.checksums) == "when_supported":
        config["payload_signing_enabled"] = False
    return config


def read_timeout() -> float:
    """READ_TIMEOUT, or the positive seconds in ``$GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT``."""
    try:
        value = float(os.environ.get(READ_TIMEOUT_ENV, ""))
    except ValueError:
        return READ_TIMEOUT
    return value if value > 0 else READ_TIMEOUT


def has_chain_credentials(settings: Settings) -> bool:
    """Whether the boto3 chain (profile, env, SSO, role...) yields any credentials."""
    from botocore.exceptions import BotoCoreError

    try:
        return aws_session(settings).get_credentials() is not None
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise CredentialsMissing(f"profile={settings.profile}: {exc}") from exc


class LazyClient:
    """A boto3 client built on first use: a process the lean path serves whole (store/lean/)
    never imports boto3 (~0.65 s with the client)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build, self._client, self._lock = build, None, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
        return getattr(self._client, name)
