"""The mapping of botocore (s3transfer, urllib3, connection) errors to ``errors`` types, by S3
error code and HTTP status, where they arise. botocore is imported inside functions only."""

from __future__ import annotations

import contextlib
from typing import Iterator

from git_annex_remote_s3py.errors import (
    AccessDenied,
    AclNotSupported,
    BucketNotFound,
    CredentialsMissing,
    EndpointUnavailable,
    IntegrityError,
    NotAnS3Endpoint,
    ObjectChanged,
    ObjectNotFound,
    QuotaExceeded,
    StorageError,
    WrongRegion,
)


def error_parts(exc: BaseException | None) -> tuple[str, int, dict[str, str]]:
    """(S3 error code, HTTP status, response headers) of a botocore ClientError."""
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    meta = response.get("ResponseMetadata", {})
    return code, int(meta.get("HTTPStatusCode") or 0), meta.get("HTTPHeaders", {}) or {}


# S3 error codes that refuse the credentials themselves, whatever the object: one explains
# every refusal of the process
CREDENTIAL_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                              "ExpiredToken", "TokenRefreshRequired"})


def _client_error(exc: Exception, what: str, bucket: str, endpoint: str = "") -> StorageError:
    code, status, headers = error_parts(exc)
    if not_s3_answer(exc):
        reason = (getattr(exc, "response", {}) or {}).get("Error", {}).get("Message", "")
        return NotAnS3Endpoint(f"{what}: {endpoint or 'the endpoint'} does not speak the S3 "
                               f"API (HTTP {status} {reason}, no S3 error in the answer): "
                               "check endpoint=")
    if code in ("NoSuchBucket",):
        return BucketNotFound(f"bucket {bucket} does not exist ({what}); create it with "
                              "initremote or fix bucket=")
    if code in ("NoSuchKey", "NoSuchVersion", "404", "NotFound") and status in (404, 0):
        return ObjectNotFound(f"{what}: not found in bucket {bucket}")
    if code in ("PermanentRedirect", "AuthorizationHeaderMalformed",
                "IllegalLocationConstraintException") or status == 301 or (
                    status == 400 and headers.get("x-amz-bucket-region")):  # HEAD: no body
        region = headers.get("x-amz-bucket-region", "")
        hint = f"region={region}" if region else "the bucket's region= setting"
        return WrongRegion(f"{what}: bucket {bucket} is in another region; set {hint}")
    if code == "InvalidAccessKeyId":
        return AccessDenied(f"{what}: the access key is unknown to the server "
                            "(InvalidAccessKeyId); check AWS_ACCESS_KEY_ID, or git annex "
                            "enableremote with the right keys")
    if code == "SignatureDoesNotMatch":
        return AccessDenied(f"{what}: the secret key does not match the access key "
                            "(SignatureDoesNotMatch); set the right AWS_SECRET_ACCESS_KEY, or "
                            "git annex enableremote with the right keys")
    if code in ("InvalidToken", "ExpiredToken", "TokenRefreshRequired"):
        return AccessDenied(f"{what}: the session token is refused by the server ({code}); "
                            "set a current AWS_SESSION_TOKEN with its AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY, or unset AWS_SESSION_TOKEN for a "
                            "long-term key")
    if code == "InvalidStorageClass":
        return StorageError(f"{what}: bucket {bucket} refuses the storage class of the upload "
                            "(InvalidStorageClass); set one the server offers: git annex "
                            "enableremote REMOTE storageclass=STANDARD (or storageclass= to "
                            "leave it to the server)")
    if code == "PreconditionFailed" or status == 412:
        return ObjectChanged(f"{what}: the object in bucket {bucket} holds other content "
                             "than the one asked for (PreconditionFailed)")
    if code == "QuotaExceeded":
        return QuotaExceeded(f"{what}: the storage quota of bucket {bucket} (or of its owner) "
                             "is used up (QuotaExceeded); free space or have the quota raised")
    if code == "AccessControlListNotSupported":
        return AclNotSupported(f"{what}: bucket {bucket} does not allow ACLs")
    if status == 403 or code in ("AccessDenied", "Forbidden", "403", "AllAccessDisabled"):
        return AccessDenied(f"{what}: access denied by bucket {bucket} ({code or 403}); check "
                            "the credentials' permissions (a missing object also answers "
                            "403 without s3:ListBucket)")
    if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError"):
        return EndpointUnavailable(f"{what}: server error {status} {code} after retries")
    return StorageError(f"{what}: S3 error {status} {code}")


def bare_refusal(error: StorageError) -> bool:
    """Whether ``error`` is a 400 or 403 without an S3 error code (a HEAD's answer: no body)."""
    code, status, _ = error_parts(error.__cause__)
    return status in (400, 403) and code in ("", str(status))


def not_s3_answer(exc: BaseException | None) -> bool:
    """Whether an error answer came from something else than an S3 API (a web server, a
    console): no S3 error code in the body (botocore then names the HTTP status) and no
    ``x-amz-*`` header, for a status S3 itself would explain (redirects, 404 on a GET, 405,
    501...). A HEAD has no body, so only its redirects count; 403 and the 5xx a gateway may
    send on S3's behalf stay what they are."""
    code, status, headers = error_parts(exc)
    if status == 0 or code not in ("", str(status)) or status in (403, 500, 502, 503, 504):
        return False
    if any(str(name).lower().startswith("x-amz") for name in headers):
        return False
    heading = str(getattr(exc, "operation_name", "")).startswith("Head")
    return status in (301, 302, 307) or (not heading and status >= 300)


CHUNKED_WORDS = ("checksum", "content-sha256", "contentsha256", "trailer", "aws-chunked",
                 "decoded-content-length")


def refuses_chunked_upload(exc: BaseException | None) -> str | None:
    """The server's answer (``411 MissingContentLength``...) if ``exc`` (or what it wraps)
    is a refusal of an aws-chunked upload body or of its trailing checksum, else None."""
    seen: BaseException | None = exc
    for _ in range(4):  # StorageError -> S3UploadFailedError -> ClientError
        if seen is None:
            return None
        code, status, _ = error_parts(seen)
        if status:
            message = str((getattr(seen, "response", {}) or {}).get("Error", {})
                          .get("Message", "") or "")
            named = any(word in f"{code} {message}".lower() for word in CHUNKED_WORDS)
            if (status == 411 or code in ("MissingContentLength", "NotImplemented")
                    or (400 <= status < 500 and named)):
                return f"{status} {code}".strip()
            return None
        seen = seen.__cause__ or seen.__context__
    return None


def _untrusted_certificate(exc: BaseException) -> str | None:
    """The verifier's reason if ``exc`` (or what it wraps) is a TLS certificate refusal."""
    import ssl  # loaded already wherever botocore raised

    seen: BaseException | None = exc
    for _ in range(8):  # botocore SSLError -> urllib3 SSLError -> ssl.SSLCertVerificationError
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        inner = [value for value in (getattr(seen, "kwargs", {}) or {}).values()
                 if isinstance(value, BaseException)] + [
            arg for arg in getattr(seen, "args", ()) if isinstance(arg, BaseException)]
        seen = inner[0] if inner else (seen.__cause__ or seen.__context__)
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "certificate verify failed"
    return None


def classify(exc: Exception, what: str, bucket: str, endpoint: str = "") -> StorageError:
    """Map a botocore (or s3transfer, urllib3, connection) exception to our error type; an
    exception of any other kind is re-raised as it is (a bug stays loud)."""
    from botocore import exceptions as bce

    if isinstance(exc, bce.ClientError):
        return _client_error(exc, what, bucket, endpoint)
    if isinstance(exc, bce.FlexibleChecksumError):
        return IntegrityError(f"{what}: the bytes received fail the server's checksum")
    if isinstance(exc, bce.NoCredentialsError):
        return CredentialsMissing(
            f"{what}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(or profile=), or use a public URL for read-only access")
    if isinstance(exc, bce.SSLError):
        reason = _untrusted_certificate(exc)
        if reason:
            return EndpointUnavailable(f"{what}: the server's TLS certificate is not trusted "
                                       f"({reason}); give its CA with AWS_CA_BUNDLE=PATH")
    if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectTimeoutError, bce.ReadTimeoutError,
                        bce.SSLError, bce.ConnectionClosedError, bce.ProxyConnectionError)):
        return EndpointUnavailable(f"{what}: cannot reach the S3 endpoint ({type(exc).__name__}); "
                                   "check endpoint= and the network")
    if isinstance(exc, bce.BotoCoreError):
        return StorageError(f"{what}: {type(exc).__name__}: {exc}")
    from urllib3.exceptions import HTTPError as Urllib3Error

    if isinstance(exc, (Urllib3Error, ConnectionError, TimeoutError)):
        return EndpointUnavailable(f"{what}: connection to the S3 endpoint broke "
                                   f"({type(exc).__name__})")
    if _is_upload_failure(exc):  # s3transfer wraps the ClientError of a failed upload
        wrapped = exc.__cause__ or exc.__context__
        if isinstance(wrapped, Exception):
            return classify(wrapped, what, bucket, endpoint)
        return StorageError(f"{what}: the upload failed ({exc})")
    raise exc  # a bug: stay loud


def _is_upload_failure(exc: Exception) -> bool:
    """Whether ``exc`` is boto3's or s3transfer's wrapper of a failed upload or copy (the
    ClientError it wraps is what went wrong: a 412 to a part copy is ``S3CopyFailedError``)."""
    kind = type(exc).__name__
    if kind == "S3UploadFailedError":
        from boto3.exceptions import S3UploadFailedError

        return isinstance(exc, S3UploadFailedError)
    if kind == "S3CopyFailedError":
        from s3transfer.exceptions import S3CopyFailedError

        return isinstance(exc, S3CopyFailedError)
    return False  # boto3 is imported only when it may be one


@contextlib.contextmanager
def s3_errors(what: str, bucket: str, endpoint: str = "") -> Iterator[None]:
    """Translate botocore, s3transfer and connection errors raised inside the block
    (``endpoint``: the URL a not-S3 answer names)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from urllib3.exceptions import HTTPError as Urllib3Error

    try:
        yield
    except (ClientError, BotoCoreError, Urllib3Error, ConnectionError, TimeoutError) as exc:
        raise classify(exc, what, bucket, endpoint) from exc
    except Exception as exc:
        if not _is_upload_failure(exc):
            raise
        raise classify(exc, what, bucket, endpoint) from exc

