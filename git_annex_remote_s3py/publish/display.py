"""What ``s3py-publish`` shows: one result line (or JSON record) per dataset, a status line
on a terminal, and the closing summary."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field

from git_annex_remote_s3py.naming import normalise_prefix
from git_annex_remote_s3py.publish.options import Options


@dataclass
class Result:
    """The outcome for one dataset: one line of text or one JSON record."""

    dataset: str
    path: str
    fileprefix: str = ""
    status: str = "ok"
    remote_action: str = ""
    to_send: list[str] = field(default_factory=list)
    sent: int = 0
    sibling: str = ""
    message: str = ""

    def line(self, bucket: str) -> str:
        where = f"s3://{bucket}/{self.fileprefix}"
        if self.status == "error":
            return f"error    {self.dataset}: {self.message}"
        if self.status == "skipped":
            return f"skipped  {self.dataset}: {self.message}"
        if self.status == "planned":
            names = ", ".join(self.to_send[:5]) + (", ..." if len(self.to_send) > 5 else "")
            detail = f"would send {len(self.to_send)} file(s)" + (f": {names}" if names else "")
            return f"plan     {self.dataset} -> {where} ({self.remote_action} remote; {detail})"
        return f"ok       {self.dataset} -> {where} ({self.remote_action} remote; " \
               f"{self.sent} file(s) sent{'; ' + self.sibling if self.sibling else ''})"


class Progress:
    """Result lines on stdout and one status line on stderr, redrawn (only on a terminal)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.stream = total, stream
        self.enabled = stream.isatty()
        self.done = self.files = 0
        self.lock = threading.Lock()

    def tick(self) -> None:
        """One more file sent (called from worker threads)."""
        with self.lock:
            self.files += 1
            self._draw()

    def report(self, text: str) -> None:
        """Print one dataset's result line, then redraw the status line under it."""
        with self.lock:
            self.done += 1
            self._clear()
            print(text, flush=True)
            self._draw()

    def _clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self) -> None:
        if self.enabled:
            self.stream.write(f"\r\033[K[{self.done}/{self.total} datasets] "
                              f"{self.files} file(s) sent")
            self.stream.flush()

    def start(self) -> None:
        with self.lock:
            self._draw()

    def close(self) -> None:
        with self.lock:
            self._clear()


def summary(results: list[Result], opts: Options) -> str:
    failed = [r for r in results if r.status == "error"]
    skipped = [r for r in results if r.status == "skipped"]
    where = f"s3://{opts.bucket}/{normalise_prefix(opts.prefix)}"
    if opts.dry_run:
        files = sum(len(r.to_send) for r in results)
        text = f"dry run: {len(results)} dataset(s), {files} file(s) to send to {where}"
    else:
        published = len(results) - len(failed) - len(skipped)
        text = (f"published {published} of {len(results)} dataset(s) to "
                f"{where}: {sum(r.sent for r in results)} file(s) sent")
    return (text + (f"; {len(failed)} failed" if failed else "")
            + (f"; {len(skipped)} not installed, skipped" if skipped else ""))
