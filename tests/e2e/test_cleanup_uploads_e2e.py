"""Issue #12: ``cleanup-uploads`` sweeps only old uploads under the remote's fileprefix.

moto's server dates every multipart upload 2010-11-10, so here "young" means a threshold
longer than that (``--older-than 100000d``).
"""

from __future__ import annotations

from support.repos import initremote, make_annex_repo, run


def open_uploads(client, bucket: str) -> set[str]:
    answer = client.list_multipart_uploads(Bucket=bucket)
    return {upload["Key"] for upload in answer.get("Uploads", [])}


def test_cleanup_uploads_sweeps_old_ones_under_the_prefix_only(tmp_path, env, s3_server,
                                                               bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a": b"a"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=cu/")
    client = s3_server.client()
    for name in ("cu/one", "cu/two", "elsewhere/three"):
        client.create_multipart_upload(Bucket=bucket_name, Key=name)
    command = ["git-annex-remote-s3py", "cleanup-uploads"]

    listed = run(command, repo, env).stdout
    assert listed.count("abandoned cu/") == 2 and "elsewhere" not in listed, listed

    young = run([*command, "--yes", "--older-than", "100000d"], repo, env).stdout
    assert "left alone 2 younger than 100000d" in young and "aborted" not in young, young
    assert open_uploads(client, bucket_name) == {"cu/one", "cu/two", "elsewhere/three"}

    swept = run([*command, "--yes", "--older-than", "90m"], repo, env).stdout
    assert swept.count("aborted cu/") == 2 and "left alone" not in swept, swept
    assert open_uploads(client, bucket_name) == {"elsewhere/three"}

    bad = run([*command, "--older-than", "soon"], repo, env, check=False)
    assert bad.returncode == 1 and "24h, 90m, 2d, 3600s" in bad.stderr
    assert "Traceback" not in bad.stderr
