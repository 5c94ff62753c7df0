"""Many writers at once (issue #23), the real git-annex against real servers, races made
deterministic by the fault proxy's ``hold`` (a request kept until the other side has acted).

One owner per prefix: two ``initremote`` of two repositories on one new bucket + prefix, the
first held at a chosen request while the second runs to its end. Exactly one says ok; the
other is refused with one line naming the winner's UUID and the fix; the marker holds the
winner's UUID, the bucket stays, no claim object stays, and the winner stores into it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.faultproxy import FaultProxy, Rule
from support.repos import make_annex_repo, run
from support.server_fixtures import server_params

PREFIX = "ds/"
HELD = 120  # seconds to wait for the held request (a deadline, not a pause)


def initremote_args(bucket: str, endpoint: str) -> list[str]:
    return ["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
            "encryption=none", f"bucket={bucket}", f"endpoint={endpoint}",
            f"fileprefix={PREFIX}"]


def remote_uuid(repo: Path, env: dict[str, str]) -> str:
    return run(["git", "config", "remote.s3.annex-uuid"], repo, env, check=False).stdout.strip()


# On a server with conditional writes the marker PUT of the first is held (the second writes
# the marker first, the first then gets 412); on s3rver, which ignores them, the first is held
# at the same PUT after its claim listing saw no other claim (the second then sees its claim).
@pytest.mark.parametrize("s3", server_params(names=("moto", "ceph-http", "s3rver-http")),
                         indirect=True)
def test_two_initremotes_at_once_one_owner(tmp_path, env, s3, bucket_name):
    env = s3.env(env)
    first = make_annex_repo(tmp_path / "first", env, {"a.txt": b"first\n"})
    second = make_annex_repo(tmp_path / "second", env, {"b.txt": b"second\n"})
    proxy = FaultProxy(s3.endpoint).start()  # the remotes' endpoint: kept to the end
    try:
        race_for_one_prefix(proxy, s3, env, bucket_name, first, second)
    finally:
        proxy.stop()


def race_for_one_prefix(proxy: FaultProxy, s3, env: dict[str, str], bucket: str, first: Path,
                        second: Path) -> None:
    hold = Rule("hold", method="PUT", path=f".*/{PREFIX}annex-uuid", nth=1)
    proxy.set_rules(hold)
    try:
        held_run = subprocess.Popen(initremote_args(bucket, proxy.endpoint), cwd=first,
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
        assert hold.held.wait(HELD), "the first initremote never wrote its marker"
        other = run(initremote_args(bucket, proxy.endpoint), second, env, check=False)
    finally:
        hold.release()
    held_out, _ = held_run.communicate(timeout=600)
    outcomes = {first: (held_run.returncode, held_out), second: (other.returncode,
                                                                 other.stdout + other.stderr)}
    winners = [repo for repo, (code, _) in outcomes.items() if code == 0]
    assert len(winners) == 1, outcomes
    winner = winners[0]
    loser = second if winner == first else first
    owner = remote_uuid(winner, env)
    refusal = [line for line in outcomes[loser][1].splitlines() if owner in line]
    assert len(refusal) == 1, outcomes[loser][1]
    assert f"bucket {bucket} prefix '{PREFIX}'" in refusal[0], refusal
    assert "fileprefix=" in refusal[0] or "initremote again" in refusal[0], refusal
    assert "Traceback" not in outcomes[loser][1] and "internal error" not in outcomes[loser][1]
    assert s3.objects(bucket) == {f"{PREFIX}annex-uuid": owner.encode()}
    run(["git", "annex", "copy", "--to", "s3", "."], winner, env)
    stored = s3.objects(bucket, PREFIX)
    assert len(stored) == 2 and stored[f"{PREFIX}annex-uuid"] == owner.encode(), stored
