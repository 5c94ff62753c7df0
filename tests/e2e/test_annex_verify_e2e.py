"""annex-verify=false on an s3py remote still refuses wrong bytes (docs/benchmarks.md).

git-annex checks the checksum of every hashing key (SHA256E, MD5E...) an external special
remote retrieves, whatever annex-verify says (its "verifiable keys secure" policy for external
remotes); annex-verify=false only makes it check after the download instead of tailing the
file while it arrives, which is what costs 13-18 ms on about a third of small files. The docs
recommend the setting for many small files on the strength of these tests.
"""

from __future__ import annotations

import random

import pytest
from support.repos import initremote, make_annex_repo, run

from git_annex_remote_s3py.naming import key_object_name

PREFIX = "v/"


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


@pytest.mark.parametrize("how", ["git config", "git -c"])
def test_wrong_bytes_are_refused_with_annex_verify_false(tmp_path, env, s3_server, bucket_name,
                                                         how):
    files = {"a.bin": random.Random(3).randbytes(30_000), "b.txt": b"small and right\n"}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", f"fileprefix={PREFIX}")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    key = run(["git", "annex", "lookupkey", "a.bin"], repo, env).stdout.strip()
    name = key_object_name(PREFIX, key)
    client = s3_server.client()
    # Other bytes of the same size under the key's object, behind git-annex's back; its ETag
    # is their MD5, so nothing in the store's own checks objects.
    client.put_object(Bucket=bucket_name, Key=name, Body=flip_last_byte(files["a.bin"]))
    run(["git", "annex", "drop", "--force", "."], repo, env)
    if how == "git config":
        run(["git", "config", "remote.s3.annex-verify", "false"], repo, env)
        get = ["git", "annex", "get", "--from", "s3"]
    else:
        get = ["git", "-c", "remote.s3.annex-verify=false", "annex", "get", "--from", "s3"]

    result = run([*get, "a.bin", "b.txt"], repo, env, check=False)
    assert result.returncode != 0
    assert "Verification of content failed" in result.stderr
    assert not (repo / "a.bin").exists()  # the symlink dangles: the wrong bytes were not taken
    assert (repo / "b.txt").read_bytes() == files["b.txt"]

    client.put_object(Bucket=bucket_name, Key=name, Body=files["a.bin"])
    run([*get, "a.bin"], repo, env)
    assert (repo / "a.bin").read_bytes() == files["a.bin"]


def test_a_wrong_chunk_is_refused_with_annex_verify_false(tmp_path, env, s3_server,
                                                          bucket_name):
    files = {"a.bin": random.Random(4).randbytes(5_000)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", f"fileprefix={PREFIX}",
               "chunk=1KiB")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    run(["git", "config", "annex.verify", "false"], repo, env)
    client = s3_server.client()
    second = [o["Key"] for o in client.list_objects_v2(Bucket=bucket_name, Prefix=PREFIX)[
        "Contents"] if "-C2--" in o["Key"]]
    assert len(second) == 1
    chunk = client.get_object(Bucket=bucket_name, Key=second[0])["Body"].read()
    client.put_object(Bucket=bucket_name, Key=second[0], Body=flip_last_byte(chunk))
    run(["git", "annex", "drop", "--force", "."], repo, env)

    result = run(["git", "annex", "get", "a.bin"], repo, env, check=False)
    assert result.returncode != 0
    assert "Verification of content failed" in result.stderr
    assert not (repo / "a.bin").exists()
