"""What the user asked ``s3py-publish`` for, as every part of the publisher reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Options:
    """What the user asked for."""

    bucket: str
    prefix: str = ""
    endpoint: Optional[str] = None
    remote: str = "s3"
    mode: str = "export"
    public: bool = False
    publicurl: Optional[str] = None
    versioning: bool = False
    sibling: Optional[str] = None
    jobs: int = 1
    dry_run: bool = False
    json: bool = False
