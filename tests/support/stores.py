"""Stores for the store-tier tests, assembled as a remote assembles them: settings read through
the settings table (``config.load_settings``, as from ``initremote``'s values) and opened by
``store.open.open_bucket``, the ONE assembly (lean engine, botocore engine, fallbacks). Tests
that need one engine alone say why in their docstring."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from git_annex_remote_s3py.config import LocalSettings, Settings, load_settings
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.store.aws import NO_LEAN_ENV
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.open import open_bucket
from support.local_s3 import DUMMY_KEY, DUMMY_SECRET

CREDS = Credentials(DUMMY_KEY, DUMMY_SECRET, None, "test")


def settings_for(bucket: str, endpoint: str = "", **values: str) -> Settings:
    """A remote's settings from its ``initremote`` values (``endpoint`` empty: AWS)."""
    given = {"bucket": bucket, "endpoint": endpoint, **values}
    return load_settings(lambda key: given.get(key, ""))


@contextlib.contextmanager
def lean_off() -> Iterator[None]:
    """``$GIT_ANNEX_REMOTE_S3PY_NO_LEAN`` while a store is opened: every request through
    botocore, which moto in-process (``mock_aws``) and botocore's Stubber intercept."""
    before = os.environ.get(NO_LEAN_ENV)
    os.environ[NO_LEAN_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[NO_LEAN_ENV]
        else:
            os.environ[NO_LEAN_ENV] = before


def opened(bucket: str, endpoint: str = "", *, lean: bool = False,
           local: LocalSettings | None = None, creds: Credentials = CREDS,
           **values: str) -> Bucket:
    """The store a remote with these settings opens. ``lean=False`` (for moto in-process
    and the Stubber, which see only botocore's requests) opens it with the lean engine
    turned off, as ``$GIT_ANNEX_REMOTE_S3PY_NO_LEAN`` does for a user."""
    settings = settings_for(bucket, endpoint, **values)
    if lean:
        return open_bucket(settings, creds, local)
    with lean_off():
        return open_bucket(settings, creds, local)


def signed(store: Bucket) -> Bucket:
    """The signed bucket (its engines: ``.lean``, ``.boto``), as a test reaches it."""
    assert isinstance(store, Bucket)
    return store


def on_every_client(store: Bucket, hook: Callable[[Any], None]) -> None:
    """``hook(client)`` on each botocore client of the store once built: the signed one and
    the plain-body one the checksum fallback switches to (store/bucket.py)."""
    bucket = signed(store)
    for client in (bucket.client, bucket._plain_client):  # noqa: SLF001
        if client is not None:
            client.when_built(hook)


def stub(store: Bucket) -> Any:
    """botocore's Stubber on the store's botocore client (built now), activated."""
    from botocore.stub import Stubber

    stubbers: list[Stubber] = []
    client = signed(store).client
    client.when_built(lambda built: stubbers.append(Stubber(built)))
    client.meta  # noqa: B018  (builds the lazy client)
    stubbers[0].activate()
    return stubbers[0]


__all__ = ["CREDS", "lean_off", "on_every_client", "opened", "settings_for", "signed", "stub"]
