"""Tables for the issue #17 settings: ACL contradictions, local settings (git config over the
environment), the credentials CSV formats, SSE-C key files, the final progress report and the
upload arguments each setting becomes."""

from __future__ import annotations

import base64
import subprocess

import pytest

from git_annex_remote_s3py import credentials
from git_annex_remote_s3py.annex.session import local_git_config
from git_annex_remote_s3py.config import (
    LocalSettings,
    load_local_settings,
    load_settings,
    upload_args_of,
)
from git_annex_remote_s3py.errors import ConfigError, CredentialsMissing
from git_annex_remote_s3py.progress import Throttled


def settings(**values: str):
    given = {"bucket": "b-1", **{k.replace("__", "-"): v for k, v in values.items()}}
    return load_settings(lambda name: given.get(name, ""))


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


# -- credentials CSV, SSE-C key --------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "User Name,Access Key Id,Secret Access Key\n\"alice\",AKIAEXAMPLE,se/cr+et\n",
    "\ufeffAccess key ID,Secret access key\nAKIAEXAMPLE,se/cr+et\n",
    "AWSAccessKeyID=AKIAEXAMPLE\nAWSSecretKey=se/cr+et\n",
])
def test_credentials_csv_formats(tmp_path, text):
    path = tmp_path / "credentials.csv"
    path.write_text(text, encoding="utf-8")
    found = credentials.from_csv(str(path))
    assert (found.access_key, found.secret_key) == ("AKIAEXAMPLE", "se/cr+et")
    assert "se/cr+et" not in repr(found)


@pytest.mark.parametrize("text", ["", "a,b\n1,2\n", "AWSAccessKeyID=only\n"])
def test_a_credentials_csv_without_a_key_pair_says_so(tmp_path, text):
    path = tmp_path / "credentials.csv"
    path.write_text(text)
    with pytest.raises(CredentialsMissing, match="holds no access key"):
        credentials.from_csv(str(path))


def test_a_missing_credentials_csv_says_so(tmp_path):
    with pytest.raises(CredentialsMissing, match="cannot read the credentials CSV"):
        credentials.from_csv(str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("encode", [lambda k: k, lambda k: base64.b64encode(k) + b"\n"])
def test_sse_c_key_files(tmp_path, encode):
    key = bytes(range(32))
    path = tmp_path / "key"
    path.write_bytes(encode(key))
    assert credentials.read_sse_customer_key(str(path)) == key


@pytest.mark.parametrize("content", [b"short", base64.b64encode(b"x" * 16), b"!" * 44])
def test_bad_sse_c_key_files(tmp_path, content):
    path = tmp_path / "key"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="256-bit"):
        credentials.read_sse_customer_key(str(path))


# -- the final progress report ---------------------------------------------------------------------
@pytest.mark.parametrize("reports, total, sent", [
    ([], 100, [100]),            # quicker than one interval: the whole size, once
    ([50], 100, [50, 100]),      # the last reports fell inside an interval
    ([50, 100], 100, [50, 100]),  # already sent: not repeated
    ([], 0, []),                 # an empty file: nothing to report
])
def test_finish_sends_the_whole_size_once(reports, total, sent):
    clock = iter(range(0, 1000, 10))
    seen: list[int] = []
    progress = Throttled(seen.append, interval=1, clock=lambda: float(next(clock)))
    for count in reports:
        progress(count)
    progress.finish(total)
    progress.finish(total)
    assert seen == sent
