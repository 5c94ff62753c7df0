"""Pure: the value s3py keeps per key in git-annex's remote state (SETSTATE/GETSTATE, the
``.log.rmet`` files of the git-annex branch): one line of JSON, one field per use, each a map
from object name to a value. ``import``: the content identifier an import recorded;
``uploaded``: the ETag of an upload s3py checked, where the object cannot prove its content
by itself (``verify`` compares it later)."""

from __future__ import annotations

from git_annex_remote_s3py.naming import key_digest

IMPORT, UPLOADED = "import", "uploaded"


def entries(state: str, field: str) -> dict[str, str]:
    """name -> value of one field of a key's state; {} when absent or unreadable."""
    if not state:
        return {}
    import json  # only keys with a state need it (~7 M instructions per start)

    try:
        found = json.loads(state).get(field, {})
    except (ValueError, AttributeError):
        return {}
    return dict(found) if isinstance(found, dict) else {}


def with_entry(state: str, field: str, name: str, value: str) -> str:
    """The state with ``field``'s entry for ``name`` set, every other field kept."""
    import json

    try:
        whole = json.loads(state) if state else {}
    except ValueError:
        whole = {}
    if not isinstance(whole, dict):
        whole = {}
    whole[field] = {**entries(state, field), name: value}
    return json.dumps(whole, separators=(",", ":"), ensure_ascii=True, sort_keys=True)


def etag_needed_by_verify(key: str, md5_hex: str | None, sha256_hex: str | None) -> bool:
    """Whether ``verify`` needs an upload's ETag recorded (``UPLOADED``): yes unless the object
    proves the key by itself, that is an MD5/MD5E key stored in one part whose ETag is its MD5
    (``md5_hex``: the server's ETags are MD5s, not SSE-KMS/SSE-C), or a SHA256/SHA256E key
    whose SHA-256 the server answered the upload with (``sha256_hex``: it keeps it and gives
    it on a HEAD with checksum mode). Multipart objects, servers that keep no SHA-256 and
    keys without a hash (WORM, URL) get it."""
    found = key_digest(key)
    if found is None:
        return True
    kind, digest = found
    proof = {"MD5": md5_hex, "SHA256": sha256_hex}.get(kind)
    return proof is None or proof != digest
