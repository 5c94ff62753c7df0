"""Pure functions: git-annex keys and export paths -> S3 object names, key fields."""

from __future__ import annotations

import re

from git_annex_remote_s3py.errors import InvalidName

UUID_MARKER = "annex-uuid"
# Remote config of a private repository's remote in a prefix another remote owns: the owner.
GUEST_OF_CONFIG = "s3py-guest-of"
# datalad-annex::'s repository deposit (refs list, repository archive): the only keys such a
# guest writes (datalad_next/gitremotes/datalad_annex.py, backend XDLRA).
DEPOSIT_BACKEND = "XDLRA"
MAX_OBJECT_NAME_BYTES = 1024
_KEY_FIELD = re.compile(r"^([smSC])(\d+)$")
# git-annex's hashing backends, each with and without the E (extension) variant
_HASHING_BACKEND = re.compile(r"(SHA(1|224|256|384|512)|SHA3_(224|256|384|512)|SKEIN(256|512)"
                              r"|BLAKE2(B|BP|S|SP)(160|224|256|384|512)|MD5)E?")


def normalise_prefix(prefix: str) -> str:
    """Return a publishable prefix: no ``./`` or ``//``, no leading ``/``, ending in ``/``.

    An empty prefix stays empty (the bucket root).
    """
    parts = [p for p in prefix.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise InvalidName(f"prefix {prefix!r} contains a '..' component")
    return "/".join(parts) + "/" if parts else ""


def key_object_name(fileprefix: str, key: str) -> str:
    """Object name of a key in key mode: ``fileprefix + key``, as git-annex's built-in S3 remote.

    Keys may hold ``/`` (WORM keys of files in subdirectories, URL keys): kept as they are.
    """
    if not key or any(c in key for c in " \n\r\x00"):
        raise InvalidName(f"invalid git-annex key {key!r}")
    return fileprefix + key


def export_object_name(fileprefix: str, path: str) -> str:
    """Object name of an exported file: ``fileprefix + path``, byte for byte.

    Spaces anywhere (leading and trailing too) and unicode are kept. Raises ``InvalidName``
    for what S3 cannot hold or what would alias another name.
    """
    if not path:
        raise InvalidName("empty export file name")
    if "\n" in path or "\x00" in path:  # a "\r" is a byte of the name like any other
        raise InvalidName(f"file name {path!r} contains a newline or NUL, which S3 cannot hold")
    if path.startswith("/") or any(part in (".", "..") for part in path.split("/")):
        raise InvalidName(f"file name {path!r} has an absolute, '.' or '..' component")
    if path == UUID_MARKER:
        raise InvalidName(f"{UUID_MARKER} at the top of the tree would replace the remote's "
                          "ownership marker; rename the file or export a subdirectory")
    name = fileprefix + path
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidName(f"file name {path!r} is not valid UTF-8") from exc
    if size > MAX_OBJECT_NAME_BYTES:
        raise InvalidName(
            f"object name for {path!r} is {size} bytes; S3 allows {MAX_OBJECT_NAME_BYTES}"
        )
    return name


def parse_key_fields(key: str) -> dict[str, int]:
    """The numeric fields of a key (``s`` size, ``m`` mtime, ``S`` chunk size, ``C`` chunk)."""
    head = key.split("--", 1)[0]
    fields: dict[str, int] = {}
    for part in head.split("-")[1:]:
        match = _KEY_FIELD.match(part)
        if match:
            fields[match.group(1)] = int(match.group(2))
    return fields


def is_encrypted_key(key: str) -> bool:
    """True for keys git-annex made for encrypted content (their size is not the object's)."""
    return key.startswith("GPGHMAC")


def verified_by_git_annex(key: str) -> bool:
    """Whether git-annex checks the content it retrieves for ``key`` itself: a key of a
    hashing backend (SHA256E, MD5E, BLAKE2B256E...), neither encrypted nor a chunk. For
    external special remotes git-annex hashes such a key's download even with
    annex-verify=false (its "verifiable keys secure" policy; tests/e2e/test_annex_verify_e2e.py),
    so a second check by s3py would read the same bytes again for nothing."""
    backend = key.split("-", 1)[0]
    fields = parse_key_fields(key)
    return (bool(_HASHING_BACKEND.fullmatch(backend)) and "--" in key
            and "S" not in fields and "C" not in fields)


def key_digest(key: str) -> tuple[str, str] | None:
    """(backend without the E, hex digest) of a hashing key's content, or None for keys that
    carry none (WORM, URL, encrypted, chunks): SHA256E-s5--ab12....txt -> (SHA256, ab12...)."""
    if not verified_by_git_annex(key):
        return None
    name = key.split("-", 1)[0]
    backend = name[:-1] if name.endswith("E") else name
    digest = key.split("--", 1)[1].split(".", 1)[0].lower()
    if not digest or any(c not in "0123456789abcdef" for c in digest):
        return None
    return backend, digest


def key_sha256(key: str) -> str | None:
    """The content's hex SHA-256 for SHA256 and SHA256E keys, else None."""
    found = key_digest(key)
    return found[1] if found and found[0] == "SHA256" and len(found[1]) == 64 else None


def expected_object_size(key: str) -> int | None:
    """Bytes an object stored for ``key`` must have, or None when the key does not say.

    Chunk keys carry the whole file's size ``s``, the chunk size ``S`` and the chunk number
    ``C`` (from 1); the last chunk holds the remainder.
    """
    if is_encrypted_key(key):
        return None
    fields = parse_key_fields(key)
    size = fields.get("s")
    if size is None:
        return None
    chunk_size, chunk_number = fields.get("S"), fields.get("C")
    if chunk_size and chunk_number:
        start = (chunk_number - 1) * chunk_size
        return max(0, min(chunk_size, size - start))
    return size


def is_deposit_key(key: str) -> bool:
    """Whether ``key`` is one of datalad-annex::'s repository deposit keys."""
    return key.split("-", 1)[0] == DEPOSIT_BACKEND
