"""Issue #12: objects another client deletes while ``git annex drop -J8`` runs are never
answered present, so drop keeps their last copy.

The fault proxy in front of moto's server holds every check of those objects that arrives
before the other client deleted them (as another clone's ``drop --from`` would), then lets
them go (their connections reset, the remote asks again): no check of them is answered from
anything the server said before the deletion, deterministically.
"""

from __future__ import annotations

import re
import subprocess

from support.faultproxy import Rule
from support.repos import initremote, make_annex_repo, run

from git_annex_remote_s3py.naming import key_object_name

PREFIX = "sp/"
HELD = 120  # seconds to wait for the held request (a deadline, not a pause)


def test_drop_keeps_the_last_copy_of_objects_deleted_meanwhile(tmp_path, env, s3_server,
                                                               s3_proxy, bucket_name):
    files = {f"f{i:02d}.txt": f"content {i}\n".encode() for i in range(30)}
    repo = make_annex_repo(tmp_path / "a", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none",
               f"fileprefix={PREFIX}")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    run(["git", "annex", "numcopies", "1"], repo, env)
    found = run(["git", "annex", "find", "--format=${file} ${key}\\n", "."], repo, env)
    key_of = dict(line.split(" ", 1) for line in found.stdout.splitlines())
    victims = [f"f{i:02d}.txt" for i in range(20, 30)]
    victim_objects = "|".join(re.escape(key_object_name(PREFIX, key_of[name]))
                              for name in victims)
    hold = Rule("hold", method="HEAD", path=f"/{bucket_name}/({victim_objects})")
    s3_proxy.set_rules(hold)
    drop = subprocess.Popen(["git", "annex", "drop", "-J8", "."], cwd=repo, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert hold.held.wait(HELD), "drop never asked for a victim"
        client = s3_server.client()
        for name in victims:  # another client deletes them
            client.delete_object(Bucket=bucket_name, Key=key_object_name(PREFIX, key_of[name]))
    finally:
        s3_proxy.set_rules()  # the held checks go again, after the deletion
        drop.wait(timeout=600)

    in_bucket = s3_server.objects(bucket_name, PREFIX)
    here = set(run(["git", "annex", "find", "--in", "here"], repo, env).stdout.split())
    lost = {name for name, content in files.items()
            if name not in here and in_bucket.get(key_object_name(PREFIX, key_of[name])) != content}
    assert lost == set(), f"{sorted(lost)}: their last copy was dropped"
    assert here == set(victims)  # the others are safely in the bucket: dropped here
