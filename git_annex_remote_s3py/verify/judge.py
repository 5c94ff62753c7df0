"""Pure: what one object's HEAD proves about one git-annex key.

verified: a checksum the server stored equals one derived from the key (SHA-256 of SHA256
and SHA256E keys, the single-part ETag of MD5 and MD5E keys), or the ETag s3py recorded when
it uploaded and checked the object; present: the key's size, nothing to compare (the reason
says why); corrupt: the size or a checksum differs; missing and unknown come from the store's
answer (``command``).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Callable, Protocol

from git_annex_remote_s3py import naming
from git_annex_remote_s3py.store.base import Described

VERIFIED, PRESENT, MISSING, CORRUPT, UNKNOWN = "verified", "present", "missing", "corrupt", \
    "unknown"
DENIED = "denied"  # --anonymous: the public URL refuses anonymous reads
FAILURES = (MISSING, CORRUPT, DENIED)
STATUSES = (VERIFIED, PRESENT, MISSING, CORRUPT, DENIED, UNKNOWN)



class Hasher(Protocol):
    """What ``--download`` needs of a hashlib object."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


# git-annex backend -> hashlib constructor (the E variants hash the same way)
HASHES: dict[str, Callable[[], Hasher]] = {
    "MD5": hashlib.md5, "SHA1": hashlib.sha1, "SHA224": hashlib.sha224,
    "SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512,
    "SHA3_224": hashlib.sha3_224, "SHA3_256": hashlib.sha3_256,
    "SHA3_384": hashlib.sha3_384, "SHA3_512": hashlib.sha3_512,
    **{f"BLAKE2B{bits}": functools.partial(hashlib.blake2b, digest_size=bits // 8)
       for bits in (160, 224, 256, 384, 512)},
    **{f"BLAKE2S{bits}": functools.partial(hashlib.blake2s, digest_size=bits // 8)
       for bits in (160, 224, 256)},
}


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str


def backend(key: str) -> str:
    """The key's backend without the E (extension) suffix: SHA256E -> SHA256."""
    found = naming.key_digest(key)
    return found[0] if found else key.split("-", 1)[0]


def key_digest(key: str) -> str | None:
    """The hex digest a hashing key carries, or None (WORM, URL, encrypted, chunks)."""
    found = naming.key_digest(key)
    return found[1] if found else None


def hash_of(key: str) -> Hasher | None:
    """A fresh hashlib object of the key's backend (for ``--download``), or None."""
    make = HASHES.get(backend(key))
    return make() if make is not None and key_digest(key) else None


def judge(key: str, found: Described, verify_etag_md5: bool = True,
          recorded: str | None = None) -> Verdict:
    """What ``found`` (a HEAD of the object that should hold ``key``) proves; ``recorded``:
    the ETag s3py recorded when it uploaded (and checked) that object, if it did."""
    expected = naming.expected_object_size(key)
    if expected is not None and found.size != expected:
        return Verdict(CORRUPT, f"holds {found.size} bytes, the key has {expected}")
    digest, kind = key_digest(key), backend(key)
    if digest and kind == "SHA256" and found.sha256_hex:
        if found.sha256_hex == digest:
            return Verdict(VERIFIED, "the server's SHA-256 checksum is the key's")
        return Verdict(CORRUPT, f"the server's SHA-256 checksum {found.sha256_hex[:16]}... "
                                "is not the key's")
    md5 = found.md5_hex(verify_etag_md5)
    if digest and kind == "MD5" and md5:
        if md5 == digest:
            return Verdict(VERIFIED, "the ETag (the object's MD5) is the key's")
        return Verdict(CORRUPT, f"the ETag (the object's MD5) {md5} is not the key's")
    if recorded:
        if recorded.strip('"') == found.etag:
            return Verdict(VERIFIED, "the ETag is the one s3py checked at upload")
        return Verdict(CORRUPT, f"the ETag {found.etag} is not the {recorded} s3py checked "
                                "at upload (overwritten by another writer)")
    return Verdict(PRESENT, nothing_to_compare(key, found, md5))


def nothing_to_compare(key: str, found: Described, md5: str | None) -> str:
    """Why a HEAD of the right size proves no more."""
    if naming.is_encrypted_key(key):
        return "encrypted key: the object holds ciphertext no checksum of the key describes"
    if key_digest(key) is None:
        return f"{key.split('-', 1)[0]} key: it carries no checksum"
    if found.encryption.kms or found.encryption.customer_key:
        return "SSE-KMS/SSE-C object: its ETag is no MD5 and it has no SHA-256 checksum"
    if "-" in found.etag:
        return ("multipart object without a SHA-256 checksum or an ETag s3py recorded "
                "(written by another tool or an older s3py): its ETag is no MD5")
    if backend(key) == "SHA256":
        return ("no SHA-256 checksum stored (written by another tool, the built-in S3 remote "
                "or an older s3py): the ETag is an MD5, the key a SHA-256")
    if md5 is None:
        return "the server's ETag is no MD5 and no checksum of the key's kind is stored"
    return f"{backend(key)} key: the server stores no checksum of that kind"
