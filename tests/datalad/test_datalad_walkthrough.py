"""The DataLad handbook's S3 walk-through (seeds/000), step by step, with s3py and moto.

A local bare repository stands in for GitHub. The clone runs with no AWS variables and an
empty HOME (only a .gitconfig). Every S3 request goes through ``FaultProxy``, so the test
proves the clone sent no signed request (moto would answer a signed one just as well).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.public import (
    FILES,
    assert_anonymous,
    assert_same_files,
    bare_repo,
    credential_free_env,
    key_objects,
)
from support.repos import run

pytestmark = pytest.mark.datalad
REMOTE = "public-s3"


def make_dataset(path: Path, env: dict[str, str]) -> Path:
    """``datalad create --force`` over existing files, then ``datalad save``."""
    for name, content in FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(content)
    run(["datalad", "create", "--force", "--description", "neuro data to host on s3"], path, env)
    run(["datalad", "save", "-m", "Add public data"], path, env)
    return path


def push_to_github(ds: Path, env: dict[str, str], tmp_path: Path) -> tuple[Path, str]:
    """The "publish" step: a sibling that depends on the S3 remote, then ``datalad push``."""
    github = bare_repo(tmp_path / "github.git", env)
    run(["datalad", "siblings", "add", "--name", "github", "--url", str(github),
         "--publish-depends", REMOTE], ds, env)
    pushed = run(["datalad", "push", "--to", "github"], ds, env)
    return github, pushed.stdout


def clone_and_get(github: Path, tmp_path: Path, proxy, bucket: str,
                  objects: set[str]) -> Path:
    """``datalad clone`` + ``datalad get .`` with no credentials; only anonymous requests."""
    free = credential_free_env(tmp_path / "empty-home")
    mark = proxy.mark()
    run(["datalad", "clone", str(github), "clone"], tmp_path, free)
    clone = tmp_path / "clone"
    assert run(["git", "config", f"remote.{REMOTE}.annex-externaltype"], clone,
               free).stdout.strip() == "s3py", "autoenable did not enable the s3py remote"
    got = run(["datalad", "get", "."], clone, free)
    assert got.stdout.count("get(ok)") == len(FILES), got.stdout
    assert_same_files(clone, FILES)
    assert_anonymous(proxy.since(mark), bucket, objects)
    return clone


def test_walkthrough_key_mode(tmp_path, env, s3_proxy, s3_server, bucket_name):
    ds = make_dataset(tmp_path / "neuro-data-s3", env)
    publicurl = f"{s3_proxy.endpoint}/{bucket_name}"
    run(["git", "annex", "initremote", REMOTE, "type=external", "externaltype=s3py",
         "encryption=none", f"bucket={bucket_name}", "public=yes", "autoenable=true",
         f"endpoint={s3_proxy.endpoint}"], ds, env)
    # as the walk-through does: tell git-annex where anonymous downloads come from
    run(["git", "annex", "enableremote", REMOTE, f"publicurl={publicurl}"], ds, env)
    assert f"publicurl: {publicurl}\n" in run(["git", "annex", "info", REMOTE], ds, env).stdout
    assert "public-s3(+)" in run(["datalad", "siblings"], ds, env).stdout
    github, pushed = push_to_github(ds, env, tmp_path)
    assert pushed.count(f"[to {REMOTE}...]") == len(FILES), pushed
    stored = key_objects(s3_server.objects(bucket_name))
    assert len(stored) == len(FILES)
    clone_and_get(github, tmp_path, s3_proxy, bucket_name, stored)


def test_walkthrough_export_mode(tmp_path, env, s3_proxy, s3_server, bucket_name):
    """The walk-through's batch script: exporttree=yes under a prefix, public URLs per path."""
    ds = make_dataset(tmp_path / "neuro-data-s3", env)
    run(["git", "annex", "initremote", REMOTE, "type=external", "externaltype=s3py",
         "encryption=none", f"bucket={bucket_name}", "public=yes", "autoenable=true",
         "exporttree=yes", "fileprefix=studies/ds 1/", f"endpoint={s3_proxy.endpoint}",
         f"publicurl={s3_proxy.endpoint}/{bucket_name}"], ds, env)
    run(["git", "annex", "export", "--to", REMOTE, "main"], ds, env)
    github, _ = push_to_github(ds, env, tmp_path)
    annexed = {f"studies/ds 1/{name}" for name in FILES}
    stored = s3_server.objects(bucket_name, "studies/ds 1/")
    assert {name: stored[name] for name in annexed} == {
        f"studies/ds 1/{name}": content for name, content in FILES.items()}
    assert "studies/ds 1/.datalad/config" in stored  # export puts the whole tree there
    clone_and_get(github, tmp_path, s3_proxy, bucket_name, annexed)
