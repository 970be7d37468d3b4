"""Settings, and failing fast with one clear log line when a resource is missing."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import responses
from pydantic import ValidationError

from cnic_ocr.errors import ConfigurationError
from cnic_ocr.pipeline import handler

from .support import OCR_ENDPOINT, OK_BODY, SECRET_NAME, AwsStack, LambdaContextStub, make_settings, s3_event


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    log_handler = handler.logger.registered_handler
    assert isinstance(log_handler, logging.StreamHandler)
    previous = log_handler.setStream(stream)
    yield stream
    log_handler.setStream(previous)


def critical_messages(stream: io.StringIO) -> list[str]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    return [line["message"] for line in lines if line["level"] == "CRITICAL"]


def test_a_missing_secret_fails_the_cold_start_clearly(aws: AwsStack, log_lines: io.StringIO) -> None:
    aws.secrets.delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ConfigurationError, match=f"API key secret '{SECRET_NAME}' cannot be read"):
        handler.get_runtime()
    [message] = critical_messages(log_lines)
    assert message.startswith("configuration error, nothing can be processed: API key secret")


def test_an_empty_secret_fails_the_cold_start(aws: AwsStack) -> None:
    aws.secrets.put_secret_value(SecretId=SECRET_NAME, SecretString="   ")
    with pytest.raises(ConfigurationError, match="is empty"):
        handler.get_runtime()


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("RECORDS_TABLE_NAME", "records table 'no-such-table' does not exist"),
        ("IDEMPOTENCY_TABLE_NAME", "idempotency table 'no-such-table' does not exist"),
    ],
)
def test_a_wrong_table_name_fails_the_cold_start_clearly(
    aws: AwsStack, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO, variable: str, message: str
) -> None:
    monkeypatch.setenv(variable, "no-such-table")
    with pytest.raises(ConfigurationError, match=message):
        handler.get_runtime()
    assert critical_messages(log_lines) == [f"configuration error, nothing can be processed: {message}"]


def test_a_missing_setting_fails_the_cold_start_clearly(
    aws: AwsStack, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO
) -> None:
    monkeypatch.delenv("OCR_API_URL")
    with pytest.raises(ValidationError, match="ocr_api_url"):
        handler.get_runtime()
    [message] = critical_messages(log_lines)
    assert message.startswith("invalid settings in the environment") and "ocr_api_url" in message


def test_a_missing_bucket_fails_the_invocation_clearly(
    aws: AwsStack, ocr_api: responses.RequestsMock, log_lines: io.StringIO
) -> None:
    ocr_api.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
    with pytest.raises(ConfigurationError, match="bucket 'no-such-bucket' does not exist"):
        handler.lambda_handler(s3_event("uploads/card.jpg", bucket="no-such-bucket"), LambdaContextStub())
    assert critical_messages(log_lines) == [
        "configuration error, nothing can be processed: bucket 'no-such-bucket' does not exist"
    ]
    assert len(ocr_api.calls) == 0


def test_the_contract_route_is_appended_once() -> None:
    assert (
        make_settings(ocr_api_url="https://x.test/prod").ocr_endpoint
        == "https://x.test/prod/v1/pk_ocr/general"
    )
    assert make_settings(ocr_api_url="https://x.test/").ocr_endpoint == "https://x.test/v1/pk_ocr/general"
    full = "https://x.test/v1/pk_ocr/general"
    assert make_settings(ocr_api_url=full).ocr_endpoint == full


@pytest.mark.parametrize(
    "overrides",
    [
        {"upload_prefix": "/uploads/"},
        {"ocr_api_url": "not a url"},
        {"ocr_max_attempts": 0},
        {"record_ttl_days": -1},
    ],
)
def test_invalid_settings_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_settings(**overrides)
