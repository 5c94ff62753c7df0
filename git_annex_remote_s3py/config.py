"""One declarative table of ``initremote`` settings -> validated, frozen ``Settings``.

Each setting is declared once, as one ``Setting`` row of ``SETTING_ROWS``: how users spell it
(name and aliases), how its text is read (parser, default), which ``Settings`` attribute it
fills (or that it is only an input to another one), whether a new value points at other
objects, whether LISTCONFIGS and ``docs/settings.md`` show it, and the botocore upload argument
it becomes. ``Settings`` is written out below the table, one attribute per row, so that readers
and type checkers find its fields; a test holds it to the table. Adding a setting is one row,
one ``Settings`` attribute, and the code that reads it.
``python -m git_annex_remote_s3py.config`` prints the generated settings table.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional
from urllib.parse import urlsplit

from git_annex_remote_s3py.errors import ConfigError

YES = ("yes", "true", "1", "on")
NO = ("no", "false", "0", "off", "")
# git-annex's built-in S3 remote names two datacenters; everything else is an AWS region.
DATACENTER_ALIASES = {"US": "us-east-1", "EU": "eu-west-1"}
DEFAULT_REGION = "us-east-1"
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
# Every region of every AWS partition that serves S3 (botocore's endpoint data; a unit test
# keeps this in step with it). With no endpoint= the region must be one of them; with an
# endpoint= (Ceph's "default", MinIO's any string, a region newer than this list through
# endpoint=https://s3.REGION.amazonaws.com) any region is the server's business.
AWS_REGIONS = frozenset((
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
    "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
    "us-west-2", "cn-north-1", "cn-northwest-1", "us-gov-east-1", "us-gov-west-1",
    "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "eu-isoe-west-1",
    "us-isof-east-1", "us-isof-south-1", "eusc-de-east-1",
))
# S3's storage classes (botocore's StorageClass; a unit test keeps this in step with it).
STORAGE_CLASSES = (
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    "FSX_OPENZFS", "FSX_ONTAP", "AWS_BACKUP_WARM", "AWS_BACKUP_LOW_COST_WARM",
)
SIZE_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
    "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3,
}
DEFAULT_PART_SIZE = 64 * 1024**2
MIN_PART_SIZE = 5 * 1024**2
MAX_PART_SIZE = 5 * 1024**3
META_PREFIX = "x-amz-meta-"
# S3's canned ACLs (PutObject's x-amz-acl), as DVC's acl= takes them.
CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read",
               "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control")
GRANT_SETTINGS = {"grant_read": "GrantRead", "grant_full_control": "GrantFullControl",
                  "grant_read_acp": "GrantReadACP", "grant_write_acp": "GrantWriteACP"}
GRANTEE = re.compile(r'\s*(id|emailAddress|uri)=("[^"]+"|[^,"\s]+)\s*')

Parser = Callable[[str, str], Any]
# setting name -> its parsed value (None when not given), attribute -> value built so far
Derivation = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]


# -- parsers: (setting name, text) -> value, or ConfigError naming the fix -------------------
def format_size(size: int) -> str:
    """``67108864`` -> ``64MiB``: the largest binary unit that divides ``size``."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


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
        raise ConfigError(f"{name}={value!r} is not a size; write e.g. "
                          f"{name}={format_size(DEFAULT_PART_SIZE)}")
    return int(match.group(1)) * SIZE_UNITS[match.group(2).lower()]


def parse_part_size(name: str, value: str) -> int:
    """A size S3 accepts for a multipart part."""
    size = parse_size(name, value)
    if not MIN_PART_SIZE <= size <= MAX_PART_SIZE:
        raise ConfigError(f"{name}={value} is outside "
                          f"{format_size(MIN_PART_SIZE)}..{format_size(MAX_PART_SIZE)}")
    return size


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


def parse_endpoint(name: str, value: str) -> str:
    """A service URL, scheme://host[:port]: a path would name a bucket (and shift every object
    name) behind the remote's back, so it is refused with the settings that say it."""
    url = parse_url(name, value)
    parts = urlsplit(url)
    if parts.path or parts.query or parts.fragment:
        place = parts.path.strip("/")
        fix = (f" and bucket={place}" if "/" not in place else
               f" and bucket={place.split('/')[0]} fileprefix={place.split('/', 1)[1]}/")
        raise ConfigError(f"{name}={value!r} has a path; an endpoint is scheme://host[:port] "
                          f"only: write {name}={parts.scheme}://{parts.netloc}"
                          f"{fix if place and not (parts.query or parts.fragment) else ''} "
                          "(bucket= names the bucket, fileprefix= a folder inside it)")
    return url


def parse_storage_class(name: str, value: str) -> str:
    """An S3 storage class as S3 spells it (upper case): ``glacier`` is refused with the
    right spelling. Whether an unknown name exists is the server's business (Ceph's own
    classes), checked against AWS's list without an endpoint (``storage_class_exists_on_aws``)."""
    spelled = next((known for known in STORAGE_CLASSES if known == value.strip().upper()),
                   None)
    if spelled and spelled != value:
        raise ConfigError(f"{name}={value!r}: S3 spells it {spelled}; write {name}={spelled}")
    return value


def check_bucket_name(bucket: str, shown_as: str) -> None:
    """Raise ``ConfigError`` unless ``bucket`` is a valid S3 bucket name."""
    if not BUCKET_NAME.match(bucket) or ".." in bucket:
        raise ConfigError(f"{shown_as} is not a valid S3 bucket name (3-63 characters: "
                          "lower-case letters, digits, dots and hyphens)")
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        return
    raise ConfigError(f"{shown_as} is shaped like an IP address, which S3 refuses as a bucket "
                      "name; choose a name with a letter in it, e.g. data-192-168-5-4")


def parse_bucket(name: str, value: str) -> str:
    check_bucket_name(value, f"{name}={value!r}")
    return value


def parse_fileprefix(name: str, value: str) -> str:
    """A prefix kept byte for byte (``ds1/``, ``ds1-``), refused where a URL would not reach
    the objects: a leading ``/``, an empty, ``.`` or ``..`` path component, a newline."""
    if "\n" in value or "\x00" in value:
        raise ConfigError(f"{name}={value!r} holds a newline or NUL; write e.g. {name}=ds1/")
    *dirs, last = value.split("/")
    if any(p in ("", ".", "..") for p in dirs) or last in (".", ".."):
        kept = [p for p in dirs if p not in ("", ".", "..")]
        last = "" if last in (".", "..") else last
        fixed = "/".join([*kept, last]) if kept else last
        raise ConfigError(f"{name}={value!r} has a leading '/' or an empty, '.' or '..' "
                          "component, which URLs resolve to other names (its public URLs "
                          f"would 404); write {name}={fixed}" + ("" if fixed else " (empty: "
                                                                "the bucket root)"))
    return value


def parse_region(name: str, value: str) -> str:
    """A region; ``US`` and ``EU`` as the built-in S3 remote's datacenters. Whether an AWS
    region exists is checked with the endpoint (``region_exists_on_aws``)."""
    return DATACENTER_ALIASES.get(value, value)


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


def parse_grants(name: str, value: str) -> str:
    """S3's grantee list: ``id=...``, ``emailAddress=...`` or ``uri=...``, comma-separated."""
    items = value.split(",")
    if not all(GRANTEE.fullmatch(item) for item in items):
        raise ConfigError(f"{name}={value!r} is not a grantee list; write e.g. "
                          f"{name}=id=CANONICAL_USER_ID or "
                          f'{name}=uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    return ",".join(item.strip() for item in items)


def parse_seconds(name: str, value: str) -> float:
    """A positive number of seconds."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 86400:  # NaN fails this too
        raise ConfigError(f"{name}={value!r} is not a number of seconds; write e.g. {name}=30")
    return seconds


def parse_tagging(name: str, value: str) -> str:
    """Object tags as S3's x-amz-tagging header takes them: ``key=value&key2=value2``."""
    from urllib.parse import parse_qsl

    try:
        tags = parse_qsl(value, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        tags = []
    if not tags or len(tags) > 10 or any(not key for key, _ in tags):
        raise ConfigError(f"{name}={value!r} is not a tag list (at most 10); write e.g. "
                          f"'{name}=project=demo&owner=me' (quoted: & ends a shell command)")
    return value


def parse_metadata_setting(name: str, value: str) -> dict[str, str]:
    return parse_metadata(value)


# -- derivations: attributes computed from more than their own setting -----------------------
def endpoint_from_parts(parsed: Mapping[str, Any], built: Mapping[str, Any]) -> Optional[str]:
    """``endpoint=``, else ``protocol://host:port`` as the built-in S3 remote spells it."""
    if parsed["endpoint"]:
        return parsed["endpoint"]
    host = parsed["host"]
    if not host:
        return None
    if "/" in host:
        raise ConfigError(f"host={host!r} has a path; write host= with the name only and the "
                          "bucket in bucket= (a folder inside it in fileprefix=)")
    protocol = parsed["protocol"] or "https"
    port = parsed["port"] or ""
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


def request_style(parsed: Mapping[str, Any], built: Mapping[str, Any]) -> str:
    """``requeststyle=``, else what suits the endpoint and bucket."""
    return parsed["requeststyle"] or default_request_style(built["endpoint"],
                                                         built["bucket"] or "")


def is_anonymous(parsed: Mapping[str, Any], built: Mapping[str, Any]) -> bool:
    return parsed["signature"] == "anonymous"


LEGACY_VERSIONING = "versioning"  # the setting's old name, still in older remotes' remote.log


def versioning_either_name(parsed: Mapping[str, Any], built: Mapping[str, Any]) -> bool:
    """``bucketversioning=yes``, or ``versioning=yes`` of a remote set up before the rename."""
    return bool(parsed["bucketversioning"] or parsed[LEGACY_VERSIONING])


def sse_upload_value(sse: str) -> Optional[str]:
    """SSE-C (``customer``) goes with every request, not as an upload argument
    (store/boto/client.py ``add_request_arguments``)."""
    return None if sse == "customer" else sse


def metadata_upload_value(metadata: Mapping[str, str]) -> dict[str, str]:
    return dict(metadata)


# -- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One setting as users type it, and what it becomes in ``Settings``.

    An empty text (not given, no ``default``) gives None, or with ``parse_empty`` what
    ``parse`` makes of ``""``. ``derive`` computes the attribute from every parsed setting
    instead. ``input_only`` rows fill no attribute: another row's ``derive`` reads them.
    """

    name: str
    description: str
    parse: Parser = parse_text
    default: str = ""
    aliases: tuple[str, ...] = ()
    changes_object_location: bool = False  # another value points at other objects
    shown: bool = True  # listed by LISTCONFIGS and docs/settings.md (False: git-annex's own)
    attribute: Optional[str] = None  # the Settings attribute filled (default: ``name``)
    derive: Optional[Derivation] = None
    input_only: bool = False
    parse_empty: bool = False
    required: bool = False
    example: str = ""  # shown in the "is required" message
    alias_of: Optional[str] = None  # set on the LISTCONFIGS entries of aliases only
    # botocore's argument of every upload (PutObject, CreateMultipartUpload, CopyObject) that
    # the attribute's value becomes when set; ``upload_value`` maps it (None: not sent)
    upload_argument: Optional[str] = None
    upload_value: Optional[Callable[[Any], Any]] = None

    @property
    def target(self) -> Optional[str]:
        """The ``Settings`` attribute this row fills, or None for an input-only row."""
        return None if self.input_only else (self.attribute or self.name)

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


SETTING_ROWS: tuple[Setting, ...] = (
    Setting("bucket", "bucket name (required; created at initremote when missing)",
            parse_bucket, changes_object_location=True, required=True,
            example="my-dataset-bucket"),
    Setting("fileprefix", "prefix of every object name, e.g. ds1/ (default: bucket root)",
            parse_fileprefix, changes_object_location=True, parse_empty=True),
    Setting("endpoint", "URL of an S3-compatible service, e.g. http://127.0.0.1:9000 "
            "(default: AWS); scheme://host[:port], no path", parse_endpoint,
            changes_object_location=True,
            derive=endpoint_from_parts),
    Setting("host", "endpoint host name, as the built-in S3 remote spells it",
            changes_object_location=True, input_only=True),
    Setting("port", "endpoint port, with host=", changes_object_location=True, input_only=True),
    Setting("protocol", "http or https, with host= (default https)",
            parse_choice("http", "https", ""), changes_object_location=True, input_only=True),
    Setting("region", "bucket region, e.g. eu-west-1, or US / EU as the built-in S3 remote "
            "(default: detected, or us-east-1)", parse_region, aliases=("datacenter",),
            changes_object_location=True),
    Setting("requeststyle", "path or virtual addressing (default: path for IPs, localhost "
            "and dotted bucket names with a custom endpoint)", parse_choice("path", "virtual", ""),
            changes_object_location=True, derive=request_style),
    Setting("signature", "v4 (default) or anonymous (read-only public buckets)",
            parse_choice("v4", "anonymous", ""), attribute="anonymous",
            derive=is_anonymous),
    Setting("storageclass", "storage class of new uploads, as S3 spells it, e.g. STANDARD_IA, "
            "GLACIER_IR, DEEP_ARCHIVE (other names only with an endpoint= that has them)",
            parse_storage_class, upload_argument="StorageClass"),
    Setting("partsize", "multipart part size and threshold (default "
            f"{format_size(DEFAULT_PART_SIZE)}, "
            f"{format_size(MIN_PART_SIZE)}..{format_size(MAX_PART_SIZE)})",
            parse_part_size, default=format_size(DEFAULT_PART_SIZE)),
    Setting("public", "yes: make stored objects publicly readable", parse_bool, default="no"),
    Setting("publicurl", "base URL for anonymous downloads (default derived from endpoint, "
            "bucket and request style)", parse_url),
    Setting("bucketversioning", "yes: enable bucket versioning and record each object's "
            "version ID (formerly versioning=, a name newer git-annex reserves)",
            parse_bool, default="no", attribute="versioning",
            derive=versioning_either_name),
    # The old name: still read from the remote.log of remotes set up before the rename, never
    # listed (so initremote refuses it: git-annex 10.2024+ crashes on a listed `versioning`).
    Setting(LEGACY_VERSIONING, "old name of bucketversioning", parse_bool, default="no",
            shown=False, input_only=True),
    Setting("profile", "AWS shared-config profile for credentials (a section of "
            "~/.aws/credentials or ~/.aws/config: one per endpoint or account)"),
    Setting("sse", "server-side encryption: AES256, aws:kms, or customer (SSE-C: the key "
            "from git config remote.NAME.s3py-sse-c-key-file or $"
            "GIT_ANNEX_REMOTE_S3PY_SSE_C_KEY_FILE, never from the branch)",
            parse_choice("AES256", "aws:kms", "customer", ""),
            upload_argument="ServerSideEncryption", upload_value=sse_upload_value),
    Setting("ssekmskeyid", "KMS key ID with sse=aws:kms", upload_argument="SSEKMSKeyId"),
    Setting("checksums", "when_supported (default) or when_required: how eagerly to send the "
            "newer CRC checksum headers", parse_choice("when_supported", "when_required", ""),
            default="when_supported"),
    Setting("metadata", "user metadata on every upload: name=value pairs separated by commas "
            "(sent as x-amz-meta-NAME)", parse_metadata_setting,
            parse_empty=True, upload_argument="Metadata", upload_value=metadata_upload_value),
    Setting("acl", "canned ACL of every stored object: " + ", ".join(CANNED_ACLS)
            + " (not with public=yes unless public-read, nor with grant_*)",
            parse_choice(*CANNED_ACLS, ""), upload_argument="ACL"),
    *(Setting(name, f"grantees of {name[len('grant_'):].upper()} on every stored object, "
              'e.g. id=CANONICAL_ID or uri="http://acs.amazonaws.com/groups/global/AllUsers"',
              parse_grants, upload_argument=argument)
      for name, argument in GRANT_SETTINGS.items()),
    Setting("x-amz-tagging", "object tags of every stored object, as the built-in S3 remote "
            "spells it: key=value&key2=value2", parse_tagging, attribute="tagging",
            upload_argument="Tagging"),
    Setting("restore", "yes: a get of a GLACIER or DEEP_ARCHIVE object asks S3 to restore it "
            "(then fails until the restore is done)", parse_bool, default="no"),
    Setting("requesterpays", "yes: the bucket is Requester Pays and this remote pays "
            "(RequestPayer=requester on every request)", parse_bool, default="no"),
    Setting("connecttimeout", "seconds to wait for a connection (default 10)", parse_seconds),
    Setting("readtimeout", "seconds to wait for an answer or the next bytes (default 60)",
            parse_seconds),
    Setting("listversion", "2 (default) or 1: ListObjects v1 for old servers that lack v2",
            parse_choice("1", "2", ""), default="2"),
    Setting("exporttree", "git-annex's own: yes for a remote that holds the tree under its "
            "file names", parse_bool, default="no", shown=False),
)
SETTINGS_BY_NAME = {row.name: row for row in SETTING_ROWS}


def listed_settings() -> tuple[Setting, ...]:
    """What LISTCONFIGS and docs/settings.md show: each shown row, then each of its aliases."""
    listed: list[Setting] = []
    for row in SETTING_ROWS:
        if row.shown:
            listed.append(row)
            listed += [dataclasses.replace(row, name=alias, aliases=(), alias_of=row.name,
                                           description=f"alias of {row.name}, as the built-in "
                                           "S3 remote spells it")
                       for alias in row.aliases]
    return tuple(listed)


# Every name git-annex may pass (LISTCONFIGS), with its description.
SETTINGS_TABLE: tuple[Setting, ...] = listed_settings()


def object_location_settings() -> tuple[str, ...]:
    """Every spelling of the settings whose change points the remote at other objects."""
    return tuple(name for row in SETTING_ROWS if row.changes_object_location
                 for name in row.spellings)


def setting_named(name: str) -> Optional[Setting]:
    """The row ``name`` (or one of its aliases) belongs to."""
    return next((row for row in SETTING_ROWS if name in row.spellings), None)


# -- from texts to Settings ------------------------------------------------------------------
def kms_key_needs_kms(parsed: Mapping[str, Any]) -> None:
    if parsed["ssekmskeyid"] and parsed["sse"] != "aws:kms":
        raise ConfigError("ssekmskeyid= needs sse=aws:kms")


def region_exists_on_aws(parsed: Mapping[str, Any]) -> None:
    """Without an endpoint (AWS), the region must be an AWS region."""
    region = parsed["region"]
    if region and region not in AWS_REGIONS and not parsed["endpoint"] and not parsed["host"]:
        raise ConfigError(f"region={region!r} is not an AWS region; write e.g. region=eu-west-1 "
                          "(with an S3-compatible server, give its endpoint= too)")


def acl_settings_agree(parsed: Mapping[str, Any]) -> None:
    """``acl=``, ``public=yes`` and ``grant_*=`` each set the object ACL: refuse two that
    disagree (S3 refuses a canned ACL with grants). ``public=yes acl=public-read`` agree."""
    grants = [name for name in GRANT_SETTINGS if parsed[name]]
    if parsed["acl"] and grants:
        raise ConfigError(f"acl= and {grants[0]}= both set the object ACL; keep one")
    if parsed["public"] and grants:
        raise ConfigError(f"public=yes and {grants[0]}= both set the object ACL; grant "
                          'READ to uri="http://acs.amazonaws.com/groups/global/AllUsers" '
                          "instead of public=yes, or drop the grants")
    if parsed["public"] and parsed["acl"] not in (None, "public-read"):
        raise ConfigError(f"public=yes and acl={parsed['acl']} contradict (public=yes is "
                          "acl=public-read); keep one")


def storage_class_exists_on_aws(parsed: Mapping[str, Any]) -> None:
    """Without an endpoint (AWS), the storage class must be one of S3's."""
    storage_class = parsed["storageclass"]
    if (storage_class and storage_class not in STORAGE_CLASSES and not parsed["endpoint"]
            and not parsed["host"]):
        raise ConfigError(f"storageclass={storage_class!r} is not an S3 storage class; write "
                          f"one of {', '.join(STORAGE_CLASSES[:7])}, e.g. "
                          "storageclass=STANDARD_IA")


CROSS_CHECKS: tuple[Callable[[Mapping[str, Any]], None], ...] = (
    kms_key_needs_kms, region_exists_on_aws, storage_class_exists_on_aws, acl_settings_agree)


def _parse_rows(texts: Mapping[str, str]) -> dict[str, Any]:
    return {row.name: row.parse(row.name, texts[row.name])
            if texts[row.name] != "" or row.parse_empty else None for row in SETTING_ROWS}


def _attributes(parsed: Mapping[str, Any]) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for row in SETTING_ROWS:
        if row.target is not None:
            built[row.target] = row.derive(parsed, built) if row.derive else parsed[row.name]
    return built


def unset_attributes() -> dict[str, Any]:
    """Each attribute as a remote configured with nothing but defaults has it."""
    return _attributes(_parse_rows({row.name: row.default for row in SETTING_ROWS}))


@dataclass(frozen=True)
class Settings:
    """Validated settings of one remote (``load_settings``): one attribute per row of
    ``SETTING_ROWS`` that fills one, its default what that row gives when not set
    (tests/unit/test_settings_table.py holds the two together)."""

    bucket: str
    fileprefix: str = ""
    endpoint: Optional[str] = None
    region: Optional[str] = None
    requeststyle: str = "virtual"
    anonymous: bool = False
    storageclass: Optional[str] = None
    partsize: int = DEFAULT_PART_SIZE
    public: bool = False
    publicurl: Optional[str] = None
    versioning: bool = False
    profile: Optional[str] = None
    sse: Optional[str] = None
    ssekmskeyid: Optional[str] = None
    checksums: str = "when_supported"
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    acl: Optional[str] = None
    grant_read: Optional[str] = None
    grant_full_control: Optional[str] = None
    grant_read_acp: Optional[str] = None
    grant_write_acp: Optional[str] = None
    tagging: Optional[str] = None
    restore: bool = False
    requesterpays: bool = False
    connecttimeout: Optional[float] = None
    readtimeout: Optional[float] = None
    listversion: str = "2"
    exporttree: bool = False

    @property
    def region_or_default(self) -> str:
        return self.region or DEFAULT_REGION

    @property
    def etags_are_md5(self) -> bool:
        """Whether a single-PUT object of this remote has its MD5 as ETag (so it may be
        checked): not under SSE-KMS or SSE-C. The one place this is derived from settings."""
        return self.sse not in ("aws:kms", "customer")


def load_settings(getconfig: Callable[[str], str]) -> Settings:
    """Read every setting through ``getconfig`` and validate it; raise ``ConfigError``."""
    given = {name: getconfig(name) for row in SETTING_ROWS for name in row.spellings}
    texts = {row.name: next((given[n] for n in row.spellings if given[n] != ""), row.default)
             for row in SETTING_ROWS}
    parsed = _parse_rows(texts)
    for row in SETTING_ROWS:
        if row.required and texts[row.name] == "":
            raise ConfigError(f"{row.name}= is required, e.g. {row.name}={row.example}")
    for check in CROSS_CHECKS:
        check(parsed)
    return Settings(**_attributes(parsed))


UPLOAD_ROWS = tuple(row for row in SETTING_ROWS if row.upload_argument)
UPLOAD_ARGUMENTS = {row.upload_argument: row for row in UPLOAD_ROWS if row.upload_argument}


def _upload_value(row: Setting, settings: Settings) -> Any:
    value = getattr(settings, row.target or row.name)
    if value and row.upload_value is not None:
        value = row.upload_value(value)
    return value or None


def upload_args_of(settings: Settings) -> dict[str, Any]:
    """botocore's arguments for every upload (and copy) of this remote: the upload-argument
    column of ``SETTING_ROWS``."""
    return {argument: value for argument, row in UPLOAD_ARGUMENTS.items()
            if (value := _upload_value(row, settings)) is not None}


def upload_settings(settings: Settings, args: Mapping[str, Any]) -> str:
    """The settings behind the upload arguments ``args``, as ``name=value`` (a dict as
    ``k=v,k2=v2``), for a message naming what a server refused."""
    shown = []
    for row in UPLOAD_ROWS:
        if row.upload_argument in args:
            value = getattr(settings, row.target or row.name)
            text = (",".join(f"{k}={v}" for k, v in value.items())
                    if isinstance(value, Mapping) else str(value))
            shown.append(f"{row.name}={text}")
    return " ".join(shown)


# -- local settings: this repository's git config (or the environment), never the branch ---------
@dataclass(frozen=True)
class LocalSetting:
    """One setting read from ``git config remote.NAME.<git_name>`` (else ``$<env>``): what a
    clone must not receive from the shared remote config (RELIABILITY rule 10)."""

    git_name: str
    env: str
    attribute: str
    description: str


LOCAL_SETTING_ROWS: tuple[LocalSetting, ...] = (
    LocalSetting("s3py-ca-bundle", "AWS_CA_BUNDLE", "ca_bundle",
                 "PEM file of the CA certificates to trust for the endpoint's TLS"),
    LocalSetting("s3py-sslverify", "", "ssl_verify",
                 "no: do not verify the endpoint's TLS certificate (default yes; only "
                 "ever for a test server)"),
    LocalSetting("s3py-sse-c-key-file", "GIT_ANNEX_REMOTE_S3PY_SSE_C_KEY_FILE",
                 "sse_customer_key_file", "file holding the 256-bit SSE-C key (32 bytes, "
                 "raw or base64), for sse=customer"),
    LocalSetting("s3py-credentials-csv", "GIT_ANNEX_REMOTE_S3PY_CREDENTIALS_CSV",
                 "credentials_csv", "the credentials CSV the AWS console downloads (IAM "
                 "user or root key format); used before every other source"),
    LocalSetting("s3py-retrieve-url", "GIT_ANNEX_REMOTE_S3PY_RETRIEVE_URL", "retrieve_url",
                 "which small keys a git-annex that announces TRANSFER-RETRIEVE-URL "
                 "(10.20261026, not 10.20230126) downloads itself from a URL s3py gives, "
                 "where its HTTP client can: public (default: credential-free reads, at "
                 "their public URL), yes (also signed reads, at a URL presigned for 15 "
                 "minutes; slower on moto and Ceph RGW, docs/benchmarks.md session 7), no "
                 "(s3py downloads every key itself)"),
)
RETRIEVE_URL_CHOICES = ("public", "yes", "no")


@dataclass(frozen=True)
class LocalSettings:
    """This clone's own settings of one remote (``LOCAL_SETTING_ROWS``)."""

    ca_bundle: Optional[str] = None
    ssl_verify: bool = True
    sse_customer_key_file: Optional[str] = None
    credentials_csv: Optional[str] = None
    retrieve_url: str = "public"  # RETRIEVE_URL_CHOICES


def load_local_settings(git_config: Mapping[str, str],
                        environ: Mapping[str, str]) -> LocalSettings:
    """From ``git_config`` (``s3py-...`` name -> value of this remote) and ``environ``."""
    values: dict[str, Any] = {}
    for row in LOCAL_SETTING_ROWS:
        text = git_config.get(row.git_name) or (environ.get(row.env, "") if row.env else "")
        if row.attribute == "ssl_verify":
            values[row.attribute] = parse_bool(f"git config remote.NAME.{row.git_name}",
                                               text or "yes")
        elif row.attribute == "retrieve_url" and text:
            values[row.attribute] = parse_choice(*RETRIEVE_URL_CHOICES)(
                f"git config remote.NAME.{row.git_name}", text.lower())
        elif text:
            values[row.attribute] = text
    return LocalSettings(**values)


def settings_markdown() -> str:
    """The settings reference page, generated from the tables."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for s in SETTINGS_TABLE:
        rows.append(f"| `{s.name}` | {s.default or ''} | {s.description} |")
    rows += ["", "Local settings, per clone: `git config remote.NAME.SETTING VALUE` (or the "
             "environment variable). Never in the git-annex branch, so a clone never receives "
             "them.", "", "| git config | environment | meaning |", "|---|---|---|"]
    for local in LOCAL_SETTING_ROWS:
        env = f"`{local.env}`" if local.env else ""
        rows.append(f"| `remote.NAME.{local.git_name}` | {env} | {local.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
