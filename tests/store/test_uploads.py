"""Multipart uploads against moto in-process: the store's listing and abort of them, the age
filter of the sweep (``commands.cleanup_uploads``), and the registry of this process's own open
uploads (store/boto/uploads.py)."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from moto import mock_aws
from support.stores import opened, signed

from git_annex_remote_s3py.commands import parse_age, split_by_age
from git_annex_remote_s3py.errors import ConfigError
from git_annex_remote_s3py.store.base import Upload
from git_annex_remote_s3py.store.boto.uploads import StoppingError
from git_annex_remote_s3py.store.bucket import Bucket

MiB = 1024**2


@pytest.fixture
def bucket():
    """The signed bucket a remote opens (store/open.py; partsize 5 MiB) on a fresh moto
    bucket: the registry of open uploads and the client are its own, behind the cache."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="bkt")
        yield signed(opened("bkt", partsize="5MiB"))


def open_ids(bucket: Bucket) -> set[str]:
    answer = bucket.client.list_multipart_uploads(Bucket="bkt")
    return {upload["UploadId"] for upload in answer.get("Uploads", [])}


def test_only_uploads_older_than_the_threshold_are_swept(bucket):
    ours = bucket.client.create_multipart_upload(Bucket="bkt", Key="ds1/a")["UploadId"]
    bucket.client.create_multipart_upload(Bucket="bkt", Key="ds1/b")
    other = bucket.client.create_multipart_upload(Bucket="bkt", Key="ds2/c")["UploadId"]
    found = bucket.list_uploads("ds1/")
    assert sorted(u.name for u in found) == ["ds1/a", "ds1/b"]
    begun = {u.name: u.initiated for u in found}
    now = begun["ds1/a"] + timedelta(hours=25)
    found = [u if u.name == "ds1/a" else Upload(u.name, u.upload_id, now)
             for u in found]  # ds1/b begun just now
    old, young = split_by_age(found, parse_age("24h"), now)
    assert [u.name for u in old] == ["ds1/a"] and [u.name for u in young] == ["ds1/b"]
    old, young = split_by_age(found, parse_age("2d"), now)
    assert old == [] and len(young) == 2
    bucket.abort_upload([u for u in found if u.name == "ds1/a"][0])
    assert ours not in open_ids(bucket) and other in open_ids(bucket)
    assert len(open_ids(bucket)) == 2


@pytest.mark.parametrize("text,seconds", [("24h", 86400), ("90m", 5400), ("2d", 172800),
                                          ("3600s", 3600), ("0s", 0)])
def test_ages(text, seconds):
    assert parse_age(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["24", "1w", "-1h", "h", "1.5h", ""])
def test_bad_ages_name_the_fix(text):
    with pytest.raises(ConfigError, match="24h, 90m, 2d, 3600s"):
        parse_age(text)


def test_registry_follows_uploads_and_aborts_the_open_ones(bucket, tmp_path):
    registry = bucket.in_flight
    source = tmp_path / "big"
    source.write_bytes(b"x" * (6 * MiB))
    bucket.put_file("ds1/done", str(source), lambda _: None)  # watch()es the client
    assert registry.open_uploads() == []  # completed
    client = bucket.client
    first = client.create_multipart_upload(Bucket="bkt", Key="ds1/open1")["UploadId"]
    second = client.create_multipart_upload(Bucket="bkt", Key="ds1/open2")["UploadId"]
    client.abort_multipart_upload(Bucket="bkt", Key="ds1/open2", UploadId=second)
    assert registry.open_uploads() == [("bkt", "ds1/open1", first)]
    someone_elses = boto3.client("s3", region_name="us-east-1").create_multipart_upload(
        Bucket="bkt", Key="ds1/theirs")["UploadId"]
    assert registry.abort_all(client, within=5) == 1
    assert open_ids(bucket) == {someone_elses}
    with pytest.raises(StoppingError):  # stopping: nothing new begins
        client.create_multipart_upload(Bucket="bkt", Key="ds1/late")
