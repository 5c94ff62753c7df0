"""Key mode end to end: the real git-annex, s3py and moto's server on 127.0.0.1."""

from __future__ import annotations

import os

import pytest
from support.repos import TEST_SECRET, initremote, make_annex_repo, run

pytestmark = pytest.mark.e2e
MiB = 1024**2


def key_of(repo, env, path: str) -> str:
    return run(["git", "annex", "lookupkey", path], repo, env).stdout.strip()


def whereis_uuids(repo, env, path: str) -> str:
    return run(["git", "annex", "whereis", "--format=${uuid}\\n", path], repo, env,
               check=False).stdout


def test_copy_get_drop_fsck_and_a_lost_object(tmp_path, env, s3_server, bucket_name):
    files = {f"f{i}.dat": os.urandom(1000 + i) for i in range(3)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    init = run(["git", "annex", "--debug", "initremote", "s3", "type=external",
                "externaltype=s3py", f"bucket={bucket_name}", f"endpoint={s3_server.endpoint}",
                "encryption=none", "fileprefix=ds1/"], repo, env)
    run(["git", "annex", "enableremote", "s3"], repo, env)  # INITREMOTE again: idempotent
    copy = run(["git", "annex", "--debug", "copy", "--to", "s3", "-J3", "."], repo, env)
    for output in (init.stdout, init.stderr, copy.stdout, copy.stderr,
                   run(["git", "log", "-p", "git-annex"], repo, env).stdout):
        assert TEST_SECRET not in output
    stored = s3_server.objects(bucket_name, "ds1/")
    for name, data in files.items():
        assert stored[f"ds1/{key_of(repo, env, name)}"] == data
    run(["git", "annex", "drop", "-J3", "."], repo, env)
    run(["git", "annex", "get", "-J3", "."], repo, env)
    assert {name: (repo / name).read_bytes() for name in files} == files
    run(["git", "annex", "fsck", "--from", "s3", "-J3", "."], repo, env)

    lost = key_of(repo, env, "f0.dat")
    s3_server.client().delete_object(Bucket=bucket_name, Key=f"ds1/{lost}")
    run(["git", "annex", "drop", "--force", "f0.dat"], repo, env)
    get = run(["git", "annex", "--debug", "get", "f0.dat"], repo, env, check=False)
    assert get.returncode != 0
    assert f"DEBUG ObjectNotFound: retrieving ds1/{lost}" in get.stderr  # our DEBUG is shown
    fsck = run(["git", "annex", "fsck", "--from", "s3", "--fast", "."], repo, env, check=False)
    assert fsck.returncode != 0 and "f0.dat" in fsck.stdout + fsck.stderr
    remote_uuid = run(["git", "config", "remote.s3.annex-uuid"], repo, env).stdout.strip()
    assert remote_uuid not in whereis_uuids(repo, env, "f0.dat")
    assert remote_uuid in whereis_uuids(repo, env, "f1.dat")


def test_encrypted_chunked_roundtrip(tmp_path, env, s3_server, bucket_name):
    data = os.urandom(2 * MiB + MiB // 2)
    repo = make_annex_repo(tmp_path / "repo", env, {"big.bin": data})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=shared", "chunk=1MiB",
               "fileprefix=enc/")
    copy = run(["git", "annex", "--debug", "copy", "--to", "s3", "big.bin"], repo, env)
    assert TEST_SECRET not in copy.stdout + copy.stderr
    names = set(s3_server.objects(bucket_name, "enc/")) - {"enc/annex-uuid"}
    assert len(names) == 3 and all(n.startswith("enc/GPGHMAC") for n in names)
    run(["git", "annex", "drop", "big.bin"], repo, env)
    run(["git", "annex", "get", "big.bin"], repo, env)
    assert (repo / "big.bin").read_bytes() == data


def test_testremote_fast(tmp_path, env, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a": b"a"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none")
    run(["git", "annex", "testremote", "--fast", "s3"], repo, env)


def test_second_remote_refused_and_builtin_s3_reads_and_writes(tmp_path, env, s3_server,
                                                                bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"top.txt": b"top\n"})
    (repo / "sub").mkdir()
    (repo / "sub" / "w o r m.txt").write_bytes(b"worm key with a slash\n")
    run(["git", "annex", "add", "--backend=WORM", "sub"], repo, env)
    run(["git", "commit", "-q", "-m", "worm"], repo, env)
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=SAME/")
    refused = initremote(repo, env, "other", s3_server, bucket_name, "encryption=none",
                         "fileprefix=SAME/", check=False)
    assert refused.returncode != 0 and "fileprefix" in refused.stderr + refused.stdout

    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    worm = key_of(repo, env, "sub/w o r m.txt")
    assert "/" in worm and f"SAME/{worm}" in s3_server.objects(bucket_name, "SAME/")
    run(["git", "annex", "initremote", "builtin", "--sameas=s3", "type=S3", "encryption=none",
         f"bucket={bucket_name}", "host=127.0.0.1", f"port={s3_server.port}", "protocol=http",
         "requeststyle=path", "signature=v4", "datacenter=us-east-1", "fileprefix=SAME/"],
        repo, env)
    run(["git", "annex", "drop", "."], repo, env)
    run(["git", "annex", "get", "--from", "builtin", "."], repo, env)
    assert (repo / "top.txt").read_bytes() == b"top\n"
    assert (repo / "sub" / "w o r m.txt").read_bytes() == b"worm key with a slash\n"

    (repo / "new.txt").write_bytes(b"written by the built-in remote\n")
    run(["git", "annex", "add", "new.txt"], repo, env)
    run(["git", "annex", "copy", "--to", "builtin", "new.txt"], repo, env)
    assert f"SAME/{key_of(repo, env, 'new.txt')}" in s3_server.objects(bucket_name, "SAME/")
    run(["git", "annex", "drop", "new.txt"], repo, env)
    run(["git", "annex", "get", "--from", "s3", "new.txt"], repo, env)
    assert (repo / "new.txt").read_bytes() == b"written by the built-in remote\n"
