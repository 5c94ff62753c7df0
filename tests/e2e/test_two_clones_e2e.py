"""Two clones sharing one bucket, the real git-annex in both (issue #12): concurrent copy, get,
drop and drop --from, then fsck, with numcopies 2 and 3. After every round each key still has
at least numcopies REAL copies, counted as bytes in the bucket and content in the clones, not
in the location log."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.repos import initremote, make_annex_repo, run
from support.verify import verify_remote

from git_annex_remote_s3py.naming import key_object_name

PREFIX = "shared/"


def concurrently(*commands: tuple[list[str], Path], env: dict[str, str]) -> list[int]:
    """Start every command at once; wait for all; their exit codes."""
    started = [subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for args, cwd in commands]
    return [process.wait(timeout=600) for process in started]


def add_files(repo: Path, env: dict[str, str], files: dict[str, bytes]) -> None:
    for name, content in files.items():
        (repo / name).write_bytes(content)
    run(["git", "annex", "add", "--force-large", "-q", *files], repo, env)
    run(["git", "commit", "-q", "-m", f"add {', '.join(files)}"], repo, env)


def keys(repo: Path, env: dict[str, str]) -> dict[str, str]:
    """file -> key of every annexed file in the working tree."""
    listed = run(["git", "annex", "find", "--include=*", "--format=${file} ${key}\n"], repo, env)
    return dict(line.rsplit(" ", 1) for line in listed.stdout.splitlines())


def has_content(repo: Path, env: dict[str, str], key: str, content: bytes) -> bool:
    found = run(["git", "annex", "contentlocation", key], repo, env, check=False).stdout.strip()
    return bool(found) and (repo / found).read_bytes() == content


def real_copies(clones: list[Path], env: dict[str, str], s3_server, bucket: str,
                contents: dict[str, bytes]) -> dict[str, int]:
    """file -> how many clones hold its bytes, plus one if the bucket holds them."""
    stored = s3_server.objects(bucket, PREFIX)
    file_keys = keys(clones[0], env)
    return {name: sum(has_content(clone, env, file_keys[name], content) for clone in clones)
            + (stored.get(key_object_name(PREFIX, file_keys[name])) == content)
            for name, content in contents.items()}


def sync(*repos: Path, env: dict[str, str]) -> None:
    for repo in repos:
        run(["git", "annex", "sync", "--no-content", "-q"], repo, env)


def test_two_clones_never_go_below_numcopies(tmp_path, env, s3_server, bucket_name):
    a_files = {f"a{i}.bin": f"clone A file {i}\n".encode() * (i + 1) for i in range(6)}
    a = make_annex_repo(tmp_path / "a", env, a_files)
    initremote(a, env, "s3", s3_server, bucket_name, "encryption=none", f"fileprefix={PREFIX}")
    b = tmp_path / "b"
    run(["git", "clone", "-q", str(a), str(b)], tmp_path, env)
    run(["git", "annex", "init", "-q", "b"], b, env)
    run(["git", "annex", "enableremote", "s3"], b, env)
    verify_remote(b, env, "s3")  # git-annex 10.2025+: an enabled remote is unusable until then
    run(["git", "remote", "add", "b", str(b)], a, env)  # each can lock the other's copies
    run(["git", "annex", "numcopies", "2"], a, env)
    b_files = {f"b{i}.bin": f"clone B file {i}\n".encode() * (i + 2) for i in range(6)}
    add_files(b, env, b_files)
    contents = {**a_files, **b_files}

    # Both store their own files at the same time; then each gets the other's.
    copy = ["git", "annex", "copy", "--to", "s3", "-J4", "."]
    assert concurrently((copy, a), (copy, b), env=env) == [0, 0]
    sync(a, b, a, env=env)
    get = ["git", "annex", "get", "--from", "s3", "-J4", "."]
    assert concurrently((get, a), (get, b), env=env) == [0, 0]
    sync(a, b, a, env=env)
    assert set(real_copies([a, b], env, s3_server, bucket_name, contents).values()) == {3}

    # numcopies 2 with three copies: A drops its own while B drops the bucket's. git-annex may
    # let one of them through, never both for the same key.
    drop = ["git", "annex", "drop", "-J4", "."]
    drop_from = ["git", "annex", "drop", "--from", "s3", "-J4", "."]
    concurrently((drop, a), (drop_from, b), env=env)
    after_drops = real_copies([a, b], env, s3_server, bucket_name, contents)
    assert min(after_drops.values()) >= 2, after_drops
    assert sum(after_drops.values()) < 3 * len(contents)  # the drops did run
    sync(a, b, a, env=env)
    for clone in (a, b):  # what each location log says is what is there
        run(["git", "annex", "fsck", "--fast", "--from", "s3", "-q", "."], clone, env)
        run(["git", "annex", "fsck", "--fast", "-q", "."], clone, env)
    sync(a, b, a, env=env)

    # Back to three copies everywhere; with numcopies 3 nothing may be dropped anywhere.
    assert concurrently((get, a), (["git", "annex", "get", "-J4", "."], b), env=env) == [0, 0]
    sync(a, b, a, env=env)
    run(["git", "annex", "copy", "--to", "s3", "-J4", "."], b, env)
    sync(a, b, a, env=env)
    assert set(real_copies([a, b], env, s3_server, bucket_name, contents).values()) == {3}
    run(["git", "annex", "numcopies", "3"], a, env)
    sync(a, b, a, env=env)
    codes = concurrently((drop, a), (drop_from, b), (drop, b), env=env)
    assert codes != [0, 0, 0]  # every drop is refused: each would leave two copies
    assert set(real_copies([a, b], env, s3_server, bucket_name, contents).values()) == {3}
