"""Publishes pipeline events to EventBridge (the EventPublisher port).

PutEvents can accept a call and still refuse some entries (``FailedEntryCount``); only those
entries are sent again, a bounded number of times, and then the invocation fails.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cnic_ocr.errors import ConfigurationError
from cnic_ocr.pipeline.domain.events import PipelineEvent

logger = logging.getLogger(__name__)

#: PutEvents takes at most this many entries per call.
MAX_ENTRIES_PER_CALL = 10


class EventPublishError(Exception):
    """Some entries were still refused after every retry."""


class EventBridgePublisher:
    def __init__(
        self,
        client: Any,
        bus_name: str,
        *,
        max_attempts: int = 4,
        backoff_base_seconds: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus = bus_name
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_seconds
        self._sleep = sleep

    def publish(self, events: list[PipelineEvent]) -> None:
        entries = [
            {
                "Source": event.source,
                "DetailType": event.detail_type,
                "Detail": event.detail_json(),
                "EventBusName": self._bus,
            }
            for event in events
        ]
        for start in range(0, len(entries), MAX_ENTRIES_PER_CALL):
            self._put_all(entries[start : start + MAX_ENTRIES_PER_CALL])

    def _put_all(self, entries: list[dict[str, str]]) -> None:
        pending = entries
        for attempt in range(1, self._max_attempts + 1):
            try:
                answer = self._client.put_events(Entries=pending)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    raise ConfigurationError(f"event bus {self._bus!r} does not exist") from exc
                raise
            if answer.get("FailedEntryCount", 0) == 0:
                return
            refused = [
                (entry, result)
                for entry, result in zip(pending, answer["Entries"], strict=True)
                if result.get("ErrorCode")
            ]
            codes = sorted({str(result["ErrorCode"]) for _, result in refused})
            logger.warning(
                "EventBridge refused some entries",
                extra={"refused": len(refused), "error_codes": codes, "attempt": attempt},
            )
            pending = [entry for entry, _ in refused]
            if attempt < self._max_attempts:
                self._sleep(random.uniform(0.0, self._backoff_base * 2**attempt))  # noqa: S311 - jitter
        raise EventPublishError(
            f"{len(pending)} event(s) refused by EventBridge after {self._max_attempts} attempts"
        )
