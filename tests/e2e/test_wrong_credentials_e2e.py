"""A wrong secret or a bogus session token is named, with the variable that fixes it, by every
command a user runs: against moto's server checking signatures as S3 does (a HEAD's refusal
has no body, so the remote asks once more with a GET whose error body names the cause)."""

from __future__ import annotations

import pytest
from support.local_s3 import S3Server
from support.repos import initremote, make_annex_repo, run

SECRET = ("the secret key does not match the access key (SignatureDoesNotMatch); set the right "
          "AWS_SECRET_ACCESS_KEY")
TOKEN = "the session token is refused by the server (InvalidToken); set a current AWS_SESSION_TOKEN"


@pytest.fixture(scope="module")
def signing_server():
    server = S3Server(checks_signatures=True)
    yield server
    server.stop()


@pytest.mark.parametrize("wrong, said", [
    ({"AWS_SECRET_ACCESS_KEY": "not-the-secret"}, SECRET),
    ({"AWS_SESSION_TOKEN": "bogus-token"}, TOKEN),
])
def test_wrong_credentials_are_named_by_every_command(tmp_path, env, signing_server,
                                                      bucket_name, wrong, said):
    key, secret = signing_server.keys
    env = {**env, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    repo = make_annex_repo(tmp_path / "repo", env, {"stored.txt": b"stored\n",
                                                    "new.txt": b"new\n"})
    initremote(repo, env, "s3", signing_server, bucket_name, "encryption=none")
    run(["git", "annex", "copy", "--to", "s3", "stored.txt"], repo, env)
    run(["git", "annex", "drop", "stored.txt"], repo, env)

    bad = {**env, **wrong}
    for command in (["copy", "--to", "s3", "new.txt"], ["fsck", "--from", "s3", "stored.txt"],
                    ["get", "stored.txt"], ["initremote", "s3b", "type=external",
                                            "externaltype=s3py", "encryption=none",
                                            f"bucket={bucket_name}-b",
                                            f"endpoint={signing_server.endpoint}"]):
        done = run(["git", "annex", *command], repo, bad, check=False)
        output = done.stdout + done.stderr
        assert done.returncode != 0, command
        assert said in output, (command, output)
        assert "(403)" not in output and "S3 error" not in output, (command, output)
        assert list(wrong.values())[0] not in output  # the secret itself is never shown
    stored = signing_server.objects(bucket_name)
    assert sorted(body for name, body in stored.items() if name != "annex-uuid") == [
        b"stored\n"]  # nothing was written with the wrong credentials
