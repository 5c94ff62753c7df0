"""``verify`` on every server of the suite (moto, Ceph RGW 16 and s3rver over http and https,
Swift s3api with SLO multipart objects): what each server keeps decides how a key is proven
(the SHA-256 checksum where the server keeps it, the MD5 ETag of MD5E keys, else the ETag s3py
recorded at its checked upload: Ceph 16, s3rver and Swift ignore x-amz-checksum-sha256), and
an object another client rewrites with other bytes of the same size is named corrupt (where
the server kept the SHA-256 and so no ETag was recorded: present, and corrupt once
``--download`` hashes it)."""

from __future__ import annotations

import json
import os

import pytest
from support.repos import initremote, make_annex_repo, run
from support.server_fixtures import server_params

MiB = 1024**2


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_verify_on_every_server(tmp_path, env, s3, bucket_name):
    check_a_remote(tmp_path, env, s3, bucket_name)


@pytest.mark.parametrize("s3", server_params(names=("ceph-http", "ceph-https")),
                         indirect=True)
def test_verify_with_plain_uploads_on_ceph(tmp_path, env, s3, bucket_name):
    """checksums=when_required: no checksum header at all (the fallback for servers that
    refuse them); the recorded ETags still prove every upload."""
    check_a_remote(tmp_path, env, s3, bucket_name, "checksums=when_required")


def check_a_remote(tmp_path, env, s3, bucket_name, *settings: str) -> None:
    env = s3.env(env)
    files = {"small.dat": os.urandom(5000), "big.bin": os.urandom(6 * MiB)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    (repo / "md5.dat").write_bytes(os.urandom(4000))
    run(["git", "annex", "add", "-q", "--backend=MD5E", "md5.dat"], repo, env)
    run(["git", "commit", "-q", "-m", "md5"], repo, env)
    initremote(repo, env, "s3", s3, bucket_name, "encryption=none", "partsize=5MiB",
               *settings)
    run(["git", "annex", "copy", "-q", "--to", "s3", "-J2", "."], repo, env)
    done = run(["git-annex-remote-s3py", "verify", "--json"], repo, env, check=False)
    found = {r["file"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert done.returncode == 0, done.stdout + done.stderr
    assert {f: r["status"] for f, r in found.items()} == {
        "small.dat": "verified", "big.bin": "verified", "md5.dat": "verified"}, found
    assert "MD5" in found["md5.dat"]["reason"]
    assert "s3py checked at upload" in found["big.bin"]["reason"]  # multipart (SLO on Swift)
    kept_sha256 = "SHA-256 checksum" in found["small.dat"]["reason"]  # else: recorded ETag
    assert kept_sha256 or "s3py checked at upload" in found["small.dat"]["reason"]
    for path, size in (("small.dat", 5000), ("md5.dat", 4000)):
        key = run(["git", "annex", "lookupkey", path], repo, env).stdout.strip()
        s3.client().put_object(Bucket=bucket_name, Key=key, Body=os.urandom(size))
    again = run(["git-annex-remote-s3py", "verify", "--json", "small.dat", "md5.dat"], repo,
                env, check=False)
    found = {r["file"]: r for r in map(json.loads, again.stdout.splitlines())}
    assert again.returncode == 1 and found["md5.dat"]["status"] == "corrupt", found
    if not kept_sha256:  # the recorded ETag names the rewrite
        assert found["small.dat"]["status"] == "corrupt", found
        return
    # no ETag recorded (the server kept the SHA-256): the rewrite lost it, nothing to compare;
    # the download sample hashes the bytes
    assert found["small.dat"]["status"] == "present", found
    assert "no SHA-256 checksum stored" in found["small.dat"]["reason"]
    sampled = run(["git-annex-remote-s3py", "verify", "--json", "--download", "1",
                   "small.dat"], repo, env, check=False)
    (record,) = map(json.loads, sampled.stdout.splitlines())
    assert (sampled.returncode, record["status"]) == (1, "corrupt"), record
