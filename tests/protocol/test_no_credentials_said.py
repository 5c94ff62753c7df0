"""Without credentials the remote says what is true: read-only through the public URL only
when there is one, and neither the enableremote note nor GETINFO names a credential source
that does not exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pipes import RemotePipe, without_debug
from support.repos import isolated_env, run

NO_CREDS_NO_URL = ("INFO no AWS credentials and no public URL: bucket {bucket} can be neither "
                   "read nor written from this repository; export AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY (or set profile=) to use it")
READ_ONLY = "INFO no AWS credentials: bucket {bucket} is used read-only through its public URL"


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere: no AWS_* variables, no AWS config, no git-annex store."""
    return isolated_env(tmp_path / "bare-home", with_credentials=False)


@pytest.fixture
def repo(tmp_path: Path, bare_env) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    run(["git", "init", "-q"], path, bare_env)
    return path


def start(env, cwd, config) -> RemotePipe:
    annex = RemotePipe(env, config, cwd)
    assert annex.transcript("EXTENSIONS INFO") == ["EXTENSIONS INFO"]
    return annex


def info_fields(annex: RemotePipe) -> dict[str, str]:
    lines = without_debug(annex.transcript("GETINFO"))
    assert lines[-1] == "INFOEND"
    pairs = zip(lines[0:-1:2], lines[1:-1:2])
    return {field.removeprefix("INFOFIELD "): value.removeprefix("INFOVALUE ")
            for field, value in pairs}


@pytest.mark.parametrize("public, note, credentials", [
    ({}, NO_CREDS_NO_URL, "none found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                          "(or set profile=)"),
    ({"public": "yes"}, READ_ONLY, "none: reads through the public URL, read-only"),
    ({"publicurl": "https://cdn.example.org/data"}, READ_ONLY,
     "none: reads through the public URL, read-only"),
])
def test_enabled_without_credentials_says_what_is_true(bare_env, repo, s3_server, bucket_name,
                                                        public, note, credentials):
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint,
              "s3py-initialized": "yes", **public}  # an enableremote in a fresh clone
    annex = start(bare_env, repo, config)
    lines = without_debug(annex.transcript("INITREMOTE"))
    assert lines[-1] == "INITREMOTE-SUCCESS"
    assert note.format(bucket=bucket_name) in lines
    assert not any("through its public URL" in line for line in lines) or public
    fields = info_fields(annex)
    assert fields["credentials"] == credentials
    assert ("publicurl" in fields) == bool(public)
    assert annex.close() == 0


def test_info_names_the_source_that_is_there(tmp_path, env, repo, s3_server, bucket_name):
    annex = start(env, repo, {"bucket": bucket_name, "endpoint": s3_server.endpoint})
    assert info_fields(annex)["credentials"] == "environment (AWS_ACCESS_KEY_ID)"
    assert annex.close() == 0

    aws = tmp_path / "aws-credentials"
    aws.write_text("[lab]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s\n")
    from_profile = {k: v for k, v in env.items() if not k.startswith("AWS_ACCESS")
                    and not k.startswith("AWS_SECRET")}
    from_profile["AWS_SHARED_CREDENTIALS_FILE"] = str(aws)
    annex = start(from_profile, repo, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                                       "profile": "lab"})
    assert info_fields(annex)["credentials"] == "AWS credential chain (profile, SSO, role)"
    assert annex.close() == 0

    annex = start(from_profile, repo, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                                       "profile": "nosuch"})
    credentials = info_fields(annex)["credentials"]
    assert credentials.startswith("none: profile=nosuch: ") and "nosuch" in credentials[20:]
    assert annex.close() == 0


def test_info_names_an_unreadable_credentials_csv(bare_env, repo, s3_server, bucket_name,
                                                  tmp_path):
    """GETINFO still answers, naming the problem, when the clone's credentials CSV is missing."""
    env = {**bare_env, "GIT_ANNEX_REMOTE_S3PY_CREDENTIALS_CSV": str(tmp_path / "gone.csv")}
    annex = start(env, repo, {"bucket": bucket_name, "endpoint": s3_server.endpoint})
    credentials = info_fields(annex)["credentials"]
    assert credentials.startswith("none: ") and "gone.csv" in credentials
