"""The checksum fallback (B1/B5): where a server refuses or mangles botocore's aws-chunked
uploads, ``Bucket`` removes any wrong object, retries once with the plain-body client and
keeps using it. The aws-chunked client is a moto client whose uploads are refused (a real
411 answer through botocore's parser) or stored with aws-chunked framing, as Ceph RGW 16 and
s3rver do over https (tests/e2e/test_server_fixes_e2e.py runs the real servers).

``Bucket`` is built here around two clients of the test's own, not opened by store/open.py:
the fault sits inside the clients, which open.py builds itself, and they calculate no request
checksum (with one, moto would refuse the mangled body by its CRC32 before the ETag check this
tests). tests/store/test_store_errors.py reaches the same fallback through open.py."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.store.boto.errors import not_s3_answer, refuses_chunked_upload
from git_annex_remote_s3py.store.bucket import Bucket

MiB = 1024**2
BUCKET = "b-1"
FRAMING = b"\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
MISSING_LENGTH = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingContentLength'
                  b"</Code><BucketName>b-1</BucketName></Error>")
UPLOADS = ("PutObject", "UploadPart")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body


def refuse(request, **_):
    """A 411 MissingContentLength answer, as Ceph RGW 16 gives to aws-chunked bodies."""
    return AWSResponse(request.url, 411, {"Content-Type": "application/xml",
                                          "x-amz-request-id": "tx1"}, _Raw(MISSING_LENGTH))


def mangle(params, **_):
    """Store the aws-chunked framing with the bytes, as s3rver does over https."""
    body = params["Body"]
    data = body if isinstance(body, bytes) else body.read()
    params["Body"] = f"{len(data):x}\r\n".encode() + data + FRAMING
    params.pop("ContentLength", None)


@pytest.fixture
def clients():
    """(aws-chunked-standing client, plain client) on one fresh moto bucket."""
    with mock_aws():
        session = boto3.session.Session()
        # no CRC32 header (moto would check it against the mangled body): the ETag check
        # is what catches a mangled object, as on s3rver, which echoes no checksum
        config = Config(request_checksum_calculation="when_required",
                        response_checksum_validation="when_required")
        chunked = session.client("s3", region_name="us-east-1", config=config)
        plain = session.client("s3", region_name="us-east-1", config=config)
        chunked.create_bucket(Bucket=BUCKET)
        yield chunked, plain


def misbehave(client, how: str) -> None:
    for operation in UPLOADS:
        if how == "refuse":
            client.meta.events.register_first(f"before-send.s3.{operation}", refuse)
        else:
            client.meta.events.register(f"before-parameter-build.s3.{operation}", mangle)


def stored(client, name: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=name)["Body"].read()


def names(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.mark.parametrize("how", ["refuse", "mangle"])
def test_marker_falls_back_to_plain_bodies(clients, how):
    chunked, plain = clients
    misbehave(chunked, how)
    bucket = Bucket(chunked, BUCKET, plain_client=plain)
    bucket.put_text("annex-uuid", "u-1")
    assert stored(plain, "annex-uuid") == b"u-1"
    assert bucket.client is plain and bucket.boto.client is plain
    expected = "411 MissingContentLength" if how == "refuse" else "other bytes than sent"
    assert expected in bucket.plain_uploads()
    bucket.put_text("second", "u-2")  # later uploads go plain at once
    assert stored(plain, "second") == b"u-2"


@pytest.mark.parametrize("how", ["refuse", "mangle"])
@pytest.mark.parametrize("size", [300_000, 6 * MiB])  # one botocore PUT; multipart
def test_file_upload_falls_back_and_stores_the_file(clients, tmp_path, how, size):
    chunked, plain = clients
    misbehave(chunked, how)
    bucket = Bucket(chunked, BUCKET, partsize=5 * MiB, plain_client=plain)
    data = os.urandom(size)
    (tmp_path / "f").write_bytes(data)
    info = bucket.put_file("k", str(tmp_path / "f"), lambda _: None)
    assert info.size == size
    assert stored(plain, "k") == data
    assert names(plain) == ["k"]
    assert bucket.plain_uploads()


@pytest.mark.parametrize("size", [300_000, 6 * MiB])
def test_mangled_upload_without_fallback_leaves_no_object(clients, tmp_path, size):
    """Plain bodies already (no fallback client): the wrong object is removed, the store
    fails."""
    chunked, _ = clients
    misbehave(chunked, "mangle")
    bucket = Bucket(chunked, BUCKET, partsize=5 * MiB)
    (tmp_path / "f").write_bytes(os.urandom(size))
    with pytest.raises(errors.IntegrityError, match="removed"):
        bucket.put_file("k", str(tmp_path / "f"), lambda _: None)
    with pytest.raises(errors.IntegrityError, match="removed"):
        bucket.put_text("annex-uuid", "u-1")
    assert names(chunked) == []
    assert bucket.plain_uploads() == ""


def test_refusal_without_fallback_is_raised(clients):
    chunked, _ = clients
    misbehave(chunked, "refuse")
    bucket = Bucket(chunked, BUCKET)
    with pytest.raises(errors.StorageError, match="411 MissingContentLength"):
        bucket.put_text("annex-uuid", "u-1")


def test_other_refusals_do_not_fall_back(clients):
    chunked, plain = clients
    bucket = Bucket(chunked, BUCKET, plain_client=plain)
    with pytest.raises(errors.StorageError, match=r"\(InvalidStorageClass\); set one the"):
        bucket.put_text("annex-uuid", "u-1", {"StorageClass": "NO_SUCH_CLASS"})
    assert bucket.plain_uploads() == "" and bucket.client is chunked


def client_error(status: int, code: str, message: str = "", operation: str = "PutObject",
                 headers: dict | None = None) -> ClientError:
    error = {"Code": code, "Message": message} if code else {}
    return ClientError({"Error": error, "ResponseMetadata": {
        "HTTPStatusCode": status, "HTTPHeaders": headers or {}}}, operation)


@pytest.mark.parametrize("error, refusal", [
    (client_error(411, "MissingContentLength"), "411 MissingContentLength"),
    (client_error(411, "411"), "411 411"),
    (client_error(400, "InvalidRequest", "x-amz-trailer is not supported"),
     "400 InvalidRequest"),
    (client_error(400, "XAmzContentSHA256Mismatch"), "400 XAmzContentSHA256Mismatch"),
    (client_error(400, "InvalidArgument", "Unsupported x-amz-checksum-crc32 header"),
     "400 InvalidArgument"),
    (client_error(501, "NotImplemented", "A header you provided implies functionality that "
                  "is not implemented"), "501 NotImplemented"),
    (client_error(400, "InvalidArgument", "invalid storage class"), None),
    (client_error(403, "AccessDenied"), None),
    (client_error(500, "InternalError"), None),
    (client_error(400, "BadDigest", "The Content-MD5 you specified did not match"), None),
])
def test_which_answers_refuse_aws_chunked_uploads(error, refusal):
    assert refuses_chunked_upload(error) == refusal
    wrapped = errors.StorageError("storing k: ...")
    wrapped.__cause__ = error
    assert refuses_chunked_upload(wrapped) == refusal


S3_HEADERS = {"x-amz-request-id": "tx1"}


@pytest.mark.parametrize("error, not_s3", [
    (client_error(501, "501", "Not Implemented"), True),  # a web server's HTML page
    (client_error(405, "405", "Method Not Allowed"), True),
    (client_error(404, "404", "Not Found", "GetObject"), True),
    (client_error(301, "301", "Moved Permanently", "HeadBucket"), True),
    (client_error(404, "404", "Not Found", "HeadObject"), False),  # S3's HEAD has no body
    (client_error(400, "400", "Bad Request", "HeadObject"), False),
    (client_error(403, "403", "Forbidden"), False),
    (client_error(503, "503", "Service Unavailable"), False),  # a gateway: retried
    (client_error(501, "501", "Not Implemented", headers=S3_HEADERS), False),
    (client_error(301, "301", "Moved", "HeadBucket", {"x-amz-bucket-region": "eu-west-1"}),
     False),
    (client_error(404, "NoSuchKey", "gone", "GetObject"), False),
    (client_error(501, "NotImplemented", "not implemented"), False),
])
def test_which_answers_are_not_s3(error, not_s3):
    assert not_s3_answer(error) is not_s3
