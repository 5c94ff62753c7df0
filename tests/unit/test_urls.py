"""Public URLs: the default base for every kind of endpoint, and escaping of object names.

What anonymous clients download from must be a URL S3 (or the CDN in front of it) answers for
exactly that object: key mode is ``publicurl/fileprefix+key``, export mode
``publicurl/fileprefix+path``, every character but ``/-_.~`` and ASCII letters and digits
percent-escaped as UTF-8.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from git_annex_remote_s3py import naming, urls
from git_annex_remote_s3py.config import load_settings

KEY = "MD5E-s4--e2fc714c4727ee9395f324cd2e7f331f.nii.gz"


def settings(**values: str):
    return load_settings(lambda name: values.get(name, ""))


@pytest.mark.parametrize("values, base", [
    # AWS, virtual-hosted style (the default for plain bucket names); with no region known,
    # the global name, which DNS routes to the bucket's region
    ({"bucket": "neuro"}, "https://neuro.s3.amazonaws.com"),
    ({"bucket": "neuro", "region": "us-east-1"}, "https://neuro.s3.us-east-1.amazonaws.com"),
    ({"bucket": "neuro", "datacenter": "EU"}, "https://neuro.s3.eu-west-1.amazonaws.com"),
    ({"bucket": "neuro", "region": "ap-south-1", "requeststyle": "virtual"},
     "https://neuro.s3.ap-south-1.amazonaws.com"),
    # AWS, path style: asked for, or needed for dotted names (TLS wildcard certificates)
    ({"bucket": "neuro", "region": "eu-central-1", "requeststyle": "path"},
     "https://s3.eu-central-1.amazonaws.com/neuro"),
    ({"bucket": "data.example.org", "datacenter": "EU"},
     "https://s3.eu-west-1.amazonaws.com/data.example.org"),
    ({"bucket": "b.1"}, "https://s3.us-east-1.amazonaws.com/b.1"),
    # custom endpoints: path style for IPs, localhost and single-label hosts
    ({"bucket": "neuro", "endpoint": "http://127.0.0.1:9000/"}, "http://127.0.0.1:9000/neuro"),
    ({"bucket": "neuro", "endpoint": "http://localhost:9000"}, "http://localhost:9000/neuro"),
    ({"bucket": "neuro", "endpoint": "http://minio:9000"}, "http://minio:9000/neuro"),
    ({"bucket": "neuro", "host": "127.0.0.1", "port": "9000", "protocol": "http"},
     "http://127.0.0.1:9000/neuro"),
    ({"bucket": "neuro", "endpoint": "https://s3.example.org", "requeststyle": "path"},
     "https://s3.example.org/neuro"),
    # custom endpoints, virtual-hosted style
    ({"bucket": "neuro", "endpoint": "https://s3.wasabisys.com"},
     "https://neuro.s3.wasabisys.com"),
    ({"bucket": "b-1", "endpoint": "https://s3.example.org:8443"},
     "https://b-1.s3.example.org:8443"),
    ({"bucket": "neuro", "host": "objects.example.org"}, "https://neuro.objects.example.org"),
    ({"bucket": "neuro", "endpoint": "http://127.0.0.1:9000", "requeststyle": "virtual"},
     "http://neuro.127.0.0.1:9000"),
    # publicurl= always wins, without its trailing slash
    ({"bucket": "neuro", "endpoint": "http://127.0.0.1:9000",
      "publicurl": "https://cdn.example.org/mirror/"}, "https://cdn.example.org/mirror"),
    ({"bucket": "neuro", "publicurl": "https://neuro.s3-eu-west-1.amazonaws.com"},
     "https://neuro.s3-eu-west-1.amazonaws.com"),
])
def test_public_base_url(values, base):
    assert urls.public_base_url(settings(**values)) == base


def test_default_ignores_publicurl_but_base_does_not():
    s = settings(bucket="neuro", publicurl="https://cdn.example.org")
    assert urls.default_public_url(s) == "https://neuro.s3.amazonaws.com"


@pytest.mark.parametrize("fileprefix, path, url", [
    ("", "README", "https://h/b/README"),
    ("ds 1/", "sub-01/anat/T1w.nii", "https://h/b/ds%201/sub-01/anat/T1w.nii"),
    ("", " lead and trail ", "https://h/b/%20lead%20and%20trail%20"),
    ("", "a#b?c=d&e", "https://h/b/a%23b%3Fc%3Dd%26e"),
    ("", "ünï/cödé.tsv", "https://h/b/%C3%BCn%C3%AF/c%C3%B6d%C3%A9.tsv"),
    ("", "100%+plus", "https://h/b/100%25%2Bplus"),
    ("", "~user/x_y-z.txt", "https://h/b/~user/x_y-z.txt"),
])
def test_export_mode_object_url(fileprefix, path, url):
    name = naming.export_object_name(fileprefix, path)
    assert urls.object_url("https://h/b", name) == url


def test_key_mode_object_url():
    name = naming.key_object_name("studies/ds 1/", KEY)
    assert urls.object_url("https://cdn.example.org/x/", name) == (
        "https://cdn.example.org/x/studies/ds%201/" + KEY)


def test_version_id_is_a_query_parameter():
    assert urls.object_url("https://h/b", "k", "3/L4kqtJl+cd=") == (
        "https://h/b/k?versionId=3%2FL4kqtJl%2Bcd%3D")


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
               min_size=1, max_size=40))
def test_object_url_round_trips(name):
    url = urls.object_url("https://h:8443/b", name)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("https", "h:8443",
                                                                         "", "")
    assert unquote(parts.path) == "/b/" + name
    assert url.isascii() and " " not in url


@pytest.mark.parametrize("versioning, actions", [
    (False, "s3:GetObject"),
    (True, ["s3:GetObject", "s3:GetObjectVersion"]),
])
def test_public_read_policy(versioning, actions):
    statement = urls.public_read_policy("b", "ds 1/", versioning)["Statement"][0]
    assert statement["Action"] == actions
    assert statement["Resource"] == "arn:aws:s3:::b/ds 1/*"
    assert statement["Principal"] == "*" and statement["Effect"] == "Allow"


@pytest.mark.parametrize("name", ["p/ a?b#c%20d/ü ", "plain", "p/versionId=x?versionId=y"])
def test_version_uri_roundtrip(name):
    uri = urls.version_uri("u-1", "bucket-1", name, "v+/=1")
    assert " " not in uri and urls.parse_version_uri(uri) == ("u-1", "bucket-1", name, "v+/=1")


OBJECT_KEY = "SHA256E-s1000--0123abcd.txt"


@pytest.mark.parametrize("name, version, url", [
    ("ds1/" + OBJECT_KEY, None, "https://h/b/ds1/" + OBJECT_KEY),
    ("p/a b#?%.txt", None, "https://h/b/p/a%20b%23%3F%25.txt"),
    ("p/ü", None, "https://h/b/p/%C3%BC"),
    ("p/URL--http://x/y", None, "https://h/b/p/URL--http%3A//x/y"),
    ("k", "v1+/=", "https://h/b/k?versionId=v1%2B%2F%3D"),
])
def test_object_url(name, version, url):
    assert urls.object_url("https://h/b/", name, version) == url
