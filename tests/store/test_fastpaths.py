"""CHECKPRESENT answered from one listing (presence.py): fast, and never wrong about absence."""

from __future__ import annotations

from support.repos import initremote, make_annex_repo, run

from git_annex_remote_s3py.errors import AccessDenied, ObjectNotFound
from git_annex_remote_s3py.naming import key_object_name
from git_annex_remote_s3py.store.bucket import ObjectInfo
from git_annex_remote_s3py.store.listing import ListedBucket

NOT_LISTED = "absent without a HEAD"


class MemoryBucket:
    """The part of ``storage.Bucket`` that ListedBucket uses, kept in a dict."""

    def __init__(self, objects: dict[str, int], deny_list: bool = False) -> None:
        self.objects, self.deny_list = dict(objects), deny_list
        self.during_list: list = []
        self.heads = 0

    def list(self, prefix: str):
        if self.deny_list:
            raise AccessDenied("listing: access denied")
        for name, size in sorted(self.objects.items()):
            for action in self.during_list:
                action()
            self.during_list = []
            if name.startswith(prefix):
                yield name, size, "etag"

    def delete(self, name: str) -> None:
        self.objects.pop(name, None)

    def head(self, name: str, version_id=None):
        self.heads += 1
        if name not in self.objects:
            raise ObjectNotFound(name)
        return ObjectInfo(self.objects[name], "etag")


def asked(bucket: ListedBucket, names: list[str]) -> list[int | str | None]:
    """Per name: the size the listing answered, NOT_LISTED, or None where a HEAD was sent."""
    answers: list[int | str | None] = []
    for name in names:
        heads = bucket._bucket.heads
        try:
            size = bucket.head(name).size
        except ObjectNotFound:
            size = NOT_LISTED
        answers.append(None if bucket._bucket.heads > heads else size)
    return answers


def test_listing_answers_until_stale():
    """Present only for the request that started the listing (it arrived before the page);
    absent for any request while the complete listing is fresh."""
    now = [0.0]
    bucket = ListedBucket(MemoryBucket({"p/a": 1, "p/b": 2}), "p/", threshold=2, ttl=10,
                          clock=lambda: now[0])
    assert asked(bucket, ["p/a", "p/a", "p/b", "p/zz"]) == [None, 1, None, NOT_LISTED]
    now[0] = 11.0  # stale: the next question (the threshold is long past) lists again
    bucket._bucket.objects.pop("p/a")
    assert asked(bucket, ["p/a", "p/b"]) == [NOT_LISTED, None]


def test_incomplete_listing_never_answers_absent():
    objects = {f"p/{i}": i for i in range(5)}
    bucket = ListedBucket(MemoryBucket(objects), "p/", threshold=1, max_objects=3)
    assert asked(bucket, ["p/0", "p/1", "p/4", "p/zz"]) == [0, None, None, None]


def test_names_written_here_are_asked_again():
    memory = MemoryBucket({"p/a": 1})
    bucket = ListedBucket(memory, "p/", threshold=1)
    assert asked(bucket, ["p/a", "p/new"]) == [1, NOT_LISTED]
    memory.objects["p/new"] = 5
    bucket._forget("p/new")  # as put_file does around its upload
    bucket.delete("p/a")
    assert asked(bucket, ["p/new", "p/a"]) == [None, None]


def test_delete_while_listing_is_forgotten():
    memory = MemoryBucket({"p/a": 1, "p/b": 2})
    bucket = ListedBucket(memory, "p/", threshold=1)
    memory.during_list = [lambda: bucket.delete("p/b")]  # another job removes it meanwhile
    assert asked(bucket, ["p/a", "p/b", "p/zz"]) == [1, None, NOT_LISTED]


def test_listing_refused_falls_back_to_head_for_good():
    bucket = ListedBucket(MemoryBucket({"p/a": 1}, deny_list=True), "p/", threshold=1)
    assert asked(bucket, ["p/a", "p/a"]) == [None, None]
    assert bucket.head("p/a").size == 1


def test_fsck_and_copy_with_objects_deleted_behind_git_annex(tmp_path, env, s3_server,
                                                             s3_proxy, bucket_name):
    files = {f"f{i:02d}.txt": f"content {i}\n".encode() for i in range(40)}
    repo = make_annex_repo(tmp_path / "repo", env, files)
    initremote(repo, env, "s3", s3_proxy, bucket_name, "encryption=none", "fileprefix=fp/")
    run(["git", "annex", "copy", "--to", "s3", "-J2", "."], repo, env)
    client = s3_server.client()
    names = sorted(n for n in s3_server.objects(bucket_name, "fp/") if "annex-uuid" not in n)
    deleted, resized = names[:4], names[4:6]
    for name in deleted:
        client.delete_object(Bucket=bucket_name, Key=name)
    for name in resized:
        client.put_object(Bucket=bucket_name, Key=name, Body=b"truncated")
    mark = s3_proxy.mark()
    fsck = run(["git", "annex", "fsck", "--fast", "--from", "s3", "-J2", "."], repo, env,
               check=False)
    assert fsck.returncode != 0
    requests = s3_proxy.since(mark)
    listings = [i for i, r in enumerate(requests)
                if r.method == "GET" and r.path.rstrip("/") == f"/{bucket_name}"]
    assert listings
    # a deleted object is absent from the complete listing: no HEAD for it after the listing
    # (a present one is HEADed: a present answer never rests on a listing older than its
    # request, tests/store/test_listing_safety.py)
    late_heads = [r.path for r in requests[listings[0]:] if r.method == "HEAD"]
    assert not {f"/{bucket_name}/{name}" for name in deleted} & set(late_heads), late_heads
    assert len([r for r in requests if r.method == "HEAD"]) <= 40
    find = ["git", "annex", "find", "--format=${key}\n", "."]
    every_key = run(find, repo, env).stdout.split()
    still_there = set(names) - set(deleted) - set(resized)
    assert set(run([*find[:3], "--in", "s3", *find[3:]], repo, env).stdout.split()) == {
        k for k in every_key if key_object_name("fp/", k) in still_there}
    run(["git", "annex", "copy", "--to", "s3", "-J2", "."], repo, env)
    stored = s3_server.objects(bucket_name, "fp/")
    assert sorted(v for n, v in stored.items() if "annex-uuid" not in n) == sorted(
        files.values())
