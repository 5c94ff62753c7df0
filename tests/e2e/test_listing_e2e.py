"""CHECKPRESENT through the real git-annex, one HEAD per key: fsck of 40 keys finds objects
deleted or replaced behind git-annex's back, asks no key twice, and copy restores them."""

from __future__ import annotations

from collections import Counter

from support.repos import initremote, make_annex_repo, run

from git_annex_remote_s3py.naming import key_object_name


def test_fsck_and_copy_with_objects_deleted_behind_git_annex(tmp_path, env, s3_server,
                                                             s3_proxy, bucket_name):
    files = {f"f{i:02d}.txt": f"content {i}\n".encode() for i in range(40)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "fileprefix=fp/")
    run(["git", "annex", "copy", "--to", "s3", "-J2", "."], repo, env)
    client = s3_server.client()
    names = sorted(n for n in s3_server.objects(bucket_name, "fp/") if "annex-uuid" not in n)
    deleted, resized = names[:4], names[4:6]
    for name in deleted:
        client.delete_object(Bucket=bucket_name, Key=name)
    for name in resized:
        client.put_object(Bucket=bucket_name, Key=name, Body=b"truncated")
    mark = s3_proxy.mark()
    fsck = run(["git", "annex", "fsck", "--fast", "--from", "s3", "-J2", "."], repo, env,
               check=False)
    assert fsck.returncode != 0
    requests = s3_proxy.since(mark)
    object_heads = Counter(r.path for r in requests
                           if r.method == "HEAD" and r.path.startswith(f"/{bucket_name}/fp/"))
    assert max(object_heads.values()) == 1, object_heads  # no key asked twice
    bucket_heads = [r for r in requests if r.method == "HEAD" and r.path.rstrip("/") ==
                    f"/{bucket_name}"]
    assert len(bucket_heads) <= 1  # "no such key" or "no such bucket": asked once per process
    find = ["git", "annex", "find", "--format=${key}\n", "."]
    every_key = run(find, repo, env).stdout.split()
    still_there = set(names) - set(deleted) - set(resized)
    assert set(run([*find[:3], "--in", "s3", *find[3:]], repo, env).stdout.split()) == {
        k for k in every_key if key_object_name("fp/", k) in still_there}
    run(["git", "annex", "copy", "--to", "s3", "-J2", "."], repo, env)
    stored = s3_server.objects(bucket_name, "fp/")
    assert sorted(v for n, v in stored.items() if "annex-uuid" not in n) == sorted(
        files.values())
