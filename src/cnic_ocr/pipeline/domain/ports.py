"""The edges the flow talks through; adapters implement them, tests fake them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cnic_ocr.contract import ErrorResponse, OkResponse
from cnic_ocr.pipeline.domain.events import PipelineEvent
from cnic_ocr.pipeline.domain.models import ObjectInfo
from cnic_ocr.records.model import ProcessingRecord


class ObjectNotFoundError(Exception):
    """The object (or the version named by the event) no longer exists."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    info: ObjectInfo
    #: The bytes, or None when the object is larger than the reader was allowed to read.
    data: bytes | None


class ObjectStore(Protocol):
    def fetch(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        """One GET: the object's metadata, and its bytes unless it is over ``max_bytes``.

        Raises ObjectNotFoundError, or ConfigurationError for a missing bucket.
        """
        ...


class RecordRepository(Protocol):
    def get(self, record_id: str) -> ProcessingRecord | None: ...

    def find_reusable(self, image_sha256: str) -> ProcessingRecord | None:
        """The newest final answer the OCR provider gave for these exact bytes, if any."""
        ...

    def save(self, record: ProcessingRecord) -> bool:
        """Stores the record unless a newer upload, or a final result of this one, is stored.

        Returns False when the stored item won (the write was refused by its condition).
        """
        ...

    def count_billable_call(self, record_id: str, sequencer: str, *, limit: int) -> tuple[bool, int]:
        """Durably counts one more possibly billed OCR call for the upload ``sequencer`` of the record.

        Refused when ``limit`` calls are counted already. Returns (counted, the count now).
        """
        ...

    def uncount_billable_call(self, record_id: str, sequencer: str) -> int:
        """Takes back the last count (the call's answer shows it was not billed); the count now."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: list[PipelineEvent]) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What came back over HTTP, before it is interpreted against the contract."""

    status_code: int
    body: bytes


class TransportError(Exception):
    """No HTTP answer: connect/read timeout or a connection failure (always worth a retry).

    ``reached_provider`` is False only when the request provably never left (connection
    refused, connect timeout, name or TLS failure); after a read timeout or a dropped
    connection the provider may have done, and billed, the work.
    """

    def __init__(self, reason: str, *, reached_provider: bool) -> None:
        super().__init__(reason)
        self.reached_provider = reached_provider


class OcrTransport(Protocol):
    #: Longest a connection attempt may take, on top of the read timeout.
    connect_timeout_seconds: float

    def post_image(self, image_b64: str, api_key: str, *, read_timeout_seconds: float) -> HttpAnswer:
        """POSTs ``img=<base64>`` form-urlencoded with ``X-API-Key``; raises TransportError."""
        ...


class BillableCalls(Protocol):
    """One upload's budget of OCR calls that may be billed, kept across invocations and redrives."""

    limit: int

    @property
    def count(self) -> int:
        """Calls counted so far (including earlier invocations of the same upload)."""
        ...

    def reserve(self) -> bool:
        """Counts the next call before it is made; False (and nothing counted) when the budget is spent."""
        ...

    def release(self) -> None:
        """Uncounts the call just reserved: its answer shows it was not billed."""
        ...


class ApiKeySource(Protocol):
    def get(self, *, refresh: bool = False) -> str:
        """The current API key; ``refresh`` bypasses the cache (after a 403: key rotated)."""
        ...


@dataclass(frozen=True, slots=True)
class OcrAnswer:
    """A final contract answer (OK, FAIL or INVALID_*) and what it took to get it."""

    response: OkResponse | ErrorResponse
    provider: str
    attempts: int
    latency_ms: int
    #: Calls of this upload that may have been billed, this answer's included, all invocations.
    billable_calls: int = 0


class OcrCallError(Exception):
    """No final answer: retries exhausted, key refused, budget spent, or an answer outside the contract."""

    def __init__(self, reason: str, *, attempts: int, billable_calls: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.billable_calls = billable_calls


class OcrClient(Protocol):
    def recognize(self, image: bytes, *, deadline: float, budget: BillableCalls) -> OcrAnswer:
        """One final answer for ``image`` before ``deadline`` (a Clock.monotonic() value).

        Every call that may be billed is counted in ``budget`` before it is made, and none is
        made once it is spent. Raises OcrCallError when there is no final answer.
        """
        ...
