"""store/lean/wire.py: the answers the lean path reads itself, as AWS, Ceph and moto send
them; anything else is None (the request then goes to botocore)."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py.store.lean.wire import (
    LEAN_UPLOAD_HEADERS,
    http_date,
    parse_listing,
    versioning_status,
)

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
    (f"<ListBucketResult {NS}><Name>b</Name></ListBucketResult>", ""),  # s3rver 3
    (b"<html><body>Sign in</body></html>", None),
    (b"not xml at all", None),
])
def test_versioning_status(body, state):
    assert versioning_status(body if isinstance(body, bytes) else body.encode()) == state


def listing(names: list[str], encoding: str | None, token: str | None = None) -> bytes:
    contents = "".join(f"<Contents><Key>{name}</Key><Size>{len(name)}</Size><ETag>&quot;e{i}"
                       "&quot;</ETag></Contents>" for i, name in enumerate(names))
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult {NS}><Name>b</Name>'
            + (f"<EncodingType>{encoding}</EncodingType>" if encoding else "")
            + f"<IsTruncated>{'true' if token else 'false'}</IsTruncated>"
            + (f"<NextContinuationToken>{token}</NextContinuationToken>" if token else "")
            + contents + "</ListBucketResult>").encode()


def test_listing_names_are_decoded_only_where_the_answer_says_url():
    """AWS/Ceph/moto URL-encode names when asked (and say so); s3rver 3 answers them plain:
    'a+b%41' is then the name itself, not 'a bA'."""
    encoded = parse_listing(listing(["dir/a+b%25c%26.bin"], "url", token="t1"))
    assert encoded == ([("dir/a b%c&.bin", 18, "e0")], "t1")
    plain = parse_listing(listing(["dir/a+b%41 c&amp;.bin"], None))
    assert plain == ([("dir/a+b%41 c&.bin", 21, "e0")], None)


@pytest.mark.parametrize("body", [
    listing(["a"], "url", token=None).replace(b"<IsTruncated>false", b"<IsTruncated>true"),
    b"<Error><Code>AccessDenied</Code></Error>",
    b"<html>console</html>",
])
def test_what_is_no_listing_page_is_none(body):
    assert parse_listing(body) is None


def test_lean_upload_headers_are_botocore_locations_of_the_same_arguments():
    """Each upload argument the lean path sends as a header goes as botocore sends it."""
    import botocore.session

    members = botocore.session.get_session().get_service_model("s3").operation_model(
        "PutObject").input_shape.members
    assert {arg: members[arg].serialization.get("name", "").lower()
            for arg in LEAN_UPLOAD_HEADERS} == LEAN_UPLOAD_HEADERS


@pytest.mark.parametrize("value", [
    "Mon, 07 Dec 2026 15:00:09 GMT", "Thu, 01 Jan 1970 00:00:00 GMT",
    "Sun, 6 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",  # obsolete: email.utils
    "Sun Nov  6 08:49:37 1994", "Mon, 07 Dec 2026 15:00:09 +0100",
    "Mon, 31 Feb 2026 15:00:09 GMT", "Mon, 07 Dec 2026 25:00:09 GMT",
    "Mon, 07 Foo 2026 15:00:09 GMT", "", "garbage", "1 2 3 4 5 GMT"])
def test_http_dates_read_as_email_utils_reads_them(value):
    """The IMF-fixdate read without email.utils: the same text as botocore's parsed date
    (``str`` of email.utils' datetime), every other form and nonsense as email.utils has it."""
    from email.utils import parsedate_to_datetime

    try:
        expected = str(parsedate_to_datetime(value)) if value else ""
    except (TypeError, ValueError):
        expected = ""
    assert http_date(value) == expected
