"""Uploads of SHA256 keys carry the key's SHA-256 as the object's checksum, on the lean path
and botocore's: the server keeps it (``describe`` shows it, ``verify`` compares it). (AWS also
refuses bytes that do not match it; moto stores the checksum it is given unchecked, Ceph RGW 16
ignores it.)"""

from __future__ import annotations

import hashlib
import random

import pytest
from support.stores import opened

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.store.lean import objects


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "botocore"])
@pytest.mark.parametrize("small", [True, False], ids=["read-whole", "streamed"])
def test_sha256_is_sent_and_kept(s3_server, bucket_name, tmp_path, monkeypatch,
                                                lean, small):
    if not small:  # above the lean path's small-file size: no pass over the file before it
        monkeypatch.setattr(objects, "LEAN_SMALL_BYTES", 1000)
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    bucket = opened(bucket_name, s3_server.endpoint, lean=lean)
    data = random.Random(2).randbytes(5000)
    source = tmp_path / "src"
    source.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    stored = bucket.put_file("good", str(source), lambda _: None, None, digest)
    assert (stored.sha256_hex, stored.md5_hex) == (digest, hashlib.md5(data).hexdigest())
    assert bucket.describe("good").sha256_hex == digest  # the answer the upload's echo foretold
    assert truth.get_object(Bucket=bucket_name, Key="good")["Body"].read() == data
    with pytest.raises(errors.ObjectNotFound):
        bucket.describe("missing")
