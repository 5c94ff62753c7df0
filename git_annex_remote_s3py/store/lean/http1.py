"""One HTTP/1.1 client connection of the lean transport: the request written here, the answer
parsed by llhttp (``httptools``, Node.js's parser, as uvicorn uses it), no http.client.

Why not http.client: importing it costs a process ~90 M instructions (it imports ssl and the
email package, every start of the remote pays it) and reading an answer's headers through the
email package ~0.08 ms of CPU; this module with httptools ~17 M and ~0.01 ms
(scripts/measure/measure_start.py, docs/benchmarks.md "Session 8"). ssl is imported only by
https remotes. What the lean path never sends is not here: proxies (``build_lean`` leaves
those to botocore), ``Expect: 100-continue``, chunked request bodies.

Anything but a whole, well-formed answer is ``HttpError`` (an ``OSError`` for a socket's
failure or timeout): an answer that ends early, inside its headers or its body, is never an
answer.
"""

from __future__ import annotations

import select
import socket
from typing import TYPE_CHECKING, Iterator, Union

import httptools

from git_annex_remote_s3py.store.lean.wire import HEADER_NAME

if TYPE_CHECKING:
    import ssl

    from git_annex_remote_s3py.store.localfile import UploadBody

RECV_BLOCK = 256 * 1024
# The first read of an answer (its headers, and a small body with them): below glibc's mmap
# threshold (128 KiB), so that the buffer comes from the heap. A 256 KiB one cost every
# request an mmap, an mremap and an munmap (which, in a process with threads, makes the
# kernel flush the other CPUs' TLBs).
HEAD_BLOCK = 64 * 1024
COUNTED_BLOCK = 1024 * 1024  # per system call, reading a body of a stated length
SEND_BLOCK = 1024 * 1024  # one system call per MiB of an upload's body
# Characters no request line or header may hold (http.client refuses them too): a value with
# one would end the header early (request splitting).
FORBIDDEN = frozenset("\r\n\0")


class HttpError(Exception):
    """The answer broke HTTP's rules, or ended before it was whole."""


class ServerClosed(HttpError):
    """The server had closed the (kept-alive) connection: not one byte of an answer came."""


class ResponseHeaders:
    """An answer's headers, read by name case-insensitively; ``get`` gives the first of
    repeated ones, ``items`` all of them in order (as http.client's ``HTTPMessage``)."""

    def __init__(self) -> None:
        self._first: dict[str, str] = {}
        self._items: list[tuple[str, str]] = []

    def add(self, name: str, value: str) -> None:
        self._items.append((name, value))
        self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self._first[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)


Body = Union[bytes, "UploadBody", None]


def split_host(netloc: str, https: bool) -> tuple[str, int]:
    """(host, port) of ``host[:port]`` or ``[v6 address][:port]``, as http.client reads it."""
    host, port = netloc, 443 if https else 80
    colon, bracket = netloc.rfind(":"), netloc.rfind("]")
    if colon > bracket:
        host = netloc[:colon]
        if netloc[colon + 1:]:
            port = int(netloc[colon + 1:])
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, port


class Connection:
    """One socket to the server, kept alive for request after request (one at a time)."""

    def __init__(self, netloc: str, *, tls: ssl.SSLContext | None, connect_timeout: float,
                 timeout: float) -> None:
        host, port = split_host(netloc, tls is not None)
        self.context = tls
        sock = socket.create_connection((host, port), connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:  # the handshake within the connect timeout, as http.client
                sock = tls.wrap_socket(sock, server_hostname=host)
            sock.settimeout(timeout)
        except BaseException:
            sock.close()
            raise
        self.sock: socket.socket = sock

    def close(self) -> None:
        self.sock.close()

    def clean(self) -> bool:
        """Whether nothing arrived since the last answer was read whole: bytes that belong to
        no answer (a server that sent more than it said) or the server's close make the
        connection unfit for the next request, whose answer would start with them."""
        if self.context is not None and self.sock.pending():  # type: ignore[attr-defined]
            return False
        readable, _, _ = select.select([self.sock], [], [], 0)
        return not readable

    def request(self, method: str, target: str, headers: dict[str, str], body: Body) -> None:
        """Send one request; a header or target that HTTP cannot carry is ``ValueError``."""
        lines = [f"{method} {target} HTTP/1.1"]
        if " " in target or not (target.isascii() and target.isprintable()):
            raise ValueError(f"a request target HTTP cannot carry: {target!r}")
        named = {name.lower() for name in headers}
        if "content-length" not in named and (body is not None or method == "PUT"):
            if not isinstance(body, (bytes, type(None))):
                raise ValueError("a streamed body needs its Content-Length")
            lines.append(f"Content-Length: {len(body or b'')}")
        if "accept-encoding" not in named:
            lines.append("Accept-Encoding: identity")  # no server may compress the answer
        for name, value in headers.items():
            if not FORBIDDEN.isdisjoint(value) or not HEADER_NAME.fullmatch(name):
                raise ValueError(f"a header HTTP cannot carry: {name!r}")
            lines.append(f"{name}: {value}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")  # else UnicodeEncodeError
        if body is None or isinstance(body, bytes):
            self.sock.sendall(head + body if body and len(body) <= SEND_BLOCK else head)
            if body and len(body) > SEND_BLOCK:
                self.sock.sendall(body)
            return
        self.sock.sendall(head)
        while block := body.read(SEND_BLOCK):
            self.sock.sendall(block)

    def response(self, method: str) -> Response:
        """The answer to the request just sent, its headers read (its body not yet)."""
        return Response(self.sock, head=method == "HEAD")


class Response:
    """An answer: ``status``, ``headers``, the body through ``read``; ``will_close`` when the
    connection cannot carry another request (the server said so, or sent more than the
    answer)."""

    def __init__(self, sock: socket.socket, *, head: bool) -> None:
        self._sock, self._head = sock, head
        self.headers = ResponseHeaders()
        self._body = bytearray()
        self._headers_done = self._complete = self._stray = False
        self._parser = httptools.HttpResponseParser(self)
        data = sock.recv(HEAD_BLOCK)
        if not data:
            raise ServerClosed("the server closed the connection without an answer")
        while True:
            self._feed(data)
            if self._headers_done:
                break
            data = sock.recv(HEAD_BLOCK)
            if not data:
                raise HttpError("the answer ended inside its headers")
        if self.status < 200:  # never asked for (no Expect: 100-continue): not understood here
            raise HttpError(f"an interim answer ({self.status})")
        self.will_close = self._stray or not self._keep_alive
        # A body of a stated length (llhttp checked it) is read straight from the socket, as
        # http.client does: through the parser a download costs ~2.5x the CPU.
        length = self.headers.get("Content-Length")
        self._remaining: int | None = None
        if not self._complete and length is not None and length.isdigit() and (
                "Transfer-Encoding" not in self.headers):
            self._remaining = int(length) - len(self._body)

    # -- llhttp's callbacks ------------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self._headers_done:
            self._stray = True  # bytes after the answer: the next one would start with them

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._headers_done:
            self.headers.add(name.decode("latin-1"), value.decode("latin-1"))

    def on_headers_complete(self) -> None:
        if self._headers_done:
            return  # a second answer in the same bytes: never read as this one
        self._headers_done = True
        self.status: int = self._parser.get_status_code()  # this answer's, not a later one's
        self._keep_alive = self._parser.should_keep_alive()
        if self._head:  # no body follows a HEAD's headers, whatever Content-Length says
            self._complete = True

    def on_body(self, body: bytes) -> None:
        if self._head or self._complete:
            self._stray = True
        else:
            self._body += body

    def on_message_complete(self) -> None:
        if not self._head:
            self._complete = True

    # -- reading -----------------------------------------------------------------------------
    def _feed(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            if not self._complete:
                raise HttpError(f"a malformed answer ({exc})") from exc
            self._stray = True  # garbage after a whole answer: that connection is done

    def _until_eof(self) -> bool:
        """Whether the body ends where the server closes (no length, not chunked)."""
        coding = (self.headers.get("Transfer-Encoding") or "").lower()
        return self.headers.get("Content-Length") is None and "chunked" not in coding

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body (all of it: -1); b"" once it is all read. A body
        that ends early gives the bytes that came (a download resumes after them, as with
        http.client), then ``HttpError``; never a short body as a whole one."""
        if self._remaining is not None:
            return self._read_counted(size)
        while not self._complete and (size < 0 or len(self._body) < size):
            data = self._sock.recv(RECV_BLOCK)
            if data:
                self._feed(data)
            elif self._until_eof():
                self._complete = self.will_close = True
            elif self._body and size >= 0:
                self.will_close = True
                break  # these bytes now, the error at the next read
            else:
                self.will_close = True
                raise HttpError("the answer ended inside its body")
        if size < 0 or size >= len(self._body):
            block = bytes(self._body)
            self._body.clear()
        else:
            block = bytes(self._body[:size])
            del self._body[:size]
        if self._stray:
            self.will_close = True
        return block

    def _read_counted(self, size: int) -> bytes:
        """``read`` of a body of a stated length, ``_remaining`` bytes of it still unread."""
        parts = []
        if self._body:  # what came with the headers
            taken = len(self._body) if size < 0 else min(size, len(self._body))
            parts.append(bytes(self._body[:taken]))
            del self._body[:taken]
            size -= taken if size >= 0 else 0
        while self._remaining and size:
            wanted = self._remaining if size < 0 else min(size, self._remaining)
            data = self._sock.recv(min(wanted, COUNTED_BLOCK))
            if not data:
                self.will_close = True
                if parts:
                    break  # these bytes now, the error at the next read
                raise HttpError("the answer ended inside its body")
            parts.append(data)
            self._remaining -= len(data)
            size -= len(data) if size >= 0 else 0
        self._complete = not self._remaining
        return b"".join(parts)

    def isclosed(self) -> bool:
        """Whether the whole body has been read."""
        return self._complete and not self._body
