"""What git-annex records about one remote, asked through git and git-annex commands: which
keys it holds (under paths, in a ref, or all), the tree an export remote holds, the object
versions a versioned remote recorded, and ``--fix``'s corrections of the location log."""

from __future__ import annotations

import hashlib
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


def annex_json(*args: str, stdin: str | None = None) -> Iterator[dict[str, object]]:
    command, *rest = args  # --json before the options (and any "--" ending them)
    for line in run("git", "annex", command, "--json", *rest, stdin=stdin).splitlines():
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
        found = [(str(record["key"]), str(record["file"]))
                 for record in annex_json("find", f"--branch={tree}")]
        return [(key, file) for key, file in found if under(file, paths)]
    if every:
        return [(str(record["key"]), None)
                for record in annex_json("whereis", "--all", f"--in={uuid}")]
    selection = [f"--branch={branch}"] if branch else ["--", *paths] if paths else []
    return [(str(record["key"]), str(record["file"]))
            for record in annex_json("find", f"--in={uuid}", *selection)]


def under(file: str, paths: list[str]) -> bool:
    prefixes = [path.strip("/") for path in paths if path.strip("/") not in ("", ".")]
    return not prefixes or any(file == p or file.startswith(p + "/") for p in prefixes)


class UrlLog:
    """``versions.UrlLog`` over the git-annex branch's URL logs (``.log.web``: ``TIMESTAMPs
    1|0 URL`` lines; the newest line of a URL says whether it is recorded; URIs a remote
    recorded, not web URLs, begin with ":")."""

    def __init__(self, uuid: str, keys: Iterable[str]) -> None:
        self.uuid = uuid
        self.urls = {key: [url.removeprefix(":")
                           for url, (_, status) in newest_values(log, "").items()
                           if status == "1"]
                     for key, log in branch_logs(keys, ".log.web").items()}

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


def branch_path(key: str, suffix: str) -> str:
    """Where the git-annex branch keeps a per-key log: ``hashDirLower`` (the key's MD5,
    3 + 3 hex digits) and the key escaped as git-annex's ``keyFile``."""
    digest = hashlib.md5(key.encode()).hexdigest()
    escaped = key.replace("&", "&a").replace("%", "&s").replace(":", "&c").replace("/", "%")
    return f"{digest[:3]}/{digest[3:6]}/{escaped}{suffix}"


def branch_logs(keys: Iterable[str], suffix: str) -> dict[str, str]:
    """key -> its per-key log file (``.log.rmt``, ``.log.web``...) in the git-annex branch,
    for keys that have one; one ``git cat-file --batch`` for all."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    batch = "".join(f"git-annex:{branch_path(key, suffix)}\n" for key in wanted)
    done = subprocess.run(["git", "cat-file", "--batch"], input=batch.encode(),
                          capture_output=True)
    if done.returncode != 0:
        raise S3pyError(f"git cat-file failed: {done.stderr.decode(errors='replace')[:300]}")
    found, data, position = {}, done.stdout, 0
    for key in wanted:
        header_end = data.index(b"\n", position)
        header = data[position:header_end].split()
        position = header_end + 1
        if len(header) < 3 or header[-1] == b"missing":
            continue
        size = int(header[2])
        found[key] = data[position:position + size].decode("utf-8", "replace")
        position += size + 1
    return found


def newest_values(log: str, column: str) -> dict[str, tuple[float, str]]:
    """The newest value per second column of ``TIMESTAMPs COLUMN VALUE`` lines where the
    column is ``column`` (a UUID), or per value (``column`` ""; web logs: status, URL)."""
    newest: dict[str, tuple[float, str]] = {}
    for line in log.splitlines():
        fields = line.split(" ", 2)
        if len(fields) != 3 or not fields[0].endswith("s"):
            continue
        stamp = float(fields[0][:-1])
        if column and fields[1] == column:
            slot, value = column, fields[2]
        elif not column:
            slot, value = fields[2], fields[1]
        else:
            continue
        if slot not in newest or stamp >= newest[slot][0]:
            newest[slot] = (stamp, value)
    return newest


def remote_states(uuid: str, keys: Iterable[str]) -> dict[str, str]:
    """key -> the remote's newest SETSTATE value for it (``.log.rmt``: ``TIMESTAMPs UUID
    VALUE`` lines), for keys that have one."""
    return {key: found[uuid][1] for key, log in branch_logs(keys, ".log.rmt").items()
            if uuid in (found := newest_values(log, uuid))}


def record_absent(uuid: str, keys: Iterable[str]) -> None:
    """Record in git-annex's location log that the remote no longer holds ``keys``."""
    batch = "".join(f"{key} {uuid} 0\n" for key in keys)
    if batch:
        run("git", "annex", "setpresentkey", "--batch", stdin=batch)
