"""Upload records in DynamoDB (the RecordRepository port).

One item per object (partition key ``recordId`` = ``<bucket>/<key>``). The eight fields are
top-level attributes so ``idNumber`` can key a sparse secondary index; a second sparse index on
``imageSha256`` finds earlier answers for the same bytes. Every write is conditional on the
S3 sequencer so a late or duplicate delivery never replaces a newer or final result.
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
        return None if item is None else record_from_item(item)

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
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":sequencer": {"S": record.sequencer},
                    ":error": {"S": RecordStatus.ERROR.value},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise self._translate(exc) from exc
        return True

    def _translate(self, exc: ClientError) -> Exception:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return ConfigurationError(f"records table {self._table!r} does not exist")
        unchanged: Exception = exc
        return unchanged


def item_from_record(record: ProcessingRecord) -> dict[str, Any]:
    """The DynamoDB item: camelCase attributes, fields flattened, absent values left out."""
    plain = record.model_dump(mode="json", by_alias=True, exclude_none=True)
    plain.update(plain.pop("fields", {}))
    return {name: _SERIALIZER.serialize(value) for name, value in plain.items()}


def record_from_item(item: dict[str, Any]) -> ProcessingRecord:
    plain = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    if "idNumber" in plain:
        plain["fields"] = {name: plain.pop(name) for name in _FIELD_NAMES if name in plain}
    for name in ("attempts", "sizeBytes", "sentBytes", "ocrLatencyMs", "expiresAt", "schemaVersion"):
        if name in plain:
            plain[name] = int(plain[name])  # DynamoDB numbers come back as Decimal
    return ProcessingRecord.model_validate(plain)
