"""Builds the boto3 S3 client: endpoint, region, addressing, retries, timeouts, signing."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from git_annex_remote_s3py.config import LocalSettings, Settings
from git_annex_remote_s3py.credentials import Credentials, read_sse_customer_key
from git_annex_remote_s3py.errors import ConfigError, CredentialsMissing
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


@dataclass(frozen=True)
class ClientOptions:
    """How requests are sent beyond addressing: timeouts, TLS verification, and the arguments
    every request carries (SSE-C key, RequestPayer). From the shared settings and this
    clone's local ones (the CA bundle, sslverify and the SSE-C key never come from the
    branch)."""

    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    verify: bool | str | None = None  # None: botocore's default (AWS_CA_BUNDLE, certifi)
    sse_customer_key: bytes | None = field(default=None, repr=False)
    request_payer: bool = False

    @classmethod
    def of(cls, settings: Settings, local: LocalSettings) -> ClientOptions:
        """Raise ``ConfigError`` for ``sse=customer`` without a key file."""
        key = None
        if settings.sse == "customer":
            if not local.sse_customer_key_file:
                raise ConfigError("sse=customer needs the key: git config "
                                  "remote.NAME.s3py-sse-c-key-file /path/to/key (32 bytes, "
                                  "e.g. openssl rand 32), or set "
                                  "GIT_ANNEX_REMOTE_S3PY_SSE_C_KEY_FILE")
            key = read_sse_customer_key(local.sse_customer_key_file)
        verify: bool | str | None = local.ca_bundle or None
        if not local.ssl_verify:
            verify = False
        return cls(connect_timeout=settings.connecttimeout or CONNECT_TIMEOUT,
                   read_timeout=settings.readtimeout or read_timeout(), verify=verify,
                   sse_customer_key=key, request_payer=settings.requesterpays)

    @property
    def lean_ca_bundle(self) -> str | None:
        return self.verify if isinstance(self.verify, str) else os.environ.get("AWS_CA_BUNDLE")


def build_client(settings: Settings, creds: Credentials, *, anonymous: bool = False,
                 region: str | None = None, checksums: str | None = None,
                 options: ClientOptions | None = None) -> Any:
    """A thread-safe S3 client. ``anonymous`` builds an unsigned one for public reads;
    ``checksums`` overrides ``settings.checksums`` for the request side only."""
    import boto3  # lazy: ~400 ms, paid only when S3 is really needed
    from botocore import UNSIGNED
    from botocore.config import Config

    options = options or ClientOptions.of(settings, LocalSettings())
    config = Config(
        region_name=region or settings.region_or_default,
        signature_version=UNSIGNED if anonymous or settings.anonymous else "s3v4",
        s3=s3_config(settings, checksums),
        retries={"mode": "standard", "total_max_attempts": RETRY_ATTEMPTS},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
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
    client = session.client("s3", endpoint_url=settings.endpoint, config=config,
                            verify=options.verify)
    log_requests(client)
    follow_only_named_regions(client)
    add_request_arguments(client, options)
    return client


def sends_chunked_uploads(settings: Settings) -> bool:
    """Whether botocore sends this remote's uploads as aws-chunked bodies with a trailing
    checksum: ``checksums=when_supported`` over https (AWS included). Some servers refuse
    those (Ceph RGW 16: 411 MissingContentLength) or store the framing as data (s3rver)."""
    return settings.checksums == "when_supported" and (
        settings.endpoint is None or settings.endpoint.lower().startswith("https:"))


def plain_upload_client(settings: Settings, creds: Credentials,
                        options: ClientOptions | None = None) -> Any:
    """A client sending plain upload bodies (``checksums=when_required``), built on first
    use, for ``Bucket`` to fall back to where the server refuses or mangles aws-chunked
    ones; None where uploads are plain already."""
    if not sends_chunked_uploads(settings):
        return None
    return LazyClient(lambda: build_client(settings, creds, checksums="when_required",
                                                   options=options))


def add_request_arguments(client: Any, options: ClientOptions) -> None:
    """Have every request of ``client`` carry ``RequestPayer=requester`` and the SSE-C key
    (also as the copy source's) where its operation takes them: HEAD, GET, PUT, the
    multipart calls and copies, s3transfer's included. Never on presigned URLs (a key would
    not belong in a URL a user hands on)."""
    payer, key = options.request_payer, options.sse_customer_key
    if not payer and key is None:
        return

    def add(params: dict, model: Any, context: dict, **_: Any) -> None:
        members = model.input_shape.members if model.input_shape is not None else {}
        if payer and "RequestPayer" in members:
            params.setdefault("RequestPayer", "requester")
        if key is None or context.get("is_presign_request"):
            return
        for prefix in ("SSECustomer", "CopySourceSSECustomer"):
            if f"{prefix}Key" in members:
                params.setdefault(f"{prefix}Algorithm", "AES256")
                params.setdefault(f"{prefix}Key", key)

    client.meta.events.register("provide-client-params.s3", add)


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
