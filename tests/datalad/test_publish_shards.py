"""``s3py-publish --shard I/N``: N parts at once (as processes, and as a Slurm job array on a
real single-node cluster), then a plain run sends nothing and the bucket is what one plain run
gives; a failed part is re-run alone. Real DataLad, git-annex, moto and Slurm.

One hierarchy of 22 datasets (super, 7 subdatasets, 2 subsubdatasets each; a file in git and two
annexed files each) is made once per module and copied for each test; one plain run of a copy
gives the bucket every sharded publication must equal.
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
from support.slurm import SlurmCluster

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


def copy_of(template: Path, where: Path) -> Path:
    top = where / "super"
    shutil.copytree(template, top, symlinks=True)
    return top


@pytest.fixture
def hierarchy(template, tmp_path) -> Path:
    return copy_of(template, tmp_path)


@pytest.fixture(scope="module")
def one_run_bucket(template, tmp_path_factory, s3_server) -> dict[str, bytes]:
    """What one plain run of s3py-publish puts into a bucket."""
    where = tmp_path_factory.mktemp("one-run")
    top, env = copy_of(template, where), isolated_env(where / "home")
    bucket = f"s3py-test-one-run-{random.randrange(10**9)}"
    done = publish(top, env, "--bucket", bucket, "--endpoint", s3_server.endpoint, "-J", "2")
    assert [r["status"] for r in done] == ["ok"] * 22
    return bucket_contents(s3_server, bucket)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


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


def plain_run_sends_nothing(top: Path, env: dict[str, str], args: list[str]) -> None:
    plain = publish(top, env, *args, "-J", "2")
    assert sorted(r["dataset"] for r in plain) == datasets(top)
    assert [r["dataset"] for r in plain if r["sent"] or r["remote_action"] != "reuse"] == []


# The Slurm recipe of docs/publishing-hierarchies.md, with the test's bucket and endpoint. N is
# given, not taken from $SLURM_ARRAY_TASK_COUNT: re-running one part (--array=2) makes that 1.
SLURM_JOB = """#!/bin/sh
#SBATCH --job-name=s3py-publish
#SBATCH --cpus-per-task=1
s3py-publish "$TOP" --bucket "$BUCKET" --endpoint "$ENDPOINT" --json -J 2 \\
    --shard "$SLURM_ARRAY_TASK_ID/$PARTS"
"""


def run_parts(slurm: SlurmCluster, array: str, job: Path, env: dict[str, str],
              out: Path) -> tuple[int, dict[int, list[dict]]]:
    """``sbatch --wait --array=ARRAY JOB``: its exit code and each task's JSON records."""
    submitted = slurm.sbatch("--wait", f"--array={array}", f"--output={out}/part-%a.out",
                             f"--error={out}/part-%a.err", str(job), cwd=out, env=env)
    done = {int(f.stem.split("-")[1]): [json.loads(line) for line in f.read_text().splitlines()]
            for f in out.glob("part-*.out")}
    return submitted.returncode, done


def test_slurm_job_array_publishes_what_one_run_does(
        hierarchy, tmp_path, env, s3_server, bucket_name, slurm, one_run_bucket):
    """The plan, then ``sbatch --array=0-3 --wait`` (four parts at once, one of them failing:
    a file's content is missing), the failed part alone again (``--array=K``), then a plain
    run sends nothing and the bucket equals one plain run's."""
    top, parts, args = hierarchy, 4, ["--bucket", bucket_name, "--endpoint", s3_server.endpoint]
    every = datasets(top)
    assert len(every) == 22

    plan = publish(top, env, *args, "--plan", "--shard", f"all/{parts}")
    units = {r["dataset"]: r for r in plan if "dataset" in r}
    shards = [r for r in plan if "dataset" not in r]
    assert sorted(units) == every
    assert all(u["part"] == part_of(rel, parts) and u["status"] == "planned"
               for rel, u in units.items())
    assert [p["part"] for p in shards] == list(range(parts))
    assert sorted(rel for p in shards for rel in p["datasets"]) == every  # disjoint, complete
    files = sum(u["files"] for u in units.values())  # export mode: git's files too
    assert sum(p["files_to_send"] for p in shards) == files > 3 * 22
    assert sum(p["bytes_to_send"] for p in shards) == sum(u["bytes"] for u in units.values())
    assert bucket_name not in [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]

    failing = next(p for p in shards if p["datasets"])
    victim = top / failing["datasets"][0]
    objects, aside = victim / ".git/annex/objects", victim / ".git/annex/objects-aside"
    objects.rename(aside)
    job = tmp_path / "publish.sbatch"
    job.write_text(SLURM_JOB)
    env = dict(env, TOP=str(top), BUCKET=bucket_name, ENDPOINT=s3_server.endpoint,
               PARTS=str(parts))
    (tmp_path / "first").mkdir()
    code, done = run_parts(slurm, f"0-{parts - 1}", job, env, tmp_path / "first")
    assert code != 0 and sorted(done) == list(range(parts)), slurm.logs()
    for index, records_of_part in done.items():
        assert sorted(r["dataset"] for r in records_of_part) == sorted(shards[index]["datasets"])
        assert all(r["part"] == index for r in records_of_part)
        errors = [r for r in records_of_part if r["status"] == "error"]
        assert [r["dataset"] for r in errors] == (
            [failing["datasets"][0]] if index == failing["part"] else [])
    assert "not in this dataset" in errors_of(done[failing["part"]])

    # the plan names the failed part's leftovers only; that part alone runs again
    again = publish(top, env, *args, "--plan", "--shard", f"all/{parts}")
    left = {p["part"]: p["files_to_send"] for p in again if "dataset" not in p}
    assert left[failing["part"]] > 0
    assert all(n == 0 for part, n in left.items() if part != failing["part"])
    aside.rename(objects)
    (tmp_path / "again").mkdir()
    code, done = run_parts(slurm, str(failing["part"]), job, env, tmp_path / "again")
    assert code == 0 and list(done) == [failing["part"]], (done, slurm.logs())
    assert sum(r["sent"] for r in done[failing["part"]]) == left[failing["part"]]

    plain_run_sends_nothing(top, env, args)
    sharded = bucket_contents(s3_server, bucket_name)
    assert sharded == one_run_bucket
    assert len([n for n in sharded if n.endswith("annex-uuid")]) == 22
    assert len(sharded) == files + 22


def errors_of(records_of_part: list[dict]) -> str:
    return " ".join(r["message"] for r in records_of_part if r["status"] == "error")
