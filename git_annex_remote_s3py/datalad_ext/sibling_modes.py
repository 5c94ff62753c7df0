"""The siblings ``datalad create-sibling-s3 --mode`` makes, as a table: whether a dataset gets
a git sibling, and its storage sibling's publish mode (``publish.modes``: key or export
layout), if it gets one. ``SIBLING_MODES`` maps ``--mode`` to its row: it is the only place a
sibling mode's name is read; everything else asks the ``SiblingMode`` it is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from git_annex_remote_s3py.publish.modes import EXPORT, KEY, PublishMode


@dataclass(frozen=True)
class SiblingMode:
    """One ``--mode`` of ``create-sibling-s3``."""

    name: str  # the --mode value
    git: bool  # a git sibling (datalad-annex:: with s3py) holds the history
    storage: Optional[PublishMode]  # the storage sibling's layout; None: no storage sibling
    help: str  # what --mode NAME makes, for the option's help

    @property
    def storage_alone(self) -> bool:
        """Only the storage sibling: it takes the sibling name (``--name``)."""
        return self.storage is not None and not self.git

    def publish_mode(self) -> PublishMode:
        """The storage sibling's layout (key layout where there is none to make)."""
        return self.storage or KEY


SIBLING_MODES: dict[str, SiblingMode] = {mode.name: mode for mode in (
    SiblingMode("annex", True, KEY, "storage in git-annex's key layout (every version of "
                "every file) and the git history (default)"),
    SiblingMode("filetree", True, EXPORT, "storage of the current tree under its real file "
                "names (one version; browsable), and the git history"),
    SiblingMode("annex-only", False, KEY, "the storage sibling alone, key layout"),
    SiblingMode("filetree-only", False, EXPORT, "the storage sibling alone, file tree"),
    SiblingMode("git-only", True, None, "the git history alone"),
)}
DEFAULT_SIBLING_MODE = "annex"


def sibling_modes_help() -> str:
    """The ``--mode`` option's help: each mode and what it makes."""
    return "; ".join(f"'{mode.name}': {mode.help}" for mode in SIBLING_MODES.values())
