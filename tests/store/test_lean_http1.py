"""The lean path's own HTTP/1.1 client (store/lean/http1.py, llhttp through httptools) against
a server that writes raw bytes: whole answers in every framing (length, chunked, until close)
are read whole and keep the connection where HTTP allows it; an answer cut short, malformed or
followed by stray bytes is an error (``LeanUnavailable``) or closes the connection, never an
answer; and through the whole store, such answers to a HEAD are an error, never "absent".
Engine-level tests build ``LeanS3`` alone; the last one opens the bucket a remote opens."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from support.stores import opened

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.store.lean.http1 import ResponseHeaders, split_host
from git_annex_remote_s3py.store.lean.transport import LeanS3, LeanUnavailable, body_blocks

CLOSE = b"<close>"  # at the end of an answer in a script: the server closes the connection


class RawServer:
    """Answers the n-th request it reads (on any connection) with ``script[n]`` (the last
    one again after the end), bytes as they are; ``CLOSE`` at its end closes that
    connection then. Records each request's head and counts the connections."""

    def __init__(self, script: list[bytes]) -> None:
        self.script, self.requests, self.connections = script, [], 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = connection.recv(65536)
                    if not data:
                        return
                    pending += data
                head, pending = pending.split(b"\r\n\r\n", 1)
                self.requests.append(head.decode("latin-1"))
                step = min(len(self.requests) - 1, len(self.script) - 1)
                answer = self.script[step]
                connection.sendall(answer.removesuffix(CLOSE))
                if answer.endswith(CLOSE):
                    return

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/b-1"

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()


@contextlib.contextmanager
def raw_server(*script: bytes) -> Iterator[RawServer]:
    server = RawServer(list(script))
    try:
        yield server
    finally:
        server.stop()


def lean(server: RawServer) -> LeanS3:
    return LeanS3(server.base(), lambda: ("AKID", "SECRET", None), "us-east-1", timeout=10,
                  connect_timeout=10)


def exchange(transport: LeanS3, method: str = "HEAD", **kwargs) -> tuple[int, dict, bytes]:
    with transport.exchange(method, "k", **kwargs) as response:
        return response.status, dict(response.headers.items()), response.read()


OK_HEAD = b'HTTP/1.1 200 OK\r\nETag: "e1"\r\nContent-Length: 7\r\n\r\n'


def test_kept_alive_answers_in_every_framing_are_read_whole():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    with raw_server(OK_HEAD, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", chunked,
                    b"HTTP/1.1 204 No Content\r\n\r\n", OK_HEAD) as server:
        transport = lean(server)
        assert exchange(transport) == (200, {"ETag": '"e1"', "Content-Length": "7"}, b"")
        assert exchange(transport, "GET")[2] == b"abc"
        assert exchange(transport, "GET")[2] == b"hello world"
        assert exchange(transport, "DELETE")[0] == 204
        assert exchange(transport)[0] == 200
    assert server.connections == 1  # one connection carried all five
    assert server.requests[0].startswith("HEAD /b-1/k HTTP/1.1\r\n")
    assert "host: 127.0.0.1:" in server.requests[0] and "authorization: AWS4-HMAC-SHA256" in (
        server.requests[0])


def test_a_body_that_ends_with_the_connection_is_whole_and_not_kept():
    with raw_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it<close>") as server:
        transport = lean(server)
        assert exchange(transport, "GET") == (200, {"Connection": "close"}, b"all of it")
        assert exchange(transport, "GET")[2] == b"all of it"
    assert server.connections == 2


@pytest.mark.parametrize("answer", [
    b'HTTP/1.1 200 OK\r\nETag: "e1"\r\nContent-Len<close>',  # cut inside the headers
    b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n<close>',  # a 404 not finished
    b'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',  # no status
    b'HTTP/1.1 200 OK\r\nContent-Length: seven\r\n\r\n',  # no length
    b'HTTP/1.1 200 OK\r\nBad Header\r\n\r\n',
    b'<html>not HTTP</html><close>',
    b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
    b"<close>",  # nothing at all, on a fresh connection
])
def test_a_head_answer_cut_short_or_malformed_is_an_error(answer):
    with raw_server(answer) as server, pytest.raises(LeanUnavailable):
        exchange(lean(server))


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd<close>",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab<close>",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n<close>",  # no last chunk
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabcd\r\n0\r\n\r\n",
])
def test_a_body_cut_short_is_an_error_after_the_bytes_that_came(answer):
    """The bytes that came are given (a download resumes after them), then the error: a
    short body is never read as a whole one."""
    with raw_server(answer) as server:
        transport = lean(server)
        got = []
        with pytest.raises(LeanUnavailable):
            with transport.exchange("GET", "k") as response:
                assert response.status == 200
                got.extend(body_blocks(response, 1024 * 1024))
        assert b"".join(got) in (b"", b"ab", b"abcd")
        assert transport._local.connection is None  # dropped, never reused
    assert server.connections == 1


@pytest.mark.parametrize("stray", [b"X", b"HTTP/1.1 200 OK\r\n\r\n"])
def test_bytes_after_an_answer_end_that_connection(stray):
    """A HEAD answer with a body, or anything after a whole answer: the next request goes
    on a new connection, not after bytes that belong to no answer."""
    with raw_server(OK_HEAD + stray, OK_HEAD) as server:
        transport = lean(server)
        assert exchange(transport)[0] == 200
        assert exchange(transport)[0] == 200
    assert server.connections == 2


def test_a_stale_kept_alive_connection_is_replaced_once():
    with raw_server(OK_HEAD + b"<close>") as server:
        transport = lean(server)
        for _ in range(3):
            assert exchange(transport)[0] == 200
    assert server.connections == 3


@pytest.mark.parametrize("headers", [{"x-amz-meta-a": "one\r\nInjected: yes"},
                                     {"x-amz-meta-a": "caf\u00e9\u20ac"}, {"bad name": "x"}])
def test_headers_http_cannot_carry_are_refused_before_sending(headers):
    with raw_server(OK_HEAD) as server:
        with pytest.raises(LeanUnavailable):
            exchange(lean(server), headers=headers)
        assert server.requests == []


def test_headers_read_case_insensitively_first_of_repeated():
    headers = ResponseHeaders()
    for name, value in [("ETag", '"a"'), ("x-amz-meta-k", "1"), ("X-Amz-Meta-K", "2")]:
        headers.add(name, value)
    assert headers.get("etag") == '"a"' and headers["X-AMZ-META-K"] == "1"
    assert "ETAG" in headers and headers.get("missing") is None
    assert list(headers.items())[-1] == ("X-Amz-Meta-K", "2")


@pytest.mark.parametrize("netloc,https,expected", [
    ("s3.example.org", True, ("s3.example.org", 443)), ("127.0.0.1:9000", False,
                                                        ("127.0.0.1", 9000)),
    ("[::1]:8080", False, ("::1", 8080)), ("[::1]", True, ("::1", 443)),
    ("host:", False, ("host", 80))])
def test_host_and_port_as_http_client_reads_them(netloc, https, expected):
    assert split_host(netloc, https) == expected


@pytest.mark.parametrize("answer", [
    b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n<close>',
    b'HTTP/1.1 20',
    b'garbage\r\n\r\n<close>',
])
def test_a_broken_answer_to_a_presence_check_is_an_error_never_absent(bucket_name, answer):
    """Through the store a remote opens: the lean HEAD fails, botocore asks again and meets
    the same answer, and the check raises a storage error, not ``ObjectNotFound``."""
    with raw_server(answer if answer.endswith(CLOSE) else answer + CLOSE) as server:
        store = opened(bucket_name, f"http://127.0.0.1:{server.port}", lean=True)
        with pytest.raises(errors.StorageError) as raised:
            store.head("k")
        assert not isinstance(raised.value, errors.ObjectNotFound)
        assert len(server.requests) >= 2  # the lean path's and botocore's


@pytest.mark.parametrize("method,answer", [
    ("HEAD", OK_HEAD), ("GET", b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")])
def test_bytes_that_arrive_after_an_answer_was_read_end_that_connection(method, answer):
    """A server that sends more once the client has read its answer (a HEAD's body, more
    than the stated length): the next request does not read them as the start of its answer
    (here a 404 that would say "absent") but goes on a new connection."""
    read, sent = threading.Event(), threading.Event()
    connections: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for number in range(2):
            connection, _ = listener.accept()
            connections.append(connection)
            connection.recv(65536)
            connection.sendall(answer if number == 0 else OK_HEAD)
            if number == 0:
                read.wait(30)
                connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                sent.set()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        transport = LeanS3(f"http://127.0.0.1:{listener.getsockname()[1]}/b-1",
                           lambda: ("AKID", "SECRET", None), "us-east-1", timeout=10,
                           connect_timeout=10)
        assert exchange(transport, method)[0] == 200
        read.set()
        assert sent.wait(30)
        select_ready(transport)  # the stray answer is on the wire before we ask
        assert exchange(transport)[0] == 200
        server.join(30)
        assert len(connections) == 2
    finally:
        listener.close()
        for connection in connections:
            connection.close()


def select_ready(transport: LeanS3) -> None:
    """Wait until the kept connection has something to read (the stray bytes arrived)."""
    import select

    select.select([transport._local.connection.sock], [], [], 30)
