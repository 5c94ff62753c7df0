"""The lean small-object path (store/lean/, Bucket._lean_first): signatures equal to
botocore's, real requests to moto's server without building a boto3 client, and every answer
that is not clean handed to botocore (which then retries, resumes or reports).

The bucket is the signed one a remote opens (store/open.py, ``support.stores``), seen without
the presence cache in front: these tests watch which engine answers (``bucket.lean``, the
boto3 clients built). Engine-level tests that build ``LeanS3`` alone (its signatures against
botocore's, TLS, timeouts) or read ``build_lean``'s choice say so where they do."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

import pytest
from support.faultproxy import Rule
from support.handover import lean_off_reasons, watch_hand_overs
from support.local_s3 import DUMMY_KEY, DUMMY_SECRET
from support.stores import on_every_client, opened, signed, stub
from support.stub_http import QuietHandler, stub_server, url

from git_annex_remote_s3py import errors
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.store import integrity
from git_annex_remote_s3py.store.boto.objects import crc_validated as _crc_validated
from git_annex_remote_s3py.store.bucket import Bucket
from git_annex_remote_s3py.store.lean import sigv4
from git_annex_remote_s3py.store.lean.eligibility import build_lean
from git_annex_remote_s3py.store.lean.transport import LeanS3

NOW = datetime(2026, 11, 22, 3, 4, 5, tzinfo=timezone.utc)
AWKWARD = "dir/a b#?%&=+é ü~!.bin"


# -- signatures ---------------------------------------------------------------------------------
def botocore_headers(monkeypatch, method: str, url: str, headers: dict, body: bytes,
                     token: str | None) -> dict:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda *a, **k: NOW.replace(tzinfo=None))
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    botocore.auth.S3SigV4Auth(BotoCredentials("AKIDEXAMPLE", "s3cr3t/+key", token), "s3",
                              "eu-west-2").add_auth(request)
    return {k.lower(): v for k, v in request.headers.items()}


@pytest.mark.parametrize("method,name,query,headers,body,token", [
    ("GET", "ds1/SHA256E-s11--abc.bin", {}, {}, b"", None),
    ("GET", AWKWARD, {"versionId": "3/L4kqtJl+cI=v"}, {}, b"", None),
    ("HEAD", "k", {}, {}, b"", "session/token+="),
    ("PUT", AWKWARD, {}, {"x-amz-meta-origin": "lab  one", "x-amz-acl": "public-read",
                          "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "Content-Length": "5"},
     b"hello", "tok"),
])
def test_signature_equals_botocore(monkeypatch, method, name, query, headers, body, token):
    lean = LeanS3("http://127.0.0.1:9000/my-bucket", lambda: ("AKIDEXAMPLE", "s3cr3t/+key", token),
                  "eu-west-2", timeout=5, connect_timeout=5)
    path = lean.path(name)
    assert path == "/my-bucket/" + quote(name, safe="/-_.~")  # S3: UTF-8, encoded once
    url = "http://127.0.0.1:9000" + path + (f"?{urlencode(query, quote_via=quote)}"
                                            if query else "")
    payload = hashlib.sha256(body).hexdigest()
    ours = sigv4.sign(method, lean.host, path, query, headers, payload, "AKIDEXAMPLE",
                      "s3cr3t/+key", token, "eu-west-2", NOW)
    theirs = botocore_headers(monkeypatch, method, url, headers, body, token)
    assert ours["authorization"] == theirs["authorization"]
    assert ours["x-amz-date"] == theirs["x-amz-date"] == "20261122T030405Z"


# -- against moto's server ----------------------------------------------------------------------
def config(values: dict[str, str]):
    """A GETCONFIG stand-in: unset settings read as empty, as git-annex answers them."""
    return lambda name: values.get(name, "")


def built_clients(bucket: Bucket) -> list:
    """The boto3 clients built for ``bucket`` from now on (lazily: none until one is needed)."""
    built: list = []
    on_every_client(bucket, built.append)
    return built


def lean_bucket(endpoint: str, name: str, **values: str) -> tuple[Bucket, list]:
    """The signed bucket a remote opens (lazy boto3 client, lean transport), and the list of
    boto3 clients built for it so far."""
    bucket = signed(opened(name, endpoint, lean=True, **values))
    assert bucket.lean is not None
    return bucket, built_clients(bucket)


@pytest.mark.parametrize("name,token", [("ds1/SHA256E-s11--abc.bin", None),
                                         (AWKWARD, "session/token+=")])
def test_presigned_url_equals_botocores(monkeypatch, name, token):
    """The lean presigned GET URL is botocore's ``S3SigV4QueryAuth`` URL, field for field."""
    from urllib.parse import parse_qsl, urlsplit

    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda *a, **k: NOW.replace(tzinfo=None))
    monkeypatch.setattr("git_annex_remote_s3py.store.lean.transport.datetime",
                        type("Now", (), {"now": staticmethod(lambda tz=None: NOW)}))
    lean = LeanS3("http://127.0.0.1:9000/my-bucket", lambda: ("AKIDEXAMPLE", "s3cr3t/+key", token),
                  "eu-west-2", timeout=5, connect_timeout=5)
    ours = urlsplit(lean.presign(name, 90))
    request = AWSRequest(method="GET", url="http://127.0.0.1:9000" + lean.path(name))
    botocore.auth.S3SigV4QueryAuth(BotoCredentials("AKIDEXAMPLE", "s3cr3t/+key", token), "s3",
                                   "eu-west-2", expires=90).add_auth(request)
    theirs = urlsplit(request.url)
    assert (ours.scheme, ours.netloc, ours.path) == (theirs.scheme, theirs.netloc, theirs.path)
    assert dict(parse_qsl(ours.query)) == dict(parse_qsl(theirs.query))
    assert ours.query.endswith("&X-Amz-Signature=" + dict(parse_qsl(theirs.query))[
        "X-Amz-Signature"])


def test_small_objects_round_trip_without_boto3(s3_server, bucket_name, tmp_path):
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    bucket, built = lean_bucket(s3_server.endpoint, bucket_name)
    data = random.Random(1).randbytes(20_000)
    source = tmp_path / "src"
    source.write_bytes(data)
    seen: list[int] = []
    info = bucket.put_file(AWKWARD, str(source), seen.append, {"Metadata": {"origin": "lab"}})
    stored = truth.get_object(Bucket=bucket_name, Key=AWKWARD)
    assert stored["Body"].read() == data and stored["Metadata"] == {"origin": "lab"}
    assert info.etag == hashlib.md5(data).hexdigest() and seen[-1] == len(data)
    assert bucket.head(AWKWARD).size == len(data)
    with pytest.raises(errors.ObjectNotFound):
        bucket.head("missing")
    target = tmp_path / "got"
    assert bucket.get_file(AWKWARD, str(target), lambda n: None) == len(data)
    assert target.read_bytes() == data
    bucket.delete(AWKWARD)
    assert "Contents" not in truth.list_objects_v2(Bucket=bucket_name)
    assert bucket.lean is not None and not built


def test_listing_pages_and_awkward_names_without_boto3(s3_server, bucket_name):
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    names = {f"p/{n}": i for i, n in enumerate(
        [AWKWARD, "a+b c", "50%", "<&>\"'", "plain", "é/ü"])}
    for name, size in names.items():
        truth.put_object(Bucket=bucket_name, Key=name, Body=b"x" * size)
    truth.put_object(Bucket=bucket_name, Key="other/p", Body=b"")
    bucket, built = lean_bucket(s3_server.endpoint, bucket_name)
    bucket.list_page = 2
    listed = {name: size for name, size, _etag in bucket.list("p/")}
    assert listed == names
    assert bucket.lean is not None and not built


def test_listing_handed_over_mid_way_lists_each_name_once(s3_server, s3_proxy, bucket_name):
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    for i in range(7):
        truth.put_object(Bucket=bucket_name, Key=f"p/{i}", Body=b"")
    bucket, built = lean_bucket(s3_proxy.endpoint, bucket_name)
    bucket.list_page = 2
    s3_proxy.set_rules(Rule("503", method="GET", query=".*continuation-token.*", limit=1))
    assert sorted(name for name, _size, _etag in bucket.list("p/")) == [
        f"p/{i}" for i in range(7)]
    assert bucket.lean is None and built


@pytest.mark.parametrize("fault", ["503", "corrupt", "truncate", "reset-resp", "html200"])
def test_unclean_get_goes_to_botocore(s3_server, s3_proxy, bucket_name, tmp_path, fault,
                                      caplog):
    """One bad answer: the lean path stops, botocore does that request and all later ones."""
    watch_hand_overs(caplog)
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    data = random.Random(2).randbytes(300_000)
    truth.put_object(Bucket=bucket_name, Key="k", Body=data)
    bucket, built = lean_bucket(s3_proxy.endpoint, bucket_name)
    s3_proxy.set_rules(Rule(fault, method="GET", at_byte=100_000, limit=1))
    target = tmp_path / "got"
    assert bucket.get_file("k", str(target), lambda n: None) == len(data)
    assert target.read_bytes() == data
    reasons = lean_off_reasons(caplog)
    assert bucket.lean is None and len(reasons) == 1 and reasons[0]
    assert built
    gets = [seen for seen in s3_proxy.requests if seen.method == "GET"]
    if fault == "truncate":  # the partial file is resumed, not fetched again
        assert gets[-1].range and gets[-1].range.startswith("bytes=")


def test_large_single_object_with_crc32_both_ways_without_boto3(s3_server, s3_proxy, bucket_name,
                                                                 tmp_path, monkeypatch, caplog):
    """Above 8 MiB the lean PUT sends a CRC32 header (the server checks and echoes it) and
    the GET checks the bytes against the object's CRC32; a corrupted body is discarded and
    botocore fetches it again."""
    watch_hand_overs(caplog)
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    data = random.Random(4).randbytes(9 * 1024**2 + 7)
    source = tmp_path / "src"
    source.write_bytes(data)
    bucket, built = lean_bucket(s3_proxy.endpoint, bucket_name)
    seen: list[int] = []
    monkeypatch.setattr(integrity, "file_md5", None)  # the echoed CRC32 is the check: no MD5
    bucket.put_file("big", str(source), seen.append)
    stored = truth.get_object(Bucket=bucket_name, Key="big", ChecksumMode="ENABLED")
    assert stored["Body"].read() == data and stored.get("ChecksumCRC32")
    assert len(seen) > 2 and seen[-1] == len(data)  # progress while sending
    target = tmp_path / "got"
    assert bucket.get_file("big", str(target), lambda n: None) == len(data)
    assert target.read_bytes() == data
    assert bucket.lean is not None and not built
    s3_proxy.set_rules(Rule("corrupt", method="GET", at_byte=5_000_000, limit=1))
    target.unlink()
    assert bucket.get_file("big", str(target), lambda n: None) == len(data)
    assert target.read_bytes() == data
    reasons = lean_off_reasons(caplog)
    assert bucket.lean is None and len(reasons) == 1 and "checksum" in reasons[0]


@pytest.mark.parametrize("s3_proxy", [[Rule("no-checksum")]], indirect=True)
def test_server_ignoring_crc32_gets_content_md5_from_then_on(s3_server, s3_proxy, bucket_name,
                                                             tmp_path, monkeypatch):
    """A server that does not echo the CRC32 header (Ceph RGW 16, s3rver) did not check it:
    the first upload is checked by reading the file's MD5 against the ETag, every later one
    carries Content-MD5 (checked on arrival by servers that check it) and reads nothing
    again. The bytes stored are the file's each time."""
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    bucket, built = lean_bucket(s3_proxy.endpoint, bucket_name)
    reread: list[str] = []
    file_md5 = integrity.file_md5
    monkeypatch.setattr(integrity, "file_md5", lambda path: reread.append(path) or file_md5(path))
    for index in range(3):
        data = random.Random(10 + index).randbytes(9 * 1024**2 + index)
        source = tmp_path / f"src{index}"
        source.write_bytes(data)
        bucket.put_file(f"big{index}", str(source), lambda n: None)
        assert truth.get_object(Bucket=bucket_name, Key=f"big{index}")["Body"].read() == data
    puts = [seen for seen in s3_proxy.requests if seen.method == "PUT"]
    assert len(puts) == 3 and bucket.lean is not None and not built
    assert "x-amz-checksum-crc32" in dict(puts[0].amz_headers) and puts[0].content_md5 is None
    for later, index in zip(puts[1:], (1, 2)):
        sent = (tmp_path / f"src{index}").read_bytes()
        assert later.content_md5 == base64.b64encode(hashlib.md5(sent).digest()).decode()
        assert "x-amz-checksum-crc32" not in dict(later.amz_headers)
    assert reread == [str(tmp_path / "src0")]


@pytest.mark.parametrize("s3_proxy", [[Rule("403", method="PUT")]], indirect=True)
def test_refused_put_falls_back_and_keeps_refusal(s3_server, s3_proxy, bucket_name, tmp_path):
    """A 403 on the lean PUT: botocore tries (and is refused too): the error is botocore's."""
    s3_server.client().create_bucket(Bucket=bucket_name)
    bucket, built = lean_bucket(s3_proxy.endpoint, bucket_name)
    source = tmp_path / "src"
    source.write_bytes(b"x" * 1000)
    with pytest.raises(errors.AccessDenied):
        bucket.put_file("k", str(source), lambda n: None)
    assert bucket.lean is None
    puts = [seen for seen in s3_proxy.requests if seen.method == "PUT"]
    assert len(puts) >= 2  # the lean attempt, then botocore's


def test_profile_credentials_go_lean_too(s3_server, bucket_name, tmp_path, monkeypatch):
    """Credentials from an AWS profile (the boto3 chain), no boto3 client built."""

    (tmp_path / "credentials").write_text(
        f"[lab]\naws_access_key_id = {DUMMY_KEY}\naws_secret_access_key = {DUMMY_SECRET}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    s3_server.client().create_bucket(Bucket=bucket_name)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    chain = Credentials(None, None, None, "chain")
    bucket = signed(opened(bucket_name, s3_server.endpoint, lean=True, creds=chain,
                           profile="lab"))
    built = built_clients(bucket)
    source = tmp_path / "src"
    source.write_bytes(b"profile bytes")
    bucket.put_file("k", str(source), lambda n: None)
    assert bucket.head("k").size == 13
    assert bucket.lean is not None and not built


def test_lean_only_where_it_is_right(monkeypatch):
    from git_annex_remote_s3py.config import load_settings

    creds = Credentials(DUMMY_KEY, DUMMY_SECRET, None, "test")
    minio = load_settings(config({"bucket": "b-1", "endpoint": "http://127.0.0.1:9000"}))
    assert build_lean(minio, creds) is not None
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert build_lean(minio, Credentials(None, None, None, "chain")) is None  # none anywhere
    aws_no_region = load_settings(config({"bucket": "b-1"}))
    assert build_lean(aws_no_region, creds) is None
    dotted = {"bucket": "my.bucket", "region": "eu-west-1"}
    assert build_lean(load_settings(config(dotted)), creds) is not None  # path style
    dotted["requeststyle"] = "virtual"  # TLS names cannot hold the dots
    assert build_lean(load_settings(config(dotted)), creds) is None
    aws = load_settings(config({"bucket": "b-1", "region": "eu-west-1"}))
    assert build_lean(aws, creds) is not None
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    assert build_lean(aws, creds) is None  # botocore would pick another host
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert build_lean(minio, creds) is None


def test_stale_kept_alive_connection_is_replaced():
    """A server that closes an idle kept-alive connection: the next request reconnects once."""
    from http.server import ThreadingHTTPServer

    class OneShot(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self):  # noqa: N802
            self.send_response(200)
            self.send_header("ETag", '"abc"')
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.close_connection = True  # without saying so: the client's connection is stale

    connections: list[object] = []

    class Counting(ThreadingHTTPServer):
        def process_request(self, request, client_address):
            connections.append(client_address)
            super().process_request(request, client_address)

    with stub_server(OneShot, server_class=Counting) as server:
        lean = LeanS3(f"{url(server)}/b-1", lambda: ("a", "b", None),
                      "us-east-1", timeout=5, connect_timeout=5)
        for _ in range(3):
            with lean.exchange("HEAD", "k") as response:
                assert response.status == 200 and response.read() == b""
    assert len(connections) == 3  # each kept connection found dead, replaced, no error


def test_crc_checked_download_skips_md5_but_refuses_corruption(s3_server, s3_proxy, bucket_name,
                                                               tmp_path):
    """botocore path, an object stored with a CRC32: botocore's streaming check stands in for
    the MD5 pass; corrupted bytes are still refused and not kept for a resume."""
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    data = random.Random(3).randbytes(2_000_000)
    truth.put_object(Bucket=bucket_name, Key="k", Body=data, ChecksumAlgorithm="CRC32")
    assert _crc_validated(truth.get_object(Bucket=bucket_name, Key="k"))  # no MD5 pass here
    bucket, built = lean_bucket(s3_proxy.endpoint, bucket_name)
    bucket.lean = None
    s3_proxy.set_rules(Rule("corrupt", method="GET", at_byte=1_500_000, limit=1))
    target = tmp_path / "got"
    with pytest.raises(errors.IntegrityError):
        bucket.get_file("k", str(target), lambda n: None)
    assert target.stat().st_size == 0
    assert bucket.get_file("k", str(target), lambda n: None) == len(data)
    assert target.read_bytes() == data


def test_unsigned_payload_only_with_server_checked_checksums():
    from git_annex_remote_s3py.config import load_settings
    from git_annex_remote_s3py.store.boto.client import s3_config

    supported = load_settings(config({"bucket": "b-1", "endpoint": "http://127.0.0.1:9"}))
    required = load_settings(config({"bucket": "b-1", "endpoint": "http://127.0.0.1:9",
                                     "checksums": "when_required"}))
    assert s3_config(supported)["payload_signing_enabled"] is False
    assert "payload_signing_enabled" not in s3_config(required)  # botocore signs it on http


def test_botocore_continues_a_listing_from_s3s_raw_token():
    """The token S3 gave the lean listing, handed to botocore's paginator in its own format
    (a raw token ending in ``___12`` would otherwise be read as 'skip 12 names')."""
    store = opened("b-1")
    stubber = stub(store)
    stubber.add_response("list_objects_v2", {
        "Contents": [{"Key": "p/x", "Size": 3, "ETag": '"e"'}], "IsTruncated": False},
        {"Bucket": "b-1", "Prefix": "p/", "ContinuationToken": "tok___12"})
    assert list(signed(store).boto.listing("p/", "tok___12")) == [("p/x", 3, "e")]
    stubber.assert_no_pending_responses()


def test_lean_put_with_wrong_etag_removes_the_object_and_fails(tmp_path):
    """A server that ignores Content-MD5 and stores other bytes (its ETag shows it): the
    object is removed and the store fails, as on the botocore path."""
    deleted: list[str] = []

    class Careless(QuietHandler):
        def do_PUT(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_DELETE(self):  # noqa: N802
            deleted.append(self.path)
            self.send_response(204)
            self.end_headers()

    with stub_server(Careless) as server:
        bucket, built = lean_bucket(url(server), "b-1")
        source = tmp_path / "src"
        source.write_bytes(b"the bytes sent")
        with pytest.raises(errors.IntegrityError):
            bucket.put_file("k", str(source), lambda n: None)
    assert deleted == ["/b-1/k"] and not built


def test_head_in_a_missing_bucket_is_botocores_answer(s3_server, bucket_name):
    """A 404 on HEAD is 'absent' only in a bucket that exists: here botocore says which."""
    bucket, built = lean_bucket(s3_server.endpoint, bucket_name)  # never created
    with pytest.raises(errors.BucketNotFound):
        bucket.head("k")
    assert bucket.lean is None


def test_versions_through_the_lean_path(s3_server, bucket_name, tmp_path):
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    truth.put_bucket_versioning(Bucket=bucket_name,
                                VersioningConfiguration={"Status": "Enabled"})
    bucket, built = lean_bucket(s3_server.endpoint, bucket_name)
    source = tmp_path / "src"
    versions = []
    for content in (b"first version", b"second, longer version"):
        source.write_bytes(content)
        versions.append(bucket.put_file("k", str(source), lambda n: None).version_id)
    assert all(versions) and versions[0] != versions[1]
    assert bucket.head("k", versions[0]).size == len(b"first version")
    target = tmp_path / "got"
    assert bucket.get_file("k", str(target), lambda n: None, versions[0]) == 13
    assert target.read_bytes() == b"first version"
    assert bucket.lean is not None and not built


def test_concurrent_jobs_share_one_lean_bucket(s3_server, bucket_name, tmp_path):
    """Eight threads (as git-annex's ASYNC jobs) store, check and fetch at once."""
    from concurrent.futures import ThreadPoolExecutor

    s3_server.client().create_bucket(Bucket=bucket_name)
    bucket, built = lean_bucket(s3_server.endpoint, bucket_name)

    def job(number: int) -> bool:
        data = random.Random(number).randbytes(1000 + number)
        source, target = tmp_path / f"src{number}", tmp_path / f"got{number}"
        source.write_bytes(data)
        bucket.put_file(f"k{number}", str(source), lambda n: None)
        assert bucket.head(f"k{number}").size == len(data)
        bucket.get_file(f"k{number}", str(target), lambda n: None)
        return target.read_bytes() == data

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(job, range(40)))
    assert bucket.lean is not None and not built


# -- import reads: HEAD with checksums, versioning state, conditional GET -----------------------
def test_describe_and_versioning_go_lean_and_equal_botocores(s3_server, bucket_name):
    """What import asks of the remote's own bucket, answered without a boto3 client, equal
    to botocore's answers: SHA-256 checksum, MD5 ETag, version IDs, versioning state."""
    from git_annex_remote_s3py.store.boto import inventory

    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    truth.put_object(Bucket=bucket_name, Key="plain", Body=b"plain")
    truth.put_object(Bucket=bucket_name, Key="sha", Body=b"sha", ChecksumAlgorithm="SHA256")
    bucket, built = lean_bucket(s3_server.endpoint, bucket_name)
    assert bucket.versioned() is False
    for name in ("plain", "sha"):
        assert bucket.describe(name) == inventory.describe(truth, bucket_name, name)
    assert bucket.describe("sha").sha256_hex == hashlib.sha256(b"sha").hexdigest()
    assert bucket.describe("plain").md5_hex() == hashlib.md5(b"plain").hexdigest()
    with pytest.raises(errors.ObjectNotFound):
        bucket.describe("missing")
    truth.put_bucket_versioning(Bucket=bucket_name,
                                VersioningConfiguration={"Status": "Enabled"})
    first = truth.put_object(Bucket=bucket_name, Key="v", Body=b"one")["VersionId"]
    truth.put_object(Bucket=bucket_name, Key="v", Body=b"two")
    assert bucket.versioned() is True
    old = bucket.describe("v", first)
    assert old == inventory.describe(truth, bucket_name, "v", first)
    assert (old.version_id, old.size) == (first, 3)
    truth.put_bucket_versioning(Bucket=bucket_name,
                                VersioningConfiguration={"Status": "Suspended"})
    assert bucket.versioned() is True  # versions already kept stay readable
    assert bucket.lean is not None and not built


@pytest.mark.parametrize("lean", [True, False])
def test_get_only_the_content_asked_for(s3_server, bucket_name, tmp_path, lean):
    """``if_match``: the bytes when the object still has that ETag; ObjectChanged (nothing
    written, the lean path still on) once it holds other content; lean or botocore alike."""
    truth = s3_server.client()
    truth.create_bucket(Bucket=bucket_name)
    etag = truth.put_object(Bucket=bucket_name, Key="k", Body=b"first")["ETag"].strip('"')
    bucket, _ = lean_bucket(s3_server.endpoint, bucket_name)
    if not lean:
        bucket.lean = None
    target = tmp_path / "got"
    assert bucket.get_file("k", str(target), lambda n: None, if_match=etag) == 5
    assert target.read_bytes() == b"first"
    truth.put_object(Bucket=bucket_name, Key="k", Body=b"second")
    target.unlink()
    with pytest.raises(errors.ObjectChanged):
        bucket.get_file("k", str(target), lambda n: None, if_match=etag)
    assert not target.exists() or target.read_bytes() == b""
    assert (bucket.lean is not None) == lean
