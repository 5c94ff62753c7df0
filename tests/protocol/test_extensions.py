"""Protocol extensions of newer git-annex, used only when announced (the real executable, pipes).

The announced lists are the ones git-annex sends (measured: NEWEST-GIT-ANNEX.md 2.1 of the notes):
10.20230126 announces ``INFO GETGITREMOTENAME ASYNC``, 10.20261026 also ``UNAVAILABLERESPONSE
TRANSFER-RETRIEVE-URL CHECKPRESENT-URL IMPORTKEY DELEGATE``. Both refuse a remote whose
EXTENSIONS reply names one they did not announce.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.faultproxy import Rule
from support.pipes import RemotePipe, annex_key
from support.repos import isolated_env, run

OLD = "EXTENSIONS INFO GETGITREMOTENAME ASYNC"
NEW = ("EXTENSIONS INFO GETGITREMOTENAME UNAVAILABLERESPONSE TRANSFER-RETRIEVE-URL "
       "CHECKPRESENT-URL IMPORTKEY DELEGATE ASYNC")
SMALL = b"small public content\n" * 50


def start(env: dict[str, str], annex_dir: Path, config: dict[str, str],
          extensions: str) -> RemotePipe:
    remote = RemotePipe(env, config, annex_dir)
    remote.request(extensions)
    assert remote.request("PREPARE") == "PREPARE-SUCCESS"
    return remote


@pytest.mark.parametrize("announced, echoed", [
    (OLD, "EXTENSIONS INFO ASYNC"),
    (NEW, "EXTENSIONS INFO UNAVAILABLERESPONSE TRANSFER-RETRIEVE-URL IMPORTKEY ASYNC"),
    ("EXTENSIONS INFO", "EXTENSIONS INFO"),
    ("EXTENSIONS GETGITREMOTENAME", "EXTENSIONS"),
    ("EXTENSIONS", "EXTENSIONS"),
])
def test_extensions_echo_only_announced_names(env, annex_dir, announced, echoed):
    remote = RemotePipe(env, {"bucket": "b-1", "endpoint": "http://127.0.0.1:9"}, annex_dir)
    assert remote.request(announced) == echoed
    assert remote.close() == 0


@pytest.mark.parametrize("announced", [OLD, NEW])
def test_getordered_answers_ordered(env, annex_dir, announced):
    remote = start(env, annex_dir, {"bucket": "b-1", "endpoint": "http://127.0.0.1:9"}, announced)
    assert remote.request("GETORDERED") == "ORDERED"
    assert remote.close() == 0


# -- GETAVAILABILITY ------------------------------------------------------------------------------
def availability(env, annex_dir, config, announced) -> str:
    remote = start(env, annex_dir, config, announced)
    reply = remote.request("GETAVAILABILITY")
    assert remote.close() == 0
    return reply


@pytest.mark.parametrize("announced, reply", [(OLD, "AVAILABILITY GLOBAL"),
                                              (NEW, "AVAILABILITY UNAVAILABLE")])
def test_no_credentials_and_no_public_url_is_unavailable_when_announced(tmp_path, annex_dir,
                                                                        s3_server, bucket_name,
                                                                        announced, reply):
    bare_env = isolated_env(tmp_path / "bare-home", with_credentials=False)
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint}
    assert availability(bare_env, annex_dir, config, announced) == reply


@pytest.mark.parametrize("announced, reply", [(OLD, "AVAILABILITY GLOBAL"),
                                              (NEW, "AVAILABILITY UNAVAILABLE")])
def test_unreachable_endpoint_is_unavailable_when_announced(env, annex_dir, announced, reply):
    config = {"bucket": "b-1", "endpoint": "http://127.0.0.1:9"}  # nothing listens there
    assert availability(env, annex_dir, config, announced) == reply


@pytest.mark.parametrize("announced, reply", [(OLD, "AVAILABILITY GLOBAL"),
                                              (NEW, "AVAILABILITY UNAVAILABLE")])
def test_region_error_is_unavailable_when_announced(env, annex_dir, s3_proxy, bucket_name,
                                                    announced, reply):
    s3_proxy.set_rules(Rule("301-region", method="HEAD"))
    config = {"bucket": bucket_name, "endpoint": s3_proxy.endpoint}
    assert availability(env, annex_dir, config, announced) == reply


def test_reachable_bucket_and_public_clone_stay_available(tmp_path, env, annex_dir, s3_server,
                                                          bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint}
    assert availability(env, annex_dir, config, NEW) == "AVAILABILITY GLOBAL"
    bare_env = isolated_env(tmp_path / "bare-home", with_credentials=False)
    public = {**config, "public": "yes"}
    assert availability(bare_env, annex_dir, public, NEW) == "AVAILABILITY GLOBAL"


# -- TRANSFER-RETRIEVE-URL ------------------------------------------------------------------------
@pytest.fixture
def public_bucket(s3_server, bucket_name) -> str:
    """A bucket holding SMALL under its key name and as ``dir/a b.txt``, both public-read."""
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    for name in (annex_key(SMALL), "dir/a b.txt"):
        client.put_object(Bucket=bucket_name, Key=name, Body=SMALL, ACL="public-read")
    return bucket_name


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path / "bare-home", with_credentials=False)


def public_config(s3_server, bucket: str) -> dict[str, str]:
    return {"bucket": bucket, "endpoint": s3_server.endpoint, "public": "yes"}


def test_credential_free_small_get_is_left_to_git_annex(bare_env, annex_dir, s3_server,
                                                        public_bucket, tmp_path):
    key = annex_key(SMALL)
    remote = start(bare_env, annex_dir, public_config(s3_server, public_bucket), NEW)
    target = tmp_path / "got"
    assert remote.request(f"TRANSFER RETRIEVE {key} {target}") == (
        f"TRANSFER-RETRIEVE-URL {key} {s3_server.endpoint}/{public_bucket}/{key}")
    assert not target.exists()  # git-annex downloads it
    remote.send("EXPORT dir/a b.txt")
    assert remote.request(f"TRANSFEREXPORT RETRIEVE {key} {target}") == (
        f"TRANSFER-RETRIEVE-URL {key} {s3_server.endpoint}/{public_bucket}/dir/a%20b.txt")
    assert remote.close() == 0


def test_exported_files_git_annex_could_hash_partly_stay_with_s3py(bare_env, annex_dir,
                                                                   s3_server, public_bucket,
                                                                   tmp_path):
    """git-annex tail-verifies an export retrieval; after its own download it may hash just
    one 64 KiB read (the CI flake "Verification of content failed" on a 1 MiB file). An
    exported key up to 64 KiB still goes to git-annex, a bigger one s3py downloads itself
    (to FILE.s3py-part, renamed: no tail hash); in key mode the same key keeps its URL."""
    client = s3_server.client()
    whole, over = b"\3" * (64 * 1024), b"\4" * (64 * 1024 + 1)
    for name, data in (("dir/whole.bin", whole), ("dir/over.bin", over)):
        client.put_object(Bucket=public_bucket, Key=name, Body=data, ACL="public-read")
    client.put_object(Bucket=public_bucket, Key=annex_key(over), Body=over, ACL="public-read")
    remote = start(bare_env, annex_dir, public_config(s3_server, public_bucket), NEW)
    remote.send("EXPORT dir/whole.bin")
    assert remote.request(f"TRANSFEREXPORT RETRIEVE {annex_key(whole)} {tmp_path / 'w'}") == (
        f"TRANSFER-RETRIEVE-URL {annex_key(whole)} "
        f"{s3_server.endpoint}/{public_bucket}/dir/whole.bin")
    remote.send("EXPORT dir/over.bin")
    assert remote.request(f"TRANSFEREXPORT RETRIEVE {annex_key(over)} {tmp_path / 'o'}") == (
        f"TRANSFER-SUCCESS RETRIEVE {annex_key(over)}")
    assert remote.request(f"TRANSFER RETRIEVE {annex_key(over)} {tmp_path / 'k'}") == (
        f"TRANSFER-RETRIEVE-URL {annex_key(over)} "
        f"{s3_server.endpoint}/{public_bucket}/{annex_key(over)}")
    assert remote.close() == 0
    assert (tmp_path / "o").read_bytes() == over
    assert not (tmp_path / "w").exists() and not (tmp_path / "k").exists()


def test_old_git_annex_never_gets_a_url(bare_env, annex_dir, s3_server, public_bucket, tmp_path):
    key = annex_key(SMALL)
    remote = start(bare_env, annex_dir, public_config(s3_server, public_bucket), OLD)
    target = tmp_path / "got"
    assert remote.request(f"TRANSFER RETRIEVE {key} {target}") == f"TRANSFER-SUCCESS RETRIEVE {key}"
    assert target.read_bytes() == SMALL
    assert not any("RETRIEVE-URL" in line for line in remote.seen)
    assert remote.close() == 0


def test_signed_large_and_disallowed_gets_stay_with_s3py(tmp_path, env, bare_env, annex_dir,
                                                         s3_server, public_bucket):
    key = annex_key(SMALL)
    big = b"\1" * (1024 * 1024 + 1)
    s3_server.client().put_object(Bucket=public_bucket, Key=annex_key(big), Body=big,
                                  ACL="public-read")
    config = public_config(s3_server, public_bucket)

    public = start(bare_env, annex_dir, config, NEW)
    assert public.request(f"TRANSFER RETRIEVE {annex_key(big)} {tmp_path / 'b'}") == (
        f"TRANSFER-SUCCESS RETRIEVE {annex_key(big)}")
    assert public.close() == 0
    assert (tmp_path / "b").read_bytes() == big

    # the repository does not allow 127.0.0.1 to git-annex's HTTP client: s3py fetches it
    run(["git", "config", "annex.security.allowed-ip-addresses", "10.1.2.3"], annex_dir, bare_env)
    loopback = start(bare_env, annex_dir, config, NEW)
    assert loopback.request(f"TRANSFER RETRIEVE {key} {tmp_path / 'l'}") == (
        f"TRANSFER-SUCCESS RETRIEVE {key}")
    assert any("annex.security.allowed-ip-addresses does not allow" in line
               for line in loopback.sent_back)
    assert loopback.close() == 0
    assert (tmp_path / "l").read_bytes() == SMALL


# -- presigned URLs for signed reads ----------------------------------------------------------
def signed_retrieval(env, annex_dir, config, key: str, target: Path) -> tuple[str, RemotePipe]:
    """One TRANSFER RETRIEVE by a remote whose clone chose presigned URLs (unless ``env``
    names another choice)."""
    env = {"GIT_ANNEX_REMOTE_S3PY_RETRIEVE_URL": "yes", **env}
    remote = start(env, annex_dir, config, NEW)
    reply = remote.request(f"TRANSFER RETRIEVE {key} {target}")
    assert remote.close() == 0
    return reply, remote


def test_signed_small_get_is_left_to_git_annex_with_a_presigned_url(env, annex_dir, s3_server,
                                                                    bucket_name, tmp_path):
    import urllib.request

    key = annex_key(SMALL)
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    client.put_object(Bucket=bucket_name, Key=key, Body=SMALL)
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint}
    reply, remote = signed_retrieval(env, annex_dir, config, key, tmp_path / "got")
    prefix = f"TRANSFER-RETRIEVE-URL {key} {s3_server.endpoint}/{bucket_name}/{key}?"
    assert reply.startswith(prefix), reply
    url = reply.split(" ", 2)[2]
    assert "X-Amz-Expires=900&" in url and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read() == SMALL
    assert not (tmp_path / "got").exists()  # git-annex downloads it
    assert not any("X-Amz-Signature" in line for line in remote.sent_back + [remote.stderr()])


@pytest.mark.parametrize("setting", [
    ("env", "GIT_ANNEX_REMOTE_S3PY_RETRIEVE_URL", "no"),
    ("env", "GIT_ANNEX_REMOTE_S3PY_RETRIEVE_URL", "public"),  # the default
    ("git", "annex.debug", "true"),
    ("git", "annex.web-options", "--netrc"),
    ("config", "requesterpays", "yes"),
])
def test_presigned_urls_only_where_safe(env, annex_dir, s3_server, bucket_name, tmp_path,
                                        setting):
    """Not chosen by the clone (the default gives public URLs only), where git-annex would
    log the URL or give it to curl, or where a read needs more than the URL: s3py downloads
    itself."""
    key = annex_key(SMALL)
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    client.put_object(Bucket=bucket_name, Key=key, Body=SMALL)
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint}
    where, name, value = setting
    if where == "env":
        env = {**env, name: value}
    elif where == "git":
        run(["git", "config", name, value], annex_dir, env)
    else:
        config[name] = value
    reply, _ = signed_retrieval(env, annex_dir, config, key, tmp_path / "got")
    assert reply == f"TRANSFER-SUCCESS RETRIEVE {key}"
    assert (tmp_path / "got").read_bytes() == SMALL


def test_a_wrong_retrieve_url_choice_is_one_clear_line(env, annex_dir, s3_server, bucket_name,
                                                       tmp_path):
    key = annex_key(SMALL)
    s3_server.client().create_bucket(Bucket=bucket_name)
    env = {**env, "GIT_ANNEX_REMOTE_S3PY_RETRIEVE_URL": "maybe"}
    remote = start(env, annex_dir, {"bucket": bucket_name, "endpoint": s3_server.endpoint}, NEW)
    reply = remote.request(f"TRANSFER RETRIEVE {key} {tmp_path / 'got'}")
    code = remote.close()
    assert reply.startswith(f"TRANSFER-FAILURE RETRIEVE {key} "), (reply, remote.stderr())
    assert "s3py-retrieve-url='maybe' is not one of: public, yes, no" in reply
    assert code == 0, remote.stderr()
