"""Whether this remote may go the lean way, and the lean transport when it may."""

from __future__ import annotations

from typing import Callable, cast
from urllib.parse import urlsplit

from git_annex_remote_s3py.config import LocalSettings, Settings
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.store.aws import (
    ClientOptions,
    chain_credentials,
    lean_turned_off,
    plain_aws_endpoint,
    proxies_configured,
)
from git_annex_remote_s3py.store.lean.transport import KeyTriple, LeanS3
from git_annex_remote_s3py.urls import default_public_url


def build_lean(settings: Settings, creds: Credentials,
               options: ClientOptions | None = None) -> LeanS3 | None:
    """The lean transport for this remote, or None where only botocore can do it right:
    no credentials at all, anonymous, a proxy, settings that every request must carry or
    that change the listing (SSE-C keys, requester pays, ListObjects v1), TLS verification
    off, on AWS a bucket of unknown region, another
    partition (China, ISO) or an endpoint chosen by AWS configuration (FIPS, dual-stack,
    accelerate, endpoint_url), a dotted bucket name or an endpoint with a path on
    virtual-hosted requests."""
    if settings.anonymous or proxies_configured() or lean_turned_off():
        return None
    if settings.sse == "customer" or settings.requesterpays or settings.listversion == "1":
        return None
    options = options or ClientOptions.of(settings, LocalSettings())
    if options.verify is False:
        return None
    if settings.endpoint is None and not plain_aws_endpoint(settings):
        return None
    if settings.requeststyle == "virtual" and (
            "." in settings.bucket or urlsplit(settings.endpoint or "").path.strip("/")):
        return None
    credentials: Callable[[], KeyTriple] | None
    if creds.explicit:
        static = cast(KeyTriple, (creds.access_key, creds.secret_key, creds.session_token))

        def credentials() -> KeyTriple:
            return static
    else:
        credentials = chain_credentials(settings)
        if credentials is None:
            return None
    return LeanS3(default_public_url(settings), credentials, settings.region_or_default,
                  timeout=options.read_timeout, connect_timeout=options.connect_timeout,
                  ca_bundle=options.lean_ca_bundle)
