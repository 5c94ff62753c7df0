"""DEBUG lines and a transfer's last PROGRESS ride with the reply after them: one pipe write,
one wake-up of git-annex per request instead of three (docs/benchmarks.md, optimisation 12).
Everything else is flushed at once: PROGRESS during a transfer, requests to git-annex, replies.
"""

from __future__ import annotations

import io

from git_annex_remote_s3py.annex.protocol import Channel, LineSink
from git_annex_remote_s3py.progress import Throttled


class CountingStream(io.StringIO):
    """A text stream that records what had been written at each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


class WriteThroughStream(io.StringIO):
    """A text stream that passes every ``write`` on at once, as stdout does where
    PYTHONUNBUFFERED is set (each write is then a pipe write)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)


def channel(job: str | None = None) -> tuple[Channel, CountingStream]:
    stream = CountingStream()
    return Channel(LineSink(stream), lambda: "", job=job), stream


def test_debug_and_last_progress_go_out_with_the_reply():
    annex, stream = channel()
    annex.debug("S3 GET some-key (lean): 200")
    annex.progress_before_reply(1234)
    assert stream.flushed == []  # held: git-annex is not woken for them
    annex._send("TRANSFER-SUCCESS RETRIEVE some-key")
    assert stream.flushed == ["DEBUG S3 GET some-key (lean): 200\nPROGRESS 1234\n"
                              "TRANSFER-SUCCESS RETRIEVE some-key\n"]


def test_held_lines_are_one_write_with_the_reply_on_an_unbuffered_stream():
    stream = WriteThroughStream()
    annex = Channel(LineSink(stream), lambda: "", job="1")
    annex.debug("S3 HEAD some-key (lean): 200")
    assert stream.writes == []
    annex._send("CHECKPRESENT-SUCCESS some-key")
    assert stream.writes == ["J 1 DEBUG S3 HEAD some-key (lean): 200\n"
                             "J 1 CHECKPRESENT-SUCCESS some-key\n"]


def test_progress_during_a_transfer_is_sent_at_once():
    annex, stream = channel()
    annex.progress(4096)
    assert stream.flushed == ["PROGRESS 4096\n"]


def test_held_lines_keep_the_job_prefix_and_their_order():
    annex, stream = channel(job="3")
    annex.debug("first")
    annex.debug("second")
    annex._send("CHECKPRESENT-SUCCESS k")
    assert stream.flushed == ["J 3 DEBUG first\nJ 3 DEBUG second\nJ 3 CHECKPRESENT-SUCCESS k\n"]


def test_a_several_line_reply_is_flushed_once_whole():
    annex, stream = channel()
    annex._send("CONFIG bucket the bucket\nCONFIG region its region\nCONFIGEND")
    assert stream.flushed == ["CONFIG bucket the bucket\nCONFIG region its region\n"
                              "CONFIGEND\n"]


def test_throttled_finish_uses_the_held_sender():
    sent: list[tuple[str, int]] = []
    progress = Throttled(lambda n: sent.append(("now", n)), interval=0.0,
                         send_last=lambda n: sent.append(("held", n)))
    progress(100)
    progress.finish(300)
    progress.finish(300)  # already sent: nothing more
    assert sent == [("now", 100), ("held", 300)]
