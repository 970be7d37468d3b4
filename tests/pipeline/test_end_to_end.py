"""End to end: an S3 upload of a synthetic phone photo → the real handler → the real local OCR
server (real recognizer, separate process, over HTTP) → DynamoDB record and EventBridge event.

AWS is moto; nothing is faked between the handler and the recognizer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cnic_ocr.synth import generate
from live_ocr_server import LiveServer, start_server, stop_server

from .support import API_KEY, MASKED_ID, AwsStack
from .support import FIELDS as SAMPLE_FIELDS


@pytest.fixture(scope="module")
def ocr_server() -> Iterator[LiveServer]:
    """``cnic-ocr serve``'s function in a child process (real recognizer, real HTTP)."""
    server = start_server([API_KEY], timeout=120)
    try:
        yield server
    finally:
        stop_server(server)


def test_a_large_phone_photo_is_downscaled_recognized_by_the_real_server_and_recorded_once(
    aws: AwsStack, ocr_server: LiveServer, monkeypatch: pytest.MonkeyPatch, invoke: Any
) -> None:
    monkeypatch.setenv("OCR_API_URL", ocr_server.url)
    sample = generate(1, "large")
    assert sample.truth is not None and len(sample.image) > 200_000
    answered_before = len(ocr_server.answered())

    event = aws.put_object("uploads/e2e/large photo.jpg", sample.image)
    invoke(event)
    invoke(event)  # a duplicate delivery: the (billed) answer is not asked for twice

    [answer] = ocr_server.answered(at_least=answered_before + 1)[answered_before:]
    assert (answer["http_status"], answer["ocr_status"]) == (200, "OK")

    record = aws.record("uploads/e2e/large photo.jpg")
    assert record is not None
    assert record["status"] == "OK", record
    assert record["fields"] == sample.truth
    assert record["sentBytes"] <= 200_000 < record["sizeBytes"]
    assert record["provider"] == "127.0.0.1"
    [event] = aws.published()
    assert event["detail-type"] == "CNIC Upload Recognized"
    masked = sample.truth["idNumber"][:5] + "-*******-" + sample.truth["idNumber"][-1]
    assert event["detail"]["maskedIdNumber"] == masked != MASKED_ID
    assert sample.truth["name"] not in json.dumps(event)
    assert SAMPLE_FIELDS["name"] not in json.dumps(event)
