"""Whether git-annex's own HTTP client can download a URL (for TRANSFER-RETRIEVE-URL).

git-annex fetches such URLs itself, with its own HTTP stack and its own rules: it refuses
loopback and private addresses unless ``annex.security.allowed-ip-addresses`` allows them, and
it knows nothing of ``AWS_CA_BUNDLE`` or of the proxies botocore honours.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
from typing import Mapping
from urllib.parse import urlsplit

ALLOWED_IPS_SETTING = "annex.security.allowed-ip-addresses"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


def allowed_ip_addresses(git_dir: str) -> str:
    """The repository's ``annex.security.allowed-ip-addresses`` ("" when unset)."""
    try:
        found = subprocess.run(["git", "--git-dir", git_dir, "config", "--get",
                                ALLOWED_IPS_SETTING], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""


def _address_allowed(address: str, allowed: list[str]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global or "all" in allowed or any(
        _same_address(ip, entry) for entry in allowed)


def _same_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str) -> bool:
    try:
        return ipaddress.ip_address(entry.strip("[]")) == ip
    except ValueError:
        return False


def why_git_annex_cannot_fetch(url: str, allowed_ips: str,
                               environ: Mapping[str, str]) -> str | None:
    """Why git-annex's HTTP client would fail or differ from s3py's at ``url``, or None."""
    if environ.get("AWS_CA_BUNDLE"):
        return "AWS_CA_BUNDLE is set (git-annex does not use it)"
    if any(environ.get(name) for name in PROXY_VARIABLES):
        return "a proxy is configured"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {parts.scheme}"
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {parts.hostname} ({exc.strerror or exc})"
    allowed = allowed_ips.split()
    for info in infos:
        address = str(info[4][0])
        if not _address_allowed(address, allowed):
            return f"{parts.hostname} is {address}, which {ALLOWED_IPS_SETTING} does not allow"
    return None
