"""The upload function: S3 object-created notification → the flow, once per object.

Thin on purpose: parse the event (Powertools Parser), decode keys, run the idempotent flow
step for each object, turn its summaries into metrics. A failed upload fails the invocation
after its ERROR record is written, so Lambda's async retries and then the on-failure
destination (the dead-letter queue) keep the event.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol, cast
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.parser.exceptions import InvalidModelTypeError
from aws_lambda_powertools.utilities.parser.models import S3Model, S3RecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from cnic_ocr.errors import ConfigurationError
from cnic_ocr.masking import mask_id_numbers_in
from cnic_ocr.pipeline.domain.models import UploadRef
from cnic_ocr.pipeline.flow import Disposition, UploadFailedError
from cnic_ocr.pipeline.runtime import Runtime, UploadSummary, build_runtime

SERVICE = "upload-pipeline"
METRICS_NAMESPACE = "CnicOcr"
#: Correlation id: the S3 request that created the object.
S3_REQUEST_ID_PATH = 'Records[0].responseElements."x-amz-request-id"'

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
# The core logs through the standard library; give it the same JSON format and correlation id.
copy_config_to_registered_loggers(source_logger=logger, include={"cnic_ocr"})


class InvocationContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class NotAnS3NotificationError(ValueError):
    """The function was invoked with something else than an S3 notification."""


class UploadsFailedError(Exception):
    """Some objects of this invocation have no final result yet; Lambda will retry the event."""


@functools.cache
def get_runtime() -> Runtime:
    """Clients, adapters and settings, built at the first invocation of each process."""
    try:
        return build_runtime()
    except ConfigurationError as exc:
        logger.critical(f"configuration error, nothing can be processed: {exc}")
        raise
    except ValidationError as exc:  # pydantic-settings: missing/invalid environment variables
        logger.critical(f"invalid settings in the environment: {exc}")
        raise


@logger.inject_lambda_context(correlation_id_path=S3_REQUEST_ID_PATH)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_event(event, context, get_runtime())


def handle_event(event: dict[str, Any], context: InvocationContext, runtime: Runtime) -> dict[str, Any]:
    """Processes every object-created record of ``event``; raises UploadsFailedError if any failed."""
    try:
        uploads = uploads_in(event)
    except NotAnS3NotificationError:
        metrics.add_metric(name="InvalidEvents", unit=MetricUnit.Count, value=1)
        raise
    if skipped := len(event.get("Records", [])) - len(uploads):
        metrics.add_metric(name="SkippedRecords", unit=MetricUnit.Count, value=skipped)
        logger.info("records other than object-created skipped", extra={"skipped": skipped})
    # Idempotency only asks the context for the remaining time, which InvocationContext provides.
    runtime.idempotency.register_lambda_context(cast(LambdaContext, context))
    clock = runtime.ports.clock
    deadline = (
        clock.monotonic()
        + context.get_remaining_time_in_millis() / 1000
        - runtime.settings.lambda_safety_margin_seconds
    )
    summaries: list[dict[str, Any]] = []
    failed: list[str] = []
    for upload in uploads:
        masked_key = mask_id_numbers_in(upload.key)
        try:
            summary = runtime.process(upload, deadline=deadline)
        except UploadFailedError as exc:
            metrics.add_metric(name="Error", unit=MetricUnit.Count, value=1)
            metrics.add_metric(name="OcrAttempts", unit=MetricUnit.Count, value=exc.record.attempts)
            logger.error(
                "upload failed; it will be retried",
                extra={"object_key": masked_key, "reason": exc.record.reason},
            )
            failed.append(masked_key)
            continue
        except IdempotencyAlreadyInProgressError:
            logger.warning(
                "the same upload is being processed by another invocation", extra={"object_key": masked_key}
            )
            failed.append(masked_key)
            continue
        except ConfigurationError as exc:
            metrics.add_metric(name="ConfigurationErrors", unit=MetricUnit.Count, value=1)
            logger.critical(f"configuration error, nothing can be processed: {exc}")
            raise
        except Exception as exc:
            # AWS unavailable, events refused, ...: Lambda retries the whole event; finished uploads
            # are answered from the idempotency store and their records. (The runtime logs the trace.)
            metrics.add_metric(name="UnexpectedErrors", unit=MetricUnit.Count, value=1)
            logger.error(
                "upload interrupted; the event will be retried",
                extra={"object_key": masked_key, "error_type": type(exc).__name__},
            )
            raise
        _record_metrics(summary)
        summaries.append(summary.as_json())
    if failed:
        raise UploadsFailedError(f"{len(failed)} upload(s) without a final result: {', '.join(failed)}")
    return {"processed": summaries}


def uploads_in(event: dict[str, Any]) -> list[UploadRef]:
    """The object-created records of an S3 notification, keys URL-decoded (``+`` is a space)."""
    try:
        notification = parse(event=event, model=S3Model)
        records = [r for r in notification.Records if r.eventName.startswith("ObjectCreated")]
        return [upload_from(record) for record in records]
    except (ValidationError, InvalidModelTypeError) as exc:
        logger.error("event is not an S3 notification", extra={"error": str(exc)[:500]})
        raise NotAnS3NotificationError(str(exc)[:500]) from exc


def upload_from(record: S3RecordModel) -> UploadRef:
    obj = record.s3.object
    if obj is None:
        raise NotAnS3NotificationError("object-created record without an object")
    return UploadRef(
        bucket=record.s3.bucket.name,
        key=unquote_plus(obj.key),
        version_id=obj.versionId,
        etag=obj.eTag,
        size=int(obj.size) if obj.size is not None else None,
        sequencer=obj.sequencer,
        request_id=record.responseElements.x_amz_request_id,
        event_time=record.eventTime,
    )


def _record_metrics(summary: UploadSummary) -> None:
    if summary.idempotent_replay:
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
        return
    if summary.disposition is not Disposition.RECORDED:  # duplicate, superseded or ignored: nothing new
        metrics.add_metric(name=summary.disposition.value.capitalize(), unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name=str(summary.outcome).capitalize(), unit=MetricUnit.Count, value=1)
    if summary.reused:
        metrics.add_metric(name="ReusedBySha256", unit=MetricUnit.Count, value=1)
    if summary.attempts > 1:
        metrics.add_metric(name="OcrRetries", unit=MetricUnit.Count, value=summary.attempts - 1)
    if summary.ocr_latency_ms is not None:
        metrics.add_metric(name="OcrLatency", unit=MetricUnit.Milliseconds, value=summary.ocr_latency_ms)
    if summary.reencoded and summary.bytes_read is not None and summary.bytes_sent is not None:
        metrics.add_metric(name="BytesBeforeDownscale", unit=MetricUnit.Bytes, value=summary.bytes_read)
        metrics.add_metric(name="BytesAfterDownscale", unit=MetricUnit.Bytes, value=summary.bytes_sent)
