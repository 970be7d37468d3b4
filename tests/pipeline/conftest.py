"""Fixtures of the pipeline tests (helpers live in ``support.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from moto import mock_aws

from cnic_ocr.pipeline import handler

from .support import (
    BUS,
    IDEMPOTENCY_TABLE,
    OCR_URL,
    RECORDS_TABLE,
    REGION,
    SECRET_NAME,
    TEST_SESSION,
    AwsStack,
    LambdaContextStub,
    create_stack,
)

PIPELINE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "RECORDS_TABLE_NAME": RECORDS_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "EVENT_BUS_NAME": BUS,
    "API_KEY_SECRET_NAME": SECRET_NAME,
    "OCR_API_URL": OCR_URL,
    "UPLOAD_PREFIX": "uploads/",
    # Real backoff shape, test-sized: retries stay within milliseconds.
    "OCR_BACKOFF_BASE_SECONDS": "0.005",
    "OCR_BACKOFF_CAP_SECONDS": "0.02",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_DEV": "false",
}


@pytest.fixture
def pipeline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PIPELINE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws(pipeline_env: None) -> Iterator[AwsStack]:
    """moto with the template's bucket, tables, bus (+ rule to a queue) and secret."""
    with mock_aws():
        handler.get_runtime.cache_clear()
        yield create_stack(lambda service: TEST_SESSION.client(service, region_name=REGION))
        handler.get_runtime.cache_clear()


@pytest.fixture
def ocr_api(aws: AwsStack) -> Iterator[responses.RequestsMock]:
    """The OCR API faked at the HTTP boundary (started inside the moto mock)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def invoke() -> Any:
    def run(event: dict[str, Any], remaining_ms: int = 120_000) -> dict[str, Any]:
        result: dict[str, Any] = handler.lambda_handler(event, LambdaContextStub(remaining_ms=remaining_ms))
        return result

    return run
