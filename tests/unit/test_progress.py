"""Progress: throttled PROGRESS lines from any thread, and the final report of the whole size."""

from __future__ import annotations

import pytest
from support.clock import ManualClock

from git_annex_remote_s3py.progress import Throttled


@pytest.mark.parametrize("steps, sent", [
    # (clock advance before the call, total reported)
    ([(0, 10), (0.1, 20), (0.2, 30)], [30]),
    ([(0, 10), (1, 5), (1, 10), (1, 11)], [5, 10, 11]),
    ([(0, 0), (1, 0)], []),
    ([(0, 1), (0.24, 2), (0.01, 3), (0.3, 4)], [3, 4]),
    ([(0, 100), (0.1, 200)], []),  # done within the first interval: no PROGRESS at all
])
def test_throttled_progress(steps, sent):
    clock, seen = ManualClock(100.0), []
    report = Throttled(seen.append, interval=0.25, clock=clock)
    for advance, total in steps:
        clock.advance(advance)
        report(total)
    assert seen == sent


@pytest.mark.parametrize("reports, total, sent", [
    ([], 100, [100]),            # quicker than one interval: the whole size, once
    ([50], 100, [50, 100]),      # the last reports fell inside an interval
    ([50, 100], 100, [50, 100]),  # already sent: not repeated
    ([], 0, []),                 # an empty file: nothing to report
])
def test_finish_sends_the_whole_size_once(reports, total, sent):
    clock = iter(range(0, 1000, 10))
    seen: list[int] = []
    progress = Throttled(seen.append, interval=1, clock=lambda: float(next(clock)))
    for count in reports:
        progress(count)
    progress.finish(total)
    progress.finish(total)
    assert seen == sent
