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
    """The ``AWS_*`` environment, then git-annex's credential store, then the boto3 chain.

    Environment first, as git-annex's own remotes do: the store is then never asked, so no
    ``CREDS`` reply (which ``git annex --debug`` prints) carries the secret. See
    docs/reliability.md.
    """
    env_creds = from_environment(environ)
    if env_creds:
        return env_creds
    stored = annex_store()
    if stored and stored[0] and stored[1]:
        return Credentials(stored[0], stored[1], None, "git-annex credential store")
    return Credentials(None, None, None, "AWS credential chain (profile, SSO, role)")


def cache_file(git_dir: str, uuid: str) -> str:
    """The file where git-annex keeps this remote's credentials locally (``SETCREDS``)."""
    return os.path.join(git_dir, "annex", "creds", f"{uuid}-{CREDS_SETTING}")


def read_cache(path: str) -> tuple[str, str] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    return (lines[0], lines[1]) if len(lines) >= 2 and lines[0] and lines[1] else None


def write_cache(path: str, access_key: str, secret_key: str) -> None:
    """Write git-annex's local credential file (mode 0600) without a protocol message."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"{access_key}\n{secret_key}\n")
    os.replace(temporary, path)

