"""Export requests over pipes, as git-annex sends them, against moto's server.

Exact EXPORT names, a name forgotten after each request, names S3 cannot hold failing one
request while the process goes on, and versioned content found again through its recorded
``s3py://`` URI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.pipes import REMOTE_UUID, RemotePipe, annex_key
from support.repos import run

NO_NAME = "request arrived without a preceding EXPORT name"


@pytest.fixture
def remote(tmp_path: Path, env, s3_server, bucket_name):
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    client.put_bucket_versioning(Bucket=bucket_name,
                                 VersioningConfiguration={"Status": "Enabled"})
    run(["git", "init", "-q"], tmp_path, env)
    config = {"bucket": bucket_name, "endpoint": s3_server.endpoint, "fileprefix": "p/",
              "exporttree": "yes", "versioning": "yes"}
    pipe = RemotePipe(env, config, tmp_path)
    assert pipe.request("EXPORTSUPPORTED") == "EXPORTSUPPORTED-SUCCESS"
    pipe.prepare()
    yield pipe
    assert pipe.close() == 0


def local_file(tmp_path: Path, data: bytes) -> tuple[str, str]:
    path = tmp_path / f"content-{len(data)}"
    path.write_bytes(data)
    return annex_key(data), str(path)


def test_requests_without_export_name_fail_and_the_name_is_forgotten(remote, tmp_path,
                                                                     s3_server, bucket_name):
    key, path = local_file(tmp_path, b"spaced\n")
    remote.send("EXPORT  both ends ")
    assert remote.request(f"TRANSFEREXPORT STORE {key} {path}") == f"TRANSFER-SUCCESS STORE {key}"
    assert s3_server.objects(bucket_name, "p/") == {"p/ both ends ": b"spaced\n"}
    # the name applied to that one request only
    assert remote.request(f"TRANSFEREXPORT STORE {key} {path}") == (
        f"TRANSFER-FAILURE STORE {key} {NO_NAME}")
    assert remote.request(f"CHECKPRESENTEXPORT {key}") == f"CHECKPRESENT-UNKNOWN {key} {NO_NAME}"
    assert remote.request(f"REMOVEEXPORT {key}") == f"REMOVE-FAILURE {key} {NO_NAME}"
    assert remote.request(f"RENAMEEXPORT {key} x") == f"RENAMEEXPORT-FAILURE {key}"
    assert remote.request("REMOVEEXPORTDIRECTORY sub dir") == "REMOVEEXPORTDIRECTORY-SUCCESS"
    remote.send("EXPORT  both ends ")
    assert remote.request(f"CHECKPRESENTEXPORT {key}") == f"CHECKPRESENT-SUCCESS {key}"
    remote.send("EXPORT  both ends")  # one space less: another object, absent
    assert remote.request(f"CHECKPRESENTEXPORT {key}") == f"CHECKPRESENT-FAILURE {key}"
    assert s3_server.objects(bucket_name, "p/") == {"p/ both ends ": b"spaced\n"}


@pytest.mark.parametrize("name, reason", [
    ("d/" * 510 + "long.txt", "S3 allows 1024"),
    ("a/../b.txt", "'..' component"),
    ("./b.txt", "'.' or '..' component"),
    ("annex-uuid", "ownership marker"),
])
def test_names_s3_cannot_hold_fail_one_request(remote, tmp_path, s3_server, bucket_name,
                                                name, reason):
    key, path = local_file(tmp_path, b"content\n")
    s3_server.client().put_object(Bucket=bucket_name, Key="p/annex-uuid", Body=REMOTE_UUID)
    remote.send(f"EXPORT {name}")
    reply = remote.request(f"TRANSFEREXPORT STORE {key} {path}")
    assert reply.startswith(f"TRANSFER-FAILURE STORE {key} ") and reason in reply, reply
    remote.send(f"EXPORT {name}")
    assert remote.request(f"CHECKPRESENTEXPORT {key}").startswith(f"CHECKPRESENT-UNKNOWN {key} ")
    remote.send(f"EXPORT {name}")  # never stored, so already gone: git-annex may move on
    assert remote.request(f"REMOVEEXPORT {key}") == f"REMOVE-SUCCESS {key}"
    remote.send("EXPORT fine.txt")  # the process goes on
    assert remote.request(f"TRANSFEREXPORT STORE {key} {path}") == f"TRANSFER-SUCCESS STORE {key}"
    remote.send("EXPORT fine.txt")
    assert remote.request(f"RENAMEEXPORT {key} {name}") == f"RENAMEEXPORT-FAILURE {key}"
    assert s3_server.objects(bucket_name, "p/") == {"p/fine.txt": b"content\n",
                                                    "p/annex-uuid": REMOTE_UUID.encode()}


def test_versioned_content_stays_retrievable_by_key(remote, tmp_path, s3_server, bucket_name):
    old_key, old_path = local_file(tmp_path, b"old\n")
    new_key, new_path = local_file(tmp_path, b"newer\n")
    for key, path in ((old_key, old_path), (new_key, new_path)):
        remote.send("EXPORT data.txt")
        assert remote.request(f"TRANSFEREXPORT STORE {key} {path}") == (
            f"TRANSFER-SUCCESS STORE {key}")
    [uri] = remote.url_log[old_key]
    assert uri.startswith(f"s3py://{REMOTE_UUID}@{bucket_name}/p/data.txt?versionId=")
    remote.send("EXPORT data.txt")  # the path holds the new bytes; retrieval pins the version
    pinned = tmp_path / "pinned"
    assert remote.request(f"TRANSFEREXPORT RETRIEVE {old_key} {pinned}") == (
        f"TRANSFER-SUCCESS RETRIEVE {old_key}")
    assert pinned.read_bytes() == b"old\n"
    remote.send("EXPORT data.txt")
    assert remote.request(f"REMOVEEXPORT {new_key}") == f"REMOVE-SUCCESS {new_key}"
    assert s3_server.objects(bucket_name, "p/") == {}

    # what a git-annex that knows the remote is versioned asks: key-mode requests
    for key, data in ((old_key, b"old\n"), (new_key, b"newer\n")):
        assert remote.request(f"CHECKPRESENT {key}") == f"CHECKPRESENT-SUCCESS {key}"
        dest = tmp_path / f"got-{len(data)}"
        assert remote.request(f"TRANSFER RETRIEVE {key} {dest}") == (
            f"TRANSFER-SUCCESS RETRIEVE {key}")
        assert dest.read_bytes() == data
    unknown, _ = local_file(tmp_path, b"never exported\n")
    # a version another remote (another UUID) recorded is not this remote's copy
    remote.url_log[unknown] = [uri.replace(REMOTE_UUID, "0ther-uuid-0000")]
    assert remote.request(f"CHECKPRESENT {unknown}").startswith(
        f"CHECKPRESENT-UNKNOWN {unknown} no stored version")
