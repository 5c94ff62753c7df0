"""An endpoint that is a plain web server, not an S3 API: one line naming the cause and
``endpoint=``, after a handful of requests (no retry storm, no RecursionError)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from support.pipes import RemotePipe, annex_key, without_debug
from support.stub_http import stub_server, url

BUCKET = "web-bucket-1"


class WebServer:
    """A static file server on 127.0.0.1 (GET/HEAD of files, 301 for a directory without
    its slash, 404 otherwise, 501 HTML for PUT/DELETE), counting the requests."""

    def __init__(self, root: Path) -> None:
        counts: Counter = Counter()

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def send_response(self, code, message=None):
                counts[self.command] += 1
                super().send_response(code, message)

            def log_message(self, *args):
                pass

        self.counts = counts
        self._serving = contextlib.ExitStack()
        self.endpoint = url(self._serving.enter_context(stub_server(Handler)))

    def stop(self) -> None:
        self._serving.close()


@pytest.fixture
def web(tmp_path) -> Iterator[tuple[WebServer, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<html><body>a web site</body></html>")
    server = WebServer(root)
    yield server, root
    server.stop()


def initremote(tmp_path: Path, env: dict, endpoint: str) -> tuple[RemotePipe, str]:
    remote = RemotePipe(env, {"bucket": BUCKET, "endpoint": endpoint}, tmp_path)
    reply = without_debug(remote.transcript("INITREMOTE", timeout=60))[-1]
    return remote, reply


def test_directory_redirect_is_not_hunted(tmp_path, env, web):
    """The bucket's name is a directory: HEAD answers 301 to its slash form. botocore
    would HEAD the bucket again and again (81 times, then RecursionError)."""
    server, root = web
    (root / BUCKET).mkdir()
    remote, reply = initremote(tmp_path, env, server.endpoint)
    assert reply.startswith("INITREMOTE-FAILURE "), reply
    assert (f"{server.endpoint} does not speak the S3 API (HTTP 301 Moved Permanently"
            in reply), reply
    assert reply.endswith("check endpoint="), reply
    assert "Recursion" not in reply and "internal error" not in reply
    assert sum(server.counts.values()) <= 2, server.counts
    key = annex_key(b"abc")
    remote.request("PREPARE")
    present = remote.request(f"CHECKPRESENT {key}")
    assert present.startswith(f"CHECKPRESENT-UNKNOWN {key} "), present
    assert "does not speak the S3 API" in present, present
    remote.close()


def test_unsupported_put_says_not_s3(tmp_path, env, web):
    """No such directory: HEAD 404, so initremote creates the bucket: PUT answers 501 with
    an HTML page, once (not 'server error 501 501 after retries')."""
    server, _ = web
    remote, reply = initremote(tmp_path, env, server.endpoint)
    assert reply == (f"INITREMOTE-FAILURE creating bucket {BUCKET}: {server.endpoint} does not "
                     "speak the S3 API (HTTP 501 Not Implemented, no S3 error in the answer): "
                     "check endpoint="), reply
    assert server.counts == {"HEAD": 1, "PUT": 1}, server.counts
    remote.close()
