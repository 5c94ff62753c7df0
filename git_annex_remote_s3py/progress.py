"""Cumulative, thread-safe, throttled progress reporting."""

from __future__ import annotations

import threading
import time
from typing import Callable

DEFAULT_INTERVAL = 0.25


class Throttled:
    """Forwards a growing byte count at most every ``interval`` seconds (and never backwards).

    Transfer callbacks arrive from worker threads; git-annex's stall detection only needs a
    steady trickle, not one message per 8 KiB. The first message waits ``interval`` too: a
    transfer done sooner sends none (TRANSFER-SUCCESS says it all), which spares git-annex a
    progress update per part of a small file. ``finish`` sends the whole size once a transfer
    is done, so that every transfer ends at 100 % as with git-annex's built-in S3 remote (the
    last report before it may have fallen inside an interval and been dropped).
    """

    def __init__(self, send: Callable[[int], None], interval: float = DEFAULT_INTERVAL,
                 clock: Callable[[], float] = time.monotonic,
                 send_last: Callable[[int], None] | None = None) -> None:
        self._send, self._interval, self._clock = send, interval, clock
        self._send_last = send_last or send  # for finish: the reply follows right after it
        self._lock = threading.Lock()
        self._sent = 0
        self._last = clock()

    def __call__(self, total: int) -> None:
        with self._lock:
            now = self._clock()
            if total <= self._sent or now - self._last < self._interval:
                return
            self._sent, self._last = total, now
        self._send(total)

    def finish(self, total: int) -> None:
        """The transfer is done with ``total`` bytes: send it, unless it was the last count
        sent (or is 0)."""
        with self._lock:
            if total <= self._sent:
                return
            self._sent = total
        self._send_last(total)
