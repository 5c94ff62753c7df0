"""Pure: parse git-annex's ``remote.log`` (special remote configs in the git-annex branch)."""

from __future__ import annotations

import re


def decode_log_value(value: str) -> str:
    """remote.log escapes characters as ``&<decimal>;`` (a space is ``&32;``)."""
    return re.sub(r"&(\d+);", lambda m: chr(int(m.group(1))), value)


def _stamp(text: str) -> float:
    return float(text.rstrip("s") or 0)


def parse_remote_log(text: str) -> dict[str, dict[str, str]]:
    """uuid -> settings of each special remote; the newest line of a uuid wins (a union
    merge of the git-annex branch may leave older lines behind)."""
    newest: dict[str, tuple[str, dict[str, str]]] = {}
    for line in text.splitlines():
        uuid, *fields = line.split(" ")
        config = dict(f.split("=", 1) for f in fields if "=" in f)
        stamp = config.pop("timestamp", "0s")
        if uuid and (uuid not in newest or _stamp(stamp) >= _stamp(newest[uuid][0])):
            newest[uuid] = (stamp, {k: decode_log_value(v) for k, v in config.items()})
    return {uuid: config for uuid, (_, config) in newest.items()}


def present_values(log: str) -> set[str]:
    """The values of a per-key log (UUIDs of a location log ``KEY.log``, URLs of a URL log
    ``KEY.log.web``) whose newest line says present (``1``); lines are ``TIMESTAMP STATUS
    VALUE``."""
    newest: dict[str, tuple[float, str]] = {}
    for line in log.splitlines():
        stamp, status, value = (line.split(" ", 2) + ["", ""])[:3]
        if value and (value not in newest or _stamp(stamp) >= newest[value][0]):
            newest[value] = (_stamp(stamp), status)
    return {value for value, (_, status) in newest.items() if status == "1"}
