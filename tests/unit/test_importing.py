"""The pure parts of import and s3:// URLs: content identifiers, URL parsing, which names can
be imported, what git-annex's temporary file names tell, full-object SHA-256 checksums."""

from __future__ import annotations

import base64
import hashlib

import pytest

from git_annex_remote_s3py.annex import importing
from git_annex_remote_s3py.annex.s3urls import S3Url, parse_s3_url, s3_url
from git_annex_remote_s3py.store.integrity import full_object_sha256


@pytest.mark.parametrize("etag, version", [("0cc175b9c0f1b6a831c399e269772661", None),
                                           ("abc-2", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
                                           ("e", "v.1_x")])
def test_content_identifier_round_trip(etag, version):
    cid = importing.content_identifier(etag, version)
    assert " " not in cid
    assert importing.parse_content_identifier(cid) == (etag, version)


@pytest.mark.parametrize("url, parsed", [
    ("s3://b/k.txt", S3Url("b", "k.txt")),
    ("s3://b/dir/a%20b.txt", S3Url("b", "dir/a b.txt")),
    ("s3://b/k?versionId=V1", S3Url("b", "k", "V1")),
    ("s3://b/p/", S3Url("b", "p/")),
    ("s3://b", S3Url("b", "")),
    ("https://b.s3.amazonaws.com/k", None),
    ("s3:///k", None),
])
def test_parse_s3_url(url, parsed):
    assert parse_s3_url(url) == parsed


def test_s3_url_round_trip_has_no_space():
    url = s3_url("b", "d/\u00fc b+c.txt", "v+1/2")
    assert " " not in url
    assert parse_s3_url(url) == S3Url("b", "d/\u00fc b+c.txt", "v+1/2")


@pytest.mark.parametrize("name, importable", [
    ("a.txt", True), ("sub dir/\u00fc.csv", True), (" lead", True), ("dir/", False),
    ("a\nb", False), ("a//b", False), ("./a", False), ("a/../b", False), (".git/x", False),
    ("x/.GIT", False), ("/abs", False), ("", False),
])
def test_unimportable_reason(name, importable):
    assert (importing.unimportable_reason(name) is None) == importable


@pytest.mark.parametrize("path, names", [
    (".git/annex/tmp/MD5E-s3--abc.txt", ("MD5E-s3--abc.txt", None)),
    (".git/annex/tmp/CID-s12--12-179&c611", (None, "12-179:611")),
    (".git/annex/tmp/URL--s3&c%%b%k", ("URL--s3://b/k", None)),
    ("/tmp/elsewhere", (None, None)),
])
def test_tmp_file_names(path, names):
    assert importing.tmp_file_names(path) == names


def test_recorded_cids_merge_and_survive_garbage():
    state = importing.with_cid("", "a.txt", "e1")
    state = importing.with_cid(state, "b c.txt", "e2:v")
    assert "\n" not in state
    assert importing.recorded_cids(state) == {"a.txt": "e1", "b c.txt": "e2:v"}
    assert importing.recorded_cids("not json") == {}


def test_only_an_md5_key_implies_its_identifier():
    md5 = "0cc175b9c0f1b6a831c399e269772661"
    assert importing.implied_cid(f"MD5E-s1--{md5}.txt") == md5
    assert importing.implied_cid(f"MD5-s1--{md5}") == md5
    assert importing.implied_cid(f"SHA256E-s1--{'a' * 64}.txt") is None
    assert importing.implied_cid("URL--s3&c%%b%k") is None


def test_full_object_sha256_only_for_whole_objects():
    digest = hashlib.sha256(b"x").digest()
    text = base64.b64encode(digest).decode()
    assert full_object_sha256({"ChecksumSHA256": text}) == digest.hex()
    assert full_object_sha256({"ChecksumSHA256": text, "ChecksumType": "COMPOSITE"}) is None
    assert full_object_sha256({"ChecksumSHA256": text + "-2"}) is None
    assert full_object_sha256({"ChecksumSHA256": "bm90IDMyIGJ5dGVz"}) is None
    assert full_object_sha256({}) is None


def test_make_key_uses_git_annex_extension_rules():
    assert importing.make_key("MD5E", 3, "ab", "d/x.tar.gz") == "MD5E-s3--ab.tar.gz"
    assert importing.make_key("SHA256E", 0, "cd", "noext") == "SHA256E-s0--cd"
