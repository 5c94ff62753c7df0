"""The signed store (``store.open.open_bucket``, as a remote opens it; botocore's requests,
the lean engine off) against moto in-process, and botocore's Stubber for the error table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws
from support.stores import opened, signed, stub

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.store.bucket import Bucket

MiB = 1024**2
NAME = "ds1/SHA256E-s11--abc"


@pytest.fixture
def moto_bucket():
    """The store on a fresh moto bucket (partsize 5 MiB) and its botocore client (for the
    test's own requests, and its events show the store's)."""
    with mock_aws():
        bucket = opened("b-1", partsize="5MiB")
        client = signed(bucket).client
        client.create_bucket(Bucket="b-1")
        yield bucket, client


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# -- against moto --------------------------------------------------------------------------------
def test_put_get_roundtrip_reports_progress(moto_bucket, tmp_path):
    bucket, client = moto_bucket
    data = os.urandom(300_000)
    sent, received = [], []
    info = bucket.put_file(NAME, write(tmp_path / "src", data), sent.append)
    assert client.get_object(Bucket="b-1", Key=NAME)["Body"].read() == data
    assert info.size == len(data) and sent[-1] == len(data) and sent == sorted(sent)
    dest = tmp_path / "dest"
    assert bucket.get_file(NAME, str(dest), received.append) == len(data)
    assert dest.read_bytes() == data and received[-1] == len(data)


def sent_ranges(client) -> list[str]:
    """The Range header (bytes) of every GET the client sends from now on."""
    ranges: list[str] = []
    client.meta.events.register("before-send.s3.GetObject",
                                lambda request, **_: ranges.append(request.headers.get("Range")))
    return ranges


def test_resumed_get_asks_only_for_the_rest(moto_bucket, tmp_path):
    bucket, client = moto_bucket
    data = os.urandom(100_000)
    client.put_object(Bucket="b-1", Key=NAME, Body=data)
    dest = write(tmp_path / "dest", data[:40_000])
    ranges, received = sent_ranges(client), []
    assert bucket.get_file(NAME, dest, received.append) == len(data)
    assert Path(dest).read_bytes() == data
    assert ranges == [b"bytes=40000-"]
    assert received[0] > 40_000 and received[-1] == len(data)


def test_resumed_get_from_a_corrupt_partial_file_starts_over(moto_bucket, tmp_path):
    bucket, client = moto_bucket
    data = os.urandom(100_000)
    client.put_object(Bucket="b-1", Key=NAME, Body=data)
    dest = write(tmp_path / "dest", bytes(40_000))  # not the object's first bytes
    with pytest.raises(errors.IntegrityError):
        bucket.get_file(NAME, dest, lambda n: None)
    assert Path(dest).stat().st_size == 0
    assert bucket.get_file(NAME, dest, lambda n: None) == len(data)
    assert Path(dest).read_bytes() == data


def test_resumed_get_of_a_complete_file(moto_bucket, tmp_path):
    bucket, client = moto_bucket
    data = b"complete"
    client.put_object(Bucket="b-1", Key=NAME, Body=data)
    dest = write(tmp_path / "dest", data)
    assert bucket.get_file(NAME, dest, lambda n: None) == len(data)
    assert Path(dest).read_bytes() == data


def test_multipart_upload(moto_bucket, tmp_path):
    bucket, client = moto_bucket
    data = os.urandom(11 * MiB + 123)
    sent: list[int] = []
    info = bucket.put_file(NAME, write(tmp_path / "big", data), sent.append)
    assert info.size == len(data) and info.etag.endswith("-3")  # three parts
    assert client.get_object(Bucket="b-1", Key=NAME)["Body"].read() == data
    assert max(sent) == len(data)
    assert bucket.list_uploads("ds1/") == []


def test_failed_multipart_upload_is_aborted(moto_bucket, tmp_path):
    bucket, client = moto_bucket

    def break_second_part(params, **_):
        if params.get("PartNumber") == 2:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    client.meta.events.register("before-parameter-build.s3.UploadPart", break_second_part)
    with pytest.raises(errors.EndpointUnavailable):
        bucket.put_file(NAME, write(tmp_path / "big", os.urandom(11 * MiB)), lambda n: None)
    assert bucket.list_uploads("") == []
    assert "Contents" not in client.list_objects_v2(Bucket="b-1")


def test_head(moto_bucket):
    bucket, client = moto_bucket
    client.put_object(Bucket="b-1", Key=NAME, Body=b"hello")
    info = bucket.head(NAME)
    assert (info.size, info.etag) == (5, "5d41402abc4b2a76b9719d911017c592")
    with pytest.raises(errors.ObjectNotFound):
        bucket.head("ds1/missing")


def test_head_in_missing_bucket():
    with mock_aws():
        with pytest.raises(errors.BucketNotFound):
            opened("no-such-bucket").head(NAME)


def test_delete_is_idempotent(moto_bucket):
    bucket, client = moto_bucket
    client.put_object(Bucket="b-1", Key=NAME, Body=b"x")
    bucket.delete(NAME)
    bucket.delete(NAME)
    assert "Contents" not in client.list_objects_v2(Bucket="b-1")


def test_list_under_prefix(moto_bucket):
    bucket, client = moto_bucket
    for name, body in [("ds1/a", b"1"), ("ds1/sub/b", b"22"), ("ds2/c", b"333")]:
        client.put_object(Bucket="b-1", Key=name, Body=body)
    listed = {name: size for name, size, _ in bucket.list("ds1/")}
    assert listed == {"ds1/a": 1, "ds1/sub/b": 2}
    assert len(list(bucket.list(""))) == 3


def test_copy(moto_bucket):
    bucket, client = moto_bucket
    client.put_object(Bucket="b-1", Key="p/old name", Body=b"content", Metadata={"m": "1"})
    bucket.copy("p/old name", "p/new name ")
    copied = client.get_object(Bucket="b-1", Key="p/new name ")
    assert copied["Body"].read() == b"content" and copied["Metadata"] == {"m": "1"}


def test_abandoned_uploads_and_abort(moto_bucket):
    bucket, client = moto_bucket
    ours = client.create_multipart_upload(Bucket="b-1", Key="ds1/k")["UploadId"]
    client.create_multipart_upload(Bucket="b-1", Key="other/k")
    found = bucket.list_uploads("ds1/")
    assert [(upload.name, upload.upload_id) for upload in found] == [("ds1/k", ours)]
    bucket.abort_upload(found[0])
    assert bucket.list_uploads("ds1/") == []
    assert [upload.name for upload in bucket.list_uploads("")] == ["other/k"]


def test_create_and_exists():
    with mock_aws():
        bucket = opened("new-bucket")
        assert bucket.exists() is False
        bucket.create("us-east-1")
        bucket.create("us-east-1")  # already ours: fine
        assert bucket.exists() is True


def test_text_objects(moto_bucket):
    bucket, _ = moto_bucket
    bucket.put_text("ds1/annex-uuid", "u-1")
    assert bucket.get_text("ds1/annex-uuid") == "u-1"
    with pytest.raises(errors.ObjectNotFound):
        bucket.get_text("ds1/nothing")


def test_text_written_only_if_absent_leaves_what_is_there(moto_bucket):
    """``If-None-Match: *`` (moto honours it): the second writer gets ``AlreadyExists`` and
    the first writer's object stays as it was."""
    bucket, client = moto_bucket
    bucket.put_text("ds1/annex-uuid", "u-1", if_absent=True)
    with pytest.raises(errors.AlreadyExists):
        bucket.put_text("ds1/annex-uuid", "u-2", if_absent=True)
    assert client.get_object(Bucket="b-1", Key="ds1/annex-uuid")["Body"].read() == b"u-1"


def test_text_read_back_from_another_writer_is_left(moto_bucket, monkeypatch):
    """A server that ignores the condition (s3rver): another writer's text read back after
    our PUT is ``AlreadyExists``, and that object is not removed."""
    bucket, client = moto_bucket
    client.put_object(Bucket="b-1", Key="ds1/annex-uuid", Body=b"u-1")
    # the PUT "overwritten"
    monkeypatch.setattr(signed(bucket).boto, "put_text", lambda *args: None)
    with pytest.raises(errors.AlreadyExists):
        bucket.put_text("ds1/annex-uuid", "u-2", if_absent=True)
    assert client.get_object(Bucket="b-1", Key="ds1/annex-uuid")["Body"].read() == b"u-1"


# -- the error table, with botocore's Stubber ----------------------------------------------------
def stubbed(calls: list[tuple[str, dict]]) -> tuple[Bucket, Any]:
    """A store whose botocore client answers ``calls`` in order: (method, error or
    response)."""
    bucket = opened("b-1", "http://127.0.0.1:1")
    stubber = stub(bucket)
    for method, answer in calls:
        if "code" in answer:
            stubber.add_client_error(method, service_error_code=answer["code"],
                                     http_status_code=answer["status"],
                                     response_meta=answer.get("meta"))
        else:
            stubber.add_response(method, answer)
    return bucket, stubber


def err(code: str, status: int, **meta) -> dict:
    return {"code": code, "status": status, "meta": {"HTTPHeaders": meta} if meta else None}


HEAD_CASES = [  # (stubbed answers, error type, words in the message)
    ([("head_object", err("403", 403))], errors.AccessDenied, "ListBucket"),
    ([("head_object", err("404", 404)), ("head_bucket", {})], errors.ObjectNotFound,
     "not found"),
    ([("head_object", err("404", 404)), ("head_bucket", err("404", 404))],
     errors.BucketNotFound, "b-1"),
    ([("head_object", err("301", 301, **{"x-amz-bucket-region": "eu-west-2"}))],
     errors.WrongRegion, "region=eu-west-2"),
    ([("head_object", err("PermanentRedirect", 301))], errors.WrongRegion, "region="),
    ([("head_object", err("AuthorizationHeaderMalformed", 400))], errors.WrongRegion,
     "region="),
    ([("head_object", err("500", 500))], errors.EndpointUnavailable, "500"),
    ([("head_object", err("SlowDown", 503))], errors.EndpointUnavailable, "503"),
    ([("head_object", err("InvalidAccessKeyId", 403))], errors.AccessDenied,
     "AWS_ACCESS_KEY_ID"),
    ([("head_object", err("SignatureDoesNotMatch", 403))], errors.AccessDenied,
     "AWS_SECRET_ACCESS_KEY"),
    ([("head_object", {"ContentLength": 5})], errors.NotAnS3Endpoint, "endpoint="),
]


@pytest.mark.parametrize("calls, error, words", HEAD_CASES)
def test_head_errors(calls, error, words):
    bucket, stubber = stubbed(calls)
    with pytest.raises(error) as caught:
        bucket.head(NAME)
    assert type(caught.value) is error
    assert words in str(caught.value) and "\n" not in str(caught.value)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("method, calls, error", [
    ("delete", [("delete_object", err("AccessDenied", 403))], errors.AccessDenied),
    ("get", [("get_object", err("NoSuchKey", 404))], errors.ObjectNotFound),
    ("get", [("get_object", err("NoSuchBucket", 404))], errors.BucketNotFound),
    ("get", [("get_object", err("ServiceUnavailable", 503))], errors.EndpointUnavailable),
    ("put", [("put_object", err("ExpiredToken", 400))], errors.AccessDenied),
])
def test_other_operation_errors(method, calls, error, tmp_path):
    bucket, _ = stubbed(calls)
    path = str(tmp_path / "file")
    Path(path).write_bytes(b"abc") if method == "put" else None
    action = {"delete": lambda: bucket.delete(NAME),
              "get": lambda: bucket.get_file(NAME, path, lambda n: None),
              "put": lambda: bucket.put_file(NAME, path, lambda n: None)}[method]
    with pytest.raises(error):
        action()


def test_no_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    chain = Credentials(None, None, None, "the AWS chain")
    with pytest.raises(errors.CredentialsMissing, match="AWS_ACCESS_KEY_ID"):
        opened("b-1", "http://127.0.0.1:1", creds=chain).head(NAME)


def test_put_without_etag_is_not_s3(tmp_path):
    bucket, _ = stubbed([("put_object", {})])
    with pytest.raises(errors.NotAnS3Endpoint, match="ETag"):
        bucket.put_file(NAME, write(tmp_path / "f", b"abc"), lambda n: None)


def test_put_with_wrong_etag_fails_and_removes(tmp_path):
    bucket, stubber = stubbed([("put_object", {"ETag": '"00000000000000000000000000000000"'}),
                               ("delete_object", {})])
    with pytest.raises(errors.IntegrityError, match="removed"):
        bucket.put_file(NAME, write(tmp_path / "f", b"abc"), lambda n: None)
    stubber.assert_no_pending_responses()


def test_put_with_right_etag(tmp_path):
    bucket, _ = stubbed([("put_object", {"ETag": '"900150983cd24fb0d6963f7d28e17f72"'})])
    info = bucket.put_file(NAME, write(tmp_path / "f", b"abc"), lambda n: None)
    assert (info.size, info.etag) == (3, "900150983cd24fb0d6963f7d28e17f72")


def test_missing_local_file(moto_bucket, tmp_path):
    bucket, _ = moto_bucket
    with pytest.raises(errors.LocalFileError):
        bucket.put_file(NAME, str(tmp_path / "absent"), lambda n: None)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_bucket_region_is_reported(region):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        kwargs = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket="b-region", **kwargs)
        assert opened("b-region").region() == region
