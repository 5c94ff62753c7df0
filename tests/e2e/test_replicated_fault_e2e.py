"""A replicated store losing a storage daemon in the middle of ``git annex copy -J4``.

OpenStack Swift with three storage nodes and rings of three replicas (support/swift.py): one
node's object server is killed (SIGKILL) while the fault proxy holds an upload, and started
again while it holds a later one, so both happen while copies are in flight, in that order,
without sleeps. Every copy must end ok or fail cleanly; afterwards ``fsck --fast`` and a full
``fsck`` must agree with what the store holds (read directly, not through the remote), and
nothing copied may be lost.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
from pathlib import Path

from support.faultproxy import FaultProxy, Rule
from support.repos import initremote, make_annex_repo, run

HELD = 180  # seconds to wait for a held request (a deadline, not a pause)
MiB = 1024 * 1024
REMOTE = "s3"


def data(name: str, size: int) -> bytes:
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def stored_objects(node: Path) -> int:
    """How many objects one Swift storage node holds (its ``.data`` files)."""
    return sum(1 for _ in node.rglob("objects/**/*.data"))


def stored(s3, bucket: str, expected: dict[str, bytes]) -> dict[str, bool]:
    """key -> the store holds exactly its bytes (asked of Swift itself, not through the
    proxy or the remote)."""
    client = s3.client()
    truth = {}
    for key, body in expected.items():
        try:
            truth[key] = client.get_object(Bucket=bucket, Key=key)["Body"].read() == body
        except client.exceptions.NoSuchKey:
            truth[key] = False
    return truth


def results(output: str) -> dict[str, dict]:
    """git-annex's --json lines by key."""
    return {r["key"]: r for r in map(json.loads, output.splitlines()) if "key" in r}


def test_object_server_killed_during_copy_and_brought_back(tmp_path, env, swift3, bucket_name):
    s3 = swift3.http
    env = s3.env(env)
    files = {f"f{i:02d}.bin": data(f"f{i}", 20_000 + i) for i in range(24)}
    files["big.bin"] = data("big", 6 * MiB)  # multipart with partsize=5MiB
    repo = make_annex_repo(tmp_path / "repo", env, files)
    proxy = FaultProxy(s3.endpoint).start()  # the remote's endpoint: kept to the end
    try:
        copy_kill_restart_fsck(swift3, proxy, repo, env, files, bucket_name)
    finally:
        proxy.stop()


def copy_kill_restart_fsck(swift3, proxy: FaultProxy, repo: Path, env: dict[str, str],
                           files: dict[str, bytes], bucket_name: str) -> None:
    s3 = swift3.http
    initremote(repo, env, REMOTE, dataclasses.replace(s3, endpoint=proxy.endpoint),
               bucket_name, "encryption=none", "partsize=5MiB")
    keys = {name: run(["git", "annex", "lookupkey", name], repo, env).stdout.strip()
            for name in files}
    uploads = rf"/{bucket_name}/SHA256E-.*"
    kill = Rule("hold", method="PUT", path=uploads, nth=4)
    back = Rule("hold", method="PUT", path=uploads, nth=14)
    proxy.set_rules(kill, back)
    copy = subprocess.Popen(["git", "annex", "copy", "-J4", "--json", "--to", REMOTE, "."],
                            cwd=repo, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert kill.held.wait(HELD), "the 4th upload never came"
        swift3.stop_object_server(2)
        kill.release()  # its connection is reset: botocore sends it again
        assert back.held.wait(HELD), "the 14th upload never came"
        swift3.start_object_server(2)
        back.release()
        out, err = copy.communicate(timeout=600)
    finally:
        if copy.poll() is None:
            copy.kill()
            copy.communicate()

    copied = results(out)
    assert set(copied) == set(keys.values()), out + err  # each copy ended, ok or failed
    assert "Traceback" not in err and "internal error" not in err, err
    failed = {key for key, r in copied.items() if not r["success"]}
    assert all(r["error-messages"] for key, r in copied.items() if key in failed), out
    # the node was down while uploads went on: it lacks what was written meanwhile
    nodes = [stored_objects(swift3.dir / f"node{n}") for n in (1, 2, 3)]
    assert nodes[1] < nodes[0] and nodes[1] < nodes[2], nodes

    truth = stored(s3, bucket_name, {keys[name]: body for name, body in files.items()})
    # every copy reported ok holds the file's bytes (a failed one may or may not be there)
    assert all(truth[key] for key in keys.values() if key not in failed), (truth, failed)

    fast = run(["git", "annex", "fsck", "--fast", "--json", "--from", REMOTE, "."], repo, env,
               check=False)
    full = run(["git", "annex", "fsck", "--json", "--from", REMOTE, "."], repo, env,
               check=False)
    for check in (fast, full):
        found = results(check.stdout)
        assert set(found) == set(keys.values()), check.stdout + check.stderr
        assert {key: r["success"] for key, r in found.items()} == truth, check.stdout
        assert "Traceback" not in check.stderr, check.stderr
    whereis = run(["git", "annex", "whereis", "--json", "."], repo, env, check=False)
    for key, r in results(whereis.stdout).items():  # what fsck recorded: the truth
        descriptions = " ".join(w["description"] for w in r["whereis"])
        assert (REMOTE in descriptions) == truth[key], r
