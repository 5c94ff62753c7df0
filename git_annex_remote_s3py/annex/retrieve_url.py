"""Which keys git-annex may fetch itself, with its own HTTP client (TRANSFER-RETRIEVE-URL).

Only credential-free public reads of small, plain keys: presigned URLs would put a bearer token
into ``git annex --debug`` logs, and for big keys s3py's own transfer is faster
(docs/benchmarks.md). And only where git-annex's HTTP client can fetch the URL
(``gitannex_http``), asked once per host.
"""

from __future__ import annotations

import os
from typing import Callable
from urllib.parse import urlsplit

from git_annex_remote_s3py import naming, urls
from git_annex_remote_s3py.annex.session import AnnexQueries, Session
from git_annex_remote_s3py.errors import S3pyError

# Keys up to this size are left to git-annex's HTTP client where it can fetch them: faster for
# many small files, slower for big ones (docs/benchmarks.md).
RETRIEVE_URL_MAX_SIZE = 1024 * 1024


def small_plain_key(key: str) -> bool:
    """Whether ``key`` records a size of at most ``RETRIEVE_URL_MAX_SIZE`` and is not chunked."""
    size = naming.expected_object_size(key)
    return size is not None and size <= RETRIEVE_URL_MAX_SIZE \
        and "C" not in naming.parse_key_fields(key)


def url_for(session: Session, annex: AnnexQueries, key: str,
            locate: Callable[[], tuple[str, str | None]],
            debug: Callable[[str], None]) -> str | None:
    """The public URL git-annex may download ``key`` from (``locate``: its object name and
    version id), or None to keep s3py's own transfer (which reports any error)."""
    if not small_plain_key(key):
        return None
    try:
        base = session.anonymous_base(annex)
        if base is None:
            return None
        name, version_id = locate()
    except S3pyError:
        return None
    url = urls.object_url(base, name, version_id)
    blocker = url_fetch_blocker(session, annex, url)
    if blocker:
        debug(f"retrieving {name} itself, not through git-annex: {blocker}")
        return None
    return url


def url_fetch_blocker(session: Session, annex: AnnexQueries, url: str) -> str:
    """Why git-annex cannot fetch ``url`` ("" if it can); asked once per host."""
    from git_annex_remote_s3py.annex import gitannex_http

    host = urlsplit(url).netloc
    blockers = session.url_fetch_blockers
    with session.lock:
        if host not in blockers:
            allowed = gitannex_http.allowed_ip_addresses(annex.getgitdir())
            blockers[host] = gitannex_http.why_git_annex_cannot_fetch(
                url, allowed, os.environ) or ""
        return blockers[host]
