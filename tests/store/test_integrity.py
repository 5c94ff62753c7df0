"""The one checksum policy (store/integrity.py): which ETags are MD5s to check, when a
partial download is whole, whether a single PUT stored the file sent."""

from __future__ import annotations

import hashlib

import pytest

from git_annex_remote_s3py.store import integrity
from git_annex_remote_s3py.store.integrity import Encryption, Stored

MD5 = hashlib.md5(b"abc").hexdigest()


@pytest.mark.parametrize("etag, encryption, verify, expected", [
    (f'"{MD5.upper()}"', Encryption(), True, MD5),
    (f'"{MD5}-3"', Encryption(), True, None),  # a multipart upload's ETag
    ("not-an-md5", Encryption(), True, None),
    (MD5, Encryption(kms=True), True, None),
    (MD5, Encryption(customer_key=True), True, None),
    (MD5, Encryption(), False, None),
    (None, Encryption(), True, None),
])
def test_checkable_md5(etag, encryption, verify, expected):
    assert integrity.checkable_md5(etag, encryption, verify) == expected


def test_encryption_from_botocore_answers_and_raw_headers():
    assert Encryption.of_answer({"ServerSideEncryption": "aws:kms"}).kms
    assert Encryption.of_answer({"SSEKMSKeyId": "arn:k"}).kms
    assert Encryption.of_answer({"SSECustomerAlgorithm": "AES256"}).customer_key
    assert Encryption.of_answer({"ServerSideEncryption": "AES256"}) == Encryption()
    assert Encryption.of_headers({"x-amz-server-side-encryption": "aws:kms:dsse"}).kms
    assert Encryption.of_headers(
        {"x-amz-server-side-encryption-customer-algorithm": "AES256"}).customer_key


def test_partial_download_whole_or_emptied(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert integrity.partial_is_whole(str(path), 3, 3) and path.read_bytes() == b"abc"
    assert not integrity.partial_is_whole(str(path), 3, 5)
    assert path.read_bytes() == b""  # the next download starts over


def test_stored_is_sent(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    plain = Encryption()
    assert integrity.stored_is_sent(Stored(MD5, None, plain, False), str(path))
    assert not integrity.stored_is_sent(Stored("0" * 32, None, plain, False), str(path))
    assert not integrity.stored_is_sent(Stored("odd", None, plain, False), str(path))
    assert integrity.stored_is_sent(Stored("0" * 32, None, plain, True), str(path))  # CRC echoed
    assert integrity.stored_is_sent(Stored("0" * 32, None, Encryption(kms=True), False),
                                    str(path))
    assert not integrity.stored_is_sent(Stored(MD5, None, plain, False, "1" * 32), str(path))
