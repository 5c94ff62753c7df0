"""The helper subcommands find settings, credentials and store as the remote does, also
credentials embedded in the git-annex branch (embedcreds=yes)."""

from __future__ import annotations

import urllib.request

from support.public import bare_repo, credential_free_env
from support.repos import initremote, make_annex_repo, run


def test_presign_and_cleanup_with_embedded_creds(tmp_path, env, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"embedded creds\n"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "embedcreds=yes",
               "fileprefix=c/")
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    free = credential_free_env(tmp_path / "free-home")
    assert not [name for name in free if name.startswith("AWS_") and "FILE" not in name
                and name != "AWS_EC2_METADATA_DISABLED"]
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(bare), str(clone)], tmp_path, free)
    run(["git", "annex", "init", "-q"], clone, free)
    assert not (clone / ".git" / "annex" / "creds").exists()  # only the branch has them

    url = run(["git-annex-remote-s3py", "presign", "a.txt"], clone, free).stdout.strip()
    assert "X-Amz-Signature" in url
    with urllib.request.urlopen(url) as answer:
        assert answer.read() == b"embedded creds\n"

    client = s3_server.client()
    upload = client.create_multipart_upload(Bucket=bucket_name, Key="c/abandoned")
    client.create_multipart_upload(Bucket=bucket_name, Key="elsewhere/other")
    listed = run(["git-annex-remote-s3py", "cleanup-uploads"], clone, free).stdout
    [line] = listed.splitlines()  # only the upload under the remote's prefix
    assert line.startswith(f"abandoned c/abandoned {upload['UploadId']} (begun ")
