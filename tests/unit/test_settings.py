"""Settings as users give them (config.py's table): each row's good and bad values, defaults,
derived attributes (endpoint from host/port/protocol, request style, regions), values refused at
the edges with one line naming the fix (fileprefixes whose public URLs would 404, IP-shaped
bucket names, regions AWS lacks), ACL settings that contradict, the upload arguments each
becomes, and this clone's local settings (git config over the environment)."""

from __future__ import annotations

import subprocess

import botocore.session
import pytest

from git_annex_remote_s3py import config
from git_annex_remote_s3py.annex.session import local_git_config
from git_annex_remote_s3py.config import (
    SETTINGS_TABLE,
    LocalSettings,
    Settings,
    default_request_style,
    load_local_settings,
    load_settings,
    upload_args_of,
)
from git_annex_remote_s3py.errors import ConfigError

BASE_BUCKET = "b-1"
MiB = 1024**2


def settings(**values: str) -> Settings:
    """Settings from ``values`` (``x__amz__tagging`` for ``x-amz-tagging``), with a bucket
    unless one is given."""
    given = {"bucket": BASE_BUCKET, **{k.replace("__", "-"): v for k, v in values.items()}}
    return load_settings(lambda name: given.get(name, ""))


def refusal(**values: str) -> str:
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- each row's values, defaults, derived attributes ---------------------------------------
GOOD = [  # (setting, value, Settings attribute, parsed value)
    ("bucket", "my.data-bucket1", "bucket", "my.data-bucket1"),
    ("fileprefix", "ds1/sub ", "fileprefix", "ds1/sub "),
    ("endpoint", "http://127.0.0.1:9000/", "endpoint", "http://127.0.0.1:9000"),
    ("host", "s3.example.org", "endpoint", "https://s3.example.org"),
    ("port", "", "endpoint", None),
    ("protocol", "https", "endpoint", None),
    ("region", "eu-central-1", "region", "eu-central-1"),
    ("datacenter", "ap-south-1", "region", "ap-south-1"),
    ("requeststyle", "path", "requeststyle", "path"),
    ("requeststyle", "virtual", "requeststyle", "virtual"),
    ("signature", "v4", "anonymous", False),
    ("signature", "anonymous", "anonymous", True),
    ("storageclass", "STANDARD_IA", "storageclass", "STANDARD_IA"),
    ("partsize", "5MiB", "partsize", 5 * MiB),
    ("partsize", "100MB", "partsize", 100_000_000),
    ("partsize", "1GiB", "partsize", 1024 * MiB),
    ("public", "yes", "public", True),
    ("public", "no", "public", False),
    ("publicurl", "https://cdn.example.org/data/", "publicurl", "https://cdn.example.org/data"),
    ("bucketversioning", "yes", "versioning", True),
    ("profile", "lab", "profile", "lab"),
    ("sse", "AES256", "sse", "AES256"),
    ("ssekmskeyid", "", "ssekmskeyid", None),
    ("checksums", "when_required", "checksums", "when_required"),
    ("metadata", "a=1, x-amz-meta-Project=z", "metadata", {"a": "1", "project": "z"}),
    ("sse", "customer", "sse", "customer"),
    ("acl", "bucket-owner-full-control", "acl", "bucket-owner-full-control"),
    ("grant_read", 'uri="http://acs.amazonaws.com/groups/global/AllUsers"', "grant_read",
     'uri="http://acs.amazonaws.com/groups/global/AllUsers"'),
    ("grant_full_control", "id=abc123, emailAddress=a@example.org", "grant_full_control",
     "id=abc123,emailAddress=a@example.org"),
    ("grant_read_acp", "id=abc123", "grant_read_acp", "id=abc123"),
    ("grant_write_acp", "id=abc123", "grant_write_acp", "id=abc123"),
    ("x-amz-tagging", "project=demo&owner=me", "tagging", "project=demo&owner=me"),
    ("restore", "yes", "restore", True),
    ("requesterpays", "yes", "requesterpays", True),
    ("connecttimeout", "2.5", "connecttimeout", 2.5),
    ("readtimeout", "120", "readtimeout", 120.0),
    ("listversion", "1", "listversion", "1"),
    ("listversion", "", "listversion", "2"),
]
BAD = [  # (setting, value, words the one-line message must hold)
    ("endpoint", "ftp://example.org", "endpoint="),
    ("endpoint", "127.0.0.1:9000", "endpoint="),
    ("port", "http", "port="),
    ("protocol", "ftp", "protocol="),
    ("requeststyle", "vhost", "requeststyle="),
    ("signature", "v2", "signature="),
    ("partsize", "4MiB", "partsize="),
    ("partsize", "6GiB", "partsize="),
    ("partsize", "lots", "partsize="),
    ("public", "maybe", "public="),
    ("publicurl", "cdn.example.org", "publicurl="),
    ("bucketversioning", "sometimes", "bucketversioning="),
    ("sse", "aes256", "sse="),
    ("ssekmskeyid", "key-1", "sse=aws:kms"),
    ("checksums", "never", "checksums="),
    ("metadata", "novalue", "metadata="),
    ("metadata", "bad name=1", "metadata="),
    ("acl", "public", "acl="),
    ("grant_read", "everyone", "grant_read="),
    ("grant_full_control", "id=", "grant_full_control="),
    ("grant_read_acp", "user=abc", "grant_read_acp="),
    ("grant_write_acp", "id=a b", "grant_write_acp="),
    ("x-amz-tagging", "project", "x-amz-tagging="),
    ("x-amz-tagging", "=demo", "x-amz-tagging="),
    ("restore", "later", "restore="),
    ("requesterpays", "maybe", "requesterpays="),
    ("connecttimeout", "0", "connecttimeout="),
    ("readtimeout", "soon", "readtimeout="),
    ("listversion", "3", "listversion="),
]


@pytest.mark.parametrize("name, value, attribute, expected", GOOD)
def test_setting_good_value(name, value, attribute, expected):
    values = {"bucket": "b-1", name: value}
    assert getattr(settings(**values), attribute) == expected


@pytest.mark.parametrize("name, value, words", BAD)
def test_setting_bad_value(name, value, words):
    values = {"bucket": "b-1", "host": "h.example.org", name: value}
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    message = str(caught.value)
    assert words in message and "\n" not in message


def test_every_setting_has_good_and_bad_cases():
    declared = {s.name for s in SETTINGS_TABLE}
    assert declared <= {case[0] for case in GOOD}
    free_text = {"bucket", "fileprefix", "host", "region", "datacenter", "storageclass",
                 "profile", "ssekmskeyid"}  # checked elsewhere (bucket) or any text is valid
    assert declared - free_text <= {case[0] for case in BAD}


def test_exporttree_setting():
    assert settings(bucket="b-1", exporttree="yes").exporttree is True
    assert settings(bucket="b-1").exporttree is False
    with pytest.raises(ConfigError):
        settings(bucket="b-1", exporttree="perhaps")


def test_defaults():
    s = settings(bucket="b-1")
    assert (s.endpoint, s.region, s.region_or_default) == (None, None, "us-east-1")
    assert (s.partsize, s.public, s.checksums, s.anonymous) == (64 * MiB, False,
                                                                "when_supported", False)
    assert settings(bucket="b-1", sse="aws:kms", ssekmskeyid="k1").ssekmskeyid == "k1"


@pytest.mark.parametrize("values, endpoint", [
    ({"host": "h.example.org"}, "https://h.example.org"),
    ({"host": "h.example.org", "port": "443"}, "https://h.example.org"),
    ({"host": "h.example.org", "port": "443", "protocol": "http"}, "http://h.example.org:443"),
    ({"host": "127.0.0.1", "port": "9000", "protocol": "http"}, "http://127.0.0.1:9000"),
    ({"host": "127.0.0.1", "port": "80", "protocol": "http"}, "http://127.0.0.1"),
    ({"host": "h", "port": "8443"}, "https://h:8443"),
    ({"endpoint": "https://e.example.org", "host": "ignored"}, "https://e.example.org"),
    ({"port": "9000"}, None),
])
def test_host_port_protocol_to_endpoint(values, endpoint):
    assert settings(bucket="b-1", **values).endpoint == endpoint


@pytest.mark.parametrize("values, region", [
    ({"datacenter": "US"}, "us-east-1"),
    ({"datacenter": "EU"}, "eu-west-1"),
    ({"region": "EU"}, "eu-west-1"),
    ({"datacenter": "eu-north-1"}, "eu-north-1"),
    ({"region": "us-west-2", "datacenter": "EU"}, "us-west-2"),
])
def test_datacenter_aliases(values, region):
    assert settings(bucket="b-1", **values).region == region


@pytest.mark.parametrize("endpoint, bucket, style", [
    (None, "bucket", "virtual"),
    (None, "my.bucket", "path"),
    ("http://127.0.0.1:9000", "bucket", "path"),
    ("http://[::1]:9000", "bucket", "path"),
    ("http://localhost:9000", "bucket", "path"),
    ("http://minio:9000", "bucket", "path"),
    ("https://s3.example.org", "bucket", "virtual"),
    ("https://s3.example.org", "my.bucket", "path"),
])
def test_default_request_style(endpoint, bucket, style):
    assert default_request_style(endpoint, bucket) == style


def test_request_style_from_settings():
    assert settings(bucket="b-1", endpoint="http://127.0.0.1:9").requeststyle == "path"
    assert settings(bucket="b-1", endpoint="http://127.0.0.1:9",
                    requeststyle="virtual").requeststyle == "virtual"


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "my.bucket-1", "0-0"])
def test_valid_bucket_names(bucket):
    assert settings(bucket=bucket).bucket == bucket


@pytest.mark.parametrize("bucket", ["ab", "a" * 64, "My-Bucket", "my_bucket", "-abc", "abc-",
                                    ".abc", "a..b", "a b c", "s3://abc"])
def test_invalid_bucket_names(bucket):
    with pytest.raises(ConfigError, match="bucket="):
        settings(bucket=bucket)


def test_missing_bucket_names_the_setting():
    with pytest.raises(ConfigError, match="bucket= is required"):
        settings(bucket="", fileprefix="ds1/")


# -- values refused at the edges, and what stays right ----------------------------------------
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


# -- the object ACL, upload arguments --------------------------------------------------------
@pytest.mark.parametrize("values, words", [
    ({"public": "yes", "acl": "private"}, "public=yes and acl=private contradict"),
    ({"public": "yes", "grant_read": "id=abc"}, "public=yes and grant_read="),
    ({"acl": "private", "grant_full_control": "id=abc"}, "acl= and grant_full_control="),
])
def test_settings_that_set_the_acl_twice_are_refused(values, words):
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_public_yes_and_acl_public_read_agree():
    assert settings(public="yes", acl="public-read").acl == "public-read"


@pytest.mark.parametrize("values, args", [
    ({"acl": "bucket-owner-full-control"}, {"ACL": "bucket-owner-full-control"}),
    ({"grant_read": "id=a", "grant_write_acp": "id=b"}, {"GrantRead": "id=a",
                                                        "GrantWriteACP": "id=b"}),
    ({"x__amz__tagging": "a=1&b=2"}, {"Tagging": "a=1&b=2"}),
    ({"sse": "customer"}, {}),  # SSE-C goes with every request, not as an upload argument
    ({"sse": "aws:kms", "ssekmskeyid": "k"}, {"ServerSideEncryption": "aws:kms",
                                               "SSEKMSKeyId": "k"}),
])
def test_upload_arguments(values, args):
    assert upload_args_of(settings(**values)) == args


# -- local settings ------------------------------------------------------------------------------
@pytest.mark.parametrize("git, environ, expected", [
    ({}, {}, LocalSettings()),
    ({}, {"AWS_CA_BUNDLE": "/env.pem"}, LocalSettings(ca_bundle="/env.pem")),
    ({"s3py-ca-bundle": "/git.pem"}, {"AWS_CA_BUNDLE": "/env.pem"},
     LocalSettings(ca_bundle="/git.pem")),
    ({"s3py-sslverify": "no"}, {}, LocalSettings(ssl_verify=False)),
    ({}, {"GIT_ANNEX_REMOTE_S3PY_SSE_C_KEY_FILE": "/k"}, LocalSettings(sse_customer_key_file="/k")),
    ({"s3py-credentials-csv": "/c.csv"}, {"GIT_ANNEX_REMOTE_S3PY_CREDENTIALS_CSV": "/e.csv"},
     LocalSettings(credentials_csv="/c.csv")),
])
def test_local_settings(git, environ, expected):
    assert load_local_settings(git, environ) == expected


def test_a_bad_local_sslverify_names_the_git_config():
    with pytest.raises(ConfigError, match="remote.NAME.s3py-sslverify"):
        load_local_settings({"s3py-sslverify": "perhaps"}, {})


class FakeAnnex:
    def __init__(self, git_dir: str) -> None:
        self.git_dir = git_dir

    def getconfig(self, name: str) -> str:
        return {"name": "shared-name"}.get(name, "")

    def getgitremotename(self) -> str:
        return "My.Remote"

    def getgitdir(self) -> str:
        return self.git_dir


def test_local_git_config_reads_this_remotes_section(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, value in (("remote.My.Remote.s3py-ca-bundle", "/ca.pem"),
                        ("remote.My.Remote.s3py-other", "ignored"),
                        ("remote.shared-name.s3py-sslverify", "no"),
                        ("remote.Other.s3py-ca-bundle", "/other.pem")):
        subprocess.run(["git", "-C", str(tmp_path), "config", name, value], check=True)
    annex = FakeAnnex(str(tmp_path / ".git"))
    assert local_git_config(annex) == {"s3py-ca-bundle": "/ca.pem"}
    assert local_git_config(annex, initializing=True) == {"s3py-sslverify": "no"}
