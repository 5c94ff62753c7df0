"""A bug in the remote's own code is loud (ERROR "internal error" + traceback in DEBUG);
only a malformed request line is a protocol error."""

from __future__ import annotations

import io

import pytest

from git_annex_remote_s3py.annex.protocol import run
from git_annex_remote_s3py.annex.remote import S3Remote
from git_annex_remote_s3py.annex.session import Session

KEY = "SHA256E-s3--0000000000000000000000000000000000000000000000000000000000000000.bin"


class BuggyRemote(S3Remote):
    """CHECKPRESENT raises the exception class named by the test; others work as usual."""

    error: type[Exception] = TypeError

    def checkpresent(self, key: str) -> bool:
        raise self.error(f"bug while checking {key}")


def serve(lines: list[str], error: type[Exception] = TypeError) -> tuple[list[str], int]:
    """Run the protocol on ``lines``; (every output line, the exit code: 0 when it ended at
    EOF, 1 when it stopped with ERROR)."""
    remote_class = type("Buggy", (BuggyRemote,), {"error": error})
    out = io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    try:
        run(stdin, out, lambda channel: remote_class(channel, Session()), offer_async=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code)
    return out.getvalue().split("\n")[:-1], code


@pytest.mark.parametrize("error", [TypeError, ValueError, KeyError])
def test_exception_in_a_request_is_an_internal_error_with_traceback(error):
    lines, code = serve(["EXTENSIONS INFO", f"CHECKPRESENT {KEY}"], error)
    assert code == 1
    assert lines[:2] == ["VERSION 2", "EXTENSIONS INFO"]
    errors = [line for line in lines if line.startswith("ERROR ")]
    assert errors == [f"ERROR internal error: {error.__name__}: "
                      f"{error(f'bug while checking {KEY}')}"]
    assert lines[-1] == errors[0]  # the process stops after it
    debug = [line for line in lines if line.startswith("DEBUG ")]
    assert debug[0] == "DEBUG Traceback (most recent call last):"
    assert any("in checkpresent" in line for line in debug)
    assert debug[-1] == f"DEBUG {error.__name__}: {error(f'bug while checking {KEY}')}"
    assert not any("protocol error" in line for line in lines)


@pytest.mark.parametrize("request_line", [
    "TRANSFER STORE",  # Key File missing
    "PREPARE now",  # a parameter the request has not
    f"CHECKPRESENT {KEY} extra",  # a key with a space
])
def test_malformed_request_is_still_a_protocol_error(request_line):
    lines, code = serve(["EXTENSIONS INFO", request_line])
    assert code == 1
    assert lines[-1].startswith("ERROR protocol error: "), lines
    assert not any("internal error" in line or "Traceback" in line for line in lines)


def test_requests_that_work_are_unaffected():
    lines, code = serve(["EXTENSIONS INFO", "GETCOST", "GETAVAILABILITY", "NOSUCHREQUEST"])
    assert (lines, code) == (["VERSION 2", "EXTENSIONS INFO", "COST 200", "AVAILABILITY GLOBAL",
                              "UNSUPPORTED-REQUEST"], 0)
