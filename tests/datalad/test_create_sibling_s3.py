"""``datalad create-sibling-s3``: a dataset hierarchy hosted entirely in one bucket (data and
git history, one prefix per dataset), pushed with ``datalad push -r``, cloned with
``datalad clone`` (its URL, or s3+http://) and ``datalad get -r``, against real DataLad,
real git-annex and moto (through the fault proxy, which tells signed from anonymous
requests) or Ceph RGW.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.public import assert_anonymous, credential_free_env
from support.repos import run
from support.server_fixtures import server_params

pytestmark = pytest.mark.datalad
FILES = {".": {"top.txt": b"top level\n"},
         "sub one": {"data/s 1.bin": bytes(range(256)) * 8},
         "sub one/deep": {"deep.txt": b"two levels down\n"}}
PREFIX = "studies/top"
TWO = {ds: FILES[ds] for ds in (".", "sub one")}  # where the third level adds nothing


def with_extension(env: dict[str, str]) -> dict[str, str]:
    """DataLad loads the s3py extension (and datalad-next's patches) for every command, as
    docs/datalad.md has users configure it."""
    return {**env, "DATALAD_EXTENSIONS_LOAD": "s3py"}


def make_hierarchy(top: Path, env: dict[str, str], datasets: dict = FILES) -> Path:
    run(["datalad", "create", str(top)], top.parent, env)
    for sub in (ds for ds in datasets if ds != "."):
        parent = str(Path(sub).parent)
        run(["datalad", "create", "-d", parent, sub], top, env)
    for ds, files in datasets.items():
        for name, content in files.items():
            (top / ds / name).parent.mkdir(parents=True, exist_ok=True)
            (top / ds / name).write_bytes(content)
    run(["datalad", "save", "-r", "-m", "files"], top, env)
    return top


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def create_siblings(top: Path, env: dict[str, str], endpoint: str, bucket: str,
                    *options: str) -> list[dict]:
    made = run(["datalad", "-f", "json", "create-sibling-s3", "-r", "--endpoint", endpoint,
                *options, f"s3://{bucket}/{PREFIX}"], top, env)
    return records(made.stdout)


def prefix_of(ds: str) -> str:
    return f"{PREFIX}/" if ds == "." else f"{PREFIX}/{ds}/"


def assert_files(clone: Path, datasets: dict = FILES) -> None:
    for ds, files in datasets.items():
        for name, content in files.items():
            assert (clone / ds / name).read_bytes() == content, f"{ds}/{name}"


def test_public_hierarchy_push_clone_get(tmp_path, env, s3_proxy, s3_server, bucket_name):
    env = with_extension(env)
    top = make_hierarchy(tmp_path / "top", env)
    made = create_siblings(top, env, s3_proxy.endpoint, bucket_name, "--public")
    siblings = {(Path(r["path"]).relative_to(top).as_posix(), r["name"]): r for r in made
                if r.get("type") == "sibling"}
    assert set(siblings) == {(ds, name) for ds in FILES for name in ("s3", "s3-storage")}
    for (ds, _), res in siblings.items():
        assert res["status"] == "ok"
        assert res["url"].startswith("datalad-annex::?type=external&externaltype=s3py")
        assert res["url"].endswith(f"&fileprefix={prefix_of(ds)}".replace(" ", "%20"))
        assert "secret" not in res["url"].lower() and "testing-" not in res["url"]
    assert run(["git", "config", "remote.s3.datalad-publish-depends"], top / "sub one",
               env).stdout.strip() == "s3-storage"
    history = run(["git", "log", "-p", "--all"], top, env).stdout  # git-annex branch too
    assert env["AWS_SECRET_ACCESS_KEY"] not in history and env["AWS_ACCESS_KEY_ID"] not in history

    pushed = run(["datalad", "push", "-r", "--to", "s3"], top, env).stdout
    assert pushed.count("copy(ok)") == 3, pushed  # data first (publish-depends), then git
    for ds in FILES:
        assert pushed.index(f"publish(ok): {ds} (dataset) [refs/heads/main") > pushed.index(
            f"copy(ok): {'' if ds == '.' else ds + '/'}{next(iter(FILES[ds]))}"), pushed
    stored = s3_server.objects(bucket_name)
    for ds in FILES:
        owner = run(["git", "config", "remote.s3-storage.annex-uuid"], top / ds, env)
        assert stored[prefix_of(ds) + "annex-uuid"].decode().strip() == owner.stdout.strip()
        assert {prefix_of(ds) + "XDLRA--refs", prefix_of(ds) + "XDLRA--repo-export"} <= set(
            stored)
    again = run(["datalad", "push", "-r", "--to", "s3"], top, env).stdout
    assert "copy(ok)" not in again and "publish(ok)" not in again, again
    # A second push sends no data and no ref. (datalad-next 1.6's helper rewrites its two
    # deposit objects on every git push it runs for, changed or not: docs/datalad.md.)
    now = s3_server.objects(bucket_name)
    assert set(now) == set(stored)
    assert {name: now[name] for name in now if "/XDLRA--" not in name} == {
        name: stored[name] for name in stored if "/XDLRA--" not in name}

    free = with_extension(credential_free_env(tmp_path / "free-home"))
    mark = s3_proxy.mark()
    clone_url = siblings[(".", "s3")]["url"]
    run(["datalad", "clone", clone_url, "clone"], tmp_path, free)
    got = run(["datalad", "get", "-r", "."], tmp_path / "clone", free).stdout
    assert got.count("get(ok)") == 3, got
    assert_files(tmp_path / "clone")
    data = {prefix_of(ds) + name for ds in FILES for name in ("XDLRA--refs",
                                                              "XDLRA--repo-export")}
    assert_anonymous(s3_proxy.since(mark), bucket_name, data)


def test_filetree_mode_and_s3_url_clone(tmp_path, env, s3_server, bucket_name):
    env = with_extension(env)
    top = make_hierarchy(tmp_path / "top", env, TWO)
    made = create_siblings(top, env, s3_server.endpoint, bucket_name, "--mode", "filetree",
                           "-s", "bucket")
    assert {r["name"] for r in made if r.get("type") == "sibling"} == {"bucket",
                                                                         "bucket-storage"}
    run(["datalad", "push", "-r", "--to", "bucket"], top, env)
    stored = s3_server.objects(bucket_name)
    for ds, files in TWO.items():  # real file names, under each dataset's prefix
        for name, content in files.items():
            assert stored[prefix_of(ds) + name] == content
    host = s3_server.endpoint.split("://", 1)[1]
    run(["datalad", "clone", f"s3+http://{host}/{bucket_name}/{PREFIX}", "clone"], tmp_path,
        env)
    run(["datalad", "get", "-r", "."], tmp_path / "clone", env)
    assert_files(tmp_path / "clone", TWO)


def test_existing_conflicts_are_checked_before_anything_changes(tmp_path, env, s3_server,
                                                                bucket_name):
    env = with_extension(env)
    top = make_hierarchy(tmp_path / "top", env, TWO)
    run(["git", "remote", "add", "s3", "https://example.org/elsewhere.git"], top / "sub one",
        env)
    refused = run(["datalad", "-f", "json", "create-sibling-s3", "-r", "--endpoint",
                   s3_server.endpoint, f"s3://{bucket_name}/{PREFIX}"], top, env, check=False)
    assert refused.returncode != 0
    errors = [r for r in records(refused.stdout) if r["status"] == "error"]
    assert [(Path(r["path"]).name, r["name"]) for r in errors] == [("sub one", "s3")]
    assert run(["git", "remote"], top, env).stdout.split() == []  # nothing made anywhere
    assert s3_server.client().list_buckets()["Buckets"] == [] or bucket_name not in {
        b["Name"] for b in s3_server.client().list_buckets()["Buckets"]}

    skipped = create_siblings(top, env, s3_server.endpoint, bucket_name, "--existing", "skip")
    by_where = {(Path(r["path"]).name, r["name"], r["status"]) for r in skipped
                if r.get("type") == "sibling"}
    assert ("sub one", "s3", "notneeded") in by_where
    assert ("sub one", "s3-storage", "ok") in by_where
    assert ("top", "s3", "ok") in by_where


@pytest.mark.parametrize("s3", server_params(names=("ceph-http",)), indirect=True)
def test_hierarchy_on_a_real_server(tmp_path, env, s3, bucket_name):
    env = s3.env(with_extension(env))
    top = make_hierarchy(tmp_path / "top", env, TWO)
    made = create_siblings(top, env, s3.endpoint, bucket_name)
    run(["datalad", "push", "-r", "--to", "s3"], top, env)
    clone_url = next(r["url"] for r in made if r.get("name") == "s3" and r["path"] == str(top))
    run(["datalad", "clone", clone_url, "clone"], tmp_path, env)
    got = run(["datalad", "get", "-r", "."], tmp_path / "clone", env).stdout
    assert got.count("get(ok)") == len(TWO), got
    assert_files(tmp_path / "clone", TWO)


def test_a_clone_reconfigures_and_pushes(tmp_path, env, s3_server, bucket_name):
    """In a clone, the storage sibling is autoenabled (git-annex 10.2025+: unverified, so
    writes are refused); --existing reconfigure checks it against the command line and
    confirms it (verifyremote), after which the clone pushes."""
    env = with_extension(env)
    ds = tmp_path / "ds"
    run(["datalad", "create", str(ds)], tmp_path, env)
    (ds / "first.txt").write_text("first\n")
    run(["datalad", "save", "-m", "first"], ds, env)
    location = [s3_server.endpoint, f"s3://{bucket_name}/{PREFIX}"]
    made = records(run(["datalad", "-f", "json", "create-sibling-s3", "--endpoint",
                        *location], ds, env).stdout)
    run(["datalad", "push", "--to", "s3"], ds, env)
    clone_url = next(r["url"] for r in made if r.get("name") == "s3")
    run(["datalad", "clone", clone_url, "clone"], tmp_path, env)
    clone = tmp_path / "clone"
    (clone / "second.txt").write_text("second\n")
    run(["datalad", "save", "-m", "second"], clone, env)
    redone = records(run(["datalad", "-f", "json", "create-sibling-s3", "--existing",
                          "reconfigure", "--endpoint", *location], clone, env).stdout)
    assert {(r["action"], r["name"], r["status"]) for r in redone
            if r.get("type") == "sibling"} == {
        ("reconfigure_create_sibling_s3.storage", "s3-storage", "ok"),
        ("create_sibling_s3", "s3", "ok")}
    verified = run(["git", "config", "remote.s3-storage.annex-verified"], clone, env,
                   check=False).stdout.strip()
    assert verified in ("", "verified")  # "" on git-annex 10.20230126 (no such rule)
    run(["datalad", "push", "--to", "s3"], clone, env)
    key = run(["git", "annex", "lookupkey", "second.txt"], clone, env).stdout.strip()
    assert s3_server.objects(bucket_name)[f"{PREFIX}/{key}"] == b"second\n"
    run(["git", "pull", "-q", "s3", "main"], ds, env)
    assert run(["git", "log", "-1", "--format=%s"], ds, env).stdout.strip() == "second"


@pytest.mark.parametrize("mode, siblings, depends, layout", [
    ("filetree-only", {"s3"}, None, "yes"),
    ("git-only", {"s3"}, "", None),
], ids=["storage-only", "git-only"])
def test_the_one_sibling_modes(tmp_path, env, s3_server, bucket_name, mode, siblings, depends,
                               layout):
    """The storage-only modes make the special remote alone, under --name (its layout from
    the mode: exporttree=yes for filetree-only), at the dataset's prefix; git-only the git
    sibling alone, publish-depending on nothing (SIBLING_MODES in datalad_ext)."""
    env = with_extension(env)
    top = make_hierarchy(tmp_path / "top", env, {".": FILES["."]})
    made = create_siblings(top, env, s3_server.endpoint, bucket_name, "--mode", mode)
    assert {r["name"] for r in made if r.get("type") == "sibling"} == siblings
    assert all(r["status"] == "ok" for r in made if r.get("type") == "sibling")
    remotes = set(run(["git", "remote"], top, env).stdout.split())
    special = run(["git", "config", "--get", "remote.s3.annex-externaltype"], top, env,
                  check=False).stdout.strip()
    assert remotes == {"s3"} and (special == "s3py") is (layout is not None)
    if layout:
        remote_log = run(["git", "cat-file", "-p", "git-annex:remote.log"], top, env).stdout
        assert f"exporttree={layout}" in remote_log and f"fileprefix={PREFIX}/" in remote_log
        assert f"{PREFIX}/annex-uuid" in s3_server.objects(bucket_name)
    else:
        assert run(["git", "config", "--get", "remote.s3.datalad-publish-depends"], top, env,
                   check=False).stdout.strip() == depends
        assert run(["git", "config", "remote.s3.annex-ignore"], top, env).stdout.strip() == "true"
