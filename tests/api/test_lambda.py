"""The Lambda adapter with API Gateway proxy events (``events/api-*.json``) and the real recognizer."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest

from cnic_ocr.api import lambda_handler  # creates the real recognizer (loads the model) once
from cnic_ocr.api.core import OcrApi
from cnic_ocr.contract import CnicFields
from cnic_ocr.synth import generate

from .make_events import OK_CONDITION, OK_SEED, events
from .support import EVENTS, FakeRecognizer

INVALID_REQUEST = {"status": "INVALID_REQUEST", "message": "check request params"}
NOT_IDENTITY_CARD = {"status": "FAIL", "message": "not identity card"}


@dataclass
class FakeLambdaContext:
    function_name: str = "OcrApiFunction"
    memory_limit_in_mb: int = 3008
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:OcrApiFunction"
    aws_request_id: str = "5e2a1b7e-0000-4000-8000-000000000001"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return event


def invoke(event: dict[str, Any]) -> tuple[int, Any, dict[str, Any]]:
    response: dict[str, Any] = lambda_handler.lambda_handler(event, FakeLambdaContext())
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert response["isBase64Encoded"] is False
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["X-Request-Id"] == event["requestContext"]["requestId"]
    return response["statusCode"], json.loads(response["body"]), response["headers"]


@pytest.mark.parametrize("name", ["api-ok", "api-ok-binary-body"])
def test_checked_in_ok_events_read_their_card(name: str) -> None:
    code, body, headers = invoke(load_event(name))
    assert (code, body["status"], list(body)) == (200, "OK", ["status", "message"])
    CnicFields.model_validate(body["message"])
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name", ["api-ok", "api-ok-binary-body"])
def test_ok_events_of_the_current_synthetic_card_read_its_exact_truth(name: str) -> None:
    """The same events made afresh (the checked-in ones may predate a change to the cards)."""
    truth = generate(OK_SEED, OK_CONDITION).truth
    code, body, _ = invoke(events()[name])
    assert (code, body) == (200, {"status": "OK", "message": truth})


def test_json_event_with_details() -> None:
    code, body, _ = invoke(load_event("api-json-details"))
    assert code == 200
    assert {"status": body["status"], "message": body["message"]} == NOT_IDENTITY_CARD  # a plain picture
    assert isinstance(body["details"], dict)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("api-invalid-request", (200, INVALID_REQUEST)),
        (
            "api-invalid-format",
            (200, {"status": "IMAGE_INVALID_FORMAT", "message": "image format not support"}),
        ),
        ("api-not-found", (404, {"message": "Not Found"})),
        ("api-method-not-allowed", (405, {"message": "Method Not Allowed"})),
    ],
)
def test_error_events(name: str, expected: tuple[int, dict[str, str]]) -> None:
    code, body, _ = invoke(load_event(name))
    assert (code, body) == expected


def test_the_key_is_left_to_api_gateway() -> None:
    """ApiKeyRequired has already refused keyless calls; the function does not re-check."""
    event = load_event("api-invalid-format")
    del event["headers"]["X-API-Key"], event["multiValueHeaders"]["X-API-Key"]
    event["requestContext"]["identity"]["apiKey"] = None
    code, body, _ = invoke(event)
    assert (code, body["status"]) == (200, "IMAGE_INVALID_FORMAT")


def test_custom_domain_base_path_is_routed_by_the_matched_resource() -> None:
    event = load_event("api-invalid-request")
    event["path"] = "/ocr/v1/pk_ocr/general"
    assert invoke(event)[:2] == (200, INVALID_REQUEST)


def test_event_without_headers_or_body() -> None:
    event = load_event("api-invalid-request")
    event.update(headers=None, multiValueHeaders=None, body=None)
    assert invoke(event)[:2] == (200, INVALID_REQUEST)


def test_body_is_not_decoded_as_text_when_binary() -> None:
    """A base64 body whose bytes are not UTF-8 reaches the core as bytes (INVALID_REQUEST, no crash)."""
    event = load_event("api-invalid-request")
    event.update(body=base64.b64encode(b"img=\xff\xfe").decode(), isBase64Encoded=True)
    assert invoke(event)[:2] == (200, INVALID_REQUEST)


def test_undecodable_binary_body_is_a_json_400() -> None:
    event = load_event("api-invalid-request")
    event.update(body="not base64!", isBase64Encoded=True)
    assert invoke(event)[:2] == (400, {"message": "Bad Request"})


def test_multi_value_query_reaches_the_core() -> None:
    event = load_event("api-invalid-format")
    event["queryStringParameters"] = {"details": "true"}
    event["multiValueQueryStringParameters"] = {"details": ["true", "false"]}
    assert invoke(event)[:2] == (200, INVALID_REQUEST)


def test_unexpected_error_is_500_and_logged_with_the_request_id(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failing = OcrApi(FakeRecognizer(error=MemoryError("onnxruntime arena")), api_keys=None)
    monkeypatch.setattr(lambda_handler, "api", failing)
    event = load_event("api-invalid-format")
    code, body, _ = invoke(event)
    assert (code, body) == (500, {"status": "INNER_ERROR", "message": "Inner error, please retry later"})
    errors = [record for record in caplog.records if record.getMessage() == "unexpected error"]
    assert len(errors) == 1
    assert errors[0].__dict__["request_id"] == event["requestContext"]["requestId"]


def test_the_ok_event_body_is_the_commercial_form() -> None:
    event = load_event("api-ok")
    assert event["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    fields = parse_qs(event["body"], strict_parsing=True)
    assert list(fields) == ["img"]
    assert base64.b64decode(fields["img"][0], validate=True).startswith(b"\xff\xd8\xff")
