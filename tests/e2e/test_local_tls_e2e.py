"""TLS trust per clone, from local git config only (RELIABILITY rule 10): the real git-annex
and s3py against moto behind a TLS proxy whose certificate a private CA signed."""

from __future__ import annotations

import ssl

import pytest
from support.faultproxy import FaultProxy
from support.repos import make_annex_repo, run
from support.tls import make_tls_files

pytestmark = pytest.mark.e2e


@pytest.fixture
def tls_proxy(tmp_path, s3_server):
    """moto's server behind https://127.0.0.1:PORT (certificate of a private CA)."""
    files = make_tls_files(tmp_path / "tls")
    proxy = FaultProxy(s3_server.endpoint)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert, files.key)
    proxy.server.socket = context.wrap_socket(proxy.server.socket, server_side=True)
    proxy.endpoint = f"https://127.0.0.1:{proxy.port}"
    proxy.ca = files.ca
    yield proxy.start()
    proxy.stop()


def initremote(repo, env, proxy, bucket, *settings, check=True):
    return run(["git", "annex", "initremote", "s3", "type=external", "externaltype=s3py",
                f"bucket={bucket}", f"endpoint={proxy.endpoint}", "encryption=none",
                *settings], repo, env, check=check)


def test_an_untrusted_certificate_is_refused_by_default(tmp_path, env, tls_proxy, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"tls\n"})
    refused = initremote(repo, env, tls_proxy, bucket_name, check=False)
    assert refused.returncode != 0
    assert "TLS certificate is not trusted" in refused.stdout + refused.stderr


@pytest.mark.parametrize("local", [("s3py-ca-bundle", "CA"), ("s3py-sslverify", "no")])
def test_local_git_config_trusts_the_endpoint(tmp_path, env, tls_proxy, bucket_name, local):
    data = b"over tls\n" * 100
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": data})
    name, value = local
    run(["git", "config", f"remote.s3.{name}", str(tls_proxy.ca) if value == "CA" else value],
        repo, env)
    run(["git", "config", "remote.s3.s3py-retrieve-url", "yes"], repo, env)
    initremote(repo, env, tls_proxy, bucket_name)
    run(["git", "annex", "copy", "--to", "s3", "a.txt"], repo, env)
    run(["git", "annex", "drop", "a.txt"], repo, env)
    run(["git", "annex", "get", "a.txt"], repo, env)
    assert (repo / "a.txt").read_bytes() == data
    # git-annex trusts the system's CAs only (it failed "certificate has unknown CA" on this
    # proxy, SSL_CERT_FILE or not): even where presigned URLs are chosen, s3py reads itself
    assert not any("X-Amz-Signature" in seen.query for seen in tls_proxy.requests)
    branch = run(["git", "log", "-p", "git-annex"], repo, env).stdout
    assert name not in branch  # the clone's own: never in the shared config


def test_the_shared_config_cannot_turn_verification_off(tmp_path, env, tls_proxy, bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"a.txt": b"tls\n"})
    shared = initremote(repo, env, tls_proxy, bucket_name, "s3py-sslverify=no", check=False)
    assert shared.returncode != 0  # not a setting: git-annex refuses it, nothing is recorded
    assert "Unexpected parameters: s3py-sslverify" in shared.stdout + shared.stderr
    assert "s3py-sslverify" not in run(["git", "log", "-p", "git-annex"], repo, env,
                                       check=False).stdout
