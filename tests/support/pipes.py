"""Helpers for fault tests: the remote driven over pipes, playing git-annex's side.

``RemotePipe`` plays git-annex's side of the protocol so a test can send any request, watch
PROGRESS, and SIGKILL the process at a chosen moment.
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
# Every line the remote may write first on stdout (requests to git-annex and replies).
REPLY_KEYWORDS = frozenset("""
    VERSION EXTENSIONS PREPARE-SUCCESS PREPARE-FAILURE INITREMOTE-SUCCESS INITREMOTE-FAILURE
    TRANSFER-SUCCESS TRANSFER-FAILURE CHECKPRESENT-SUCCESS CHECKPRESENT-FAILURE
    CHECKPRESENT-UNKNOWN REMOVE-SUCCESS REMOVE-FAILURE COST AVAILABILITY CONFIG CONFIGEND
    WHEREIS-SUCCESS WHEREIS-FAILURE EXPORTSUPPORTED-SUCCESS EXPORTSUPPORTED-FAILURE
    REMOVEEXPORTDIRECTORY-SUCCESS REMOVEEXPORTDIRECTORY-FAILURE RENAMEEXPORT-SUCCESS
    RENAMEEXPORT-FAILURE CLAIMURL-SUCCESS CLAIMURL-FAILURE CHECKURL-CONTENTS CHECKURL-MULTI
    CHECKURL-FAILURE INFOFIELD INFOVALUE INFOEND UNSUPPORTED-REQUEST ERROR PROGRESS GETCONFIG
    SETCONFIG GETCREDS SETCREDS GETUUID GETGITDIR GETGITREMOTENAME DIRHASH DIRHASH-LOWER
    SETSTATE GETSTATE SETURLPRESENT SETURLMISSING SETURIPRESENT SETURIMISSING GETURLS DEBUG
    INFO
""".split())
NO_ANSWER = ("SETCONFIG", "SETCREDS", "SETSTATE", "SETURLPRESENT", "SETURLMISSING",
             "SETURIPRESENT", "SETURIMISSING", "DEBUG", "INFO", "PROGRESS")


def annex_key(content: bytes, ext: str = ".bin") -> str:
    """A SHA256E key as git-annex names it (carries the size)."""
    return f"SHA256E-s{len(content)}--{hashlib.sha256(content).hexdigest()}{ext}"


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
        self.sent_back: list[str] = []  # SETCONFIG/SETCREDS/... lines
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.next_line() == "VERSION 2"

    def _pump(self) -> None:
        for raw in self.process.stdout:
            self.lines.put(raw.decode("utf-8", "surrogateescape").rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout: float = 60) -> str:
        line = self.lines.get(timeout=timeout)
        if line is None:
            raise EOFError(f"the remote closed stdout; stderr: {self.stderr()[-2000:]}")
        self.seen.append(line)
        return line

    def send(self, line: str) -> None:
        self.process.stdin.write(line.encode("utf-8", "surrogateescape") + b"\n")
        self.process.stdin.flush()

    def _answer(self, line: str) -> bool:
        """Answer one message from the remote; False when it is a reply to our request."""
        word, _, rest = line.partition(" ")
        if word == "PROGRESS":
            self.progress.append(int(rest))
        if word in NO_ANSWER:
            self.sent_back.append(line)
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
            "GETURLS": lambda: "VALUE ",
        }
        if word in answers:
            self.send(answers[word]())
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

    def prepare(self) -> None:
        assert self.request("EXTENSIONS INFO") == "EXTENSIONS INFO"
        reply = self.request("PREPARE")
        assert reply == "PREPARE-SUCCESS", reply

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> int:
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
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")
