"""``git annex verifyremote``, where a user of a newer git-annex (10.2025+) must run it.

Newer git-annex marks a special remote that a clone autoenabled (``annex-verified=automatic``)
or that ``enableremote`` enabled (``manual``) as unverified: an autoenabled one can be read
but blocks every write and ``git push``; an enableremote'd one cannot be used at all. The user
confirms the remote with ``git annex verifyremote NAME --safe ID``, ID being the one-time
number the plain ``verifyremote NAME`` prints. git-annex 10.20230126 has no such rule and no
such command; there this is a no-op.
"""

from __future__ import annotations

import re
from pathlib import Path

from support.annex_version import needs_verifyremote
from support.repos import run

SAFE_ID = re.compile(r"verifyremote \S+ --safe (\d+)")


def verify_remote(repo: Path, env: dict[str, str], name: str) -> None:
    """Confirm remote ``name`` as a user would: ``verifyremote NAME``, then ``--safe ID``."""
    if not needs_verifyremote():
        return
    shown = run(["git", "annex", "verifyremote", name], repo, env)
    found = SAFE_ID.search(shown.stdout + shown.stderr)
    assert found, f"verifyremote {name} printed no --safe ID:\n{shown.stdout}{shown.stderr}"
    run(["git", "annex", "verifyremote", name, "--safe", found.group(1)], repo, env)
    state = run(["git", "config", f"remote.{name}.annex-verified"], repo, env).stdout.strip()
    assert state == "verified", f"remote {name} is {state!r} after verifyremote --safe"
