"""Reads uploads from S3 (the ObjectStore port)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cnic_ocr.errors import ConfigurationError
from cnic_ocr.pipeline.domain.models import ObjectInfo
from cnic_ocr.pipeline.domain.ports import ObjectNotFoundError, StoredObject

_MISSING_OBJECT = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchVersion"})


class S3ObjectStore:
    def __init__(self, client: Any) -> None:
        self._client = client

    def fetch(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        try:
            answer = self._client.get_object(**_address(bucket, key, version_id))
        except ClientError as exc:
            raise self._translate(exc, bucket) from exc
        info = ObjectInfo(
            size=answer["ContentLength"],
            etag=answer.get("ETag"),
            version_id=answer.get("VersionId"),
            content_type=answer.get("ContentType"),
        )
        body = answer["Body"]
        if info.size > max_bytes:
            body.close()  # the headers were enough: never pull an oversize object into memory
            return StoredObject(info, None)
        data: bytes = body.read()
        return StoredObject(info, data)

    def _translate(self, exc: ClientError, bucket: str) -> Exception:
        """A missing object is the upload's problem; a missing bucket or a denial is the deployment's."""
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket" or (code in _MISSING_OBJECT and not self._bucket_exists(bucket)):
            return ConfigurationError(f"bucket {bucket!r} does not exist")
        if code in _MISSING_OBJECT:
            return ObjectNotFoundError(code)
        if code in ("403", "AccessDenied"):
            return ConfigurationError(f"access to bucket {bucket!r} denied: check the function's policy")
        unchanged: Exception = exc
        return unchanged

    def _bucket_exists(self, bucket: str) -> bool:
        try:
            self._client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise
        return True


def _address(bucket: str, key: str, version_id: str | None) -> dict[str, str]:
    address = {"Bucket": bucket, "Key": key}
    if version_id and version_id != "null":  # "null" is S3's id of the pre-versioning object
        address["VersionId"] = version_id
    return address
