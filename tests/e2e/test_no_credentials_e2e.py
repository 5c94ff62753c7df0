"""A clone of a private remote, without credentials, hears the truth from the real git-annex:
enableremote does not promise reads through a public URL there is none of, and
``git annex info`` names no credential source that is not there."""

from __future__ import annotations

from support.repos import initremote, isolated_env, make_annex_repo, run


def test_private_remote_without_credentials(tmp_path, env, s3_server, bucket_name):
    origin = make_annex_repo(tmp_path / "origin", env, {"a.txt": b"private\n"})
    initremote(origin, env, "s3", s3_server, bucket_name, "encryption=none")
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], origin, env)

    bare = isolated_env(tmp_path / "bare-home", with_credentials=False)
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path, bare)
    run(["git", "annex", "init", "-q", "clone"], clone, bare)
    enabled = run(["git", "annex", "enableremote", "s3"], clone, bare)
    said = enabled.stdout + enabled.stderr
    assert (f"no AWS credentials and no public URL: bucket {bucket_name} can be neither read "
            "nor written from this repository; export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or set profile=) to use it") in said, said
    assert "through its public URL" not in said

    info = run(["git", "annex", "info", "s3"], clone, bare).stdout
    assert ("credentials: none found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or set profile=)") in info, info
    assert "credential chain" not in info and "publicurl" not in info

    info_with_creds = run(["git", "annex", "info", "s3"], origin, env).stdout
    assert "credentials: environment (AWS_ACCESS_KEY_ID)" in info_with_creds
    got = run(["git", "annex", "get", "a.txt"], clone, env)  # with credentials it works
    assert got.returncode == 0 and (clone / "a.txt").read_bytes() == b"private\n"
