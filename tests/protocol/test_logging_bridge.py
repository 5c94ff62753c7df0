"""Log records of the library reach git-annex as DEBUG protocol lines (git annex --debug),
one line each, without secrets."""

from __future__ import annotations

from support.faultproxy import Rule
from support.pipes import RemotePipe, annex_key
from support.repos import TEST_SECRET


def test_store_log_record_arrives_as_one_debug_line(tmp_path, env, s3_server, s3_proxy,
                                                    bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    content = b"logged\n"
    key = annex_key(content)
    s3_server.client().put_object(Bucket=bucket_name, Key="f/" + key, Body=content)
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_proxy.endpoint,
                              "fileprefix": "f/"}, tmp_path)
    remote.prepare()
    # a 503 on the first (lean) HEAD: store/bucket.py logs that botocore takes over
    s3_proxy.set_rules(Rule("503", method="HEAD", limit=1))
    assert remote.request(f"CHECKPRESENT {key}") == f"CHECKPRESENT-SUCCESS {key}"
    assert remote.close() == 0
    said = [line for line in remote.seen if "lean request path off" in line]
    assert len(said) == 1 and said[0].startswith("DEBUG lean request path off ("), said
    assert said[0].endswith("botocore sends every request from now on")
    assert all(line.split(" ", 1)[0] in {"DEBUG", "CHECKPRESENT-SUCCESS", "EXTENSIONS",
                                         "PREPARE-SUCCESS", "VERSION", "GETCONFIG", "GETUUID",
                                         "GETGITDIR", "GETCREDS"} for line in remote.seen)
    assert not any(TEST_SECRET in line for line in remote.seen)
    assert TEST_SECRET not in remote.stderr_path.read_text(errors="replace")


def test_transfer_threads_under_async_say_nothing_on_stderr(tmp_path, env, s3_server,
                                                            bucket_name):
    """A multipart upload under ASYNC: boto3's transfer threads serve no job; their request
    records (one per part) reach git-annex as DEBUG lines of a job (``--debug`` shows them),
    never stderr, which git-annex puts on the user's terminal (issue #23: 98 lines for a
    1.5 GiB file)."""
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                              "fileprefix": "q/", "partsize": "5MiB"}, tmp_path)
    assert remote.transcript("EXTENSIONS INFO ASYNC") == ["EXTENSIONS INFO ASYNC"]
    assert remote.transcript("J 1 INITREMOTE")[-1] == "J 1 INITREMOTE-SUCCESS"
    assert remote.transcript("J 1 PREPARE") == ["J 1 PREPARE-SUCCESS"]
    content = b"p" * (11 * 1024 * 1024)  # three parts
    (tmp_path / "big").write_bytes(content)
    key = annex_key(content)
    stored = remote.transcript(f"J 1 TRANSFER STORE {key} {tmp_path / 'big'}", timeout=120)
    assert stored[-1] == f"J 1 TRANSFER-SUCCESS STORE {key}", stored
    assert remote.transcript("J 2 CHECKPRESENT MD5-s1--x")[-1].startswith("J 2 CHECKPRESENT")
    assert remote.close() == 0
    parts = [line for line in remote.seen if "(UploadPart)" in line]
    assert len(parts) == 3, parts
    assert all(line.startswith(("J 1 DEBUG S3 PUT", "J 2 DEBUG S3 PUT")) for line in parts)
    assert remote.stderr() == ""
    assert s3_server.objects(bucket_name, "q/")[f"q/{key}"] == content
