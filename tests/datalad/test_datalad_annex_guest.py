"""s3py under datalad-next's ``datalad-annex::`` git remote helper, in the prefix of a storage
remote: the helper's private scratch repository (a new one, with a new remote UUID, on every
clone, fetch and push) reads and pushes there; an ordinary repository is still refused, and a
private one writes nothing but the helper's deposit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.repos import make_annex_repo, run

pytestmark = pytest.mark.datalad
PREFIX = "study/ds/"


def deposit_url(endpoint: str, bucket: str, export: bool) -> str:
    return ("datalad-annex::?type=external&externaltype=s3py&encryption=none"
            f"&bucket={bucket}&endpoint={endpoint}&exporttree={'yes' if export else 'no'}"
            f"&fileprefix={PREFIX}")


def remote_params(endpoint: str, bucket: str, export: bool) -> list[str]:
    return ["type=external", "externaltype=s3py", "encryption=none", f"bucket={bucket}",
            f"endpoint={endpoint}", f"exporttree={'yes' if export else 'no'}",
            f"fileprefix={PREFIX}"]


@pytest.mark.parametrize("export", [False, True], ids=["key", "export"])
def test_scratch_repository_reads_and_pushes_in_an_owned_prefix(tmp_path: Path, env, s3_server,
                                                                  bucket_name, export):
    ds = make_annex_repo(tmp_path / "ds", env, {"data.bin": b"annexed bytes\n"})
    run(["git", "annex", "initremote", "storage", "autoenable=true",
         *remote_params(s3_server.endpoint, bucket_name, export)], ds, env)
    owner = run(["git", "config", "remote.storage.annex-uuid"], ds, env).stdout.strip()
    run(["git", "annex", "export", "main", "--to", "storage"] if export else
        ["git", "annex", "copy", "--to", "storage", "."], ds, env)
    url = deposit_url(s3_server.endpoint, bucket_name, export)
    run(["git", "remote", "add", "bucket", url], ds, env)
    run(["git", "push", "bucket", "main", "git-annex"], ds, env)

    clone = tmp_path / "clone"
    run(["git", "clone", url, str(clone)], tmp_path, env)
    assert (clone / "data.bin").is_symlink()
    (ds / "more.txt").write_text("second commit\n")
    run(["git", "add", "more.txt"], ds, env)  # plain git (no annex.largefiles: annexed)
    run(["git", "commit", "-q", "-m", "more"], ds, env)
    run(["git", "push", "bucket", "main"], ds, env)  # a third scratch repository
    run(["git", "pull", "-q", "origin", "main"], clone, env)
    assert run(["git", "log", "-1", "--format=%s"], clone, env).stdout.strip() == "more"
    run(["git", "annex", "get", "data.bin"], clone, env)  # the storage remote, autoenabled
    assert (clone / "data.bin").read_bytes() == b"annexed bytes\n"

    stored = s3_server.objects(bucket_name, PREFIX)
    assert stored[PREFIX + "annex-uuid"].decode().strip() == owner  # still the one owner
    deposit = ({PREFIX + ".datalad/dotgit/refs", PREFIX + ".datalad/dotgit/repo.zip"} if export
               else {PREFIX + "XDLRA--refs", PREFIX + "XDLRA--repo-export"})
    assert deposit <= set(stored)

    # An ordinary repository is refused that prefix, as before.
    other = tmp_path / "other"
    run(["git", "init", "-q", str(other)], tmp_path, env)
    run(["git", "annex", "init", "-q"], other, env)
    refused = run(["git", "annex", "initremote", "mine",
                   *remote_params(s3_server.endpoint, bucket_name, export)], other, env,
                  check=False)
    assert refused.returncode != 0
    assert f"prefix '{PREFIX}' already belongs to git-annex remote {owner}" in refused.stderr

    # A private repository visits it, and writes no data there.
    private = tmp_path / "private"
    run(["git", "init", "-q", str(private)], tmp_path, env)
    run(["git", "config", "annex.private", "true"], private, env)
    run(["git", "annex", "init", "-q"], private, env)
    run(["git", "annex", "initremote", "visit",
         *remote_params(s3_server.endpoint, bucket_name, export)], private, env)
    (private / "new.bin").write_bytes(b"not for this prefix\n")
    run(["git", "annex", "add", "new.bin"], private, env)
    run(["git", "commit", "-q", "-m", "new"], private, env)
    wrote = run(["git", "annex", "export", "HEAD", "--to", "visit"] if export else
                ["git", "annex", "copy", "--to", "visit", "new.bin"], private, env, check=False)
    assert wrote.returncode != 0
    assert "writes only datalad-annex's repository deposit there" in wrote.stdout + wrote.stderr
    assert s3_server.objects(bucket_name, PREFIX) == stored
