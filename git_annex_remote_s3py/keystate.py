"""Pure: the value s3py keeps per key in git-annex's remote state (SETSTATE/GETSTATE, the
``.log.rmet`` files of the git-annex branch): one line of JSON, one field per use, each a map
from object name to a value. ``import``: the content identifier an import recorded;
``uploaded``: the ETag of an upload s3py checked, where the object cannot prove its content
by itself (``verify`` compares it later)."""

from __future__ import annotations

import json

IMPORT, UPLOADED = "import", "uploaded"


def entries(state: str, field: str) -> dict[str, str]:
    """name -> value of one field of a key's state; {} when absent or unreadable."""
    if not state:
        return {}
    try:
        found = json.loads(state).get(field, {})
    except (ValueError, AttributeError):
        return {}
    return dict(found) if isinstance(found, dict) else {}


def with_entry(state: str, field: str, name: str, value: str) -> str:
    """The state with ``field``'s entry for ``name`` set, every other field kept."""
    try:
        whole = json.loads(state) if state else {}
    except ValueError:
        whole = {}
    if not isinstance(whole, dict):
        whole = {}
    whole[field] = {**entries(state, field), name: value}
    return json.dumps(whole, separators=(",", ":"), ensure_ascii=True, sort_keys=True)
