"""One prefix has one owner, also across folders: a remote inside an exporttree remote's prefix
(or an exporttree remote around another remote's) is refused, saying what is there; nesting
that cannot clash (a key remote's keys are no folders; a subdataset's own folder under its
superdataset's export, as s3py-publish lays them out) is accepted."""

from __future__ import annotations

from support.repos import initremote, make_annex_repo, run


def test_a_remote_inside_an_export_is_refused_saying_what_is_there(tmp_path, env, s3_server,
                                                                   bucket_name):
    repo = make_annex_repo(tmp_path / "repo", env, {"sub/a.txt": b"a\n", "top.txt": b"t\n"})
    initremote(repo, env, "e", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=e/")
    run(["git", "annex", "export", "HEAD", "--to", "e"], repo, env)
    uuid = run(["git", "config", "remote.e.annex-uuid"], repo, env).stdout.strip()

    def refusal(name: str, *settings: str) -> str:
        done = initremote(repo, env, name, s3_server, bucket_name, "encryption=none",
                          *settings, check=False)
        assert done.returncode != 0, done.stdout
        return done.stdout + done.stderr

    inside = f"bucket {bucket_name} prefix 'e/sub/' is inside prefix 'e/', where git-annex "
    assert (inside + f"remote e ({uuid}) exports its tree: its files under sub/ are there "
            "(e.g. 'e/sub/a.txt'); choose a fileprefix= outside 'e/'") in refusal(
        "k1", "fileprefix=e/sub/")
    assert (f"prefix 'e/newdir/' is inside prefix 'e/', where git-annex remote e ({uuid}) "
            "exports its tree: a file it exports under newdir/ would land among this "
            "remote's objects") in refusal("k2", "fileprefix=e/newdir/")
    assert (f"prefix '' encloses prefix 'e/' of git-annex remote e ({uuid}): files this "
            "remote exports under e/ would land among its objects") in refusal(
        "x1", "exporttree=yes", "fileprefix=")
    assert sorted(s3_server.objects(bucket_name)) == ["e/annex-uuid", "e/sub/a.txt",
                                                      "e/top.txt"]  # nothing of theirs

    initremote(repo, env, "keys", s3_server, bucket_name, "encryption=none", "fileprefix=")
    initremote(repo, env, "inkeys", s3_server, bucket_name, "encryption=none",
               "exporttree=yes", "fileprefix=k/sub/")  # inside the key remote's prefix

    # a subdataset's export in its own folder under another repository's export
    sub = make_annex_repo(tmp_path / "sub", env, {"s.txt": b"s\n"})
    initremote(sub, env, "e", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=e/subds/")
    run(["git", "annex", "export", "HEAD", "--to", "e"], sub, env)
    assert s3_server.objects(bucket_name, "e/subds/")["e/subds/s.txt"] == b"s\n"
    other = make_annex_repo(tmp_path / "other", env, {"o.txt": b"o\n"})
    said = initremote(other, env, "o", s3_server, bucket_name, "encryption=none",
                      "fileprefix=e/sub/", check=False)  # unknown owner, objects there
    assert said.returncode != 0
    assert (f"prefix 'e/sub/' is inside prefix 'e/' of git-annex remote {uuid}, and already "
            "holds objects (e.g. 'e/sub/a.txt')") in said.stdout + said.stderr


def test_a_folder_whose_only_objects_are_a_deeper_remotes_is_free(tmp_path, env, s3_server,
                                                                 bucket_name):
    """s3py-publish -J (or --shard parts) may set up super/sub/ses before super/sub: the
    objects under sub/ then all belong to ses's remote (its marker), and sub is accepted; an
    object of nobody's under sub/ still refuses it."""
    top = make_annex_repo(tmp_path / "top", env, {"t.txt": b"t\n"})
    initremote(top, env, "s3", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=h/")
    run(["git", "annex", "export", "HEAD", "--to", "s3"], top, env)
    ses = make_annex_repo(tmp_path / "ses", env, {"s.txt": b"s\n"})
    initremote(ses, env, "s3", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=h/sub/ses/")
    run(["git", "annex", "export", "HEAD", "--to", "s3"], ses, env)
    sub = make_annex_repo(tmp_path / "sub", env, {"u.txt": b"u\n"})
    initremote(sub, env, "s3", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=h/sub/")
    run(["git", "annex", "export", "HEAD", "--to", "s3"], sub, env)
    assert s3_server.objects(bucket_name, "h/sub/")["h/sub/u.txt"] == b"u\n"

    # a racer's initremote under way (its claim written, its marker not yet) is no object of
    # nobody's: s3py-publish -J sets up sub/ and sub/ses/ at once
    s3_server.client().put_object(Bucket=bucket_name, Key="h/par/ses/annex-uuid.claims/"
                                  "00000000-0000-0000-0000-000000000002", Body=b"claim")
    par = make_annex_repo(tmp_path / "par", env, {"p.txt": b"p\n"})
    initremote(par, env, "s3", s3_server, bucket_name, "encryption=none", "exporttree=yes",
               "fileprefix=h/par/")

    s3_server.client().put_object(Bucket=bucket_name, Key="h/other/loose.txt", Body=b"x")
    s3_server.client().put_object(Bucket=bucket_name, Key="h/other/deeper/annex-uuid",
                                  Body=b"00000000-0000-0000-0000-000000000001")
    other = make_annex_repo(tmp_path / "other", env, {"o.txt": b"o\n"})
    said = initremote(other, env, "s3", s3_server, bucket_name, "encryption=none",
                      "fileprefix=h/other/", check=False)
    assert said.returncode != 0
    assert "already holds objects (e.g. 'h/other/loose.txt')" in said.stdout + said.stderr
