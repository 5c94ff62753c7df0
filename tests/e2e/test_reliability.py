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

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.faultproxy import Rule
from support.pipes import REPLY_KEYWORDS, RemotePipe, annex_key
from support.repos import initremote, make_annex_repo, run

MiB = 1024 * 1024



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
def test_copy_300_keys_with_503s_and_resets(tmp_path, env, s3_server, s3_proxy,
                                            bucket_name):
    rng = random.Random(7)
    files = {f"d{i % 10}/f{i}.dat": rng.randbytes(rng.randint(1, 3000)) for i in range(300)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "fileprefix=c/")
    s3_proxy.set_rules(Rule("503", probability=0.05),
                          Rule("reset-req", method="PUT", probability=0.01, at_byte=40),
                          Rule("reset-resp", method="GET|HEAD", probability=0.01), seed=1)
    first = run(["git", "annex", "copy", "--to", "s3", "-J4", "."], repo, env, check=False)
    if first.returncode != 0:
        run(["git", "annex", "copy", "--to", "s3", "-J4", "."], repo, env)
    assert s3_proxy.counts["503"] >= 10 and s3_proxy.counts["reset-req"] >= 1, \
        s3_proxy.counts
    on_remote = annexed_keys(repo, env, "s3")
    assert len(on_remote) == 300
    truth = s3_server.objects(bucket_name, "c/")
    for key, path in on_remote.items():
        assert truth.get("c/" + key) == path.read_bytes(), f"{key} falsely present"
    run(["git", "annex", "fsck", "--from", "s3", "--fast", "-q"], repo, env)
    uploads = s3_server.client().list_multipart_uploads(Bucket=bucket_name, Prefix="c/")
    assert not uploads.get("Uploads")


# -- SIGKILL mid-upload ----------------------------------------------------------------------
def kill_when_held(remote: RemotePipe, hold: Rule, line: str) -> None:
    """Send ``line``; SIGKILL ``remote`` as soon as the proxy holds the request ``hold``
    matches (it has relayed ``hold.at_byte`` bytes of its body). Fails at once if the remote
    replies first (the transfer ended before the kill point)."""
    replies: list[str] = []

    def read_reply() -> None:
        try:
            replies.append(remote.reply())
        except EOFError:  # killed
            pass
        hold.held.set()  # wakes the test: either way, the moment has come

    reader = threading.Thread(target=read_reply, daemon=True)
    remote.send(line)
    reader.start()
    assert hold.held.wait(timeout=120), "neither a held request nor a reply in 120 s"
    assert not replies, f"the transfer ended before the kill point: {replies}"
    remote.kill()
    reader.join(timeout=30)
    assert not replies, f"the transfer ended before the kill point: {replies}"
    hold.release()


PART = "PUT", r"partNumber={}(&|$)"
KILLS = (  # (object size, the request held: method, query, nth; bytes of its body relayed)
    [(256 * 1024, ("PUT", ".*", 1), n) for n in (
        0, 1, 1000, 20_000, 40_000, 70_000, 100_000, 131_072, 140_000, 180_000, 220_000,
        262_000, 256 * 1024 - 1)]
    + [(11 * MiB, ("PUT", PART[1].format(part), 1), n) for part, n in (
        (1, 0), (1, 1), (1, 3 * MiB), (2, 7), (2, 3 * MiB), (3, MiB - 10))]
    + [(11 * MiB, ("POST", "uploadId=", 1), 0)]  # every part sent, CompleteMultipartUpload held
)


def test_sigkill_mid_upload_never_present_when_incomplete(tmp_path, env, s3_server,
                                                          s3_proxy, bucket_name):
    """Each round holds one request of the upload at a chosen byte (the proxy's ``hold``
    rule) and SIGKILLs the remote there; a fresh remote then never says present unless the
    object is whole, stores it, and says present."""
    assert len(KILLS) == 20
    repo = make_annex_repo(tmp_path / "repo", env, {"x": b"x"})
    initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none", "fileprefix=k/")
    rng = random.Random(3)
    checker = pipe(tmp_path, env, s3_server, bucket_name, "k/", partsize="5MiB")
    for index, (size, (method, query, nth), at_byte) in enumerate(KILLS):
        content = rng.randbytes(size)
        key = annex_key(content)
        source = tmp_path / f"upload-{index}"
        source.write_bytes(content)
        victim = pipe(tmp_path, env, s3_proxy, bucket_name, "k/", partsize="5MiB")
        hold = Rule("hold", method=method, query=query, nth=nth, at_byte=at_byte)
        s3_proxy.set_rules(hold)
        kill_when_held(victim, hold, f"TRANSFER STORE {key} {source}")
        victim.close()
        s3_proxy.set_rules()
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
    client = s3_server.client()
    abandoned = client.list_multipart_uploads(Bucket=bucket_name, Prefix="k/").get("Uploads")
    assert len(abandoned) == 7, "each multipart kill leaves its upload for cleanup-uploads"
    listed = run(["git-annex-remote-s3py", "cleanup-uploads"], repo, env).stdout
    assert listed.count("abandoned k/") == len(abandoned)
    run(["git-annex-remote-s3py", "cleanup-uploads", "--yes"], repo, env)
    assert not client.list_multipart_uploads(Bucket=bucket_name, Prefix="k/").get("Uploads")


def test_corrupted_download_never_succeeds(tmp_path, env, s3_server, s3_proxy, bucket_name):
    files = {"good.bin": random.Random(9).randbytes(200_000)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "fileprefix=f/")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    # A key git-annex does not hash (WORM), over the protocol: the remote itself refuses the
    # corrupted bytes (twice: the lean path's GET, then botocore's, which it hands it to).
    worm = "WORM-s200000-m1--good.bin"
    source = tmp_path / "source"
    source.write_bytes(files["good.bin"])
    remote = pipe(tmp_path, env, s3_proxy, bucket_name)
    assert remote.request(f"TRANSFER STORE {worm} {source}") == f"TRANSFER-SUCCESS STORE {worm}"
    s3_proxy.set_rules(Rule("corrupt", method="GET", at_byte=1000, limit=2))
    target = tmp_path / "got"
    reply = remote.request(f"TRANSFER RETRIEVE {worm} {target}")
    assert reply.startswith(f"TRANSFER-FAILURE RETRIEVE {worm} "), reply
    assert remote.request(f"TRANSFER RETRIEVE {worm} {target}") == \
        f"TRANSFER-SUCCESS RETRIEVE {worm}"
    assert target.read_bytes() == files["good.bin"]
    remote.close()
    # A SHA256E key through git-annex, which hashes what it retrieves (s3py does not read the
    # bytes a second time for it): nothing wrong lands in the annex.
    run(["git", "annex", "drop", "good.bin"], repo, env)
    s3_proxy.set_rules(Rule("corrupt", method="GET", at_byte=1000))
    result = run(["git", "annex", "get", "good.bin"], repo, env, check=False)
    assert result.returncode != 0
    assert "Verification of content failed" in result.stderr, result.stderr
    assert not (repo / "good.bin").exists()
    s3_proxy.set_rules()
    run(["git", "annex", "get", "good.bin"], repo, env)
    assert (repo / "good.bin").read_bytes() == files["good.bin"]


# -- 403 on HEAD, region errors, stalls ---------------------------------------------------------
def test_403_on_head_is_unknown_never_absent(tmp_path, env, s3_server, s3_proxy,
                                             bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"only.txt": b"one copy\n"})
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "fileprefix=f/")
    run(["git", "annex", "copy", "--to", "s3", "."], repo, env)
    # Credentials without s3:ListBucket: S3 answers 403 for a missing object, and refuses the
    # listing that could otherwise answer for many keys at once.
    s3_proxy.set_rules(Rule("403-missing", method="HEAD"),
                          Rule("403", method="GET", query="list-type"))
    remote = pipe(tmp_path, env, s3_proxy, bucket_name)
    mark = s3_proxy.mark()
    for number in range(1000):
        key = f"SHA256E-s{number}--{hashlib.sha256(str(number).encode()).hexdigest()}"
        reply = remote.request(f"CHECKPRESENT {key}")
        assert reply.startswith(f"CHECKPRESENT-UNKNOWN {key} "), reply
    # the cost of an answer does not grow with the refusals: one HEAD per key, no retry of a
    # 403, and whatever explains the refusal (a listing tried, one GET for its error body) is
    # asked a bounded number of times per process, not once per key
    seen = s3_proxy.since(mark)
    heads = [request for request in seen
             if request.method == "HEAD" and "/f/SHA256E-" in request.path]
    others = [(request.method, request.path, request.query) for request in seen
              if request.method != "HEAD" or "/f/SHA256E-" not in request.path]
    assert len({request.path for request in heads}) == 1000
    # one key is asked twice where the lean path hands the process over to botocore on its
    # first unclean answer; never more
    assert len(heads) <= 1001, len(heads)
    assert len(others) <= 5, others
    assert "403" in reply and "ListBucket" in reply
    remote.close()
    s3_proxy.set_rules(Rule("403", method="HEAD"))
    result = run(["git", "annex", "drop", "only.txt"], repo, env, check=False)
    assert result.returncode != 0
    assert (repo / "only.txt").read_bytes() == b"one copy\n"


def test_stall_is_unknown(tmp_path, env, s3_server, s3_proxy, bucket_name):
    """Over pipes, but here for its time: botocore's read timeouts and retries (~2.5 s). The
    region errors, the same path, are in protocol/test_faults_protocol.py."""
    s3_server.client().create_bucket(Bucket=bucket_name)
    env = {**env, "GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT": "0.3"}
    remote = pipe(tmp_path, env, s3_proxy, bucket_name)
    s3_proxy.set_rules(Rule("stall", stall=5))
    key = annex_key(b"whatever")
    reply = remote.request(f"CHECKPRESENT {key}", timeout=90)
    assert reply.startswith(f"CHECKPRESENT-UNKNOWN {key} "), reply
    assert all(word in reply for word in ("cannot reach", "endpoint=")), reply
    remote.close()


# -- "200 OK to everything" --------------------------------------------------------------------
def test_html_200_endpoint_fails_loudly(tmp_path, env, s3_server, s3_proxy, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"alpha\n"})
    s3_proxy.set_rules(Rule("html200"))
    refused = initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none",
                         check=False)
    assert refused.returncode != 0 and "S3 API URL" in refused.stdout + refused.stderr
    s3_proxy.set_rules()
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none")
    s3_proxy.set_rules(Rule("html200"))
    copy = run(["git", "annex", "copy", "--to", "s3", "."], repo, env, check=False)
    assert copy.returncode != 0 and "S3 API URL" in copy.stdout + copy.stderr
    s3_proxy.set_rules()
    assert annexed_keys(repo, env, "s3") == {}
    whereis = run(["git", "annex", "whereis", "a.txt"], repo, env).stdout
    assert "(1 copy)" in whereis and "[s3]" not in whereis


def test_unknown_setting_and_bad_bucket_rejected_by_initremote(tmp_path, env, s3_server,
                                                               bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a": b"a"})
    unknown = initremote(repo, env, "s3", s3_server, bucket_name, "encryption=none",
                         "bukket=typo", check=False)
    assert unknown.returncode != 0 and "bukket" in unknown.stderr
    bad = initremote(repo, env, "s3b", s3_server, "Bad_Bucket!", "encryption=none", check=False)
    assert bad.returncode != 0 and "not a valid S3 bucket name" in bad.stderr
    assert "Traceback" not in bad.stderr + unknown.stderr


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

    def no_bucket(settings, creds, local):
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
