"""The real executable over pipes, with scripted transcripts playing git-annex's side."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pipes import RemotePipe, annex_key, protocol_only, without_debug
from support.repos import BIN_DIR, TEST_SECRET, isolated_env, run

from git_annex_remote_s3py import __version__
from git_annex_remote_s3py.config import SETTINGS_TABLE

EXE = str(Path(BIN_DIR) / "git-annex-remote-s3py")


def finish(annex: RemotePipe) -> int:
    """git-annex closes stdin: the remote says nothing more and exits; its status."""
    status = annex.close()
    assert annex.lines_until_exit() == []
    return status


@pytest.fixture
def remote_config(s3_server, bucket_name) -> dict[str, str]:
    return {"bucket": bucket_name, "endpoint": s3_server.endpoint, "fileprefix": "ds1/"}


def start(env, annex_dir, config, extensions="EXTENSIONS INFO GETGITREMOTENAME",
          **kwargs) -> RemotePipe:
    annex = RemotePipe(env, config, annex_dir, **kwargs)
    assert annex.transcript(extensions) == ["EXTENSIONS INFO"]
    return annex


def replies(annex: RemotePipe, *lines: str) -> list[str]:
    """The transcript of ``lines`` without the DEBUG lines (one per S3 request)."""
    return without_debug(annex.transcript(*lines))


def test_key_mode_transcript(env, annex_dir, remote_config, s3_server, bucket_name, tmp_path):
    annex = start(env, annex_dir, remote_config)
    configs = annex.transcript("LISTCONFIGS")
    assert configs == sorted(f"CONFIG {s.name} {s.description}" for s in SETTINGS_TABLE) + [
        "CONFIGEND"]
    assert annex.transcript("INITREMOTE")[-1] == "INITREMOTE-SUCCESS"
    assert annex.transcript("PREPARE") == ["PREPARE-SUCCESS"]

    data = b"spaced content\n" * 1000
    key = annex_key(data)
    source = tmp_path / " lead and trail "
    source.write_bytes(data)
    stored = without_debug(annex.transcript(f"TRANSFER STORE {key} {source}"))
    assert stored[-1] == f"TRANSFER-SUCCESS STORE {key}"
    # moto answered with the key's SHA-256: no ETag recorded (test_keystate_protocol.py)
    assert not any(line.startswith("SETSTATE ") for line in stored)
    progress = [int(line.split(" ")[1]) for line in stored[:-1]]
    assert stored[:-1] == [f"PROGRESS {n}" for n in progress] and progress == sorted(progress)
    assert s3_server.objects(bucket_name, "ds1/SHA")[f"ds1/{key}"] == data

    assert replies(annex, f"CHECKPRESENT {key}") == [f"CHECKPRESENT-SUCCESS {key}"]
    target = tmp_path / " got back "
    assert replies(annex, f"TRANSFER RETRIEVE {key} {target}")[-1] == (
        f"TRANSFER-SUCCESS RETRIEVE {key}")
    assert target.read_bytes() == data

    assert replies(annex, f"WHEREIS {key}") == [f"WHEREIS-SUCCESS s3://{bucket_name}/ds1/{key}"]
    assert replies(annex, "GETCOST") == ["COST 200"]
    assert replies(annex, "GETAVAILABILITY") == ["AVAILABILITY GLOBAL"]
    info = replies(annex, "GETINFO")
    assert info[-1] == "INFOEND"
    fields = dict(zip(info[:-1:2], info[1:-1:2]))
    assert fields["INFOFIELD bucket"] == f"INFOVALUE {bucket_name}"
    assert fields["INFOFIELD fileprefix"] == "INFOVALUE ds1/"
    assert fields["INFOFIELD endpoint"] == f"INFOVALUE {s3_server.endpoint}"

    assert replies(annex, f"REMOVE {key}") == [f"REMOVE-SUCCESS {key}"]
    assert replies(annex, f"REMOVE {key}") == [f"REMOVE-SUCCESS {key}"]
    assert replies(annex, f"CHECKPRESENT {key}") == [f"CHECKPRESENT-FAILURE {key}"]
    assert annex.transcript("FROBNICATE now") == ["UNSUPPORTED-REQUEST"]
    assert finish(annex) == 0
    assert protocol_only(annex.seen)
    assert not any(TEST_SECRET in line for line in annex.seen)


def test_prepare_needs_no_network(env, annex_dir):
    config = {"bucket": "b-1", "endpoint": "http://127.0.0.1:9"}  # nothing listens there
    annex = start(env, annex_dir, config)
    assert annex.transcript("PREPARE") == ["PREPARE-SUCCESS"]
    assert annex.transcript("WHEREIS MD5-s1--x") == ["WHEREIS-SUCCESS s3://b-1/MD5-s1--x"]
    assert annex.transcript("GETCOST") == ["COST 200"]
    assert finish(annex) == 0


@pytest.mark.parametrize("where, words", [("endpoint", "endpoint="), ("bucket", "bucket")])
def test_cannot_tell_is_unknown_not_absent(env, annex_dir, s3_server, where, words):
    endpoint = "http://127.0.0.1:9" if where == "endpoint" else s3_server.endpoint
    annex = start(env, annex_dir, {"bucket": "no-such-bucket-here", "endpoint": endpoint})
    annex.transcript("PREPARE")
    [reply] = without_debug(annex.transcript("CHECKPRESENT MD5-s1--x"))
    assert reply.startswith("CHECKPRESENT-UNKNOWN MD5-s1--x ") and words in reply
    assert finish(annex) == 0


@pytest.mark.parametrize("request_line", ["PREPARE", "INITREMOTE"])
@pytest.mark.parametrize("config, message", [
    ({"bucket": "Bad_Bucket"}, "bucket='Bad_Bucket' is not a valid S3 bucket name"),
    ({"bucket": "b-1", "partsize": "1MiB"}, "partsize=1MiB is outside 5MiB..5GiB"),
    ({}, "bucket= is required"),
])
def test_bad_setting_fails_in_one_line(env, annex_dir, request_line, config, message):
    annex = start(env, annex_dir, config)
    [reply] = without_debug(annex.transcript(request_line))
    assert reply.startswith(f"{request_line}-FAILURE {message}")
    assert finish(annex) == 0


def test_no_credentials_anywhere_refuses_to_store(tmp_path, annex_dir, remote_config):
    env = isolated_env(tmp_path / "bare-home", with_credentials=False)
    annex = start(env, annex_dir, remote_config)
    annex.transcript("PREPARE")
    source = tmp_path / "f"
    source.write_bytes(b"x")
    [reply] = without_debug(annex.transcript(f"TRANSFER STORE {annex_key(b'x')} {source}"))
    assert reply.startswith(f"TRANSFER-FAILURE STORE {annex_key(b'x')} ")
    assert "AWS_ACCESS_KEY_ID" in reply
    info = annex.transcript("GETINFO")
    assert ("INFOVALUE none found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or set "
            "profile=)") in info
    assert finish(annex) == 0


def test_async_transcript(env, annex_dir, remote_config, s3_server, bucket_name, tmp_path):
    annex = RemotePipe(env, remote_config, annex_dir)
    assert annex.transcript("EXTENSIONS INFO ASYNC") == ["EXTENSIONS INFO ASYNC"]
    assert annex.transcript("J 1 INITREMOTE")[-1] == "J 1 INITREMOTE-SUCCESS"
    assert sorted(annex.transcript("J 1 PREPARE", "J 2 PREPARE")) == [
        "J 1 PREPARE-SUCCESS", "J 2 PREPARE-SUCCESS"]
    one, two = b"first job", b"second job"
    (tmp_path / "one").write_bytes(one)
    (tmp_path / "two").write_bytes(two)
    stored = annex.transcript(f"J 1 TRANSFER STORE {annex_key(one)} {tmp_path / 'one'}",
                            f"J 2 TRANSFER STORE {annex_key(two)} {tmp_path / 'two'}")
    finals = sorted(line for line in stored if "TRANSFER-" in line)
    assert finals == [f"J 1 TRANSFER-SUCCESS STORE {annex_key(one)}",
                      f"J 2 TRANSFER-SUCCESS STORE {annex_key(two)}"]
    present = without_debug(annex.transcript(
        f"J 2 CHECKPRESENT {annex_key(one)}", "J 1 CHECKPRESENT MD5-s1--x", "J 3 GETCOST"))
    assert sorted(present) == ["J 1 CHECKPRESENT-FAILURE MD5-s1--x",
                               f"J 2 CHECKPRESENT-SUCCESS {annex_key(one)}", "J 3 COST 200"]
    assert set(s3_server.objects(bucket_name, "ds1/SHA").values()) == {one, two}
    assert finish(annex) == 0
    assert all(line.startswith("J ") for line in annex.seen[2:])
    assert protocol_only(annex.seen)


# -- structure and command line ------------------------------------------------------------------
def test_version_and_help(tmp_path, env):
    version = run([EXE, "--version"], tmp_path, env)
    assert version.stdout.strip() == f"git-annex-remote-s3py {__version__}"
    helptext = run([EXE, "--help"], tmp_path, env).stdout
    for words in ("initremote", "externaltype=s3py", "presign", "policy", "cleanup-uploads"):
        assert words in helptext
