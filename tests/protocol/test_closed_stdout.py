"""``git-annex-remote-s3py policy ... | head``: when stdout's reader has gone, the helper
subcommands end as Unix tools do (status 141, as killed by SIGPIPE), without a traceback.
``s3py-publish --json | head``: tests/datalad/test_publish_edges.py."""

from __future__ import annotations

from support.repos import run, run_with_reader_gone


def test_policy_into_a_closed_pipe_ends_quietly(tmp_path, env):
    printed = run(["git-annex-remote-s3py", "policy", "--bucket", "my-bucket"], tmp_path, env)
    assert '"Principal": "*"' in printed.stdout  # what a reader that stays gets
    gone = run_with_reader_gone(["git-annex-remote-s3py", "policy", "--bucket", "my-bucket"],
                                tmp_path, env)
    assert gone.returncode == 141
    assert "Traceback" not in gone.stderr and "BrokenPipeError" not in gone.stderr
    assert gone.stderr == ""  # it ended at its first write, as a tool SIGPIPE kills
