"""Smallest end-to-end round trip: the real git-annex, s3py, moto's server on 127.0.0.1."""

from support.repos import initremote, make_annex_repo, run


def test_copy_drop_get_roundtrip(tmp_path, env, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"alpha\n", " b c ": b"spaced"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=ds1/")
    run(["git", "annex", "copy", "--to", "s3", "-J2", "."], repo, env)
    run(["git", "annex", "drop", "."], repo, env)
    run(["git", "annex", "get", "-J2", "."], repo, env)
    assert (repo / "a.txt").read_bytes() == b"alpha\n"
    assert (repo / " b c ").read_bytes() == b"spaced"
    names = set(s3_server.objects(bucket_name, "ds1/"))
    assert "ds1/annex-uuid" in names
    assert len(names) == 3
