"""Only the final ``\\n`` of a protocol line is removed: export names ``trail\\r`` and ``trail``
are two objects (issue #12 item 5)."""

from __future__ import annotations

from support.pipes import RemotePipe, annex_key


def test_names_ending_in_carriage_return_stay_distinct(tmp_path, env, s3_server, bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                              "fileprefix": "t/", "exporttree": "yes"}, tmp_path)
    remote.prepare()
    stored = {"trail\r": b"with carriage return\n", "trail": b"without\n"}
    for name, content in stored.items():
        local = tmp_path / f"local-{len(name)}"
        local.write_bytes(content)
        key = annex_key(content)
        remote.send(f"EXPORT {name}")
        assert remote.request(f"TRANSFEREXPORT STORE {key} {local}") == (
            f"TRANSFER-SUCCESS STORE {key}")
    for name, content in stored.items():
        remote.send(f"EXPORT {name}")
        key = annex_key(content)
        assert remote.request(f"CHECKPRESENTEXPORT {key}") == f"CHECKPRESENT-SUCCESS {key}"
    remote.close()
    objects = s3_server.objects(bucket_name, "t/")
    assert {n: b for n, b in objects.items() if n != "t/annex-uuid"} == {
        "t/trail\r": b"with carriage return\n", "t/trail": b"without\n"}
