"""Helpers shared by the public-URL tests (plain git-annex and DataLad): publish, clone, check.

Every request of the remote (and of git-annex's web remote) goes through ``FaultProxy``,
so a test can prove that a clone without credentials sent no signed request at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from support.faultproxy import Seen
from support.local_s3 import annex_path_prefix
from support.repos import isolated_env, run

# Names that need escaping in URLs: space, unicode, '#', '?'.
FILES = {
    "README": b"A dataset to publish.\n",
    "sub-01/anat/sub 01 T1w.nii": bytes(range(256)) * 40,
    "sub-01/func/ünï#?.tsv": b"onset\tduration\n0\t30\n",
}
NO_S3PY_PATH = "/usr/local/bin:/usr/bin:/bin"


def bare_repo(path: Path, env: dict[str, str]) -> Path:
    """An empty bare repository standing in for GitHub."""
    run(["git", "init", "-q", "--bare", str(path)], path.parent, env)
    return path


def credential_free_env(home: Path, without_s3py: bool = False) -> dict[str, str]:
    """No AWS variables, an empty HOME (just .gitconfig); optionally no s3py on PATH."""
    env = isolated_env(home, with_credentials=False)
    if without_s3py:
        env["PATH"] = annex_path_prefix() + NO_S3PY_PATH
        assert shutil.which("git-annex-remote-s3py", path=env["PATH"]) is None
        assert shutil.which("git-annex", path=env["PATH"]) is not None
    return env


def object_gets(seen: list[Seen]) -> set[str]:
    """Paths of the objects fetched with a successful GET."""
    return {s.path for s in seen if s.method == "GET" and s.status in (200, 206)}


def assert_anonymous(seen: list[Seen], bucket: str, objects: set[str]) -> None:
    """Nothing signed went to the server, and each object was fetched by an anonymous GET."""
    signed = [s for s in seen if s.signed]
    assert not signed, f"a credential-free clone sent signed requests: {signed}"
    missing = {f"/{bucket}/{name}" for name in objects} - object_gets(seen)
    assert not missing, f"objects not fetched through the public URL: {missing}"


def assert_same_files(clone: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        assert (clone / name).read_bytes() == content, name


def key_objects(server_objects: dict[str, bytes], prefix: str = "") -> set[str]:
    """Object names in the bucket but the ``annex-uuid`` marker."""
    return {name for name in server_objects if name != prefix + "annex-uuid"}


__all__ = ["FILES", "assert_anonymous", "assert_same_files", "bare_repo",
           "credential_free_env", "key_objects", "object_gets"]
