"""The one protocol harness: the real ``git-annex-remote-s3py`` over pipes, this side playing
git-annex.

``RemotePipe`` starts the executable, answers its queries (GETCONFIG from ``config``, GETCREDS,
GETUUID, GETGITDIR, GETURLS from the URIs the remote recorded with SETURIPRESENT, ...), with the
``J n`` prefix under ASYNC. ``request(line)`` returns the one reply line; ``transcript(*lines)``
sends several requests and returns every line but the answered queries until each got its
final reply. ``progress`` and ``sent_back`` record PROGRESS and the lines needing no answer;
``kill()`` sends SIGKILL at any moment.
"""

from __future__ import annotations

import hashlib
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Optional

REMOTE_UUID = "5f2f7d3e-0000-4000-8000-000000000001"
# Requests of the remote that git-annex answers.
QUERIES = frozenset("""
    GETCONFIG GETCREDS GETUUID GETGITDIR GETGITREMOTENAME DIRHASH DIRHASH-LOWER GETSTATE GETURLS
""".split())
# Lines that need no answer and end nothing.
NOTES = frozenset("""
    DEBUG INFO PROGRESS SETCONFIG SETCREDS SETSTATE SETURLPRESENT SETURLMISSING SETURIPRESENT
    SETURIMISSING CONFIG INFOFIELD INFOVALUE
""".split())
# Lines that end the reply to one request.
FINALS = frozenset("""
    VERSION EXTENSIONS CONFIGEND INITREMOTE-SUCCESS INITREMOTE-FAILURE PREPARE-SUCCESS
    PREPARE-FAILURE TRANSFER-SUCCESS TRANSFER-FAILURE CHECKPRESENT-SUCCESS CHECKPRESENT-FAILURE
    CHECKPRESENT-UNKNOWN REMOVE-SUCCESS REMOVE-FAILURE COST AVAILABILITY WHEREIS-SUCCESS
    WHEREIS-FAILURE INFOEND UNSUPPORTED-REQUEST ERROR EXPORTSUPPORTED-SUCCESS
    EXPORTSUPPORTED-FAILURE REMOVEEXPORTDIRECTORY-SUCCESS REMOVEEXPORTDIRECTORY-FAILURE
    RENAMEEXPORT-SUCCESS RENAMEEXPORT-FAILURE CLAIMURL-SUCCESS CLAIMURL-FAILURE
    CHECKURL-CONTENTS CHECKURL-MULTI CHECKURL-FAILURE
""".split())
# Every line the remote may write first on stdout (requests to git-annex and replies).
REPLY_KEYWORDS = QUERIES | NOTES | FINALS


def annex_key(content: bytes, ext: str = ".bin") -> str:
    """A SHA256E key as git-annex names it (carries the size)."""
    return f"SHA256E-s{len(content)}--{hashlib.sha256(content).hexdigest()}{ext}"


def split_job(line: str) -> tuple[str, str]:
    """("J n ", rest) for an ASYNC line, ("", line) otherwise."""
    if line.startswith("J "):
        _, job, rest = line.split(" ", 2)
        return f"J {job} ", rest
    return "", line


def without_debug(lines: list[str]) -> list[str]:
    """The lines but DEBUG ones (the remote logs each S3 request it sends)."""
    return [line for line in lines if split_job(line)[1].split(" ", 1)[0] != "DEBUG"]


def protocol_only(lines: list[str]) -> bool:
    """Every line starts with a protocol word (no stray output on stdout)."""
    return {split_job(line)[1].split(" ", 1)[0] for line in lines} <= REPLY_KEYWORDS


class RemotePipe:
    """One ``git-annex-remote-s3py`` process, with this object playing git-annex."""

    def __init__(self, env: dict[str, str], config: dict[str, str], cwd: Path,
                 creds: tuple[str, str] = ("", "")) -> None:
        self.config, self.creds, self.cwd = dict(config), creds, cwd
        self.stderr_path = cwd / f"remote-stderr-{time.monotonic_ns()}.log"
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            ["git-annex-remote-s3py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, env=env, cwd=cwd)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []  # every stdout line, for framing checks
        self.progress: list[int] = []
        self.sent_back: list[str] = []  # SETCONFIG/SETCREDS/DEBUG/... lines
        self.url_log: dict[str, list[str]] = {}  # key -> URIs from SETURIPRESENT
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.next_line() == "VERSION 2"

    def _pump(self) -> None:
        for raw in self.process.stdout:
            self.lines.put(raw.decode("utf-8", "surrogateescape").removesuffix("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float = 60) -> str:
        line = self.lines.get(timeout=timeout)
        if line is None:
            self.lines.put(None)  # stays at the end for later readers
            raise EOFError(f"the remote closed stdout; stderr: {self.stderr()[-2000:]}")
        self.seen.append(line)
        return line

    def lines_until_exit(self, timeout: float = 60) -> list[str]:
        """Every line still to come, until the remote closes stdout."""
        found = []
        while True:
            try:
                found.append(self.next_line(timeout))
            except EOFError:
                return found

    def send(self, line: str) -> None:
        self.process.stdin.write(line.encode("utf-8", "surrogateescape") + b"\n")
        self.process.stdin.flush()

    def _answer(self, line: str) -> bool:
        """Answer or record one message from the remote; False when it is (part of) a reply."""
        job, body = split_job(line)
        word, _, rest = body.partition(" ")
        if word == "PROGRESS":
            self.progress.append(int(rest))
        if word == "SETURIPRESENT":
            key, _, uri = rest.partition(" ")
            self.url_log.setdefault(key, []).append(uri)
        if word in NOTES - {"CONFIG", "INFOFIELD", "INFOVALUE"}:
            self.sent_back.append(line)
            return True
        if word == "GETURLS":
            key, _, prefix = rest.partition(" ")
            for uri in self.url_log.get(key, []):
                if uri.startswith(prefix):
                    self.send(f"{job}VALUE {uri}")
            self.send(f"{job}VALUE ")
            return True
        answers: dict[str, Callable[[], str]] = {
            "GETCONFIG": lambda: "VALUE " + self.config.get(rest, ""),
            "GETCREDS": lambda: f"CREDS {self.creds[0]} {self.creds[1]}",
            "GETUUID": lambda: "VALUE " + REMOTE_UUID,
            "GETGITDIR": lambda: "VALUE " + str(self.cwd / ".git"),
            "GETGITREMOTENAME": lambda: "VALUE s3",
            "DIRHASH": lambda: "VALUE f8/7a/",
            "DIRHASH-LOWER": lambda: "VALUE f87/a9b/",
            "GETSTATE": lambda: "VALUE ",
        }
        if word in answers:
            self.send(job + answers[word]())
            return True
        return False

    def request(self, line: str, timeout: float = 60,
                watch: Optional[Callable[[str], None]] = None) -> str:
        """Send a request; answer the remote's questions; return its reply line."""
        self.send(line)
        return self.reply(timeout, watch)

    def reply(self, timeout: float = 60, watch: Optional[Callable[[str], None]] = None) -> str:
        while True:
            line = self.next_line(timeout)
            if watch:
                watch(line)
            if not self._answer(line):
                return line

    def transcript(self, *lines: str, timeout: float = 60) -> list[str]:
        """Send ``lines``; return every line but answered queries until each got its final
        reply (DEBUG, PROGRESS, CONFIG, INFOFIELD... included, in order)."""
        for line in lines:
            self.send(line)
        replies, pending = [], len(lines)
        while pending:
            line = self.next_line(timeout)
            word = split_job(line)[1].split(" ", 1)[0]
            if word in QUERIES:
                self._answer(line)
                continue
            self._answer(line)  # records PROGRESS, URIs, ...
            replies.append(line)
            pending -= word in FINALS
        return replies

    def prepare(self) -> None:
        assert self.request("EXTENSIONS INFO") == "EXTENSIONS INFO"
        reply = self.request("PREPARE")
        assert reply == "PREPARE-SUCCESS", reply

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> int:
        """Close stdin (git-annex is done) and return the exit status."""
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._stderr.close()
        return self.process.returncode

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")
