"""Helpers of the mobile uploads tests: S3's POST policy rules, AWS setup in moto, requests to the API."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import io
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import numpy as np
import requests
import yaml
from PIL import Image, ImageDraw

from cnic_ocr.api.core import ApiRequest, ApiResponse, KeyedApi
from cnic_ocr.contract import EXAMPLE_FIELDS
from cnic_ocr.mobile.aws import PRESIGN_CONFIG, S3PostPresigner, S3UploadedObjects
from cnic_ocr.mobile.core import SlotSettings, UploadIdSigner, UploadsApi
from cnic_ocr.records.dynamodb import DynamoDbRecordRepository
from pipeline.support import create_table_from_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
EVENTS_DIR = REPO / "events"

REGION = "us-east-1"
#: Clients of one long-lived session load their service models once; moto intercepts them anyway.
SESSION = boto3.session.Session()
BUCKET = "cnic-uploads-mobile-test"
PREFIX = "uploads/"
RECORDS_TABLE = "cnic-records-mobile-test"
IDEMPOTENCY_TABLE = "cnic-idempotency-mobile-test"
BUS = "cnic-ocr-mobile-test"
OCR_KEY_SECRET = "cnic-ocr-api-key-mobile-test"
UPLOAD_ID_SECRET = "cnic-upload-id-secret-mobile-test"
UPLOAD_ID_SECRET_VALUE = "k3P9vQ2xL8mN4rT6yW1zA5bC7dE0fG2hJ4kL6nP8qR0sT2vX4zB6dF8hK0mN2pQ4"
OCR_KEY = "pipeline-key-0123456789abcdefghij"
OCR_URL = "https://ocr.mobile.test"
OCR_ENDPOINT = OCR_URL + "/v1/pk_ocr/general"

APP_KEY = "app-one-key-0123456789abcdefghijkl"
OTHER_APP_KEY = "app-two-key-zyxwvutsrqponmlkjihgfe"
EVENT_SOURCE = "cnic-ocr.upload-pipeline"

FIELDS = dict(EXAMPLE_FIELDS)
OK_BODY = {"status": "OK", "message": FIELDS}

PIPELINE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "RECORDS_TABLE_NAME": RECORDS_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "EVENT_BUS_NAME": BUS,
    "API_KEY_SECRET_NAME": OCR_KEY_SECRET,
    "OCR_API_URL": OCR_URL,
    "UPLOAD_PREFIX": PREFIX,
    "OCR_BACKOFF_BASE_SECONDS": "0.005",
    "OCR_BACKOFF_CAP_SECONDS": "0.02",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_DEV": "false",
    # the uploads function's own settings (UploadsSettings)
    "UPLOAD_BUCKET_NAME": BUCKET,
    "UPLOAD_ID_SECRET_NAME": UPLOAD_ID_SECRET,
}


# ---------------------------------------------------------------- images


@functools.cache
def card_jpeg() -> bytes:
    """A small card-like JPEG (the OCR API is faked: only its bytes matter)."""
    rng = np.random.default_rng(6)
    base = rng.integers(180, 230, (360, 570, 3), dtype=np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(["PAKISTAN National Identity Card", "Name", "Janat Mirza", "33100-7411692-4"]):
        draw.text((120, 40 + row * 40), text, fill=(20, 20, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# ---------------------------------------------------------------- S3's POST policy, as documented


def s3_refusal(
    url: str, fields: dict[str, str], file_size: int, *, secret_key: str, now: datetime
) -> str | None:
    """Why S3 would refuse this browser-based POST upload, or None if it would accept it.

    moto stores whatever is posted without checking the policy, so the tests check it here,
    following S3's documentation ("Creating a POST policy", "Calculating a signature"):
    the SigV4 signature of the base64 policy, its expiration, every condition against the form
    (and the bucket of the URL), and that every form field except ``policy``,
    ``x-amz-signature``, ``file`` and ``x-ignore-*`` is named by a condition.
    """
    policy_b64 = fields["policy"]
    _, date, region, service, terminal = fields["x-amz-credential"].split("/")
    signing_key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, terminal):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(signing_key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256" or not hmac.compare_digest(
        expected, fields.get("x-amz-signature", "")
    ):
        return "signature does not match"
    policy = json.loads(base64.b64decode(policy_b64))
    if now >= datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%S%z"):
        return "policy expired"
    form = {name.lower(): value for name, value in fields.items()}
    form["bucket"] = bucket_of(url)
    named: set[str] = set()
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            ((name, value),) = condition.items()
            operator, argument = "eq", value
        else:
            operator, name, argument = condition[0].lower(), condition[1], condition[2]
            if operator == "content-length-range":
                if not condition[1] <= file_size <= condition[2]:
                    return f"content length {file_size} outside {condition[1]}..{condition[2]}"
                continue
        name = name.lstrip("$").lower()
        named.add(name)
        actual = form.get(name)
        if actual is None:
            return f"condition on {name} but no such field"
        if (operator == "eq" and actual != argument) or (
            operator == "starts-with" and not actual.startswith(argument)
        ):
            return f"{name} does not satisfy the policy"
    unnamed = {
        name
        for name in form
        if name not in named | {"policy", "x-amz-signature", "file", "bucket"}
        and not name.startswith("x-ignore-")
    }
    return f"extra input fields: {sorted(unnamed)}" if unnamed else None


def bucket_of(url: str) -> str:
    host = url.split("//", 1)[1].split("/", 1)[0]
    return host.split(".s3", 1)[0]


def decoded_policy(fields: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return document


def post_to_s3(
    slot: dict[str, Any], data: bytes, *, now: datetime | None = None, fields: dict[str, str] | None = None
) -> requests.Response | str:
    """Posts ``data`` into ``slot`` as a mobile app would; S3's refusal reason if S3 would refuse it.

    ``fields`` overrides the slot's form fields (a client tampering with them).
    """
    form = dict(slot["fields"]) if fields is None else fields
    credentials = SESSION.get_credentials().get_frozen_credentials()
    refusal = s3_refusal(
        slot["url"], form, len(data), secret_key=credentials.secret_key, now=now or datetime.now(UTC)
    )
    if refusal is not None:
        return refusal
    # The file goes last: S3 ignores fields after it.
    return requests.post(slot["url"], data=form, files={"file": ("photo", data)}, timeout=30)


# ---------------------------------------------------------------- AWS (inside mock_aws)


class _CfnLoader(yaml.SafeLoader):
    """Reads template.yaml keeping CloudFormation tags as tagged values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        return {f"!{suffix}": loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {f"!{suffix}": loader.construct_sequence(node, deep=True)}
    return {f"!{suffix}": loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _tag)


@functools.cache
def template() -> dict[str, Any]:
    with TEMPLATE.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.load(stream, Loader=_CfnLoader)
    return loaded


_SEQUENCER = itertools.count(0x5F00000000000000)


@dataclass
class AwsStack:
    """What the uploads API and the upload function touch, in moto."""

    s3: Any
    dynamodb: Any
    sqs: Any
    events_queue_url: str

    def notification_for(self, key: str) -> dict[str, Any]:
        """The object-created notification S3 sends for the object now at ``key``."""
        head = self.s3.head_object(Bucket=BUCKET, Key=key)
        obj = {
            "key": quote_plus(key, safe="/"),
            "size": head["ContentLength"],
            "eTag": head["ETag"].strip('"'),
            "sequencer": f"{next(_SEQUENCER):016X}",
        }
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": REGION,
                    "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "eventName": "ObjectCreated:Post",
                    "userIdentity": {"principalId": "AWS:AROAEXAMPLE:uploads-api"},
                    "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                    "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "Upload",
                        "bucket": {
                            "name": BUCKET,
                            "ownerIdentity": {"principalId": "A3EXAMPLE"},
                            "arn": f"arn:aws:s3:::{BUCKET}",
                        },
                        "object": obj,
                    },
                }
            ]
        }

    def published(self) -> list[dict[str, Any]]:
        """Every pipeline event so far (consumed), as the webhook would receive it."""
        events: list[dict[str, Any]] = []
        while messages := self.sqs.receive_message(
            QueueUrl=self.events_queue_url, MaxNumberOfMessages=10
        ).get("Messages", []):
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.events_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return events


def create_stack() -> AwsStack:
    """The template's bucket, tables, secrets and bus (+ a rule copying events to a queue)."""
    s3 = SESSION.client("s3", region_name=REGION)
    dynamodb = SESSION.client("dynamodb", region_name=REGION)
    events = SESSION.client("events", region_name=REGION)
    sqs = SESSION.client("sqs", region_name=REGION)
    secrets = SESSION.client("secretsmanager", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    create_table_from_template(dynamodb, "RecordsTable", RECORDS_TABLE)
    create_table_from_template(dynamodb, "IdempotencyTable", IDEMPOTENCY_TABLE)
    secrets.create_secret(Name=OCR_KEY_SECRET, SecretString=OCR_KEY)
    secrets.create_secret(Name=UPLOAD_ID_SECRET, SecretString=UPLOAD_ID_SECRET_VALUE)
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="webhook-stand-in")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    # the same pattern as the template's WebhookRule
    pattern = template()["Resources"]["WebhookRule"]["Properties"]["EventPattern"]
    events.put_rule(Name="webhook-stand-in", EventBusName=BUS, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="webhook-stand-in", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    return AwsStack(s3, dynamodb, sqs, queue_url)


# ---------------------------------------------------------------- the API


@dataclass
class FakeClock:
    epoch: float = field(default_factory=lambda: datetime.now(UTC).timestamp())

    def now_epoch(self) -> float:
        return self.epoch


def uploads_api(
    clock: FakeClock, *, slot_seconds: int = 300, max_bytes: int = 10 * 1024 * 1024
) -> UploadsApi:
    """The real adapters on moto (created inside the mock), with a clock the test moves."""
    s3 = SESSION.client("s3", region_name=REGION, config=PRESIGN_CONFIG)
    return UploadsApi(
        presigner=S3PostPresigner(s3),
        records=DynamoDbRecordRepository(SESSION.client("dynamodb", region_name=REGION), RECORDS_TABLE),
        objects=S3UploadedObjects(s3),
        signer=UploadIdSigner(UPLOAD_ID_SECRET_VALUE.encode()),
        settings=SlotSettings(bucket=BUCKET, prefix=PREFIX, slot_seconds=slot_seconds, max_bytes=max_bytes),
        clock=clock,
    )


def request(
    method: str,
    path: str,
    *,
    key: str | None = APP_KEY,
    body: bytes = b"",
    content_type: str | None = None,
    query: dict[str, list[str]] | None = None,
) -> ApiRequest:
    headers: dict[str, str] = {}
    if key is not None:
        headers["X-API-Key"] = key
    if content_type is not None:
        headers["Content-Type"] = content_type
    return ApiRequest(method, path, headers, query or {}, body, "req-mobile-1")


def body_of(response: ApiResponse) -> Any:
    return json.loads(response.body)


def served(api: UploadsApi) -> KeyedApi:
    """The routes as the Lambda function serves them (the key was checked by API Gateway)."""
    return KeyedApi([api], api_keys=None)


def ask_for_slot(api: UploadsApi, *, key: str = APP_KEY, content_type: str | None = None) -> dict[str, Any]:
    body = b"" if content_type is None else json.dumps({"contentType": content_type}).encode()
    response = served(api).handle(
        request("POST", "/v1/uploads", key=key, body=body, content_type="application/json" if body else None)
    )
    assert response.status_code == 201, response.body
    slot: dict[str, Any] = body_of(response)
    return slot


def poll(api: UploadsApi, upload_id: str, *, key: str = APP_KEY) -> tuple[int, Any]:
    response = served(api).handle(request("GET", f"/v1/uploads/{upload_id}", key=key))
    return response.status_code, body_of(response)
