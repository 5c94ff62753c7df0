"""Issue #12: SIGINT, SIGTERM or the end of input mid-upload stop the remote at once, without a
traceback, and abort the multipart upload it had open.

The remote speaks over pipes (support.pipes.RemotePipe) to moto's server through a proxy that
holds every UploadPart request: the upload can neither finish nor move on, as on a slow link.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading

import pytest
from support.faultproxy import FaultProxy, _ProxyHandler
from support.pipes import RemotePipe, annex_key
from support.repos import initremote, make_annex_repo
from support.terminal import children, ended_within, run_in_terminal

MiB = 1024 * 1024
PREFIX = "int/"


class PartHoldingProxy(FaultProxy):
    """A recording proxy that holds every UploadPart request (unanswered, until ``stop``);
    ``part_held`` is set when the first one arrives."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.part_held = threading.Event()

        class Holding(_ProxyHandler):
            proxy = self

            def _handle(self) -> None:
                _, _, query = self.path.partition("?")
                if self.command == "PUT" and "partNumber=" in query and "uploadId=" in query:
                    self.proxy.part_held.set()
                    self.proxy.stopping.wait()
                    self._reset()
                    return
                super()._handle()

        self.server.RequestHandlerClass = Holding


@pytest.fixture
def holding_proxy(s3_server):
    proxy = PartHoldingProxy(s3_server.endpoint).start()
    yield proxy
    proxy.stop()


def answer_queries_until_stopped(remote: RemotePipe) -> None:
    """Answer the remote's queries (the store asks GETSTATE for the key's recorded ETag)
    until it stops; the transfer's reply never comes."""
    try:
        remote.reply(timeout=120)
    except Exception:  # noqa: BLE001 - the remote was stopped on purpose: no reply
        pass


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "EOF"])
def test_interrupted_upload_stops_and_aborts(tmp_path, env, s3_server, holding_proxy,
                                             bucket_name, how):
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    content = random.Random(12).randbytes(3 * 5 * MiB)
    key = annex_key(content)
    source = tmp_path / "big"
    source.write_bytes(content)
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": holding_proxy.endpoint,
                              "fileprefix": PREFIX, "partsize": "5MiB"}, tmp_path)
    remote.prepare()
    remote.send(f"TRANSFER STORE {key} {source}")
    answering = threading.Thread(target=answer_queries_until_stopped, args=(remote,),
                                 daemon=True)  # GETSTATE and friends, while the part hangs
    answering.start()
    assert holding_proxy.part_held.wait(timeout=60), remote.stderr()
    assert client.list_multipart_uploads(Bucket=bucket_name, Prefix=PREFIX).get("Uploads")
    if how == "EOF":
        remote.process.stdin.close()
    else:
        remote.process.send_signal(getattr(signal, how))
    code = remote.process.wait(timeout=10)  # a bound, not a speed test: it used to take minutes
    stderr = remote.stderr()
    remote.close()
    assert code == {"SIGINT": 130, "SIGTERM": 143, "EOF": 1}[how], stderr
    assert "Traceback" not in stderr, stderr
    assert "aborted 1 unfinished multipart upload" in stderr, stderr
    assert not client.list_multipart_uploads(Bucket=bucket_name, Prefix=PREFIX).get("Uploads")
    assert client.list_objects_v2(Bucket=bucket_name, Prefix=PREFIX)["KeyCount"] == 0


def test_sigint_while_idle_ends_quietly(tmp_path, env, s3_server, bucket_name):
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                              "fileprefix": PREFIX}, tmp_path)
    remote.prepare()
    remote.process.send_signal(signal.SIGINT)
    code = remote.process.wait(timeout=10)
    stderr = remote.stderr()
    remote.close()
    assert code == 130 and "Traceback" not in stderr, stderr


def test_ctrl_c_in_a_terminal_stops_git_annex_and_the_remote(tmp_path, env, s3_server,
                                                            holding_proxy, bucket_name):
    """Ctrl-C typed at ``git annex copy``: the terminal sends SIGINT to git-annex and to the
    remote, git-annex ends at once, and the remote (its stderr relay gone with git-annex)
    aborts its upload, says so on the terminal in one line, and ends."""
    content = random.Random(13).randbytes(3 * 5 * MiB)
    repo = make_annex_repo(tmp_path / "repo", env, {"big": content})
    initremote(repo, env, "s3", holding_proxy, bucket_name, "encryption=none",
               f"fileprefix={PREFIX}", "partsize=5MiB")
    terminal = run_in_terminal(["git", "annex", "copy", "--to", "s3", "big"], repo, env)
    assert holding_proxy.part_held.wait(timeout=60), terminal.shown
    [remote] = subprocess.run(["pgrep", "-s", str(terminal.shell.pid), "-f",
                               "git-annex-remote-s3py"],  # the terminal's session
                              capture_output=True, text=True).stdout.split()
    [job] = children(terminal.shell.pid)  # git (annex), as a shell's foreground job
    terminal.type(b"\x03")  # Ctrl-C
    assert ended_within(job, 10)  # bounds, not speed tests: the remote took ~5 s before
    assert ended_within(int(remote), 10)
    said = terminal.finish()
    assert "[exit -2]" in said, said  # git-annex ended by the SIGINT
    # the terminal's SIGINT and git-annex's closed pipe reach the remote together: whichever
    # it notices first is the cause it names, in one line (which the terminal's echoed ^C may
    # share)
    stopped = [line for line in said.splitlines() if "git-annex-remote-s3py: stopped" in line]
    assert len(stopped) == 1, said
    assert any(stopped[0].strip().endswith(
        f"git-annex-remote-s3py: stopped ({cause}); aborted 1 unfinished multipart upload(s)")
        for cause in ("SIGINT", "end of input")), said
    assert "Traceback" not in said and "Exception" not in said, said
    client = s3_server.client()
    assert not client.list_multipart_uploads(Bucket=bucket_name, Prefix=PREFIX).get("Uploads")
    assert list(s3_server.objects(bucket_name)) == [f"{PREFIX}annex-uuid"]  # no "big"
