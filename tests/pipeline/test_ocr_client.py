"""The retry policy of OCR calls, with a scripted transport and a fake clock (no real waiting)."""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field

import pytest

from cnic_ocr.contract import (
    MSG_INNER_ERROR,
    MSG_INVALID_FORMAT,
    MSG_INVALID_REQUEST,
    MSG_INVALID_SIZE,
    MSG_NOT_IDENTITY_CARD,
    MSG_RECOGNITION_FAILED,
    OcrStatus,
    OkResponse,
)
from cnic_ocr.pipeline.domain.ocr import MIN_READ_TIMEOUT_SECONDS, RetryingOcrClient, RetryPolicy
from cnic_ocr.pipeline.domain.ports import HttpAnswer, OcrCallError, TransportError

from .support import API_KEY, FIELDS, OK_BODY, ROTATED_KEY, FakeClock

IMAGE = b"\xff\xd8\xff\xe0 pretend jpeg"


def body(status: OcrStatus, message: str) -> bytes:
    return json.dumps({"status": status.value, "message": message}).encode()


OK = HttpAnswer(200, json.dumps(OK_BODY).encode())
INNER = HttpAnswer(200, body(OcrStatus.INNER_ERROR, MSG_INNER_ERROR))


@dataclass
class ScriptedTransport:
    """Plays a script of answers (or TransportErrors), each taking ``seconds`` on the clock."""

    clock: FakeClock
    script: list[HttpAnswer | TransportError]
    seconds: float = 0.5
    connect_timeout_seconds: float = 3.0
    calls: list[tuple[str, str, float]] = field(default_factory=list)

    def post_image(self, image_b64: str, api_key: str, *, read_timeout_seconds: float) -> HttpAnswer:
        self.calls.append((image_b64, api_key, read_timeout_seconds))
        # A slow server is cut off by the timeouts, as requests does.
        self.clock.advance(min(self.seconds, self.connect_timeout_seconds + read_timeout_seconds))
        step = self.script.pop(0)
        if isinstance(step, TransportError):
            raise step
        return step


@dataclass
class FakeBudget:
    """The upload's billable-call budget, in memory (the DynamoDB one is tested in test_adapters)."""

    limit: int = 10
    count: int = 0
    reserved: int = 0

    def reserve(self) -> bool:
        if self.count >= self.limit:
            return False
        self.count += 1
        self.reserved += 1
        return True

    def release(self) -> None:
        self.count -= 1


@dataclass
class RotatingKeys:
    keys: list[str] = field(default_factory=lambda: [API_KEY, ROTATED_KEY])
    refreshes: int = 0

    def get(self, *, refresh: bool = False) -> str:
        if refresh:
            self.refreshes += 1
        return self.keys[min(self.refreshes, len(self.keys) - 1)]


POLICY = RetryPolicy(
    max_attempts=4,
    budget_seconds=75,
    backoff_base_seconds=0.5,
    backoff_cap_seconds=8,
    read_timeout_seconds=20,
)


def client_for(
    script: list[HttpAnswer | TransportError], policy: RetryPolicy = POLICY, **transport_options: float
) -> tuple[RetryingOcrClient, ScriptedTransport, FakeClock, RotatingKeys]:
    clock = FakeClock()
    transport = ScriptedTransport(clock, script, **transport_options)
    keys = RotatingKeys()
    client = RetryingOcrClient(transport, keys, clock, policy, provider="ocr.test", rng=random.Random(7))
    return client, transport, clock, keys


def test_the_request_carries_the_image_in_base64_and_the_key() -> None:
    client, transport, clock, _ = client_for([OK])
    answer = client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())

    assert isinstance(answer.response, OkResponse)
    assert answer.response.message.model_dump() == FIELDS
    assert (answer.attempts, answer.latency_ms, answer.provider) == (1, 500, "ocr.test")
    [(image_b64, key, read_timeout)] = transport.calls
    assert base64.b64decode(image_b64) == IMAGE
    assert key == API_KEY
    assert read_timeout == 20


@pytest.mark.parametrize(
    "transient",
    [
        HttpAnswer(503, b"Service Unavailable"),
        HttpAnswer(500, body(OcrStatus.INNER_ERROR, MSG_INNER_ERROR)),
        HttpAnswer(429, b'{"message": "Too Many Requests"}'),
        INNER,
        TransportError("timeout (ReadTimeout)", reached_provider=True),
        TransportError("connection failed (ConnectionError)", reached_provider=False),
    ],
    ids=["503", "500-inner", "429", "200-inner", "timeout", "connection"],
)
def test_transient_failures_are_retried_after_a_jittered_backoff(
    transient: HttpAnswer | TransportError,
) -> None:
    client, transport, clock, _ = client_for([transient, OK])
    answer = client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())

    assert answer.attempts == 2
    assert len(transport.calls) == 2
    [slept] = clock.sleeps
    assert 0 <= slept <= 0.5  # full jitter of the first retry: [0, base]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (OcrStatus.FAIL, MSG_RECOGNITION_FAILED),
        (OcrStatus.FAIL, MSG_NOT_IDENTITY_CARD),
        (OcrStatus.INVALID_REQUEST, MSG_INVALID_REQUEST),
        (OcrStatus.IMAGE_INVALID_FORMAT, MSG_INVALID_FORMAT),
        (OcrStatus.IMAGE_INVALID_SIZE, MSG_INVALID_SIZE),
    ],
)
def test_final_statuses_are_never_retried(status: OcrStatus, message: str) -> None:
    client, transport, clock, _ = client_for([HttpAnswer(200, body(status, message)), OK])
    answer = client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())
    assert answer.response.status is status
    assert answer.response.message == message
    assert len(transport.calls) == 1 and clock.sleeps == []


def test_retries_stop_at_the_attempt_limit_with_growing_capped_backoff() -> None:
    client, transport, clock, _ = client_for([INNER] * 10, policy=POLICY)
    with pytest.raises(OcrCallError) as raised:
        client.recognize(IMAGE, deadline=clock.mono + 1000, budget=FakeBudget())

    assert raised.value.attempts == 4 == len(transport.calls)
    assert "retries exhausted after 4 attempt(s): HTTP 200: INNER_ERROR" in raised.value.reason
    assert len(clock.sleeps) == 3
    for retry, slept in enumerate(clock.sleeps):
        assert 0 <= slept <= min(8, 0.5 * 2**retry)


def test_no_attempt_starts_that_could_outlive_the_deadline() -> None:
    client, transport, clock, _ = client_for(
        [TransportError("timeout (ReadTimeout)", reached_provider=True)] * 10,
        seconds=20.0,
        connect_timeout_seconds=3.0,
    )
    deadline = clock.mono + 50
    with pytest.raises(OcrCallError) as raised:
        client.recognize(IMAGE, deadline=deadline, budget=FakeBudget())

    assert "time budget exhausted after 3 attempt(s): timeout (ReadTimeout)" in raised.value.reason
    assert clock.mono <= deadline  # every attempt's worst case (connect + read) ended in time
    read_timeouts = [read_timeout for _, _, read_timeout in transport.calls]
    assert read_timeouts[:2] == [20, 20]
    assert MIN_READ_TIMEOUT_SECONDS <= read_timeouts[2] < 20  # the last one shrunk to fit


def test_the_retry_budget_bounds_the_calls_even_with_time_left_before_the_deadline() -> None:
    policy = RetryPolicy(
        max_attempts=10,
        budget_seconds=5,
        backoff_base_seconds=0.1,
        backoff_cap_seconds=0.2,
        read_timeout_seconds=20,
    )
    client, transport, clock, _ = client_for([INNER] * 20, policy=policy, seconds=1.0)
    start = clock.mono
    with pytest.raises(OcrCallError):
        client.recognize(IMAGE, deadline=clock.mono + 1000, budget=FakeBudget())
    assert clock.mono - start <= 5
    assert transport.calls[0][2] == pytest.approx(5 - 3.0)  # read timeout shrunk to the budget


def test_a_refused_key_is_read_again_once_and_the_call_repeated_at_once() -> None:
    client, transport, clock, keys = client_for([HttpAnswer(403, b'{"message": "Forbidden"}'), OK])
    answer = client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())

    assert keys.refreshes == 1
    assert [key for _, key, _ in transport.calls] == [API_KEY, ROTATED_KEY]
    assert answer.attempts == 2 and clock.sleeps == []


def test_a_key_refused_twice_is_an_error() -> None:
    refused = HttpAnswer(403, b'{"message": "Forbidden"}')
    client, transport, clock, keys = client_for([refused, refused, OK])
    with pytest.raises(OcrCallError) as raised:
        client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())
    assert "HTTP 403: API key refused even after re-reading the secret" in raised.value.reason
    assert keys.refreshes == 1 and len(transport.calls) == 2


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (HttpAnswer(200, b"<html>gateway</html>"), "not JSON"),
        (HttpAnswer(200, b'{"status": "OK", "message": {"idNumber": "12"}}'), "not a contract answer"),
        (HttpAnswer(200, b'{"status": "MAYBE", "message": "?"}'), "not a contract answer"),
        (HttpAnswer(404, b'{"message": "Missing Authentication Token"}'), "not a contract answer"),
    ],
    ids=["html", "bad-fields", "unknown-status", "404"],
)
def test_an_answer_outside_the_contract_is_an_error_and_not_retried(answer: HttpAnswer, kind: str) -> None:
    client, transport, clock, _ = client_for([answer, OK])
    with pytest.raises(OcrCallError) as raised:
        client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())
    assert kind in raised.value.reason
    assert f"HTTP {answer.status_code}" in raised.value.reason
    assert len(transport.calls) == 1
    assert "gateway" not in raised.value.reason  # the body is never echoed (it may hold personal data)


def test_a_contract_answer_with_a_4xx_code_is_still_final() -> None:
    client, _transport, clock, _ = client_for(
        [HttpAnswer(400, body(OcrStatus.INVALID_REQUEST, MSG_INVALID_REQUEST))]
    )
    answer = client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget())
    assert answer.response.status is OcrStatus.INVALID_REQUEST


READ_TIMEOUT = TransportError("timeout (ReadTimeout)", reached_provider=True)
REFUSED = TransportError("connection failed (ConnectionError)", reached_provider=False)
MANY_ATTEMPTS = RetryPolicy(
    max_attempts=10,
    budget_seconds=1000,
    backoff_base_seconds=0.5,
    backoff_cap_seconds=8,
    read_timeout_seconds=20,
)


def test_read_timeouts_are_billable_and_stop_at_the_budget() -> None:
    """Issue 12.1: a frozen provider got 4 calls per invocation, each possibly billed; now 2 in all."""
    client, transport, clock, _ = client_for([READ_TIMEOUT] * 10, policy=MANY_ATTEMPTS, seconds=23.0)
    budget = FakeBudget(limit=2)
    with pytest.raises(OcrCallError) as raised:
        client.recognize(IMAGE, deadline=clock.mono + 1000, budget=budget)

    assert len(transport.calls) == 2
    assert raised.value.billable_calls == 2 == budget.count
    assert "not called again: 2 of 2 billable call(s) spent on this upload" in raised.value.reason


def test_a_spent_budget_makes_no_call_at_all() -> None:
    """A retry or redrive of an upload whose earlier invocations spent the budget."""
    client, transport, clock, _ = client_for([OK])
    with pytest.raises(OcrCallError) as raised:
        client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget(limit=2, count=2))
    assert transport.calls == []
    assert raised.value.reason == "OCR not called again: 2 of 2 billable call(s) spent on this upload"
    assert (raised.value.attempts, raised.value.billable_calls) == (0, 2)


@pytest.mark.parametrize(
    "free",
    [
        REFUSED,
        HttpAnswer(503, b"Service Unavailable"),
        HttpAnswer(500, body(OcrStatus.INNER_ERROR, MSG_INNER_ERROR)),
        HttpAnswer(429, b'{"message": "Too Many Requests"}'),
        INNER,
    ],
    ids=["refused", "503", "500-inner", "429", "200-inner"],
)
def test_calls_that_provably_did_no_billable_work_are_uncounted(free: HttpAnswer | TransportError) -> None:
    client, transport, clock, _ = client_for([free] * 5 + [OK], policy=MANY_ATTEMPTS)
    budget = FakeBudget(limit=1)
    answer = client.recognize(IMAGE, deadline=clock.mono + 1000, budget=budget)
    assert answer.attempts == 6 == len(transport.calls)
    assert answer.billable_calls == 1 == budget.count  # the OK only


@pytest.mark.parametrize("code", [502, 504])
def test_a_gateway_that_gave_up_waiting_counts_as_billable(code: int) -> None:
    client, transport, clock, _ = client_for(
        [HttpAnswer(code, b"Bad Gateway")] * 3 + [OK], policy=MANY_ATTEMPTS
    )
    with pytest.raises(OcrCallError):
        client.recognize(IMAGE, deadline=clock.mono + 1000, budget=FakeBudget(limit=2))
    assert len(transport.calls) == 2


def test_free_final_answers_are_uncounted_and_billed_ones_counted() -> None:
    invalid = HttpAnswer(200, body(OcrStatus.IMAGE_INVALID_FORMAT, MSG_INVALID_FORMAT))
    client, _transport, clock, _ = client_for([invalid])
    assert client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget()).billable_calls == 0
    failed = HttpAnswer(200, body(OcrStatus.FAIL, MSG_RECOGNITION_FAILED))
    client, _transport, clock, _ = client_for([failed])
    assert client.recognize(IMAGE, deadline=clock.mono + 100, budget=FakeBudget()).billable_calls == 1
