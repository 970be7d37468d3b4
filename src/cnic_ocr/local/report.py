"""What a local run shows: the stored records, the published events and a one-line summary.

Read back from moto after the run (the records table, the queue the bus's events were copied
to, the dead-letter queue), so the output is what the pipeline really stored and published.
Identity numbers and names are masked unless ``show_pii`` is set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final
from urllib.parse import unquote_plus

from boto3.dynamodb.types import TypeDeserializer

from cnic_ocr.masking import mask_id_number, mask_id_numbers_in

#: Record statuses that are the uploader's input problem (the pipeline's "rejected" outcome).
REJECTED_STATUSES: Final = frozenset({"INVALID_REQUEST", "IMAGE_INVALID_FORMAT", "IMAGE_INVALID_SIZE"})
#: Item attributes holding names (masked to initials).
NAME_ATTRIBUTES: Final = ("name", "fatherName")
#: Item attributes that may hold an identity number inside an object key.
KEY_ATTRIBUTES: Final = ("recordId", "objectKey", "reusedFrom")
_MAX_CELL: Final = 42
_MAX_LAST_CELL: Final = 100
_DESERIALIZER: Final = TypeDeserializer()


@dataclass
class UploadOutcome:
    key: str
    record: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    dead_lettered: bool = False

    @property
    def status(self) -> str | None:
        return None if self.record is None else str(self.record.get("status"))

    @property
    def settled(self) -> bool:
        """Ended as the pipeline means to: a final record, or an ERROR record and the event kept in
        the dead-letter queue. Dead-lettered without any record means the function could not run
        at all (configuration, missing resource): an infrastructure failure, not an outcome."""
        if self.status is None:
            return False
        return self.status != "ERROR" or self.dead_lettered


# ---------------------------------------------------------------------- reading back from moto


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as JSON-ready data (numbers as int or float)."""
    return {name: _plain(_DESERIALIZER.deserialize(value)) for name, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | set):
        return [_plain(item) for item in value]
    return value


def scan_records(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page.get("Items", []):
            yield plain_item(item)


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message body of the queue (JSON), read once."""
    bodies: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=600
        )
        messages = answer.get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(json.loads(message["Body"]) for message in messages)


def dead_lettered_keys(invocation_records: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(bucket, key) of every upload inside Lambda's on-failure messages."""
    keys: set[tuple[str, str]] = set()
    for message in invocation_records:
        for record in (message.get("requestPayload") or {}).get("Records", []):
            s3 = record.get("s3", {})
            keys.add((s3["bucket"]["name"], unquote_plus(s3["object"]["key"])))
    return keys


def outcomes(
    bucket: str,
    keys: list[str],
    records: Iterable[dict[str, Any]],
    events: Iterable[dict[str, Any]],
    dead_letters: set[tuple[str, str]],
) -> list[UploadOutcome]:
    """One outcome per uploaded key, in upload order."""
    by_key = {key: UploadOutcome(key, dead_lettered=(bucket, key) in dead_letters) for key in keys}
    for record in records:
        if record.get("bucket") == bucket and record.get("objectKey") in by_key:
            by_key[record["objectKey"]].record = record
    for event in events:
        detail = event.get("detail") or {}
        if detail.get("bucket") == bucket and detail.get("objectKey") in by_key:
            by_key[detail["objectKey"]].events.append(event)
    return [by_key[key] for key in keys]


# ---------------------------------------------------------------------- masking


def mask_name(name: str) -> str:
    """``Janat Mirza`` → ``J**** M****``: enough to tell rows apart, not to identify anyone."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def masked_record(record: dict[str, Any]) -> dict[str, Any]:
    masked = dict(record)
    if isinstance(masked.get("idNumber"), str):
        masked["idNumber"] = mask_id_number(masked["idNumber"])
    for name in NAME_ATTRIBUTES:
        if isinstance(masked.get(name), str):
            masked[name] = mask_name(masked[name])
    for name in KEY_ATTRIBUTES:
        if isinstance(masked.get(name), str):
            masked[name] = mask_id_numbers_in(masked[name])
    return masked


# ---------------------------------------------------------------------- output


def json_lines(results: list[UploadOutcome], *, show_pii: bool) -> Iterator[str]:
    """``{"key", "record", "events"}`` per upload; the record masked unless ``show_pii``."""
    for result in results:
        record = result.record
        if record is not None and not show_pii:
            record = masked_record(record)
        line = {
            "key": result.key if show_pii else mask_id_numbers_in(result.key),
            "record": record,
            "events": [event.get("detail-type") for event in result.events],
        }
        yield json.dumps(line, ensure_ascii=False, sort_keys=False)


def records_table(results: list[UploadOutcome], *, prefix: str, show_pii: bool) -> str:
    headers = (
        "OBJECT KEY",
        "STATUS",
        "ID NUMBER",
        "NAME",
        "FATHER NAME",
        "G",
        "BIRTH",
        "ISSUE",
        "EXPIRY",
        "OCR",
        "NOTE",
    )
    rows = []
    for result in results:
        record = result.record or {}
        if record and not show_pii:
            record = masked_record(record)
        latency = record.get("ocrLatencyMs")
        rows.append(
            (
                _shown_key(result.key, prefix, show_pii),
                result.status or "(no record)",
                record.get("idNumber", ""),
                record.get("name", ""),
                record.get("fatherName", ""),
                record.get("gender", ""),
                record.get("birthDay", ""),
                record.get("issueDay", ""),
                record.get("expiryDay", ""),
                f"{latency} ms" if latency is not None else "",
                _note(result, record),
            )
        )
    return render_table(headers, rows)


def events_table(results: list[UploadOutcome], *, prefix: str, show_pii: bool) -> str:
    headers = ("OBJECT KEY", "DETAIL-TYPE", "STATUS", "MASKED ID", "SOURCE")
    rows = [
        (
            _shown_key(result.key, prefix, show_pii),
            str(event.get("detail-type", "")),
            str(event["detail"].get("status", "")),
            str(event["detail"].get("maskedIdNumber") or ""),
            str(event.get("source", "")),
        )
        for result in results
        for event in result.events
    ]
    return render_table(headers, rows) if rows else "(no events published)"


def summary_line(results: list[UploadOutcome], seconds: float) -> str:
    statuses = [result.status for result in results]
    rejected = sum(status in REJECTED_STATUSES for status in statuses)
    parts = [
        f"{statuses.count('OK')} OK",
        f"{statuses.count('FAIL')} FAIL",
        f"{rejected} rejected",
        f"{statuses.count('ERROR')} error",
        f"{sum(result.dead_lettered for result in results)} in the dead-letter queue",
    ]
    missing = statuses.count(None)
    if missing:
        parts.append(f"{missing} without a record")
    return f"processed {len(results)} uploads in {seconds:.1f} s: " + ", ".join(parts)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Aligned columns; long cells cut (the last column, usually a note, less so)."""
    cells = [
        [
            _cell(value, _MAX_LAST_CELL if column == len(headers) - 1 else _MAX_CELL)
            for column, value in enumerate(row)
        ]
        for row in rows
    ]
    widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=True)]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(headers), *cells]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown_key(key: str, prefix: str, show_pii: bool) -> str:
    shown = key.removeprefix(prefix)
    return shown if show_pii else mask_id_numbers_in(shown)


def _note(result: UploadOutcome, record: dict[str, Any]) -> str:
    """Why it is not OK first, then what the pipeline did on the way."""
    notes: list[str] = []
    if record.get("status") not in (None, "OK"):
        notes.append(str(record.get("reason") or record.get("message") or ""))
    if result.dead_lettered:
        notes.append("in the dead-letter queue")
    if record.get("reusedFrom"):
        notes.append(f"answer reused from {record['reusedFrom']}")
    size, sent = record.get("sizeBytes"), record.get("sentBytes")
    if isinstance(size, int) and isinstance(sent, int) and sent < size:
        notes.append(f"sent {sent // 1000} KB of {size // 1000} KB")
    if record.get("attempts", 0) > 1:
        notes.append(f"{record['attempts']} OCR attempts")
    return "; ".join(note for note in notes if note)
