"""``importtree=yes``: a bucket filled with boto3 (not by git-annex) imported into a git-annex
tree, with and without content, re-imported after changes, and read back by ``get``.

Runs against the git-annex ``S3PY_TEST_GIT_ANNEX_BIN`` names (``isolated_env``), so once per
binary. git-annex 10.20230126 refuses importtree=yes
for external remotes: each test then asserts that answer."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from support.repos import run
from support.s3data import (
    MULTI,
    MULTI_NAME,
    OBJECTS,
    PREFIX,
    SHA_BODY,
    SHA_NAME,
    fill_bucket,
    imports_external,
)

OLD_REFUSAL = "importtree is not supported by this special remote"

def new_repo(tmp_path: Path, env: dict[str, str], name: str = "repo") -> Path:
    repo = tmp_path / name
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    run(["git", "annex", "init", "-q"], repo, env)
    return repo


def init_import_remote(repo: Path, env: dict[str, str], endpoint: str, bucket: str,
                       ) -> bool:
    """initremote lab importtree=yes; False (after asserting the refusal) where this
    git-annex does not import from external remotes."""
    result = run(["git", "annex", "initremote", "lab", "type=external", "externaltype=s3py",
                  "importtree=yes", "encryption=none", f"bucket={bucket}",
                  f"fileprefix={PREFIX}", f"endpoint={endpoint}"], repo, env, check=False)
    if not imports_external(env):
        assert result.returncode != 0
        assert OLD_REFUSAL in result.stdout + result.stderr
        return False
    assert result.returncode == 0, result.stdout + result.stderr
    return True


def import_tree(repo: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess:
    done = run(["git", "annex", "import", "main", "--from", "lab", *options], repo, env)
    run(["git", "merge", "-q", "--allow-unrelated-histories", "-m", "import", "lab/main"],
        repo, env)
    return done


def tree_files(repo: Path, env: dict[str, str]) -> dict[str, str]:
    """file -> key of every annexed file in the work tree."""
    listed = run(["git", "annex", "find", "--include=*", "--format=${file}\\t${key}\\n"],
                 repo, env).stdout
    return dict(line.split("\t") for line in listed.splitlines())


def gets(proxy, mark: int, bucket: str) -> list[str]:
    """Object names the remote read with a GET since ``mark``."""
    return sorted(seen.path.split(f"/{bucket}/", 1)[1] for seen in proxy.since(mark)
                  if seen.method == "GET" and f"/{bucket}/" in seen.path)


def calckey(repo: Path, env: dict[str, str], backend: str, path: str) -> str:
    return run(["git", "annex", "calckey", f"--backend={backend}", path], repo,
               env).stdout.strip()


def test_import_without_content_makes_verifiable_keys_then_get(env, tmp_path, s3_server,
                                                               s3_proxy, bucket_name):
    fill_bucket(s3_server.client(), bucket_name)
    repo = new_repo(tmp_path, env)
    if not init_import_remote(repo, env, s3_proxy.endpoint, bucket_name):
        return
    mark = s3_proxy.mark()
    done = import_tree(repo, env, "--no-content")
    # only the multipart object (no MD5 ETag, no full-object checksum) was read, to hash it
    assert gets(s3_proxy, mark, bucket_name) == [PREFIX + MULTI_NAME]
    assert "empty-folder/" in done.stdout + done.stderr  # skipped, and said so
    files = tree_files(repo, env)
    assert set(files) == {*OBJECTS, SHA_NAME, MULTI_NAME}  # nothing outside the prefix
    assert files["plain.txt"].startswith("MD5E-")
    assert files[SHA_NAME].startswith("SHA256E-")
    assert files[MULTI_NAME] == (f"SHA256E-s{len(MULTI)}--"
                                 f"{hashlib.sha256(MULTI).hexdigest()}.dat")
    assert not (repo / "plain.txt").exists()  # no content yet
    run(["git", "annex", "get", "."], repo, env)
    bodies = {**OBJECTS, SHA_NAME: SHA_BODY, MULTI_NAME: MULTI}
    for name, body in bodies.items():
        assert (repo / name).read_bytes() == body
        backend = files[name].split("-", 1)[0]
        assert calckey(repo, env, backend, name) == files[name]  # git-annex's own key
    run(["git", "annex", "fsck", "--from", "lab", "--fast"], repo, env)


def test_content_import_then_reimport_reads_only_changes(env, tmp_path, s3_server, s3_proxy,
                                                         bucket_name):
    client = s3_server.client()
    fill_bucket(client, bucket_name)
    repo = new_repo(tmp_path, env)
    if not init_import_remote(repo, env, s3_proxy.endpoint, bucket_name):
        return
    import_tree(repo, env)
    assert (repo / "plain.txt").read_bytes() == OBJECTS["plain.txt"]
    assert (repo / MULTI_NAME).read_bytes() == MULTI
    client.put_object(Bucket=bucket_name, Key=PREFIX + "plain.txt", Body=b"changed\n")
    client.put_object(Bucket=bucket_name, Key=PREFIX + "added.txt", Body=b"new object\n")
    client.delete_object(Bucket=bucket_name, Key=PREFIX + SHA_NAME)
    mark = s3_proxy.mark()
    import_tree(repo, env)
    assert gets(s3_proxy, mark, bucket_name) == [PREFIX + "added.txt", PREFIX + "plain.txt"]
    assert (repo / "plain.txt").read_bytes() == b"changed\n"
    assert (repo / "added.txt").read_bytes() == b"new object\n"
    assert not (repo / SHA_NAME).exists()
    assert (repo / MULTI_NAME).read_bytes() == MULTI


def test_get_reads_the_imported_version_or_fails_clearly(env, tmp_path, s3_server, s3_proxy,
                                                         bucket_name):
    client = s3_server.client()
    versioned = bucket_name + "-v"
    fill_bucket(client, bucket_name)
    fill_bucket(client, versioned, versioned=True)
    repo = new_repo(tmp_path, env)
    if not init_import_remote(repo, env, s3_proxy.endpoint, versioned):
        return
    import_tree(repo, env, "--no-content")
    client.put_object(Bucket=versioned, Key=PREFIX + "plain.txt", Body=b"overwritten\n")
    run(["git", "annex", "get", "plain.txt"], repo, env)
    assert (repo / "plain.txt").read_bytes() == OBJECTS["plain.txt"]  # the imported version
    # an unversioned bucket keeps no older version: get says what happened
    plain = new_repo(tmp_path, env, "plain")
    assert init_import_remote(plain, env, s3_proxy.endpoint, bucket_name)
    import_tree(plain, env, "--no-content")
    client.put_object(Bucket=bucket_name, Key=PREFIX + "plain.txt", Body=b"overwritten\n")
    failed = run(["git", "annex", "get", "plain.txt"], plain, env, check=False)
    assert failed.returncode != 0
    assert "changed since it was imported" in failed.stdout + failed.stderr
    assert not (plain / "plain.txt").exists()


def test_import_remote_is_read_only_and_writes_no_marker(env, tmp_path, s3_server, s3_proxy,
                                                         bucket_name):
    client = s3_server.client()
    fill_bucket(client, bucket_name)
    before = s3_server.objects(bucket_name)
    repo = new_repo(tmp_path, env)
    if not init_import_remote(repo, env, s3_proxy.endpoint, bucket_name):
        return
    import_tree(repo, env, "--no-content")
    (repo / "local.txt").write_bytes(b"only here")
    run(["git", "annex", "add", "local.txt"], repo, env)
    refused = run(["git", "annex", "copy", "--to", "lab", "local.txt"], repo, env, check=False)
    assert refused.returncode != 0
    assert "cannot modify content stored on it" in refused.stdout + refused.stderr
    assert s3_server.objects(bucket_name) == before  # not even an annex-uuid marker
    assert not any(seen.method in ("PUT", "POST", "DELETE") for seen in s3_proxy.since(0))


EXTENSION_NAMES = ("a.tar.gz", "x.verylong.gz", "b c.txt", "noext", ".bashrc", ".ab",
                   "a.b c.txt", "\u00fc.\u00e7sv", "x.\u00e7svx", "x.JPEG", "a.tar.gz.bz2",
                   "v1.2.3.txt", "a..b", "file.toolongext", "a.b-c.d", "trail.", "d.ir/f",
                   "sub/x.y.z", "a_b.t_t", "n.123", ".a.tar.gz", "..x", "...",
                   "x.a\u00e9")


def test_key_extensions_are_git_annexs_own(env, tmp_path):
    """IMPORTKEY's E keys carry the extension git-annex itself would give (calckey), on both
    git-annex versions."""
    from git_annex_remote_s3py.annex.importing import key_extension

    repo = new_repo(tmp_path, env)
    for name in EXTENSION_NAMES:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(b"same")
        key = calckey(repo, env, "SHA256E", name)
        assert key == f"SHA256E-s4--{hashlib.sha256(b'same').hexdigest()}{key_extension(name)}"


def test_import_keeps_to_the_remotes_preferred_content(env, tmp_path, s3_server, bucket_name):
    """Filtering is git-annex's own: ``git annex wanted lab 'include=...'`` selects what
    ``import`` takes (docs/import.md maps Bacalhau's Key wildcard and Filter onto it)."""
    fill_bucket(s3_server.client(), bucket_name)
    repo = new_repo(tmp_path, env)
    if not init_import_remote(repo, env, s3_server.endpoint, bucket_name):
        return
    run(["git", "annex", "wanted", "lab", "include=*.txt or include=big/*"], repo, env)
    import_tree(repo, env, "--no-content")
    assert set(tree_files(repo, env)) == {"plain.txt", MULTI_NAME}


def test_anonymous_import_of_a_public_bucket(tmp_path, s3_server, s3_proxy, bucket_name):
    """signature=anonymous, no credentials anywhere (an AWS open-data bucket): unsigned
    listing, HEADs and GETs only (moto serves unsigned requests as a public bucket would)."""
    from support.local_s3 import isolated_env

    env = isolated_env(tmp_path / "nohome", with_credentials=False)
    client = s3_server.client()
    fill_bucket(client, bucket_name)
    client.put_bucket_acl(Bucket=bucket_name, ACL="public-read")
    for item in client.list_objects_v2(Bucket=bucket_name)["Contents"]:
        client.put_object_acl(Bucket=bucket_name, Key=item["Key"], ACL="public-read")
    repo = new_repo(tmp_path, env)
    result = run(["git", "annex", "initremote", "lab", "type=external", "externaltype=s3py",
                  "importtree=yes", "encryption=none", "signature=anonymous",
                  f"bucket={bucket_name}", f"fileprefix={PREFIX}",
                  f"endpoint={s3_proxy.endpoint}"], repo, env, check=False)
    if not imports_external(env):
        assert OLD_REFUSAL in result.stdout + result.stderr
        return
    assert result.returncode == 0, result.stderr
    import_tree(repo, env, "--no-content")
    run(["git", "annex", "get", "plain.txt", MULTI_NAME], repo, env)
    assert (repo / "plain.txt").read_bytes() == OBJECTS["plain.txt"]
    assert (repo / MULTI_NAME).read_bytes() == MULTI
    assert s3_proxy.since(0) and not any(seen.signed for seen in s3_proxy.since(0))
