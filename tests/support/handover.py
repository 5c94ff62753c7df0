"""Why a ``Bucket`` turned its lean path off, read from the one DEBUG record it logs then
(``store/bucket.py``: ``lean request path off (WHY); botocore sends every request from now on``)."""

from __future__ import annotations

import logging
import re

BUCKET_LOGGER = "git_annex_remote_s3py.store.bucket"
HAND_OVER = re.compile(r"lean request path off \((.*)\); botocore sends every request from now on")


def watch_hand_overs(caplog) -> None:
    """Capture the package's DEBUG records from now on (call before the requests)."""
    caplog.set_level(logging.DEBUG, logger="git_annex_remote_s3py")


def lean_off_reasons(caplog) -> list[str]:
    """The reason of each hand-over logged so far, in order."""
    return [found.group(1) for record in caplog.records if record.name == BUCKET_LOGGER
            for found in [HAND_OVER.fullmatch(record.getMessage())] if found]
