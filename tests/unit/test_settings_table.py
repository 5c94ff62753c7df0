"""Each setting is declared once, as a row of config.SETTING_ROWS: the row alone makes the
Settings attribute, the LISTCONFIGS entry, the docs/settings.md line, the default and the
aliases. These tests hold every row to that."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from git_annex_remote_s3py.annex.remote import S3Remote
from git_annex_remote_s3py.config import (
    DEFAULT_PART_SIZE,
    SETTING_ROWS,
    SETTINGS_TABLE,
    UPLOAD_ROWS,
    Settings,
    load_settings,
    object_location_settings,
    setting_named,
    settings_markdown,
    unset_attributes,
    upload_args_of,
    upload_settings,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
BASE = {"bucket": "b-1"}
# A valid value for each row that another row's attribute is computed from, or that has aliases,
# with the settings it needs beside it.
SAMPLES = {
    "host": {"host": "h.example.org"},
    "port": {"host": "h.example.org", "port": "9000"},
    "protocol": {"host": "h.example.org", "protocol": "http"},
    "region": {"region": "EU"},
    "versioning": {"versioning": "yes"},  # the old name of bucketversioning, still read
}


def settings(**values: str) -> Settings:
    return load_settings(lambda name: {**BASE, **values}.get(name, ""))


def spellings() -> list[str]:
    return [name for row in SETTING_ROWS for name in (row.name, *row.aliases)]


def test_every_row_fills_one_settings_attribute_or_is_declared_input_only():
    attributes = [f.name for f in dataclasses.fields(Settings)]
    targets = [row.target for row in SETTING_ROWS if not row.input_only]
    assert attributes == targets and None not in targets
    assert len(set(attributes)) == len(attributes)


def test_each_written_out_default_is_what_its_row_gives_when_not_set():
    unset = unset_attributes()
    for field in dataclasses.fields(Settings):
        if field.name == "bucket":  # required: no default
            assert field.default is dataclasses.MISSING
            continue
        default = (field.default_factory() if field.default is dataclasses.MISSING
                   else field.default)
        assert default == unset[field.name], field.name


UPLOAD_OPERATIONS = ("PutObject", "CreateMultipartUpload", "CopyObject")


@pytest.mark.parametrize("operation", UPLOAD_OPERATIONS)
def test_the_upload_argument_column_names_botocore_parameters(operation):
    """As s3transfer checks its allow-lists against botocore's input shapes: each setting's
    upload argument is a parameter of every upload request botocore (or s3transfer) sends."""
    import botocore.session

    members = botocore.session.get_session().get_service_model("s3").operation_model(
        operation).input_shape.members
    assert [row.upload_argument for row in UPLOAD_ROWS
            if row.upload_argument not in members] == []


def test_a_refusal_names_every_setting_behind_the_refused_arguments():
    """acl= and x-amz-tagging= once gave "refuses uploads with  (...)": an empty list."""
    loaded = settings(acl="private", **{"x-amz-tagging": "a=1&b=2"}, metadata="p=1,q=2")
    args = upload_args_of(loaded)
    assert upload_settings(loaded, args) == "metadata=p=1,q=2 acl=private x-amz-tagging=a=1&b=2"
    assert upload_settings(loaded, {"ACL": "private"}) == "acl=private"


def test_the_etag_is_an_md5_except_under_sse_kms_or_sse_c():
    assert settings().etags_are_md5 and settings(sse="AES256").etags_are_md5
    assert not settings(sse="aws:kms").etags_are_md5
    assert not settings(sse="customer").etags_are_md5


def test_the_dataclass_defaults_are_what_an_unconfigured_remote_loads():
    assert Settings(bucket="b-1") == settings()
    assert settings().region_or_default == "us-east-1"
    assert settings(region="eu-west-2").region_or_default == "eu-west-2"


@pytest.mark.parametrize("row", [r for r in SETTING_ROWS if r.input_only], ids=lambda r: r.name)
def test_an_input_only_row_changes_the_attribute_it_feeds(row):
    assert row.name in SAMPLES, f"add a valid {row.name}= value to SAMPLES"
    assert settings(**SAMPLES[row.name]) != settings(**{k: v for k, v in SAMPLES[row.name].items()
                                                        if k != row.name})


def test_listconfigs_lists_every_shown_row_and_alias():
    listed = S3Remote(None).listconfigs()
    shown = [n for row in SETTING_ROWS if row.shown for n in (row.name, *row.aliases)]
    assert list(listed) == shown == [s.name for s in SETTINGS_TABLE]
    assert all(listed[row.name] == row.description for row in SETTING_ROWS if row.shown)
    hidden = [row.name for row in SETTING_ROWS if not row.shown]
    assert hidden == ["versioning", "exporttree"] and not set(hidden) & set(listed)


def test_settings_page_shows_every_row():
    page = (DOCS / "settings.md").read_text()
    assert settings_markdown() in page, "run `make docs` to regenerate docs/settings.md"
    for row in SETTING_ROWS:
        if row.shown:
            assert f"| `{row.name}` | {row.default} | {row.description} |" in page
            assert all(f"| `{alias}` |" in page for alias in row.aliases)
        else:  # git-annex's own setting or an old name, named in the text under the table
            assert f"`{row.name}`" in page.split("<!-- settings-table:end -->")[1]


@pytest.mark.parametrize("row", [r for r in SETTING_ROWS if r.default], ids=lambda r: r.name)
def test_a_default_parses_to_the_attribute_of_an_unconfigured_remote(row):
    value = row.parse(row.name, row.default)
    if row.derive is None and row.target is not None:
        assert getattr(settings(), row.target) == value
    assert settings(**{row.name: row.default}) == settings()


def test_one_part_size_default():
    assert settings().partsize == DEFAULT_PART_SIZE == 64 * 1024**2
    assert setting_named("partsize").default == "64MiB"


@pytest.mark.parametrize("row", [r for r in SETTING_ROWS if r.aliases], ids=lambda r: r.name)
def test_an_alias_reads_as_its_setting(row):
    assert row.name in SAMPLES, f"add a valid {row.name}= value to SAMPLES"
    value = SAMPLES[row.name][row.name]
    by_name = settings(**{row.name: value})
    assert by_name != settings()
    for alias in row.aliases:
        assert setting_named(alias) is row
        assert settings(**{alias: value}) == by_name
        # the setting's own name wins over an alias
        assert settings(**{row.name: value, alias: "ap-south-1"}) == by_name


def test_datacenter_is_the_alias_of_region():
    assert setting_named("datacenter") is setting_named("region")
    assert settings(datacenter="US").region == "us-east-1"


def test_every_spelling_is_declared_once():
    assert len(spellings()) == len(set(spellings()))
    assert setting_named("bukket") is None


def test_object_location_settings_come_from_the_rows_flag():
    assert set(object_location_settings()) == {
        "bucket", "fileprefix", "endpoint", "host", "port", "protocol", "requeststyle",
        "region", "datacenter"}
    assert object_location_settings() == tuple(
        n for row in SETTING_ROWS if row.changes_object_location for n in (row.name, *row.aliases))


def test_every_spelling_is_read_through_getconfig_once():
    asked: list[str] = []
    load_settings(lambda name: (asked.append(name), BASE.get(name, ""))[1])
    assert asked == spellings()
