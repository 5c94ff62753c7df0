"""``bucketversioning``, the setting once called ``versioning`` (a name git-annex 10.20261026
reserves): the new name is listed, the old one still read from older remotes' remote.log."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.annex.remote import S3Remote
from git_annex_remote_s3py.config import load_settings
from git_annex_remote_s3py.errors import ConfigError


def settings(**values: str):
    return load_settings(lambda name: values.get(name, ""))


@pytest.mark.parametrize("values, expected", [
    ({"bucketversioning": "yes"}, True),
    ({"versioning": "yes"}, True),  # a remote set up before the rename
    ({"versioning": "no"}, False),
    ({}, False),
])
def test_both_names_are_read(values, expected):
    assert settings(bucket="b-1", **values).versioning is expected


def test_old_name_with_bad_value_names_it():
    with pytest.raises(ConfigError, match="versioning='sometimes'"):
        settings(bucket="b-1", versioning="sometimes")


def test_only_the_new_name_is_listed():
    """git-annex refuses ``initremote ... versioning=yes`` once the name is not listed."""
    listed = S3Remote.listconfigs(None)  # a plain table lookup, no git-annex needed
    assert "bucketversioning" in listed and "versioning" not in listed
