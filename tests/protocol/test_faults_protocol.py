"""The remote over pipes against moto through the fault proxy, no git-annex: downloads cut
short resume, region errors and stalls are UNKNOWN, a full disk fails cleanly, every bad
setting and malformed line gets one line (RELIABILITY.md)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from support.faultproxy import Rule
from support.pipes import REPLY_KEYWORDS, RemotePipe, annex_key

from git_annex_remote_s3py.config import (
    SETTINGS_TABLE,
    parse_bool,
    parse_choice,
    parse_size,
    parse_url,
)
from git_annex_remote_s3py.store.aws import NO_LEAN_ENV

MiB = 1024 * 1024


def make_bucket(s3_server, name: str) -> None:
    s3_server.client().create_bucket(Bucket=name)


def pipe(tmp_path: Path, env: dict, proxy, bucket: str, prefix: str = "f/",
         **extra: str) -> RemotePipe:
    remote = RemotePipe(env, {"bucket": bucket, "endpoint": proxy.endpoint,
                              "fileprefix": prefix, **extra}, tmp_path)
    remote.prepare()
    return remote


# -- downloads cut short or corrupted ---------------------------------------------------------
@pytest.mark.parametrize("lean", [True, False], ids=["lean", "botocore"])
def test_truncated_download_fails_then_resumes_with_range(tmp_path, env, s3_server,
                                                          s3_proxy, bucket_name, lean):
    """botocore: the request fails, the next one resumes. Lean path (small objects): the
    truncated lean GET hands over to botocore, which resumes within the same request."""
    make_bucket(s3_server, bucket_name)
    content = random.Random(5).randbytes(3 * MiB + 12345)
    key = annex_key(content)
    s3_server.client().put_object(Bucket=bucket_name, Key="f/" + key, Body=content)
    if not lean:
        env = {**env, NO_LEAN_ENV: "1"}
    remote = pipe(tmp_path, env, s3_proxy, bucket_name)
    target = tmp_path / "got"
    cut = 2 * MiB + 500
    s3_proxy.set_rules(Rule("truncate", method="GET", at_byte=cut, limit=1))
    first = remote.request(f"TRANSFER RETRIEVE {key} {target}")
    if not lean:
        assert first.startswith(f"TRANSFER-FAILURE RETRIEVE {key} "), first
        partial = target.read_bytes()
        assert len(partial) == cut and content.startswith(partial)
        first = remote.request(f"TRANSFER RETRIEVE {key} {target}")
    assert first == f"TRANSFER-SUCCESS RETRIEVE {key}"
    assert target.read_bytes() == content
    ranges = [s.range for s in s3_proxy.requests if s.method == "GET" and s.range]
    assert ranges == [f"bytes={cut}-"]
    said = [line for line in remote.sent_back if "lean request path off" in line]
    if lean:  # one line for git annex --debug, saying why
        assert len(said) == 1 and said[0].startswith("DEBUG lean request path off (GET "), said
    else:
        assert said == []
    remote.close()


@pytest.mark.parametrize("rule, words", [
    (Rule("301-region"), ("region=eu-west-1",)),
    (Rule("400-region"), ("region=eu-west-1",)),
])
def test_region_errors_are_unknown(tmp_path, env, s3_server, s3_proxy, bucket_name, rule,
                                  words):
    """Also the stall (read timeout): e2e/test_reliability.py, slow by nature (retries)."""
    make_bucket(s3_server, bucket_name)
    env = {**env, "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT": "0.3"}
    remote = pipe(tmp_path, env, s3_proxy, bucket_name)
    s3_proxy.set_rules(rule)
    key = annex_key(b"whatever")
    reply = remote.request(f"CHECKPRESENT {key}", timeout=90)
    assert reply.startswith(f"CHECKPRESENT-UNKNOWN {key} "), reply
    assert all(word in reply for word in words), reply
    remote.close()


# -- full disk -----------------------------------------------------------------------------------
def test_full_disk_on_retrieve_fails_cleanly(tmp_path, env, s3_server, s3_proxy,
                                             bucket_name):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    # the suite runs as root (CI, make test on these machines): a tmpfs is always there to
    # mount; failing here, not skipping, keeps a missing full-disk check visible
    assert mounted.returncode == 0, f"cannot mount a tmpfs here: {mounted.stderr.strip()}"
    try:
        make_bucket(s3_server, bucket_name)
        content = random.Random(11).randbytes(3 * MiB)
        key = annex_key(content)
        s3_server.client().put_object(Bucket=bucket_name, Key="f/" + key, Body=content)
        remote = pipe(tmp_path, env, s3_proxy, bucket_name)
        reply = remote.request(f"TRANSFER RETRIEVE {key} {mount_point / 'big'}")
        assert reply.startswith(f"TRANSFER-FAILURE RETRIEVE {key} "), reply
        assert "no space left" in reply
        remote.close()
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


# -- bad input -------------------------------------------------------------------------------------
def _bad_value(setting) -> str | None:
    parse = setting.parse
    if parse is parse_bool:
        return "maybe"
    if parse is parse_size:
        return "lots"
    if parse is parse_url:
        return "ftp:/nowhere"
    if getattr(parse, "__qualname__", "").startswith(parse_choice.__qualname__):
        return "bogus-choice"
    return None


EXTRA_BAD = {"partsize": "1KiB", "metadata": "no-equals-sign", "ssekmskeyid": "k1",
             "port": "eighty", "bucket": "Not_A_Bucket"}


def test_every_bad_setting_value_fails_prepare_with_one_line(tmp_path, env, s3_server,
                                                             s3_proxy, bucket_name):
    cases = {s.name: _bad_value(s) for s in SETTINGS_TABLE if _bad_value(s)}
    assert len(cases) >= 8, cases
    cases.update(EXTRA_BAD)
    remote = RemotePipe(env, {}, tmp_path)
    assert remote.request("EXTENSIONS INFO") == "EXTENSIONS INFO"
    for name, value in cases.items():
        remote.config = {"bucket": bucket_name, "host": "127.0.0.1", name: value}
        reply = remote.request("PREPARE")
        assert reply.startswith("PREPARE-FAILURE "), (name, reply)
        assert name in reply and "Traceback" not in reply, reply
    assert remote.close() == 0
    assert all(line.split(" ")[0] in REPLY_KEYWORDS for line in remote.seen)


MALFORMED = ["TRANSFER STORE", "TRANSFER", "CHECKPRESENT", "transfer store k f", "FOO bar",
             "", "J 1 PREPARE", "RENAMEEXPORT", "TRANSFEREXPORT STORE k", "PREPARE extra"]


# A request git-annex always sends whole, malformed: one ERROR line, and the process ends by
# itself (stdin still open) with a failure status.
ENDS_THE_PROCESS = {"", "CHECKPRESENT", "TRANSFER STORE", "TRANSFER"}


@pytest.mark.parametrize("line", MALFORMED)
def test_malformed_protocol_lines_get_one_line_answers(tmp_path, env, line):
    remote = RemotePipe(env, {"bucket": "b-b-b"}, tmp_path)
    remote.send(line)
    if line not in ENDS_THE_PROCESS:
        remote.process.stdin.close()
    lines = remote.lines_until_exit(timeout=30)
    assert lines, f"no answer to {line!r}"
    if line in ENDS_THE_PROCESS:
        assert len(lines) == 1 and lines[0].startswith("ERROR "), lines
        assert remote.process.wait(timeout=30) != 0
    assert all(reply.split(" ")[0] in REPLY_KEYWORDS for reply in lines), lines
    assert lines[-1].split(" ")[0] in ("ERROR", "UNSUPPORTED-REQUEST") or \
        lines[-1].startswith(("TRANSFER-FAILURE", "RENAMEEXPORT-FAILURE",
                              "CHECKPRESENT-UNKNOWN")), lines
    remote.close()
