"""The mobile flow over real HTTP, as local mode would run it: moto's server stands in for AWS.

``cnic-ocr serve``'s function runs in a child process with the uploads routes built from the
environment (``build_uploads_api()`` against moto's server through ``AWS_ENDPOINT_URL``); the
photo is posted over HTTP to the presigned URL moto's server hands out; S3's notification is
read from the queue the bucket notifies; the upload function's real handler processes it (its
OCR call faked at the HTTP boundary); the result is polled over HTTP.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import responses
from moto.server import ThreadedMotoServer

from cnic_ocr.pipeline import handler

from .support import (
    APP_KEY,
    BUCKET,
    FIELDS,
    OCR_ENDPOINT,
    OK_BODY,
    OTHER_APP_KEY,
    PIPELINE_ENV,
    PREFIX,
    REGION,
    SESSION,
    card_jpeg,
    create_table_from_template,
)

#: ``serve()`` with the uploads routes and a recognizer that must never be asked.
SERVE_WITH_UPLOADS = """
from cnic_ocr.api.keys import load_api_keys
from cnic_ocr.api.server import serve
from cnic_ocr.mobile.aws import build_uploads_api

class NoRecognizer:
    def recognize(self, data, *, details=False):
        raise AssertionError("the uploads routes never recognize")

serve("127.0.0.1", 0, load_api_keys(), recognizer=NoRecognizer(), more_routes=build_uploads_api())
"""


@dataclass
class LocalStack:
    moto_url: str
    api_url: str
    s3: Any
    sqs: Any
    notifications_url: str


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    environment = {
        **PIPELINE_ENV,
        "AWS_ENDPOINT_URL": moto_url,
        "CNIC_OCR_API_KEYS": f"{APP_KEY},{OTHER_APP_KEY}",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    server: subprocess.Popen[str] | None = None
    try:
        client = SESSION.client  # clients made now read AWS_ENDPOINT_URL
        s3, sqs = client("s3", region_name=REGION), client("sqs", region_name=REGION)
        dynamodb, secrets = (
            client("dynamodb", region_name=REGION),
            client("secretsmanager", region_name=REGION),
        )
        s3.create_bucket(Bucket=BUCKET)
        create_table_from_template(dynamodb, "RecordsTable", PIPELINE_ENV["RECORDS_TABLE_NAME"])
        create_table_from_template(dynamodb, "IdempotencyTable", PIPELINE_ENV["IDEMPOTENCY_TABLE_NAME"])
        secrets.create_secret(
            Name=PIPELINE_ENV["API_KEY_SECRET_NAME"], SecretString="pipeline-key-0123456789"
        )
        secrets.create_secret(Name=PIPELINE_ENV["UPLOAD_ID_SECRET_NAME"], SecretString="s" * 64)
        client("events", region_name=REGION).create_event_bus(Name=PIPELINE_ENV["EVENT_BUS_NAME"])
        notifications_url = sqs.create_queue(QueueName="upload-notifications")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=notifications_url, AttributeNames=["QueueArn"])
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn["Attributes"]["QueueArn"],
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": PREFIX}]}},
                    }
                ]
            },
        )
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE_WITH_UPLOADS],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ),
        )
        handler.get_runtime.cache_clear()
        yield LocalStack(moto_url, _served_url(server), s3, sqs, notifications_url)
    finally:
        handler.get_runtime.cache_clear()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        moto.stop()


def _served_url(server: subprocess.Popen[str], timeout: float = 60.0) -> str:
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith("{") and json.loads(line).get("message") == "serving":
                found.put(json.loads(line)["url"])

    threading.Thread(target=read, daemon=True).start()
    try:
        return found.get(timeout=timeout)
    except queue.Empty:
        raise RuntimeError(f"the server did not start (exit code {server.poll()})") from None


def notification(stack: LocalStack, key: str, timeout: float = 10.0) -> dict[str, Any]:
    """S3's notification for ``key`` from the queue, completed as the local dispatcher completes moto's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in stack.sqs.receive_message(QueueUrl=stack.notifications_url, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            event = json.loads(message["Body"])
            for record in event.get("Records", []):
                if record["s3"]["object"]["key"].replace("%2F", "/") == key:
                    record["s3"]["object"]["key"] = key
                    record["s3"]["object"].setdefault("sequencer", "0062E99A88DC407460")
                    record.setdefault(
                        "responseElements", {"x-amz-request-id": "LOCAL0001", "x-amz-id-2": "local"}
                    )
                    record.setdefault("userIdentity", {"principalId": "AWS:AIDALOCALUPLOADER"})
                    record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
                    record["s3"]["bucket"].setdefault("ownerIdentity", {"principalId": "123456789012"})
                    return {"Records": [record]}
    raise AssertionError(f"no notification for {key}")


class ContextStub:
    function_name = "UploadFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:UploadFunction"
    aws_request_id = "req-local-0001"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


def test_the_whole_mobile_flow_over_http_against_motos_server(local: LocalStack) -> None:
    headers = {"X-API-Key": APP_KEY}
    created = requests.post(f"{local.api_url}/v1/uploads", headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    slot = created.json()
    assert slot["url"].startswith(local.moto_url)
    poll_url = local.api_url + created.headers["Location"]
    assert requests.get(poll_url, headers=headers, timeout=30).json() == {"status": "PENDING"}

    photo = card_jpeg()
    posted = requests.post(slot["url"], data=slot["fields"], files={"file": ("card.jpg", photo)}, timeout=30)
    assert posted.status_code == 204, posted.text
    key = PREFIX + slot["uploadId"]
    assert local.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == photo

    event = notification(local, key)
    assert event["Records"][0]["eventName"] == "ObjectCreated:Post"
    with responses.RequestsMock() as ocr:
        ocr.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
        result = handler.lambda_handler(event, ContextStub())
    assert [summary["status"] for summary in result["processed"]] == ["OK"]

    answer = requests.get(poll_url, headers=headers, timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"status": "OK", "message": FIELDS})
    assert answer.headers["Cache-Control"] == "no-store"
    other = requests.get(poll_url, headers={"X-API-Key": OTHER_APP_KEY}, timeout=30)
    assert (other.status_code, other.json()) == (404, {"message": "Not Found"})
    assert requests.get(poll_url, timeout=30).status_code == 403
