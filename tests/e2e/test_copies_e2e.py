"""One S3 object is one copy, also with public=yes (issue #12 item 1): no web URL is
recorded, so git-annex's web remote does not count the same bytes again."""

from __future__ import annotations

import json
from pathlib import Path

from support.repos import initremote, make_annex_repo, run

from git_annex_remote_s3py import naming, urls
from git_annex_remote_s3py.config import load_settings

WEB_UUID = "00000000-0000-0000-0000-000000000001"


def copies(repo: Path, env: dict[str, str], path: str) -> set[str]:
    """The UUIDs ``git annex whereis`` counts for ``path``."""
    answer = json.loads(run(["git", "annex", "whereis", "--json", path], repo, env).stdout)
    return {entry["uuid"] for entry in answer["whereis"]}


def public_repo(tmp_path: Path, env: dict[str, str], s3_server, bucket: str) -> Path:
    repo = make_annex_repo(tmp_path / "repo", env, {"data.txt": b"one real copy\n"})
    initremote(repo, env, "pub", s3_server, bucket, "encryption=none", "public=yes",
               "fileprefix=k/")
    run(["git", "annex", "numcopies", "2"], repo, env)
    run(["git", "annex", "copy", "--to", "pub", "data.txt"], repo, env)
    return repo


def test_public_object_is_one_copy(tmp_path, env, s3_server, bucket_name):
    repo = public_repo(tmp_path, env, s3_server, bucket_name)
    assert WEB_UUID not in copies(repo, env, "data.txt")
    whereis = run(["git", "annex", "whereis", "data.txt"], repo, env).stdout
    assert "2 copies" in whereis and f"/{bucket_name}/k/" in whereis  # the URL still shows
    refused = run(["git", "annex", "drop", "data.txt"], repo, env, check=False)
    assert refused.returncode != 0
    assert (repo / "data.txt").read_bytes() == b"one real copy\n"

    initremote(repo, env, "second", s3_server, bucket_name, "encryption=none",
               "fileprefix=second/")
    run(["git", "annex", "copy", "--to", "second", "data.txt"], repo, env)
    run(["git", "annex", "drop", "data.txt"], repo, env)
    assert not (repo / "data.txt").exists()  # the symlink dangles: the content went


def test_forget_public_urls_repairs_old_records(tmp_path, env, s3_server, bucket_name):
    repo = public_repo(tmp_path, env, s3_server, bucket_name)
    key = run(["git", "annex", "lookupkey", "data.txt"], repo, env).stdout.strip()
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint, "public": "yes"}
    base = urls.public_base_url(load_settings(lambda name: config.get(name, "")))
    old_url = urls.object_url(base, naming.key_object_name("k/", key))
    run(["git", "annex", "registerurl", key, old_url], repo, env)  # what older versions did
    other = "http://example.org/data.txt"
    run(["git", "annex", "registerurl", key, other], repo, env)  # not s3py's: stays
    assert WEB_UUID in copies(repo, env, "data.txt")

    dry = run(["git-annex-remote-s3py", "forget-public-urls", "--dry-run"], repo, env).stdout
    assert dry.splitlines() == [f"would forget {key} {old_url}"]
    done = run(["git-annex-remote-s3py", "forget-public-urls", "--remote", "pub"], repo,
               env).stdout
    assert done.splitlines() == [f"forgot {key} {old_url}"]
    listed = json.loads(run(["git", "annex", "whereis", "--json", "data.txt"], repo,
                            env).stdout)
    web_urls = {url for entry in listed["whereis"] if entry["uuid"] == WEB_UUID
                for url in entry["urls"]}
    assert web_urls == {other}

    run(["git", "annex", "unregisterurl", key, other], repo, env)
    assert WEB_UUID not in copies(repo, env, "data.txt")
    refused = run(["git", "annex", "drop", "data.txt"], repo, env, check=False)
    assert refused.returncode != 0
    assert (repo / "data.txt").read_bytes() == b"one real copy\n"
    again = run(["git-annex-remote-s3py", "forget-public-urls"], repo, env).stdout
    assert again.strip() == f"no web URL records under {base}/"


def test_version_records_count_for_no_other_remote(tmp_path, env, s3_server, bucket_name):
    """bucketversioning=yes records s3py://UUID@BUCKET/... URIs; git-annex's web remote does not
    count them (they name this remote's UUID, and no http URL is recorded)."""
    repo = make_annex_repo(tmp_path / "repo", env, {"data.txt": b"versioned\n"})
    initremote(repo, env, "tree", s3_server, bucket_name, "encryption=none", "public=yes",
               "exporttree=yes", "bucketversioning=yes", "fileprefix=v/")
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    key = run(["git", "annex", "lookupkey", "data.txt"], repo, env).stdout.strip()
    log = run(["git", "show", f"git-annex:{hashed_log(repo, env, key)}.log.web"], repo,
              env).stdout
    assert "s3py://" in log and "http://" not in log
    assert WEB_UUID not in copies(repo, env, "data.txt")


def hashed_log(repo: Path, env: dict[str, str], key: str) -> str:
    """Path of ``key``'s logs in the git-annex branch (without the suffix)."""
    hashdir = run(["git", "annex", "examinekey", "--format=${hashdirlower}", key], repo,
                  env).stdout
    return f"{hashdir}{key}"
