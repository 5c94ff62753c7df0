"""``datalad addurls`` with s3:// URLs: DataLad hands them to ``git annex addurl``, the s3py
remote claims and fetches them (the same path as tests/e2e/test_s3url_e2e.py), and the
dataset records where each file came from."""

from __future__ import annotations

import csv
import hashlib

import pytest
from support.repos import run
from support.s3data import OBJECTS, PREFIX, SHA_BODY, SHA_NAME, fill_bucket

pytestmark = pytest.mark.datalad


def test_datalad_addurls_with_s3_urls(tmp_path, env, s3_server, s3_proxy, bucket_name):
    client = s3_server.client()
    fill_bucket(client, bucket_name, versioned=True)
    version = client.head_object(Bucket=bucket_name, Key=PREFIX + SHA_NAME)["VersionId"]
    client.put_object(Bucket=bucket_name, Key=PREFIX + SHA_NAME, Body=b"a later version")
    ds = tmp_path / "ds"
    run(["datalad", "create", str(ds)], tmp_path, env)
    run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
         "encryption=none", f"bucket={bucket_name}-own", f"endpoint={s3_proxy.endpoint}"],
        ds, env)
    table = tmp_path / "table.csv"
    rows = [{"url": f"s3://{bucket_name}/{PREFIX}plain.txt", "file": "inputs/plain.txt"},
            {"url": f"s3://{bucket_name}/{PREFIX}{SHA_NAME}?versionId={version}",
             "file": "inputs/pinned.bin"}]
    with table.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["url", "file"])
        writer.writeheader()
        writer.writerows(rows)
    done = run(["datalad", "addurls", str(table), "{url}", "{file}"], ds, env)
    assert "addurls" in done.stdout + done.stderr
    assert (ds / "inputs/plain.txt").read_bytes() == OBJECTS["plain.txt"]
    assert (ds / "inputs/pinned.bin").read_bytes() == SHA_BODY  # the pinned version
    key = run(["git", "annex", "lookupkey", "inputs/pinned.bin"], ds, env).stdout.strip()
    assert key == f"MD5E-s{len(SHA_BODY)}--{hashlib.md5(SHA_BODY).hexdigest()}.bin"  # DataLad's
    assert run(["git", "status", "--porcelain"], ds, env).stdout == ""  # saved
    whereis = run(["git", "annex", "whereis", "inputs/pinned.bin"], ds, env).stdout
    assert f"versionId={version}" in whereis
