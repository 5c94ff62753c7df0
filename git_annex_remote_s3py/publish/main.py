"""``s3py-publish``: publish a DataLad dataset hierarchy to one S3 bucket, one prefix per dataset.

For the dataset and every installed subdataset: ensure an s3py special remote whose fileprefix is
``PREFIX/<path of the dataset>/``, then send what its ``--mode`` (a ``modes.PublishMode``) finds
missing: ``git annex export HEAD`` (export mode) or a copy of every annexed file of HEAD (key
mode). DataLad is imported lazily (only to list subdatasets); git-annex runs as a subprocess.
Re-running sends only what is missing.

This module parses the command line and runs the steps; the steps live in ``git`` (commands),
``remotes`` (the special remote of each dataset), ``modes`` (what to send and how) and
``display`` (what is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Optional

from git_annex_remote_s3py import __version__
from git_annex_remote_s3py.annexlog import parse_remote_log
from git_annex_remote_s3py.config import check_bucket_name, parse_url
from git_annex_remote_s3py.errors import InvalidName, S3pyError, quiet_when_reader_leaves
from git_annex_remote_s3py.naming import normalise_prefix
from git_annex_remote_s3py.publish.display import (
    Progress,
    Result,
    part_line,
    part_records,
    summary,
)
from git_annex_remote_s3py.publish.git import (
    PublishError,
    absent_subdatasets,
    check_tools,
    list_datasets,
    parse_version,
    run_git,
)
from git_annex_remote_s3py.publish.modes import (
    DEFAULT_MODE,
    MODES,
    file_sizes,
    mode_named,
    modes_help,
)
from git_annex_remote_s3py.publish.options import SHARD_HELP, Options, parse_shard, part_of
from git_annex_remote_s3py.publish.remotes import (
    configure_sibling,
    confirm_remote,
    create_remote,
    remote_state,
)

# Importable from here as before the publisher was split into modules.
__all__ = ["Options", "PublishError", "Result", "dataset_prefix", "main", "parse_remote_log",
           "parse_version", "publish"]


def relative_name(top: Path, ds: Path) -> str:
    rel = ds.relative_to(top).as_posix()
    return rel if rel else "."


def dataset_prefix(prefix: str, rel: str) -> str:
    """``PREFIX/<rel>/`` normalised: no ``./``, no ``//``, no leading ``/``."""
    try:
        return normalise_prefix(f"{prefix}/{rel}")
    except InvalidName as exc:
        raise PublishError(str(exc)) from exc


def publish_one(top: Path, ds: Path, opts: Options, tick: Callable[[], None]) -> Result:
    result = Result(dataset=relative_name(top, ds), path=str(ds))
    if opts.shard.count > 1 or opts.plan:
        result.part = part_of(result.dataset, opts.shard.count)
    try:
        result.fileprefix = dataset_prefix(opts.prefix, result.dataset)
        if not run_git(ds, "config", "annex.uuid", check=False).stdout.strip():
            raise PublishError("not a git-annex repository: run git annex init in it")
        action, uuid = remote_state(ds, opts, result.fileprefix)
        result.remote_action = action
        if opts.dry_run:
            result.to_send = opts.mode.pending(ds, uuid)
            result.status = "planned"
            if opts.plan:
                sizes = file_sizes(ds)
                result.files, result.bytes = len(sizes), sum(sizes.values())
                result.bytes_to_send = sum(sizes.get(path, 0) for path in result.to_send)
        else:
            if action == "create":
                uuid = create_remote(ds, opts, result.fileprefix)
            elif action == "enable":
                run_git(ds, "annex", "enableremote", opts.remote)
            if action != "create":
                confirm_remote(ds, opts.remote)
            assert uuid
            result.to_send = opts.mode.pending(ds, uuid)
            result.sent = opts.mode.transfer(ds, opts.remote, opts.jobs, uuid, tick,
                                              result.to_send)
            if opts.verify:
                result.verified = verify_published(ds, opts)
        if opts.sibling:
            result.sibling = configure_sibling(ds, opts)
    except S3pyError as exc:
        result.status, result.message = "error", str(exc)
    return result


def verify_published(ds: Path, opts: Options) -> str:
    """``git-annex-remote-s3py verify`` of the dataset's remote: through the public URL
    without credentials (``--anonymous``) when the objects are public, else signed; its
    summary, or ``PublishError`` naming what is missing, corrupt or not public."""
    import subprocess

    anonymous = ["--anonymous"] if opts.public or opts.publicurl else []
    done = subprocess.run(["git-annex-remote-s3py", "verify", "--remote", opts.remote,
                           "--json", *anonymous, *opts.mode.verify_args()],
                          cwd=ds, capture_output=True, text=True)
    summary = done.stderr.strip().splitlines()[-1:] or [""]
    counts = summary[0].split(": ", 1)[-1]
    if done.returncode != 0:
        bad = [record for record in map(json.loads, done.stdout.splitlines())
               if record["status"] not in ("verified", "present")]
        named = ", ".join(f"{r['file'] or r['key']} {r['status']}" for r in bad[:5])
        raise PublishError(f"published, but verify{' ' + anonymous[0] if anonymous else ''} "
                           f"found {counts}: {named or summary[0]}")
    return counts


def publish(top: Path, opts: Options, show: bool = True) -> list[Result]:
    """Publish every dataset of ``opts.shard`` (in a thread pool of ``opts.jobs``); never stop
    at a failure. ``show``: print each result line (or JSON record) as it comes, and the
    status line."""
    datasets = [ds for ds in list_datasets(top) if opts.shard.holds(relative_name(top, ds))]
    skipped = not_installed(top, opts)
    progress = Progress(len(datasets) + len(skipped), enabled=show)
    progress.start()
    for record in skipped:
        progress.report(json.dumps(asdict(record)) if opts.json else record.line(opts.bucket))

    def one(ds: Path) -> Result:
        result = publish_one(top, ds, opts, progress.tick)
        progress.report(json.dumps(asdict(result)) if opts.json else result.line(opts.bucket))
        return result

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        results = list(pool.map(one, datasets))
    progress.close()
    return results + skipped


def not_installed(top: Path, opts: Options) -> list[Result]:
    """A "skipped" record for each subdataset that is not installed (nothing of it is sent)."""
    records = []
    for ds in absent_subdatasets(top):
        rel = relative_name(top, ds)
        if not opts.shard.holds(rel):
            continue
        install = f"datalad get -n -d {shlex.quote(str(top))} {shlex.quote(rel)}"
        records.append(Result(dataset=rel, path=str(ds), status="skipped",
                              fileprefix=dataset_prefix(opts.prefix, rel),
                              part=part_of(rel, opts.shard.count)
                              if opts.shard.count > 1 or opts.plan else None,
                              message=f"not installed, so not published: install it with "
                                      f"{install}, then run again"))
    return records


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="s3py-publish",
        description="Publish a DataLad dataset and all its installed subdatasets to one S3 "
                    "bucket through s3py special remotes, one prefix per dataset.")
    p.add_argument("dataset", type=Path, help="path of the (super)dataset")
    p.add_argument("--bucket", required=True, help="bucket name")
    p.add_argument("--prefix", default="", help="prefix in the bucket (default: bucket root); "
                   "each subdataset goes to PREFIX/<its path>/")
    p.add_argument("--endpoint", help="URL of an S3-compatible service (default: AWS)")
    p.add_argument("--remote", default="s3", help="special remote name (default: s3)")
    p.add_argument("--mode", choices=tuple(MODES), default=DEFAULT_MODE, help=modes_help())
    p.add_argument("--public", action="store_true", help="make the objects publicly readable")
    p.add_argument("--publicurl", help="base URL for anonymous downloads")
    p.add_argument("--versioning", action="store_true", help="enable bucket versioning")
    p.add_argument("--sibling", help="git sibling (e.g. github) that must publish-depend on "
                   "the remote, so datalad push --to SIBLING sends data first")
    p.add_argument("-J", "--jobs", type=int, default=1, help="datasets in parallel, and "
                   "git-annex jobs per dataset")
    p.add_argument("--shard", type=shard_arg, default=parse_shard("all/1"), metavar="I/N",
                   help=SHARD_HELP)
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument("--plan", action="store_true", help="a --dry-run that also gives each "
                   "dataset's part, files and bytes, and one record per part (what it would "
                   "send) to feed a scheduler")
    p.add_argument("--json", action="store_true", help="one JSON record per dataset on stdout")
    p.add_argument("--verify", action="store_true",
                   help="after publishing, check every published file without downloading it "
                        "(git-annex-remote-s3py verify; with --public/--publicurl through the "
                        "public URL without credentials)")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def shard_arg(text: str):
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def check_options(opts: Options) -> None:
    """Fail before touching any dataset when the bucket, prefix or URLs cannot work."""
    check_bucket_name(opts.bucket, f"--bucket {opts.bucket!r}")
    normalise_prefix(opts.prefix)
    for name, url in (("endpoint", opts.endpoint), ("publicurl", opts.publicurl)):
        if url:
            parse_url(name, url)


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return quiet_when_reader_leaves(lambda: publish_as_told(args))


def options_from(args: argparse.Namespace) -> Options:
    """The parsed command line (of ``s3py-publish``, or of ``datalad s3py-publish``) as
    ``Options``."""
    return Options(bucket=args.bucket, prefix=args.prefix, endpoint=args.endpoint,
                   remote=args.remote, mode=mode_named(args.mode), public=args.public,
                   publicurl=args.publicurl, versioning=args.versioning, sibling=args.sibling,
                   jobs=max(1, args.jobs), dry_run=args.dry_run or args.plan,
                   json=args.json, shard=args.shard, plan=args.plan, verify=args.verify)


def publish_as_told(args: argparse.Namespace) -> int:
    opts = options_from(args)
    try:
        check_tools()
        check_options(opts)
        results = publish(Path(os.path.abspath(args.dataset)), opts)
    except S3pyError as exc:
        print(f"s3py-publish: {exc}", file=sys.stderr)
        return 2
    if opts.plan:
        for record in part_records(results, opts.shard):
            print(json.dumps(record) if opts.json else part_line(record))
    print(summary(results, opts), file=sys.stderr if opts.json else sys.stdout)
    return 1 if any(r.status == "error" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
