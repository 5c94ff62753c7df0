"""Where a dataset lives in a bucket, as URLs: ``s3://BUCKET[/PREFIX]`` (what the user types),
the ``datalad-annex::`` URL git and ``datalad clone`` use (the repository deposit of s3py's
key layout under the dataset's prefix), and the rules that turn the first into the second."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote

from git_annex_remote_s3py.config import check_bucket_name
from git_annex_remote_s3py.errors import ConfigError
from git_annex_remote_s3py.naming import normalise_prefix

# datalad-annex:: runs `git annex initremote origin` with these (datalad_next.gitremotes).
DEPOSIT_REMOTE = "datalad-annex::?type=external&externaltype=s3py&encryption=none"
S3_URL = re.compile(r"^s3://(?P<bucket>[^/?#]+)(?:/(?P<prefix>[^?#]*))?$")

# datalad.clone.url-substitute.* series (first character: the separator): s3://BUCKET/PREFIX
# (AWS) and s3+http(s)://HOST[:PORT]/BUCKET/PREFIX (any other endpoint, path-style) become
# the deposit URL; without credentials reads go to the bucket's public URL.
CLONE_URL_RULES = {
    "s3py": (
        r",^s3://([^/?#]+)/*([^?#]*?)/*$,"
        + DEPOSIT_REMOTE + r"&bucket=\1&publicurl=https://\1.s3.amazonaws.com&fileprefix=\2/",
        r",&fileprefix=/$,&fileprefix=",
    ),
    "s3py-endpoint": (
        r",^s3\+(https?)://([^/?#]+)/([^/?#]+)/*([^?#]*?)/*$,"
        + DEPOSIT_REMOTE + r"&bucket=\3&endpoint=\1://\2&publicurl=\1://\2/\3&fileprefix=\4/",
        r",&fileprefix=/$,&fileprefix=",
    ),
}


@dataclass(frozen=True)
class BucketLocation:
    """A bucket and the prefix (normalised: "" or ending in "/") a dataset hierarchy goes to."""

    bucket: str
    prefix: str


def parse_s3_location(url: str) -> BucketLocation:
    """``s3://BUCKET[/PREFIX]`` -> bucket and prefix; ``ConfigError`` naming the fix."""
    found = S3_URL.match(url or "")
    if not found:
        raise ConfigError(f"{url!r} is not s3://BUCKET[/PREFIX]: give the bucket as "
                          "s3://BUCKET or s3://BUCKET/PREFIX (the endpoint goes to --endpoint)")
    bucket = found.group("bucket")
    check_bucket_name(bucket, f"bucket {bucket!r} of {url}")
    return BucketLocation(bucket, normalise_prefix(found.group("prefix") or ""))


def _value(text: str) -> str:
    """A parameter value in the URL's query (datalad-annex:: unquotes each one)."""
    return quote(text, safe="/:")


def deposit_url(bucket: str, fileprefix: str, endpoint: Optional[str] = None,
                region: Optional[str] = None, public: bool = False,
                publicurl: Optional[str] = None) -> str:
    """The ``datalad-annex::`` URL of the dataset whose objects are under ``fileprefix``.

    ``fileprefix`` comes last, so that appending ``SUBPATH/`` names a subdataset
    (``subdataset_template``). No credential is ever part of it."""
    params = [("bucket", bucket), ("endpoint", (endpoint or "").rstrip("/")),
              ("region", region or ""), ("public", "yes" if public else ""),
              ("publicurl", (publicurl or "").rstrip("/"))]
    query = "".join(f"&{name}={_value(value)}" for name, value in params if value)
    return f"{DEPOSIT_REMOTE}{query}&fileprefix={_value(fileprefix)}"


def subdataset_template(dataset_deposit_url: str) -> str:
    """A ``datalad.get.subdataset-source-candidate`` template: the deposit URL of each
    subdataset, under the dataset's prefix at the subdataset's path."""
    return dataset_deposit_url + "{path}/"
