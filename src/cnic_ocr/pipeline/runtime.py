"""Wires the flow to AWS: clients, adapters and the idempotent per-object step, once per process.

Shared by the Lambda handler and the redrive command, so both run exactly the same code.
Building it checks the tables and reads the API key, so a wrong table name or a missing secret
fails the cold start with one clear log line instead of failing every upload later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from cnic_ocr.clock import SystemClock
from cnic_ocr.errors import ConfigurationError
from cnic_ocr.pipeline.adapters.api_key_source import SecretsManagerApiKeySource
from cnic_ocr.pipeline.adapters.eventbridge_publisher import EventBridgePublisher
from cnic_ocr.pipeline.adapters.ocr_http import RequestsOcrTransport
from cnic_ocr.pipeline.adapters.s3_store import S3ObjectStore
from cnic_ocr.pipeline.domain.models import UploadRef
from cnic_ocr.pipeline.domain.ocr import RetryingOcrClient, RetryPolicy
from cnic_ocr.pipeline.flow import Disposition, Ports, ProcessingResult, process_upload
from cnic_ocr.pipeline.settings import PipelineSettings
from cnic_ocr.records.dynamodb import DynamoDbRecordRepository
from cnic_ocr.records.model import Outcome, RecordStatus

logger = logging.getLogger(__name__)

#: Shared by every caller (Lambda, redrive) so a redriven upload hits the same idempotency keys.
IDEMPOTENCY_KEY_PREFIX = "cnic-upload"
#: One upload = bucket + key + the version, or the ETag when the bucket is not versioned.
IDEMPOTENCY_KEY_PATH = "[bucket, key, version_id || etag]"
#: One botocore session per process: its service models are loaded once, however many runtimes.
_SESSION = boto3.session.Session()


class UploadSummary(BaseModel):
    """What one upload came to: kept by the idempotency store, reported and counted by the handler.

    Stored and reported as camelCase JSON (:meth:`as_json`), as the handler has always returned it.
    """

    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )

    disposition: Disposition
    record_id: str | None = None
    status: RecordStatus | None = None
    outcome: Outcome | None = None
    attempts: int = 0
    ocr_latency_ms: int | None = None
    reused: bool = False
    bytes_read: int | None = None
    bytes_sent: int | None = None
    reencoded: bool = False
    #: The idempotency store answered (a duplicate delivery): nothing was processed this time.
    idempotent_replay: bool = False

    @classmethod
    def of(cls, result: ProcessingResult) -> UploadSummary:
        record = result.record
        return cls(
            disposition=result.disposition,
            record_id=record.record_id if record else None,
            status=record.status if record else None,
            outcome=record.outcome if record else None,
            attempts=record.attempts if record else 0,
            ocr_latency_ms=record.ocr_latency_ms if record else None,
            reused=bool(record and record.reused_from),
            bytes_read=result.bytes_read,
            bytes_sent=result.bytes_sent,
            reencoded=result.reencoded,
        )

    def as_json(self) -> dict[str, Any]:
        """camelCase JSON; ``idempotentReplay`` appears on replays only."""
        replay = None if self.idempotent_replay else {"idempotent_replay"}
        return self.model_dump(mode="json", by_alias=True, exclude=replay)


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: PipelineSettings
    ports: Ports
    idempotency: IdempotencyConfig
    #: The idempotent flow step: ``(upload=UploadRef, deadline=float) -> UploadSummary.as_json()``.
    process_idempotently: Callable[..., dict[str, Any]]

    def process(self, upload: UploadRef, *, deadline: float) -> UploadSummary:
        """One upload through the flow, or its stored summary if it was processed already."""
        return UploadSummary.model_validate(self.process_idempotently(upload=upload, deadline=deadline))


def _mark_replay(response: Any, idempotent_data: DataRecord) -> Any:
    if isinstance(response, dict):
        return UploadSummary.model_validate(response).model_copy(update={"idempotent_replay": True}).as_json()
    return response


def build_runtime(settings: PipelineSettings | None = None, *, session: Any = None) -> Runtime:
    """Creates clients and adapters; raises ConfigurationError when a resource is missing."""
    settings = settings or PipelineSettings()  # type: ignore[call-arg]  # fields come from the environment
    session = session or _SESSION
    # Standard retry mode: throttling and transient AWS errors are retried by botocore itself.
    aws_config = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20)
    dynamodb = session.client("dynamodb", config=aws_config)

    records = DynamoDbRecordRepository(dynamodb, settings.records_table_name)
    records.check_table()
    _check_idempotency_table(dynamodb, settings.idempotency_table_name)

    clock = SystemClock()
    keys = SecretsManagerApiKeySource(
        SecretsProvider(boto3_client=session.client("secretsmanager", config=aws_config)),
        settings.api_key_secret_name,
        max_age_seconds=settings.api_key_cache_seconds,
    )
    keys.get()  # fail fast on a missing or empty secret

    ocr = RetryingOcrClient(
        RequestsOcrTransport(
            settings.ocr_endpoint, connect_timeout_seconds=settings.ocr_connect_timeout_seconds
        ),
        keys,
        clock,
        RetryPolicy(
            max_attempts=settings.ocr_max_attempts,
            budget_seconds=settings.ocr_retry_budget_seconds,
            backoff_base_seconds=settings.ocr_backoff_base_seconds,
            backoff_cap_seconds=settings.ocr_backoff_cap_seconds,
            read_timeout_seconds=settings.ocr_read_timeout_seconds,
        ),
        provider=urlsplit(settings.ocr_endpoint).hostname or settings.ocr_endpoint,
    )
    ports = Ports(
        store=S3ObjectStore(session.client("s3", config=aws_config)),
        records=records,
        events=EventBridgePublisher(session.client("events", config=aws_config), settings.event_bus_name),
        ocr=ocr,
        clock=clock,
    )

    idempotency = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_PATH,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_seconds,
        response_hook=_mark_replay,
    )

    def process_one(*, upload: UploadRef, deadline: float) -> dict[str, Any]:
        return UploadSummary.of(process_upload(upload, ports, settings, deadline=deadline)).as_json()

    process = idempotent_function(
        process_one,
        data_keyword_argument="upload",
        persistence_store=DynamoDBPersistenceLayer(
            table_name=settings.idempotency_table_name, boto3_client=dynamodb
        ),
        config=idempotency,
        key_prefix=IDEMPOTENCY_KEY_PREFIX,
    )
    return Runtime(settings=settings, ports=ports, idempotency=idempotency, process_idempotently=process)


def _check_idempotency_table(dynamodb: Any, table_name: str) -> None:
    try:
        dynamodb.describe_table(TableName=table_name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise ConfigurationError(f"idempotency table {table_name!r} does not exist") from exc
        raise
