"""``datalad s3py-publish``: the publisher as a DataLad command, with the program's options and
records (the ``s3py-publish`` program stays, a front of the same code)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from support.repos import run

pytestmark = pytest.mark.datalad
PROGRAM_FIELDS = ("dataset", "path", "fileprefix", "remote_action", "to_send", "sent",
                  "sibling")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_every_program_option_is_a_parameter_of_the_command():
    from git_annex_remote_s3py.datalad_ext.publish import S3pyPublish, shared_actions

    takes = set(inspect.signature(S3pyPublish.__call__).parameters)
    for action in shared_actions():
        assert action.dest in takes and action.dest in S3pyPublish._params_, action.dest
        assert S3pyPublish._params_[action.dest].cmd_args == tuple(action.option_strings)


def test_command_records_are_the_program_records(tmp_path: Path, env, s3_server, bucket_name):
    top = tmp_path / "top"
    run(["datalad", "create", str(top)], tmp_path, env)
    run(["datalad", "create", "-d", ".", "sub"], top, env)
    (top / "a.txt").write_text("top file\n")
    (top / "sub" / "b.txt").write_text("sub file\n")
    run(["datalad", "save", "-r", "-m", "files"], top, env)
    options = ["--bucket", bucket_name, "--prefix", "pub", "--endpoint", s3_server.endpoint,
               "--mode", "key"]
    planned = json_lines(run(["s3py-publish", str(top), *options, "--dry-run", "--json"],
                             tmp_path, env).stdout)
    planned_by_command = json_lines(run(["datalad", "-f", "json", "s3py-publish", *options,
                                         "--dry-run"], top, env).stdout)
    assert sorted(({k: r[k] for k in PROGRAM_FIELDS} | {"status": r["outcome"]}
                   for r in planned_by_command), key=lambda r: r["dataset"]) == sorted(
        ({k: r[k] for k in (*PROGRAM_FIELDS, "status")} for r in planned),
        key=lambda r: r["dataset"])
    assert s3_server.client().list_buckets()["Buckets"] == [] or bucket_name not in {
        b["Name"] for b in s3_server.client().list_buckets()["Buckets"]}  # dry run

    published = json_lines(run(["datalad", "-f", "json", "s3py-publish", *options], top,
                                env).stdout)
    assert {(r["dataset"], r["status"], r["action"], r["type"], r["sent"], r["url"])
            for r in published} == {
        (".", "ok", "s3py_publish", "dataset", 1, f"s3://{bucket_name}/pub/"),
        ("sub", "ok", "s3py_publish", "dataset", 1, f"s3://{bucket_name}/pub/sub/")}
    stored = s3_server.objects(bucket_name)
    assert sorted(v for k, v in stored.items() if not k.endswith("annex-uuid")) == [
        b"sub file\n", b"top file\n"]
    again = json_lines(run(["datalad", "-f", "json", "s3py-publish", *options], top,
                           env).stdout)
    assert [r["sent"] for r in again] == [0, 0]
    shown = run(["datalad", "s3py-publish", *options], top, env).stdout
    assert f"ok       sub -> s3://{bucket_name}/pub/sub/ (reuse remote; 0 file(s) sent)" in shown
