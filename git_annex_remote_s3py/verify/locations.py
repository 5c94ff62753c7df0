"""What git-annex records about one remote, asked through git and git-annex commands: which
keys it holds (under paths, in a ref, or all), the tree an export remote holds, the object
versions a versioned remote recorded, and ``--fix``'s corrections of the location log."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Iterable, Iterator

from git_annex_remote_s3py import naming
from git_annex_remote_s3py.annex import versions
from git_annex_remote_s3py.config import Settings
from git_annex_remote_s3py.errors import S3pyError


@dataclass(frozen=True)
class Target:
    """One key at one object (and version) of the remote."""

    key: str
    file: str | None  # the work-tree or export path; None with --all
    name: str  # the object name
    version_id: str | None = None


def run(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(list(args), capture_output=True, text=True, input=stdin)
    if done.returncode != 0:
        raise S3pyError(f"{' '.join(args[:3])} failed: {done.stderr.strip()[:300]}")
    return done.stdout


def annex_json(*args: str, stdin: str | None = None) -> Iterator[dict]:
    for line in run("git", "annex", *args, "--json", stdin=stdin).splitlines():
        if line.strip():
            yield json.loads(line)


def exported_tree(uuid: str) -> str:
    """The tree git-annex last recorded as exported to the remote (``export.log``)."""
    try:
        log = run("git", "show", "git-annex:export.log")
    except S3pyError:
        log = ""
    newest: tuple[float, str] | None = None
    for line in log.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1].split(":")[-1] == uuid:
            stamp = float(fields[0].rstrip("s"))
            if newest is None or stamp >= newest[0]:
                newest = (stamp, fields[-1])
    if newest is None:
        raise S3pyError("nothing was exported to this remote yet (git annex export TREEISH "
                        "--to REMOTE); or give --branch REF to check a ref's files")
    return newest[1]


def recorded_keys(uuid: str, settings: Settings, paths: list[str], every: bool,
                  branch: str | None) -> list[tuple[str, str | None]]:
    """(key, file) of every key to check: in key mode those the location log puts on the
    remote (under ``paths``, in ``branch``, or ``every`` key); in export mode every annexed
    file of the exported tree (or of ``branch``), under ``paths``."""
    if settings.exporttree:
        if every:
            raise S3pyError("--all is for key-mode remotes; an export remote holds a tree: "
                            "give PATH... or --branch REF")
        tree = branch or exported_tree(uuid)
        found = [(record["key"], record["file"])
                 for record in annex_json("find", f"--branch={tree}")]
        return [(key, file) for key, file in found if under(file, paths)]
    if every:
        return [(record["key"], None)
                for record in annex_json("whereis", "--all", f"--in={uuid}")]
    selection = [f"--branch={branch}"] if branch else ["--", *paths] if paths else []
    return [(record["key"], record["file"])
            for record in annex_json("find", f"--in={uuid}", *selection)]


def under(file: str, paths: list[str]) -> bool:
    prefixes = [path.strip("/") for path in paths if path.strip("/") not in ("", ".")]
    return not prefixes or any(file == p or file.startswith(p + "/") for p in prefixes)


class UrlLog:
    """``versions.UrlLog`` over ``git annex whereis``: the URLs recorded for the remote."""

    def __init__(self, uuid: str, keys: Iterable[str]) -> None:
        self.uuid = uuid
        batch = "".join(f"{key}\n" for key in sorted(set(keys)))
        self.urls: dict[str, list[str]] = {}
        if batch:
            for record in annex_json("whereis", "--batch-keys", stdin=batch):
                self.urls[record["key"]] = [
                    url for entry in record.get("whereis", []) + record.get("untrusted", [])
                    if entry.get("uuid") == uuid for url in entry.get("urls", [])]

    def getuuid(self) -> str:
        return self.uuid

    def geturls(self, key: str, prefix: str) -> list[str]:
        return [url for url in self.urls.get(key, []) if url.startswith(prefix)]

    def seturipresent(self, key: str, uri: str) -> None:
        raise AssertionError("verify never records versions")


def targets(uuid: str, settings: Settings, found: list[tuple[str, str | None]]) -> list[Target]:
    """Where each (key, file) lives: ``fileprefix + key`` (or its recorded version) in key
    mode, ``fileprefix + path`` pinned to the recorded version in a versioned export."""
    log = UrlLog(uuid, [key for key, _ in found]) if settings.versioning else None
    result = []
    for key, file in found:
        record = versions.version_record(log, settings, key) if log else None
        if settings.exporttree:
            name = naming.export_object_name(settings.fileprefix, file or "")
            result.append(Target(key, file, name, record[1] if record and record[0] == name
                                 else None))
        elif record:
            result.append(Target(key, file, record[0], record[1]))
        else:
            result.append(Target(key, file, naming.key_object_name(settings.fileprefix, key)))
    return result


def record_absent(uuid: str, keys: Iterable[str]) -> None:
    """Record in git-annex's location log that the remote no longer holds ``keys``."""
    batch = "".join(f"{key} {uuid} 0\n" for key in keys)
    if batch:
        run("git", "annex", "setpresentkey", "--batch", stdin=batch)
