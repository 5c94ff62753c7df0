"""Exported names are kept byte for byte: ``trail\\r`` and ``trail`` are two objects."""

from __future__ import annotations

from support.repos import initremote, make_annex_repo, run


def test_export_keeps_trailing_carriage_return(tmp_path, env, s3_server, bucket_name):
    files = {"trail\r": b"with carriage return\n", "trail": b"without\n",
             "sub/x\r": b"nested\n"}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "tree", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=e/")
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    objects = s3_server.objects(bucket_name, "e/")
    assert {name: body for name, body in objects.items() if name != "e/annex-uuid"} == {
        f"e/{name}": body for name, body in files.items()}
    run(["git", "annex", "drop", "--force", "."], repo, env)
    run(["git", "annex", "get", "--from", "tree", "."], repo, env)
    assert {name: (repo / name).read_bytes() for name in files} == files
