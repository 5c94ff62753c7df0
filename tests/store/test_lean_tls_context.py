"""The lean transport over https builds one TLS context per process (loading the CA
certificates costs ~20 ms of CPU each time) and shares it between the connections of every
thread and every reconnect; the certificate is still checked against it. An engine-level
test: ``LeanS3`` alone (its TLS context and connections), as store/open.py's ``build_lean``
makes it."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from support.tls import https_server as serve_https

from git_annex_remote_s3py.store.lean.transport import LeanS3, LeanUnavailable


class ClosingHandler(BaseHTTPRequestHandler):
    """Answers every HEAD with 200 and closes the connection (the next request reconnects)."""

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(tmp_path) -> Iterator[tuple[str, str]]:
    """(base URL of an https server with a private CA, the CA file)."""
    with serve_https(tmp_path / "tls", ClosingHandler) as (port, tls):
        yield f"https://127.0.0.1:{port}/bucket", str(tls.ca)


def lean(base: str, ca_bundle: str | None) -> LeanS3:
    return LeanS3(base, lambda: ("AKID", "SECRET", None), "us-east-1", timeout=10,
                  connect_timeout=10, ca_bundle=ca_bundle)


def test_threads_and_reconnects_share_one_tls_context(https_server):
    base, ca = https_server
    transport = lean(base, ca)
    contexts: list[ssl.SSLContext] = []
    connections = []

    def one_head() -> None:
        with transport.exchange("HEAD", "k") as response:
            assert response.status == 200
            connection = transport._local.connection
            connections.append(connection)
            contexts.append(connection.sock.context)  # what its TLS socket was wrapped with

    one_head()
    one_head()  # the server closed the first connection: a new one
    worker = threading.Thread(target=one_head)
    worker.start()
    worker.join()
    assert len(contexts) == 3 and len({id(c) for c in connections}) == 3
    assert all(context is contexts[0] for context in contexts)
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname


def test_the_shared_context_still_refuses_an_untrusted_certificate(https_server):
    base, _ = https_server
    transport = lean(base, None)  # the system's CAs: not the test CA
    for _ in range(2):
        with pytest.raises(LeanUnavailable):
            with transport.exchange("HEAD", "k"):
                pass
