"""A lean signed-HTTP transport for small-object requests: http.client + sigv4, no botocore.

botocore spends ~3 ms of CPU on every request (hooks, user agent, parsing, signing), seven
times what the HTTP exchange costs; for datasets of many small files that is the remote's whole
budget, and importing boto3 and building a client costs ~0.65 s per process. This transport
sends one signed request over a kept-alive connection per thread and hands the response to
``storage.Bucket``, which uses it only for clean answers. Everything else (errors, retries,
redirects, large files) stays with botocore: see ``storage.Bucket._lean_off``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import threading
import zlib
from datetime import datetime, timezone
from typing import Any, BinaryIO, Callable, Iterator
from urllib.parse import quote, urlsplit

from git_annex_remote_s3py.store.lean import sigv4
from git_annex_remote_s3py.urls import SAFE

LEAN_SMALL_BYTES = 8 * 1024**2  # uploads up to this size are read whole, sent with Content-MD5
SEND_BLOCK = 1024 * 1024  # http.client's 8 KiB default costs a system call per 8 KiB
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


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

    # -- connections: one per thread, kept alive ---------------------------------------------
    def _new_connection(self) -> http.client.HTTPConnection:
        if self._https:
            import ssl

            context = ssl.create_default_context(cafile=self._ca_bundle)
            connection = http.client.HTTPSConnection(self.host, timeout=self._connect_timeout,
                                                     context=context, blocksize=SEND_BLOCK)
        else:
            connection = http.client.HTTPConnection(self.host, timeout=self._connect_timeout,
                                                    blocksize=SEND_BLOCK)
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
                 headers: dict[str, str] | None = None, body: bytes | BinaryIO | None = None,
                 payload_hash: str = sigv4.EMPTY_SHA256) -> Iterator[http.client.HTTPResponse]:
        """Send one signed request and yield its response (headers read, body not).

        A connection kept from an earlier request that turns out closed is replaced once;
        any other transport failure, before or while the body is read, is ``LeanUnavailable``.
        """
        query = query or {}
        target = self.path(name) + (f"?{sigv4.canonical_query(query)}" if query else "")
        access_key, secret_key, token = self._credentials()
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
              body: bytes | BinaryIO | None) -> http.client.HTTPResponse:
        reused = getattr(self._local, "connection", None) is not None
        start = body.tell() if hasattr(body, "tell") else None
        for attempt in (1, 2):
            try:
                if attempt == 2 and start is not None:
                    body.seek(start)  # the whole body again, not what the dead socket left
                if getattr(self._local, "connection", None) is None:
                    self._local.connection = self._new_connection()
                connection = self._local.connection
                connection.request(method, target, body=body, headers=headers)
                return connection.getresponse()
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self._drop()  # ValueError: a header http.client will not send
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


# -- S3 wire formats of the lean path -------------------------------------------------------
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
LEAN_UPLOAD_HEADERS = {"ACL": "x-amz-acl", "StorageClass": "x-amz-storage-class",
                       "ServerSideEncryption": "x-amz-server-side-encryption",
                       "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id"}


def upload_headers(args: dict) -> dict[str, str] | None:
    """Headers for botocore-style upload arguments, or None if one has no plain mapping."""
    headers: dict[str, str] = {}
    for arg, value in args.items():
        if arg == "Metadata":
            headers.update({f"x-amz-meta-{k}": v for k, v in value.items()})
        elif arg in LEAN_UPLOAD_HEADERS:
            headers[LEAN_UPLOAD_HEADERS[arg]] = value
        else:
            return None
    if not all(str(text).isascii() and str(text).isprintable() and HEADER_NAME.fullmatch(name)
               for name, text in headers.items()):
        return None  # botocore's encoding rules for such values are its own
    return headers


def parse_listing(body: bytes) -> tuple[list[tuple[str, int, str]], str | None] | None:
    """Items and next token of a ListObjectsV2 answer with ``encoding-type=url``, or None
    when it is not one (not XML, not URL-encoded, a truncated page without a token)."""
    from urllib.parse import unquote_plus
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag != f"{ns}ListBucketResult" or root.findtext(f"{ns}EncodingType") != "url":
        return None
    items = []
    for item in root.iter(f"{ns}Contents"):
        name, size = item.findtext(f"{ns}Key"), item.findtext(f"{ns}Size")
        if name is None or size is None or not size.isdigit():
            return None
        items.append((unquote_plus(name), int(size),
                      (item.findtext(f"{ns}ETag") or "").strip('"')))
    truncated = root.findtext(f"{ns}IsTruncated") == "true"
    token = root.findtext(f"{ns}NextContinuationToken") if truncated else None
    if truncated and not token:
        return None
    return items, token


class Crc32:
    """zlib's CRC32 with a hashlib-like face (``update``, ``hexdigest``), as S3 encodes it."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def update(self, block: bytes) -> None:
        self.value = zlib.crc32(block, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"

    def base64(self) -> str:
        return base64.b64encode(self.value.to_bytes(4, "big")).decode()

    @classmethod
    def from_base64(cls, text: str) -> Crc32 | None:
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            return None
        return cls(int.from_bytes(raw, "big")) if len(raw) == 4 else None


def full_object_crc32(headers: Any) -> Crc32 | None:
    """The object's CRC32 from a GET with ``x-amz-checksum-mode: ENABLED`` if it is one of
    the whole object (a multipart upload's composite one, ``...-N``, is not)."""
    value = headers.get("x-amz-checksum-crc32")
    if not value or "-" in value or headers.get("x-amz-checksum-type") == "COMPOSITE":
        return None
    return Crc32.from_base64(value)


def http_date(value: str | None) -> str:
    """An HTTP date as botocore shows a parsed one (``str(datetime)``), or ''."""
    from email.utils import parsedate_to_datetime

    try:
        return str(parsedate_to_datetime(value)) if value else ""
    except (TypeError, ValueError):
        return ""
