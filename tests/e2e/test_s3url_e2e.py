"""``git annex addurl s3://BUCKET/KEY``: an s3py remote claims s3:// URLs of the buckets its
endpoint and credentials reach and fetches them itself, verified on the way in (the MD5 ETag
or the SHA-256 checksum S3 knows). A version pinned with ``?versionId=``; a prefix adds every
object under it; ``--fast`` and ``--relaxed`` as git-annex defines them.

Both git-annex versions (``S3PY_TEST_GIT_ANNEX_BIN`` picks the binary)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from support.faultproxy import Rule
from support.repos import run
from support.s3data import MULTI, MULTI_NAME, OBJECTS, PREFIX, SHA_BODY, SHA_NAME
from support.s3data import fill_bucket as fill

UNVERIFIED_SETTING = "annex.security.allow-unverified-downloads"


def url_repo(tmp_path: Path, env: dict[str, str], endpoint: str, own_bucket: str) -> Path:
    """A repository with an s3py key-mode remote ``s3`` (its own bucket ``own_bucket``) that
    reaches the test buckets. No annex.security.allowed-url-schemes is needed: a URL a
    special remote claims is that remote's to fetch."""
    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    run(["git", "annex", "init", "-q"], repo, env)
    run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
         "encryption=none", f"bucket={own_bucket}", f"endpoint={endpoint}"], repo, env)
    return repo


def key_of(repo: Path, env: dict[str, str], path: str) -> str:
    return run(["git", "annex", "lookupkey", path], repo, env).stdout.strip()


def test_addurl_single_object_then_get_again(env, tmp_path, s3_server, s3_proxy, bucket_name):
    fill(s3_server.client(), bucket_name)
    repo = url_repo(tmp_path, env, s3_proxy.endpoint, bucket_name + "-own")
    url = f"s3://{bucket_name}/{PREFIX}plain.txt"
    run(["git", "annex", "addurl", "--file", "plain.txt", url], repo, env)
    body = OBJECTS["plain.txt"]
    assert (repo / "plain.txt").read_bytes() == body
    assert key_of(repo, env, "plain.txt") == (f"SHA256E-s{len(body)}--"
                                              f"{hashlib.sha256(body).hexdigest()}.txt")
    assert url in run(["git", "annex", "whereis", "plain.txt"], repo, env).stdout
    run(["git", "annex", "drop", "--force", "plain.txt"], repo, env)
    run(["git", "annex", "fsck", "--from", "s3", "--fast", "plain.txt"], repo, env)
    run(["git", "annex", "get", "plain.txt"], repo, env)
    assert (repo / "plain.txt").read_bytes() == body
    # the remote never writes to the bucket it reads from
    assert not any(seen.method in ("PUT", "POST", "DELETE") and f"/{bucket_name}/" in seen.path
                   for seen in s3_proxy.since(0))


def test_addurl_version_id_pins_a_version(env, tmp_path, s3_server, s3_proxy, bucket_name):
    client = s3_server.client()
    fill(client, bucket_name, versioned=True)
    first = client.head_object(Bucket=bucket_name, Key=PREFIX + "plain.txt")["VersionId"]
    client.put_object(Bucket=bucket_name, Key=PREFIX + "plain.txt", Body=b"second version\n")
    repo = url_repo(tmp_path, env, s3_proxy.endpoint, bucket_name + "-own")
    run(["git", "annex", "addurl", "--file", "first.txt",
         f"s3://{bucket_name}/{PREFIX}plain.txt?versionId={first}"], repo, env)
    run(["git", "annex", "addurl", "--file", "latest.txt",
         f"s3://{bucket_name}/{PREFIX}plain.txt"], repo, env)
    assert (repo / "first.txt").read_bytes() == OBJECTS["plain.txt"]
    assert (repo / "latest.txt").read_bytes() == b"second version\n"


def test_addurl_prefix_adds_every_object_under_it(env, tmp_path, s3_server, s3_proxy,
                                                  bucket_name):
    fill(s3_server.client(), bucket_name)
    repo = url_repo(tmp_path, env, s3_proxy.endpoint, bucket_name + "-own")
    run(["git", "annex", "addurl", f"s3://{bucket_name}/{PREFIX}"], repo, env)
    found = {}
    for path in repo.rglob("*"):
        if path.is_symlink() or (path.is_file() and ".git" not in path.parts):
            found[path.name] = path.read_bytes()
    # git-annex makes each object's name a file name (its "/" and spaces become "_")
    expected = {**OBJECTS, SHA_NAME: SHA_BODY, MULTI_NAME: MULTI}
    assert sorted(found.values()) == sorted(expected.values())
    assert {name.replace("/", "_").replace(" ", "_") for name in expected} == set(found)


def test_addurl_fast_and_relaxed_read_no_content(env, tmp_path, s3_server, s3_proxy,
                                                 bucket_name):
    fill(s3_server.client(), bucket_name)
    repo = url_repo(tmp_path, env, s3_proxy.endpoint, bucket_name + "-own")
    url = f"s3://{bucket_name}/{PREFIX}{SHA_NAME}"
    mark = s3_proxy.mark()
    run(["git", "annex", "addurl", "--fast", "--file", "fast.bin", url], repo, env)
    run(["git", "annex", "addurl", "--relaxed", "--file", "relaxed.bin", url], repo, env)
    assert not any(seen.method == "GET" and SHA_NAME in seen.path for seen in s3_proxy.since(mark))
    fast, relaxed = key_of(repo, env, "fast.bin"), key_of(repo, env, "relaxed.bin")
    assert fast.split("-", 1)[0] in ("URL", "VURL")  # a URL key: no content hashed yet
    assert f"-s{len(SHA_BODY)}--" in fast  # --fast: the size CHECKURL told
    assert relaxed.split("-", 1)[0] in ("URL", "VURL")
    if fast.startswith("URL-"):  # 10.20230126: unverifiable keys need the user's consent
        refused = run(["git", "annex", "get", "fast.bin"], repo, env, check=False)
        assert refused.returncode != 0
        assert UNVERIFIED_SETTING in refused.stderr
        run(["git", "config", UNVERIFIED_SETTING, "ACKTHPPT"], repo, env)
    run(["git", "annex", "get", "fast.bin", "relaxed.bin"], repo, env)
    assert (repo / "fast.bin").read_bytes() == SHA_BODY
    assert (repo / "relaxed.bin").read_bytes() == SHA_BODY


def test_addurl_refuses_bytes_that_fail_s3s_checksum(env, tmp_path, s3_server, s3_proxy,
                                                     bucket_name):
    fill(s3_server.client(), bucket_name)
    repo = url_repo(tmp_path, env, s3_proxy.endpoint, bucket_name + "-own")
    s3_proxy.set_rules(Rule("corrupt", method="GET", path=f"/{bucket_name}/{PREFIX}.*",
                            at_byte=3))
    for name in ("plain.txt", SHA_NAME):  # checked by MD5 ETag, by SHA-256 checksum
        failed = run(["git", "annex", "addurl", "--file", name,
                      f"s3://{bucket_name}/{PREFIX}{name}"], repo, env, check=False)
        assert failed.returncode != 0
        assert not (repo / name).exists()
    assert s3_proxy.counts["corrupt"] >= 2
