"""Shared fixtures: isolated AWS config (and HOME, for processes), a real S3 server (moto) on
127.0.0.1.

Tiers are folders, and markers follow them: ``unit/``, ``store/`` and ``protocol/`` are fast
(``make test-fast``); ``e2e/`` runs the real git-annex (marker ``e2e``), ``datalad/`` real DataLad
(markers ``e2e`` and ``datalad``). Helpers live in ``support/``.

Every test sees dummy AWS credentials and empty AWS config paths (``_guard_process_env``, for
all); a test that starts git, git-annex, DataLad or the remote takes the ``env`` fixture: a
temporary HOME and git config besides the same AWS isolation. So no test can touch a real
account or the user's git config.

Speed (``make test-fast`` runs on pytest-xdist workers): every botocore session in a test
process reads botocore's data files (the S3 model, endpoints, partitions) through one shared
loader, parsed once per worker instead of once per session (~100 ms each); the files are
read-only, so no test sees another's state through it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from support.local_s3 import DUMMY_KEY as TEST_KEY
from support.local_s3 import DUMMY_SECRET as TEST_SECRET
from support.local_s3 import S3Server, isolated_env

pytest_plugins = [
    "support.annex_version",  # which git-annex the e2e tiers use
    "support.server_fixtures",  # Ceph RGW, s3rver (tests/e2e/test_servers_e2e.py)
]


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_loader():
    """botocore sessions made in this process share one data loader (see the module doc)."""
    import botocore.loaders
    import botocore.session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader",
                      functools.lru_cache(maxsize=None)(botocore.loaders.create_loader))
        yield


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket_name() -> str:
    return f"s3py-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def env(tmp_path: Path):
    home = tmp_path / "home"
    yield isolated_env(home)
    gnupg = home / ".gnupg"
    if gnupg.is_dir():  # encryption=shared starts a gpg-agent there: leave no process behind
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"],
                       capture_output=True)


@pytest.fixture
def s3_proxy(request, s3_server):
    """The one fault proxy in front of moto (support/faultproxy.py): records every request
    (signed or not, its ACL, its status). No rules unless a test sets them, with
    ``s3_proxy.set_rules(Rule("400-acl", header="x-amz-acl"))`` or, for the whole test,
    ``@pytest.mark.parametrize("s3_proxy", [[Rule(...)]], indirect=True)``. Truth is read from
    moto directly (``s3_server.client()``), never through the proxy."""
    from support.faultproxy import FaultProxy

    proxy = FaultProxy(s3_server.endpoint, rules=getattr(request, "param", None)).start()
    yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def _guard_process_env(monkeypatch, tmp_path):
    """In-process tests see dummy credentials and no real AWS config either."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


TIER_MARKERS = {"e2e": ("e2e",), "datalad": ("e2e", "datalad")}


def pytest_collection_modifyitems(config, items):
    """Mark every test by the folder (tier) it lives in."""
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        for marker in TIER_MARKERS.get(tier, ()):
            item.add_marker(marker)


@pytest.fixture
def annex_dir(tmp_path: Path, env: dict[str, str]) -> Path:
    """An empty git repository for GETGITDIR (where git-annex keeps local creds), with the
    test HOME's git config (127.0.0.1 allowed)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, env=env, check=True, capture_output=True)
    return repo
