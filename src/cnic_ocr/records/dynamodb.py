"""Upload records in DynamoDB (the RecordRepository port).

One item per object (partition key ``recordId`` = ``<bucket>/<key>``). The eight fields are
top-level attributes so ``idNumber`` can key a sparse secondary index; a second sparse index on
``imageSha256`` finds earlier answers for the same bytes. Every write is conditional on the
S3 sequencer so a late or duplicate delivery never replaces a newer or final result.

The item also counts the OCR calls of the upload that may have been billed (``billableCalls``,
for the upload ``billableSequencer``), before each call; when the first count comes before
any record, the item holds only the count until the record is written over it (``get``
treats such an item as no record yet).
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cnic_ocr.contract import CnicFields
from cnic_ocr.errors import ConfigurationError
from cnic_ocr.records.model import ProcessingRecord, RecordStatus

ID_NUMBER_INDEX = "byIdNumber"
IMAGE_SHA256_INDEX = "byImageSha256"

_FIELD_NAMES = tuple(CnicFields.model_fields)
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class DynamoDbRecordRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def check_table(self) -> None:
        """Fails fast at cold start when the configured table is missing."""
        try:
            self._client.describe_table(TableName=self._table)
        except ClientError as exc:
            raise self._translate(exc) from exc

    def get(self, record_id: str) -> ProcessingRecord | None:
        try:
            answer = self._client.get_item(
                TableName=self._table, Key={"recordId": {"S": record_id}}, ConsistentRead=True
            )
        except ClientError as exc:
            raise self._translate(exc) from exc
        item = answer.get("Item")
        return None if item is None or "status" not in item else record_from_item(item)

    def find_reusable(self, image_sha256: str) -> ProcessingRecord | None:
        """Newest first; ERROR and locally rejected records never count (nothing was answered)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=IMAGE_SHA256_INDEX,
            KeyConditionExpression="imageSha256 = :sha",
            ExpressionAttributeValues={":sha": {"S": image_sha256}},
            ScanIndexForward=False,
        )
        try:
            for page in pages:
                for item in page.get("Items", []):
                    record = record_from_item(item)
                    if record.is_provider_answer:
                        return record
        except ClientError as exc:
            raise self._translate(exc) from exc
        return None

    def save(self, record: ProcessingRecord) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item_from_record(record),
                ConditionExpression=(
                    "attribute_not_exists(recordId) OR sequencer < :sequencer"
                    " OR (sequencer = :sequencer AND #status = :error)"
                    # only the billable count of this (or an older) upload is stored so far
                    " OR (attribute_not_exists(#status) AND billableSequencer <= :sequencer)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":sequencer": {"S": record.sequencer},
                    ":error": {"S": RecordStatus.ERROR.value},
                },
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise self._translate(exc) from exc
        return True

    def count_billable_call(self, record_id: str, sequencer: str, *, limit: int) -> tuple[bool, int]:
        key = {"recordId": {"S": record_id}}
        try:  # this upload has counted before: one more, unless the limit is reached
            answer = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD billableCalls :one",
                ConditionExpression="billableSequencer = :sequencer AND billableCalls < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":sequencer": {"S": sequencer},
                    ":limit": {"N": str(limit)},
                },
                ReturnValues="UPDATED_NEW",
            )
            return True, int(answer["Attributes"]["billableCalls"]["N"])
        except ClientError as exc:
            if not _condition_failed(exc):
                raise self._translate(exc) from exc
        try:  # the first count of this upload (the item may hold an older upload's record)
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET billableSequencer = :sequencer, billableCalls = :one",
                ConditionExpression=(
                    "(attribute_not_exists(billableSequencer) OR billableSequencer < :sequencer)"
                    " AND (attribute_not_exists(sequencer) OR sequencer <= :sequencer)"
                ),
                ExpressionAttributeValues={":one": {"N": "1"}, ":sequencer": {"S": sequencer}},
            )
            return True, 1
        except ClientError as exc:
            if not _condition_failed(exc):
                raise self._translate(exc) from exc
        return False, self._billable_calls(record_id, sequencer)

    def uncount_billable_call(self, record_id: str, sequencer: str) -> int:
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key={"recordId": {"S": record_id}},
                UpdateExpression="ADD billableCalls :minus_one",
                ConditionExpression="billableSequencer = :sequencer AND billableCalls > :zero",
                ExpressionAttributeValues={
                    ":minus_one": {"N": "-1"},
                    ":zero": {"N": "0"},
                    ":sequencer": {"S": sequencer},
                },
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise self._translate(exc) from exc
            return self._billable_calls(record_id, sequencer)
        return int(answer["Attributes"]["billableCalls"]["N"])

    def _billable_calls(self, record_id: str, sequencer: str) -> int:
        """The count of upload ``sequencer`` (0 when the item counts for another upload)."""
        try:
            item = self._client.get_item(
                TableName=self._table,
                Key={"recordId": {"S": record_id}},
                ConsistentRead=True,
                ProjectionExpression="billableSequencer, billableCalls",
            ).get("Item", {})
        except ClientError as exc:
            raise self._translate(exc) from exc
        if item.get("billableSequencer", {}).get("S") != sequencer:
            return 0
        return int(item.get("billableCalls", {}).get("N", "0"))

    def _translate(self, exc: ClientError) -> Exception:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return ConfigurationError(f"records table {self._table!r} does not exist")
        unchanged: Exception = exc
        return unchanged


def _condition_failed(exc: ClientError) -> bool:
    code: object = exc.response.get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


def item_from_record(record: ProcessingRecord) -> dict[str, Any]:
    """The DynamoDB item: camelCase attributes, fields flattened, absent values left out.

    The billable count is kept for the record's own upload (``billableSequencer``).
    """
    plain = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    plain.update(plain.pop("fields", {}))
    plain["billableSequencer"] = record.sequencer
    return {name: _SERIALIZER.serialize(value) for name, value in plain.items()}


def record_from_item(item: dict[str, Any]) -> ProcessingRecord:
    plain = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    if "idNumber" in plain:
        plain["fields"] = {name: plain.pop(name) for name in _FIELD_NAMES if name in plain}
    plain.pop("billableSequencer", None)  # the record's own sequencer (item_from_record)
    for name in (
        "attempts",
        "billableCalls",
        "sizeBytes",
        "sentBytes",
        "ocrLatencyMs",
        "expiresAt",
        "schemaVersion",
    ):
        if name in plain:
            plain[name] = int(plain[name])  # DynamoDB numbers come back as Decimal
    return ProcessingRecord.model_validate(plain)
