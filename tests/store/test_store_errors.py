"""Storage errors that used to read wrong or leave a wrong object behind: a multipart upload
the server holds at another size, a failed multipart upload (s3transfer's wrapper), Ceph's
QuotaExceeded, a secret key that does not match, an untrusted TLS certificate. The store is
opened as a remote opens it (``support.stores``: ``store.open.open_bucket``)."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from support.stores import on_every_client, opened, signed, stub
from support.stub_http import QuietHandler, stub_server, url

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.store.bucket import Bucket

MiB = 1024**2
NAME = "ds1/SHA256E-s11--abc"


@pytest.fixture
def moto_bucket():
    """The store (part size 5 MiB) on a fresh moto bucket, and its botocore client."""
    with mock_aws():
        bucket = opened("b-1", partsize="5MiB")
        client = signed(bucket).client
        client.create_bucket(Bucket="b-1")
        yield bucket, client


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


# -- (a) a multipart upload stored at another size is removed ------------------------------------
def head_says_one_byte_more(client) -> None:
    """Every HEAD of ``client`` reports one byte more than the server holds."""

    def lie(parsed, **_):
        if "ContentLength" in parsed:
            parsed["ContentLength"] += 1

    client.meta.events.register("after-call.s3.HeadObject", lie)


def test_multipart_upload_of_the_wrong_size_is_removed(moto_bucket, tmp_path):
    """Removed, sent once more with plain bodies (the checksum fallback: other bytes stored
    may be the aws-chunked framing), removed again, and the store fails."""
    bucket, client = moto_bucket
    on_every_client(bucket, head_says_one_byte_more)
    source = write(tmp_path / "big", os.urandom(11 * MiB))
    with pytest.raises(errors.IntegrityError) as caught:
        bucket.put_file(NAME, source, lambda n: None)
    assert "the server stored other bytes" in bucket.plain_uploads()
    assert "removed" in str(caught.value) and "bytes" in str(caught.value)
    assert "Contents" not in client.list_objects_v2(Bucket="b-1")  # nothing stays
    assert client.list_multipart_uploads(Bucket="b-1").get("Uploads", []) == []


# -- (b) a failed multipart upload is classified like every S3 error -----------------------------
def answer_upload_part_with(client, code: str, status: int) -> None:
    """UploadPart answers ``status``/``code`` (as Stubber does: a response instead of sending)."""

    def refuse(**_):
        return (AWSResponse("http://s3/", status, {}, None),
                {"Error": {"Code": code, "Message": "refused"},
                 "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}}})

    client.meta.events.register("before-call.s3.UploadPart", refuse)


@pytest.mark.parametrize("code, status, error, words", [
    ("AccessDenied", 403, errors.AccessDenied, "access denied"),
    ("InternalError", 500, errors.EndpointUnavailable, "server error 500"),
])
def test_failed_multipart_upload_is_classified(moto_bucket, tmp_path, code, status, error,
                                               words):
    bucket, client = moto_bucket
    answer_upload_part_with(client, code, status)
    with pytest.raises(error) as caught:
        bucket.put_file(NAME, write(tmp_path / "big", os.urandom(11 * MiB)), lambda n: None)
    message = str(caught.value)
    assert type(caught.value) is error and words in message
    assert "S3UploadFailedError" not in message and "\n" not in message
    assert message.startswith(f"storing {NAME}")
    assert bucket.list_uploads("") == []  # s3transfer aborted it
    assert "Contents" not in client.list_objects_v2(Bucket="b-1")


# -- (c), (d): codes with their own message ------------------------------------------------------
def stubbed(method: str, code: str, status: int) -> tuple[Bucket, Any]:
    bucket = opened("b-1", "http://127.0.0.1:1")
    stubber = stub(bucket)
    stubber.add_client_error(method, service_error_code=code, http_status_code=status)
    return bucket, stubber


def test_quota_exceeded_names_the_quota(tmp_path):
    bucket, stubber = stubbed("put_object", "QuotaExceeded", 403)
    with pytest.raises(errors.QuotaExceeded) as caught:
        bucket.put_file(NAME, write(tmp_path / "f", b"abc"), lambda n: None)
    message = str(caught.value)
    assert "quota" in message and "QuotaExceeded" in message and "b-1" in message
    assert "permissions" not in message and "\n" not in message
    assert isinstance(caught.value, errors.StorageError)
    assert not isinstance(caught.value, errors.AccessDenied)  # not retried without the ACL
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("code, says, names", [
    ("SignatureDoesNotMatch", "the secret key does not match the access key",
     "AWS_SECRET_ACCESS_KEY"),
    ("InvalidAccessKeyId", "the access key is unknown to the server", "AWS_ACCESS_KEY_ID"),
])
def test_wrong_keys_say_which_key(code, says, names):
    bucket, stubber = stubbed("head_object", code, 403)
    with pytest.raises(errors.AccessDenied) as caught:
        bucket.head(NAME)
    message = str(caught.value)
    assert says in message and names in message and "enableremote" in message
    other = {"AWS_SECRET_ACCESS_KEY": "unknown to the server",
             "AWS_ACCESS_KEY_ID": "does not match"}[names]
    assert other not in message
    stubber.assert_no_pending_responses()


def test_a_bogus_session_token_names_aws_session_token():
    bucket, stubber = stubbed("head_object", "InvalidToken", 400)
    with pytest.raises(errors.AccessDenied) as caught:
        bucket.head(NAME)
    assert "(InvalidToken); set a current AWS_SESSION_TOKEN" in str(caught.value)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("status, code, said", [
    (403, "SignatureDoesNotMatch", "(SignatureDoesNotMatch); set the right AWS_SECRET_ACCESS_KEY"),
    (400, "InvalidToken", "(InvalidToken); set a current AWS_SESSION_TOKEN"),
    (403, "AccessDenied", "access denied by bucket b-1 (AccessDenied)"),
])
def test_a_bare_head_refusal_is_explained_by_one_get(status, code, said):
    """A HEAD's 403/400 has no body (botocore names the status as the code): one GET of the
    object's first byte asks again, and its error body names the cause."""
    bucket = opened("b-1", "http://127.0.0.1:1")
    stubber = stub(bucket)
    stubber.add_client_error("head_object", service_error_code=str(status),
                             http_status_code=status)
    stubber.add_client_error("get_object", service_error_code=code, http_status_code=status,
                             expected_params={"Bucket": "b-1", "Key": NAME,
                                              "Range": "bytes=0-0"})
    with pytest.raises(errors.StorageError) as caught:
        bucket.head(NAME)
    assert said in str(caught.value)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("status, code, said_again", [
    (403, "SignatureDoesNotMatch", "(SignatureDoesNotMatch); set the right AWS_SECRET_ACCESS_KEY"),
    (400, "InvalidToken", "(InvalidToken); set a current AWS_SESSION_TOKEN"),
    (403, "AccessDenied", "access denied by bucket b-1 (403)"),
])
def test_a_bare_head_refusal_is_explained_once_per_process(status, code, said_again):
    """The second bare refusal costs its HEAD only: a cause of the credentials explains it
    (naming the second object), any other first answer leaves it bare."""
    bucket = opened("b-1", "http://127.0.0.1:1")
    stubber = stub(bucket)
    stubber.add_client_error("head_object", service_error_code=str(status),
                             http_status_code=status)
    stubber.add_client_error("get_object", service_error_code=code, http_status_code=status)
    stubber.add_client_error("head_object", service_error_code=str(status),
                             http_status_code=status,
                             expected_params={"Bucket": "b-1", "Key": "other"})
    with pytest.raises(errors.StorageError):
        bucket.head(NAME)
    with pytest.raises(errors.StorageError) as caught:
        bucket.head("other")
    assert said_again in str(caught.value) and "checking other" in str(caught.value)
    stubber.assert_no_pending_responses()


def test_a_refused_storage_class_names_the_setting(tmp_path):
    bucket, stubber = stubbed("put_object", "InvalidStorageClass", 400)
    with pytest.raises(errors.StorageError) as caught:
        bucket.put_file(NAME, write(tmp_path / "f", b"abc"), lambda n: None)
    assert "(InvalidStorageClass); set one the server offers" in str(caught.value)
    assert "storageclass=" in str(caught.value)
    stubber.assert_no_pending_responses()


# -- (e) an untrusted TLS certificate names AWS_CA_BUNDLE ----------------------------------------
def self_signed(directory: Path) -> tuple[str, str]:
    """(certificate, key) files of a fresh self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class Quiet(QuietHandler):
    def do_HEAD(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 whose certificate no default CA store trusts."""
    cert, key = self_signed(tmp_path)
    with stub_server(Quiet, tls=(cert, key)) as server:
        yield url(server), cert


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "botocore"])
def test_untrusted_certificate_names_the_ca_bundle(tls_server, lean):
    endpoint, _cert = tls_server
    with pytest.raises(errors.EndpointUnavailable) as caught:
        opened("b-1", endpoint, lean=lean, connecttimeout="5", readtimeout="5").head(NAME)
    message = str(caught.value)
    assert "the server's TLS certificate is not trusted" in message
    assert "AWS_CA_BUNDLE=PATH" in message and "self-signed" in message
    assert "cannot reach" not in message and "\n" not in message


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "botocore"])
def test_trusted_certificate_reaches_the_server(tls_server, lean, monkeypatch):
    """The same server with its certificate given as the CA: no TLS error (the fix works)."""
    endpoint, cert = tls_server
    monkeypatch.setenv("AWS_CA_BUNDLE", cert)
    with pytest.raises(errors.NotAnS3Endpoint):  # it answers, but not like S3
        opened("b-1", endpoint, lean=lean, connecttimeout="5", readtimeout="5").head(NAME)
