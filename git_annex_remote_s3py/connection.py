"""Builds the boto3 S3 client: endpoint, region, addressing, retries, timeouts, signing."""

from __future__ import annotations

import os
from typing import Any

from .config import Settings
from .credentials import Credentials
from .errors import CredentialsMissing

RETRY_ATTEMPTS = 5
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# Tests and operators may lower (or raise) the read timeout, in seconds, without a setting.
READ_TIMEOUT_ENV = "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT"
MAX_POOL = 16


def build_client(settings: Settings, creds: Credentials, *, anonymous: bool = False,
                 region: str | None = None) -> Any:
    """A thread-safe S3 client. ``anonymous`` builds an unsigned one for public reads."""
    import boto3  # lazy: ~400 ms, paid only when S3 is really needed
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        region_name=region or settings.region_or_default,
        signature_version=UNSIGNED if anonymous or settings.anonymous else "s3v4",
        s3={"addressing_style": settings.requeststyle},
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


def read_timeout() -> float:
    """READ_TIMEOUT, or the positive seconds in ``$GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT``."""
    try:
        value = float(os.environ.get(READ_TIMEOUT_ENV, ""))
    except ValueError:
        return READ_TIMEOUT
    return value if value > 0 else READ_TIMEOUT


def has_chain_credentials(settings: Settings) -> bool:
    """Whether the boto3 chain (profile, env, SSO, role...) yields any credentials."""
    import boto3

    try:
        session = boto3.session.Session(profile_name=settings.profile)
    except Exception as exc:  # botocore.exceptions.ProfileNotFound and friends
        raise CredentialsMissing(f"profile={settings.profile}: {exc}") from exc
    return session.get_credentials() is not None
