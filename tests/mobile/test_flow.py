"""The mobile flow in moto: slot → photo posted to S3 with ``requests`` → upload pipeline → poll.

The uploads API runs with its real adapters (S3 presigned POST, the records table) on moto;
the upload function is the pipeline's real Lambda handler; only the OCR API is faked, at the
HTTP boundary (``responses``, started inside the moto mock after the photo is posted).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses

from cnic_ocr.api.core import OcrApi
from cnic_ocr.contract import MSG_INVALID_FORMAT, MSG_NOT_IDENTITY_CARD
from cnic_ocr.mobile.core import EXPIRY_GRACE_SECONDS, KEY_ID_FIELD, UploadIdSigner
from cnic_ocr.pipeline import handler
from cnic_ocr.pipeline.handler import UploadsFailedError

from .support import (
    APP_KEY,
    BUCKET,
    EVENTS_DIR,
    FIELDS,
    OCR_ENDPOINT,
    OK_BODY,
    OTHER_APP_KEY,
    PDF_BYTES,
    PREFIX,
    UPLOAD_ID_SECRET_VALUE,
    AwsStack,
    FakeClock,
    ask_for_slot,
    card_jpeg,
    poll,
    post_to_s3,
    uploads_api,
)
from .support import request as api_request


class LambdaContextStub:
    function_name = "UploadFunction"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:UploadFunction"
    aws_request_id = "req-mobile-0001"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


def run_pipeline(aws: AwsStack, upload_id: str) -> dict[str, Any]:
    """The upload function on the notification S3 sends for the slot's object."""
    event = aws.notification_for(PREFIX + upload_id)
    result: dict[str, Any] = handler.lambda_handler(event, LambdaContextStub())
    return result


def posted(slot: dict[str, Any], data: bytes, **kwargs: Any) -> requests.Response:
    answer = post_to_s3(slot, data, **kwargs)
    assert isinstance(answer, requests.Response), f"S3 would refuse the post: {answer}"
    return answer


def test_slot_upload_pipeline_poll_returns_the_fields(aws: AwsStack, clock: FakeClock) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api)
    assert set(slot) == {"uploadId", "url", "fields", "expiresIn"}
    assert slot["expiresIn"] == 300
    assert poll(api, slot["uploadId"]) == (200, {"status": "PENDING"})  # nothing posted yet

    photo = card_jpeg()
    answer = posted(slot, photo)
    assert answer.status_code == 204
    head = aws.s3.head_object(Bucket=BUCKET, Key=PREFIX + slot["uploadId"])
    assert head["ContentType"] == "image/jpeg" and head["ContentLength"] == len(photo)
    key_id = UploadIdSigner(UPLOAD_ID_SECRET_VALUE.encode()).key_id(APP_KEY)
    assert head["Metadata"] == {KEY_ID_FIELD.removeprefix("x-amz-meta-"): key_id}
    assert APP_KEY not in json.dumps(slot) and APP_KEY not in json.dumps(head["Metadata"])
    assert poll(api, slot["uploadId"]) == (200, {"status": "PENDING"})  # posted, not processed

    with responses.RequestsMock() as ocr:
        ocr.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
        result = run_pipeline(aws, slot["uploadId"])
        [call] = ocr.calls
    assert [summary["status"] for summary in result["processed"]] == ["OK"]
    assert base64.b64decode(parse_qs(str(call.request.body))["img"][0]) == photo  # the posted bytes

    assert poll(api, slot["uploadId"]) == (200, {"status": "OK", "message": FIELDS})
    # and the webhook would have received the pipeline's event for this upload
    [event] = aws.published()
    assert event["detail-type"] == "CNIC Upload Recognized"
    assert event["detail"]["objectKey"] == PREFIX + slot["uploadId"]
    assert FIELDS["idNumber"] not in json.dumps(event)
    example = json.loads((EVENTS_DIR / "webhook-payload-example.json").read_text(encoding="utf-8"))
    assert set(event["detail"]) == set(example["detail"])
    assert set(event) | {"account"} == set(example)  # moto's copy of the event leaves out "account"


def test_another_key_gets_404_for_the_upload_before_and_after_its_result(
    aws: AwsStack, clock: FakeClock
) -> None:
    api = uploads_api(clock)
    mine = ask_for_slot(api, key=APP_KEY)
    theirs = ask_for_slot(api, key=OTHER_APP_KEY)
    not_found = (404, {"message": "Not Found"})
    assert poll(api, mine["uploadId"], key=OTHER_APP_KEY) == not_found
    assert poll(api, theirs["uploadId"], key=APP_KEY) == not_found
    # the key id stored on the object differs per key
    assert mine["fields"][KEY_ID_FIELD] != theirs["fields"][KEY_ID_FIELD]

    posted(mine, card_jpeg())
    with responses.RequestsMock() as ocr:
        ocr.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
        run_pipeline(aws, mine["uploadId"])
    assert poll(api, mine["uploadId"], key=OTHER_APP_KEY) == not_found
    assert poll(api, mine["uploadId"], key=APP_KEY) == (200, {"status": "OK", "message": FIELDS})
    assert poll(api, theirs["uploadId"], key=OTHER_APP_KEY) == (200, {"status": "PENDING"})


def test_unknown_tampered_and_malformed_ids_get_404(aws: AwsStack, clock: FakeClock) -> None:
    api = uploads_api(clock)
    upload_id = ask_for_slot(api)["uploadId"]
    flipped = upload_id[:5] + ("A" if upload_id[5] != "A" else "B") + upload_id[6:]
    # the same bytes spelled differently (unused low bits of the last character)
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(upload_id[-1])
    respelled = upload_id[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1]
    forged = UploadIdSigner(b"another-secret-of-32-bytes-......").issue("0" * 32, int(clock.epoch) + 300)
    for candidate in [flipped, respelled, forged, "x" * 43, "not-an-id", upload_id + "A", "%2e%2e"]:
        assert poll(api, candidate) == (404, {"message": "Not Found"}), candidate
    assert poll(api, upload_id) == (200, {"status": "PENDING"})


def test_expired_slot_refused_by_s3_and_reported_expired(aws: AwsStack, clock: FakeClock) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api)
    issued = datetime.fromtimestamp(clock.epoch, UTC)
    # S3 accepts the post until the policy's expiration and refuses it afterwards
    assert post_to_s3(slot, card_jpeg(), now=issued + timedelta(seconds=299)) != "policy expired"
    aws.s3.delete_object(Bucket=BUCKET, Key=PREFIX + slot["uploadId"])
    assert post_to_s3(slot, card_jpeg(), now=issued + timedelta(seconds=302)) == "policy expired"

    clock.epoch += 301  # expired, but a post that started in time may still be arriving
    assert poll(api, slot["uploadId"]) == (200, {"status": "PENDING"})
    clock.epoch += EXPIRY_GRACE_SECONDS
    assert poll(api, slot["uploadId"]) == (
        200,
        {"status": "EXPIRED", "message": "no image arrived before the upload slot expired"},
    )


def test_an_expired_slot_whose_image_arrived_is_still_pending(aws: AwsStack, clock: FakeClock) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api)
    posted(slot, card_jpeg())
    clock.epoch += 300 + EXPIRY_GRACE_SECONDS + 1
    assert poll(api, slot["uploadId"]) == (200, {"status": "PENDING"})  # the pipeline has not run yet


def test_a_pdf_posted_as_jpeg_is_rejected_by_the_pipeline_and_polled_as_such(
    aws: AwsStack, clock: FakeClock
) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api)
    posted(slot, PDF_BYTES)  # the declared type matches the policy; the bytes are what count
    with responses.RequestsMock() as ocr:
        run_pipeline(aws, slot["uploadId"])
        assert not ocr.calls  # rejected locally, nothing paid
    assert poll(api, slot["uploadId"]) == (
        200,
        {"status": "IMAGE_INVALID_FORMAT", "message": MSG_INVALID_FORMAT},
    )


def test_fail_answers_keep_their_verbatim_message(aws: AwsStack, clock: FakeClock) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api)
    posted(slot, card_jpeg())
    with responses.RequestsMock() as ocr:
        ocr.add(responses.POST, OCR_ENDPOINT, json={"status": "FAIL", "message": MSG_NOT_IDENTITY_CARD})
        run_pipeline(aws, slot["uploadId"])
    assert poll(api, slot["uploadId"]) == (200, {"status": "FAIL", "message": MSG_NOT_IDENTITY_CARD})


def test_an_upload_without_a_final_answer_polls_as_inner_error_then_its_retry_answers(
    aws: AwsStack, clock: FakeClock
) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api)
    posted(slot, card_jpeg())
    event = aws.notification_for(PREFIX + slot["uploadId"])
    with responses.RequestsMock() as ocr:
        ocr.add(responses.POST, OCR_ENDPOINT, status=503, json={"message": "Service Unavailable"})
        with pytest.raises(UploadsFailedError):
            handler.lambda_handler(event, LambdaContextStub())
    assert poll(api, slot["uploadId"]) == (
        200,
        {"status": "INNER_ERROR", "message": "Inner error, please retry later"},
    )
    with responses.RequestsMock() as ocr:  # Lambda's retry of the same event
        ocr.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
        handler.lambda_handler(event, LambdaContextStub())
    assert poll(api, slot["uploadId"]) == (200, {"status": "OK", "message": FIELDS})


def test_slots_for_each_image_type_pin_it(aws: AwsStack, clock: FakeClock) -> None:
    api = uploads_api(clock)
    slot = ask_for_slot(api, content_type="image/heic")
    assert slot["fields"]["Content-Type"] == "image/heic"
    tampered = dict(slot["fields"], **{"Content-Type": "image/svg+xml"})
    assert post_to_s3(slot, b"<svg/>", fields=tampered) == "content-type does not satisfy the policy"


def test_the_uploads_route_answers_through_the_ocr_api_behind_its_key_check(
    aws: AwsStack, clock: FakeClock
) -> None:
    class NoRecognizer:
        def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]:
            raise AssertionError("the uploads routes never recognize")

    api = OcrApi(NoRecognizer(), api_keys=[APP_KEY], more_routes=uploads_api(clock))
    created = api.handle(api_request("POST", "/v1/uploads"))
    assert created.status_code == 201
    slot = json.loads(created.body)
    assert created.headers["Location"] == f"/v1/uploads/{slot['uploadId']}"
    assert api.handle(api_request("GET", created.headers["Location"])).status_code == 200
    refused = api.handle(api_request("GET", created.headers["Location"], key=OTHER_APP_KEY))
    assert (refused.status_code, json.loads(refused.body)) == (403, {"message": "Forbidden"})
