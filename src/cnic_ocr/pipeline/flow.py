"""The upload flow: one S3 object in, one record and one event out, at most one paid OCR answer.

Framework-free: S3, DynamoDB, EventBridge, the OCR API and time arrive as ports, so the whole
flow runs in tests with fakes and in Lambda with the adapters the handler wires in.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cnic_ocr.clock import Clock
from cnic_ocr.contract import STATUS_MESSAGES, CnicFields, OcrStatus, OkResponse
from cnic_ocr.image_format import sniff_format
from cnic_ocr.masking import mask_id_number, mask_id_numbers_in
from cnic_ocr.pipeline.domain.events import PipelineEvent, event_for
from cnic_ocr.pipeline.domain.imaging import ImageRejectedError, PreparedImage, prepare_for_ocr
from cnic_ocr.pipeline.domain.models import UploadRef, normalize_etag
from cnic_ocr.pipeline.domain.ports import (
    EventPublisher,
    ObjectNotFoundError,
    ObjectStore,
    OcrCallError,
    OcrClient,
    RecordRepository,
)
from cnic_ocr.pipeline.settings import PipelineSettings
from cnic_ocr.records.model import ProcessingRecord, RecordStatus

logger = logging.getLogger(__name__)

#: The record message of an ERROR (the reason says what went wrong).
ERROR_MESSAGE = "processing failed; the upload will be retried"


class Disposition(StrEnum):
    """What the flow did with one notification."""

    RECORDED = "recorded"  # a record was written and its event published
    DUPLICATE = "duplicate"  # this upload already had a final record: event re-published, nothing paid
    SUPERSEDED = "superseded"  # a newer upload of the same key is (or will be) recorded instead
    IGNORED = "ignored"  # not under the upload prefix


@dataclass(frozen=True, slots=True)
class Ports:
    store: ObjectStore
    records: RecordRepository
    events: EventPublisher
    ocr: OcrClient
    clock: Clock


@dataclass(frozen=True, slots=True)
class ProcessingResult:
    disposition: Disposition
    record: ProcessingRecord | None = None
    bytes_read: int | None = None
    bytes_sent: int | None = None
    reencoded: bool = False


class UploadFailedError(Exception):
    """No final answer yet (OCR unavailable or broken): the record says ERROR, Lambda retries."""

    def __init__(self, record: ProcessingRecord) -> None:
        super().__init__(f"{mask_id_numbers_in(record.record_id)}: {record.reason}")
        self.record = record


def process_upload(
    upload: UploadRef, ports: Ports, settings: PipelineSettings, *, deadline: float
) -> ProcessingResult:
    """Processes one object-created notification; ``deadline`` is a ``ports.clock.monotonic()`` value.

    Raises UploadFailedError after recording an ERROR, so the invocation fails and is retried.
    """
    if not upload.key.startswith(settings.upload_prefix):
        logger.warning("object outside the upload prefix ignored", extra=_log_fields(upload))
        return ProcessingResult(Disposition.IGNORED)

    existing = ports.records.get(upload.record_id)
    if existing is not None and existing.sequencer > upload.order:
        logger.info("a newer upload of this key is already recorded", extra=_log_fields(upload))
        return ProcessingResult(Disposition.SUPERSEDED, existing)
    if existing is not None and existing.sequencer == upload.order and existing.is_final:
        logger.info("duplicate delivery: re-announcing the stored result", extra=_log_fields(upload))
        ports.events.publish([_event(existing, settings)])
        return ProcessingResult(Disposition.DUPLICATE, existing)

    recorder = _Recorder(upload, ports, settings, existing)
    try:
        stored = ports.store.fetch(
            upload.bucket, upload.key, upload.version_id, max_bytes=settings.max_object_bytes
        )
    except ObjectNotFoundError:
        return recorder.reject(RecordStatus.INVALID_REQUEST, "object no longer exists")
    info = stored.info
    if upload.version_id is None and upload.etag and normalize_etag(info.etag) != normalize_etag(upload.etag):
        logger.info("object replaced before it was processed", extra=_log_fields(upload))
        return ProcessingResult(Disposition.SUPERSEDED)
    recorder.etag = normalize_etag(info.etag) or normalize_etag(upload.etag)
    recorder.size_bytes = info.size
    if info.size == 0:
        return recorder.reject(RecordStatus.INVALID_REQUEST, "zero-byte object")
    if stored.data is None:
        return recorder.reject(
            RecordStatus.IMAGE_INVALID_SIZE,
            f"object is {info.size} bytes; the pipeline reads at most {settings.max_object_bytes}",
        )

    data = stored.data
    recorder.size_bytes = len(data)
    recorder.image_sha256 = hashlib.sha256(data).hexdigest()
    recorder.image_format = sniff_format(data)

    if settings.dedupe_by_sha256:
        earlier = ports.records.find_reusable(recorder.image_sha256)
        if earlier is not None:
            return recorder.reuse(earlier)

    try:
        prepared = prepare_for_ocr(
            data, max_send_bytes=settings.max_send_bytes, min_long_side=settings.min_long_side_px
        )
    except ImageRejectedError as rejected:
        return recorder.reject(rejected.status, rejected.reason)

    budget = RecordedBillableCalls(ports.records, upload, limit=settings.ocr_max_billable_calls)
    try:
        answer = ports.ocr.recognize(prepared.data, deadline=deadline, budget=budget)
    except OcrCallError as failure:
        return recorder.fail(failure, prepared)

    response = answer.response
    fields = response.message if isinstance(response, OkResponse) else None
    message = None if isinstance(response, OkResponse) else response.message
    return recorder.finish(
        RecordStatus(response.status.value),
        message=message,
        fields=fields,
        provider=answer.provider,
        attempts=answer.attempts,
        billable_calls=answer.billable_calls,
        ocr_latency_ms=answer.latency_ms,
        prepared=prepared,
    )


class RecordedBillableCalls:
    """The upload's budget of billable OCR calls, counted in its record (BillableCalls port).

    The count lives in the records table, not in this process, so Lambda's retries and
    redrives of the same upload see what earlier invocations spent.
    """

    def __init__(self, records: RecordRepository, upload: UploadRef, *, limit: int) -> None:
        self._records = records
        self._record_id = upload.record_id
        self._sequencer = upload.order
        self.limit = limit
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def reserve(self) -> bool:
        counted, self._count = self._records.count_billable_call(
            self._record_id, self._sequencer, limit=self.limit
        )
        return counted

    def release(self) -> None:
        self._count = self._records.uncount_billable_call(self._record_id, self._sequencer)


class _Recorder:
    """Builds, stores and announces the record of one upload as the flow learns about it."""

    def __init__(
        self,
        upload: UploadRef,
        ports: Ports,
        settings: PipelineSettings,
        existing: ProcessingRecord | None,
    ) -> None:
        self._upload = upload
        self._ports = ports
        self._settings = settings
        self._existing = existing
        self.etag: str | None = normalize_etag(upload.etag)
        self.size_bytes: int | None = upload.size
        self.image_sha256: str | None = None
        self.image_format: str | None = None

    def reject(self, status: RecordStatus, reason: str) -> ProcessingResult:
        return self.finish(status, message=STATUS_MESSAGES[OcrStatus(status.value)], reason=reason)

    def reuse(self, earlier: ProcessingRecord) -> ProcessingResult:
        return self.finish(
            earlier.status,
            message=earlier.message,
            reason=earlier.reason,
            fields=earlier.fields,
            provider=earlier.provider,
            reused_from=earlier.record_id,
        )

    def fail(self, failure: OcrCallError, prepared: PreparedImage) -> ProcessingResult:
        result = self.finish(
            RecordStatus.ERROR,
            message=ERROR_MESSAGE,
            reason=failure.reason,
            attempts=failure.attempts,
            billable_calls=failure.billable_calls,
            prepared=prepared,
        )
        if result.disposition is Disposition.RECORDED and result.record is not None:
            raise UploadFailedError(result.record) from failure
        return result  # a final result of this upload was stored meanwhile: nothing to retry

    def finish(
        self,
        status: RecordStatus,
        *,
        message: str | None,
        reason: str | None = None,
        fields: CnicFields | None = None,
        provider: str | None = None,
        attempts: int = 0,
        billable_calls: int = 0,
        ocr_latency_ms: int | None = None,
        reused_from: str | None = None,
        prepared: PreparedImage | None = None,
    ) -> ProcessingResult:
        upload = self._upload
        now = datetime.fromtimestamp(self._ports.clock.now_epoch(), UTC)
        ttl_days = self._settings.record_ttl_days
        record = ProcessingRecord.model_validate(
            {
                "record_id": upload.record_id,
                "bucket": upload.bucket,
                "object_key": upload.key,
                "version_id": upload.version_id,
                "etag": self.etag,
                "sequencer": upload.order,
                "image_sha256": self.image_sha256,
                "size_bytes": self.size_bytes,
                "sent_bytes": len(prepared.data) if prepared else None,
                "image_format": self.image_format,
                "status": status,
                "message": message,
                "reason": reason,
                "fields": fields,
                "provider": provider,
                "attempts": attempts,
                "billable_calls": billable_calls,
                "ocr_latency_ms": ocr_latency_ms,
                "reused_from": reused_from,
                "created_at": self._existing.created_at if self._existing else now,
                "updated_at": now,
                "expires_at": int(now.timestamp()) + ttl_days * 86_400 if ttl_days else None,
            }
        )
        log = _log_fields(upload) | {
            "status": record.status.value,
            "outcome": record.outcome.value,
            "masked_id_number": mask_id_number(record.fields.idNumber if record.fields else None),
            "reason": record.reason,
            "attempts": record.attempts,
            "billable_calls": record.billable_calls,
            "reused_from": mask_id_numbers_in(record.reused_from) if record.reused_from else None,
        }
        if not self._ports.records.save(record):
            logger.info("a newer or final result is stored already; not overwritten", extra=log)
            return ProcessingResult(Disposition.SUPERSEDED)
        self._ports.events.publish([_event(record, self._settings)])
        logger.info("upload recorded", extra=log)
        return ProcessingResult(
            Disposition.RECORDED,
            record,
            bytes_read=self.size_bytes,
            bytes_sent=len(prepared.data) if prepared else None,
            reencoded=prepared.reencoded if prepared else False,
        )


def _event(record: ProcessingRecord, settings: PipelineSettings) -> PipelineEvent:
    return event_for(record, source=settings.event_source, include_pii=settings.include_pii_in_events)


def _log_fields(upload: UploadRef) -> dict[str, object]:
    """What identifies an upload in logs; identity numbers in keys are masked."""
    return {
        "bucket": upload.bucket,
        "object_key": mask_id_numbers_in(upload.key),
        "version_id": upload.version_id,
        "sequencer": upload.sequencer,
    }
