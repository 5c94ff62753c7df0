"""Builds the boto3 S3 client: endpoint, region, addressing, retries, timeouts, signing, the
redirect rule and one DEBUG record per request. boto3 is imported inside functions only."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable, Literal, TypedDict, cast

from git_annex_remote_s3py.config import LocalSettings, Settings
from git_annex_remote_s3py.credentials import Credentials
from git_annex_remote_s3py.store.aws import ClientOptions

if TYPE_CHECKING:  # the stubs (the test extra) are never imported at run time
    from botocore.awsrequest import AWSResponse
    from botocore.config import _S3Dict
    from botocore.model import OperationModel
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ResponseMetadataTypeDef

    ChecksumMode = Literal["when_supported", "when_required"]
    AddressingStyle = Literal["auto", "virtual", "path"]
    _LazyBase = S3Client  # LazyClient stands for the client it builds

    class _RegionError(TypedDict, total=False):
        Region: str  # a wrong-region error's: the bucket's region

    class _Parsed(TypedDict, total=False):
        """The parts read here of what botocore parsed of any S3 answer."""

        ResponseMetadata: ResponseMetadataTypeDef
        Error: _RegionError
else:
    _LazyBase = object

RETRY_ATTEMPTS = 5
MAX_POOL = 16
REQUEST_CONTEXT = "s3py_request"  # (method, object name) kept in botocore's request context
LOG = logging.getLogger(__name__)


def build_client(settings: Settings, creds: Credentials, *, anonymous: bool = False,
                 region: str | None = None, checksums: str | None = None,
                 options: ClientOptions | None = None) -> S3Client:
    """A thread-safe S3 client. ``anonymous`` builds an unsigned one for public reads;
    ``checksums`` overrides ``settings.checksums`` for the request side only."""
    import boto3  # lazy: ~400 ms, paid only when S3 is really needed
    from botocore import UNSIGNED
    from botocore.config import Config

    options = options or ClientOptions.of(settings, LocalSettings())
    config = Config(
        region_name=region or settings.region_or_default,
        signature_version=UNSIGNED if anonymous or settings.anonymous else "s3v4",
        s3=s3_config(settings, checksums),
        retries={"mode": "standard", "total_max_attempts": RETRY_ATTEMPTS},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_pool_connections=MAX_POOL,
        # both validated by config.py's table: when_supported or when_required
        request_checksum_calculation=cast("ChecksumMode", checksums or settings.checksums),
        response_checksum_validation=cast("ChecksumMode", settings.checksums),
        user_agent_extra="git-annex-remote-s3py",
    )
    if creds.explicit:
        session = boto3.session.Session(
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.session_token,
        )
    else:
        session = boto3.session.Session(profile_name=settings.profile)
    client = session.client("s3", endpoint_url=settings.endpoint, config=config,
                            verify=options.verify)
    log_requests(client)
    follow_only_named_regions(client)
    add_request_arguments(client, options)
    return client


def sends_chunked_uploads(settings: Settings) -> bool:
    """Whether botocore sends this remote's uploads as aws-chunked bodies with a trailing
    checksum: ``checksums=when_supported`` over https (AWS included). Some servers refuse
    those (Ceph RGW 16: 411 MissingContentLength) or store the framing as data (s3rver)."""
    return settings.checksums == "when_supported" and (
        settings.endpoint is None or settings.endpoint.lower().startswith("https:"))


def plain_upload_client(settings: Settings, creds: Credentials,
                        options: ClientOptions | None = None) -> LazyClient | None:
    """A client sending plain upload bodies (``checksums=when_required``), built on first
    use, for ``Bucket`` to fall back to where the server refuses or mangles aws-chunked
    ones; None where uploads are plain already."""
    if not sends_chunked_uploads(settings):
        return None
    return LazyClient(lambda: build_client(settings, creds, checksums="when_required",
                                                   options=options))


def add_request_arguments(client: S3Client, options: ClientOptions) -> None:
    """Have every request of ``client`` carry ``RequestPayer=requester`` and the SSE-C key
    (also as the copy source's) where its operation takes them: HEAD, GET, PUT, the
    multipart calls and copies, s3transfer's included. Never on presigned URLs (a key would
    not belong in a URL a user hands on)."""
    payer, key = options.request_payer, options.sse_customer_key
    if not payer and key is None:
        return

    def add(params: dict[str, object], model: OperationModel, context: dict[str, object],
            **_: object) -> None:
        members = model.input_shape.members if model.input_shape is not None else {}
        if payer and "RequestPayer" in members:
            params.setdefault("RequestPayer", "requester")
        if key is None or context.get("is_presign_request"):
            return
        for prefix in ("SSECustomer", "CopySourceSSECustomer"):
            if f"{prefix}Key" in members:
                params.setdefault(f"{prefix}Algorithm", "AES256")
                params.setdefault(f"{prefix}Key", key)

    client.meta.events.register("provide-client-params.s3", add)


def s3_config(settings: Settings, checksums: str | None = None) -> _S3Dict:
    """botocore's ``s3`` options. With ``checksums=when_supported`` every upload and part
    carries a signed CRC32 header the server checks, so the payload goes unsigned also on
    http endpoints (as on https, and as git-annex's built-in S3 remote sends it): no SHA-256
    pass, ~0.2 s per 64 MiB. Without those checksums botocore signs the payload as before."""
    # requeststyle: validated by config.py's table
    config: _S3Dict = {"addressing_style": cast("AddressingStyle", settings.requeststyle)}
    if (checksums or settings.checksums) == "when_supported":
        config["payload_signing_enabled"] = False
    return config


class LazyClient(_LazyBase):
    """A boto3 client built on first use: a process the lean path serves whole (store/lean/)
    never imports boto3 (~0.65 s with the client). Typed as the ``S3Client`` it stands for."""

    def __init__(self, build: Callable[[], S3Client]) -> None:
        self._build, self._lock = build, threading.Lock()
        self._client: S3Client | None = None
        self._hooks: list[Callable[[S3Client], None]] = []

    def when_built(self, hook: Callable[[S3Client], None]) -> None:
        """Call ``hook(client)`` once the client is built (at once if it is)."""
        with self._lock:
            if self._client is None:
                self._hooks.append(hook)
                return
        hook(self._client)

    def __getattr__(self, name: str) -> object:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = self._build()
                    for hook in self._hooks:
                        hook(client)
                    self._client = client
        return getattr(self._client, name)


# -- redirects -------------------------------------------------------------------------------------
def follow_only_named_regions(client: S3Client) -> None:
    """Have ``client`` follow a redirect (or a wrong-region answer) only where the answer
    names the bucket's region. botocore otherwise HEADs the bucket to find it, and a web
    server answering that HEAD with a redirect too makes it recurse (81 HEADs, then
    RecursionError); the answer is then classified as it is (``not_s3_answer``...)."""
    client.meta.events.register_first("needs-retry.s3", _no_region_hunt,
                                      unique_id="s3py-no-region-hunt")


def _no_region_hunt(request_dict: dict[str, object],
                    response: tuple[AWSResponse | None, _Parsed] | None, **_: object) -> None:
    if response is None or response[0] is None or response[0].status_code < 300:
        return
    parsed = response[1]
    headers = parsed.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    if "x-amz-bucket-region" in headers or parsed.get("Error", {}).get("Region"):
        return
    context = request_dict.get("context")
    redirect = context.get("s3_redirect") if isinstance(context, dict) else None
    if isinstance(redirect, dict):
        redirect["redirected"] = True  # botocore's redirector then leaves it alone


# -- one DEBUG record per request ----------------------------------------------------------------
def log_requests(client: S3Client) -> None:
    """Have ``client`` log one DEBUG record per S3 call: method, object name, HTTP status (or
    the exception's type). Never a header, URL, signature or credential."""
    events = client.meta.events
    events.register("before-parameter-build.s3", _remember_request)
    events.register("after-call.s3", _log_answer)
    events.register("after-call-error.s3", _log_failure)


def _remember_request(params: dict[str, object], model: OperationModel,
                      context: dict[str, object], **_: object) -> None:
    name = params.get("Key") or f"bucket {params.get('Bucket', '')}"
    context[REQUEST_CONTEXT] = (model.http.get("method", ""), model.name, name)


def _log_answer(http_response: AWSResponse, context: dict[str, tuple[str, str, str]],
                **_: object) -> None:
    method, operation, name = context.get(REQUEST_CONTEXT, ("", "", ""))
    LOG.debug("S3 %s %s (%s): %s", method, name, operation,
              getattr(http_response, "status_code", "?"))


def _log_failure(exception: BaseException, context: dict[str, tuple[str, str, str]],
                 **_: object) -> None:
    method, operation, name = context.get(REQUEST_CONTEXT, ("", "", ""))
    LOG.debug("S3 %s %s (%s): failed (%s)", method, name, operation, type(exception).__name__)
