"""What the user asked ``s3py-publish`` for, as every part of the publisher reads it; and the
``--shard I/N`` option (shared with any other front end of the publisher)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Optional

from git_annex_remote_s3py.publish.modes import EXPORT, PublishMode

SHARD_HELP = ("publish part I of N disjoint parts of the hierarchy (I from 0 to N-1, e.g. "
              "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT); a dataset's part is a hash of its "
              "path relative to DATASET, the same on every run and machine; all/N: every part")


@dataclass(frozen=True)
class Shard:
    """Part ``index`` of ``count`` (``index`` None: every part, as a plain run)."""

    index: Optional[int]
    count: int

    def holds(self, rel: str) -> bool:
        """Whether the dataset at ``rel`` (relative to the top, "." for the top) is in it."""
        return self.index is None or part_of(rel, self.count) == self.index

    def __str__(self) -> str:
        return f"{'all' if self.index is None else self.index}/{self.count}"


def part_of(rel: str, count: int) -> int:
    """The part (0 .. count-1) of the dataset at ``rel``: SHA-256 of the path, so it depends on
    nothing else (not on the order or number of datasets, nor on the machine)."""
    digest = hashlib.sha256(rel.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """``I/N`` or ``all/N`` -> ``Shard``; ``ValueError`` naming the right spelling otherwise."""
    found = re.fullmatch(r"\s*(all|\d+)\s*/\s*(\d+)\s*", text)
    if not found or int(found.group(2)) < 1:
        raise ValueError(f"--shard {text!r}: write I/N with N >= 1 and I from 0 to N-1 "
                         "(e.g. 0/4), or all/N")
    count = int(found.group(2))
    index = None if found.group(1) == "all" else int(found.group(1))
    if index is not None and index >= count:
        raise ValueError(f"--shard {text!r}: part {index} does not exist among {count} parts "
                         f"(they are numbered 0 to {count - 1}; Slurm's "
                         "$SLURM_ARRAY_TASK_ID and Kubernetes' $JOB_COMPLETION_INDEX start at 0)")
    return Shard(index, count)


@dataclass(frozen=True)
class Options:
    """What the user asked for."""

    bucket: str
    prefix: str = ""
    endpoint: Optional[str] = None
    region: Optional[str] = None
    remote: str = "s3"
    mode: PublishMode = EXPORT
    public: bool = False
    publicurl: Optional[str] = None
    versioning: bool = False
    sibling: Optional[str] = None
    jobs: int = 1
    dry_run: bool = False
    json: bool = False
    shard: Shard = Shard(None, 1)
    plan: bool = False
    verify: bool = False  # after publishing: git-annex-remote-s3py verify (--anonymous)
