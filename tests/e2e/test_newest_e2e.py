"""Journeys that only the newest git-annex (10.20261026) broke, run on every git-annex.

Export retrieval of a file of 1 MiB or more: git-annex 10.20261026's tail verifier failed it
("Verification of content failed") while s3py wrote git-annex's file in place; `git annex
testremote` passes all the same, so this is the regression test. Signed (credentials) and
credential-free (public URL) reads both go through it. The same verifier could hash one 64 KiB
read of a file git-annex downloaded itself (TRANSFER-RETRIEVE-URL) and fail the get (a CI
flake on mid.bin): the credential-free clone gets only the small file through git-annex.
"""

from __future__ import annotations

import os
import re

from support.annex_version import needs_verifyremote, strips_export_newlines
from support.public import bare_repo, credential_free_env
from support.repos import initremote, make_annex_repo, run
from support.verify import verify_remote

RETRIEVE_URL_KEY = re.compile(r"--> (?:J \d+ )?TRANSFER-RETRIEVE-URL (\S+) ")
BIG = {"big.bin": os.urandom(3 * 1024 * 1024 + 17), "mid.bin": os.urandom(1024 * 1024),
       "sub/small.txt": b"small\n"}


def test_export_get_of_big_files_signed_and_credential_free(tmp_path, env, s3_server,
                                                            bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, BIG)
    initremote(repo, env, "tree", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=tree/", "public=yes", "autoenable=true")
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    exported = s3_server.objects(bucket_name, "tree/")
    assert {name: exported[f"tree/{name}"] for name in BIG} == BIG

    # in place: drop, get back from the export (signed, credentials in the environment)
    run(["git", "annex", "drop", "--force", "."], repo, env)
    got = run(["git", "annex", "get", "--from", "tree", "."], repo, env)
    assert "failed" not in got.stdout + got.stderr
    assert {name: (repo / name).read_bytes() for name in BIG} == BIG
    assert not list((repo / ".git/annex/tmp").glob("*.s3py-part"))
    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)

    # a fresh clone with credentials, the export its only source
    signed = tmp_path / "signed"
    run(["git", "clone", "-q", str(bare), str(signed)], tmp_path, env)
    run(["git", "annex", "init", "-q", "signed"], signed, env)
    run(["git", "remote", "remove", "origin"], signed, env)
    run(["git", "annex", "get", "--from", "tree", "."], signed, env)
    assert {name: (signed / name).read_bytes() for name in BIG} == BIG

    # a fresh clone without credentials: anonymous GETs through the public URL
    free_env = credential_free_env(tmp_path / "free-home")
    free = tmp_path / "free"
    run(["git", "clone", "-q", str(bare), str(free)], tmp_path, free_env)
    run(["git", "annex", "init", "-q", "free"], free, free_env)
    run(["git", "remote", "remove", "origin"], free, free_env)
    got = run(["git", "annex", "--debug", "get", "--from", "tree", "."], free, free_env)
    assert {name: (free / name).read_bytes() for name in BIG} == BIG
    # git-annex downloads only the small file itself (TRANSFER-RETRIEVE-URL, where announced):
    # an exported file over 64 KiB it could tail-hash partly ("Verification of content failed")
    announced = re.search(r"<-- EXTENSIONS (.*)", got.stderr)
    assert announced, got.stderr
    small_key = run(["git", "annex", "lookupkey", "sub/small.txt"], free, free_env).stdout.strip()
    assert set(RETRIEVE_URL_KEY.findall(got.stderr)) == (
        {small_key} if "TRANSFER-RETRIEVE-URL" in announced.group(1).split() else set())
    run(["git", "annex", "fsck", "--from", "tree", "--fast", "."], free, free_env)

    # a verified clone may write to the export (the newer git-annex asks the user first)
    verify_remote(signed, env, "tree")
    (signed / "added.txt").write_bytes(b"added in the clone\n")
    run(["git", "annex", "add", "--force-large", "-q", "added.txt"], signed, env)
    run(["git", "commit", "-q", "-m", "add"], signed, env)
    run(["git", "annex", "export", "HEAD", "--to", "tree"], signed, env)
    assert s3_server.objects(bucket_name, "tree/added.txt") == {
        "tree/added.txt": b"added in the clone\n"}


def rename_setting_in_remote_log(repo, env, old: str, new: str) -> None:
    """Rewrite remote.log in the git-annex branch (and the verified copy of a newer
    git-annex) as an older s3py, whose setting was ``versioning=``, left it."""
    log = run(["git", "cat-file", "-p", "git-annex:remote.log"], repo, env).stdout
    assert old in log
    blob = run(["git", "hash-object", "-w", "--stdin"], repo, env,
               input=log.replace(old, new)).stdout.strip()
    entries = run(["git", "ls-tree", "git-annex"], repo, env).stdout.splitlines()
    tree = run(["git", "mktree"], repo, env, input="".join(
        (f"100644 blob {blob}\tremote.log" if line.endswith("\tremote.log") else line) + "\n"
        for line in entries)).stdout.strip()
    commit = run(["git", "commit-tree", tree, "-p", "git-annex", "-m", "old s3py"], repo,
                 env).stdout.strip()
    run(["git", "update-ref", "refs/heads/git-annex", commit], repo, env)
    (repo / ".git/annex/index").unlink()  # git-annex rebuilds its index from the branch
    verified = repo / ".git/annex/verified-remote.log"  # 10.2025+: the config it runs with
    if verified.exists():
        verified.write_text(verified.read_text().replace(old, new))


def test_remote_with_old_versioning_name(tmp_path, env, s3_server, bucket_name):
    """``versioning=yes`` in remote.log (s3py before the rename): read as before on
    10.20230126; on 10.20261026 (where git-annex itself fails on it) the documented migration
    (docs/export.md: a ``--sameas`` remote with bucketversioning=yes) works."""
    repo = make_annex_repo(tmp_path / "repo", env, {"data.txt": b"old bytes\n"})
    initremote(repo, env, "tree", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "bucketversioning=yes", "fileprefix=v/")
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    rename_setting_in_remote_log(repo, env, "bucketversioning=yes", "versioning=yes")
    target = "tree"
    if needs_verifyremote():
        broken = run(["git", "annex", "fsck", "--fast", "--from", "tree"], repo, env,
                     check=False)
        assert broken.returncode != 0
        assert "versioning has been overwritten by SETCONFIG" in broken.stderr, broken
        run(["git", "annex", "initremote", "tree-v2", "--sameas=tree", "type=external",
             "externaltype=s3py", "encryption=none", "exporttree=yes", f"bucket={bucket_name}",
             f"endpoint={s3_server.endpoint}", "fileprefix=v/", "bucketversioning=yes"],
            repo, env)
        run(["git", "remote", "remove", "tree"], repo, env)  # retire the old config here
        target = "tree-v2"
    run(["git", "annex", "export", "HEAD", "--to", target], repo, env)
    run(["git", "annex", "unlock", "data.txt"], repo, env)
    (repo / "data.txt").write_bytes(b"new bytes\n")
    run(["git", "annex", "add", "-q", "data.txt"], repo, env)
    run(["git", "commit", "-q", "-m", "overwrite"], repo, env)
    run(["git", "annex", "export", "HEAD", "--to", target], repo, env)
    whereis = run(["git", "annex", "whereis", "data.txt"], repo, env).stdout
    assert f"s3://{bucket_name}/v/data.txt (version " in whereis  # versioned: s3py read it
    run(["git", "annex", "fsck", "--fast", "--from", target], repo, env)
    run(["git", "annex", "drop", "--force", "data.txt"], repo, env)
    run(["git", "annex", "get", "--from", target, "data.txt"], repo, env)
    assert (repo / "data.txt").read_bytes() == b"new bytes\n"


def test_newline_name_beside_its_newline_free_twin(tmp_path, env, s3_server, bucket_name):
    """10.20230126 sends ``new\\nline`` raw and s3py refuses it; 10.20261026 drops the
    newline first, so ``new\\nline`` and ``newline`` are one export name: one object, and
    git-annex's own "already present" warning is all a user sees (docs/export.md)."""
    repo = make_annex_repo(tmp_path / "repo", env, {"new\nline": b"A\n", "newline": b"B\n"})
    initremote(repo, env, "tree", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=t/")
    exported = run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env, check=False)
    said = exported.stdout + exported.stderr
    objects = s3_server.objects(bucket_name, "t/")
    objects.pop("t/annex-uuid")
    if strips_export_newlines():
        assert list(objects) == ["t/newline"] and objects["t/newline"] in (b"A\n", b"B\n")
        assert "already present" in said, said
    else:
        assert exported.returncode != 0 and "contains a newline" in said
        assert objects == {"t/newline": b"B\n"}
