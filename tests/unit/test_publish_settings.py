"""s3py-publish reads the settings table: which recorded settings make another layout, their
defaults, and how a recorded value is spelled, as the remote itself reads them."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.config import object_location_settings
from git_annex_remote_s3py.publish.modes import MODES
from git_annex_remote_s3py.publish.options import Options
from git_annex_remote_s3py.publish.remotes import (
    default_of,
    existing_value,
    layout_keys,
    other_keys,
    wanted_config,
)


@pytest.mark.parametrize("mode", ["export", "key"])
def test_layout_and_other_settings(mode):
    wanted = wanted_config(Options(bucket="b-1", mode=MODES[mode]), "ds/")
    assert layout_keys(wanted) == ["type", "externaltype", "encryption", "bucket", "fileprefix",
                                   "exporttree", "endpoint"]
    assert other_keys(wanted) == ["public", "publicurl", "bucketversioning"]
    assert set(layout_keys(wanted)) - {"type", "externaltype", "encryption", "exporttree"} \
        <= set(object_location_settings())


def test_defaults_come_from_the_table():
    wanted = wanted_config(Options(bucket="b-1"), "ds/")
    assert {k: default_of(k) for k in wanted if default_of(k)} == {
        "exporttree": "no", "public": "no", "bucketversioning": "no"}
    assert default_of("autoenable") == default_of("type") == ""


@pytest.mark.parametrize("recorded, key, spelled", [
    ({}, "public", "no"),
    ({}, "exporttree", "no"),
    ({"public": "true"}, "public", "yes"),
    ({"versioning": "yes"}, "bucketversioning", "yes"),  # a remote from before the rename
    ({"public": "On"}, "public", "yes"),
    ({"versioning": "0"}, "versioning", "no"),
    ({"public": "maybe"}, "public", "maybe"),
    ({"endpoint": "http://127.0.0.1:9000/"}, "endpoint", "http://127.0.0.1:9000"),
    ({"publicurl": "https://cdn.example.org/x/"}, "publicurl", "https://cdn.example.org/x"),
    ({"fileprefix": "1"}, "fileprefix", "1"),
    ({"encryption": "none"}, "encryption", "none"),
    ({}, "endpoint", ""),
])
def test_existing_value_as_the_remote_reads_it(recorded, key, spelled):
    assert existing_value(recorded, key) == spelled


def test_the_old_names_stay_importable():
    from git_annex_remote_s3py.publish import main as entry
    from git_annex_remote_s3py.publish.main import dataset_prefix, main, parse_version

    assert entry is main
    assert dataset_prefix("top", "sub one") == "top/sub one/"
    assert parse_version("10.20230126-3~bpo") == (10, 20230126)
