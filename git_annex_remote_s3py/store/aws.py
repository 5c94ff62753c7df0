"""What both engines (botocore, store/lean/) read of the AWS environment and of this clone's
request options: the boto3 credential chain and profile, proxies, endpoint-changing AWS
configuration, timeouts, TLS verification and the arguments every request carries. botocore is
imported inside functions only (~0.2 s)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, cast

from git_annex_remote_s3py.config import LocalSettings, Settings, parse_seconds
from git_annex_remote_s3py.credentials import read_sse_customer_key
from git_annex_remote_s3py.errors import ConfigError, CredentialsMissing

if TYPE_CHECKING:
    import botocore.session

    from git_annex_remote_s3py.store.lean.transport import KeyTriple

CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# Tests and operators may lower (or raise) the read timeout, in seconds, without a setting.
READ_TIMEOUT_ENV = "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT"
# botocore picks another AWS endpoint than region= alone says when these are set.
AWS_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_USE_FIPS_ENDPOINT",
                          "AWS_USE_DUALSTACK_ENDPOINT")
OTHER_PARTITIONS = ("cn-", "us-iso", "eu-isoe")  # not under amazonaws.com
# Set to 1 to send every request through botocore (benchmarks' before/after, tests of that path).
NO_LEAN_ENV = "GIT_ANNEX_REMOTE_S3PY_NO_LEAN"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


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


def read_timeout() -> float:
    """READ_TIMEOUT, or the seconds in ``$GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT``; ConfigError
    naming the variable when it holds anything else."""
    text = os.environ.get(READ_TIMEOUT_ENV, "").strip()
    return parse_seconds(READ_TIMEOUT_ENV, text) if text else READ_TIMEOUT


def lean_turned_off() -> bool:
    """Whether ``$GIT_ANNEX_REMOTE_S3PY_NO_LEAN`` sends every request through botocore."""
    return os.environ.get(NO_LEAN_ENV, "") not in ("", "0")


def proxies_configured(environ: dict[str, str] | None = None) -> bool:
    """Whether a proxy is configured: botocore honours it, the lean transport does not."""
    found = os.environ if environ is None else environ
    return any(found.get(name) for name in PROXY_VARIABLES)


def aws_session(settings: Settings) -> botocore.session.Session:
    import botocore.session  # ~0.2 s; the client that botocore would add costs ~0.3 s more

    return botocore.session.Session(profile=settings.profile)


def plain_aws_endpoint(settings: Settings) -> bool:
    """Whether botocore would send this remote's AWS requests to s3.REGION.amazonaws.com."""
    from botocore.exceptions import BotoCoreError

    region = settings.region
    if region is None or region.startswith(OTHER_PARTITIONS) or any(
            os.environ.get(name) for name in AWS_ENDPOINT_VARIABLES):
        return False
    try:
        config = aws_session(settings).get_scoped_config()
    except BotoCoreError:  # a profile that does not exist: botocore says so
        return False
    s3 = config.get("s3")
    if not isinstance(s3, dict):
        s3 = {}
    return not any(str(value).lower() not in ("", "false") for value in (
        config.get("endpoint_url"), config.get("use_fips_endpoint"),
        config.get("use_dualstack_endpoint"), s3.get("use_accelerate_endpoint"),
        s3.get("use_dualstack_endpoint"), config.get("services")) if value is not None)


def chain_credentials(settings: Settings) -> Callable[[], KeyTriple] | None:
    """The boto3 chain's credentials (profile, SSO, role, ...), frozen per request so that
    refreshing ones stay fresh; None if the chain has none (botocore reports that)."""
    from botocore.exceptions import BotoCoreError

    try:
        found = aws_session(settings).get_credentials()
    except BotoCoreError:  # a profile that does not exist, a broken config file...
        return None
    if found is None:
        return None

    def frozen() -> KeyTriple:
        current = found.get_frozen_credentials()
        # a chain's credentials always hold both keys (botocore reads none without them)
        return cast("KeyTriple", (current.access_key, current.secret_key, current.token))
    return frozen


def has_chain_credentials(settings: Settings) -> bool:
    """Whether the boto3 chain (profile, env, SSO, role...) yields any credentials;
    ``CredentialsMissing`` for a profile botocore cannot read."""
    from botocore.exceptions import BotoCoreError

    try:
        return aws_session(settings).get_credentials() is not None
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise CredentialsMissing(f"profile={settings.profile}: {exc}") from exc
