"""Settings and options users get wrong at the edges are refused with one line naming the fix:
fileprefixes whose public URLs would 404, IP-shaped bucket names, AWS regions that do not
exist, presigned URL lifetimes S3 refuses. What is right keeps working (custom regions of
S3-compatible servers, prefixes that are not folders)."""

from __future__ import annotations

import subprocess
import sys

import botocore.session
import pytest

from git_annex_remote_s3py import config
from git_annex_remote_s3py.commands import MAX_PRESIGN_SECONDS
from git_annex_remote_s3py.config import load_settings
from git_annex_remote_s3py.errors import ConfigError

BASE = {"bucket": "my-dataset-bucket"}


def settings(**values: str):
    given = {**BASE, **values}
    return load_settings(lambda name: given.get(name, ""))


def refusal(**values: str) -> str:
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("prefix, fix", [
    ("../up/", "fileprefix=up/"),
    ("/lead/", "fileprefix=lead/"),
    ("a//b/", "fileprefix=a/b/"),
    ("./ds1/", "fileprefix=ds1/"),
    ("ds1/../ds2/", "fileprefix=ds1/ds2/"),
    ("ds1/..", "fileprefix=ds1/"),
    ("/", "fileprefix= (empty: the bucket root)"),
])
def test_fileprefix_that_urls_resolve_away_is_refused(prefix, fix):
    message = refusal(fileprefix=prefix)
    assert message.startswith(f"fileprefix={prefix!r} ") and message.endswith(fix)
    assert "404" in message


@pytest.mark.parametrize("prefix", ["", "ds1/", "ds1-", "a/b/c/", "a b/ü/", "v1.0/", "x..y/"])
def test_fileprefix_kept_byte_for_byte(prefix):
    assert settings(fileprefix=prefix).fileprefix == prefix


@pytest.mark.parametrize("bucket", ["192.168.5.4", "10.0.0.1", "255.255.255.255"])
def test_ip_shaped_bucket_is_refused(bucket):
    message = refusal(bucket=bucket)
    assert message.startswith(f"bucket={bucket!r} is shaped like an IP address")
    assert "choose a name" in message


@pytest.mark.parametrize("bucket", ["192.168.5.4a", "data-192-168-5-4", "1.2.3", "a.b.c.d"])
def test_dotted_buckets_that_are_no_ip_stay_valid(bucket):
    assert settings(bucket=bucket).bucket == bucket


@pytest.mark.parametrize("region", ["eu-west-9", "us-east-7", "eu-west1", "default", "EU-WEST-1"])
def test_region_that_aws_does_not_have_is_refused_on_aws(region):
    message = refusal(region=region)
    assert message == (f"region={region!r} is not an AWS region; write e.g. region=eu-west-1 "
                       "(with an S3-compatible server, give its endpoint= too)")
    assert "is not an AWS region" in refusal(datacenter=region)


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-east-2"])
def test_aws_regions_accepted(region):
    assert settings(region=region).region == region


@pytest.mark.parametrize("alias, region", [("US", "us-east-1"), ("EU", "eu-west-1")])
def test_datacenters_of_the_builtin_remote_accepted(alias, region):
    assert settings(datacenter=alias).region == region


@pytest.mark.parametrize("where", [{"endpoint": "https://rgw.example.org"},
                                   {"host": "minio.example.org", "port": "9000"}])
@pytest.mark.parametrize("region", ["default", "my-minio-region", "eu-west-9", "garage"])
def test_custom_regions_of_other_servers_kept(where, region):
    assert settings(region=region, **where).region == region


def test_region_list_holds_every_s3_region_botocore_knows():
    session = botocore.session.get_session()
    known = {region for partition in session.get_available_partitions()
             for region in session.get_available_regions("s3", partition_name=partition)}
    assert known - config.AWS_REGIONS == set(), "add the new AWS regions to config.AWS_REGIONS"


def presign(cwd, *args: str) -> subprocess.CompletedProcess:
    """``git-annex-remote-s3py presign a.txt ARGS`` in ``cwd`` (no repository there)."""
    return subprocess.run([sys.executable, "-m", "git_annex_remote_s3py.cli", "presign",
                           "a.txt", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("seconds", ["0", "-5", str(MAX_PRESIGN_SECONDS + 1), "31536000"])
def test_presign_lifetime_s3_refuses_is_refused(tmp_path, seconds):
    done = presign(tmp_path, "--expires", seconds)
    assert done.returncode == 1
    assert done.stderr == (f"git-annex-remote-s3py: --expires {seconds}: S3 accepts "
                           f"1..{MAX_PRESIGN_SECONDS} seconds (7 days); give e.g. "
                           "--expires 3600\n")
    assert done.stdout == ""


def test_presign_lifetime_of_seven_days_gets_past_the_check(tmp_path):
    done = presign(tmp_path, "--expires", str(MAX_PRESIGN_SECONDS))
    assert done.returncode == 1
    assert done.stderr == ("git-annex-remote-s3py: no git-annex branch here: run this inside "
                           "a git-annex repository\n")
