"""enableremote may not move a remote to where its objects are not (issue #12 item 4)."""

from __future__ import annotations

from support.repos import initremote, make_annex_repo, run


def test_enableremote_refuses_another_bucket(tmp_path, env, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"a\n"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=p/")
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    before = {b["Name"] for b in s3_server.client().list_buckets()["Buckets"]}
    other = bucket_name + "-other"
    for change in (f"bucket={other}", "fileprefix=q/"):
        refused = run(["git", "annex", "enableremote", "s3", change], repo, env, check=False)
        assert refused.returncode != 0
        said = refused.stdout + refused.stderr
        assert "changes where this remote's objects are" in said, said
        assert "--sameas=s3" in said and "git annex copy" in said
    assert {b["Name"] for b in s3_server.client().list_buckets()["Buckets"]} == before
    assert not [n for n in s3_server.objects(bucket_name) if n.startswith("q/")]
    run(["git", "annex", "fsck", "--fast", "--from", "s3", "a.txt"], repo, env)


def test_enableremote_accepts_same_server_under_another_name(tmp_path, env, s3_server,
                                                            bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"a\n"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none")
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    assert "127.0.0.1" in s3_server.endpoint
    renamed = s3_server.endpoint.replace("127.0.0.1", "localhost")
    run(["git", "annex", "enableremote", "s3", f"endpoint={renamed}"], repo, env)
    log = run(["git", "show", "git-annex:remote.log"], repo, env).stdout
    assert f"endpoint={renamed}" in log
    run(["git", "annex", "drop", "--force", "a.txt"], repo, env)
    run(["git", "annex", "get", "--from", "s3", "a.txt"], repo, env)
    assert (repo / "a.txt").read_bytes() == b"a\n"
    run(["git", "annex", "enableremote", "s3"], repo, env)  # and again: nothing changes
