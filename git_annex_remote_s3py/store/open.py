"""The one place a store is assembled: the signed bucket of a remote (lean first, botocore
behind), the anonymous public-URL store, and the question whether
the AWS chain holds credentials. The adapter (annex/) and the subcommands open stores here and
use them only through ``store.base.Store``; the choice between the lean and the botocore
engine is made in ``Bucket``, outside both (as boto3's ``create_transfer_manager``)."""

from __future__ import annotations

from git_annex_remote_s3py.config import LocalSettings, Settings, upload_args_of
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.errors import StorageError
from git_annex_remote_s3py.store.aws import ClientOptions, has_chain_credentials
from git_annex_remote_s3py.store.base import OtherBuckets, Store
from git_annex_remote_s3py.store.boto.client import LazyClient, build_client, plain_upload_client
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.lean.eligibility import build_lean
from git_annex_remote_s3py.store.public import AnonymousRead, PublicStore, read_anonymously
from git_annex_remote_s3py.store.reachability import connect_problem

__all__ = ["AnonymousRead", "connect_problem", "has_chain_credentials", "open_bucket",
           "open_other_buckets", "open_public", "read_anonymously"]


def open_bucket(settings: Settings, creds: Credentials,
                local: LocalSettings | None = None) -> Bucket:
    """The S3 ``Bucket`` for ``settings`` and this clone's ``local`` settings; raises
    ``ConfigError`` for ``sse=customer`` without a key file."""
    local = local or LocalSettings()
    options = ClientOptions.of(settings, local)
    client = LazyClient(lambda: build_client(settings, creds, options=options))
    return Bucket(client, settings.bucket, partsize=settings.partsize,
                  upload_args=upload_args_of(settings),
                  verify_etag_md5=settings.etags_are_md5,
                  lean=build_lean(settings, creds, options),
                  flexible_checksums=settings.checksums == "when_supported",
                  plain_client=plain_upload_client(settings, creds, options),
                  endpoint=settings.endpoint or "",
                  restore=settings.restore, list_version=settings.listversion,
                  public_read=settings.public)


def open_public(base_url: str, bucket: str) -> PublicStore:
    """The bucket read anonymously through its public URLs (writes raise
    ``CredentialsMissing``)."""
    return PublicStore(base_url, bucket)


def open_other_buckets(store: Store) -> OtherBuckets:
    """Any bucket that the botocore client of ``store`` (a store ``open_bucket`` made)
    reaches, for ``s3://`` URLs; ``StorageError`` for a store without one."""
    from git_annex_remote_s3py.store.boto.inventory import BotoOtherBuckets  # s3:// URLs only

    if not isinstance(store, Bucket):
        raise StorageError(f"bucket {store.name} is read through public URLs: reading other "
                           "buckets needs AWS credentials or signature=anonymous")
    return BotoOtherBuckets(store.client)
