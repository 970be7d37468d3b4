"""The AWS adapters' own behaviour: partial PutEvents failures, reads that stop at the limit."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cnic_ocr.errors import ConfigurationError
from cnic_ocr.pipeline.adapters.eventbridge_publisher import EventBridgePublisher, EventPublishError
from cnic_ocr.pipeline.adapters.ocr_http import RequestsOcrTransport
from cnic_ocr.pipeline.adapters.s3_store import S3ObjectStore
from cnic_ocr.pipeline.domain.events import PipelineEvent, event_for
from cnic_ocr.pipeline.domain.ports import ObjectNotFoundError, TransportError
from cnic_ocr.records.dynamodb import DynamoDbRecordRepository
from cnic_ocr.records.model import ProcessingRecord, RecordStatus

from .support import BUCKET, RECORDS_TABLE, AwsStack, small_card_jpeg
from .test_flow import World


def some_events(count: int) -> list[PipelineEvent]:
    world = World()
    for index in range(count):
        world.run(world.upload(f"uploads/{index}.jpg", small_card_jpeg(seed=index)))
    return [event_for(r, source="test", include_pii=False) for r in world.records.items.values()]


@dataclass
class PartlyRefusingEvents:
    """PutEvents that refuses the entries at ``refuse`` positions of each call, a number of times."""

    refusals: list[set[int]]
    calls: list[list[dict[str, Any]]] = field(default_factory=list)

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(Entries)
        refuse = self.refusals.pop(0) if self.refusals else set()
        results = [
            {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}
            if i in refuse
            else {"EventId": f"e{i}"}
            for i in range(len(Entries))
        ]
        return {"FailedEntryCount": len(refuse), "Entries": results}


def test_only_the_refused_entries_are_sent_again() -> None:
    events = some_events(3)
    client = PartlyRefusingEvents(refusals=[{1}, set()])
    sleeps: list[float] = []
    EventBridgePublisher(client, "bus", sleep=sleeps.append).publish(events)

    assert [len(call) for call in client.calls] == [3, 1]
    assert client.calls[1][0] == client.calls[0][1]
    assert client.calls[0][0]["EventBusName"] == "bus" and len(sleeps) == 1


def test_entries_refused_every_time_fail_the_publish() -> None:
    client = PartlyRefusingEvents(refusals=[{0}] * 10)
    publisher = EventBridgePublisher(client, "bus", max_attempts=3, sleep=lambda _: None)
    with pytest.raises(EventPublishError, match="1 event\\(s\\) refused by EventBridge after 3 attempts"):
        publisher.publish(some_events(1))
    assert len(client.calls) == 3


def test_more_than_ten_events_are_sent_in_batches() -> None:
    client = PartlyRefusingEvents(refusals=[])
    EventBridgePublisher(client, "bus").publish(some_events(12))
    assert [len(call) for call in client.calls] == [10, 2]


class MissingBus:
    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no bus"}}, "PutEvents")


def test_a_missing_bus_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="event bus 'nope' does not exist"):
        EventBridgePublisher(MissingBus(), "nope").publish(some_events(1))


def test_an_object_over_the_limit_is_not_read(aws: AwsStack) -> None:
    data = small_card_jpeg()
    aws.s3.put_object(Bucket=BUCKET, Key="uploads/a.jpg", Body=data)
    store = S3ObjectStore(aws.s3)

    small = store.fetch(BUCKET, "uploads/a.jpg", None, max_bytes=len(data))
    big = store.fetch(BUCKET, "uploads/a.jpg", None, max_bytes=len(data) - 1)

    assert small.data == data and small.info.size == len(data) and small.info.etag
    assert big.data is None and big.info.size == len(data)
    with pytest.raises(ObjectNotFoundError):
        store.fetch(BUCKET, "uploads/missing.jpg", None, max_bytes=10)


def test_a_named_version_is_read(aws: AwsStack) -> None:
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = aws.s3.put_object(Bucket=BUCKET, Key="uploads/v.jpg", Body=b"first")["VersionId"]
    aws.s3.put_object(Bucket=BUCKET, Key="uploads/v.jpg", Body=b"second")
    stored = S3ObjectStore(aws.s3).fetch(BUCKET, "uploads/v.jpg", first, max_bytes=100)
    assert stored.data == b"first" and stored.info.version_id == first


def test_the_transport_tells_a_refused_connection_from_a_read_timeout() -> None:
    """Nothing was sent to a refused port; a silent server may have done (and billed) the work."""
    refused = RequestsOcrTransport("http://127.0.0.1:1/v1/pk_ocr/general", connect_timeout_seconds=1)
    with pytest.raises(TransportError) as caught:
        refused.post_image("QUJD", "key", read_timeout_seconds=1)
    assert caught.value.reached_provider is False
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}/v1/pk_ocr/general"
        with pytest.raises(TransportError) as caught:
            RequestsOcrTransport(endpoint, connect_timeout_seconds=1).post_image(
                "QUJD", "key", read_timeout_seconds=0.3
            )
    assert caught.value.reached_provider is True
    assert str(caught.value) == "timeout (ReadTimeout)"


def test_billable_calls_are_counted_in_the_record_item(aws: AwsStack) -> None:
    records = DynamoDbRecordRepository(aws.dynamodb, RECORDS_TABLE)
    record_id, first, newer = f"{BUCKET}/uploads/a.jpg", "1".ljust(64, "0"), "2".ljust(64, "0")

    assert records.count_billable_call(record_id, first, limit=2) == (True, 1)
    assert records.get(record_id) is None  # only the count so far: no record yet
    assert records.count_billable_call(record_id, first, limit=2) == (True, 2)
    assert records.count_billable_call(record_id, first, limit=2) == (False, 2)
    assert records.uncount_billable_call(record_id, first) == 1
    assert records.count_billable_call(record_id, first, limit=2) == (True, 2)

    error = ProcessingRecord.model_validate(
        {
            "record_id": record_id,
            "bucket": BUCKET,
            "object_key": "uploads/a.jpg",
            "sequencer": first,
            "status": RecordStatus.ERROR,
            "billable_calls": 2,
            "created_at": "2026-11-30T00:00:00Z",
            "updated_at": "2026-11-30T00:00:00Z",
        }
    )
    assert records.save(error)  # written over the count-only item, keeping the count
    assert records.count_billable_call(record_id, first, limit=2) == (False, 2)
    stored = records.get(record_id)
    assert stored is not None and stored.billable_calls == 2

    assert records.count_billable_call(record_id, newer, limit=2) == (True, 1)  # a new upload of the key
    assert records.count_billable_call(record_id, first, limit=5) == (False, 0)  # the older one: no more
    stored = records.get(record_id)
    assert stored is not None and stored.status is RecordStatus.ERROR and stored.sequencer == first
