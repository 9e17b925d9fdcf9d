"""S3 data access: the only module that talks to S3 for the Lambdas.

Functions take the client as their first argument so callers (and tests) inject it.
S3 errors become the errors module's classes so the state machine can tell a missing
object (permanent) from a throttled bucket (retried).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.errors import InputMissingError, StorageUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectTypeDef

_TRANSIENT_CODES = {
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "503",
    "500",
}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def _translate(error: Exception, bucket: str, key: str) -> Exception:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in _MISSING_CODES:
            return InputMissingError(f"S3 object '{key}' does not exist in bucket '{bucket}'")
        if code in ("AccessDenied", "403"):
            # S3 hides a missing key behind 403 from callers that may not list the bucket.
            return InputMissingError(
                f"S3 object '{key}' does not exist in bucket '{bucket}' or may not be read"
            )
        if code in _TRANSIENT_CODES:
            return StorageUnavailableError(f"S3 was unavailable for '{key}' ({code}); will retry")
        return error
    if isinstance(error, BotoCoreError):
        return StorageUnavailableError(f"S3 request for '{key}' failed: {error}")
    return error


def read_bytes(s3: S3Client, bucket: str, key: str) -> bytes:
    """Return the object's bytes.

    Raises
    ------
    InputMissingError
        If there is no such object.
    StorageUnavailableError
        If S3 had a transient fault.
    """
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as error:
        raise _translate(error, bucket, key) from error


def write_bytes(s3: S3Client, bucket: str, key: str, data: bytes, content_type: str) -> None:
    """Store ``data`` at ``key`` (an S3 PUT is atomic: readers see all or nothing)."""
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    except (ClientError, BotoCoreError) as error:
        raise _translate(error, bucket, key) from error


def read_json(s3: S3Client, bucket: str, key: str) -> Any:
    return json.loads(read_bytes(s3, bucket, key))


def write_json(s3: S3Client, bucket: str, key: str, value: Any) -> None:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    write_bytes(s3, bucket, key, body, "application/json")


def exists(s3: S3Client, bucket: str, key: str) -> bool:
    """Whether ``key`` exists.

    S3 answers a HEAD for a missing key with 403, not 404, when the caller may not
    list the whole bucket; each function may list only its own prefixes, so a 403
    is settled by a listing of the key itself.
    """
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _MISSING_CODES:
            return False
        if code not in ("403", "AccessDenied", "Forbidden"):
            raise _translate(error, bucket, key) from error
    except BotoCoreError as error:
        raise _translate(error, bucket, key) from error
    try:
        page = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    except (ClientError, BotoCoreError) as error:
        raise _translate(error, bucket, key) from error
    return any(obj["Key"] == key for obj in page.get("Contents", []))


def list_objects(s3: S3Client, bucket: str, prefix: str) -> list[ObjectTypeDef]:
    """Every object under ``prefix`` (``Key``, ``LastModified``, …), all pages, in key order."""
    objects: list[ObjectTypeDef] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects.extend(page.get("Contents", []))
    except (ClientError, BotoCoreError) as error:
        raise _translate(error, bucket, prefix) from error
    return objects


def list_keys(s3: S3Client, bucket: str, prefix: str) -> list[str]:
    """Every key under ``prefix``, all pages, in S3's (lexicographic) order."""
    return [obj["Key"] for obj in list_objects(s3, bucket, prefix)]


#: How long a link signed with temporary credentials of unknown expiry (a Lambda role's
#: session) is promised for: the tutorial's hour. ``bgremove status --links`` re-signs.
UNKNOWN_SESSION_SECONDS = 3600


def link_lifetime(s3: S3Client, wanted: int) -> int:
    """Seconds a presigned URL signed by ``s3``'s credentials really lives, at most ``wanted``.

    A presigned URL dies with the credentials that signed it, whatever expiry it
    names: a role session's links last until the session ends.
    """
    credentials = getattr(getattr(s3, "_request_signer", None), "_credentials", None)
    expiry = getattr(credentials, "_expiry_time", None)
    if expiry is not None:
        remaining = int((expiry - datetime.now(UTC)).total_seconds()) - 60
        return max(1, min(wanted, remaining))
    if getattr(credentials, "token", None):
        return min(wanted, UNKNOWN_SESSION_SECONDS)
    return wanted


def presigned_url(s3: S3Client, bucket: str, key: str, expires_in: int) -> str:
    """A GET URL for a private object, valid ``expires_in`` seconds (tutorial: 3600)."""
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
    )
