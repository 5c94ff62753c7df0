"""The real executable over pipes, with scripted transcripts playing git-annex's side."""

from __future__ import annotations

import hashlib
import queue
import subprocess
import threading
from pathlib import Path
from typing import Optional

import pytest
from support.repos import BIN_DIR, TEST_SECRET, isolated_env, run

from git_annex_remote_s3py import __version__
from git_annex_remote_s3py.config import SETTINGS_TABLE

EXE = str(Path(BIN_DIR) / "git-annex-remote-s3py")
UUID = "5a1e0c3e-0000-4000-8000-000000000001"
QUERIES = {"GETCONFIG", "GETCREDS", "GETUUID", "GETGITDIR", "GETSTATE", "GETGITREMOTENAME"}
NOTES = {"DEBUG", "INFO", "PROGRESS", "SETCONFIG", "SETCREDS", "SETSTATE", "SETURLPRESENT",
         "SETURLMISSING", "SETURIPRESENT", "SETURIMISSING", "CONFIG", "INFOFIELD", "INFOVALUE"}
FINALS = {
    "VERSION", "EXTENSIONS", "CONFIGEND", "INITREMOTE-SUCCESS", "INITREMOTE-FAILURE",
    "PREPARE-SUCCESS", "PREPARE-FAILURE", "TRANSFER-SUCCESS", "TRANSFER-FAILURE",
    "CHECKPRESENT-SUCCESS", "CHECKPRESENT-FAILURE", "CHECKPRESENT-UNKNOWN", "REMOVE-SUCCESS",
    "REMOVE-FAILURE", "COST", "AVAILABILITY", "WHEREIS-SUCCESS", "WHEREIS-FAILURE", "INFOEND",
    "UNSUPPORTED-REQUEST", "ERROR", "EXPORTSUPPORTED-SUCCESS", "EXPORTSUPPORTED-FAILURE",
}


def split_job(line: str) -> tuple[str, str]:
    """("J n ", rest) for an ASYNC line, ("", line) otherwise."""
    if line.startswith("J "):
        _, job, rest = line.split(" ", 2)
        return f"J {job} ", rest
    return "", line


class FakeAnnex:
    """git-annex's side: answers the remote's queries from ``config``, records every line."""

    def __init__(self, env: dict[str, str], cwd: Path, config: dict[str, str],
                 creds: tuple[str, str] = ("", "")) -> None:
        self.config, self.creds = config, creds
        self.seen: list[str] = []
        self.process = subprocess.Popen([EXE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.git_dir = str(cwd / ".git")

    def _pump(self) -> None:
        for raw in self.process.stdout:
            self._lines.put(raw.decode("utf-8", "surrogateescape").removesuffix("\n"))
        self._lines.put(None)

    def send(self, line: str) -> None:
        self.process.stdin.write(line.encode("utf-8", "surrogateescape") + b"\n")
        self.process.stdin.flush()

    def read(self) -> Optional[str]:
        line = self._lines.get(timeout=60)
        if line is not None:
            self.seen.append(line)
        return line

    def _answer(self, job: str, body: str) -> None:
        word, _, arg = body.partition(" ")
        answer = {"GETCONFIG": f"VALUE {self.config.get(arg, '')}",
                  "GETCREDS": f"CREDS {self.creds[0]} {self.creds[1]}",
                  "GETUUID": f"VALUE {UUID}", "GETGITDIR": f"VALUE {self.git_dir}",
                  "GETSTATE": "VALUE ", "GETGITREMOTENAME": "VALUE s3"}[word]
        self.send(job + answer)

    def requests(self, *lines: str) -> list[str]:
        """Send ``lines``; return every non-query line until each got its final reply."""
        for line in lines:
            self.send(line)
        replies, pending = [], len(lines)
        while pending:
            line = self.read()
            assert line is not None, f"remote exited; stderr: {self.stderr()}"
            job, body = split_job(line)
            word = body.split(" ", 1)[0]
            if word in QUERIES:
                self._answer(job, body)
                continue
            replies.append(line)
            pending -= word in FINALS
        return replies

    def request(self, line: str) -> list[str]:
        return self.requests(line)

    def close(self) -> int:
        self.process.stdin.close()
        assert self.read() is None
        return self.process.wait(timeout=30)

    def stderr(self) -> str:
        self.process.kill()
        return self.process.stderr.read().decode(errors="replace")


def protocol_only(lines: list[str]) -> bool:
    words = {split_job(line)[1].split(" ", 1)[0] for line in lines}
    return words <= QUERIES | NOTES | FINALS


def key_of(data: bytes, suffix: str = ".bin") -> str:
    return f"SHA256E-s{len(data)}--{hashlib.sha256(data).hexdigest()}{suffix}"


@pytest.fixture
def annex_dir(tmp_path: Path, env: dict[str, str]) -> Path:
    """An empty git repository for GETGITDIR (where git-annex keeps local creds)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    return repo


@pytest.fixture
def remote_config(s3_server, bucket_name) -> dict[str, str]:
    return {"bucket": bucket_name, "endpoint": s3_server.endpoint, "fileprefix": "ds1/"}


def start(env, annex_dir, config, extensions="EXTENSIONS INFO GETGITREMOTENAME",
          **kwargs) -> FakeAnnex:
    annex = FakeAnnex(env, annex_dir, config, **kwargs)
    assert annex.read() == "VERSION 2"
    assert annex.request(extensions) == ["EXTENSIONS INFO"]
    return annex


def test_key_mode_transcript(env, annex_dir, remote_config, s3_server, bucket_name, tmp_path):
    annex = start(env, annex_dir, remote_config)
    configs = annex.request("LISTCONFIGS")
    assert configs == sorted(f"CONFIG {s.name} {s.description}" for s in SETTINGS_TABLE) + [
        "CONFIGEND"]
    assert annex.request("INITREMOTE")[-1] == "INITREMOTE-SUCCESS"
    assert annex.request("PREPARE") == ["PREPARE-SUCCESS"]

    data = b"spaced content\n" * 1000
    key = key_of(data)
    source = tmp_path / " lead and trail "
    source.write_bytes(data)
    stored = annex.request(f"TRANSFER STORE {key} {source}")
    assert stored[-1] == f"TRANSFER-SUCCESS STORE {key}"
    progress = [int(line.split(" ")[1]) for line in stored[:-1]]
    assert stored[:-1] == [f"PROGRESS {n}" for n in progress] and progress == sorted(progress)
    assert s3_server.objects(bucket_name, "ds1/SHA")[f"ds1/{key}"] == data

    assert annex.request(f"CHECKPRESENT {key}") == [f"CHECKPRESENT-SUCCESS {key}"]
    target = tmp_path / " got back "
    assert annex.request(f"TRANSFER RETRIEVE {key} {target}")[-1] == (
        f"TRANSFER-SUCCESS RETRIEVE {key}")
    assert target.read_bytes() == data

    assert annex.request(f"WHEREIS {key}") == [f"WHEREIS-SUCCESS s3://{bucket_name}/ds1/{key}"]
    assert annex.request("GETCOST") == ["COST 200"]
    assert annex.request("GETAVAILABILITY") == ["AVAILABILITY GLOBAL"]
    info = annex.request("GETINFO")
    assert info[-1] == "INFOEND"
    fields = dict(zip(info[:-1:2], info[1:-1:2]))
    assert fields["INFOFIELD bucket"] == f"INFOVALUE {bucket_name}"
    assert fields["INFOFIELD fileprefix"] == "INFOVALUE ds1/"
    assert fields["INFOFIELD endpoint"] == f"INFOVALUE {s3_server.endpoint}"

    assert annex.request(f"REMOVE {key}") == [f"REMOVE-SUCCESS {key}"]
    assert annex.request(f"REMOVE {key}") == [f"REMOVE-SUCCESS {key}"]
    assert annex.request(f"CHECKPRESENT {key}") == [f"CHECKPRESENT-FAILURE {key}"]
    assert annex.request("FROBNICATE now") == ["UNSUPPORTED-REQUEST"]
    assert annex.close() == 0
    assert protocol_only(annex.seen)
    assert not any(TEST_SECRET in line for line in annex.seen)


def test_prepare_needs_no_network(env, annex_dir):
    config = {"bucket": "b-1", "endpoint": "http://127.0.0.1:9"}  # nothing listens there
    annex = start(env, annex_dir, config)
    assert annex.request("PREPARE") == ["PREPARE-SUCCESS"]
    assert annex.request("WHEREIS MD5-s1--x") == ["WHEREIS-SUCCESS s3://b-1/MD5-s1--x"]
    assert annex.request("GETCOST") == ["COST 200"]
    assert annex.close() == 0


@pytest.mark.parametrize("where, words", [("endpoint", "endpoint="), ("bucket", "bucket")])
def test_cannot_tell_is_unknown_not_absent(env, annex_dir, s3_server, where, words):
    endpoint = "http://127.0.0.1:9" if where == "endpoint" else s3_server.endpoint
    annex = start(env, annex_dir, {"bucket": "no-such-bucket-here", "endpoint": endpoint})
    annex.request("PREPARE")
    [reply] = [r for r in annex.request("CHECKPRESENT MD5-s1--x") if not r.startswith("DEBUG")]
    assert reply.startswith("CHECKPRESENT-UNKNOWN MD5-s1--x ") and words in reply
    assert annex.close() == 0


@pytest.mark.parametrize("request_line", ["PREPARE", "INITREMOTE"])
@pytest.mark.parametrize("config, message", [
    ({"bucket": "Bad_Bucket"}, "bucket='Bad_Bucket' is not a valid S3 bucket name"),
    ({"bucket": "b-1", "partsize": "1MiB"}, "partsize=1MiB is outside 5MiB..5GiB"),
    ({}, "bucket= is required"),
])
def test_bad_setting_fails_in_one_line(env, annex_dir, request_line, config, message):
    annex = start(env, annex_dir, config)
    [reply] = [r for r in annex.request(request_line) if not r.startswith("DEBUG")]
    assert reply.startswith(f"{request_line}-FAILURE {message}")
    assert annex.close() == 0


def test_no_credentials_anywhere_refuses_to_store(tmp_path, annex_dir, remote_config):
    env = isolated_env(tmp_path / "bare-home", with_credentials=False)
    annex = start(env, annex_dir, remote_config)
    annex.request("PREPARE")
    source = tmp_path / "f"
    source.write_bytes(b"x")
    [reply] = [r for r in annex.request(f"TRANSFER STORE {key_of(b'x')} {source}")
               if not r.startswith("DEBUG")]
    assert reply.startswith(f"TRANSFER-FAILURE STORE {key_of(b'x')} ")
    assert "AWS_ACCESS_KEY_ID" in reply
    info = annex.request("GETINFO")
    assert "INFOVALUE AWS credential chain (profile, SSO, role)" in info
    assert annex.close() == 0


@pytest.mark.parametrize("line", ["", "CHECKPRESENT", "TRANSFER STORE", "TRANSFER"])
def test_malformed_line_gives_one_error(env, annex_dir, line):
    annex = start(env, annex_dir, {"bucket": "b-1"})
    annex.send(line)
    reply = annex.read()
    assert reply is not None and reply.startswith("ERROR ")
    assert annex.read() is None  # one line, then the process ends
    assert annex.process.wait(timeout=30) != 0


def test_async_transcript(env, annex_dir, remote_config, s3_server, bucket_name, tmp_path):
    annex = FakeAnnex(env, annex_dir, remote_config)
    assert annex.read() == "VERSION 2"
    assert annex.request("EXTENSIONS INFO ASYNC") == ["EXTENSIONS INFO ASYNC"]
    assert annex.request("J 1 INITREMOTE")[-1] == "J 1 INITREMOTE-SUCCESS"
    assert sorted(annex.requests("J 1 PREPARE", "J 2 PREPARE")) == [
        "J 1 PREPARE-SUCCESS", "J 2 PREPARE-SUCCESS"]
    one, two = b"first job", b"second job"
    (tmp_path / "one").write_bytes(one)
    (tmp_path / "two").write_bytes(two)
    stored = annex.requests(f"J 1 TRANSFER STORE {key_of(one)} {tmp_path / 'one'}",
                            f"J 2 TRANSFER STORE {key_of(two)} {tmp_path / 'two'}")
    finals = sorted(line for line in stored if "TRANSFER-" in line)
    assert finals == [f"J 1 TRANSFER-SUCCESS STORE {key_of(one)}",
                      f"J 2 TRANSFER-SUCCESS STORE {key_of(two)}"]
    present = annex.requests(f"J 2 CHECKPRESENT {key_of(one)}", "J 1 CHECKPRESENT MD5-s1--x",
                             "J 1 GETCOST")
    assert sorted(present) == ["J 1 CHECKPRESENT-FAILURE MD5-s1--x", "J 1 COST 200",
                               f"J 2 CHECKPRESENT-SUCCESS {key_of(one)}"]
    assert set(s3_server.objects(bucket_name, "ds1/SHA").values()) == {one, two}
    assert annex.close() == 0
    assert all(line.startswith("J ") for line in annex.seen[2:])
    assert protocol_only(annex.seen)


# -- structure and command line ------------------------------------------------------------------
def test_version_and_help(tmp_path, env):
    version = run([EXE, "--version"], tmp_path, env)
    assert version.stdout.strip() == f"git-annex-remote-s3py {__version__}"
    helptext = run([EXE, "--help"], tmp_path, env).stdout
    for words in ("initremote", "externaltype=s3py", "presign", "policy", "cleanup-uploads"):
        assert words in helptext
