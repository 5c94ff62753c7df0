"""Many writers at once (issue #23), the real git-annex against real servers, races made
deterministic by the fault proxy's ``hold`` (a request kept until the other side has acted).

One owner per prefix: two ``initremote`` of two repositories on one new bucket + prefix, the
first held at a chosen request while the second runs to its end. Exactly one says ok; the
other is refused with one line naming the winner's UUID and the fix; the marker holds the
winner's UUID, the bucket stays, no claim object stays, and the winner stores into it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support.faultproxy import FaultProxy, Rule
from support.local_s3 import DUMMY_KEY, DUMMY_SECRET, objects_in
from support.repos import initremote, make_annex_repo, run
from support.server_fixtures import server_params
from support.server_info import ServerInfo
from support.verify import verify_remote
from test_two_clones_e2e import add_files, sync

from git_annex_remote_s3py.naming import key_object_name

PREFIX = "ds/"
HELD = 120  # seconds to wait for the held request (a deadline, not a pause)


def initremote_args(bucket: str, endpoint: str) -> list[str]:
    return ["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
            "encryption=none", f"bucket={bucket}", f"endpoint={endpoint}",
            f"fileprefix={PREFIX}"]


def start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start ``args``; its output (stdout and stderr) read by ``communicate``."""
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def remote_uuid(repo: Path, env: dict[str, str]) -> str:
    return run(["git", "config", "remote.s3.annex-uuid"], repo, env, check=False).stdout.strip()


# On a server with conditional writes (moto, Ceph RGW) the marker PUT of the first is held
# (the second writes the marker first, the first then gets 412); on s3rver, which ignores
# them, and Swift, which refuses them (501), the first is held at the same PUT after its claim
# listing saw no other claim (the second then sees its claim and is refused).
@pytest.mark.parametrize("s3", server_params(names=("moto", "ceph-http", "s3rver-http",
                                                         "swift-http")),
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
        held_run = start(initremote_args(bucket, proxy.endpoint), first, env)
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


# -- a server-side copy the server refuses -------------------------------------------------------
def test_export_rename_above_the_part_size_falls_back_when_part_copies_are_refused(
        tmp_path, env, s3_server, s3_proxy, bucket_name):
    """Swift answers 412 to UploadPartCopy with x-amz-copy-source-if-match for a multipart
    source (s3transfer: S3CopyFailedError; git-annex then hung on ``export -J4``): the
    rename is copied without the precondition, and the export finishes."""
    big = bytes(range(256)) * (5 * 4096 + 400)  # 5 MiB + 100 KiB: above partsize=5MiB
    repo = make_annex_repo(tmp_path / "repo", env, {"big.bin": big, "small.txt": b"small\n"})
    run(["git", "annex", "initremote", "tree", "type=external", "externaltype=s3py",
         "encryption=none", "exporttree=yes", f"bucket={bucket_name}",
         f"endpoint={s3_proxy.endpoint}", "fileprefix=t/", "partsize=5MiB"], repo, env)
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    refuse = Rule("412", method="PUT", header="x-amz-copy-source-if-match", query="partNumber")
    s3_proxy.set_rules(refuse)
    run(["git", "mv", "big.bin", "renamed.bin"], repo, env)
    run(["git", "commit", "-q", "-m", "rename"], repo, env)
    exported = run(["git", "annex", "export", "-J4", "HEAD", "--to", "tree"], repo, env,
                   check=False, timeout=300)
    output = exported.stdout + exported.stderr
    assert exported.returncode == 0, output
    assert "-> renamed.bin ok" in exported.stdout, output
    assert "internal error" not in output and "Traceback" not in output, output
    assert refuse.hits >= 1  # the managed copy did meet the refusal
    # moto's CopyObject of a multipart source keeps a checksum of the parts, which a CRC
    # check of the whole body would refuse: the bytes are compared without it
    client = ServerInfo(name="moto", endpoint=s3_server.endpoint, access_key=DUMMY_KEY,
                        secret_key=DUMMY_SECRET).client()
    stored = objects_in(client, bucket_name, "t/")
    stored.pop("t/annex-uuid")
    assert stored == {"t/renamed.bin": big, "t/small.txt": b"small\n"}
    assert client.list_multipart_uploads(Bucket=bucket_name).get("Uploads", []) == []


# -- several processes on one remote ------------------------------------------------------------
def annexed(repo: Path, env: dict[str, str], *where: str) -> dict[str, str]:
    """file -> key of the annexed files (``where``: e.g. ``--in``, ``s3``)."""
    listed = run(["git", "annex", "find", *where, "--format=${file} ${key}\\n"], repo, env)
    return dict(line.rsplit(" ", 1) for line in listed.stdout.splitlines())


def test_fsck_beside_two_copies_never_records_stored_keys_missing(tmp_path, env, s3_server,
                                                                  bucket_name):
    """``fsck --fast -J4`` has its checks of the keys stored before held at the proxy (its
    four jobs wait there) while two ``copy -J4`` processes of the same repository copy 20
    more files (and record them); fsck then asks for those, each by a HEAD sent after the
    copies: every stored key is recorded present (issue #23: a listing fetched before they
    were stored answered "absent" for 144 of 302), and a full fsck finds nothing to fix."""
    first = {f"a{i:02d}.txt": f"stored before {i}\n".encode() for i in range(30)}
    later = {f"z{i:02d}.txt": f"stored meanwhile {i}\n".encode() for i in range(20)}
    repo = make_annex_repo(tmp_path / "repo", env, {**first, **later})
    proxy = FaultProxy(s3_server.endpoint).start()
    try:
        initremote(repo, env, "s3", proxy, bucket_name, "encryption=none",
                   f"fileprefix={PREFIX}")
        run(["git", "annex", "copy", "--to", "s3", "-J4", *first], repo, env)
        stored_before = "|".join(re.escape(f"{PREFIX}{key}")
                                 for key in annexed(repo, env, "--in", "s3").values())
        hold = Rule("hold", method="HEAD", path=f"/{bucket_name}/({stored_before})")
        proxy.set_rules(hold)
        fsck = start(["git", "annex", "fsck", "--fast", "-J4", "--from", "s3"], repo, env)
        try:
            assert hold.held.wait(HELD), "fsck never asked"
            names = sorted(later)
            copies = [subprocess.Popen(["git", "annex", "copy", "--to", "s3", "-J4", *half],
                                       cwd=repo, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                      for half in (names[::2], names[1::2])]
            assert [copy.wait(timeout=600) for copy in copies] == [0, 0]
        finally:
            proxy.set_rules()  # fsck's held checks go again
            said, _ = fsck.communicate(timeout=600)
        keys = annexed(repo, env, "--include=*")
        in_bucket = s3_server.objects(bucket_name, PREFIX)
        stored = {name for name, key in keys.items() if f"{PREFIX}{key}" in in_bucket}
        assert stored == set(keys), "a copy failed"
        assert "content is missing" not in said, said
        assert set(annexed(repo, env, "--in", "s3")) == stored
        full = run(["git", "annex", "fsck", "--from", "s3", "-J4"], repo, env, check=False)
        assert full.returncode == 0, full.stdout + full.stderr
        assert "fixing location log" not in full.stdout + full.stderr
    finally:
        proxy.stop()


@pytest.mark.parametrize("s3", server_params(names=("swift-http",)), indirect=True)
def test_export_rename_above_the_part_size_on_swift(tmp_path, env, s3, bucket_name):
    """The field case: Swift refuses the part copies of a multipart (SLO) source with
    ``x-amz-copy-source-if-match`` (412); ``export -J4`` of the rename finishes, the bytes
    under the new name."""
    env = s3.env(env)
    big = bytes(range(256)) * (5 * 4096 + 400)  # 5 MiB + 100 KiB: above partsize=5MiB
    repo = make_annex_repo(tmp_path / "repo", env, {"big.bin": big, "small.txt": b"small\n"})
    run(["git", "annex", "initremote", "tree", "type=external", "externaltype=s3py",
         "encryption=none", "exporttree=yes", f"bucket={bucket_name}",
         f"endpoint={s3.endpoint}", "fileprefix=t/", "partsize=5MiB"], repo, env)
    run(["git", "annex", "export", "HEAD", "--to", "tree"], repo, env)
    run(["git", "mv", "big.bin", "renamed.bin"], repo, env)
    run(["git", "commit", "-q", "-m", "rename"], repo, env)
    exported = run(["git", "annex", "export", "-J4", "--debug", "HEAD", "--to", "tree"], repo,
                   env, check=False, timeout=300)
    output = exported.stdout + exported.stderr
    assert exported.returncode == 0, output
    assert "-> renamed.bin ok" in exported.stdout, output
    assert "internal error" not in output, output
    assert "refused the copy's precondition" in exported.stderr  # Swift's 412, met
    stored = s3.objects(bucket_name, "t/")
    stored.pop("t/annex-uuid")
    assert stored == {"t/renamed.bin": big, "t/small.txt": b"small\n"}


# -- two clones of one repository on one bucket --------------------------------------------------
def test_fsck_in_one_clone_while_the_other_copies_and_drops_keeps_the_logs_true(
        tmp_path, env, s3_server, bucket_name):
    """Clone A's ``fsck --fast -J4 --from s3`` is held at one HEAD mid-way while clone B
    stores 12 new keys (A knows their files, not that they are stored) and drops 10 of A's
    from the bucket; then A goes on. After both sync, each clone's ``find --in s3`` is exactly
    the keys whose objects are in the bucket, and a full fsck in each finds nothing to fix."""
    kept = {f"a{i:02d}.txt": f"stored, kept {i}\n".encode() for i in range(20)}
    dropped = {f"d{i:02d}.txt": f"stored, dropped by B {i}\n".encode() for i in range(10)}
    a = make_annex_repo(tmp_path / "a", env, {**kept, **dropped})
    proxy = FaultProxy(s3_server.endpoint).start()
    try:
        initremote(a, env, "s3", proxy, bucket_name, "encryption=none", f"fileprefix={PREFIX}")
        run(["git", "annex", "copy", "--to", "s3", "-J4", "."], a, env)
        b = tmp_path / "b"
        run(["git", "clone", "-q", str(a), str(b)], tmp_path, env)
        run(["git", "annex", "init", "-q", "b"], b, env)
        run(["git", "annex", "enableremote", "s3"], b, env)
        verify_remote(b, env, "s3")
        run(["git", "remote", "add", "b", str(b)], a, env)
        run(["git", "annex", "get", "-q", "--from", "s3", *dropped], b, env)  # B's own copy
        new = {f"n{i:02d}.txt": f"new in B {i}\n".encode() for i in range(12)}
        add_files(b, env, new)
        sync(b, a, env=env)  # A has B's new files: fsck asks for them too
        hold = Rule("hold", method="HEAD", nth=9)
        proxy.set_rules(hold)
        fsck = start(["git", "annex", "fsck", "--fast", "-J4", "--from", "s3"], a, env)
        try:
            assert hold.held.wait(HELD), "fsck never got to its 9th HEAD"
            run(["git", "annex", "copy", "--to", "s3", "-J4", *new], b, env)
            run(["git", "annex", "drop", "--from", "s3", "-J4", *dropped], b, env)
        finally:
            hold.release()
            said, _ = fsck.communicate(timeout=600)
        proxy.set_rules()
        in_bucket = s3_server.objects(bucket_name, PREFIX)
        keys = annexed(a, env, "--include=*")
        stored = {name for name, key in keys.items()
                  if key_object_name(PREFIX, key) in in_bucket}
        assert stored == set(kept) | set(new), (stored, said)
        sync(a, b, a, env=env)
        for clone in (a, b):
            assert set(annexed(clone, env, "--in", "s3")) == stored, (clone, said)
            full = run(["git", "annex", "fsck", "--from", "s3", "-J4"], clone, env, check=False)
            assert full.returncode == 0, full.stdout + full.stderr
            assert "fixing location log" not in full.stdout + full.stderr
    finally:
        proxy.stop()


# -- s3py-publish workers racing for one prefix --------------------------------------------------
def publish_args(ds: Path, bucket: str, endpoint: str) -> list[str]:
    return ["s3py-publish", str(ds), "--bucket", bucket, "--endpoint", endpoint,
            "--prefix", PREFIX, "--mode", "key"]


def test_three_publishers_at_one_prefix_one_owner(tmp_path, env, s3_server, bucket_name):
    """Three datasets published at one bucket + --prefix at once: the first's marker PUT is
    held until the two others have run (at once) to their end. Exactly one publishes; the two
    others each fail with one line naming the winner's UUID; the bucket holds the marker with
    the winner's UUID and every object of the winner, nothing else."""
    datasets = [make_annex_repo(tmp_path / f"ds{n}", env, {f"f{n}.bin": f"ds {n}\n".encode(),
                                                           "same.txt": b"in every dataset\n"})
                for n in range(3)]
    proxy = FaultProxy(s3_server.endpoint).start()
    hold = Rule("hold", method="PUT", path=f".*/{PREFIX}annex-uuid", nth=1)
    proxy.set_rules(hold)
    try:
        started = [start(publish_args(datasets[0], bucket_name, proxy.endpoint), tmp_path, env)]
        try:
            assert hold.held.wait(HELD), "the first publisher never wrote its marker"
            others = [start(publish_args(ds, bucket_name, proxy.endpoint), tmp_path, env)
                      for ds in datasets[1:]]
            for process in others:
                process.wait(timeout=600)
            started += others
        finally:
            hold.release()
        said = [process.communicate(timeout=600)[0] for process in started]
    finally:
        proxy.stop()
    outcomes = {ds: (process.returncode, out) for ds, process, out in
                zip(datasets, started, said)}
    winners = [ds for ds, (code, _) in outcomes.items() if code == 0]
    assert len(winners) == 1, outcomes
    (winner,) = winners
    owner = remote_uuid(winner, env)
    assert owner, outcomes
    for ds, (code, out) in outcomes.items():
        if ds != winner:
            assert code != 0 and len([ln for ln in out.splitlines() if owner in ln]) == 1, out
            assert "Traceback" not in out and "internal error" not in out, out
    winner_keys = annexed(winner, env, "--include=*")
    assert s3_server.objects(bucket_name) == {
        f"{PREFIX}annex-uuid": owner.encode(),
        **{key_object_name(PREFIX, key): (winner / name).read_bytes()
           for name, key in winner_keys.items()}}
