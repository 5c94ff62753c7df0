"""s3py-publish at the edges, with real DataLad and git-annex against moto's server: a
subdataset that is not installed, files whose content is not here, ``--version``, the
``to_send`` list of a real run, and export mode with ``--sibling`` followed by ``datalad push``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from support.repos import make_annex_repo, run, run_with_reader_gone
from test_publish import make_hierarchy, publish

from git_annex_remote_s3py import __version__

pytestmark = [pytest.mark.e2e, pytest.mark.datalad]

MAKE_DATASET = """
import sys
from pathlib import Path
import datalad.api as dl

root = Path(sys.argv[1])
ds = dl.create(str(root), result_renderer="disabled")
(root / "a.bin").write_bytes(b"annexed a\\n" * 50)
(root / "README.txt").write_text("in git\\n")
dl.save(dataset=str(root), path=[str(root / "README.txt")], to_git=True,
        result_renderer="disabled")
ds.save(message="data", result_renderer="disabled")
"""


def test_version(tmp_path, env):
    shown = run(["s3py-publish", "--version"], tmp_path, env)
    assert shown.stdout == f"s3py-publish {__version__}\n"


def file_bytes(ds: Path, env: dict[str, str]) -> dict[str, bytes]:
    """path -> content of every file of HEAD, subdatasets (gitlinks) left out."""
    staged = run(["git", "ls-files", "-s", "-z"], ds, env).stdout.split("\0")
    return {entry.split("\t", 1)[1]: (ds / entry.split("\t", 1)[1]).read_bytes()
            for entry in filter(None, staged) if not entry.startswith("160000 ")}


def annexed_without_content(ds: Path, env: dict[str, str]) -> list[str]:
    found = run(["git", "annex", "find", "--not", "--in", "here", "--print0"], ds, env).stdout
    return sorted(filter(None, found.split("\0")))


def test_clone_without_content_and_subdataset_not_installed(tmp_path, env, s3_server,
                                                            bucket_name):
    origin = make_hierarchy(tmp_path / "origin", env)
    clone = tmp_path / "clone"
    run(["datalad", "clone", str(origin), str(clone)], tmp_path, env)
    run(["datalad", "get", "-n", "sub one"], clone, env)  # installed; "sub one/subsub" is not
    args = ["--bucket", bucket_name, "--endpoint", s3_server.endpoint]

    first = publish(clone, env, *args, expect=1)
    assert set(first) == {".", "sub one", "sub one/subsub"}
    for rel in (".", "sub one"):
        missing = annexed_without_content(clone / rel, env)
        assert missing == ["data/x y.bin", "raw.dat"]
        record = first[rel]
        assert record["status"] == "error"
        assert record["message"] == (
            "2 file(s) failed: " + "; ".join(
                f"{name}: its content is not in this dataset: datalad get it, then run again"
                for name in missing))
    skipped = first["sub one/subsub"]
    assert skipped["status"] == "skipped" and skipped["sent"] == 0
    assert skipped["fileprefix"] == "sub one/subsub/"
    assert skipped["message"] == (f"not installed, so not published: install it with datalad "
                                  f"get -n -d {clone} 'sub one/subsub', then run again")
    assert not [name for name in s3_server.objects(bucket_name)
                if name.startswith("sub one/subsub/")]
    text = run(["s3py-publish", str(clone), *args], tmp_path, env, check=False)
    assert text.returncode == 1
    assert f"skipped  sub one/subsub: {skipped['message']}\n" in text.stdout
    assert text.stdout.rstrip().endswith("; 2 failed; 1 not installed, skipped")

    for rel in (".", "sub one"):
        run(["git", "annex", "get", "-q", "."], clone / rel, env)
    second = publish(clone, env, *args)
    for rel in (".", "sub one"):
        assert second[rel]["status"] == "ok"
        assert sorted(second[rel]["to_send"]) == ["data/x y.bin", "raw.dat"]
        assert second[rel]["sent"] == 2
    assert second["sub one/subsub"]["status"] == "skipped"
    objects = s3_server.objects(bucket_name)
    for rel, prefix in ((".", ""), ("sub one", "sub one/")):
        for name, content in file_bytes(clone / rel, env).items():
            assert objects[prefix + name] == content

    third = publish(clone, env, *args)
    assert [third[rel]["to_send"] for rel in (".", "sub one")] == [[], []]
    assert [third[rel]["sent"] for rel in (".", "sub one")] == [0, 0]


def make_dataset_with_sibling(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path]:
    top = tmp_path / "ds"
    run([sys.executable, "-c", MAKE_DATASET, str(top)], tmp_path, env)
    github = tmp_path / "github.git"
    run(["git", "init", "-q", "--bare", str(github)], tmp_path, env)
    run(["datalad", "siblings", "add", "-d", str(top), "--name", "github", "--url",
         str(github)], top, env)
    return top, github


def publish_depends(ds: Path, env: dict[str, str]) -> list[str]:
    return run(["git", "config", "--get-all", "remote.github.datalad-publish-depends"], ds,
               env, check=False).stdout.split()


def test_export_mode_sibling_is_not_made_to_depend_and_push_works(tmp_path, env, s3_server,
                                                                  bucket_name):
    top, github = make_dataset_with_sibling(tmp_path, env)
    args = ["--bucket", bucket_name, "--endpoint", s3_server.endpoint, "--sibling", "github"]
    first = publish(top, env, *args)
    assert first["."]["status"] == "ok" and sorted(first["."]["to_send"]) == [
        ".datalad/.gitattributes", ".datalad/config", ".gitattributes", "README.txt", "a.bin"]
    assert first["."]["sibling"] == (
        "github not made to depend on s3: datalad push sends data with git annex copy, which "
        "git-annex refuses for an export remote; after a new commit, run s3py-publish again, "
        "then datalad push --to github (or publish with --mode key)")
    assert publish_depends(top, env) == []

    (top / "late.bin").write_bytes(os.urandom(400))
    run(["datalad", "save", "-m", "late"], top, env)
    pushed = run(["datalad", "push", "--to", "github"], top, env, check=False)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "CommandError" not in pushed.stdout + pushed.stderr
    head = run(["git", "rev-parse", "HEAD"], top, env).stdout
    assert run(["git", "rev-parse", "main"], github, env).stdout == head

    second = publish(top, env, *args)
    assert second["."]["to_send"] == ["late.bin"] and second["."]["sent"] == 1
    assert s3_server.objects(bucket_name)["late.bin"] == (top / "late.bin").read_bytes()

    run(["git", "config", "--add", "remote.github.datalad-publish-depends", "s3"], top, env)
    third = publish(top, env, *args)
    assert third["."]["sibling"].startswith(
        "github depends on s3, but datalad push sends data with git annex copy, which git-annex "
        "refuses for an export remote: after a new commit, datalad push --to github fails; "
        "remove it (git config --unset-all remote.github.datalad-publish-depends '^s3$')")
    run(["git", "config", "--unset-all", "remote.github.datalad-publish-depends", "^s3$"], top,
        env)
    assert publish_depends(top, env) == []


def test_json_into_a_closed_pipe_ends_quietly(tmp_path, env, s3_server, bucket_name):
    """``s3py-publish --json | head``: the reader gone, it ends as Unix tools do."""
    ds = make_annex_repo(tmp_path / "ds", env, {"a.bin": b"a\n"})
    args = ["s3py-publish", str(ds), "--bucket", bucket_name, "--endpoint", s3_server.endpoint,
            "--json", "--dry-run"]
    planned = publish(ds, env, *args[2:])
    assert planned["."]["status"] == "planned"
    gone = run_with_reader_gone(args, tmp_path, env)
    assert gone.returncode == 141
    assert "Traceback" not in gone.stderr and "BrokenPipeError" not in gone.stderr
