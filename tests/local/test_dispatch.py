"""Lambda's part played locally: async retries, the on-failure message, the S3 record shape."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from cnic_ocr.local.dispatch import Dispatcher, LambdaContext, PutFacts, as_delivered_by_s3
from cnic_ocr.local.provision import S3Trigger, UploadFunction
from cnic_ocr.pipeline.redrive import payload_of

Clients = Callable[[str], Any]

FUNCTION = UploadFunction(
    logical_id="UploadFunction",
    handler="pkg.handler",
    timeout_seconds=120,
    memory_mb=1024,
    environment={},
    max_retry_attempts=2,
    trigger=S3Trigger("Upload", "bucket", ("s3:ObjectCreated:*",), (("prefix", "uploads/"),)),
    on_failure_queue_arn="arn:aws:sqs:us-east-1:123456789012:dlq",
)

MOTO_RECORD = {  # what moto 5.2 puts into the queue for an object-created event
    "eventVersion": "2.1",
    "eventSource": "aws:s3",
    "awsRegion": "us-east-1",
    "eventTime": "2026-11-26T07:00:00.000Z",
    "eventName": "ObjectCreated:Put",
    "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "Upload",
        "bucket": {"name": "bucket", "arn": "arn:aws:s3:::bucket"},
        "object": {"key": "uploads%2F33100-7411692-4+card.jpg", "size": 3, "eTag": "abc"},
    },
}


def event() -> dict[str, Any]:
    return {"Records": [as_delivered_by_s3(MOTO_RECORD, PutFacts("REQ1", "00AB"), "123456789012")]}


class ScriptedHandler:
    """Fails the first ``failures`` invocations, then answers; prints like Powertools does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.contexts: list[Any] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.contexts.append(context)
        print('{"metrics": "to the function log"}')
        if len(self.contexts) <= self.failures:
            raise RuntimeError("OCR API unavailable for uploads/33100-7411692-4 card.jpg")
        return {"processed": [{"status": "OK"}]}


def dispatcher(aws: Clients, handler: ScriptedHandler, output: io.StringIO) -> Dispatcher:
    sqs = aws("sqs")
    return Dispatcher(
        sqs=sqs,
        notifications_queue_url=sqs.create_queue(QueueName="notifications")["QueueUrl"],
        function=FUNCTION,
        handler=handler,
        function_output=output,
        dead_letter_queue_url=sqs.create_queue(QueueName="dlq")["QueueUrl"],
        retry_delays=(0.0,),
    )


def test_records_get_the_fields_s3_always_sends() -> None:
    [record] = event()["Records"]
    assert record["responseElements"]["x-amz-request-id"] == "REQ1"
    assert record["s3"]["object"]["sequencer"] == "00AB"
    assert record["s3"]["object"]["key"] == "uploads/33100-7411692-4+card.jpg"
    assert record["userIdentity"]["principalId"] and record["requestParameters"]["sourceIPAddress"]
    assert record["s3"]["bucket"]["ownerIdentity"]["principalId"] == "123456789012"
    kept = as_delivered_by_s3({**MOTO_RECORD, "userIdentity": {"principalId": "X"}}, None, "1")
    assert kept["userIdentity"] == {"principalId": "X"}


def test_a_failing_invocation_is_retried_like_lambda_and_then_succeeds(aws: Clients) -> None:
    handler, output = ScriptedHandler(failures=2), io.StringIO()
    delivery = dispatcher(aws, handler, output).invoke_async(event())
    assert (delivery.attempts, delivery.error, delivery.dead_lettered) == (3, None, False)
    assert delivery.keys == ["uploads/33100-7411692-4 card.jpg"]
    assert len({context.aws_request_id for context in handler.contexts}) == 3
    assert output.getvalue().count("to the function log") == 3  # not on this process's stdout


def test_after_the_last_retry_the_event_goes_to_the_dead_letter_queue_as_lambda_sends_it(
    aws: Clients,
) -> None:
    handler = ScriptedHandler(failures=99)
    local = dispatcher(aws, handler, io.StringIO())
    delivery = local.invoke_async(event())
    assert (delivery.attempts, delivery.dead_lettered) == (3, True)
    assert delivery.error is not None and "33100-*******-4" in delivery.error
    assert "7411692" not in delivery.error
    [message] = aws("sqs").receive_message(QueueUrl=local.dead_letter_queue_url)["Messages"]
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RetriesExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    assert body["responsePayload"]["errorType"] == "RuntimeError"
    assert payload_of(message["Body"]) == event()  # cnic-redrive can re-process it


def test_the_dispatcher_delivers_queued_notifications_and_skips_s3_test_events(aws: Clients) -> None:
    handler = ScriptedHandler(failures=0)
    local = dispatcher(aws, handler, io.StringIO())
    sqs = aws("sqs")
    sqs.send_message(
        QueueUrl=local.notifications_queue_url, MessageBody=json.dumps({"Event": "s3:TestEvent"})
    )
    sqs.send_message(
        QueueUrl=local.notifications_queue_url, MessageBody=json.dumps({"Records": [MOTO_RECORD]})
    )
    seen: list[Any] = []
    missing = local.run(["uploads/33100-7411692-4 card.jpg"], seen.append)
    assert missing == set()
    assert [delivery.keys for delivery in seen] == [["uploads/33100-7411692-4 card.jpg"]]
    assert len(handler.contexts) == 1


def test_the_context_counts_down_from_the_template_timeout() -> None:
    context = LambdaContext(FUNCTION)
    assert 119_000 < context.get_remaining_time_in_millis() <= 120_000
    assert context.function_name == "UploadFunction"
    assert context.invoked_function_arn.endswith(":function:UploadFunction")
    assert context.memory_limit_in_mb == 1024


def test_serving_delivers_uploads_it_did_not_make_in_order_until_told_to_stop(aws: Clients) -> None:
    """``--serve``: keys not known in advance, each with a sequencer later than the one before."""

    class RecordingHandler(ScriptedHandler):
        def __init__(self) -> None:
            super().__init__(failures=0)
            self.events: list[dict[str, Any]] = []

        def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            self.events.append(event)
            return super().__call__(event, context)

    handler = RecordingHandler()
    local = dispatcher(aws, handler, io.StringIO())
    sqs = aws("sqs")
    for name in ("first", "second"):
        record = json.loads(json.dumps(MOTO_RECORD))
        record["s3"]["object"]["key"] = f"uploads%2F{name}"
        sqs.send_message(
            QueueUrl=local.notifications_queue_url, MessageBody=json.dumps({"Records": [record]})
        )
    seen: list[Any] = []
    local.deliver_until(lambda: len(seen) == 2, seen.append)
    assert [delivery.keys for delivery in seen] == [["uploads/first"], ["uploads/second"]]
    first, second = (event["Records"][0] for event in handler.events)
    assert first["s3"]["object"]["sequencer"] < second["s3"]["object"]["sequencer"]
    assert first["responseElements"]["x-amz-request-id"] != second["responseElements"]["x-amz-request-id"]
