"""Where credentials come from (environment, git-annex's store, the AWS chain) and that no
secret is ever printed; the credentials CSV formats; SSE-C key files."""

from __future__ import annotations

import base64

import pytest

from git_annex_remote_s3py import credentials
from git_annex_remote_s3py.errors import ConfigError, CredentialsMissing

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
