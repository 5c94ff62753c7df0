"""Pure functions: public base URLs and object URLs."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from .config import Settings

SAFE = "/-_.~"


def default_public_url(settings: Settings) -> str:
    """Where anonymous clients download the bucket from, with no trailing slash."""
    bucket = settings.bucket
    if settings.endpoint is None:
        region = settings.region_or_default
        if settings.requeststyle == "path":
            return f"https://s3.{region}.amazonaws.com/{bucket}"
        return f"https://{bucket}.s3.{region}.amazonaws.com"
    if settings.requeststyle == "path":
        return f"{settings.endpoint}/{bucket}"
    parts = urlsplit(settings.endpoint)
    return f"{parts.scheme}://{bucket}.{parts.netloc}"


def public_base_url(settings: Settings) -> str:
    return (settings.publicurl or default_public_url(settings)).rstrip("/")


def object_url(base_url: str, object_name: str, version_id: str | None = None) -> str:
    """URL of one object under ``base_url``, percent-escaped (spaces, unicode, ``?``, ``#``)."""
    url = f"{base_url.rstrip('/')}/{quote(object_name, safe=SAFE)}"
    if version_id:
        url += f"?versionId={quote(version_id, safe='')}"
    return url
