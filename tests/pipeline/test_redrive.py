"""cnic-redrive: dead-letter messages go through the same handler and flow again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import responses

from cnic_ocr.pipeline import handler, redrive

from .support import OCR_ENDPOINT, OK_BODY, AwsStack, refused_connection, small_card_jpeg


def on_failure_message(event: dict[str, Any]) -> str:
    """What Lambda's on-failure destination puts in the queue after the last retry."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-26T07:42:10.123Z",
            "requestContext": {
                "requestId": "5c0d9b6e",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:UploadFunction:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorMessage": "1 upload(s) without a final result",
                "errorType": "UploadsFailedError",
            },
        }
    )


@pytest.fixture
def dead_letters(aws: AwsStack) -> str:
    url: str = aws.sqs.create_queue(QueueName="upload-dlq")["QueueUrl"]
    return url


def queued(aws: AwsStack, url: str) -> int:
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def fail_upload(aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Any, key: str) -> dict[str, Any]:
    for _ in range(4):
        ocr_api.add(responses.POST, OCR_ENDPOINT, body="unavailable", status=503)
    event = aws.put_object(key, small_card_jpeg())
    with pytest.raises(handler.UploadsFailedError):
        invoke(event)
    record = aws.record(key)
    assert record is not None and record["status"] == "ERROR"
    return event


def test_redrive_reprocesses_dead_letters_and_empties_the_queue(
    aws: AwsStack,
    ocr_api: responses.RequestsMock,
    invoke: Any,
    dead_letters: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = fail_upload(aws, ocr_api, invoke, "uploads/card.jpg")
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message(event))
    ocr_api.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)

    assert redrive.main(["--queue-url", dead_letters, "--wait-seconds", "0"]) == 0

    assert "redriven 1, failed 0, unreadable 0, in flight 0" in capsys.readouterr().out
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "OK"
    assert queued(aws, dead_letters) == 0
    assert len(ocr_api.calls) == 5


def test_a_dead_letter_that_fails_again_stays_in_the_queue(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Any, dead_letters: str
) -> None:
    event = fail_upload(aws, ocr_api, invoke, "uploads/card.jpg")
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message(event))
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody="not json at all")
    for _ in range(4):
        ocr_api.add(responses.POST, OCR_ENDPOINT, body="still down", status=503)

    report = redrive.redrive(
        aws.sqs, dead_letters, redrive.in_process_reprocessor(), max_messages=10, wait_seconds=0
    )

    assert (report.redriven, report.failed, report.unreadable) == (0, 1, 1)
    assert any("UploadsFailedError" in error for error in report.errors)
    assert queued(aws, dead_letters) == 2
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "ERROR"


def test_a_failed_redrive_leaves_the_message_visible_for_the_next_run_at_once(
    aws: AwsStack,
    ocr_api: responses.RequestsMock,
    invoke: Any,
    dead_letters: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 12.2: a rerun right after a failed run redrives the message instead of reporting 0."""
    event = fail_upload(aws, ocr_api, invoke, "uploads/card.jpg")
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message(event))
    for _ in range(4):  # OCR_API_URL=http://127.0.0.1:1
        ocr_api.add(responses.POST, OCR_ENDPOINT, body=refused_connection())
    assert redrive.main(["--queue-url", dead_letters, "--wait-seconds", "0"]) == 1
    assert "redriven 0, failed 1, unreadable 0, in flight 0" in capsys.readouterr().out

    ocr_api.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
    assert redrive.main(["--queue-url", dead_letters, "--wait-seconds", "0"]) == 0

    assert "redriven 1, failed 0, unreadable 0, in flight 0" in capsys.readouterr().out
    record = aws.record("uploads/card.jpg")
    assert record is not None and record["status"] == "OK"
    assert queued(aws, dead_letters) == 0


def test_messages_hidden_by_another_reader_are_reported_and_fail_the_run(
    aws: AwsStack, dead_letters: str, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message({"Records": []}))
    aws.sqs.receive_message(QueueUrl=dead_letters, VisibilityTimeout=300)  # another reader has it

    assert redrive.main(["--queue-url", dead_letters, "--wait-seconds", "0"]) == 1

    out, err = capsys.readouterr()
    assert "redriven 0, failed 0, unreadable 0, in flight 1" in out
    assert "1 message(s) in flight" in err


def test_redriving_an_upload_that_has_since_succeeded_pays_nothing(
    aws: AwsStack, ocr_api: responses.RequestsMock, invoke: Any, dead_letters: str
) -> None:
    event = fail_upload(aws, ocr_api, invoke, "uploads/card.jpg")
    ocr_api.add(responses.POST, OCR_ENDPOINT, json=OK_BODY)
    invoke(event)  # a later retry succeeded after all
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message(event))

    report = redrive.redrive(
        aws.sqs, dead_letters, redrive.in_process_reprocessor(), max_messages=10, wait_seconds=0
    )

    assert report.redriven == 1 and len(ocr_api.calls) == 5


@dataclass
class LambdaClientStub:
    """Stands in for boto3's Lambda client (moto would need Docker to run a function)."""

    status: int = 202
    invocations: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.invocations.append(request)
        return {"StatusCode": self.status}


def test_redrive_can_hand_the_original_event_to_the_deployed_function(
    aws: AwsStack, dead_letters: str
) -> None:
    event = {"Records": [{"eventName": "ObjectCreated:Put", "s3": {}}]}
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message(event))
    client = LambdaClientStub()

    reprocess = redrive.lambda_reprocessor(client, "UploadFunction")
    report = redrive.redrive(aws.sqs, dead_letters, reprocess, max_messages=5, wait_seconds=0)

    assert report.redriven == 1
    [request] = client.invocations
    assert request["FunctionName"] == "UploadFunction" and request["InvocationType"] == "Event"
    assert json.loads(request["Payload"]) == event
    assert queued(aws, dead_letters) == 0


def test_a_refused_invocation_keeps_the_message(aws: AwsStack, dead_letters: str) -> None:
    aws.sqs.send_message(QueueUrl=dead_letters, MessageBody=on_failure_message({"Records": []}))
    report = redrive.redrive(
        aws.sqs,
        dead_letters,
        redrive.lambda_reprocessor(LambdaClientStub(status=500), "F"),
        max_messages=5,
        wait_seconds=0,
    )
    assert report.failed == 1 and queued(aws, dead_letters) == 1


def test_redrive_without_the_pipeline_settings_says_so(
    aws: AwsStack, dead_letters: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RECORDS_TABLE_NAME")
    assert redrive.main(["--queue-url", dead_letters, "--wait-seconds", "0"]) == 2
    assert "cannot run the pipeline here" in capsys.readouterr().err
