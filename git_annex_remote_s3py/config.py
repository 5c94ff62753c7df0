"""One declarative table of ``initremote`` settings -> validated, frozen ``Settings``.

The table drives validation, LISTCONFIGS and ``docs/settings.md``
(``python -m git_annex_remote_s3py.config`` prints that page).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from git_annex_remote_s3py.errors import ConfigError

YES = ("yes", "true", "1", "on")
NO = ("no", "false", "0", "off", "")
# git-annex's built-in S3 remote names two datacenters; everything else is an AWS region.
DATACENTER_ALIASES = {"US": "us-east-1", "EU": "eu-west-1"}
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
SIZE_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
    "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3,
}
MIN_PART_SIZE = 5 * 1024**2
MAX_PART_SIZE = 5 * 1024**3
META_PREFIX = "x-amz-meta-"


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value; use {name}=yes or {name}=no")


def parse_size(name: str, value: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", value)
    if not match or match.group(2).lower() not in SIZE_UNITS:
        raise ConfigError(f"{name}={value!r} is not a size; write e.g. {name}=64MiB")
    return int(match.group(1)) * SIZE_UNITS[match.group(2).lower()]


def parse_choice(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value not in choices:
            raise ConfigError(f"{name}={value!r} is not one of: {', '.join(choices)}")
        return value

    return parse


def parse_text(name: str, value: str) -> str:
    return value


def parse_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={value!r} is not a URL; write e.g. {name}=https://host:9000")
    return value.rstrip("/")


@dataclass(frozen=True)
class Setting:
    """One ``initremote`` setting as users type it."""

    name: str
    description: str
    parse: Callable[[str, str], object] = parse_text
    default: str = ""
    aliases: tuple[str, ...] = ()
    changes_object_names: bool = False


SETTINGS_TABLE: tuple[Setting, ...] = (
    Setting("bucket", "bucket name (required; created at initremote when missing)",
            changes_object_names=True),
    Setting("fileprefix", "prefix of every object name, e.g. ds1/ (default: bucket root)",
            changes_object_names=True),
    Setting("endpoint", "URL of an S3-compatible service, e.g. http://127.0.0.1:9000 "
            "(default: AWS)", parse_url),
    Setting("host", "endpoint host name, as the built-in S3 remote spells it"),
    Setting("port", "endpoint port, with host="),
    Setting("protocol", "http or https, with host= (default https)",
            parse_choice("http", "https", "")),
    Setting("region", "bucket region, e.g. eu-west-1 (default: detected, or us-east-1)",
            aliases=("datacenter",)),
    Setting("datacenter", "alias of region (US and EU as the built-in S3 remote)"),
    Setting("requeststyle", "path or virtual addressing (default: path for IPs, localhost "
            "and dotted bucket names with a custom endpoint)", parse_choice("path", "virtual", "")),
    Setting("signature", "v4 (default) or anonymous (read-only public buckets)",
            parse_choice("v4", "anonymous", "")),
    Setting("storageclass", "storage class of new uploads, e.g. STANDARD_IA"),
    Setting("partsize", "multipart part size and threshold (default 64MiB, 5MiB..5GiB)",
            parse_size, default="64MiB"),
    Setting("public", "yes: make stored objects publicly readable", parse_bool, default="no"),
    Setting("publicurl", "base URL for anonymous downloads (default derived from endpoint, "
            "bucket and request style)", parse_url),
    Setting("bucketversioning", "yes: enable bucket versioning and record each object's "
            "version ID (formerly versioning=, a name newer git-annex reserves)",
            parse_bool, default="no"),
    Setting("profile", "AWS shared-config profile for credentials"),
    Setting("sse", "server-side encryption: AES256 or aws:kms",
            parse_choice("AES256", "aws:kms", "")),
    Setting("ssekmskeyid", "KMS key ID with sse=aws:kms"),
    Setting("checksums", "when_supported (default) or when_required: how eagerly to send the "
            "newer CRC checksum headers", parse_choice("when_supported", "when_required", ""),
            default="when_supported"),
    Setting("metadata", "user metadata on every upload: name=value pairs separated by commas "
            "(sent as x-amz-meta-NAME)"),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS_TABLE}


@dataclass(frozen=True)
class Settings:
    """Validated settings of one remote."""

    bucket: str
    fileprefix: str = ""
    endpoint: str | None = None
    region: str | None = None
    requeststyle: str = "virtual"
    anonymous: bool = False
    storageclass: str | None = None
    partsize: int = 64 * 1024**2
    public: bool = False
    publicurl: str | None = None
    versioning: bool = False
    profile: str | None = None
    sse: str | None = None
    ssekmskeyid: str | None = None
    checksums: str = "when_supported"
    metadata: dict[str, str] = field(default_factory=dict)
    exporttree: bool = False

    @property
    def region_or_default(self) -> str:
        return self.region or "us-east-1"


def _endpoint(values: dict[str, str]) -> str | None:
    if values.get("endpoint"):
        return parse_url("endpoint", values["endpoint"])
    host = values.get("host", "")
    if not host:
        return None
    protocol = values.get("protocol") or "https"
    port = values.get("port", "")
    if port and not port.isdigit():
        raise ConfigError(f"port={port!r} is not a number")
    default_port = {"http": "80", "https": "443"}[protocol]
    netloc = host if not port or port == default_port else f"{host}:{port}"
    return f"{protocol}://{netloc}"


def default_request_style(endpoint: str | None, bucket: str) -> str:
    """Path style where virtual hosting cannot work: IPs, localhost, dotted bucket names."""
    if endpoint is None:
        return "path" if "." in bucket else "virtual"
    host = urlsplit(endpoint).hostname or ""
    try:
        ipaddress.ip_address(host)
        return "path"
    except ValueError:
        pass
    if host == "localhost" or "." in bucket or "." not in host:
        return "path"
    return "virtual"


def parse_metadata(value: str) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in value.split(","))):
        name, sep, val = item.partition("=")
        name = name.strip()
        if name.lower().startswith(META_PREFIX):
            name = name[len(META_PREFIX):]
        if not sep or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise ConfigError(f"metadata item {item!r} is not NAME=VALUE; write metadata=a=1,b=2")
        metadata[name.lower()] = val.strip()
    return metadata


def check_bucket_name(bucket: str, shown_as: str) -> None:
    """Raise ``ConfigError`` unless ``bucket`` is a valid S3 bucket name."""
    if not BUCKET_NAME.match(bucket) or ".." in bucket:
        raise ConfigError(f"{shown_as} is not a valid S3 bucket name (3-63 characters: "
                          "lower-case letters, digits, dots and hyphens)")


LEGACY_VERSIONING = "versioning"  # the setting's old name, still in older remotes' remote.log


def legacy_versioning(getconfig: Callable[[str], str]) -> bool:
    """``versioning=yes`` of a remote set up before the rename to ``bucketversioning``."""
    return parse_bool(LEGACY_VERSIONING, getconfig(LEGACY_VERSIONING))


def load_settings(getconfig: Callable[[str], str]) -> Settings:
    """Read every setting through ``getconfig`` and validate it; raise ``ConfigError``."""
    raw = {s.name: getconfig(s.name) for s in SETTINGS_TABLE}
    values = {name: (value if value != "" else SETTINGS_BY_NAME[name].default)
              for name, value in raw.items()}
    parsed = {name: SETTINGS_BY_NAME[name].parse(name, value) for name, value in values.items()
              if value != ""}
    bucket = values["bucket"]
    if not bucket:
        raise ConfigError("bucket= is required, e.g. bucket=my-dataset-bucket")
    check_bucket_name(bucket, f"bucket={bucket!r}")
    endpoint = _endpoint(values)
    region = values["region"] or values["datacenter"] or None
    if region:
        region = DATACENTER_ALIASES.get(region, region)
    partsize = parsed.get("partsize", 64 * 1024**2)
    if not MIN_PART_SIZE <= partsize <= MAX_PART_SIZE:
        raise ConfigError(f"partsize={values['partsize']} is outside 5MiB..5GiB")
    if values["ssekmskeyid"] and values["sse"] != "aws:kms":
        raise ConfigError("ssekmskeyid= needs sse=aws:kms")
    return Settings(
        bucket=bucket,
        fileprefix=values["fileprefix"],
        endpoint=endpoint,
        region=region,
        requeststyle=values["requeststyle"] or default_request_style(endpoint, bucket),
        anonymous=values["signature"] == "anonymous",
        storageclass=values["storageclass"] or None,
        partsize=partsize,
        public=parsed.get("public", False),
        publicurl=parsed.get("publicurl"),
        versioning=parsed.get("bucketversioning", False) or legacy_versioning(getconfig),
        profile=values["profile"] or None,
        sse=values["sse"] or None,
        ssekmskeyid=values["ssekmskeyid"] or None,
        checksums=values["checksums"],
        metadata=parse_metadata(values["metadata"]),
        exporttree=parse_bool("exporttree", getconfig("exporttree")),
    )


def settings_markdown() -> str:
    """The settings reference page, generated from the table."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for s in SETTINGS_TABLE:
        rows.append(f"| `{s.name}` | {s.default or ''} | {s.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
