"""The ``datalad.clone.url-substitute`` rules of the s3py extension, through DataLad's own
mapping: ``s3://BUCKET[/PREFIX]`` (AWS) and ``s3+http(s)://HOST[:PORT]/BUCKET[/PREFIX]`` become
the deposit URL that ``create-sibling-s3`` reports."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.datalad_ext.locations import deposit_url, parse_s3_location
from git_annex_remote_s3py.errors import S3pyError

pytestmark = pytest.mark.datalad


def mapped(url: str) -> str:
    from datalad import cfg
    from datalad.core.distributed.clone_utils import _map_urls

    import git_annex_remote_s3py.datalad_ext  # noqa: F401  (registers the rules)

    return _map_urls(cfg, [url])[0]


@pytest.mark.parametrize("url, bucket, prefix, endpoint, publicurl", [
    ("s3://my-bucket/studies/ds1", "my-bucket", "studies/ds1/", None,
     "https://my-bucket.s3.amazonaws.com"),
    ("s3://my-bucket/studies/ds1/", "my-bucket", "studies/ds1/", None,
     "https://my-bucket.s3.amazonaws.com"),
    ("s3://my-bucket", "my-bucket", "", None, "https://my-bucket.s3.amazonaws.com"),
    ("s3+http://127.0.0.1:9000/data/ds", "data", "ds/", "http://127.0.0.1:9000",
     "http://127.0.0.1:9000/data"),
    ("s3+https://s3.example.org/data", "data", "", "https://s3.example.org",
     "https://s3.example.org/data"),
])
def test_clone_urls_map_to_the_deposit_url(url, bucket, prefix, endpoint, publicurl):
    assert mapped(url) == deposit_url(bucket, prefix, endpoint=endpoint, publicurl=publicurl)


def test_other_urls_are_left_alone():
    for url in ("https://github.com/me/ds", "/tmp/ds", "s3py://b/k", "ria+http://h/s#~x"):
        assert not mapped(url).startswith("datalad-annex::?type=external&externaltype=s3py")


@pytest.mark.parametrize("url", ["s3:/bucket", "https://bucket/x", "s3://Bad_Bucket/x",
                                 "s3://bucket/../x"])
def test_bad_locations_name_the_fix(url):
    with pytest.raises(S3pyError):
        parse_s3_location(url)
