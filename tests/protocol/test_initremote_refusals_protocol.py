"""initremote against moto: upload arguments the server refuses fail initremote at once (B6),
naming the setting, and a bucket this initremote created is removed again."""

from __future__ import annotations

import pytest
from support.faultproxy import Rule
from support.pipes import RemotePipe, without_debug


def test_refused_storage_class_fails_initremote_and_removes_the_bucket(tmp_path, env,
                                                                        s3_server, bucket_name):
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                              "storageclass": "NO_SUCH_CLASS"}, tmp_path)
    reply = without_debug(remote.transcript("INITREMOTE"))[-1]
    remote.close()
    assert reply.startswith("INITREMOTE-FAILURE "), reply
    assert f"bucket {bucket_name} refuses uploads with storageclass=NO_SUCH_CLASS" in reply
    assert "InvalidStorageClass" in reply
    assert f"bucket {bucket_name}, created by this initremote, was removed again" in reply
    names = [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]
    assert bucket_name not in names


def test_refused_storage_class_in_a_bucket_found_leaves_it_empty(tmp_path, env, s3_server,
                                                                 bucket_name):
    s3_server.client().create_bucket(Bucket=bucket_name)
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                              "storageclass": "NO_SUCH_CLASS", "fileprefix": "p/"}, tmp_path)
    reply = without_debug(remote.transcript("INITREMOTE"))[-1]
    remote.close()
    assert "refuses uploads with storageclass=NO_SUCH_CLASS" in reply, reply
    assert "created by this initremote" not in reply
    assert s3_server.objects(bucket_name) == {}


def test_upload_arguments_go_with_the_marker(tmp_path, env, s3_server, bucket_name):
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                              "storageclass": "STANDARD_IA", "metadata": "project=p1"},
                        tmp_path)
    assert without_debug(remote.transcript("INITREMOTE"))[-1] == "INITREMOTE-SUCCESS"
    remote.close()
    head = s3_server.client().head_object(Bucket=bucket_name, Key="annex-uuid")
    assert head["StorageClass"] == "STANDARD_IA" and head["Metadata"] == {"project": "p1"}


@pytest.mark.parametrize("s3_proxy", [[Rule("400-invalid", method="PUT",
                                            header="x-amz-tagging")]], indirect=True)
def test_a_refusal_names_acl_and_tagging_settings(tmp_path, env, s3_proxy, s3_server,
                                                   bucket_name):
    """acl= and x-amz-tagging= (no storage class, encryption or metadata) once made the
    refusal read "refuses uploads with  (...)"."""
    s3_server.client().create_bucket(Bucket=bucket_name)
    remote = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_proxy.endpoint,
                              "acl": "private", "x-amz-tagging": "team=a"}, tmp_path)
    reply = without_debug(remote.transcript("INITREMOTE"))[-1]
    remote.close()
    assert reply.startswith("INITREMOTE-FAILURE "), reply
    assert (f"bucket {bucket_name} refuses uploads with acl=private x-amz-tagging=team=a "
            "(writing annex-uuid: S3 error 400 InvalidArgument)") in reply, reply
    assert s3_server.objects(bucket_name) == {}
