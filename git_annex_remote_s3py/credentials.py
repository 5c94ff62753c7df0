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



CSV_SOURCE = "credentials CSV (s3py-credentials-csv)"
SSE_C_KEY_BYTES = 32


def from_csv(path: str) -> Credentials:
    """The key pair in a credentials CSV as the AWS console downloads it: an IAM user's
    (a header with "Access key ID" and "Secret access key", then one row) or the root
    account's (``AWSAccessKeyID=...`` and ``AWSSecretKey=...`` lines)."""
    import csv

    from git_annex_remote_s3py.errors import CredentialsMissing

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise CredentialsMissing(f"cannot read the credentials CSV {path}: "
                                 f"{getattr(exc, 'strerror', None) or exc}") from exc
    pairs = dict(row[0].partition("=")[::2] for row in rows if len(row) == 1 and "=" in row[0])
    access, secret = pairs.get("AWSAccessKeyID", "").strip(), pairs.get("AWSSecretKey", "").strip()
    if not (access and secret) and len(rows) >= 2:
        header = [name.strip().lower() for name in rows[0]]
        if "access key id" in header and "secret access key" in header:
            row = rows[1] + [""] * len(header)
            access = row[header.index("access key id")].strip()
            secret = row[header.index("secret access key")].strip()
    if not (access and secret):
        raise CredentialsMissing(f"the credentials CSV {path} holds no access key ID and secret "
                                 "access key (expected the file the AWS console downloads)")
    return Credentials(access, secret, None, CSV_SOURCE)


def read_sse_customer_key(path: str) -> bytes:
    """The 256-bit SSE-C key in ``path``: 32 raw bytes, or their base64 (one line)."""
    import base64
    import binascii

    from git_annex_remote_s3py.errors import ConfigError

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"sse=customer: cannot read the key file {path}: "
                          f"{exc.strerror}") from exc
    if len(data) == SSE_C_KEY_BYTES:
        return data
    try:
        key = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != SSE_C_KEY_BYTES:
        raise ConfigError(f"sse=customer: the key file {path} holds no 256-bit key (32 bytes, "
                          "raw or base64); make one with: openssl rand 32 > FILE")
    return key
