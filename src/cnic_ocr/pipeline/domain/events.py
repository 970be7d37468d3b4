"""The EventBridge events the pipeline publishes: one per outcome, versioned detail schema.

``events/pipeline-event-detail.v1.schema.json`` is generated from ``UploadEventDetail``
(``python -m cnic_ocr.pipeline.domain.events``); a test keeps the file and the model equal.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from cnic_ocr.contract import CnicFields
from cnic_ocr.masking import mask_id_number
from cnic_ocr.records.model import SCHEMA_VERSION, Outcome, ProcessingRecord, RecordStatus

DETAIL_TYPES: dict[Outcome, str] = {
    Outcome.RECOGNIZED: "CNIC Upload Recognized",
    Outcome.FAILED: "CNIC Upload Failed",
    Outcome.REJECTED: "CNIC Upload Rejected",
    Outcome.ERROR: "CNIC Upload Error",
}


class UploadEventDetail(BaseModel):
    """The ``detail`` of every pipeline event (schema version 1).

    Personal data: only the masked identity number (``33100-*******-4``) unless the deployment
    sets INCLUDE_PII_IN_EVENTS, in which case ``fields`` carries the eight recognized fields.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        title="CnicUploadEventDetail",
    )

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, description="Bumped on an incompatible change")
    record_id: str = Field(description="Key of the DynamoDB record: '<bucket>/<objectKey>'")
    outcome: Outcome
    status: RecordStatus = Field(description="The contract's status, or ERROR for pipeline failures")
    message: str | None = Field(
        default=None, description="The contract's message for the status; null when OK"
    )
    reason: str | None = Field(default=None, description="Why the pipeline rejected or failed the upload")
    bucket: str
    object_key: str
    version_id: str | None = None
    etag: str | None = None
    image_sha256: str | None = None
    masked_id_number: str | None = Field(default=None, examples=["33100-*******-4"])
    reused_from: str | None = Field(default=None, description="Record whose answer was reused (same SHA-256)")
    attempts: int = Field(
        ge=0, description="OCR calls made for this upload by the invocation that recorded it"
    )
    billable_calls: int = Field(
        default=0,
        ge=0,
        description=(
            "OCR calls of this upload that may have been billed (answered OK/FAIL, timed out after"
            " sending, ...), over every invocation and redrive; at most OCR_MAX_BILLABLE_CALLS"
        ),
    )
    ocr_latency_ms: int | None = None
    occurred_at: datetime
    fields: CnicFields | None = Field(default=None, description="Only with INCLUDE_PII_IN_EVENTS=true")


class PipelineEvent(BaseModel):
    """One PutEvents entry before it is addressed to a bus."""

    model_config = ConfigDict(frozen=True)

    source: str
    detail_type: str
    detail: UploadEventDetail

    def detail_json(self) -> str:
        return self.detail.model_dump_json(by_alias=True)


def event_for(record: ProcessingRecord, *, source: str, include_pii: bool) -> PipelineEvent:
    """The event announcing ``record``'s outcome."""
    id_number = record.fields.idNumber if record.fields else None
    detail = UploadEventDetail(
        record_id=record.record_id,
        outcome=record.outcome,
        status=record.status,
        message=record.message,
        reason=record.reason,
        bucket=record.bucket,
        object_key=record.object_key,
        version_id=record.version_id,
        etag=record.etag,
        image_sha256=record.image_sha256,
        masked_id_number=mask_id_number(id_number),
        reused_from=record.reused_from,
        attempts=record.attempts,
        billable_calls=record.billable_calls,
        ocr_latency_ms=record.ocr_latency_ms,
        occurred_at=record.updated_at,
        fields=record.fields if include_pii else None,
    )
    return PipelineEvent(source=source, detail_type=DETAIL_TYPES[record.outcome], detail=detail)


def detail_json_schema() -> dict[str, Any]:
    """The JSON Schema of the detail, as published in ``events/``."""
    schema = UploadEventDetail.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["x-detail-types"] = {outcome.value: name for outcome, name in DETAIL_TYPES.items()}
    return schema


if __name__ == "__main__":
    json.dump(detail_json_schema(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
