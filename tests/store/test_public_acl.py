"""The public-ACL fallback of the store (store/bucket.py ``_with_public_acl``), through the store
as production opens it (store/open.py) behind the fault proxy: a bucket refusing ``x-amz-acl``
gets the object without it, the store says why once, and later uploads and copies go without
asking again."""

from __future__ import annotations

import pytest
from support.faultproxy import Rule
from support.local_s3 import DUMMY_KEY, DUMMY_SECRET

from git_annex_remote_s3py.config import load_settings
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.errors import AccessDenied
from git_annex_remote_s3py.store.open import open_bucket


def opened(endpoint: str, bucket: str, public: str = "yes"):
    texts = {"bucket": bucket, "endpoint": endpoint, "public": public}
    return open_bucket(load_settings(lambda name: texts.get(name, "")),
                       Credentials(DUMMY_KEY, DUMMY_SECRET, None, "test"))


@pytest.mark.parametrize("refusal, why", [("400-acl", "ACLs disabled"),
                                          ("403", "403: Block Public Access")])
def test_a_refused_public_acl_is_dropped_once_and_for_all(tmp_path, s3_server, s3_proxy,
                                                          bucket_name, refusal, why):
    s3_server.client().create_bucket(Bucket=bucket_name)
    s3_proxy.set_rules(Rule(refusal, header="x-amz-acl"))
    store = opened(s3_proxy.endpoint, bucket_name)
    source = tmp_path / "f"
    source.write_bytes(b"public bytes\n")
    assert store.public_acl_refused() == ""
    store.put_file("a", str(source), lambda _: None)
    assert store.public_acl_refused().startswith(why)
    mark = s3_proxy.mark()
    store.put_file("b", str(source), lambda _: None)
    store.copy("b", "c")
    assert [seen.acl for seen in s3_proxy.since(mark) if seen.method == "PUT"] == [None, None]
    truth = s3_server.client()
    assert {name: truth.get_object(Bucket=bucket_name, Key=name)["Body"].read()
            for name in "abc"} == {name: b"public bytes\n" for name in "abc"}


def test_a_bucket_taking_the_acl_keeps_getting_it(tmp_path, s3_server, s3_proxy, bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    store = opened(s3_proxy.endpoint, bucket_name)
    source = tmp_path / "f"
    source.write_bytes(b"x")
    store.put_file("a", str(source), lambda _: None)
    store.copy("a", "b")
    assert [seen.acl for seen in s3_proxy.requests if seen.method == "PUT"] == [
        "public-read", "public-read"]
    assert store.public_acl_refused() == ""


def test_a_403_without_public_is_no_acl_refusal(tmp_path, s3_server, s3_proxy, bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    s3_proxy.set_rules(Rule("403", method="PUT"))
    store = opened(s3_proxy.endpoint, bucket_name, public="no")
    source = tmp_path / "f"
    source.write_bytes(b"x")
    with pytest.raises(AccessDenied):
        store.put_file("a", str(source), lambda _: None)
    assert store.public_acl_refused() == ""
