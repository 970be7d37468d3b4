"""End to end: an S3 upload of a synthetic phone photo → the real handler → the real local OCR
server (real recognizer, separate process, over HTTP) → DynamoDB record and EventBridge event.

AWS is moto; nothing is faked between the handler and the recognizer.
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

from cnic_ocr.synth import generate

from .support import API_KEY, MASKED_ID, REPO, AwsStack
from .support import FIELDS as SAMPLE_FIELDS

_SERVE = (
    "import os\n"
    "from cnic_ocr.api.server import serve\n"
    "serve('127.0.0.1', 0, [os.environ['PIPELINE_TEST_KEY']])\n"
)


@dataclass
class LiveOcrServer:
    url: str
    lines: list[str]

    def answered(self) -> list[dict[str, Any]]:
        """The server's "request answered" log lines so far."""
        logs = [json.loads(line) for line in list(self.lines) if line.startswith("{")]
        return [log for log in logs if log.get("message") == "request answered"]


@pytest.fixture(scope="module")
def ocr_server() -> Iterator[LiveOcrServer]:
    """``cnic-ocr serve``'s function in a child process (real recognizer, real HTTP)."""
    env = {**os.environ, "PIPELINE_TEST_KEY": API_KEY, "POWERTOOLS_LOG_LEVEL": "INFO"}
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    lines: list[str] = []
    ready: queue.Queue[str] = queue.Queue()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("{") and json.loads(line).get("message") == "serving":
                ready.put(json.loads(line)["url"])

    threading.Thread(target=drain, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                url = ready.get(timeout=0.2)
                break
            except queue.Empty:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("OCR server did not start:\n" + "".join(lines)) from None
        yield LiveOcrServer(url, lines)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_large_phone_photo_is_downscaled_recognized_by_the_real_server_and_recorded_once(
    aws: AwsStack, ocr_server: LiveOcrServer, monkeypatch: pytest.MonkeyPatch, invoke: Any
) -> None:
    monkeypatch.setenv("OCR_API_URL", ocr_server.url)
    sample = generate(1, "large")
    assert sample.truth is not None and len(sample.image) > 200_000
    answered_before = len(ocr_server.answered())

    event = aws.put_object("uploads/e2e/large photo.jpg", sample.image)
    invoke(event)
    invoke(event)  # a duplicate delivery: the (billed) answer is not asked for twice

    [answer] = ocr_server.answered()[answered_before:]
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
