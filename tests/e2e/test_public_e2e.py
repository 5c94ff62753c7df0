"""public=yes, public URLs and credential-free clones, with the real git-annex and moto.

Every request goes through ``FaultProxy`` (tests/faultproxy.py) in front of moto's
server, which tells signed from anonymous requests and can refuse ACLs as a bucket with
"Object Ownership: bucket owner enforced" does (moto accepts every ACL). moto 5.2 does check
anonymous reads: 403 for a private object, 200 once it is public-read or a bucket policy allows
it, so an anonymous download here proves the object really is public.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support.annex_version import needs_verifyremote
from support.faultproxy import Rule
from support.public import (
    FILES,
    assert_anonymous,
    assert_same_files,
    bare_repo,
    credential_free_env,
    key_objects,
)
from support.repos import make_annex_repo, run
from support.verify import verify_remote

REMOTE = "public-s3"


def publish(tmp_path: Path, env: dict[str, str], proxy, bucket: str, *settings: str,
            files: dict[str, bytes] = FILES) -> tuple[Path, Path]:
    """A repository whose files are stored in a public s3py remote; pushed to a bare repo."""
    repo = make_annex_repo(tmp_path / "repo", env, files)
    run(["git", "annex", "initremote", REMOTE, "type=external", "externaltype=s3py",
         f"bucket={bucket}", f"endpoint={proxy.endpoint}", "public=yes", "autoenable=true",
         *settings], repo, env)
    run(["git", "annex", "copy", "-J2", "--to", REMOTE, "."], repo, env)
    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    return repo, bare


def clone(bare: Path, path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``git clone`` + ``git annex init`` (which auto-enables the remote)."""
    run(["git", "clone", "-q", str(bare), str(path)], path.parent, env)
    return run(["git", "annex", "init"], path, env)


def public_urls(repo: Path, env: dict[str, str], *paths: str) -> dict[str, set[str]]:
    """file -> the URLs ``git annex whereis`` shows (recorded ones and WHEREIS answers)."""
    lines = run(["git", "annex", "whereis", "--json", *paths], repo, env).stdout.splitlines()
    return {answer["file"]: {url for entry in answer["whereis"] for url in entry["urls"]}
            for answer in map(json.loads, lines)}


def test_key_mode_urls_and_credential_free_clone(tmp_path, env, s3_proxy, s3_server,
                                                  bucket_name):
    repo, bare = publish(tmp_path, env, s3_proxy, bucket_name, "encryption=none")
    stored = key_objects(s3_server.objects(bucket_name))
    assert len(stored) == len(FILES)
    acls = {s.path: s.acl for s in s3_proxy.requests if s.method == "PUT" and s.status == 200}
    assert all(acls[f"/{bucket_name}/{name}"] == "public-read" for name in stored)

    base = f"{s3_proxy.endpoint}/{bucket_name}"
    info = run(["git", "annex", "info", REMOTE], repo, env).stdout
    assert f"publicurl: {base}\n" in info
    for path, urls in public_urls(repo, env, ".").items():
        assert len(urls) == 1, urls
        url = urls.pop()
        assert url.startswith(base + "/SHA256E-") and not set(url) & set(" #?"), url
        with urllib.request.urlopen(url) as answer:  # anonymous, as anybody would
            assert answer.read() == FILES[path]
    whereis = run(["git", "annex", "whereis", "sub-01/func/ünï#?.tsv"], repo, env).stdout
    assert f"{REMOTE}: {base}/SHA256E-" in whereis

    free = credential_free_env(tmp_path / "empty-home")
    mark = s3_proxy.mark()
    cloned = tmp_path / "clone"
    init = clone(bare, cloned, free)
    assert "Auto enabling special remote public-s3" in init.stdout
    assert "read-only through its public URL" in init.stdout + init.stderr
    assert run(["git", "config", f"remote.{REMOTE}.annex-externaltype"], cloned,
               free).stdout.strip() == "s3py"
    run(["git", "annex", "get", "--from", REMOTE, "."], cloned, free)
    assert_same_files(cloned, FILES)
    assert_anonymous(s3_proxy.since(mark), bucket_name, stored)

    (cloned / "new.txt").write_text("new content\n")
    run(["git", "annex", "add", "new.txt"], cloned, free)
    mark = s3_proxy.mark()
    writes = (["copy", "--to", REMOTE, "new.txt"], ["drop", "--from", REMOTE, "README"])
    if needs_verifyremote():  # git-annex 10.2025+ refuses an autoenabled remote's writes first
        for command in writes:
            failed = run(["git", "annex", *command], cloned, free, check=False)
            assert failed.returncode != 0
            assert f"git-annex verifyremote {REMOTE}" in failed.stdout + failed.stderr, failed
        verify_remote(cloned, free, REMOTE)  # then s3py itself refuses: no credentials
    for command in writes:
        failed = run(["git", "annex", *command], cloned, free, check=False)
        assert failed.returncode != 0
        assert "AWS_ACCESS_KEY_ID" in failed.stdout + failed.stderr, failed
    assert not [s for s in s3_proxy.since(mark) if s.method in ("PUT", "POST", "DELETE")]
    assert len(key_objects(s3_server.objects(bucket_name))) == len(FILES)

    run(["git", "annex", "drop", "--from", REMOTE, "README"], repo, env)
    assert public_urls(repo, env, "README") == {"README": set()}  # the URL is gone too


def test_clone_without_s3py_finds_no_web_copy(tmp_path, env, s3_proxy, s3_server, bucket_name):
    """No web URL is recorded (one S3 object is one copy, issue #12 item 1), so a clone
    without s3py has no second copy to get; it was ``..._uses_web_and_readonly``, which
    asserted the double count."""
    _, bare = publish(tmp_path, env, s3_proxy, bucket_name, "encryption=none",
                      "fileprefix=ds 1/")
    free = credential_free_env(tmp_path / "empty-home", without_s3py=True)
    mark = s3_proxy.mark()
    cloned = tmp_path / "clone"
    init = clone(bare, cloned, free)  # autoenable cannot run s3py: a warning, not an error
    assert "Cannot run git-annex-remote-s3py -- It is not installed in PATH" in (
        init.stdout + init.stderr)
    first = sorted(FILES)[0]
    failed = run(["git", "annex", "get", first], cloned, free, check=False)
    assert failed.returncode != 0 and "(not available)" in failed.stdout
    run(["git", "annex", "enableremote", REMOTE, "readonly=true"], cloned, free)
    failed = run(["git", "annex", "get", first], cloned, free, check=False)
    assert failed.returncode != 0 and "(from web...)" not in failed.stdout
    whereis = json.loads(run(["git", "annex", "whereis", "--json", first], cloned,
                             free).stdout)
    assert "00000000-0000-0000-0000-000000000001" not in {
        entry["uuid"] for entry in whereis["whereis"]}
    assert len(whereis["whereis"]) == 2  # the origin and the s3py remote, named ...
    assert [entry["urls"] for entry in whereis["whereis"]] == [[], []]  # ... without a URL
    assert not (cloned / first).exists()
    assert not [s for s in s3_proxy.since(mark) if s.method == "GET"]

    # docs/publish.md step 7: the URL built from base, fileprefix and key serves the bytes
    key = run(["git", "annex", "lookupkey", first], cloned, free).stdout.strip()
    url = f"{s3_proxy.endpoint}/{bucket_name}/ds%201/{key}"
    with urllib.request.urlopen(url) as answer:
        assert answer.read() == FILES[first]


def test_initremote_without_credentials(tmp_path, s3_proxy, bucket_name):
    """Read-only use of somebody's public bucket needs no credentials and sends no request;
    anything else fails, naming the credentials."""
    free = credential_free_env(tmp_path / "empty-home")
    repo = make_annex_repo(tmp_path / "repo", free, {"x": b"x"})
    common = ["git", "annex", "initremote", "type=external", "externaltype=s3py",
              "encryption=none", f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}"]
    private = run([*common[:3], "private", *common[3:]], repo, free, check=False)
    assert private.returncode != 0
    assert "AWS_ACCESS_KEY_ID" in private.stdout + private.stderr
    public = run([*common[:3], "public", *common[3:], "public=yes"], repo, free)
    assert "read-only through its public URL" in public.stdout + public.stderr
    assert s3_proxy.requests == []


def test_encrypted_and_chunked_content_gets_no_public_url(tmp_path, env, s3_proxy,
                                                          bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"secret.txt": b"not for the web\n"})
    for name, settings in (("enc", ["encryption=shared"]),
                           ("chunked", ["encryption=none", "chunk=1MiB"])):
        run(["git", "annex", "initremote", name, "type=external", "externaltype=s3py",
             f"bucket={bucket_name}", f"fileprefix={name}/", f"endpoint={s3_proxy.endpoint}",
             "public=yes", *settings], repo, env)
        run(["git", "annex", "copy", "--to", name, "secret.txt"], repo, env)
    assert public_urls(repo, env, "secret.txt") == {"secret.txt": set()}
    whereis = run(["git", "annex", "whereis", "secret.txt"], repo, env).stdout
    assert "http" not in whereis, whereis


def test_bucket_refusing_acls_stores_and_says_once(tmp_path, env, s3_proxy, s3_server,
                                                   bucket_name):
    s3_proxy.set_rules(Rule("400-acl", header="x-amz-acl"))
    files = {f"f{i}.dat": f"content {i}\n".encode() for i in range(4)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    run(["git", "annex", "initremote", REMOTE, "type=external", "externaltype=s3py",
         f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "public=yes",
         "encryption=none", "fileprefix=ds1/"], repo, env)
    copied = run(["git", "annex", "copy", "-J2", "--to", REMOTE, "."], repo, env)
    output = copied.stdout + copied.stderr
    hint = f"git-annex-remote-s3py policy --bucket {bucket_name} --prefix ds1/"
    assert output.count(hint) == 1, output
    assert f'"Resource":"arn:aws:s3:::{bucket_name}/ds1/*"' in output
    stored = s3_server.objects(bucket_name, "ds1/")
    assert sorted(stored.values()) == sorted([*files.values(), stored["ds1/annex-uuid"]])
    assert "(ACLs disabled)" in output
    refused = [s for s in s3_proxy.requests if s.status == 400 and s.acl == "public-read"]
    assert refused, "the proxy never refused an ACL: the test proves nothing"
    (url,) = public_urls(repo, env, "f0.dat")["f0.dat"]  # recorded all the same
    with pytest.raises(urllib.error.HTTPError, match="403"):  # moto enforces ACLs for
        urllib.request.urlopen(url)                           # anonymous requests, as S3

    policy = run(["git-annex-remote-s3py", "policy", "--bucket", bucket_name, "--prefix",
                  "ds1/"], repo, env)
    assert run(["git-annex-remote-s3py", "policy", "--remote", REMOTE], repo,
               env).stdout == policy.stdout
    document = json.loads(policy.stdout)
    statement = document["Statement"][0]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == (
        "Allow", "*", "s3:GetObject")
    assert statement["Resource"] == f"arn:aws:s3:::{bucket_name}/ds1/*"
    s3_server.client().put_bucket_policy(Bucket=bucket_name, Policy=policy.stdout)
    with urllib.request.urlopen(url) as answer:  # the policy opens the prefix
        assert answer.read() == files["f0.dat"]

    # export mode, under Block Public Access (403 for public ACLs): stores, and a rename
    # (a server-side copy) do without the ACL too
    s3_proxy.set_rules(Rule("403", header="x-amz-acl"))
    run(["git", "annex", "initremote", "exp", "type=external", "externaltype=s3py",
         f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "public=yes",
         "encryption=none", "exporttree=yes", "fileprefix=tree/"], repo, env)
    exported = run(["git", "annex", "export", "--to", "exp", "main"], repo, env)
    assert "(403: Block Public Access" in exported.stdout + exported.stderr
    run(["git", "mv", "f0.dat", "new name.dat"], repo, env)
    run(["git", "commit", "-q", "-m", "rename"], repo, env)
    renamed = run(["git", "annex", "export", "--to", "exp", "main"], repo, env)
    assert "rename" in renamed.stdout and "(403: Block Public Access" in renamed.stdout
    tree = s3_server.objects(bucket_name, "tree/")
    assert sorted(tree) == ["tree/annex-uuid", "tree/f1.dat", "tree/f2.dat", "tree/f3.dat",
                            "tree/new name.dat"]
    assert tree["tree/new name.dat"] == files["f0.dat"]
    tree_urls = {url for url in public_urls(repo, env, "new name.dat")["new name.dat"]
                 if "/tree/" in url}  # no web URL records for exported paths (issue #12)
    assert tree_urls == set()




def test_presigned_urls_expire_and_stay_out_of_git(tmp_path, env, s3_proxy, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a b.txt": b"private\n", "c": b"c\n"})
    for name, settings in (("private", ["fileprefix=p 1/"]),
                           ("tree", ["exporttree=yes", "fileprefix=t/"])):
        run(["git", "annex", "initremote", name, "type=external", "externaltype=s3py",
             f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "encryption=none",
             *settings], repo, env)
    run(["git", "annex", "copy", "--to", "private", "."], repo, env)
    run(["git", "annex", "export", "--to", "tree", "main"], repo, env)
    # creds now come from git-annex's local store, as the remote reads them
    no_env_creds = credential_free_env(Path(env["HOME"]))
    ambiguous = run(["git-annex-remote-s3py", "presign", "a b.txt"], repo, no_env_creds,
                    check=False)
    assert ambiguous.returncode == 1 and "--remote" in ambiguous.stderr
    for name, expires in (("private", "120"), ("tree", "7")):
        presigned = run(["git-annex-remote-s3py", "presign", "a b.txt", "c", "--remote", name,
                         "--expires", expires], repo, no_env_creds).stdout.splitlines()
        assert len(presigned) == 2
        for url, content in zip(presigned, (b"private\n", b"c\n")):
            assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == [expires]
            with urllib.request.urlopen(url) as answer:
                assert answer.read() == content
    assert any(s.signed and s.method == "GET" for s in s3_proxy.requests)
    history = run(["git", "log", "-p", "--all"], repo, env).stdout
    assert "a b.txt" in history or "a%20b.txt" in history  # the log really is there
    assert "X-Amz-Signature" not in history and "X-Amz-Credential" not in history


WEB_UUID = "00000000-0000-0000-0000-000000000001"


def holders(repo: Path, env: dict[str, str], key: str) -> dict[str, set[str]]:
    """uuid -> URLs of every remote ``git annex whereis`` lists a copy of ``key`` on (an
    export remote is untrusted)."""
    answer = json.loads(run(["git", "annex", "whereis", "--json", "--key", key], repo,
                            env).stdout)
    return {entry["uuid"]: set(entry["urls"])
            for entry in answer["whereis"] + answer.get("untrusted", [])}


def test_old_versions_of_a_public_export_for_anybody(tmp_path, env, s3_proxy, s3_server,
                                                    bucket_name):
    """docs/export.md, "Public bucket": an overwritten or unexported version stays in the
    versioned bucket, and the remote records its public versioned URL when git-annex stops
    counting it there; so that one object is one copy (the web remote's, not the export
    remote's too), and a clone with neither credentials nor s3py gets it at the old commit."""
    repo = make_annex_repo(tmp_path / "repo", env, {"data.txt": b"old bytes\n",
                                                    "gone.txt": b"unexported later\n",
                                                    "other.txt": b"stays\n"})
    run(["git", "annex", "initremote", REMOTE, "type=external", "externaltype=s3py",
         f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "public=yes",
         "exporttree=yes", "bucketversioning=yes", "fileprefix=v/", "autoenable=true",
         "encryption=none"], repo, env)
    uuid = run(["git", "config", f"remote.{REMOTE}.annex-uuid"], repo, env).stdout.strip()
    run(["git", "annex", "export", "HEAD", "--to", REMOTE], repo, env)
    old = {name: run(["git", "annex", "lookupkey", name], repo, env).stdout.strip()
           for name in ("data.txt", "gone.txt", "other.txt")}
    run(["git", "mv", "data.txt", "moved.txt"], repo, env)  # a server-side rename first
    run(["git", "commit", "-q", "-m", "rename"], repo, env)
    run(["git", "annex", "export", "HEAD", "--to", REMOTE], repo, env)
    run(["git", "annex", "unlock", "moved.txt"], repo, env)
    (repo / "moved.txt").write_bytes(b"new bytes, overwriting\n")
    run(["git", "annex", "add", "-q", "moved.txt"], repo, env)
    run(["git", "rm", "-q", "gone.txt"], repo, env)
    run(["git", "commit", "-q", "-m", "overwrite one, remove one"], repo, env)
    run(["git", "annex", "export", "HEAD", "--to", REMOTE], repo, env)
    current = run(["git", "annex", "lookupkey", "moved.txt"], repo, env).stdout.strip()

    for name, last_at in (("data.txt", "moved.txt"), ("gone.txt", "gone.txt")):
        counted = holders(repo, env, old[name])  # only the web remote counts the old version
        assert set(counted) - {WEB_UUID} == {run(["git", "config", "annex.uuid"], repo,
                                                 env).stdout.strip()}, counted
        [url] = counted[WEB_UUID]
        assert url.startswith(f"{s3_proxy.endpoint}/{bucket_name}/v/{last_at}?versionId=")
    for key in (current, old["other.txt"]):  # current objects: the export remote's only
        assert uuid in holders(repo, env, key) and WEB_UUID not in holders(repo, env, key)
    kept = run(["git-annex-remote-s3py", "forget-public-urls", "--dry-run"], repo, env)
    assert kept.stdout.startswith("no web URL records under ")  # they are no double count

    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    for without_s3py in (False, True):
        free = credential_free_env(tmp_path / f"home-{without_s3py}", without_s3py)
        cloned = tmp_path / f"clone-{without_s3py}"
        clone(bare, cloned, free)
        run(["git", "checkout", "-q", "HEAD~2"], cloned, free)
        mark = s3_proxy.mark()
        run(["git", "annex", "get", "data.txt", "gone.txt"], cloned, free)  # as documented
        assert (cloned / "data.txt").read_bytes() == b"old bytes\n"
        assert (cloned / "gone.txt").read_bytes() == b"unexported later\n"
        assert_anonymous(s3_proxy.since(mark), bucket_name, {"v/moved.txt", "v/gone.txt"})


def test_old_versions_an_older_s3py_left_without_url(tmp_path, env, s3_proxy, s3_server,
                                                     bucket_name):
    """``record-old-versions``: a public versioned export whose overwritten versions have no
    public URL (an s3py before that recorded them) gets one per version that is there."""
    repo = make_annex_repo(tmp_path / "repo", env, {"data.txt": b"old bytes\n"})
    run(["git", "annex", "initremote", REMOTE, "type=external", "externaltype=s3py",
         f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "public=yes",
         "exporttree=yes", "bucketversioning=yes", "fileprefix=v/", "encryption=none"],
        repo, env)
    run(["git", "annex", "export", "HEAD", "--to", REMOTE], repo, env)
    old = run(["git", "annex", "lookupkey", "data.txt"], repo, env).stdout.strip()
    run(["git", "annex", "unlock", "data.txt"], repo, env)
    (repo / "data.txt").write_bytes(b"new bytes\n")
    run(["git", "annex", "add", "-q", "data.txt"], repo, env)
    run(["git", "commit", "-q", "-m", "overwrite"], repo, env)
    run(["git", "annex", "export", "HEAD", "--to", REMOTE], repo, env)
    [url] = holders(repo, env, old)[WEB_UUID]
    run(["git", "annex", "unregisterurl", old, url], repo, env)  # as an older s3py left it
    assert WEB_UUID not in holders(repo, env, old)

    dry = run(["git-annex-remote-s3py", "record-old-versions", "--dry-run"], repo, env)
    assert dry.stdout == f"would record {old} {url}\n"
    done = run(["git-annex-remote-s3py", "record-old-versions"], repo, env)
    assert done.stdout == f"recorded {old} {url}\n"
    assert holders(repo, env, old)[WEB_UUID] == {url}
    again = run(["git-annex-remote-s3py", "record-old-versions"], repo, env)
    assert again.stdout == "no old version without a public URL\n"

    bare = bare_repo(tmp_path / "bare.git", env)
    run(["git", "push", "-q", str(bare), "main", "git-annex"], repo, env)
    free = credential_free_env(tmp_path / "free-home", without_s3py=True)
    cloned = tmp_path / "clone"
    clone(bare, cloned, free)
    run(["git", "checkout", "-q", "HEAD~1"], cloned, free)
    run(["git", "annex", "get", "data.txt"], cloned, free)
    assert (cloned / "data.txt").read_bytes() == b"old bytes\n"
