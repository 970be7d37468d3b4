"""The uploads API's adapters on AWS (S3 presigned POST, object listing), settings and wiring.

Used by the Lambda function (``lambda_handler.py``) and by anything serving the uploads locally
against moto's server (point boto3 at it with ``AWS_ENDPOINT_URL``). The records table's adapter
is shared with the pipeline (``cnic_ocr.records.dynamodb``).
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cnic_ocr.clock import SystemClock
from cnic_ocr.mobile.core import (
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_SLOT_SECONDS,
    PostPolicy,
    PresignedPost,
    SlotSettings,
    UploadIdSigner,
    UploadsApi,
)
from cnic_ocr.records.dynamodb import DynamoDbRecordRepository
from cnic_ocr.upload_bucket import DEFAULT_UPLOAD_PREFIX, MAX_OBJECT_BYTES, S3KeyPrefix

#: SigV4 (buckets created since 2020 refuse SigV2 posts) and virtual-hosted URLs on the bucket's
#: regional endpoint (``https://<bucket>.s3.<region>.amazonaws.com/``; without it boto3 names
#: the global endpoint, which redirects a new bucket's posts outside us-east-1).
PRESIGN_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})


class UploadsSettings(BaseSettings):
    """Environment variables of the uploads function (names upper-cased)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    upload_bucket_name: str = Field(min_length=3, description="bucket the pipeline watches")
    upload_prefix: S3KeyPrefix = Field(
        default=DEFAULT_UPLOAD_PREFIX, description="the pipeline's UPLOAD_PREFIX"
    )
    records_table_name: str = Field(min_length=3, description="the pipeline's records table")
    upload_id_secret_name: str = Field(
        min_length=1, description="Secrets Manager secret that signs upload ids and derives key ids"
    )
    upload_slot_seconds: int = Field(default=DEFAULT_SLOT_SECONDS, ge=10, le=3600)
    # The pipeline rejects objects over its MAX_OBJECT_BYTES default unread: slots stay below it.
    upload_max_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, ge=1, le=MAX_OBJECT_BYTES)


class S3PostPresigner:
    """Presigned POSTs; the client must be made with :data:`PRESIGN_CONFIG`."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def presign_post(self, policy: PostPolicy) -> PresignedPost:
        # Every field handed out must also be a condition, or S3 refuses the post.
        fields = {"Content-Type": policy.content_type, **policy.metadata}
        conditions: list[Any] = [{name: value} for name, value in fields.items()]
        conditions.append(["content-length-range", policy.min_bytes, policy.max_bytes])
        answer = self._s3.generate_presigned_post(
            Bucket=policy.bucket,
            Key=policy.key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=policy.expires_in,
        )
        return PresignedPost(url=str(answer["url"]), fields={k: str(v) for k, v in answer["fields"].items()})


class S3UploadedObjects:
    """Whether an object exists, by listing its exact key (s3:ListBucket: no read of the image)."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def exists(self, bucket: str, key: str) -> bool:
        # The key itself sorts first among the keys it prefixes.
        answer = self._s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(item.get("Key") == key for item in answer.get("Contents", []))


def signer_from_secret(secrets: SecretsProvider, secret_name: str) -> UploadIdSigner:
    value = secrets.get(secret_name)
    text = value.decode() if isinstance(value, bytes) else str(value or "")
    return UploadIdSigner(text.strip().encode("utf-8"))


def build_uploads_api(settings: UploadsSettings | None = None, *, session: Any = None) -> UploadsApi:
    """Clients, adapters and the signing secret (read once); raises if the secret is missing or short."""
    settings = settings or UploadsSettings()  # type: ignore[call-arg]  # fields come from the environment
    session = session or boto3.session.Session()
    aws_config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=5)
    s3 = session.client("s3", config=aws_config.merge(PRESIGN_CONFIG))
    secrets = SecretsProvider(boto3_client=session.client("secretsmanager", config=aws_config))
    return UploadsApi(
        presigner=S3PostPresigner(s3),
        records=DynamoDbRecordRepository(
            session.client("dynamodb", config=aws_config), settings.records_table_name
        ),
        objects=S3UploadedObjects(s3),
        signer=signer_from_secret(secrets, settings.upload_id_secret_name),
        settings=SlotSettings(
            bucket=settings.upload_bucket_name,
            prefix=settings.upload_prefix,
            slot_seconds=settings.upload_slot_seconds,
            max_bytes=settings.upload_max_bytes,
        ),
        clock=SystemClock(),
    )
