"""``git-annex-remote-s3py verify``: every key the location log puts on the remote is checked
by one HEAD (no GET of an object body: the fault proxy's request log shows it), damage done by
another client is named key by key, and ``--fix`` corrects the location log."""

from __future__ import annotations

import json
import os

import pytest
from support.repos import initremote, make_annex_repo, run

pytestmark = pytest.mark.e2e


def verify(repo, env, *args: str, check: bool = False):
    return run(["git-annex-remote-s3py", "verify", *args], repo, env, check=check)


def records(output: str) -> dict[str, dict]:
    return {record["file"]: record for record in map(json.loads, output.splitlines())}


def object_gets(proxy, mark: int, bucket: str) -> list:
    """GETs of anything below the bucket (object bodies, ranged or not)."""
    return [seen for seen in proxy.since(mark)
            if seen.method == "GET" and seen.path.strip("/") != bucket]


def key_repo(tmp_path, env, proxy, bucket):
    """SHA256E, MD5E and WORM files copied to an s3py remote behind the proxy."""
    files = {f"sha/{i}.dat": os.urandom(3000 + i) for i in range(4)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    for i in range(3):
        (repo / f"md5-{i}.dat").write_bytes(os.urandom(2000 + i))
    run(["git", "annex", "add", "-q", "--backend=MD5E", "."], repo, env)
    (repo / "worm.dat").write_bytes(b"worm")
    run(["git", "annex", "add", "-q", "--backend=WORM", "worm.dat"], repo, env)
    run(["git", "commit", "-q", "-m", "more"], repo, env)
    initremote(repo, env, "s3", proxy, bucket, "encryption=none", "fileprefix=v/")
    run(["git", "annex", "copy", "-q", "--to", "s3", "-J3", "."], repo, env)
    return repo


def key_of(repo, env, path: str) -> str:
    return run(["git", "annex", "lookupkey", path], repo, env).stdout.strip()


def test_intact_remote_is_verified_by_heads_alone(tmp_path, env, s3_proxy, bucket_name):
    repo = key_repo(tmp_path, env, s3_proxy, bucket_name)
    mark = s3_proxy.mark()
    done = verify(repo, env, "--json", "-J4", "--", "sha", "md5-0.dat", "md5-1.dat",
                  "md5-2.dat", "worm.dat")
    assert done.returncode == 0, done.stderr
    found = records(done.stdout)
    assert {file: r["status"] for file, r in found.items()} == {
        **{f"sha/{i}.dat": "verified" for i in range(4)},
        **{f"md5-{i}.dat": "verified" for i in range(3)}, "worm.dat": "verified"}
    assert "SHA-256" in found["sha/0.dat"]["reason"] and "MD5" in found["md5-0.dat"]["reason"]
    assert "s3py checked at upload" in found["worm.dat"]["reason"]  # its recorded ETag
    assert object_gets(s3_proxy, mark, bucket_name) == []
    heads = [seen for seen in s3_proxy.since(mark) if seen.method == "HEAD"]
    assert len(heads) == 8
    assert "8 keys: 8 verified" in done.stderr


def test_damage_by_another_client_is_named_and_fixed(tmp_path, env, s3_server, s3_proxy,
                                                      bucket_name):
    repo = key_repo(tmp_path, env, s3_proxy, bucket_name)
    other = s3_server.client()  # another client, straight to the server
    overwritten, deleted, truncated = "md5-0.dat", "sha/1.dat", "sha/2.dat"
    name = {path: f"v/{key_of(repo, env, path)}" for path in (overwritten, deleted, truncated)}
    size = len((repo / overwritten).read_bytes())
    other.put_object(Bucket=bucket_name, Key=name[overwritten], Body=os.urandom(size))
    other.delete_object(Bucket=bucket_name, Key=name[deleted])
    other.put_object(Bucket=bucket_name, Key=name[truncated],
                     Body=(repo / truncated).read_bytes()[:100])
    mark = s3_proxy.mark()
    done = verify(repo, env, "--json")
    assert done.returncode == 1
    bad = {file: r["status"] for file, r in records(done.stdout).items()
           if r["status"] not in ("verified", "present")}
    assert bad == {overwritten: "corrupt", deleted: "missing", truncated: "corrupt"}
    assert object_gets(s3_proxy, mark, bucket_name) == []

    fixed = verify(repo, env, "--fix")
    assert fixed.returncode == 1
    assert sorted(line.split()[1].rstrip(":") for line in fixed.stdout.splitlines()
                  if line.startswith("fixed")) == sorted(bad)
    remote_uuid = run(["git", "config", "remote.s3.annex-uuid"], repo, env).stdout.strip()
    for path in (*bad, "sha/0.dat"):
        where = run(["git", "annex", "whereis", "--json", path], repo, env,
                    check=False).stdout
        assert (remote_uuid in where) == (path == "sha/0.dat"), path
    again = verify(repo, env)  # the location log no longer puts them there
    assert again.returncode == 0 and "5 keys: 5 verified" in again.stderr
    run(["git", "annex", "fsck", "-q", "--fast", "--from", "s3", "."], repo, env)


def test_download_sample_hashes_what_no_checksum_proves(tmp_path, env, s3_server, s3_proxy,
                                                         bucket_name):
    files = {f"{i}.dat": os.urandom(1000 + i) for i in range(3)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none")
    remote_uuid = run(["git", "config", "remote.s3.annex-uuid"], repo, env).stdout.strip()
    other = s3_server.client()  # another tool wrote them (no checksum, no s3py record)
    for path, data in files.items():
        body = os.urandom(len(data)) if path == "0.dat" else data
        other.put_object(Bucket=bucket_name, Key=key_of(repo, env, path), Body=body)
        run(["git", "annex", "setpresentkey", key_of(repo, env, path), remote_uuid, "1"],
            repo, env)
    plain = records(verify(repo, env, "--json").stdout)
    assert {r["status"] for r in plain.values()} == {"present"}
    assert "no SHA-256 checksum stored" in plain["1.dat"]["reason"]
    mark = s3_proxy.mark()
    sampled = verify(repo, env, "--json", "--download", "1")
    assert sampled.returncode == 1
    assert {f: r["status"] for f, r in records(sampled.stdout).items()} == {
        "0.dat": "corrupt", "1.dat": "verified", "2.dat": "verified"}
    assert len(object_gets(s3_proxy, mark, bucket_name)) == 3


def test_multipart_objects_are_verified_by_the_etag_recorded_at_upload(
        tmp_path, env, s3_server, s3_proxy, bucket_name):
    big = {f"big{i}.bin": os.urandom(6 * 1024**2 + i) for i in range(2)}
    repo = make_annex_repo(tmp_path / "repo", env, big)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "partsize=5MiB")
    run(["git", "annex", "copy", "-q", "--to", "s3", "."], repo, env)
    names = {path: key_of(repo, env, path) for path in big}
    assert all(s3_server.client().head_object(Bucket=bucket_name, Key=name)["ETag"]
               .endswith('-2"') for name in names.values())  # two parts each
    found = records(verify(repo, env, "--json").stdout)
    assert {f: r["status"] for f, r in found.items()} == {p: "verified" for p in big}
    assert "s3py checked at upload" in found["big0.bin"]["reason"]
    s3_server.client().put_object(Bucket=bucket_name, Key=names["big0.bin"],
                                  Body=os.urandom(len(big["big0.bin"])))
    mark = s3_proxy.mark()
    again = verify(repo, env, "--json")
    assert again.returncode == 1
    found = records(again.stdout)
    assert (found["big0.bin"]["status"], found["big1.bin"]["status"]) == ("corrupt", "verified")
    assert "overwritten" in found["big0.bin"]["reason"]
    assert object_gets(s3_proxy, mark, bucket_name) == []


def test_export_mode_checks_the_exported_tree_and_its_versions(tmp_path, env, s3_server,
                                                               s3_proxy, bucket_name):
    files = {"a.dat": os.urandom(1500), "d/b.dat": os.urandom(1600)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "exporttree=yes",
               "bucketversioning=yes", "fileprefix=x/")
    run(["git", "annex", "export", "-q", "HEAD", "--to", "s3"], repo, env)
    (repo / "a.dat").unlink()
    run(["git", "annex", "add", "-q", "a.dat"], repo, env, check=False)
    (repo / "a.dat").write_bytes(os.urandom(1700))  # a new version of a.dat
    run(["git", "annex", "add", "-q", "a.dat"], repo, env)
    run(["git", "commit", "-q", "-m", "new a"], repo, env)
    run(["git", "annex", "export", "-q", "HEAD", "--to", "s3"], repo, env)
    done = verify(repo, env, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    found = records(done.stdout)
    assert {f: r["status"] for f, r in found.items()} == {"a.dat": "verified",
                                                          "d/b.dat": "verified"}
    assert found["a.dat"]["object"] == "x/a.dat" and found["a.dat"]["version"]
    s3_server.client().delete_object(Bucket=bucket_name, Key="x/d/b.dat",
                                     VersionId=found["d/b.dat"]["version"])
    gone = records(verify(repo, env, "--json", "d").stdout)
    assert {f: r["status"] for f, r in gone.items()} == {"d/b.dat": "missing"}


def test_anonymous_checks_reads_through_the_public_url(tmp_path, env, s3_server, s3_proxy,
                                                        bucket_name):
    files = {f"{i}.dat": os.urandom(1200 + i) for i in range(3)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "public=yes")
    run(["git", "annex", "copy", "-q", "--to", "s3", "."], repo, env)
    mark = s3_proxy.mark()
    done = verify(repo, env, "--json", "--anonymous")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {r["status"] for r in records(done.stdout).values()} == {"verified"}
    seen = s3_proxy.since(mark)
    assert seen and not any(request.signed for request in seen)  # no credentials used
    assert object_gets(s3_proxy, mark, bucket_name) == []
    other = s3_server.client()
    other.put_object_acl(Bucket=bucket_name, Key=key_of(repo, env, "0.dat"), ACL="private")
    other.delete_object(Bucket=bucket_name, Key=key_of(repo, env, "1.dat"))
    refused = verify(repo, env, "--json", "--anonymous")
    assert refused.returncode == 1
    assert {f: r["status"] for f, r in records(refused.stdout).items()} == {
        "0.dat": "denied", "1.dat": "missing", "2.dat": "verified"}
    assert verify(repo, env, "--anonymous", "--fix").returncode == 1  # refused: not a check


def test_a_renamed_export_file_is_verified_at_its_new_path(tmp_path, env, s3_proxy,
                                                           bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"other.dat": b"other"})
    (repo / "old.dat").write_bytes(os.urandom(2500))  # WORM: only the record proves it
    run(["git", "annex", "add", "-q", "--backend=WORM", "old.dat"], repo, env)
    run(["git", "commit", "-q", "-m", "worm"], repo, env)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "exporttree=yes")
    run(["git", "annex", "export", "-q", "HEAD", "--to", "s3"], repo, env)
    run(["git", "mv", "old.dat", "new.dat"], repo, env)
    run(["git", "commit", "-q", "-m", "rename"], repo, env)
    run(["git", "annex", "export", "-q", "HEAD", "--to", "s3"], repo, env)  # RENAMEEXPORT
    done = verify(repo, env, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    record = records(done.stdout)["new.dat"]
    assert record["status"] == "verified" and "s3py checked at upload" in record["reason"]
