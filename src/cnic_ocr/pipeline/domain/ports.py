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


class EventPublisher(Protocol):
    def publish(self, events: list[PipelineEvent]) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What came back over HTTP, before it is interpreted against the contract."""

    status_code: int
    body: bytes


class TransportError(Exception):
    """No HTTP answer: connect/read timeout or a connection failure (always worth a retry)."""


class OcrTransport(Protocol):
    #: Longest a connection attempt may take, on top of the read timeout.
    connect_timeout_seconds: float

    def post_image(self, image_b64: str, api_key: str, *, read_timeout_seconds: float) -> HttpAnswer:
        """POSTs ``img=<base64>`` form-urlencoded with ``X-API-Key``; raises TransportError."""
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


class OcrCallError(Exception):
    """No final answer: retries exhausted, key refused, or an answer outside the contract."""

    def __init__(self, reason: str, *, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class OcrClient(Protocol):
    def recognize(self, image: bytes, *, deadline: float) -> OcrAnswer:
        """One final answer for ``image`` before ``deadline`` (a Clock.monotonic() value).

        Raises OcrCallError when there is none.
        """
        ...
