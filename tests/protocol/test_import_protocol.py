"""Transcripts of the import messages (importtree=yes, git-annex 10.20261026's wire format,
docs/import.md) and of CLAIMURL/CHECKURL for s3:// URLs, against the real executable and
moto's server; the bucket is filled with boto3."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from support.pipes import RemotePipe, without_debug
from support.repos import run
from support.s3data import MULTI, MULTI_NAME, OBJECTS, PREFIX, SHA_BODY, SHA_NAME, fill_bucket

NEW = ("EXTENSIONS INFO GETGITREMOTENAME UNAVAILABLERESPONSE TRANSFER-RETRIEVE-URL "
       "CHECKPRESENT-URL IMPORTKEY DELEGATE ASYNC")
UNICODE = "sub dir/\u00fcn\u00efc\u00f6d\u00e9 name.csv"


@pytest.fixture
def remote(env, tmp_path: Path, s3_server, bucket_name):
    fill_bucket(s3_server.client(), bucket_name)
    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    pipe = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint,
                            "fileprefix": PREFIX, "importtree": "yes"}, repo)
    assert pipe.request(NEW) == ("EXTENSIONS INFO UNAVAILABLERESPONSE TRANSFER-RETRIEVE-URL "
                                 "IMPORTKEY ASYNC")
    assert pipe.request("PREPARE") == "PREPARE-SUCCESS"
    yield pipe
    assert pipe.close() == 0


def replies_until(pipe: RemotePipe, last_word: str) -> list[str]:
    lines = []
    while True:
        line = pipe.reply()
        if not line.startswith("DEBUG "):
            lines.append(line)
        if line.split(" ", 1)[0] == last_word:
            return lines


def listing(pipe: RemotePipe) -> dict[str, tuple[int, str]]:
    """name -> (size, content identifier) from LISTIMPORTABLECONTENTS."""
    pipe.send("LISTIMPORTABLECONTENTS")
    lines = [line for line in replies_until(pipe, "LISTIMPORTABLECONTENTS-SUCCESS")
             if not line.startswith("INFO ")]
    assert lines[-1] == "LISTIMPORTABLECONTENTS-SUCCESS"
    found = {}
    for content, cid in zip(lines[:-1:2], lines[1:-1:2]):
        word, size, name = content.split(" ", 2)
        assert word == "IMPORTABLECONTENT" and cid.startswith("IMPORTABLECONTENTIDENTIFIER ")
        found[name] = (int(size), cid.split(" ", 1)[1])
    return found


def test_import_transcript(remote, tmp_path, s3_server, bucket_name):
    assert remote.request("IMPORTSUPPORTED") == "IMPORTSUPPORTED-SUCCESS"
    found = listing(remote)
    assert set(found) == {*OBJECTS, SHA_NAME, MULTI_NAME}  # no marker, nothing outside
    assert found["plain.txt"][0] == len(OBJECTS["plain.txt"])
    etag = s3_server.client().head_object(Bucket=bucket_name,
                                          Key=PREFIX + "plain.txt")["ETag"].strip('"')
    assert found["plain.txt"][1] == etag  # unversioned bucket: the ETag alone
    expected = {
        "plain.txt": f"MD5E-s{len(OBJECTS['plain.txt'])}--{etag}.txt",
        SHA_NAME: f"SHA256E-s{len(SHA_BODY)}--{hashlib.sha256(SHA_BODY).hexdigest()}.bin",
        MULTI_NAME: f"SHA256E-s{len(MULTI)}--{hashlib.sha256(MULTI).hexdigest()}.dat",
        UNICODE: (f"MD5E-s{len(OBJECTS[UNICODE])}--"
                  f"{hashlib.md5(OBJECTS[UNICODE]).hexdigest()}.csv"),
    }
    for name, key in expected.items():
        remote.send(f"IMPORT {name}")
        size, cid = found[name]
        assert remote.request(f"IMPORTKEY {size} {cid}") == f"IMPORTKEY-SUCCESS {key}"
    recorded = [line.split(" ", 2)[1] for line in remote.sent_back
                if line.startswith("SETSTATE ")]
    # an unversioned object's MD5 ETag is its key's MD5: nothing to record; a SHA-256 is not
    assert recorded == [expected[SHA_NAME], expected[MULTI_NAME]]
    target = tmp_path / "retrieved"
    remote.send(f"IMPORT {UNICODE}")
    assert remote.request(f"RETRIEVEIMPORT {target}") == "RETRIEVEIMPORT-SUCCESS"
    assert target.read_bytes() == OBJECTS[UNICODE]
    assert not Path(f"{target}.s3py-part").exists()
    remote.send("IMPORT plain.txt")
    assert remote.request(f"CHECKPRESENTIMPORT {expected['plain.txt']}") == \
        f"CHECKPRESENT-SUCCESS {expected['plain.txt']}"
    remote.send("IMPORT gone.txt")
    assert remote.request("CHECKPRESENTIMPORT MD5E-s1--0cc175b9c0f1b6a831c399e269772661.txt") \
        == "CHECKPRESENT-FAILURE MD5E-s1--0cc175b9c0f1b6a831c399e269772661.txt"


def test_importkey_of_a_changed_object_fails_and_names_it(remote, s3_server, bucket_name):
    found = listing(remote)
    s3_server.client().put_object(Bucket=bucket_name, Key=PREFIX + "plain.txt", Body=b"new")
    remote.send("IMPORT plain.txt")
    size, cid = found["plain.txt"]
    reply = remote.request(f"IMPORTKEY {size} {cid}")
    assert reply.startswith("IMPORTKEY-FAILURE ") and "changed since it was listed" in reply


def test_import_requests_without_import_name_fail_cleanly(env, tmp_path, s3_server,
                                                          bucket_name):
    repo = tmp_path / "bare"
    repo.mkdir()
    pipe = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_server.endpoint}, repo)
    pipe.prepare()
    assert pipe.request("IMPORTKEY 3 abc") == \
        "IMPORTKEY-FAILURE request arrived without a preceding IMPORT name"
    assert pipe.request(f"RETRIEVEIMPORT {tmp_path / 'x'}") == \
        "RETRIEVEIMPORT-FAILURE request arrived without a preceding IMPORT name"
    assert pipe.request("CHECKPRESENTIMPORT MD5-s1--x").startswith("CHECKPRESENT-UNKNOWN ")
    assert pipe.request("IMPORTKEY nonsense").startswith("ERROR protocol error")
    assert pipe.close() != 0


def test_claimurl_and_checkurl_transcript(remote, bucket_name):
    assert remote.request(f"CLAIMURL s3://{bucket_name}/{PREFIX}plain.txt") == "CLAIMURL-SUCCESS"
    assert remote.request("CLAIMURL https://example.org/x") == "CLAIMURL-FAILURE"
    assert remote.request(f"CHECKURL s3://{bucket_name}/{PREFIX}plain.txt") == \
        f"CHECKURL-CONTENTS {len(OBJECTS['plain.txt'])} plain.txt"
    multi = without_debug([remote.request(f"CHECKURL s3://{bucket_name}/{PREFIX}sub%20dir/")])
    assert multi == [f"CHECKURL-MULTI s3://{bucket_name}/{PREFIX}sub%20dir/"
                     "%C3%BCn%C3%AFc%C3%B6d%C3%A9%20name.csv "
                     f"{len(OBJECTS[UNICODE])} \u00fcn\u00efc\u00f6d\u00e9_name.csv"]
    missing = remote.request(f"CHECKURL s3://{bucket_name}/{PREFIX}missing.txt")
    assert missing.startswith("CHECKURL-FAILURE ") and "not found" in missing


PAGE = 1000  # names per listing page (store/bucket.py: S3's maximum)


@pytest.fixture
def two_pages(env, tmp_path: Path, s3_server, s3_proxy, bucket_name):
    """A remote (through the fault proxy) whose prefix holds one page of objects and one more."""
    from concurrent.futures import ThreadPoolExecutor

    client = s3_server.client()
    client.create_bucket(Bucket=bucket_name)
    names = [f"n{number:04d}" for number in range(PAGE + 1)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda name: client.put_object(Bucket=bucket_name, Key=PREFIX + name,
                                                     Body=name.encode()), names))
    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q"], repo, env)
    pipe = RemotePipe(env, {"bucket": bucket_name, "endpoint": s3_proxy.endpoint,
                            "fileprefix": PREFIX, "importtree": "yes"}, repo)
    pipe.prepare()
    yield pipe, names
    pipe.close()


def streamed(pipe: RemotePipe, count: int, first: bool = False) -> list[str]:
    """The next ``count`` lines of a streamed reply (``first``: its first, after the DEBUG
    and INFO lines before it): no DEBUG or INFO line among them, since git-annex starts the
    list over after one. A line that does not come fails the test after next_line's timeout."""
    lines = [pipe.next_line() for _ in range(count)]
    while first and lines[0].startswith(("DEBUG ", "INFO ")):
        lines = [*lines[1:], pipe.next_line()]
    assert [line for line in lines if line.startswith(("DEBUG ", "INFO "))] == []
    return lines


def listed(name: str) -> list[str]:
    """The two lines of one object (its body is its name: the ETag is the name's MD5)."""
    return [f"IMPORTABLECONTENT {len(name)} {name}",
            f"IMPORTABLECONTENTIDENTIFIER {hashlib.md5(name.encode()).hexdigest()}"]


def test_listing_lines_are_sent_as_pages_arrive(two_pages, s3_proxy):
    """LISTIMPORTABLECONTENTS writes the first page's lines while the second page is still
    being asked for: the remote never holds the whole list (10^7 objects took ~6 GiB). The
    DEBUG lines of the second page's request wait until the reply's last line."""
    from support.faultproxy import Rule

    pipe, names = two_pages
    second_page = Rule("hold", method="GET", query="continuation-token", limit=1)
    s3_proxy.set_rules(second_page)
    pipe.send("LISTIMPORTABLECONTENTS")
    assert second_page.held.wait(60)
    # the whole first page arrives while the request for the second is held at the proxy
    assert streamed(pipe, 2 * PAGE, first=True) == [line for name in names[:PAGE]
                                                    for line in listed(name)]
    assert second_page.hits == 1
    second_page.release()  # its connection is reset: the remote asks again, unheld
    assert streamed(pipe, 3) == [*listed(names[PAGE]), "LISTIMPORTABLECONTENTS-SUCCESS"]
    assert pipe.next_line() == "DEBUG S3 GET (the bucket) (lean): 200"  # the second page's


def test_listing_that_fails_after_a_page_fails_whole(two_pages, s3_proxy):
    """A listing that breaks after some lines were sent ends in LISTIMPORTABLECONTENTS-FAILURE
    (git-annex then keeps none of it), never in SUCCESS with the objects of one page."""
    from support.faultproxy import Rule

    pipe, names = two_pages
    s3_proxy.set_rules(Rule("403", method="GET", query="continuation-token"))
    pipe.send("LISTIMPORTABLECONTENTS")
    assert streamed(pipe, 2 * PAGE, first=True) == [line for name in names[:PAGE]
                                                    for line in listed(name)]
    last = streamed(pipe, 1)[0]
    assert last.startswith("LISTIMPORTABLECONTENTS-FAILURE ") and "denied" in last.lower()
