"""RENAMEEXPORT's server-side copy (``Store.copy`` of the store a remote opens, store/open.py)
against moto in-process."""

from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws
from support.stores import opened

MiB = 1024**2
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.mark.parametrize("size", [100, 6 * MiB], ids=["single", "multipart"])
def test_copy_keeps_metadata_storage_class_and_acl(size):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="b-1")
        bucket = opened("b-1", partsize="5MiB", storageclass="STANDARD_IA", metadata="m=1")
        data = os.urandom(size)
        client.put_object(Bucket="b-1", Key="t/ old", Body=data, Metadata={"m": "1"},
                          StorageClass="STANDARD_IA")
        bucket.copy("t/ old", "t/new ", {"ACL": "public-read"})
        copied = client.get_object(Bucket="b-1", Key="t/new ")
        assert copied["Body"].read() == data
        assert copied["Metadata"] == {"m": "1"}
        assert copied.get("StorageClass") == "STANDARD_IA"
        grants = client.get_object_acl(Bucket="b-1", Key="t/new ")["Grants"]
        assert any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ"
                   for g in grants)
