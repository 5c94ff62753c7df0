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
