"""What a stored small file asks git-annex: the prefix's owner (``s3py-guest-of``) once per
process, not once per file, and a guest's refusal on every file all the same."""

from __future__ import annotations

import pytest
from support.pipes import RemotePipe, annex_key, split_job


def stored_keys(annex: RemotePipe, tmp_path, count: int, job: str = "") -> list[str]:
    """``count`` small files stored as copy --to asks (CHECKPRESENT, then TRANSFER STORE);
    the replies."""
    replies = []
    for number in range(count):
        data = f"file {number}\n".encode() * 100
        key = annex_key(data)
        source = tmp_path / key
        source.write_bytes(data)
        assert annex.request(f"{job}CHECKPRESENT {key}") == f"{job}CHECKPRESENT-FAILURE {key}"
        replies.append(annex.request(f"{job}TRANSFER STORE {key} {source}"))
    return replies


def owner_questions(annex: RemotePipe) -> int:
    return sum(1 for line in annex.seen if split_job(line)[1] == "GETCONFIG s3py-guest-of")


@pytest.mark.parametrize("job", ["", "J 1 "])
def test_the_prefix_owner_is_asked_once_per_process(env, annex_dir, s3_server, bucket_name,
                                                   tmp_path, job):
    s3_server.client().create_bucket(Bucket=bucket_name)
    annex = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint}, annex_dir)
    extensions = "EXTENSIONS INFO GETGITREMOTENAME" + (" ASYNC" if job else "")
    assert annex.request(extensions).startswith("EXTENSIONS INFO")
    assert annex.request(f"{job}PREPARE") == f"{job}PREPARE-SUCCESS"
    replies = stored_keys(annex, tmp_path, 4, job)
    assert all(reply.startswith(f"{job}TRANSFER-SUCCESS STORE ") for reply in replies)
    assert owner_questions(annex) == 1
    assert len(s3_server.objects(bucket_name)) == 4
    assert annex.close() == 0


def test_a_guest_refuses_every_file_with_the_owner_asked_once(env, annex_dir, s3_server,
                                                              bucket_name, tmp_path):
    s3_server.client().create_bucket(Bucket=bucket_name)
    annex = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                             "s3py-guest-of": "0b1d-owner"}, annex_dir)
    assert annex.request("EXTENSIONS INFO GETGITREMOTENAME") == "EXTENSIONS INFO"
    assert annex.request("PREPARE") == "PREPARE-SUCCESS"
    replies = stored_keys(annex, tmp_path, 3)
    assert all(reply.startswith("TRANSFER-FAILURE STORE ") and "belongs to git-annex remote "
               "0b1d-owner" in reply for reply in replies), replies
    assert owner_questions(annex) == 1
    assert s3_server.objects(bucket_name) == {}
    assert annex.close() == 0
