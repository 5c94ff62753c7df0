"""The scale bench's resumable parts (scripts/bench/bench_results.py, bench_scale.py): the
results file keeps what was measured across a kill, a re-run measures only what it lacks, a
failure is recorded and tried again, one file holds one setting, the report is made from the
file alone; the kept tree is refused once its state moved, and a working copy of it is the
tree as built; a failed operation ends its part only and a run again measures it. Nothing runs
git-annex at scale (the tree and run tests use 3 files)."""

from __future__ import annotations

import datetime
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "bench"))
import bench  # noqa: E402
from bench_measure import (  # noqa: E402
    ANNEX_VERIFY_OFF,
    BUILTIN,
    S3PY,
    kept_tree,
    remove_tree,
    working_copy,
)
from bench_results import Conditions, ResultsFile, ScalePoint, current  # noqa: E402
from bench_scale import (  # noqa: E402
    ScaleRun,
    ScaleSettings,
    Step,
    part_steps,
    scale_table,
    slope_lines,
    steps_left,
)
from bench_servers import start_server  # noqa: E402
from support.faultproxy import Rule  # noqa: E402
from support.repos import isolated_env, run  # noqa: E402

HERE = Conditions("10.20230126", "moto", 8)


def point(files: int, operation: str, contender: str, seconds: float = 1.0,
          error: str = "", conditions: Conditions = HERE) -> ScalePoint:
    return ScalePoint(files, operation, contender, seconds, Counter(HEAD=files, PUT=files),
                      peak_mib=30.0 if contender != BUILTIN else 0.0, cpu_seconds=seconds / 2,
                      load=(1.5, 2.5), started="2026-12-07T19:00:00", conditions=conditions,
                      error=error)


def test_a_point_comes_back_from_its_line_as_it_was(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl")
    written = point(1000, "copy --to", S3PY, 12.5)
    results.append(written)
    assert results.read() == [written]
    assert json.loads((tmp_path / "r.jsonl").read_text())["requests"] == {"HEAD": 1000,
                                                                           "PUT": 1000}


def test_a_line_cut_short_by_a_kill_is_skipped_and_the_next_point_starts_a_new_line(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl")
    results.append(point(1000, "copy --to", S3PY))
    with open(results.path, "a") as handle:
        handle.write('{"files": 1000, "operation": "fsck')  # the kill came mid-write
    results.append(point(1000, "fsck --fast --from", S3PY))
    assert [p.operation for p in results.read()] == ["copy --to", "fsck --fast --from"]
    assert results.measured(1000) == {("copy --to", S3PY), ("fsck --fast --from", S3PY)}


def test_a_failure_is_not_measured_and_a_later_measurement_replaces_it(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl")
    results.append(point(1000, "copy --to", BUILTIN, error="git annex copy failed (1)"))
    results.append(point(1000, "copy --to", S3PY))
    assert results.measured(1000) == {("copy --to", S3PY)}
    assert [p.error for p in current(results.read())] == ["git annex copy failed (1)", ""]
    results.append(point(1000, "copy --to", BUILTIN, 7.0))
    assert results.measured(1000) == {("copy --to", S3PY), ("copy --to", BUILTIN)}
    results.append(point(1000, "copy --to", BUILTIN, error="failed again"))  # measured stays
    assert [(p.contender, p.seconds, p.error) for p in current(results.read())] == [
        (BUILTIN, 7.0, ""), (S3PY, 1.0, "")]


def test_one_file_holds_one_setting(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl")
    results.check(HERE)  # no file yet
    results.append(point(1000, "copy --to", S3PY))
    results.check(HERE)
    with pytest.raises(SystemExit, match=r"git-annex 10.20230126, moto, -J8; this run is "
                       r"git-annex 10.20261026, moto, -J8: give another --results file"):
        results.check(Conditions("10.20261026", "moto", 8))


def test_a_part_is_the_four_operations_and_s3py_gets_twice_up_to_the_limit():
    assert part_steps(BUILTIN, 1000, 10_000) == [
        Step("copy --to", BUILTIN), Step("fsck --fast --from", BUILTIN),
        Step("get --from", BUILTIN), Step("drop --from", BUILTIN)]
    assert [s.contender for s in part_steps(S3PY, 10_000, 10_000)] == [
        S3PY, S3PY, S3PY, ANNEX_VERIFY_OFF, S3PY]
    assert [s.contender for s in part_steps(S3PY, 10_001, 10_000)] == [S3PY] * 4


def test_a_resumed_part_measures_what_is_missing_and_copies_first_when_its_copy_is_done():
    steps = part_steps(S3PY, 100_000, 10_000)
    assert steps_left(steps, set()) == (False, steps)
    done = {("copy --to", S3PY), ("fsck --fast --from", S3PY)}
    assert steps_left(steps, done) == (True, steps[2:])
    assert steps_left(steps, done | {("get --from", S3PY), ("drop --from", S3PY)}) == (False,
                                                                                        [])
    # another contender's figures are not this part's
    assert steps_left(steps, {("copy --to", BUILTIN)}) == (False, steps)
    # only the copy missing (it failed last time): measured first, nothing to copy before it
    assert steps_left(steps, {(s.operation, s.contender) for s in steps[1:]}) == (False,
                                                                                   steps[:1])


def test_the_report_is_made_from_the_results_file_alone(tmp_path, capsys):
    results = ResultsFile(tmp_path / "r.jsonl")
    for files, seconds in ((1000, 10.0), (100_000, 1500.0)):
        results.append(point(files, "copy --to", S3PY, seconds))
    results.append(point(100_000, "copy --to", BUILTIN,
                         error="git annex copy --to builtin -J8 . failed (1):\ncopy: 16 failed"))
    png = tmp_path / "scale.png"
    assert bench.main(["--only", "scale", "--results", str(results.path), "--replot",
                       "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "scale row: git-annex 10.20230126, moto server, -J8" in out
    assert ("| 100000 | copy --to | s3py | 1500.00 | 15.0 | 2.00 (HEAD 1.00, PUT 1.00) | 30 "
            "| 7.5 | 1.5-2.5 | 2026-12-07T19:00:00 |") in out
    assert ("| 100000 | copy --to | built-in | failed: git annex copy --to builtin -J8 . "
            "failed (1): ... copy: 16 failed |") in out
    assert ("slope s3py copy --to: 10.0 -> 15.0 ms/file from N=1000 to N=100000 (+50 %, "
            "+0.05 ms/file per 1000 more files); CPU 5.0 -> 7.5 ms/file from N=1000 to "
            "N=100000 (+50 %, +0.03 ms/file per 1000 more files)") in out
    try:
        import matplotlib  # noqa: F401  (the bench extra: make bench installs it)
    except ImportError:
        assert "no plot: matplotlib is missing" in out
    else:
        assert f"plot: {png}" in out
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_table_lists_each_size_and_operation_once_and_slopes_use_measured_points():
    points = [point(1000, "drop --from", S3PY, 5.0), point(1000, "copy --to", S3PY, 9.0),
              point(1000, "copy --to", BUILTIN, 8.0),
              point(10_000, "copy --to", BUILTIN, error="failed"),
              point(10_000, "copy --to", S3PY, 100.0)]
    rows = [line.split(" | ")[:3] for line in scale_table(points)[2:]]
    assert rows == [["| 1000", "copy --to", "built-in"], ["| 1000", "copy --to", "s3py"],
                    ["| 1000", "drop --from", "s3py"], ["| 10000", "copy --to", "built-in"],
                    ["| 10000", "copy --to", "s3py"]]
    assert slope_lines(points) == [
        "slope s3py copy --to: 9.0 -> 10.0 ms/file from N=1000 to N=10000 (+11 %, +0.11 ms/file "
        "per 1000 more files); CPU 4.5 -> 5.0 ms/file from N=1000 to N=10000 (+11 %, +0.06 "
        "ms/file per 1000 more files)"]


def test_a_replot_without_results_says_what_to_give(tmp_path):
    with pytest.raises(SystemExit, match="no scale results"):
        bench.main(["--only", "scale", "--results", str(tmp_path / "none.jsonl"), "--replot"])


def test_a_kept_tree_is_reused_while_intact_and_its_working_copy_is_the_tree_as_built(
        tmp_path, capsys):
    env = isolated_env(tmp_path / "home")
    tree = kept_tree(tmp_path / "trees" / "scale-3", env, 3, 1003, "test")
    built = json.loads((tmp_path / "trees" / "scale-3.json").read_text())
    assert (built["files"], built["keys"]) == (3, 3)
    assert kept_tree(tree, env, 3, 1003, "test") == tree
    assert "(kept, intact)" in capsys.readouterr().out

    copy = working_copy(tree, tmp_path / "trees" / "scale-3-work", env)
    assert run(["git", "annex", "find"], copy, env).stdout.split() == [
        "d0/f00000.bin", "d1/f00001.bin", "d2/f00002.bin"]
    run(["git", "annex", "drop", "--force", "d0/f00000.bin"], copy, env)
    remove_tree(copy)
    assert kept_tree(tree, env, 3, 1003, "test") == tree  # the copy's drop did not reach it

    with pytest.raises(SystemExit, match="git_annex test, this run's newer"):
        kept_tree(tree, env, 3, 1003, "newer")
    (tree / "d1" / "f00001.bin").unlink()
    with pytest.raises(SystemExit, match=r"not as built \(git status is not clean\): remove "
                       "it and scale-3.json"):
        kept_tree(tree, env, 3, 1003, "test")


def test_a_failed_operation_ends_its_part_only_and_a_run_again_measures_it(tmp_path, capsys):
    server = start_server("moto")
    try:
        env = server.env(isolated_env(tmp_path / "home"))
        settings = ScaleSettings(2, 0, ("builtin", "s3py"), tmp_path / "r.jsonl",
                                 tmp_path / "trees")
        conditions = Conditions("test", "moto", 2)
        first = ScaleRun(server, env, "one", settings, conditions)
        first.proxy.set_rules(Rule("403", method="PUT",  # the keys, not initremote's marker
                                   path="/bench-one-scale3-builtin/SHA256E-.*"))
        first.run([3])
        points = ResultsFile(settings.results).read()
        assert [(p.operation, p.contender, bool(p.error)) for p in points] == [
            ("copy --to", BUILTIN, True), ("copy --to", S3PY, False),
            ("fsck --fast --from", S3PY, False), ("get --from", S3PY, False),
            ("drop --from", S3PY, False)]
        assert "git annex copy --to builtin -J2 . failed (1)" in points[0].error
        assert points[1].requests["PUT"] == 3 and points[1].requests["HEAD"] >= 3
        assert [dict(p.requests) for p in points[2:]] == [{"HEAD": 3}, {"GET": 3},
                                                          {"DELETE": 3}]
        assert points[1].peak_mib > 0 and points[1].cpu_seconds > 0

        ScaleRun(server, env, "two", settings, conditions).run([3])  # no fault now
        again = ResultsFile(settings.results).read()[len(points):]
        assert [(p.operation, p.contender, bool(p.error)) for p in again] == [
            ("copy --to", BUILTIN, False), ("fsck --fast --from", BUILTIN, False),
            ("get --from", BUILTIN, False), ("drop --from", BUILTIN, False)]
        out = capsys.readouterr().out
        assert "scale      3 s3py: measured already" in out
        assert "(kept, intact)" in out
        assert server.client().list_buckets()["Buckets"] == []  # every part's bucket removed
    finally:
        server.stop()


def test_stop_at_is_the_next_such_time():
    evening = datetime.datetime(2026, 12, 7, 19, 40, 10)
    assert bench.next_time("20:25", evening) == datetime.datetime(2026, 12, 7, 20, 25)
    assert bench.next_time("06:30", evening) == datetime.datetime(2026, 12, 8, 6, 30)
    assert bench.next_time("19:40", evening) == datetime.datetime(2026, 12, 8, 19, 40)
