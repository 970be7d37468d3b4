"""Helpers of the pipeline tests: synthetic images, fakes of the flow's ports, S3 events, AWS setup."""

from __future__ import annotations

import functools
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import numpy as np
import requests
import urllib3
from PIL import Image, ImageDraw, ImageFont

from cnic_ocr.contract import EXAMPLE_FIELDS, CnicFields, ErrorResponse, OcrStatus, OkResponse
from cnic_ocr.local.template import load_template
from cnic_ocr.pipeline.domain.events import PipelineEvent
from cnic_ocr.pipeline.domain.models import ObjectInfo
from cnic_ocr.pipeline.domain.ports import (
    BillableCalls,
    ObjectNotFoundError,
    OcrAnswer,
    OcrCallError,
    StoredObject,
)
from cnic_ocr.pipeline.settings import PipelineSettings
from cnic_ocr.records.model import ProcessingRecord, RecordStatus

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
EVENTS_DIR = REPO / "events"

REGION = "us-east-1"
#: Clients of one long-lived session load their service models once (per-test sessions re-read
#: them, ~50 ms a client); moto intercepts clients created inside the mock whatever the session.
TEST_SESSION = boto3.session.Session()
BUCKET = "cnic-uploads-test"
RECORDS_TABLE = "cnic-records-test"
IDEMPOTENCY_TABLE = "cnic-idempotency-test"
BUS = "cnic-ocr-test"
SECRET_NAME = "cnic-ocr-api-key-test"
API_KEY = "first-key-0123456789abcdefghij"
ROTATED_KEY = "rotated-key-9876543210zyxwvutsr"
OCR_URL = "https://ocr.example.test"
OCR_ENDPOINT = OCR_URL + "/v1/pk_ocr/general"
EVENT_SOURCE = "cnic-ocr.upload-pipeline"

FIELDS = dict(EXAMPLE_FIELDS)
MASKED_ID = "33100-*******-4"
OK_BODY = {"status": "OK", "message": FIELDS}


# ---------------------------------------------------------------- images


def card_image(width: int = 900, seed: int = 0) -> Image.Image:
    """A card-like picture: pale green background, fine lines, dark printed text."""
    height = round(width * 53.98 / 85.60)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    waves = 12 * np.sin(x / 7.0 + rng.uniform(0, 6)) * np.cos(y / 9.0)
    base = np.stack([200 + waves, 225 + waves, 205 + waves], axis=-1).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, width // 30))
    lines = ["PAKISTAN  National Identity Card", "Name", "Janat Mirza", "Father Name", "Mirza Anjum Kamal"]
    lines += [
        "Gender F   Country of Stay Pakistan",
        "Identity Number 33100-7411692-4",
        "14.09.2001  09.03.2020",
    ]
    for row, text in enumerate(lines):
        draw.text((width // 4, height // 12 + row * height // 10), text, fill=(20, 20, 30), font=font)
    return image


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def small_card_jpeg(seed: int = 0) -> bytes:
    """A card photo already under 200 KB: sent to the OCR API untouched."""
    return encode(card_image(900, seed), "JPEG", quality=85)


@functools.cache
def phone_photo_jpeg(long_side: int = 4032, seed: int = 1, noise: int = 9) -> bytes:
    """A 3-4 MB 12 MP phone photo of a card on a textured desk (sensor noise keeps it big)."""
    width, height = long_side, long_side * 3 // 4
    rng = np.random.default_rng(seed)
    desk = rng.normal(120, 25, (height // 16, width // 16, 3)).clip(0, 255).astype(np.uint8)
    photo = Image.fromarray(desk).resize((width, height), Image.Resampling.BICUBIC)
    card = card_image(1000, seed)
    photo.paste(
        card.resize((width * 2 // 3, card.height * width * 2 // 3 // 1000)), (width // 6, height // 6)
    )
    tile = rng.integers(-noise, noise + 1, (256, 256, 3), dtype=np.int16)  # sensor noise, tiled for speed
    noise = np.tile(tile, (height // 256 + 1, width // 256 + 1, 1))[:height, :width]
    noisy = np.asarray(photo, dtype=np.int16) + noise
    return encode(Image.fromarray(noisy.clip(0, 255).astype(np.uint8)), "JPEG", quality=92)


def truncated_jpeg() -> bytes:
    data = encode(card_image(600), "JPEG", quality=90)
    return data[: len(data) // 3]


def garbage_after_jpeg_magic() -> bytes:
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40


PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# ---------------------------------------------------------------- settings and fakes


def make_settings(**overrides: Any) -> PipelineSettings:
    values: dict[str, Any] = {
        "records_table_name": RECORDS_TABLE,
        "idempotency_table_name": IDEMPOTENCY_TABLE,
        "event_bus_name": BUS,
        "api_key_secret_name": SECRET_NAME,
        "ocr_api_url": OCR_URL,
    }
    values.update(overrides)
    return PipelineSettings(**values)


def refused_connection() -> requests.exceptions.ConnectionError:
    """What requests raises for a port nobody listens on (urllib3's NewConnectionError inside)."""
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


@dataclass
class FakeClock:
    epoch: float = 1_800_000_000.0
    mono: float = 1_000.0
    sleeps: list[float] = field(default_factory=list)

    def now_epoch(self) -> float:
        return self.epoch

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.epoch += seconds


@dataclass
class FakeStore:
    objects: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    def put(self, bucket: str, key: str, data: bytes) -> str:
        etag = hashlib.md5(data).hexdigest()
        self.objects[(bucket, key)] = (data, etag)
        return etag

    def fetch(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        if (bucket, key) not in self.objects:
            raise ObjectNotFoundError(key)
        data, etag = self.objects[(bucket, key)]
        info = ObjectInfo(size=len(data), etag=f'"{etag}"', content_type="image/jpeg")
        if len(data) > max_bytes:
            return StoredObject(info, None)
        self.reads.append(key)
        return StoredObject(info, data)


@dataclass
class FakeRecords:
    """Keeps the DynamoDB adapter's write condition (tested against moto separately)."""

    items: dict[str, ProcessingRecord] = field(default_factory=dict)
    #: record id -> (the upload's sequencer, its billable calls)
    billable: dict[str, tuple[str, int]] = field(default_factory=dict)

    def get(self, record_id: str) -> ProcessingRecord | None:
        return self.items.get(record_id)

    def find_reusable(self, image_sha256: str) -> ProcessingRecord | None:
        matches = [r for r in self.items.values() if r.image_sha256 == image_sha256 and r.is_provider_answer]
        return max(matches, key=lambda r: r.updated_at, default=None)

    def save(self, record: ProcessingRecord) -> bool:
        stored = self.items.get(record.record_id)
        if (
            stored is None
            or stored.sequencer < record.sequencer
            or (stored.sequencer == record.sequencer and stored.status is RecordStatus.ERROR)
        ):
            self.items[record.record_id] = record
            self.billable[record.record_id] = (record.sequencer, record.billable_calls)
            return True
        return False

    def count_billable_call(self, record_id: str, sequencer: str, *, limit: int) -> tuple[bool, int]:
        counted_for, count = self.billable.get(record_id, ("", 0))
        if counted_for == sequencer:
            if count >= limit:
                return False, count
            self.billable[record_id] = (sequencer, count + 1)
            return True, count + 1
        if counted_for > sequencer:
            return False, 0
        self.billable[record_id] = (sequencer, 1)
        return True, 1

    def uncount_billable_call(self, record_id: str, sequencer: str) -> int:
        counted_for, count = self.billable.get(record_id, ("", 0))
        if counted_for != sequencer:
            return 0
        self.billable[record_id] = (sequencer, max(0, count - 1))
        return max(0, count - 1)


@dataclass
class FakePublisher:
    published: list[PipelineEvent] = field(default_factory=list)

    def publish(self, events: list[PipelineEvent]) -> None:
        self.published.extend(events)


@dataclass
class FakeOcr:
    """Answers from a script (an OcrAnswer, or an OcrCallError to raise), OK by default."""

    script: list[OcrAnswer | OcrCallError] = field(default_factory=list)
    calls: list[bytes] = field(default_factory=list)

    def recognize(self, image: bytes, *, deadline: float, budget: BillableCalls) -> OcrAnswer:
        self.calls.append(image)
        step = self.script.pop(0) if self.script else ok_answer()
        if isinstance(step, OcrCallError):
            raise step
        return step


def ok_answer(fields: dict[str, str] = FIELDS, attempts: int = 1) -> OcrAnswer:
    return OcrAnswer(
        OkResponse(status=OcrStatus.OK, message=CnicFields.model_validate(fields)),
        provider="ocr.example.test",
        attempts=attempts,
        latency_ms=850,
    )


def error_answer(status: OcrStatus, message: str) -> OcrAnswer:
    return OcrAnswer(ErrorResponse(status=status, message=message), "ocr.example.test", 1, 400)  # type: ignore[arg-type]


# ---------------------------------------------------------------- S3 events


class Sequencer:
    """Increasing S3 sequencers, as S3 assigns them to successive writes of a key."""

    def __init__(self) -> None:
        self._n = 0x5F3A00000000

    def __call__(self) -> str:
        self._n += 1
        return f"00{self._n:X}"


def s3_event(
    key: str,
    *,
    bucket: str = BUCKET,
    size: int = 1234,
    etag: str = "0123456789abcdef0123456789abcdef",
    sequencer: str = "005F3A00000001",
    version_id: str | None = None,
    event_name: str = "ObjectCreated:Put",
    request_id: str = "C3D13FE58DE4C810",
) -> dict[str, Any]:
    """An S3 notification as Lambda receives it: the key URL-encoded, spaces as '+'."""
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag,
        "sequencer": sequencer,
    }
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-11-26T07:00:00.000Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": "host-id/example"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "upload",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


@dataclass
class LambdaContextStub:
    """The attributes of a Lambda context that Powertools and the handler read."""

    remaining_ms: int = 120_000
    function_name: str = "UploadFunction"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:UploadFunction"
    aws_request_id: str = "req-0001"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


# ---------------------------------------------------------------- AWS (inside mock_aws)


@functools.cache
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def create_table_from_template(dynamodb: Any, logical_id: str, table_name: str) -> None:
    """Creates the table exactly as template.yaml defines its keys and indexes."""
    props = template()["Resources"][logical_id]["Properties"]
    args: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if "GlobalSecondaryIndexes" in props:
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    dynamodb.create_table(**args)


@dataclass
class AwsStack:
    """The resources of template.yaml that the upload function touches, in moto."""

    s3: Any
    dynamodb: Any
    events: Any
    sqs: Any
    secrets: Any
    events_queue_url: str

    def put_object(self, key: str, data: bytes) -> dict[str, Any]:
        """Uploads ``data`` and returns the notification S3 would send for it."""
        answer = self.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        return s3_event(key, size=len(data), etag=answer["ETag"].strip('"'), sequencer=_next_sequencer())

    def record(self, key: str) -> dict[str, Any] | None:
        from cnic_ocr.records.dynamodb import record_from_item

        item = self.dynamodb.get_item(TableName=RECORDS_TABLE, Key={"recordId": {"S": f"{BUCKET}/{key}"}})
        return None if "Item" not in item else record_from_item(item["Item"]).model_dump(by_alias=True)

    def raw_item(self, key: str) -> dict[str, Any]:
        item: dict[str, Any] = self.dynamodb.get_item(
            TableName=RECORDS_TABLE, Key={"recordId": {"S": f"{BUCKET}/{key}"}}
        )["Item"]
        return item

    def published(self) -> list[dict[str, Any]]:
        """Every event the rule routed to the test queue so far (consumed)."""
        events: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.events_queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.events_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


_next_sequencer = Sequencer()


def create_stack(session_factory: Callable[[str], Any], *, route_events: bool = True) -> AwsStack:
    """``route_events`` adds the rule that copies every pipeline event to a queue the test reads."""
    s3 = session_factory("s3")
    dynamodb = session_factory("dynamodb")
    events = session_factory("events")
    sqs = session_factory("sqs")
    secrets = session_factory("secretsmanager")

    s3.create_bucket(Bucket=BUCKET)
    create_table_from_template(dynamodb, "RecordsTable", RECORDS_TABLE)
    create_table_from_template(dynamodb, "IdempotencyTable", IDEMPOTENCY_TABLE)
    secrets.create_secret(Name=SECRET_NAME, SecretString=API_KEY)

    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="pipeline-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    if route_events:
        pattern = json.dumps({"source": [EVENT_SOURCE]})
        events.put_rule(Name="all-upload-events", EventBusName=BUS, EventPattern=pattern)
        events.put_targets(
            Rule="all-upload-events", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}]
        )
    return AwsStack(s3, dynamodb, events, sqs, secrets, queue_url)
