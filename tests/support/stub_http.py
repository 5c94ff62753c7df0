"""The one stub HTTP(S) server of the tests: a handler served from a thread on 127.0.0.1 (a free
port), stopped, closed and joined when the block ends."""

from __future__ import annotations

import contextlib
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Optional

from support.faultproxy import POLL_INTERVAL


@contextlib.contextmanager
def stub_server(handler: type[BaseHTTPRequestHandler], *,
                tls: Optional[tuple[str, str]] = None,
                server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
                ) -> Iterator[ThreadingHTTPServer]:
    """``handler`` served on 127.0.0.1; ``tls``: (certificate file, key file) for https.
    ``url(server)`` is its base URL."""
    server = server_class(("127.0.0.1", 0), handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.s3py_scheme = "https" if tls else "http"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(POLL_INTERVAL,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def url(server: ThreadingHTTPServer) -> str:
    """``http[s]://127.0.0.1:PORT`` of a ``stub_server``."""
    return f"{server.s3py_scheme}://127.0.0.1:{server.server_port}"  # type: ignore[attr-defined]


class QuietHandler(BaseHTTPRequestHandler):
    """A handler that logs nothing to stderr."""

    def log_message(self, *args: object) -> None:
        pass
