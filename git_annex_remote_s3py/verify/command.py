"""Run ``verify``: one HEAD per key through the remote's ``Store`` (never a GET of an object
body, except the ``--download`` sample), one result per key, a summary, the exit code."""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from argparse import Namespace
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from git_annex_remote_s3py import commands, keystate, urls
from git_annex_remote_s3py.errors import AccessDenied, ObjectNotFound, S3pyError, one_line
from git_annex_remote_s3py.store.base import Store
from git_annex_remote_s3py.store.open import open_public
from git_annex_remote_s3py.verify import judge, locations
from git_annex_remote_s3py.verify.locations import Target

if TYPE_CHECKING:
    from git_annex_remote_s3py.config import Settings


@dataclass(frozen=True)
class Result:
    target: Target
    status: str
    reason: str

    def record(self) -> dict[str, str | None]:
        return {"key": self.target.key, "file": self.target.file, "object": self.target.name,
                "version": self.target.version_id, "status": self.status,
                "reason": self.reason}

    def line(self) -> str:
        where = self.target.file or self.target.key
        version = f" (version {self.target.version_id})" if self.target.version_id else ""
        return f"{self.status:8} {where}{version}: {self.reason}"


def check(store: Store, target: Target, verify_etag_md5: bool, anonymous: bool,
          recorded: str | None = None) -> Result:
    """One HEAD (with checksums) of the target's object, judged; an error is ``unknown``."""
    try:
        found = store.describe(target.name, target.version_id)
    except ObjectNotFound:
        return Result(target, judge.MISSING, f"no object {target.name}")
    except AccessDenied as exc:
        return Result(target, judge.DENIED if anonymous else judge.UNKNOWN, one_line(exc))
    except S3pyError as exc:
        return Result(target, judge.UNKNOWN, one_line(exc))
    verdict = judge.judge(target.key, found, verify_etag_md5, recorded)
    return Result(target, verdict.status, verdict.reason)


def hashed_download(store: Store, result: Result) -> Result:
    """``--download``: the object's bytes, hashed as the key's backend hashes (to a temporary
    file, removed after)."""
    target, digest = result.target, judge.hash_of(result.target.key)
    if digest is None:
        return result
    handle, path = tempfile.mkstemp(prefix="s3py-verify-")
    os.close(handle)
    try:
        store.get_file(target.name, path, lambda _: None, target.version_id, verify=False)
        with open(path, "rb") as data:
            for block in iter(lambda: data.read(1024 * 1024), b""):
                digest.update(block)
    except S3pyError as exc:
        return Result(target, judge.UNKNOWN, f"--download: {one_line(exc)}")
    finally:
        os.unlink(path)
    if digest.hexdigest() == judge.key_digest(target.key):
        return Result(target, judge.VERIFIED, "downloaded (--download) and hashed: the key's")
    return Result(target, judge.CORRUPT, "downloaded (--download) and hashed: not the key's")


def sample(results: list[Result], fraction: float, seed: int | None) -> set[int]:
    """Indexes of ``fraction`` of the results that are only ``present`` and hashable
    (at least one when any is and fraction > 0)."""
    candidates = [i for i, r in enumerate(results)
                  if r.status == judge.PRESENT and judge.hash_of(r.target.key) is not None]
    count = min(len(candidates), max(1, round(fraction * len(candidates)))) if (
        candidates and fraction > 0) else 0
    return set(random.Random(seed).sample(candidates, count))


def open_store(options: Namespace, config: dict[str, str]) -> tuple[Settings, Store, bool]:
    """(settings, the store to ask, whether ETags are MD5s): the remote's signed store, or
    with ``--anonymous`` its public URL read without credentials."""
    session, annex = commands.remote_session(config)
    settings = session.settings(annex)
    verify_md5 = settings.sse not in ("aws:kms", "customer")
    if options.anonymous:
        if not (settings.public or settings.publicurl):
            raise S3pyError(f"remote {config['name']!r} has no public URL: --anonymous checks "
                            "reads through public=yes or publicurl=")
        return settings, open_public(urls.public_base_url(settings), settings.bucket), \
            verify_md5
    return settings, session.store(annex), verify_md5


def verify(options: Namespace, say: Callable[[str], None] = print) -> int:
    if options.fix and options.anonymous:
        raise S3pyError("--fix records what the remote holds; --anonymous checks public reads "
                        "only: run them separately")
    if not 0 <= options.download <= 1:
        raise S3pyError(f"--download {options.download}: give a fraction 0..1, e.g. 0.05")
    config = commands.pick_remote(options.remote)
    uuid = config["uuid"]
    if config.get("encryption", "none") != "none" or config.get("chunk") or config.get(
            "chunksize"):
        raise S3pyError(f"remote {config['name']!r} encrypts or chunks: its objects are named "
                        "by keys git-annex derives (HMACs, chunk keys); verify checks remotes "
                        "with encryption=none and no chunk=; use git annex fsck --from there")
    settings, store, verify_md5 = open_store(options, config)
    found = locations.recorded_keys(uuid, settings, options.paths, options.all, options.branch)
    todo = locations.targets(uuid, settings, found)
    states = locations.remote_states(uuid, [target.key for target in todo])
    uploaded = {target: keystate.entries(states.get(target.key, ""), keystate.UPLOADED).get(
        target.name) for target in todo}
    with ThreadPoolExecutor(max(1, options.jobs)) as pool:
        results = list(pool.map(lambda t: check(store, t, verify_md5, options.anonymous,
                                                uploaded[t]), todo))
        picked = sample(results, options.download, options.seed)
        results = list(pool.map(lambda i: hashed_download(store, results[i])
                                if i in picked else results[i], range(len(results))))
    for result in results:
        say(json.dumps(result.record()) if options.json else result.line())
    failed = [r for r in results if r.status in judge.FAILURES]
    if options.fix and failed:
        locations.record_absent(uuid, sorted({r.target.key for r in failed}))
        for result in failed:
            if not options.json:
                say(f"fixed    {result.target.file or result.target.key}: recorded as absent "
                    f"from {config['name']}")
    counts = {status: sum(r.status == status for r in results) for status in judge.STATUSES}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(f"git-annex-remote-s3py verify {config['name']}: {len(results)} keys: "
          f"{summary or 'nothing to check'}" + (f"; {len(failed)} recorded absent (--fix)"
                                                if options.fix and failed else ""),
          file=sys.stderr)
    if failed:
        return 1
    return 2 if counts[judge.UNKNOWN] else 0


def run(options: Namespace) -> int:
    try:
        return verify(options)
    except S3pyError as exc:
        print(f"git-annex-remote-s3py verify: {one_line(exc)}", file=sys.stderr)
        return 1
