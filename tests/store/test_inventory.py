"""store/boto/inventory.py against moto in-process: the current objects of plain and versioned
buckets, what a HEAD says about ETags that are no MD5 (SSE-KMS, multipart) and SHA-256
checksums, and a streamed hash that refuses changed content."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from moto import mock_aws

from git_annex_remote_s3py.errors import IntegrityError, ObjectNotFound, StorageError
from git_annex_remote_s3py.store.boto import inventory


@pytest.fixture
def client():
    with mock_aws():
        made = boto3.client("s3", region_name="us-east-1")
        made.create_bucket(Bucket="b-1")
        yield made


def test_listing_of_a_plain_bucket_has_no_versions(client):
    client.put_object(Bucket="b-1", Key="p/a", Body=b"a")
    client.put_object(Bucket="b-1", Key="q/b", Body=b"b")
    assert [(i.name, i.size, i.etag, i.version_id) for i in
            inventory.list_current(client, "b-1", "p/")] == [
        ("p/a", 1, hashlib.md5(b"a").hexdigest(), None)]


def test_listing_of_a_versioned_bucket_gives_current_versions_only(client):
    client.put_bucket_versioning(Bucket="b-1", VersioningConfiguration={"Status": "Enabled"})
    client.put_object(Bucket="b-1", Key="p/a", Body=b"old")
    latest = client.put_object(Bucket="b-1", Key="p/a", Body=b"new")["VersionId"]
    client.put_object(Bucket="b-1", Key="p/gone", Body=b"x")
    client.delete_object(Bucket="b-1", Key="p/gone")  # a delete marker: not content
    listed = list(inventory.list_current(client, "b-1", "p/"))
    assert [(i.name, i.etag, i.version_id) for i in listed] == [
        ("p/a", hashlib.md5(b"new").hexdigest(), latest)]


def test_describe_md5_only_where_the_etag_is_one(client):
    client.put_object(Bucket="b-1", Key="plain", Body=b"plain")
    client.put_object(Bucket="b-1", Key="kms", Body=b"kms", ServerSideEncryption="aws:kms")
    client.put_object(Bucket="b-1", Key="sha", Body=b"sha", ChecksumAlgorithm="SHA256")
    assert inventory.describe(client, "b-1", "plain").md5_hex() == hashlib.md5(b"plain").hexdigest()
    assert inventory.describe(client, "b-1", "kms").md5_hex() is None
    assert inventory.describe(client, "b-1", "sha").sha256_hex == hashlib.sha256(b"sha").hexdigest()
    with pytest.raises(ObjectNotFound):
        inventory.describe(client, "b-1", "missing")


def test_stream_sha256_refuses_other_content(client):
    etag = client.put_object(Bucket="b-1", Key="o", Body=b"first")["ETag"].strip('"')
    assert inventory.stream_sha256(client, "b-1", "o", None, etag) == (
        hashlib.sha256(b"first").hexdigest(), 5)
    client.put_object(Bucket="b-1", Key="o", Body=b"second")
    with pytest.raises((IntegrityError, StorageError)):
        inventory.stream_sha256(client, "b-1", "o", None, etag)
