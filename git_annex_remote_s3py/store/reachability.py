"""A quick, bounded check that an endpoint accepts TCP connections (for GETAVAILABILITY).

git-annex asks a remote's availability when ``sync`` or ``info`` start, so this must answer in
seconds, not after botocore's retries.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

PROBE_TIMEOUT = 3.0


def connect_problem(url: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why nothing accepts a connection at ``url``'s host and port, or None if something does."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:  # refused, DNS failure, timeout, unreachable network
        return f"cannot connect to {host}:{port} ({exc.strerror or type(exc).__name__})"
