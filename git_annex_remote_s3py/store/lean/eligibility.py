"""Whether this remote may go the lean way, and the lean transport when it may."""

from __future__ import annotations

import os
from typing import Any, Callable
from urllib.parse import urlsplit

from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.credentials import Credentials

# botocore picks another AWS endpoint than region= alone says when these are set.
AWS_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_USE_FIPS_ENDPOINT",
                          "AWS_USE_DUALSTACK_ENDPOINT")
OTHER_PARTITIONS = ("cn-", "us-iso", "eu-isoe")  # not under amazonaws.com
# Set to 1 to send every request through botocore (benchmarks' before/after, tests of that path).
NO_LEAN_ENV = "GIT_ANNEX_REMOTE_S3PY_NO_LEAN"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


def build_lean(settings: Settings, creds: Credentials, options: Any = None) -> Any:
    """The lean transport for this remote, or None where only botocore can do it right:
    no credentials at all, anonymous, a proxy, settings that every request must carry or
    that change the listing (SSE-C keys, requester pays, ListObjects v1), TLS verification
    off, on AWS a bucket of unknown region, another
    partition (China, ISO) or an endpoint chosen by AWS configuration (FIPS, dual-stack,
    accelerate, endpoint_url), a dotted bucket name or an endpoint with a path on
    virtual-hosted requests."""
    from git_annex_remote_s3py.config import LocalSettings
    from git_annex_remote_s3py.store.client import ClientOptions
    from git_annex_remote_s3py.store.lean.transport import LeanS3
    from git_annex_remote_s3py.urls import default_public_url

    if (settings.anonymous or proxies_configured()
            or os.environ.get(NO_LEAN_ENV, "") not in ("", "0")):
        return None
    if settings.sse == "customer" or settings.requesterpays or settings.listversion == "1":
        return None
    options = options or ClientOptions.of(settings, LocalSettings())
    if options.verify is False:
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
                  timeout=options.read_timeout, connect_timeout=options.connect_timeout,
                  ca_bundle=options.lean_ca_bundle)


def proxies_configured(environ: dict[str, str] | None = None) -> bool:
    """Whether a proxy is configured: botocore honours it, the lean transport does not."""
    environ = os.environ if environ is None else environ
    return any(environ.get(name) for name in PROXY_VARIABLES)


def aws_session(settings: Settings) -> Any:
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
        config = aws_session(settings).get_scoped_config()
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
        found = aws_session(settings).get_credentials()
    except BotoCoreError:  # a profile that does not exist, a broken config file...
        return None
    if found is None:
        return None

    def frozen() -> tuple:
        current = found.get_frozen_credentials()
        return current.access_key, current.secret_key, current.token
    return frozen
