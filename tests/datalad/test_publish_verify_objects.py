"""``s3py-publish --verify``: after publishing, every published file is checked through the
public URL without credentials (``git-annex-remote-s3py verify --anonymous``, HEADs only);
a file that is gone or not public fails the dataset, naming the file."""

from __future__ import annotations

import json
import os

from support.repos import make_annex_repo, run


def test_publish_verify_names_what_the_public_cannot_read(tmp_path, env, s3_server, s3_proxy,
                                                          bucket_name):
    files = {"a.bin": os.urandom(700), "sub/b.bin": os.urandom(800), "c.bin": os.urandom(900)}
    ds = make_annex_repo(tmp_path / "ds", env, files)
    args = ["s3py-publish", str(ds), "--json", "--bucket", bucket_name, "--endpoint",
            s3_proxy.endpoint, "--public", "--prefix", "pub", "--verify"]
    done = run(args, tmp_path, env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (record,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert record["verified"] == "3 keys: 3 verified"
    other = s3_server.client()
    other.put_object_acl(Bucket=bucket_name, Key="pub/a.bin", ACL="private")
    other.delete_object(Bucket=bucket_name, Key="pub/sub/b.bin")
    again = run(args, tmp_path, env, check=False)
    assert again.returncode == 1
    (record,) = [json.loads(line) for line in again.stdout.splitlines()]
    assert record["status"] == "error"
    assert "a.bin denied" in record["message"] and "sub/b.bin missing" in record["message"]
    assert "c.bin" not in record["message"]
