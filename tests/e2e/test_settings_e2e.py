"""The upload and request settings end to end: full-size progress, ``git annex info``, ``--debug``
request lines, and the upload/request settings peers have (ACLs, tags, SSE-C, requester pays)
as the real git-annex drives them against moto's server (through the recording fault proxy
where the headers sent are the proof)."""

from __future__ import annotations

import os
import re

import pytest
from support.repos import TEST_KEY, TEST_SECRET, initremote, make_annex_repo, run

pytestmark = pytest.mark.e2e
MiB = 1024**2
PROGRESS = re.compile(r"<-- PROGRESS (\d+)$|\bPROGRESS (\d+)$", re.M)


def progress_lines(stderr: str) -> list[int]:
    """The PROGRESS counts the remote sent, in order, from ``git annex --debug`` output."""
    return [int(a or b) for a, b in PROGRESS.findall(stderr)]


def key_of(repo, env, path: str) -> str:
    return run(["git", "annex", "lookupkey", path], repo, env).stdout.strip()


@pytest.mark.parametrize("mode", ["key", "export"])
def test_the_last_progress_of_a_copy_and_a_get_is_the_file_size(tmp_path, env, s3_server,
                                                                bucket_name, mode):
    size = 20 * MiB
    data = os.urandom(size)
    repo = make_annex_repo(tmp_path / "repo", env, {"big.bin": data})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=p/",
               *(["exporttree=yes"] if mode == "export" else []))
    store = (["export", "HEAD", "--to", "s3"] if mode == "export" else
             ["copy", "--to", "s3", "big.bin"])
    copy = run(["git", "annex", "--debug", *store], repo, env)
    sent = progress_lines(copy.stderr)
    assert sent and sent[-1] == size, sent
    run(["git", "annex", "drop", "--force", "big.bin"], repo, env)
    get = run(["git", "annex", "--debug", "get", "--from", "s3", "big.bin"], repo, env)
    received = progress_lines(get.stderr)
    assert received and received[-1] == size and received == sorted(received), received
    assert (repo / "big.bin").read_bytes() == data


def test_debug_logs_each_request_without_a_secret(tmp_path, env, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"hello\n" * 100})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=d/")
    copy = run(["git", "annex", "--debug", "copy", "--to", "s3", "a.txt"], repo, env)
    name = f"d/{key_of(repo, env, 'a.txt')}"
    assert re.search(rf"S3 PUT {re.escape(name)}\b.*: 200", copy.stderr), copy.stderr
    run(["git", "annex", "drop", "a.txt"], repo, env)
    get = run(["git", "annex", "--debug", "get", "a.txt"], repo, env)
    assert re.search(rf"S3 GET {re.escape(name)}\b.*: 200", get.stderr), get.stderr
    for output in (copy.stderr, get.stderr):
        assert TEST_SECRET not in output and "Signature=" not in output
        assert "Credential=" not in output and "Authorization" not in output


def test_info_shows_sizes_for_humans_and_the_upload_settings(tmp_path, env, s3_server,
                                                              bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"info\n"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "partsize=128MiB",
               "storageclass=STANDARD_IA", "sse=AES256", "metadata=project=mri",
               "x-amz-tagging=project=demo&owner=me", "acl=bucket-owner-full-control",
               "requesterpays=no", "restore=yes")
    info = run(["git", "annex", "info", "s3"], repo, env).stdout
    for line in ("partsize: 128MiB", "storage class: STANDARD_IA",
                 "server-side encryption: AES256", "metadata: project=mri",
                 "tags: project=demo&owner=me", "acl: bucket-owner-full-control",
                 "restore: yes"):
        assert line in info, info
    assert "requester pays" not in info  # not set: not shown


def test_tags_and_grants_reach_the_objects(tmp_path, env, s3_server, bucket_name):
    files = {"small.txt": b"tagged\n" * 10, "big.bin": os.urandom(6 * MiB)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=t/",
               "x-amz-tagging=project=demo&owner=me", "partsize=5MiB",
               "grant_read=uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    client = s3_server.client()
    for name in files:  # one PUT and one multipart upload
        object_name = f"t/{key_of(repo, env, name)}"
        tags = client.get_object_tagging(Bucket=bucket_name, Key=object_name)["TagSet"]
        assert sorted((t["Key"], t["Value"]) for t in tags) == [("owner", "me"),
                                                                 ("project", "demo")]
        grants = client.get_object_acl(Bucket=bucket_name, Key=object_name)["Grants"]
        assert {"Grantee": {"Type": "Group",
                            "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                "Permission": "READ"} in grants


def test_a_canned_acl_reaches_the_object_and_contradictions_are_refused(tmp_path, env, s3_server,
                                                                        bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"acl\n"})
    refused = initremote(repo, env, "bad", s3_server, bucket_name, "encryption=none",
                         "public=yes", "acl=private", check=False)
    assert refused.returncode != 0
    assert "public=yes and acl=private contradict" in refused.stderr + refused.stdout
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "acl=public-read")
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    grants = s3_server.client().get_object_acl(Bucket=bucket_name,
                                               Key=key_of(repo, env, "a.txt"))["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers")
               and g["Permission"] == "READ" for g in grants)


def test_sse_c_key_from_local_git_config_goes_with_every_object_request(tmp_path, env, s3_proxy,
                                                                        s3_server, bucket_name):
    key_file = tmp_path / "sse-c.key"
    key_file.write_bytes(os.urandom(32))
    data = b"customer-key encrypted\n" * 50
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": data})
    missing = run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
                   f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "encryption=none",
                   "sse=customer"], repo, env, check=False)
    assert missing.returncode != 0 and "s3py-sse-c-key-file" in missing.stderr + missing.stdout
    run(["git", "config", "remote.s3.s3py-sse-c-key-file", str(key_file)], repo, env)
    run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
         f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "encryption=none",
         "sse=customer"], repo, env)
    mark = s3_proxy.mark()
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    run(["git", "annex", "drop", "a.txt"], repo, env)
    get = run(["git", "annex", "--debug", "get", "a.txt"], repo, env)
    assert (repo / "a.txt").read_bytes() == data
    name = key_of(repo, env, "a.txt")
    on_object = [seen for seen in s3_proxy.since(mark) if seen.path.endswith(name)]
    assert {seen.method for seen in on_object} >= {"HEAD", "PUT", "GET"}
    for seen in on_object:
        headers = dict(seen.amz_headers)
        assert headers.get("x-amz-server-side-encryption-customer-algorithm") == "AES256"
        assert headers.get("x-amz-server-side-encryption-customer-key")
    branch = run(["git", "log", "-p", "git-annex"], repo, env).stdout
    assert str(key_file) not in branch and "s3py-sse-c" not in branch
    assert key_file.read_bytes().hex() not in get.stderr


def test_requester_pays_goes_with_every_request(tmp_path, env, s3_proxy, s3_server, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"payer\n"})
    run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
         f"bucket={bucket_name}", f"endpoint={s3_proxy.endpoint}", "encryption=none",
         "requesterpays=yes"], repo, env)
    mark = s3_proxy.mark()
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    run(["git", "annex", "drop", "a.txt"], repo, env)
    run(["git", "annex", "get", "a.txt"], repo, env)
    name = key_of(repo, env, "a.txt")
    on_object = [seen for seen in s3_proxy.since(mark) if seen.path.endswith(name)]
    assert {seen.method for seen in on_object} >= {"HEAD", "PUT", "GET"}
    assert all(dict(seen.amz_headers).get("x-amz-request-payer") == "requester"
               for seen in on_object)


def test_credentials_csv_from_local_git_config(tmp_path, env, s3_server, bucket_name):
    csv_file = tmp_path / "credentials.csv"
    csv_file.write_text(f"User Name,Access Key Id,Secret Access Key\n"
                        f'"someone",{TEST_KEY},{TEST_SECRET}\n')
    bare = {k: v for k, v in env.items() if not k.startswith("AWS_ACCESS_KEY_ID")
            and not k.startswith("AWS_SECRET_ACCESS_KEY")}
    repo = make_annex_repo(tmp_path / "repo", bare, {"a.txt": b"csv creds\n"})
    run(["git", "config", "remote.s3.s3py-credentials-csv", str(csv_file)], repo, bare)
    initremote(repo, bare, "s3", s3_server, bucket_name, "encryption=none")
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, bare)
    assert s3_server.objects(bucket_name)[key_of(repo, bare, "a.txt")] == b"csv creds\n"
    info = run(["git", "annex", "info", "s3"], repo, bare).stdout
    assert "credentials CSV" in info
