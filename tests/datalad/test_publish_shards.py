"""``s3py-publish --shard I/N``: N parts at once, then a plain run sends nothing and the bucket
is what one plain run gives; a failed part is re-run alone. Real DataLad, git-annex and moto.

One hierarchy of 22 datasets (super, 7 subdatasets, 2 subsubdatasets each; a file in git and two
annexed files each) is made once per module and copied for each test.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.repos import isolated_env, run

from git_annex_remote_s3py.publish.options import part_of

pytestmark = [pytest.mark.e2e, pytest.mark.datalad]

PARTS = 3
MAKE_HIERARCHY = """
import random, sys
from pathlib import Path
import datalad.api as dl

root, seed = Path(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
top = dl.create(str(root), result_renderer="disabled")
levels = ["."]
for i in range(7):
    sub = top.create(f"sub-{i:02d}", result_renderer="disabled")
    levels.append(f"sub-{i:02d}")
    for session in ("ses 1", "ses-2"):
        sub.create(session, result_renderer="disabled")
        levels.append(f"sub-{i:02d}/{session}")
for rel in levels:
    ds = root / rel
    (ds / "README.txt").write_text(f"dataset {rel}\\n")
    dl.save(dataset=str(ds), path=[str(ds / "README.txt")], to_git=True,
            result_renderer="disabled")
    (ds / "data").mkdir()
    (ds / "data" / "x y.bin").write_bytes(rnd.randbytes(rnd.randrange(100, 900)))
    (ds / "raw.dat").write_bytes(rnd.randbytes(rnd.randrange(100, 900)))
top.save(recursive=True, message="data", result_renderer="disabled")
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The hierarchy, made once; tests work on copies (``hierarchy``)."""
    root = tmp_path_factory.mktemp("template")
    env = isolated_env(root / "home")
    run([sys.executable, "-c", MAKE_HIERARCHY, str(root / "super"),
         str(random.randrange(10**6))], root, env)
    return root / "super"


@pytest.fixture
def hierarchy(template, tmp_path) -> Path:
    top = tmp_path / "super"
    shutil.copytree(template, top, symlinks=True)
    return top


def datasets(top: Path) -> list[str]:
    return sorted(str(p.parent.relative_to(top)) for p in top.rglob(".datalad"))


def records(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def publish(top: Path, env: dict[str, str], *args: str, expect: int = 0) -> list[dict]:
    result = run(["s3py-publish", str(top), "--json", *args], top.parent, env, check=False)
    assert result.returncode == expect, result.stdout + result.stderr
    return records(result)


def bucket_contents(server, bucket: str) -> dict[str, bytes]:
    """Every object with its bytes; a prefix's owner marker holds its remote's UUID, which
    differs between two publications of the same hierarchy: only its name is compared."""
    return {name: b"marker" if name.endswith("annex-uuid") else data
            for name, data in server.objects(bucket).items()}


def single_run(top: Path, env: dict[str, str], server, bucket: str) -> dict[str, bytes]:
    """What one plain run of s3py-publish puts into a bucket (under another remote name)."""
    done = publish(top, env, "--bucket", bucket, "--endpoint", server.endpoint,
                   "--remote", "single", "-J", "2")
    assert all(r["status"] == "ok" for r in done)
    return bucket_contents(server, bucket)


def test_parts_at_once_then_plain_run_sends_nothing_and_equals_one_run(
        hierarchy, env, s3_server, bucket_name):
    top, args = hierarchy, ["--bucket", bucket_name, "--endpoint", s3_server.endpoint]
    every = datasets(top)
    assert len(every) == 22

    plan = publish(top, env, *args, "--plan", "--shard", f"all/{PARTS}")
    units = {r["dataset"]: r for r in plan if "dataset" in r}
    parts = [r for r in plan if "dataset" not in r]
    assert sorted(units) == every
    assert all(u["part"] == part_of(rel, PARTS) and u["status"] == "planned"
               for rel, u in units.items())
    assert [p["part"] for p in parts] == list(range(PARTS))
    assert sorted(rel for p in parts for rel in p["datasets"]) == every  # disjoint, complete
    files = sum(u["files"] for u in units.values())  # export mode: git's files too
    assert sum(p["files_to_send"] for p in parts) == files > 3 * 22
    assert sum(p["bytes_to_send"] for p in parts) == sum(u["bytes"] for u in units.values())
    assert not s3_server.client().list_buckets()["Buckets"] or bucket_name not in [
        b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]

    # one dataset of one part lacks a file's content: that part fails, the others do not
    failing = next(p for p in parts if p["datasets"])
    victim = top / failing["datasets"][0]
    objects, aside = victim / ".git/annex/objects", victim / ".git/annex/objects-aside"
    objects.rename(aside)
    running = [subprocess.Popen(["s3py-publish", str(top), *args, "--json", "-J", "2",
                                 "--shard", f"{i}/{PARTS}"], cwd=top.parent, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(PARTS)]
    outcomes = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in running]
    for index, (code, out, err) in enumerate(outcomes):
        assert code == (1 if index == failing["part"] else 0), out + err
        done = [json.loads(line) for line in out.splitlines()]
        assert sorted(r["dataset"] for r in done) == sorted(parts[index]["datasets"])
    assert "not in this dataset" in outcomes[failing["part"]][1]

    # the plan names the failed part's leftovers only; that part alone is run again
    again = publish(top, env, *args, "--plan", "--shard", f"all/{PARTS}")
    left = {p["part"]: p["files_to_send"] for p in again if "dataset" not in p}
    assert left[failing["part"]] > 0
    assert all(n == 0 for part, n in left.items() if part != failing["part"])
    aside.rename(objects)
    rerun = publish(top, env, *args, "--shard", f"{failing['part']}/{PARTS}")
    assert sum(r["sent"] for r in rerun) == left[failing["part"]]

    plain = publish(top, env, *args, "-J", "2")
    assert sorted(r["dataset"] for r in plain) == every
    assert [r["dataset"] for r in plain if r["sent"] or r["remote_action"] != "reuse"] == []
    sharded = bucket_contents(s3_server, bucket_name)
    assert sharded == single_run(top, env, s3_server, bucket_name + "-single")
    assert len([n for n in sharded if n.endswith("annex-uuid")]) == 22
    assert len(sharded) == files + 22
