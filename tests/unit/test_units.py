"""Table-driven unit tests of the pure parts: naming, config, urls, progress, credentials."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py import credentials, naming, urls
from git_annex_remote_s3py.config import (
    SETTINGS_TABLE,
    Settings,
    default_request_style,
    load_settings,
)
from git_annex_remote_s3py.errors import ConfigError, InvalidName
from git_annex_remote_s3py.progress import Throttled

KEY = "SHA256E-s1000--0123abcd.txt"
MiB = 1024**2


# -- naming --------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix, key, expected", [
    ("ds1/", KEY, "ds1/" + KEY),
    ("", KEY, KEY),
    ("a/b-", "MD5-s3--ab", "a/b-MD5-s3--ab"),
    ("p/", "WORM-s3-m1795307989--sub/a,32b.txt", "p/WORM-s3-m1795307989--sub/a,32b.txt"),
    ("p/", "URL--http://example.com/x/y", "p/URL--http://example.com/x/y"),
    ("p/", "GPGHMACSHA256--d1e2f3", "p/GPGHMACSHA256--d1e2f3"),
])
def test_key_object_name(prefix, key, expected):
    assert naming.key_object_name(prefix, key) == expected


@pytest.mark.parametrize("key", ["", "SHA256E-s1--a b", "SHA256E-s1--a\nb", "K\r"])
def test_key_object_name_rejects(key):
    with pytest.raises(InvalidName):
        naming.key_object_name("p/", key)


@pytest.mark.parametrize("prefix, path, expected", [
    ("p/", "a.txt", "p/a.txt"),
    ("p/", " lead and trail ", "p/ lead and trail "),
    ("p/", "sub/dir/ü ñ.bin", "p/sub/dir/ü ñ.bin"),
    ("", "dup ", "dup "),
    ("p/", "a?b#c%d", "p/a?b#c%d"),
])
def test_export_object_name(prefix, path, expected):
    assert naming.export_object_name(prefix, path) == expected


@pytest.mark.parametrize("path", [
    "", "a\nb", "a\x00b", "/abs", "a/../b", "./a", "a/.", "..",
    "x" * 1100, "bad-\udcff-utf8",
])
def test_export_object_name_rejects(path):
    with pytest.raises(InvalidName):
        naming.export_object_name("p/", path)


@pytest.mark.parametrize("key, size", [
    (KEY, 1000),
    ("SHA256E-s1000--s99.txt", 1000),
    ("WORM-s3-m1795307989--sub/a,32b.txt", 3),
    ("SHA256E-s2621440-S1048576-C1--abc", 1048576),
    ("SHA256E-s2621440-S1048576-C2--abc", 1048576),
    ("SHA256E-s2621440-S1048576-C3--abc", 524288),
    ("SHA256E-s2097152-S1048576-C2--abc", 1048576),
    ("SHA256E-s10-S4-C4--abc", 0),
    ("GPGHMACSHA256--d1e2f3", None),
    ("GPGHMACSHA1--d1e2f3", None),
    ("WORM-m123--name", None),
    ("URL--http://example.com/x", None),
])
def test_expected_object_size(key, size):
    assert naming.expected_object_size(key) == size


@pytest.mark.parametrize("key, hashed", [
    (KEY, True),
    ("SHA256-s10--0123abcd", True),
    ("MD5E-s3--0cc175b9c0f1b6a831c399e269772661.txt", True),
    ("SHA512E-s1--ab.tar.gz", True),
    ("BLAKE2B256E-s1--ab", True),
    ("SHA3_256-s1--ab", True),
    ("SKEIN512E-s1--ab", True),
    ("WORM-s3-m1795307989--sub/a,32b.txt", False),  # nothing to hash against
    ("URL--http://example.com/x", False),
    ("SHA256E-s2621440-S1048576-C1--abc", False),  # a chunk: s3py checks each one
    ("GPGHMACSHA256--d1e2f3", False),  # encrypted: what is stored is not the content
    ("XSHA256E-s1--ab", False),
    ("SHA256E", False),
])
def test_which_downloads_git_annex_hashes_itself(key, hashed):
    assert naming.verified_by_git_annex(key) is hashed


@pytest.mark.parametrize("prefix, expected", [
    ("", ""), ("ds1", "ds1/"), ("ds1/", "ds1/"), ("/ds1//sub/./", "ds1/sub/"), ("./", ""),
    ("a b/c", "a b/c/"),
])
def test_normalise_prefix(prefix, expected):
    assert naming.normalise_prefix(prefix) == expected


@pytest.mark.parametrize("prefix", ["a/../b", "..", "../x/"])
def test_normalise_prefix_rejects_parent(prefix):
    with pytest.raises(InvalidName):
        naming.normalise_prefix(prefix)


# -- config --------------------------------------------------------------------------------------
def settings(**values: str) -> Settings:
    return load_settings(lambda name: values.get(name, ""))


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
        settings(fileprefix="ds1/")


# -- urls ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, version, url", [
    ("ds1/" + KEY, None, "https://h/b/ds1/" + KEY),
    ("p/a b#?%.txt", None, "https://h/b/p/a%20b%23%3F%25.txt"),
    ("p/ü", None, "https://h/b/p/%C3%BC"),
    ("p/URL--http://x/y", None, "https://h/b/p/URL--http%3A//x/y"),
    ("k", "v1+/=", "https://h/b/k?versionId=v1%2B%2F%3D"),
])
def test_object_url(name, version, url):
    assert urls.object_url("https://h/b/", name, version) == url


# -- progress ------------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("steps, sent", [
    # (clock advance before the call, total reported)
    ([(0, 10), (0.1, 20), (0.2, 30)], [30]),
    ([(0, 10), (1, 5), (1, 10), (1, 11)], [5, 10, 11]),
    ([(0, 0), (1, 0)], []),
    ([(0, 1), (0.24, 2), (0.01, 3), (0.3, 4)], [3, 4]),
    ([(0, 100), (0.1, 200)], []),  # done within the first interval: no PROGRESS at all
])
def test_throttled_progress(steps, sent):
    clock, seen = FakeClock(), []
    report = Throttled(seen.append, interval=0.25, clock=clock)
    for advance, total in steps:
        clock.now += advance
        report(total)
    assert seen == sent


# -- credentials ---------------------------------------------------------------------------------
ENV = {"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "env-secret-123",
       "AWS_SESSION_TOKEN": "env-token-456"}


@pytest.mark.parametrize("stored, environ, source, access, token", [
    # The environment comes first: the store is then never asked, so no CREDS reply (which
    # `git annex --debug` prints in full, measured) carries the secret.
    (("STOREKEY", "store-secret-789"), ENV, "environment (AWS_ACCESS_KEY_ID)", "ENVKEY",
     "env-token-456"),
    (("STOREKEY", "store-secret-789"), {}, "git-annex credential store", "STOREKEY", None),
    (("STOREKEY", ""), {}, "AWS credential chain (profile, SSO, role)", None, None),
    (("STOREKEY", "store-secret-789"), {"AWS_ACCESS_KEY_ID": "ENVKEY"},
     "git-annex credential store", "STOREKEY", None),
    (None, {"AWS_ACCESS_KEY_ID": "ENVKEY"}, "AWS credential chain (profile, SSO, role)", None,
     None),
    (None, {}, "AWS credential chain (profile, SSO, role)", None, None),
])
def test_credentials_order(stored, environ, source, access, token):
    creds = credentials.resolve(lambda: stored, environ)
    assert (creds.source, creds.access_key, creds.session_token) == (source, access, token)
    assert creds.explicit is (access is not None)


@pytest.mark.parametrize("stored, environ", [(("STOREKEY", "store-secret-789"), {}),
                                             (None, ENV)])
def test_credentials_repr_hides_secrets(stored, environ):
    creds = credentials.resolve(lambda: stored, environ)
    for shown in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"c": creds})):
        for secret in ("store-secret-789", "env-secret-123", "env-token-456"):
            assert secret not in shown
        assert creds.source in shown
