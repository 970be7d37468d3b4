"""``cnic-redrive``: re-processes the uploads kept in the dead-letter queue.

The function's on-failure destination stores each failed invocation as
``{"requestContext": ..., "requestPayload": <the S3 event>, ...}``. This command reads those
messages and runs each payload again, then deletes the message only when it succeeded:

* in this process (default), through the same ``handle_event`` and idempotent flow as the
  function, configured by the same environment variables (RECORDS_TABLE_NAME, ...);
* or, with ``--function-name``, by invoking the deployed function asynchronously with the
  original event (its own retries and destination apply again).

An upload that already has a final record is not sent to the OCR API again either way.
A message that fails again (or holds no event) is made visible again when the run ends, so
the next run sees it at once; messages another reader holds (in flight) are counted and make
the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from pydantic import ValidationError

from cnic_ocr.errors import ConfigurationError

logger = logging.getLogger(__name__)

#: How long a received message stays hidden from other readers while it is being reprocessed
#: (longer than an in-process redrive of one event may take).
RECEIVE_VISIBILITY_SECONDS = 300

#: Remaining time given to an in-process redrive, as if it ran in a function with this timeout.
IN_PROCESS_TIME_BUDGET_MS = 120_000

Reprocess = Callable[[dict[str, Any]], None]


@dataclass
class RedriveReport:
    redriven: int = 0
    failed: int = 0
    unreadable: int = 0
    #: Messages still hidden at the end (received by another reader), approximate.
    in_flight: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every message of the queue was redriven: nothing failed, unreadable or hidden."""
        return self.failed == 0 and self.unreadable == 0 and self.in_flight == 0


class _FixedBudgetContext:
    """Stands in for the Lambda context: only the remaining time is used by the handler."""

    def get_remaining_time_in_millis(self) -> int:
        return IN_PROCESS_TIME_BUDGET_MS


def payload_of(body: str) -> dict[str, Any] | None:
    """The original S3 event of a dead-letter message, or None if the message holds none."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    payload = message.get("requestPayload", message)  # on-failure destination, or a raw event
    return payload if isinstance(payload, dict) and "Records" in payload else None


def redrive(
    sqs: Any, queue_url: str, reprocess: Reprocess, *, max_messages: int, wait_seconds: int = 2
) -> RedriveReport:
    """Reprocesses up to ``max_messages`` messages; failed ones stay in the queue.

    Stops when a receive that waited ``wait_seconds`` (long polling) comes back empty. The
    messages that stay are hidden until the end of the run (so they are not retried twice in
    it) and then made visible again, also when the run is interrupted.
    """
    report = RedriveReport()
    kept: list[str] = []  # receipt handles of the messages left in the queue
    try:
        while report.redriven + report.failed + report.unreadable < max_messages:
            batch = min(10, max_messages - report.redriven - report.failed - report.unreadable)
            answer = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=batch,
                WaitTimeSeconds=wait_seconds,
                VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                kept.append(message["ReceiptHandle"])
                payload = payload_of(message["Body"])
                if payload is None:
                    report.unreadable += 1
                    report.errors.append(
                        f"message {message['MessageId']}: no S3 event inside; left in the queue"
                    )
                    continue
                try:
                    reprocess(payload)
                except Exception as exc:  # each message stands alone; the queue keeps a failed one
                    report.failed += 1
                    report.errors.append(f"message {message['MessageId']}: {type(exc).__name__}: {exc}")
                    continue
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                kept.pop()
                report.redriven += 1
    finally:
        _make_visible(sqs, queue_url, kept)
    report.in_flight = _hidden_messages(sqs, queue_url)
    return report


def _make_visible(sqs: Any, queue_url: str, receipt_handles: list[str]) -> None:
    """Ends the hiding of the messages left in the queue, so the next run gets them at once."""
    for start in range(0, len(receipt_handles), 10):
        entries = [
            {"Id": str(number), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for number, handle in enumerate(receipt_handles[start : start + 10])
        ]
        answer = sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
        for failure in answer.get("Failed", []):
            logger.warning("a message stays hidden until its timeout", extra={"code": failure.get("Code")})


def _hidden_messages(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))


def in_process_reprocessor() -> Reprocess:
    """Runs the function's own handler code here, with the environment's settings."""
    from cnic_ocr.pipeline.handler import get_runtime, handle_event

    runtime = get_runtime()

    def reprocess(payload: dict[str, Any]) -> None:
        handle_event(payload, _FixedBudgetContext(), runtime)

    return reprocess


def lambda_reprocessor(lambda_client: Any, function_name: str) -> Reprocess:
    """Invokes the deployed function asynchronously with the original event."""

    def reprocess(payload: dict[str, Any]) -> None:
        answer = lambda_client.invoke(
            FunctionName=function_name, InvocationType="Event", Payload=json.dumps(payload).encode()
        )
        if answer.get("StatusCode") != 202:
            raise RuntimeError(f"invoke answered {answer.get('StatusCode')}")

    return reprocess


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cnic-redrive", description="Re-process the uploads kept in the dead-letter queue."
    )
    parser.add_argument("--queue-url", required=True, help="URL of the dead-letter queue (stack output)")
    parser.add_argument("--function-name", help="invoke this deployed function instead of running in-process")
    parser.add_argument("--max-messages", type=int, default=100, help="stop after this many messages")
    parser.add_argument(
        "--wait-seconds", type=int, default=2, help="long-poll wait before deciding it is empty"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    session = boto3.session.Session()
    if args.function_name:
        reprocess = lambda_reprocessor(session.client("lambda"), args.function_name)
    else:
        try:
            reprocess = in_process_reprocessor()
        except (ConfigurationError, ValidationError) as exc:
            print(f"cannot run the pipeline here: {exc}", file=sys.stderr)
            return 2
    report = redrive(
        session.client("sqs"),
        args.queue_url,
        reprocess,
        max_messages=args.max_messages,
        wait_seconds=args.wait_seconds,
    )
    for error in report.errors:
        print(error, file=sys.stderr)
    if report.in_flight:
        print(
            f"{report.in_flight} message(s) in flight: received by another reader and hidden for up to"
            f" {RECEIVE_VISIBILITY_SECONDS} s; run again after that",
            file=sys.stderr,
        )
    print(
        f"redriven {report.redriven}, failed {report.failed}, unreadable {report.unreadable},"
        f" in flight {report.in_flight}"
    )
    return 0 if report.complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
