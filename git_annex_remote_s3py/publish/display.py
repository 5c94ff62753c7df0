"""What ``s3py-publish`` shows: one result line (or JSON record) per dataset, a status line
on a terminal, and the closing summary."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Optional

from git_annex_remote_s3py.naming import normalise_prefix
from git_annex_remote_s3py.publish.options import Options, Shard


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
    part: Optional[int] = None  # with --shard: the dataset's part
    files: Optional[int] = None  # with --plan: files of HEAD, their bytes, the bytes to send
    bytes: Optional[int] = None
    bytes_to_send: Optional[int] = None
    verified: str = ""  # with --verify: verify's summary (e.g. "12 keys: 12 verified")

    def line(self, bucket: str) -> str:
        where = f"s3://{bucket}/{self.fileprefix}"
        if self.status == "error":
            return f"error    {self.dataset}: {self.message}"
        if self.status == "skipped":
            return f"skipped  {self.dataset}: {self.message}"
        if self.status == "planned":
            names = ", ".join(self.to_send[:5]) + (", ..." if len(self.to_send) > 5 else "")
            detail = f"would send {len(self.to_send)} file(s)"
            if self.bytes_to_send is not None:
                detail += f" ({self.bytes_to_send} bytes of {self.files} file(s), " \
                          f"{self.bytes} bytes)"
            detail += f": {names}" if names else ""
            if self.part is not None:
                detail = f"part {self.part}; {detail}"
            return f"plan     {self.dataset} -> {where} ({self.remote_action} remote; {detail})"
        return f"ok       {self.dataset} -> {where} ({self.remote_action} remote; " \
               f"{self.sent} file(s) sent{'; ' + self.sibling if self.sibling else ''}" \
               f"{'; verify: ' + self.verified if self.verified else ''})"


class Progress:
    """Result lines on stdout and one status line on stderr, redrawn (only on a terminal)."""

    def __init__(self, total: int, stream=sys.stderr, enabled: bool = True) -> None:
        self.total, self.stream = total, stream
        self.shown = enabled
        self.enabled = enabled and stream.isatty()
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
            if self.shown:
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


def part_records(results: list[Result], shard: Shard) -> list[dict]:
    """One record per part (all of them, or the one asked for) of a ``--plan``: its datasets
    and what it would send; what a scheduler needs to size and start the parts."""
    parts = range(shard.count) if shard.index is None else [shard.index]
    records = []
    for index in parts:
        mine = [r for r in results if r.part == index]
        records.append({
            "part": index, "parts": shard.count, "shard": f"{index}/{shard.count}",
            "datasets": [r.dataset for r in mine],
            "files": sum(r.files or 0 for r in mine),
            "bytes": sum(r.bytes or 0 for r in mine),
            "files_to_send": sum(len(r.to_send) for r in mine),
            "bytes_to_send": sum(r.bytes_to_send or 0 for r in mine),
            "errors": sum(r.status == "error" for r in mine),
            "skipped": sum(r.status == "skipped" for r in mine)})
    return records


def part_line(record: dict) -> str:
    return (f"part     {record['shard']}: {len(record['datasets'])} dataset(s), would send "
            f"{record['files_to_send']} file(s) ({record['bytes_to_send']} bytes) of "
            f"{record['files']} ({record['bytes']} bytes)"
            + (f"; {record['errors']} failed" if record["errors"] else ""))


def summary(results: list[Result], opts: Options) -> str:
    failed = [r for r in results if r.status == "error"]
    skipped = [r for r in results if r.status == "skipped"]
    where = f"s3://{opts.bucket}/{normalise_prefix(opts.prefix)}"
    if opts.shard.count > 1:
        where += f" (part {opts.shard})"
    if opts.dry_run:
        files = sum(len(r.to_send) for r in results)
        text = f"{'plan' if opts.plan else 'dry run'}: {len(results)} dataset(s), {files} " \
               f"file(s) to send to {where}"
    else:
        published = len(results) - len(failed) - len(skipped)
        text = (f"published {published} of {len(results)} dataset(s) to "
                f"{where}: {sum(r.sent for r in results)} file(s) sent")
    order = ""
    if opts.sibling and opts.shard.index is not None and opts.shard.count > 1:
        order = (f"; push {opts.sibling} only after all {opts.shard.count} parts succeeded "
                 "(datalad push -r): a superdataset pushed earlier names subdatasets whose "
                 "data other parts may not have sent yet")
    return (text + (f"; {len(failed)} failed" if failed else "")
            + (f"; {len(skipped)} not installed, skipped" if skipped else "") + order)
