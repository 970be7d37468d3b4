"""The OCR HTTP API, framework-free: one request in, one (HTTP status, JSON body) out.

The local waitress server (``wsgi.py``/``server.py``) and the Lambda function behind API
Gateway (``apigateway.py``/``lambda_handler.py``) are thin adapters over :class:`OcrApi`, so
both deployments answer every request byte-for-byte the same way.

Bodies follow the contract (docs/contract.md): HTTP 200 carries every contract status except
INNER_ERROR (clients of the commercial API read ``status`` from the body), INNER_ERROR is
HTTP 500, and the HTTP-level refusals (403/404/405/413, malformed HTTP) carry JSON bodies too.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger
from pydantic import TypeAdapter, ValidationError

from cnic_ocr.contract import (
    MSG_NOT_IDENTITY_CARD,
    OCR_PATH,
    STATUS_MESSAGES,
    OcrResponse,
    OcrStatus,
    error_body,
)

logger = Logger(service="cnic-ocr-api")

ALLOWED_METHODS = ("POST",)
API_KEY_HEADER = "x-api-key"

#: Largest request body that can hold an image the contract accepts. The base64 of a 2 MiB
#: image is 2,796,204 characters; form percent-encoding of ``+`` and ``/`` (about 6 %) and line
#: breaks every 76 characters (about 3-8 %) bring a legitimate request to at most ~3.2 MB.
#: A larger body is answered 200 IMAGE_INVALID_SIZE without being parsed, as the commercial
#: API answers an oversize image.
MAX_IMAGE_REQUEST_BYTES = 4 * 1024 * 1024
#: Largest request body read at all (API Gateway's own payload limit is 10 MB). Above it: 413,
#: from the Content-Length, before the body is read.
MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
JSON_MEDIA_TYPE = "application/json"

#: Request fields the API knows; anything else is "extra junk" and answered INVALID_REQUEST.
IMAGE_FIELD = "img"
DETAILS_FIELD = "details"
_BODY_FIELDS = frozenset({IMAGE_FIELD, DETAILS_FIELD})
_MAX_FORM_FIELDS = 8

_DATA_URI_PREFIX = re.compile(r"data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)

_OCR_RESPONSE = TypeAdapter[Any](OcrResponse)
#: The verbatim messages each non-OK status may carry.
_CONTRACT_MESSAGES = {status: {message} for status, message in STATUS_MESSAGES.items()}
_CONTRACT_MESSAGES[OcrStatus.FAIL].add(MSG_NOT_IDENTITY_CARD)


class Recognizer(Protocol):
    """What the API needs from the recognizer (``cnic_ocr.recognizer.get_recognizer()``)."""

    def recognize(self, data: bytes, *, details: bool = False) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """An HTTP request as the adapters hand it over; header names are lower-cased here, once."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, Sequence[str]]
    body: bytes
    request_id: str

    def __post_init__(self) -> None:
        lowered = {name.lower(): value for name, value in self.headers.items()}
        object.__setattr__(self, "headers", lowered)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    """A route's response and what the request's log line says about it."""

    response: ApiResponse
    #: The contract's status (or an upload's) for the log; None for an HTTP-level refusal.
    status: str | None = None
    recognize_ms: float | None = None


class Routes(Protocol):
    """Routes served behind :class:`KeyedApi`'s key check: the OCR route, the mobile uploads."""

    def serves(self, path: str) -> bool: ...

    def answer(self, request: ApiRequest, api_key: str) -> RouteAnswer:
        """Answer a request to one of these paths; ``api_key`` is the key the client presented
        (accepted here, or upstream by API Gateway; empty if none). May raise: INNER_ERROR."""
        ...


class InvalidRequestError(Exception):
    """The request's parameters are wrong; answered with INVALID_REQUEST (not billed)."""


@dataclass(frozen=True, slots=True)
class OcrParams:
    image: bytes
    details: bool


def json_response(
    status_code: int,
    payload: Mapping[str, Any],
    request_id: str,
    extra_headers: Mapping[str, str] | None = None,
) -> ApiResponse:
    """Every answer of the API: JSON, never cached (it may hold personal data), traceable by id."""
    headers = {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "X-Request-Id": request_id,
    }
    if extra_headers:
        headers.update(extra_headers)
    return ApiResponse(status_code, headers, json.dumps(payload, allow_nan=False).encode("utf-8"))


def log_answered(request: ApiRequest, response: ApiResponse, started: float, **fields: object) -> None:
    """One log line per request: who asked what, the answer, how long it took (never a body)."""
    logger.info(
        "request answered",
        extra={
            "request_id": request.request_id,
            "method": request.method,
            "path": request.path[:200],
            "http_status": response.status_code,
            **fields,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


def http_error_response(
    status_code: int, request_id: str, *, allow: Sequence[str] = ALLOWED_METHODS
) -> ApiResponse:
    """A refusal at the HTTP level, shaped like API Gateway's own errors: ``{"message": reason}``.

    A 405 names the ``allow``-ed methods. A body over the size cap is the exception: its JSON
    keeps the contract's IMAGE_INVALID_SIZE status so that clients reading only ``status`` still
    learn why (and that it is not billed).
    """
    if status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return json_response(status_code, error_body(OcrStatus.IMAGE_INVALID_SIZE), request_id)
    extra = {"Allow": ", ".join(allow)} if status_code == HTTPStatus.METHOD_NOT_ALLOWED else None
    return json_response(status_code, {"message": HTTPStatus(status_code).phrase}, request_id, extra)


class KeyedApi:
    """What every deployment of every route shares: the one key check, routing, INNER_ERROR for
    anything unexpected (never raises) and one log line per request, in one shape.

    ``api_keys=None`` means the key was already checked upstream (API Gateway's
    ``ApiKeyRequired``); an empty sequence is refused, as it would lock every client out.
    """

    def __init__(self, routes: Sequence[Routes], *, api_keys: Sequence[str] | None) -> None:
        if api_keys is not None and not api_keys:
            raise ValueError("api_keys is empty: pass at least one key, or None when checked upstream")
        self._routes = tuple(routes)
        self._keys = encode_keys(api_keys)

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request; an unexpected error becomes INNER_ERROR (HTTP 500)."""
        started = time.perf_counter()
        try:
            answer = self._answer(request)
        except Exception:
            logger.exception("unexpected error", extra={"request_id": request.request_id})
            response = json_response(500, error_body(OcrStatus.INNER_ERROR), request.request_id)
            answer = RouteAnswer(response, OcrStatus.INNER_ERROR.value)
        log_answered(
            request,
            answer.response,
            started,
            ocr_status=answer.status,
            body_bytes=len(request.body),
            recognize_ms=answer.recognize_ms,
        )
        return answer.response

    def _answer(self, request: ApiRequest) -> RouteAnswer:
        presented = request.headers.get(API_KEY_HEADER)
        if not key_accepted(self._keys, presented):
            return RouteAnswer(http_error_response(HTTPStatus.FORBIDDEN, request.request_id))
        for routes in self._routes:
            if routes.serves(request.path):
                return routes.answer(request, presented or "")
        return RouteAnswer(http_error_response(HTTPStatus.NOT_FOUND, request.request_id))


class OcrApi:
    """The OCR route: parses the request, calls the recognizer, shapes the answer.

    :meth:`handle` serves it behind :class:`KeyedApi` (the key check, the log line), with
    ``more_routes`` (e.g. the mobile uploads) behind the same keys.
    """

    def __init__(
        self,
        recognizer: Recognizer,
        *,
        api_keys: Sequence[str] | None,
        max_body_bytes: int = MAX_REQUEST_BODY_BYTES,
        max_image_request_bytes: int = MAX_IMAGE_REQUEST_BYTES,
        recognition_slots: int | None = None,
        more_routes: Routes | None = None,
    ) -> None:
        if recognition_slots is not None and recognition_slots < 1:
            raise ValueError("recognition_slots must be at least 1 (or None for no limit)")
        self._recognizer = recognizer
        # onnxruntime already spreads one recognition over every core; more at once only
        # oversubscribe the CPU (slower for everyone, more memory). None: no limit.
        self._slots = None if recognition_slots is None else threading.BoundedSemaphore(recognition_slots)
        self._max_body_bytes = max_body_bytes
        self._front = KeyedApi([self] if more_routes is None else [self, more_routes], api_keys=api_keys)
        self._max_image_request_bytes = max_image_request_bytes

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Answer one request; never raises (an unexpected error becomes INNER_ERROR, HTTP 500)."""
        return self._front.handle(request)

    def serves(self, path: str) -> bool:
        return path == OCR_PATH

    def answer(self, request: ApiRequest, api_key: str) -> RouteAnswer:
        request_id = request.request_id
        if request.method not in ALLOWED_METHODS:
            return RouteAnswer(http_error_response(HTTPStatus.METHOD_NOT_ALLOWED, request_id))
        if len(request.body) > self._max_body_bytes:
            response = http_error_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, request_id)
            return RouteAnswer(response, OcrStatus.IMAGE_INVALID_SIZE.value)
        if len(request.body) > self._max_image_request_bytes:  # cannot hold a 2 MiB image: not parsed
            body = error_body(OcrStatus.IMAGE_INVALID_SIZE)
            return RouteAnswer(json_response(200, body, request_id), body["status"])

        try:
            params = parse_ocr_params(request.headers.get("content-type", ""), request.body, request.query)
        except InvalidRequestError:
            body = error_body(OcrStatus.INVALID_REQUEST)
            return RouteAnswer(json_response(200, body, request_id), body["status"])

        queued = time.perf_counter()
        with self._slots or nullcontext():
            started = time.perf_counter()
            raw = self._recognizer.recognize(params.image, details=params.details)
        recognize_ms = round((time.perf_counter() - started) * 1000, 2)
        queue_ms = round((started - queued) * 1000, 2)
        body = contract_body(raw, details=params.details)
        status_code = 500 if body["status"] == OcrStatus.INNER_ERROR else 200
        timing = {"Server-Timing": f"queue;dur={queue_ms}, recognize;dur={recognize_ms}"}
        return RouteAnswer(json_response(status_code, body, request_id, timing), body["status"], recognize_ms)


def encode_keys(api_keys: Sequence[str] | None) -> tuple[bytes, ...] | None:
    """The accepted keys as bytes for :func:`key_accepted` (``None``: checked upstream)."""
    return None if api_keys is None else tuple(key.encode("utf-8") for key in api_keys)


def key_accepted(keys: tuple[bytes, ...] | None, presented: str | None) -> bool:
    """Whether ``presented`` is one of ``keys``, in constant time; ``keys=None`` accepts anything."""
    if keys is None:
        return True
    if presented is None:
        return False
    candidate = presented.encode("utf-8", errors="replace")
    accepted = False
    for key in keys:  # every key is compared, so timing does not tell which one matched
        accepted |= hmac.compare_digest(candidate, key)
    return accepted


def contract_body(raw: Mapping[str, Any], *, details: bool) -> dict[str, Any]:
    """The recognizer's answer, checked against the contract, with ``details`` only when asked.

    A body that breaks the contract is a bug: it raises, and the caller answers INNER_ERROR.
    """
    try:
        _OCR_RESPONSE.validate_python(raw)
    except ValidationError as exc:
        raise RuntimeError(f"recognizer answer breaks the contract: {exc.error_count()} error(s)") from None
    status = OcrStatus(raw["status"])
    if status != OcrStatus.OK and raw["message"] not in _CONTRACT_MESSAGES[status]:
        raise RuntimeError(f"recognizer answer has a {status} message that is not the contract's")
    body = {"status": raw["status"], "message": raw["message"]}
    if details and "details" in raw:
        body["details"] = raw["details"]
    return body


def media_type_of(content_type: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json`` (empty when none was sent)."""
    return content_type.split(";", 1)[0].strip().lower()


def parse_ocr_params(content_type: str, body: bytes, query: Mapping[str, Sequence[str]]) -> OcrParams:
    """The image and the ``details`` flag from a form or JSON body (``details`` may be in the query)."""
    media_type = media_type_of(content_type)
    if media_type in ("", FORM_MEDIA_TYPE):  # curl -d sends a form without being told
        fields = _form_fields(body)
        image = decode_image_field(fields.get(IMAGE_FIELD), form_encoded=True)
        body_details = _flag(fields.get(DETAILS_FIELD))
    elif media_type == JSON_MEDIA_TYPE:
        document = _json_fields(body)
        img = document.get(IMAGE_FIELD)
        image = decode_image_field(img if isinstance(img, str) else None, form_encoded=False)
        raw_details = document.get(DETAILS_FIELD)
        if raw_details is not None and not isinstance(raw_details, bool):
            raise InvalidRequestError
        body_details = raw_details
    else:
        raise InvalidRequestError
    query_details = _query_details(query)
    if body_details is not None and query_details is not None:
        raise InvalidRequestError  # said twice: ambiguous
    return OcrParams(image=image, details=bool(body_details or query_details))


def decode_image_field(value: str | None, *, form_encoded: bool) -> bytes:
    """Standard base64 (padding required) to bytes, tolerating whitespace and a data-URI prefix.

    In a form, a ``+`` that the client did not percent-encode arrives as a space; base64 has no
    spaces, so spaces are turned back into ``+`` there (elsewhere they are line wrapping).
    """
    if value is None:
        raise InvalidRequestError
    text = "".join((value.replace(" ", "+") if form_encoded else value).split())  # drop whitespace
    prefix = _DATA_URI_PREFIX.match(text)
    if prefix:
        text = text[prefix.end() :]
    # b64decode(validate=True) refuses foreign characters, misplaced padding and data after it,
    # but lets surplus padding through ("QUJD=", "QUJD===="): whole 4-character quanta only.
    if not text or len(text) % 4 or text.endswith("==="):
        raise InvalidRequestError
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or a non-ASCII str
        raise InvalidRequestError from None


def _form_fields(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in _BODY_FIELDS or name in fields:
            raise InvalidRequestError
        fields[name] = value
    return fields


def _json_fields(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRequestError from None
    if not isinstance(document, dict) or not document.keys() <= _BODY_FIELDS:
        raise InvalidRequestError
    return document


def _query_details(query: Mapping[str, Sequence[str]]) -> bool | None:
    if not query.keys() <= {DETAILS_FIELD}:
        raise InvalidRequestError
    values = query.get(DETAILS_FIELD)
    if values is None:
        return None
    if len(values) != 1:
        raise InvalidRequestError
    return _flag(values[0])


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    match value.strip().lower():
        case "true":
            return True
        case "false":
            return False
        case _:
            raise InvalidRequestError
