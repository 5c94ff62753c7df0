"""Whether git-annex shows its remotes' DEBUG lines: its command line (the parent process's,
read in /proc) and its git config. Imported by every start (annex/session.py): os only."""

from __future__ import annotations

import os
from typing import Mapping

DEBUG_SETTING = "annex.debug"
DEBUG_SETTINGS = (DEBUG_SETTING, "annex.debugfilter")  # either: git-annex may show debug lines
FALSE_VALUES = ("false", "no", "off", "0")


def debug_flag(arguments: list[str]) -> bool:
    """Whether a git-annex command line turns its debug output on (``--debug``, ``-d``
    alone or among bundled short flags, ``-c annex.debug=true``)."""
    for argument in arguments:
        if argument == "--debug" or argument.startswith("--debugfilter"):
            return True
        if argument.lower() in ("annex.debug=true", "annex.debug"):
            return True
        if argument.startswith("-") and not argument.startswith("--") \
                and argument[1:].isalpha() and "d" in argument:
            return True
    return False


def parent_arguments() -> list[str] | None:
    """The command line of the process that started this one (git-annex), where /proc
    shows it (Linux); None elsewhere."""
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as cmdline:
            return cmdline.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return None


def git_annex_hides_debug(config: Mapping[str, str]) -> bool:
    """Whether the git-annex that started this process surely shows none of its remotes'
    DEBUG lines: it is this process's parent (read in /proc: Linux), its command line turns
    no debug output on (``debug_flag``), and ``config`` (the repository's git config, which
    ``git config`` read with the environment's ``git -c`` settings: lower-case names, of
    ``DEBUG_SETTINGS``) sets neither ``annex.debug`` (a bare key is true) nor
    ``annex.debugfilter``. Anything else, unreadable or unknown: False (lines are sent)."""
    if config.get("annex.debugfilter") or (
            DEBUG_SETTING in config and config[DEBUG_SETTING].lower() not in FALSE_VALUES):
        return False
    parent = parent_arguments()
    if not parent or not os.path.basename(parent[0]).startswith("git-annex"):
        return False
    return not debug_flag(parent[1:])
