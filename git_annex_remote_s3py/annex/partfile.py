"""Export-mode downloads written beside git-annex's file, then renamed onto it.

git-annex 10.20261026 follows an export (or import) retrieval's destination with a tail
verifier (inotify on that file, 64 KiB reads) and, since that release, fails the transfer
("Verification of content failed") when the download finished before the verifier had read
it all, which a fast S3 download of 1 MiB or more always does. Written under another name,
the destination never changes while the verifier watches it, so git-annex checksums the whole
file after the transfer instead. Key-mode retrievals keep writing in place: there git-annex
finishes a partial tail hash itself, and that is faster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

PART_SUFFIX = ".s3py-part"


@contextmanager
def written_beside(local_file: str) -> Iterator[str]:
    """Yield ``local_file + PART_SUFFIX`` to download into; rename it onto ``local_file``.

    A partial ``local_file`` from an interrupted try moves to the part name first, so the
    download resumes it; the part file is renamed back whether or not the download succeeds,
    so a partial one stays where git-annex keeps (and next time offers) partial downloads.
    """
    part = local_file + PART_SUFFIX
    if os.path.exists(local_file):
        os.replace(local_file, part)
    try:
        yield part
    finally:
        if os.path.exists(part):
            os.replace(part, local_file)
