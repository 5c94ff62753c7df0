"""What newer git-annex offers, used only when it announces it; each version's real answer.

Runs against the git-annex on PATH, or the one in ``$S3PY_TEST_GIT_ANNEX_BIN`` (prepended here
until tests/support/local_s3.py's ``isolated_env`` does it). 10.20230126 (Debian) announces
``INFO GETGITREMOTENAME ASYNC``; 10.20261026 adds ``UNAVAILABLERESPONSE`` and
``TRANSFER-RETRIEVE-URL`` (among others), knows ``annexobjects=yes`` and marks remotes enabled
from the branch as unverified (so clones here verify them with ``git config``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from support.public import bare_repo, credential_free_env
from support.repos import initremote, make_annex_repo, run

GIT_ANNEX_BIN_ENV = "S3PY_TEST_GIT_ANNEX_BIN"
OLD_VERSION = "10.20230126"
RETRIEVE_URL_REPLY = re.compile(r"--> (J \d+ )?TRANSFER-RETRIEVE-URL ")
FILES = {"small.txt": b"small content\n" * 20, "other.txt": b"other content\n" * 30}


def with_chosen_git_annex(env: dict[str, str]) -> dict[str, str]:
    chosen = os.environ.get(GIT_ANNEX_BIN_ENV)
    if chosen:
        env["PATH"] = chosen + os.pathsep + env["PATH"]
    return env


@pytest.fixture
def annex_env(env: dict[str, str]) -> dict[str, str]:
    return with_chosen_git_annex(env)


def free_env(home: Path) -> dict[str, str]:
    return with_chosen_git_annex(credential_free_env(home))


def announced(repo: Path, env: dict[str, str], remote: str) -> set[str]:
    """The extensions git-annex announces to s3py (from ``git annex --debug info``)."""
    debug = run(["git", "annex", "--debug", "info", remote], repo, env).stderr
    found = re.search(r"<-- EXTENSIONS (.*)", debug)
    assert found, debug
    return set(found.group(1).split())


def git_annex_version(env: dict[str, str], cwd: Path) -> str:
    return run(["git", "annex", "version", "--raw"], cwd, env).stdout.strip()


def publish(tmp_path: Path, env: dict[str, str], server, bucket: str, *settings: str) -> Path:
    """A repository with FILES stored in remote ``s3`` (autoenabled), pushed to a bare repo."""
    repo = make_annex_repo(tmp_path / "repo", env, FILES)
    initremote(repo, env, "s3", server, bucket, "encryption=none", "autoenable=true", *settings)
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    return bare


def verified_clone(bare: Path, path: Path, env: dict[str, str]) -> Path:
    """``git clone`` + ``git annex init``; remote ``s3`` marked verified (10.20261026's rule)."""
    run(["git", "clone", "-q", str(bare), str(path)], path.parent, env)
    run(["git", "annex", "init"], path, env)
    run(["git", "config", "remote.s3.annex-verified", "verified"], path, env)
    return path


def test_clone_without_credentials_or_public_url_is_unavailable(tmp_path, annex_env, s3_server,
                                                                  bucket_name):
    bare = publish(tmp_path, annex_env, s3_server, bucket_name)
    free = free_env(tmp_path / "empty-home")
    clone = verified_clone(bare, tmp_path / "clone", free)
    info = run(["git", "annex", "info", "s3"], clone, free)
    assert "protocol error" not in info.stdout + info.stderr
    sync = run(["git", "annex", "sync", "--content", "--no-push"], clone, free, check=False)
    if "UNAVAILABLERESPONSE" in announced(clone, free, "s3"):
        assert "available: false" in info.stdout
        assert sync.returncode == 0, sync
        assert "(from s3...)" not in sync.stdout  # skipped, not failed file by file
    else:  # 10.20230126: the old replies; sync tries the remote and names the missing creds
        assert "available: false" not in info.stdout
        assert sync.returncode != 0
        assert sync.stdout.count("(from s3...)") == len(FILES)
        assert "AWS_ACCESS_KEY_ID" in sync.stdout + sync.stderr
    assert not any((clone / name).exists() for name in FILES)  # nothing false came back


def test_credential_free_get_through_git_annex_download(tmp_path, annex_env, s3_server,
                                                        bucket_name):
    bare = publish(tmp_path, annex_env, s3_server, bucket_name, "public=yes")
    free = free_env(tmp_path / "empty-home")
    clone = verified_clone(bare, tmp_path / "clone", free)
    got = run(["git", "annex", "--debug", "get", "--from", "s3", "small.txt"], clone, free)
    assert (clone / "small.txt").read_bytes() == FILES["small.txt"]
    via_url = bool(RETRIEVE_URL_REPLY.search(got.stderr))
    assert via_url == ("TRANSFER-RETRIEVE-URL" in announced(clone, free, "s3")), got.stderr
    if git_annex_version(free, clone) != OLD_VERSION:
        assert via_url

    # a 404 and a 403 fail the get: no file, no content, whichever client downloads
    key = run(["git", "annex", "lookupkey", "other.txt"], clone, free).stdout.strip()
    client = s3_server.client()
    client.put_object_acl(Bucket=bucket_name, Key=key, ACL="private")
    forbidden = run(["git", "annex", "--debug", "get", "--from", "s3", "other.txt"], clone, free,
                    check=False)
    assert forbidden.returncode != 0
    assert bool(RETRIEVE_URL_REPLY.search(forbidden.stderr)) == via_url
    client.delete_object(Bucket=bucket_name, Key=key)
    missing = run(["git", "annex", "get", "--from", "s3", "other.txt"], clone, free, check=False)
    assert missing.returncode != 0
    assert not (clone / "other.txt").exists()
    assert run(["git", "annex", "find", "--in", "here"], clone, free).stdout == "small.txt\n"


def test_annexobjects_on_an_export_remote(tmp_path, annex_env, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", annex_env, FILES)
    made = run(["git", "annex", "initremote", "tree", "type=external", "externaltype=s3py",
                f"bucket={bucket_name}", f"endpoint={s3_server.endpoint}", "encryption=none",
                "exporttree=yes", "annexobjects=yes", "fileprefix=tree/"], repo, annex_env,
               check=False)
    if git_annex_version(annex_env, repo) == OLD_VERSION:
        assert made.returncode != 0
        assert "Unexpected parameters: annexobjects" in made.stdout + made.stderr
        return
    assert made.returncode == 0, made
    key = run(["git", "annex", "lookupkey", "small.txt"], repo, annex_env).stdout.strip()
    run(["git", "annex", "copy", "--to", "tree", "small.txt"], repo, annex_env)
    stored = {name: data for name, data in s3_server.objects(bucket_name, "tree/").items()
              if name.endswith("/" + key)}
    [(name, data)] = stored.items()
    assert name.startswith("tree/.git/annex/objects/") and data == FILES["small.txt"]
    run(["git", "annex", "drop", "--force", "small.txt"], repo, annex_env)
    assert not (repo / "small.txt").exists()
    run(["git", "annex", "get", "--from", "tree", "small.txt"], repo, annex_env)
    assert (repo / "small.txt").read_bytes() == FILES["small.txt"]


# -- signed reads: presigned URLs --------------------------------------------------------------
BIG = b"\2" * (1024 * 1024 + 1)  # above RETRIEVE_URL_MAX_SIZE: s3py's own GET


def presigned_gets(seen) -> set[str]:
    """The object paths git-annex fetched through a presigned URL (not s3py's signed GET)."""
    return {s.path for s in seen if s.method == "GET" and "X-Amz-Signature=" in s.query}


def own_gets(seen) -> set[str]:
    return {s.path for s in seen if s.method == "GET" and "X-Amz-Signature=" not in s.query}


def test_signed_small_gets_through_presigned_urls(tmp_path, annex_env, s3_proxy, bucket_name):
    """Chosen by the clone (``s3py-retrieve-url yes``), on a git-annex that announces
    TRANSFER-RETRIEVE-URL, small keys of a private bucket come through a presigned URL that
    git-annex fetches itself (the proxy sees its X-Amz-Signature query), the big key through
    s3py's own signed GET; with ``--debug`` (where git-annex logs every reply) s3py downloads
    itself and no signature reaches the log; a refused URL fails the get and nothing is
    recorded."""
    files = {**FILES, "big.bin": BIG}
    repo = make_annex_repo(tmp_path / "repo", annex_env, files)
    initremote(repo, annex_env, "s3", s3_proxy, bucket_name, "encryption=none")
    run(["git", "config", "remote.s3.s3py-retrieve-url", "yes"], repo, annex_env)
    run(["git", "annex", "copy", "--to", "s3", "."], repo, annex_env)
    keys = {name: run(["git", "annex", "lookupkey", name], repo, annex_env).stdout.strip()
            for name in files}
    newest = "TRANSFER-RETRIEVE-URL" in announced(repo, annex_env, "s3")
    assert newest == (git_annex_version(annex_env, repo) != OLD_VERSION)

    run(["git", "annex", "drop", "."], repo, annex_env)
    mark = s3_proxy.mark()
    run(["git", "annex", "get", "-J2", "--from", "s3", "."], repo, annex_env)
    assert all((repo / name).read_bytes() == data for name, data in files.items())
    seen = s3_proxy.since(mark)
    small = {f"/{bucket_name}/{keys[name]}" for name in FILES}
    assert presigned_gets(seen) == (small if newest else set())
    assert own_gets(seen) == {f"/{bucket_name}/{keys['big.bin']}"} | (set() if newest else small)

    run(["git", "annex", "drop", "small.txt"], repo, annex_env)
    mark = s3_proxy.mark()
    debug = run(["git", "annex", "--debug", "get", "--from", "s3", "small.txt"], repo, annex_env)
    assert (repo / "small.txt").read_bytes() == FILES["small.txt"]
    assert "X-Amz-Signature" not in debug.stdout + debug.stderr
    assert not RETRIEVE_URL_REPLY.search(debug.stderr)
    assert own_gets(s3_proxy.since(mark)) == {f"/{bucket_name}/{keys['small.txt']}"}

    if newest:  # the server refuses the URL (an expired one, a clock far off): one clear line
        from support.faultproxy import Rule

        run(["git", "annex", "drop", "other.txt"], repo, annex_env)
        s3_proxy.set_rules(Rule("403", method="GET", query="X-Amz-Signature"))
        refused = run(["git", "annex", "get", "--from", "s3", "other.txt"], repo, annex_env,
                      check=False)
        s3_proxy.set_rules()
        assert refused.returncode != 0
        assert "download failed: forbidden" in (refused.stdout + refused.stderr).lower()
        assert not (repo / "other.txt").exists()
        assert "other.txt" not in run(["git", "annex", "find", "--in", "here"], repo,
                                      annex_env).stdout
