"""The uploads Lambda handler with the sample API Gateway events, on moto, built from its environment."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from cnic_ocr.mobile import lambda_handler as mobile_lambda

from .support import EVENTS_DIR, PIPELINE_ENV, AwsStack


class ContextStub:
    function_name = "UploadsApiFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:UploadsApiFunction"
    aws_request_id = "req-uploads-0001"


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return event


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    result = mobile_lambda.lambda_handler(event, ContextStub())
    assert result["isBase64Encoded"] is False
    return result["statusCode"], result["headers"], json.loads(result["body"])


def get_event(upload_id: str, *, base_path: str = "") -> dict[str, Any]:
    event = sample("api-uploads-get.json")
    event["path"] = f"{base_path}/v1/uploads/{upload_id}"
    event["pathParameters"] = {"uploadId": upload_id}
    return event


def test_sample_events_issue_a_slot_and_look_it_up(aws: AwsStack) -> None:
    status, headers, slot = invoke(sample("api-uploads-create.json"))
    assert status == 201 and headers["Location"] == f"/v1/uploads/{slot['uploadId']}"
    assert slot["expiresIn"] == 300 and slot["fields"]["Content-Type"] == "image/jpeg"
    assert slot["fields"]["key"] == PIPELINE_ENV["UPLOAD_PREFIX"] + slot["uploadId"]
    assert slot["url"].startswith(f"https://{PIPELINE_ENV['UPLOAD_BUCKET_NAME']}.s3")
    assert headers["X-Request-Id"] == "c6af9ac6-7b61-11e6-9a41-6e6f74666f75"  # API Gateway's

    assert invoke(get_event(slot["uploadId"]))[::2] == (200, {"status": "PENDING"})
    # behind a custom domain's base path the matched resource still names the route
    assert invoke(get_event(slot["uploadId"], base_path="/ocr"))[::2] == (200, {"status": "PENDING"})
    # the sample's own id was never issued with this secret
    assert invoke(sample("api-uploads-get.json"))[::2] == (404, {"message": "Not Found"})


def test_another_key_accepted_by_api_gateway_gets_404(aws: AwsStack) -> None:
    slot = invoke(sample("api-uploads-create.json"))[2]
    event = get_event(slot["uploadId"])
    event["headers"]["X-API-Key"] = "another-app-key-111111111111"
    assert invoke(event)[::2] == (404, {"message": "Not Found"})


def test_a_request_without_a_key_is_refused(aws: AwsStack) -> None:
    event = copy.deepcopy(sample("api-uploads-create.json"))
    del event["headers"]["X-API-Key"]
    del event["multiValueHeaders"]["X-API-Key"]
    assert invoke(event)[::2] == (403, {"message": "Forbidden"})


def test_a_missing_secret_is_a_logged_inner_error(
    aws: AwsStack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("UPLOAD_ID_SECRET_NAME", "no-such-secret")
    status, _, body = invoke(sample("api-uploads-create.json"))
    assert (status, body) == (500, {"status": "INNER_ERROR", "message": "Inner error, please retry later"})
    [critical] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert critical.getMessage() == "uploads API cannot start: configuration error"
    assert "no-such-secret" not in json.dumps(body)
