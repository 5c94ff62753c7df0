"""What the remote tells about itself: ``git annex info``'s fields (INFO), the credentials line,
whether it is available now (GETAVAILABILITY with the UNAVAILABLE extension), and how objects
become public where the bucket refuses public ACLs."""

from __future__ import annotations

import shlex

from git_annex_remote_s3py import urls
from git_annex_remote_s3py.annex.session import AnnexQueries, Session, public_base
from git_annex_remote_s3py.config import GRANT_SETTINGS, Settings, format_size
from git_annex_remote_s3py.errors import EndpointUnavailable, S3pyError, WrongRegion, one_line

ACL_HINT = ("bucket {bucket} refuses public ACLs ({why}), so objects stay private until a bucket "
            "policy allows public reads: {policy} (printed by: git-annex-remote-s3py policy "
            "--bucket {bucket} --prefix {prefix})")


def acl_hint(settings: Settings, why: str) -> str:
    """What to do where the bucket refused the public ACL (``why``): the bucket policy that
    makes the objects public, and the command that prints it."""
    import json  # a refused ACL only: not loaded by every start

    bucket, prefix = settings.bucket, settings.fileprefix
    policy = json.dumps(urls.public_read_policy(bucket, prefix, settings.versioning),
                        separators=(",", ":"))
    return ACL_HINT.format(bucket=bucket, prefix=shlex.quote(prefix), policy=policy, why=why)


def info_fields(session: Session, annex: AnnexQueries) -> dict[str, str]:
    """``git annex info``'s lines; a setting error is one line of its own (info still
    answers)."""
    try:
        settings = session.settings(annex)
    except S3pyError as exc:
        return {"s3py error": one_line(exc)}
    fields = {
        "bucket": settings.bucket,
        "endpoint": settings.endpoint or f"AWS ({settings.region_or_default})",
        "region": settings.region_or_default,
        "fileprefix": settings.fileprefix or "(bucket root)",
        "request style": settings.requeststyle,
        "signature": "anonymous" if settings.anonymous else "v4",
        "partsize": format_size(settings.partsize),
        "public": "yes" if settings.public else "no",
        "versioning": "yes" if settings.versioning else "no",
        "credentials": credentials_line(session, annex, settings),
    }
    base = public_base(settings)
    if base:
        fields["publicurl"] = base
    fields.update(storage_fields(settings))
    return fields


def credentials_line(session: Session, annex: AnnexQueries, settings: Settings) -> str:
    """Where the credentials come from, or that there are none and what that means."""
    if settings.anonymous:
        return "none"
    try:  # e.g. an unreadable credentials CSV: say so, info still answers
        if session.can_sign(annex):
            return session.creds(annex).source
    except S3pyError as exc:
        return f"none: {one_line(exc)}"
    if public_base(settings):
        return "none: reads through the public URL, read-only"
    return ("none found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or set "
            "profile=)")


def storage_fields(settings: Settings) -> dict[str, str]:
    """``git annex info`` lines for the upload settings that are set (none is a secret: the
    SSE-C key stays in this clone's local file)."""
    sse = {"customer": "SSE-C (customer key, local key file)"}.get(settings.sse or "",
                                                                  settings.sse or "")
    if sse and settings.ssekmskeyid:
        sse += f" (key {settings.ssekmskeyid})"
    fields = {"storage class": settings.storageclass or "", "server-side encryption": sse,
              "metadata": ", ".join(f"{k}={v}" for k, v in sorted(settings.metadata.items())),
              "tags": settings.tagging or "", "acl": settings.acl or "",
              **{name.replace("_", " "): getattr(settings, name) or ""
                 for name in GRANT_SETTINGS},
              "requester pays": "yes" if settings.requesterpays else "",
              "restore": "yes" if settings.restore else ""}
    return {name: value for name, value in fields.items() if value}


def unavailable_reason(session: Session, annex: AnnexQueries) -> str | None:
    """Why the remote cannot be used now (AVAILABILITY UNAVAILABLE), or None.

    Unavailable: a clone with neither credentials nor a public URL, an endpoint that accepts
    no connection, a bucket in another region than configured. Anything else (a bad setting,
    403, a missing bucket) stays available, so that using it reports it."""
    try:
        settings = session.settings(annex)
        signed = session.can_sign(annex)
        base = public_base(settings)
        if not signed and not base and not settings.anonymous:
            return "no AWS credentials and no public URL"
        from git_annex_remote_s3py.store.open import connect_problem  # start-up time

        problem = connect_problem(base if base and not signed else
                                  settings.endpoint or urls.default_public_url(settings))
        if problem or not signed:
            return problem
        session.store(annex).exists()
    except (EndpointUnavailable, WrongRegion) as exc:
        return one_line(exc)
    except S3pyError:
        return None
    return None
