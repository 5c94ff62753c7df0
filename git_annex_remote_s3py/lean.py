"""A lean signed-HTTP transport for small-object requests: http.client + sigv4, no botocore.

botocore spends ~3 ms of CPU on every request (hooks, user agent, parsing, signing), seven
times what the HTTP exchange costs; for datasets of many small files that is the remote's whole
budget, and importing boto3 and building a client costs ~0.65 s per process. This transport
sends one signed request over a kept-alive connection per thread and hands the response to
``storage.Bucket``, which uses it only for clean answers. Everything else (errors, retries,
redirects, large files) stays with botocore: see ``storage.Bucket._lean_off``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import threading
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import quote, urlsplit

from . import sigv4
from .urls import SAFE

LEAN_MAX_BYTES = 8 * 1024**2  # larger objects go through botocore (transfer manager, CRCs)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


class LeanUnavailable(Exception):
    """The lean transport could not complete the exchange; botocore takes over."""


class LeanS3:
    """Signed requests to one bucket's base URL (``http[s]://host[:port][/bucket]``)."""

    def __init__(self, base_url: str, access_key: str, secret_key: str,
                 session_token: str | None, region: str, *, timeout: float,
                 connect_timeout: float, ca_bundle: str | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.base_path = parts.netloc, parts.path.rstrip("/")
        self._https = parts.scheme == "https"
        self._creds = (access_key, secret_key, session_token)
        self.region = region
        self._timeout, self._connect_timeout = timeout, connect_timeout
        self._ca_bundle = ca_bundle
        self._local = threading.local()

    # -- connections: one per thread, kept alive ---------------------------------------------
    def _new_connection(self) -> http.client.HTTPConnection:
        if self._https:
            import ssl

            context = ssl.create_default_context(cafile=self._ca_bundle)
            connection = http.client.HTTPSConnection(self.host, timeout=self._connect_timeout,
                                                     context=context)
        else:
            connection = http.client.HTTPConnection(self.host, timeout=self._connect_timeout)
        connection.connect()
        connection.sock.settimeout(self._timeout)
        return connection

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

    # -- one exchange --------------------------------------------------------------------------
    @contextlib.contextmanager
    def exchange(self, method: str, name: str | None, *, query: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None, body: bytes | None = None,
                 payload_hash: str = sigv4.EMPTY_SHA256) -> Iterator[http.client.HTTPResponse]:
        """Send one signed request and yield its response (headers read, body not).

        A connection kept from an earlier request that turns out closed is replaced once;
        any other transport failure, before or while the body is read, is ``LeanUnavailable``.
        """
        query = query or {}
        target = self.path(name) + (f"?{sigv4.canonical_query(query)}" if query else "")
        access_key, secret_key, token = self._creds
        signed = sigv4.sign(method, self.host, self.path(name), query, headers or {},
                            payload_hash, access_key, secret_key, token, self.region,
                            datetime.now(timezone.utc))
        response = self._send(method, target, signed, body)
        try:
            yield response
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise LeanUnavailable(f"{method} {name}: {type(exc).__name__}") from exc
        except BaseException:
            self._drop()
            raise
        if not response.isclosed() or response.will_close:
            self._drop()  # body left unread, or the server closes: no reuse

    def _send(self, method: str, target: str, headers: dict[str, str],
              body: bytes | None) -> http.client.HTTPResponse:
        reused = getattr(self._local, "connection", None) is not None
        for attempt in (1, 2):
            try:
                if getattr(self._local, "connection", None) is None:
                    self._local.connection = self._new_connection()
                connection = self._local.connection
                connection.request(method, target, body=body, headers=headers)
                return connection.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                stale = isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError,
                                         ConnectionResetError))
                if not (reused and stale and attempt == 1):
                    raise LeanUnavailable(f"{method}: {type(exc).__name__}") from exc
        raise AssertionError("unreachable")


def body_blocks(response: http.client.HTTPResponse, size: int) -> Iterator[bytes]:
    """The response body in blocks of ``size``; a transport failure is ``LeanUnavailable``
    (not an ``OSError``, which the file writer would report as a local disk problem)."""
    while True:
        try:
            block = response.read(size)
        except (OSError, http.client.HTTPException) as exc:
            raise LeanUnavailable(f"reading the body: {type(exc).__name__}") from exc
        if not block:
            return
        yield block


def proxies_configured(environ: dict[str, str] | None = None) -> bool:
    """Whether a proxy is configured: botocore honours it, this transport does not."""
    environ = os.environ if environ is None else environ
    return any(environ.get(name) for name in PROXY_VARIABLES)
