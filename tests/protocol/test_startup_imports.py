"""What a protocol process imports before it has answered PREPARE and a CHECKPRESENT of a
present and of an absent key on the lean path (issue #16): every import costs each git-annex
command that starts the remote, so the modules only other requests need wait for them."""

from __future__ import annotations

from support.pipes import RemotePipe, annex_key

# Only the helper subcommands, importtree=yes, INITREMOTE, an s3:// URL, botocore, public URLs
# or https need these.
NOT_BEFORE_NEEDED = (
    "argparse",
    "git_annex_remote_s3py.commands",
    "git_annex_remote_s3py.annex.importing",
    "git_annex_remote_s3py.annex.setup",
    "git_annex_remote_s3py.store.boto.inventory",
    "boto3",
    "botocore",
    "s3transfer",
    "urllib3",
    # the lean path's HTTP is store/lean/http1.py; urllib (public URLs) and ssl (https only)
    # cost ~110 M instructions a start
    "http.client",
    "email.parser",
    "urllib.request",
    "ssl",
    "email",  # store/lean/wire.py reads the HTTP dates servers send without it
    "json",  # a key's state (keystate.py) is read only where git-annex has one
    # GETINFO and the unavailable reason (annex/info.py, shlex), TRANSFER-RETRIEVE-URL
    "git_annex_remote_s3py.annex.info",
    "git_annex_remote_s3py.annex.retrieve_url",
    "shlex",
)


def imported_modules(importtime_log: str) -> set[str]:
    """Module names from the ``-X importtime`` lines (``import time: self | cumulative | name``)."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def test_lean_checkpresent_imports_only_what_it_needs(tmp_path, env, s3_server, bucket_name,
                                                       annex_dir):
    s3_server.client().create_bucket(Bucket=bucket_name)
    present, absent = b"here\n", b"not here\n"
    s3_server.client().put_object(Bucket=bucket_name, Key=annex_key(present), Body=present)
    remote = RemotePipe({**env, "PYTHONPROFILEIMPORTTIME": "1"},
                        {"bucket": bucket_name, "endpoint": s3_server.endpoint}, annex_dir)
    remote.prepare()
    assert remote.request(f"CHECKPRESENT {annex_key(present)}") == (
        f"CHECKPRESENT-SUCCESS {annex_key(present)}")
    assert remote.request(f"CHECKPRESENT {annex_key(absent)}") == (
        f"CHECKPRESENT-FAILURE {annex_key(absent)}")
    assert remote.close() == 0
    loaded = imported_modules(remote.stderr())
    assert "git_annex_remote_s3py.store.lean.transport" in loaded  # the log is the whole run
    assert sorted(loaded & set(NOT_BEFORE_NEEDED)) == []
