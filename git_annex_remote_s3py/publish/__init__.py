"""s3py-publish: a DataLad hierarchy to one bucket, one prefix per dataset."""

from git_annex_remote_s3py.publish.main import main

__all__ = ["main"]
