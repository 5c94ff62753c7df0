"""Where credentials come from, in order, and how they are kept out of logs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

CREDS_SETTING = "s3py-creds"
ENV_ACCESS = "AWS_ACCESS_KEY_ID"
ENV_SECRET = "AWS_SECRET_ACCESS_KEY"
ENV_TOKEN = "AWS_SESSION_TOKEN"


@dataclass(frozen=True)
class Credentials:
    """Static credentials, or none (``access_key is None``) to defer to the boto3 chain."""

    access_key: str | None
    secret_key: str | None
    session_token: str | None
    source: str

    def __repr__(self) -> str:  # never print a secret, even by accident
        return f"Credentials(source={self.source!r})"

    @property
    def explicit(self) -> bool:
        return bool(self.access_key and self.secret_key)


def from_environment(environ: dict | None = None) -> Credentials | None:
    env = os.environ if environ is None else environ
    if env.get(ENV_ACCESS) and env.get(ENV_SECRET):
        return Credentials(env[ENV_ACCESS], env[ENV_SECRET], env.get(ENV_TOKEN) or None,
                           "environment (AWS_ACCESS_KEY_ID)")
    return None


def resolve(annex_store: Callable[[], tuple[str, str] | None],
            environ: dict | None = None) -> Credentials:
    """git-annex's credential store, then the ``AWS_*`` environment, then the boto3 chain."""
    stored = annex_store()
    if stored and stored[0] and stored[1]:
        return Credentials(stored[0], stored[1], None, "git-annex credential store")
    env_creds = from_environment(environ)
    if env_creds:
        return env_creds
    return Credentials(None, None, None, "AWS credential chain (profile, SSO, role)")


def redact(text: str, secrets: tuple[str | None, ...]) -> str:
    """Replace every secret in ``text`` by a placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text
