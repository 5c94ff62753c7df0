"""Builds the boto3 S3 client: endpoint, region, addressing, retries, timeouts, signing."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable
from urllib.parse import urlsplit

from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.errors import CredentialsMissing

RETRY_ATTEMPTS = 5
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# Tests and operators may lower (or raise) the read timeout, in seconds, without a setting.
READ_TIMEOUT_ENV = "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT"
MAX_POOL = 16
# botocore picks another AWS endpoint than region= alone says when these are set.
AWS_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_USE_FIPS_ENDPOINT",
                          "AWS_USE_DUALSTACK_ENDPOINT")
OTHER_PARTITIONS = ("cn-", "us-iso", "eu-isoe")  # not under amazonaws.com
# Set to 1 to send every request through botocore (benchmarks' before/after, tests of that path).
NO_LEAN_ENV = "GIT_ANNEX_REMOTE_S3PY_NO_LEAN"


def build_client(settings: Settings, creds: Credentials, *, anonymous: bool = False,
                 region: str | None = None) -> Any:
    """A thread-safe S3 client. ``anonymous`` builds an unsigned one for public reads."""
    import boto3  # lazy: ~400 ms, paid only when S3 is really needed
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        region_name=region or settings.region_or_default,
        signature_version=UNSIGNED if anonymous or settings.anonymous else "s3v4",
        s3=s3_config(settings),
        retries={"mode": "standard", "total_max_attempts": RETRY_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout(),
        max_pool_connections=MAX_POOL,
        request_checksum_calculation=settings.checksums,
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
    return session.client("s3", endpoint_url=settings.endpoint, config=config)


def s3_config(settings: Settings) -> dict[str, Any]:
    """botocore's ``s3`` options. With ``checksums=when_supported`` every upload and part
    carries a signed CRC32 header the server checks, so the payload goes unsigned also on
    http endpoints (as on https, and as git-annex's built-in S3 remote sends it): no SHA-256
    pass, ~0.2 s per 64 MiB. Without those checksums botocore signs the payload as before."""
    config: dict[str, Any] = {"addressing_style": settings.requeststyle}
    if settings.checksums == "when_supported":
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
        return _aws_session(settings).get_credentials() is not None
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise CredentialsMissing(f"profile={settings.profile}: {exc}") from exc


class LazyClient:
    """A boto3 client built on first use: a process the lean path serves whole (lean.py)
    never imports boto3 (~0.65 s with the client)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build, self._client, self._lock = build, None, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
        return getattr(self._client, name)


def build_lean(settings: Settings, creds: Credentials) -> Any:
    """The lean transport for this remote, or None where only botocore can do it right:
    no credentials at all, anonymous, a proxy, on AWS a bucket of unknown region, another
    partition (China, ISO) or an endpoint chosen by AWS configuration (FIPS, dual-stack,
    accelerate, endpoint_url), a dotted bucket name or an endpoint with a path on
    virtual-hosted requests."""
    from git_annex_remote_s3py.store.lean.transport import LeanS3, proxies_configured
    from git_annex_remote_s3py.urls import default_public_url

    if (settings.anonymous or proxies_configured()
            or os.environ.get(NO_LEAN_ENV, "") not in ("", "0")):
        return None
    if settings.endpoint is None and not _plain_aws_endpoint(settings):
        return None
    if settings.requeststyle == "virtual" and (
            "." in settings.bucket or urlsplit(settings.endpoint or "").path.strip("/")):
        return None
    if creds.explicit:
        static = (creds.access_key, creds.secret_key, creds.session_token)

        def credentials() -> tuple:
            return static
    else:
        credentials = chain_credentials(settings)
        if credentials is None:
            return None
    return LeanS3(default_public_url(settings), credentials, settings.region_or_default,
                  timeout=read_timeout(), connect_timeout=CONNECT_TIMEOUT,
                  ca_bundle=os.environ.get("AWS_CA_BUNDLE"))


def _aws_session(settings: Settings) -> Any:
    import botocore.session  # ~0.2 s; the client that botocore would add costs ~0.3 s more

    return botocore.session.Session(profile=settings.profile)


def _plain_aws_endpoint(settings: Settings) -> bool:
    """Whether botocore would send this remote's AWS requests to s3.REGION.amazonaws.com."""
    from botocore.exceptions import BotoCoreError

    region = settings.region
    if region is None or region.startswith(OTHER_PARTITIONS) or any(
            os.environ.get(name) for name in AWS_ENDPOINT_VARIABLES):
        return False
    try:
        config = _aws_session(settings).get_scoped_config()
    except BotoCoreError:  # a profile that does not exist: botocore says so
        return False
    s3 = config.get("s3") if isinstance(config.get("s3"), dict) else {}
    return not any(str(value).lower() not in ("", "false") for value in (
        config.get("endpoint_url"), config.get("use_fips_endpoint"),
        config.get("use_dualstack_endpoint"), s3.get("use_accelerate_endpoint"),
        s3.get("use_dualstack_endpoint"), config.get("services")) if value is not None)


def chain_credentials(settings: Settings) -> Callable[[], tuple] | None:
    """The boto3 chain's credentials (profile, SSO, role, ...), frozen per request so that
    refreshing ones stay fresh; None if the chain has none (botocore reports that)."""
    from botocore.exceptions import BotoCoreError

    try:
        found = _aws_session(settings).get_credentials()
    except BotoCoreError:  # a profile that does not exist, a broken config file...
        return None
    if found is None:
        return None

    def frozen() -> tuple:
        current = found.get_frozen_credentials()
        return current.access_key, current.secret_key, current.token
    return frozen
