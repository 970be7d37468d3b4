"""Plays Lambda's part: S3 notifications from a queue → the handler, with async-invoke semantics.

S3 notifies the function asynchronously; Lambda then runs it, retries a failed invocation
``MaximumRetryAttempts`` times and finally sends the event to the on-failure destination.
Here the bucket notifies a queue in moto; :class:`Dispatcher` receives each notification,
completes it to the shape S3 really sends (moto leaves out fields S3 always includes) and
invokes the handler in this process, with the same retries and the same dead-letter message
as Lambda, only without Lambda's minutes of waiting between retries.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TextIO
from urllib.parse import quote_plus, unquote_plus

from cnic_ocr.local.provision import UploadFunction
from cnic_ocr.masking import mask_id_numbers_in

Handler = Callable[[dict[str, Any], Any], Any]

#: Pause before each retry (Lambda waits about one and then two minutes).
RETRY_DELAYS_SECONDS: Final = (1.0, 2.0)
#: A dispatcher that has waited this long for the notification of an upload gives up on it.
NOTIFICATION_WAIT_SECONDS: Final = 20.0
#: Who S3 says the uploader and the bucket owner are (fields moto leaves out).
_LOCAL_PRINCIPAL: Final = "AWS:AIDALOCALUPLOADER"
_LOCAL_SOURCE_IP: Final = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class PutFacts:
    """What S3 knows about a PUT and puts into its notification: request id, order, version."""

    request_id: str
    sequencer: str
    version_id: str | None = None


def as_delivered_by_s3(record: dict[str, Any], facts: PutFacts | None, account_id: str) -> dict[str, Any]:
    """``record`` (moto's) with the fields every real S3 notification record carries.

    Present fields are kept; missing ones are filled from the PUT (request id, sequencer,
    version) or with the local uploader's identity. The key is URL-encoded as S3 does it
    (``+`` for spaces, ``/`` kept); moto also encodes the slashes.
    """
    completed: dict[str, Any] = json.loads(json.dumps(record))
    obj = completed["s3"]["object"]
    obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")
    completed.setdefault("userIdentity", {"principalId": _LOCAL_PRINCIPAL})
    completed.setdefault("requestParameters", {"sourceIPAddress": _LOCAL_SOURCE_IP})
    request_id = facts.request_id if facts else uuid.uuid4().hex[:16].upper()
    completed.setdefault(
        "responseElements", {"x-amz-request-id": request_id, "x-amz-id-2": f"local/{request_id}"}
    )
    bucket = completed["s3"]["bucket"]
    bucket.setdefault("ownerIdentity", {"principalId": account_id})
    if facts is not None:
        obj.setdefault("sequencer", facts.sequencer)
        if facts.version_id is not None:
            obj.setdefault("versionId", facts.version_id)
    return completed


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object the handler and Powertools read."""

    function: UploadFunction
    started: float = field(default_factory=time.monotonic)
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    region: str = "us-east-1"
    account_id: str = "123456789012"

    @property
    def function_name(self) -> str:
        return self.function.logical_id

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function.logical_id}"

    @property
    def memory_limit_in_mb(self) -> int:
        return self.function.memory_mb

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function.logical_id}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.function.timeout_seconds - elapsed) * 1000))


@dataclass
class Delivery:
    """The end of one notification: how many invocations and whether it was dead-lettered."""

    keys: list[str]
    attempts: int
    error: str | None = None
    dead_lettered: bool = False
    result: Any = None
    seconds: float = 0.0


@dataclass
class Dispatcher:
    """Receives the bucket's notifications and invokes the handler for each, as Lambda would."""

    sqs: Any
    notifications_queue_url: str
    function: UploadFunction
    handler: Handler
    #: where the function's standard output (Powertools logs and metrics) goes
    function_output: TextIO
    dead_letter_queue_url: str | None
    put_facts: dict[str, PutFacts] = field(default_factory=dict)
    region: str = "us-east-1"
    account_id: str = "123456789012"
    retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS

    def run(self, expected_keys: list[str], on_delivery: Callable[[Delivery], None]) -> set[str]:
        """Delivers notifications until every expected key had one; returns the keys never notified."""
        waiting = set(expected_keys)
        last_arrival = time.monotonic()
        while waiting and time.monotonic() - last_arrival < NOTIFICATION_WAIT_SECONDS:
            for delivery in self._receive_and_deliver():
                if delivery is not None:
                    waiting.difference_update(delivery.keys)
                    on_delivery(delivery)
                last_arrival = time.monotonic()  # the wait counts from the end of the last delivery
        return waiting

    def deliver_until(self, stop: Callable[[], bool], on_delivery: Callable[[Delivery], None]) -> None:
        """Delivers every notification that arrives (keys not known in advance) until ``stop()``."""
        while not stop():
            for delivery in self._receive_and_deliver():
                if delivery is not None:
                    on_delivery(delivery)

    def _receive_and_deliver(self) -> Iterator[Delivery | None]:
        """Waits up to a second for one notification; delivers it (None: not for the function)."""
        answer = self.sqs.receive_message(
            QueueUrl=self.notifications_queue_url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=1,
            VisibilityTimeout=max(30, self.function.timeout_seconds * (1 + self.function.max_retry_attempts)),
        )
        for message in answer.get("Messages", []):
            delivery = self._deliver(json.loads(message["Body"]))
            self.sqs.delete_message(
                QueueUrl=self.notifications_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            yield delivery

    def _deliver(self, body: dict[str, Any]) -> Delivery | None:
        if body.get("Event") == "s3:TestEvent":
            return None  # S3 sends it to a queue when notifications are configured; Lambda never sees it
        records = [
            as_delivered_by_s3(
                record, self._facts(unquote_plus(record["s3"]["object"]["key"])), self.account_id
            )
            for record in body.get("Records", [])
        ]
        event = {"Records": records}
        return self.invoke_async(event)

    def _facts(self, key: str) -> PutFacts:
        """The runner's own PUT's facts; for an upload it did not make (``--serve``), fresh ones.

        Its sequencer follows every earlier one, as S3's would for a later write.
        """
        known = self.put_facts.get(key)
        if known is not None:
            return known
        return PutFacts(request_id=uuid.uuid4().hex[:16].upper(), sequencer=f"{time.time_ns():016X}")

    def invoke_async(self, event: dict[str, Any]) -> Delivery:
        """One asynchronous invocation: the first try, the retries, then the on-failure destination."""
        keys = [unquote_plus(record["s3"]["object"]["key"]) for record in event.get("Records", [])]
        started = time.monotonic()
        attempts = 1 + self.function.max_retry_attempts
        error: BaseException | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                time.sleep(self.retry_delays[min(attempt - 2, len(self.retry_delays) - 1)])
            context = LambdaContext(self.function, region=self.region, account_id=self.account_id)
            try:
                with contextlib.redirect_stdout(self.function_output):
                    result = self.handler(event, context)
            except Exception as exc:  # an unhandled function error: Lambda retries the event
                error = exc
                continue
            return Delivery(keys, attempt, result=result, seconds=time.monotonic() - started)
        assert error is not None
        message = f"{type(error).__name__}: {mask_id_numbers_in(str(error))}"
        dead_lettered = self._send_to_on_failure_destination(event, error, attempts)
        return Delivery(keys, attempts, message, dead_lettered, seconds=time.monotonic() - started)

    def _send_to_on_failure_destination(
        self, event: dict[str, Any], error: BaseException, attempts: int
    ) -> bool:
        """The message Lambda sends after the last retry (its invocation record format)."""
        if self.dead_letter_queue_url is None:
            return False
        invocation_record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self.region}:{self.account_id}:function:"
                f"{self.function.logical_id}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorMessage": mask_id_numbers_in(str(error)),
                "errorType": type(error).__name__,
            },
        }
        self.sqs.send_message(QueueUrl=self.dead_letter_queue_url, MessageBody=json.dumps(invocation_record))
        return True
