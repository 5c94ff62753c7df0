"""A tiny HTTP proxy in front of moto's server on 127.0.0.1 that records every request.

It lets end-to-end tests prove what moto cannot: which requests were signed (an
``Authorization`` header or an ``X-Amz-Signature`` query), and how buckets that refuse public
ACLs answer. With ``refuse_acl`` set to an error code, any request carrying ``x-amz-acl`` gets
S3's answer and is not forwarded: ``AccessControlListNotSupported`` (400, Object Ownership
"bucket owner enforced") or ``AccessDenied`` (403, Block Public Access on).
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "content-length"}
ACL_REFUSALS = {"AccessControlListNotSupported": 400, "AccessDenied": 403}


def s3_error(code: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            "<Message>refused by the test proxy</Message></Error>").encode()


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str  # unquoted, without the query
    signed: bool
    acl: str | None
    status: int


class RecordingProxy:
    """Forwards to ``upstream_port`` on 127.0.0.1; ``endpoint`` is the proxy's own URL."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.seen: list[Seen] = []
        self.refuse_acl: str | None = None  # a code of ACL_REFUSALS
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def mark(self) -> int:
        """Position in the log; ``since(mark)`` returns what came after it."""
        with self._lock:
            return len(self.seen)

    def since(self, mark: int) -> list[Seen]:
        with self._lock:
            return list(self.seen[mark:])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _handler_class(self) -> type:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                length = str(len(body))
                for name, value in headers:
                    if name.lower() == "content-length" and self.command == "HEAD":
                        length = value  # a HEAD tells the object's size, with no body
                    elif name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self) -> None:
                body = self._body()
                parts = urlsplit(self.path)
                signed = ("authorization" in (k.lower() for k in self.headers)
                          or "x-amz-signature" in parts.query.lower())
                acl = self.headers.get("x-amz-acl")
                if acl and proxy.refuse_acl:
                    status, answer = ACL_REFUSALS[proxy.refuse_acl], s3_error(proxy.refuse_acl)
                    headers = [("Content-Type", "application/xml")]
                else:
                    upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port,
                                                          timeout=60)
                    try:
                        headers_out = {k: v for k, v in self.headers.items()
                                       if k.lower() not in HOP_BY_HOP}
                        headers_out["Content-Length"] = str(len(body))
                        upstream.request(self.command, self.path, body=body,
                                         headers=headers_out)
                        response = upstream.getresponse()
                        answer = response.read()
                        status, headers = response.status, response.getheaders()
                    finally:
                        upstream.close()
                proxy._record(Seen(self.command, unquote(parts.path), signed, acl, status))
                self._reply(status, headers, answer)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler
