"""The one test clock: seconds that pass only when a test (or a stand-in it drives) says so."""

from __future__ import annotations

import threading


class ManualClock:
    """Callable like ``time.monotonic``; ``advance`` is thread-safe."""

    def __init__(self, start: float = 0.0) -> None:
        self.now, self._lock = start, threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
