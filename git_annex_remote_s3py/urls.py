"""Pure functions: public base URLs and object URLs."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from git_annex_remote_s3py.config import Settings

SAFE = "/-_.~"


def default_public_url(settings: Settings) -> str:
    """Where anonymous clients download the bucket from, with no trailing slash.

    On AWS without a known region, virtual-hosted URLs use the global name
    ``BUCKET.s3.amazonaws.com``, which DNS routes to the bucket's region wherever it is.
    """
    bucket = settings.bucket
    if settings.endpoint is None:
        region = settings.region_or_default
        if settings.requeststyle == "path":
            return f"https://s3.{region}.amazonaws.com/{bucket}"
        if settings.region is None:
            return f"https://{bucket}.s3.amazonaws.com"
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


def public_read_policy(bucket: str, prefix: str, versioning: bool = False) -> dict:
    """A bucket policy letting anybody GET the objects under ``prefix`` (ACLs not needed);
    with ``versioning``, their older versions too (the ``?versionId=`` URLs)."""
    actions = ["s3:GetObject", "s3:GetObjectVersion"] if versioning else "s3:GetObject"
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicReadForGitAnnex",
            "Effect": "Allow",
            "Principal": "*",
            "Action": actions,
            "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
        }],
    }


VERSION_URI_SCHEME = "s3py://"


def version_uri_prefix(uuid: str, bucket: str) -> str:
    """What every version URI of one remote (by git-annex UUID) in one bucket starts with."""
    return f"{VERSION_URI_SCHEME}{uuid}@{bucket}/"


def version_uri(uuid: str, bucket: str, object_name: str, version_id: str) -> str:
    """``s3py://UUID@BUCKET/OBJECT?versionId=V``: one version stored by the remote UUID."""
    return object_url(version_uri_prefix(uuid, bucket), object_name, version_id)


def parse_version_uri(uri: str) -> tuple[str, str, str, str] | None:
    """(uuid, bucket, object name, version ID) of a ``version_uri``, or None."""
    if not uri.startswith(VERSION_URI_SCHEME):
        return None
    path, sep, query = uri[len(VERSION_URI_SCHEME):].partition("?versionId=")
    owner, slash, name = path.partition("/")
    uuid, at, bucket = owner.partition("@")
    if not (sep and slash and at and uuid and bucket and name and query):
        return None
    return uuid, bucket, unquote(name), unquote(query)
