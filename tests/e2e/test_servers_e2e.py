"""The real git-annex with s3py against real S3 servers: moto, Ceph RGW, s3rver and Swift.

Every journey runs on ``moto`` (http), ``ceph-http``, ``ceph-https``, ``s3rver-http``,
``s3rver-https``, ``swift-http`` and ``swift-https`` (support/server_fixtures.py; ``make
servers`` installs Ceph, Swift and s3rver).
A journey that fails because of a known s3py bug asserts the correct behaviour and is marked
``xfail(strict=True)`` with the bug's name (docs/servers.md lists them; none today); the last
test compares git-annex's built-in ``type=S3`` remote on the same servers.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from boto3.s3.transfer import TransferConfig
from support.annex_version import needs_verifyremote
from support.public import bare_repo, credential_free_env
from support.repos import initremote, make_annex_repo, run
from support.s3data import imports_external
from support.server_fixtures import server_params
from support.server_info import ServerInfo

MiB = 1024 * 1024
REMOTE = "s3"
AWKWARD = ["a space.txt", "ünïcödé.txt", "-leading-dash", "hash#tag.txt", "percent%.txt",
           "pct%41.txt", "plus+sign.txt", "question?.txt", "amp&eq=.txt", "semi;colon.txt",
           "quote'single.txt", 'quote"double.txt', "back\\slash.txt", "pipe|bar.txt",
           "star*.txt", "angle<>.txt", "emoji 🎉.txt", "trailing space ",
           "dir with space/nested #1.txt", "dir+plus/ä ö/deep?.txt", "~tilde", "a=b,c.txt"]


def content(name: str, size: int = 0) -> bytes:
    """Deterministic bytes for ``name``: its name, or ``size`` pseudo-random bytes."""
    if not size:
        return f"content of {name}\n".encode()
    seed = hashlib.sha256(name.encode()).digest()
    block = b"".join(hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(2048))
    return (block * (size // len(block) + 1))[:size]


def key_of(repo: Path, env: dict[str, str], path: str) -> str:
    return run(["git", "annex", "lookupkey", path], repo, env).stdout.strip()


def annex_objects(s3: ServerInfo, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """The bucket's objects under ``prefix`` (prefix removed), without the annex-uuid marker."""
    return {name[len(prefix):]: data for name, data in s3.objects(bucket, prefix).items()
            if name not in ("annex-uuid", prefix + "annex-uuid")}


def assert_files(repo: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        assert (repo / name).read_bytes() == data, name


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_key_mode_multipart_copy_drop_get_fsck(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    files = {"small.txt": content("small"), "sub dir/mid.bin": content("mid", 3 * MiB // 2),
             "big.bin": content("big", 12 * MiB)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none", "partsize=5MiB")
    run(["git", "annex", "copy", "-J2", "--to", REMOTE, "."], repo, env)
    stored = annex_objects(s3, bucket_name)
    assert stored == {key_of(repo, env, name): data for name, data in files.items()}
    head = s3.client().head_object(Bucket=bucket_name, Key=key_of(repo, env, "big.bin"))
    assert head["ContentLength"] == 12 * MiB
    run(["git", "annex", "drop", "."], repo, env)
    assert not (repo / "big.bin").exists()
    run(["git", "annex", "get", "-J2", "--from", REMOTE, "."], repo, env)
    assert_files(repo, files)
    fsck = run(["git", "annex", "fsck", "--json", "--from", REMOTE, "."], repo, env)
    results = [json.loads(line) for line in fsck.stdout.splitlines()]
    assert len(results) == len(files) and all(r["success"] for r in results), fsck.stdout


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_encryption_shared_chunked_round_trip(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    files = {"note.txt": content("note"), "data.bin": content("data", 5 * MiB // 2)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=shared", "chunk=1MiB")
    run(["git", "annex", "copy", "--to", REMOTE, "."], repo, env)
    stored = annex_objects(s3, bucket_name)
    assert len(stored) == 1 + 3, sorted(stored)  # note: 1 chunk, 2.5 MiB: 3 chunks of 1 MiB
    assert all(name.startswith("GPGHMAC") for name in stored), sorted(stored)
    assert not any(b"content of note" in data for data in stored.values())
    run(["git", "annex", "drop", "."], repo, env)
    run(["git", "annex", "get", "--from", REMOTE, "."], repo, env)
    assert_files(repo, files)
    run(["git", "annex", "fsck", "--from", REMOTE, "."], repo, env)


def export_listing(s3: ServerInfo, bucket: str) -> dict[str, bytes]:
    listing = annex_objects(s3, bucket, "tree/")
    assert not [name for name in s3.objects(bucket) if ".git-annex-tmp-content" in name]
    return listing


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_export_awkward_names_and_renames(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    files = {name: content(name) for name in AWKWARD}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "tree", s3, bucket_name, "exporttree=yes", "encryption=none",
               "fileprefix=tree/")
    run(["git", "annex", "export", "main", "--to", "tree"], repo, env)
    assert export_listing(s3, bucket_name) == files

    renames = {"a space.txt": "renamed space .txt", "hash#tag.txt": "new dir/hash#2.txt",
               "ünïcödé.txt": "ü/renamed?&=.txt"}
    for old, new in renames.items():
        (repo / new).parent.mkdir(parents=True, exist_ok=True)
        run(["git", "mv", old, new], repo, env)
        files[new] = files.pop(old)
    run(["git", "rm", "-q", "pct%41.txt"], repo, env)
    del files["pct%41.txt"]
    run(["git", "commit", "-q", "-m", "renames"], repo, env)
    run(["git", "annex", "export", "main", "--to", "tree"], repo, env)
    assert export_listing(s3, bucket_name) == files


@pytest.mark.parametrize("s3", server_params(names=("moto", "ceph-http", "ceph-https",
                                                    "swift-http", "swift-https")),
                         indirect=True)
def test_versioned_export_keeps_old_versions(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"v.txt": b"version one\n"})
    initremote(repo, env, "tree", s3, bucket_name, "exporttree=yes", "bucketversioning=yes",
               "encryption=none")
    client = s3.client()
    assert client.get_bucket_versioning(Bucket=bucket_name)["Status"] == "Enabled"
    run(["git", "annex", "export", "main", "--to", "tree"], repo, env)
    run(["git", "annex", "unlock", "v.txt"], repo, env)
    (repo / "v.txt").write_bytes(b"version two\n")
    run(["git", "annex", "add", "v.txt"], repo, env)
    run(["git", "commit", "-q", "-m", "v2"], repo, env)
    run(["git", "annex", "export", "main", "--to", "tree"], repo, env)
    versions = client.list_object_versions(Bucket=bucket_name, Prefix="v.txt")["Versions"]
    bodies = {client.get_object(Bucket=bucket_name, Key="v.txt",
                                VersionId=v["VersionId"])["Body"].read() for v in versions}
    assert bodies == {b"version one\n", b"version two\n"}


@pytest.mark.parametrize("s3", server_params(names=("s3rver-http", "s3rver-https")),
                         indirect=True)
def test_versioning_refused_by_server_without_versioning(tmp_path, env, s3, bucket_name):
    """s3rver has no versioning: initremote fails and the message names the server's answer."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"v.txt": b"one\n"})
    failed = initremote(repo, env, "tree", s3, bucket_name, "exporttree=yes",
                        "bucketversioning=yes", "encryption=none", check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert f"enabling versioning on bucket {bucket_name}" in output, output
    assert "409 BucketAlreadyExists" in output, output
    assert "Traceback" not in output and "internal error" not in output, output


def public_journey(tmp_path: Path, env: dict[str, str], s3: ServerInfo, bucket: str,
                   *settings: str) -> None:
    """public=yes: anonymous GETs work, a private object is refused where ACLs are enforced,
    and a clone without credentials auto-enables the remote and gets every file."""
    env = s3.env(env)
    bucket_name = bucket
    files = {"README": content("readme"), "sub 01/ünï#?.tsv": content("tsv", 70_000)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    public = s3.public_url(bucket_name)
    if s3.public_base:  # Swift: anonymous reads go through its own URL, not the S3 path
        settings = (f"publicurl={public}", *settings)
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none", "public=yes",
               "autoenable=true", *settings)
    run(["git", "annex", "copy", "--to", REMOTE, "."], repo, env)
    for name, data in files.items():
        assert s3.anonymous_get(f"{public}/{quote(key_of(repo, env, name))}") == (200, data)
    s3.client().put_object(Bucket=bucket_name, Key="private-control", Body=b"secret\n")
    status, body = s3.anonymous_get(f"{public}/private-control")
    if s3.acls_enforced:
        assert status == 403, (status, body)
    else:  # s3rver ignores ACLs, Swift object ACLs (the bucket is public): served to anybody
        assert (status, body) == (200, b"secret\n")
    s3.client().delete_object(Bucket=bucket_name, Key="private-control")

    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    free = credential_free_env(tmp_path / "empty-home")
    if s3.ca_bundle:  # not a credential: the private CA of the https endpoint
        free["AWS_CA_BUNDLE"] = s3.ca_bundle
    assert not {name for name in free if name.startswith("AWS_") and "KEY" in name}
    cloned = tmp_path / "clone"
    run(["git", "clone", "-q", str(bare), str(cloned)], tmp_path, free)
    init = run(["git", "annex", "init"], cloned, free)
    assert f"Auto enabling special remote {REMOTE}" in init.stdout
    run(["git", "annex", "get", "--from", REMOTE, "."], cloned, free)
    assert_files(cloned, files)


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_public_clone_without_credentials(tmp_path, env, s3, bucket_name):
    public_journey(tmp_path, env, s3, bucket_name)


@pytest.mark.parametrize("s3", server_params(names=("ceph-https", "s3rver-https")),
                         indirect=True)
def test_public_https_clone_with_checksums_when_required(tmp_path, env, s3, bucket_name):
    """Past B1/B5 (checksums=when_required): the credential-free clone over https."""
    public_journey(tmp_path, env, s3, bucket_name, "checksums=when_required")


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_testremote_fast(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": content("f")})
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none")
    result = run(["git", "annex", "testremote", "--fast", REMOTE], repo, env, timeout=900)
    assert "All 125 tests passed" in result.stdout + result.stderr, result.stdout[-2000:]


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_presence_checks_are_lean_heads(tmp_path, env, s3, bucket_name):
    """fsck --fast -J8 of 24 keys: every check is one HEAD of its object, sent by the lean
    path (which stays on), and no listing of the prefix answers a check (docs/benchmarks.md,
    session 8: listing checks that waited together never paid; and OpenStack Swift's
    listings lag behind writes)."""
    env = s3.env(env)
    files = {f"f{i:02d}.txt": content(f"f{i}") for i in range(24)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none")
    run(["git", "annex", "copy", "--to", REMOTE, "."], repo, env)
    fsck = run(["git", "annex", "fsck", "--fast", "-J8", "--from", REMOTE, "--json",
                "--debug", "."], repo, env)
    results = [json.loads(line) for line in fsck.stdout.splitlines()]
    assert len(results) == len(files) and all(r["success"] for r in results), fsck.stdout
    for name in files:
        assert f"S3 HEAD {key_of(repo, env, name)} (lean): 200" in fsck.stderr, name
    listings = ("S3 GET (the bucket)", "(ListObjects")  # the lean path's, botocore's
    assert not any(listing in fsck.stderr for listing in listings), fsck.stderr[-3000:]
    assert "lean request path off" not in fsck.stderr, fsck.stderr[-3000:]


@pytest.mark.parametrize("s3", server_params(names=("ceph-https", "s3rver-https")),
                         indirect=True)
def test_https_with_checksums_when_required(tmp_path, env, s3, bucket_name):
    """The documented workaround for B1/B5: checksums=when_required, multipart included."""
    env = s3.env(env)
    files = {"small.txt": content("small"), "big.bin": content("big", 12 * MiB)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none", "partsize=5MiB",
               "checksums=when_required")
    run(["git", "annex", "copy", "--to", REMOTE, "."], repo, env)
    assert annex_objects(s3, bucket_name) == {key_of(repo, env, n): d for n, d in files.items()}
    run(["git", "annex", "drop", "."], repo, env)
    run(["git", "annex", "get", "--from", REMOTE, "."], repo, env)
    assert_files(repo, files)
    run(["git", "annex", "fsck", "--from", REMOTE, "."], repo, env)


@pytest.mark.parametrize("s3", server_params(names=("ceph-https", "s3rver-https")),
                         indirect=True)
def test_https_default_checksums_multipart_after_enableremote(tmp_path, env, s3, bucket_name):
    """A remote set up with when_required and set back to the default still stores a file
    above partsize correctly (the bucket holds exactly the file's bytes, nothing else)."""
    env = s3.env(env)
    files = {"big.bin": content("big", 12 * MiB)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none", "partsize=5MiB",
               "checksums=when_required")
    run(["git", "annex", "enableremote", REMOTE, "checksums=when_supported"], repo, env)
    copied = run(["git", "annex", "copy", "--to", REMOTE, "."], repo, env, check=False)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert annex_objects(s3, bucket_name) == {key_of(repo, env, "big.bin"): files["big.bin"]}
    run(["git", "annex", "drop", "."], repo, env)
    run(["git", "annex", "get", "--from", REMOTE, "."], repo, env)
    assert_files(repo, files)


def builtin_settings(s3: ServerInfo) -> list[str]:
    """git-annex's own type=S3 remote for ``s3``: path style, v2 on Ceph and Swift, else v4."""
    scheme, _, hostport = s3.endpoint.partition("://")
    host, _, port = hostport.partition(":")
    # v4 fails on Ceph (C1) and Swift (the region taken from the host name)
    signature = "v2" if s3.name.startswith(("ceph", "swift")) else "v4"
    return ["type=S3", f"host={host}", f"port={port}", f"protocol={scheme}",
            "requeststyle=path", f"signature={signature}", "encryption=none"]


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_builtin_s3_remote_copy_get(tmp_path, env, s3, bucket_name):
    """Comparison: the built-in remote stores and gets back a 12 MiB file (one PUT). Over https
    with the servers' private CA only where it can be told about the CA: Debian's 10.20230126
    reads SYSTEM_CERTIFICATE_PATH, the PyPI wheel of 10.20261026 does not (nor SSL_CERT_FILE
    or SSL_CERT_DIR: measured), so there its answer is asserted instead."""
    env = s3.env(env)
    if s3.ca_bundle:  # the built-in's TLS (Haskell x509-system) reads this, not AWS_CA_BUNDLE
        env["SYSTEM_CERTIFICATE_PATH"] = s3.ca_bundle
    files = {"big.bin": content("big", 12 * MiB)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    # made beforehand: moto refuses every LocationConstraint the built-in sends ("US" or
    # datacenter=...: IllegalLocationConstraintException)
    s3.client().create_bucket(Bucket=bucket_name)
    initremote = ["git", "annex", "initremote", "builtin", f"bucket={bucket_name}",
                  *builtin_settings(s3)]
    if s3.ca_bundle and needs_verifyremote():  # the newest wheel's TLS ignores that variable
        refused = run(initremote, repo, env, check=False)
        assert refused.returncode != 0 and "certificate has unknown CA" in refused.stderr
        return
    run(initremote, repo, env)
    run(["git", "annex", "copy", "--to", "builtin", "."], repo, env)
    assert annex_objects(s3, bucket_name) == {key_of(repo, env, "big.bin"): files["big.bin"]}
    run(["git", "annex", "drop", "."], repo, env)
    run(["git", "annex", "get", "--from", "builtin", "."], repo, env)
    assert_files(repo, files)




NO_ANONYMOUS_READS = "anonymous reads do not work"


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_initremote_says_when_anonymous_reads_fail(tmp_path, env, s3, bucket_name):
    """publicurl= of a private bucket (no public=yes): initremote reads its marker there without
    credentials and says in one line that clones without credentials get nothing, and the fix.
    s3rver serves private objects to anybody: there the read works and nothing is said."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": content("f")})
    public = s3.public_url(bucket_name)
    init = initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none",
                      f"publicurl={public}")
    said = [line for line in (init.stdout + init.stderr).splitlines()
            if NO_ANONYMOUS_READS in line]
    if not s3.acls_enforced and not s3.public_base:
        assert said == [], said
        return
    assert len(said) == 1, init.stdout + init.stderr
    status = 401 if s3.public_base else 403  # Swift: no token, else S3's AccessDenied
    assert f"an unsigned GET of {public}/annex-uuid answered HTTP {status}" in said[0]
    assert "clones without credentials get nothing" in said[0]
    if s3.public_base:
        assert f"set public=yes, which gives bucket {bucket_name} Swift's container read ACL" \
            in said[0], said[0]
    else:
        assert "git-annex-remote-s3py policy --remote s3 prints" in said[0], said[0]


@pytest.mark.parametrize("s3", server_params(names=("swift-http", "swift-https")), indirect=True)
def test_swift_public_yes_names_its_public_url(tmp_path, env, s3, bucket_name):
    """public=yes on Swift without publicurl=: the S3 path refuses unsigned requests (400), so
    initremote gives the bucket the public-read ACL and names Swift's own URL; set as said,
    enableremote's check reads the marker there and objects copied later are public."""
    env = s3.env(env)
    files = {"f.txt": content("f")}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    init = initremote(repo, env, REMOTE, s3, bucket_name, "encryption=none", "public=yes")
    said = [line for line in (init.stdout + init.stderr).splitlines()
            if NO_ANONYMOUS_READS in line]
    assert len(said) == 1, init.stdout + init.stderr
    public = s3.public_url(bucket_name)
    assert f"an unsigned GET of {s3.endpoint}/{bucket_name}/annex-uuid answered HTTP 400" \
        in said[0], said[0]
    fix = (f"OpenStack Swift serves anonymous reads at its own URL: set publicurl={public} "
           "(git annex enableremote s3 publicurl=...)")
    assert fix in said[0], said[0]
    enable = run(["git", "annex", "enableremote", REMOTE, f"publicurl={public}"], repo, env)
    assert NO_ANONYMOUS_READS not in enable.stdout + enable.stderr
    run(["git", "annex", "copy", "--to", REMOTE, "."], repo, env)
    url = f"{public}/{quote(key_of(repo, env, 'f.txt'))}"
    assert s3.anonymous_get(url) == (200, files["f.txt"])
    whereis = run(["git", "annex", "whereis", "f.txt"], repo, env)
    assert url in whereis.stdout, whereis.stdout


def docs_snippet(title: str) -> str:
    """The indented code block after the paragraph starting with ``title`` in
    docs/servers.md, as a shell script."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "servers.md").read_text()
    after = text[text.index(f"\n{title}"):].split("\n\n", 2)[1]
    assert after.startswith("    "), after
    return "\n".join(line[4:] for line in after.splitlines())


@pytest.mark.parametrize("s3", server_params(names=("swift-https",)), indirect=True)
def test_swift_setup_snippet_works_as_written(tmp_path, env, s3, bucket_name):
    """docs/servers.md's Swift snippet, run by bash with only the host, the bucket and the CA
    file replaced: initremote says nothing about anonymous reads, the copied file is read
    anonymously at the documented publicurl=."""
    script = docs_snippet("OpenStack Swift with s3api").replace(
        "https://swift.example.org:8080", s3.endpoint).replace(
        "mybucket", bucket_name).replace("/etc/ssl/my-ca.pem", str(s3.ca_bundle))
    files = {"f.txt": content("f")}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    done = run(["bash", "-euc", script], repo, env)
    assert NO_ANONYMOUS_READS not in done.stdout + done.stderr, done.stdout + done.stderr
    url = f"{s3.public_url(bucket_name)}/{quote(key_of(repo, env, 'f.txt'))}"
    assert s3.anonymous_get(url) == (200, files["f.txt"])


@pytest.mark.parametrize("s3", server_params(), indirect=True)
def test_import_tree_of_a_filled_bucket(tmp_path, env, s3, bucket_name):
    """importtree=yes of a bucket filled by boto3 (one object above the part size, multipart):
    the tree equals the objects under the prefix, nothing outside it, and fsck passes; the
    listing is read by the lean path on every server: URL-encoded names (AWS, Ceph, moto) or
    plain ones (s3rver 3, which ignores encoding-type=url and once turned the lean path off
    for the whole process: docs/servers.md B8). Where this git-annex does not import from
    external remotes (10.20230126), its refusal."""
    env = s3.env(env)
    client = s3.client()
    client.create_bucket(Bucket=bucket_name)
    objects = {"plain.txt": content("plain"), "sub dir/ünï.csv": content("csv"),
               "big/multi.dat": content("multi", 6 * MiB)}
    for name, data in objects.items():
        client.upload_fileobj(io.BytesIO(data), bucket_name, f"lab/{name}",
                              Config=TransferConfig(multipart_threshold=5 * MiB,
                                                    multipart_chunksize=5 * MiB))
    client.put_object(Bucket=bucket_name, Key="outside.txt", Body=b"not under the prefix")
    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    run(["git", "annex", "init", "-q"], repo, env)
    init = initremote(repo, env, "lab", s3, bucket_name, "importtree=yes", "encryption=none",
                      "fileprefix=lab/", check=False)
    if not imports_external(env):
        assert init.returncode != 0
        assert "importtree is not supported by this special remote" in init.stdout + init.stderr
        return
    assert init.returncode == 0, init.stdout + init.stderr
    imported = run(["git", "annex", "import", "--debug", "main", "--from", "lab"], repo, env)
    assert "S3 GET (the bucket) (lean): 200" in imported.stderr  # the listing page, lean
    assert "lean request path off" not in imported.stderr, imported.stderr[-3000:]
    run(["git", "merge", "-q", "--allow-unrelated-histories", "-m", "import", "lab/main"],
        repo, env)
    assert_files(repo, objects)
    tracked = run(["git", "ls-files"], repo, env).stdout.splitlines()
    assert not [name for name in tracked if "outside" in name], tracked
    run(["git", "annex", "fsck", "--from", "lab", "--fast"], repo, env)
