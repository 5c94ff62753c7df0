"""s3py-publish from fresh clones: the remote it reuses (autoenabled) or enables must be
writable afterwards. git-annex 10.2025+ holds such a remote unverified (writes and pushes
refused until ``verifyremote``); the publisher confirms it once its settings matched."""

from __future__ import annotations

import json
import os
from pathlib import Path

from support.annex_version import needs_verifyremote
from support.repos import make_annex_repo, run


def publish(ds: Path, env: dict[str, str], *args: str) -> dict:
    result = run(["s3py-publish", str(ds), "--json", *args], ds.parent, env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    return record


def test_publish_from_clones_reuses_and_enables(tmp_path, env, s3_server, bucket_name):
    args = ("--bucket", bucket_name, "--endpoint", s3_server.endpoint, "--mode", "key")
    origin = make_annex_repo(tmp_path / "origin", env, {"a.bin": os.urandom(300)})
    assert publish(origin, env, *args)["remote_action"] == "create"

    for name, action in (("reused", "reuse"), ("enabled", "enable")):
        clone = tmp_path / name
        run(["git", "clone", "-q", str(origin), str(clone)], tmp_path, env)
        run(["git", "annex", "init", "-q", name], clone, env)  # autoenables s3
        if action == "enable":
            run(["git", "remote", "remove", "s3"], clone, env)
        added = os.urandom(200 + len(name))
        (clone / f"{name}.bin").write_bytes(added)
        run(["git", "annex", "add", "-q", f"{name}.bin"], clone, env)
        run(["git", "commit", "-q", "-m", name], clone, env)
        record = publish(clone, env, *args)
        assert (record["remote_action"], record["status"], record["sent"]) == (action, "ok", 1)
        key = run(["git", "annex", "lookupkey", f"{name}.bin"], clone, env).stdout.strip()
        assert s3_server.objects(bucket_name, key) == {key: added}
        if needs_verifyremote():
            state = run(["git", "config", "remote.s3.annex-verified"], clone, env).stdout
            assert state.strip() == "verified"
        run(["git", "push", "-q", "origin", "HEAD:refs/heads/from-" + name], clone, env)


def test_export_refuses_names_with_a_newline(tmp_path, env, s3_server, bucket_name):
    """Both git-annex versions: nothing of the dataset is exported, the message names it."""
    ds = make_annex_repo(tmp_path / "ds", env, {"new\nline": b"A\n", "newline": b"B\n"})
    result = run(["s3py-publish", str(ds), "--json", "--bucket", bucket_name, "--endpoint",
                  s3_server.endpoint], ds.parent, env, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["status"] == "error"
    assert "contain a newline, e.g. 'new\\nline'" in record["message"], record["message"]
    assert set(s3_server.objects(bucket_name)) <= {"annex-uuid"}
