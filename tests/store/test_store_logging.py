"""The store logs (``logging``, logger ``git_annex_remote_s3py``), nobody polls it: one DEBUG
record when the lean path hands over, one per S3 request (method, object name, status), and
never a secret, a signature or a credential in any of them."""

from __future__ import annotations

import logging
import random

import pytest
from support.faultproxy import FaultProxy, Rule
from support.local_s3 import DUMMY_KEY, DUMMY_SECRET
from support.stores import opened, signed

from git_annex_remote_s3py.store.bucket import Bucket

PACKAGE = "git_annex_remote_s3py"
HAND_OVER = "botocore sends every request from now on"
SECRETS = (DUMMY_SECRET, DUMMY_KEY, "Signature=", "X-Amz-Credential", "X-Amz-Signature",
           "Authorization", "AWS4-HMAC-SHA256")


def remote_bucket(endpoint: str, name: str) -> Bucket:
    """The store as the remote opens it (store/open.py): lazy boto3 client, lean transport."""
    bucket = opened(name, endpoint, lean=True)
    assert signed(bucket).lean is not None
    return bucket


def ours(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name.startswith(PACKAGE)]


def assert_no_secret(messages: list[str]) -> None:
    for message in messages:
        for secret in SECRETS:
            assert secret not in message, message


@pytest.fixture
def proxy(s3_server):
    started = FaultProxy(s3_server.endpoint, seed=11).start()
    yield started
    started.stop()


def test_hand_over_is_logged_once_and_requests_each(s3_server, proxy, bucket_name, tmp_path,
                                                     caplog):
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    data = random.Random(5).randbytes(50_000)
    truth.put_object(Bucket=bucket_name, Key="k", Body=data)
    bucket = remote_bucket(proxy.endpoint, bucket_name)
    proxy.set_rules(Rule("503", method="GET", limit=1))
    target = tmp_path / "got"
    assert bucket.get_file("k", str(target), lambda n: None) == len(data)  # lean 503, botocore
    assert target.read_bytes() == data
    assert bucket.head("k").size == len(data)  # botocore from now on
    bucket.delete("k")
    messages = ours(caplog)
    hand_overs = [m for m in messages if HAND_OVER in m]
    assert hand_overs == [f"lean request path off (GET k: 503); {HAND_OVER}"]
    assert "S3 GET k (lean): 503" in messages
    assert "S3 GET k (GetObject): 200" in messages
    assert "S3 HEAD k (HeadObject): 200" in messages
    assert "S3 DELETE k (DeleteObject): 204" in messages
    assert not any("(lean)" in m for m in messages[messages.index(hand_overs[0]):])
    assert_no_secret(messages)
    assert "Contents" not in truth.list_objects_v2(Bucket=bucket_name)


def test_requests_are_logged_without_secrets(s3_server, bucket_name, tmp_path, caplog):
    """Lean requests on success and failure, botocore ones too (a presigned URL carries a
    signature and a credential: neither reaches a log record)."""
    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    s3_server.client().create_bucket(Bucket=bucket_name)
    bucket = remote_bucket(s3_server.endpoint, bucket_name)
    source = tmp_path / "src"
    source.write_bytes(b"logged bytes")
    bucket.put_file("dir/a b", str(source), lambda n: None)
    assert bucket.head("dir/a b").size == 12
    with pytest.raises(Exception) as caught:
        bucket.head("missing")
    assert type(caught.value).__name__ == "ObjectNotFound"
    url = bucket.presign("dir/a b", 60)
    assert "X-Amz-Signature" in url  # the URL has them; the records must not
    assert bucket.get_text("dir/a b") == "logged bytes"
    messages = ours(caplog)
    assert "S3 PUT dir/a b (lean): 200" in messages
    assert "S3 HEAD dir/a b (lean): 200" in messages
    assert "S3 HEAD missing (lean): 404" in messages
    assert "S3 GET dir/a b (GetObject): 200" in messages
    assert not any(HAND_OVER in m for m in messages)  # a clean 404 hands nothing over
    assert_no_secret(messages)


def test_connection_failures_are_logged(caplog):
    """Nothing listens: the lean failure, the hand-over, botocore's failure, no secret."""
    import socket

    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bucket = remote_bucket(f"http://127.0.0.1:{port}", "b-1")
    with pytest.raises(Exception) as caught:
        bucket.head("k")
    assert type(caught.value).__name__ == "EndpointUnavailable"
    messages = ours(caplog)
    assert "S3 HEAD k (lean): failed (HEAD: ConnectionRefusedError)" in messages
    assert f"lean request path off (HEAD: ConnectionRefusedError); {HAND_OVER}" in messages
    assert "S3 HEAD k (HeadObject): failed (EndpointConnectionError)" in messages
    assert_no_secret(messages)
