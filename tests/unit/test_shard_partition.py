"""``--shard I/N``: every dataset in exactly one part, decided by its relative path alone."""

from __future__ import annotations

import hashlib
import random

import pytest

from git_annex_remote_s3py.publish.display import Result, part_records, summary
from git_annex_remote_s3py.publish.main import build_parser
from git_annex_remote_s3py.publish.modes import KEY
from git_annex_remote_s3py.publish.options import Options, Shard, parse_shard, part_of

PATHS = [".", "sub one", "sub one/subsub", "sub-01/ses-1", "sub-01/ses-2", "ümlaut/ß",
         *(f"sub-{i:03d}" for i in range(200))]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 20])
def test_every_dataset_is_in_exactly_one_part(count):
    shards = [Shard(i, count) for i in range(count)]
    for rel in PATHS:
        assert [s.holds(rel) for s in shards].count(True) == 1
        assert Shard(None, count).holds(rel)


def test_the_part_depends_on_the_path_only():
    """Not on the order or the number of the other datasets, nor on the process (a fixed
    digest, not Python's salted hash()): the values below are the same on every machine."""
    before = {rel: part_of(rel, 4) for rel in PATHS}
    shuffled = PATHS[:]
    random.Random(1).shuffle(shuffled)
    assert {rel: part_of(rel, 4) for rel in shuffled[:50]} == {r: before[r] for r in shuffled[:50]}
    assert [part_of(rel, 4) for rel in (".", "sub one", "sub one/subsub")] == [
        int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % 4
        for rel in (".", "sub one", "sub one/subsub")]
    assert part_of(".", 1) == 0


def test_parts_are_balanced_over_many_datasets():
    counts = [0] * 4
    for i in range(2000):
        counts[part_of(f"sub-{i:04d}", 4)] += 1
    assert all(400 < c < 600 for c in counts), counts


@pytest.mark.parametrize("text, shard", [("0/4", Shard(0, 4)), (" 3 / 4 ", Shard(3, 4)),
                                         ("all/2", Shard(None, 2)), ("0/1", Shard(0, 1))])
def test_parse_shard(text, shard):
    assert parse_shard(text) == shard
    assert str(parse_shard(str(shard))) == str(shard)


@pytest.mark.parametrize("text, says", [("4/4", "numbered 0 to 3"), ("1/0", "N >= 1"),
                                        ("-1/4", "I/N"), ("1", "I/N"), ("a/b", "I/N")])
def test_bad_shard_says_how_to_write_it(text, says):
    with pytest.raises(ValueError, match=says):
        parse_shard(text)


def test_command_line_refuses_a_bad_shard_with_the_fix(capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["ds", "--bucket", "b", "--shard", "4/4"])
    assert exited.value.code == 2
    assert "numbered 0 to 3" in capsys.readouterr().err
    args = build_parser().parse_args(["ds", "--bucket", "b"])
    assert args.shard == Shard(None, 1) and not args.plan


def test_part_records_sum_what_each_part_would_send():
    results = [Result("a", "/a", part=0, files=3, bytes=30, to_send=["x"], bytes_to_send=10),
               Result("b", "/b", part=1, files=1, bytes=5, to_send=[], bytes_to_send=0),
               Result("c", "/c", part=0, files=2, bytes=7, to_send=["y", "z"], bytes_to_send=7,
                      status="error")]
    records = part_records(results, Shard(None, 3))
    assert [(r["part"], r["datasets"], r["files_to_send"], r["bytes_to_send"], r["errors"])
            for r in records] == [(0, ["a", "c"], 3, 17, 1), (1, ["b"], 0, 0, 0),
                                  (2, [], 0, 0, 0)]
    assert [r["shard"] for r in part_records(results, Shard(1, 3))] == ["1/3"]


def test_a_part_with_a_sibling_says_to_push_git_after_all_parts():
    results = [Result("sub", "/top/sub", part=1, sent=2)]
    part = Options(bucket="b", sibling="github", mode=KEY, shard=Shard(1, 4))
    assert summary(results, part).endswith(
        "push github only after all 4 parts succeeded (datalad push -r): a superdataset "
        "pushed earlier names subdatasets whose data other parts may not have sent yet")
    assert "(part 1/4)" in summary(results, part)
    for plain in (Options(bucket="b", sibling="github", mode=KEY),
                  Options(bucket="b", shard=Shard(1, 4))):
        assert "push" not in summary(results, plain)
