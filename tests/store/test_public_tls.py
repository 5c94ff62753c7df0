"""B7: anonymous public reads over https trust ``$AWS_CA_BUNDLE`` (a private CA), as the
signed path does; without it the certificate is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from support.tls import https_server as serve_https

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.store.open import open_public

DATA = b"public bytes\n"


class ObjectHandler(BaseHTTPRequestHandler):
    """Serves DATA as every object, with S3's Content-Length and ETag."""

    def _answer(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(DATA)))
        self.send_header("ETag", f'"{hashlib.md5(DATA).hexdigest()}"')
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(DATA)

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def https_base(tmp_path) -> Iterator[tuple[str, str]]:
    """(base URL of an https server with a private CA, the CA file)."""
    with serve_https(tmp_path / "tls", ObjectHandler) as (port, tls):
        yield f"https://127.0.0.1:{port}/pub-bucket", str(tls.ca)


def test_public_https_reads_trust_aws_ca_bundle(https_base, tmp_path, monkeypatch):
    base, ca = https_base
    monkeypatch.setenv("AWS_CA_BUNDLE", ca)
    store = open_public(base, "pub-bucket")
    assert store.head("k").size == len(DATA)
    target = tmp_path / "got"
    assert store.get_file("k", str(target), lambda _: None) == len(DATA)
    assert target.read_bytes() == DATA


def test_public_https_without_the_ca_is_refused(https_base, monkeypatch):
    base, _ = https_base
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    with pytest.raises(errors.EndpointUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        open_public(base, "pub-bucket").head("k")


def test_unreadable_ca_bundle_is_named(https_base, tmp_path, monkeypatch):
    base, _ = https_base
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(errors.EndpointUnavailable, match="AWS_CA_BUNDLE=.*missing.pem"):
        open_public(base, "pub-bucket").head("k")
