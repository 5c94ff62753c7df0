"""Whether git-annex's own HTTP client can download a URL (for TRANSFER-RETRIEVE-URL).

git-annex fetches such URLs itself, with its own HTTP stack and its own rules: it refuses
loopback and private addresses unless ``annex.security.allowed-ip-addresses`` allows them, and
it knows nothing of ``AWS_CA_BUNDLE`` or of the proxies botocore honours.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import subprocess
import threading
from typing import Mapping
from urllib.parse import urlsplit

from git_annex_remote_s3py.annex.debugging import DEBUG_SETTING, debug_flag, parent_arguments

ALLOWED_IPS_SETTING = "annex.security.allowed-ip-addresses"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


WEB_OPTIONS_SETTING = "annex.web-options"
READ_SETTINGS = (ALLOWED_IPS_SETTING, DEBUG_SETTING, WEB_OPTIONS_SETTING)


_reading = threading.Lock()  # ASYNC jobs that ask at once: one of them runs git config


def annex_settings(git_dir: str) -> dict[str, str]:
    """The repository's git config of ``READ_SETTINGS`` that is set: one ``git config`` per
    repository and process (git-annex reads its own config once, at its start, too)."""
    with _reading:
        return dict(_git_config(git_dir))


@functools.cache
def _git_config(git_dir: str) -> dict[str, str]:
    pattern = "^(" + "|".join(name.replace(".", "\\.") for name in READ_SETTINGS) + ")$"
    try:
        found = subprocess.run(["git", "--git-dir", git_dir, "config", "--get-regexp",
                                pattern], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    pairs = (line.partition(" ") for line in found.stdout.splitlines())
    return {name.lower(): value.strip() for name, _, value in pairs}


def allowed_ip_addresses(git_dir: str) -> str:
    """The repository's ``annex.security.allowed-ip-addresses`` ("" when unset)."""
    return annex_settings(git_dir).get(ALLOWED_IPS_SETTING, "")


def why_a_secret_url_would_show(git_dir: str) -> str | None:
    """Why a presigned URL given to git-annex would be written where others may read it, or
    None: git-annex's debug output prints every protocol line (the URL with it), and with
    ``annex.web-options`` git-annex downloads with curl, the URL in its argv."""
    settings = annex_settings(git_dir)
    if settings.get(WEB_OPTIONS_SETTING):
        return f"{WEB_OPTIONS_SETTING} is set (git-annex would run curl with the URL as argument)"
    if settings.get(DEBUG_SETTING, "").lower() in ("true", "yes", "on", "1"):
        return f"{DEBUG_SETTING} is on (git-annex would log the URL)"
    parent = parent_arguments()
    if not parent or not parent[0]:  # no /proc (macOS, BSD): --debug cannot be ruled out
        return "git-annex's command line is not readable here (it may run with --debug)"
    if os.path.basename(parent[0]).startswith("git-annex") and debug_flag(parent[1:]):
        return "git-annex runs with --debug (it would log the URL)"
    return None


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
