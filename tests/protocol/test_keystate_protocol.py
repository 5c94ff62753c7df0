"""An upload records its ETag (GETSTATE/SETSTATE) only where ``verify`` needs it: not for an
object that proves its key by itself (an MD5E key in one part with its MD5 as ETag, a SHA256E
key whose SHA-256 the server answered with), and for a multipart object, an upload sent
without the SHA-256 (``checksums=when_required``) and a key without a hash (WORM). On moto,
over the real pipes."""

from __future__ import annotations

import hashlib
import os

import pytest
from support.pipes import RemotePipe, annex_key, without_debug

MiB = 1024**2


def md5e_key(data: bytes) -> str:
    return f"MD5E-s{len(data)}--{hashlib.md5(data).hexdigest()}.bin"


def worm_key(data: bytes) -> str:
    return f"WORM-s{len(data)}-m1700000000--file.bin"


@pytest.mark.parametrize("make_key, size, settings, recorded", [
    (md5e_key, 1000, {}, None),  # one PUT: the ETag is the key's MD5
    (annex_key, 1000, {}, None),  # SHA256E: moto answers with the SHA-256 sent
    (annex_key, 6 * MiB, {}, "-2"),  # multipart: the ETag is no MD5, no SHA-256 kept
    (md5e_key, 6 * MiB, {}, "-2"),
    (annex_key, 1000, {"checksums": "when_required"}, "md5"),  # no SHA-256 sent
    (worm_key, 1000, {}, "md5"),  # no hash in the key
], ids=["md5e", "sha256e-echoed", "sha256e-multipart", "md5e-multipart",
        "sha256e-not-sent", "worm"])
def test_setstate_only_where_verify_needs_it(env, annex_dir, s3_server, bucket_name,
                                             tmp_path, make_key, size, settings, recorded):
    annex = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                             "partsize": "5MiB", **settings}, annex_dir)
    assert annex.transcript("EXTENSIONS INFO GETGITREMOTENAME") == ["EXTENSIONS INFO"]
    assert annex.transcript("INITREMOTE")[-1] == "INITREMOTE-SUCCESS"
    assert annex.transcript("PREPARE") == ["PREPARE-SUCCESS"]
    data = os.urandom(size)
    key = make_key(data)
    source = tmp_path / "source"
    source.write_bytes(data)
    stored = without_debug(annex.transcript(f"TRANSFER STORE {key} {source}"))
    assert stored[-1] == f"TRANSFER-SUCCESS STORE {key}"
    assert s3_server.objects(bucket_name, "")[key] == data
    states = [line for line in annex.seen if line.split(" ", 1)[0] in ("GETSTATE", "SETSTATE")]
    if recorded is None:
        assert states == []
        return
    [setstate] = [line for line in stored if line.startswith("SETSTATE ")]
    etag = s3_server.client().head_object(Bucket=bucket_name, Key=key)["ETag"].strip('"')
    prefix = f'SETSTATE {key} {{"uploaded":{{"{key}":"'
    assert setstate.startswith(prefix) and setstate.endswith('"}}')
    value = setstate[len(prefix):-3]
    if recorded == "md5":
        assert value == hashlib.md5(data).hexdigest()
    else:
        assert value.endswith(recorded) and len(value) == 32 + len(recorded)
    assert value == etag
    assert states == [f"GETSTATE {key}", setstate]
