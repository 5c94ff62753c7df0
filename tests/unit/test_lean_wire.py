"""store/lean/wire.py: the answers the lean path reads itself, as AWS, Ceph and moto send
them; anything else is None (the request then goes to botocore)."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.store.lean.wire import versioning_status

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


@pytest.mark.parametrize("body,state", [
    (f'<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration {NS}/>', ""),
    (f"<VersioningConfiguration {NS}><Status>Enabled</Status></VersioningConfiguration>",
     "Enabled"),
    (f"<VersioningConfiguration {NS}><Status>Suspended</Status><MfaDelete>Disabled"
     "</MfaDelete></VersioningConfiguration>", "Suspended"),
    ("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>", "Enabled"),
    (f"<GetBucketVersioningResponse {NS}><Status>Enabled</Status>"  # moto's root name
     "</GetBucketVersioningResponse>", "Enabled"),
    (f"<ListBucketResult {NS}><Name>b</Name></ListBucketResult>", None),
    (b"<html><body>Sign in</body></html>", None),
    (b"not xml at all", None),
])
def test_versioning_status(body, state):
    assert versioning_status(body if isinstance(body, bytes) else body.encode()) == state
