"""Anonymous HTTP downloads of public URLs (what credential-free clones use), against moto's
real HTTP server: presence by HEAD, download by GET, resume by a ranged GET."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py import urls
from git_annex_remote_s3py.errors import ObjectNotFound, StorageError
from git_annex_remote_s3py.store import public

CONTENT = bytes(range(256)) * 64  # 16 KiB


@pytest.fixture
def public_object(s3_server, bucket_name) -> str:
    """URL of one object, the way a clone builds it: publicurl + escaped object name."""
    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    client.put_object(Bucket=bucket_name, Key="ds 1/ü#?.bin", Body=CONTENT, ACL="public-read")
    return urls.object_url(f"{s3_server.endpoint}/{bucket_name}", "ds 1/ü#?.bin")


@pytest.mark.parametrize("partial", [b"", CONTENT[:1000], CONTENT, b"x" * (len(CONTENT) + 5)])
def test_download_resumes_or_restarts(public_object, tmp_path, partial):
    """Nothing, a correct prefix, the whole file, or too much already there: always ends right."""
    target = tmp_path / "file"
    if partial:
        target.write_bytes(partial)
    seen: list[int] = []
    assert public.download(public_object, str(target), seen.append, "test") == len(CONTENT)
    assert target.read_bytes() == CONTENT
    if partial == CONTENT[:1000]:  # resumed: counting starts where the file ended
        assert seen[0] > 1000 and seen[-1] == len(CONTENT)


def test_head_size_and_missing(public_object):
    assert public.head_size(public_object, "test") == len(CONTENT)
    with pytest.raises(ObjectNotFound):
        public.head_size(public_object + "-missing", "test")


def test_refused_is_not_missing(s3_server, bucket_name, public_object, tmp_path):
    """A private object answers 403 to anonymous requests (moto enforces ACLs for them, as S3
    does): unknown (StorageError), never absent (ObjectNotFound)."""
    s3_server.client().put_object(Bucket=bucket_name, Key="private", Body=b"secret")
    url = urls.object_url(f"{s3_server.endpoint}/{bucket_name}", "private")
    for call in (lambda: public.head_size(url, "test"),
                 lambda: public.download(url, str(tmp_path / "f"), print, "test")):
        with pytest.raises(StorageError) as caught:
            call()
        assert not isinstance(caught.value, ObjectNotFound)
        assert "HTTP 403" in str(caught.value)
