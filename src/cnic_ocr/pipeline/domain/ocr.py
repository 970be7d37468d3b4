"""Calling the OCR API without ever paying twice for nothing: the retry policy of the contract.

OK, FAIL (billed) and INVALID_* (the input is wrong) are final and never retried. INNER_ERROR,
HTTP 5xx/429, timeouts and connection errors are retried with exponential backoff and full
jitter, within both an attempt limit and a wall-clock budget that ends before the Lambda
timeout. A 401/403 re-reads the key once (it may have been rotated) and tries again at once.

Retrying is also what can bill one card many times: a read timeout does not mean the provider
did not do (and bill) the work. So every call is counted in the upload's durable budget of
billable calls *before* it is made, and uncounted only when its answer proves it free (see
:func:`read_answer`); no call is made once the budget is spent, whichever invocation asks.
"""

from __future__ import annotations

import base64
import json
import logging
import random
from dataclasses import dataclass
from enum import Enum, auto

from pydantic import TypeAdapter, ValidationError

from cnic_ocr.clock import Clock
from cnic_ocr.contract import ErrorResponse, OcrResponse, OcrStatus, OkResponse
from cnic_ocr.pipeline.domain.ports import (
    ApiKeySource,
    BillableCalls,
    HttpAnswer,
    OcrAnswer,
    OcrCallError,
    OcrTransport,
    TransportError,
)

logger = logging.getLogger(__name__)

_RESPONSE = TypeAdapter[OkResponse | ErrorResponse](OcrResponse)

#: An attempt that cannot wait at least this long for the answer is not started.
MIN_READ_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    budget_seconds: float
    backoff_base_seconds: float
    backoff_cap_seconds: float
    read_timeout_seconds: float

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**n)] (spreads retries of parallel uploads)."""
        return rng.uniform(0.0, min(self.backoff_cap_seconds, self.backoff_base_seconds * 2**retry_number))


class _Verdict(Enum):
    FINAL = auto()
    RETRY = auto()
    KEY_REFUSED = auto()
    BROKEN = auto()


#: Answers that show the provider did no billable work: refusals, throttling, its own failure.
#: 502 and 504 are not among them: a gateway that gave up waiting says nothing about the work.
_FREE_HTTP_CODES = frozenset({401, 403, 429, 500, 503})


@dataclass(frozen=True, slots=True)
class _Reading:
    verdict: _Verdict
    problem: str = ""
    response: OkResponse | ErrorResponse | None = None
    #: Whether the call may have been billed (the contract bills OK and FAIL only).
    billable: bool = True


def read_answer(answer: HttpAnswer) -> _Reading:
    """Classifies one HTTP answer against the contract, and says whether it may have been billed."""
    code = answer.status_code
    free = code in _FREE_HTTP_CODES
    if code in (401, 403):
        return _Reading(_Verdict.KEY_REFUSED, f"HTTP {code}: API key refused", billable=False)
    if code == 429:
        return _Reading(_Verdict.RETRY, "HTTP 429: throttled", billable=False)
    if code >= 500:
        return _Reading(_Verdict.RETRY, f"HTTP {code}", billable=not free)
    try:
        response = _RESPONSE.validate_python(json.loads(answer.body))
    except (ValueError, ValidationError) as exc:
        # json.JSONDecodeError is a ValueError; say where without echoing the body (it may hold PII).
        kind = "not JSON" if isinstance(exc, json.JSONDecodeError) else "not a contract answer"
        return _Reading(
            _Verdict.BROKEN, f"HTTP {code} with a malformed answer ({kind}, {len(answer.body)} bytes)"
        )
    if response.status is OcrStatus.INNER_ERROR:
        return _Reading(_Verdict.RETRY, f"HTTP {code}: INNER_ERROR", billable=False)
    billed = response.status in (OcrStatus.OK, OcrStatus.FAIL)
    return _Reading(_Verdict.FINAL, response=response, billable=billed)


class RetryingOcrClient:
    """The OcrClient the flow uses in production; HTTP and secrets come in as ports."""

    def __init__(
        self,
        transport: OcrTransport,
        keys: ApiKeySource,
        clock: Clock,
        policy: RetryPolicy,
        *,
        provider: str,
        rng: random.Random | None = None,
    ) -> None:
        self._transport = transport
        self._keys = keys
        self._clock = clock
        self._policy = policy
        self._provider = provider
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def recognize(self, image: bytes, *, deadline: float, budget: BillableCalls) -> OcrAnswer:
        image_b64 = base64.b64encode(image).decode("ascii")
        stop_at = min(deadline, self._clock.monotonic() + self._policy.budget_seconds)
        api_key = self._keys.get()
        attempts = 0
        retries = 0
        key_refreshed = False
        problem = "no attempt fitted in the time left"

        def give_up(reason: str) -> OcrCallError:
            return OcrCallError(reason, attempts=attempts, billable_calls=budget.count)

        while True:
            read_timeout = self._read_timeout_until(stop_at)
            if read_timeout is None:
                raise give_up(f"OCR time budget exhausted after {attempts} attempt(s): {problem}")
            if not budget.reserve():
                last = f" (last problem: {problem})" if attempts else ""
                raise give_up(
                    f"OCR not called again: {budget.count} of {budget.limit} billable call(s)"
                    f" spent on this upload{last}"
                )
            attempts += 1
            started = self._clock.monotonic()
            try:
                reading = read_answer(
                    self._transport.post_image(image_b64, api_key, read_timeout_seconds=read_timeout)
                )
            except TransportError as exc:
                reading = _Reading(_Verdict.RETRY, str(exc), billable=exc.reached_provider)
            latency_ms = round((self._clock.monotonic() - started) * 1000)
            if not reading.billable:
                budget.release()

            if reading.verdict is _Verdict.FINAL:
                assert reading.response is not None
                return OcrAnswer(reading.response, self._provider, attempts, latency_ms, budget.count)
            if reading.verdict is _Verdict.BROKEN:
                raise give_up(reading.problem)
            if reading.verdict is _Verdict.KEY_REFUSED:
                if key_refreshed:
                    raise give_up(f"{reading.problem} even after re-reading the secret")
                logger.warning(
                    "OCR API refused the key; re-reading the secret once", extra={"attempt": attempts}
                )
                api_key = self._keys.get(refresh=True)
                key_refreshed = True
                continue

            problem = reading.problem
            if attempts >= self._policy.max_attempts:
                raise give_up(f"OCR retries exhausted after {attempts} attempt(s): {problem}")
            delay = self._policy.backoff(retries, self._rng)
            retries += 1
            if self._read_timeout_until(stop_at - delay) is None:
                raise give_up(f"OCR time budget exhausted after {attempts} attempt(s): {problem}")
            logger.warning(
                "OCR attempt failed; retrying",
                extra={
                    "attempt": attempts,
                    "problem": problem,
                    "backoff_seconds": round(delay, 3),
                    "billable_calls": budget.count,
                },
            )
            self._clock.sleep(delay)

    def _read_timeout_until(self, stop_at: float) -> float | None:
        """The read timeout an attempt started now may use, or None if it would end too late."""
        left = stop_at - self._clock.monotonic() - self._transport.connect_timeout_seconds
        read_timeout = min(self._policy.read_timeout_seconds, left)
        return read_timeout if read_timeout >= MIN_READ_TIMEOUT_SECONDS else None
