"""Which keys git-annex may fetch itself, with its own HTTP client (TRANSFER-RETRIEVE-URL).

Only small, plain keys (git-annex hashes what it fetched in a second pass: for big keys s3py's
own transfer, which hashes while it writes, is faster; docs/benchmarks.md), in export mode
only keys git-annex's tail verifier takes whole in one read (``EXPORT_RETRIEVE_URL_MAX_SIZE``),
only where git-annex's HTTP client can fetch the URL (``gitannex_http``, asked once per host),
and as the clone chose (``remote.NAME.s3py-retrieve-url``). Credential-free reads give the
public URL (``public``, the default); signed reads, with ``yes`` only (measured slower on moto and
Ceph RGW at -J1, no faster at -J4: docs/benchmarks.md, session 7), a URL presigned for
``PRESIGNED_SECONDS``, never
where git-annex would print it (its debug output) or pass it to curl, never for a read that
needs more than the URL (SSE-C, requester pays, a CA bundle or TLS checks off that git-annex
would not share), and never for a recorded version (the URL names the current object).
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
# An exported file git-annex downloads itself it also hashes with its tail verifier
# (upstream Annex/Verify.hs ``tailVerify``: a thread that follows the file in 64 KiB reads,
# Remote/External.hs ``retrieveExportM``). Its own download holds the file locked, so the
# verifier either gives up (a full checksum follows) or opens the file only after the download
# closed it, when the main thread may already have said "finished": it then stops after one
# read, and git-annex 10.20261026 fails the get ("Verification of content failed") on that
# partial hash. A key that one 64 KiB read takes whole is hashed whole either way
# (docs/export.md, "Newer git-annex").
EXPORT_RETRIEVE_URL_MAX_SIZE = 64 * 1024
# A presigned URL lives as long as S3 lets a signed request's clock differ from its own (15
# minutes): it works wherever s3py's own signed GET works, and dies soon after git-annex used it.
PRESIGNED_SECONDS = 15 * 60


def small_plain_key(key: str, max_size: int = RETRIEVE_URL_MAX_SIZE) -> bool:
    """Whether ``key`` records a size of at most ``max_size`` and is not chunked (an
    encrypted key records no size)."""
    size = naming.expected_object_size(key)
    return size is not None and size <= max_size \
        and "C" not in naming.parse_key_fields(key)


def url_for(session: Session, annex: AnnexQueries, key: str, exported: bool,
            locate: Callable[[], tuple[str, str | None] | None],
            debug: Callable[[str], None]) -> str | None:
    """The URL git-annex may download ``key`` from (``exported``: a TRANSFEREXPORT, to a file
    git-annex tail-verifies; ``locate``: its object name and version id, None where s3py must
    read it itself), or None to keep s3py's own transfer (which reports any error)."""
    if not small_plain_key(key, EXPORT_RETRIEVE_URL_MAX_SIZE if exported
                           else RETRIEVE_URL_MAX_SIZE):
        return None
    try:  # a wrong setting: s3py's own transfer says so (TRANSFER-FAILURE, one line)
        chosen = session.local(annex).retrieve_url
        if chosen == "no":
            return None
        base = session.anonymous_base(annex)
        presigning = base is None and chosen == "yes" and presign_blocker(session, annex) == ""
        if base is None and not presigning:
            return None
        found = locate()
        if found is None:
            return None
        name, version_id = found
        if presigning:
            if version_id:
                return None
            url = session.store(annex).presign(name, PRESIGNED_SECONDS)
        else:
            url = urls.object_url(str(base), name, version_id)
    except S3pyError:
        return None
    blocker = url_fetch_blocker(session, annex, url)
    if blocker:
        debug(f"retrieving {name} itself, not through git-annex: {blocker}")
        return None
    if presigning:  # the URL itself is a bearer token: never in a log
        debug(f"git-annex downloads {name} itself (a URL presigned for {PRESIGNED_SECONDS} s)")
    return url


def presign_blocker(session: Session, annex: AnnexQueries) -> str:
    """Why this process gives git-annex no presigned URL ("" where it may); asked once."""
    with session.lock:
        if session.presign_blocker is None:
            session.presign_blocker = why_not_presigned(session, annex) or ""
        return session.presign_blocker


def why_not_presigned(session: Session, annex: AnnexQueries) -> str | None:
    """Why signed reads of this remote cannot be handed to git-annex as presigned URLs."""
    from git_annex_remote_s3py.annex import gitannex_http

    settings, local = session.settings(annex), session.local(annex)
    if settings.anonymous or not session.can_sign(annex):
        return "no credentials to presign with"
    if settings.sse == "customer" or settings.requesterpays:
        return "every read must send headers (sse=customer or requesterpays=yes)"
    if local.ca_bundle or not local.ssl_verify:
        return "the endpoint's TLS is checked with the clone's own CA bundle, or not at all"
    return gitannex_http.why_a_secret_url_would_show(annex.getgitdir())


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
