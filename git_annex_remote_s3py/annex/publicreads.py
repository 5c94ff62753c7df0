"""initremote's check that a remote with a public URL can be read without credentials: one
anonymous GET of its ``annex-uuid`` marker there, and one line naming the fix when it fails.

OpenStack Swift ignores objects' ACLs and serves anonymous reads only at its own URL
(``ENDPOINT/v1/AUTH_<account>/BUCKET/KEY``, an unsigned request by the S3 path is taken as a
Swift API request): with ``public=yes`` the bucket gets the public-read ACL there (s3api makes
it the container read ACL), and the check names the ``publicurl=`` to set.
"""

from __future__ import annotations

from git_annex_remote_s3py import naming, urls
from git_annex_remote_s3py.annex.session import AnnexSetup, Session, public_base
from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.errors import AccessDenied, AclNotSupported
from git_annex_remote_s3py.store.base import Store
from git_annex_remote_s3py.store.open import AnonymousRead, read_anonymously

PUBLIC_READ = {"ACL": "public-read"}
SWIFT_PATH = "v1/"  # Swift's API path, before the account (AUTH_...)


def check_public_reads(annex: AnnexSetup, session: Session, settings: Settings,
                       bucket: Store) -> None:
    """Read the marker anonymously at the public URL; where that fails, make what can be made
    public so (the marker's ACL, Swift's container ACL) and say what is left to fix."""
    base = public_base(settings)
    if not base:
        return
    marker = settings.fileprefix + naming.UUID_MARKER
    uuid = annex.getuuid()
    url = urls.object_url(base, marker)
    read = read_anonymously(url)
    if _reads(read, uuid):
        return
    if settings.public and read.status in (401, 403) and not read.swift:
        _publish_marker(bucket, marker, uuid)  # one written before s3py gave it the ACL
        read = read_anonymously(url)
        if _reads(read, uuid):
            return
    if settings.public and read.swift:
        bucket.allow_public_reads()
        read = read_anonymously(url)
        if _reads(read, uuid):
            annex.info(f"OpenStack Swift ignores objects' ACLs: gave bucket {settings.bucket} "
                       "the public-read ACL (its container read ACL) for anonymous reads")
            return
    annex.info(f"anonymous reads do not work: an unsigned GET of {url} {_answer(read, uuid)}, "
               f"so clones without credentials get nothing; {_fix(read, session, annex, settings)}")


def _reads(read: AnonymousRead, uuid: str) -> bool:
    return read.status == 200 and read.body.decode(errors="replace").strip() == uuid


def _publish_marker(bucket: Store, marker: str, uuid: str) -> None:
    try:
        bucket.put_text(marker, uuid, dict(PUBLIC_READ))
    except (AclNotSupported, AccessDenied):
        pass  # the bucket refuses ACLs: the fix named is a bucket policy


def _answer(read: AnonymousRead, uuid: str) -> str:
    if not read.status:
        return f"got no answer ({read.problem})"
    if read.status == 200:
        return "answered 200 with other content than the annex-uuid marker"
    return f"answered HTTP {read.status}"


def _fix(read: AnonymousRead, session: Session, annex: AnnexSetup, settings: Settings) -> str:
    name = annex.getconfig("name") or "NAME"
    if read.swift and SWIFT_PATH in (settings.publicurl or ""):
        return (f"set public=yes, which gives bucket {settings.bucket} Swift's container read "
                f"ACL (git annex enableremote {name} public=yes)")
    if read.swift:
        account = _swift_account(session, annex)
        return (f"OpenStack Swift serves anonymous reads at its own URL: set publicurl="
                f"{settings.endpoint}/{SWIFT_PATH}{account}/{settings.bucket} "
                f"(git annex enableremote {name} publicurl=...)")
    return (f"check publicurl= (it must serve bucket {settings.bucket}'s objects), or allow "
            f"public reads with the bucket policy that git-annex-remote-s3py policy --remote "
            f"{name} prints")


def _swift_account(session: Session, annex: AnnexSetup) -> str:
    """Swift's account for tempauth keys (``account:user`` -> ``AUTH_account``); Keystone's
    is ``AUTH_`` and the project ID."""
    access_key = session.creds(annex).access_key or ""
    account, colon, _ = access_key.partition(":")
    return f"AUTH_{account}" if colon and account else "AUTH_<project ID>"


__all__ = ["check_public_reads"]
