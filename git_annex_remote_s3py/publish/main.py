"""``s3py-publish``: publish a DataLad dataset hierarchy to one S3 bucket, one prefix per dataset.

For the dataset and every installed subdataset: ensure an s3py special remote whose fileprefix is
``PREFIX/<path of the dataset>/``, then ``git annex export HEAD`` (export mode) or copy every
annexed file of HEAD (key mode). DataLad is imported lazily (only to list subdatasets);
git-annex runs as a subprocess. Re-running sends only what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from git_annex_remote_s3py.annexlog import parse_remote_log
from git_annex_remote_s3py.errors import InvalidName, S3pyError, one_line
from git_annex_remote_s3py.naming import normalise_prefix

# s3py announces VERSION 2 of the external special remote protocol (needed for safe export).
# Upstream git-annex accepts it from 10.20230329; Debian bookworm's 10.20230126-3 carries the
# backport. Everything else we use is older: export for external remotes (6.20170925), ASYNC
# (8.20200908), GETGITREMOTENAME (8.20210127).
MIN_GIT_ANNEX = (10, 20230126)
MIN_GIT_ANNEX_WHY = ("s3py speaks version 2 of the external special remote protocol "
                     "(git-annex 10.20230329 or later, or Debian's 10.20230126-3)")
REMOTE_PROGRAM = "git-annex-remote-s3py"
# Settings that decide object names: a remote differing in one of them is another layout.
LAYOUT_KEYS = ("type", "externaltype", "encryption", "bucket", "fileprefix", "exporttree",
               "endpoint")
OTHER_KEYS = ("public", "publicurl", "bucketversioning")
DEFAULTS = {"exporttree": "no", "public": "no", "bucketversioning": "no"}
GITLINK_MODE = "160000"


class PublishError(S3pyError):
    """One dataset (or the whole run) cannot be published; the message names the fix."""


@dataclass(frozen=True)
class Options:
    """What the user asked for."""

    bucket: str
    prefix: str = ""
    endpoint: Optional[str] = None
    remote: str = "s3"
    mode: str = "export"
    public: bool = False
    publicurl: Optional[str] = None
    versioning: bool = False
    sibling: Optional[str] = None
    jobs: int = 1
    dry_run: bool = False
    json: bool = False


@dataclass
class Result:
    """The outcome for one dataset: one line of text or one JSON record."""

    dataset: str
    path: str
    fileprefix: str = ""
    status: str = "ok"
    remote_action: str = ""
    to_send: list[str] = field(default_factory=list)
    sent: int = 0
    sibling: str = ""
    message: str = ""

    def line(self, bucket: str) -> str:
        where = f"s3://{bucket}/{self.fileprefix}"
        if self.status == "error":
            return f"error    {self.dataset}: {self.message}"
        if self.status == "planned":
            names = ", ".join(self.to_send[:5]) + (", ..." if len(self.to_send) > 5 else "")
            detail = f"would send {len(self.to_send)} file(s)" + (f": {names}" if names else "")
            return f"plan     {self.dataset} -> {where} ({self.remote_action} remote; {detail})"
        return f"ok       {self.dataset} -> {where} ({self.remote_action} remote; " \
               f"{self.sent} file(s) sent{'; ' + self.sibling if self.sibling else ''})"


# -- subprocesses ----------------------------------------------------------------------------
def run_git(ds: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``git ARGS`` in ``ds``; on failure raise ``PublishError`` with git's last words."""
    result = subprocess.run(["git", *args], cwd=ds, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise PublishError(f"git {' '.join(args[:3])} failed: {last_words(result.stderr)}")
    return result


def last_words(stderr: str) -> str:
    """The useful end of a git/git-annex error output, on one line."""
    lines = [re.sub(r"^git-annex: ", "", ln) for ln in stderr.splitlines()
             if ln.strip() and not re.fullmatch(r"\S+: \d+ failed", ln.strip())]
    return one_line(" ".join(lines[-3:])) or "no error message"


def parse_version(text: str) -> tuple[int, ...]:
    """``10.20230126-3~bpo`` -> (10, 20230126); raise ``PublishError`` if there is no number."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if not match:
        raise PublishError(f"cannot read the git-annex version from {text.strip()!r}")
    return tuple(int(p) for p in match.group(1).split("."))


def check_tools() -> str:
    """Refuse to start without a recent enough git-annex and the s3py remote on PATH."""
    if shutil.which("git-annex") is None:
        raise PublishError("git-annex is not on PATH: install it (e.g. apt-get install "
                           "git-annex)")
    raw = subprocess.run(["git", "annex", "version", "--raw"], capture_output=True,
                         text=True).stdout
    version = parse_version(raw)
    if version < MIN_GIT_ANNEX:
        need = ".".join(map(str, MIN_GIT_ANNEX))
        raise PublishError(f"git-annex {raw.strip()} is too old: s3py-publish needs {need} "
                           f"or later because {MIN_GIT_ANNEX_WHY}; upgrade git-annex")
    if shutil.which(REMOTE_PROGRAM) is None:
        raise PublishError(f"{REMOTE_PROGRAM} is not on PATH: git-annex runs it for the s3py "
                           "remote; activate the environment git-annex-remote-s3py is "
                           "installed in")
    return raw.strip()


# -- datasets --------------------------------------------------------------------------------
def list_datasets(top: Path) -> list[Path]:
    """The dataset and every installed subdataset, recursively, superdatasets first."""
    try:
        from datalad.api import Dataset
    except ImportError as exc:
        raise PublishError("DataLad is not installed: pip install "
                           "'git-annex-remote-s3py[datalad]'") from exc
    ds = Dataset(str(top))
    if not ds.is_installed():
        raise PublishError(f"{top} is not an installed DataLad dataset")
    subs = ds.subdatasets(recursive=True, state="present", result_renderer="disabled",
                          return_type="list", on_failure="ignore")
    paths = sorted(Path(r["path"]) for r in subs if r.get("status") == "ok")
    return [top, *paths]


def relative_name(top: Path, ds: Path) -> str:
    rel = ds.relative_to(top).as_posix()
    return rel if rel else "."


def dataset_prefix(prefix: str, rel: str) -> str:
    """``PREFIX/<rel>/`` normalised: no ``./``, no ``//``, no leading ``/``."""
    try:
        return normalise_prefix(f"{prefix}/{rel}")
    except InvalidName as exc:
        raise PublishError(str(exc)) from exc


# -- special remote configuration ------------------------------------------------------------
def special_remotes_named(ds: Path, name: str) -> dict[str, dict[str, str]]:
    run_git(ds, "annex", "merge")  # fold in git-annex branches fetched from elsewhere
    shown = run_git(ds, "cat-file", "-p", "git-annex:remote.log", check=False)
    found = parse_remote_log(shown.stdout if shown.returncode == 0 else "")
    return {uuid: cfg for uuid, cfg in found.items() if cfg.get("name") == name}


def wanted_config(opts: Options, fileprefix: str) -> dict[str, str]:
    """The settings the remote must have (``initremote`` parameters, empty ones omitted)."""
    config = {
        "type": "external", "externaltype": "s3py", "encryption": "none",
        "bucket": opts.bucket, "fileprefix": fileprefix,
        "exporttree": "yes" if opts.mode == "export" else "no",
        "endpoint": (opts.endpoint or "").rstrip("/"),
        "public": "yes" if opts.public else "no", "publicurl": (opts.publicurl or "").rstrip("/"),
        "bucketversioning": "yes" if opts.versioning else "no", "autoenable": "true",
    }
    return config


def existing_value(existing: dict[str, str], key: str) -> str:
    """A recorded setting as ``wanted_config`` spells it (defaults filled, URLs and yes/no
    normalised)."""
    value = existing.get(key, DEFAULTS.get(key, ""))
    if key == "bucketversioning" and key not in existing:  # a remote from before the rename
        value = existing.get("versioning", value)
    if key in ("endpoint", "publicurl"):
        return value.rstrip("/")
    return {"true": "yes", "1": "yes", "false": "no", "0": "no"}.get(value.lower(), value)


def differing(existing: dict[str, str], wanted: dict[str, str], keys: Iterable[str]) -> list[str]:
    """``key`` of every setting in ``keys`` that differs."""
    return [key for key in keys if existing_value(existing, key) != wanted[key]]


def describe(existing: dict[str, str], wanted: dict[str, str], keys: list[str]) -> str:
    return "; ".join(f"{k}={existing_value(existing, k)!r}, wanted {wanted[k]!r}" for k in keys)


def remote_state(ds: Path, opts: Options, fileprefix: str) -> tuple[str, Optional[str]]:
    """('create' | 'enable' | 'reuse', uuid) or raise ``PublishError`` for a conflict."""
    name, wanted = opts.remote, wanted_config(opts, fileprefix)
    found = special_remotes_named(ds, name)
    local_uuid = run_git(ds, "config", f"remote.{name}.annex-uuid", check=False).stdout.strip()
    has_git_remote = name in run_git(ds, "remote").stdout.split()
    if not found:
        if has_git_remote:
            raise PublishError(f"a git remote named {name!r} exists and is not an s3py special "
                               "remote; choose another name with --remote")
        return "create", None
    if len(found) > 1:
        raise PublishError(f"{len(found)} special remotes are named {name!r}; choose another "
                           "name with --remote")
    uuid, existing = next(iter(found.items()))
    layout = differing(existing, wanted, LAYOUT_KEYS)
    if layout:
        raise PublishError(
            f"remote {name!r} exists with another layout ({describe(existing, wanted, layout)}); "
            "git-annex cannot move a remote to another bucket, prefix or mode, and s3py-publish "
            "never changes one: publish under another --remote NAME (with another --prefix: a "
            "prefix belongs to one remote)")
    others = differing(existing, wanted, OTHER_KEYS)
    if others:
        fixes = " ".join(f"{k}={wanted[k]}" for k in others)
        raise PublishError(f"remote {name!r} exists with other settings "
                           f"({describe(existing, wanted, others)}); change them with: "
                           f"git annex enableremote {name} {fixes}")
    if local_uuid == uuid:
        return "reuse", uuid
    if has_git_remote:
        raise PublishError(f"git remote {name!r} is not the special remote of that name; "
                           "choose another name with --remote")
    return "enable", uuid


def create_remote(ds: Path, opts: Options, fileprefix: str) -> str:
    params = [f"{k}={v}" for k, v in wanted_config(opts, fileprefix).items()
              if v and not (k in DEFAULTS and v == DEFAULTS[k])]
    created = run_git(ds, "annex", "initremote", opts.remote, *params, check=False)
    if created.returncode != 0 and "already a special remote named" in created.stderr:
        raise PublishError(  # remote.log has no such name (remote_state): a renamed remote
            f"git-annex refuses a new remote named {opts.remote!r} although none is recorded: "
            "git-annex 10.2025+ keeps the old name of a remote renamed with renameremote in "
            f".git/annex/verified-remote.log; remove the line holding name={opts.remote} "
            "there, or publish under another --remote NAME")
    if created.returncode != 0:
        raise PublishError(f"git annex initremote failed: {last_words(created.stderr)}")
    return run_git(ds, "config", f"remote.{opts.remote}.annex-uuid").stdout.strip()


VERIFY_ID = re.compile(r"verifyremote \S+ --safe (\d+)")


def confirm_remote(ds: Path, name: str) -> None:
    """``git annex verifyremote NAME --safe ID`` for a remote git-annex 10.2025+ holds
    unverified (enabled by ``enableremote``, or autoenabled by a clone), which blocks every
    write and push. ``remote_state`` found its bucket, prefix, endpoint, mode and public
    settings equal to the command line: that is the confirmation verifyremote asks for.
    Older git-annex records no ``annex-verified`` state: nothing to do."""
    state = run_git(ds, "config", f"remote.{name}.annex-verified", check=False).stdout.strip()
    if state in ("", "verified"):
        return
    shown = run_git(ds, "annex", "verifyremote", name, check=False)
    found = VERIFY_ID.search(shown.stdout + shown.stderr)
    if not found:
        raise PublishError(f"remote {name!r} is not verified ({state}) and git annex "
                           f"verifyremote {name} offered no --safe ID: run it yourself")
    run_git(ds, "annex", "verifyremote", name, "--safe", found.group(1))


# -- what to send ----------------------------------------------------------------------------
def tree_files(ds: Path, tree: str = "HEAD") -> list[str]:
    """Every file of a tree (subdatasets are gitlinks and not files)."""
    out = run_git(ds, "ls-tree", "-r", "-z", "--full-tree", tree).stdout
    files = []
    for entry in filter(None, out.split("\0")):
        meta, path = entry.split("\t", 1)
        if meta.split(" ")[0] != GITLINK_MODE:
            files.append(path)
    return files


def exported_tree(ds: Path, uuid: str) -> Optional[str]:
    """The tree git-annex last exported to ``uuid`` (from export.log), if any."""
    shown = run_git(ds, "cat-file", "-p", "git-annex:export.log", check=False)
    newest: tuple[float, Optional[str]] = (-1.0, None)
    for line in shown.stdout.splitlines() if shown.returncode == 0 else ():
        parts = line.split(" ")
        if len(parts) == 3 and parts[1].endswith(":" + uuid):
            stamp = float(parts[0].rstrip("s"))
            if stamp >= newest[0]:
                newest = (stamp, parts[2])
    return newest[1]


def refuse_newline_names(files: list[str]) -> list[str]:
    """``files``, or ``PublishError`` when a name holds a newline: git-annex 10.20230126
    sends it and s3py refuses it, git-annex 10.2025+ drops the newline unseen, so
    ``new\\nline`` silently lands on (or collides with) ``newline``."""
    bad = [path for path in files if "\n" in path]
    if bad:
        raise PublishError(f"{len(bad)} file name(s) contain a newline, e.g. {bad[0]!r}, "
                           "which an export cannot hold (newer git-annex silently exports it "
                           "without the newline); rename them, or use --mode key")
    return files


def export_pending(ds: Path, uuid: Optional[str]) -> list[str]:
    old = exported_tree(ds, uuid) if uuid else None
    if not old:
        return refuse_newline_names(tree_files(ds))
    out = run_git(ds, "diff-tree", "-r", "-z", "--no-renames", "--diff-filter=AMT", old,
                  "HEAD^{tree}").stdout.split("\0")
    return refuse_newline_names([path for meta, path in zip(out[0::2], out[1::2])
                                 if meta and meta.split(" ")[1] != GITLINK_MODE])


def key_pending(ds: Path, uuid: Optional[str]) -> list[str]:
    """Annexed files of HEAD that the remote does not have (per the location log)."""
    args = ["annex", "find", "--branch", "HEAD", "--include", "*", "--json"]
    if uuid:
        args += ["--not", "--in", uuid]
    out = run_git(ds, *args).stdout
    return [json.loads(line)["file"] for line in out.splitlines() if line.strip()]


def pending(ds: Path, opts: Options, uuid: Optional[str]) -> list[str]:
    return export_pending(ds, uuid) if opts.mode == "export" else key_pending(ds, uuid)


# -- transfer --------------------------------------------------------------------------------
def annex_json(ds: Path, args: list[str], on_record: Callable[[dict], None]) -> list[str]:
    """Run ``git annex ARGS --json``, feed each record to ``on_record``; return error lines."""
    errors: list[str] = []
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen(["git", "annex", *args, "--json", "--json-error-messages"],
                                cwd=ds, stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            record = json.loads(line) if line.startswith("{") else {}
            if record and not record.get("success", True):
                errors.append(f"{record.get('file') or record.get('key')}: "
                              + one_line(" ".join(record.get("error-messages", []))))
            if record:
                on_record(record)
        proc.wait()
        stderr.seek(0)
        if proc.returncode != 0 and not errors:
            errors.append(last_words(stderr.read()))
    return errors


def transfer(ds: Path, opts: Options, uuid: str, tick: Callable[[], None]) -> int:
    """Send what is missing; return how many files were sent."""
    jobs = [f"--jobs={opts.jobs}"]
    before = pending(ds, opts, uuid)
    sent = [0]

    def count(record: dict) -> None:
        if record.get("success") and str(record.get("command", "")).startswith("export"):
            sent[0] += 1
            tick()

    if opts.mode == "export":
        errors = annex_json(ds, ["export", "HEAD", "--to", opts.remote, *jobs], count)
    else:
        errors = annex_json(ds, ["copy", "--to", opts.remote, "--branch", "HEAD", *jobs],
                            lambda r: None)
    if errors:
        raise PublishError(f"{len(errors)} file(s) failed: {'; '.join(errors[:3])}")
    if opts.mode == "key":
        missing = key_pending(ds, uuid)
        if missing:
            raise PublishError(f"{len(missing)} annexed file(s) of HEAD are not on "
                               f"{opts.remote} because their content is not here (e.g. "
                               f"{missing[0]!r}): datalad get them, then run again")
        sent[0] = len(before)
    return sent[0]


def configure_sibling(ds: Path, opts: Options) -> str:
    """Make the git sibling publish-depend on the remote, as `datalad siblings configure`."""
    sibling = opts.sibling
    assert sibling
    if sibling not in run_git(ds, "remote").stdout.split():
        raise PublishError(f"no sibling {sibling!r} in this dataset: add it with datalad "
                           f"siblings add -d . --name {sibling} --url URL")
    var = f"remote.{sibling}.datalad-publish-depends"
    current = run_git(ds, "config", "--get-all", var, check=False).stdout.split("\n")
    if opts.remote in current:
        return f"{sibling} already depends on {opts.remote}"
    if not opts.dry_run:
        run_git(ds, "config", "--add", var, opts.remote)
    return f"{sibling} {'would ' if opts.dry_run else ''}depend on {opts.remote}"


def publish_one(top: Path, ds: Path, opts: Options, tick: Callable[[], None]) -> Result:
    result = Result(dataset=relative_name(top, ds), path=str(ds))
    try:
        result.fileprefix = dataset_prefix(opts.prefix, result.dataset)
        if not run_git(ds, "config", "annex.uuid", check=False).stdout.strip():
            raise PublishError("not a git-annex repository: run git annex init in it")
        action, uuid = remote_state(ds, opts, result.fileprefix)
        result.remote_action = action
        if opts.dry_run:
            result.to_send = pending(ds, opts, uuid)
            result.status = "planned"
        else:
            if action == "create":
                uuid = create_remote(ds, opts, result.fileprefix)
            elif action == "enable":
                run_git(ds, "annex", "enableremote", opts.remote)
            if action != "create":
                confirm_remote(ds, opts.remote)
            assert uuid
            result.sent = transfer(ds, opts, uuid, tick)
        if opts.sibling:
            result.sibling = configure_sibling(ds, opts)
    except S3pyError as exc:
        result.status, result.message = "error", str(exc)
    return result


# -- display ---------------------------------------------------------------------------------
class Progress:
    """Result lines on stdout and one status line on stderr, redrawn (only on a terminal)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.stream = total, stream
        self.enabled = stream.isatty()
        self.done = self.files = 0
        self.lock = threading.Lock()

    def tick(self) -> None:
        """One more file sent (called from worker threads)."""
        with self.lock:
            self.files += 1
            self._draw()

    def report(self, text: str) -> None:
        """Print one dataset's result line, then redraw the status line under it."""
        with self.lock:
            self.done += 1
            self._clear()
            print(text, flush=True)
            self._draw()

    def _clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self) -> None:
        if self.enabled:
            self.stream.write(f"\r\033[K[{self.done}/{self.total} datasets] "
                              f"{self.files} file(s) sent")
            self.stream.flush()

    def start(self) -> None:
        with self.lock:
            self._draw()

    def close(self) -> None:
        with self.lock:
            self._clear()


def summary(results: list[Result], opts: Options) -> str:
    failed = [r for r in results if r.status == "error"]
    where = f"s3://{opts.bucket}/{normalise_prefix(opts.prefix)}"
    if opts.dry_run:
        files = sum(len(r.to_send) for r in results)
        text = f"dry run: {len(results)} dataset(s), {files} file(s) to send to {where}"
    else:
        text = (f"published {len(results) - len(failed)} of {len(results)} dataset(s) to "
                f"{where}: {sum(r.sent for r in results)} file(s) sent")
    return text + (f"; {len(failed)} failed" if failed else "")


def publish(top: Path, opts: Options) -> list[Result]:
    """Publish every dataset (in a thread pool of ``opts.jobs``); never stop at a failure."""
    datasets = list_datasets(top)
    progress = Progress(len(datasets))
    progress.start()

    def one(ds: Path) -> Result:
        result = publish_one(top, ds, opts, progress.tick)
        progress.report(json.dumps(asdict(result)) if opts.json else result.line(opts.bucket))
        return result

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        results = list(pool.map(one, datasets))
    progress.close()
    return results


# -- command line ----------------------------------------------------------------------------
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
    p.add_argument("--mode", choices=("export", "key"), default="export",
                   help="export: the tree under its file names (default); key: git-annex keys")
    p.add_argument("--public", action="store_true", help="make the objects publicly readable")
    p.add_argument("--publicurl", help="base URL for anonymous downloads")
    p.add_argument("--versioning", action="store_true", help="enable bucket versioning")
    p.add_argument("--sibling", help="git sibling (e.g. github) that must publish-depend on "
                   "the remote, so datalad push --to SIBLING sends data first")
    p.add_argument("-J", "--jobs", type=int, default=1, help="datasets in parallel, and "
                   "git-annex jobs per dataset")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument("--json", action="store_true", help="one JSON record per dataset on stdout")
    return p


def check_options(opts: Options) -> None:
    """Fail before touching any dataset when the bucket, prefix or URLs cannot work."""
    from git_annex_remote_s3py.config import check_bucket_name, parse_url

    check_bucket_name(opts.bucket, f"--bucket {opts.bucket!r}")
    normalise_prefix(opts.prefix)
    for name, url in (("endpoint", opts.endpoint), ("publicurl", opts.publicurl)):
        if url:
            parse_url(name, url)


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    opts = Options(bucket=args.bucket, prefix=args.prefix, endpoint=args.endpoint,
                   remote=args.remote, mode=args.mode, public=args.public,
                   publicurl=args.publicurl, versioning=args.versioning, sibling=args.sibling,
                   jobs=max(1, args.jobs), dry_run=args.dry_run, json=args.json)
    try:
        check_tools()
        check_options(opts)
        results = publish(Path(os.path.abspath(args.dataset)), opts)
    except S3pyError as exc:
        print(f"s3py-publish: {exc}", file=sys.stderr)
        return 2
    print(summary(results, opts), file=sys.stderr if opts.json else sys.stdout)
    return 1 if any(r.status == "error" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
