"""``PublicStore``: the read side of the Store interface over a public URL (moto's real HTTP
server), and writes that name the credentials they need."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.errors import CredentialsMissing, ObjectNotFound, StorageError
from git_annex_remote_s3py.store.base import Store
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.open import open_public
from git_annex_remote_s3py.store.public import PublicStore

CONTENT = bytes(range(256)) * 40
NAME = "ds 1/ü#?.bin"
NEEDS = ("no AWS credentials to write to bucket {b}: set AWS_ACCESS_KEY_ID and "
         "AWS_SECRET_ACCESS_KEY (or profile=) and retry")


@pytest.fixture
def public(s3_server, bucket_name) -> PublicStore:
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    client.put_object(Bucket=bucket_name, Key=NAME, Body=CONTENT, ACL="public-read")
    return open_public(f"{s3_server.endpoint}/{bucket_name}", bucket_name)


def test_reads(public, tmp_path):
    info = public.head(NAME)
    assert info.size == len(CONTENT) and len(info.etag) == 32
    with pytest.raises(ObjectNotFound):
        public.head("missing")
    target = tmp_path / "got"
    target.write_bytes(CONTENT[:100])  # a partial download resumes
    assert public.get_file(NAME, str(target), lambda n: None) == len(CONTENT)
    assert target.read_bytes() == CONTENT
    assert public.get_file(NAME, str(target), lambda n: None) == len(CONTENT)  # whole: 416
    assert target.read_bytes() == CONTENT
    assert public.exists() is True


def test_private_object_is_unknown_not_absent(s3_server, bucket_name, public):
    s3_server.client().put_object(Bucket=bucket_name, Key="private", Body=b"secret")
    with pytest.raises(StorageError) as caught:
        public.head("private")
    assert not isinstance(caught.value, ObjectNotFound)


def test_writes_ask_for_credentials(public, tmp_path, s3_server, bucket_name):
    source = tmp_path / "src"
    source.write_bytes(b"x")
    writes = [lambda: public.put_file("k", str(source), lambda n: None),
              lambda: public.put_text("k", "x"), lambda: public.delete(NAME),
              lambda: public.copy(NAME, "k"), lambda: public.create("us-east-1"),
              lambda: public.enable_versioning()]
    for write in writes:
        with pytest.raises(CredentialsMissing) as caught:
            write()
        assert str(caught.value) == NEEDS.format(b=bucket_name)
    with pytest.raises(CredentialsMissing):
        list(public.list(""))
    assert set(s3_server.objects(bucket_name)) == {NAME}  # nothing written, nothing removed


def test_every_store_has_every_method_of_the_interface():
    """(mypy checks the signatures where store/open.py and annex/session.py use them.)"""
    wanted = {name for name, value in vars(Store).items()
              if not name.startswith("_") and callable(value)}
    for store in (PublicStore, Bucket):
        assert wanted - set(dir(store)) == set(), store
