"""Issue 7: nothing is lost or mislabeled under faults (RELIABILITY.md, docs/reliability.md).

The fault proxy (tests/faultproxy.py) sits between the remote and moto's server. Truth is
always read from moto directly (``s3_server.client()``), never through the proxy.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.faultproxy import FaultProxy, Rule
from support.pipes import REPLY_KEYWORDS, RemotePipe, annex_key
from support.repos import initremote, make_annex_repo, run

from git_annex_remote_s3py.config import (
    SETTINGS_TABLE,
    parse_bool,
    parse_choice,
    parse_size,
    parse_url,
)
from git_annex_remote_s3py.store.client import NO_LEAN_ENV

MiB = 1024 * 1024
pytestmark = pytest.mark.e2e


@pytest.fixture
def fault_proxy(s3_server):
    """A fault proxy in front of the session's moto server; no rules until a test sets them."""
    proxy = FaultProxy(s3_server.endpoint, seed=20261122).start()
    yield proxy
    proxy.stop()


def make_bucket(s3_server, name: str) -> None:
    s3_server.client().create_bucket(Bucket=name)


def stored_bytes(s3_server, bucket: str, name: str) -> bytes | None:
    client = s3_server.client()
    try:
        return client.get_object(Bucket=bucket, Key=name)["Body"].read()
    except client.exceptions.NoSuchKey:
        return None


def pipe(tmp_path: Path, env: dict, proxy, bucket: str, prefix: str = "f/",
         **extra: str) -> RemotePipe:
    remote = RemotePipe(env, {"bucket": bucket, "endpoint": proxy.endpoint,
                              "fileprefix": prefix, **extra}, tmp_path)
    remote.prepare()
    return remote


def annexed_keys(repo: Path, env: dict, where: str) -> dict[str, Path]:
    out = run(["git", "annex", "find", f"--in={where}", "--format=${key} ${file}\\n"],
              repo, env).stdout
    return {line.split(" ", 1)[0]: repo / line.split(" ", 1)[1] for line in out.splitlines()}


# -- copy under 503s and resets --------------------------------------------------------------
def test_copy_300_keys_with_503s_and_resets(tmp_path, env, s3_server, fault_proxy,
                                            bucket_name):
    rng = random.Random(7)
    files = {f"d{i % 10}/f{i}.dat": rng.randbytes(rng.randint(1, 3000)) for i in range(300)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", fault_proxy, bucket_name, "encryption=none", "fileprefix=c/")
    fault_proxy.set_rules(Rule("503", probability=0.05),
                          Rule("reset-req", method="PUT", probability=0.01, at_byte=40),
                          Rule("reset-resp", method="GET|HEAD", probability=0.01), seed=1)
    first = run(["git", "annex", "copy", "--to", "s3", "-J4", "."], repo, env, check=False)
    if first.returncode != 0:
        run(["git", "annex", "copy", "--to", "s3", "-J4", "."], repo, env)
    assert fault_proxy.counts["503"] >= 10 and fault_proxy.counts["reset-req"] >= 1, \
        fault_proxy.counts
    on_remote = annexed_keys(repo, env, "s3")
    assert len(on_remote) == 300
    truth = s3_server.objects(bucket_name, "c/")
    for key, path in on_remote.items():
        assert truth.get("c/" + key) == path.read_bytes(), f"{key} falsely present"
    run(["git", "annex", "fsck", "--from", "s3", "--fast", "-q"], repo, env)
    uploads = s3_server.client().list_multipart_uploads(Bucket=bucket_name, Prefix="c/")
    assert not uploads.get("Uploads")


# -- SIGKILL mid-upload ----------------------------------------------------------------------
def _kill_when(remote: RemotePipe, proxy, how: str, amount: float) -> None:
    """SIGKILL ``remote`` once ``amount`` bytes reached the proxy, PROGRESS lines or seconds."""
    start = time.monotonic()
    while remote.process.poll() is None:
        if how == "bytes" and proxy.bytes_in >= amount:
            break
        if how == "delay" and time.monotonic() - start >= amount:
            break
        if how == "progress" and len(remote.progress) >= amount:
            break
        if how == "progress":
            try:
                remote._answer(remote.next_line(timeout=0.002))
            except Exception:  # queue.Empty: nothing yet
                pass
        else:
            time.sleep(0.002)
        if time.monotonic() - start > 30:
            raise AssertionError("the upload never reached the kill point")
    remote.kill()


KILLS = [("bytes", 256 * 1024, n) for n in (1, 1000, 20_000, 40_000, 70_000, 100_000, 140_000,
                                           180_000, 220_000, 262_000)] + \
    [("bytes", 11 * MiB, n) for n in (1, 3 * MiB, 5 * MiB + 7, 8 * MiB, 11 * MiB - 10)] + \
    [("delay", 256 * 1024, t) for t in (0.01, 0.05, 0.1)] + \
    [("progress", 11 * MiB, n) for n in (1, 2)]


def test_sigkill_mid_upload_never_present_when_incomplete(tmp_path, env, s3_server,
                                                          fault_proxy, bucket_name):
    assert len(KILLS) == 20
    repo = make_annex_repo(tmp_path / "repo", env, {"x": b"x"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=k/")
    slow = Rule("slow", method="PUT", rate=6 * MiB)
    rng = random.Random(3)
    checker = None
    victim = pipe(tmp_path, env, fault_proxy, bucket_name, "k/", partsize="5MiB")
    for index, (how, size, amount) in enumerate(KILLS):
        content = rng.randbytes(size)
        key = annex_key(content)
        source = tmp_path / f"upload-{index}"
        source.write_bytes(content)
        fault_proxy.set_rules(slow)
        fault_proxy.reset_counters()
        victim.send(f"TRANSFER STORE {key} {source}")
        _kill_when(victim, fault_proxy, how, amount)
        victim.close()
        victim = pipe(tmp_path, env, fault_proxy, bucket_name, "k/", partsize="5MiB")
        fault_proxy.set_rules()
        checker = checker or pipe(tmp_path, env, fault_proxy, bucket_name, "k/",
                                  partsize="5MiB")
        answer = checker.request(f"CHECKPRESENT {key}")
        held = stored_bytes(s3_server, bucket_name, "k/" + key)
        if answer == f"CHECKPRESENT-SUCCESS {key}":
            assert held == content, f"kill {index}: present but incomplete"
        else:
            assert answer == f"CHECKPRESENT-FAILURE {key}", answer
        assert checker.request(f"TRANSFER STORE {key} {source}") == \
            f"TRANSFER-SUCCESS STORE {key}"
        assert stored_bytes(s3_server, bucket_name, "k/" + key) == content
        assert checker.request(f"CHECKPRESENT {key}") == f"CHECKPRESENT-SUCCESS {key}"
    checker.close()
    victim.close()
    client = s3_server.client()
    abandoned = client.list_multipart_uploads(Bucket=bucket_name, Prefix="k/").get("Uploads")
    assert abandoned, "no kill landed mid-multipart"
    listed = run(["git-annex-remote-s3py", "cleanup-uploads"], repo, env).stdout
    assert listed.count("abandoned k/") == len(abandoned)
    run(["git-annex-remote-s3py", "cleanup-uploads", "--yes"], repo, env)
    assert not client.list_multipart_uploads(Bucket=bucket_name, Prefix="k/").get("Uploads")


# -- downloads cut short or corrupted ---------------------------------------------------------
@pytest.mark.parametrize("lean", [True, False], ids=["lean", "botocore"])
def test_truncated_download_fails_then_resumes_with_range(tmp_path, env, s3_server,
                                                          fault_proxy, bucket_name, lean):
    """botocore: the request fails, the next one resumes. Lean path (small objects): the
    truncated lean GET hands over to botocore, which resumes within the same request."""
    make_bucket(s3_server, bucket_name)
    content = random.Random(5).randbytes(3 * MiB + 12345)
    key = annex_key(content)
    s3_server.client().put_object(Bucket=bucket_name, Key="f/" + key, Body=content)
    if not lean:
        env = {**env, NO_LEAN_ENV: "1"}
    remote = pipe(tmp_path, env, fault_proxy, bucket_name)
    target = tmp_path / "got"
    cut = 2 * MiB + 500
    fault_proxy.set_rules(Rule("truncate", method="GET", at_byte=cut, limit=1))
    first = remote.request(f"TRANSFER RETRIEVE {key} {target}")
    if not lean:
        assert first.startswith(f"TRANSFER-FAILURE RETRIEVE {key} "), first
        partial = target.read_bytes()
        assert len(partial) == cut and content.startswith(partial)
        first = remote.request(f"TRANSFER RETRIEVE {key} {target}")
    assert first == f"TRANSFER-SUCCESS RETRIEVE {key}"
    assert target.read_bytes() == content
    ranges = [s.range for s in fault_proxy.requests if s.method == "GET" and s.range]
    assert ranges == [f"bytes={cut}-"]
    said = [line for line in remote.sent_back if "lean request path off" in line]
    if lean:  # one line for git annex --debug, saying why
        assert len(said) == 1 and said[0].startswith("DEBUG lean request path off (GET "), said
    else:
        assert said == []
    remote.close()


def test_corrupted_download_never_succeeds(tmp_path, env, s3_server, fault_proxy, bucket_name):
    files = {"good.bin": random.Random(9).randbytes(200_000)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", fault_proxy, bucket_name, "encryption=none", "fileprefix=f/")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    key = run(["git", "annex", "lookupkey", "good.bin"], repo, env).stdout.strip()
    # Over the protocol: the remote itself must refuse the corrupted bytes (twice: the lean
    # path's GET, then botocore's, which it hands the request to).
    fault_proxy.set_rules(Rule("corrupt", method="GET", at_byte=1000, limit=2))
    remote = pipe(tmp_path, env, fault_proxy, bucket_name)
    target = tmp_path / "got"
    reply = remote.request(f"TRANSFER RETRIEVE {key} {target}")
    assert reply.startswith(f"TRANSFER-FAILURE RETRIEVE {key} "), reply
    assert remote.request(f"TRANSFER RETRIEVE {key} {target}") == \
        f"TRANSFER-SUCCESS RETRIEVE {key}"
    assert target.read_bytes() == files["good.bin"]
    remote.close()
    # Through git-annex: nothing wrong lands in the annex.
    run(["git", "annex", "drop", "good.bin"], repo, env)
    fault_proxy.set_rules(Rule("corrupt", method="GET", at_byte=1000))
    result = run(["git", "annex", "get", "good.bin"], repo, env, check=False)
    assert result.returncode != 0
    assert not (repo / "good.bin").exists()
    fault_proxy.set_rules()
    run(["git", "annex", "get", "good.bin"], repo, env)
    assert (repo / "good.bin").read_bytes() == files["good.bin"]


# -- 403 on HEAD, region errors, stalls ---------------------------------------------------------
def test_403_on_head_is_unknown_never_absent(tmp_path, env, s3_server, fault_proxy,
                                             bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"only.txt": b"one copy\n"})
    initremote(repo, env, "s3", fault_proxy, bucket_name, "encryption=none", "fileprefix=f/")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    # Credentials without s3:ListBucket: S3 answers 403 for a missing object, and refuses the
    # listing that could otherwise answer for many keys at once.
    fault_proxy.set_rules(Rule("403-missing", method="HEAD"),
                          Rule("403", method="GET", query="list-type"))
    remote = pipe(tmp_path, env, fault_proxy, bucket_name)
    started = time.monotonic()
    for number in range(1000):
        key = f"SHA256E-s{number}--{hashlib.sha256(str(number).encode()).hexdigest()}"
        reply = remote.request(f"CHECKPRESENT {key}")
        assert reply.startswith(f"CHECKPRESENT-UNKNOWN {key} "), reply
    assert time.monotonic() - started < 60
    assert "403" in reply and "ListBucket" in reply
    remote.close()
    fault_proxy.set_rules(Rule("403", method="HEAD"))
    result = run(["git", "annex", "drop", "only.txt"], repo, env, check=False)
    assert result.returncode != 0
    assert (repo / "only.txt").read_bytes() == b"one copy\n"


@pytest.mark.parametrize("rule, words", [
    (Rule("301-region"), ("region=eu-west-1",)),
    (Rule("400-region"), ("region=eu-west-1",)),
    (Rule("stall", stall=5), ("cannot reach", "endpoint=")),
])
def test_region_errors_and_stalls_are_unknown(tmp_path, env, s3_server, fault_proxy,
                                              bucket_name, rule, words):
    make_bucket(s3_server, bucket_name)
    env = {**env, "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT": "0.3"}
    remote = pipe(tmp_path, env, fault_proxy, bucket_name)
    fault_proxy.set_rules(rule)
    key = annex_key(b"whatever")
    reply = remote.request(f"CHECKPRESENT {key}", timeout=90)
    assert reply.startswith(f"CHECKPRESENT-UNKNOWN {key} "), reply
    assert all(word in reply for word in words), reply
    remote.close()


# -- "200 OK to everything" --------------------------------------------------------------------
def test_html_200_endpoint_fails_loudly(tmp_path, env, s3_server, fault_proxy, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"alpha\n"})
    fault_proxy.set_rules(Rule("html200"))
    refused = initremote(repo, env, "s3", fault_proxy, bucket_name, "encryption=none",
                         check=False)
    assert refused.returncode != 0 and "S3 API URL" in refused.stdout + refused.stderr
    fault_proxy.set_rules()
    initremote(repo, env, "s3", fault_proxy, bucket_name, "encryption=none")
    fault_proxy.set_rules(Rule("html200"))
    copy = run(["git", "annex", "copy", "--to", "s3", "."], repo, env, check=False)
    assert copy.returncode != 0 and "S3 API URL" in copy.stdout + copy.stderr
    fault_proxy.set_rules()
    assert annexed_keys(repo, env, "s3") == {}
    whereis = run(["git", "annex", "whereis", "a.txt"], repo, env).stdout
    assert "(1 copy)" in whereis and "[s3]" not in whereis


# -- full disk -----------------------------------------------------------------------------------
def test_full_disk_on_retrieve_fails_cleanly(tmp_path, env, s3_server, fault_proxy,
                                             bucket_name):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        make_bucket(s3_server, bucket_name)
        content = random.Random(11).randbytes(3 * MiB)
        key = annex_key(content)
        s3_server.client().put_object(Bucket=bucket_name, Key="f/" + key, Body=content)
        remote = pipe(tmp_path, env, fault_proxy, bucket_name)
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
                                                             fault_proxy, bucket_name):
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


def test_unknown_setting_and_bad_bucket_rejected_by_initremote(tmp_path, env, s3_server,
                                                               bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a": b"a"})
    unknown = initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none",
                         "bukket=typo", check=False)
    assert unknown.returncode != 0 and "bukket" in unknown.stderr
    bad = initremote(repo, env, "s3b", s3_server, "Bad_Bucket!", "encryption=none", check=False)
    assert bad.returncode != 0 and "not a valid S3 bucket name" in bad.stderr
    assert "Traceback" not in bad.stderr + unknown.stderr


MALFORMED = ["TRANSFER STORE", "TRANSFER", "CHECKPRESENT", "transfer store k f", "FOO bar",
             "", "J 1 PREPARE", "RENAMEEXPORT", "TRANSFEREXPORT STORE k", "PREPARE extra"]


@pytest.mark.parametrize("line", MALFORMED)
def test_malformed_protocol_lines_get_one_line_answers(tmp_path, env, line):
    remote = RemotePipe(env, {"bucket": "b-b-b"}, tmp_path)
    remote.send(line)
    remote.process.stdin.close()
    remote.process.wait(timeout=30)
    lines = []
    while True:
        try:
            lines.append(remote.next_line(timeout=5))
        except EOFError:
            break
    assert lines, f"no answer to {line!r}"
    assert all(reply.split(" ")[0] in REPLY_KEYWORDS for reply in lines), lines
    assert lines[-1].split(" ")[0] in ("ERROR", "UNSUPPORTED-REQUEST") or \
        lines[-1].startswith(("TRANSFER-FAILURE", "RENAMEEXPORT-FAILURE",
                              "CHECKPRESENT-UNKNOWN")), lines
    remote.close()


COMMANDS = ["INITREMOTE", "PREPARE", "TRANSFER", "CHECKPRESENT", "REMOVE", "LISTCONFIGS",
            "GETCOST", "GETAVAILABILITY", "WHEREIS", "GETINFO", "EXPORTSUPPORTED", "EXPORT",
            "TRANSFEREXPORT", "CHECKPRESENTEXPORT", "REMOVEEXPORT", "REMOVEEXPORTDIRECTORY",
            "RENAMEEXPORT", "EXTENSIONS", "CLAIMURL", "CHECKURL", "VALUE", "J", "ERROR"]
LINE_TEXT = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)),
                    max_size=40)
LINES = st.one_of(LINE_TEXT, st.builds(lambda c, r: f"{c} {r}", st.sampled_from(COMMANDS),
                                       LINE_TEXT))


class _NoNetwork(Exception):
    pass


def _serve_in_process(lines: list[str]) -> tuple[list[str], bool]:
    """Feed ``lines`` to one in-process remote; return its stdout lines and whether it lived."""
    from git_annex_remote_s3py.annex.protocol import Channel, LineSink, strip_newline
    from git_annex_remote_s3py.annex.remote import S3Remote
    from git_annex_remote_s3py.annex.session import Session

    def no_bucket(settings, creds):
        raise _NoNetwork

    out = io.StringIO()
    feed = iter([line + "\n" for line in lines])
    channel = Channel(LineSink(out), lambda: next(feed, ""))
    channel.LinkRemote(S3Remote(channel, Session(make_bucket=no_bucket)))
    alive = True
    for line in feed:
        try:
            alive = channel.handle(strip_newline(line))
        except SystemExit:  # git-annex sent ERROR: annexremote answers ERROR and exits
            alive = False
        if not alive:
            break
    return out.getvalue().split("\n")[:-1], alive  # only "\n" ends a protocol line


@settings(max_examples=3_400, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.lists(LINES, min_size=3, max_size=3))  # 10,200 lines
def test_fuzzed_protocol_lines(lines):
    replies, alive = _serve_in_process(lines)
    for reply in replies:
        assert reply.split(" ")[0] in REPLY_KEYWORDS, (lines, reply)
        assert "Traceback" not in reply
    if not alive:
        assert replies and replies[-1].startswith("ERROR "), (lines, replies)


# -- secrets -------------------------------------------------------------------------------------
SENTINEL_KEY, SENTINEL_SECRET = "AKIASENTINEL123", "SENTINELSECRETxyz"


def _watch_cmdlines(stop: threading.Event, found: list[str]) -> None:
    me = os.getpid()
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == me:
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if SENTINEL_SECRET.encode() in cmdline or SENTINEL_KEY.encode() in cmdline:
                found.append(cmdline.decode(errors="replace"))
        time.sleep(0.01)


def test_secrets_never_leak(tmp_path, env, s3_server, bucket_name):
    env = {**env, "AWS_ACCESS_KEY_ID": SENTINEL_KEY, "AWS_SECRET_ACCESS_KEY": SENTINEL_SECRET}
    stop, in_argv = threading.Event(), []
    watcher = threading.Thread(target=_watch_cmdlines, args=(stop, in_argv), daemon=True)
    watcher.start()
    logs = []
    try:
        repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"secret-free\n"})
        steps = [["initremote", "s3", "type=external", "externaltype=s3py",
                  f"bucket={bucket_name}", f"endpoint={s3_server.endpoint}",
                  "encryption=none"],
                 ["copy", "--to", "s3", "."], ["drop", "."], ["get", "."],
                 ["fsck", "--from", "s3"]]
        for step in steps:
            result = run(["git", "annex", "--debug", *step], repo, env)
            logs.append(result.stdout + result.stderr)
        # Without the environment, the remote must still find the creds git-annex keeps.
        bare = {k: v for k, v in env.items() if not k.startswith("AWS_ACCESS")
                and not k.startswith("AWS_SECRET")}
        run(["git", "annex", "drop", "."], repo, env)
        result = run(["git", "annex", "get", "."], repo, bare)
        logs.append(result.stdout + result.stderr)
    finally:
        stop.set()
        watcher.join()
    assert (repo / "a.txt").read_bytes() == b"secret-free\n"
    everything = "\n".join(logs)
    assert "CHECKPRESENT" in everything  # the protocol log really was on
    assert SENTINEL_KEY not in everything and SENTINEL_SECRET not in everything
    objects = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo,
                             capture_output=True).stdout
    history = subprocess.run(["git", "log", "-p", "--all"], cwd=repo, capture_output=True).stdout
    for blob in (objects, history):
        assert SENTINEL_KEY.encode() not in blob and SENTINEL_SECRET.encode() not in blob
    assert in_argv == []
