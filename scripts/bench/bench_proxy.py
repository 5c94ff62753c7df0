"""The counting proxy of the scale row: the test suite's recording proxy
(tests/support/faultproxy.py, no rules) made to add no delay of its own.

Timings taken through it must be the ones a client sees against the server itself, and on
127.0.0.1 TCP's delayed ACK (40 ms) decides them: a peer that writes a message in two pieces
waits for it whenever the connection is kept alive. So the proxy keeps the server's connection
behaviour instead of its own: one connection to the server for each client connection, kept
while the server keeps it, and closed towards the client when the server closes (moto answers
``Connection: close`` every time; Ceph RGW and s3rver keep connections alive). What it writes,
both ways, leaves as written (no Nagle), as boto3's urllib3 does.
"""

from __future__ import annotations

import http.client
import socket
from typing import Optional

from support.faultproxy import HOP_HEADERS, FaultProxy


def counting_proxy(endpoint: str) -> FaultProxy:
    """A recording proxy in front of ``endpoint`` (http); ``start()`` it."""
    proxy = FaultProxy(endpoint)
    proxy.server.RequestHandlerClass = connection_keeping(proxy.server.RequestHandlerClass)
    return proxy


def connection_keeping(handler: type) -> type:
    class ConnectionKeepingHandler(handler):
        """One handler per client connection, with its own connection to the server."""

        disable_nagle_algorithm = True
        upstream: Optional[http.client.HTTPConnection] = None
        server_closed = False

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            # the client's Expect: 100-continue is answered already (the body is here): sent
            # on, the server's "100 Continue" and its answer would wait for our delayed ACK
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_HEADERS and k.lower() != "expect"}
            if self.command not in ("GET", "HEAD", "DELETE") or body:
                headers["Content-Length"] = str(len(body))
            for attempt in (1, 2):  # again on a new connection if the server closed an idle one
                reused = self.upstream is not None
                try:
                    response, payload = self._exchange(headers, body)
                    break
                except (OSError, http.client.HTTPException) as error:
                    self._drop_upstream()
                    if not reused or attempt == 2:
                        raise OSError(f"the server did not answer: {error}") from None
            self.server_closed = response.will_close
            if self.server_closed:
                self._drop_upstream()
            return response.status, [(k, v) for k, v in response.getheaders()
                                     if k.lower() not in HOP_HEADERS], payload

        def _exchange(self, headers: dict[str, str], body: bytes
                      ) -> tuple[http.client.HTTPResponse, bytes]:
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(
                    self.proxy.upstream_host, self.proxy.upstream_port, timeout=120)
                self.upstream.connect()  # http.client writes headers and body apart
                self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = self.upstream.getresponse()
            return response, response.read()

        def _answer(self, status, headers, payload, rule) -> None:
            if self.server_closed:  # send_header("Connection", "close") closes ours too
                headers = [*headers, ("Connection", "close")]
            super()._answer(status, headers, payload, rule)

        def _drop_upstream(self) -> None:
            if self.upstream is not None:
                self.upstream.close()
                self.upstream = None

        def finish(self) -> None:
            self._drop_upstream()
            super().finish()

    return ConnectionKeepingHandler
