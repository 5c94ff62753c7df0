"""A small, seeded, deterministic fault-injecting HTTP proxy for S3 on 127.0.0.1.

It sits between the remote and moto's server and misbehaves on purpose, as real networks and
misconfigured endpoints do (RELIABILITY.md). Faults are chosen by ``Rule``s: an HTTP method
and path pattern (optionally: only requests carrying a ``header``), a fault name, a probability
drawn from one seeded ``random.Random`` and an optional limit. With no rules it is a plain
recording proxy. Faults:

===============  ============================================================================
``503``          503 SlowDown with an S3 XML error body (botocore retries it)
``500``          500 InternalError with an S3 XML error body
``403``          403 AccessDenied with an S3 XML error body, without asking the server
``reset-req``    read ``at_byte`` bytes of the request body, then reset the connection (RST)
``reset-resp``   forward, send the headers and ``at_byte`` bytes of the body, then reset
                 (HEAD: reset before the headers)
``truncate``     forward, send the headers (full Content-Length) and ``at_byte`` bytes, close
``corrupt``      forward, flip one byte of the body at ``at_byte`` (same length, same headers)
``stall``        forward, then wait ``stall`` seconds before answering (past a read timeout)
``403-missing``  forward; a 404 on HEAD/GET becomes 403 AccessDenied
``301-region``   301 PermanentRedirect, ``x-amz-bucket-region: eu-west-1``
``400-region``   400 AuthorizationHeaderMalformed naming region eu-west-1
``html200``      200 OK with an HTML page and no ETag, for everything (a web console URL)
``slow``         forward, but read the request body at ``rate`` bytes per second
``400-acl``      400 AccessControlListNotSupported (a bucket with "Object Ownership: bucket
                 owner enforced" refusing ``x-amz-acl``; use with ``header="x-amz-acl"``,
                 and ``403`` with it for Block Public Access)
``400-invalid``  400 InvalidArgument (a server refusing a value it does not support: a storage
                 class, tags...; use with ``header=`` naming the header it refuses)
``412``          412 PreconditionFailed, without asking the server (Swift's answer to
                 ``UploadPartCopy`` with ``x-amz-copy-source-if-match`` of a multipart source;
                 use with ``header="x-amz-copy-source-if-match"``, ``query="partNumber"``)
``no-checksum``  forward; drop the answer's x-amz-checksum-* headers (a server that ignores
                 CRC32 headers and never echoes them, as Ceph RGW 16 and s3rver)
``hold``         read ``at_byte`` bytes of the request body (0: just the headers), set the
                 rule's ``held`` event, wait until ``release()`` (or new rules, or ``stop()``),
                 then reset the connection; the request never reaches the server
===============  ============================================================================

``nth`` makes a rule fire on its n-th matching request only (``Rule("hold", method="PUT",
nth=2, at_byte=1000)`` holds the second PUT after 1000 bytes of its body).

``counts`` tallies the faults injected; ``requests`` records a ``Seen`` for every request
(method, unquoted path, Range header, signed or not, ``x-amz-acl``, status), ``mark()`` and
``since(mark)`` slice it; ``bytes_in`` counts request body bytes received so far.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import unquote

FAULTS = ("503", "500", "403", "reset-req", "reset-resp", "truncate", "corrupt", "stall",
          "403-missing", "301-region", "400-region", "html200", "slow", "400-acl", "hold",
          "no-checksum", "400-invalid", "412")
POLL_INTERVAL = 0.02  # how often serve_forever looks for shutdown(): stop() takes this long
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
               "te", "trailer"}
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>Storage console</title></head>"
             b"<body><h1>Welcome to the storage console</h1><p>Please sign in.</p></body></html>")
OTHER_REGION = "eu-west-1"


def s3_error_xml(code: str, message: str, extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message>{extra}<RequestId>faultproxy</RequestId>"
            "</Error>").encode()


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str  # unquoted, without the query
    range: Optional[str]
    signed: bool  # an Authorization header or an X-Amz-Signature query
    acl: Optional[str]  # the x-amz-acl header
    status: int  # 0: the connection was reset or broke before an answer
    query: str = ""  # the raw query string
    amz_headers: tuple[tuple[str, str], ...] = ()  # every x-amz-* header (lower-case names)
    content_md5: Optional[str] = None  # the Content-MD5 header


@dataclass
class Rule:
    """Inject ``fault`` into requests whose method and path match (and that carry ``header``,
    if set), with ``probability``."""

    fault: str
    method: str = ".*"
    path: str = ".*"
    probability: float = 1.0
    at_byte: int = 0
    stall: float = 0.0
    rate: int = 1024 * 1024
    limit: Optional[int] = None
    query: str = ".*"
    header: Optional[str] = None
    nth: Optional[int] = None
    held: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {FAULTS}")
        self._method, self._path = re.compile(self.method), re.compile(self.path)
        self._query = re.compile(self.query)
        self._released = threading.Event()
        self.hits = 0
        self.matched = 0

    def matches(self, method: str, path: str, query: str, headers: Message) -> bool:
        return (bool(self._method.fullmatch(method)) and bool(self._path.fullmatch(path))
                and bool(self._query.search(query))
                and (self.header is None or self.header in headers)
                and (self.limit is None or self.hits < self.limit))

    def release(self) -> None:
        """Let a held request go (its connection is reset; it never reaches the server)."""
        self._released.set()

    def wait_released(self) -> None:
        self._released.wait()


class FaultProxy:
    """The proxy server; start with ``start()``, point ``endpoint=`` at ``.endpoint``."""

    def __init__(self, upstream: str, seed: int = 0, rules: Optional[list[Rule]] = None) -> None:
        host_port = upstream.split("://", 1)[-1].rstrip("/")
        self.upstream_host, _, port = host_port.partition(":")
        self.upstream_port = int(port or 80)
        self.random = random.Random(seed)
        self.rules: list[Rule] = list(rules or [])
        self.counts: Counter = Counter()
        self.requests: list[Seen] = []
        self.bytes_in = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread: Optional[threading.Thread] = None

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": POLL_INTERVAL}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.set_rules()
        self.server.shutdown()
        self.server.server_close()

    def set_rules(self, *rules: Rule, seed: Optional[int] = None) -> None:
        """Replace the rules (and optionally reseed); counters are kept. Requests the old
        rules hold are released."""
        with self.lock:
            for old in self.rules:
                old.release()
            self.rules = list(rules)
            if seed is not None:
                self.random.seed(seed)

    def reset_counters(self) -> None:
        with self.lock:
            self.counts.clear()
            self.requests.clear()
            self.bytes_in = 0

    def choose(self, method: str, path: str, query: str, headers: Message) -> Optional[Rule]:
        """The first matching rule that fires (one draw per matching rule, in order)."""
        with self.lock:
            for rule in self.rules:
                if not rule.matches(method, path, query, headers):
                    continue
                rule.matched += 1
                if rule.nth is not None and rule.matched != rule.nth:
                    continue
                if self.random.random() < rule.probability:
                    rule.hits += 1
                    self.counts[rule.fault] += 1
                    return rule
        return None

    def add_bytes(self, count: int) -> None:
        with self.lock:
            self.bytes_in += count

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.requests.append(seen)

    def mark(self) -> int:
        """Position in the request log; ``since(mark)`` returns what came after it."""
        with self.lock:
            return len(self.requests)

    def since(self, mark: int) -> list[Seen]:
        with self.lock:
            return list(self.requests[mark:])


def _make_handler(proxy: FaultProxy) -> type:
    class Handler(_ProxyHandler):
        pass

    Handler.proxy = proxy
    return Handler


class _ProxyHandler(BaseHTTPRequestHandler):
    proxy: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._handle()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD

    # -- request side --------------------------------------------------------------------
    def _read_body(self, rule: Optional[Rule]) -> Optional[bytes]:
        """The request body; None if the connection was reset on purpose or broke."""
        limit = rule.at_byte if rule and rule.fault in ("reset-req", "hold") else None
        rate = rule.rate if rule and rule.fault == "slow" else None
        chunks = []
        try:
            if limit == 0 and rule.fault == "hold":
                self._hold(rule)
                return None
            for chunk in self._body_chunks(limit):
                if limit is not None and rule.fault == "hold" and (
                        sum(map(len, chunks)) + len(chunk) >= limit):
                    self.proxy.add_bytes(len(chunk))
                    self._hold(rule)
                    return None
                if limit is not None and sum(map(len, chunks)) + len(chunk) >= limit:
                    self.proxy.add_bytes(limit - sum(map(len, chunks)))
                    self._reset()
                    return None
                chunks.append(chunk)
                self.proxy.add_bytes(len(chunk))
                if rate:
                    time.sleep(len(chunk) / rate)
        except (OSError, ValueError):
            self.close_connection = True
            return None
        if limit is not None:  # body shorter than the chosen byte: reset (or hold) at its end
            self._hold(rule) if rule.fault == "hold" else self._reset()
            return None
        return b"".join(chunks)

    def _hold(self, rule: Rule) -> None:
        """Keep the request (and its connection) until the test releases it, then reset."""
        rule.held.set()
        rule.wait_released()
        self._reset()

    def _body_chunks(self, stop_at: Optional[int] = None):
        """The body in pieces; with ``stop_at``, one piece ends exactly at that byte."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                data = self.rfile.read(size)
                self.rfile.readline()
                yield data
        remaining = int(self.headers.get("Content-Length") or 0)
        received = 0
        while remaining:
            piece = min(remaining, 64 * 1024)
            if stop_at is not None and received < stop_at:
                piece = min(piece, stop_at - received)
            data = self.rfile.read(piece)
            if not data:
                raise ValueError("client went away")
            remaining -= len(data)
            received += len(data)
            yield data

    def _reset(self) -> None:
        """Abort the connection with a TCP RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # -- main ----------------------------------------------------------------------------
    def _handle(self) -> None:
        path, _, query = self.path.partition("?")
        rule = self.proxy.choose(self.command, path, query, self.headers)
        fault = rule.fault if rule else None
        body = self._read_body(rule)
        if body is None:
            self._record(0)
            return
        canned = _canned_answer(fault, self.command)
        if canned:
            status, headers, payload = canned
        else:
            try:
                status, headers, payload = self._forward(body)
            except OSError:
                self.send_error(502)
                return
        if fault == "403-missing" and status == 404 and self.command in ("HEAD", "GET"):
            status, payload = 403, s3_error_xml("AccessDenied", "Access Denied")
            headers = [("Content-Type", "application/xml")]
        self._record(status)
        if fault == "stall" and self.proxy.stopping.wait(rule.stall):
            return
        self._answer(status, headers, payload, rule)

    def _record(self, status: int) -> None:
        path, _, query = self.path.partition("?")
        signed = "Authorization" in self.headers or "x-amz-signature" in query.lower()
        amz = tuple((k.lower(), v) for k, v in self.headers.items()
                    if k.lower().startswith("x-amz-"))
        self.proxy.record(Seen(self.command, unquote(path), self.headers.get("Range"), signed,
                               self.headers.get("x-amz-acl"), status, query, amz,
                               self.headers.get("Content-MD5")))

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.proxy.upstream_host,
                                                self.proxy.upstream_port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        if self.command not in ("GET", "HEAD", "DELETE") or body:
            headers["Content-Length"] = str(len(body))
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, [(k, v) for k, v in response.getheaders()
                                     if k.lower() not in HOP_HEADERS], payload
        finally:
            connection.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes,
                rule: Optional[Rule]) -> None:
        fault = rule.fault if rule else None
        head_only = self.command == "HEAD"
        if fault == "reset-resp" and head_only:  # no body to cut: reset before the headers
            self._reset()
            return
        if fault == "corrupt" and payload and not head_only:
            index = min(rule.at_byte, len(payload) - 1)
            payload = payload[:index] + bytes([payload[index] ^ 0xFF]) + payload[index + 1:]
        self.send_response(status)
        length_sent = False
        for name, value in headers:
            if name.lower() == "content-length":
                length_sent = True
                if not head_only:
                    value = str(len(payload))
            if name.lower() in ("server", "date"):
                continue
            if fault == "no-checksum" and name.lower().startswith("x-amz-checksum-"):
                continue
            self.send_header(name, value)
        if not length_sent:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if head_only:
            return
        if fault in ("reset-resp", "truncate"):
            self.wfile.write(payload[:rule.at_byte])
            self.wfile.flush()
            if fault == "reset-resp":
                self._reset()
            else:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_WR)
            return
        self.wfile.write(payload)


def _canned_answer(fault: Optional[str],
                   method: str) -> Optional[tuple[int, list[tuple[str, str]], bytes]]:
    """Answers made up by the proxy without asking the server."""
    xml = [("Content-Type", "application/xml")]
    if fault == "503":
        return 503, xml, s3_error_xml("SlowDown", "Please reduce your request rate.")
    if fault == "403":
        return 403, xml, s3_error_xml("AccessDenied", "Access Denied")
    if fault == "400-acl":
        return 400, xml, s3_error_xml("AccessControlListNotSupported",
                                      "The bucket does not allow ACLs")
    if fault == "400-invalid":
        return 400, xml, s3_error_xml("InvalidArgument", "This value is not supported")
    if fault == "412":
        return 412, xml, s3_error_xml("PreconditionFailed", "At least one of the pre-conditions "
                                      "you specified did not hold")
    if fault == "500":
        return 500, xml, s3_error_xml("InternalError", "We encountered an internal error.")
    if fault == "301-region":
        return 301, xml + [("x-amz-bucket-region", OTHER_REGION)], s3_error_xml(
            "PermanentRedirect", "The bucket you are attempting to access must be addressed "
            "using the specified endpoint.", f"<Endpoint>s3.{OTHER_REGION}.amazonaws.com"
            "</Endpoint>")
    if fault == "400-region":
        return 400, xml + [("x-amz-bucket-region", OTHER_REGION)], s3_error_xml(
            "AuthorizationHeaderMalformed", "The authorization header is malformed; the region "
            f"'us-east-1' is wrong; expecting '{OTHER_REGION}'", f"<Region>{OTHER_REGION}</Region>")
    if fault == "html200":
        return 200, [("Content-Type", "text/html; charset=utf-8")], HTML_PAGE
    return None
