"""Issue #14 on the real servers: the automatic checksum fallback (B1/B5), a refused storage
class at initremote (B6), no half-made bucket after a failed initremote, and a wrong secret
key named through initremote. The journeys themselves: test_servers_e2e.py."""

from __future__ import annotations

import pytest
from support.repos import initremote, make_annex_repo, run
from support.server_fixtures import server_params
from support.server_info import ServerInfo


def bucket_exists(s3: ServerInfo, bucket: str) -> bool:
    return any(found["Name"] == bucket for found in s3.client().list_buckets()["Buckets"])


def remote_log(repo, env) -> str:
    return run(["git", "show", "git-annex:remote.log"], repo, env).stdout


@pytest.mark.parametrize("s3", server_params(names=("ceph-https", "s3rver-https")),
                         indirect=True)
def test_default_checksums_fall_back_and_are_recorded(tmp_path, env, s3, bucket_name):
    """Ceph refuses (411), s3rver mangles the aws-chunked marker: initremote falls back to
    plain bodies, writes the exact marker, says so and records checksums=when_required."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    made = initremote(repo, env, "s3", s3, bucket_name, "encryption=none")
    output = made.stdout + made.stderr
    assert "recorded checksums=when_required" in output, output
    assert "aws-chunked" in output, output
    assert "checksums=when_required" in remote_log(repo, env)
    uuid = run(["git", "config", "remote.s3.annex-uuid"], repo, env).stdout.strip()
    assert s3.objects(bucket_name) == {"annex-uuid": uuid.encode()}


@pytest.mark.parametrize("s3", server_params(names=("moto", "ceph-http")), indirect=True)
def test_default_checksums_over_http_record_nothing(tmp_path, env, s3, bucket_name):
    """Over http botocore sends no aws-chunked bodies: nothing to fall back from."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    made = initremote(repo, env, "s3", s3, bucket_name, "encryption=none")
    assert "checksums" not in made.stdout + made.stderr
    assert "checksums=" not in remote_log(repo, env)


@pytest.mark.parametrize("s3", server_params(names=("ceph-http",)), indirect=True)
def test_unsupported_storage_class_fails_initremote(tmp_path, env, s3, bucket_name):
    """RGW 16 refuses STANDARD_IA ("invalid dest placement"): initremote fails at once with
    one line naming storageclass=, and removes the bucket it had created."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    failed = initremote(repo, env, "s3", s3, bucket_name, "encryption=none",
                        "storageclass=STANDARD_IA", check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    line = next(line for line in output.splitlines() if "refuses uploads" in line)
    assert "storageclass=STANDARD_IA" in line and "400 InvalidArgument" in line, line
    assert "created by this initremote, was removed again" in line, line
    assert "Traceback" not in output and "internal error" not in output, output
    assert not bucket_exists(s3, bucket_name)


@pytest.mark.parametrize("s3", server_params(names=("ceph-http",)), indirect=True)
def test_supported_storage_class_marks_the_marker(tmp_path, env, s3, bucket_name):
    """A storage class the server offers: initremote succeeds, the marker carries it."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    initremote(repo, env, "s3", s3, bucket_name, "encryption=none", "storageclass=STANDARD",
               "metadata=project=p1")
    head = s3.client().head_object(Bucket=bucket_name, Key="annex-uuid")
    assert head["Metadata"] == {"project": "p1"}


@pytest.mark.parametrize("s3", server_params(names=("s3rver-http",)), indirect=True)
def test_failed_initremote_removes_the_bucket_it_created(tmp_path, env, s3, bucket_name):
    """s3rver refuses versioning after the bucket is made: the bucket goes again."""
    env = s3.env(env)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    failed = initremote(repo, env, "s3", s3, bucket_name, "encryption=none", "bucketversioning=yes",
                        check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert f"bucket {bucket_name}, created by this initremote, was removed again" in output
    assert not bucket_exists(s3, bucket_name)


@pytest.mark.parametrize("s3", server_params(names=("s3rver-http",)), indirect=True)
def test_failed_initremote_leaves_a_bucket_it_found(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    s3.client().create_bucket(Bucket=bucket_name)
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    failed = initremote(repo, env, "s3", s3, bucket_name, "encryption=none", "bucketversioning=yes",
                        check=False)
    assert failed.returncode != 0
    assert "created by this initremote" not in failed.stdout + failed.stderr
    assert bucket_exists(s3, bucket_name)


@pytest.mark.parametrize("s3", server_params(names=("ceph-http", "ceph-https")),
                         indirect=True)
def test_wrong_secret_key_is_named_by_initremote(tmp_path, env, s3, bucket_name):
    """The bucket's HEAD answers a bare 403; the listing asked then names the cause. (Not on
    s3rver: it accepts any secret for its access key.)"""
    env = {**s3.env(env), "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    repo = make_annex_repo(tmp_path / "repo", env, {"f.txt": b"f\n"})
    failed = initremote(repo, env, "s3", s3, bucket_name, "encryption=none", check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "the secret key does not match the access key (SignatureDoesNotMatch)" in output, \
        output
    assert "AWS_SECRET_ACCESS_KEY" in output and "not-the-secret" not in output
