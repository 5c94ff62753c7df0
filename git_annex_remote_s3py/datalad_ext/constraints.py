"""Parameter constraints of the s3py DataLad commands: s3py's own checks (bucket names,
prefixes, URLs) as datalad-next ``Constraint`` objects, so that a bad value is one
parameter error before anything is touched."""

from __future__ import annotations

from typing import Callable

from datalad_next.constraints import Constraint

from git_annex_remote_s3py.config import check_bucket_name, parse_url
from git_annex_remote_s3py.datalad_ext.locations import BucketLocation, parse_s3_location
from git_annex_remote_s3py.errors import S3pyError
from git_annex_remote_s3py.naming import normalise_prefix
from git_annex_remote_s3py.publish.options import Shard, parse_shard


class _S3pyCheck(Constraint):
    """A value passed through one of s3py's parsers; its error message is the constraint's."""

    def __init__(self, check: Callable[[str], object], description: str) -> None:
        super().__init__()
        self._check, self._description = check, description

    def __call__(self, value):
        try:
            return self._check(value)
        except S3pyError as exc:
            self.raise_for(value, str(exc))

    def short_description(self) -> str:
        return self._description


def EnsureS3Location() -> Constraint:  # noqa: N802 (named as datalad-next's constraints)
    return _S3pyCheck(parse_s3_location, "s3://BUCKET[/PREFIX]")


def EnsureServiceURL(name: str) -> Constraint:  # noqa: N802
    return _S3pyCheck(lambda value: parse_url(name, value), "http(s)://HOST[:PORT][/PATH]")


def EnsureBucketName() -> Constraint:  # noqa: N802
    def check(value: str) -> str:
        check_bucket_name(value, f"--bucket {value!r}")
        return value

    return _S3pyCheck(check, "S3 bucket name")


def EnsurePrefix() -> Constraint:  # noqa: N802
    return _S3pyCheck(normalise_prefix, "prefix in the bucket")


class EnsureShard(Constraint):
    """``I/N`` or ``all/N`` (s3py-publish --shard) -> ``Shard``."""

    def __call__(self, value):
        if isinstance(value, Shard):
            return value
        try:
            return parse_shard(str(value))
        except ValueError as exc:
            self.raise_for(value, str(exc))

    def short_description(self) -> str:
        return "I/N"


__all__ = ["BucketLocation", "EnsureBucketName", "EnsurePrefix", "EnsureS3Location",
           "EnsureServiceURL", "EnsureShard"]
