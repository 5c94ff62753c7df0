"""The request settings at the store: archived objects and restore=yes (moto
in-process), ListObjects v1, timeouts, the SSE-C key on copies and never in presigned URLs,
and requester pays on listings (moto's server behind the recording fault proxy)."""

from __future__ import annotations

import base64
import os

import boto3
import pytest
from moto import mock_aws
from support.faultproxy import FaultProxy, Rule
from support.handover import lean_off_reasons, watch_hand_overs
from support.stores import CREDS, opened, settings_for, signed

from git_annex_remote_s3py.config import LocalSettings, Settings
from git_annex_remote_s3py.errors import ConfigError, StorageError
from git_annex_remote_s3py.store.aws import ClientOptions
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.open import open_bucket

NAME = "p/SHA256E-s6--archived"


@pytest.fixture
def proxy(s3_server):
    proxy = FaultProxy(s3_server.endpoint).start()
    yield proxy
    proxy.stop()


def remote_bucket(settings: Settings, local: LocalSettings | None = None) -> Bucket:
    """The signed bucket a remote with ``settings`` opens (store/open.py), its engines
    (``.lean``, ``.client``) in reach."""
    return signed(open_bucket(settings, CREDS, local))


# -- archived objects ------------------------------------------------------------------------
@pytest.mark.parametrize("storage_class", ["GLACIER", "DEEP_ARCHIVE"])
def test_an_archived_object_is_restored_on_request(tmp_path, storage_class):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="b-1")
        client.put_object(Bucket="b-1", Key=NAME, Body=b"frozen", StorageClass=storage_class)
        target = str(tmp_path / "target")
        with pytest.raises(StorageError) as without:
            opened("b-1").get_file(NAME, target, lambda n: None)
        assert "archived" in str(without.value) and "restore=yes" in str(without.value)
        assert "Restore" not in client.head_object(Bucket="b-1", Key=NAME)

        restoring = opened("b-1", restore="yes")
        with pytest.raises(StorageError) as requested:
            restoring.get_file(NAME, target, lambda n: None)
        assert "restore requested" in str(requested.value) and "retry" in str(requested.value)
        assert "Restore" in client.head_object(Bucket="b-1", Key=NAME)  # S3 was asked
        assert restoring.get_file(NAME, target, lambda n: None) == 6  # moto restores at once
        assert open(target, "rb").read() == b"frozen"


# -- listings ----------------------------------------------------------------------------------
@pytest.mark.parametrize("version, v2_queries", [("1", 0), ("2", 1)])
def test_listversion_picks_the_listing_api(s3_server, proxy, bucket_name, version, v2_queries):
    s3_server.client().create_bucket(Bucket=bucket_name)
    for index in range(3):
        s3_server.client().put_object(Bucket=bucket_name, Key=f"p/k{index}", Body=b"x")
    bucket = remote_bucket(settings_for(bucket_name, proxy.endpoint, listversion=version))
    assert (bucket.lean is None) == (version == "1")  # v1: botocore sends every request
    mark = proxy.mark()
    assert [name for name, _, _ in bucket.list("p/")] == ["p/k0", "p/k1", "p/k2"]
    listings = [seen for seen in proxy.since(mark) if seen.method == "GET"]
    assert listings and sum("list-type=2" in seen.query for seen in listings) == v2_queries
    assert all("prefix=p" in seen.query for seen in listings)


def test_requester_pays_goes_with_listings_and_bucket_calls(s3_server, proxy, bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    s3_server.client().put_object(Bucket=bucket_name, Key="p/k", Body=b"x")
    bucket = remote_bucket(settings_for(bucket_name, proxy.endpoint, requesterpays="yes"))
    assert bucket.lean is None
    mark = proxy.mark()
    assert [name for name, _, _ in bucket.list("p/")] == ["p/k"]
    bucket.delete("p/k")
    seen = proxy.since(mark)
    assert {s.method for s in seen} == {"GET", "DELETE"}
    assert all(dict(s.amz_headers).get("x-amz-request-payer") == "requester" for s in seen)


# -- timeouts ----------------------------------------------------------------------------------
def test_readtimeout_bounds_a_stalled_answer(s3_server, proxy, bucket_name, caplog):
    watch_hand_overs(caplog)
    s3_server.client().create_bucket(Bucket=bucket_name)
    s3_server.client().put_object(Bucket=bucket_name, Key="p/k", Body=b"abc")
    settings = settings_for(bucket_name, proxy.endpoint, readtimeout="1", connecttimeout="2")
    bucket = remote_bucket(settings)
    proxy.set_rules(Rule("stall", method="HEAD", stall=30, limit=1))
    assert bucket.head("p/k").size == 3  # the lean HEAD gave up after 1 s; botocore's answered
    reasons = lean_off_reasons(caplog)
    assert bucket.lean is None and len(reasons) == 1 and "timeout" in reasons[0].lower()
    assert (bucket.client.meta.config.read_timeout,
            bucket.client.meta.config.connect_timeout) == (1.0, 2.0)


# -- SSE-C ---------------------------------------------------------------------------------------
def test_sse_c_needs_a_local_key_file(tmp_path):
    settings = settings_for("b-1", "http://127.0.0.1:9", sse="customer")
    with pytest.raises(ConfigError, match="s3py-sse-c-key-file"):
        ClientOptions.of(settings, LocalSettings())
    short = tmp_path / "short.key"
    short.write_bytes(b"too short")
    with pytest.raises(ConfigError, match="256-bit"):
        ClientOptions.of(settings, LocalSettings(sse_customer_key_file=str(short)))


def test_sse_c_key_goes_with_copies_and_never_into_a_presigned_url(s3_server, proxy, bucket_name,
                                                                   tmp_path):
    key = os.urandom(32)
    key_file = tmp_path / "key.b64"
    key_file.write_text(base64.b64encode(key).decode() + "\n")
    s3_server.client().create_bucket(Bucket=bucket_name)
    settings = settings_for(bucket_name, proxy.endpoint, sse="customer")
    bucket = remote_bucket(settings, LocalSettings(sse_customer_key_file=str(key_file)))
    assert bucket.lean is None
    source = tmp_path / "source"
    source.write_bytes(b"secret bytes\n")
    mark = proxy.mark()
    bucket.put_file("p/a", str(source), lambda n: None)
    bucket.copy("p/a", "p/b")
    sent_key = base64.b64encode(key).decode()
    for seen in proxy.since(mark):
        headers = dict(seen.amz_headers)
        assert headers["x-amz-server-side-encryption-customer-key"] == sent_key
    copies = [dict(s.amz_headers) for s in proxy.since(mark)
              if s.method == "PUT" and s.path.endswith("/p/b")]
    assert copies and all(h["x-amz-copy-source-server-side-encryption-customer-key"] == sent_key
                          for h in copies)
    url = bucket.presign("p/a", 60)
    assert sent_key not in url and "customer-key" not in url.lower()
