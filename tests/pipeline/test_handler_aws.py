"""The real handler end to end in moto: S3 object → handler → DynamoDB item + EventBridge event.

The OCR API is faked at the HTTP boundary with ``responses`` (started inside the moto mock).
"""

from __future__ import annotations

import base64
import io
import json
import logging
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from PIL import Image

from cnic_ocr.contract import MSG_INVALID_FORMAT, OcrStatus
from cnic_ocr.pipeline import handler
from cnic_ocr.pipeline.adapters.eventbridge_publisher import EventPublishError
from cnic_ocr.pipeline.domain.events import UploadEventDetail
from cnic_ocr.records.dynamodb import ID_NUMBER_INDEX
from cnic_ocr.records.model import RecordStatus

from .support import (
    API_KEY,
    BUCKET,
    FIELDS,
    IDEMPOTENCY_TABLE,
    MASKED_ID,
    OCR_ENDPOINT,
    OK_BODY,
    PDF_BYTES,
    RECORDS_TABLE,
    ROTATED_KEY,
    SECRET_NAME,
    AwsStack,
    phone_photo_jpeg,
    refused_connection,
    s3_event,
    small_card_jpeg,
    truncated_jpeg,
)

Invoke = Any


def ok_reply(mock: responses.RequestsMock, *, body: Any = OK_BODY, status: int = 200) -> None:
    mock.add(responses.POST, OCR_ENDPOINT, json=body, status=status)


def sent_images(mock: responses.RequestsMock) -> list[bytes]:
    return [base64.b64decode(parse_qs(str(call.request.body))["img"][0]) for call in mock.calls]


def test_an_upload_is_recognized_recorded_indexed_and_announced(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    image = small_card_jpeg()
    result = invoke(aws.put_object("uploads/card.jpg", image))

    assert [s["status"] for s in result["processed"]] == ["OK"]
    # exactly the commercial request
    [call] = ocr_api.calls
    assert call.request.method == "POST" and call.request.url == OCR_ENDPOINT
    assert call.request.headers["X-API-Key"] == API_KEY
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert list(parse_qs(str(call.request.body))) == ["img"]
    assert sent_images(ocr_api) == [image]

    record = aws.record("uploads/card.jpg")
    assert record is not None
    assert record["status"] == "OK" and record["fields"] == FIELDS
    assert record["schemaVersion"] == 1 and record["attempts"] == 1
    assert record["bucket"] == BUCKET and record["objectKey"] == "uploads/card.jpg"
    assert record["sizeBytes"] == len(image) and record["provider"] == "ocr.example.test"
    assert record["createdAt"] == record["updatedAt"]
    assert aws.raw_item("uploads/card.jpg")["idNumber"] == {"S": FIELDS["idNumber"]}  # top level, indexable

    by_number = aws.dynamodb.query(
        TableName=RECORDS_TABLE,
        IndexName=ID_NUMBER_INDEX,
        KeyConditionExpression="idNumber = :n",
        ExpressionAttributeValues={":n": {"S": FIELDS["idNumber"]}},
    )
    assert [i["recordId"]["S"] for i in by_number["Items"]] == [f"{BUCKET}/uploads/card.jpg"]

    [event] = aws.published()
    assert event["source"] == "cnic-ocr.upload-pipeline"
    assert event["detail-type"] == "CNIC Upload Recognized"
    detail = UploadEventDetail.model_validate(event["detail"])
    assert detail.masked_id_number == MASKED_ID and detail.fields is None
    assert detail.record_id == f"{BUCKET}/uploads/card.jpg" and detail.status.value == "OK"
    assert FIELDS["idNumber"] not in json.dumps(event) and FIELDS["name"] not in json.dumps(event)


@pytest.mark.parametrize(
    "key",
    ["uploads/my card photo (1).jpg", "uploads/کارڈ/شناختی کارڈ ۱.jpg", "uploads/naïve+plus & more.jpg"],
    ids=["spaces", "urdu", "plus-sign"],
)
def test_url_encoded_keys_are_decoded(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke, key: str
) -> None:
    ok_reply(ocr_api)
    event = aws.put_object(key, small_card_jpeg())
    assert (
        "+" in event["Records"][0]["s3"]["object"]["key"] or "%" in event["Records"][0]["s3"]["object"]["key"]
    )
    invoke(event)
    record = aws.record(key)
    assert record is not None and record["status"] == "OK" and record["objectKey"] == key


def test_a_duplicate_delivery_calls_the_ocr_api_once(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    event = aws.put_object("uploads/card.jpg", small_card_jpeg())
    first = invoke(event)
    second = invoke(event)

    assert len(ocr_api.calls) == 1
    assert second["processed"][0]["idempotentReplay"] is True
    assert first["processed"][0]["recordId"] == second["processed"][0]["recordId"]
    assert len(aws.published()) == 1


def test_a_redelivery_after_the_idempotency_record_expired_still_pays_nothing(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    event = aws.put_object("uploads/card.jpg", small_card_jpeg())
    invoke(event)
    for item in aws.dynamodb.scan(TableName=IDEMPOTENCY_TABLE)["Items"]:
        aws.dynamodb.delete_item(TableName=IDEMPOTENCY_TABLE, Key={"id": item["id"]})
    result = invoke(event)

    assert len(ocr_api.calls) == 1
    assert result["processed"][0]["disposition"] == "duplicate"
    assert [e["detail-type"] for e in aws.published()] == ["CNIC Upload Recognized"] * 2


def test_the_same_image_under_another_key_reuses_the_answer(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    image = small_card_jpeg()
    invoke(aws.put_object("uploads/first.jpg", image))
    invoke(aws.put_object("uploads/later/same.jpg", image))

    assert len(ocr_api.calls) == 1
    record = aws.record("uploads/later/same.jpg")
    assert record is not None
    assert record["reusedFrom"] == f"{BUCKET}/uploads/first.jpg" and record["fields"] == FIELDS


@pytest.mark.parametrize(
    ("key", "data", "status"),
    [
        ("uploads/empty.jpg", b"", "INVALID_REQUEST"),
        ("uploads/statement.pdf", PDF_BYTES, "IMAGE_INVALID_FORMAT"),
        ("uploads/cut.jpg", truncated_jpeg(), "IMAGE_INVALID_FORMAT"),
    ],
    ids=["zero-byte", "non-image", "corrupt"],
)
def test_bad_uploads_never_reach_the_ocr_api(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke, key: str, data: bytes, status: str
) -> None:
    ok_reply(ocr_api)
    invoke(aws.put_object(key, data))

    assert len(ocr_api.calls) == 0
    record = aws.record(key)
    assert record is not None and record["status"] == status and record["provider"] is None
    assert [e["detail-type"] for e in aws.published()] == ["CNIC Upload Rejected"]


def test_a_phone_photo_is_sent_downscaled_under_200_kb(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    photo = phone_photo_jpeg()
    invoke(aws.put_object("uploads/IMG_0001.JPG", photo))

    [sent] = sent_images(ocr_api)
    assert len(sent) <= 200_000
    assert max(Image.open(io.BytesIO(sent)).size) >= 1200
    record = aws.record("uploads/IMG_0001.JPG")
    assert record is not None and (record["sizeBytes"], record["sentBytes"]) == (len(photo), len(sent))


def test_a_5xx_then_ok_is_retried_and_recorded_with_its_attempts(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ocr_api.add(responses.POST, OCR_ENDPOINT, body="Bad Gateway", status=502)
    ok_reply(ocr_api, body={"status": "INNER_ERROR", "message": "Inner error, please retry later"})
    ok_reply(ocr_api)
    invoke(aws.put_object("uploads/card.jpg", small_card_jpeg()))

    assert len(ocr_api.calls) == 3
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "OK" and record["attempts"] == 3


@pytest.mark.parametrize("timeout", [requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout])
def test_timeouts_are_retried(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke, timeout: type[Exception]
) -> None:
    ocr_api.add(responses.POST, OCR_ENDPOINT, body=timeout("slow"))
    ok_reply(ocr_api)
    invoke(aws.put_object("uploads/card.jpg", small_card_jpeg()))
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "OK" and record["attempts"] == 2


def test_a_rotated_key_is_picked_up_after_a_403(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    accepted = {"key": API_KEY}

    def gateway(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if request.headers.get("X-API-Key") != accepted["key"]:
            return 403, {}, json.dumps({"message": "Forbidden"})
        return 200, {}, json.dumps(OK_BODY)

    ocr_api.add_callback(responses.POST, OCR_ENDPOINT, callback=gateway)
    invoke(aws.put_object("uploads/first.jpg", small_card_jpeg(seed=1)))  # caches the first key
    # Rotation: the secret and the gateway change; the function still holds the old key.
    aws.secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=ROTATED_KEY)
    accepted["key"] = ROTATED_KEY
    invoke(aws.put_object("uploads/second.jpg", small_card_jpeg(seed=2)))

    keys = [call.request.headers["X-API-Key"] for call in ocr_api.calls]
    assert keys == [API_KEY, API_KEY, ROTATED_KEY]
    second = aws.record("uploads/second.jpg")
    assert second is not None and second["status"] == "OK"


def test_final_statuses_from_the_api_are_not_retried(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api, body={"status": "IMAGE_INVALID_FORMAT", "message": MSG_INVALID_FORMAT})
    invoke(aws.put_object("uploads/card.jpg", small_card_jpeg()))

    assert len(ocr_api.calls) == 1
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == OcrStatus.IMAGE_INVALID_FORMAT.value
    assert record["message"] == MSG_INVALID_FORMAT
    assert [e["detail-type"] for e in aws.published()] == ["CNIC Upload Rejected"]


def test_a_malformed_answer_is_an_error_record_and_a_failed_invocation(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ocr_api.add(responses.POST, OCR_ENDPOINT, body="{not json", status=200)
    with pytest.raises(handler.UploadsFailedError):
        invoke(aws.put_object("uploads/card.jpg", small_card_jpeg()))

    assert len(ocr_api.calls) == 1
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "ERROR" and record["fields"] is None
    assert "malformed answer (not JSON" in record["reason"]
    [event] = aws.published()
    assert event["detail-type"] == "CNIC Upload Error" and "malformed" in event["detail"]["reason"]


def test_after_exhausted_retries_lambdas_own_retry_completes_the_upload(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    for _ in range(4):
        ocr_api.add(responses.POST, OCR_ENDPOINT, body="unavailable", status=503)
    event = aws.put_object("uploads/card.jpg", small_card_jpeg())
    with pytest.raises(handler.UploadsFailedError):
        invoke(event)
    failed = aws.record("uploads/card.jpg")
    assert failed is not None and failed["status"] == "ERROR" and failed["attempts"] == 4
    assert "OCR retries exhausted after 4 attempt(s): HTTP 503" in failed["reason"]

    ok_reply(ocr_api)
    invoke(event)  # Lambda's async retry of the same event
    assert len(ocr_api.calls) == 5
    done = aws.record("uploads/card.jpg")
    assert done is not None and done["status"] == "OK" and done["createdAt"] == failed["createdAt"]
    assert [e["detail-type"] for e in aws.published()] == ["CNIC Upload Error", "CNIC Upload Recognized"]


def test_a_frozen_provider_is_called_at_most_twice_per_upload_whatever_retries(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12.1: read timeouts may be billed; 3 invocations used to make 12 calls, now 2 in all."""
    for _ in range(12):
        ocr_api.add(responses.POST, OCR_ENDPOINT, body=requests.exceptions.ReadTimeout("frozen"))
    event = aws.put_object("uploads/card.jpg", small_card_jpeg())
    for _ in range(3):  # the invocation and Lambda's two retries
        with pytest.raises(handler.UploadsFailedError):
            invoke(event)

    assert len(ocr_api.calls) == 2
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "ERROR" and record["billableCalls"] == 2
    assert record["reason"] == "OCR not called again: 2 of 2 billable call(s) spent on this upload"
    details = [e["detail"] for e in aws.published()]
    assert [d["billableCalls"] for d in details] == [2, 2, 2]
    assert "(last problem: timeout (ReadTimeout))" in details[0]["reason"]

    # The operator allows one more call (the redrive reads the same settings), and it answers.
    monkeypatch.setenv("OCR_MAX_BILLABLE_CALLS", "3")
    handler.get_runtime.cache_clear()
    ocr_api.replace(responses.POST, OCR_ENDPOINT, json=OK_BODY)
    invoke(event)
    assert len(ocr_api.calls) == 3
    done = aws.record("uploads/card.jpg")
    assert done is not None and done["status"] == "OK" and done["billableCalls"] == 3


def test_refused_connections_and_503s_do_not_spend_the_budget(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    refused = refused_connection()
    for _ in range(4):
        ocr_api.add(responses.POST, OCR_ENDPOINT, body=refused)
    event = aws.put_object("uploads/card.jpg", small_card_jpeg())
    with pytest.raises(handler.UploadsFailedError):
        invoke(event)
    for _ in range(4):
        ocr_api.add(responses.POST, OCR_ENDPOINT, body="unavailable", status=503)
    with pytest.raises(handler.UploadsFailedError):
        invoke(event)
    failed = aws.record("uploads/card.jpg")
    assert failed is not None and failed["billableCalls"] == 0

    ok_reply(ocr_api)
    invoke(event)
    assert len(ocr_api.calls) == 9
    done = aws.record("uploads/card.jpg")
    assert done is not None and done["status"] == "OK" and done["billableCalls"] == 1


def test_a_late_error_never_overwrites_a_final_record(aws: AwsStack) -> None:
    from cnic_ocr.records.dynamodb import DynamoDbRecordRepository

    from .test_flow import World

    world = World()
    world.run(world.upload("uploads/card.jpg", small_card_jpeg()))
    final = next(iter(world.records.items.values()))
    repository = DynamoDbRecordRepository(aws.dynamodb, RECORDS_TABLE)

    assert repository.save(final)
    error = final.model_copy(update={"status": RecordStatus.ERROR, "fields": None, "reason": "late"})
    assert not repository.save(error)  # same upload, final stored: refused
    older = final.model_copy(update={"sequencer": "0" * 64})
    assert not repository.save(older)  # an older upload of the key: refused
    newer = final.model_copy(update={"sequencer": "F" * 64, "status": RecordStatus.FAIL, "fields": None})
    assert repository.save(newer)  # a newer upload: replaces it
    stored = repository.get(final.record_id)
    assert stored is not None and stored.status.value == "FAIL" and stored.fields is None
    assert "idNumber" not in aws.raw_item("uploads/card.jpg")  # the newer item has no stale fields
    assert repository.find_reusable(final.image_sha256 or "") == stored


def test_personal_data_never_appears_in_logs(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    stream = io.StringIO()
    log_handler = handler.logger.registered_handler
    assert isinstance(log_handler, logging.StreamHandler)
    previous = log_handler.setStream(stream)
    handler.logger.setLevel("DEBUG")
    try:
        invoke(aws.put_object(f"uploads/{FIELDS['idNumber']}.jpg", small_card_jpeg()))
    finally:
        handler.logger.setLevel("INFO")
        log_handler.setStream(previous)

    logs = stream.getvalue()
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(line.get("message") == "upload recorded" for line in lines)
    assert all(line.get("correlation_id") == "C3D13FE58DE4C810" for line in lines if "correlation_id" in line)
    assert MASKED_ID in logs
    for secret in (FIELDS["idNumber"], "7411692", FIELDS["name"], FIELDS["fatherName"], API_KEY):
        assert secret not in logs


def test_non_created_events_and_foreign_prefixes_are_skipped(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    removed = s3_event("uploads/card.jpg", event_name="ObjectRemoved:Delete")
    assert invoke(removed) == {"processed": []}
    aws.s3.put_object(Bucket=BUCKET, Key="other/card.jpg", Body=small_card_jpeg())
    result = invoke(s3_event("other/card.jpg"))
    assert result["processed"][0]["disposition"] == "ignored"
    assert len(ocr_api.calls) == 0


def test_an_event_that_is_not_an_s3_notification_fails_loudly(aws: AwsStack, invoke: Invoke) -> None:
    for event in ({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, {"detail": {}}):
        with pytest.raises(handler.NotAnS3NotificationError):
            invoke(event)


def metric_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_outcomes_become_metrics(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke, capsys: pytest.CaptureFixture[str]
) -> None:
    ocr_api.add(responses.POST, OCR_ENDPOINT, body="busy", status=503)
    ok_reply(ocr_api)
    event = aws.put_object("uploads/photo.jpg", phone_photo_jpeg())
    capsys.readouterr()
    invoke(event)
    [first] = metric_lines(capsys.readouterr().out)
    assert first["Recognized"] == [1.0] and first["OcrRetries"] == [1.0]
    assert first["BytesBeforeDownscale"][0] > 2_000_000 >= 200_000 >= first["BytesAfterDownscale"][0]
    assert "OcrLatency" in first

    invoke(event)
    [second] = metric_lines(capsys.readouterr().out)
    assert second["DuplicateDeliveries"] == [1.0] and "Recognized" not in second


def test_a_failed_publish_is_retried_by_lambda_without_paying_again(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Invoke
) -> None:
    ok_reply(ocr_api)
    event = aws.put_object("uploads/card.jpg", small_card_jpeg())
    real_put_events = handler.get_runtime().ports.events._client.put_events  # type: ignore[attr-defined]

    def refusing(**request: Any) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]}

    publisher = handler.get_runtime().ports.events
    publisher._client.put_events = refusing  # type: ignore[attr-defined]
    publisher._sleep = lambda _seconds: None  # type: ignore[attr-defined]
    with pytest.raises(EventPublishError):
        invoke(event)
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "OK"  # the answer is kept
    assert aws.published() == []

    publisher._client.put_events = real_put_events  # type: ignore[attr-defined]
    invoke(event)  # Lambda's retry: the stored answer is announced, not asked for again
    assert len(ocr_api.calls) == 1
    assert [e["detail-type"] for e in aws.published()] == ["CNIC Upload Recognized"]
