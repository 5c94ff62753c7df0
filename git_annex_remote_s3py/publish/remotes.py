"""The s3py special remote in each dataset: create it, enable it, reuse it, or refuse a
conflicting one; and the git sibling that must publish-depend on it.

Which recorded settings decide object names, their defaults and their yes/no spellings come
from the settings table (``config.SETTING_ROWS``), as the remote itself reads them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Optional

from git_annex_remote_s3py.annexlog import parse_remote_log
from git_annex_remote_s3py.config import object_location_settings, setting_named
from git_annex_remote_s3py.errors import ConfigError
from git_annex_remote_s3py.publish.git import PublishError, last_words, run_git
from git_annex_remote_s3py.publish.options import Options

# Settings git-annex itself fixes at initremote: a remote differing in one is another layout.
ANNEX_LAYOUT_KEYS = ("type", "externaltype", "encryption", "exporttree")


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
        **opts.mode.remote_settings(),
        "endpoint": (opts.endpoint or "").rstrip("/"),
        "public": "yes" if opts.public else "no", "publicurl": (opts.publicurl or "").rstrip("/"),
        "bucketversioning": "yes" if opts.versioning else "no", "autoenable": "true",
    }
    if opts.region:  # else the bucket's own region, found at initremote
        config["region"] = opts.region
    return config


def layout_keys(wanted: dict[str, str]) -> list[str]:
    """The wanted settings that decide where objects are: another value is another remote."""
    location = object_location_settings()
    return [key for key in wanted if key in ANNEX_LAYOUT_KEYS or key in location]


def other_keys(wanted: dict[str, str]) -> list[str]:
    """The wanted s3py settings that ``enableremote`` may change."""
    layout = layout_keys(wanted)
    return [key for key in wanted if setting_named(key) and key not in layout]


def default_of(key: str) -> str:
    """What the remote reads when ``key`` is not recorded ("" for git-annex's own keys)."""
    row = setting_named(key)
    return row.default if row else ""


def existing_value(existing: dict[str, str], key: str) -> str:
    """A recorded setting as ``wanted_config`` spells it (defaults filled, URLs and yes/no
    normalised as the settings table parses them; a value it refuses stays as recorded)."""
    value = existing.get(key, default_of(key))
    if key == "bucketversioning" and key not in existing:  # a remote from before the rename
        value = existing.get("versioning", value)
    row = setting_named(key)
    if row is None or not value:
        return value
    try:
        parsed = row.parse(key, value)
    except ConfigError:
        return value
    if isinstance(parsed, bool):
        return "yes" if parsed else "no"
    return parsed if isinstance(parsed, str) else value


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
    layout = differing(existing, wanted, layout_keys(wanted))
    if layout:
        raise PublishError(
            f"remote {name!r} exists with another layout ({describe(existing, wanted, layout)}); "
            "git-annex cannot move a remote to another bucket, prefix or mode, and s3py-publish "
            "never changes one: publish under another --remote NAME (with another --prefix: a "
            "prefix belongs to one remote)")
    others = differing(existing, wanted, other_keys(wanted))
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
              if v and v != default_of(k)]
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


def configure_sibling(ds: Path, opts: Options) -> str:
    """Make the git sibling publish-depend on the remote, as `datalad siblings configure`."""
    sibling = opts.sibling
    assert sibling
    if sibling not in run_git(ds, "remote").stdout.split():
        raise PublishError(f"no sibling {sibling!r} in this dataset: add it with datalad "
                           f"siblings add -d . --name {sibling} --url URL")
    var = f"remote.{sibling}.datalad-publish-depends"
    current = run_git(ds, "config", "--get-all", var, check=False).stdout.split("\n")
    if not opts.mode.push_sends_data:
        return export_sibling_note(opts, depends=opts.remote in current)
    if opts.remote in current:
        return f"{sibling} already depends on {opts.remote}"
    if not opts.dry_run:
        run_git(ds, "config", "--add", var, opts.remote)
    return f"{sibling} {'would depend' if opts.dry_run else 'now depends'} on {opts.remote}"


def export_sibling_note(opts: Options, depends: bool) -> str:
    """Why an export remote is not made a publication dependency of the sibling: datalad push
    sends data with git annex copy, which git-annex refuses for export remotes, so the first
    push after a new commit would fail with DataLad's raw error."""
    sibling, remote = opts.sibling, opts.remote
    why = ("datalad push sends data with git annex copy, which git-annex refuses for an export "
           "remote")
    if depends:
        return (f"{sibling} depends on {remote}, but {why}: after a new commit, datalad push "
                f"--to {sibling} fails; remove it (git config --unset-all "
                f"remote.{sibling}.datalad-publish-depends '^{remote}$') and run s3py-publish "
                f"before each datalad push --to {sibling}, or publish with --mode key")
    return (f"{sibling} not made to depend on {remote}: {why}; after a new commit, run "
            f"s3py-publish again, then datalad push --to {sibling} (or publish with --mode key)")


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
