"""s3py-publish end to end: real DataLad, real git-annex, moto's server on 127.0.0.1.

One hierarchy per test: super -> "sub one" -> subsub, each with a file in git and two annexed
files (one with a space in its name).
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

import pytest
from support.annex_version import needs_verifyremote
from support.repos import initremote, run

from git_annex_remote_s3py.annexlog import parse_remote_log
from git_annex_remote_s3py.publish.main import dataset_prefix, parse_version

pytestmark = [pytest.mark.e2e, pytest.mark.datalad]

LEVELS = (".", "sub one", "sub one/subsub")
MAKE_HIERARCHY = """
import random, sys
from pathlib import Path
import datalad.api as dl

root, seed = Path(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
top = dl.create(str(root), result_renderer="disabled")
sub = top.create("sub one", result_renderer="disabled")
sub.create("subsub", result_renderer="disabled")
for rel in (".", "sub one", "sub one/subsub"):
    ds = root / rel
    (ds / "README.txt").write_text(f"dataset {rel}\\n")
    dl.save(dataset=str(ds), path=[str(ds / "README.txt")], to_git=True,
            result_renderer="disabled")
    (ds / "data").mkdir()
    (ds / "data" / "x y.bin").write_bytes(rnd.randbytes(700))
    (ds / "raw.dat").write_bytes(rnd.randbytes(300))
top.save(recursive=True, message="data", result_renderer="disabled")
"""


def make_hierarchy(root: Path, env: dict[str, str]) -> Path:
    run([sys.executable, "-c", MAKE_HIERARCHY, str(root), str(random.randrange(10**6))],
        root.parent, env)
    return root


def publish(top: Path, env: dict[str, str], *args: str, expect: int = 0) -> dict[str, dict]:
    """Run s3py-publish --json; return its records by dataset."""
    result = run(["s3py-publish", str(top), "--json", *args], top.parent, env, check=False)
    assert result.returncode == expect, result.stdout + result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return {r["dataset"]: r for r in records}


def tree_bytes(ds: Path, env: dict[str, str]) -> dict[str, bytes]:
    """path -> content of every file in the dataset's HEAD (annexed ones through their link)."""
    listing = run(["git", "ls-files", "-z"], ds, env).stdout.split("\0")
    return {p: (ds / p).read_bytes() for p in filter(None, listing)
            if not (ds / p / ".git").exists()}


def expected_objects(top: Path, env: dict[str, str], prefix: str,
                     levels=LEVELS) -> dict[str, bytes]:
    found = {}
    for rel in levels:
        fileprefix = dataset_prefix(prefix, rel)
        found.update({fileprefix + p: b for p, b in tree_bytes(top / rel, env).items()})
    return found


def without_markers(objects: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in objects.items() if not k.endswith("annex-uuid")}


def last_modified(server, bucket: str) -> dict[str, object]:
    client = server.client()
    return {o["Key"]: client.head_object(Bucket=bucket, Key=o["Key"])["LastModified"]
            for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_export_hierarchy_plan_conflict_and_rerun(tmp_path, env, s3_server, bucket_name):
    top = make_hierarchy(tmp_path / "super", env)
    args = ["--bucket", bucket_name, "--prefix", "/pub//v1/", "--endpoint", s3_server.endpoint]
    initremote(top / "sub one/subsub", env, "s3", s3_server, bucket_name + "-other",
               "encryption=none")

    plan = publish(top, env, *args, "--dry-run", expect=1)
    assert plan["."]["status"] == plan["sub one"]["status"] == "planned"
    assert plan["sub one"]["fileprefix"] == "pub/v1/sub one/"
    assert {"README.txt", "raw.dat", "data/x y.bin"} <= set(plan["sub one"]["to_send"])
    assert "--remote" in plan["sub one/subsub"]["message"]
    assert "s3" not in run(["git", "remote"], top, env).stdout.split()
    assert bucket_name not in [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]

    first = publish(top, env, *args, "-J", "2", expect=1)
    assert first["sub one/subsub"]["status"] == "error"
    assert "another layout" in first["sub one/subsub"]["message"]
    assert first["sub one"]["sent"] == len(tree_bytes(top / "sub one", env))
    objects = s3_server.objects(bucket_name)
    assert without_markers(objects) == expected_objects(top, env, "pub/v1", LEVELS[:2])
    assert not any("./" in name or "//" in name for name in objects)

    before = last_modified(s3_server, bucket_name)
    subsub = top / "sub one/subsub"
    run(["git", "annex", "renameremote", "s3", "elsewhere"], subsub, env)
    run(["git", "remote", "rename", "s3", "elsewhere"], subsub, env)  # renameremote keeps it
    if needs_verifyremote():  # git-annex 10.2025+ keeps the old name in verified-remote.log
        refused = publish(top, env, *args, "-J", "2", expect=1)["sub one/subsub"]
        assert refused["status"] == "error"
        assert "verified-remote.log" in refused["message"]
        log = subsub / ".git/annex/verified-remote.log"  # the fix the message names
        log.write_text("".join(line for line in log.read_text().splitlines(keepends=True)
                               if " name=s3 " not in line and not line.endswith(" name=s3\n")))
    second = publish(top, env, *args, "-J", "2")
    assert [second[rel]["remote_action"] for rel in LEVELS] == ["reuse", "reuse", "create"]
    assert [second[rel]["sent"] for rel in LEVELS] == [0, 0, len(tree_bytes(subsub, env))]
    after = last_modified(s3_server, bucket_name)
    assert {k: after[k] for k in before} == before
    objects = s3_server.objects(bucket_name)
    assert without_markers(objects) == expected_objects(top, env, "pub/v1")
    assert {k for k in objects if k.endswith("annex-uuid")} == {
        "pub/v1/annex-uuid", "pub/v1/sub one/annex-uuid", "pub/v1/sub one/subsub/annex-uuid"}


def add_bare_siblings(top: Path, bare: Path, env: dict[str, str]) -> None:
    """Bare repositories standing in for GitHub, nested so relative submodule URLs resolve."""
    for rel in LEVELS:
        target = bare / rel
        target.mkdir(parents=True, exist_ok=True)
        run(["git", "init", "-q", "--bare", str(target)], bare, env)
        run(["datalad", "siblings", "add", "-d", str(top / rel), "--name", "github",
             "--url", str(target)], top, env)


def annexed_present(ds: Path, env: dict[str, str]) -> list[str]:
    return run(["git", "annex", "find"], ds, env).stdout.split()


def assert_clone_has_everything(clone: Path, origin: dict[str, bytes],
                                env: dict[str, str]) -> None:
    run(["datalad", "get", "-r", "-J", "2", "."], clone, env)
    assert expected_objects(clone, env, "") == origin


def test_key_mode_drop_clone_and_push_to_sibling(tmp_path, env, s3_server, bucket_name):
    top = make_hierarchy(tmp_path / "super", env)
    bare = tmp_path / "github" / "super"
    add_bare_siblings(top, bare, env)
    records = publish(top, env, "--bucket", bucket_name, "--endpoint", s3_server.endpoint,
                      "--mode", "key", "--sibling", "github", "-J", "3")
    assert [records[rel]["sent"] for rel in LEVELS] == [2, 2, 2]
    for rel in LEVELS:
        depends = run(["git", "config", "--get-all", "remote.github.datalad-publish-depends"],
                      top / rel, env).stdout.split()
        assert depends == ["s3"]

    (top / "late.bin").write_bytes(os.urandom(500))
    run(["datalad", "save", "-m", "late"], top, env)
    run(["datalad", "push", "-r", "--to", "github"], top, env)
    origin = expected_objects(top, env, "")
    run(["datalad", "drop", "-r", "."], top, env)
    assert all(annexed_present(top / rel, env) == [] for rel in LEVELS)
    keys = [k for k in s3_server.objects(bucket_name) if "--" in k]
    assert len(keys) == 7 and all("/" not in k or k.startswith("sub one/") for k in keys)

    from_origin = tmp_path / "from-origin"
    run(["datalad", "clone", str(top), str(from_origin)], tmp_path, env)
    assert_clone_has_everything(from_origin, origin, env)

    from_github = tmp_path / "from-github"
    run(["datalad", "clone", str(bare), str(from_github)], tmp_path, env)
    assert_clone_has_everything(from_github, origin, env)
    assert not any((bare / rel / "annex" / "objects").exists() for rel in LEVELS)


def test_refuses_old_git_annex_and_names_the_version(tmp_path, env):
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "git-annex").write_text("#!/bin/sh\necho 8.20200226\n")
    (fake / "git-annex").chmod(0o755)
    env = dict(env, PATH=f"{fake}{os.pathsep}{env['PATH']}")
    result = run(["s3py-publish", str(tmp_path), "--bucket", "some-bucket"], tmp_path, env,
                 check=False)
    assert result.returncode == 2
    assert "git-annex 8.20200226 is too old" in result.stderr
    assert "10.20230126" in result.stderr


@pytest.mark.parametrize("prefix, rel, expected", [
    ("", ".", ""), ("/", ".", ""), ("pub", ".", "pub/"), ("/pub//v1/", "sub one",
                                                             "pub/v1/sub one/"),
    ("./a/", "b/./c", "a/b/c/"), ("", "sub one", "sub one/"),
])
def test_dataset_prefix(prefix, rel, expected):
    assert dataset_prefix(prefix, rel) == expected


def test_remote_log_newest_line_wins_and_escapes_decode():
    log = ("u1 name=s3 fileprefix=a&32;b/ bucket=x timestamp=10s\n"
           "u1 name=s3 fileprefix=c/ bucket=y timestamp=5s\n"
           "u2 name=t type=external timestamp=1.5s\n")
    assert parse_remote_log(log) == {"u1": {"name": "s3", "fileprefix": "a b/", "bucket": "x"},
                                     "u2": {"name": "t", "type": "external"}}
    assert parse_version("10.20230126-3~bpo12+1") == (10, 20230126)
    assert parse_version("8.20210223") < (10, 20230126)
