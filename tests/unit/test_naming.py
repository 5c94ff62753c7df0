"""Object names: key mode (fileprefix + key), export mode (fileprefix + path), the prefix's
normal form, the size a key promises, which downloads git-annex hashes itself."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py import naming
from git_annex_remote_s3py.errors import InvalidName

KEY = "SHA256E-s1000--0123abcd.txt"


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
