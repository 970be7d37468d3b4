"""The upload pipeline's configuration, read once per process from environment variables."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, HttpUrl
from pydantic_settings import BaseSettings, SettingsConfigDict

from cnic_ocr.contract import OCR_PATH
from cnic_ocr.upload_bucket import DEFAULT_UPLOAD_PREFIX, MAX_OBJECT_BYTES, S3KeyPrefix

PositiveSeconds = Annotated[float, Field(gt=0)]


class PipelineSettings(BaseSettings):
    """Every knob of the upload function; names are the environment variables, upper-cased.

    Only the four resource names/URL are required: the rest have production defaults.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    records_table_name: str = Field(min_length=3, description="DynamoDB table of upload records")
    idempotency_table_name: str = Field(min_length=3, description="DynamoDB table of Powertools Idempotency")
    event_bus_name: str = Field(default="default", min_length=1, description="EventBridge bus name or ARN")
    api_key_secret_name: str = Field(min_length=1, description="Secrets Manager secret holding the X-API-Key")
    ocr_api_url: HttpUrl = Field(description="Base URL of the OCR API; /v1/pk_ocr/general is appended")

    upload_prefix: S3KeyPrefix = Field(
        default=DEFAULT_UPLOAD_PREFIX, description="Only keys under this prefix are processed"
    )
    event_source: str = Field(default="cnic-ocr.upload-pipeline", min_length=1)
    include_pii_in_events: bool = Field(
        default=False, description="Put names and the full number in events (default: masked number only)"
    )
    dedupe_by_sha256: bool = Field(
        default=True, description="Reuse an earlier provider answer for identical image bytes"
    )
    record_ttl_days: int = Field(default=0, ge=0, description="Expire records after N days; 0 keeps them")

    ocr_connect_timeout_seconds: PositiveSeconds = 3.05
    ocr_read_timeout_seconds: PositiveSeconds = 20.0
    ocr_max_attempts: int = Field(default=4, ge=1, le=10)
    ocr_max_billable_calls: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Possibly billed OCR calls per upload (read timeouts count), over retries and redrives",
    )
    ocr_retry_budget_seconds: PositiveSeconds = Field(
        default=75.0, description="Wall-clock budget for all OCR attempts of one object"
    )
    ocr_backoff_base_seconds: PositiveSeconds = 0.5
    ocr_backoff_cap_seconds: PositiveSeconds = 8.0
    lambda_safety_margin_seconds: PositiveSeconds = Field(
        default=10.0, description="Time kept free before the Lambda timeout to record the outcome"
    )
    api_key_cache_seconds: int = Field(default=300, ge=0)

    max_send_bytes: int = Field(
        default=200_000, gt=0, description="Images above this are re-encoded/downscaled before the OCR call"
    )
    min_long_side_px: int = Field(
        default=1200, ge=320, description="Downscaling keeps at least this long side"
    )
    max_object_bytes: int = Field(
        default=MAX_OBJECT_BYTES, gt=0, description="Larger objects are rejected without being read"
    )
    idempotency_ttl_seconds: int = Field(default=24 * 3600, gt=0)

    @property
    def ocr_endpoint(self) -> str:
        """The contract's route under the configured base URL (accepted with or without it)."""
        base = str(self.ocr_api_url).rstrip("/")
        return base if base.endswith(OCR_PATH) else base + OCR_PATH
