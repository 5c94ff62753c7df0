"""A lean signed-HTTP transport: one signed request over a kept-alive connection per thread
(store/lean/http1.py), no botocore.

What it saves, measured by scripts/measure/measure_lean.py (2-core machine shared with other jobs,
moto's server in the same process, medians of 200 HEADs): botocore's ``head_object`` costs
~1.1 ms of CPU in the calling thread and ~3.4 ms wall, this transport's HEAD ~0.3 ms CPU and
~2.2 ms wall. Signing is the small part of that (~0.13 ms botocore, ~0.02 ms ``sigv4``); the
rest is botocore's request pipeline (event hooks, endpoint rules, parsing). A process served
whole by this path also never imports boto3 or builds a client (~0.7-0.9 s here).

It only exchanges: ``lean.objects.LeanObjects`` reads the answers and takes only clean ones;
everything else (errors, retries, redirects, large files) stays with botocore (``bucket.Bucket``
hands over). One DEBUG record per request: method, object name, HTTP status.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Iterator
from urllib.parse import quote, urlsplit

from git_annex_remote_s3py.store.lean import sigv4
from git_annex_remote_s3py.store.lean.http1 import Connection, HttpError, Response, ServerClosed
from git_annex_remote_s3py.urls import SAFE

if TYPE_CHECKING:
    import ssl

    from git_annex_remote_s3py.store.localfile import UploadBody

LOG = logging.getLogger(__name__)
# Linux only. A server that writes an answer's headers and body in two writes, with Nagle on
# (Ceph RGW 16), holds the body until the headers are ACKed; a kept-alive connection delays
# that ACK by 40 ms: measured 44 ms per small GET and 0.8 ms with quick ACKs.
QUICKACK = getattr(socket, "TCP_QUICKACK", None)


KeyTriple = tuple[str, str, "str | None"]


class LeanUnavailable(Exception):
    """The lean transport could not complete the exchange; botocore takes over."""


class LeanS3:
    """Signed requests to one bucket's base URL (``http[s]://host[:port][/bucket]``)."""

    def __init__(self, base_url: str, credentials: Callable[[], KeyTriple], region: str, *,
                 timeout: float, connect_timeout: float, ca_bundle: str | None = None) -> None:
        """``credentials()`` gives (access key, secret key, session token or None) for each
        request: static ones, or botocore's refreshing ones frozen at that moment."""
        parts = urlsplit(base_url)
        self.host, self.base_path = parts.netloc, parts.path.rstrip("/")
        self._https = parts.scheme == "https"
        self._credentials = credentials
        self.region = region
        self._timeout, self._connect_timeout = timeout, connect_timeout
        self._ca_bundle = ca_bundle
        self._local = threading.local()
        self._tls_context: ssl.SSLContext | None = None
        self._tls_lock = threading.Lock()

    # -- connections: one per thread, kept alive ---------------------------------------------
    def _tls(self) -> ssl.SSLContext:
        """The one TLS context of every connection (each job's thread, each reconnect):
        loading the CA certificates costs ~20 ms of CPU per context. ssl is imported here:
        an http remote never loads it (~40 M instructions)."""
        import ssl

        with self._tls_lock:
            if self._tls_context is None:
                self._tls_context = ssl.create_default_context(cafile=self._ca_bundle)
            return self._tls_context

    def _new_connection(self) -> Connection:
        return Connection(self.host, tls=self._tls() if self._https else None,
                          connect_timeout=self._connect_timeout, timeout=self._timeout)

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def path(self, name: str | None) -> str:
        """The percent-encoded request path of object ``name`` (None: the bucket itself)."""
        if name is None:
            return self.base_path or "/"
        return f"{self.base_path}/{quote(name, safe=SAFE)}"

    def presign(self, name: str, expires: int) -> str:
        """A GET URL of object ``name`` valid for ``expires`` seconds, signed here (no
        botocore); never logged (a bearer token until it expires)."""
        access_key, secret_key, token = self._credentials()
        query = sigv4.presigned_query("GET", self.host, self.path(name), {}, access_key,
                                      secret_key, token, self.region,
                                      datetime.now(timezone.utc), expires)
        scheme = "https" if self._https else "http"
        return f"{scheme}://{self.host}{self.path(name)}?{query}"

    # -- one exchange --------------------------------------------------------------------------
    @contextlib.contextmanager
    def exchange(self, method: str, name: str | None, *, query: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, body: bytes | UploadBody | None = None,
                 payload_hash: str = sigv4.EMPTY_SHA256) -> Iterator[Response]:
        """Send one signed request and yield its response (headers read, body not).

        A connection kept from an earlier request that turns out closed is replaced once;
        any other transport failure, before or while the body is read, is ``LeanUnavailable``.
        """
        query = query or {}
        path = self.path(name)
        target = path + (f"?{sigv4.canonical_query(query)}" if query else "")
        access_key, secret_key, token = self._credentials()
        signed = sigv4.sign(method, self.host, path, query, headers or {},
                            payload_hash, access_key, secret_key, token, self.region,
                            datetime.now(timezone.utc))
        shown = name if name is not None else "(the bucket)"
        try:
            response = self._send(method, target, signed, body)
        except LeanUnavailable as exc:
            LOG.debug("S3 %s %s (lean): failed (%s)", method, shown, exc)
            raise
        LOG.debug("S3 %s %s (lean): %s", method, shown, response.status)
        try:
            yield response
        except (OSError, HttpError) as exc:
            self._drop()
            LOG.debug("S3 %s %s (lean): body broke off (%s)", method, shown,
                      type(exc).__name__)
            raise LeanUnavailable(f"{method} {name}: {type(exc).__name__}") from exc
        except BaseException:
            self._drop()
            raise
        if not response.isclosed() or response.will_close:
            self._drop()  # body left unread, or the server closes: no reuse

    def _send(self, method: str, target: str, headers: dict[str, str],
              body: bytes | UploadBody | None) -> Response:
        reused = getattr(self._local, "connection", None) is not None
        stream = None if body is None or isinstance(body, bytes) else body
        start = stream.tell() if stream is not None else None
        for attempt in (1, 2):
            try:
                if attempt == 2 and stream is not None and start is not None:
                    stream.seek(start)  # the whole body again, not what the dead socket left
                kept = getattr(self._local, "connection", None)
                if kept is not None and not kept.clean():
                    self._drop()
                    reused = False
                if getattr(self._local, "connection", None) is None:
                    self._local.connection = self._new_connection()
                connection: Connection = self._local.connection
                connection.request(method, target, headers, body)
                ack_at_once(connection.sock)
                return connection.response(method)
            except (OSError, HttpError, ValueError) as exc:
                self._drop()  # ValueError: a header HTTP cannot carry
                stale = isinstance(exc, (ServerClosed, BrokenPipeError, ConnectionResetError))
                if not (reused and stale and attempt == 1):
                    raise LeanUnavailable(f"{method}: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")


def ack_at_once(sock: socket.socket | None) -> None:
    """ACK what arrives next without the delayed-ACK wait (Linux re-arms the delay itself,
    so this is set again before every answer is read)."""
    if QUICKACK is not None and sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)


def body_blocks(response: Response, size: int) -> Iterator[bytes]:
    """The response body in blocks of ``size``; a socket's failure is ``LeanUnavailable``
    (not an ``OSError``, which the file writer would report as a local disk problem), an
    answer cut short ``HttpError`` (``exchange`` names the request)."""
    while True:
        try:
            block = response.read(size)
        except OSError as exc:
            raise LeanUnavailable(f"reading the body: {type(exc).__name__}") from exc
        if not block:
            return
        yield block
