"""The record of one uploaded object: the pipeline writes it, the mobile API reads it.

One item of the records table per object (``recordId`` = ``<bucket>/<key>``); its layout is
versioned with the pipeline's event detail (:data:`SCHEMA_VERSION`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from cnic_ocr.contract import CnicFields, OcrStatus

#: Version of the record layout and of the event detail; bump on an incompatible change.
SCHEMA_VERSION: Literal[1] = 1

#: S3 sequencers are hex strings of varying length, ordered after right-padding with zeros
#: (S3 event message structure docs). Stored padded so DynamoDB can compare them as strings.
SEQUENCER_WIDTH = 64


def normalize_sequencer(sequencer: str | None) -> str:
    """A fixed-width, upper-case sequencer; a missing one sorts before every real one."""
    value = (sequencer or "").strip().upper()
    if len(value) > SEQUENCER_WIDTH or any(c not in "0123456789ABCDEF" for c in value):
        raise ValueError(f"not an S3 sequencer: {sequencer!r}")
    return value.ljust(SEQUENCER_WIDTH, "0")


class RecordStatus(StrEnum):
    """The contract's statuses a record can end in, plus ERROR for the pipeline's own failures."""

    OK = OcrStatus.OK.value
    FAIL = OcrStatus.FAIL.value
    INVALID_REQUEST = OcrStatus.INVALID_REQUEST.value
    IMAGE_INVALID_FORMAT = OcrStatus.IMAGE_INVALID_FORMAT.value
    IMAGE_INVALID_SIZE = OcrStatus.IMAGE_INVALID_SIZE.value
    ERROR = "ERROR"


class Outcome(StrEnum):
    """The four kinds of event the pipeline publishes."""

    RECOGNIZED = "recognized"
    FAILED = "failed"
    REJECTED = "rejected"
    ERROR = "error"


OUTCOME_OF_STATUS: dict[RecordStatus, Outcome] = {
    RecordStatus.OK: Outcome.RECOGNIZED,
    RecordStatus.FAIL: Outcome.FAILED,
    RecordStatus.INVALID_REQUEST: Outcome.REJECTED,
    RecordStatus.IMAGE_INVALID_FORMAT: Outcome.REJECTED,
    RecordStatus.IMAGE_INVALID_SIZE: Outcome.REJECTED,
    RecordStatus.ERROR: Outcome.ERROR,
}

#: Statuses a later delivery of the same upload must not overwrite (everything but ERROR).
FINAL_STATUSES = frozenset(s for s in RecordStatus if s is not RecordStatus.ERROR)


class ProcessingRecord(BaseModel):
    """The stored outcome for one uploaded object (one DynamoDB item, camelCase attributes)."""

    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )

    schema_version: Literal[1] = SCHEMA_VERSION
    record_id: str
    bucket: str
    object_key: str
    version_id: str | None = None
    etag: str | None = None
    sequencer: str
    image_sha256: str | None = None
    size_bytes: int | None = None
    sent_bytes: int | None = None
    image_format: str | None = None
    status: RecordStatus
    message: str | None = None  # the contract's message; None when OK
    reason: str | None = None
    fields: CnicFields | None = None
    provider: str | None = None
    attempts: int = Field(default=0, ge=0)
    #: OCR calls of this upload that may have been billed, over every invocation and redrive.
    billable_calls: int = Field(default=0, ge=0)
    ocr_latency_ms: int | None = None
    reused_from: str | None = None
    created_at: datetime
    updated_at: datetime
    expires_at: int | None = None

    @property
    def outcome(self) -> Outcome:
        return OUTCOME_OF_STATUS[self.status]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_provider_answer(self) -> bool:
        """A final answer the OCR provider gave (and may have billed): worth reusing by SHA-256."""
        return self.is_final and self.provider is not None
